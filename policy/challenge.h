/*
 * challenge.h - mscep's signed, encrypted enrollment challenge: what an
 * MDM puts in a device profile and the device copies, unread, into its
 * CSR's challengePassword (the Intune model). docs/challenge.md defines
 * the format; this is the C API for MDMs (challenge_issue) and for the
 * policy module (challenge_open).
 *
 *   blob = base64( CMS AuthEnvelopedData, AES-256-GCM, to mscep's
 *                  challenge key (EC P-256 ECDH or RSA-OAEP)
 *            ( CMS SignedData by the MDM signing key, signer by key id
 *                ( DER MscepChallenge ) ) )
 */
#ifndef MSCEP_CHALLENGE_H
#define MSCEP_CHALLENGE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/keyops.h"

#define CHALLENGE_NONCE_LEN	16
#define CHALLENGE_B64_MAX	8192	/* what mscep reads from a CSR */

/* What the MDM expects of the CSR, and for whom. */
struct challenge_claims {
	unsigned char	 nonce[CHALLENGE_NONCE_LEN];
	int64_t		 issued_at;		/* seconds since the epoch */
	int64_t		 expires_at;
	char		 device_id[128];
	char		 profile[64];		/* the template it is for */
	X509_NAME	*subject;		/* owned */
	GENERAL_NAMES	*sans;			/* owned; NULL or empty: none */
	int		 key_usage;		/* X509v3 KU bits, -1: any */
	char		 sid[192];		/* "" or S-1-5-21-... */
};

/* Why a blob was refused: names as the Intune connector reports them. */
enum challenge_err {
	CHALLENGE_OK = 0,
	CHALLENGE_DECODING,		/* ChallengeDecodingError */
	CHALLENGE_DECRYPTION,		/* ChallengeDecryptionError */
	CHALLENGE_SIGNATURE,		/* SignatureValidationFailed */
	CHALLENGE_DESERIALIZATION,	/* ChallengeDeserializationError */
	CHALLENGE_NOT_YET_VALID,	/* ChallengeInvalidTimestamp */
	CHALLENGE_EXPIRED,		/* ChallengeExpired */
};

void	 challenge_claims_free(struct challenge_claims *);
const char *challenge_err_code(enum challenge_err);

/*
 * Signs and encrypts claims (a fresh nonce is drawn when it is all
 * zero) into base64 in *out (caller frees with OPENSSL_free).
 */
int	 challenge_issue(struct challenge_claims *, EVP_PKEY *sign_key,
	    X509 *sign_cert, X509 *recipient, char **out, char *reason,
	    size_t);

/*
 * Decrypts with (key, cert), verifies the signature by one of signers
 * (chaining to trust), decodes and checks the time window with skew
 * seconds of tolerance. On CHALLENGE_OK, claims is filled (caller frees).
 */
enum challenge_err challenge_open(const char *b64, EVP_PKEY *key, X509 *cert,
	    STACK_OF(X509) *signers, X509_STORE *trust, int64_t now, int skew,
	    struct challenge_claims *, char *reason, size_t);
/* The same, decrypting through the key-operations interface (keyops.h):
 * what the policy module does on the request path. */
enum challenge_err challenge_open_op(const char *b64, struct keyop *key,
	    X509 *cert, STACK_OF(X509) *signers, X509_STORE *trust,
	    int64_t now, int skew, struct challenge_claims *, char *reason,
	    size_t);

/* Parses "dns:x", "email:x", "upn:x", "uri:x", "ip:x" into a SAN. */
GENERAL_NAME *challenge_san_parse(const char *);

#endif
