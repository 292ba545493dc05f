/*
 * ra_renew.h - new RA signing and encryption certificates (new keys, the
 * same names) from the current CA, without a CA rollover: what NDES
 * administrators do every two years by hand. The replaced pairs are
 * kept in ra-previous/<UTC time>/; workers load the new ones when they
 * are replaced (SIGHUP to mscep -n, or the web server's restart).
 */
#ifndef MSCEP_RA_RENEW_H
#define MSCEP_RA_RENEW_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

#define RA_RENEW_PREV_DIR	"ra-previous"

struct ra_renew_opts {
	const char	*key;		/* rsa:BITS; NULL: the current RA's */
	int		 days;		/* clamped to the CA's notAfter */
};

struct ra_renewed {
	char		 kept[PATH_MAX];	/* where the old pairs went */
	char		 sign_serial[80];
	char		 enc_serial[80];
	int64_t		 until;			/* notAfter of both */
};

int	 ra_renew(const struct config *, const struct ra_renew_opts *,
	    struct ra_renewed *, char *reason, size_t);

#endif
