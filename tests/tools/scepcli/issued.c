/* issued.c - the envelope of a SUCCESS reply, its certificate or CRL. */
#include "issued.h"
#include "cacert.h"
#include "common.h"
#include "options.h"
#include "outcome.h"
#include "request.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Moves into (enter) or over one DER TLV of the given tag and class. */
static int der_step(const unsigned char **p, long *len, int tag, int cls, int enter)
{
	const unsigned char *q = *p;
	long clen;
	int t, c, r = ASN1_get_object(&q, &clen, &t, &c, *len);

	if ((r & 0x80) || (r & 0x01) || t != tag || c != cls)
		return 0;       /* error, indefinite length (BER) or wrong tag */
	if (enter) {
		*len = clen;
		*p = q;
	} else {
		*len -= (long)(q - *p) + clen;
		*p = q + clen;
	}
	return 1;
}

static int der_peek_tag(const unsigned char *p, long len, int *tag, int *cls)
{
	long clen;
	int r = ASN1_get_object(&p, &clen, tag, cls, len);

	return !(r & 0x80);
}

/* OpenSSL 3.0 has no getter for EnvelopedData's content-encryption
 * algorithm, so walk ContentInfo -> EnvelopedData -> EncryptedContentInfo. */
static int envelope_cipher(const struct buf *der, char *name, size_t namesz, int *nid)
{
	const unsigned char *p = der->p;
	long len = (long)der->len;
	X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj;
	int tag, cls, ok = 0;
	const int U = V_ASN1_UNIVERSAL, X = V_ASN1_CONTEXT_SPECIFIC;

	if (!der_step(&p, &len, V_ASN1_SEQUENCE, U, 1) ||
	    !der_step(&p, &len, V_ASN1_OBJECT, U, 0) ||
	    !der_step(&p, &len, 0, X, 1) ||
	    !der_step(&p, &len, V_ASN1_SEQUENCE, U, 1) ||
	    !der_step(&p, &len, V_ASN1_INTEGER, U, 0))
		goto out;
	if (der_peek_tag(p, len, &tag, &cls) && tag == 0 && cls == X &&
	    !der_step(&p, &len, 0, X, 0))       /* originatorInfo */
		goto out;
	if (!der_step(&p, &len, V_ASN1_SET, U, 0) ||
	    !der_step(&p, &len, V_ASN1_SEQUENCE, U, 1) ||
	    !der_step(&p, &len, V_ASN1_OBJECT, U, 0) ||
	    (alg = d2i_X509_ALGOR(NULL, &p, len)) == NULL)
		goto out;
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	*nid = OBJ_obj2nid(obj);
	if (*nid != NID_undef)
		snprintf(name, namesz, "%s", OBJ_nid2ln(*nid));
	else
		OBJ_obj2txt(name, (int)namesz, obj, 1);
	ok = 1;
out:
	X509_ALGOR_free(alg);
	if (!ok)
		snprintf(name, namesz, "unknown");
	return ok;
}

static int decrypt_certrep(const struct request *rq, const struct buf *content,
			   struct buf *plain, struct outcome *o)
{
	const unsigned char *p = content->p;
	CMS_ContentInfo *env = d2i_CMS_ContentInfo(NULL, &p, (long)content->len);
	BIO *out = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int ok = 0;

	if (env == NULL || OBJ_obj2nid(CMS_get0_type(env)) != NID_pkcs7_enveloped) {
		set_fail(o, "SUCCESS eContent is not an EnvelopedData");
		goto out;
	}
	if (out == NULL || !CMS_decrypt(env, rq->sign_key ? rq->sign_key : rq->key,
					rq->sign_cert ? rq->sign_cert : rq->self,
					NULL, out, CMS_BINARY)) {
		set_fail(o, "cannot decrypt reply envelope (cipher %s)", o->cipher);
		goto out;
	}
	len = BIO_get_mem_data(out, &data);
	ok = len >= 0 && buf_append(plain, data, (size_t)len);
out:
	BIO_free(out);
	CMS_ContentInfo_free(env);
	return ok;
}

