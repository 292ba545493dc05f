/*
 * keyops_remote.c - the signer backend of keyops.h: the key stays in
 * mscep -S (mscep/signer/), this process sends what is to be signed over
 * its Unix socket (sigwire.h) and takes the signed object back.
 *
 * What is sent is the whole object, first signed with a throwaway P-256
 * key of this handle (and, for OCSP, a throwaway certificate): OpenSSL
 * encodes nothing whose signature algorithm is unset, and its public API
 * sets one only by signing. The signer signs it again with the real key,
 * which replaces the algorithms, the signature and the responderID. The
 * signed DER that comes back is verified with the key's certificate: a
 * certificate is decoded into a new object that replaces the caller's
 * (keyops.h allows it; one decode), a CRL or OCSP answer over the
 * caller's object (d2i into it, after a trial decode: a failed d2i frees
 * its target), as "signs in place" asks. CMS signatures and decryptions send less (cms_final,
 * cms_decrypt).
 */
#include "ca/keyops.h"
#include "ca/sigwire.h"
#include "util/log.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <openssl/err.h>

struct remote {
	struct keyop	 base;		/* first: what keyops.c hands */
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int		 timeout_ms;
	X509		*cert;		/* borrowed: the key's certificate */
	EVP_PKEY	*tmp_key;	/* the throwaway pair, made once */
	X509		*tmp_cert;
};

/* What is left of TimeoutMs, a millisecond at least (then "timed out"). */
static int
left_ms(int64_t deadline)
{
	int64_t	 left = deadline - util_mono_ms();

	return left < 1 ? 1 : left > INT_MAX ? INT_MAX : (int)left;
}

static int
dial(const struct remote *r, int64_t deadline, char *reason, size_t rlen)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct timespec		 pause = { 0, 5 * 1000 * 1000 };
	int			 fd, err;

	memcpy(sun.sun_path, r->path, sizeof(sun.sun_path));
	for (;;) {
		/* Non-blocking: a signer away fails now rather than waits. */
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) < 0) {
			err = errno;
			break;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		err = errno;
		close(fd);
		/* A full backlog: the signer is there and busy, so again,
		 * within TimeoutMs. */
		if (err != EAGAIN || util_mono_ms() + 5 >= deadline)
			break;
		nanosleep(&pause, NULL);
	}
	snprintf(reason, rlen, "cannot reach the signer at %s: %s%s", r->path,
	    strerror(err), err == EAGAIN ? " (its backlog full until "
	    "TimeoutMs)" : "");
	return -1;
}

/* One request, one answer: the signed DER into out. */
static int
ask(struct remote *r, int type, const EVP_MD *md, uint32_t flags,
    const unsigned char *der, size_t len, struct buf *out, char *reason,
    size_t rlen)
{
	struct sigwire_req	 q = { .type = type, .role = r->base.role,
	    .md_nid = EVP_MD_get_type(md), .flags = flags, .der = der,
	    .der_len = len };
	struct sigwire_resp	 a;
	struct buf		 frame = { 0 };
	int64_t			 deadline = util_mono_ms() + r->timeout_ms;
	int			 fd = -1, rc = -1;

	r->base.unavailable = 0;
	snprintf(q.txid, sizeof(q.txid), "%s", r->base.context[0] != '\0' ?
	    r->base.context : "-");
	if (sigwire_req_encode(&q, &frame) != 0) {
		snprintf(reason, rlen, "cannot encode the request (%zu bytes)",
		    len);
		goto out;
	}
	/* Not reached, or no answer in time: "retry later" for the client.
	 * TimeoutMs for all of it, as the signer counts it. */
	if ((fd = dial(r, deadline, reason, rlen)) < 0 ||
	    sigwire_write(fd, &frame, left_ms(deadline), reason, rlen) != 0 ||
	    sigwire_read(fd, &frame, left_ms(deadline), reason, rlen) != 0) {
		r->base.unavailable = 1;
		goto out;
	}
	if (sigwire_resp_decode(frame.p, frame.len, &a, reason, rlen) != 0)
		goto out;
	if (a.status != SIGWIRE_OK) {
		snprintf(reason, rlen, "%s: %.*s", a.status == SIGWIRE_REFUSED ?
		    "refused" : "failed", (int)(a.len > 400 ? 400 : a.len),
		    (const char *)a.data);
		goto out;
	}
	out->len = 0;
	if (buf_append(out, a.data, a.len) != 0) {
		snprintf(reason, rlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&frame);
	return rc;
}

/* The failure as the caller's OpenSSL error, and a line for the log. */
static int
failed(struct remote *r, const char *what, const char *reason)
{
	char	 safe[REASON_MAX];

	log_warnx("op=signer what=%s txid=%s result=error reason=\"%s\"",
	    what, r->base.context[0] ? r->base.context : "-",
	    log_safe(reason, safe, sizeof(safe)));
	ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "signer: %s",
	    reason);
	return 0;
}

