/* test_pkiop.c - a worker answering PKIOperations in process: issuance,
 * resubmission, CertPoll, GetCert and refusals that store nothing. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "fixture.h"
#include "ca/issue.h"
#include "scep/message.h"
#include "scep/scep_attr.h"
#include "suites.h"
#include "responder/route.h"
#include "responder/worker.h"
#include "util/cert.h"

static struct fixture	 fx;
static struct worker	 w;
static X509_CRL		*last_crl;	/* the CRL of the last GetCRL reply */

/* Posts msg to the worker; returns pkiStatus, fills failInfo and cert. */
static int
post(const struct requester *r, const struct buf *msg, int *failinfo,
    X509 **cert)
{
	struct http_req		 hr = { .method = "POST",
				    .query = "operation=PKIOperation",
				    .body = msg->p, .body_len = msg->len };
	struct http_resp	 resp = { 0 };
	const unsigned char	*p;
	CMS_ContentInfo		*cms = NULL, *env = NULL;
	CMS_SignerInfo		*si;
	BIO			*content = BIO_new(BIO_s_mem());
	BIO			*plain = BIO_new(BIO_s_mem());
	BUF_MEM			*m;
	PKCS7			*p7 = NULL;
	char			 s[16];
	int			 status = -1;

	*failinfo = -1;
	route_request(&w, &hr, &resp);
	CU_ASSERT_EQUAL_FATAL(resp.status, 200);
	p = resp.body.p;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)resp.body.len);
	CU_ASSERT_FATAL(cms != NULL && CMS_verify(cms, NULL, NULL, NULL,
	    content, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) == 1);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	if (scep_attr_get_string(si, ATTR_PKI_STATUS, s, sizeof(s)) != 0)
		goto out;
	status = s[0] - '0';
	if (scep_attr_get_string(si, ATTR_FAIL_INFO, s, sizeof(s)) == 0)
		*failinfo = s[0] - '0';
	if (status != 0 || cert == NULL)
		goto out;
	BIO_get_mem_ptr(content, &m);
	p = (unsigned char *)m->data;
	env = d2i_CMS_ContentInfo(NULL, &p, (long)m->length);
	CU_ASSERT_FATAL(env != NULL && CMS_decrypt(env, r->key, r->self, NULL,
	    plain, CMS_BINARY) == 1);
	BIO_get_mem_ptr(plain, &m);
	p = (unsigned char *)m->data;
	CU_ASSERT_FATAL((p7 = d2i_PKCS7(NULL, &p, (long)m->length)) != NULL);
	if (p7->d.sign->crl != NULL) {
		X509_CRL_free(last_crl);
		last_crl = X509_CRL_dup(sk_X509_CRL_value(p7->d.sign->crl, 0));
	}
	/* cert != NULL: checked above. */
	/* cppcheck-suppress ctunullpointer */
	*cert = X509_dup(sk_X509_value(p7->d.sign->cert, 0));
out:
	PKCS7_free(p7);
	CMS_ContentInfo_free(env);
	CMS_ContentInfo_free(cms);
	BIO_free(content);
	BIO_free(plain);
	http_resp_free(&resp);
	ERR_clear_error();
	return status;
}

static long
count(const char *table)
{
	char		 q[64];
	long		 n = -1;

	snprintf(q, sizeof(q), "%s", table);
	if (strcmp(q, "certificates") == 0)
		n = (long)store_count_certs(w.store);
	return n;
}

static int
enroll(struct requester *r, const char *txid, int *failinfo, X509 **cert)
{
	struct buf	 msg = { 0 };
	int		 st;

	CU_ASSERT_FATAL(build_pkcsreq(r, w.ra.enc_cert, EVP_aes_128_cbc(),
	    txid, &msg) == 0);
	st = post(r, &msg, failinfo, cert);
	buf_free(&msg);
	return st;
}

static void
test_enroll_and_resubmit(void)
{
	struct requester	 r;
	X509			*c1 = NULL, *c2 = NULL;
	int			 fi;
	long			 before = count("certificates");

	CU_ASSERT_FATAL(requester_new(&r, "resub", "both", NULL, NULL) == 0);
	CU_ASSERT_EQUAL(enroll(&r, "RESUB-1", &fi, &c1), STATUS_SUCCESS);
	CU_ASSERT_EQUAL(count("certificates"), before + 1);
	/* The same transactionID and key: the same certificate, not a new one. */
	CU_ASSERT_EQUAL(enroll(&r, "RESUB-1", &fi, &c2), STATUS_SUCCESS);
	CU_ASSERT_FATAL(c1 != NULL && c2 != NULL);
	CU_ASSERT_EQUAL(X509_cmp(c1, c2), 0);
	CU_ASSERT_EQUAL(count("certificates"), before + 1);
	X509_free(c1);
	X509_free(c2);
	requester_free(&r);
}

static void
test_txid_other_key(void)
{
	struct requester	 a, b;
	X509			*c = NULL;
	int			 fi;
	long			 before;

	CU_ASSERT_FATAL(requester_new(&a, "a", "both", NULL, NULL) == 0);
	CU_ASSERT_FATAL(requester_new(&b, "b", "both", NULL, NULL) == 0);
	CU_ASSERT_EQUAL(enroll(&a, "SHARED", &fi, &c), STATUS_SUCCESS);
	X509_free(c);
	c = NULL;
	before = count("certificates");
	CU_ASSERT_EQUAL(enroll(&b, "SHARED", &fi, &c), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADREQUEST);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(count("certificates"), before);
	requester_free(&a);
	requester_free(&b);
}

/* IssuerAndSubject for CertPoll (RFC 8894 §3.3.3), built independently. */
typedef struct {
	X509_NAME	*issuer;
	X509_NAME	*subject;
} IAS;
DECLARE_ASN1_FUNCTIONS(IAS)
ASN1_SEQUENCE(IAS) = {
	ASN1_SIMPLE(IAS, issuer, X509_NAME),
	ASN1_SIMPLE(IAS, subject, X509_NAME),
} ASN1_SEQUENCE_END(IAS)
IMPLEMENT_ASN1_FUNCTIONS(IAS)

