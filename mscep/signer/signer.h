/*
 * signer.h - mscep -S, the one process that reads the private keys of
 * the request path: the CA's (and the previous CAs', for their CRLs), the
 * RA signing and encryption keys (the
 * CA's alone in CA-direct mode), the OCSP responder's and, with Module =
 * mdm-challenge, the challenge key (files or
 * pkcs11: references, keyop_open_ref). Workers with [Signer] Socket ask
 * it over the Unix socket (sigwire.h) for each certificate, CRL, OCSP and
 * CertRep signature and each decryption of a request's envelope; it
 * checks each object (sigcheck.h), signs or decrypts it or refuses, and
 * logs one line per request with the worker's transaction ID. It records
 * each certificate's serial in its ledger before signing it, and nothing
 * else: a signer killed mid-request leaves the worker with an error and
 * the store untouched.
 */
#ifndef MSCEP_SIGNER_H
#define MSCEP_SIGNER_H

#include <stddef.h>

#include "ca/ocsp_signer.h"
#include "ca/ra.h"
#include "config/config.h"
#include "signer/ledger.h"
#include "util/util.h"

/* A previous CA (after ca switch) still valid: its CRLs are signed here. */
struct signer_prev {
	X509			*ca;
	struct keyop		*op;
};

struct signer {
	struct config		 cfg;
	struct ra		 ra;		/* the CA's key in ra.ca_op */
	struct signer_prev	*prev;		/* newest first */
	int			 nprev;
	struct ocsp_responder	 ocsp;		/* when [OCSP] Path is set */
	/* Module = mdm-challenge: the key that opens the challenges */
	EVP_PKEY		*challenge_key;
	X509			*challenge_cert;
	/* Module = intune with ClientCertificate: its key, or NULL. */
	struct keyop		*intune_key;
	X509			*intune_cert;
	/* Every certificate signed, by CA and serial (ledger.h). */
	struct ledger		*ledger;
};

/* Loads the configuration and keys; -1 and why. */
int	 signer_open(const char *path, struct signer *, char *reason, size_t);
void	 signer_close(struct signer *);
/*
 * One request frame body in, one answer frame body out (appended): the
 * signed DER, or a refusal or error with its reason. Logs the outcome.
 */
void	 signer_answer(struct signer *, const unsigned char *, size_t,
	    struct buf *out);
/* A pool member (supervise.h): answers connections on fd 0 until killed. */
int	 signer_serve(void *path);
/* 0 when a pool member would start: every key opens; -1 and why. */
int	 signer_keys_check(const char *path, char *reason, size_t);
/* The same for SIGHUP's reload check, logging a refusal. */
int	 signer_check(void *path);

#endif
