/*
 * tlscert.h - the seed's "Server authentication certificate": a TLS
 * server certificate for the SCEP site, issued by the local CA through
 * the same issuance path as SCEP requests and recorded in the store.
 */
#ifndef MSCEP_TLSCERT_H
#define MSCEP_TLSCERT_H

#include <stddef.h>

#include "config/config.h"

#define TLSCERT_NAMES_MAX	16

struct tlscert_opts {
	const char	*names[TLSCERT_NAMES_MAX]; /* first is the CN (FQDN) */
	int		 nnames;
	const char	*key;			/* rsa:2048 ... ec:P-256 */
	int		 days;
	const char	*outdir;		/* server.crt, server.key */
};

/* Issues, records and writes the certificate; serial_out gets its hex. */
int	 tlscert_issue(const struct config *, const struct tlscert_opts *,
	    char *serial_out, size_t, char *reason, size_t);

#endif
