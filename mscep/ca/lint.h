/*
 * lint.h - the last look at what is about to be signed, as a public CA
 * lints before it signs: the to-be-signed certificate after every
 * extension is set (names, keys, validity, serial), and the CRL and OCSP
 * answers (times inside the signer's, serials). Each refusal names its
 * rule ("lint: CN longer than 64 characters"); the caller signs nothing.
 */
#ifndef MSCEP_LINT_H
#define MSCEP_LINT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config/config.h"

/* Caps beyond X.520's per-attribute bounds. */
#define LINT_MAX_SUBJECT_DER	4096	/* bytes of the encoded subject */
#define LINT_MAX_RDNS		64	/* RDNs in the subject */
#define LINT_MAX_SANS		1024	/* names in subjectAltName (the e2e
					   tests send 700 to reach long GETs) */
#define LINT_SMALL_PRIMES	300	/* RSA moduli tried against these */

/*
 * 0 when x may be signed for template t under the CA certificate ca;
 * -1 with "lint: ..." in reason. key is x's public key as parsed (the
 * issuing path keeps the CSR's, which x carries byte for byte).
 */
int	 lint_cert(const struct template *t, X509 *x, EVP_PKEY *key,
	    X509 *ca, char *reason, size_t rlen);
/* The parts, for callers that check one thing. */
int	 lint_subject(const X509_NAME *, char *reason, size_t);
int	 lint_sans(const struct template *, X509 *, char *reason, size_t);
int	 lint_key(const struct template *, X509_PUBKEY *, EVP_PKEY *,
	    char *reason, size_t);
int	 lint_serial(const ASN1_INTEGER *, char *reason, size_t);
/* A CRL or OCSP answer valid from this_upd to next_upd (NULL: open)
 * signed under signer: the times in order, inside the signer's. */
int	 lint_times(const ASN1_TIME *this_upd, const ASN1_TIME *next_upd,
	    X509 *signer, const char *what, char *reason, size_t);
/* A CRL: its number and every revoked serial, its times. */
int	 lint_crl(X509_CRL *, X509 *ca, char *reason, size_t);

/* RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ through 2049, GeneralizedTime
 * YYYYMMDDHHMMSSZ from 2050; no fractions, no offsets: 1, else 0. */
int	 lint_time_ok(const ASN1_TIME *);

#endif
