/* test_config.c - the INI loader: defaults, validation, line numbers. */
#include <CUnit/CUnit.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/ini_index.h"
#include "config/schema.h"
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
	CU_ASSERT(strstr(msgs, ":17: [MSCEP] PasswordVDir: \"CertSrv/mscep/\" "
	    "overlaps") != NULL);
	CU_ASSERT(strstr(msgs, ":13: [PasswordPage] Encoding:") != NULL);
	CU_ASSERT(strstr(msgs, ":15: [Service] LogSocket:") != NULL);
	CU_ASSERT_EQUAL(n, 11);
	CU_ASSERT(strstr(msgs, ":2: [MSCEP] PasswordMax: \"lots\"") != NULL);
	CU_ASSERT(strstr(msgs, ":3: [MSCEP] SignatureTemplate: template "
	    "\"Nope\"") != NULL);
	CU_ASSERT(strstr(msgs, ":4: [MSCEP] PasswordMaxx: unknown key") != NULL);
	CU_ASSERT(strstr(msgs, ":6: [Service] Capabilities:") != NULL);
	CU_ASSERT(strstr(msgs, ":7: [Service] HashAlgorithm:") != NULL);
	CU_ASSERT(strstr(msgs, ":9: [IPSECIntermediateOffline] KeyUsage:") != NULL);
	CU_ASSERT(strstr(msgs, ":10: [IPSECIntermediateOffline] SubjectAltNames:")
	    != NULL);
	CU_ASSERT(strstr(msgs, ":11: [IPSECIntermediateOffline] ValidityDays:")
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
	CU_ASSERT(strstr(msgs, ":2: [Service] Capabilities: SCEPStandard") !=
	    NULL);
	config_free(&cfg);
	CU_ASSERT_EQUAL(load("[Service]\nCapabilities = AES, SHA-256\n"
	    "[IPSECIntermediateOffline]\n", &cfg, msgs, sizeof(msgs)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.caps, "AES\nSHA-256\n");
	config_free(&cfg);
}

/* More keys than any fixed limit: the last one is still checked. */
static void
test_unknown_key_after_many(void)
{
	struct config	 cfg;
	char		 msgs[1024];
	size_t		 size = 64 * 1024, n;
	char		*text = malloc(size);
	int		 i;

	CU_ASSERT_FATAL(text != NULL);
	n = (size_t)snprintf(text, size, "[IPSECIntermediateOffline]\n"
	    "[MSCEP]\n");
	for (i = 0; i < 650; i++)	/* lines 3..652 */
		n += (size_t)snprintf(text + n, size - n, "PasswordMax = %d\n",
		    i % 9 + 1);
	snprintf(text + n, size - n, "PasswordMaks = 5\n"	/* line 653 */
	    "[IPSECIntermediateOffline]\nValidityDayz = 5\n");	/* 655 */
	CU_ASSERT_EQUAL(load(text, &cfg, msgs, sizeof(msgs)), 2);
	CU_ASSERT(strstr(msgs, ":653: [MSCEP] PasswordMaks: unknown key") !=
	    NULL);
	CU_ASSERT(strstr(msgs, ":655: [IPSECIntermediateOffline] ValidityDayz: "
	    "unknown key") != NULL);
	/* The last value written is the one in effect. */
	CU_ASSERT_EQUAL(cfg.password_max, 649 % 9 + 1);
	config_free(&cfg);
	free(text);
}

/* Every problem of a file, each with its file, line, section and key. */
static void
test_out_of_range_names_line(void)
{
	struct config	 cfg;
	char		 msgs[2048], want[600];
	int		 n;

	n = load("[MSCEP]\n"
	    "PasswordLength = 65\n"			/* line 2 */
	    "[ipsecintermediateoffline]\n"
	    "MinimumKeySize = 512\n"			/* line 4 */
	    "PendingExpiryHours = 0x2239\n"		/* line 5: 8761 */
	    "[crl]\n"
	    "ValidityHours = 24\n"
	    "RefreshHours = 24\n"			/* line 8 */
	    "[MSCEP]\n"
	    "PasswordLength = 3\n",			/* line 10: in effect */
	    &cfg, msgs, sizeof(msgs));
	CU_ASSERT_EQUAL(n, 4);
	snprintf(want, sizeof(want), "%s:10: [MSCEP] PasswordLength: \"3\" is "
	    "not an integer in 4..64\n", path);
	CU_ASSERT(strstr(msgs, want) != NULL);
	CU_ASSERT(strstr(msgs, ":4: [ipsecintermediateoffline] MinimumKeySize: "
	    "\"512\" is not an integer in 1024..16384") != NULL);
	CU_ASSERT(strstr(msgs, ":5: [ipsecintermediateoffline] "
	    "PendingExpiryHours: \"0x2239\"") != NULL);
	CU_ASSERT(strstr(msgs, ":8: [CRL] RefreshHours: 24: must be less than "
	    "ValidityHours (24)") != NULL);
	/* A value with a problem leaves the default. */
	CU_ASSERT_EQUAL(cfg.password_length, 8);
	CU_ASSERT_EQUAL(cfg.templates[0].min_rsa_bits, 2048);
	config_free(&cfg);
}

static int
same_ext(X509_EXTENSION *a, X509_EXTENSION *b)
{
	unsigned char	*da = NULL, *db = NULL;
	int		 la, lb, same;

	if (a == NULL || b == NULL)
		return a == b;
	la = i2d_X509_EXTENSION(a, &da);
	lb = i2d_X509_EXTENSION(b, &db);
	same = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

/* What a worker reads, with extension pointers replaced by their DER
 * compared here and template pointers by their index. */
static void
assert_same_config(struct config *a, struct config *b)
{
	struct template	*x, *y;
	int		 i;

	CU_ASSERT_EQUAL_FATAL(a->ntemplates, b->ntemplates);
	for (i = 0; i < a->ntemplates; i++) {
		x = &a->templates[i];
		y = &b->templates[i];
		CU_ASSERT(same_ext(x->ku, y->ku));
		CU_ASSERT(same_ext(x->eku, y->eku));
		CU_ASSERT(same_ext(x->cdp, y->cdp));
		CU_ASSERT(same_ext(x->aia, y->aia));
	}
	CU_ASSERT(a->signature - a->templates == b->signature - b->templates);
	config_free(a);
	config_free(b);
	memset(a->path, 0, sizeof(a->path));
	memset(b->path, 0, sizeof(b->path));
	a->signature = a->encryption = a->general = NULL;
	b->signature = b->encryption = b->general = NULL;
	CU_ASSERT(memcmp(a, b, sizeof(*a)) == 0);
}

/* Every key has help and a default; the defaults, written out, are a
 * valid file that means what an empty one means. */
static void
test_every_key_documented_and_default_valid(void)
{
	const struct config_key	*k, *from;
	static struct config	 explicit, implicit;
	char			 msgs[4096], *text;
	size_t			 size = 16 * 1024, n = 0;
	const char		*sec = "", *want;

	CU_ASSERT_FATAL((text = malloc(size)) != NULL);
	for (k = config_keys; k->name != NULL; k++) {
		CU_ASSERT(k->help != NULL && k->help[0] != '\0' &&
		    strchr(k->help, '\n') == NULL);
		CU_ASSERT(k->size > 0);
		if (k->def == NULL) {
			from = config_key_find(k->section, k->def_key);
			CU_ASSERT_FATAL(from != NULL && from->def != NULL);
			CU_ASSERT(from->size == k->size && from->type == k->type);
			continue;
		}
		want = k->section ? k->section : "IPSECIntermediateOffline";
		if (strcmp(want, sec) != 0) {
			sec = want;
			n += (size_t)snprintf(text + n, size - n, "[%s]\n", sec);
		}
		n += (size_t)snprintf(text + n, size - n, "%s = %s\n", k->name,
		    k->def);
	}
	CU_ASSERT_FATAL(n < size);
	CU_ASSERT_EQUAL(load(text, &explicit, msgs, sizeof(msgs)), 0);
	CU_ASSERT_STRING_EQUAL(msgs, "");
	CU_ASSERT_EQUAL(load("[IPSECIntermediateOffline]\n", &implicit, msgs,
	    sizeof(msgs)), 0);
	assert_same_config(&explicit, &implicit);
	free(text);
}

/* etc/mscep.ini shows every key of the table, spelled as the table
 * spells it, and no other. */
static void
test_table_matches_example(void)
{
	struct ini_index	 ix;
	const struct ini_entry	*e;
	const struct config_key	*k;
	const char		*known;
	size_t			 i;

	CU_ASSERT_FATAL(ini_index_read(&ix, "../etc/mscep.ini") == 0);
	for (i = 0; i < ix.n; i++) {
		e = &ix.entries[i];
		known = config_section_known(e->section);
		if (known != NULL)
			CU_ASSERT_STRING_EQUAL(known, e->section);
		if (e->key == NULL)
			continue;
		k = config_key_find(known, e->key);
		CU_ASSERT_PTR_NOT_NULL(k);
		if (k != NULL)
			CU_ASSERT_STRING_EQUAL(k->name, e->key);
	}
	for (k = config_keys; k->name != NULL; k++)
		if (ini_index_line(&ix, k->section ? k->section :
		    "IPSECIntermediateOffline", k->name) == 0)
			CU_FAIL(k->name);
	ini_index_free(&ix);
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
	    "[]\n"				/* 6: iniparser: [M] */
	    "After = 1\n"			/* 7 */
	    "[main]\n"				/* 8 */
	    "long = again\n") == 0);		/* 9 */
	CU_ASSERT_FATAL(ini_index_read(&ix, path) == 0);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "", "early"), 1);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "m", "after"), 7);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "m", NULL), 6);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "MAIN", "after"), 0);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "main", "LONG"), 9);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "main", NULL), 8);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "main", "two"), 0);
	CU_ASSERT_EQUAL(ini_index_line(&ix, "main", "a"), 0);
	CU_ASSERT_STRING_EQUAL(ini_index_section(&ix, "MAIN"), "main");
	CU_ASSERT_EQUAL(ix.n, 7);
	ini_index_free(&ix);
}

