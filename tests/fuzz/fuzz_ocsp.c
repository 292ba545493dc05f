/*
 * fuzz_ocsp.c - the OCSP responder (mscep/responder/ocsp.c, RFC 6960) through
 * route_request, as main.c hands a request over: routing on [OCSP] Path
 * (ocsp_match), the request bytes of a POST body or a GET path (percent
 * and base64 decoding, RFC 6960 A.1), the DER OCSPRequest, the nonce
 * (RFC 8954), the CertID lookup in the store and the signed answer.
 *
 * Two workers with [OCSP] Path = /ocsp, each opened by worker_open on its
 * own state folder made by ca_init (which also issues the delegated
 * responder ocsp.crt and private/ocsp.key), their stores swapped for
 * in-memory ones, the folders then removed:
 *   0: RSA CA, the RSA responder ca_init made, ValidityMinutes 60;
 *   1: EC P-256 CA, an EC responder from ca_issue_ocsp in place of
 *      ca_init's (as mscep-admin ocsp-cert --key makes), ValidityMinutes 5.
 * Both CAs are named "Fuzz CA": a CertID of the other CA differs only in
 * the key hash. Each store records seven certificates its CA issued:
 *   0, 1: good; 2: revoked, keyCompromise; 3: revoked, unspecified;
 *   4: revoked, certificateHold; 5: serial 01, good; 6: serial 02,
 *   revoked, superseded (small serials that fuzzed ones find easily).
 *
 * Input: a flags byte, then the rest.
 *   bits 0-1: the form:
 *     0: POST, the rest is the body (a DER OCSPRequest as sent);
 *     1: GET of "/ocsp" followed by the rest as URI text (path, and a
 *        query after a '?'): routing, percent and base64 decoding;
 *     2: the harness builds a valid OCSPRequest from the rest (below)
 *        and sends it by POST, or by GET when bit 2 is set; the answer
 *        is then checked as a client would check it;
 *     3: GET of "/ocsp/" followed by base64 of the rest (DER);
 *   bit 2: form 2 by GET;
 *   bit 3: forms 2 and 3: base64 as it is ('+', '/' and '=' unescaped, as
 *      many clients send it) instead of percent-encoded;
 *   bit 4: worker 1 instead of 0;
 *   bits 5-6: the method: as the form says; HEAD for GET (and for POST);
 *      PUT; the other one of GET and POST (a POST then has no body, a GET
 *      no request in its path);
 *   bit 7: "?x=1" after the path.
 *
 * Form 2, the request built by the harness (bytes past the end read 0):
 *   byte 0: bits 0-2 the number of CertIDs (0 to 7); bits 3-5 the nonce:
 *     1: wrapped in an OCTET STRING (RFC 8954), 2: bare (old clients),
 *     3: two wrapped nonces, else none; for 1-3 a length byte L follows
 *     and then L bytes of nonce; bit 6: requestorName; bit 7: signed
 *     (optionalSignature) by a client key, its certificate included;
 *   then one byte per CertID:
 *     bits 0-2: the hash: SHA-1, SHA-256, SHA-384, SHA-512, SHA-224,
 *       MD5, SHA3-256, SHA-512/256;
 *     bits 3-4: the issuer: this CA; the other worker's CA; this CA's
 *       key under the RA signing certificate's name; the RA encryption
 *       certificate (name and key);
 *     bits 5-7: the serial: recorded certificate 0 to 6, or 7: a length
 *       byte (bits 0-5: up to 63 bytes, more than cert_serial_hex takes;
 *       bit 7: negative) and that many bytes, big-endian.
 *   The answer must be: malformedRequest without a CertID or with a
 *   wrapped nonce that is empty, over 128 octets or twice; else
 *   unauthorized when a CertID names another issuer; else successful,
 *   signed by the responder (verified against the CA as a client does),
 *   one SingleResponse per CertID with the store's status, reason and
 *   revocation time (unknown for serials not recorded), the nonce echoed,
 *   and thisUpdate/nextUpdate current.
 *
 * Every answer must be HTTP 200 with one DER OCSPResponse (405 for PUT),
 * and a successful one must verify. Every request logs a line on stderr;
 * -close_fd_mask=2 is added to the command line.
 */
#include "fuzz_common.h"
#include "ca/ca_init.h"
#include "ca/issue.h"
#include "responder/ocsp.h"
#include "responder/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#define NWORKERS	2
#define NCERTS		7
#define MAX_IDS		7

