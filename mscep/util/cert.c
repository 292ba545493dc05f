/* cert.c - small conversions of certificate fields for logs and the store. */
#include "util/cert.h"
#include "util/util.h"

#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

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