/*
 * The signer answered, but not with the key of this process's certificate
 * (most likely it holds other keys: a CA switch or RA renewal it was not
 * reloaded for).
 * Counted as unavailable: the client is told to retry later (HTTP 503)
 * rather than given a CertRep no key here can sign.
 */
static void
other_key(struct remote *r, char *reason, size_t rlen, const char *what,
    const char *key)
{
	r->base.unavailable = 1;
	snprintf(reason, rlen, "the answer is not %s signed by the %s key "
	    "(a signer holding another key: %s)", what, key,
	    r->base.role == KEYOP_INTUNE ? "[Intune] ClientCertificate and "
	    "ClientKey not the signer's pair, or it was not reloaded after "
	    "they changed?" : "not reloaded after ca switch or ra renew?");
}

/* The throwaway pair: a P-256 key and a self-signed certificate. */
static int
throwaway(struct remote *r)
{
	X509_NAME	*name = NULL;
	X509		*x = NULL;
	int		 ok;

	if (r->tmp_cert != NULL)
		return 0;
	if (r->tmp_key == NULL &&
	    (r->tmp_key = EVP_EC_gen("P-256")) == NULL)
		return -1;
	ok = (x = X509_new()) != NULL &&
	    (name = X509_NAME_new()) != NULL &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"mscep signer placeholder", -1, -1,
	    0) == 1 && X509_set_subject_name(x, name) == 1 &&
	    X509_set_issuer_name(x, name) == 1 &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) != NULL &&
	    X509_set_pubkey(x, r->tmp_key) == 1 &&
	    X509_sign(x, r->tmp_key, EVP_sha256()) > 0;
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return -1;
	}
	r->tmp_cert = x;
	return 0;
}

#define SIGN_IN_PLACE(name, TYPE, d2i, free_fn)				\
static int								\
name(TYPE *obj, const struct buf *der)					\
{									\
	const unsigned char	*p = der->p;				\
	TYPE			*trial;					\
									\
	if ((trial = d2i(NULL, &p, (long)der->len)) == NULL ||		\
	    p != der->p + der->len) {					\
		free_fn(trial);						\
		return -1;						\
	}								\
	free_fn(trial);							\
	p = der->p;							\
	return d2i(&obj, &p, (long)der->len) == obj ? 0 : -1;		\
}
SIGN_IN_PLACE(take_crl, X509_CRL, d2i_X509_CRL, X509_CRL_free)
SIGN_IN_PLACE(take_ocsp, OCSP_BASICRESP, d2i_OCSP_BASICRESP,
    OCSP_BASICRESP_free)

/* A new object (d2i_X509 costs about 0.25 ms with OpenSSL 3.0 here: one
 * decode, not a trial and another over the caller's). */
static int
sign_cert(struct keyop *k, X509 **x, const EVP_MD *md)
{
	struct remote		*r = (struct remote *)k;
	unsigned char		*der = NULL;
	const unsigned char	*p;
	struct buf		 got = { 0 };
	X509			*signed_x = NULL;
	char			 reason[REASON_MAX];
	int			 len, rc = 0;

	if (throwaway(r) != 0 || X509_sign(*x, r->tmp_key, md) <= 0 ||
	    (len = i2d_X509(*x, &der)) <= 0)
		snprintf(reason, sizeof(reason), "cannot encode the "
		    "certificate");
	else if (ask(r, SIGWIRE_SIGN_CERT, md, 0, der, (size_t)len, &got,
	    reason, sizeof(reason)) != 0)
		;
	else if ((p = got.p, signed_x = d2i_X509(NULL, &p,
	    (long)got.len)) == NULL || p != got.p + got.len ||
	    X509_verify(signed_x, X509_get0_pubkey(r->cert)) != 1)
		other_key(r, reason, sizeof(reason), "the certificate",
		    "CA");
	else {
		X509_free(*x);
		*x = signed_x;
		signed_x = NULL;
		rc = 1;
	}
	X509_free(signed_x);
	OPENSSL_free(der);
	buf_free(&got);
	return rc ? rc : failed(r, "certificate", reason);
}