/* The mscep.ini(5) key list: a section heading each, a tag per key. */
static void
test_man_key_list(void)
{
	const struct config_key	*k;
	char			*text = NULL, *p;
	size_t			 size = 0;
	int			 keys = 0, tags = 0, headings = 0;
	FILE			*f = open_memstream(&text, &size);

	CU_ASSERT_FATAL(f != NULL);
	config_keys_man(f);
	fclose(f);
	for (k = config_keys; k->name != NULL; k++)
		keys++;
	for (p = text; (p = strstr(p, "\n.TP\n")) != NULL; p++)
		tags++;
	for (p = text; (p = strstr(p, ".SS ")) != NULL; p++)
		headings++;
	CU_ASSERT_EQUAL(tags + (strncmp(text, ".TP\n", 4) == 0), keys);
	CU_ASSERT_EQUAL(headings, 12);
	CU_ASSERT(strstr(text, ".B PasswordMax\n") != NULL);
	CU_ASSERT(strstr(text, "Integer, 1 to 100000; default: 5.\n") != NULL);
	free(text);
}

/* [Store]: the backend, a connection string libpq parses, no password. */
#define TPL_SECTION "[IPSECIntermediateOffline]\nValidityDays = 365\n"
static void
test_store_keys(void)
{
	struct config	 cfg;
	char		 msgs[4096];
	int		 n;

	n = load("[Store]\nBackend = postgresql\n" TPL_SECTION, &cfg, msgs,
	    sizeof(msgs));
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(strstr(msgs, "[Store] ConnInfo: Backend = postgresql needs "
	    "a connection string") != NULL);
	config_free(&cfg);
	n = load("[Store]\nBackend = postgresql\n"
	    "ConnInfo = host=db dbname=mscep password=hunter2\n" TPL_SECTION,
	    &cfg, msgs, sizeof(msgs));
	CU_ASSERT_EQUAL(n, 2);	/* and so no ConnInfo */
	CU_ASSERT(strstr(msgs, ":3: [Store] ConnInfo: holds a password") !=
	    NULL);
	CU_ASSERT(strstr(msgs, "hunter2") == NULL);
	config_free(&cfg);
	n = load("[Store]\nConnInfo = host='db\nBackend = mysql\n"
	    "StatementTimeoutSeconds = 0\n" TPL_SECTION, &cfg, msgs,
	    sizeof(msgs));
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT(strstr(msgs, ":2: [Store] ConnInfo: unterminated quoted "
	    "string") != NULL);
	CU_ASSERT(strstr(msgs, ":3: [Store] Backend:") != NULL);
	CU_ASSERT(strstr(msgs, ":4: [Store] StatementTimeoutSeconds:") != NULL);
	config_free(&cfg);
	n = load("[Store]\nBackend = postgresql\nConnInfo = "
	    "postgresql://db.example/mscep?sslmode=verify-full\n"
	    "StatementTimeoutSeconds = 5\n" TPL_SECTION, &cfg, msgs,
	    sizeof(msgs));
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(cfg.store_backend, STORE_BACKEND_POSTGRESQL);
	CU_ASSERT_STRING_EQUAL(cfg.store_conninfo,
	    "postgresql://db.example/mscep?sslmode=verify-full");
	CU_ASSERT_EQUAL(cfg.store_timeout, 5);
	config_free(&cfg);
	n = load("[MSCEP]\nPasswordMax = 5\n" TPL_SECTION, &cfg, msgs,
	    sizeof(msgs));
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(cfg.store_backend, STORE_BACKEND_SQLITE);
	CU_ASSERT_EQUAL(cfg.store_timeout, 10);
	config_free(&cfg);
}

