/*
 * ca_init.h - create the embedded issuing CA and the two NDES RA
 * identities ("Exchange Enrollment Agent (Offline request)" to sign,
 * "CEP Encryption" to decrypt) in the state folder.
 */
#ifndef MSCEP_CA_INIT_H
#define MSCEP_CA_INIT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config/config.h"

struct ca_init_opts {
	const char	*ca_key;	/* rsa:2048|rsa:3072|rsa:4096|ec:P-256|ec:P-384 */
	const char	*ra_key;	/* RA keys must be RSA: key transport */
	const char	*ca_name;	/* CA common name */
	const char	*ra_name;	/* RA common name, NDES: <HOST>-MSCEP-RA */
	int		 ca_days;
	int		 ra_days;
};

int	 ca_init(const struct config *, const struct ca_init_opts *, char *,
	    size_t);
/*
 * A new key (keyspec) and a certificate for it issued by the CA: CN cn,
 * keyUsage ku (an X509v3 config string), CA:FALSE, key identifiers.
 */
int	 ca_issue_identity(X509 *ca, EVP_PKEY *cakey, const char *cn,
	    const char *keyspec, const char *ku, int days, X509 **cert,
	    EVP_PKEY **key, char *reason, size_t);
/*
 * A CA certificate (CA:TRUE, keyCertSign, cRLSign) for key named name:
 * self-signed when issuer is NULL, else certified by issuer's key (a
 * cross certificate during a rollover).
 */
X509	*ca_make_ca_cert(const X509_NAME *name, EVP_PKEY *key, X509 *issuer,
	    EVP_PKEY *issuer_key, int days, char *reason, size_t);
/* An RA certificate as init makes it: CA:FALSE, ku, NDES's EKU. */
#define RA_SIGN_KU	"critical,digitalSignature"
#define RA_ENC_KU	"critical,keyEncipherment"
X509	*ca_make_ra_cert(const X509_NAME *name, EVP_PKEY *key, X509 *ca,
	    EVP_PKEY *cakey, const char *ku, int days, char *reason, size_t);
/* Writes key (0600, must not exist) and cert into the state folder. */
int	 ca_save_pair(const struct config *, const char *certf,
	    const char *keyf, X509 *cert, EVP_PKEY *key, char *reason, size_t);
/*
 * The delegated OCSP responder identity (RFC 6960 §4.2.2.2): a new key
 * and a certificate from the CA with EKU OCSPSigning and
 * id-pkix-ocsp-nocheck, CN "<CA CN> OCSP Responder", valid days (never
 * beyond the CA).
 */
int	 ca_issue_ocsp(X509 *ca, EVP_PKEY *cakey, const char *keyspec,
	    int days, X509 **cert, EVP_PKEY **key, char *reason, size_t);
/* Like ca_save_pair, but replaces existing files: both are written in
 * full under temporary names, then renamed over the old ones. */
int	 ca_replace_pair(const struct config *, const char *certf,
	    const char *keyf, X509 *cert, EVP_PKEY *key, char *reason, size_t);
int	 ca_save_cert(const struct config *, const char *certf, X509 *cert,
	    char *reason, size_t);
/* Generates a key from a "rsa:BITS" or "ec:CURVE" spec. */
EVP_PKEY *ca_keygen(const char *spec, char *reason, size_t);

#endif
