/* test_template.c - NDES template choice by requested key usage. */
#include <CUnit/CUnit.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "suites.h"
#include "ca/template.h"

static struct config	 cfg;
static char		 ini[] = "/tmp/mscep-tmpl.XXXXXX";

static const char *
pick(const char *ku)
{
	struct requester	 r;
	const struct template	*t;
	static char		 reason[REASON_MAX];

	reason[0] = '\0';
	CU_ASSERT_FATAL(requester_new(&r, "t", ku, NULL, NULL) == 0);
	t = template_select(&cfg, r.csr, reason, sizeof(reason));
	requester_free(&r);
	return t ? t->name : reason;
}

static void
test_selection(void)
{
	CU_ASSERT_STRING_EQUAL(pick("digitalSignature"), "SigT");
	CU_ASSERT_STRING_EQUAL(pick("nonRepudiation"), "SigT");
	CU_ASSERT_STRING_EQUAL(pick("keyEncipherment"), "EncT");
	CU_ASSERT_STRING_EQUAL(pick("keyAgreement"), "EncT");
	CU_ASSERT_STRING_EQUAL(pick("both"), "GpT");
	CU_ASSERT_STRING_EQUAL(pick(NULL), "GpT");	/* NoKeyUsageTemplate */
}

static void
test_no_key_usage_reject(void)
{
	cfg.no_key_usage = NOKU_REJECT;
	CU_ASSERT(strstr(pick(NULL), "NoKeyUsageTemplate=Reject") != NULL);
	cfg.no_key_usage = NOKU_SIGNATURE;
	CU_ASSERT_STRING_EQUAL(pick(NULL), "SigT");
	cfg.no_key_usage = NOKU_GENERALPURPOSE;
}

static int
setup(void)
{
	int	 fd = mkstemp(ini);

	if (fd < 0 || close(fd) != 0 || write_file(ini,
	    "[MSCEP]\nSignatureTemplate = SigT\nEncryptionTemplate = EncT\n"
	    "GeneralPurposeTemplate = GpT\n[SigT]\n[EncT]\n[GpT]\n") != 0)
		return -1;
	return config_load(ini, &cfg, stderr) == 0 ? 0 : -1;
}

static int
cleanup(void)
{
	config_free(&cfg);
	return unlink(ini);
}

int
register_template(void)
{
	CU_pSuite s = CU_add_suite("template", setup, cleanup);

	if (s == NULL ||
	    !CU_add_test(s, "keyUsage picks the template", test_selection) ||
	    !CU_add_test(s, "CSR without key usage", test_no_key_usage_reject))
		return -1;
	return 0;
}
