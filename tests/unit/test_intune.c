/* test_intune.c - Module = intune without a network: the client
 * assertion (decoded and verified with the certificate), the scopes and
 * token URL, Graph's endpoint list, Intune's validateRequest answers and
 * the notifications' bodies. */
#include <CUnit/CUnit.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/keyops.h"
#include "policy/intune_auth.h"
#include "policy/intune_discovery.h"
#include "policy/policy_intune.h"
#include "util/util.h"
#include "suites.h"

static X509	*cert;
static EVP_PKEY	*key;

static int
setup(void)
{
	X509_NAME	*n;

	if ((key = EVP_RSA_gen(2048)) == NULL || (cert = X509_new()) == NULL)
		return -1;
	n = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"app", -1, -1, 0);
	X509_set_issuer_name(cert, n);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_set_pubkey(cert, key);
	return X509_sign(cert, key, EVP_sha256()) > 0 ? 0 : -1;
}

static int
cleanup(void)
{
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}

/* One base64url part of a JWT, decoded; *len its length. */
static unsigned char *
part(const char *s, size_t n, size_t *len)
{
	unsigned char	*out = malloc(n + 4);
	long		 r;

	*len = 0;
	if (out == NULL)
		return NULL;
	r = util_base64_decode(s, n, out, n + 4);
	*len = r < 0 ? 0 : (size_t)r;
	return out;
}

static int
verify(const char *jwt, size_t signed_len, const unsigned char *sig,
    size_t slen)
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	int		 ok = md != NULL && EVP_DigestVerifyInit(md, NULL,
	    EVP_sha256(), NULL, X509_get0_pubkey(cert)) == 1 &&
	    EVP_DigestVerify(md, sig, slen, (const unsigned char *)jwt,
	    signed_len) == 1;

	EVP_MD_CTX_free(md);
	return ok;
}

static void
test_assertion(void)
{
	struct keyop	*op = keyop_inproc(key, KEYOP_INTUNE);
	char		*jwt = intune_auth_assertion(cert, op, "client-1",
	    "https://login.example/t/oauth2/v2.0/token", 1700000000);
	const char	*d1, *d2;
	unsigned char	*h, *p, *sig, sha1[20];
	unsigned int	 n = 0;
	char		 x5t[40];
	size_t		 hl = 0, pl = 0, sl = 0;
	json_t		*hj, *pj;

	CU_ASSERT_FATAL(jwt != NULL);
	d1 = strchr(jwt, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') != NULL) {
		CU_FAIL_FATAL("a JWT is three parts");
		return;
	}
	CU_ASSERT(strpbrk(jwt, "+/=") == NULL);
	h = part(jwt, (size_t)(d1 - jwt), &hl);
	p = part(d1 + 1, (size_t)(d2 - d1 - 1), &pl);
	sig = part(d2 + 1, strlen(d2 + 1), &sl);
	hj = json_loadb((char *)h, hl, 0, NULL);
	pj = json_loadb((char *)p, pl, 0, NULL);
	CU_ASSERT_FATAL(hj != NULL && pj != NULL);
	X509_digest(cert, EVP_sha1(), sha1, &n);
	intune_b64url(sha1, n, x5t);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(hj, "alg")),
	    "RS256");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(hj, "x5t")),
	    x5t);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(pj, "aud")),
	    "https://login.example/t/oauth2/v2.0/token");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(pj, "iss")),
	    "client-1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(pj, "sub")),
	    "client-1");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(pj, "nbf")),
	    1700000000);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(pj, "exp")),
	    1700000600);
	CU_ASSERT(strlen(json_string_value(json_object_get(pj, "jti"))) == 36);
	CU_ASSERT(sl == 256);
	CU_ASSERT(verify(jwt, (size_t)(d2 - jwt), sig, sl));
	/* One byte of the payload changed: the signature no longer holds. */
	jwt[d1 - jwt + 3] ^= 1;
	CU_ASSERT(!verify(jwt, (size_t)(d2 - jwt), sig, sl));
	json_decref(hj);
	json_decref(pj);
	free(h);
	free(p);
	free(sig);
	free(jwt);
	keyop_free(op);
}

