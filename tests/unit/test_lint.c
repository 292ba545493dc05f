/*
 * test_lint.c - a hostile-CSR corpus made here, one case per lint rule
 * (mscep/ca/lint.c): each request goes through the worker as a PKCSReq
 * and must get FAILURE badRequest with exactly the rule's reason in its
 * event, the store's certificate count unchanged. Keys no CSR can be
 * signed with (an even exponent, a point off the curve) and certificate
 * fields the issuing path never produces (serials, validity) are linted
 * directly. Last, the approver's view: the whole subject and every SAN.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509v3.h>

#include "ca/issue.h"
#include "ca/lint.h"
#include "fixture.h"
#include "scep/scep_attr.h"
#include "suites.h"
#include "responder/route.h"
#include "responder/worker.h"

static struct fixture	 fx;
static struct worker	 w;
static int		 ntx;

/* The CSR as given: subject, SANs, key usage; signed with key. */
static int
make_req(struct requester *r, EVP_PKEY *key, X509_NAME *name,
    GENERAL_NAMES *gens, const char *ku)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION	*e;
	int		 rc = -1;

	memset(r, 0, sizeof(*r));
	r->key = key;
	if (exts == NULL || (r->csr = X509_REQ_new()) == NULL ||
	    (r->self = X509_new()) == NULL ||
	    X509_REQ_set_subject_name(r->csr, name) != 1 ||
	    X509_REQ_set_pubkey(r->csr, key) != 1 ||
	    (e = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage, (char *)ku)) ==
	    NULL || !sk_X509_EXTENSION_push(exts, e) ||
	    (gens != NULL && X509V3_add1_i2d(&exts, NID_subject_alt_name, gens,
	    0, X509V3_ADD_APPEND) != 1) ||
	    X509_REQ_add_extensions(r->csr, exts) != 1 ||
	    X509_REQ_sign(r->csr, key, EVP_sha256()) <= 0)
		goto out;
	ASN1_INTEGER_set(X509_get_serialNumber(r->self), 1);
	X509_set_subject_name(r->self, name);
	X509_set_issuer_name(r->self, name);
	X509_set_pubkey(r->self, key);
	X509_gmtime_adj(X509_getm_notBefore(r->self), -60);
	X509_gmtime_adj(X509_getm_notAfter(r->self), 3600);
	rc = X509_sign(r->self, key, EVP_sha256()) > 0 ? 0 : -1;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

static int
last_event(const struct store_event *e, void *arg)
{
	snprintf(arg, 512, "%s", e->description ? e->description : "");
	return 0;
}

/* pkiStatus of the CertRep to r's PKCSReq; failInfo in *fail. */
static int
enroll(const struct requester *r, int *fail)
{
	struct buf	 msg = { 0 };
	struct http_req	 hr = { .method = "POST",
			    .query = "operation=PKIOperation",
			    .request_uri = "/certsrv/mscep/mscep.dll" };
	struct http_resp resp = { 0 };
	CMS_ContentInfo	*cms = NULL;
	CMS_SignerInfo	*si;
	const unsigned char *p;
	char		 txid[32], s[16];
	int		 status = -1;

	*fail = -1;
	snprintf(txid, sizeof(txid), "LINT-%d", ++ntx);
	if (build_pkcsreq(r, w.ra.enc_cert, EVP_aes_128_cbc(), txid, &msg))
		return -1;
	hr.body = msg.p;
	hr.body_len = msg.len;
	route_request(&w, &hr, &resp);
	p = resp.body.p;
	if (resp.status == 200 && (cms = d2i_CMS_ContentInfo(NULL, &p,
	    (long)resp.body.len)) != NULL &&
	    (si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0)) &&
	    scep_attr_get_string(si, ATTR_PKI_STATUS, s, sizeof(s)) == 0) {
		status = s[0] - '0';
		if (scep_attr_get_string(si, ATTR_FAIL_INFO, s, sizeof(s)) == 0)
			*fail = s[0] - '0';
	}
	CMS_ContentInfo_free(cms);
	http_resp_free(&resp);
	buf_free(&msg);
	ERR_clear_error();
	return status;
}

/* Sends the request; it must be refused with exactly want (a prefix when
 * want ends in '*'), nothing stored. Frees r. */
