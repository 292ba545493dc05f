/* sigcheck.c - the signer's refusals: what no template or CA rule allows. */
#include "signer/sigcheck.h"
#include "ca/issue.h"
#include "ca/lint.h"
#include "scep/scep_attr.h"
#include "util/cert.h"
#include "util/util.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* Seconds a certificate may span beyond its template's days: the
 * back-dating of [Service] BackdateMinutes and a little clock. */
#define SIGCHECK_SLACK	300

/* x's extension nid is once, byte for byte ext and as critical (both
 * absent counts too). */
static int
same_ext(X509 *x, int nid, X509_EXTENSION *ext)
{
	int	 i = X509_get_ext_by_NID(x, nid, -1);

	if (ext == NULL)
		return i < 0;
	return i >= 0 && X509_get_ext_by_NID(x, nid, i) < 0 &&
	    X509_EXTENSION_get_critical(X509_get_ext(x, i)) ==
	    X509_EXTENSION_get_critical(ext) &&
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

/* The SAN extension's bytes are the names g, encoded again. */
static int
san_der(X509 *x, GENERAL_NAMES *g)
{
	const ASN1_OCTET_STRING	*d = X509_EXTENSION_get_data(X509_get_ext(x,
	    X509_get_ext_by_NID(x, NID_subject_alt_name, -1)));
	unsigned char		*der = NULL;
	int			 len = i2d_GENERAL_NAMES(g, &der), ok;

	ok = len > 0 && d != NULL && ASN1_STRING_length(d) == len &&
	    memcmp(ASN1_STRING_get0_data(d), der, (size_t)len) == 0;
	OPENSSL_free(der);
	return ok;
}

/* Each SAN of a kind t lets a requester supply, or the SID URI of the
 * SID extension (sid, "" for none). */
static int
sans_allowed(const struct template *t, X509 *x, const char *sid,
    char *reason, size_t rlen)
{
	GENERAL_NAMES		*g;
	const GENERAL_NAME	*gn;
	const ASN1_STRING	*u;
	int			 i, ok = 1;

	/* Absent, twice or malformed: lint_sans says which. */
	if ((g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL)) ==
	    NULL) {
		ERR_clear_error();
		return 1;
	}
	if (!(ok = san_der(x, g)))
		snprintf(reason, rlen, "subjectAltName has bytes after its "
		    "names or is not DER");
	for (i = 0; ok && i < sk_GENERAL_NAME_num(g); i++) {
		gn = sk_GENERAL_NAME_value(g, i);
		if (issue_is_sid_uri(gn)) {
			u = gn->d.uniformResourceIdentifier;
			ok = *sid != '\0' && (size_t)ASN1_STRING_length(u) ==
			    strlen(SID_URI_PREFIX) + strlen(sid) &&
			    memcmp(ASN1_STRING_get0_data(u) +
			    strlen(SID_URI_PREFIX), sid, strlen(sid)) == 0;
			if (!ok)
				snprintf(reason, rlen, "SAN #%d: a SID URI but "
				    "not the SID extension's", i + 1);
		} else if (!(ok = (issue_san_kind(gn) & t->san_types) != 0))
			snprintf(reason, rlen, "SAN #%d of a type template %s "
			    "does not let the requester supply", i + 1,
			    t->name);
	}
	GENERAL_NAMES_free(g);
	return ok;
}

/* 1: t allows x; 0: t's key usages, but not the rest (why in reason); -1:
 * another template's key usages. */