struct recorded {
	char	 serial[80];
	int	 status;	/* V_OCSP_CERTSTATUS_* */
	int	 reason;	/* revoked: CRLReason */
	time_t	 at;		/* revoked: when */
};

static struct worker	 workers[NWORKERS];
static X509_STORE	*anchors[NWORKERS];
static struct recorded	 certs[NWORKERS][NCERTS];
static ASN1_INTEGER	*serials[NWORKERS][NCERTS];
static EVP_PKEY		*client_key;
static X509		*client_cert;

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* An EC responder in place of ca_init's RSA one. */
static void
ec_responder(struct fuzz_state *st)
{
	X509		*x = NULL;
	EVP_PKEY	*k = NULL;
	char		 reason[REASON_MAX] = "";

	if (ca_issue_ocsp(st->ra.ca, st->ra.ca_key, "ec:P-256", 365, &x, &k,
	    reason, sizeof(reason)) != 0 ||
	    ca_replace_pair(&st->cfg, OCSP_RESPONDER_CERT, OCSP_RESPONDER_KEY,
	    x, k, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "fuzz: OCSP responder: %s\n", reason);
		abort();
	}
	X509_free(x);
	EVP_PKEY_free(k);
}

/* The seven certificates of the store (see the top of this file). */
static void
record_certs(struct fuzz_state *st, int wi)
{
	static const struct {
		long	 serial;	/* 0: as issued */
		int	 status, reason;
	} plan[NCERTS] = {
		{ 0, V_OCSP_CERTSTATUS_GOOD, 0 },
		{ 0, V_OCSP_CERTSTATUS_GOOD, 0 },
		{ 0, V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_KEYCOMPROMISE },
		{ 0, V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_UNSPECIFIED },
		{ 0, V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_CERTIFICATEHOLD },
		{ 1, V_OCSP_CERTSTATUS_GOOD, 0 },
		{ 2, V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_SUPERSEDED },
	};
	struct worker	*w = &workers[wi];
	struct recorded	*r;
	EVP_PKEY	*k;
	X509		*x;
	char		 cn[32], txid[32];
	int		 i, already;

	for (i = 0; i < NCERTS; i++) {
		r = &certs[wi][i];
		snprintf(cn, sizeof(cn), "ocsp-device-%d", i);
		fuzz_identity(st, cn, "ec:P-256", "critical,digitalSignature",
		    &x, &k);
		if (plan[i].serial != 0 && (!ASN1_INTEGER_set(
		    X509_get_serialNumber(x), plan[i].serial) ||
		    X509_sign(x, st->ra.ca_key, EVP_sha256()) <= 0))
			abort();
		snprintf(txid, sizeof(txid), "OCSP-%d", i);
		fuzz_record(w->store, x, "SigT", txid, w->ra.ca_key_id, 0,
		    r->serial, sizeof(r->serial));
		r->status = plan[i].status;
		r->reason = plan[i].reason;
		r->at = time(NULL) - 3600 * (i + 1);
		if (r->status == V_OCSP_CERTSTATUS_REVOKED &&
		    store_revoke(w->store, r->serial, r->reason, r->at,
		    &already) != STORE_OK)
			abort();
		if ((serials[wi][i] = ASN1_INTEGER_dup(
		    X509_get0_serialNumber(x))) == NULL)
			abort();
		X509_free(x);
		EVP_PKEY_free(k);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct {
		const char	*extra, *ca_key;
	} setup[NWORKERS] = {
		{ "[OCSP]\nPath = /ocsp\n", "rsa:2048" },
		{ "[OCSP]\nPath = /ocsp\nValidityMinutes = 5\n", "ec:P-256" },
	};
	struct fuzz_state	 st;
	char			 reason[REASON_MAX];
	int			 i;

	fuzz_quiet_stderr(argc, argv);
	for (i = 0; i < NWORKERS; i++) {
		fuzz_state_open(&st, setup[i].extra, setup[i].ca_key);
		if (i == 1)
			ec_responder(&st);
		fuzz_worker_open(&workers[i], st.ini);
		if (strcmp(workers[i].cfg.ocsp_path, "/ocsp") != 0 ||
		    workers[i].ocsp.n != 1)
			abort();
		record_certs(&st, i);
		if ((anchors[i] = X509_STORE_new()) == NULL ||
		    X509_STORE_add_cert(anchors[i], workers[i].ra.ca) != 1)
			abort();
		ra_free(&st.ra);
		config_free(&st.cfg);
		fuzz_state_remove(&st);
	}
	if ((client_key = ca_keygen("ec:P-256", reason, sizeof(reason))) == NULL)
		abort();
	client_cert = fuzz_self_signed(client_key, "ocsp client");
	return 0;
}

/* Bytes of the built form; past the end they read 0. */
struct cursor {
	const uint8_t	*p;
	size_t		 n;
};

static uint8_t
next(struct cursor *c)
{
	uint8_t	 b = 0;

	if (c->n > 0) {
		b = *c->p++;
		c->n--;
	}
	return b;
}

static void
take(struct cursor *c, unsigned char *out, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		out[i] = next(c);
}

static const EVP_MD *
hash_of(uint8_t c)
{
	switch (c & 7) {
	case 1: return EVP_sha256();
	case 2: return EVP_sha384();
	case 3: return EVP_sha512();
	case 4: return EVP_sha224();
	case 5: return EVP_md5();
	case 6: return EVP_sha3_256();
	case 7: return EVP_sha512_256();
	default: return EVP_sha1();
	}
}

/* What one CertID of the built request asks, and what it must get. */
struct want {
	OCSP_CERTID	*id;
	int		 ours;
	int		 status, reason;
	time_t		 at;
};

/* A serial from the input; its expected status from the table. */
static ASN1_INTEGER *
fuzzed_serial(struct cursor *c, int wi, struct want *want)
{
	unsigned char	 b[63];
	ASN1_INTEGER	*ai = NULL;
	BIGNUM		*bn;
	char		*hex = NULL;
	uint8_t		 l = next(c);
	int		 i;

	take(c, b, l & 63);
	if ((bn = BN_bin2bn(b, l & 63, NULL)) == NULL)
		abort();
	BN_set_negative(bn, (l & 0x80) != 0);
	if ((ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL)
		abort();
	want->status = V_OCSP_CERTSTATUS_UNKNOWN;
	for (i = 0; i < NCERTS; i++)
		if (strcmp(hex, certs[wi][i].serial) == 0) {
			want->status = certs[wi][i].status;
			want->reason = certs[wi][i].reason;
			want->at = certs[wi][i].at;
		}
	OPENSSL_free(hex);
	BN_free(bn);
	return ai;
}

static OCSP_CERTID *
cert_id(struct cursor *c, int wi, struct want *want)
{
	const struct worker	*w = &workers[wi], *other = &workers[!wi];
	const X509_NAME		*name;
	const ASN1_BIT_STRING	*key;
	ASN1_INTEGER		*ai;
	OCSP_CERTID		*id;
	uint8_t			 b = next(c);
	int			 s = b >> 5;

	memset(want, 0, sizeof(*want));
	switch ((b >> 3) & 3) {
	case 1:
		name = X509_get_subject_name(other->ra.ca);
		key = X509_get0_pubkey_bitstr(other->ra.ca);
		break;
	case 2:
		name = X509_get_subject_name(w->ra.sign_cert);
		key = X509_get0_pubkey_bitstr(w->ra.ca);
		break;
	case 3:
		name = X509_get_subject_name(w->ra.enc_cert);
		key = X509_get0_pubkey_bitstr(w->ra.enc_cert);
		break;
	default:
		name = X509_get_subject_name(w->ra.ca);
		key = X509_get0_pubkey_bitstr(w->ra.ca);
		want->ours = 1;
		break;
	}
	if (s < NCERTS) {
		ai = ASN1_INTEGER_dup(serials[wi][s]);
		want->status = certs[wi][s].status;
		want->reason = certs[wi][s].reason;
		want->at = certs[wi][s].at;
	} else
		ai = fuzzed_serial(c, wi, want);
	if (ai == NULL)
		abort();
	id = OCSP_cert_id_new(hash_of(b), name, key, ai);
	ASN1_INTEGER_free(ai);
	ERR_clear_error();
	return id;
}

static void
add_nonce(OCSP_REQUEST *req, const unsigned char *v, int len, int bare)
{
	ASN1_OCTET_STRING	*os = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING	*data = ASN1_OCTET_STRING_new();
	X509_EXTENSION		*ext = NULL;
	unsigned char		*der = NULL;
	int			 n;

	if (os == NULL || data == NULL || !ASN1_OCTET_STRING_set(os, v, len))
		abort();
	if (bare) {
		if (!ASN1_OCTET_STRING_set(data, v, len))
			abort();
	} else if ((n = i2d_ASN1_OCTET_STRING(os, &der)) <= 0 ||
	    !ASN1_OCTET_STRING_set(data, der, n))
		abort();
	if ((ext = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce,
	    0, data)) == NULL || OCSP_REQUEST_add_ext(req, ext, -1) != 1)
		abort();
	X509_EXTENSION_free(ext);
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(os);
	ASN1_OCTET_STRING_free(data);
}

/* The built request and what its answer must say. */
struct built {
	OCSP_REQUEST	*req;
	struct want	 want[MAX_IDS];
	int		 n;
	int		 nonce;		/* one was sent */
	int		 expect;	/* OCSPResponseStatus, -1 unchecked */
};

static int
build(const uint8_t *data, size_t size, int wi, struct built *b)
{
	struct cursor	 c = { data, size };
	unsigned char	 nonce[255];
	uint8_t		 b0 = next(&c);
	int		 i, mode = (b0 >> 3) & 7, len = 0, foreign = 0;

	memset(b, 0, sizeof(*b));
	if ((b->req = OCSP_REQUEST_new()) == NULL)
		abort();
	b->n = b0 & 7;
	if (mode >= 1 && mode <= 3) {
		len = next(&c);
		take(&c, nonce, (size_t)len);
		add_nonce(b->req, nonce, len, mode == 2);
		if (mode == 3)
			add_nonce(b->req, nonce, len, 0);
	}
	for (i = 0; i < b->n; i++) {
		if ((b->want[i].id = cert_id(&c, wi, &b->want[i])) == NULL)
			return -1;
		foreign += !b->want[i].ours;
		if (OCSP_request_add0_id(b->req,
		    OCSP_CERTID_dup(b->want[i].id)) == NULL)
			abort();
	}
	if ((b0 & 0x40) && OCSP_request_set1_name(b->req,
	    X509_get_subject_name(client_cert)) != 1)
		abort();
	if ((b0 & 0x80) && OCSP_request_sign(b->req, client_cert, client_key,
	    EVP_sha256(), NULL, 0) != 1)
		abort();
	b->nonce = mode >= 1 && mode <= 3;
	if (b->n == 0 || (mode == 1 && (len < 1 || len > 128)) || mode == 3)
		b->expect = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
	else if (mode == 2)
		b->expect = -1;
	else if (foreign > 0)
		b->expect = OCSP_RESPONSE_STATUS_UNAUTHORIZED;
	else
		b->expect = OCSP_RESPONSE_STATUS_SUCCESSFUL;
	return 0;
}

static void
built_free(struct built *b)
{
	int	 i;

	for (i = 0; i < MAX_IDS; i++)
		OCSP_CERTID_free(b->want[i].id);
	OCSP_REQUEST_free(b->req);
}

/* "/ocsp/" and base64 of der, escaped unless raw. */
static char *
get_path(const unsigned char *der, size_t len, int raw, const char *query)
{
	char	*b64 = fuzz_base64(der, len), *uri, *o;
	size_t	 i;

	if (b64 == NULL || (uri = malloc(3 * strlen(b64) + 16)) == NULL)
		abort();
	o = uri + sprintf(uri, "/ocsp/");
	for (i = 0; b64[i] != '\0'; i++)
		if (!raw && strchr("+/=", b64[i]) != NULL)
			o += sprintf(o, "%%%02X", (unsigned char)b64[i]);
		else
			*o++ = b64[i];
	strcpy(o, query);
	free(b64);
	return uri;
}

/* Checks a successful answer to the built request as a client would. */
static void
check_basic(int wi, OCSP_BASICRESP *bs, const struct built *b)
{
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
	int		 i, st, reason;

	if (OCSP_basic_verify(bs, NULL, anchors[wi], 0) != 1)
		abort();
	if (b == NULL)
		return;
	if (OCSP_resp_count(bs) != b->n)
		abort();
	if (OCSP_check_nonce(b->req, bs) != (b->nonce ? 1 : 2))
		abort();
	for (i = 0; i < b->n; i++) {
		if (OCSP_resp_find_status(bs, b->want[i].id, &st, &reason, &rev,
		    &thisupd, &nextupd) != 1 || st != b->want[i].status ||
		    OCSP_check_validity(thisupd, nextupd, 300, -1) != 1)
			abort();
		if (st == V_OCSP_CERTSTATUS_REVOKED && (reason !=
		    b->want[i].reason || rev == NULL ||
		    ASN1_TIME_cmp_time_t(rev, b->want[i].at) != 0))
			abort();
	}
}

/* One DER OCSPResponse; a successful one verifies. */
static void
check_answer(int wi, const struct http_resp *resp, const struct built *b)
{
	const unsigned char	*p = resp->body.p;
	OCSP_RESPONSE		*rsp;
	OCSP_BASICRESP		*bs;
	int			 st;

	if (resp->status != 200 || resp->content_type == NULL ||
	    strcmp(resp->content_type, "application/ocsp-response") != 0 ||
	    (rsp = d2i_OCSP_RESPONSE(NULL, &p, (long)resp->body.len)) == NULL ||
	    p != resp->body.p + resp->body.len)
		abort();
	st = OCSP_response_status(rsp);
	bs = OCSP_response_get1_basic(rsp);
	if ((st == OCSP_RESPONSE_STATUS_SUCCESSFUL) != (bs != NULL) ||
	    (b != NULL && b->expect >= 0 && st != b->expect))
		abort();
	if (bs != NULL)
		check_basic(wi, bs, b);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(rsp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const gp[2] = { "GET", "POST" };
	struct built	 b;
	struct http_req	 req;
	struct http_resp resp;
	struct worker	*w;
	unsigned char	*der = NULL;
	const char	*query;
	char		*uri = NULL, *q;
	uint8_t		 flags;
	int		 form, post, len, wi, how, built = 0;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	form = flags & 3;
	wi = (flags >> 4) & 1;
	w = &workers[wi];
	how = (flags >> 5) & 3;
	query = (flags & 0x80) ? "?x=1" : "";
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	post = form == 0 || (form == 2 && !(flags & 4));
	switch (form) {
	case 0:
		if ((uri = malloc(strlen(query) + 8)) == NULL)
			abort();
		sprintf(uri, "/ocsp%s", query);
		req.body = data;
		req.body_len = size;
		break;
	case 1:
		q = fuzz_strndup(data, size);
		if ((uri = malloc(size + 8)) == NULL)
			abort();
		sprintf(uri, "/ocsp%s", q);
		free(q);
		break;
	case 2:
		if (build(data, size, wi, &b) != 0 ||
		    (len = i2d_OCSP_REQUEST(b.req, &der)) <= 0) {
			built_free(&b);
			ERR_clear_error();
			return 0;
		}
		built = 1;
		if (post) {
			if ((uri = malloc(strlen(query) + 8)) == NULL)
				abort();
			sprintf(uri, "/ocsp%s", query);
			req.body = der;
			req.body_len = (size_t)len;
		} else
			uri = get_path(der, (size_t)len, flags & 8, query);
		break;
	default:
		uri = get_path(data, size, flags & 8, query);
		break;
	}
	req.method = gp[post];
	if (how == 1)
		req.method = "HEAD";
	else if (how == 2)
		req.method = "PUT";
	else if (how == 3) {
		req.method = gp[!post];
		req.body = NULL;
		req.body_len = 0;
	}
	req.request_uri = uri;
	if ((q = strchr(uri, '?')) != NULL)
		req.query = q + 1;
	req.path_info = "";
	req.remote_addr = "192.0.2.1";
	route_request(w, &req, &resp);
	if (req.query != NULL && strstr(req.query, "%00") != NULL) {
		if (resp.status != 400)
			abort();
	} else if (ocsp_match(&w->cfg, uri)) {
		if (how == 2) {
			if (resp.status != 405)
				abort();
		} else
			/* The built request's checks hold when it was sent
			 * as built (HEAD answers as GET). */
			check_answer(wi, &resp, built && (how == 0 ||
			    (how == 1 && !post)) ? &b : NULL);
	} else
		/* Another route: what fuzz_worker checks (no 500). */
		switch (resp.status) {
		case 200: case 400: case 403: case 404: case 405: case 409:
		case 413: case 414:
			break;
		default:
			abort();
		}
	if (resp.content_type == NULL || (resp.body.len > 0 &&
	    resp.body.p == NULL))
		abort();
	http_resp_free(&resp);
	if (built)
		built_free(&b);
	OPENSSL_free(der);
	free(uri);
	ERR_clear_error();
	return 0;
}
