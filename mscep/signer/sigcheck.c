/* sigcheck.c - the signer's refusals: what no template or CA rule allows. */
#include "signer/sigcheck.h"
#include "ca/lint.h"
#include "scep/scep_attr.h"
#include "util/cert.h"
#include "util/util.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* Seconds a certificate may span beyond its template's days: the
 * back-dating of [Service] BackdateMinutes and a little clock. */
#define SIGCHECK_SLACK	300

/* x's extension nid is byte for byte ext (both absent counts too). */
static int
same_ext(X509 *x, int nid, X509_EXTENSION *ext)
{
	int	 i = X509_get_ext_by_NID(x, nid, -1);

	if (ext == NULL)
		return i < 0;
	return i >= 0 && X509_get_ext_by_NID(x, nid, i) < 0 &&
	    ASN1_STRING_cmp(X509_EXTENSION_get_data(X509_get_ext(x, i)),
	    X509_EXTENSION_get_data(ext)) == 0;
}

/* Seconds from notBefore to notAfter; -1 when unreadable. */
static int64_t
span(X509 *x)
{
	int	 days, secs;

	if (ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)) != 1)
		return -1;
	return (int64_t)days * 86400 + secs;
}

static int
template_allows(const struct config *cfg, const struct template *t,
    X509 *ca, X509 *x, char *reason, size_t rlen)
{
	int64_t	 days = t->validity_days, s = span(x);

	if (t->allow_requester_validity && t->max_validity_days > days)
		days = t->max_validity_days;
	if (!same_ext(x, NID_key_usage, t->ku) ||
	    !same_ext(x, NID_ext_key_usage, t->eku)) {
		snprintf(reason, rlen, "keyUsage or extendedKeyUsage of no "
		    "template");
		return 0;
	}
	if (s < 0 || s > days * 86400 + cfg->backdate_minutes * 60LL +
	    SIGCHECK_SLACK) {
		snprintf(reason, rlen, "validity of %lld days, more than "
		    "template %s allows", (long long)(s / 86400), t->name);
		return 0;
	}
	return lint_cert(t, x, X509_get0_pubkey(x), ca, reason, rlen) == 0;
}

/* Never a CA: a worker may not make one, nor sign CRLs. */
static int
not_a_ca(X509 *x, char *reason, size_t rlen)
{
	uint32_t	 flags = X509_get_extension_flags(x);
	uint32_t	 ku = X509_get_key_usage(x);

	if (flags & EXFLAG_INVALID)
		snprintf(reason, rlen, "malformed extensions");
	else if (flags & EXFLAG_CA)
		snprintf(reason, rlen, "a CA certificate (basicConstraints "
		    "cA=TRUE)");
	else if (ku != UINT32_MAX && (ku & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)))
		snprintf(reason, rlen, "keyCertSign or cRLSign key usage");
	else
		return 1;
	return 0;
}

int
sigcheck_cert(const struct config *cfg, X509 *ca, X509 *x, char *reason,
    size_t rlen)
{
	char	 why[REASON_MAX] = "no template";
	int	 i;

	if (X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(ca)) != 0) {
		snprintf(reason, rlen, "issuer is not this CA");
		return -1;
	}
	if (!not_a_ca(x, reason, rlen)) {
		ERR_clear_error();
		return -1;
	}
	for (i = 0; i < cfg->ntemplates; i++)
		if (template_allows(cfg, &cfg->templates[i], ca, x, why,
		    sizeof(why)))
			return 0;
	ERR_clear_error();
	snprintf(reason, rlen, "%s", why);
	return -1;
}

/* The CRL names ca's key as the workers build it (cert_aki_ext): one CA
 * generation and the next share a name, not a key. */
static int
names_key(X509_CRL *crl, X509 *ca)
{
	X509_EXTENSION	*want = cert_aki_ext(ca), *got;
	int		 i, ok;

	i = X509_CRL_get_ext_by_NID(crl, NID_authority_key_identifier, -1);
	ok = want != NULL && i >= 0 &&
	    (got = X509_CRL_get_ext(crl, i)) != NULL &&
	    ASN1_OCTET_STRING_cmp(X509_EXTENSION_get_data(got),
	    X509_EXTENSION_get_data(want)) == 0;
	X509_EXTENSION_free(want);
	return ok;
}

