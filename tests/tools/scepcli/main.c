/*
 * scepcli - an independent SCEP (RFC 8894) test and load client.
 *
 * It shares no code with the mscep responder on purpose: it is written from
 * the RFC so that it catches interoperability mistakes instead of mirroring
 * them.  Only OpenSSL 3 libcrypto and POSIX sockets are used, so it builds
 * wherever the server builds and needs no HTTP library.
 *
 * Built by "make bin/scepcli", or in this folder by
 *   cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o scepcli \
 *      *.c -lcrypto
 */
#include "cacert.h"
#include "common.h"
#include "options.h"
#include "request.h"
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ------------------------------------------------------ caps / cacert */

static int cmd_caps(void)
{
	struct conn c = { .fd = -1 };
	struct http_resp r = { 0 };
	char *target = make_target("operation=GetCACaps");
	int rc = 1;

	if (target == NULL ||
	    http_exchange(&c, "GET", target, NULL, 0, NULL, &r) != 0) {
		fprintf(stderr, "scepcli: GetCACaps: %s\n", c.err);
		goto out;
	}
	if (r.status != 200) {
		fprintf(stderr, "scepcli: GetCACaps: HTTP %d\n", r.status);
		goto out;
	}
	if (r.body.len > 0)
		fwrite(r.body.p, 1, r.body.len, stdout);
	if (r.body.len > 0 && r.body.p[r.body.len - 1] != '\n')
		putchar('\n');
	rc = 0;
out:
	conn_close(&c);
	free(target);
	buf_free(&r.body);
	return rc;
}

static void ku_text(X509 *x, char *out, size_t outsz)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ KU_DIGITAL_SIGNATURE, "digitalSignature" },
		{ KU_NON_REPUDIATION, "nonRepudiation" },
		{ KU_KEY_ENCIPHERMENT, "keyEncipherment" },
		{ KU_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ KU_KEY_AGREEMENT, "keyAgreement" },
		{ KU_KEY_CERT_SIGN, "keyCertSign" },
		{ KU_CRL_SIGN, "cRLSign" },
		{ KU_ENCIPHER_ONLY, "encipherOnly" },
		{ KU_DECIPHER_ONLY, "decipherOnly" },
	};
	uint32_t ku = X509_get_key_usage(x);

	out[0] = 0;
	if (ku == UINT32_MAX) {
		snprintf(out, outsz, "(absent)");
		return;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (ku & names[i].bit) {
			if (out[0])
				strncat(out, ",", outsz - strlen(out) - 1);
			strncat(out, names[i].name, outsz - strlen(out) - 1);
		}
	if (out[0] == 0)
		snprintf(out, outsz, "(empty)");
}

static void print_cert_line(X509 *x, const struct ca_info *ca)
{
	BIO *b = BIO_new(BIO_s_mem());
	char ku[256], *name = NULL;
	const char *role;

	if (b == NULL ||
	    X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) < 0 ||
	    BIO_write(b, "", 1) != 1) {
		ossl_fail("cannot print subject");
		goto out;
	}
	if (BIO_get_mem_data(b, &name) <= 0)
		goto out;
	ku_text(x, ku, sizeof ku);
	role = is_ca(x) ? "CA" : "RA";
	printf("subject=%s keyUsage=%s role=%s%s\n", name, ku, role,
	       x == ca->recipient ? " (encryption recipient)" : "");
out:
	BIO_free(b);
}

static int cmd_cacert(void)
{
	struct ca_info ca = { 0 };
	int rc = 1;

	if (!fetch_ca(&ca))
		goto out;
	for (int i = 0; i < sk_X509_num(ca.certs); i++)
		print_cert_line(sk_X509_value(ca.certs, i), &ca);
	rc = 0;
out:
	ca_free(&ca);
	return rc;
}

/* ------------------------------------------------------- reply checks */

struct outcome {
	enum outcome_kind kind;
	long failinfo;
	char serial[80];
	char cipher[64];
	char reason[400];
	int save;               /* input: write the issued cert to -o DIR */
};

/* Records why an exchange failed; returns 0 so checks can return it. */
static int set_fail(struct outcome *o, const char *fmt, ...)
    __attribute__((format(__printf__, 2, 3)));