static int
template_allows(const struct config *cfg, const struct template *t,
    const struct ra *ra, X509 *x, const char *sid, char *reason,
    size_t rlen)
{
	int64_t	 days = t->validity_days, s = span(x);

	if (t->allow_requester_validity && t->max_validity_days > days)
		days = t->max_validity_days;
	if (!same_ext(x, NID_key_usage, t->ku) ||
	    !same_ext(x, NID_ext_key_usage, t->eku)) {
		snprintf(reason, rlen, "keyUsage or extendedKeyUsage of no "
		    "template");
		return -1;
	}
	/* After a CA switch, the CRL of that CA key (issue.c). */
	if (!same_ext(x, NID_crl_distribution_points, t->cdp == NULL ? NULL :
	    ra->cdp != NULL ? ra->cdp : t->cdp)) {
		snprintf(reason, rlen, "CRL distribution point not template "
		    "%s's", t->name);
		return 0;
	}
	if (!same_ext(x, NID_info_access, t->aia)) {
		snprintf(reason, rlen, "authorityInfoAccess not template %s's",
		    t->name);
		return 0;
	}
	if (!sans_allowed(t, x, sid, reason, rlen))
		return 0;
	if (s < 0 || s > days * 86400 + cfg->backdate_minutes * 60LL +
	    SIGCHECK_SLACK) {
		snprintf(reason, rlen, "validity of %lld days, more than "
		    "template %s allows", (long long)(s / 86400), t->name);
		return 0;
	}
	return lint_cert(t, x, X509_get0_pubkey(x), ra->ca, reason, rlen) ==
	    0;
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

/* The names' DER, byte for byte: a verifier may compare them so. */
static int
same_name(const X509_NAME *a, const X509_NAME *b)
{
	const unsigned char	*da, *db;
	size_t			 la, lb;

	return X509_NAME_get0_der(a, &da, &la) == 1 &&
	    X509_NAME_get0_der(b, &db, &lb) == 1 && la == lb &&
	    memcmp(da, db, la) == 0;
}

/* basicConstraints as issuing writes it: critical, cA FALSE (an empty
 * SEQUENCE); subjectKeyIdentifier the SHA-1 of the key ("hash"). */
static int
leaf_ids(X509 *x)
{
	static const unsigned char	 empty[] = { 0x30, 0x00 };
	const ASN1_OCTET_STRING		*d, *ski;
	unsigned char			 md[EVP_MAX_MD_SIZE];
	unsigned int			 n;
	int				 i, j;

	if ((i = X509_get_ext_by_NID(x, NID_basic_constraints, -1)) < 0 ||
	    X509_get_ext_by_NID(x, NID_basic_constraints, i) >= 0 ||
	    X509_EXTENSION_get_critical(X509_get_ext(x, i)) != 1 ||
	    (d = X509_EXTENSION_get_data(X509_get_ext(x, i))) == NULL ||
	    ASN1_STRING_length(d) != 2 ||
	    memcmp(ASN1_STRING_get0_data(d), empty, 2) != 0)
		return 0;
	/* The extension's bytes: an OCTET STRING of the digest, nothing
	 * after it (the parser would ignore what follows). */
	return (j = X509_get_ext_by_NID(x, NID_subject_key_identifier,
	    -1)) >= 0 && X509_get_ext_by_NID(x, NID_subject_key_identifier,
	    j) < 0 && X509_EXTENSION_get_critical(X509_get_ext(x, j)) == 0 &&
	    (ski = X509_EXTENSION_get_data(X509_get_ext(x, j))) != NULL &&
	    X509_pubkey_digest(x, EVP_sha1(), md, &n) == 1 && n < 128 &&
	    ASN1_STRING_length(ski) == (int)n + 2 &&
	    ASN1_STRING_get0_data(ski)[0] == V_ASN1_OCTET_STRING &&
	    ASN1_STRING_get0_data(ski)[1] == n &&
	    memcmp(ASN1_STRING_get0_data(ski) + 2, md, n) == 0;
}

/* "S-1-" and then digits and dashes. */
static int
sid_text(const char *sid)
{
	if (strncmp(sid, "S-1-", 4) != 0 || sid[4] == '\0')
		return 0;
	return strspn(sid + 4, "0123456789-") == strlen(sid + 4);
}

/* The SID extension, when there is one, exactly as issue_sid_ext builds
 * it for the SID it holds (in sid, "" for none). */
static int
sid_ext_ok(X509 *x, char *sid, size_t len)
{
	ASN1_OBJECT	*oid = OBJ_txt2obj(SID_EXT_OID, 1);
	X509_EXTENSION	*want = NULL, *got;
	int		 i, ok = 0;

	*sid = '\0';
	if (oid == NULL)
		return 0;
	if ((i = X509_get_ext_by_OBJ(x, oid, -1)) < 0)
		ok = 1;
	else if (X509_get_ext_by_OBJ(x, oid, i) < 0 &&
	    issue_sid_of(x, sid, len) == 0 && sid_text(sid) &&
	    (want = issue_sid_ext(sid)) != NULL) {
		got = X509_get_ext(x, i);
		ok = X509_EXTENSION_get_critical(got) == 0 &&
		    ASN1_STRING_cmp(X509_EXTENSION_get_data(got),
		    X509_EXTENSION_get_data(want)) == 0;
	}
	if (!ok)
		*sid = '\0';
	X509_EXTENSION_free(want);
	ASN1_OBJECT_free(oid);
	return ok;
}

/* Only extensions issuing adds (issue.c add_extensions); each is then
 * checked against the CA or a template. Anything else, such as
 * Microsoft's application policies (read in place of the EKU) or a
 * certificatePolicies, is refused. */
static int
known_exts(X509 *x, char *reason, size_t rlen)
{
	ASN1_OBJECT	*sid = OBJ_txt2obj(SID_EXT_OID, 1);
	const ASN1_OBJECT *o;
	char		 oid[64];
	int		 i, ok = sid != NULL;

	for (i = 0; ok && i < X509_get_ext_count(x); i++) {
		o = X509_EXTENSION_get_object(X509_get_ext(x, i));
		switch (OBJ_obj2nid(o)) {
		case NID_basic_constraints:
		case NID_subject_key_identifier:
		case NID_authority_key_identifier:
		case NID_key_usage:
		case NID_ext_key_usage:
		case NID_crl_distribution_points:
		case NID_info_access:
		case NID_subject_alt_name:
			continue;
		default:
			if (OBJ_cmp(o, sid) == 0)
				continue;
			OBJ_obj2txt(oid, sizeof(oid), o, 1);
			snprintf(reason, rlen, "extension %s is not one mscep "
			    "issues", oid);
			ok = 0;
		}
	}
	ASN1_OBJECT_free(sid);
	return ok;
}

/* notBefore as issuing sets it: now less [Service] BackdateMinutes (or
 * the CA's notBefore when that is later, cert_clamp_validity: a CA is
 * never in the future, so that is within the window too). */
static int
starts_now(const struct config *cfg, X509 *x)
{
	time_t	 early = time(NULL) - cfg->backdate_minutes * 60L -
	    SIGCHECK_SLACK, late = time(NULL) + SIGCHECK_SLACK;

	return X509_cmp_time(X509_get0_notBefore(x), &late) < 0 &&
	    X509_cmp_time(X509_get0_notBefore(x), &early) > 0;
}

int
sigcheck_cert(const struct config *cfg, const struct ra *ra, X509 *x,
    char *reason, size_t rlen)
{
	X509_EXTENSION	*aki = cert_aki_ext(ra->ca);
	char		 why[REASON_MAX] = "no template", other[REASON_MAX] = "";
	char		 sid[192];	/* as policy.h's */
	int		 i, ok = 0;

	*reason = '\0';
	if (!same_name(X509_get_issuer_name(x), X509_get_subject_name(ra->ca)))
		snprintf(reason, rlen, "issuer is not this CA");
	else if (!not_a_ca(x, reason, rlen) || !known_exts(x, reason, rlen))
		;
	else if (!leaf_ids(x) || aki == NULL ||
	    !same_ext(x, NID_authority_key_identifier, aki))
		snprintf(reason, rlen, "basicConstraints, subject or authority "
		    "key identifier not as issuing makes them");
	else if (!sid_ext_ok(x, sid, sizeof(sid)))
		snprintf(reason, rlen, "SID extension not as issuing makes it");
	else
		/* Why: that of the first template whose key usages these
		 * are, else that no template's are. */
		for (i = 0; ok <= 0 && i < cfg->ntemplates; i++) {
			ok = template_allows(cfg, &cfg->templates[i], ra, x,
			    sid, *reason == '\0' ? why : other, sizeof(why));
			if (ok == 0 && *reason == '\0')
				snprintf(reason, rlen, "%s", why);
		}
	if (ok <= 0 && *reason == '\0')
		snprintf(reason, rlen, "%s", why);
	if (ok > 0 && !starts_now(cfg, x)) {
		snprintf(reason, rlen, "notBefore is not now (less "
		    "BackdateMinutes)");
		ok = 0;
	}
	ok = ok > 0;
	X509_EXTENSION_free(aki);
	ERR_clear_error();
	return ok ? 0 : -1;
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

/*
 * As crl.c builds a CRL: crlNumber and authorityKeyIdentifier, each
 * once; entries with a reasonCode at most, never certificateHold or
 * removeFromCRL (mscep takes nothing off its CRL), revoked no later than
 * the CRL's thisUpdate. Anything else could narrow what the CRL covers
 * (issuingDistributionPoint, deltaCRLIndicator, an entry's
 * certificateIssuer) or undo an entry while keeping its serial.
 */
static int
crl_shape(X509_CRL *crl, char *reason, size_t rlen)
{
	STACK_OF(X509_REVOKED)	*rev = X509_CRL_get_REVOKED(crl);
	X509_REVOKED		*r;
	ASN1_ENUMERATED		*e;
	X509_EXTENSION		*x;
	long			 why;
	int			 i, j, nid, numbers = 0, akis = 0;

	for (i = 0; i < X509_CRL_get_ext_count(crl); i++) {
		x = X509_CRL_get_ext(crl, i);
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(x));
		numbers += nid == NID_crl_number;
		akis += nid == NID_authority_key_identifier;
		if ((nid != NID_crl_number && nid !=
		    NID_authority_key_identifier) || numbers > 1 || akis > 1) {
			snprintf(reason, rlen, "CRL extension %s is not one "
			    "mscep's CRLs carry (crlNumber and "
			    "authorityKeyIdentifier, once each)", nid !=
			    NID_undef ? OBJ_nid2sn(nid) : "unknown");
			return -1;
		}
	}
	for (i = 0; i < sk_X509_REVOKED_num(rev); i++) {
		r = sk_X509_REVOKED_value(rev, i);
		for (j = 0; j < X509_REVOKED_get_ext_count(r); j++) {
			x = X509_REVOKED_get_ext(r, j);
			if (j > 0 || OBJ_obj2nid(X509_EXTENSION_get_object(x))
			    != NID_crl_reason) {
				snprintf(reason, rlen, "CRL entry %d: an "
				    "extension other than one reasonCode", i);
				return -1;
			}
		}
		if ((e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &j,
		    NULL)) == NULL && j != -1) {
			snprintf(reason, rlen, "CRL entry %d: reasonCode "
			    "cannot be read", i);
			return -1;
		}
		why = e != NULL ? ASN1_ENUMERATED_get(e) : 0;
		ASN1_ENUMERATED_free(e);
		if (why < 0 || why > 10 || why == 6 || why == 7 || why == 8) {
			snprintf(reason, rlen, "CRL entry %d: reasonCode %ld "
			    "(certificateHold and removeFromCRL are not "
			    "mscep's)", i, why);
			return -1;
		}
		if (!lint_time_ok(X509_REVOKED_get0_revocationDate(r))) {
			snprintf(reason, rlen, "CRL entry %d: revocationDate "
			    "not an RFC 5280 time", i);
			return -1;
		}
		/* The slack: another host's clock may have revoked it. */
		if (cert_time_epoch(X509_REVOKED_get0_revocationDate(r)) >
		    cert_time_epoch(X509_CRL_get0_lastUpdate(crl)) +
		    SIGCHECK_SLACK) {
			snprintf(reason, rlen, "CRL entry %d: revoked after "
			    "the CRL's thisUpdate", i);
			return -1;
		}
	}
	return 0;
}