static void
refused(struct requester *r, const char *want)
{
	int64_t	 before = store_count_certs(w.store);
	char	 got[512] = "";
	size_t	 n = strlen(want);
	int	 fail, status = enroll(r, &fail);

	store_events(w.store, 0, last_event, got);
	if (want[n - 1] == '*' ? strncmp(got, want, n - 1) != 0 :
	    strcmp(got, want) != 0)
		fprintf(stderr, "\n  want '%s'\n  got  '%s'\n", want, got);
	CU_ASSERT_EQUAL(status, STATUS_FAILURE);
	CU_ASSERT_EQUAL(fail, FAIL_BADREQUEST);
	CU_ASSERT(want[n - 1] == '*' ? strncmp(got, want, n - 1) == 0 :
	    strcmp(got, want) == 0);
	CU_ASSERT_EQUAL(store_count_certs(w.store), before);
	requester_free(r);
}

static EVP_PKEY *
rsa2048(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
}

/* A name of one entry, the value bytes as given (no OpenSSL bounds). */
static X509_NAME *
name1(int nid, int type, const char *v, int len)
{
	X509_NAME	*n = X509_NAME_new();

	if (n != NULL)
		X509_NAME_add_entry_by_NID(n, nid, type,
		    (const unsigned char *)v, len, -1, 0);
	return n;
}

static void
refuse_name(X509_NAME *n, const char *want)
{
	struct requester r;

	CU_ASSERT_FATAL(n != NULL);
	CU_ASSERT_FATAL(make_req(&r, rsa2048(), n, NULL, "digitalSignature,"
	    "keyEncipherment") == 0);
	refused(&r, want);
	X509_NAME_free(n);
}

static char *
repeat(char c, int n)
{
	char	*s = malloc((size_t)n + 1);

	memset(s, c, (size_t)n);
	s[n] = '\0';
	return s;
}

/* The name is accepted: issued. */
static void
accepted_name(X509_NAME *n, GENERAL_NAMES *gens, const char *ku)
{
	struct requester r;
	int		 fail;

	CU_ASSERT_FATAL(n != NULL);
	CU_ASSERT_FATAL(make_req(&r, rsa2048(), n, gens, ku) == 0);
	CU_ASSERT_EQUAL(enroll(&r, &fail), STATUS_SUCCESS);
	requester_free(&r);
	X509_NAME_free(n);
}

/* One character over X.520's bound refused, at the bound issued. */
static void
over_bound(int nid, int max, const char *want)
{
	char	*v = repeat('a', max + 1);

	refuse_name(name1(nid, V_ASN1_UTF8STRING, v, max + 1), want);
	v[max] = '\0';
	accepted_name(name1(nid, V_ASN1_UTF8STRING, v, max), NULL,
	    "digitalSignature,keyEncipherment");
	free(v);
}

static void
test_cn_bound(void)
{
	over_bound(NID_commonName, 64, "lint: CN longer than 64 characters");
}

static void
test_o_ou_bound(void)
{
	over_bound(NID_organizationName, 64,
	    "lint: O longer than 64 characters");
	over_bound(NID_organizationalUnitName, 64,
	    "lint: OU longer than 64 characters");
}

static void
test_l_st_bound(void)
{
	over_bound(NID_localityName, 128, "lint: L longer than 128 characters");
	over_bound(NID_stateOrProvinceName, 128,
	    "lint: ST longer than 128 characters");
}

static void
test_serial_email_bound(void)
{
	over_bound(NID_serialNumber, 64,
	    "lint: serialNumber longer than 64 characters");
	over_bound(NID_pkcs9_emailAddress, 255,
	    "lint: emailAddress longer than 255 characters");
}

static void
test_country(void)
{
	refuse_name(name1(NID_countryName, V_ASN1_PRINTABLESTRING, "USA", 3),
	    "lint: C is not two letters in a PrintableString");
	refuse_name(name1(NID_countryName, V_ASN1_UTF8STRING, "US", 2),
	    "lint: C is not two letters in a PrintableString");
	accepted_name(name1(NID_countryName, V_ASN1_PRINTABLESTRING, "US", 2),
	    NULL, "digitalSignature,keyEncipherment");
}