static int
sign_crl(struct keyop *k, X509_CRL *crl, const EVP_MD *md)
{
	struct remote	*r = (struct remote *)k;
	unsigned char	*der = NULL;
	struct buf	 got = { 0 };
	char		 reason[REASON_MAX];
	int		 len, rc = 0;

	if (throwaway(r) != 0 || X509_CRL_sign(crl, r->tmp_key, md) <= 0 ||
	    (len = i2d_X509_CRL(crl, &der)) <= 0)
		snprintf(reason, sizeof(reason), "cannot encode the CRL");
	else if (ask(r, SIGWIRE_SIGN_CRL, md, 0, der, (size_t)len, &got,
	    reason, sizeof(reason)) != 0)
		;
	else if (take_crl(crl, &got) != 0 ||
	    X509_CRL_verify(crl, X509_get0_pubkey(r->cert)) != 1)
		other_key(r, reason, sizeof(reason), "the CRL", "CA");
	else
		rc = 1;
	OPENSSL_free(der);
	buf_free(&got);
	return rc ? rc : failed(r, "CRL", reason);
}

/* The answer's signature, by signer's key. */
static int
signed_by(OCSP_BASICRESP *bs, X509 *signer)
{
	STACK_OF(X509)	*certs;
	int		 ok;

	if ((certs = sk_X509_new_null()) == NULL ||
	    sk_X509_push(certs, signer) <= 0) {
		sk_X509_free(certs);
		return 0;
	}
	/* NOINTERN: by that key, not by a certificate the answer carries. */
	ok = OCSP_basic_verify(bs, certs, NULL, OCSP_NOINTERN |
	    OCSP_NOVERIFY | OCSP_TRUSTOTHER | OCSP_NOCHAIN |
	    OCSP_NOEXPLICIT) == 1;
	sk_X509_free(certs);
	return ok;
}

static int
sign_ocsp(struct keyop *k, OCSP_BASICRESP *bs, X509 *signer,
    const EVP_MD *md, unsigned long flags)
{
	struct remote	*r = (struct remote *)k;
	unsigned char	*der = NULL;
	struct buf	 got = { 0 };
	char		 reason[REASON_MAX];
	int		 len, rc = 0;

	/* By key and without certificates, as the signer expects. */
	if (throwaway(r) != 0 || OCSP_basic_sign(bs, r->tmp_cert, r->tmp_key,
	    md, NULL, OCSP_RESPID_KEY | OCSP_NOCERTS) != 1 ||
	    (len = i2d_OCSP_BASICRESP(bs, &der)) <= 0)
		snprintf(reason, sizeof(reason), "cannot encode the OCSP "
		    "answer");
	else if (ask(r, SIGWIRE_SIGN_OCSP, md, (uint32_t)flags, der,
	    (size_t)len, &got, reason, sizeof(reason)) != 0)
		;
	else if (take_ocsp(bs, &got) != 0 ||
	    !signed_by(bs, signer))
		other_key(r, reason, sizeof(reason), "the OCSP answer",
		    "responder");
	else
		rc = 1;
	OPENSSL_free(der);
	buf_free(&got);
	return rc ? rc : failed(r, "OCSP", reason);
}

/*
 * The RA's CMS signature: the SignerInfo is made with the certificate's
 * public key (CMS_add1_signer compares public keys only), so it names the
 * signer and its algorithms; cms_final then does what CMS_final would,
 * but has the signer sign the signed attributes.
 */
static CMS_SignerInfo *
cms_signer(struct keyop *k, CMS_ContentInfo *cms, X509 *signer,
    const EVP_MD *md, unsigned int flags)
{
	struct remote	*r = (struct remote *)k;
	CMS_SignerInfo	*si = NULL;
	EVP_PKEY	*pub;

	if ((flags & CMS_PARTIAL) == 0 || (flags & CMS_KEY_PARAM) != 0 ||
	    X509_cmp(signer, r->cert) != 0) {
		failed(r, "CMS", "CMS_PARTIAL, and the key's own certificate");
		return NULL;
	}
	if ((pub = X509_get_pubkey(signer)) != NULL)
		si = CMS_add1_signer(cms, signer, pub, md, flags);
	EVP_PKEY_free(pub);
	return si;
}

