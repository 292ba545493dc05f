/* csr.c - subject, PKCS#10 request and self-signed signer certificate. */
#include "csr.h"
#include "common.h"
#include "options.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Microsoft UPN otherName. */
#define OID_MS_UPN          "1.3.6.1.4.1.311.20.2.3"

/* --subject "/OU=a/CN=b": the entries in this order. */
static X509_NAME *exact_name(const char *s)
{
	X509_NAME *n = X509_NAME_new();
	char *copy = OPENSSL_strdup(s), *tok, *save = NULL, *eq;
	int ok = n != NULL && copy != NULL;

	for (tok = ok ? strtok_r(copy, "/", &save) : NULL; ok && tok != NULL;
	     tok = strtok_r(NULL, "/", &save)) {
		if ((eq = strchr(tok, '=')) == NULL) {
			ok = 0;
			break;
		}
		*eq = 0;
		ok = X509_NAME_add_entry_by_txt(n, tok, MBSTRING_UTF8,
						(unsigned char *)eq + 1, -1, -1, 0);
	}
	OPENSSL_free(copy);
	if (!ok) {
		ossl_fail("cannot build --subject");
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

X509_NAME *make_name(long idx)
{
	X509_NAME *n;
	char cn[256];

	if (opt.subject != NULL)
		return exact_name(opt.subject);
	n = X509_NAME_new();
	if (opt.exact_cn)
		snprintf(cn, sizeof cn, "%s", opt.cn);
	else
		snprintf(cn, sizeof cn, "%s-%ld-%ld", opt.cn, (long)getpid(), idx);
	if (n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
					(const unsigned char *)"mscep-test", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0)) {
		ossl_fail("cannot build subject name");
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

static ASN1_BIT_STRING *ku_bits(int sig, int enc)
{
	ASN1_BIT_STRING *b = ASN1_BIT_STRING_new();

	/* Bit 0 digitalSignature, bit 2 keyEncipherment (RFC 5280 4.2.1.3). */
	if (b == NULL || (sig && !ASN1_BIT_STRING_set_bit(b, 0, 1)) ||
	    (enc && !ASN1_BIT_STRING_set_bit(b, 2, 1))) {
		ASN1_BIT_STRING_free(b);
		return NULL;
	}
	return b;
}

static int add_ku_ext(STACK_OF(X509_EXTENSION) **exts)
{
	ASN1_BIT_STRING *b;
	int ok;

	if (opt.ku == KU_NONE)
		return 1;
	b = ku_bits(opt.ku != KU_ENC, opt.ku != KU_SIG);
	ok = b != NULL &&
	     X509V3_add1_i2d(exts, NID_key_usage, b, 1, X509V3_ADD_APPEND) == 1;
	ASN1_BIT_STRING_free(b);
	return ok;
}

static int push_ia5(GENERAL_NAMES *gens, int type, const char *s)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	int ok = 0;

	if (gn == NULL || ia5 == NULL || !ASN1_STRING_set(ia5, s, -1))
		goto out;
	GENERAL_NAME_set0_value(gn, type, ia5);
	ia5 = NULL;
	if (!sk_GENERAL_NAME_push(gens, gn))
		goto out;
	gn = NULL;
	ok = 1;
out:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gn);
	return ok;
}

/* UPN: otherName 1.3.6.1.4.1.311.20.2.3 with a UTF8String value. */
static int push_upn(GENERAL_NAMES *gens, const char *upn)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_OBJECT *oid = OBJ_txt2obj(OID_MS_UPN, 1);
	ASN1_TYPE *val = ASN1_TYPE_new();
	ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();
	int ok = 0;

	if (gn == NULL || oid == NULL || val == NULL || u == NULL ||
	    !ASN1_STRING_set(u, upn, -1))
		goto out;
	ASN1_TYPE_set(val, V_ASN1_UTF8STRING, u);
	u = NULL;
	if (!GENERAL_NAME_set0_othername(gn, oid, val))
		goto out;
	oid = NULL;
	val = NULL;
	if (!sk_GENERAL_NAME_push(gens, gn))
		goto out;
	gn = NULL;
	ok = 1;
out:
	ASN1_UTF8STRING_free(u);
	ASN1_TYPE_free(val);
	ASN1_OBJECT_free(oid);
	GENERAL_NAME_free(gn);
	return ok;
}

