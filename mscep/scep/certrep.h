/*
 * certrep.h - build a CertRep (RFC 8894 §3.3.2): a SignedData signed by the
 * RA signing key carrying the SCEP attributes and, on SUCCESS, a
 * pkcsPKIEnvelope with a degenerate certs-only PKCS#7, encrypted to the
 * requester's signer certificate with the cipher the requester used.
 */
#ifndef MSCEP_CERTREP_H
#define MSCEP_CERTREP_H

#include <openssl/x509.h>

#include "scep/message.h"
#include "ca/ra.h"
#include "util/util.h"

struct certrep {
	enum scep_status	 status;
	enum scep_failinfo	 fail;		/* FAILURE only */
	X509			*cert;		/* SUCCESS only; borrowed */
	X509			*ca;		/* optional extra; borrowed */
	X509_CRL		*crl;		/* GetCRL SUCCESS: instead of
						   cert; borrowed */
};

/*
 * 0 when a SUCCESS reply could be encrypted to req's signer with the
 * cipher (and OAEP) it used; otherwise -1 and why. Asked before issuing.
 */
int	 certrep_reaches(const struct scep_req *, char *reason, size_t);
int	 certrep_build(const struct scep_req *, const struct ra *,
	    const struct certrep *, struct buf *out, char *reason, size_t);
/* DER of a degenerate certs-only SignedData holding certs in order. */
int	 certrep_certs_only(X509 *const *certs, int n, struct buf *out);

#endif
