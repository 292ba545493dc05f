/*
 * keyops_inproc.c - the in-process backend of keyops.h: the private key
 * is an EVP_PKEY in this process, as in `make run` and the tests.
 */
#include "ca/keyops.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/pem.h>

struct inproc {
	struct keyop	 base;		/* first: what keyops.c hands */
	EVP_PKEY	*pkey;		/* owned */
};

static EVP_PKEY *
pkey_of(struct keyop *k)
{
	return ((struct inproc *)k)->pkey;
}

static int
sign_cert(struct keyop *k, X509 **x, const EVP_MD *md)
{
	return X509_sign(*x, pkey_of(k), md);
}

static int
sign_crl(struct keyop *k, X509_CRL *crl, const EVP_MD *md)
{
	return X509_CRL_sign(crl, pkey_of(k), md);
}

static int
sign_ocsp(struct keyop *k, OCSP_BASICRESP *bs, X509 *signer,
    const EVP_MD *md, unsigned long flags)
{
	return OCSP_basic_sign(bs, signer, pkey_of(k), md, NULL, flags);
}

static CMS_SignerInfo *
cms_signer(struct keyop *k, CMS_ContentInfo *cms, X509 *signer,
    const EVP_MD *md, unsigned int flags)
{
	return CMS_add1_signer(cms, signer, pkey_of(k), md, flags);
}

static int
cms_final(struct keyop *k, CMS_ContentInfo *cms, CMS_SignerInfo *si,
    BIO *data)
{
	(void)k;
	(void)si;
	return CMS_final(cms, data, NULL, CMS_BINARY);
}

static int
cms_decrypt(struct keyop *k, CMS_ContentInfo *cms, X509 *recipient,
    BIO *out, unsigned int flags)
{
	return CMS_decrypt(cms, pkey_of(k), recipient, NULL, out, flags);
}

static int
sign_jwt(struct keyop *k, const char *input, size_t len, unsigned char **sig,
    size_t *siglen)
{
	EVP_MD_CTX	*ctx;
	int		 ok;

	if (EVP_PKEY_base_id(pkey_of(k)) != EVP_PKEY_RSA ||
	    (ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    pkey_of(k)) == 1 && EVP_DigestSign(ctx, NULL, siglen,
	    (const unsigned char *)input, len) == 1 &&
	    (*sig = malloc(*siglen)) != NULL && EVP_DigestSign(ctx, *sig,
	    siglen, (const unsigned char *)input, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		free(*sig);
		*sig = NULL;
	}
	return ok;
}

static void
inproc_free(struct keyop *k)
{
	EVP_PKEY_free(pkey_of(k));
	free(k);
}

static const struct keyop_ops inproc_ops = {
	.name = "inproc",
	.sign_cert = sign_cert,
	.sign_crl = sign_crl,
	.sign_ocsp = sign_ocsp,
	.cms_signer = cms_signer,
	.cms_final = cms_final,
	.cms_decrypt = cms_decrypt,
	.sign_jwt = sign_jwt,
	.free = inproc_free,
};

struct keyop *
keyop_inproc(EVP_PKEY *pkey, enum keyop_role role)
{
	struct inproc	*k;

	if (pkey == NULL || (k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if (EVP_PKEY_up_ref(pkey) != 1) {
		free(k);
		return NULL;
	}
	k->base.ops = &inproc_ops;
	k->base.role = role;
	k->pkey = pkey;
	return &k->base;
}

struct keyop *
keyop_inproc_file(const char *path, enum keyop_role role, char *reason,
    size_t rlen)
{
	struct keyop	*k = NULL;
	EVP_PKEY	*pkey = NULL;
	FILE		*f;

	if ((f = fopen(path, "r")) != NULL) {
		pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (pkey == NULL)
		snprintf(reason, rlen, "cannot read the private key %s", path);
	else if ((k = keyop_inproc(pkey, role)) == NULL)
		snprintf(reason, rlen, "out of memory");
	EVP_PKEY_free(pkey);
	return k;
}