static int
certpoll(struct requester *r, const char *txid, int *fi, X509 **cert)
{
	IAS		*ias = IAS_new();
	unsigned char	*der = NULL;
	struct buf	 msg = { 0 };
	int		 len, st;

	X509_NAME_set(&ias->issuer, X509_get_subject_name(w.ra.ca));
	X509_NAME_set(&ias->subject, X509_REQ_get_subject_name(r->csr));
	len = i2d_IAS(ias, &der);
	CU_ASSERT_FATAL(build_pkimessage(r, w.ra.enc_cert, EVP_aes_128_cbc(),
	    EVP_sha256(), MSG_CERTPOLL, txid, der, (size_t)len, &msg) == 0);
	st = post(r, &msg, fi, cert);
	OPENSSL_free(der);
	IAS_free(ias);
	buf_free(&msg);
	return st;
}

static void
test_certpoll(void)
{
	struct requester	 r, other;
	X509			*c1 = NULL, *c2 = NULL;
	int			 fi;

	CU_ASSERT_FATAL(requester_new(&r, "poll", "both", NULL, NULL) == 0);
	CU_ASSERT_FATAL(requester_new(&other, "x", "both", NULL, NULL) == 0);
	CU_ASSERT_EQUAL(certpoll(&r, "POLL-1", &fi, &c1), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);	/* no PKCSReq yet */
	CU_ASSERT_EQUAL(enroll(&r, "POLL-1", &fi, &c1), STATUS_SUCCESS);
	CU_ASSERT_EQUAL(certpoll(&r, "POLL-1", &fi, &c2), STATUS_SUCCESS);
	CU_ASSERT_FATAL(c1 != NULL && c2 != NULL);
	CU_ASSERT_EQUAL(X509_cmp(c1, c2), 0);
	X509_free(c2);
	c2 = NULL;
	/* Someone else polling that transaction gets nothing. */
	CU_ASSERT_EQUAL(certpoll(&other, "POLL-1", &fi, &c2), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);
	X509_free(c1);
	requester_free(&r);
	requester_free(&other);
}

static int
issuer_serial_op(struct requester *r, int type, X509_NAME *issuer,
    const ASN1_INTEGER *serial, int *fi, X509 **cert)
{
	PKCS7_ISSUER_AND_SERIAL	*ias = PKCS7_ISSUER_AND_SERIAL_new();
	unsigned char		*der = NULL;
	struct buf		 msg = { 0 };
	int			 len, st;

	X509_NAME_set(&ias->issuer, issuer);
	ASN1_INTEGER_free(ias->serial);
	ias->serial = ASN1_INTEGER_dup(serial);
	len = i2d_PKCS7_ISSUER_AND_SERIAL(ias, &der);
	CU_ASSERT_FATAL(build_pkimessage(r, w.ra.enc_cert, EVP_aes_128_cbc(),
	    EVP_sha256(), type, "GC", der, (size_t)len, &msg) == 0);
	st = post(r, &msg, fi, cert);
	OPENSSL_free(der);
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	buf_free(&msg);
	return st;
}

static int
getcert(struct requester *r, X509_NAME *issuer, const ASN1_INTEGER *serial,
    int *fi, X509 **cert)
{
	return issuer_serial_op(r, MSG_GETCERT, issuer, serial, fi, cert);
}

