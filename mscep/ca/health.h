/*
 * health.h - what an administrator watches and what expires silently:
 * the CA, RA, OCSP responder and TLS certificates and the published CRL,
 * read from the state folder. The metrics page and mscep-admin status
 * both show it, so they never disagree.
 */
#ifndef MSCEP_HEALTH_H
#define MSCEP_HEALTH_H

#include <stdint.h>

#include "config/config.h"

enum health_cert_id {
	HEALTH_CA, HEALTH_RA_SIGN, HEALTH_RA_ENC, HEALTH_OCSP, HEALTH_TLS,
	HEALTH_CERTS
};

struct health_cert {
	const char	*name;		/* "ca", "ra_sign", ... (a label) */
	const char	*file;		/* relative to StateDir, or absolute */
	int		 present;	/* the file exists and parses */
	int64_t		 not_after;	/* present only */
	char		 subject[256];	/* present only, one line */
};

struct health {
	struct health_cert certs[HEALTH_CERTS];
	int		 crl_present;	/* the current CA key's CRL parses */
	int64_t		 crl_this_update;
	int64_t		 crl_next_update;	/* 0: none in the CRL */
	char		 crl_file[PATH_MAX];
};

/*
 * Reads each file; a missing or unreadable one is left not present
 * (CA-direct mode has no RA files, OCSP and TLS are optional). Never
 * fails: what it could not read is what it reports.
 */
void	 health_collect(const struct config *, struct health *);
/* Days from now to t (negative: past). */
double	 health_days(int64_t t, int64_t now);

#endif
