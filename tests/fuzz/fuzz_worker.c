/*
 * fuzz_worker.c - one request through worker_handle (mscep/worker.c), as
 * main.c hands it over from FastCGI: routing on operation=, GetCACaps,
 * GetCACert, the landing and password pages, and PKIOperation by GET
 * (message= in the query: query_get, percent and base64 decoding in
 * pkiop.c's message_bytes) or POST, decoding, the message types, policy,
 * issuance, the store and the CertRep.
 *
 * Five workers are opened by worker_open on one state folder made by
 * ca_init, each with its own INI, and their stores are swapped for
 * in-memory ones (events, passwords and certificates land there; nothing
 * touches the disk while fuzzing); then the folder is removed:
 *   0: NDES one-time passwords (PasswordMax 3); the password
 *      1ED0DD50F7459D6E is put back before each request to it;
 *   1: EnforcePassword = 0 (issues whatever passes the checks),
 *      CertRepIncludeCA, SHA-512 certificates;
 *   2: UseSinglePassword = 1 with the password FUZZ-SINGLE-PASSWORD,
 *      MaxMessageSize 2048, the password page in UTF-8 over HTTP, users
 *      without case;
 *   3: the intune policy module (plain GETs answer 403);
 *   4: CADirect = 1, EnforcePassword = 0, NoKeyUsageTemplate = Reject.
 *
 * Input: a flags byte, then "METHOD URI" up to the first '\n', then the
 * body (POST only, as main.c reads it). The query string is what follows
 * the first '?' in URI (none without one).
 *   bit 0: HTTPS=on;
 *   bits 1-2: REMOTE_USER: none, alice, example\BOB, mallory;
 *   bit 3: the body is "T C inner" as in fuzz_pkiop's second form: inner
 *       (a PKCSReq's CSR is given the client's key and re-signed, as a
 *       client makes it, unless C says not to) is enveloped to the
 *       worker's RA, signed as messageType T and sent as the POST body,
 *       or for any other method appended to the query as message=base64.
 *       A mutated message never gets past its signature; this does;
 *   bit 4: a fixed transactionID (resubmissions) instead of one per input;
 *   bits 5-7: the worker (modulo 5).
 * C: bits 0-1 AES-128, AES-256, 3DES, DES; bit 2 RSA-OAEP; bit 3 SHA-1
 * instead of SHA-256; bit 4 keep the CSR's own key (signer and CSR key
 * then differ); bit 5 the RSA client key instead of the EC one.
 *
 * Every request logs a line on stderr; -close_fd_mask=2 is added to the
 * command line (libFuzzer's own output and sanitizer reports still show).
 */
#include "fuzz_common.h"
#include "ca_init.h"
#include "log.h"
#include "policy.h"
#include "policy_intune.h"
#include "policy_password.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#define NWORKERS	5
#define OTP		"1ED0DD50F7459D6E"
#define SINGLE		"FUZZ-SINGLE-PASSWORD"

static struct worker	 workers[NWORKERS];
static EVP_PKEY		*ec_key, *rsa_key;
static X509		*ec_cert, *rsa_cert;
static char		 otp_hash[65];

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What mscep-admin mdm-init leaves for the intune module. */
static void
mdm_files(struct fuzz_state *st)
{
	X509		*sign, *enc;
	EVP_PKEY	*sk, *ek;
	char		 reason[512] = "";
	FILE		*f;

	fuzz_identity(st, "MDM signer", "ec:P-256", "critical,digitalSignature",
	    &sign, &sk);
	fuzz_identity(st, "mscep challenge", "ec:P-256",
	    "critical,keyAgreement", &enc, &ek);
	if (ca_save_pair(&st->cfg, CHALLENGE_CERT, CHALLENGE_KEY, enc, ek,
	    reason, sizeof(reason)) != 0 ||
	    (f = fopen(st->cfg.challenge_signers, "w")) == NULL ||
	    !PEM_write_X509(f, sign) || fclose(f) != 0) {
		fprintf(stderr, "fuzz: %s\n", reason);
		abort();
	}
	X509_free(sign);
	X509_free(enc);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(ek);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct {
		const char	*mscep, *extra;
	} inis[NWORKERS] = {
		{ "PasswordMax = 3\n", "AllowDES = 1\n[PasswordPage]\n"
		  "Users = alice, EXAMPLE\\bob\nEncoding = UTF-16LE\n" },
		{ "EnforcePassword = 0\n", "AllowDES = 1\nCertRepIncludeCA = 1\n"
		  "HashAlgorithm = sha512\nBackdateMinutes = 0\n" },
		{ "UseSinglePassword = 1\n", "MaxMessageSize = 2048\n"
		  "[PasswordPage]\nUsers = alice, EXAMPLE\\bob\n"
		  "UsersIgnoreCase = 1\nRequireHTTPS = 0\nEncoding = UTF-8\n" },
		{ NULL, "[Policy]\nModule = intune\n" },
		{ "EnforcePassword = 0\n", "CADirect = 1\n"
		  "NoKeyUsageTemplate = Reject\n" },
	};
	struct fuzz_state	 st;
	char			 ini[PATH_MAX + 16], name[32], hash[65];
	char			 reason[256];
	int			 i;

	fuzz_quiet_stderr(argc, argv);
	fuzz_state_open(&st, NULL, "rsa:2048");
	mdm_files(&st);
	for (i = 0; i < NWORKERS; i++) {
		snprintf(name, sizeof(name), "worker%d.ini", i);
		fuzz_state_ini(&st, name, inis[i].mscep, inis[i].extra, ini,
		    sizeof(ini));
		fuzz_worker_open(&workers[i], ini);
	}
	if (workers[1].cfg.enforce_password || !workers[2].cfg.use_single_password ||
	    !workers[4].ra.direct || !policy_hides_landing_page(workers[3].policy))
		abort();
	ra_free(&st.ra);
	config_free(&st.cfg);
	fuzz_state_remove(&st);
	password_hash(OTP, otp_hash);
	password_hash(SINGLE, hash);
	if (store_password_set_single(workers[2].store, hash, now_seconds()) !=
	    STORE_OK)
		abort();
	if ((ec_key = keygen("ec:P-256", reason, sizeof(reason))) == NULL ||
	    (rsa_key = keygen("rsa:2048", reason, sizeof(reason))) == NULL)
		abort();
	ec_cert = fuzz_self_signed(ec_key, "fuzz device");
	rsa_cert = fuzz_self_signed(rsa_key, "fuzz router");
	return 0;
}