static void
test_nul_in_cn(void)
{
	refuse_name(name1(NID_commonName, V_ASN1_UTF8STRING,
	    "www.bank.com\0.evil.com", 22),
	    "lint: CN contains a NUL or control character");
	refuse_name(name1(NID_commonName, V_ASN1_UTF8STRING, "a\033[2Jb", 6),
	    "lint: CN contains a NUL or control character");
}

static X509_NAME *
many_ous(int n, int len)
{
	X509_NAME	*name = X509_NAME_new();
	char		*v = repeat('o', len);
	int		 i;

	for (i = 0; name != NULL && i < n; i++)
		X509_NAME_add_entry_by_NID(name, NID_organizationalUnitName,
		    V_ASN1_UTF8STRING, (unsigned char *)v, len, -1, 0);
	free(v);
	return name;
}

static void
test_subject_size(void)
{
	refuse_name(many_ous(LINT_MAX_SUBJECT_DER / 60, 64),
	    "lint: subject of 5104 bytes, more than 4096");
}

static void
test_rdn_count(void)
{
	refuse_name(many_ous(LINT_MAX_RDNS + 1, 1),
	    "lint: subject has 65 RDNs, more than 64");
	accepted_name(many_ous(LINT_MAX_RDNS, 1), NULL,
	    "digitalSignature,keyEncipherment");
}

static GENERAL_NAME *
gn_string(int type, const char *v, int len)
{
	GENERAL_NAME	*g = GENERAL_NAME_new();
	ASN1_STRING	*s = type == GEN_IPADD ? ASN1_OCTET_STRING_new() :
			    ASN1_IA5STRING_new();

	ASN1_STRING_set(s, v, len);
	GENERAL_NAME_set0_value(g, type, s);
	return g;
}

static GENERAL_NAME *
gn_upn(const char *upn)
{
	GENERAL_NAME	*g = GENERAL_NAME_new();
	ASN1_TYPE	*v = ASN1_TYPE_new();
	ASN1_UTF8STRING	*u = ASN1_UTF8STRING_new();

	ASN1_STRING_set(u, upn, -1);
	ASN1_TYPE_set(v, V_ASN1_UTF8STRING, u);
	GENERAL_NAME_set0_othername(g, OBJ_nid2obj(NID_ms_upn), v);
	return g;
}

/* A request whose only SAN is g, CN=lint; ku picks the template. */
static void
refuse_san(GENERAL_NAME *g, const char *ku, const char *want)
{
	GENERAL_NAMES	*gens = sk_GENERAL_NAME_new_null();
	X509_NAME	*n = name1(NID_commonName, MBSTRING_UTF8, "lint", -1);
	struct requester r;

	sk_GENERAL_NAME_push(gens, g);
	CU_ASSERT_FATAL(make_req(&r, rsa2048(), n, gens, ku) == 0);
	refused(&r, want);
	X509_NAME_free(n);
	GENERAL_NAMES_free(gens);
}

#define GP	"digitalSignature,keyEncipherment"

static void
test_dns_ldh(void)
{
	refuse_san(gn_string(GEN_DNS, "a\0.example.com", 14), GP,
	    "lint: DNS name 'a?.example.com' is not in LDH syntax");
	refuse_san(gn_string(GEN_DNS, "..", 2), GP,
	    "lint: DNS name '..' is not in LDH syntax");
	refuse_san(gn_string(GEN_DNS, "*", 1), GP,
	    "lint: DNS name '*' is not in LDH syntax");
	refuse_san(gn_string(GEN_DNS, "-a.example.com", -1), GP,
	    "lint: DNS name '-a.example.com' is not in LDH syntax");
	refuse_san(gn_string(GEN_DNS, "a_b.example.com", -1), GP,
	    "lint: DNS name 'a_b.example.com' is not in LDH syntax");
}

