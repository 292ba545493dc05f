/* test_ocsp.c - the OCSP responder answered in process: requests built
 * with OpenSSL's client functions, answers verified as a client would
 * (signature, delegated responder, nonce, times). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <glob.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>

#include "ca/ca_init.h"
#include "fixture.h"
#include "responder/ocsp.h"
#include "store/store.h"
#include "suites.h"
#include "responder/route.h"
#include "responder/worker.h"

static struct fixture	 fx;
static struct worker	 w;

static const char ocsp_ini[] = "[OCSP]\nPath = /ocsp\nValidityMinutes = 30\n";

#define SERIAL_GOOD	"4F00AB12CD34"
#define SERIAL_REVOKED	"7A11CE55EE01"
#define SERIAL_UNKNOWN	"0DEADBEEF0"

static int
add_cert(const char *serial)
{
	static const struct store_claim none = { .kind = CLAIM_NONE };
	struct store_cert	 c = { 0 };
	char			 txid[64];

	snprintf(txid, sizeof(txid), "tx-%s", serial);
	c.serial = serial;
	c.subject = "CN=device";
	c.sans = "";
	c.template_name = "SigT";
	c.txid = txid;
	c.key_id = "K";
	c.ca_key = w.ra.ca_key_id;
	c.not_before = time(NULL) - 60;
	c.not_after = time(NULL) + 86400;
	c.der = (const unsigned char *)"x";
	c.der_len = 1;
	return store_issue(w.store, &c, &none) == STORE_OK ? 0 : -1;
}

static int
setup(void)
{
	if (fixture_worker_open(&fx, ocsp_ini, &w) != 0 ||
	    add_cert(SERIAL_GOOD) != 0 || add_cert(SERIAL_REVOKED) != 0)
		return -1;
	return 0;
}

static int
cleanup(void)
{
	fixture_worker_close(&fx, &w);
	return 0;
}

/* A CertID for serial (hex) under issuer, hashed with md. */
static OCSP_CERTID *
cert_id(const EVP_MD *md, X509 *issuer, const char *serial)
{
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*ai = NULL;
	OCSP_CERTID	*id = NULL;

	if (BN_hex2bn(&bn, serial) > 0 &&
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) != NULL)
		id = OCSP_cert_id_new(md, X509_get_subject_name(issuer),
		    X509_get0_pubkey_bitstr(issuer), ai);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return id;
}

/* A request for one CertID (a copy is added), with or without a nonce. */
static OCSP_REQUEST *
request_for(OCSP_CERTID *id, int nonce)
{
	OCSP_REQUEST	*req = OCSP_REQUEST_new();
	OCSP_CERTID	*copy = OCSP_CERTID_dup(id);

	if (req == NULL || copy == NULL ||
	    OCSP_request_add0_id(req, copy) == NULL) {
		OCSP_CERTID_free(copy);
		OCSP_REQUEST_free(req);
		return NULL;
	}
	if (nonce && OCSP_request_add1_nonce(req, NULL, -1) != 1) {
		OCSP_REQUEST_free(req);
		return NULL;
	}
	return req;
}

static int
der_of(OCSP_REQUEST *req, struct buf *out)
{
	unsigned char	*der = NULL;
	int		 len, rc;

	if ((len = i2d_OCSP_REQUEST(req, &der)) <= 0)
		return -1;
	rc = buf_append(out, der, (size_t)len);
	OPENSSL_free(der);
	return rc;
}

/* Sends bytes to ocsp_handle; the decoded response, or NULL. */
static OCSP_RESPONSE *
send_raw(const char *method, const char *uri, const unsigned char *body,
    size_t len, int *http)
{
	struct http_req		 r;
	struct http_resp	 resp = { 0 };
	OCSP_RESPONSE		*o = NULL;
	const unsigned char	*p;

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.request_uri = uri;
	r.body = body;
	r.body_len = len;
	ocsp_handle(&w, &r, &resp);
	*http = resp.status;
	if (resp.status == 200 && resp.content_type != NULL &&
	    strcmp(resp.content_type, "application/ocsp-response") == 0) {
		p = resp.body.p;
		o = d2i_OCSP_RESPONSE(NULL, &p, (long)resp.body.len);
	}
	http_resp_free(&resp);
	return o;
}

