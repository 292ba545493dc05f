/* test_challenge.c - the challenge blob: round trip, size, and every way
 * a blob must be refused before its claims are believed. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include <openssl/cms.h>
#include <openssl/x509v3.h>

#include "ca/ca_init.h"
#include "policy/challenge.h"
#include "fixture.h"
#include "suites.h"

static struct fixture	 fx;
static X509		*sign_cert, *enc_cert, *other_cert, *rsa_enc_cert;
static EVP_PKEY		*sign_key, *enc_key, *other_key, *rsa_enc_key;
static STACK_OF(X509)	*signers;
static X509_STORE	*trust;

static int
setup(void)
{
	char	 reason[REASON_MAX];

	if (fixture_open(&fx, NULL) != 0 ||
	    ca_issue_identity(fx.ra.ca, fx.ra.ca_key, "MDM signer", "ec:P-256",
	    "critical,digitalSignature", 30, &sign_cert, &sign_key, reason,
	    sizeof(reason)) != 0 ||
	    ca_issue_identity(fx.ra.ca, fx.ra.ca_key, "mscep challenge",
	    "ec:P-256", "critical,keyAgreement", 30, &enc_cert, &enc_key,
	    reason, sizeof(reason)) != 0 ||
	    ca_issue_identity(fx.ra.ca, fx.ra.ca_key, "rogue signer",
	    "ec:P-256", "critical,digitalSignature", 30, &other_cert,
	    &other_key, reason, sizeof(reason)) != 0 ||
	    ca_issue_identity(fx.ra.ca, fx.ra.ca_key, "mscep challenge RSA",
	    "rsa:2048", "critical,keyEncipherment", 30, &rsa_enc_cert,
	    &rsa_enc_key, reason, sizeof(reason)) != 0)
		return -1;
	signers = sk_X509_new_null();
	trust = X509_STORE_new();
	if (signers == NULL || trust == NULL ||
	    !sk_X509_push(signers, sign_cert) ||
	    !X509_STORE_add_cert(trust, fx.ra.ca))
		return -1;
	return 0;
}

static int
cleanup(void)
{
	sk_X509_free(signers);
	X509_STORE_free(trust);
	X509_free(sign_cert);
	X509_free(enc_cert);
	X509_free(other_cert);
	X509_free(rsa_enc_cert);
	EVP_PKEY_free(sign_key);
	EVP_PKEY_free(enc_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(rsa_enc_key);
	fixture_close(&fx);
	return 0;
}

static void
claims_init(struct challenge_claims *c, int64_t now, int ttl)
{
	memset(c, 0, sizeof(*c));
	c->issued_at = now;
	c->expires_at = now + ttl;
	snprintf(c->device_id, sizeof(c->device_id), "device-42");
	snprintf(c->profile, sizeof(c->profile), "GpT");
	c->subject = X509_NAME_new();
	X509_NAME_add_entry_by_txt(c->subject, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"laptop-42", -1, -1, 0);
	c->sans = sk_GENERAL_NAME_new_null();
	sk_GENERAL_NAME_push(c->sans, challenge_san_parse("dns:laptop-42.example"));
	sk_GENERAL_NAME_push(c->sans, challenge_san_parse("upn:alice@example.com"));
	c->key_usage = KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT;
	snprintf(c->sid, sizeof(c->sid), "S-1-5-21-1-2-3-1001");
}

static char *
issue(int64_t now, int ttl, EVP_PKEY *key, X509 *cert, X509 *rcpt)
{
	struct challenge_claims	 c;
	char			*blob = NULL, reason[REASON_MAX];

	claims_init(&c, now, ttl);
	CU_ASSERT_EQUAL(challenge_issue(&c, key, cert, rcpt, &blob, reason,
	    sizeof(reason)), 0);
	challenge_claims_free(&c);
	return blob;
}

static enum challenge_err
open_blob(const char *blob, int64_t now, struct challenge_claims *out)
{
	char	 reason[REASON_MAX];

	return challenge_open(blob, enc_key, enc_cert, signers, trust, now, 300,
	    out, reason, sizeof(reason));
}

static void
test_round_trip(void)
{
	struct challenge_claims	 c;
	int64_t			 now = util_now();
	char			*blob = issue(now, 3600, sign_key, sign_cert,
				    enc_cert);
	GENERAL_NAME		*gn;

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	/* Short enough for a CSR attribute and a GET URL (docs: < 2 KB). */
	CU_ASSERT(strlen(blob) < 2048);
	CU_ASSERT_EQUAL_FATAL(open_blob(blob, now, &c), CHALLENGE_OK);
	CU_ASSERT_STRING_EQUAL(c.device_id, "device-42");
	CU_ASSERT_STRING_EQUAL(c.profile, "GpT");
	CU_ASSERT_STRING_EQUAL(c.sid, "S-1-5-21-1-2-3-1001");
	CU_ASSERT_EQUAL(c.key_usage, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	CU_ASSERT_EQUAL(c.expires_at - c.issued_at, 3600);
	CU_ASSERT_EQUAL(sk_GENERAL_NAME_num(c.sans), 2);
	gn = sk_GENERAL_NAME_value(c.sans, 1);
	CU_ASSERT_EQUAL(gn->type, GEN_OTHERNAME);
	CU_ASSERT_EQUAL(OBJ_obj2nid(gn->d.otherName->type_id), NID_ms_upn);
	CU_ASSERT_FALSE(c.nonce[0] == 0 && c.nonce[1] == 0 && c.nonce[2] == 0);
	challenge_claims_free(&c);
	OPENSSL_free(blob);
}