static void
test_dns_wildcard(void)
{
	GENERAL_NAMES	*gens = sk_GENERAL_NAME_new_null();

	refuse_san(gn_string(GEN_DNS, "*.example.com", -1), GP,
	    "lint: DNS name '*.example.com': template does not allow "
	    "wildcards (AllowWildcard)");
	/* SigT has AllowWildcard = 1: only the whole leftmost label. */
	refuse_san(gn_string(GEN_DNS, "a.*.example.com", -1),
	    "digitalSignature", "lint: DNS name 'a.*.example.com' is not "
	    "in LDH syntax");
	refuse_san(gn_string(GEN_DNS, "w*.example.com", -1),
	    "digitalSignature", "lint: DNS name 'w*.example.com' is not "
	    "in LDH syntax");
	refuse_san(gn_string(GEN_DNS, "*.com", -1), "digitalSignature",
	    "lint: DNS name '*.com': wildcard over fewer than two labels");
	sk_GENERAL_NAME_push(gens, gn_string(GEN_DNS, "*.example.com", -1));
	accepted_name(name1(NID_commonName, MBSTRING_UTF8, "w", -1), gens,
	    "digitalSignature");
	GENERAL_NAMES_free(gens);
}

static void
test_ip_length(void)
{
	refuse_san(gn_string(GEN_IPADD, "\x0a\0\0\x08\x01", 5), GP,
	    "lint: IP address SAN of 5 bytes (4 or 16)");
}

static void
test_email_syntax(void)
{
	refuse_san(gn_string(GEN_EMAIL, "alice", -1), GP,
	    "lint: email 'alice' is not an rfc822Name");
	refuse_san(gn_string(GEN_EMAIL, "alice@", -1), GP,
	    "lint: email 'alice@' is not an rfc822Name");
	refuse_san(gn_string(GEN_EMAIL, "a lice@example.com", -1), GP,
	    "lint: email 'a lice@example.com' is not an rfc822Name");
}

static void
test_upn_syntax(void)
{
	refuse_san(gn_upn("administrator"), GP,
	    "lint: UPN 'administrator' is not user@domain");
	refuse_san(gn_upn("admin@corp\001.local"), GP,
	    "lint: UPN 'admin@corp?.local' is not user@domain");
}

static void
test_uri_syntax(void)
{
	refuse_san(gn_string(GEN_URI, "no scheme", -1), GP,
	    "lint: URI 'no scheme' is not an absolute URI without controls");
}

static void
test_san_count(void)
{
	GENERAL_NAMES	*gens = sk_GENERAL_NAME_new_null();
	X509_NAME	*n = name1(NID_commonName, MBSTRING_UTF8, "many", -1);
	struct requester r;
	char		 dns[64];
	int		 i;

	for (i = 0; i <= LINT_MAX_SANS; i++) {
		snprintf(dns, sizeof(dns), "h%d.example.com", i);
		sk_GENERAL_NAME_push(gens, gn_string(GEN_DNS, dns, -1));
	}
	CU_ASSERT_FATAL(make_req(&r, rsa2048(), n, gens, GP) == 0);
	refused(&r, "lint: 1025 SANs, more than 1024");
	X509_NAME_free(n);
	GENERAL_NAMES_free(gens);
}

/* An RSA key from its primes and public exponent, whatever they are. */
static EVP_PKEY *
rsa_from(BIGNUM *p, BIGNUM *q, unsigned long e_word)
{
	OSSL_PARAM_BLD	*b = OSSL_PARAM_BLD_new();
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BN_CTX		*bc = BN_CTX_new();
	BIGNUM		*n = BN_new(), *e = BN_new(), *d = BN_new();
	BIGNUM		*p1 = BN_new(), *q1 = BN_new(), *l = BN_new();
	BIGNUM		*dp = BN_new(), *dq = BN_new(), *qi = BN_new();
	EVP_PKEY	*pk = NULL;

	/* d = e^-1 mod (p-1)(q-1) signs as well as mod their lcm. */
	if (!BN_mul(n, p, q, bc) || !BN_set_word(e, e_word) ||
	    !BN_sub(p1, p, BN_value_one()) || !BN_sub(q1, q, BN_value_one()) ||
	    !BN_mul(l, p1, q1, bc) || !BN_mod_inverse(d, e, l, bc) ||
	    !BN_mod(dp, d, p1, bc) || !BN_mod(dq, d, q1, bc) ||
	    !BN_mod_inverse(qi, q, p, bc) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_D, d) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi) ||
	    (params = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEYPAIR, params) != 1)
		pk = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	BN_CTX_free(bc);
	BN_free(n); BN_free(e); BN_free(d); BN_free(p1); BN_free(q1);
	BN_free(l); BN_free(dp); BN_free(dq); BN_free(qi);
	return pk;
}