int
sigcheck_crl(X509 *ca, X509_CRL *crl, char *reason, size_t rlen)
{
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(ca)) != 0) {
		snprintf(reason, rlen, "CRL issuer is not this CA");
		return -1;
	}
	if (!names_key(crl, ca)) {
		snprintf(reason, rlen, "CRL authorityKeyIdentifier is not this "
		    "CA key's");
		return -1;
	}
	return lint_crl(crl, ca, reason, rlen);
}

/* One answer: about a certificate of ca, in the responder's time. */
static int
single_ok(X509 *ca, X509 *responder, OCSP_SINGLERESP *sr, char *reason,
    size_t rlen)
{
	const OCSP_CERTID	*cid = OCSP_SINGLERESP_get0_id(sr);
	ASN1_OBJECT		*alg = NULL;
	ASN1_GENERALIZEDTIME	*thisupd = NULL, *nextupd = NULL;
	OCSP_CERTID		*ref = NULL;
	const EVP_MD		*md;
	int			 ok;

	OCSP_id_get0_info(NULL, &alg, NULL, NULL, (OCSP_CERTID *)cid);
	ok = alg != NULL && (md = EVP_get_digestbyobj(alg)) != NULL &&
	    (ref = OCSP_cert_to_id(md, NULL, ca)) != NULL &&
	    OCSP_id_issuer_cmp(ref, cid) == 0;
	OCSP_CERTID_free(ref);
	if (!ok) {
		snprintf(reason, rlen, "OCSP answer about a certificate of "
		    "another CA");
		return 0;
	}
	OCSP_single_get0_status(sr, NULL, NULL, &thisupd, &nextupd);
	return lint_times(thisupd, nextupd, responder, "OCSP answer", reason,
	    rlen) == 0;
}

int
sigcheck_ocsp(X509 *ca, X509 *responder, OCSP_BASICRESP *bs, char *reason,
    size_t rlen)
{
	int	 i, n = OCSP_resp_count(bs);

	if (n <= 0) {
		snprintf(reason, rlen, "OCSP answer with no certificate");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!single_ok(ca, responder, OCSP_resp_get0(bs, i), reason,
		    rlen)) {
			ERR_clear_error();
			return -1;
		}
	return 0;
}

/* Where attribute a counts: CMS's three, then SCEP's; -1 for others. */
#define SLOT_SCEP	3
static int
attr_slot(X509_ATTRIBUTE *a)
{
	const ASN1_OBJECT	*o = X509_ATTRIBUTE_get0_object(a);
	int			 i;

	switch (OBJ_obj2nid(o)) {
	case NID_pkcs9_contentType: return 0;
	case NID_pkcs9_messageDigest: return 1;
	case NID_pkcs9_signingTime: return 2;
	default: break;
	}
	for (i = 0; i < ATTR_COUNT; i++)
		if (OBJ_cmp(o, scep_attr_oid((enum scep_attr)i)) == 0)
			return SLOT_SCEP + i;
	return -1;
}

/* The one value of a, of ASN.1 type type; NULL: several, or another. */
static ASN1_TYPE *
one_value(X509_ATTRIBUTE *a, int type)
{
	ASN1_TYPE	*v;

	if (X509_ATTRIBUTE_count(a) != 1 ||
	    (v = X509_ATTRIBUTE_get0_type(a, 0)) == NULL ||
	    ASN1_TYPE_get(v) != type)
		return NULL;
	return v;
}

/* A PrintableString value is text: one of the allowed, or equal to want
 * as keyop_set_context would carry it. */
