/* test_intune_revocation.c - intune-sync's JSON without a network: the
 * download body, every shape of download answer, the upload body in the
 * Java sample's encoding, the upload answer (only {"value":true}) and
 * the Revoked event. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/intune_revocation.h"
#include "store/events.h"
#include "suites.h"

/* j as compact JSON with sorted keys; compared, then freed. */
static int
json_is(json_t *j, const char *want)
{
	char	*s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int	 same = s != NULL && strcmp(s, want) == 0;

	if (!same)
		fprintf(stderr, "got %s\nwant %s\n", s ? s : "(null)", want);
	free(s);
	json_decref(j);
	return same;
}

static void
test_download_body(void)
{
	CU_ASSERT(json_is(intune_rev_download_body(500), "{\"downloadParameters"
	    "\":{\"issuerName\":null,\"maxRequests\":500}}"));
	CU_ASSERT(json_is(intune_rev_download_body(1), "{\"downloadParameters"
	    "\":{\"issuerName\":null,\"maxRequests\":1}}"));
}

/* Parses text; the return value of intune_rev_parse. */
static int
parsed(const char *text, struct intune_revreq **q, size_t *n, size_t *skip,
    char *reason)
{
	json_t	*j = json_loads(text, 0, NULL);
	int	 rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	rc = intune_rev_parse(j, q, n, skip, reason, 256);
	json_decref(j);
	return rc;
}

static void
test_download_answers(void)
{
	struct intune_revreq	*q;
	size_t			 n, skip;
	char			 reason[256];

	CU_ASSERT(parsed("{\"@odata.context\":\"x\",\"value\":[{\"requestContext"
	    "\":\"c1\",\"serialNumber\":\"1A2B\",\"issuerName\":\"CN=CA\","
	    "\"caConfiguration\":null},{\"requestContext\":\"c2\","
	    "\"serialNumber\":null,\"issuerName\":null}]}", &q, &n, &skip,
	    reason) == 0);
	CU_ASSERT_FATAL(n == 2);
	CU_ASSERT(skip == 0);
	CU_ASSERT_STRING_EQUAL(q[0].context, "c1");
	CU_ASSERT_STRING_EQUAL(q[0].serial, "1A2B");
	CU_ASSERT_STRING_EQUAL(q[0].issuer, "CN=CA");
	CU_ASSERT_STRING_EQUAL(q[1].context, "c2");
	CU_ASSERT_PTR_NULL(q[1].serial);
	CU_ASSERT_PTR_NULL(q[1].issuer);
	intune_revreqs_free(q, n);

	/* Nothing to answer it with: left out and counted. */
	CU_ASSERT(parsed("{\"value\":[{\"serialNumber\":\"01\"},"
	    "{\"requestContext\":7,\"serialNumber\":\"02\"},"
	    "{\"requestContext\":\"c3\",\"serialNumber\":\"03\"}]}", &q, &n,
	    &skip, reason) == 0);
	CU_ASSERT(n == 1 && skip == 2);
	CU_ASSERT(n == 1 && strcmp(q[0].context, "c3") == 0);
	intune_revreqs_free(q, n);

	CU_ASSERT(parsed("{\"value\":[]}", &q, &n, &skip, reason) == 0);
	CU_ASSERT(n == 0 && skip == 0 && q == NULL);

	CU_ASSERT(parsed("{\"values\":[]}", &q, &n, &skip, reason) == -1);
	CU_ASSERT(strstr(reason, "\"value\"") != NULL);
	CU_ASSERT(parsed("{\"value\":{\"requestContext\":\"c\"}}", &q, &n, &skip,
	    reason) == -1);
	CU_ASSERT(parsed("[{\"requestContext\":\"c\"}]", &q, &n, &skip,
	    reason) == -1);
	CU_ASSERT(parsed("{\"value\":[{\"requestContext\":\"c\"},\"c2\"]}", &q,
	    &n, &skip, reason) == -1);
	CU_ASSERT(strstr(reason, "request 2") != NULL);
	CU_ASSERT(n == 0 && q == NULL);
}

static void
test_upload_body(void)
{
	struct intune_revresult	 r[3] = {
		{ "c1", INTUNE_REV_NONE, "ignored" },
		{ "c2", INTUNE_REV_CONFLICT, "already revoked" },
		{ "c\"3", INTUNE_REV_NOT_FOUND, NULL },
	};

	CU_ASSERT(json_is(intune_rev_upload_body(r, 3), "{\"results\":["
	    "{\"errorCode\":\"0\",\"errorMessage\":null,\"requestContext\":"
	    "\"c1\",\"succeeded\":true},"
	    "{\"errorCode\":\"4005\",\"errorMessage\":\"already revoked\","
	    "\"requestContext\":\"c2\",\"succeeded\":false},"
	    "{\"errorCode\":\"4004\",\"errorMessage\":null,\"requestContext\":"
	    "\"c\\\"3\",\"succeeded\":false}]}"));
	/* The service refuses an empty list: none is built. */
	CU_ASSERT_PTR_NULL(intune_rev_upload_body(r, 0));
}

