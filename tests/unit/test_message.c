/* test_message.c - PKIOperation decoding and CertRep building, round trip. */
#include <CUnit/CUnit.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>

#include "scep/certrep.h"
#include "fixture.h"
#include "ca/issue.h"
#include "scep/message.h"
#include "suites.h"

static struct fixture	 fx;
static struct requester	 req;

static enum decode_result
decode(const struct buf *msg, struct scep_req *r, enum scep_failinfo *f)
{
	char	 reason[REASON_MAX];

	return message_decode(msg->p, msg->len, &fx.ra, 0, r, f, reason,
	    sizeof(reason));
}

static void
test_decode_pkcsreq(void)
{
	struct buf		 msg = { 0 };
	struct scep_req		 r;
	enum scep_failinfo	 f;

	CU_ASSERT_FATAL(build_pkcsreq(&req, fx.ra.enc_cert, EVP_aes_128_cbc(),
	    "TX-1", &msg) == 0);
	CU_ASSERT_EQUAL(decode(&msg, &r, &f), DECODE_OK);
	CU_ASSERT_EQUAL(r.msg_type, MSG_PKCSREQ);
	CU_ASSERT_STRING_EQUAL(r.txid, "TX-1");
	CU_ASSERT_EQUAL(r.nonce_len, 16);
	CU_ASSERT_EQUAL(r.cipher_nid, NID_aes_128_cbc);
	CU_ASSERT_EQUAL(r.digest_nid, NID_sha256);
	CU_ASSERT_PTR_NOT_NULL(r.csr);
	CU_ASSERT_EQUAL(X509_cmp(r.signer, req.self), 0);
	scep_req_free(&r);
	buf_free(&msg);
}

static void
test_decode_ciphers(void)
{
	const EVP_CIPHER	*c[] = { EVP_des_ede3_cbc(), EVP_aes_256_cbc() };
	const int		 nid[] = { NID_des_ede3_cbc, NID_aes_256_cbc };
	struct buf		 msg = { 0 };
	struct scep_req		 r;
	enum scep_failinfo	 f;
	int			 i;

	for (i = 0; i < 2; i++) {
		msg.len = 0;
		CU_ASSERT_FATAL(build_pkcsreq(&req, fx.ra.enc_cert, c[i], "T",
		    &msg) == 0);
		CU_ASSERT_EQUAL(decode(&msg, &r, &f), DECODE_OK);
		CU_ASSERT_EQUAL(r.cipher_nid, nid[i]);
		scep_req_free(&r);
	}
	buf_free(&msg);
}

static void
expect_failure(const struct buf *msg, enum scep_failinfo want)
{
	struct scep_req		 r;
	enum scep_failinfo	 f = FAIL_NONE;

	CU_ASSERT_EQUAL(decode(msg, &r, &f), DECODE_FAILURE);
	CU_ASSERT_EQUAL(f, want);
	/* The CertRep still needs these to reach the client. */
	CU_ASSERT(r.txid[0] != '\0' && r.nonce_len == 16);
	scep_req_free(&r);
}

static void
test_decode_refusals(void)
{
	struct buf	 msg = { 0 };
	unsigned char	*der = NULL;
	int		 len = i2d_X509_REQ(req.csr, &der);

	/* Encrypted to the RA signing certificate, not the encryption one. */
	build_pkcsreq(&req, fx.ra.sign_cert, EVP_aes_128_cbc(), "T", &msg);
	expect_failure(&msg, FAIL_BADMESSAGECHECK);
	/* Signature broken: the last byte of the DER is in the signature. */
	msg.len = 0;
	build_pkcsreq(&req, fx.ra.enc_cert, EVP_aes_128_cbc(), "T", &msg);
	msg.p[msg.len - 1] ^= 0x01;
	expect_failure(&msg, FAIL_BADMESSAGECHECK);
	/* MD5 is forbidden by RFC 8894. */
	msg.len = 0;
	build_pkimessage(&req, fx.ra.enc_cert, EVP_aes_128_cbc(), EVP_md5(),
	    MSG_PKCSREQ, "T", der, (size_t)len, &msg);
	expect_failure(&msg, FAIL_BADALG);
	/* A message type nobody negotiated. */
	msg.len = 0;
	build_pkimessage(&req, fx.ra.enc_cert, EVP_aes_128_cbc(), EVP_sha256(),
	    99, "T", der, (size_t)len, &msg);
	expect_failure(&msg, FAIL_BADREQUEST);
	/* A CertPoll whose content is a CSR, not an IssuerAndSubject. */
	msg.len = 0;
	build_pkimessage(&req, fx.ra.enc_cert, EVP_aes_128_cbc(), EVP_sha256(),
	    MSG_CERTPOLL, "T", der, (size_t)len, &msg);
	expect_failure(&msg, FAIL_BADREQUEST);
	OPENSSL_free(der);
	buf_free(&msg);
}