static BIGNUM *
prime(int bits)
{
	BIGNUM	*p = BN_new();

	if (p != NULL && BN_generate_prime_ex(p, bits, 0, NULL, NULL, NULL) != 1) {
		BN_free(p);
		p = NULL;
	}
	return p;
}

static void
refuse_key(EVP_PKEY *pk, const char *want)
{
	X509_NAME	*n = name1(NID_commonName, MBSTRING_UTF8, "weak", -1);
	struct requester r;

	CU_ASSERT_FATAL(pk != NULL);
	CU_ASSERT_FATAL(make_req(&r, pk, n, NULL, GP) == 0);
	refused(&r, want);
	X509_NAME_free(n);
}

static void
test_rsa_exponent_one(void)
{
	BIGNUM	*p = prime(1024), *q = prime(1024);

	/* e = 1, d = 1: the CSR "verifies", anyone can sign for it. */
	refuse_key(rsa_from(p, q, 1), "lint: RSA public exponent below 65537");
	BN_free(p);
	BN_free(q);
}

static void
test_rsa_exponent_three(void)
{
	EVP_PKEY_CTX	*ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM		*e = BN_new();
	EVP_PKEY	*pk = NULL;

	CU_ASSERT_FATAL(ctx != NULL && e != NULL && BN_set_word(e, 3) &&
	    EVP_PKEY_keygen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) == 1 &&
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) == 1 &&
	    EVP_PKEY_keygen(ctx, &pk) == 1);
	refuse_key(pk, "lint: RSA public exponent below 65537");
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
}

static void
test_rsa_small_factor(void)
{
	BIGNUM	*p = BN_new(), *q = prime(2047);

	BN_set_word(p, 1021);	/* the 172nd prime */
	refuse_key(rsa_from(p, q, 65537),
	    "lint: RSA modulus has a small factor 1021");
	BN_free(p);
	BN_free(q);
}

static void
test_ec_explicit(void)
{
	EVP_PKEY	*pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	CU_ASSERT_FATAL(pk != NULL && EVP_PKEY_set_utf8_string_param(pk,
	    OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PKEY_EC_ENCODING_EXPLICIT) == 1);
	refuse_key(pk, "lint: EC key without a named curve (explicit "
	    "parameters)");
}

/* Keys no CSR can be signed with, linted as the issuing path does. */
static void
direct_key(EVP_PKEY *pk, const char *want)
{
	X509_PUBKEY	*pub = NULL;
	char		 reason[REASON_MAX] = "";

	CU_ASSERT_FATAL(pk != NULL && X509_PUBKEY_set(&pub, pk) == 1);
	CU_ASSERT_EQUAL(lint_key(fx.cfg.general, pub, pk, reason,
	    sizeof(reason)), want ? -1 : 0);
	if (want != NULL)
		CU_ASSERT_STRING_EQUAL(reason, want);
	X509_PUBKEY_free(pub);
	EVP_PKEY_free(pk);
}

