/*
 * policy_request.c - what every policy module reads from a request: the
 * CSR's challengePassword.
 */
#include "policy/policy_request.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

int
policy_request_challenge(X509_REQ *csr, char *out, size_t size)
{
	X509_ATTRIBUTE	*attr;
	ASN1_TYPE	*t;
	unsigned char	*utf8 = NULL;
	int		 idx, len, rc = -1;

	idx = X509_REQ_get_attr_by_NID(csr, NID_pkcs9_challengePassword, -1);
	if (idx < 0 || (attr = X509_REQ_get_attr(csr, idx)) == NULL ||
	    X509_ATTRIBUTE_count(attr) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(attr, 0)) == NULL)
		goto out;
	/* DirectoryString: Printable, UTF8, BMP, T61 or IA5 in the wild. */
	switch (t->type) {
	case V_ASN1_PRINTABLESTRING: case V_ASN1_UTF8STRING:
	case V_ASN1_BMPSTRING: case V_ASN1_T61STRING: case V_ASN1_IA5STRING:
		break;
	default:
		goto out;
	}
	len = ASN1_STRING_to_UTF8(&utf8, t->value.asn1_string);
	if (len < 0 || (size_t)len >= size || memchr(utf8, 0, (size_t)len))
		goto out;
	memcpy(out, utf8, (size_t)len);
	out[len] = '\0';
	rc = 0;
out:
	/* It is a secret: wipe it. */
	OPENSSL_clear_free(utf8, utf8 ? strlen((char *)utf8) : 0);
	ERR_clear_error();
	return rc;
}