static void
test_missing_file(void)
{
	struct config	 cfg;

	CU_ASSERT_EQUAL(config_load("/nonexistent/mscep.ini", &cfg, NULL), -1);
	config_free(&cfg);
}

/* A NUL byte (iniparser reads its line only up to it): refused, with the
 * line named (fuzz_config found the two readers disagreeing). */
static void
test_nul_byte(void)
{
	static const char text[] = "[MSCEP]\nPasswordMax = 5\n[CRL\0]\nX=1\n";
	struct config	 cfg;
	char		 msg[512] = "";
	FILE		*f, *errs;

	CU_ASSERT_FATAL((f = fopen(path, "w")) != NULL);
	CU_ASSERT_EQUAL(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	CU_ASSERT_FATAL(fclose(f) == 0);
	CU_ASSERT_FATAL((errs = fmemopen(msg, sizeof(msg) - 1, "w")) != NULL);
	CU_ASSERT(config_load(path, &cfg, errs) < 0);
	fclose(errs);
	config_free(&cfg);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, ":3: a NUL byte: not a text file"));
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
	    !CU_add_test(s, "an unknown key after 650 keys",
	    test_unknown_key_after_many) ||
	    !CU_add_test(s, "out of range: file, line, section, key",
	    test_out_of_range_names_line) ||
	    !CU_add_test(s, "every key: help, a default that is valid",
	    test_every_key_documented_and_default_valid) ||
	    !CU_add_test(s, "the table and etc/mscep.ini agree",
	    test_table_matches_example) ||
	    !CU_add_test(s, "key lines as iniparser reads them",
	    test_index_follows_iniparser) ||
	    !CU_add_test(s, "mscep.ini(5) key list", test_man_key_list) ||
	    !CU_add_test(s, "[Store] keys", test_store_keys) ||
	    !CU_add_test(s, "missing file", test_missing_file) ||
	    !CU_add_test(s, "a NUL byte is refused, its line named",
	    test_nul_byte))
		return -1;
	return 0;
}
