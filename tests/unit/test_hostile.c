/*
 * test_hostile.c - crafted bad requests, each answered with an HTTP 4xx
 * or a CertRep FAILURE, never a crash or a 5xx, and never a change to
 * what the store issues (certificates, transactions, passwords, nonces).
 * Failure events are the one thing a refusal records, by design.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "fixture.h"
#include "scep/scep_attr.h"
#include "suites.h"
#include "responder/route.h"
#include "responder/worker.h"

static struct fixture	 fx;
static struct worker	 w;
static struct requester	 good;		/* well formed, wrong password */
static struct buf	 base;		/* its PKCSReq */
static int		 ncases;

static int
setup(void)
{
	char	 reason[REASON_MAX];

	if (fixture_open(&fx, NULL) != 0 ||
	    worker_open(&w, fx.ini, reason, sizeof(reason)) != 0 ||
	    requester_new(&good, "hostile", "both", "0000000000000000",
	    NULL) != 0 ||
	    build_pkcsreq(&good, w.ra.enc_cert, EVP_aes_128_cbc(), "HOSTILE-1",
	    &base) != 0)
		return -1;
	return 0;
}

static int
cleanup(void)
{
	buf_free(&base);
	requester_free(&good);
	worker_close(&w);
	fixture_close(&fx);
	printf("\n  %d hostile requests answered\n", ncases);
	return 0;
}

/* Rows in what issuance writes; events (audit) are not counted. */
static long
issued_rows(void)
{
	char		 path[PATH_MAX + 16];
	sqlite3		*db = NULL;
	sqlite3_stmt	*q = NULL;
	long		 n = -1;

	config_state_path(&fx.cfg, STORE_FILE, path, sizeof(path));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM "
	    "certificates) * 1000000 + (SELECT count(*) FROM transactions) * "
	    "10000 + (SELECT count(*) FROM passwords) * 100 + (SELECT "
	    "count(*) FROM challenge_nonces)", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* pkiStatus of a CertRep, -1 when it is not a signed CertRep. */
static int
certrep_status(const struct buf *body)
{
	const unsigned char	*p = body->p;
	CMS_ContentInfo		*cms = d2i_CMS_ContentInfo(NULL, &p,
				    (long)body->len);
	CMS_SignerInfo		*si;
	char			 s[16];
	int			 status = -1;

	if (cms != NULL && CMS_verify(cms, NULL, NULL, NULL, NULL,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) == 1 &&
	    (si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0)) &&
	    scep_attr_get_string(si, ATTR_PKI_STATUS, s, sizeof(s)) == 0)
		status = s[0] - '0';
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return status;
}

/* One hostile request: refused properly, nothing issued. */
static void
refused(const char *what, const char *method, const char *query,
    const unsigned char *body, size_t len)
{
	struct http_req	 req = { .method = method, .query = query,
			    .request_uri = "/certsrv/mscep/mscep.dll",
			    .body = body, .body_len = len };
	struct http_resp resp = { 0 };
	long		 before = issued_rows();
	int		 ok;

	route_request(&w, &req, &resp);
	ok = (resp.status >= 400 && resp.status < 500) ||
	    (resp.status == 200 && certrep_status(&resp.body) == STATUS_FAILURE);
	if (!ok)
		fprintf(stderr, "\n  %s: HTTP %d not refused properly\n", what,
		    resp.status);
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(issued_rows(), before);
	http_resp_free(&resp);
	ncases++;
}

static void
post(const char *what, const unsigned char *p, size_t n)
{
	refused(what, "POST", "operation=PKIOperation", p, n);
}

/* The same bytes by GET: base64 in the query. */
static void
get(const char *what, const unsigned char *p, size_t n)
{
	char	*q = malloc(4 * n / 3 + 64);
	size_t	 off;

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	off = (size_t)sprintf(q, "operation=PKIOperation&message=");
	util_base64_encode(p, n, q + off, 4 * n / 3 + 64 - off);
	refused(what, "GET", q, NULL, 0);
	free(q);
}