static int set_fail(struct outcome *o, const char *fmt, ...)
{
	va_list ap;

	o->kind = OUT_FAIL;
	va_start(ap, fmt);
	vsnprintf(o->reason, sizeof o->reason, fmt, ap);
	va_end(ap);
	ERR_print_errors_fp(stderr);    /* empty unless OpenSSL failed */
	return 0;
}

static int asn1_is(const ASN1_STRING *s, const void *d, size_t n)
{
	return s != NULL && (size_t)ASN1_STRING_length(s) == n &&
	       memcmp(ASN1_STRING_get0_data(s), d, n) == 0;
}

/* A single-valued signed attribute of the given ASN.1 type, or NULL with
 * *why saying what is wrong with it. */
static const ASN1_STRING *signed_attr(CMS_SignerInfo *si, const char *oid,
				      int type, const char **why)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int pos = obj != NULL ? CMS_signed_get_attr_by_OBJ(si, obj, -1) : -1;
	const ASN1_STRING *ret = NULL;
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *t;

	*why = "missing";
	if (pos < 0)
		goto out;
	*why = "present twice";
	if (CMS_signed_get_attr_by_OBJ(si, obj, pos) >= 0)
		goto out;
	attr = CMS_signed_get_attr(si, pos);
	*why = "not single-valued";
	if (X509_ATTRIBUTE_count(attr) != 1)
		goto out;
	t = X509_ATTRIBUTE_get0_type(attr, 0);
	*why = type == V_ASN1_OCTET_STRING ? "not an OCTET STRING"
					   : "not a PrintableString";
	if (t == NULL || ASN1_TYPE_get(t) != type)
		goto out;
	ret = t->value.asn1_string;
out:
	ASN1_OBJECT_free(obj);
	return ret;
}

/* Checks the SCEP attributes of a CertRep; sets *status to pkiStatus. */
static int check_attrs(CMS_SignerInfo *si, const struct request *rq,
		       struct outcome *o, int *status)
{
	const ASN1_STRING *s;
	const char *why;
	char num[16];

	if (!(s = signed_attr(si, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, &why)))
		return set_fail(o, "messageType %s", why);
	if (!asn1_is(s, "3", 1))
		return set_fail(o, "messageType is not CertRep (3)");
	if (!(s = signed_attr(si, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, &why)))
		return set_fail(o, "transactionID %s", why);
	if (!asn1_is(s, rq->txid, strlen(rq->txid)))
		return set_fail(o, "transactionID differs from ours");
	if (!(s = signed_attr(si, OID_RECIPIENT_NONCE, V_ASN1_OCTET_STRING, &why)))
		return set_fail(o, "recipientNonce %s", why);
	if (!asn1_is(s, rq->nonce, NONCE_LEN))
		return set_fail(o, "recipientNonce differs from our senderNonce");
	if (!(s = signed_attr(si, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, &why)))
		return set_fail(o, "senderNonce %s", why);
	if (ASN1_STRING_length(s) != NONCE_LEN)
		return set_fail(o, "senderNonce is %d bytes, not 16",
				ASN1_STRING_length(s));
	if (!(s = signed_attr(si, OID_PKI_STATUS, V_ASN1_PRINTABLESTRING, &why)))
		return set_fail(o, "pkiStatus %s", why);
	if (asn1_is(s, "0", 1) || asn1_is(s, "2", 1) || asn1_is(s, "3", 1))
		*status = ASN1_STRING_get0_data(s)[0] - '0';
	else
		return set_fail(o, "pkiStatus is not 0, 2 or 3");
	if (*status != 2)
		return 1;
	if (!(s = signed_attr(si, OID_FAIL_INFO, V_ASN1_PRINTABLESTRING, &why)))
		return set_fail(o, "FAILURE without valid failInfo: %s", why);
	snprintf(num, sizeof num, "%.*s", ASN1_STRING_length(s),
		 (const char *)ASN1_STRING_get0_data(s));
	if (!parse_long(num, 0, 99, &o->failinfo))
		return set_fail(o, "failInfo '%s' is not a number", num);
	return 1;
}