static EVP_PKEY *
rsa_public_e(const BIGNUM *n, const BIGNUM *e)
{
	OSSL_PARAM_BLD	*b = OSSL_PARAM_BLD_new();
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY	*pk = NULL;

	if (OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e) &&
	    (params = OSSL_PARAM_BLD_to_param(b)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static EVP_PKEY *
rsa_public(const BIGNUM *n, unsigned long e_word)
{
	BIGNUM		*e = BN_new();
	EVP_PKEY	*pk = NULL;

	if (e != NULL && BN_set_word(e, e_word))
		pk = rsa_public_e(n, e);
	BN_free(e);
	return pk;
}

/* Past a word BN_get_word says ULONG_MAX, which passed "below 65537". */
static void
test_rsa_huge_exponent(void)
{
	EVP_PKEY	*good = rsa2048();
	BIGNUM		*n = NULL, *e = BN_new();

	CU_ASSERT_FATAL(e != NULL && EVP_PKEY_get_bn_param(good,
	    OSSL_PKEY_PARAM_RSA_N, &n) == 1);
	CU_ASSERT_FATAL(BN_set_bit(e, 256) && BN_set_bit(e, 0));
	direct_key(rsa_public_e(n, e),
	    "lint: RSA public exponent above 2^256-1");
	BN_clear_bit(e, 256);
	CU_ASSERT_FATAL(BN_set_bit(e, 255) && BN_set_bit(e, 16));
	direct_key(rsa_public_e(n, e), NULL);
	BN_free(e);
	BN_free(n);
	EVP_PKEY_free(good);
}

static void
test_rsa_even_exponent_direct(void)
{
	EVP_PKEY	*good = rsa2048();
	BIGNUM		*n = NULL;

	CU_ASSERT_FATAL(EVP_PKEY_get_bn_param(good, OSSL_PKEY_PARAM_RSA_N,
	    &n) == 1);
	direct_key(rsa_public(n, 65538), "lint: RSA public exponent is even");
	direct_key(rsa_public(n, 65537), NULL);
	BN_clear_bit(n, 0);
	direct_key(rsa_public(n, 65537),
	    "lint: RSA modulus has a small factor 2");
	BN_free(n);
	EVP_PKEY_free(good);
}

/*
 * The trial division's edges (lint.c tries products of primes): a factor
 * at the end of the list (1993, the 300th odd prime), the first prime past
 * it (1997, not tried), and two factors in one product (the smaller is
 * named).
 */
static void
test_rsa_small_factor_edges(void)
{
	BIGNUM	*q = prime(2047), *n = BN_new();

	CU_ASSERT_FATAL(q != NULL && n != NULL);
	CU_ASSERT_FATAL(BN_copy(n, q) != NULL && BN_mul_word(n, 1993));
	direct_key(rsa_public(n, 65537),
	    "lint: RSA modulus has a small factor 1993");
	CU_ASSERT_FATAL(BN_copy(n, q) != NULL && BN_mul_word(n, 1997));
	direct_key(rsa_public(n, 65537), NULL);
	CU_ASSERT_FATAL(BN_copy(n, q) != NULL && BN_mul_word(n, 1021) &&
	    BN_mul_word(n, 3));
	direct_key(rsa_public(n, 65537),
	    "lint: RSA modulus has a small factor 3");
	CU_ASSERT_FATAL(BN_copy(n, q) != NULL && BN_mul_word(n, 1987) &&
	    BN_mul_word(n, 1979));
	direct_key(rsa_public(n, 65537),
	    "lint: RSA modulus has a small factor 1979");
	BN_free(n);
	BN_free(q);
}

static void
test_ec_curves_direct(void)
{
	direct_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), NULL);
	direct_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-224"),
	    "lint: EC curve secp224r1 not allowed (P-256, P-384, P-521)");
}