static int
upload_ok(long status, const char *body, char *reason)
{
	struct intune_reply	 r;
	int			 rc;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.json = body ? json_loads(body, JSON_DECODE_ANY, NULL) : NULL;
	strcpy(r.request_id, "0a1b2c3d-0000-4000-8000-000000000000");
	rc = intune_rev_upload_ok(&r, reason, 256);
	json_decref(r.json);
	return rc;
}

static void
test_upload_answers(void)
{
	char	 reason[256];

	CU_ASSERT(upload_ok(200, "{\"value\":true}", reason) == 0);
	CU_ASSERT(upload_ok(200, "{\"@odata.context\":\"x\",\"value\":true}",
	    reason) == 0);
	CU_ASSERT(upload_ok(200, "{\"value\":false}", reason) == -1);
	CU_ASSERT(strstr(reason, "not {\"value\":true}") != NULL);
	CU_ASSERT(strstr(reason, "0a1b2c3d-0000") != NULL);
	CU_ASSERT(upload_ok(200, "{\"value\":\"true\"}", reason) == -1);
	CU_ASSERT(upload_ok(200, "{\"value\":1}", reason) == -1);
	CU_ASSERT(upload_ok(200, "{}", reason) == -1);
	CU_ASSERT(upload_ok(200, "true", reason) == -1);
	CU_ASSERT(upload_ok(200, NULL, reason) == -1);
	CU_ASSERT(strstr(reason, "not JSON") != NULL);
	CU_ASSERT(upload_ok(500, "{\"value\":true}", reason) == -1);
	CU_ASSERT(strstr(reason, "HTTP 500") != NULL);
}

static void
test_code_names(void)
{
	CU_ASSERT_STRING_EQUAL(intune_rev_code_name(0), "None");
	CU_ASSERT_STRING_EQUAL(intune_rev_code_name(4004),
	    "CertificateNotFoundError");
	CU_ASSERT_STRING_EQUAL(intune_rev_code_name(4005), "ConflictError");
	CU_ASSERT_STRING_EQUAL(intune_rev_code_name(4103),
	    "AuthenticationException");
	CU_ASSERT_STRING_EQUAL(intune_rev_code_name(4008), "Unknown");
}

/* intune-sync's event: a success that says who asked; an enrollment's
 * success event has no description, as before. */
static void
test_revoked_event(void)
{
	struct store_event	 e = { 0 };
	char			 out[1024];

	e.at = 1700000000;
	e.success = 1;
	e.txid = "ctx-1";
	e.serial = "1A2B";
	e.thumbprint = "AB";
	e.not_after = 1800000000;
	e.issuer = "/CN=CA";
	e.code = "Success";
	CU_ASSERT_FATAL(events_json(&e, out, sizeof(out)) == 0);
	CU_ASSERT(strstr(out, "description") == NULL);
	e.code = "Revoked";
	e.description = "revoked at the request of Intune (requestContext "
	    "ctx-1)";
	CU_ASSERT_FATAL(events_json(&e, out, sizeof(out)) == 0);
	CU_ASSERT(strstr(out, "\"result\":\"success\"") != NULL);
	CU_ASSERT(strstr(out, "\"code\":\"Revoked\"") != NULL);
	CU_ASSERT(strstr(out, "\"serial\":\"1A2B\"") != NULL);
	CU_ASSERT(strstr(out, "\"description\":\"revoked at the request of "
	    "Intune (requestContext ctx-1)\"}") != NULL);
}

int
register_intune_revocation(void)
{
	CU_pSuite s = CU_add_suite("intune_revocation", NULL, NULL);

	if (s == NULL ||
	    !CU_add_test(s, "download body", test_download_body) ||
	    !CU_add_test(s, "download answers", test_download_answers) ||
	    !CU_add_test(s, "upload body", test_upload_body) ||
	    !CU_add_test(s, "upload answers", test_upload_answers) ||
	    !CU_add_test(s, "error code names", test_code_names) ||
	    !CU_add_test(s, "the Revoked event", test_revoked_event))
		return -1;
	return 0;
}