/* header.payload from two JSON texts, base64url, as the signer gets it. */
static char *
signing_input(const char *h, const char *p)
{
	char	*hb = malloc(strlen(h) * 4 / 3 + 4);
	char	*pb = malloc(strlen(p) * 4 / 3 + 4);
	char	*out = malloc(strlen(h) * 2 + strlen(p) * 2 + 8);

	CU_ASSERT_FATAL(hb != NULL && pb != NULL && out != NULL);
	intune_b64url((const unsigned char *)h, strlen(h), hb);
	intune_b64url((const unsigned char *)p, strlen(p), pb);
	sprintf(out, "%s.%s", hb, pb);
	free(hb);
	free(pb);
	return out;
}

static int
check(const struct config *c, const char *h, const char *p, time_t now,
    char *reason)
{
	char	*in = signing_input(h, p);
	int	 rc = intune_auth_assertion_check(c, cert, in, strlen(in), now,
	    reason, 256);

	free(in);
	return rc;
}

/*
 * What the signer signs with the Intune client key: the assertion this
 * process makes, and nothing a compromised worker could use elsewhere.
 */
static void
test_assertion_check(void)
{
	struct config	*c = calloc(1, sizeof(*c));
	struct keyop	*op = keyop_inproc(key, KEYOP_INTUNE);
	char		 url[512], x5t[40], h[256], p[2048], reason[256];
	unsigned char	 sha1[20];
	unsigned int	 n = 0;
	char		*jwt;
	const time_t	 now = 1700000000;

	CU_ASSERT_FATAL(c != NULL && op != NULL);
	strcpy(c->intune_authority, "https://login.example/");
	strcpy(c->intune_tenant, "t");
	strcpy(c->intune_client_id, "client-1");
	intune_auth_token_url(c, url, sizeof(url));
	/* What intune_auth_assertion makes passes, its signature cut off. */
	jwt = intune_auth_assertion(cert, op, "client-1", url, now);
	CU_ASSERT_FATAL(jwt != NULL);
	CU_ASSERT_EQUAL(intune_auth_assertion_check(c, cert, jwt,
	    (size_t)(strrchr(jwt, '.') - jwt), now + 5, reason, 256), 0);
	/* Whole, with its signature: not a signing input. */
	CU_ASSERT_EQUAL(intune_auth_assertion_check(c, cert, jwt, strlen(jwt),
	    now, reason, 256), -1);
	/* Blanks before the same parts (base64 decoders skip them): bytes
	 * the signer never makes itself, refused. */
	*strrchr(jwt, '.') = '\0';
	snprintf(p, sizeof(p), "    %s", jwt);
	CU_ASSERT_EQUAL(intune_auth_assertion_check(c, cert, p, strlen(p),
	    now, reason, 256), -1);
	CU_ASSERT(strstr(reason, "not a JWT") != NULL);
	free(jwt);

	X509_digest(cert, EVP_sha1(), sha1, &n);
	intune_b64url(sha1, n, x5t);
	snprintf(h, sizeof(h), "{\"alg\":\"RS256\",\"typ\":\"JWT\","
	    "\"x5t\":\"%s\"}", x5t);
#define CLAIMS(aud, iss, sub, nbf, exp, more) (snprintf(p, sizeof(p), \
	"{\"aud\":\"%s\",\"iss\":\"%s\",\"sub\":\"%s\"," \
	"\"jti\":\"6f1c2a8e-0b3d-4e5f-9a7b-1c2d3e4f5a6b\"," \
	"\"nbf\":%lld,\"iat\":%lld,\"exp\":%lld%s}", aud, iss, sub, \
	(long long)(nbf), (long long)(nbf), (long long)(exp), more), p)
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-1", "client-1", now,
	    now + 600, ""), now, reason), 0);
	/* Another audience, another app, a subject of its own. */
	CU_ASSERT_EQUAL(check(c, h, CLAIMS("https://graph.example/", "client-1",
	    "client-1", now, now + 600, ""), now, reason), -1);
	CU_ASSERT(strstr(reason, "ClientId client-1") != NULL);
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-2", "client-2", now,
	    now + 600, ""), now, reason), -1);
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-1", "admin", now,
	    now + 600, ""), now, reason), -1);
	/* Lasting a day, made an hour ago or ahead, ending before it starts. */
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-1", "client-1", now,
	    now + 86400, ""), now, reason), -1);
	CU_ASSERT(strstr(reason, "at most 600 s") != NULL);
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-1", "client-1",
	    now - 3600, now - 3000, ""), now, reason), -1);
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-1", "client-1",
	    now + 3600, now + 3900, ""), now, reason), -1);
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-1", "client-1", now,
	    now, ""), now, reason), -1);
	/* The ends of the number range: refused, nothing overflows (the
	 * sanitizer build would stop here). */
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-1", "client-1",
	    LLONG_MIN, now + 600, ""), now, reason), -1);
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-1", "client-1", now,
	    LLONG_MAX, ""), now, reason), -1);
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-1", "client-1",
	    LLONG_MAX, LLONG_MAX, ""), now, reason), -1);
	/* A jti that is not a GUID (room for text of the worker's). */
	CU_ASSERT_EQUAL(check(c, h, "{\"aud\":\"https://login.example/t/"
	    "oauth2/v2.0/token\",\"iss\":\"client-1\",\"sub\":\"client-1\","
	    "\"jti\":\"j\",\"nbf\":1700000000,\"iat\":1700000000,"
	    "\"exp\":1700000600}", now, reason), -1);
	CU_ASSERT(strstr(reason, "ClientId client-1") != NULL);
	CU_ASSERT_EQUAL(check(c, h, "{\"aud\":\"https://login.example/t/"
	    "oauth2/v2.0/token\",\"iss\":\"client-1\",\"sub\":\"client-1\","
	    "\"jti\":\"6f1c2a8e-0b3d-4e5f-9a7b-1c2d3e4f5a6b\",\"nbf\":"
	    "1700000000,\"iat\":1700000000,\"exp\":1700000600}", now,
	    reason), 0);
	/* A claim more (a role, say), or one twice. */
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-1", "client-1", now,
	    now + 600, ",\"roles\":[\"admin\"]"), now, reason), -1);
	CU_ASSERT_EQUAL(check(c, h, CLAIMS(url, "client-1", "client-1", now,
	    now + 600, ",\"aud\":\"x\""), now, reason), -1);
	/* Another algorithm, no thumbprint or another's, a header more. */
	CLAIMS(url, "client-1", "client-1", now, now + 600, "");
	CU_ASSERT_EQUAL(check(c, "{\"alg\":\"none\",\"typ\":\"JWT\"}", p,
	    now, reason), -1);
	CU_ASSERT(strstr(reason, "header") != NULL);
	CU_ASSERT_EQUAL(check(c, "{\"alg\":\"RS256\",\"typ\":\"JWT\","
	    "\"x5t\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", p, now, reason), -1);
	snprintf(h, sizeof(h), "{\"alg\":\"RS256\",\"typ\":\"JWT\","
	    "\"x5t\":\"%s\",\"jku\":\"https://evil.example/\"}", x5t);
	CU_ASSERT_EQUAL(check(c, h, p, now, reason), -1);
	/* Not JSON objects, not base64url, no dot, a NUL inside. */
	CU_ASSERT_EQUAL(intune_auth_assertion_check(c, cert, "e30.W10", 7, now,
	    reason, 256), -1);
	CU_ASSERT(strstr(reason, "not a JWT") != NULL);
	CU_ASSERT_EQUAL(intune_auth_assertion_check(c, cert, "e30+.e30", 8,
	    now, reason, 256), -1);
	CU_ASSERT_EQUAL(intune_auth_assertion_check(c, cert, "e30", 3, now,
	    reason, 256), -1);
	CU_ASSERT_EQUAL(intune_auth_assertion_check(c, cert, "e30.e\0", 6,
	    now, reason, 256), -1);