static void
test_serial_direct(void)
{
	ASN1_INTEGER	*a = ASN1_INTEGER_new();
	unsigned char	 big[21];
	BIGNUM		*bn;
	char		 reason[REASON_MAX] = "";

	ASN1_INTEGER_set(a, 0);
	CU_ASSERT_EQUAL(lint_serial(a, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "lint: serial number is not positive");
	ASN1_INTEGER_set(a, -5);
	CU_ASSERT_EQUAL(lint_serial(a, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "lint: serial number is not positive");
	memset(big, 0x7f, sizeof(big));
	bn = BN_bin2bn(big, 20, NULL);
	BN_to_ASN1_INTEGER(bn, a);
	CU_ASSERT_EQUAL(lint_serial(a, reason, sizeof(reason)), 0);
	/* 20 octets with the top bit set encode in 21. */
	big[0] = 0x80;
	BN_bin2bn(big, 20, bn);
	BN_to_ASN1_INTEGER(bn, a);
	CU_ASSERT_EQUAL(lint_serial(a, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "lint: serial number longer than 20 "
	    "octets");
	BN_free(bn);
	ASN1_INTEGER_free(a);
}

/* A certificate the issuing path would never build, linted directly. */
static void
test_validity_direct(void)
{
	X509		*x = X509_new();
	EVP_PKEY	*pk = rsa2048();
	char		 reason[REASON_MAX] = "";

	CU_ASSERT_FATAL(x != NULL && pk != NULL);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_set_pubkey(x, pk);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_time_adj_ex(X509_getm_notAfter(x), 1000, 0, NULL);
	CU_ASSERT_EQUAL(lint_cert(fx.cfg.general, x, pk, fx.ra.ca, reason,
	    sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "lint: notAfter is after the CA's "
	    "notAfter");
	X509_gmtime_adj(X509_getm_notBefore(x), 7200);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	CU_ASSERT_EQUAL(lint_cert(fx.cfg.general, x, pk, fx.ra.ca, reason,
	    sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "lint: notBefore is after notAfter");
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	CU_ASSERT_EQUAL(lint_cert(fx.cfg.general, x, pk, fx.ra.ca, reason,
	    sizeof(reason)), 0);
	EVP_PKEY_free(pk);
	X509_free(x);
}

static void
test_crl_direct(void)
{
	X509_CRL	*crl = X509_CRL_new();
	X509_REVOKED	*rev = X509_REVOKED_new();
	ASN1_INTEGER	*zero = ASN1_INTEGER_new();
	ASN1_TIME	*now = X509_gmtime_adj(NULL, 0);
	ASN1_TIME	*later = X509_gmtime_adj(NULL, 3600);
	char		 reason[REASON_MAX] = "";

	X509_CRL_set1_lastUpdate(crl, later);
	X509_CRL_set1_nextUpdate(crl, now);
	CU_ASSERT_EQUAL(lint_crl(crl, fx.ra.ca, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "lint: CRL ends before it starts");
	X509_CRL_set1_lastUpdate(crl, now);
	X509_CRL_set1_nextUpdate(crl, later);
	CU_ASSERT_EQUAL(lint_crl(crl, fx.ra.ca, reason, sizeof(reason)), 0);
	ASN1_INTEGER_set(zero, 0);
	X509_REVOKED_set_serialNumber(rev, zero);
	X509_REVOKED_set_revocationDate(rev, now);
	X509_CRL_add0_revoked(crl, rev);
	CU_ASSERT_EQUAL(lint_crl(crl, fx.ra.ca, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "lint: serial number is not positive");
	ASN1_INTEGER_free(zero);
	ASN1_TIME_free(now);
	ASN1_TIME_free(later);
	X509_CRL_free(crl);
}

struct seen {
	char	*subject, *sans;
};

static int
take_pending(const struct pending_req *p, void *arg)
{
	struct seen	*s = arg;

	free(s->subject);
	free(s->sans);
	s->subject = strdup(p->subject);
	s->sans = strdup(p->sans);
	return 0;
}

/* The issue's case: ten long OUs hide CN=administrator and its UPN. */
static void
test_pending_shows_all(void)
{
	X509_NAME	*n = many_ous(10, 60);
	GENERAL_NAMES	*gens = sk_GENERAL_NAME_new_null();
	struct requester r;
	struct seen	 s = { NULL, NULL };
	const char	*p;
	int		 fail, ous = 0;

	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (unsigned char *)"administrator", -1, -1, 0);
	sk_GENERAL_NAME_push(gens, gn_string(GEN_DNS, "printer-8.example.com",
	    -1));
	sk_GENERAL_NAME_push(gens, gn_string(GEN_IPADD, "\x0a\0\0\x08", 4));
	sk_GENERAL_NAME_push(gens, gn_upn("administrator@corp.local"));
	CU_ASSERT_FATAL(make_req(&r, rsa2048(), n, gens,
	    "keyEncipherment") == 0);
	CU_ASSERT_EQUAL(enroll(&r, &fail), STATUS_PENDING);
	CU_ASSERT_EQUAL(store_pending_list(w.store, util_now(),
	    take_pending, &s), STORE_OK);
	CU_ASSERT_FATAL(s.subject != NULL && s.sans != NULL);
	CU_ASSERT_STRING_EQUAL(s.sans, "dns:printer-8.example.com,"
	    "ip:10.0.0.8,upn:administrator@corp.local");
	CU_ASSERT(strncmp(s.subject, "CN=administrator,OU=oooo", 24) == 0);
	for (p = s.subject; (p = strstr(p, "OU=")) != NULL; p++)
		ous++;
	CU_ASSERT_EQUAL(ous, 10);
	CU_ASSERT(strlen(s.subject) == strlen("CN=administrator") +
	    10 * strlen(",OU=") + 600);
	free(s.subject);
	free(s.sans);
	requester_free(&r);
	X509_NAME_free(n);
	GENERAL_NAMES_free(gens);
}

/* Every SAN type as the store keeps it; RFC 4514 escaping. */
static void
test_describe_direct(void)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();
	GENERAL_NAMES	*gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME	*other = GENERAL_NAME_new();
	ASN1_TYPE	*v = ASN1_TYPE_new();
	char		*subject = NULL, *sans = NULL;

	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (unsigned char *)"Acme, Inc.", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (unsigned char *)"a+b", -1, -1, 0);
	X509_set_subject_name(x, n);
	sk_GENERAL_NAME_push(gens, gn_string(GEN_EMAIL, "a@b.example", -1));
	sk_GENERAL_NAME_push(gens, gn_string(GEN_URI, "https://x/,y", -1));
	sk_GENERAL_NAME_push(gens, gn_string(GEN_IPADD,
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16));
	ASN1_TYPE_set(v, V_ASN1_NULL, NULL);
	GENERAL_NAME_set0_othername(other, OBJ_txt2obj("1.2.3.4", 1), v);
	sk_GENERAL_NAME_push(gens, other);
	X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0);
	CU_ASSERT_EQUAL_FATAL(issue_describe(x, &subject, &sans), 0);
	CU_ASSERT_STRING_EQUAL(subject, "CN=a\\+b,O=Acme\\, Inc.");
	CU_ASSERT_STRING_EQUAL(sans, "email:a@b.example,uri:https://x/\\,y,"
	    "ip:2001:db8::1,othername:1.2.3.4:#0500");
	free(subject);
	free(sans);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(n);
	X509_free(x);
}

static int
setup(void)
{
	return fixture_worker_open(&fx, "[MSCEP]\nEnforcePassword = 0\n"
	    "[GpT]\nSubjectAltNames = dns, email, upn, uri, ip\n"
	    "[SigT]\nAllowWildcard = 1\nSubjectAltNames = dns\n"
	    "[EncT]\nRequireApproval = 1\n"
	    "SubjectAltNames = dns, upn, ip\n", &w);
}

static int
cleanup(void)
{
	fixture_worker_close(&fx, &w);
	return 0;
}

int
register_lint(void)
{
	static const struct { const char *name; CU_TestFunc fn; } tests[] = {
		{ "CN over 64 characters", test_cn_bound },
		{ "O, OU over 64 characters", test_o_ou_bound },
		{ "L, ST over 128 characters", test_l_st_bound },
		{ "serialNumber 64, emailAddress 255", test_serial_email_bound },
		{ "C: two letters, PrintableString", test_country },
		{ "NUL and control characters in CN", test_nul_in_cn },
		{ "subject DER size cap", test_subject_size },
		{ "RDN count cap", test_rdn_count },
		{ "dNSName LDH syntax", test_dns_ldh },
		{ "wildcards: leftmost label, AllowWildcard", test_dns_wildcard },
		{ "IP address of 4 or 16 bytes", test_ip_length },
		{ "rfc822Name syntax", test_email_syntax },
		{ "UPN syntax", test_upn_syntax },
		{ "URI syntax", test_uri_syntax },
		{ "SAN count cap", test_san_count },
		{ "RSA exponent 1 (forgeable)", test_rsa_exponent_one },
		{ "RSA exponent 3", test_rsa_exponent_three },
		{ "RSA exponent past 2^256", test_rsa_huge_exponent },
		{ "RSA modulus with a small factor", test_rsa_small_factor },
		{ "RSA small factors at the ends of the list",
		    test_rsa_small_factor_edges },
		{ "EC explicit curve parameters", test_ec_explicit },
		{ "RSA even exponent, factor 2 (direct)",
		    test_rsa_even_exponent_direct },
		{ "EC curves (direct)", test_ec_curves_direct },
		{ "serial positive, 20 octets (direct)", test_serial_direct },
		{ "validity inside the CA's (direct)", test_validity_direct },
		{ "CRL times and serials (direct)", test_crl_direct },
		{ "pending shows the whole subject and every SAN",
		    test_pending_shows_all },
		{ "describe: every SAN type, RFC 4514", test_describe_direct },
	};
	CU_pSuite	 s;
	size_t		 i;

	if ((s = CU_add_suite("lint", setup, cleanup)) == NULL)
		return -1;
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return -1;
	return 0;
}