static void
test_decode_garbage(void)
{
	struct buf		 msg = { 0 };
	struct scep_req		 r;
	enum scep_failinfo	 f;
	size_t			 cut;

	build_pkcsreq(&req, fx.ra.enc_cert, EVP_aes_128_cbc(), "T", &msg);
	for (cut = 1; cut < msg.len; cut += msg.len / 7) {
		enum decode_result dr;
		size_t full = msg.len;

		msg.len = cut;
		dr = decode(&msg, &r, &f);
		CU_ASSERT(dr != DECODE_OK);
		scep_req_free(&r);
		msg.len = full;
	}
	CU_ASSERT_EQUAL(message_decode((const unsigned char *)"", 0, &fx.ra, 0,
	    &r, &f, (char[64]){0}, 64), DECODE_HTTP_ERROR);
	buf_free(&msg);
}

/* Parses a CertRep as a client would; returns the pkiStatus or -1. */
static int
client_parse(const struct buf *rep, const char *txid,
    const struct scep_req *r, X509 **issued, int *cipher_nid)
{
	const unsigned char	*p = rep->p;
	CMS_ContentInfo		*cms = d2i_CMS_ContentInfo(NULL, &p,
				    (long)rep->len), *env = NULL;
	STACK_OF(X509)		*trust = sk_X509_new_null();
	BIO			*content = BIO_new(BIO_s_mem());
	BIO			*plain = BIO_new(BIO_s_mem());
	CMS_SignerInfo		*si;
	BUF_MEM			*m;
	PKCS7			*p7 = NULL, *env7 = NULL;
	unsigned char		 nonce[64];
	char			 s[64];
	int			 status = -1;

	sk_X509_push(trust, fx.ra.sign_cert);
	if (cms == NULL || CMS_verify(cms, trust, NULL, NULL, content,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
		goto out;
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	CU_ASSERT(scep_attr_get_string(si, ATTR_MESSAGE_TYPE, s, 64) == 0 &&
	    strcmp(s, "3") == 0);
	CU_ASSERT(scep_attr_get_string(si, ATTR_TRANSACTION_ID, s, 64) == 0 &&
	    strcmp(s, txid) == 0);
	CU_ASSERT(scep_attr_get_octets(si, ATTR_RECIPIENT_NONCE, nonce, 64) ==
	    16 && memcmp(nonce, r->sender_nonce, 16) == 0);
	CU_ASSERT(scep_attr_get_octets(si, ATTR_SENDER_NONCE, nonce, 64) == 16);
	if (scep_attr_get_string(si, ATTR_PKI_STATUS, s, 64) != 0)
		goto out;
	status = s[0] - '0';
	if (status != 0)
		goto out;
	BIO_get_mem_ptr(content, &m);
	p = (unsigned char *)m->data;
	env7 = d2i_PKCS7(NULL, &p, (long)m->length);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env7);
	*cipher_nid = OBJ_obj2nid(env7->d.enveloped->enc_data->algorithm->algorithm);
	p = (unsigned char *)m->data;
	env = d2i_CMS_ContentInfo(NULL, &p, (long)m->length);
	CU_ASSERT_FATAL(env != NULL && CMS_decrypt(env, req.key, req.self, NULL,
	    plain, CMS_BINARY) == 1);
	BIO_get_mem_ptr(plain, &m);
	p = (unsigned char *)m->data;
	p7 = d2i_PKCS7(NULL, &p, (long)m->length);
	CU_ASSERT_FATAL(p7 != NULL && PKCS7_type_is_signed(p7));
	*issued = X509_dup(sk_X509_value(p7->d.sign->cert, 0));
out:
	PKCS7_free(p7);
	PKCS7_free(env7);
	CMS_ContentInfo_free(env);
	CMS_ContentInfo_free(cms);
	BIO_free(plain);
	BIO_free(content);
	sk_X509_free(trust);
	ERR_clear_error();
	return status;
}

/* The certificate as sent carries the CSR's SubjectPublicKeyInfo, byte
 * for byte. */
static int
same_spki(X509 *x, X509_REQ *csr)
{
	unsigned char		*der = NULL, *a = NULL, *b = NULL;
	const unsigned char	*p;
	int			 len = i2d_X509(x, &der), la = -1, lb = -1;
	X509			*sent = NULL;
	int			 same;

	p = der;
	if (len > 0 && (sent = d2i_X509(NULL, &p, len)) != NULL) {
		la = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(sent), &a);
		lb = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(csr), &b);
	}
	same = la > 0 && la == lb && memcmp(a, b, (size_t)la) == 0;
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_free(sent);
	OPENSSL_free(der);
	return same;
}