/* RFC 6960 A.1: base64 of the DER, URL-escaped, after the path. */
static OCSP_RESPONSE *
send_get(OCSP_REQUEST *req, int escape, int *http)
{
	struct buf	 der = { 0 };
	char		 b64[4096], uri[8192], *o;
	size_t		 i, n;
	OCSP_RESPONSE	*rsp = NULL;

	if (der_of(req, &der) != 0)
		return NULL;
	n = util_base64_encode(der.p, der.len, b64, sizeof(b64));
	o = uri + snprintf(uri, sizeof(uri), "/ocsp/");
	for (i = 0; i < n; i++) {
		if (escape && (b64[i] == '/' || b64[i] == '+' ||
		    b64[i] == '='))
			o += sprintf(o, "%%%02X", (unsigned char)b64[i]);
		else
			*o++ = b64[i];
	}
	*o = '\0';
	rsp = send_raw("GET", uri, NULL, 0, http);
	buf_free(&der);
	return rsp;
}

static OCSP_RESPONSE *
send_post(OCSP_REQUEST *req, int *http)
{
	struct buf	 der = { 0 };
	OCSP_RESPONSE	*rsp = NULL;

	if (der_of(req, &der) == 0)
		rsp = send_raw("POST", "/ocsp", der.p, der.len, http);
	buf_free(&der);
	return rsp;
}

/* The basic response, checked as openssl ocsp -CAfile checks it. */
static OCSP_BASICRESP *
verified_basic(OCSP_RESPONSE *rsp)
{
	X509_STORE	*st = X509_STORE_new();
	OCSP_BASICRESP	*bs = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rsp);
	CU_ASSERT_EQUAL(OCSP_response_status(rsp),
	    OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(rsp);
	CU_ASSERT_PTR_NOT_NULL(bs);
	if (bs != NULL && st != NULL && X509_STORE_add_cert(st, fx.ra.ca)) {
		/* The responder certificate travels with the answer. */
		CU_ASSERT_EQUAL(sk_X509_num(OCSP_resp_get0_certs(bs)), 1);
		CU_ASSERT_EQUAL(OCSP_basic_verify(bs, NULL, st, 0), 1);
		CU_ASSERT_EQUAL(OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(bs)->
		    algorithm), NID_sha256WithRSAEncryption);
	}
	X509_STORE_free(st);
	return bs;
}

/* Asks about serial, expects status; returns the revocation reason. */
static int
expect_status(const EVP_MD *md, const char *serial, int want, int nonce,
    int64_t *revoked_at)
{
	OCSP_CERTID		*id = cert_id(md, fx.ra.ca, serial);
	OCSP_REQUEST		*req = request_for(id, nonce);
	OCSP_RESPONSE		*rsp = NULL;
	OCSP_BASICRESP		*bs = NULL;
	ASN1_GENERALIZEDTIME	*rev = NULL, *thisupd = NULL, *nextupd = NULL;
	int			 http = 0, status = -1, reason = -2, days, secs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	rsp = send_post(req, &http);
	CU_ASSERT_EQUAL(http, 200);
	bs = verified_basic(rsp);
	CU_ASSERT_EQUAL(OCSP_resp_find_status(bs, id, &status, &reason, &rev,
	    &thisupd, &nextupd), 1);
	CU_ASSERT_EQUAL(status, want);
	CU_ASSERT_EQUAL(OCSP_check_validity(thisupd, nextupd, 5, -1), 1);
	/* nextUpdate = thisUpdate + ValidityMinutes. */
	CU_ASSERT(ASN1_TIME_diff(&days, &secs, thisupd, nextupd) == 1 &&
	    days == 0 && secs == 30 * 60);
	CU_ASSERT_EQUAL(OCSP_check_nonce(req, bs), nonce ? 1 : 2);
	if (revoked_at != NULL && rev != NULL) {
		struct tm	 tm;

		ASN1_TIME_to_tm(rev, &tm);
		*revoked_at = (int64_t)timegm(&tm);
	}
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(rsp);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	return reason;
}