/* The signer must be a GetCACert cert acting as CA or RA signer (§2.2). */
static int is_scep_signer(const struct ca_info *ca, X509 *s)
{
	for (int i = 0; i < sk_X509_num(ca->certs); i++) {
		X509 *x = sk_X509_value(ca->certs, i);

		if (X509_cmp(x, s) == 0)
			return is_ca(x) || ku_has(x, KU_DIGITAL_SIGNATURE);
	}
	return 0;
}

/* Verifies the CertRep signature and returns its eContent in *content. */
static int verify_certrep(const struct ctx *cx, CMS_ContentInfo *cms,
			  struct buf *content, struct outcome *o)
{
	ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
	BIO *dcont = NULL, *out = BIO_new(BIO_s_mem());
	STACK_OF(X509) *signers = NULL;
	char *data;
	long len;
	int ok = 0;

	/* FAILURE/PENDING may omit eContent; its digest is then of nothing.
	 * A read-only mem BIO, because an empty writable one reports "retry"
	 * instead of EOF. */
	if ((pos == NULL || *pos == NULL) && (dcont = BIO_new_mem_buf("", 0)) == NULL)
		goto out;
	if (out == NULL)
		goto out;
	/* Trust comes from matching the GetCACert set below, not from a
	 * chain, because RA certs need not chain for signing purposes. */
	if (CMS_verify(cms, cx->ca.certs, NULL, dcont, out,
		       CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		set_fail(o, "reply signature does not verify");
		goto out;
	}
	signers = CMS_get0_signers(cms);
	for (int i = 0; i < sk_X509_num(signers); i++)
		if (!is_scep_signer(&cx->ca, sk_X509_value(signers, i))) {
			set_fail(o, "reply signer is not a CA/RA cert from GetCACert");
			goto out;
		}
	len = BIO_get_mem_data(out, &data);
	ok = len >= 0 && buf_append(content, data, (size_t)len);
out:
	sk_X509_free(signers);
	BIO_free(dcont);
	BIO_free(out);
	return ok;
}

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

static int open_success(const struct ctx *cx, const struct request *rq,
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

static void check_reply(const struct ctx *cx, const struct request *rq,
			const struct http_resp *r, struct outcome *o)
{
	const unsigned char *p = r->body.p;
	CMS_ContentInfo *cms = NULL;
	struct buf content = { 0 };
	CMS_SignerInfo *si;
	int status = -1;

	if (r->status != 200) {
		set_fail(o, "HTTP status %d", r->status);
		goto out;
	}
	if (!ctype_is(r->ctype, CT_PKI_MESSAGE)) {
		set_fail(o, "Content-Type '%s' is not " CT_PKI_MESSAGE, r->ctype);
		goto out;
	}
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)r->body.len);
	if (cms == NULL || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		set_fail(o, "reply is not a CMS SignedData");
		goto out;
	}
	if (!verify_certrep(cx, cms, &content, o))
		goto out;
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	if (si == NULL || !check_attrs(si, rq, o, &status))
		goto out;
	if (status == 0 && open_success(cx, rq, &content, o))
		o->kind = OUT_OK;
	else if (status == 2)
		o->kind = OUT_REFUSED;
	else if (status == 3)
		o->kind = OUT_PENDING;
out:
	buf_free(&content);
	CMS_ContentInfo_free(cms);
}

/* What came back for one request, kept unchecked until every worker has
 * stopped sending: the clock then measures the server, not our own
 * verification, which would compete for the same cores. */
struct reply {
	struct http_resp r[2];  /* [1]: the --resubmit copy */
	int got[2];             /* an HTTP response was read */
	char err[2][300];
};

static void reply_free(struct reply *rp)
{
	buf_free(&rp->r[0].body);
	buf_free(&rp->r[1].body);
}

/* Sends the PKIOperation (twice with --resubmit) and keeps the answers. */
static void send_one(struct conn *c, const struct request *rq, struct reply *rp)
{
	int post = opt.method == M_POST;

	for (int k = 0; k < (opt.resubmit ? 2 : 1); k++) {
		rp->got[k] = http_exchange(c, post ? "POST" : "GET", rq->target,
					   post ? rq->msg.p : NULL,
					   post ? rq->msg.len : 0,
					   CT_PKI_MESSAGE, &rp->r[k]) == 0;
		if (!rp->got[k]) {
			snprintf(rp->err[k], sizeof rp->err[k], "%s", c->err);
			break;
		}
	}
}

