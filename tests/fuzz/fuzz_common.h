/*
 * fuzz_common.h - what the libFuzzer targets in tests/fuzz/ share: a real
 * CA and RA made by the project's own ca_init in a temporary state folder,
 * removal of that folder, and the client side of the protocols (signing
 * and enveloping arbitrary bytes) so that a target can put fuzzed bytes
 * behind a valid signature or envelope and reach the parsers behind them.
 * Nothing here copies project code: the project is linked as it is.
 */
#ifndef MSCEP_FUZZ_COMMON_H
#define MSCEP_FUZZ_COMMON_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config/config.h"
#include "ca/ra.h"
#include "util/util.h"
#include "responder/worker.h"

struct fuzz_state {
	char		 dir[PATH_MAX];	/* "" once removed */
	char		 ini[PATH_MAX + 16];
	struct config	 cfg;
	struct ra	 ra;
};

/*
 * Makes a temporary folder (under $TMPDIR or /tmp) with an INI (the
 * fixture's three templates, then extra_ini), loads it, runs ca_init
 * (ca_key: "rsa:2048", "ec:P-256", ...) and ra_load. Exits on failure:
 * a target without its keys would fuzz nothing.
 */
void	 fuzz_state_open(struct fuzz_state *, const char *extra_ini,
	    const char *ca_key);
/*
 * Writes another INI into the state's folder, for the same state: the
 * base templates with mscep_extra added to [MSCEP], then [Service]
 * StateDir and extra (more [Service] keys, then other sections).
 */
void	 fuzz_state_ini(const struct fuzz_state *, const char *name,
	    const char *mscep_extra, const char *extra, char *path, size_t);
/* Removes the folder (keys stay loaded). */
void	 fuzz_state_remove(struct fuzz_state *);
/* Removes a folder tree; for atexit-style clean-up of other folders. */
void	 fuzz_rmtree(const char *dir);
/* mkdtemp under $TMPDIR or /tmp; exits on failure. */
void	 fuzz_mkdtemp(char *out, size_t size);

/*
 * worker_open on ini, then its store swapped for an in-memory one (and
 * the policy reopened on it): nothing touches the disk while fuzzing.
 * Aborts on failure.
 */
void	 fuzz_worker_open(struct worker *, const char *ini);
/*
 * Records cert in store as pkiop.c does after issuing it (no claim):
 * template_name, txid, the CA key id ca_key; or, approve_id > 0, as
 * mscep-admin approve does for that held request. serial gets its hex.
 * Aborts on failure.
 */
void	 fuzz_record(struct store *, X509 *cert, const char *template_name,
	    const char *txid, const char *ca_key, int64_t approve_id,
	    char *serial, size_t);
/*
 * Appends -close_fd_mask=2 to libFuzzer's command line unless it sets
 * one: targets whose code logs a line per request keep stderr quiet
 * (libFuzzer's own output and sanitizer reports still show).
 */
void	 fuzz_quiet_stderr(int *argc, char ***argv);

/* A key and a certificate issued for it by the state's CA. */
void	 fuzz_identity(struct fuzz_state *, const char *cn, const char *keyspec,
	    const char *ku, X509 **, EVP_PKEY **);
/*
 * A key ready to re-key fuzzed CSRs with: its SubjectPublicKeyInfo and
 * signature AlgorithmIdentifier in DER, made once.
 */
struct fuzz_key {
	EVP_PKEY	*key;		/* borrowed */
	const EVP_MD	*md;		/* NULL for Ed25519 */
	unsigned char	*spki, *alg;
	int		 spki_len, alg_len;
};
/* Fills k for key (md: the CSR signature's digest). Exits on failure. */
void	 fuzz_key_prepare(struct fuzz_key *, EVP_PKEY *, const EVP_MD *);
/*
 * The CSR in der (trailing bytes dropped) with k's public key and, given
 * subject (DER), that subject, signed by k, into out: the request's other
 * bytes stay exactly as fuzzed. Works on the DER, so no key is encoded or
 * parsed per input. -1 when der is no SEQUENCE { SEQUENCE { version,
 * subject, spki, ... }, ... } in definite lengths.
 */
int	 fuzz_csr_rekey(const uint8_t *der, size_t len, const struct fuzz_key *,
	    const unsigned char *subject, size_t subject_len, struct buf *out);

/* A self-signed certificate for key, as a SCEP client makes (§2.3). */
X509	*fuzz_self_signed(EVP_PKEY *, const char *cn);

/*
 * A PKIOperation signed by (key, cert) with messageType, transactionID and
 * a fixed senderNonce, carrying content (the pkcsPKIEnvelope) as is.
 */
int	 fuzz_sign_pkimessage(EVP_PKEY *, X509 *, const EVP_MD *, int msgtype,
	    const char *txid, const unsigned char *content, size_t len,
	    struct buf *out);
/* A CMS EnvelopedData of inner to recipient (RSA; oaep: RSAES-OAEP). */
int	 fuzz_envelope(X509 *recipient, const EVP_CIPHER *, int oaep,
	    const unsigned char *inner, size_t len, struct buf *out);

/* The challenge blob's layers (docs/challenge.md), from the MDM's side. */
int	 fuzz_cms_sign_keyid(EVP_PKEY *, X509 *, const unsigned char *,
	    size_t, struct buf *out);
int	 fuzz_auth_envelope(X509 *recipient, const unsigned char *, size_t,
	    struct buf *out);
/* base64 of der, NUL-terminated; caller frees. */
char	*fuzz_base64(const unsigned char *, size_t);

/* A NUL-terminated copy of fuzz input (exact size, so ASan sees overreads). */
char	*fuzz_strndup(const uint8_t *, size_t);

#endif
