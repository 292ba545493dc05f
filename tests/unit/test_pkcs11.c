/* test_pkcs11.c - keys in a PKCS#11 token (mscep/ca/keyops_pkcs11.c):
 * RFC 7512 URIs as the backend reads them, and, in a SoftHSM2 token this
 * suite makes in a temporary folder, key generation, signing through the
 * key-operations interface and each refusal with its reason. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/keyops.h"
#include "ca/keyops_pkcs11.h"
#include "suites.h"

#define SOFTHSM	"/usr/lib/softhsm/libsofthsm2.so"

static char	 dir[] = "/tmp/mscep-p11.XXXXXX";
static char	 pin[sizeof(dir) + 16], conf[sizeof(dir) + 16];
static int	 have_token;

static void
test_parse(void)
{
	struct keyop_pkcs11_uri	 u;
	char			 why[256];

	CU_ASSERT_EQUAL(keyop_pkcs11_parse("pkcs11:token=My%20CA;object=ca;"
	    "id=%01%ff;type=private?pin-source=file:/etc/pin", &u, why,
	    sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(u.token, "My CA");
	CU_ASSERT_STRING_EQUAL(u.object, "ca");
	CU_ASSERT_EQUAL(u.id_len, 2);
	CU_ASSERT(u.id[0] == 0x01 && u.id[1] == 0xff);
	CU_ASSERT_STRING_EQUAL(u.pin_file, "/etc/pin");
	CU_ASSERT_STRING_EQUAL(u.module, "p11-kit-proxy.so");
	CU_ASSERT_EQUAL(keyop_pkcs11_parse("pkcs11:object=k?module-path="
	    "/m.so&pin-source=/p&x-vendor=1", &u, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(u.module, "/m.so");
	CU_ASSERT_STRING_EQUAL(u.pin_file, "/p");
}

static void
refused(const char *uri, const char *want)
{
	struct keyop_pkcs11_uri	 u;
	char			 why[256] = "";

	CU_ASSERT_EQUAL(keyop_pkcs11_parse(uri, &u, why, sizeof(why)), -1);
	if (strstr(why, want) == NULL)
		fprintf(stderr, "\n%s: \"%s\" lacks \"%s\"\n", uri, why, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, want));
}

static void
test_parse_refused(void)
{
	CU_ASSERT(keyop_pkcs11_is_uri("pkcs11:object=a"));
	CU_ASSERT(!keyop_pkcs11_is_uri("/etc/mscep/ca.key"));
	CU_ASSERT(!keyop_pkcs11_is_uri("PKCS11"));
	refused("/var/ca.key", "not a pkcs11: URI");
	refused("pkcs11:token=a?pin-source=/p", "names no key");
	refused("pkcs11:object=a", "no pin-source");
	refused("pkcs11:object=a?pin-value=1234", "pin-value");
	refused("pkcs11:object=a;object=b?pin-source=/p", "\"object=b\"");
	refused("pkcs11:object=a;type=public?pin-source=/p", "type=public");
	refused("pkcs11:object=%4?pin-source=/p", "object=%4");
	refused("pkcs11:object=a%00b?pin-source=/p", "object=a%00b");
	refused("pkcs11:object=a;colour=red?pin-source=/p", "colour");
	refused("pkcs11:object=a?pin-source=relative", "pin-source");
	refused("pkcs11:object=?pin-source=/p", "\"object=\"");
}

/* SOFTHSM2_CONF and a token "t" with user PIN 1234 in dir. */
static int
setup(void)
{
	char	 cmd[512];
	FILE	*f;

	if (access(SOFTHSM, R_OK) != 0 || mkdtemp(dir) == NULL)
		return 0;
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	snprintf(pin, sizeof(pin), "%s/pin", dir);
	snprintf(cmd, sizeof(cmd), "%s/tokens", dir);
	if (mkdir(cmd, 0700) != 0 || (f = fopen(conf, "w")) == NULL)
		return 0;
	fprintf(f, "directories.tokendir = %s/tokens\n"
	    "objectstore.backend = file\nlog.level = ERROR\n", dir);
	fclose(f);
	if ((f = fopen(pin, "w")) == NULL)
		return 0;
	fputs("1234\n", f);
	fclose(f);
	chmod(pin, 0600);
	setenv("SOFTHSM2_CONF", conf, 1);
	snprintf(cmd, sizeof(cmd), "softhsm2-util --init-token --free "
	    "--label t --pin 1234 --so-pin 5678 >/dev/null");
	have_token = system(cmd) == 0;
	return 0;
}

