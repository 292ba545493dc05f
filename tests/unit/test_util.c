/* test_util.c - base64 and hex as SCEP GET clients need them. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "suites.h"
#include "util/util.h"

static void
test_base64_roundtrip(void)
{
	unsigned char	 in[256], out[300];
	char		 txt[400];
	size_t		 n, i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7);
	for (n = 0; n < 10; n++) {
		base64_encode(in, sizeof(in) - n, txt, sizeof(txt));
		CU_ASSERT_EQUAL(base64_decode(txt, strlen(txt), out,
		    sizeof(out)), (long)(sizeof(in) - n));
		CU_ASSERT(memcmp(in, out, sizeof(in) - n) == 0);
	}
}

static void
test_base64_tolerance(void)
{
	unsigned char	 out[16];

	/* "+/8=" decodes to fb ff; as base64url and with a space for '+'. */
	CU_ASSERT_EQUAL(base64_decode("+/8=", 4, out, sizeof(out)), 2);
	CU_ASSERT(out[0] == 0xfb && out[1] == 0xff);
	CU_ASSERT_EQUAL(base64_decode("-_8=", 4, out, sizeof(out)), 2);
	CU_ASSERT(out[0] == 0xfb && out[1] == 0xff);
	CU_ASSERT_EQUAL(base64_decode(" /8=", 4, out, sizeof(out)), 2);
	CU_ASSERT(out[0] == 0xfb);
	/* Cisco wraps lines with %0A. */
	CU_ASSERT_EQUAL(base64_decode("QU\nJD\r\n", 7, out, sizeof(out)), 3);
	CU_ASSERT(memcmp(out, "ABC", 3) == 0);
}

static void
test_base64_rejects(void)
{
	unsigned char	 out[16];

	CU_ASSERT_EQUAL(base64_decode("QU*D", 4, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(base64_decode("QQ==QQ", 6, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(base64_decode("Q", 1, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(base64_decode("QUJDREVG", 8, out, 2), -1);
}

static void
test_hex(void)
{
	const unsigned char in[] = { 0x00, 0xab, 0x1f };
	char		 out[7];

	hex_encode(in, 3, out);
	CU_ASSERT_STRING_EQUAL(out, "00AB1F");
}

/* AD CS's CRL names: "(n)" before the last part's extension. */
static void
test_key_index_name(void)
{
	char	 out[64];

	CU_ASSERT_EQUAL(name_for_key_index("/s/crl/mscep.crl", 0, out,
	    sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "/s/crl/mscep.crl");
	CU_ASSERT_EQUAL(name_for_key_index("/s/crl/mscep.crl", 12, out,
	    sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "/s/crl/mscep(12).crl");
	/* A dot in a folder or host name is not an extension. */
	CU_ASSERT_EQUAL(name_for_key_index("http://pki.example/crl/ca", 1,
	    out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "http://pki.example/crl/ca(1)");
	CU_ASSERT_EQUAL(name_for_key_index("a.b/c.d.crl", 2, out,
	    sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "a.b/c.d(2).crl");
	CU_ASSERT_EQUAL(name_for_key_index("/s/mscep.crl", 1, out, 12), -1);
}

int
register_util(void)
{
	CU_pSuite s = CU_add_suite("util", NULL, NULL);

	if (s == NULL ||
	    !CU_add_test(s, "base64 round trip", test_base64_roundtrip) ||
	    !CU_add_test(s, "base64 client quirks", test_base64_tolerance) ||
	    !CU_add_test(s, "base64 rejects garbage", test_base64_rejects) ||
	    !CU_add_test(s, "hex", test_hex) ||
	    !CU_add_test(s, "CRL name for a CA key index",
	    test_key_index_name))
		return -1;
	return 0;
}
