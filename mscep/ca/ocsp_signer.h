/*
 * ocsp_signer.h - the delegated OCSP responder certificates (EKU
 * OCSPSigning, id-pkix-ocsp-nocheck) that the CA issues, one per CA
 * generation, and that every OCSP answer carries.
 */
#ifndef MSCEP_OCSP_SIGNER_H
#define MSCEP_OCSP_SIGNER_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/keyops.h"
#include "ca/ra.h"
#include "config/config.h"

#define OCSP_RESPONDER_CERT	"ocsp.crt"
#define OCSP_RESPONDER_KEY	"private/ocsp.key"
#define OCSP_RESPONDER_DAYS	365
/* DER OCSPRequest, POSTed or decoded from a GET path. */
#define OCSP_REQUEST_MAX	(64 * 1024)

struct ocsp_signer {
	X509		*cert;
	EVP_PKEY	*key;
	struct keyop	*op;		/* signs the answers (keyops.h) */
};

void	 ocsp_signer_free(struct ocsp_signer *);

/* A CA generation the responder answers for, with its own responder. */
struct ocsp_issuer {
	X509			*ca;
	char			 ca_key_id[41];	/* as the store records it */
	struct ocsp_signer	 signer;
};

/*
 * The current CA ([0], required) and, after `mscep-admin ca switch`, each
 * previous CA that has not expired and whose responder pair in
 * previous/<time>/ still loads: certificates the old CA issued keep
 * getting answers, signed by the responder that CA certified. A previous
 * generation without a usable pair is left out with a note in warn
 * (requests for it then get unauthorized). Each pair is checked to
 * belong together, to have been issued by its CA and to allow OCSPSigning;
 * warn gets a note when one expires within 30 days. With [Signer] Socket
 * set the keys are the signer's (mscep -S), which loads them all with
 * ocsp_responder_load_keys.
 */
struct ocsp_responder {
	struct ocsp_issuer	*issuers;
	int			 n;
};
int	 ocsp_responder_load(const struct config *, const struct ra *,
	    struct ocsp_responder *, char *warn, size_t, char *reason, size_t);
int	 ocsp_responder_load_keys(const struct config *, const struct ra *,
	    struct ocsp_responder *, char *warn, size_t, char *reason, size_t);
void	 ocsp_responder_free(struct ocsp_responder *);

#endif