static void
test_http_level(void)
{
	static unsigned char	 big[1 << 20];
	char			*longq;

	refused("GET without message", "GET", "operation=PKIOperation", NULL, 0);
	refused("empty message", "GET", "operation=PKIOperation&message=", NULL, 0);
	refused("message not base64", "GET", "operation=PKIOperation&message=!!!",
	    NULL, 0);
	refused("message %00", "GET", "operation=PKIOperation&message=%00%00",
	    NULL, 0);
	refused("unknown operation", "GET", "operation=Nope", NULL, 0);
	refused("empty operation", "GET", "operation=", NULL, 0);
	refused("operation with NUL", "GET", "operation=GetCACaps%00x", NULL, 0);
	refused("POST with no body", "POST", "operation=PKIOperation", NULL, 0);
	refused("zero-length body", "POST", "operation=PKIOperation",
	    (const unsigned char *)"", 0);
	refused("1 MB body", "POST", "operation=PKIOperation", big, sizeof(big));
	refused("HEAD PKIOperation", "HEAD", "operation=PKIOperation", NULL, 0);
	refused("PUT PKIOperation", "PUT", "operation=PKIOperation", NULL, 0);
	refused("GetCACert by POST", "POST", "operation=GetCACert",
	    (const unsigned char *)"x", 1);
	longq = malloc(2 << 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(longq);
	memcpy(longq, "operation=PKIOperation&message=", 31);
	memset(longq + 31, 'A', (2 << 20) - 32);
	longq[(2 << 20) - 1] = '\0';
	refused("2 MB GET message", "GET", longq, NULL, 0);
	free(longq);
}

static void
test_der_level(void)
{
	static const unsigned char huge_len[] = { 0x30, 0x84, 0xff, 0xff,
	    0xff, 0xff, 0x06, 0x09 };
	static const unsigned char not_cms[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	unsigned char	*nest, *m;
	size_t		 i, cut;
	char		 what[64];

	post("huge length field", huge_len, sizeof(huge_len));
	post("DER that is not CMS", not_cms, sizeof(not_cms));
	nest = malloc(20000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nest);
	for (i = 0; i < 10000; i++) {		/* indefinite-length nesting */
		nest[2 * i] = 0x30;
		nest[2 * i + 1] = 0x80;
	}
	post("10,000 nested indefinite SEQUENCEs", nest, 20000);
	free(nest);
	/* Truncations of a real message, by POST and by GET. */
	for (i = 1; i <= 12; i++) {
		cut = base.len * i / 13;
		snprintf(what, sizeof(what), "truncated at %zu", cut);
		post(what, base.p, cut);
		if (i % 3 == 0)
			get(what, base.p, cut);
	}
	/* Bit flips across the message (the password is wrong, so even a
	 * flip that leaves it valid must not issue). */
	m = malloc(base.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (i = 0; i < 16; i++) {
		memcpy(m, base.p, base.len);
		m[base.len * (2 * i + 1) / 32] ^= 0x5a;
		snprintf(what, sizeof(what), "byte %zu flipped",
		    base.len * (2 * i + 1) / 32);
		post(what, m, base.len);
	}
	/* Trailing garbage after a complete message. */
	free(m);
	m = malloc(base.len + 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(m, base.p, base.len);
	memset(m + base.len, 0xff, 64);
	post("trailing garbage", m, base.len + 64);
	free(m);
	/* The well-formed message itself: refused by policy. */
	post("wrong password", base.p, base.len);
	get("wrong password by GET", base.p, base.len);
}

/* A CSR whose subject CN is raw bytes as a UTF8String. */
static void
raw_cn(struct requester *r, const char *bytes, int len)
{
	X509_NAME	*n = X509_NAME_new();

	X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UTF8STRING,
	    (const unsigned char *)bytes, len, -1, 0);
	X509_REQ_set_subject_name(r->csr, n);
	X509_REQ_sign(r->csr, r->key, EVP_sha256());
	X509_NAME_free(n);
}

static void send_inner(const char *, const struct requester *, X509 *,
    const EVP_MD *, int, const char *, const unsigned char *, size_t);

static void
send_req(const char *what, struct requester *r, int msgtype,
    const char *txid)
{
	unsigned char	*der = NULL;
	int		 len = i2d_X509_REQ(r->csr, &der);

	CU_ASSERT_FATAL(len > 0);
	send_inner(what, r, w.ra.enc_cert, EVP_sha256(), msgtype, txid, der,
	    (size_t)len);
	OPENSSL_free(der);
}

static void
send_inner(const char *what, const struct requester *r, X509 *rcpt,
    const EVP_MD *md, int msgtype, const char *txid,
    const unsigned char *inner, size_t len)
{
	struct buf	 msg = { 0 };

	CU_ASSERT_FATAL(build_pkimessage(r, rcpt, EVP_aes_128_cbc(), md,
	    msgtype, txid, inner, len, &msg) == 0);
	post(what, msg.p, msg.len);
	buf_free(&msg);
}

static void
test_message_level(void)
{
	struct requester	 r, weak;
	unsigned char		 junk[64];

	memset(junk, 0x41, sizeof(junk));
	CU_ASSERT_FATAL(requester_new(&r, "odd", "both", "0000000000000000",
	    NULL) == 0);
	send_req("message type 3 (CertRep) from a client", &r, 3, "H-3");
	send_req("message type 99", &r, 99, "H-99");
	send_req("message type 0", &r, 0, "H-0");
	send_req("transactionID with a control byte", &r, MSG_PKCSREQ, "H\x01X");
	send_req("empty transactionID", &r, MSG_PKCSREQ, "");
	raw_cn(&r, "\xff\xfe\xc3\x28", 4);
	send_req("invalid UTF-8 in the subject", &r, MSG_PKCSREQ, "H-UTF8");
	raw_cn(&r, "evil\0.example", 13);
	send_req("NUL in the subject CN", &r, MSG_PKCSREQ, "H-NUL");
	/* Inner content that is not a CSR, and odd envelopes. */
	send_inner("PKCSReq whose content is not a CSR", &r, w.ra.enc_cert,
	    EVP_sha256(), MSG_PKCSREQ, "H-JUNK", junk, sizeof(junk));
	send_inner("CertPoll with junk content", &r, w.ra.enc_cert,
	    EVP_sha256(), MSG_CERTPOLL, "H-POLL", junk, sizeof(junk));
	send_inner("GetCert with junk content", &r, w.ra.enc_cert,
	    EVP_sha256(), MSG_GETCERT, "H-GC", junk, sizeof(junk));
	send_inner("envelope for the wrong recipient (RA signing cert)", &r,
	    w.ra.sign_cert, EVP_sha256(), MSG_PKCSREQ, "H-WRONGRCPT", junk,
	    sizeof(junk));
	send_inner("MD5 message digest", &good, w.ra.enc_cert, EVP_md5(),
	    MSG_PKCSREQ, "H-MD5", junk, sizeof(junk));
	requester_free(&r);
	/* A 1024-bit key: under MinimumKeySize. */
	CU_ASSERT_FATAL(requester_new(&weak, "weak", "both", "0000000000000000",
	    NULL) == 0);
	EVP_PKEY_free(weak.key);
	weak.key = EVP_RSA_gen(1024);
	X509_REQ_set_pubkey(weak.csr, weak.key);
	X509_REQ_sign(weak.csr, weak.key, EVP_sha256());
	X509_set_pubkey(weak.self, weak.key);
	X509_sign(weak.self, weak.key, EVP_sha256());
	send_req("1024-bit RSA key", &weak, MSG_PKCSREQ, "H-WEAK");
	/* CSR self-signature broken after signing. */
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(weak.csr), "O",
	    MBSTRING_UTF8, (const unsigned char *)"changed", -1, -1, 0);
	send_req("CSR signature does not verify", &weak, MSG_PKCSREQ, "H-SIG");
	requester_free(&weak);
	CU_ASSERT(ncases >= 50);
}

int
register_hostile(void)
{
	CU_pSuite s = CU_add_suite("hostile", setup, cleanup);

	if (s == NULL ||
	    !CU_add_test(s, "HTTP and query", test_http_level) ||
	    !CU_add_test(s, "DER and CMS", test_der_level) ||
	    !CU_add_test(s, "SCEP message and CSR", test_message_level))
		return -1;
	return 0;
}
