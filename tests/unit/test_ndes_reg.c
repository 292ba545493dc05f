/* test_ndes_reg.c - import-ndes: reg exports as Windows writes them. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/ndes_reg.h"
#include "fixture.h"
#include "suites.h"

#define KEY "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP"

/* What regedit writes: a BOM, then UTF-16LE; the text has CRLF already. */
static unsigned char *
utf16le(const char *text, size_t *len)
{
	size_t		 n = strlen(text), i;
	unsigned char	*p = malloc(2 * n + 2);

	CU_ASSERT_FATAL(p != NULL);
	p[0] = 0xff;
	p[1] = 0xfe;
	for (i = 0; i < n; i++) {
		p[2 + 2 * i] = (unsigned char)text[i];
		p[3 + 2 * i] = 0;
	}
	*len = 2 * n + 2;
	return p;
}

struct result {
	char	*ini, *notes;
	size_t	 ilen, nlen;
	int	 rc;
};

static void
convert(const unsigned char *data, size_t len, struct result *r)
{
	FILE	*out = open_memstream(&r->ini, &r->ilen);
	FILE	*notes = open_memstream(&r->notes, &r->nlen);
	char	 reason[256] = "";

	CU_ASSERT_FATAL(out != NULL && notes != NULL);
	r->rc = ndes_reg_convert(data, len, out, notes, reason,
	    sizeof(reason));
	fprintf(notes, "%s", reason);
	fclose(out);
	fclose(notes);
}

static void
result_free(struct result *r)
{
	free(r->ini);
	free(r->notes);
}

/* The INI loads as mscep.ini: problems counted, cfg filled. */
static int
load_ini(const char *text, struct config *cfg)
{
	char	 path[] = "/tmp/mscep-ndes.XXXXXX";
	int	 fd = mkstemp(path), n;

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_FATAL(write_file(path, text) == 0);
	n = config_load(path, cfg, stderr);
	unlink(path);
	return n;
}

static const char full[] =
    "Windows Registry Editor Version 5.00\r\n\r\n"
    KEY "]\r\n"
    "\"SignatureTemplate\"=\"CorpSign\"\r\n"
    "\"EncryptionTemplate\"=\"CorpEnc\"\r\n"
    "\"GeneralPurposeTemplate\"=\"CorpSign\"\r\n"
    "\"EncryptedPassword\"=hex:01,00,00,00,d0,8c,9d,df,01,15,d1,11,8c,7a,\\\r\n"
    "  00,c0,4f,c2,97,eb,01\r\n\r\n"
    KEY "\\CacheRequest]\r\n"
    "\"CacheRequest\"=dword:00000001\r\n\r\n"
    KEY "\\EnforcePassword]\r\n"
    "\"EnforcePassword\"=dword:00000000\r\n\r\n"
    KEY "\\PasswordLength]\r\n"
    "\"PasswordLength\"=dword:00000010\r\n\r\n"
    KEY "\\PasswordMax]\r\n"
    "\"PasswordMax\"=dword:00000064\r\n\r\n"
    KEY "\\PasswordValidity]\r\n"
    "\"PasswordValidity\"=dword:0000001e\r\n\r\n"
    KEY "\\PasswordVDir]\r\n"
    "\"PasswordVDir\"=\"CertSrv/scep_pw\"\r\n\r\n"
    KEY "\\UseSinglePassword]\r\n"
    "\"UseSinglePassword\"=dword:00000001\r\n\r\n"
    KEY "\\Modules]\r\n"
    "\"Policy\"=\"Contoso.NDESPolicy\"\r\n\r\n";

