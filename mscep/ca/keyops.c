/* keyops.c - the key-operations interface: each call to its backend. */
#include "ca/keyops.h"
#include "ca/keyops_pkcs11.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#define ROLE(r)	(1u << (r))

/* A key used outside its roles is refused: no backend is asked to. */
static int
may(const struct keyop *k, unsigned roles)
{
	if (k != NULL && (roles & ROLE(k->role)) != 0)
		return 1;
	ERR_raise_data(ERR_LIB_USER, ERR_R_PASSED_INVALID_ARGUMENT,
	    "private key used outside its role");
	return 0;
}

int
keyop_sign_cert(struct keyop *k, X509 **x, const EVP_MD *md)
{
	return may(k, ROLE(KEYOP_CA)) ? k->ops->sign_cert(k, x, md) : 0;
}

int
keyop_sign_crl(struct keyop *k, X509_CRL *crl, const EVP_MD *md)
{
	return may(k, ROLE(KEYOP_CA)) ? k->ops->sign_crl(k, crl, md) : 0;
}

int
keyop_sign_ocsp(struct keyop *k, OCSP_BASICRESP *bs, X509 *signer,
    const EVP_MD *md, unsigned long flags)
{
	return may(k, ROLE(KEYOP_OCSP)) ?
	    k->ops->sign_ocsp(k, bs, signer, md, flags) : 0;
}

/* In CA-direct mode the CA key signs CertRep (its role stays KEYOP_CA). */
CMS_SignerInfo *
keyop_cms_signer(struct keyop *k, CMS_ContentInfo *cms, X509 *signer,
    const EVP_MD *md, unsigned int flags)
{
	return may(k, ROLE(KEYOP_RA_SIGN) | ROLE(KEYOP_CA)) ?
	    k->ops->cms_signer(k, cms, signer, md, flags) : NULL;
}

int
keyop_cms_final(struct keyop *k, CMS_ContentInfo *cms, CMS_SignerInfo *si,
    BIO *data)
{
	return may(k, ROLE(KEYOP_RA_SIGN) | ROLE(KEYOP_CA)) ?
	    k->ops->cms_final(k, cms, si, data) : 0;
}

/* The RA encryption key, the CA key in CA-direct mode, the challenge key. */
int
keyop_cms_decrypt(struct keyop *k, CMS_ContentInfo *cms, X509 *recipient,
    BIO *out, unsigned int flags)
{
	return may(k, ROLE(KEYOP_RA_ENC) | ROLE(KEYOP_CA) |
	    ROLE(KEYOP_CHALLENGE)) ?
	    k->ops->cms_decrypt(k, cms, recipient, out, flags) : 0;
}

int
keyop_sign_jwt(struct keyop *k, const char *input, size_t len,
    unsigned char **sig, size_t *siglen)
{
	*sig = NULL;
	*siglen = 0;
	return may(k, ROLE(KEYOP_INTUNE)) ?
	    k->ops->sign_jwt(k, input, len, sig, siglen) : 0;
}

void
keyop_free(struct keyop *k)
{
	if (k != NULL)
		k->ops->free(k);
}

int
keyop_unavailable(const struct keyop *k)
{
	return k != NULL && k->unavailable;
}

void
keyop_set_context(struct keyop *k, const char *ctx)
{
	size_t	 i;

	if (k == NULL)
		return;
	for (i = 0; ctx != NULL && ctx[i] != '\0' && i < KEYOP_CONTEXT_MAX;
	    i++)
		k->context[i] = ctx[i] > 0x20 && ctx[i] < 0x7f &&
		    ctx[i] != '"' && ctx[i] != '\\' ? ctx[i] : '_';
	k->context[i] = '\0';
}

/* A PEM key, or the pkcs11: URI a reference file holds. */
static EVP_PKEY *
load_file(const char *path, char *reason, size_t rlen)
{
	EVP_PKEY	*pk = NULL;
	FILE		*f;
	char		 line[4096 + 2];

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(reason, rlen, "cannot read the private key %s "
		    "(missing, or not readable by this user)", path);
		return NULL;
	}
	if (fgets(line, sizeof(line), f) != NULL &&
	    keyop_pkcs11_is_uri(line)) {
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		return keyop_pkcs11_load(line, reason, rlen);
	}
	rewind(f);
	if ((pk = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		snprintf(reason, rlen, "cannot read the private key %s "
		    "(not a PEM key or a pkcs11: URI)", path);
	fclose(f);
	ERR_clear_error();
	return pk;
}

EVP_PKEY *
keyop_load_ref(const char *ref, char *reason, size_t rlen)
{
	if (keyop_pkcs11_is_uri(ref))
		return keyop_pkcs11_load(ref, reason, rlen);
	return load_file(ref, reason, rlen);
}

struct keyop *
keyop_pkcs11(const char *uri, enum keyop_role role, char *reason,
    size_t rlen)
{
	EVP_PKEY	*pk;
	struct keyop	*k;

	if ((pk = keyop_pkcs11_load(uri, reason, rlen)) == NULL)
		return NULL;
	if ((k = keyop_inproc(pk, role)) == NULL)
		snprintf(reason, rlen, "out of memory");
	EVP_PKEY_free(pk);
	return k;
}

struct keyop *
keyop_open_ref(const char *ref, enum keyop_role role, char *reason,
    size_t rlen)
{
	EVP_PKEY	*pk;
	struct keyop	*k;

	if ((pk = keyop_load_ref(ref, reason, rlen)) == NULL)
		return NULL;
	if ((k = keyop_inproc(pk, role)) == NULL)
		snprintf(reason, rlen, "out of memory");
	EVP_PKEY_free(pk);
	return k;
}
