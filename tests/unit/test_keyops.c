/* test_keyops.c - the key-operations interface (mscep/ca/keyops.c) and its
 * in-process backend: each role signs or decrypts what it is for, and a
 * key asked for another role's operation is refused. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/keyops.h"
#include "fixture.h"
#include "suites.h"

static struct fixture	 fx;

static X509 *
new_cert(void)
{
	X509	*x = X509_new();

	if (x == NULL || X509_set_version(x, 2) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(fx.ra.ca)) != 1 ||
	    X509_set_subject_name(x, X509_get_subject_name(fx.ra.ca)) != 1 ||
	    X509_set_pubkey(x, X509_get0_pubkey(fx.ra.ca)) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 60) == NULL) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static void
test_roles(void)
{
	X509		*x = new_cert();
	X509_CRL	*crl = X509_CRL_new();
	struct keyop	*ch;

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_PTR_NOT_NULL_FATAL(crl);
	/* The CA signs certificates and CRLs; what it signed verifies. */
	CU_ASSERT(keyop_sign_cert(fx.ra.ca_op, &x, EVP_sha256()) > 0);
	CU_ASSERT_EQUAL(X509_verify(x, X509_get0_pubkey(fx.ra.ca)), 1);
	CU_ASSERT(X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(fx.ra.ca)) == 1);
	CU_ASSERT(keyop_sign_crl(fx.ra.ca_op, crl, EVP_sha256()) > 0);
	CU_ASSERT_EQUAL(X509_CRL_verify(crl, X509_get0_pubkey(fx.ra.ca)), 1);
	/* The RA keys and a NULL key sign neither. */
	CU_ASSERT_EQUAL(keyop_sign_cert(fx.ra.sign_op, &x, EVP_sha256()), 0);
	CU_ASSERT_EQUAL(keyop_sign_cert(fx.ra.enc_op, &x, EVP_sha256()), 0);
	CU_ASSERT_EQUAL(keyop_sign_crl(fx.ra.sign_op, crl, EVP_sha256()), 0);
	CU_ASSERT_EQUAL(keyop_sign_cert(NULL, &x, EVP_sha256()), 0);
	/* The encryption key signs no CMS message; the signing key
	 * decrypts nothing; a challenge key only decrypts. */
	CU_ASSERT_PTR_NULL(keyop_cms_signer(fx.ra.enc_op, NULL, fx.ra.enc_cert,
	    EVP_sha256(), 0));
	CU_ASSERT_EQUAL(keyop_cms_decrypt(fx.ra.sign_op, NULL, NULL, NULL, 0),
	    0);
	ch = keyop_inproc(fx.ra.enc_key, KEYOP_CHALLENGE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	CU_ASSERT_EQUAL(keyop_sign_cert(ch, &x, EVP_sha256()), 0);
	CU_ASSERT_PTR_NULL(keyop_cms_signer(ch, NULL, fx.ra.enc_cert,
	    EVP_sha256(), 0));
	keyop_free(ch);
	X509_CRL_free(crl);
	X509_free(x);
}

static void
test_file(void)
{
	char		 path[PATH_MAX], reason[REASON_MAX] = "";
	struct keyop	*k;
	X509		*x = new_cert();

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	snprintf(path, sizeof(path), "%s/state/private/ca.key", fx.dir);
	k = keyop_inproc_file(path, KEYOP_CA, reason, sizeof(reason));
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT(keyop_sign_cert(k, &x, EVP_sha256()) > 0);
	CU_ASSERT_EQUAL(X509_verify(x, X509_get0_pubkey(fx.ra.ca)), 1);
	keyop_free(k);
	snprintf(path, sizeof(path), "%s/state/private/none.key", fx.dir);
	CU_ASSERT_PTR_NULL(keyop_inproc_file(path, KEYOP_CA, reason,
	    sizeof(reason)));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "none.key"));
	X509_free(x);
}

static int
setup(void)
{
	return fixture_open(&fx, NULL);
}

static int
teardown(void)
{
	fixture_close(&fx);
	return 0;
}

int
register_keyops(void)
{
	CU_pSuite	 s = CU_add_suite("keyops", setup, teardown);

	if (s == NULL ||
	    !CU_add_test(s, "each key signs only for its role", test_roles) ||
	    !CU_add_test(s, "in-process key from a file", test_file))
		return -1;
	return 0;
}
