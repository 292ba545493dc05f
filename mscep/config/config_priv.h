/*
 * config_priv.h - what config.c (the loader) and config_keys.c (the table
 * and the parsers of single keys) share. Not for use outside mscep/config/.
 */
#ifndef MSCEP_CONFIG_PRIV_H
#define MSCEP_CONFIG_PRIV_H

#include <limits.h>
#include <stdio.h>

#include <iniparser.h>
#include <openssl/x509v3.h>

#include "config/config.h"
#include "config/ini_index.h"
#include "config/schema.h"

struct loader {
	dictionary	*d;
	struct ini_index idx;
	struct config	*cfg;
	FILE		*errs;
	int		 nerr;
	int		 quiet;		/* parsing a default: no reports */
	const char	*section;	/* being loaded, as messages name it */
	char		 inidir[PATH_MAX];	/* StateDir is relative to it */
};

/*
 * Reports "file:line: [section] key: message" (key NULL: the section's
 * own problem); the line is the key's, else its section's, else none.
 */
void	 config_problem(struct loader *, const char *section, const char *key,
	    const char *fmt, ...) __attribute__((format(__printf__, 4, 5)));
/* The same for key k in the section being loaded. */
void	 config_key_problem(struct loader *, const struct config_key *k,
	    const char *fmt, ...) __attribute__((format(__printf__, 3, 4)));

/* Value parsing without reports: 0, or -1 when s is not valid. */
int	 config_value_int(const char *s, long min, long max, long *v);
int	 config_value_bool(const char *s, int *v);

/* Calls fn for each trimmed, non-empty item of a comma-separated list;
 * -1 when any call failed (every item is still offered). */
int	 config_for_each_item(const char *list,
	    int (*fn)(const char *, void *), void *arg);

/* An extension from its openssl.cnf text; NULL (queue cleared) if bad. */
X509_EXTENSION *config_make_ext(int nid, const char *value);

/* Checks that span keys, once everything is loaded. */
void	 config_check_rules(struct loader *);

#endif
