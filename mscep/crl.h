/*
 * crl.h - the CA's certificate revocation list (RFC 5280 §5): built from
 * the store's revoked certificates, signed by the CA key and published as
 * a DER file the web server serves ([CRL] PublishFile) and GetCRL sends.
 */
#ifndef MSCEP_CRL_H
#define MSCEP_CRL_H

#include <stddef.h>

#include <openssl/x509.h>

#include "config.h"
#include "ra.h"
#include "store.h"

/* Builds, signs and publishes a new CRL now; *entries gets its size. */
int	 crl_publish(const struct config *, const struct ra *, struct store *,
	    long *entries, char *reason, size_t);
/*
 * Publishes when the published CRL is missing, unreadable, from another
 * CA, older than RefreshHours, or a revocation happened since. Returns 1
 * when it published, 0 when the CRL was current, -1 on error.
 */
int	 crl_refresh(const struct config *, const struct ra *, struct store *,
	    long *entries, char *reason, size_t);
/* The published CRL, or NULL. */
X509_CRL *crl_read(const struct config *);

#endif