static const EVP_CIPHER *
cipher(uint8_t c)
{
	switch (c & 3) {
	case 1:
		return EVP_aes_256_cbc();
	case 2:
		return EVP_des_ede3_cbc();
	case 3:
		return EVP_des_cbc();
	default:
		return EVP_aes_128_cbc();
	}
}

/* A PKIOperation from "T C inner" (see the top of this file). */
static int
wrap(const struct worker *w, const uint8_t *p, size_t n, int fixed_txid,
    struct buf *msg)
{
	const unsigned char	*q;
	unsigned char		 md[SHA_DIGEST_LENGTH], *der = NULL;
	struct buf		 env = { 0 };
	X509_REQ		*csr = NULL;
	EVP_PKEY		*key;
	X509			*cert;
	char			 txid[2 * SHA_DIGEST_LENGTH + 1];
	int			 len, rc = -1;

	if (n < 2)
		return -1;
	key = (p[1] & 32) ? rsa_key : ec_key;
	cert = (p[1] & 32) ? rsa_cert : ec_cert;
	if (fixed_txid)
		snprintf(txid, sizeof(txid), "FUZZ-RESUBMIT");
	else {
		SHA1(p, n, md);
		hex_encode(md, sizeof(md), txid);
	}
	q = p + 2;
	if (p[0] == 19 && !(p[1] & 16) &&
	    (csr = d2i_X509_REQ(NULL, &q, (long)(n - 2))) != NULL) {
		/* §2.3: the client signs with the CSR's key. */
		if (X509_REQ_set_pubkey(csr, key) != 1 ||
		    X509_REQ_sign(csr, key, EVP_sha256()) <= 0 ||
		    (len = i2d_X509_REQ(csr, &der)) <= 0)
			goto out;
		rc = fuzz_envelope(w->ra.enc_cert, cipher(p[1]), p[1] & 4,
		    der, (size_t)len, &env);
	} else
		rc = fuzz_envelope(w->ra.enc_cert, cipher(p[1]), p[1] & 4,
		    p + 2, n - 2, &env);
	if (rc == 0)
		rc = fuzz_sign_pkimessage(key, cert, (p[1] & 8) ? EVP_sha1() :
		    EVP_sha256(), p[0], txid, env.p, env.len, msg);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	X509_REQ_free(csr);
	buf_free(&env);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const users[] = { NULL, "alice", "example\\BOB",
	    "mallory" };
	struct worker	*w;
	struct http_req	 req;
	struct http_resp resp;
	struct buf	 msg = { 0 };
	const uint8_t	*nl;
	char		*line, *sp, *q, *query = NULL, *b64;
	size_t		 n;
	uint8_t		 flags;

	if (size < 1)
		return 0;
	flags = data[0];
	w = &workers[(flags >> 5) % NWORKERS];
	if (w == &workers[0])
		/* Fails when it is still there or the cache is full. */
		(void)store_password_add(w->store, otp_hash, now_seconds(),
		    now_seconds() + 3600, w->cfg.password_max);
	data++;
	size--;
	nl = memchr(data, '\n', size);
	n = nl ? (size_t)(nl - data) : size;
	line = fuzz_strndup(data, n);
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = line;
	req.request_uri = "";
	if ((sp = strchr(line, ' ')) != NULL) {
		*sp = '\0';
		req.request_uri = sp + 1;
	}
	if ((q = strchr(req.request_uri, '?')) != NULL)
		req.query = q + 1;
	req.path_info = "";
	req.https = flags & 1;
	req.remote_user = users[(flags >> 1) & 3];
	if ((flags & 8) && nl != NULL) {
		if (wrap(w, nl + 1, size - n - 1, flags & 16, &msg) != 0)
			goto out;
		if (strcmp(req.method, "POST") == 0) {
			req.body = msg.p;
			req.body_len = msg.len;
		} else {
			if ((b64 = fuzz_base64(msg.p, msg.len)) == NULL ||
			    (query = malloc(strlen(req.query ? req.query : "") +
			    strlen(b64) + 16)) == NULL)
				abort();
			sprintf(query, "%s&message=%s", req.query ? req.query :
			    "", b64);
			free(b64);
			req.query = query;
		}
	} else if (strcmp(req.method, "POST") == 0 && nl != NULL) {
		req.body = nl + 1;
		req.body_len = size - n - 1;
	}
	worker_handle(w, &req, &resp);
	/* 404: GetNextCACert without a next CA (worker.c). */
	switch (resp.status) {
	case 200: case 400: case 403: case 404: case 405: case 409: case 413:
	case 414: case 500:
		break;
	default:
		abort();
	}
	if (resp.content_type == NULL || (resp.body.len > 0 &&
	    resp.body.p == NULL))
		abort();
	http_resp_free(&resp);
out:
	free(query);
	buf_free(&msg);
	free(line);
	ERR_clear_error();
	return 0;
}