static void
roundtrip(const EVP_CIPHER *cipher, int nid)
{
	struct buf		 msg = { 0 }, rep = { 0 };
	struct scep_req		 r;
	struct certrep		 cr = { STATUS_SUCCESS, FAIL_NONE, NULL, NULL, NULL };
	enum scep_failinfo	 f;
	char			 reason[REASON_MAX];
	X509			*cert = NULL, *got = NULL;
	int			 got_nid = 0;

	CU_ASSERT_FATAL(build_pkcsreq(&req, fx.ra.enc_cert, cipher, "RT",
	    &msg) == 0);
	CU_ASSERT_FATAL(decode(&msg, &r, &f) == DECODE_OK);
	CU_ASSERT_FATAL(issue_sign(&fx.cfg, fx.cfg.general, &fx.ra, r.csr,
	    &cert, reason, sizeof(reason)) == 0);
	cr.cert = cert;
	CU_ASSERT_FATAL(certrep_build(&r, &fx.ra, &cr, &rep, reason,
	    sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(client_parse(&rep, "RT", &r, &got, &got_nid), 0);
	CU_ASSERT_PTR_NOT_NULL(got);
	if (got != NULL) {
		CU_ASSERT_EQUAL(X509_cmp(got, cert), 0);
		/* The CSR's key, signed by the CA. */
		CU_ASSERT_EQUAL(EVP_PKEY_eq(X509_get0_pubkey(got),
		    X509_REQ_get0_pubkey(r.csr)), 1);
		CU_ASSERT_EQUAL(X509_verify(got, X509_get0_pubkey(fx.ra.ca)),
		    1);
		CU_ASSERT_EQUAL(same_spki(got, r.csr), 1);
	}
	CU_ASSERT_EQUAL(got_nid, nid);	/* the reply mirrors the cipher */
	X509_free(got);
	X509_free(cert);
	scep_req_free(&r);
	buf_free(&msg);
	buf_free(&rep);
}

/* EC keys too: their last byte often ends in zero bits, which a BIT
 * STRING copied without care loses. */
static void
test_issued_spki(void)
{
	X509_NAME	*name = X509_NAME_new();
	char		 reason[REASON_MAX];
	int		 i;

	CU_ASSERT_FATAL(name != NULL && X509_NAME_add_entry_by_txt(name, "CN",
	    MBSTRING_ASC, (const unsigned char *)"ec", -1, -1, 0) == 1);
	for (i = 0; i < 8; i++) {
		EVP_PKEY	*k = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
				    i % 2 ? "P-384" : "P-256");
		X509_REQ	*csr = X509_REQ_new();
		X509		*cert = NULL;

		CU_ASSERT_FATAL(k != NULL && csr != NULL &&
		    X509_REQ_set_subject_name(csr, name) == 1 &&
		    X509_REQ_set_pubkey(csr, k) == 1 &&
		    X509_REQ_sign(csr, k, EVP_sha256()) > 0);
		CU_ASSERT_FATAL(issue_sign(&fx.cfg, fx.cfg.general, &fx.ra,
		    csr, &cert, reason, sizeof(reason)) == 0);
		CU_ASSERT_EQUAL(same_spki(cert, csr), 1);
		CU_ASSERT_EQUAL(X509_verify(cert, X509_get0_pubkey(fx.ra.ca)),
		    1);
		X509_free(cert);
		X509_REQ_free(csr);
		EVP_PKEY_free(k);
	}
	X509_NAME_free(name);
}

static void
test_certrep_success(void)
{
	roundtrip(EVP_aes_128_cbc(), NID_aes_128_cbc);
	roundtrip(EVP_des_ede3_cbc(), NID_des_ede3_cbc);
}

static void
test_certrep_failure(void)
{
	struct buf		 msg = { 0 }, rep = { 0 };
	struct scep_req		 r;
	struct certrep		 cr = { STATUS_FAILURE, FAIL_BADREQUEST, NULL,
				    NULL, NULL };
	enum scep_failinfo	 f;
	char			 reason[REASON_MAX];
	X509			*got = NULL;
	int			 nid = 0;

	CU_ASSERT_FATAL(build_pkcsreq(&req, fx.ra.enc_cert, EVP_aes_128_cbc(),
	    "F", &msg) == 0);
	CU_ASSERT_FATAL(decode(&msg, &r, &f) == DECODE_OK);
	CU_ASSERT_FATAL(certrep_build(&r, &fx.ra, &cr, &rep, reason,
	    sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(client_parse(&rep, "F", &r, &got, &nid), 2);
	CU_ASSERT_PTR_NULL(got);
	scep_req_free(&r);
	buf_free(&msg);
	buf_free(&rep);
}

static void
test_issue_template(void)
{
	struct requester	 big;
	X509			*cert = NULL;
	BIGNUM			*bn;
	char			 reason[REASON_MAX];
	int			 days, secs;

	/* GpT: 10 days, requester may ask for up to 20 (not asked here). */
	CU_ASSERT_FATAL(requester_new(&big, "issue", "both", NULL,
	    "host.example") == 0);
	CU_ASSERT_EQUAL(issue_check(fx.cfg.general, big.csr, reason,
	    sizeof(reason)), FAIL_NONE);
	CU_ASSERT_FATAL(issue_sign(&fx.cfg, fx.cfg.general, &fx.ra, big.csr,
	    &cert, reason, sizeof(reason)) == 0);
	CU_ASSERT(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert),
	    X509_get0_notAfter(cert)) == 1);
	CU_ASSERT_EQUAL(days, 10);		/* plus BackdateMinutes */
	CU_ASSERT(X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) >= 0);
	CU_ASSERT(X509_check_issued(fx.ra.ca, cert) == X509_V_OK);
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	CU_ASSERT(BN_num_bits(bn) >= 64);
	BN_free(bn);
	X509_free(cert);
	/* SigT lets no SAN through (default allows dns): EncT with ip-only? */
	fx.cfg.templates[0].san_types = SAN_EMAIL;
	CU_ASSERT_EQUAL(issue_check(&fx.cfg.templates[0], big.csr, reason,
	    sizeof(reason)), FAIL_BADREQUEST);
	CU_ASSERT(strstr(reason, "SAN #1") != NULL);
	fx.cfg.templates[0].min_rsa_bits = 3072;
	fx.cfg.templates[0].san_types = SAN_DNS;
	CU_ASSERT_EQUAL(issue_check(&fx.cfg.templates[0], big.csr, reason,
	    sizeof(reason)), FAIL_BADREQUEST);
	CU_ASSERT(strstr(reason, "below") != NULL);
	fx.cfg.templates[0].min_rsa_bits = 2048;
	requester_free(&big);
}

