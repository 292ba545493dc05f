/*
 * fuzz_worker.c - one request through worker_handle (mscep/worker.c), as
 * main.c hands it over from FastCGI: routing on operation=, GetCACaps,
 * GetCACert, the landing and password pages, and PKIOperation by GET
 * (message= in the query: query_get, percent and base64 decoding in
 * pkiop.c's message_bytes) or POST, decoding, the message types and the
 * CertRep. Two workers are opened by worker_open on a state folder made
 * by ca_init (one with NDES one-time passwords, one with
 * EnforcePassword = 0, which issues whatever passes the checks), then
 * their stores are swapped for in-memory ones (events, passwords and
 * certificates land there; nothing touches the disk while fuzzing) and
 * the folder is removed.
 *
 * Input: a flags byte, then "METHOD URI" up to the first '\n', then the
 * body (POST only, as main.c reads it). The query string is what follows
 * the first '?' in URI.
 *   flags bit 0: HTTPS=on; bit 1: REMOTE_USER=alice (allowed by the
 *   INI); bit 2: no QUERY_STRING at all when URI has no '?';
 *   bit 3: the body is "T C inner" as in fuzz_pkiop's second form: inner
 *   (a PKCSReq's CSR is first given the client's key and re-signed, as a
 *   client would make it) is enveloped to the RA, signed as messageType T
 *   and sent as the POST body, or for any other method appended to the
 *   query as message=base64. This reaches PKCSReq, CertPoll and GetCert
 *   handling, issuance, the store and the CertRep, which a mutated
 *   message never does (any change breaks its signature);
 *   bit 4: a fixed transactionID (resubmissions) instead of one per input;
 *   bit 5: the EnforcePassword = 0 worker.
 *
 * Every request logs a line on stderr; -close_fd_mask=2 is added to the
 * command line (libFuzzer's own output and sanitizer reports still show).
 */
#include "fuzz_common.h"
#include "ca_init.h"
#include "log.h"
#include "policy.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/sha.h>

static struct worker	 w_otp, w_open;
static EVP_PKEY		*client_key;
static X509		*client_cert;

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Appends -close_fd_mask=2 unless the command line sets it. */
static void
quiet_stderr(int *argc, char ***argv)
{
	static char	 flag[] = "-close_fd_mask=2";
	char		**nargv;
	int		 i;

	for (i = 1; i < *argc; i++)
		if (strncmp((*argv)[i], "-close_fd_mask=", 15) == 0)
			return;
	if ((nargv = calloc((size_t)*argc + 2, sizeof(*nargv))) == NULL)
		abort();
	nargv[0] = (*argv)[0];
	nargv[1] = flag;
	for (i = 1; i < *argc; i++)
		nargv[i + 1] = (*argv)[i];
	(*argc)++;
	*argv = nargv;
}

static void
open_worker(struct worker *w, const char *ini)
{
	char	 reason[512] = "";

	if (worker_open(w, ini, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "fuzz: worker_open: %s\n", reason);
		abort();
	}
	policy_close(w->policy);
	store_close(w->store);
	if (store_open(":memory:", &w->store, reason, sizeof(reason)) != 0 ||
	    policy_open(&w->cfg, w->store, &w->policy, reason,
	    sizeof(reason)) != 0) {
		fprintf(stderr, "fuzz: %s\n", reason);
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char extra[] = "AllowDES = 1\n"
	    "[PasswordPage]\nUsers = alice, EXAMPLE\\bob\n"
	    "Encoding = UTF-16LE\n";
	struct fuzz_state	 st;
	char			 ini[PATH_MAX + 16], reason[256];
	FILE			*in, *out;
	int			 c;

	quiet_stderr(argc, argv);
	fuzz_state_open(&st, extra, "rsa:2048");
	ra_free(&st.ra);
	config_free(&st.cfg);
	open_worker(&w_otp, st.ini);
	/* The same INI and state with EnforcePassword = 0. */
	snprintf(ini, sizeof(ini), "%s/open.ini", st.dir);
	if ((in = fopen(st.ini, "r")) == NULL ||
	    (out = fopen(ini, "w")) == NULL)
		abort();
	while ((c = getc(in)) != EOF) {
		putc(c, out);
		if (c == '\n' && ftell(out) == 8)	/* after "[MSCEP]\n" */
			fputs("EnforcePassword = 0\n", out);
	}
	fclose(in);
	if (fclose(out) != 0)
		abort();
	open_worker(&w_open, ini);
	if (w_open.cfg.enforce_password || !w_otp.cfg.enforce_password)
		abort();
	fuzz_state_remove(&st);
	if ((client_key = keygen("ec:P-256", reason, sizeof(reason))) == NULL)
		abort();
	client_cert = fuzz_self_signed(client_key, "fuzz device");
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
		return EVP_des_cbc();		/* AllowDES = 1 */
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
	char			 txid[2 * SHA_DIGEST_LENGTH + 1];
	int			 len, rc = -1;

	if (n < 2)
		return -1;
	if (fixed_txid)
		snprintf(txid, sizeof(txid), "FUZZ-RESUBMIT");
	else {
		SHA1(p, n, md);
		hex_encode(md, sizeof(md), txid);
	}
	q = p + 2;
	if (p[0] == 19 && (csr = d2i_X509_REQ(NULL, &q, (long)(n - 2))) !=
	    NULL) {
		/* §2.3: the client signs with the CSR's key. */
		if (X509_REQ_set_pubkey(csr, client_key) != 1 ||
		    X509_REQ_sign(csr, client_key, EVP_sha256()) <= 0 ||
		    (len = i2d_X509_REQ(csr, &der)) <= 0)
			goto out;
		rc = fuzz_envelope(w->ra.enc_cert, cipher(p[1]), p[1] & 4,
		    der, (size_t)len, &env);
	} else
		rc = fuzz_envelope(w->ra.enc_cert, cipher(p[1]), p[1] & 4,
		    p + 2, n - 2, &env);
	if (rc == 0)
		rc = fuzz_sign_pkimessage(client_key, client_cert,
		    (p[1] & 8) ? EVP_sha1() : EVP_sha256(), p[0], txid, env.p,
		    env.len, msg);
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
	w = (flags & 32) ? &w_open : &w_otp;
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
	else
		req.query = (flags & 4) ? NULL : "";
	req.path_info = "";
	req.https = flags & 1;
	req.remote_user = (flags & 2) ? "alice" : NULL;
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
	switch (resp.status) {
	case 200: case 400: case 403: case 405: case 409: case 413: case 414:
	case 500:
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
