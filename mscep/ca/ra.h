/*
 * ra.h - the issuing CA and the two NDES-style RA identities, loaded once
 * per worker from the state folder. NDES enrolls an "Exchange Enrollment
 * Agent (Offline request)" certificate to sign and a "CEP Encryption"
 * certificate to decrypt; in CA-direct mode the CA key does both.
 */
#ifndef MSCEP_RA_H
#define MSCEP_RA_H

#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/keyops.h"
#include "config/config.h"
#include "util/file.h"

#define RA_CA_CERT	"ca.crt"
#define RA_CA_KEY	"private/ca.key"
/* Under an organisation's root (mscep-admin ca install|import): the CAs
 * above ca.crt, issuer after subject, the root last. */
#define RA_CA_CHAIN	"ca-chain.crt"
#define RA_SIGN_CERT	"ra-sign.crt"
#define RA_SIGN_KEY	"private/ra-sign.key"
#define RA_ENC_CERT	"ra-enc.crt"
#define RA_ENC_KEY	"private/ra-enc.key"
/* After `mscep-admin ca switch`: previous/<UTC time>/ca.crt, ... */
#define RA_PREV_DIR	"previous"
/* The CA key index (AD CS's): absent for the first key, n after n
 * switches; it names the key's CRL (mscep(n).crl). */
#define RA_CA_INDEX	"ca-index"
#define RA_CA_INDEX_MAX	9999

struct ra {
	X509		*ca;
	EVP_PKEY	*ca_key;
	/* In CA-direct mode these point at ca/ca_key and are not owned. */
	X509		*sign_cert;
	EVP_PKEY	*sign_key;
	X509		*enc_cert;
	EVP_PKEY	*enc_key;
	/*
	 * The key operations the request path uses (keyops.h): in-process
	 * keys wrapping the EVP_PKEYs above, as ra_load makes them; with
	 * ra_load_worker and a signer, all three are the signer's and no
	 * key is loaded (ca_key, sign_key and enc_key stay NULL).
	 */
	struct keyop	*ca_op;
	struct keyop	*sign_op;
	struct keyop	*enc_op;
	int		 direct;
	char		 ca_key_id[41];	/* hex SHA-1 of the CA's public key,
					   recorded with what it issues */
	int		 ca_index;	/* ca-index: which key this is */
	/* IncludeCDP's extension for a CA key after the first: [CRL] URL
	 * named for ca_index; NULL for key 0 (templates' own) */
	X509_EXTENSION	*cdp;
	/*
	 * CAs this one replaced (previous/<time>/ca.crt), newest first;
	 * certificates only: what they issued may still be presented.
	 */
	STACK_OF(X509)	*prev_ca;
	/* ca-chain.crt, empty for a self-signed CA: what GetCACert adds
	 * after the issuing CA (the root only with GetCACertIncludeRoot). */
	STACK_OF(X509)	*chain;
	/* notBefore/notAfter (epoch seconds) of the CA, signing and
	 * encryption certificates, read once by ra_load: each request
	 * compares times only. */
	int64_t		 valid_from[3], valid_until[3];
};

/* Days ahead of a CA or RA certificate's end that check and the worker
 * warn. */
#define RA_EXPIRY_WARN_DAYS	30
/*
 * Whether the CA and RA certificates are valid at now: 0 when they are,
 * 1 when one ends within warn_days (reason says which and when), -1 when
 * one has expired or is not yet valid (nothing may be issued).
 */
int	 ra_check_validity(const struct ra *, int64_t now, int warn_days,
	    char *reason, size_t);

/* A prepared next CA (mscep-admin ca rollover), and the mark of a switch. */
#define ROLL_NEXT_DIR	"next"
#define ROLL_SWITCHING	"switching"	/* in next/: a switch has begun */
/*
 * 1 (and why) while a switch has begun and not finished: the files may
 * be of two CA generations, so nothing may load them (ra_load refuses).
 */
int	 ra_switching(const struct config *, char *reason, size_t);
int	 ra_load(const struct config *, struct ra *, char *reason, size_t);
/*
 * As ra_load for a worker: with [Signer] Socket set every private key is
 * left to the signer (certificates only; ca_op, sign_op and enc_op ask
 * mscep -S), in CA-direct mode too.
 */
int	 ra_load_worker(const struct config *, struct ra *, char *reason,
	    size_t);
/* The signer's (mscep -S): as ra_load, every key and certificate. */
int	 ra_load_signer(const struct config *, struct ra *, char *reason,
	    size_t);
void	 ra_free(struct ra *);
/* Appends the certificates of a PEM file to out; 0 when the file is
 * missing and missing_ok. */
int	 ra_read_certs(const char *path, int missing_ok, STACK_OF(X509) *out,
	    char *reason, size_t);
/*
 * Appends to out the CA certificates of previous/ (mscep-admin ca
 * switch), newest first, leaving out current.
 */
int	 ra_load_prev(const struct config *, X509 *current, STACK_OF(X509) *out,
	    char *reason, size_t);
/*
 * Calls fn with each previous generation's folder and CA certificate,
 * newest first, leaving out current; fn does not own ca and returns
 * non-zero to fail (out of memory).
 */
int	 ra_each_prev(const struct config *, X509 *current,
	    int (*fn)(const char *dir, X509 *ca, void *), void *,
	    char *reason, size_t);
/* The CA key index of a generation's folder dir (the state folder, next/
 * or previous/<time>); without its file, from the generation's place. */
int	 ra_read_index(const struct config *, const char *dir, int *index,
	    char *reason, size_t);
/* Hex SHA-1 of a CA's public key, as the store records it. */
int	 ra_key_id(X509 *ca, char out[41]);
/* The CA, current or previous, whose key signed x; NULL: none of them. */
X509	*ra_issuer(const struct ra *, X509 *x);

int	 ra_read_cert(const char *, X509 **);
int	 ra_read_key(const char *, EVP_PKEY **);
/*
 * PEM files, staged or written as file.h does: a key (0600: only the
 * process that signs reads it) or n certificates in order (0644). 0, or
 * -1 with errno set.
 */
int	 ra_pem_stage(struct file_stage *, const char *path, X509 *const *certs,
	    int n, EVP_PKEY *key);
int	 ra_pem_write(const char *path, X509 *const *certs, int n,
	    EVP_PKEY *key, int flags);

#endif