/* The content embedded, and its type, digest and the time as signed
 * attributes (RFC 5652 5.3, 11), as CMS_final adds them. */
static int
finish_attrs(CMS_ContentInfo *cms, CMS_SignerInfo *si, const EVP_MD *md,
    BIO *data)
{
	ASN1_OCTET_STRING	**pos = CMS_get0_content(cms);
	const ASN1_OBJECT	*type = CMS_get0_eContentType(cms);
	unsigned char		 dig[EVP_MAX_MD_SIZE];
	unsigned int		 dlen;
	ASN1_TIME		*now = NULL;
	char			*p = NULL;
	long			 n = BIO_get_mem_data(data, &p);
	int			 ok;

	if (pos == NULL || n < 0 || n > INT_MAX || type == NULL)
		return -1;
	if (*pos == NULL && (*pos = ASN1_OCTET_STRING_new()) == NULL)
		return -1;
	(*pos)->flags &= ~ASN1_STRING_FLAG_CONT;
	ok = ASN1_OCTET_STRING_set(*pos, (unsigned char *)p, (int)n) == 1 &&
	    EVP_Digest(p, (size_t)n, dig, &dlen, md, NULL) == 1 &&
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType,
	    V_ASN1_OBJECT, type, -1) == 1 &&
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest,
	    V_ASN1_OCTET_STRING, dig, (int)dlen) == 1 &&
	    (now = X509_gmtime_adj(NULL, 0)) != NULL &&
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
	    now->type, now, -1) == 1;
	ASN1_TIME_free(now);
	return ok ? 0 : -1;
}

/* The signed attributes' DER, as CMS signs it. */
static int
attrs_der(CMS_SignerInfo *si, unsigned char **der)
{
	STACK_OF(X509_ATTRIBUTE)	*attrs;
	int				 i, len = -1;

	*der = NULL;
	if ((attrs = sk_X509_ATTRIBUTE_new_null()) == NULL)
		return -1;
	for (i = 0; i < CMS_signed_get_attr_count(si); i++)
		if (sk_X509_ATTRIBUTE_push(attrs, CMS_signed_get_attr(si,
		    i)) <= 0)
			goto out;
	len = sigwire_attrs_i2d(attrs, der);
out:
	sk_X509_ATTRIBUTE_free(attrs);	/* the attributes are borrowed */
	return len;
}

/*
 * sig is cert's key's signature of der. Checked on the DER, not with
 * CMS_SignerInfo_verify: the SignerInfo holds its attributes in the order
 * they were added until it is encoded, sorted, as der is.
 */