int
sigcheck_crl(const struct config *cfg, X509 *ca, X509_CRL *crl,
    char *reason, size_t rlen)
{
	const ASN1_TIME	*next = X509_CRL_get0_nextUpdate(crl);
	time_t		 early = time(NULL) - SIGCHECK_SLACK;
	time_t		 late = time(NULL) + SIGCHECK_SLACK;
	time_t		 last = late + cfg->crl_validity_hours * 3600L;

	if (!same_name(X509_CRL_get_issuer(crl), X509_get_subject_name(ca))) {
		snprintf(reason, rlen, "CRL issuer is not this CA");
		return -1;
	}
	/* As crl.c builds it: from now, for [CRL] ValidityHours; a CRL that
	 * would shadow later ones for years is refused. */
	if (X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &early) <= 0 ||
	    X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &late) >= 0 ||
	    next == NULL || X509_cmp_time(next, &last) >= 0) {
		snprintf(reason, rlen, "CRL thisUpdate not now or nextUpdate "
		    "past [CRL] ValidityHours");
		return -1;
	}
	if (!names_key(crl, ca)) {
		snprintf(reason, rlen, "CRL authorityKeyIdentifier is not this "
		    "CA key's");
		return -1;
	}
	if (crl_shape(crl, reason, rlen) != 0)
		return -1;
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
		/* Little free-form to hide collision blocks in: the
		 * worker's own senderNonce (certrep.c), the client's
		 * echoed as the worker takes it (message.c), a failInfo
		 * of 0 to 4. */
		if (v == NULL ||
		    (slot == ATTR_SENDER_NONCE &&
		    ASN1_STRING_length(v->value.octet_string) != NONCE_LEN) ||
		    (slot == ATTR_RECIPIENT_NONCE &&
		    ASN1_STRING_length(v->value.octet_string) > NONCE_MAX) ||
		    (slot == ATTR_FAIL_INFO && !text_is(v, "0") &&
		    !text_is(v, "1") && !text_is(v, "2") && !text_is(v, "3") &&
		    !text_is(v, "4")) ||
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

/* One UTCTime YYMMDDHHMMSSZ (as X509_gmtime_adj writes it) within
 * SIGCHECK_SLACK of now. */
static int
signed_now(X509_ATTRIBUTE *a)
{
	ASN1_TYPE	*v = one_value(a, V_ASN1_UTCTIME);
	time_t		 early = time(NULL) - SIGCHECK_SLACK;
	time_t		 late = time(NULL) + SIGCHECK_SLACK;

	return v != NULL && ASN1_TIME_check(v->value.utctime) == 1 &&
	    ASN1_STRING_length(v->value.utctime) == 13 &&
	    ASN1_STRING_get0_data(v->value.utctime)[12] == 'Z' &&
	    X509_cmp_time(v->value.utctime, &early) > 0 &&
	    X509_cmp_time(v->value.utctime, &late) < 0;
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
	if (!signed_now(X509at_get_attr(attrs, X509at_get_attr_by_NID(attrs,
	    NID_pkcs9_signingTime, -1)))) {
		snprintf(reason, rlen, "signingTime is not one time of now");
		return -1;
	}
	return *certrep && !certrep_ok(attrs, seen, txid, reason, rlen) ?
	    -1 : 0;
}

/*
 * The EnvelopedData in the DER ContentInfo p has no originatorInfo (RFC
 * 5652 6.1): after its version comes the SET of recipientInfos, not [0].
 * Read from the bytes: CMS_get1_certs and CMS_get1_crls leave out what
 * is neither a certificate nor a CRL (other formats, OCSP answers).
 */
static int
no_originator(const unsigned char *p, size_t len)
{
	const unsigned char	*end = p + len;
	long			 n;
	int			 tag, cls, i;
	/* ContentInfo, contentType, [0], EnvelopedData, version, then? */
	static const int	 want[6][2] = {
		{ V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE },
		{ V_ASN1_UNIVERSAL, V_ASN1_OBJECT },
		{ V_ASN1_CONTEXT_SPECIFIC, 0 },
		{ V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE },
		{ V_ASN1_UNIVERSAL, V_ASN1_INTEGER },
		{ V_ASN1_UNIVERSAL, V_ASN1_SET },
	};

	for (i = 0; i < 6; i++) {
		if ((ASN1_get_object(&p, &n, &tag, &cls, (long)(end - p)) &
		    0x80) || cls != want[i][0] || tag != want[i][1])
			return 0;
		if (i == 1 || i == 4)	/* primitive: over its value */
			p += n;
	}
	return 1;
}

int
sigcheck_cms_content(STACK_OF(X509_ATTRIBUTE) *attrs, const EVP_MD *md,
    int certrep, const unsigned char *content, size_t clen, char *reason,
    size_t rlen)
{
	const unsigned char	*p = content;
	unsigned char		 d[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0;
	ASN1_TYPE		*dig, *status;
	CMS_ContentInfo		*env = NULL;
	unsigned char		*der = NULL;
	int			 len, ok;

	dig = one_value(X509at_get_attr(attrs, X509at_get_attr_by_NID(attrs,
	    NID_pkcs9_messageDigest, -1)), V_ASN1_OCTET_STRING);
	if (dig == NULL || EVP_Digest(content, clen, d, &n, md, NULL) != 1 ||
	    ASN1_STRING_length(dig->value.octet_string) != (int)n ||
	    memcmp(ASN1_STRING_get0_data(dig->value.octet_string), d, n) !=
	    0) {
		snprintf(reason, rlen, "messageDigest is not the digest of "
		    "the content sent");
		return -1;
	}
	if (!certrep)
		return 0;
	status = one_value(X509at_get_attr(attrs, X509at_get_attr_by_OBJ(
	    attrs, scep_attr_oid(ATTR_PKI_STATUS), -1)),
	    V_ASN1_PRINTABLESTRING);
	if (status == NULL || !text_is(status, "0")) {
		if (clen == 0)
			return 0;
		snprintf(reason, rlen, "a FAILURE or PENDING CertRep with "
		    "content (RFC 8894 3.3.2: none)");
		return -1;
	}
	/* DER (encoded again, the same bytes), and no originatorInfo: no
	 * certificates or CRLs in the clear beside the envelope. */
	ok = clen > 0 && clen <= LONG_MAX && (env = d2i_CMS_ContentInfo(NULL,
	    &p, (long)clen)) != NULL && p == content + clen &&
	    OBJ_obj2nid(CMS_get0_type(env)) == NID_pkcs7_enveloped &&
	    (len = i2d_CMS_ContentInfo(env, &der)) == (int)clen &&
	    memcmp(der, content, clen) == 0 && no_originator(content, clen);
	OPENSSL_free(der);
	CMS_ContentInfo_free(env);
	ERR_clear_error();
	if (!ok)
		snprintf(reason, rlen, "a SUCCESS CertRep whose content is not "
		    "one DER EnvelopedData");
	return ok ? 0 : -1;
}
