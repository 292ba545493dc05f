/* request.c - PKCSReq, RenewalReq, CertPoll and GetCRL messages. */
#include "request.h"
#include "legacy.h"
#include "cacert.h"
#include "common.h"
#include "csr.h"
#include "options.h"
#include "transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

static EVP_PKEY *gen_key(const struct ctx *cx, long idx)
{
	EVP_PKEY *k = NULL;

	if (cx->keys != NULL) {
		if (EVP_PKEY_up_ref(cx->keys[idx]) != 1)
			return NULL;
		return cx->keys[idx];
	}
	if (strncmp(opt.keyspec, "rsa:", 4) == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
				      (size_t)strtoul(opt.keyspec + 4, NULL, 10));
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", opt.keyspec + 3);
	if (k == NULL)
		ossl_fail("key generation failed");
	return k;
}

static int make_txid(EVP_PKEY *key, char *out, size_t outsz)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int len = i2d_PUBKEY(key, &der), ok = 0;
	int hex = opt.txid_style == TXID_HEX;

	/* Each request has its own key, so a key hash is unique per request. */
	if (len <= 0 || !EVP_Digest(der, (size_t)len, md, &mdlen,
				    hex ? EVP_sha256() : EVP_sha1(), NULL))
		goto out;
	if (outsz < 2 * (size_t)mdlen + 1)
		goto out;
	if (hex)
		hex_upper(md, mdlen, out);
	else    /* micromdm style: base64 of SHA-1, may hold + / = */
		EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	ok = 1;
out:
	OPENSSL_free(der);
	return ok;
}

static int cms_to_buf(CMS_ContentInfo *cms, struct buf *out)
{
	unsigned char *der = NULL;
	int len = i2d_CMS_ContentInfo(cms, &der);
	int ok = len > 0 && buf_append(out, der, (size_t)len);

	OPENSSL_free(der);
	return ok;
}

/* pkcsPKIEnvelope: the DER request as id-data, encrypted to the CA/RA. */
static int envelope_der(const struct ctx *cx, const unsigned char *der,
			int len, struct buf *out)
{
	int ok = 0;
	BIO *in = len > 0 ? BIO_new_mem_buf(der, len) : NULL;
	CMS_ContentInfo *cms = NULL;
	CMS_RecipientInfo *ri;

	if (in == NULL)
		goto out;
	/* CMS_PARTIAL so the recipient can be added with its own flags. */
	cms = CMS_encrypt(NULL, NULL, cx->cipher, CMS_BINARY | CMS_PARTIAL);
	if (cms == NULL)
		goto out;
	ri = CMS_add1_recipient_cert(cms, cx->ca.recipient,
				     opt.oaep ? CMS_KEY_PARAM : 0);
	if (ri == NULL)
		goto out;
	if (opt.oaep && EVP_PKEY_CTX_set_rsa_padding(
			CMS_RecipientInfo_get0_pkey_ctx(ri), RSA_PKCS1_OAEP_PADDING) <= 0)
		goto out;
	ok = CMS_final(cms, in, NULL, CMS_BINARY) && cms_to_buf(cms, out);
out:
	if (!ok)
		ossl_fail("cannot build the EnvelopedData");
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return ok;
}

static int envelope(const struct ctx *cx, X509_REQ *csr, struct buf *out)
{
	unsigned char *der = NULL;
	int len = i2d_X509_REQ(csr, &der);
	int ok = len > 0 && envelope_der(cx, der, len, out);

	OPENSSL_free(der);
	return ok;
}

static int add_attr(CMS_SignerInfo *si, const char *oid, int type,
		    const void *d, int len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int ok = obj != NULL &&
		 CMS_signed_add1_attr_by_OBJ(si, obj, type, d, len) == 1;

	ASN1_OBJECT_free(obj);
	return ok;
}