static int
text_is(ASN1_TYPE *v, const char *want)
{
	const ASN1_STRING	*s = v->value.asn1_string;
	const unsigned char	*p = ASN1_STRING_get0_data(s);
	int			 i, n = ASN1_STRING_length(s);

	if (n <= 0 || n != (int)strlen(want))
		return 0;
	for (i = 0; i < n; i++)
		if ((p[i] > 0x20 && p[i] < 0x7f && p[i] != '"' &&
		    p[i] != '\\' ? p[i] : '_') != (unsigned char)want[i])
			return 0;
	return 1;
}

/* CertRep's SCEP attributes (RFC 8894 3.2.1): seen[] counts them. */
static int
certrep_ok(STACK_OF(X509_ATTRIBUTE) *attrs, const int *seen,
    const char *txid, char *reason, size_t rlen)
{
	ASN1_TYPE	*v;
	X509_ATTRIBUTE	*a;
	int		 i, slot;

	if (!seen[SLOT_SCEP + ATTR_MESSAGE_TYPE] ||
	    !seen[SLOT_SCEP + ATTR_PKI_STATUS] ||
	    !seen[SLOT_SCEP + ATTR_TRANSACTION_ID] ||
	    !seen[SLOT_SCEP + ATTR_SENDER_NONCE]) {
		snprintf(reason, rlen, "CertRep without messageType, "
		    "pkiStatus, transactionID or senderNonce");
		return 0;
	}
	for (i = 0; i < sk_X509_ATTRIBUTE_num(attrs); i++) {
		a = sk_X509_ATTRIBUTE_value(attrs, i);
		slot = attr_slot(a) - SLOT_SCEP;
		v = one_value(a, slot == ATTR_SENDER_NONCE ||
		    slot == ATTR_RECIPIENT_NONCE ? V_ASN1_OCTET_STRING :
		    V_ASN1_PRINTABLESTRING);
		if (slot < 0)
			continue;
		if (v == NULL ||
		    (slot == ATTR_MESSAGE_TYPE && !text_is(v, "3")) ||
		    (slot == ATTR_PKI_STATUS && !text_is(v, "0") &&
		    !text_is(v, "2") && !text_is(v, "3")) ||
		    (slot == ATTR_TRANSACTION_ID && !text_is(v, txid))) {
			snprintf(reason, rlen, "not a CertRep for transaction "
			    "%s (SCEP attribute %d)", txid, slot);
			return 0;
		}
	}
	return 1;
}

int
sigcheck_cms(STACK_OF(X509_ATTRIBUTE) *attrs, const EVP_MD *md,
    const char *txid, int *certrep, char *reason, size_t rlen)
{
	int		 seen[SLOT_SCEP + ATTR_COUNT] = { 0 };
	ASN1_TYPE	*type, *dig;
	X509_ATTRIBUTE	*a;
	int		 i, slot;

	*certrep = 0;
	for (i = 0; i < sk_X509_ATTRIBUTE_num(attrs); i++) {
		a = sk_X509_ATTRIBUTE_value(attrs, i);
		if ((slot = attr_slot(a)) < 0 || seen[slot]++ > 0) {
			snprintf(reason, rlen, "signed attributes: one not "
			    "of CertRep, or one twice");
			return -1;
		}
		if (slot >= SLOT_SCEP)
			*certrep = 1;
	}
	type = seen[0] ? one_value(X509at_get_attr(attrs,
	    X509at_get_attr_by_NID(attrs, NID_pkcs9_contentType, -1)),
	    V_ASN1_OBJECT) : NULL;
	dig = seen[1] ? one_value(X509at_get_attr(attrs,
	    X509at_get_attr_by_NID(attrs, NID_pkcs9_messageDigest, -1)),
	    V_ASN1_OCTET_STRING) : NULL;
	if (type == NULL || OBJ_obj2nid(type->value.object) !=
	    NID_pkcs7_data || dig == NULL || !seen[2] ||
	    ASN1_STRING_length(dig->value.octet_string) !=
	    EVP_MD_get_size(md)) {
		snprintf(reason, rlen, "signed attributes without contentType "
		    "id-data, a messageDigest or signingTime");
		return -1;
	}
	return *certrep && !certrep_ok(attrs, seen, txid, reason, rlen) ?
	    -1 : 0;
}