static void
test_getcert(void)
{
	struct requester	 r;
	X509			*c1 = NULL, *c2 = NULL;
	ASN1_INTEGER		*bogus = ASN1_INTEGER_new();
	int			 fi;

	CU_ASSERT_FATAL(requester_new(&r, "getcert", "both", NULL, NULL) == 0);
	CU_ASSERT_EQUAL(enroll(&r, "GC-1", &fi, &c1), STATUS_SUCCESS);
	CU_ASSERT_FATAL(c1 != NULL);
	CU_ASSERT_EQUAL(getcert(&r, X509_get_subject_name(w.ra.ca),
	    X509_get0_serialNumber(c1), &fi, &c2), STATUS_SUCCESS);
	CU_ASSERT(c2 != NULL && X509_cmp(c1, c2) == 0);
	ASN1_INTEGER_set(bogus, 12345);
	CU_ASSERT_EQUAL(getcert(&r, X509_get_subject_name(w.ra.ca), bogus, &fi,
	    NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);
	CU_ASSERT_EQUAL(getcert(&r, X509_get_subject_name(c1),
	    X509_get0_serialNumber(c1), &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);	/* another issuer */
	ASN1_INTEGER_free(bogus);
	X509_free(c1);
	X509_free(c2);
	requester_free(&r);
}

enum { AS_BUILT, ATTRS_REVERSED = 1, BER_INDEFINITE = 2, RESIGN_OTHER = 4 };

static EVP_PKEY	*other_key;	/* RESIGN_OTHER signs with it */

static int
cms_verifies(const struct buf *msg)
{
	const unsigned char	*p = msg->p;
	CMS_ContentInfo		*cms = d2i_CMS_ContentInfo(NULL, &p,
				    (long)msg->len);
	int			 ok;

	ok = cms != NULL && CMS_verify(cms, NULL, NULL, NULL, NULL,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) == 1;
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return ok;
}

/* csr in a message of type, signed by signer with md, encoded as mode. */
static int
send_csr(struct requester *signer, X509_REQ *csr, int type, const EVP_MD *md,
    const char *txid, int mode, int *fi, X509 **cert)
{
	struct buf	 msg = { 0 }, ber = { 0 };
	unsigned char	*der = NULL;
	int		 len, st;

	len = i2d_X509_REQ(csr, &der);
	CU_ASSERT_FATAL(build_pkimessage(signer, w.ra.enc_cert,
	    EVP_aes_128_cbc(), md, type, txid, der, (size_t)len, &msg) == 0);
	if (mode & ATTRS_REVERSED) {
		CU_ASSERT_FATAL(reorder_signed_attrs(&msg, (mode &
		    RESIGN_OTHER) ? other_key : signer->key, md) == 0);
		CU_ASSERT(!cms_verifies(&msg));	/* OpenSSL's check fails */
	}
	if (mode & BER_INDEFINITE) {
		CU_ASSERT_FATAL(to_indefinite(&msg, &ber) == 0);
		buf_free(&msg);
		msg = ber;
	}
	st = post(signer, &msg, fi, cert);
	OPENSSL_free(der);
	buf_free(&msg);
	return st;
}

/*
 * Apple's client: the PKCSReq signed by a separate self-signed key. As
 * NDES, accepted; the certificate certifies the CSR's key, the reply is
 * encrypted to the signer (post() decrypts with the signer's key) and
 * the signer's CertPoll finds it. RequireSignerIsCSRKey = 1 refuses.
 */
static void
test_separate_signer(void)
{
	struct requester	 csr, apple;
	X509_EXTENSION		*ku;
	X509			*c = NULL, *c2 = NULL;
	int			 fi;
	long			 before = count("certificates");

	CU_ASSERT_FATAL(requester_new(&csr, "iphone", "both", NULL, NULL) ==
	    0);
	CU_ASSERT_FATAL(requester_new(&apple, "MDM SCEP SIGNER", "both", NULL,
	    NULL) == 0);
	/* A signer's keyUsage without keyCertSign is still self-signed. */
	ku = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage,
	    "critical,digitalSignature,keyEncipherment");
	CU_ASSERT_FATAL(ku != NULL && X509_add_ext(apple.self, ku, -1) == 1 &&
	    X509_sign(apple.self, apple.key, EVP_sha256()) > 0);
	X509_EXTENSION_free(ku);
	w.cfg.require_signer_csr_key = 1;
	CU_ASSERT_EQUAL(send_csr(&apple, csr.csr, MSG_PKCSREQ, EVP_sha256(),
	    "APPLE-1", AS_BUILT, &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADMESSAGECHECK);
	CU_ASSERT_EQUAL(count("certificates"), before);
	w.cfg.require_signer_csr_key = 0;
	CU_ASSERT_EQUAL(send_csr(&apple, csr.csr, MSG_PKCSREQ, EVP_sha256(),
	    "APPLE-1", AS_BUILT, &fi, &c), STATUS_SUCCESS);
	CU_ASSERT_EQUAL(count("certificates"), before + 1);
	CU_ASSERT(c != NULL && EVP_PKEY_eq(X509_get0_pubkey(c), csr.key) == 1);
	CU_ASSERT(c != NULL && X509_NAME_cmp(X509_get_subject_name(c),
	    X509_REQ_get_subject_name(csr.csr)) == 0);
	CU_ASSERT_EQUAL(certpoll(&apple, "APPLE-1", &fi, &c2), STATUS_SUCCESS);
	CU_ASSERT(c != NULL && c2 != NULL && X509_cmp(c, c2) == 0);
	/* The CSR's own key does not own the signer's transaction. */
	CU_ASSERT_EQUAL(certpoll(&csr, "APPLE-1", &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);
	X509_free(c);
	X509_free(c2);
	requester_free(&csr);
	requester_free(&apple);
}

/* A signer certificate another CA issued: neither proof nor renewal. */
static void
test_foreign_signer(void)
{
	struct requester	 r, other_ca, signer;
	int			 fi;
	long			 before = count("certificates");

	CU_ASSERT_FATAL(requester_new(&r, "foreign", "both", NULL, NULL) == 0);
	CU_ASSERT_FATAL(requester_new(&other_ca, "Other CA", "both", NULL,
	    NULL) == 0);
	CU_ASSERT_FATAL(requester_new(&signer, "foreign", "both", NULL,
	    NULL) == 0);
	CU_ASSERT_FATAL(X509_set_issuer_name(signer.self,
	    X509_get_subject_name(other_ca.self)) == 1 &&
	    X509_sign(signer.self, other_ca.key, EVP_sha256()) > 0);
	CU_ASSERT_EQUAL(send_csr(&signer, r.csr, MSG_PKCSREQ, EVP_sha256(),
	    "FOREIGN-1", AS_BUILT, &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);
	CU_ASSERT_EQUAL(count("certificates"), before);
	requester_free(&r);
	requester_free(&other_ca);
	requester_free(&signer);
}

/* The digest of the reply to msg's SignerInfo, or NID_undef. */
static int
reply_digest(const struct buf *msg)
{
	struct http_req		 hr = { .method = "POST",
				    .query = "operation=PKIOperation",
				    .body = msg->p, .body_len = msg->len };
	struct http_resp	 resp = { 0 };
	const unsigned char	*p;
	CMS_ContentInfo		*cms;
	X509_ALGOR		*dig = NULL;
	int			 nid = NID_undef;

	route_request(&w, &hr, &resp);
	p = resp.body.p;
	if (resp.status == 200 && (cms = d2i_CMS_ContentInfo(NULL, &p,
	    (long)resp.body.len)) != NULL) {
		CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(
		    CMS_get0_SignerInfos(cms), 0), NULL, NULL, &dig, NULL);
		nid = OBJ_obj2nid(dig->algorithm);
		CMS_ContentInfo_free(cms);
	}
	http_resp_free(&resp);
	return nid;
}

/* MD5 (old Cisco, OpenSCEP, sscep): badAlg unless AllowMD5; the reply in
 * SHA-256 at 1, in MD5 at 2. */
static void
test_md5(void)
{
	struct requester	 r;
	struct buf		 msg = { 0 };
	unsigned char		*der = NULL;
	X509			*c = NULL;
	int			 fi, len;
	long			 before = count("certificates");

	CU_ASSERT_FATAL(requester_new(&r, "md5", "both", NULL, NULL) == 0);
	CU_ASSERT_EQUAL(send_csr(&r, r.csr, MSG_PKCSREQ, EVP_md5(), "MD5-1",
	    AS_BUILT, &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADALG);
	CU_ASSERT_EQUAL(count("certificates"), before);
	w.cfg.allow_md5 = 1;
	CU_ASSERT_EQUAL(send_csr(&r, r.csr, MSG_PKCSREQ, EVP_md5(), "MD5-1",
	    AS_BUILT, &fi, &c), STATUS_SUCCESS);
	CU_ASSERT(c != NULL && EVP_PKEY_eq(X509_get0_pubkey(c), r.key) == 1);
	CU_ASSERT_EQUAL(count("certificates"), before + 1);
	len = i2d_X509_REQ(r.csr, &der);
	CU_ASSERT_FATAL(build_pkimessage(&r, w.ra.enc_cert, EVP_aes_128_cbc(),
	    EVP_md5(), MSG_PKCSREQ, "MD5-1", der, (size_t)len, &msg) == 0);
	CU_ASSERT_EQUAL(reply_digest(&msg), NID_sha256);
	w.cfg.allow_md5 = 2;
	CU_ASSERT_EQUAL(reply_digest(&msg), NID_md5);
	w.cfg.allow_md5 = 0;
	CU_ASSERT_EQUAL(count("certificates"), before + 1);
	OPENSSL_free(der);
	buf_free(&msg);
	X509_free(c);
	requester_free(&r);
}

/* Signed attributes in the order a client sent them, not DER's: the
 * signature over those bytes counts; a wrong signature still does not. */
static void
test_attrs_as_sent(void)
{
	struct requester	 r, other;
	X509			*c = NULL;
	int			 fi;
	long			 before = count("certificates");

	CU_ASSERT_FATAL(requester_new(&r, "java", "both", NULL, NULL) == 0);
	CU_ASSERT_FATAL(requester_new(&other, "java", "both", NULL, NULL) ==
	    0);
	CU_ASSERT_EQUAL(send_csr(&r, r.csr, MSG_PKCSREQ, EVP_sha256(),
	    "ORDER-1", ATTRS_REVERSED, &fi, &c), STATUS_SUCCESS);
	CU_ASSERT(c != NULL && EVP_PKEY_eq(X509_get0_pubkey(c), r.key) == 1);
	CU_ASSERT_EQUAL(count("certificates"), before + 1);
	/* Re-signed with a key that is not the signer certificate's. */
	other_key = other.key;
	CU_ASSERT_EQUAL(send_csr(&r, r.csr, MSG_PKCSREQ, EVP_sha256(),
	    "ORDER-2", ATTRS_REVERSED | RESIGN_OTHER, &fi, NULL),
	    STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADMESSAGECHECK);
	other_key = NULL;
	CU_ASSERT_EQUAL(count("certificates"), before + 1);
	X509_free(c);
	requester_free(&r);
	requester_free(&other);
}

/* BER indefinite lengths around the content, as iOS sends them. */
static void
test_ber_indefinite(void)
{
	struct requester	 r;
	X509			*c = NULL;
	int			 fi;

	CU_ASSERT_FATAL(requester_new(&r, "ios", "both", NULL, NULL) == 0);
	CU_ASSERT_EQUAL(send_csr(&r, r.csr, MSG_PKCSREQ, EVP_sha256(),
	    "BER-1", BER_INDEFINITE, &fi, &c), STATUS_SUCCESS);
	CU_ASSERT(c != NULL && EVP_PKEY_eq(X509_get0_pubkey(c), r.key) == 1);
	X509_free(c);
	c = NULL;
	/* ... with the attributes out of order too. */
	CU_ASSERT_EQUAL(send_csr(&r, r.csr, MSG_PKCSREQ, EVP_sha256(),
	    "BER-2", BER_INDEFINITE | ATTRS_REVERSED, &fi, &c),
	    STATUS_SUCCESS);
	CU_ASSERT(c != NULL && EVP_PKEY_eq(X509_get0_pubkey(c), r.key) == 1);
	X509_free(c);
	requester_free(&r);
}

static void
test_bad_txid_and_method(void)
{
	struct requester	 r;
	struct buf		 msg = { 0 };
	struct http_req		 hr = { .method = "POST",
				    .query = "operation=PKIOperation" };
	struct http_resp	 resp = { 0 };

	/* '*' and '_' cannot be echoed in a PrintableString. */
	CU_ASSERT_FATAL(requester_new(&r, "tx", "both", NULL, NULL) == 0);
	CU_ASSERT_FATAL(build_pkcsreq(&r, w.ra.enc_cert, EVP_aes_128_cbc(),
	    "bad*txid_", &msg) == 0);
	hr.body = msg.p;
	hr.body_len = msg.len;
	route_request(&w, &hr, &resp);
	CU_ASSERT_EQUAL(resp.status, 400);
	http_resp_free(&resp);
	/* HEAD would issue and drop the answer. */
	memset(&resp, 0, sizeof(resp));
	hr.method = "HEAD";
	hr.query = "operation=PKIOperation&message=AAAA";
	route_request(&w, &hr, &resp);
	CU_ASSERT_EQUAL(resp.status, 405);
	http_resp_free(&resp);
	buf_free(&msg);
	requester_free(&r);
}

static void
test_http_errors(void)
{
	struct http_req		 hr = { .method = "GET",
				    .query = "operation=PKIOperation&message=%%%" };
	struct http_resp	 resp = { 0 };
	long			 before = count("certificates");

	route_request(&w, &hr, &resp);
	CU_ASSERT_EQUAL(resp.status, 400);
	http_resp_free(&resp);
	memset(&resp, 0, sizeof(resp));
	hr.query = "operation=GetCACaps";
	route_request(&w, &hr, &resp);
	CU_ASSERT_EQUAL(resp.status, 200);
	CU_ASSERT(resp.body.len > 0 && memmem(resp.body.p, resp.body.len,
	    "SCEPStandard\n", 13) != NULL);
	http_resp_free(&resp);
	CU_ASSERT_EQUAL(count("certificates"), before);
}

/* A RenewalReq for new's CSR, signed by old's certificate (old.self). */
static int
renew(struct requester *old, struct requester *new, const char *txid,
    int *fi, X509 **cert)
{
	unsigned char	*der = NULL;
	struct buf	 msg = { 0 };
	int		 len, st;

	len = i2d_X509_REQ(new->csr, &der);
	CU_ASSERT_FATAL(build_pkimessage(old, w.ra.enc_cert,
	    EVP_aes_128_cbc(), EVP_sha256(), MSG_RENEWALREQ, txid, der,
	    (size_t)len, &msg) == 0);
	st = post(old, &msg, fi, cert);
	OPENSSL_free(der);
	buf_free(&msg);
	return st;
}

/* Signs r's CSR as the worker would for a policy that vouched for sid. */
static X509 *
issue_with_sid(struct requester *r, const char *serial_out_txid)
{
	struct issue_extras	 ex = { "S-1-5-21-1-2-3-1001", NULL };
	static const struct store_claim none = { .kind = CLAIM_NONE };
	struct store_cert	 sc = { 0 };
	unsigned char		*der = NULL;
	const unsigned char	*p;
	char			 serial[80], reason[REASON_MAX], key_id[41];
	X509			*x = NULL, *parsed;
	int			 len;

	CU_ASSERT_FATAL(issue_sign_ex(&w.cfg, config_template(&w.cfg, "GpT"),
	    &w.ra, r->csr, &ex, &x, reason, sizeof(reason)) == 0);
	len = i2d_X509(x, &der);
	cert_serial_hex(X509_get0_serialNumber(x), serial, sizeof(serial));
	cert_key_id_hex(X509_REQ_get_X509_PUBKEY(r->csr), key_id);
	sc.serial = serial;
	sc.subject = "sid";
	sc.sans = "";
	sc.template_name = "GpT";
	sc.device_id = "device-7";
	sc.txid = serial_out_txid;
	sc.key_id = key_id;
	sc.ca_key = w.ra.ca_key_id;
	sc.not_after = cert_time_epoch(X509_get0_notAfter(x));
	sc.der = der;
	sc.der_len = (size_t)len;
	CU_ASSERT_EQUAL(store_issue(w.store, &sc, &none), STORE_OK);
	/* As the device holds it: parsed from DER (issue_sign_ex's object
	 * carries the key's bits only). */
	p = der;
	parsed = d2i_X509(NULL, &p, len);
	CU_ASSERT_FATAL(parsed != NULL);
	X509_free(x);
	OPENSSL_free(der);
	return parsed;
}

static int
count_rows(const struct cert_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static void
test_renewal(void)
{
	struct requester	 r1, r2, r3, signer = { 0 };
	struct cert_row		 row;
	struct cert_filter	 f;
	X509			*c1, *c2 = NULL, *c3 = NULL;
	char			 sid[192], serial[80];
	int			 fi, n = 0;

	CU_ASSERT_FATAL(requester_new(&r1, "renew", "both", NULL, NULL) == 0);
	CU_ASSERT_FATAL(requester_new(&r2, "renew", "both", NULL, NULL) == 0);
	CU_ASSERT_FATAL(requester_new(&r3, "other", "both", NULL, NULL) == 0);
	c1 = issue_with_sid(&r1, "RN-0");
	signer.key = r1.key;
	signer.self = c1;
	/* Another subject is not a renewal. */
	CU_ASSERT_EQUAL(renew(&signer, &r3, "RN-X", &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADREQUEST);
	CU_ASSERT_EQUAL(renew(&signer, &r2, "RN-1", &fi, &c2), STATUS_SUCCESS);
	CU_ASSERT_FATAL(c2 != NULL);
	CU_ASSERT_EQUAL(EVP_PKEY_eq(X509_get0_pubkey(c2),
	    X509_REQ_get0_pubkey(r2.csr)), 1);
	/* The strong mapping goes with the subject to the new certificate. */
	CU_ASSERT(issue_sid_of(c2, sid, sizeof(sid)) == 0 &&
	    strcmp(sid, "S-1-5-21-1-2-3-1001") == 0);
	cert_serial_hex(X509_get0_serialNumber(c1), serial, sizeof(serial));
	CU_ASSERT(store_cert_status(w.store, serial, &row) == STORE_OK &&
	    row.revoked && row.reason == REVOKE_SUPERSEDED);
	/* ... and belongs to the same device (bulk revocation finds it). */
	memset(&f, 0, sizeof(f));
	f.device_id = "device-7";
	f.status = 1;
	CU_ASSERT_EQUAL(store_list(w.store, &f, count_rows, &n), STORE_OK);
	CU_ASSERT_EQUAL(n, 1);
	/* Retransmitted: the same answer. From the superseded one again: no. */
	CU_ASSERT_EQUAL(renew(&signer, &r2, "RN-1", &fi, &c3), STATUS_SUCCESS);
	CU_ASSERT(c3 != NULL && X509_cmp(c2, c3) == 0);
	CU_ASSERT_EQUAL(renew(&signer, &r2, "RN-2", &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);
	/* A self-signed certificate is no ground for a renewal. */
	CU_ASSERT_EQUAL(renew(&r3, &r3, "RN-3", &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);
	X509_free(c1);
	X509_free(c2);
	X509_free(c3);
	requester_free(&r1);
	requester_free(&r2);
	requester_free(&r3);
}

/*
 * Pre-RFC 8894 renewal: a PKCSReq signed by the certificate being renewed
 * (sscep enroll -O, Cisco IOS) goes through the RenewalReq rules.
 */
static void
test_pkcsreq_renewal(void)
{
	struct requester	 r1, r2, r3, signer = { 0 };
	struct cert_row		 row;
	X509			*c1, *c2 = NULL, *c3 = NULL;
	char			 serial[80];
	int			 fi;
	long			 before;

	CU_ASSERT_FATAL(requester_new(&r1, "sscep", "both", NULL, NULL) == 0);
	CU_ASSERT_FATAL(requester_new(&r2, "sscep", "both", NULL, NULL) == 0);
	CU_ASSERT_FATAL(requester_new(&r3, "not-sscep", "both", NULL,
	    NULL) == 0);
	c1 = issue_with_sid(&r1, "PR-0");
	signer.key = r1.key;
	signer.self = c1;
	signer.csr = r2.csr;	/* borrowed: CertPoll names its subject */
	before = count("certificates");
	/* Another subject: a named refusal, not badMessageCheck. */
	CU_ASSERT_EQUAL(send_csr(&signer, r3.csr, MSG_PKCSREQ, EVP_sha256(),
	    "PR-X", AS_BUILT, &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADREQUEST);
	CU_ASSERT_EQUAL(count("certificates"), before);
	CU_ASSERT_EQUAL(send_csr(&signer, r2.csr, MSG_PKCSREQ, EVP_sha256(),
	    "PR-1", AS_BUILT, &fi, &c2), STATUS_SUCCESS);
	CU_ASSERT_FATAL(c2 != NULL);
	CU_ASSERT_EQUAL(EVP_PKEY_eq(X509_get0_pubkey(c2), r2.key), 1);
	cert_serial_hex(X509_get0_serialNumber(c1), serial, sizeof(serial));
	CU_ASSERT(store_cert_status(w.store, serial, &row) == STORE_OK &&
	    row.revoked && row.reason == REVOKE_SUPERSEDED);
	/* Polled and resent with the old certificate: the same answer. */
	CU_ASSERT_EQUAL(certpoll(&signer, "PR-1", &fi, &c3), STATUS_SUCCESS);
	CU_ASSERT(c3 != NULL && X509_cmp(c2, c3) == 0);
	X509_free(c3);
	c3 = NULL;
	CU_ASSERT_EQUAL(send_csr(&signer, r2.csr, MSG_PKCSREQ, EVP_sha256(),
	    "PR-1", AS_BUILT, &fi, &c3), STATUS_SUCCESS);
	CU_ASSERT(c3 != NULL && X509_cmp(c2, c3) == 0);
	/* The superseded (revoked) certificate renews nothing more. */
	before = count("certificates");
	CU_ASSERT_EQUAL(send_csr(&signer, r2.csr, MSG_PKCSREQ, EVP_sha256(),
	    "PR-2", AS_BUILT, &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);
	CU_ASSERT_EQUAL(count("certificates"), before);
	X509_free(c1);
	X509_free(c2);
	X509_free(c3);
	requester_free(&r1);
	requester_free(&r2);
	requester_free(&r3);
}

/* GetCert answers the certificate's key holder or its subject's holder
 * of a certificate of ours, nobody else. */
static void
test_getcert_bound(void)
{
	struct requester	 r, same_name, stranger, holder = { 0 };
	X509			*c = NULL, *c2 = NULL, *got = NULL;
	int			 fi;

	CU_ASSERT_FATAL(requester_new(&r, "bound", "both", NULL, NULL) == 0);
	CU_ASSERT_FATAL(requester_new(&same_name, "bound", "both", NULL,
	    NULL) == 0);
	CU_ASSERT_FATAL(requester_new(&stranger, "stranger", "both", NULL,
	    NULL) == 0);
	CU_ASSERT_EQUAL(enroll(&r, "GB-1", &fi, &c), STATUS_SUCCESS);
	CU_ASSERT_FATAL(c != NULL);
	/* A self-signed certificate with the same name but another key. */
	CU_ASSERT_EQUAL(getcert(&same_name, X509_get_subject_name(w.ra.ca),
	    X509_get0_serialNumber(c), &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);
	CU_ASSERT_EQUAL(getcert(&stranger, X509_get_subject_name(w.ra.ca),
	    X509_get0_serialNumber(c), &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);
	/* The same subject's certificate of ours, another key: allowed. */
	CU_ASSERT_EQUAL(enroll(&same_name, "GB-2", &fi, &c2), STATUS_SUCCESS);
	CU_ASSERT_FATAL(c2 != NULL);
	holder.key = same_name.key;
	holder.self = c2;
	CU_ASSERT_EQUAL(getcert(&holder, X509_get_subject_name(w.ra.ca),
	    X509_get0_serialNumber(c), &fi, &got), STATUS_SUCCESS);
	CU_ASSERT(got != NULL && X509_cmp(got, c) == 0);
	X509_free(got);
	X509_free(c);
	X509_free(c2);
	requester_free(&r);
	requester_free(&same_name);
	requester_free(&stranger);
}

static int
crl_lists(X509_CRL *crl, const ASN1_INTEGER *serial)
{
	X509_REVOKED	*rev = NULL;

	return crl != NULL && X509_CRL_get0_by_serial(crl, &rev,
	    serial) == 1;
}

static void
test_getcrl(void)
{
	struct requester	 r;
	X509			*c = NULL, *none = NULL;
	char			 serial[80];
	int			 fi, already;

	CU_ASSERT_FATAL(requester_new(&r, "crl", "both", NULL, NULL) == 0);
	CU_ASSERT_EQUAL(enroll(&r, "CRL-1", &fi, &c), STATUS_SUCCESS);
	CU_ASSERT_FATAL(c != NULL);
	cert_serial_hex(X509_get0_serialNumber(c), serial, sizeof(serial));
	CU_ASSERT_EQUAL(store_revoke(w.store, serial, REVOKE_KEY_COMPROMISE,
	    util_now(), &already), STORE_OK);
	CU_ASSERT_EQUAL(issuer_serial_op(&r, MSG_GETCRL,
	    X509_get_subject_name(w.ra.ca), X509_get0_serialNumber(c), &fi,
	    &none), STATUS_SUCCESS);
	CU_ASSERT_PTR_NULL(none);	/* a CRL, no certificate */
	CU_ASSERT(crl_lists(last_crl, X509_get0_serialNumber(c)));
	CU_ASSERT(last_crl != NULL &&
	    X509_CRL_verify(last_crl, X509_get0_pubkey(w.ra.ca)) == 1);
	CU_ASSERT_EQUAL(issuer_serial_op(&r, MSG_GETCRL,
	    X509_get_subject_name(c), X509_get0_serialNumber(c), &fi, NULL),
	    STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADCERTID);
	X509_free(c);
	requester_free(&r);
}

static int
first_id(const struct pending_req *p, void *arg)
{
	*(int64_t *)arg = p->id;
	return 1;
}

static void
test_pending(void)
{
	struct requester	 r;
	int64_t			 id = 0;
	long			 before = count("certificates");
	int			 fi;

	/* EncT requires approval ([EncT] RequireApproval = 1). */
	CU_ASSERT_FATAL(requester_new(&r, "held", "keyEncipherment", NULL,
	    NULL) == 0);
	CU_ASSERT_EQUAL(enroll(&r, "HELD-1", &fi, NULL), STATUS_PENDING);
	CU_ASSERT_EQUAL(count("certificates"), before);
	CU_ASSERT_EQUAL(certpoll(&r, "HELD-1", &fi, NULL), STATUS_PENDING);
	CU_ASSERT_EQUAL(enroll(&r, "HELD-1", &fi, NULL), STATUS_PENDING);
	CU_ASSERT_EQUAL(store_pending_list(w.store, util_now(), first_id,
	    &id), STORE_OK);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(store_pending_decide(w.store, id, util_now(), NULL,
	    NULL, 0),
	    STORE_OK);
	CU_ASSERT_EQUAL(certpoll(&r, "HELD-1", &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADREQUEST);
	CU_ASSERT_EQUAL(count("certificates"), before);
	requester_free(&r);
}

/* A requester whose key (CSR, self-signed certificate) is EC P-256. */
static void
ec_requester(struct requester *r, const char *cn, const char *ku)
{
	CU_ASSERT_FATAL(requester_new(r, cn, ku, NULL, NULL) == 0);
	EVP_PKEY_free(r->key);
	CU_ASSERT_FATAL((r->key = EVP_EC_gen("P-256")) != NULL);
	CU_ASSERT_FATAL(X509_REQ_set_pubkey(r->csr, r->key) == 1 &&
	    X509_REQ_sign(r->csr, r->key, EVP_sha256()) > 0 &&
	    X509_set_pubkey(r->self, r->key) == 1 &&
	    X509_sign(r->self, r->key, EVP_sha256()) > 0);
}

/* A PKCSReq of r's CSR, enveloped with cipher (and OAEP). */
static int
enroll_with(struct requester *r, const EVP_CIPHER *cipher, int oaep,
    const char *txid, int *fi, X509 **cert)
{
	struct buf	 msg = { 0 };
	unsigned char	*der = NULL;
	int		 len, st;

	len = i2d_X509_REQ(r->csr, &der);
	CU_ASSERT_FATAL(len > 0 && build_pkimessage_ex(r, w.ra.enc_cert,
	    cipher, oaep, EVP_sha256(), MSG_PKCSREQ, txid, der, (size_t)len,
	    &msg) == 0);
	st = post(r, &msg, fi, cert);
	OPENSSL_free(der);
	buf_free(&msg);
	return st;
}

/*
 * A requester with an EC key that wrapped its request to the RA's RSA
 * certificate with RSAES-OAEP: its reply goes by key agreement, which
 * has no OAEP to mirror (was: HTTP 500 after the certificate was
 * recorded, and again for every CertPoll; found by fuzz_worker).
 */
static void
test_ec_requester_oaep(void)
{
	struct requester	 r;
	X509			*c = NULL, *c2 = NULL;
	int			 fi;

	ec_requester(&r, "ec-oaep", "both");
	/* post() fails on anything but HTTP 200 and decrypts the reply. */
	CU_ASSERT_EQUAL(enroll_with(&r, EVP_aes_256_cbc(), 1, "EC-OAEP", &fi,
	    &c), STATUS_SUCCESS);
	CU_ASSERT(c != NULL && EVP_PKEY_eq(X509_get0_pubkey(c), r.key) == 1);
	/* Sent again: the recorded certificate, the same way. */
	CU_ASSERT_EQUAL(enroll_with(&r, EVP_aes_256_cbc(), 1, "EC-OAEP", &fi,
	    &c2), STATUS_SUCCESS);
	CU_ASSERT(c != NULL && c2 != NULL && X509_cmp(c, c2) == 0);
	X509_free(c);
	X509_free(c2);
	requester_free(&r);
}

static int
found(const struct pending_req *p, void *arg)
{
	(void)p;
	*(int *)arg = 1;
	return 1;
}

/*
 * An EC requester that enveloped with single DES (AllowDES = 1): ECDH
 * wraps the reply's content key with AES key wrap, which takes no key
 * under 16 bytes, so no reply can reach it. Refused with badAlg before
 * a certificate is signed, recorded or held for approval (was: the
 * certificate recorded, then HTTP 500 "cannot build CertRep", and the
 * same for every retry; found by fuzz_worker).
 */
static void
test_ec_requester_des(void)
{
	struct requester	 r, held;
	X509			*c = NULL;
	long			 before = count("certificates");
	char			 key_id[41];
	int			 fi, pending = 0;

	ec_requester(&r, "ec-des", "both");
	CU_ASSERT_EQUAL(enroll_with(&r, EVP_des_cbc(), 0, "EC-DES", &fi, &c),
	    STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADALG);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(count("certificates"), before);
	/* Retried: refused the same way, still nothing recorded. */
	CU_ASSERT_EQUAL(enroll_with(&r, EVP_des_cbc(), 0, "EC-DES", &fi, &c),
	    STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADALG);
	CU_ASSERT_EQUAL(count("certificates"), before);
	/* EncT requires approval: nothing is held either. */
	ec_requester(&held, "ec-des-held", "keyEncipherment");
	CU_ASSERT_EQUAL(enroll_with(&held, EVP_des_cbc(), 0, "EC-DES-HELD",
	    &fi, NULL), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADALG);
	CU_ASSERT_FATAL(cert_key_id_hex(X509_REQ_get_X509_PUBKEY(held.csr),
	    key_id) == 0);
	CU_ASSERT_EQUAL(store_pending_find(w.store, "EC-DES-HELD", key_id,
	    util_now(), found, &pending), STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(pending, 0);
	/* The same key with 3DES (a 3DES key wrap): issued. */
	CU_ASSERT_EQUAL(enroll_with(&r, EVP_des_ede3_cbc(), 0, "EC-3DES", &fi,
	    &c), STATUS_SUCCESS);
	CU_ASSERT(c != NULL && EVP_PKEY_eq(X509_get0_pubkey(c), r.key) == 1);
	CU_ASSERT_EQUAL(count("certificates"), before + 1);
	X509_free(c);
	requester_free(&r);
	requester_free(&held);
}

/*
 * A signer key too small to carry the reply's content key: RSA-512
 * with RSAES-OAEP (42 bytes of padding) cannot carry an AES-256 key.
 * A GetCert from it is answered with a FAILURE (badAlg), not HTTP 500.
 */
static void
test_small_rsa_signer(void)
{
	struct requester	 owner, small;
	PKCS7_ISSUER_AND_SERIAL	*ias = PKCS7_ISSUER_AND_SERIAL_new();
	struct buf		 msg = { 0 };
	unsigned char		*der = NULL;
	X509			*c = NULL, *none = NULL;
	int			 fi, len;

	CU_ASSERT_FATAL(requester_new(&owner, "small-owner", "both", NULL,
	    NULL) == 0);
	CU_ASSERT_EQUAL(enroll(&owner, "SMALL-OWNER", &fi, &c), STATUS_SUCCESS);
	CU_ASSERT_FATAL(c != NULL && ias != NULL);
	CU_ASSERT_FATAL(requester_new(&small, "small", "both", NULL,
	    NULL) == 0);
	EVP_PKEY_free(small.key);
	CU_ASSERT_FATAL((small.key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)512)) != NULL);
	CU_ASSERT_FATAL(X509_set_pubkey(small.self, small.key) == 1 &&
	    X509_sign(small.self, small.key, EVP_sha256()) > 0);
	X509_NAME_set(&ias->issuer, X509_get_subject_name(w.ra.ca));
	ASN1_INTEGER_free(ias->serial);
	ias->serial = ASN1_INTEGER_dup(X509_get0_serialNumber(c));
	len = i2d_PKCS7_ISSUER_AND_SERIAL(ias, &der);
	CU_ASSERT_FATAL(len > 0 && build_pkimessage_ex(&small, w.ra.enc_cert,
	    EVP_aes_256_cbc(), 1, EVP_sha256(), MSG_GETCERT, "SMALL-GC", der,
	    (size_t)len, &msg) == 0);
	CU_ASSERT_EQUAL(post(&small, &msg, &fi, &none), STATUS_FAILURE);
	CU_ASSERT_EQUAL(fi, FAIL_BADALG);
	CU_ASSERT_PTR_NULL(none);
	OPENSSL_free(der);
	buf_free(&msg);
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	X509_free(c);
	requester_free(&owner);
	requester_free(&small);
}

static int
setup(void)
{
	/* The fixture creates the CA; the worker loads it like bin/mscep. */
	/* AllowDES: the EC requester with single DES (test_ec_requester_des). */
	return fixture_worker_open(&fx, "AllowDES = 1\n"
	    "[MSCEP]\nEnforcePassword = 0\n"
	    "[GpT]\nAllowRenewal = 1\nRevokeOnRenewal = 1\n"
	    "[EncT]\nRequireApproval = 1\n", &w);
}

static int
cleanup(void)
{
	fixture_worker_close(&fx, &w);
	X509_CRL_free(last_crl);
	last_crl = NULL;
	return 0;
}

int
register_pkiop(void)
{
	CU_pSuite s = CU_add_suite("pkiop", setup, cleanup);

	if (s == NULL ||
	    !CU_add_test(s, "enroll, resubmit same txid",
	    test_enroll_and_resubmit) ||
	    !CU_add_test(s, "txid reused with another key", test_txid_other_key) ||
	    !CU_add_test(s, "CertPoll", test_certpoll) ||
	    !CU_add_test(s, "GetCert", test_getcert) ||
	    !CU_add_test(s, "EC requester, OAEP envelope",
	    test_ec_requester_oaep) ||
	    !CU_add_test(s, "EC requester, single-DES envelope: refused "
	    "before issuing", test_ec_requester_des) ||
	    !CU_add_test(s, "RSA-512 signer, OAEP and AES-256: refused",
	    test_small_rsa_signer) ||
	    !CU_add_test(s, "RenewalReq keeps subject and SID",
	    test_renewal) ||
	    !CU_add_test(s, "GetCRL", test_getcrl) ||
	    !CU_add_test(s, "PKCSReq signed by the old certificate renews",
	    test_pkcsreq_renewal) ||
	    !CU_add_test(s, "GetCert bound to the requester",
	    test_getcert_bound) ||
	    !CU_add_test(s, "held for approval, denied", test_pending) ||
	    !CU_add_test(s, "separate self-signed signer",
	    test_separate_signer) ||
	    !CU_add_test(s, "signer issued by another CA",
	    test_foreign_signer) ||
	    !CU_add_test(s, "MD5 with AllowMD5", test_md5) ||
	    !CU_add_test(s, "signed attributes as sent", test_attrs_as_sent) ||
	    !CU_add_test(s, "BER indefinite length", test_ber_indefinite) ||
	    !CU_add_test(s, "bad transactionID, HEAD", test_bad_txid_and_method) ||
	    !CU_add_test(s, "HTTP errors store nothing", test_http_errors))
		return -1;
	return 0;
}
