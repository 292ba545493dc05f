/* test_config.c - the INI loader: defaults, validation, line numbers. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/ini_index.h"
#include "fixture.h"
#include "suites.h"

static char	 path[] = "/tmp/mscep-cfg.XXXXXX";

/* Loads text; returns the problem count and the messages in msgs. */
static int
load(const char *text, struct config *cfg, char *msgs, size_t size)
{
	FILE	*errs = fmemopen(msgs, size, "w");
	int	 n;

	memset(msgs, 0, size);
	CU_ASSERT_FATAL(write_file(path, text) == 0);
	n = config_load(path, cfg, errs);
	fclose(errs);
	return n;
}

static void
test_example_ini_is_valid(void)
{
	struct config	 cfg;
	int		 n = config_load("../etc/mscep.ini", &cfg, stderr);

	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NOT_NULL(cfg.signature);
	CU_ASSERT_EQUAL(cfg.password_max, 5);
	CU_ASSERT_EQUAL(cfg.password_validity, 60);
	CU_ASSERT_EQUAL(cfg.enforce_password, 1);
	CU_ASSERT_EQUAL(cfg.allow_des, 0);
	config_free(&cfg);
}

static void
test_registry_defaults(void)
{
	struct config	 cfg;
	char		 msgs[1024];

	/* Only the template NDES names by default; everything else default. */
	CU_ASSERT_EQUAL(load("[IPSECIntermediateOffline]\n", &cfg, msgs,
	    sizeof(msgs)), 0);
	CU_ASSERT_EQUAL(cfg.enforce_password, 1);
	CU_ASSERT_EQUAL(cfg.use_single_password, 0);
	CU_ASSERT_EQUAL(cfg.password_max, 5);
	CU_ASSERT_EQUAL(cfg.password_length, 8);
	CU_ASSERT_EQUAL(cfg.password_validity, 60);
	CU_ASSERT_STRING_EQUAL(cfg.password_vdir, "CertSrv/mscep_admin");
	CU_ASSERT_PTR_EQUAL(cfg.signature, cfg.general);
	CU_ASSERT_EQUAL(cfg.signature->validity_days, 365);
	CU_ASSERT_EQUAL(cfg.signature->min_rsa_bits, 2048);
	CU_ASSERT(strstr(cfg.caps, "POSTPKIOperation\n") != NULL);
	CU_ASSERT(strstr(cfg.caps, "Renewal") == NULL);
	config_free(&cfg);
}

static void
test_errors_name_line_section_key(void)
{
	struct config	 cfg;
	char		 msgs[4096];
	int		 n;

	n = load("[MSCEP]\n"
	    "PasswordMax = lots\n"			/* line 2 */
	    "SignatureTemplate = Nope\n"		/* line 3 */
	    "PasswordMaxx = 3\n"			/* line 4 */
	    "[Service]\n"
	    "Capabilities = AES, Renewal\n"		/* line 6 */
	    "HashAlgorithm = md5\n"			/* line 7 */
	    "[IPSECIntermediateOffline]\n"
	    "KeyUsage = digitalSignature, flying\n"	/* line 9 */
	    "SubjectAltNames = dns, x400\n"		/* line 10 */
	    "ValidityDays = 0\n"			/* line 11 */
	    "[PasswordPage]\n"
	    "Encoding = latin1\n"			/* line 13 */
	    "[Service]\n"
	    "LogSocket = dev/log\n"			/* line 15 */
	    "[MSCEP]\n"
	    "PasswordVDir = /CertSrv/mscep/\n",	/* line 17 */
	    &cfg, msgs, sizeof(msgs));
	CU_ASSERT(strstr(msgs, ":17: [MSCEP] passwordvdir: \"CertSrv/mscep/\" "
	    "overlaps") != NULL);
	CU_ASSERT(strstr(msgs, ":13: [PasswordPage] encoding:") != NULL);
	CU_ASSERT(strstr(msgs, ":15: [Service] logsocket:") != NULL);
	CU_ASSERT_EQUAL(n, 11);
	CU_ASSERT(strstr(msgs, ":2: [MSCEP] passwordmax: \"lots\"") != NULL);
	CU_ASSERT(strstr(msgs, ":3: [MSCEP] signaturetemplate: template "
	    "\"Nope\"") != NULL);
	CU_ASSERT(strstr(msgs, ":4: [MSCEP] passwordmaxx: unknown key") != NULL);
	CU_ASSERT(strstr(msgs, ":6: [Service] capabilities:") != NULL);
	CU_ASSERT(strstr(msgs, ":7: [Service] hashalgorithm:") != NULL);
	CU_ASSERT(strstr(msgs, ":9: [IPSECIntermediateOffline] keyusage:") != NULL);
	CU_ASSERT(strstr(msgs, ":10: [IPSECIntermediateOffline] subjectaltnames:")
	    != NULL);
	CU_ASSERT(strstr(msgs, ":11: [IPSECIntermediateOffline] validitydays:")
	    != NULL);
	config_free(&cfg);
}