static X509 *find_leaf(STACK_OF(X509) *certs, EVP_PKEY *key)
{
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1)
			return x;
	}
	return NULL;
}

static int verify_chain(const struct ctx *cx, X509 *leaf, STACK_OF(X509) *extra,
			struct outcome *o)
{
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int ok = 0;

	/* Intermediates may come in the reply or in GetCACert. */
	for (int i = 0; untrusted && i < sk_X509_num(extra); i++)
		sk_X509_push(untrusted, sk_X509_value(extra, i));
	for (int i = 0; untrusted && i < sk_X509_num(cx->ca.certs); i++)
		sk_X509_push(untrusted, sk_X509_value(cx->ca.certs, i));
	if (sc == NULL || untrusted == NULL ||
	    !X509_STORE_CTX_init(sc, cx->ca.store, leaf, untrusted) ||
	    !X509_STORE_CTX_set_purpose(sc, X509_PURPOSE_ANY)) {
		set_fail(o, "cannot set up chain verification");
		goto out;
	}
	if (X509_verify_cert(sc) != 1) {
		set_fail(o, "issued cert does not chain to the CA: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(sc)));
		goto out;
	}
	ok = 1;
out:
	sk_X509_free(untrusted);    /* certs are borrowed */
	X509_STORE_CTX_free(sc);
	return ok;
}

static int serial_hex(X509 *x, char *out, size_t outsz)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	if (hex != NULL)
		snprintf(out, outsz, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return hex != NULL;
}

static int write_pem(X509 *x, const char *serial, struct outcome *o)
{
	char path[PATH_MAX];
	FILE *f;
	int ok;

	snprintf(path, sizeof path, "%s/%s.pem", opt.outdir, serial);
	/* Exclusive create: a CA handing out one serial twice is a bug we
	 * want to see, not to overwrite. */
	if ((f = fopen(path, "wx")) == NULL) {
		set_fail(o, errno == EEXIST ? "duplicate serial: %s exists" :
			 "cannot write %s", path);
		return 0;
	}
	ok = PEM_write_X509(f, x);
	if (fclose(f) != 0 || !ok) {
		set_fail(o, "cannot write %s", path);
		return 0;
	}
	return 1;
}

/* The key next to its certificate, for renewal and GetCRL (--cert/--key). */
static int write_key(EVP_PKEY *key, const char *serial, struct outcome *o)
{
	char path[PATH_MAX];
	FILE *f = NULL;
	int fd, ok;

	snprintf(path, sizeof path, "%s/%s.key", opt.outdir, serial);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0 &&
	    (f = fdopen(fd, "w")) != NULL)
		fd = -1;        /* closed with f */
	ok = f != NULL && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (f != NULL && fclose(f) != 0)
		ok = 0;
	if (fd >= 0)
		close(fd);
	if (!ok)
		set_fail(o, "cannot write %s", path);
	return ok;
}

/* Checks the decrypted degenerate certs-only SignedData. */
static int check_issued(const struct ctx *cx, const struct request *rq,
			const struct buf *plain, struct outcome *o)
{
	const unsigned char *p = plain->p;
	CMS_ContentInfo *p7 = d2i_CMS_ContentInfo(NULL, &p, (long)plain->len);
	STACK_OF(X509) *certs = NULL;
	X509 *leaf;
	int ok = 0;

	if (p7 == NULL || OBJ_obj2nid(CMS_get0_type(p7)) != NID_pkcs7_signed ||
	    (certs = CMS_get1_certs(p7)) == NULL) {
		set_fail(o, "decrypted reply is not a certs-only SignedData");
		goto out;
	}
	if ((leaf = find_leaf(certs, rq->key)) == NULL) {
		set_fail(o, "no certificate in the reply carries our public key");
		goto out;
	}
	if (!verify_chain(cx, leaf, certs, o))
		goto out;
	if (!serial_hex(leaf, o->serial, sizeof o->serial)) {
		set_fail(o, "cannot read serial number");
		goto out;
	}
	if (opt.outdir != NULL && o->save && (!write_pem(leaf, o->serial, o) ||
					      !write_key(rq->key, o->serial, o)))
		goto out;
	ok = 1;
out:
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(p7);
	return ok;
}

