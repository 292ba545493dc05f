/*
 * fuzz_pkiop.c - message_decode (mscep/scep/message.c), the PKIOperation
 * decoder, against a real RA made once by the project's ca_init.
 *
 * Three input forms, told apart by the first byte (a DER ContentInfo
 * always starts with 0x30, so the raw form loses nothing):
 *
 *   anything but 0x01 or 0x02: the POST body as it comes off the wire:
 *       outer SignedData, SCEP attributes, signature, envelope, request;
 *   0x01 T C inner: inner (a CSR for PKCSReq 19 and RenewalReq 17, an
 *       IssuerAndSubject for CertPoll 20, an IssuerAndSerialNumber for
 *       GetCert 21 and GetCRL 22, or anything) enveloped to the RA
 *       encryption certificate with cipher C and signed as messageType T
 *       by a client key. A mutated body never gets past the signature
 *       check, so this is how parse_inner sees fuzzed requests; a client
 *       can send them;
 *   0x02 env: env, as the pkcsPKIEnvelope, signed as a PKCSReq: the
 *       envelope inspection and decryption with arbitrary EnvelopedData.
 *
 * C: bits 0-1 AES-128, AES-256, 3DES, DES (with AllowDES); bit 2 RSA-OAEP;
 * bits 4-5 the signing digest (SHA-256, SHA-1, SHA-512, SHA-384).
 * A decoded message must carry what pkiop.c relies on for its type, and
 * only the five types parse_inner knows decode. The GET form (message=
 * in the query) and what follows decoding go through fuzz_worker.
 */
#include "fuzz_common.h"
#include "ca/ca_init.h"
#include "scep/message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/provider.h>

static struct fuzz_state	 st;
static EVP_PKEY			*client_key;
static X509			*client_cert;
static int			 have_des;
static OSSL_PROVIDER		*legacy, *deflt;

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Unloaded at exit, as worker_close does: with libcurl linked in (the
 * intune module), krb5's libk5crypto comes along, and a legacy provider
 * still loaded at exit leaves its tables to LeakSanitizer.
 */
static void
unload_providers(void)
{
	if (legacy != NULL)
		OSSL_PROVIDER_unload(legacy);
	if (deflt != NULL)
		OSSL_PROVIDER_unload(deflt);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 reason[REASON_MAX];

	(void)argc;
	(void)argv;
	/* DES-CBC lives in the legacy provider, as in worker_open. */
	have_des = (legacy = OSSL_PROVIDER_load(NULL, "legacy")) != NULL &&
	    (deflt = OSSL_PROVIDER_load(NULL, "default")) != NULL;
	atexit(unload_providers);
	ERR_clear_error();
	fuzz_state_open(&st, NULL, "rsa:2048");
	/* Everything is in memory now: nothing is left behind on a crash. */
	fuzz_state_remove(&st);
	/* An EC client key: signing per input must be cheap. */
	if ((client_key = ca_keygen("ec:P-256", reason, sizeof(reason))) == NULL)
		abort();
	client_cert = fuzz_self_signed(client_key, "fuzz client");
	return 0;
}

static void
check_result(enum decode_result rc, const struct scep_req *req,
    enum scep_failinfo fail, const char *reason)
{
	if (memchr(reason, '\0', REASON_MAX) == NULL)
		abort();
	switch (rc) {
	case DECODE_OK:
		/* What pkiop.c relies on after a successful decode. */
		if (req->signer == NULL || !message_digest_allowed(req->digest_nid) ||
		    req->nonce_len <= 0 || req->txid[0] == '\0')
			abort();
		if ((req->msg_type == 19 || req->msg_type == 17) &&
		    req->csr == NULL)
			abort();
		if (req->msg_type == 20 &&
		    (req->issuer == NULL || req->subject == NULL))
			abort();
		if ((req->msg_type == 21 || req->msg_type == 22) &&
		    (req->issuer == NULL || req->serial == NULL))
			abort();
		if (req->msg_type != 17 && req->msg_type != 19 &&
		    req->msg_type != 20 && req->msg_type != 21 &&
		    req->msg_type != 22)
			abort();
		break;
	case DECODE_FAILURE:
		if (fail == FAIL_NONE)
			abort();
		break;
	case DECODE_HTTP_ERROR:
		break;
	default:
		abort();
	}
}

static void
decode(const unsigned char *der, size_t len, int allow_des)
{
	struct scep_req		 req;
	enum scep_failinfo	 fail;
	enum decode_result	 rc;
	char			 reason[REASON_MAX];

	reason[0] = '\0';
	rc = message_decode(der, len, &st.ra, allow_des, &req, &fail, reason,
	    sizeof(reason));
	check_result(rc, &req, fail, reason);
	scep_req_free(&req);
	ERR_clear_error();
}

static const EVP_MD *
digest(uint8_t c)
{
	switch ((c >> 4) & 3) {
	case 1:
		return EVP_sha1();
	case 2:
		return EVP_sha512();
	case 3:
		return EVP_sha384();
	default:
		return EVP_sha256();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 env = { 0 }, msg = { 0 };
	const EVP_CIPHER *cipher;
	uint8_t		 type, c;

	if (size < 1)
		return 0;
	if (data[0] != 0x01 && data[0] != 0x02) {
		decode(data, size, 0);
		return 0;
	}
	if (data[0] == 0x02) {
		if (fuzz_sign_pkimessage(client_key, client_cert, EVP_sha256(),
		    19, "FUZZ-ENVELOPE", data + 1, size - 1, &msg) == 0)
			decode(msg.p, msg.len, 1);
		buf_free(&msg);
		return 0;
	}
	if (size < 3)
		return 0;
	type = data[1];
	c = data[2];
	switch (c & 3) {
	case 0:
		cipher = EVP_aes_128_cbc();
		break;
	case 1:
		cipher = EVP_aes_256_cbc();
		break;
	case 2:
		cipher = EVP_des_ede3_cbc();
		break;
	default:
		if (!have_des)
			return 0;
		cipher = EVP_des_cbc();
		break;
	}
	if (fuzz_envelope(st.ra.enc_cert, cipher, (c & 4) != 0, data + 3,
	    size - 3, &env) == 0 &&
	    fuzz_sign_pkimessage(client_key, client_cert, digest(c), type,
	    "FUZZ-INNER", env.p, env.len, &msg) == 0)
		decode(msg.p, msg.len, (c & 3) == 3);
	buf_free(&env);
	buf_free(&msg);
	return 0;
}
