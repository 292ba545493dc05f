/* verify.c - a CertRep's signature, signer and SCEP attributes. */
#include "verify.h"
#include "cacert.h"
#include "common.h"
#include "issued.h"
#include "options.h"
#include "outcome.h"
#include "request.h"
#include "transport.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

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
	if (!asn1_is(s, rq->nonce, rq->nonce_sent ? rq->nonce_sent : NONCE_LEN))
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

void check_reply(const struct ctx *cx, const struct request *rq,
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