/* The checks of one kept answer. */
static void check_one(const struct ctx *cx, const struct request *rq,
		      const struct reply *rp, int k, int save, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	o->kind = OUT_FAIL;
	o->save = save;
	snprintf(o->cipher, sizeof o->cipher, "none");
	ERR_clear_error();
	if (!rp->got[k])
		set_fail(o, "HTTP: %s", rp->err[k]);
	else
		check_reply(cx, rq, &rp->r[k], o);
	if (o->kind == OUT_FAIL && o->reason[0] == 0)   /* e.g. out of memory */
		set_fail(o, "internal error");
}

static const char *kind_name(enum outcome_kind k)
{
	return k == OUT_OK ? "SUCCESS" : k == OUT_REFUSED ? "FAILURE" :
	       k == OUT_PENDING ? "PENDING" : "error";
}

/* --resubmit: an identical retransmission must return the same result. */
static void compare_resubmit(const struct outcome *a, struct outcome *b)
{
	if (b->kind == OUT_FAIL)
		return;
	if (a->kind != b->kind)
		set_fail(b, "resubmission gave %s, first gave %s",
			 kind_name(b->kind), kind_name(a->kind));
	else if (a->kind == OUT_OK && strcmp(a->serial, b->serial) != 0)
		set_fail(b, "resubmission issued serial %s, first %s",
			 b->serial, a->serial);
}

/* One PKIOperation sent and checked at once, outside the timed load:
 * CertPoll and GetCRL. */
static void exchange(const struct ctx *cx, struct conn *c,
		     const struct request *rq, int save, struct outcome *o)
{
	struct reply rp;

	memset(&rp, 0, sizeof rp);
	send_one(c, rq, &rp);
	check_one(cx, rq, &rp, 0, save, o);
	reply_free(&rp);
}

/* --poll: a PENDING answer is asked again, once a second. */
static void poll_pending(const struct ctx *cx, struct conn *c,
			 const struct request *rq, struct outcome *o)
{
	struct request pr;

	for (long i = 0; i < opt.poll && o->kind == OUT_PENDING; i++) {
		sleep(1);
		if (!make_poll(cx, rq, &pr)) {
			set_fail(o, "cannot build CertPoll");
		} else
			exchange(cx, c, &pr, 1, o);
		buf_free(&pr.msg);
		free(pr.target);
	}
}

static void check_enrollment(const struct ctx *cx, const struct request *rq,
			     const struct reply *rp, struct outcome *o)
{
	struct outcome first;

	check_one(cx, rq, rp, 0, 1, o);
	if (opt.poll > 0 && o->kind == OUT_PENDING) {
		struct conn c = { .fd = -1 };

		poll_pending(cx, &c, rq, o);
		conn_close(&c);
	}
	if (!opt.resubmit || o->kind == OUT_FAIL)
		return;
	first = *o;
	check_one(cx, rq, rp, 1, 0, o); /* the same cert must not be saved twice */
	compare_resubmit(&first, o);
}

/* Turns an outcome that does not match --expect into a failure. */
static int judge(struct outcome *o)
{
	if (o->kind == OUT_FAIL)
		return 0;
	if (o->kind != opt.expect) {
		char got[128];

		if (o->kind == OUT_REFUSED)
			snprintf(got, sizeof got, "FAILURE failInfo=%ld", o->failinfo);
		else if (o->kind == OUT_OK)
			snprintf(got, sizeof got, "SUCCESS serial=%s", o->serial);
		else
			snprintf(got, sizeof got, "PENDING");
		set_fail(o, "expected %s, got %s", kind_name(opt.expect), got);
		return 0;
	}
	if (o->kind == OUT_REFUSED && opt.failinfo >= 0 && o->failinfo != opt.failinfo) {
		set_fail(o, "expected failInfo %ld, got %ld", opt.failinfo, o->failinfo);
		return 0;
	}
	return 1;
}

