/*
 * crl.h - the CA's certificate revocation list (RFC 5280 §5): built from
 * the store's revoked certificates, signed by the CA key and published as
 * a DER file the web server serves ([CRL] PublishFile) and GetCRL sends.
 */
#ifndef MSCEP_CRL_H
#define MSCEP_CRL_H

#include <stddef.h>

#include <openssl/x509.h>

#include "config/config.h"
#include "ca/ra.h"
#include "store/store.h"

/*
 * One CRL per CA key, as AD CS keeps them: the current key's at [CRL]
 * PublishFile named for its index (mscep.crl, after a switch
 * mscep(1).crl ...), and one for each previous key whose CA is still
 * valid, signed with that key from previous/<time>/private/, so the CDP
 * of every certificate keeps naming a CRL its own CA signed.
 */

/* Builds, signs and publishes new CRLs now; *entries gets the size of
 * the current key's. */
int	 crl_publish(const struct config *, const struct ra *, struct store *,
	    long *entries, char *reason, size_t);
/*
 * Publishes when the published CRL is missing, unreadable, from another
 * CA, older than RefreshHours, or a revocation happened since. Returns 1
 * when it published, 0 when the CRL was current, -1 on error.
 */
int	 crl_refresh(const struct config *, const struct ra *, struct store *,
	    long *entries, char *reason, size_t);
/* The published CRL of CA key key_id (NULL or "": the current one), or
 * NULL. */
X509_CRL *crl_read(const struct config *, const struct ra *,
	    const char *key_id);

#endif
