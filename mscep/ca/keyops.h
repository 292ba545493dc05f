/*
 * keyops.h - the key-operations interface: every use of a private key on
 * the request path (sign a certificate or a CRL as the CA, sign CertRep
 * and GetNextCACert as the RA, decrypt a key transport with the RA
 * encryption key, sign an OCSP answer as the responder) goes through a
 * struct keyop, whatever holds the key; so does opening an offline
 * challenge (policy/challenge.c) with the challenge key, and signing the
 * Intune connector's client assertion (policy/intune_auth.c). Backends plug in with an
 * operations table: in-process keys (keyops_inproc.c, a PEM file or a
 * PKCS#11 token) or the signer process (keyops_remote.c, mscep -S), and
 * the callers do not change.
 */
#ifndef MSCEP_KEYOPS_H
#define MSCEP_KEYOPS_H

#include <stddef.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

/* What a key is for: a backend may refuse an operation outside its role. */
enum keyop_role {
	KEYOP_CA,		/* certificates and CRLs */
	KEYOP_RA_SIGN,		/* CertRep, GetNextCACert */
	KEYOP_RA_ENC,		/* the requests' key transport */
	KEYOP_OCSP,		/* OCSP answers */
	KEYOP_CHALLENGE,	/* offline challenges */
	KEYOP_INTUNE,		/* the Entra ID client assertion (RS256) */
};

struct keyop;

struct keyop_ops {
	const char	*name;
	int	(*sign_cert)(struct keyop *, X509 **, const EVP_MD *);
	int	(*sign_crl)(struct keyop *, X509_CRL *, const EVP_MD *);
	int	(*sign_ocsp)(struct keyop *, OCSP_BASICRESP *, X509 *signer,
		    const EVP_MD *, unsigned long flags);
	CMS_SignerInfo *(*cms_signer)(struct keyop *, CMS_ContentInfo *,
		    X509 *signer, const EVP_MD *, unsigned int flags);
	int	(*cms_final)(struct keyop *, CMS_ContentInfo *,
		    CMS_SignerInfo *, BIO *data);
	int	(*cms_decrypt)(struct keyop *, CMS_ContentInfo *,
		    X509 *recipient, BIO *out, unsigned int flags);
	int	(*sign_jwt)(struct keyop *, const char *input, size_t,
		    unsigned char **sig, size_t *siglen);
	void	(*free)(struct keyop *);
};

/* What each signature is logged with at the signer (a transactionID). */
#define KEYOP_CONTEXT_MAX	128

/* The first member of every backend's handle. */
struct keyop {
	const struct keyop_ops	*ops;
	enum keyop_role		 role;
	char			 context[KEYOP_CONTEXT_MAX + 1];
	int			 unavailable;	/* keyop_unavailable */
};

/*
 * In-process: the key is in this process's memory (pkey gets a reference
 * of its own). NULL when out of memory.
 */
struct keyop	*keyop_inproc(EVP_PKEY *, enum keyop_role);
/* In-process, read from a PEM file; NULL and why when it cannot be read. */
struct keyop	*keyop_inproc_file(const char *path, enum keyop_role,
		    char *reason, size_t);
/*
 * A key by reference: a pkcs11: URI (keyops_pkcs11.h) or a PEM file; a
 * file whose first line is a pkcs11: URI stands for that key in a token
 * (what mscep-admin init --in-token leaves in the state folder). NULL
 * and why (wrong PIN, no token, no such object, unreadable file).
 */
EVP_PKEY	*keyop_load_ref(const char *ref, char *reason, size_t);
struct keyop	*keyop_open_ref(const char *ref, enum keyop_role,
		    char *reason, size_t);
/* The key of a token: keyop_load_ref's key, operated on in-process. */
struct keyop	*keyop_pkcs11(const char *uri, enum keyop_role, char *reason,
		    size_t);
/*
 * The signer's (mscep -S) key for role, behind the Unix socket path: each
 * operation connects, sends what is to be signed (sigwire.h) and waits
 * timeout_ms at most. cert is the key's certificate (borrowed: it must
 * outlive the handle): answers are verified against it. NULL when out
 * of memory.
 */
struct keyop	*keyop_remote(const char *path, int timeout_ms,
		    enum keyop_role, X509 *cert);
void		 keyop_free(struct keyop *);
/* 1 when the last operation failed because the key's holder could not
 * be reached or did not answer in time (the signer stopped or hung), as
 * opposed to a refusal: the caller answers "retry later". */
int		 keyop_unavailable(const struct keyop *);
/* Sets what the next operations are logged with at the signer: printable
 * ASCII, cut at KEYOP_CONTEXT_MAX; NULL or "" clears it. */
void		 keyop_set_context(struct keyop *, const char *);

/*
 * Each returns what the OpenSSL call it stands for returns.
 * keyop_sign_cert signs *x; a backend may put the signed certificate in
 * a new object instead, freeing the old one (the signer's: decoding the
 * answer once costs less than decoding it over the caller's object). On
 * failure *x is the caller's object, unsigned.
 */
int		 keyop_sign_cert(struct keyop *, X509 **, const EVP_MD *);
int		 keyop_sign_crl(struct keyop *, X509_CRL *, const EVP_MD *);
int		 keyop_sign_ocsp(struct keyop *, OCSP_BASICRESP *,
		    X509 *signer, const EVP_MD *, unsigned long flags);
/* Adds a SignerInfo for signer to cms (CMS_add1_signer); flags must
 * hold CMS_PARTIAL: keyop_cms_final signs. */
CMS_SignerInfo	*keyop_cms_signer(struct keyop *, CMS_ContentInfo *,
		    X509 *signer, const EVP_MD *, unsigned int flags);
/* Embeds the content of data (a memory BIO) and signs si, the one
 * SignerInfo keyop_cms_signer added (CMS_final's work); 1 when done. */
int		 keyop_cms_final(struct keyop *, CMS_ContentInfo *,
		    CMS_SignerInfo *si, BIO *data);
/* Decrypts an (Auth)EnvelopedData addressed to recipient into out. */
int		 keyop_cms_decrypt(struct keyop *, CMS_ContentInfo *,
		    X509 *recipient, BIO *out, unsigned int flags);
/*
 * RS256 (RSASSA-PKCS1-v1_5, SHA-256; RFC 7518 3.3) over a JWT's signing
 * input, "header.payload": *sig is malloc'd; 1 when signed. The signer
 * signs only the Intune client assertion its configuration describes.
 */
int		 keyop_sign_jwt(struct keyop *, const char *input, size_t,
		    unsigned char **sig, size_t *siglen);

#endif
