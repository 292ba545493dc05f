/* test_http.c - query-string decoding. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "responder/http.h"
#include "suites.h"

static void
expect(const char *q, const char *name, const char *want)
{
	char	*v = http_query_get(q, name, 1000, NULL);

	if (want == NULL) {
		CU_ASSERT_PTR_NULL(v);
	} else {
		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		CU_ASSERT_STRING_EQUAL(v, want);
	}
	free(v);
}

static void
test_query_basic(void)
{
	expect("operation=GetCACaps&message=x", "operation", "GetCACaps");
	expect("operation=GetCACaps&message=x", "message", "x");
	expect("OPERATION=getcacert", "operation", "getcacert");
	expect("operation=GetCACaps", "message", NULL);
	expect("", "operation", NULL);
	expect(NULL, "operation", NULL);
	expect("operationX=1&operation=2", "operation", "2");
	expect("message", "message", "");
}

static void
test_query_decoding(void)
{
	expect("message=a%2Bb%2Fc%3D%3D", "message", "a+b/c==");
	expect("message=a+b", "message", "a+b");	/* base64 '+' kept */
	expect("message=%zz%4", "message", "%zz%4");	/* bad escapes kept */
	expect("??operation=GetCACert", "operation", "GetCACert");
}

static void
test_query_limit(void)
{
	int	 too_long = 0;
	char	*v = http_query_get("message=abcdef", "message", 3, &too_long);

	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_EQUAL(too_long, 1);
	v = http_query_get("message=abc", "message", 3, &too_long);
	CU_ASSERT_PTR_NOT_NULL(v);
	CU_ASSERT_EQUAL(too_long, 0);
	free(v);
}

int
register_http(void)
{
	CU_pSuite s = CU_add_suite("http", NULL, NULL);

	if (s == NULL ||
	    !CU_add_test(s, "query parameters", test_query_basic) ||
	    !CU_add_test(s, "percent decoding", test_query_decoding) ||
	    !CU_add_test(s, "length limit", test_query_limit))
		return -1;
	return 0;
}