static void print_outcome(const struct request *rq, const struct outcome *o, double ms)
{
	char line[768];
	int n;

	if (o->kind == OUT_OK)
		n = snprintf(line, sizeof line, "OK serial=%s txid=%s ms=%.1f cipher=%s\n",
			     o->serial, rq->txid, ms, o->cipher);
	else if (o->kind == OUT_REFUSED)
		n = snprintf(line, sizeof line, "REFUSED failInfo=%ld txid=%s ms=%.1f\n",
			     o->failinfo, rq->txid, ms);
	else if (o->kind == OUT_PENDING)
		n = snprintf(line, sizeof line, "PENDING txid=%s ms=%.1f\n", rq->txid, ms);
	else
		n = snprintf(line, sizeof line, "FAIL reason=%s txid=%s ms=%.1f\n",
			     o->reason, rq->txid[0] ? rq->txid : "-", ms);
	/* One write() per line so lines of parallel workers never interleave. */
	if (n > 0 && write(STDOUT_FILENO, line, strlen(line)) < 0)
		perror("scepcli: write");
}

/* -------------------------------------------------------- load driver */

enum rec_kind { REC_READY = 1, REC_SENT = 2, REC_RESULT = 3 };

/* Worker -> parent record; small enough for an atomic pipe write. */
struct rec {
	int kind;
	int passed;
	int measured;           /* the request was actually sent */
	double t0, t1;
};

static int write_rec(int fd, const struct rec *r)
{
	ssize_t w;

	do
		w = write(fd, r, sizeof *r);
	while (w < 0 && errno == EINTR);
	return w == (ssize_t)sizeof *r;
}

static void wait_go(int go_fd)
{
	char ch;
	ssize_t r;

	/* The parent closes its end when every worker is ready (or done
	 * sending, for the checks): EOF = go. */
	do
		r = read(go_fd, &ch, 1);
	while (r > 0 || (r < 0 && errno == EINTR));
}

/* The timed part: every prepared request goes out, answers are kept. */
static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void send_requests(const struct request *rqs, struct reply *rps,
			  double (*t)[2], long count)
{
	struct conn c = { .fd = -1 };

	for (long i = 0; i < count; i++) {
		t[i][0] = now_s();
		if (rqs[i].ready)
			send_one(&c, &rqs[i], &rps[i]);
		t[i][1] = now_s();
		if (opt.pace_ms > 0)
			pause_ms(opt.pace_ms);
	}
	conn_close(&c);
}

/* After the clock: every kept answer is verified and reported. */
static void check_requests(const struct ctx *cx, const struct request *rqs,
			   const struct reply *rps, double (*t)[2], long count,
			   int res_fd)
{
	for (long i = 0; i < count; i++) {
		struct rec rec = { .kind = REC_RESULT };
		struct outcome o;

		rec.t0 = t[i][0];
		rec.t1 = t[i][1];
		if (rqs[i].ready) {
			check_enrollment(cx, &rqs[i], &rps[i], &o);
			rec.measured = 1;
		} else {
			memset(&o, 0, sizeof o);
			set_fail(&o, "request preparation failed");
		}
		rec.passed = judge(&o);
		print_outcome(&rqs[i], &o, (rec.t1 - rec.t0) * 1000.0);
		write_rec(res_fd, &rec);
	}
}

static int worker(const struct ctx *cx, long first, long count, int res_fd,
		  int go_fd, int check_fd)
{
	struct request *rqs = calloc((size_t)count, sizeof *rqs);
	struct reply *rps = calloc((size_t)count, sizeof *rps);
	double (*t)[2] = calloc((size_t)count, sizeof *t);
	struct rec ready = { .kind = REC_READY }, sent = { .kind = REC_SENT };
	int rc = 1;

	if (rqs == NULL || rps == NULL || t == NULL)
		goto out;
	/* All keys and messages exist before the clock starts. */
	for (long i = 0; i < count; i++)
		prepare_request(cx, first + i, &rqs[i]);
	write_rec(res_fd, &ready);
	wait_go(go_fd);
	send_requests(rqs, rps, t, count);
	write_rec(res_fd, &sent);
	wait_go(check_fd);
	check_requests(cx, rqs, rps, t, count, res_fd);
	rc = 0;
out:
	for (long i = 0; rqs != NULL && i < count; i++)
		request_free(&rqs[i]);
	for (long i = 0; rps != NULL && i < count; i++)
		reply_free(&rps[i]);
	free(t);
	free(rps);
	free(rqs);
	return rc;
}