#undef CLAIMS
	keyop_free(op);
	free(c);
}

static void
test_scopes(void)
{
	struct config	*c = calloc(1, sizeof(*c));
	char		 s[1024];

	CU_ASSERT_FATAL(c != NULL);
	strcpy(c->intune_authority, "https://login.microsoftonline.com/");
	strcpy(c->intune_tenant, "contoso.onmicrosoft.com");
	strcpy(c->intune_graph, "https://graph.microsoft.com");
	strcpy(c->intune_resource, "https://api.manage.microsoft.com/");
	intune_auth_token_url(c, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "https://login.microsoftonline.com/"
	    "contoso.onmicrosoft.com/oauth2/v2.0/token");
	/* The sample's string, double slash included. */
	intune_auth_scope(c, INTUNE_AUD_INTUNE, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "https://api.manage.microsoft.com//.default");
	intune_auth_scope(c, INTUNE_AUD_GRAPH, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "https://graph.microsoft.com/.default");
	strcpy(c->intune_graph, "https://graph.microsoft.us/");
	intune_auth_scope(c, INTUNE_AUD_GRAPH, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "https://graph.microsoft.us/.default");
	free(c);
}

static int
parse(const char *text, struct intune_endpoints *e, char *reason)
{
	json_t	*j = json_loads(text, 0, NULL);
	int	 rc = intune_endpoints_parse(j, e, reason, 256);

	json_decref(j);
	return rc;
}