static void
test_hex_registry_value(void)
{
	struct config	 cfg;
	char		 msgs[1024];

	/* The registry export shows dword:0000003c; people paste 0x3C. */
	CU_ASSERT_EQUAL(load("[MSCEP]\nPasswordValidity = 0x3C\n"
	    "[IPSECIntermediateOffline]\n", &cfg, msgs, sizeof(msgs)), 0);
	CU_ASSERT_EQUAL(cfg.password_validity, 60);
	config_free(&cfg);
}

static void
test_scepstandard_needs_its_parts(void)
{
	struct config	 cfg;
	char		 msgs[1024];

	CU_ASSERT_EQUAL(load("[Service]\nCapabilities = SCEPStandard, AES\n"
	    "[IPSECIntermediateOffline]\n", &cfg, msgs, sizeof(msgs)), 1);
	CU_ASSERT(strstr(msgs, ":2: [Service] capabilities: SCEPStandard") !=
	    NULL);
	config_free(&cfg);
	CU_ASSERT_EQUAL(load("[Service]\nCapabilities = AES, SHA-256\n"
	    "[IPSECIntermediateOffline]\n", &cfg, msgs, sizeof(msgs)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.caps, "AES\nSHA-256\n");
	config_free(&cfg);
}

/* The index reads lines as iniparser does. */
static void
test_index_follows_iniparser(void)
{
	struct ini_index	 ix;

	CU_ASSERT_FATAL(write_file(path, "early = 1\n"
	    "[ Main ]\n"			/* 2 */
	    "; a = comment\n"
	    "Long = one, \\\n"			/* 4: continued */
	    "  two\n"
	    "[]\n"				/* iniparser: still [Main] */
	    "After = 1\n"			/* 7 */
	    "[main]\n"				/* 8 */
	    "long = again\n") == 0);		/* 9 */
	CU_ASSERT_FATAL(ini_index_read(&ix, path) == 0);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "", "early"), 1);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "MAIN", "after"), 7);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "main", "LONG"), 9);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "main", NULL), 8);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "main", "two"), 0);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "main", "a"), 0);
	CU_ASSERT_STRING_EQUAL(ini_index_section(&ix, "MAIN"), "main");
	CU_ASSERT_EQUAL(ix.n, 6);
	ini_index_free(&ix);
}

static void
test_missing_file(void)
{
	struct config	 cfg;

	CU_ASSERT_EQUAL(config_load("/nonexistent/mscep.ini", &cfg, NULL), -1);
	config_free(&cfg);
}

static int
cleanup(void)
{
	unlink(path);
	return 0;
}

static int
setup(void)
{
	int	 fd = mkstemp(path);

	return fd < 0 ? -1 : close(fd);
}

int
register_config(void)
{
	CU_pSuite s = CU_add_suite("config", setup, cleanup);

	if (s == NULL ||
	    !CU_add_test(s, "etc/mscep.ini is valid", test_example_ini_is_valid) ||
	    !CU_add_test(s, "NDES registry defaults", test_registry_defaults) ||
	    !CU_add_test(s, "errors name line, section, key",
	    test_errors_name_line_section_key) ||
	    !CU_add_test(s, "hex registry values", test_hex_registry_value) ||
	    !CU_add_test(s, "SCEPStandard implies AES, POST, SHA-256",
	    test_scepstandard_needs_its_parts) ||
	    !CU_add_test(s, "key lines as iniparser reads them",
	    test_index_follows_iniparser) ||
	    !CU_add_test(s, "missing file", test_missing_file))
		return -1;
	return 0;
}