static int
teardown(void)
{
	char	 cmd[256];

	if (strchr(dir, 'X') == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

static void
uri(char *out, size_t len, const char *token, const char *object,
    const char *module)
{
	snprintf(out, len, "pkcs11:token=%s;object=%s?module-path=%s&"
	    "pin-source=file:%s", token, object, module, pin);
}

/* Signs a certificate with k and checks the signature with pub. */
static int
signs(struct keyop *k, EVP_PKEY *pub)
{
	X509	*x = X509_new();
	int	 ok;

	ok = x != NULL && X509_set_pubkey(x, pub) == 1 &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 60) != NULL &&
	    keyop_sign_cert(k, &x, EVP_sha256()) > 0 &&
	    X509_verify(x, pub) == 1;
	X509_free(x);
	return ok;
}

static void
test_token_key(void)
{
	char		 u[512], why[512], ref[sizeof(dir) + 16];
	EVP_PKEY	*pk, *again;
	struct keyop	*k;
	FILE		*f;

	if (!have_token) {
		CU_FAIL("SoftHSM2 (softhsm2) is not installed");
		return;
	}
	uri(u, sizeof(u), "t", "ca", SOFTHSM);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pk = keyop_pkcs11_generate(u, 2048, why,
	    sizeof(why)));
	CU_ASSERT_EQUAL(EVP_PKEY_get_base_id(pk), EVP_PKEY_RSA);
	CU_ASSERT_EQUAL(keyop_pkcs11_open_keys(), 1);
	/* A second key of that label would make the URI ambiguous. */
	CU_ASSERT_PTR_NULL(again = keyop_pkcs11_generate(u, 2048, why,
	    sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "already"));
	/* The key by its URI, and by a reference file holding it. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(k = keyop_open_ref(u, KEYOP_CA, why,
	    sizeof(why)));
	CU_ASSERT(signs(k, pk));
	keyop_free(k);
	snprintf(ref, sizeof(ref), "%s/ca.key", dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(ref, "w"));
	fprintf(f, "%s\n", u);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k = keyop_open_ref(ref, KEYOP_CA, why,
	    sizeof(why)));
	CU_ASSERT(signs(k, pk));
	keyop_free(k);
	EVP_PKEY_free(pk);
	/* The module goes with its last key. */
	CU_ASSERT_EQUAL(keyop_pkcs11_open_keys(), 0);
}

static void
fails(const char *u, const char *want)
{
	char	 why[512] = "";

	CU_ASSERT_PTR_NULL(keyop_open_ref(u, KEYOP_CA, why, sizeof(why)));
	if (strstr(why, want) == NULL)
		fprintf(stderr, "\n%s: \"%s\" lacks \"%s\"\n", u, why, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, want));
}

static void
test_token_refused(void)
{
	char	 u[512];
	FILE	*f;

	if (!have_token) {
		CU_FAIL("SoftHSM2 (softhsm2) is not installed");
		return;
	}
	uri(u, sizeof(u), "t", "absent", SOFTHSM);
	fails(u, "no private key labelled absent");
	uri(u, sizeof(u), "other", "ca", SOFTHSM);
	fails(u, "no PKCS#11 token labelled other");
	uri(u, sizeof(u), "t", "ca", "/nonexistent/libp11module.so");
	fails(u, "cannot load the PKCS#11 module /nonexistent");
	uri(u, sizeof(u), "t", "ca", SOFTHSM);
	chmod(pin, 0644);
	fails(u, "may be read by others");
	chmod(pin, 0600);
	f = fopen(pin, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("4321\n", f);
	fclose(f);
	fails(u, "refused: wrong PIN (CKR 0xa0;");
	f = fopen(pin, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("1234\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(keyop_pkcs11_open_keys(), 0);
}

int
register_pkcs11(void)
{
	CU_pSuite	 p = CU_add_suite("pkcs11 uri", NULL, NULL);
	CU_pSuite	 s = CU_add_suite("pkcs11 token", setup, teardown);

	if (p == NULL || s == NULL ||
	    !CU_add_test(p, "RFC 7512 URI attributes", test_parse) ||
	    !CU_add_test(p, "URIs refused, and why", test_parse_refused) ||
	    !CU_add_test(s, "key made in the token signs", test_token_key) ||
	    !CU_add_test(s, "no token, key or module; wrong PIN",
	    test_token_refused))
		return -1;
	return 0;
}
