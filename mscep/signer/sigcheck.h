/*
 * sigcheck.h - what the signer (mscep -S) checks before it signs, on the
 * object a worker sent: a certificate, a CRL or an OCSP answer that no
 * template or CA rule allows is refused, so a worker taken over can make
 * the CA key sign no more than the templates already let it.
 */
#ifndef MSCEP_SIGCHECK_H
#define MSCEP_SIGCHECK_H

#include <stddef.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "config/config.h"
#include "ca/ra.h"

/*
 * 0 when x may be signed with the key of ra->ca: issued by that CA (its
 * name byte for byte), not it (the subject) nor a CA (basicConstraints
 * cA, keyCertSign, cRLSign), only the extensions issuing adds, each as
 * issuing makes it (basicConstraints, the key identifiers, the SID
 * extension) or exactly a template's (keyUsage, EKU, CRL distribution
 * point, with ra->cdp after a CA switch, authorityInfoAccess, SAN kinds
 * the template lets a requester supply, a SID URI only of the SID
 * extension), notBefore now less BackdateMinutes, the validity within
 * that template's and the CA's, and the lint (lint.h) clean for that
 * template. -1 and why.
 */
int	 sigcheck_cert(const struct config *, const struct ra *, X509 *x,
	    char *reason, size_t);
/* A CRL: issued by ca (its name and, in authorityKeyIdentifier, its key),
 * thisUpdate now and nextUpdate within [CRL] ValidityHours of it, lint
 * clean. */
int	 sigcheck_crl(const struct config *, X509 *ca, X509_CRL *,
	    char *reason, size_t);
/* An OCSP answer by responder (issued by ca): each certificate asked
 * about is one of ca's, its times inside the responder's. */
int	 sigcheck_ocsp(X509 *ca, X509 *responder, OCSP_BASICRESP *,
	    char *reason, size_t);
/*
 * CMS signed attributes the RA signing key (the CA key in CA-direct
 * mode) may sign, with md: one contentType id-data, one messageDigest
 * of md's size, one signingTime, and either CertRep's SCEP attributes
 * (messageType CertRep, a pkiStatus, transactionID txid as the worker
 * names it, the nonces, a failInfo; *certrep = 1) or none of them
 * (GetNextCACert). Nothing else: -1 and why.
 */
int	 sigcheck_cms(STACK_OF(X509_ATTRIBUTE) *, const EVP_MD *,
	    const char *txid, int *certrep, char *reason, size_t);
/*
 * The content those attributes sign, sent beside them (sigwire.h):
 * messageDigest must be its digest with md, and a CertRep's must be what
 * its pkiStatus says (RFC 8894 3.3.2): one DER EnvelopedData without
 * originatorInfo for SUCCESS, nothing for FAILURE and PENDING. Without it the RA key would
 * sign CertRep attributes over any content, another CA's certificates
 * included. 0, or -1 and why.
 */
int	 sigcheck_cms_content(STACK_OF(X509_ATTRIBUTE) *, const EVP_MD *,
	    int certrep, const unsigned char *content, size_t, char *reason,
	    size_t);

#endif