static void
test_rsa_oaep_recipient(void)
{
	struct challenge_claims	 c;
	char			 reason[REASON_MAX];
	int64_t			 now = util_now();
	char			*blob = issue(now, 60, sign_key, sign_cert,
				    rsa_enc_cert);

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL(challenge_open(blob, rsa_enc_key, rsa_enc_cert, signers,
	    trust, now, 0, &c, reason, sizeof(reason)), CHALLENGE_OK);
	challenge_claims_free(&c);
	/* Not for the EC key. */
	CU_ASSERT_EQUAL(open_blob(blob, now, &c), CHALLENGE_DECRYPTION);
	OPENSSL_free(blob);
}

static void
test_refusals(void)
{
	struct challenge_claims	 c;
	int64_t			 now = util_now();
	char			*blob = issue(now, 600, sign_key, sign_cert,
				    enc_cert), *rogue;
	size_t			 n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	/* Time: before issue (beyond the skew) and after expiry. */
	CU_ASSERT_EQUAL(open_blob(blob, now - 1000, &c), CHALLENGE_NOT_YET_VALID);
	CU_ASSERT_EQUAL(open_blob(blob, now + 600 + 301, &c), CHALLENGE_EXPIRED);
	CU_ASSERT_EQUAL(open_blob(blob, now + 600 + 299, &c), CHALLENGE_OK);
	challenge_claims_free(&c);
	/* Tampered: one base64 character changed in the middle (GCM tag). */
	n = strlen(blob);
	blob[n / 2] = blob[n / 2] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(open_blob(blob, now, &c), CHALLENGE_DECRYPTION);
	/* Not base64, empty, truncated. */
	CU_ASSERT_EQUAL(open_blob("not a blob!", now, &c), CHALLENGE_DECODING);
	CU_ASSERT_EQUAL(open_blob("", now, &c), CHALLENGE_DECODING);
	blob[40] = '\0';
	CU_ASSERT_EQUAL(open_blob(blob, now, &c), CHALLENGE_DECRYPTION);
	OPENSSL_free(blob);
	/* Signed by a key that the CA certified but mscep does not trust. */
	rogue = issue(now, 600, other_key, other_cert, enc_cert);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rogue);
	CU_ASSERT_EQUAL(open_blob(rogue, now, &c), CHALLENGE_SIGNATURE);
	OPENSSL_free(rogue);
	/* A one-time password is not a blob. */
	CU_ASSERT_EQUAL(open_blob("1ED0DD50F7459D6E", now, &c),
	    CHALLENGE_DECRYPTION);
}