/* r's CSR again, its SANs the URIs given (NULL ends them). */
static int
csr_uris(struct requester *r, const char *u1, const char *u2)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	GENERAL_NAMES	*g = GENERAL_NAMES_new();
	const char	*u[] = { u1, u2 };
	size_t		 i;
	int		 ok = exts != NULL && g != NULL;

	for (i = 0; ok && i < 2 && u[i] != NULL; i++) {
		GENERAL_NAME	*n = GENERAL_NAME_new();
		ASN1_IA5STRING	*s = ASN1_IA5STRING_new();

		ok = n != NULL && s != NULL && ASN1_STRING_set(s, u[i], -1) &&
		    (GENERAL_NAME_set0_value(n, GEN_URI, s), s = NULL,
		    sk_GENERAL_NAME_push(g, n) > 0);
		if (!ok) {
			ASN1_IA5STRING_free(s);
			GENERAL_NAME_free(n);
		}
	}
	X509_REQ_free(r->csr);
	r->csr = NULL;
	ok = ok && (r->csr = X509_REQ_new()) != NULL &&
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(r->csr),
	    "CN", MBSTRING_UTF8, (const unsigned char *)"sid", -1, -1, 0) &&
	    X509_REQ_set_pubkey(r->csr, r->key) &&
	    X509V3_add1_i2d(&exts, NID_subject_alt_name, g, 0, 0) == 1 &&
	    X509_REQ_add_extensions(r->csr, exts) == 1 &&
	    X509_REQ_sign(r->csr, r->key, EVP_sha256()) > 0;
	GENERAL_NAMES_free(g);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ok ? 0 : -1;
}