static void
test_windows_export(void)
{
	struct result	 r;
	struct config	 cfg;
	unsigned char	*data;
	size_t		 len;

	data = utf16le(full, &len);
	convert(data, len, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.ini, "SignatureTemplate = CorpSign\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.ini, "PasswordValidity = 30\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.ini, "\n[CorpSign]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.ini, "\n[CorpEnc]\n"));
	CU_ASSERT_PTR_NULL(strstr(r.ini, "not in the export"));
	/* One section per template, however often it is named. */
	CU_ASSERT_PTR_NULL(strstr(strstr(r.ini, "[CorpSign]") + 1,
	    "[CorpSign]"));
	CU_ASSERT_EQUAL_FATAL(load_ini(r.ini, &cfg), 0);
	CU_ASSERT_EQUAL(cfg.enforce_password, 0);
	CU_ASSERT_EQUAL(cfg.use_single_password, 1);
	CU_ASSERT_EQUAL(cfg.password_max, 100);
	CU_ASSERT_EQUAL(cfg.password_length, 16);
	CU_ASSERT_EQUAL(cfg.password_validity, 30);
	CU_ASSERT_STRING_EQUAL(cfg.signature->name, "CorpSign");
	CU_ASSERT_STRING_EQUAL(cfg.encryption->name, "CorpEnc");
	CU_ASSERT_PTR_EQUAL(cfg.general, cfg.signature);
	config_free(&cfg);
	result_free(&r);
	free(data);
}

static void
test_what_is_not_carried(void)
{
	struct result	 r;
	unsigned char	*data;
	size_t		 len;

	data = utf16le(full, &len);
	convert(data, len, &r);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.notes, "MSCEP\\EncryptedPassword: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.notes,
	    "MSCEP\\CacheRequest\\CacheRequest: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.notes, "MSCEP\\Modules\\Policy: "));
	/* The continuation line of the binary value is no value of its own. */
	CU_ASSERT_PTR_NULL(strstr(r.notes, "00,c0"));
	CU_ASSERT_PTR_NULL(strstr(r.notes, "PasswordMax"));
	result_free(&r);
	free(data);
}

static void
test_defaults_for_missing(void)
{
	static const char part[] =
	    "Windows Registry Editor Version 5.00\r\n\r\n"
	    KEY "\\PasswordMax]\r\n"
	    "\"PasswordMax\"=dword:00000014\r\n\r\n"
	    KEY "\\PasswordLength]\r\n"
	    "\"PasswordLength\"=dword:00000100\r\n\r\n";
	struct result	 r;
	struct config	 cfg;
	unsigned char	*data;
	size_t		 len;

	data = utf16le(part, &len);
	convert(data, len, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.ini, "; not in the export: the "
	    "default\nPasswordValidity = 60\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.ini,
	    "SignatureTemplate = IPSECIntermediateOffline\n"));
	/* 256 bytes is beyond PasswordLength's range: said, default used. */
	CU_ASSERT_PTR_NOT_NULL(strstr(r.notes, "PasswordLength = 256"));
	CU_ASSERT_EQUAL_FATAL(load_ini(r.ini, &cfg), 0);
	CU_ASSERT_EQUAL(cfg.password_max, 20);
	CU_ASSERT_EQUAL(cfg.password_length, 8);
	CU_ASSERT_EQUAL(cfg.password_validity, 60);
	CU_ASSERT_EQUAL(cfg.enforce_password, 1);
	config_free(&cfg);
	result_free(&r);
	free(data);
}

static void
test_encodings(void)
{
	static const char utf8[] = "\xef\xbb\xbfWindows Registry Editor "
	    "Version 5.00\n\n" KEY "]\n\"SignatureTemplate\"=\"Sig\"\n";
	static const unsigned char bare16[] = { 'W', 0, 'i', 0, 'n', 0 };
	struct result	 r;

	convert((const unsigned char *)utf8, strlen(utf8), &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.ini, "SignatureTemplate = Sig\n"));
	result_free(&r);
	convert(bare16, sizeof(bare16), &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.notes, "not a registry export"));
	CU_ASSERT_EQUAL(r.ilen, 0);
	result_free(&r);
	convert((const unsigned char *)"[MSCEP]\nPasswordMax = 5\n", 25, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.notes, "not a registry export"));
	result_free(&r);
}

int
register_ndes_reg(void)
{
	CU_pSuite s = CU_add_suite("ndes_reg", NULL, NULL);

	if (s == NULL ||
	    !CU_add_test(s, "a Windows reg export (UTF-16LE, CRLF, dword)",
	    test_windows_export) ||
	    !CU_add_test(s, "what has no mscep setting is named",
	    test_what_is_not_carried) ||
	    !CU_add_test(s, "defaults for values not in the export",
	    test_defaults_for_missing) ||
	    !CU_add_test(s, "UTF-8 accepted, other text refused",
	    test_encodings))
		return -1;
	return 0;
}