/* The PKCSReq: SignedData over the envelope with the SCEP attributes. */
static int sign_message(const struct ctx *cx, struct request *rq,
			const struct buf *env)
{
	BIO *in = BIO_new_mem_buf(env->p, (int)env->len);
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	int ok = 0;

	if (in == NULL)
		goto out;
	cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL);
	if (cms == NULL)
		goto out;
	/* Signature is computed in CMS_final, after our attributes exist. */
	si = CMS_add1_signer(cms, rq->sign_cert ? rq->sign_cert : rq->self,
			     rq->sign_key ? rq->sign_key : rq->key, cx->md,
			     CMS_BINARY | CMS_NOSMIMECAP);
	if (si == NULL ||
	    !add_attr(si, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING,
		      rq->msgtype ? rq->msgtype : "19",
		      (int)strlen(rq->msgtype ? rq->msgtype : "19")) ||
	    !add_attr(si, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING,
		      rq->txid, (int)strlen(rq->txid)) ||
	    !add_attr(si, OID_SENDER_NONCE, V_ASN1_OCTET_STRING,
		      rq->nonce, NONCE_LEN))
		goto out;
	ok = CMS_final(cms, in, NULL, CMS_BINARY) && cms_to_buf(cms, &rq->msg) &&
	     (!opt.non_der_attrs || legacy_non_der_attrs(&rq->msg,
	      rq->sign_key ? rq->sign_key : rq->key, cx->md)) &&
	     (!opt.ber || legacy_indefinite(&rq->msg));
	if (ok && opt.non_der_attrs) {  /* what went out: octets 1..15 */
		memmove(rq->nonce, rq->nonce + 1, NONCE_LEN - 1);
		rq->nonce_sent = NONCE_LEN - 1;
	}
out:
	if (!ok)
		ossl_fail("cannot build the SignedData");
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return ok;
}

static char *request_target(const struct buf *msg)
{
	char *b64 = NULL, *enc = NULL, *query = NULL, *t = NULL;
	size_t n;

	if (opt.method == M_POST)
		return make_target("operation=PKIOperation");
	if ((b64 = base64(msg->p, msg->len)) == NULL ||
	    (enc = pct_encode(b64)) == NULL)
		goto out;
	n = strlen(enc) + 64;
	if ((query = malloc(n)) == NULL)
		goto out;
	snprintf(query, n, "operation=PKIOperation&message=%s", enc);
	t = make_target(query);
out:
	free(query);
	free(enc);
	free(b64);
	return t;
}

void request_free(struct request *rq)
{
	EVP_PKEY_free(rq->apart_key);
	X509_free(rq->apart_cert);
	EVP_PKEY_free(rq->key);
	X509_free(rq->self);
	buf_free(&rq->msg);
	free(rq->target);
	memset(rq, 0, sizeof *rq);
}

/* Apple's client: a second key, self-signed under another subject,
 * (RSA-2048, as Apple's) signs the message; the CSR keeps its own. */
static int make_apart_signer(struct request *rq)
{
	X509_NAME *name = X509_NAME_new();
	int ok = name != NULL &&
		 X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
			(const unsigned char *)opt.signer_cn, -1, -1, 0) == 1 &&
		 (rq->apart_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
			(size_t)2048)) != NULL &&
		 (rq->apart_cert = make_self(rq->apart_key, name)) != NULL;

	X509_NAME_free(name);
	if (!ok) {
		ossl_fail("cannot make the separate signer");
		return 0;
	}
	rq->sign_cert = rq->apart_cert;
	rq->sign_key = rq->apart_key;
	return 1;
}

int prepare_request(const struct ctx *cx, long idx, struct request *rq)
{
	const char *pw = cx->challenges ? cx->challenges[idx] : opt.password;
	X509_NAME *name = NULL;
	X509_REQ *csr = NULL;
	struct buf env = { 0 };
	int ok = 0;

	rq->idx = idx;
	if (cx->old_cert != NULL) {     /* RenewalReq: same subject */
		rq->sign_cert = cx->old_cert;
		rq->sign_key = cx->old_key;
		rq->msgtype = opt.renew_pkcsreq ? "19" : "17";
		name = X509_NAME_dup(X509_get_subject_name(cx->old_cert));
	}
	if ((rq->key = gen_key(cx, idx)) == NULL ||
	    (name == NULL && (name = make_name(idx)) == NULL) ||
	    (csr = make_csr(rq->key, name, pw)) == NULL ||
	    (rq->self = make_self(rq->key, name)) == NULL)
		goto out;
	if (opt.signer_cn != NULL && cx->old_cert == NULL &&
	    !make_apart_signer(rq))
		goto out;
	if (!make_txid(rq->key, rq->txid, sizeof rq->txid) ||
	    RAND_bytes(rq->nonce, NONCE_LEN) != 1) {
		ossl_fail("cannot make transactionID/senderNonce");
		goto out;
	}
	if (!envelope(cx, csr, &env) || !sign_message(cx, rq, &env))
		goto out;
	if ((rq->target = request_target(&rq->msg)) == NULL)
		goto out;
	ok = rq->ready = 1;
out:
	buf_free(&env);
	X509_REQ_free(csr);
	X509_NAME_free(name);
	return ok;
}