/* --crl-ca, or else the issuing CA of GetCACert's set. *own holds what
 * was read from --crl-ca, for the caller to free. */
static X509 *crl_issuer(const struct ctx *cx, X509 **own)
{
	FILE *f;

	if (opt.crl_ca == NULL)
		return issuing_ca(cx->ca.certs);
	if ((f = fopen(opt.crl_ca, "r")) != NULL) {
		*own = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	return *own;
}

/* --crl-out: the CRL in DER. */
static int write_crl(X509_CRL *crl, struct outcome *o)
{
	FILE *f = fopen(opt.crl_out, "wb");
	int ok = f != NULL && i2d_X509_CRL_fp(f, crl) == 1;

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	if (!ok)
		set_fail(o, "cannot write %s", opt.crl_out);
	return ok;
}

/* GetCRL: a degenerate SignedData whose crls hold the CA's CRL. */
static int check_crl(const struct ctx *cx, const struct buf *plain,
		     struct outcome *o)
{
	const unsigned char *p = plain->p;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)plain->len);
	STACK_OF(X509_CRL) *crls;
	X509 *ca, *own_ca = NULL;
	X509_CRL *crl;
	ASN1_INTEGER *num = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int ok = 0;

	if (p7 == NULL || !PKCS7_type_is_signed(p7) || p7->d.sign == NULL ||
	    (crls = p7->d.sign->crl) == NULL || sk_X509_CRL_num(crls) != 1) {
		set_fail(o, "decrypted reply is not a SignedData with one CRL");
		goto out;
	}
	crl = sk_X509_CRL_value(crls, 0);
	ca = crl_issuer(cx, &own_ca);
	if (ca == NULL || X509_CRL_verify(crl, X509_get0_pubkey(ca)) != 1) {
		set_fail(o, "CRL signature does not verify with the CA");
		goto out;
	}
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	if (num == NULL || (bn = ASN1_INTEGER_to_BN(num, NULL)) == NULL ||
	    (hex = BN_bn2dec(bn)) == NULL) {
		set_fail(o, "CRL has no CRL number");
		goto out;
	}
	snprintf(o->serial, sizeof o->serial, "crl-%s-entries-%d", hex,
		 sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)));
	if (opt.crl_out != NULL && !write_crl(crl, o))
		goto out;
	ok = 1;
out:
	X509_free(own_ca);
	OPENSSL_free(hex);
	BN_free(bn);
	ASN1_INTEGER_free(num);
	PKCS7_free(p7);
	return ok;
}

int open_success(const struct ctx *cx, const struct request *rq,
			const struct buf *content, struct outcome *o)
{
	struct buf plain = { 0 };
	int nid = NID_undef, ok = 0;

	if (!envelope_cipher(content, o->cipher, sizeof o->cipher, &nid) &&
	    opt.expect_cipher) {
		set_fail(o, "cannot read the reply's content-encryption algorithm");
		goto out;
	}
	if (opt.expect_cipher && nid != EVP_CIPHER_get_type(cx->cipher)) {
		set_fail(o, "reply encrypted with %s, we asked for %s", o->cipher,
			 OBJ_nid2ln(EVP_CIPHER_get_type(cx->cipher)));
		goto out;
	}
	ok = decrypt_certrep(rq, content, &plain, o) &&
	     (rq->want_crl ? check_crl(cx, &plain, o) : check_issued(cx, rq, &plain, o));
out:
	buf_free(&plain);
	return ok;
}