static int
expect_response_status(OCSP_REQUEST *req, int want)
{
	OCSP_RESPONSE	*rsp;
	int		 http = 0, st = -1;

	rsp = send_post(req, &http);
	CU_ASSERT_EQUAL(http, 200);
	if (rsp != NULL)
		st = OCSP_response_status(rsp);
	CU_ASSERT_EQUAL(st, want);
	OCSP_RESPONSE_free(rsp);
	return st;
}

static void
test_good(void)
{
	expect_status(EVP_sha1(), SERIAL_GOOD, V_OCSP_CERTSTATUS_GOOD, 1, NULL);
	/* The CertID's hash is the client's choice. */
	expect_status(EVP_sha256(), SERIAL_GOOD, V_OCSP_CERTSTATUS_GOOD, 0,
	    NULL);
	expect_status(EVP_sha512(), SERIAL_GOOD, V_OCSP_CERTSTATUS_GOOD, 1,
	    NULL);
}

static void
test_revoked(void)
{
	int64_t	 at = time(NULL) - 3600, seen = 0;
	int	 already = -1;

	CU_ASSERT_EQUAL(store_revoke(w.store, SERIAL_REVOKED,
	    REVOKE_KEY_COMPROMISE, at, &already), STORE_OK);
	CU_ASSERT_EQUAL(already, 0);
	CU_ASSERT_EQUAL(expect_status(EVP_sha1(), SERIAL_REVOKED,
	    V_OCSP_CERTSTATUS_REVOKED, 1, &seen),
	    OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	CU_ASSERT_EQUAL(seen, at);
	/* The other one is untouched. */
	expect_status(EVP_sha1(), SERIAL_GOOD, V_OCSP_CERTSTATUS_GOOD, 1, NULL);
}

static void
test_unknown(void)
{
	expect_status(EVP_sha1(), SERIAL_UNKNOWN, V_OCSP_CERTSTATUS_UNKNOWN, 1,
	    NULL);
	/* Serial 0 and a 40-byte serial: unknown, not an error. */
	expect_status(EVP_sha1(), "00", V_OCSP_CERTSTATUS_UNKNOWN, 0, NULL);
	expect_status(EVP_sha1(), "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
	    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", V_OCSP_CERTSTATUS_UNKNOWN, 0,
	    NULL);
}

/* Another issuer, alone or with ours: unauthorized. */
static void
test_wrong_issuer(void)
{
	OCSP_CERTID	*other = cert_id(EVP_sha1(), fx.ra.sign_cert,
			    SERIAL_GOOD);
	OCSP_CERTID	*ours = cert_id(EVP_sha1(), fx.ra.ca, SERIAL_GOOD);
	OCSP_REQUEST	*req = request_for(other, 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	expect_response_status(req, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	CU_ASSERT_PTR_NOT_NULL(OCSP_request_add0_id(req,
	    OCSP_CERTID_dup(ours)));
	expect_response_status(req, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(ours);
	OCSP_CERTID_free(other);
}

/* Two of ours in one request: two answers in one signed response. */
static void
test_two(void)
{
	OCSP_CERTID	*a = cert_id(EVP_sha1(), fx.ra.ca, SERIAL_GOOD);
	OCSP_CERTID	*b = cert_id(EVP_sha256(), fx.ra.ca, SERIAL_UNKNOWN);
	OCSP_REQUEST	*req = request_for(a, 1);
	OCSP_RESPONSE	*rsp;
	OCSP_BASICRESP	*bs;
	int		 http, st = -1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	CU_ASSERT_PTR_NOT_NULL(OCSP_request_add0_id(req, OCSP_CERTID_dup(b)));
	rsp = send_post(req, &http);
	bs = verified_basic(rsp);
	CU_ASSERT_EQUAL(OCSP_resp_count(bs), 2);
	CU_ASSERT(OCSP_resp_find_status(bs, a, &st, NULL, NULL, NULL,
	    NULL) == 1 && st == V_OCSP_CERTSTATUS_GOOD);
	CU_ASSERT(OCSP_resp_find_status(bs, b, &st, NULL, NULL, NULL,
	    NULL) == 1 && st == V_OCSP_CERTSTATUS_UNKNOWN);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(rsp);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(b);
	OCSP_CERTID_free(a);
}

static void
test_nonce(void)
{
	OCSP_CERTID	*id = cert_id(EVP_sha1(), fx.ra.ca, SERIAL_GOOD);
	OCSP_REQUEST	*req = request_for(id, 0);
	unsigned char	 big[200];

	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	/* The echo itself is checked by expect_status (OCSP_check_nonce). */
	expect_status(EVP_sha1(), SERIAL_GOOD, V_OCSP_CERTSTATUS_GOOD, 1, NULL);
	/* RFC 8954: over 128 octets is malformedRequest. */
	RAND_bytes(big, sizeof(big));
	CU_ASSERT_EQUAL(OCSP_request_add1_nonce(req, big, sizeof(big)), 1);
	expect_response_status(req, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
}

static void
test_malformed(void)
{
	static const unsigned char junk[] = "this is not DER at all";
	OCSP_CERTID	*id = cert_id(EVP_sha1(), fx.ra.ca, SERIAL_GOOD);
	OCSP_REQUEST	*req = request_for(id, 1), *empty = OCSP_REQUEST_new();
	OCSP_RESPONSE	*rsp;
	struct buf	 der = { 0 };
	unsigned char	*big;
	int		 http, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	CU_ASSERT_FATAL(der_of(req, &der) == 0);
	/* Junk, nothing, half a request, a request and trailing bytes,
	 * and 70 KB starting with a good request: each malformedRequest,
	 * HTTP 200, and no body to verify. */
	CU_ASSERT_FATAL((big = calloc(1, 70 * 1024)) != NULL);
	memcpy(big, der.p, der.len);
	for (i = 0; i < 5; i++) {
		const unsigned char	*b = i == 0 ? junk : i >= 3 ? big : der.p;
		size_t			 n = i == 0 ? sizeof(junk) : i == 1 ? 0 :
					    i == 2 ? der.len / 2 : i == 3 ?
					    der.len + 1 : 70 * 1024;

		rsp = send_raw("POST", "/ocsp", b, n, &http);
		CU_ASSERT_EQUAL(http, 200);
		CU_ASSERT(rsp != NULL && OCSP_response_status(rsp) ==
		    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
		CU_ASSERT(rsp != NULL && OCSP_response_get1_basic(rsp) == NULL);
		OCSP_RESPONSE_free(rsp);
	}
	free(big);
	/* A request with an empty list. */
	expect_response_status(empty, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	/* PUT is not OCSP. */
	rsp = send_raw("PUT", "/ocsp", der.p, der.len, &http);
	CU_ASSERT_PTR_NULL(rsp);
	CU_ASSERT_EQUAL(http, 405);
	buf_free(&der);
	OCSP_REQUEST_free(empty);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
}

/* Every single-bit flip of a good request: an answer, never a crash. */
static void
test_bitflips(void)
{
	OCSP_CERTID	*id = cert_id(EVP_sha1(), fx.ra.ca, SERIAL_GOOD);
	OCSP_REQUEST	*req = request_for(id, 1);
	OCSP_RESPONSE	*rsp;
	struct buf	 der = { 0 };
	size_t		 i;
	int		 http, bit, answered = 0, total = 0, saved, null;

	CU_ASSERT_FATAL(req != NULL && der_of(req, &der) == 0);
	/* One log line per answer: not on the test's terminal. */
	fflush(stderr);
	saved = dup(2);
	if ((null = open("/dev/null", O_WRONLY)) >= 0)
		dup2(null, 2);
	for (i = 0; i < der.len; i++)
		for (bit = 0; bit < 8; bit++) {
			der.p[i] ^= (unsigned char)(1 << bit);
			rsp = send_raw("POST", "/ocsp", der.p, der.len, &http);
			answered += rsp != NULL && http == 200;
			total++;
			OCSP_RESPONSE_free(rsp);
			der.p[i] ^= (unsigned char)(1 << bit);
		}
	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (null >= 0)
		close(null);
	CU_ASSERT_EQUAL(answered, total);
	buf_free(&der);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
}

static void
test_get(void)
{
	OCSP_CERTID	*id = cert_id(EVP_sha1(), fx.ra.ca, SERIAL_GOOD);
	OCSP_REQUEST	*req;
	OCSP_RESPONSE	*rsp;
	OCSP_BASICRESP	*bs;
	int		 http, st, escape, n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	/* Several requests, so that base64 '/', '+' and '=' all occur. */
	for (n = 0; n < 8; n++)
		for (escape = 0; escape < 2; escape++) {
			req = request_for(id, 1);
			rsp = send_get(req, escape, &http);
			CU_ASSERT_EQUAL(http, 200);
			bs = verified_basic(rsp);
			st = -1;
			CU_ASSERT(OCSP_resp_find_status(bs, id, &st, NULL, NULL,
			    NULL, NULL) == 1 && st == V_OCSP_CERTSTATUS_GOOD);
			CU_ASSERT_EQUAL(OCSP_check_nonce(req, bs), 1);
			OCSP_BASICRESP_free(bs);
			OCSP_RESPONSE_free(rsp);
			OCSP_REQUEST_free(req);
		}
	/* No request, not base64, not DER: malformedRequest. */
	rsp = send_raw("GET", "/ocsp", NULL, 0, &http);
	CU_ASSERT(rsp != NULL && OCSP_response_status(rsp) ==
	    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(rsp);
	rsp = send_raw("GET", "/ocsp/%%%!!", NULL, 0, &http);
	CU_ASSERT(rsp != NULL && OCSP_response_status(rsp) ==
	    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(rsp);
	rsp = send_raw("GET", "/ocsp/aGVsbG8gd29ybGQ=", NULL, 0, &http);
	CU_ASSERT(rsp != NULL && OCSP_response_status(rsp) ==
	    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(rsp);
	OCSP_CERTID_free(id);
}

/* route_request sends [OCSP] Path and below to OCSP, nothing else. */
static void
test_routing(void)
{
	static const char *const ocsp[] = { "/ocsp", "/ocsp/", "/ocsp/MAo=",
	    "/ocsp?x=1", NULL };
	static const char *const scep[] = { "/ocspx", "/OCSP",
	    "/certsrv/mscep/mscep.dll", "/certsrv/mscep/mscep.dll/ocsp",
	    NULL };
	struct http_req		 r;
	struct http_resp	 resp;
	int			 i;

	for (i = 0; ocsp[i] != NULL; i++) {
		CU_ASSERT(ocsp_match(&w.cfg, ocsp[i]));
		memset(&r, 0, sizeof(r));
		memset(&resp, 0, sizeof(resp));
		r.method = "GET";
		r.request_uri = ocsp[i];
		route_request(&w, &r, &resp);
		CU_ASSERT(resp.status == 200 && resp.content_type != NULL &&
		    strcmp(resp.content_type, "application/ocsp-response") ==
		    0);
		http_resp_free(&resp);
	}
	for (i = 0; scep[i] != NULL; i++) {
		CU_ASSERT(!ocsp_match(&w.cfg, scep[i]));
		memset(&r, 0, sizeof(r));
		memset(&resp, 0, sizeof(resp));
		r.method = "GET";
		r.request_uri = scep[i];
		r.query = "operation=GetCACaps";
		route_request(&w, &r, &resp);
		CU_ASSERT(resp.status == 200 && resp.content_type != NULL &&
		    strcmp(resp.content_type, "text/plain") == 0);
		http_resp_free(&resp);
	}
}

/* A worker with [OCSP] Path needs the responder; ocsp-cert restores it. */
static void
test_responder_files(void)
{
	struct worker	 w2;
	struct ra	 other;
	X509		*x = NULL;
	EVP_PKEY	*key = NULL;
	char		 path[PATH_MAX + 64], away[160];
	char		 reason[REASON_MAX] = "";
	glob_t		 g = { .gl_pathc = 0 };

	config_state_path(&w.cfg, OCSP_RESPONDER_CERT, path, sizeof(path));
	snprintf(away, sizeof(away), "%s/ocsp.crt.away", fx.dir);
	CU_ASSERT_FATAL(rename(path, away) == 0);
	CU_ASSERT_NOT_EQUAL(worker_open(&w2, fx.ini, reason, sizeof(reason)),
	    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "mscep-admin ocsp-cert"));
	worker_close(&w2);
	CU_ASSERT_FATAL(rename(away, path) == 0);

	/* A responder from another CA (here: issued by the RA key). */
	memset(&other, 0, sizeof(other));
	CU_ASSERT_FATAL(ca_issue_ocsp(w.ra.sign_cert, w.ra.sign_key, "ec:P-256",
	    10, &x, &key, reason, sizeof(reason)) == 0);
	CU_ASSERT_FATAL(ca_replace_pair(&w.cfg, OCSP_RESPONDER_CERT,
	    OCSP_RESPONDER_KEY, x, key, reason, sizeof(reason)) == 0);
	X509_free(x);
	EVP_PKEY_free(key);
	CU_ASSERT_NOT_EQUAL(worker_open(&w2, fx.ini, reason, sizeof(reason)),
	    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "not issued by the CA"));
	worker_close(&w2);

	/* ocsp-cert's way: a new EC responder from the CA, files replaced;
	 * a worker starting now signs with it. */
	CU_ASSERT_FATAL(ca_issue_ocsp(w.ra.ca, w.ra.ca_key, "ec:P-256", 10, &x,
	    &key, reason, sizeof(reason)) == 0);
	CU_ASSERT_FATAL(ca_replace_pair(&w.cfg, OCSP_RESPONDER_CERT,
	    OCSP_RESPONDER_KEY, x, key, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(worker_open(&w2, fx.ini, reason, sizeof(reason)), 0);
	CU_ASSERT(w2.ocsp.n == 1 && X509_cmp(w2.ocsp.issuers[0].signer.cert, x) == 0);
	CU_ASSERT(X509_get_extension_flags(x) & EXFLAG_XKUSAGE &&
	    X509_get_extended_key_usage(x) & XKU_OCSP_SIGN);
	CU_ASSERT(X509_get_ext_by_NID(x, NID_id_pkix_OCSP_noCheck, -1) >= 0);
	worker_close(&w2);
	X509_free(x);
	EVP_PKEY_free(key);
	/* No temporary file left beside either (.ocsp.crt.XXXXXXXX). */
	snprintf(path, sizeof(path), "%s/.ocsp.crt.*", w.cfg.state_dir);
	glob(path, 0, NULL, &g);
	snprintf(path, sizeof(path), "%s/private/.ocsp.key.*",
	    w.cfg.state_dir);
	glob(path, GLOB_APPEND, NULL, &g);
	CU_ASSERT_EQUAL(g.gl_pathc, 0);
	globfree(&g);
}

int
register_ocsp(void)
{
	CU_pSuite s = CU_add_suite("ocsp", setup, cleanup);

	if (s == NULL ||
	    !CU_add_test(s, "good, CertID by SHA-1, SHA-256, SHA-512",
	    test_good) ||
	    !CU_add_test(s, "revoked with time and reason", test_revoked) ||
	    !CU_add_test(s, "unknown serials", test_unknown) ||
	    !CU_add_test(s, "another issuer: unauthorized",
	    test_wrong_issuer) ||
	    !CU_add_test(s, "two certificates in one request", test_two) ||
	    !CU_add_test(s, "nonce echoed, oversized refused", test_nonce) ||
	    !CU_add_test(s, "malformed requests", test_malformed) ||
	    !CU_add_test(s, "every bit flip answered", test_bitflips) ||
	    !CU_add_test(s, "GET form, escaped or not", test_get) ||
	    !CU_add_test(s, "routing by [OCSP] Path", test_routing) ||
	    !CU_add_test(s, "responder files: missing, foreign, replaced",
	    test_responder_files))
		return -1;
	return 0;
}