/* A strong-mapping SID URI: only one a policy vouches for, naming a SID,
 * and one only. */
static void
test_issue_sid_uri(void)
{
	struct template		*t = &fx.cfg.templates[0];
	struct requester	 r;
	char			 reason[REASON_MAX];
	const int		 types = t->san_types;

	t->san_types = SAN_URI;
	CU_ASSERT_FATAL(requester_new(&r, "sid", "both", NULL, NULL) == 0);
	CU_ASSERT_FATAL(csr_uris(&r, SID_URI_PREFIX "S-1-5-21-1-2-3-1001",
	    NULL) == 0);
	CU_ASSERT_EQUAL(issue_check(t, r.csr, reason, sizeof(reason)),
	    FAIL_BADREQUEST);
	CU_ASSERT(strstr(reason, "SAN #1 is a strong-mapping SID URI; only "
	    "the policy may add one") != NULL);
	CU_ASSERT_EQUAL(issue_check_sans_vouched(t, r.csr, 1, reason,
	    sizeof(reason)), FAIL_NONE);
	/* The prefix alone names no SID. */
	CU_ASSERT_FATAL(csr_uris(&r, SID_URI_PREFIX, NULL) == 0);
	CU_ASSERT_EQUAL(issue_check_sans_vouched(t, r.csr, 1, reason,
	    sizeof(reason)), FAIL_BADREQUEST);
	CU_ASSERT(strstr(reason, "SAN #1 is a strong-mapping SID URI without "
	    "a SID") != NULL);
	/* Two: a policy vouches for one. */
	CU_ASSERT_FATAL(csr_uris(&r, SID_URI_PREFIX "S-1-5-21-1-2-3-1001",
	    SID_URI_PREFIX "S-1-5-21-1-2-3-500") == 0);
	CU_ASSERT_EQUAL(issue_check_sans_vouched(t, r.csr, 1, reason,
	    sizeof(reason)), FAIL_BADREQUEST);
	CU_ASSERT(strstr(reason, "SAN #2 is a second strong-mapping SID URI") !=
	    NULL);
	/* Another URI beside the SID's is the template's to allow. */
	CU_ASSERT_FATAL(csr_uris(&r, SID_URI_PREFIX "S-1-5-21-1-2-3-1001",
	    "https://device.example/42") == 0);
	CU_ASSERT_EQUAL(issue_check_sans_vouched(t, r.csr, 1, reason,
	    sizeof(reason)), FAIL_NONE);
	t->san_types = types;
	requester_free(&r);
}

/* DER of SEQUENCE { BMPString name, BMPString value }, short lengths. */
static int
name_value_der(const char *name, const char *value, unsigned char *der)
{
	unsigned char	*p = der;
	size_t		 nl = strlen(name), vl = strlen(value), i;

	*p++ = 0x30;
	*p++ = (unsigned char)(4 + 2 * nl + 2 * vl);
	*p++ = 0x1e;
	*p++ = (unsigned char)(2 * nl);
	for (i = 0; i < nl; i++) {
		*p++ = 0;
		*p++ = (unsigned char)name[i];
	}
	*p++ = 0x1e;
	*p++ = (unsigned char)(2 * vl);
	for (i = 0; i < vl; i++) {
		*p++ = 0;
		*p++ = (unsigned char)value[i];
	}
	return (int)(p - der);
}

/*
 * One szOID_ENROLLMENT_NAME_VALUE_PAIR attribute whose values are the
 * ValidityPeriod and ValidityPeriodUnits pairs, as Intune sends them.
 */