/* GetCRL (§3.3.4): IssuerAndSerialNumber of our certificate. */
int prepare_getcrl(const struct ctx *cx, struct request *rq)
{
	PKCS7_ISSUER_AND_SERIAL *ias = PKCS7_ISSUER_AND_SERIAL_new();
	unsigned char *der = NULL;
	struct buf env = { 0 };
	int len, ok = 0;

	rq->sign_cert = cx->old_cert;
	rq->sign_key = cx->old_key;
	rq->msgtype = "22";
	rq->want_crl = 1;
	if (ias == NULL ||
	    !X509_NAME_set(&ias->issuer, X509_get_issuer_name(cx->old_cert)) ||
	    ASN1_STRING_copy(ias->serial, X509_get0_serialNumber(cx->old_cert)) != 1 ||
	    (len = i2d_PKCS7_ISSUER_AND_SERIAL(ias, &der)) <= 0 ||
	    !make_txid(cx->old_key, rq->txid, sizeof rq->txid) ||
	    RAND_bytes(rq->nonce, NONCE_LEN) != 1 ||
	    !envelope_der(cx, der, len, &env) || !sign_message(cx, rq, &env) ||
	    (rq->target = request_target(&rq->msg)) == NULL)
		goto out;
	ok = 1;
out:
	buf_free(&env);
	OPENSSL_free(der);
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	return ok;
}

/* CertPoll (§3.3.3): IssuerAndSubject, same transactionID and signer. */
int make_poll(const struct ctx *cx, const struct request *rq,
		     struct request *pr)
{
	X509 *ca = issuing_ca(cx->ca.certs);
	unsigned char *a = NULL, *b = NULL, *der = NULL, *q;
	int la, lb, len, ok = 0;
	struct buf env = { 0 };

	*pr = *rq;
	memset(&pr->msg, 0, sizeof pr->msg);
	pr->target = NULL;
	pr->msgtype = "20";
	if (ca == NULL || RAND_bytes(pr->nonce, NONCE_LEN) != 1 ||
	    (la = i2d_X509_NAME(X509_get_subject_name(ca), &a)) <= 0 ||
	    (lb = i2d_X509_NAME(X509_get_subject_name(rq->sign_cert ?
				rq->sign_cert : rq->self), &b)) <= 0)
		goto out;
	len = ASN1_object_size(1, la + lb, V_ASN1_SEQUENCE);
	if ((der = q = malloc((size_t)len)) == NULL)
		goto out;
	ASN1_put_object(&q, 1, la + lb, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(q, a, (size_t)la);
	memcpy(q + la, b, (size_t)lb);
	ok = envelope_der(cx, der, len, &env) && sign_message(cx, pr, &env) &&
	     (pr->target = request_target(&pr->msg)) != NULL;
out:
	buf_free(&env);
	free(der);
	OPENSSL_free(a);
	OPENSSL_free(b);
	return ok;
}

void ctx_free(struct ctx *cx)
{
	ca_free(&cx->ca);
	for (size_t i = 0; i < cx->nchallenges; i++)
		free(cx->challenges[i]);
	free(cx->challenges);
	for (size_t i = 0; i < cx->nkeys; i++)
		EVP_PKEY_free(cx->keys[i]);
	free(cx->keys);
	memset(cx, 0, sizeof *cx);
}