static int
verifies(X509 *cert, const EVP_MD *md, const unsigned char *der, size_t len,
    const struct buf *sig)
{
	EVP_MD_CTX	*ctx;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL,
	    X509_get0_pubkey(cert)) == 1 && EVP_DigestVerify(ctx, sig->p,
	    sig->len, der, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static int
cms_final(struct keyop *k, CMS_ContentInfo *cms, CMS_SignerInfo *si,
    BIO *data)
{
	struct remote	*r = (struct remote *)k;
	X509_ALGOR	*dig = NULL;
	const EVP_MD	*md = NULL;
	unsigned char	*der = NULL;
	struct buf	 got = { 0 }, frame = { 0 };
	char		 reason[REASON_MAX], *content = NULL;
	long		 clen = -1;
	int		 len, rc = 0;

	/* The attributes, then the content they sign: the signer checks
	 * messageDigest against it, and what it is (sigwire.h). */
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	if (dig == NULL || (md = EVP_get_digestbyobj(dig->algorithm)) ==
	    NULL || finish_attrs(cms, si, md, data) != 0 ||
	    (len = attrs_der(si, &der)) <= 0 ||
	    (clen = BIO_get_mem_data(data, &content)) < 0 ||
	    buf_append(&frame, der, (size_t)len) != 0 ||
	    (clen > 0 && buf_append(&frame, content, (size_t)clen) != 0))
		snprintf(reason, sizeof(reason), "cannot build the signed "
		    "attributes");
	else if (ask(r, SIGWIRE_SIGN_CMS, md, 0, frame.p, frame.len, &got,
	    reason, sizeof(reason)) != 0)
		;
	else if (got.len > INT_MAX || !verifies(r->cert, md, der,
	    (size_t)len, &got) || ASN1_STRING_set(
	    CMS_SignerInfo_get0_signature(si), got.p, (int)got.len) != 1)
		other_key(r, reason, sizeof(reason), "a signature",
		    r->base.role == KEYOP_CA ? "CA" : "RA signing");
	else
		rc = 1;
	OPENSSL_free(der);
	buf_free(&frame);
	buf_free(&got);
	return rc ? rc : failed(r, "CMS", reason);
}

/* The whole envelope goes: the signer decrypts the key transport (PKCS#1
 * v1.5 or OAEP, as the client chose) and the content with OpenSSL's
 * CMS_decrypt, and answers the content. */
static int
cms_decrypt(struct keyop *k, CMS_ContentInfo *cms, X509 *recipient,
    BIO *out, unsigned int flags)
{
	struct remote	*r = (struct remote *)k;
	unsigned char	*der = NULL;
	struct buf	 got = { 0 };
	char		 reason[REASON_MAX];
	int		 len, rc = 0;

	(void)flags;	/* CMS_BINARY, the signer's too */
	if (X509_cmp(recipient, r->cert) != 0)
		snprintf(reason, sizeof(reason), "the signer decrypts for "
		    "the key's own certificate only");
	else if ((len = i2d_CMS_ContentInfo(cms, &der)) <= 0)
		snprintf(reason, sizeof(reason), "cannot encode the envelope");
	else if (ask(r, SIGWIRE_DECRYPT, EVP_sha256(), 0, der, (size_t)len,
	    &got, reason, sizeof(reason)) != 0)
		;
	else if (got.len > INT_MAX || BIO_write(out, got.p,
	    (int)got.len) != (int)got.len)
		snprintf(reason, sizeof(reason), "out of memory");
	else
		rc = 1;
	OPENSSL_free(der);
	if (got.p != NULL)
		OPENSSL_cleanse(got.p, got.len);
	buf_free(&got);
	return rc ? rc : failed(r, "decrypt", reason);
}

/* The signing input goes; the signer checks it is the client assertion
 * its configuration describes (intune_auth_assertion_check) and answers
 * the signature, verified here with the client certificate. */
static int
sign_jwt(struct keyop *k, const char *input, size_t len, unsigned char **sig,
    size_t *siglen)
{
	struct remote	*r = (struct remote *)k;
	struct buf	 got = { 0 };
	char		 reason[REASON_MAX];
	int		 rc = 0;

	if (ask(r, SIGWIRE_SIGN_JWT, EVP_sha256(), 0,
	    (const unsigned char *)input, len, &got, reason,
	    sizeof(reason)) != 0)
		;
	else if (!verifies(r->cert, EVP_sha256(), (const unsigned char *)
	    input, len, &got))
		other_key(r, reason, sizeof(reason), "the assertion",
		    "Intune client");
	else {
		*sig = got.p;	/* malloc'd by buf_append */
		*siglen = got.len;
		got.p = NULL;
		rc = 1;
	}
	buf_free(&got);
	return rc ? rc : failed(r, "jwt", reason);
}

static void
remote_free(struct keyop *k)
{
	struct remote	*r = (struct remote *)k;

	X509_free(r->tmp_cert);
	EVP_PKEY_free(r->tmp_key);
	free(r);
}

static const struct keyop_ops remote_ops = {
	.name = "remote",
	.sign_cert = sign_cert,
	.sign_crl = sign_crl,
	.sign_ocsp = sign_ocsp,
	.cms_signer = cms_signer,
	.cms_final = cms_final,
	.cms_decrypt = cms_decrypt,
	.sign_jwt = sign_jwt,
	.free = remote_free,
};

struct keyop *
keyop_remote(const char *path, int timeout_ms, enum keyop_role role,
    X509 *cert)
{
	struct remote	*r;

	if (strlen(path) >= sizeof(r->path) || cert == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->base.ops = &remote_ops;
	r->base.role = role;
	memcpy(r->path, path, strlen(path) + 1);
	r->timeout_ms = timeout_ms;
	r->cert = cert;
	return &r->base;
}