static void
add_validity(X509_REQ *csr, const char *period, const char *units)
{
	ASN1_OBJECT	*oid = OBJ_txt2obj("1.3.6.1.4.1.311.13.2.1", 1);
	X509_ATTRIBUTE	*attr;
	unsigned char	 der[128];
	int		 len;

	len = name_value_der("ValidityPeriod", period, der);
	attr = X509_ATTRIBUTE_create_by_OBJ(NULL, oid, V_ASN1_SEQUENCE, der,
	    len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(attr);
	len = name_value_der("ValidityPeriodUnits", units, der);
	CU_ASSERT(X509_ATTRIBUTE_set1_data(attr, V_ASN1_SEQUENCE, der, len));
	CU_ASSERT(X509_REQ_add1_attr(csr, attr) == 1);
	X509_ATTRIBUTE_free(attr);
	ASN1_OBJECT_free(oid);
}

static int
validity_days(struct requester *r, const struct template *t)
{
	X509	*cert = NULL;
	char	 reason[REASON_MAX];
	int	 days = -1, secs;

	if (issue_sign(&fx.cfg, t, &fx.ra, r->csr, &cert, reason,
	    sizeof(reason)) == 0)
		ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert),
		    X509_get0_notAfter(cert));
	X509_free(cert);
	return days;
}

static void
test_requester_validity(void)
{
	struct requester	 r;

	/* GpT: 10 days, EDITF_ATTRIBUTEENDDATE on, at most 20. */
	CU_ASSERT_FATAL(requester_new(&r, "v", "both", NULL, NULL) == 0);
	add_validity(r.csr, "Days", "15");
	CU_ASSERT_EQUAL(validity_days(&r, fx.cfg.general), 15);
	/* SigT does not let the requester choose: its 365 days stand. */
	CU_ASSERT_EQUAL(validity_days(&r, fx.cfg.signature), 365);
	requester_free(&r);
	CU_ASSERT_FATAL(requester_new(&r, "v", "both", NULL, NULL) == 0);
	add_validity(r.csr, "Weeks", "8");
	CU_ASSERT_EQUAL(validity_days(&r, fx.cfg.general), 20);	/* capped */
	requester_free(&r);
}

static int
setup(void)
{
	if (fixture_open(&fx, NULL) != 0)
		return -1;
	return requester_new(&req, "device", "both", "secret", NULL);
}

static int
cleanup(void)
{
	requester_free(&req);
	fixture_close(&fx);
	return 0;
}

/* Flips one bit of the encapsulated content, leaving the signature. */
static int
tamper_content(struct buf *msg)
{
	const unsigned char	*p = msg->p;
	CMS_ContentInfo		*cms;
	ASN1_OCTET_STRING	**pos;
	unsigned char		*der = NULL;
	int			 len = -1;

	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)msg->len)) != NULL &&
	    (pos = CMS_get0_content(cms)) != NULL && *pos != NULL) {
		(*pos)->data[10] ^= 0x01;
		len = i2d_CMS_ContentInfo(cms, &der);
	}
	CMS_ContentInfo_free(cms);
	if (len <= 0 || (size_t)len != msg->len) {
		OPENSSL_free(der);
		return -1;
	}
	memcpy(msg->p, der, (size_t)len);
	OPENSSL_free(der);
	return 0;
}

/* MD5 is badAlg unless allowed; allowed, the reply digest is MD5 only
 * with MESSAGE_REPLY_MD5. */
static void
test_decode_md5(void)
{
	struct buf		 msg = { 0 };
	struct scep_req		 r;
	enum scep_failinfo	 f;
	unsigned char		*der = NULL;
	char			 reason[REASON_MAX];
	int			 len;

	len = i2d_X509_REQ(req.csr, &der);
	CU_ASSERT_FATAL(build_pkimessage(&req, fx.ra.enc_cert,
	    EVP_aes_128_cbc(), EVP_md5(), MSG_PKCSREQ, "MD5", der,
	    (size_t)len, &msg) == 0);
	CU_ASSERT_EQUAL(message_decode(msg.p, msg.len, &fx.ra, 0, &r, &f,
	    reason, sizeof(reason)), DECODE_FAILURE);
	CU_ASSERT_EQUAL(f, FAIL_BADALG);
	CU_ASSERT(strstr(reason, "AllowMD5") != NULL);
	scep_req_free(&r);
	CU_ASSERT_EQUAL(message_decode(msg.p, msg.len, &fx.ra,
	    MESSAGE_ALLOW_MD5, &r, &f, reason, sizeof(reason)), DECODE_OK);
	CU_ASSERT_EQUAL(r.digest_nid, NID_md5);
	CU_ASSERT_EQUAL(r.reply_md5, 0);
	scep_req_free(&r);
	CU_ASSERT_EQUAL(message_decode(msg.p, msg.len, &fx.ra,
	    MESSAGE_ALLOW_MD5 | MESSAGE_REPLY_MD5, &r, &f, reason,
	    sizeof(reason)), DECODE_OK);
	CU_ASSERT_EQUAL(r.reply_md5, 1);
	CU_ASSERT(r.csr != NULL);
	scep_req_free(&r);
	OPENSSL_free(der);
	buf_free(&msg);
}