static void
test_san_parse(void)
{
	GENERAL_NAME	*g;

	CU_ASSERT_PTR_NOT_NULL((g = challenge_san_parse("DNS:a.example")));
	CU_ASSERT_EQUAL(g->type, GEN_DNS);
	GENERAL_NAME_free(g);
	CU_ASSERT_PTR_NOT_NULL((g = challenge_san_parse("email:a@b.example")));
	CU_ASSERT_EQUAL(g->type, GEN_EMAIL);
	GENERAL_NAME_free(g);
	CU_ASSERT_PTR_NOT_NULL((g = challenge_san_parse("uri:tag:x,2024:y")));
	CU_ASSERT_EQUAL(g->type, GEN_URI);
	GENERAL_NAME_free(g);
	CU_ASSERT_PTR_NOT_NULL((g = challenge_san_parse("ip:192.0.2.1")));
	CU_ASSERT_EQUAL(g->type, GEN_IPADD);
	GENERAL_NAME_free(g);
	CU_ASSERT_PTR_NULL(challenge_san_parse("x400:foo"));
	CU_ASSERT_PTR_NULL(challenge_san_parse("ip:not-an-ip"));
}

/* The SignedData inside a good blob (DER), and the claims inside that. */
static int
inner_parts(const char *blob, struct buf *sd, BIO *claims)
{
	unsigned char		 der[8192];
	const unsigned char	*p = der, *q;
	long			 n = util_base64_decode(blob, strlen(blob), der,
				    sizeof(der));
	CMS_ContentInfo		*env = n > 0 ? d2i_CMS_ContentInfo(NULL, &p,
				    n) : NULL, *ci = NULL;
	BIO			*out = BIO_new(BIO_s_mem());
	BUF_MEM			*m;
	int			 ok = 0;

	if (env != NULL && out != NULL && CMS_decrypt(env, enc_key, enc_cert,
	    NULL, out, CMS_BINARY)) {
		BIO_get_mem_ptr(out, &m);
		sd->len = 0;
		buf_append(sd, m->data, m->length);
		q = sd->p;
		ok = (ci = d2i_CMS_ContentInfo(NULL, &q, (long)sd->len)) &&
		    CMS_verify(ci, signers, NULL, NULL, claims,
		    CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY);
	}
	CMS_ContentInfo_free(env);
	CMS_ContentInfo_free(ci);
	BIO_free(out);
	return ok ? 0 : -1;
}

/* base64 of the DER of ci. */
static char *
b64(CMS_ContentInfo *ci)
{
	unsigned char	*der = NULL;
	int		 n = i2d_CMS_ContentInfo(ci, &der);
	char		*out = n > 0 ? malloc(4 * (size_t)n / 3 + 8) : NULL;

	if (out != NULL)
		util_base64_encode(der, (size_t)n, out, 4 * (size_t)n / 3 + 8);
	OPENSSL_free(der);
	return out;
}

static CMS_ContentInfo *
encrypt_to(X509 *rcpt, BIO *in, const EVP_CIPHER *cipher)
{
	STACK_OF(X509)	*r = sk_X509_new_null();
	CMS_ContentInfo	*ci;

	sk_X509_push(r, rcpt);
	ci = CMS_encrypt(r, in, cipher, CMS_BINARY);
	sk_X509_free(r);
	return ci;
}

static CMS_ContentInfo *
encrypt_buf(X509 *rcpt, const struct buf *in, const EVP_CIPHER *cipher)
{
	BIO		*b = BIO_new_mem_buf(in->p, (int)in->len);
	CMS_ContentInfo	*ci = encrypt_to(rcpt, b, cipher);

	BIO_free(b);
	return ci;
}

/* Expects blob-shaped ci to be refused with e (by the EC key). */
static void
refuse_form(CMS_ContentInfo *ci, EVP_PKEY *key, X509 *cert,
    enum challenge_err e)
{
	struct challenge_claims	 c;
	char			*bad, reason[REASON_MAX];

	CU_ASSERT_PTR_NOT_NULL_FATAL(ci);
	bad = b64(ci);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
	CU_ASSERT_EQUAL(challenge_open(bad, key, cert, signers, trust,
	    util_now(), 300, &c, reason, sizeof(reason)), e);
	free(bad);
	CMS_ContentInfo_free(ci);
}

