/* sigcheck.c - the signer's refusals: what no template or CA rule allows. */
#include "signer/sigcheck.h"
#include "ca/lint.h"
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

int
sigcheck_crl(X509 *ca, X509_CRL *crl, char *reason, size_t rlen)
{
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(ca)) != 0) {
		snprintf(reason, rlen, "CRL issuer is not this CA");
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
