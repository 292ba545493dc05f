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
	/* A pkcs11: URI: the CA key is made in that token (RSA only) and
	 * private/ca.key holds the URI; NULL: a key file. */
	const char	*ca_token;
};

int	 ca_init(const struct config *, const struct ca_init_opts *, char *,
	    size_t);
/*
 * Under an organisation's root: the CA key (private/ca.key) and a PKCS#10
 * request for it, named and typed as o says, written to out; the root
 * signs it and mscep-admin ca install brings the certificate.
 */
int	 ca_init_csr(const struct config *, const struct ca_init_opts *,
	    const char *out, char *, size_t);
/* The state folder and private/, refused when ca.crt exists. */
int	 ca_init_dirs(const struct config *, char *, size_t);
/* The RA pairs and the OCSP responder issued by ca, each unless there. */
int	 ca_init_identities(const struct config *, const struct ca_init_opts *,
	    X509 *ca, EVP_PKEY *cakey, char *, size_t);
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
/* ca_keygen, or with token (a pkcs11: URI) an RSA key made in the token. */
EVP_PKEY *ca_keygen_in(const char *spec, const char *token, char *reason,
	    size_t);
/* Writes keyf (0600, must not exist): the reference uri to a key in a
 * token, in place of a key file. */
int	 ca_save_key_ref(const struct config *, const char *keyf,
	    const char *uri, char *reason, size_t);

/* A request, PEM, written whole (file.h; 0644: it is public). 0, or -1
 * with errno set. */
int	 ca_write_csr(const char *path, X509_REQ *);

#endif