/* Blobs that are not what mscep issues must not open. */
static void
test_envelope_forms(void)
{
	char			*good = issue(util_now(), 600, sign_key,
				    sign_cert, enc_cert);
	struct buf		 sd = { 0 };
	BIO			*claims = BIO_new(BIO_s_mem());
	const unsigned char	*p;
	CMS_ContentInfo		*signed_ci;

	CU_ASSERT_FATAL(good != NULL && inner_parts(good, &sd, claims) == 0);
	/* A bare SignedData, not encrypted at all. */
	p = sd.p;
	refuse_form(d2i_CMS_ContentInfo(NULL, &p, (long)sd.len), enc_key,
	    enc_cert, CHALLENGE_DECRYPTION);
	/* EnvelopedData with AES-CBC: no integrity of its own. */
	refuse_form(encrypt_buf(enc_cert, &sd, EVP_aes_256_cbc()), enc_key,
	    enc_cert, CHALLENGE_DECRYPTION);
	/* RSA key transport with PKCS#1 v1.5 (a padding oracle). */
	refuse_form(encrypt_buf(rsa_enc_cert, &sd, EVP_aes_256_gcm()),
	    rsa_enc_key, rsa_enc_cert, CHALLENGE_DECRYPTION);
	/* Signed by a CA-issued key mscep does not pin, carrying its own
	 * certificate: certificates inside the blob are never trusted. */
	signed_ci = CMS_sign(other_cert, other_key, NULL, claims, CMS_BINARY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(signed_ci);
	{
		unsigned char	*der = NULL;
		int		 n = i2d_CMS_ContentInfo(signed_ci, &der);
		struct buf	 b = { der, (size_t)n, (size_t)n };

		refuse_form(encrypt_buf(enc_cert, &b, EVP_aes_256_gcm()),
		    enc_key, enc_cert, CHALLENGE_SIGNATURE);
		OPENSSL_free(der);
	}
	CMS_ContentInfo_free(signed_ci);
	BIO_free(claims);
	buf_free(&sd);
	OPENSSL_free(good);
}

/* The store consumes a nonce with the certificate, once. */
static void
test_nonce_claim(void)
{
	struct store_claim	 claim = { .kind = CLAIM_NONCE,
				    .key = "00112233445566778899AABBCCDDEEFF" };
	struct store_cert	 c = { .serial = "0A", .subject = "CN=a",
				    .sans = "", .template_name = "GpT",
				    .txid = "TX-N1", .key_id = "K1",
				    .not_before = 1, .not_after = 2,
				    .der = (const unsigned char *)"x",
				    .der_len = 1 };

	claim.expires = util_now() + 600;
	CU_ASSERT_EQUAL(store_nonce_used(fx.store, claim.key), STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(store_issue(fx.store, &c, &claim), STORE_OK);
	CU_ASSERT_EQUAL(store_nonce_used(fx.store, claim.key), STORE_OK);
	c.serial = "0B";
	c.txid = "TX-N2";
	CU_ASSERT_EQUAL(store_issue(fx.store, &c, &claim), STORE_CLAIM_REFUSED);
	/* Refused: nothing of the second request was recorded. */
	CU_ASSERT_EQUAL(store_cert_by_serial(fx.store, "0B", &(struct buf){ 0 }),
	    STORE_NOT_FOUND);
}

int
register_challenge(void)
{
	CU_pSuite s = CU_add_suite("challenge", setup, cleanup);

	if (s == NULL ||
	    !CU_add_test(s, "round trip, size", test_round_trip) ||
	    !CU_add_test(s, "RSA-OAEP recipient", test_rsa_oaep_recipient) ||
	    !CU_add_test(s, "time, tamper, junk, rogue signer", test_refusals) ||
	    !CU_add_test(s, "SAN syntax", test_san_parse) ||
	    !CU_add_test(s, "nonce claim once", test_nonce_claim) ||
	    !CU_add_test(s, "other envelope forms refused",
	    test_envelope_forms))
		return -1;
	return 0;
}
