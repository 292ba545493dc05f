/*
 * csr.h - what a requester makes before it holds a certificate: its
 * subject, the PKCS#10 request (challengePassword, keyUsage and SANs from
 * the options) and the self-signed certificate that signs its pkiMessage
 * (RFC 8894 §2.3). Each returns a new object the caller frees, or NULL
 * once ossl_fail() has said why.
 */
#ifndef SCEPCLI_CSR_H
#define SCEPCLI_CSR_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* O=mscep-test, CN=--cn, with -<pid>-<idx> appended unless --exact-cn. */
X509_NAME	*make_name(long idx);
/* The request for key and name, signed with key; pw: the
 * challengePassword, or NULL for none. */
X509_REQ	*make_csr(EVP_PKEY *key, const X509_NAME *name, const char *pw);
/* Valid for one day, subject and issuer name, with the CSR's key. */
X509		*make_self(EVP_PKEY *key, const X509_NAME *name);

#endif