static void
test_endpoints(void)
{
	struct intune_endpoints	 e;
	char			 reason[256];

	CU_ASSERT_EQUAL(parse("{\"value\":[{\"providerName\":"
	    "\"scepREQUESTvalidationFEService\",\"uri\":\"https://a.example/"
	    "x/\"},{\"providerName\":\"ScepRequestValidationFEService\","
	    "\"uri\":\"https://b.example/y\"},{\"providerName\":"
	    "\"PkiConnectorFEService\",\"uri\":\"https://c.example/z\"}]}", &e,
	    reason), 0);
	CU_ASSERT_STRING_EQUAL(e.scep, "https://a.example/x");
	CU_ASSERT_STRING_EQUAL(e.pki, "https://c.example/z");
	CU_ASSERT_EQUAL(parse("{\"value\":[{\"providerName\":"
	    "\"PkiConnectorFEService\",\"uri\":\"https://c.example/z\"}]}", &e,
	    reason), -1);
	CU_ASSERT(strstr(reason, "Application.Read.All") != NULL);
	CU_ASSERT_EQUAL(parse("{\"error\":{}}", &e, reason), -1);
	CU_ASSERT(strstr(reason, "\"value\"") != NULL);
	CU_ASSERT_EQUAL(parse("[]", &e, reason), -1);
	/* Only an https:// URI is believed. */
	CU_ASSERT_EQUAL(parse("{\"value\":[{\"providerName\":"
	    "\"ScepRequestValidationFEService\",\"uri\":\"http://a/\"}]}", &e,
	    reason), -1);
	CU_ASSERT_EQUAL(parse("{\"value\":[{\"providerName\":"
	    "\"ScepRequestValidationFEService\",\"uri\":7}]}", &e, reason), -1);
}

static int
judged(long status, const char *body, struct policy_decision *d)
{
	struct intune_reply	 r;

	memset(&r, 0, sizeof(r));
	memset(d, 0, sizeof(*d));
	r.status = status;
	r.json = body ? json_loads(body, 0, NULL) : NULL;
	strcpy(r.request_id, "0a1b2c3d-0000-4000-8000-000000000000");
	intune_judge(&r, d);
	json_decref(r.json);
	return d->allow;
}

static void
test_validate_answers(void)
{
	struct policy_decision	 d;

	CU_ASSERT(judged(200, "{\"code\":\"Success\",\"errorDescription\":"
	    "\"\"}", &d));
	CU_ASSERT_STRING_EQUAL(d.code, "Success");
	CU_ASSERT(!judged(200, "{\"code\":\"ChallengeExpired\","
	    "\"errorDescription\":\"too old\"}", &d));
	CU_ASSERT_STRING_EQUAL(d.code, "ChallengeExpired");
	CU_ASSERT(strstr(d.reason, "too old") != NULL);
	CU_ASSERT(strstr(d.reason, "0a1b2c3d-0000") != NULL);
	CU_ASSERT(!judged(200, "{\"code\":\"success\"}", &d));
	CU_ASSERT(!judged(200, "{\"code\":\"Success \"}", &d));
	CU_ASSERT(!judged(200, "{\"errorDescription\":\"Success\"}", &d));
	CU_ASSERT_STRING_EQUAL(d.code, "Unknown");
	CU_ASSERT(!judged(200, "{\"code\":1}", &d));
	CU_ASSERT(!judged(200, "[\"Success\"]", &d));
	CU_ASSERT(!judged(200, NULL, &d));
	CU_ASSERT(strstr(d.reason, "not JSON") != NULL);
	CU_ASSERT(!judged(500, "{\"code\":\"Success\"}", &d));
	CU_ASSERT(strstr(d.reason, "HTTP 500") != NULL);
	CU_ASSERT(!judged(302, "{\"code\":\"Success\"}", &d));
}