static int read_rec(int fd, struct rec *r)
{
	size_t got = 0;

	while (got < sizeof *r) {
		ssize_t n = read(fd, (char *)r + got, sizeof *r - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

/* Blocks until every live worker has sent a record of this kind or died
 * (a crashed worker must not leave the others waiting forever). */
static void wait_all(int fd, pid_t *pids, long j, int kind, const char *phase)
{
	long got = 0, dead = 0, alive = 0;

	for (long w = 0; w < j; w++)
		alive += pids[w] > 0;
	while (got + dead < alive) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct rec r;

		if (poll(&pfd, 1, 500) > 0) {
			if (!read_rec(fd, &r))
				return;
			got += r.kind == kind;
			continue;
		}
		for (long w = 0; w < j; w++)
			if (pids[w] > 0 && waitpid(pids[w], NULL, WNOHANG) == pids[w]) {
				fprintf(stderr, "scepcli: worker %ld died while %s\n",
					w, phase);
				pids[w] = -1;
				dead++;
			}
	}
}

struct stats {
	long passed, results;
	double *lat;
	size_t nlat;
	double t_first, t_last;
};

static void collect(int fd, struct stats *st)
{
	struct rec r;

	while (read_rec(fd, &r)) {
		if (r.kind != REC_RESULT)
			continue;
		st->results++;
		st->passed += r.passed;
		if (!r.measured)
			continue;
		st->lat[st->nlat++] = (r.t1 - r.t0) * 1000.0;
		if (st->nlat == 1 || r.t0 < st->t_first)
			st->t_first = r.t0;
		if (st->nlat == 1 || r.t1 > st->t_last)
			st->t_last = r.t1;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v. */
static double percentile(const double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0.0;
	rank = (size_t)(p * (double)n);
	if ((double)rank < p * (double)n)
		rank++;
	if (rank == 0)
		rank = 1;
	return v[rank - 1];
}

static void print_summary(struct stats *st)
{
	double el = st->t_last - st->t_first;

	qsort(st->lat, st->nlat, sizeof *st->lat, cmp_double);
	printf("%ld passed, %ld failed\n", st->passed, opt.n - st->passed);
	printf("enrollments/s=%.2f p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f\n",
	       el > 0 ? (double)st->nlat / el : 0.0,
	       percentile(st->lat, st->nlat, 0.50),
	       percentile(st->lat, st->nlat, 0.95),
	       percentile(st->lat, st->nlat, 0.99));
	fflush(stdout);
}

/* Child side of fork(): runs worker w's share with the inherited fds. */
static int child_main(const struct ctx *cx, long w, int res_fd, int go_fd,
		      int check_fd)
{
	long base = opt.n / opt.j, extra = opt.n % opt.j;
	long first = w * base + (w < extra ? w : extra);
	long count = base + (w < extra);

	return worker(cx, first, count, res_fd, go_fd, check_fd);
}

/* Forks the workers. Returns the worker index in a child, -1 in the
 * parent, -2 if fork failed. */
static long spawn_workers(pid_t *pids)
{
	/* Unflushed stdio would otherwise be duplicated into every child. */
	fflush(stdout);
	fflush(stderr);
	for (long w = 0; w < opt.j; w++) {
		pids[w] = fork();
		if (pids[w] < 0) {
			perror("scepcli: fork");
			return -2;
		}
		if (pids[w] == 0)
			return w;
	}
	return -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Parent side: barriers, clock, results. */
static int parent_main(pid_t *pids, int res[2], int go[2], int chk[2],
		       double t_prep)
{
	struct stats st = { 0 };
	double t_go;

	close_fd(&res[1]);
	close_fd(&go[0]);
	close_fd(&chk[0]);
	if ((st.lat = calloc((size_t)opt.n, sizeof *st.lat)) == NULL) {
		perror("scepcli: calloc");
		return 2;
	}
	wait_all(res[0], pids, opt.j, REC_READY, "preparing");
	t_go = now_s();
	fprintf(stderr, "scepcli: prepared %ld requests in %.1fs, %ld workers\n",
		opt.n, t_go - t_prep, opt.j);
	close_fd(&go[1]);       /* EOF on the go pipe starts the clock */
	wait_all(res[0], pids, opt.j, REC_SENT, "sending");
	fprintf(stderr, "scepcli: sent in %.1fs; checking every reply\n",
		now_s() - t_go);
	close_fd(&chk[1]);      /* the clock has stopped: verify */
	collect(res[0], &st);
	print_summary(&st);
	free(st.lat);
	return st.passed == opt.n ? 0 : 1;
}

/* In a worker process this returns too (after its share), so that every
 * process unwinds and frees through the normal path. */
static int run_workers(const struct ctx *cx)
{
	int res[2] = { -1, -1 }, go[2] = { -1, -1 }, chk[2] = { -1, -1 }, rc = 2;
	pid_t *pids = calloc((size_t)opt.j, sizeof *pids);
	double t_prep = now_s();
	long w = -2;

	if (pids == NULL || pipe(res) != 0 || pipe(go) != 0 || pipe(chk) != 0) {
		perror("scepcli: setup");
		goto out;
	}
	w = spawn_workers(pids);
	if (w >= 0) {
		close_fd(&res[0]);
		close_fd(&go[1]);
		close_fd(&chk[1]);
		rc = child_main(cx, w, res[1], go[0], chk[0]);
	} else if (w == -1) {
		rc = parent_main(pids, res, go, chk, t_prep);
	}
out:
	for (int i = 0; i < 2; i++) {
		close_fd(&res[i]);
		close_fd(&go[i]);
		close_fd(&chk[i]);
	}
	/* Only the parent reaps; in a child pids[] lists siblings. After a
	 * failed fork the workers already started must not run unobserved. */
	for (long k = 0; w < 0 && pids != NULL && k < opt.j; k++) {
		if (pids[k] > 0 && w == -2)
			kill(pids[k], SIGTERM);
		if (pids[k] > 0)
			waitpid(pids[k], NULL, 0);
	}
	free(pids);
	return rc;
}

static int load_challenges(struct ctx *cx)
{
	FILE *f = fopen(opt.password_file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ok = 0;

	if (f == NULL || (cx->challenges = calloc((size_t)opt.n, sizeof(char *))) == NULL) {
		fprintf(stderr, "scepcli: %s: %s\n", opt.password_file, strerror(errno));
		goto out;
	}
	while (cx->nchallenges < (size_t)opt.n && (len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if ((cx->challenges[cx->nchallenges] = strdup(line)) == NULL)
			goto out;
		cx->nchallenges++;
	}
	if (cx->nchallenges < (size_t)opt.n) {
		fprintf(stderr, "scepcli: %s has %zu lines, -n needs %ld\n",
			opt.password_file, cx->nchallenges, opt.n);
		goto out;
	}
	ok = 1;
out:
	free(line);
	if (f != NULL)
		fclose(f);
	return ok;
}

/* --keys FILE: PEM private keys, made beforehand (RSA key generation takes
 * longer than an enrollment; a benchmark reuses its keys across servers). */
static int load_keys(struct ctx *cx)
{
	FILE *f = fopen(opt.key_file, "r");
	EVP_PKEY *k;
	int ok = 0;

	if (f == NULL || (cx->keys = calloc((size_t)opt.n, sizeof *cx->keys)) == NULL) {
		fprintf(stderr, "scepcli: %s: %s\n", opt.key_file, strerror(errno));
		goto out;
	}
	while (cx->nkeys < (size_t)opt.n &&
	       (k = PEM_read_PrivateKey(f, NULL, NULL, NULL)) != NULL)
		cx->keys[cx->nkeys++] = k;
	ERR_clear_error();      /* the read past the last key */
	if (cx->nkeys < (size_t)opt.n) {
		fprintf(stderr, "scepcli: %s has %zu keys, -n needs %ld\n",
			opt.key_file, cx->nkeys, opt.n);
		goto out;
	}
	ok = 1;
out:
	if (f != NULL)
		fclose(f);
	return ok;
}

static int cmd_enroll(X509 *old_cert, EVP_PKEY *old_key)
{
	struct ctx cx = { .old_cert = old_cert, .old_key = old_key };
	int rc = 2;

	cx.md = EVP_get_digestbyname(opt.digest);
	cx.cipher = strcmp(opt.cipher, "des3") == 0 ? EVP_des_ede3_cbc() :
		    strcmp(opt.cipher, "aes256") == 0 ? EVP_aes_256_cbc() :
		    EVP_aes_128_cbc();
	if (cx.md == NULL || cx.cipher == NULL) {
		ossl_fail("digest or cipher unavailable");
		goto out;
	}
	if (opt.password_file != NULL && !load_challenges(&cx))
		goto out;
	if (opt.key_file != NULL && !load_keys(&cx))
		goto out;
	/* Created once here so that parallel workers need not race for it. */
	if (opt.outdir != NULL && mkdir(opt.outdir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "scepcli: %s: %s\n", opt.outdir, strerror(errno));
		goto out;
	}
	if (!fetch_ca(&cx.ca))
		goto out;
	rc = run_workers(&cx);
out:
	ctx_free(&cx);
	return rc;
}

/* --cert/--key: a certificate this CA issued us, and its key. The caller
 * frees *cert and *key, also after a failure. */
static int load_old(X509 **cert, EVP_PKEY **key)
{
	FILE *f;

	if ((f = fopen(opt.cert_file, "r")) != NULL) {
		*cert = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if ((f = fopen(opt.cert_key_file, "r")) != NULL) {
		*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (*cert == NULL || *key == NULL ||
	    X509_check_private_key(*cert, *key) != 1) {
		fprintf(stderr, "scepcli: --cert %s / --key %s: unreadable or "
			"not a pair\n", opt.cert_file, opt.cert_key_file);
		return 0;
	}
	return 1;
}

/* GetCRL for --cert's issuer, signed with --cert/--key. */
static int cmd_getcrl(X509 *old_cert, EVP_PKEY *old_key)
{
	struct ctx cx = { .old_cert = old_cert, .old_key = old_key };
	struct request rq = { 0 };
	struct conn c = { .fd = -1 };
	struct outcome o;
	double t0 = now_s();
	int rc = 2;

	cx.md = EVP_get_digestbyname(opt.digest);
	cx.cipher = EVP_aes_128_cbc();
	if (cx.md == NULL || !fetch_ca(&cx.ca) || !prepare_getcrl(&cx, &rq)) {
		ossl_fail("cannot build GetCRL");
		goto out;
	}
	exchange(&cx, &c, &rq, 0, &o);
	print_outcome(&rq, &o, (now_s() - t0) * 1000.0);
	rc = judge(&o) ? 0 : 1;
out:
	conn_close(&c);
	request_free(&rq);
	ctx_free(&cx);
	return rc;
}

int main(int argc, char **argv)
{
	OSSL_PROVIDER *deflt = NULL, *legacy = NULL;
	X509 *old_cert = NULL;
	EVP_PKEY *old_key = NULL;
	int rc = 2;

	if (!parse_options(argc, argv)) {
		fprintf(stderr, "try 'scepcli -h'\n");
		return 2;
	}
	/* Loading any provider explicitly disables the implicit default. */
	deflt = OSSL_PROVIDER_load(NULL, "default");
	/* Legacy only so that DES-CBC reply envelopes from older servers can
	 * still be opened and reported; we never send DES-CBC ourselves. */
	if ((legacy = OSSL_PROVIDER_load(NULL, "legacy")) == NULL)
		ERR_clear_error();
	if (deflt == NULL)
		ossl_fail("cannot load the default provider");
	else if (strcmp(opt.command, "caps") == 0)
		rc = cmd_caps();
	else if (strcmp(opt.command, "cacert") == 0)
		rc = cmd_cacert();
	else if (opt.cert_file != NULL && !load_old(&old_cert, &old_key))
		rc = 2;
	else if (strcmp(opt.command, "getcrl") == 0)
		rc = cmd_getcrl(old_cert, old_key);
	else
		rc = cmd_enroll(old_cert, old_key);
	X509_free(old_cert);
	EVP_PKEY_free(old_key);
	OSSL_PROVIDER_unload(legacy);
	OSSL_PROVIDER_unload(deflt);
	return rc;
}
