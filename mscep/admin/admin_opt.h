/*
 * admin_opt.h - what mscep-admin's commands share to read their options
 * (a number outside its range is refused with a message naming the
 * option; the caller exits 2, a usage error) and to say what to reload.
 */
#ifndef MSCEP_ADMIN_OPT_H
#define MSCEP_ADMIN_OPT_H

/* Certificate lifetimes: a hundred years at most. */
#define ADMIN_DAYS_MAX	36500

/* 0 with *out set, or -1 after "mscep-admin: OPT ARG: too large, from
 * MIN to MAX" on stderr. */
int	 admin_opt_int(const char *opt, const char *arg, int min, int max,
	    int *out);
int	 admin_opt_ll(const char *opt, const char *arg, long long min,
	    long long max, long long *out);
/* --in-token URI: 0 when uri is a pkcs11: URI and nothing conflicts,
 * else -1 after a message on stderr naming cmd (exit 2). */
int	 admin_opt_token(const char *cmd, const char *uri, int conflict);

struct config;
/* "VERB the workers (how)AFTER" on stdout; with [Signer] Socket set, the
 * signer first: it alone reads the keys and certificates that changed. */
void	 admin_reload_hint(const struct config *, const char *verb,
	    const char *after);

#endif