/* The notices' bodies: successNotification names the certificate,
 * failureNotification carries a signed HRESULT and at most 255
 * printable characters. */
static void
test_notices(void)
{
	struct policy_request	 req = { 0 };
	struct policy_notice	 n = { 0 };
	X509_REQ		*csr = X509_REQ_new();
	json_t			*j = NULL, *o;
	unsigned char		 md[20];
	unsigned int		 mdlen = 0, i;
	char			 why[600], thumb[41], reason[REASON_MAX];
	const char		*desc;

	CU_ASSERT_FATAL(csr != NULL && X509_REQ_set_pubkey(csr, key) == 1 &&
	    X509_REQ_sign(csr, key, EVP_sha256()) > 0);
	req.txid = "TX-1";
	req.csr = csr;
	CU_ASSERT_EQUAL_FATAL(policy_intune_notice(NULL, &req, cert, NULL, &n,
	    reason, sizeof(reason)), 1);
	CU_ASSERT_STRING_EQUAL(n.action, "successNotification");
	CU_ASSERT_FATAL((j = json_loads(n.body, 0, NULL)) != NULL);
	o = json_object_get(j, "notification");
	X509_digest(cert, EVP_sha1(), md, &mdlen);
	for (i = 0; i < mdlen; i++)
		snprintf(thumb + 2 * i, 3, "%02X", md[i]);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o,
	    "certificateThumbprint")), thumb);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o,
	    "certificateSerialNumber")), "07");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o,
	    "transactionId")), "TX-1");
	CU_ASSERT_PTR_NOT_NULL(strchr(json_string_value(json_object_get(o,
	    "certificateExpirationDateUtc")), 'Z'));
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(o,
	    "issuingCertificateAuthority")), "app"));
	json_decref(j);
	policy_notice_free(&n);
	memset(why, 'x', sizeof(why) - 1);
	why[sizeof(why) - 1] = '\0';
	why[3] = '\n';
	why[4] = (char)0xC3;
	CU_ASSERT_EQUAL_FATAL(policy_intune_notice(NULL, &req, NULL, why, &n,
	    reason, sizeof(reason)), 1);
	CU_ASSERT_STRING_EQUAL(n.action, "failureNotification");
	CU_ASSERT_FATAL((j = json_loads(n.body, 0, NULL)) != NULL);
	o = json_object_get(j, "notification");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "hResult")),
	    -2147467259LL);
	desc = json_string_value(json_object_get(o, "errorDescription"));
	CU_ASSERT(desc != NULL && strlen(desc) == 255 &&
	    strncmp(desc, "xxx??x", 6) == 0);
	json_decref(j);
	policy_notice_free(&n);
	/* A stored notice for another action is not sent anywhere. */
	CU_ASSERT_EQUAL(policy_intune_send(NULL, "validateRequest", "{}",
	    reason, sizeof(reason)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "not one Intune takes"));
	X509_REQ_free(csr);
}

int
register_intune(void)
{
	CU_pSuite s = CU_add_suite("intune", setup, cleanup);

	if (s == NULL ||
	    !CU_add_test(s, "client assertion JWT", test_assertion) ||
	    !CU_add_test(s, "what the signer signs as the Intune client",
	    test_assertion_check) ||
	    !CU_add_test(s, "token URL and scopes", test_scopes) ||
	    !CU_add_test(s, "Graph endpoint list", test_endpoints) ||
	    !CU_add_test(s, "validateRequest answers", test_validate_answers) ||
	    !CU_add_test(s, "success and failure notices", test_notices))
		return -1;
	return 0;
}