/* Non-DER signed attributes are checked as sent (attrs_as_sent), BER
 * indefinite lengths decode; a DER message takes neither path. */
static void
test_decode_legacy_encodings(void)
{
	struct buf		 msg = { 0 }, ber = { 0 };
	struct scep_req		 r;
	enum scep_failinfo	 f;

	CU_ASSERT_FATAL(build_pkcsreq(&req, fx.ra.enc_cert, EVP_aes_128_cbc(),
	    "LEGACY", &msg) == 0);
	CU_ASSERT_EQUAL(decode(&msg, &r, &f), DECODE_OK);
	CU_ASSERT_EQUAL(r.attrs_as_sent, 0);
	scep_req_free(&r);
	CU_ASSERT_FATAL(to_indefinite(&msg, &ber) == 0);
	CU_ASSERT(ber.len > msg.len);
	CU_ASSERT_EQUAL(decode(&ber, &r, &f), DECODE_OK);
	CU_ASSERT(r.csr != NULL && r.nonce_len == 16);
	scep_req_free(&r);
	buf_free(&ber);
	CU_ASSERT_FATAL(reorder_signed_attrs(&msg, req.key, EVP_sha256()) == 0);
	CU_ASSERT_EQUAL(decode(&msg, &r, &f), DECODE_OK);
	CU_ASSERT_EQUAL(r.attrs_as_sent, 1);
	CU_ASSERT_EQUAL(r.nonce_len, 15);
	CU_ASSERT(r.csr != NULL);
	scep_req_free(&r);
	buf_free(&msg);
	/* The content changed after signing, the attributes validly signed
	 * as sent: the messageDigest attribute still has to match. */
	CU_ASSERT_FATAL(build_pkcsreq(&req, fx.ra.enc_cert, EVP_aes_128_cbc(),
	    "LEGACY", &msg) == 0);
	CU_ASSERT_FATAL(tamper_content(&msg) == 0);
	CU_ASSERT_FATAL(reorder_signed_attrs(&msg, req.key, EVP_sha256()) == 0);
	CU_ASSERT_EQUAL(decode(&msg, &r, &f), DECODE_FAILURE);
	CU_ASSERT_EQUAL(f, FAIL_BADMESSAGECHECK);
	scep_req_free(&r);
	buf_free(&msg);
}

int
register_message(void)
{
	CU_pSuite s = CU_add_suite("message", setup, cleanup);

	if (s == NULL ||
	    !CU_add_test(s, "decode PKCSReq", test_decode_pkcsreq) ||
	    !CU_add_test(s, "decode 3DES and AES-256", test_decode_ciphers) ||
	    !CU_add_test(s, "refusals carry failInfo", test_decode_refusals) ||
	    !CU_add_test(s, "truncated and empty input", test_decode_garbage) ||
	    !CU_add_test(s, "CertRep SUCCESS round trip", test_certrep_success) ||
	    !CU_add_test(s, "certificate keeps the CSR's key info (EC too)",
	    test_issued_spki) ||
	    !CU_add_test(s, "CertRep FAILURE", test_certrep_failure) ||
	    !CU_add_test(s, "MD5 with and without AllowMD5", test_decode_md5) ||
	    !CU_add_test(s, "non-DER attributes, BER indefinite length",
	    test_decode_legacy_encodings) ||
	    !CU_add_test(s, "a SID URI: vouched for, naming a SID, one",
	    test_issue_sid_uri) ||
	    !CU_add_test(s, "issuance follows the template",
	    test_issue_template) ||
	    !CU_add_test(s, "requester validity (EDITF_ATTRIBUTEENDDATE)",
	    test_requester_validity))
		return -1;
	return 0;
}
