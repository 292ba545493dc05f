/* cert.c - small conversions of certificate fields for logs and the store. */
#include "util/cert.h"
#include "util/util.h"

#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

int
cert_new_serial(X509 *x)
{
	unsigned char	 b[16];
	int64_t		 now = util_now();
	uint64_t	 t = now > 0 ? (uint64_t)now : 0;
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*ai = NULL;
	int		 rc = -1;

	/* 0x40 | the bits past 32 (none until 2106): positive, and never
	 * shorter than 16 octets. */
	b[0] = (unsigned char)(0x40 | ((t >> 32) & 0x3f));
	b[1] = (unsigned char)(t >> 24);
	b[2] = (unsigned char)(t >> 16);
	b[3] = (unsigned char)(t >> 8);
	b[4] = (unsigned char)t;
	if (RAND_bytes(b + 5, (int)sizeof(b) - 5) == 1 &&
	    (bn = BN_bin2bn(b, (int)sizeof(b), NULL)) != NULL &&
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
	    X509_set_serialNumber(x, ai) == 1)
		rc = 0;
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

int
cert_serial_hex(const ASN1_INTEGER *ai, char *out, size_t size)
{
	BIGNUM	*bn;
	char	*hex;
	int	 rc = -1;

	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL)
		return -1;
	if ((hex = BN_bn2hex(bn)) != NULL && strlen(hex) < size) {
		util_strlcpy(out, hex, size);
		rc = 0;
	}
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

int64_t
cert_time_epoch(const ASN1_TIME *t)
{
	struct tm	 tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

int
cert_key_id_hex(X509_PUBKEY *pub, char out[41])
{
	const unsigned char	*bits;
	unsigned char		 md[SHA_DIGEST_LENGTH];
	int			 len;

	if (X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, pub) != 1)
		return -1;
	SHA1(bits, (size_t)len, md);
	util_hex_encode(md, sizeof(md), out);
	return 0;
}

X509_EXTENSION *
cert_aki_ext(X509 *issuer)
{
	const ASN1_OCTET_STRING	*ski = X509_get0_subject_key_id(issuer);
	const unsigned char	*bits;
	unsigned char		 md[SHA_DIGEST_LENGTH];
	AUTHORITY_KEYID		*akid = NULL;
	X509_EXTENSION		*ext = NULL;
	int			 len;

	if ((akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_new()) == NULL)
		goto out;
	if (ski != NULL) {
		if (ASN1_OCTET_STRING_set(akid->keyid, ski->data,
		    ski->length) != 1)
			goto out;
	} else if (X509_PUBKEY_get0_param(NULL, &bits, &len, NULL,
	    X509_get_X509_PUBKEY(issuer)) != 1 ||
	    SHA1(bits, (size_t)len, md) == NULL ||
	    ASN1_OCTET_STRING_set(akid->keyid, md, sizeof(md)) != 1)
		goto out;
	ext = X509V3_EXT_i2d(NID_authority_key_identifier, 0, akid);
out:
	AUTHORITY_KEYID_free(akid);
	return ext;
}

int
cert_add_aki(X509 *x, X509 *issuer)
{
	X509_EXTENSION	*ext;
	int		 rc;

	if ((ext = cert_aki_ext(issuer)) == NULL)
		return -1;
	rc = X509_add_ext(x, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return rc;
}

int
cert_clamp_validity(X509 *x, const X509 *issuer)
{
	/* Normalised: the issuer's own times may not be in RFC 5280's form
	 * (UTCTime until 2049, with seconds, in Z), which lint_validity
	 * asks of what is issued. */
	if (ASN1_TIME_compare(X509_get0_notBefore(x),
	    X509_get0_notBefore(issuer)) < 0 &&
	    (X509_set1_notBefore(x, X509_get0_notBefore(issuer)) != 1 ||
	    ASN1_TIME_normalize(X509_getm_notBefore(x)) != 1))
		return -1;
	if (ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(issuer)) > 0 &&
	    (X509_set1_notAfter(x, X509_get0_notAfter(issuer)) != 1 ||
	    ASN1_TIME_normalize(X509_getm_notAfter(x)) != 1))
		return -1;
	return ASN1_TIME_compare(X509_get0_notBefore(x),
	    X509_get0_notAfter(x)) < 0 ? 0 : -1;
}
