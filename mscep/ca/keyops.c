/* keyops.c - the key-operations interface: each call to its backend. */
#include "ca/keyops.h"

#include <openssl/err.h>

/* A key used outside its role is refused: no backend is asked to. */
static int
may(const struct keyop *k, enum keyop_role a, enum keyop_role b)
{
	if (k != NULL && (k->role == a || k->role == b))
		return 1;
	ERR_raise_data(ERR_LIB_USER, ERR_R_PASSED_INVALID_ARGUMENT,
	    "private key used outside its role");
	return 0;
}

int
keyop_sign_cert(struct keyop *k, X509 *x, const EVP_MD *md)
{
	return may(k, KEYOP_CA, KEYOP_CA) ? k->ops->sign_cert(k, x, md) : 0;
}

int
keyop_sign_crl(struct keyop *k, X509_CRL *crl, const EVP_MD *md)
{
	return may(k, KEYOP_CA, KEYOP_CA) ? k->ops->sign_crl(k, crl, md) : 0;
}

int
keyop_sign_ocsp(struct keyop *k, OCSP_BASICRESP *bs, X509 *signer,
    const EVP_MD *md, unsigned long flags)
{
	return may(k, KEYOP_OCSP, KEYOP_OCSP) ?
	    k->ops->sign_ocsp(k, bs, signer, md, flags) : 0;
}

/* In CA-direct mode the CA key signs CertRep (its role stays KEYOP_CA). */
CMS_SignerInfo *
keyop_cms_signer(struct keyop *k, CMS_ContentInfo *cms, X509 *signer,
    const EVP_MD *md, unsigned int flags)
{
	return may(k, KEYOP_RA_SIGN, KEYOP_CA) ?
	    k->ops->cms_signer(k, cms, signer, md, flags) : NULL;
}

int
keyop_cms_decrypt(struct keyop *k, CMS_ContentInfo *cms, X509 *recipient,
    BIO *out, unsigned int flags)
{
	return may(k, KEYOP_RA_ENC, KEYOP_CA) ?
	    k->ops->cms_decrypt(k, cms, recipient, out, flags) : 0;
}

void
keyop_free(struct keyop *k)
{
	if (k != NULL)
		k->ops->free(k);
}