static int push_ip(GENERAL_NAMES *gens, const char *text)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_OCTET_STRING *ip = a2i_IPADDRESS(text);
	int ok = 0;

	if (gn == NULL || ip == NULL)
		goto out;
	GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
	ip = NULL;
	if (!sk_GENERAL_NAME_push(gens, gn))
		goto out;
	gn = NULL;
	ok = 1;
out:
	ASN1_OCTET_STRING_free(ip);
	GENERAL_NAME_free(gn);
	return ok;
}

static int push_dns_sans(GENERAL_NAMES *gens)
{
	for (long i = 0; i < opt.nsans; i++) {
		/* 12 random bytes: long enough that -s 600 pushes a GET
		 * request-target past 32 KB, and unique across runs. */
		unsigned char rnd[12];
		char hex[2 * sizeof rnd + 1], name[128];

		if (RAND_bytes(rnd, sizeof rnd) != 1)
			return 0;
		hex_upper(rnd, sizeof rnd, hex);
		snprintf(name, sizeof name, "host%ld-%s.example.test", i, hex);
		if (!push_ia5(gens, GEN_DNS, name))
			return 0;
	}
	return 1;
}

static int add_san_ext(STACK_OF(X509_EXTENSION) **exts)
{
	GENERAL_NAMES *gens;
	int ok = 0;

	if (opt.nsans == 0 && !opt.san_email && !opt.san_upn && !opt.san_uri &&
	    !opt.san_dns && !opt.san_ip)
		return 1;
	if ((gens = sk_GENERAL_NAME_new_null()) == NULL || !push_dns_sans(gens))
		goto out;
	if (opt.san_dns && !push_ia5(gens, GEN_DNS, opt.san_dns))
		goto out;
	if (opt.san_email && !push_ia5(gens, GEN_EMAIL, opt.san_email))
		goto out;
	if (opt.san_uri && !push_ia5(gens, GEN_URI, opt.san_uri))
		goto out;
	if (opt.san_upn && !push_upn(gens, opt.san_upn))
		goto out;
	if (opt.san_ip && !push_ip(gens, opt.san_ip))
		goto out;
	ok = X509V3_add1_i2d(exts, NID_subject_alt_name, gens, 0,
			     X509V3_ADD_APPEND) == 1;
out:
	GENERAL_NAMES_free(gens);
	return ok;
}

static int is_printable(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || strchr(" '()+,-./:=?", ch)))
			return 0;
	}
	return 1;
}

static int add_challenge(X509_REQ *req, const char *pw)
{
	/* PrintableString where the password allows it, as most clients do;
	 * UTF8String otherwise (RFC 2985 DirectoryString). */
	int type = is_printable(pw) ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;

	return X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, type,
					 (const unsigned char *)pw, (int)strlen(pw));
}

X509_REQ *make_csr(EVP_PKEY *key, const X509_NAME *name, const char *pw)
{
	X509_REQ *req = X509_REQ_new(), *ret = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;

	if (req == NULL || !X509_REQ_set_version(req, 0) ||
	    !X509_REQ_set_subject_name(req, name) || !X509_REQ_set_pubkey(req, key))
		goto out;
	if (pw != NULL && !add_challenge(req, pw))
		goto out;
	if (!add_ku_ext(&exts) || !add_san_ext(&exts))
		goto out;
	if (exts != NULL && !X509_REQ_add_extensions(req, exts))
		goto out;
	if (X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		goto out;
	ret = req;
	req = NULL;
out:
	if (ret == NULL)
		ossl_fail("cannot build the PKCS#10 request");
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return ret;
}

/* RFC 8894 §2.3: without a certificate yet, the requester signs with a
 * self-signed one carrying the CSR's key and subject. */
X509 *make_self(EVP_PKEY *key, const X509_NAME *name)
{
	X509 *x = X509_new(), *ret = NULL;
	ASN1_BIT_STRING *ku = ku_bits(1, 1);
	BIGNUM *sn = BN_new();

	if (x == NULL || ku == NULL || sn == NULL || !X509_set_version(x, 2) ||
	    !BN_rand(sn, 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(sn, X509_get_serialNumber(x)) ||
	    !X509_set_issuer_name(x, name) || !X509_set_subject_name(x, name) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) ||
	    !X509_set_pubkey(x, key) ||
	    !X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) ||
	    X509_sign(x, key, EVP_sha256()) <= 0) {
		ossl_fail("cannot build the self-signed certificate");
		goto out;
	}
	ret = x;
	x = NULL;
out:
	BN_free(sn);
	ASN1_BIT_STRING_free(ku);
	X509_free(x);
	return ret;
}
