/* issue.c - certificate issuance from a checked CSR and a template. */
#include "ca/issue.h"
#include "ca/lint.h"
#include "util/cert.h"
#include "util/log.h"
#include "util/util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/*
 * szOID_ENROLLMENT_NAME_VALUE_PAIR (1.3.6.1.4.1.311.13.2.1): how Intune and
 * certreq ask for "ValidityPeriod"/"ValidityPeriodUnits" when the CA has
 * EDITF_ATTRIBUTEENDDATE.
 */
typedef struct {
	ASN1_BMPSTRING	*name;
	ASN1_BMPSTRING	*value;
} NAME_VALUE_PAIR;

DECLARE_ASN1_FUNCTIONS(NAME_VALUE_PAIR)

ASN1_SEQUENCE(NAME_VALUE_PAIR) = {
	ASN1_SIMPLE(NAME_VALUE_PAIR, name, ASN1_BMPSTRING),
	ASN1_SIMPLE(NAME_VALUE_PAIR, value, ASN1_BMPSTRING),
} ASN1_SEQUENCE_END(NAME_VALUE_PAIR)
IMPLEMENT_ASN1_FUNCTIONS(NAME_VALUE_PAIR)

static STACK_OF(X509_EXTENSION) *
csr_exts(X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);

	ERR_clear_error();
	return exts;
}

static enum scep_failinfo
check_key(const struct template *t, EVP_PKEY *pk, char *reason, size_t rlen)
{
	char	 group[64] = "";
	size_t	 glen;

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		if (!(t->key_types & KEYTYPE_RSA))
			break;
		if (EVP_PKEY_get_bits(pk) < t->min_rsa_bits) {
			snprintf(reason, rlen, "RSA key of %d bits is below "
			    "template %s minimum of %d", EVP_PKEY_get_bits(pk),
			    t->name, t->min_rsa_bits);
			return FAIL_BADREQUEST;
		}
		return FAIL_NONE;
	case EVP_PKEY_EC:
		if (!(t->key_types & KEYTYPE_EC))
			break;
		if (EVP_PKEY_get_utf8_string_param(pk, "group", group,
		    sizeof(group), &glen) != 1 ||
		    (strcmp(group, "prime256v1") && strcmp(group, "secp384r1") &&
		    strcmp(group, "secp521r1"))) {
			snprintf(reason, rlen, "EC curve \"%s\" not allowed "
			    "(P-256, P-384, P-521)", group);
			return FAIL_BADREQUEST;
		}
		return FAIL_NONE;
	}
	snprintf(reason, rlen, "key type not allowed by template %s", t->name);
	return FAIL_BADREQUEST;
}

unsigned
issue_san_kind(const GENERAL_NAME *gn)
{
	switch (gn->type) {
	case GEN_DNS:
		return SAN_DNS;
	case GEN_EMAIL:
		return SAN_EMAIL;
	case GEN_URI:
		return SAN_URI;
	case GEN_IPADD:
		return SAN_IP;
	case GEN_OTHERNAME:
		if (OBJ_obj2nid(gn->d.otherName->type_id) == NID_ms_upn)
			return SAN_UPN;
		return 0;
	default:
		return 0;
	}
}

int
issue_is_sid_uri(const GENERAL_NAME *g)
{
	const char	*u;

	if (g->type != GEN_URI)
		return 0;
	u = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
	return ASN1_STRING_length(g->d.uniformResourceIdentifier) >=
	    (int)strlen(SID_URI_PREFIX) &&
	    strncasecmp(u, SID_URI_PREFIX, strlen(SID_URI_PREFIX)) == 0;
}

/* The extension's bytes are exactly the DER of the names decoded. */
static int
san_is_der(STACK_OF(X509_EXTENSION) *exts, GENERAL_NAMES *gens)
{
	X509_EXTENSION		*ext;
	ASN1_OCTET_STRING	*raw;
	unsigned char		*der = NULL;
	int			 idx, len, ok;

	if ((idx = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1)) < 0 ||
	    (ext = X509v3_get_ext(exts, idx)) == NULL ||
	    (raw = X509_EXTENSION_get_data(ext)) == NULL ||
	    (len = i2d_GENERAL_NAMES(gens, &der)) <= 0)
		return 0;
	ok = len == ASN1_STRING_length(raw) &&
	    memcmp(der, ASN1_STRING_get0_data(raw), (size_t)len) == 0;
	OPENSSL_free(der);
	return ok;
}

static enum scep_failinfo
check_sans(const struct template *t, X509_REQ *csr, int sid_ok, int *nsan,
    char *reason, size_t rlen)
{
	STACK_OF(X509_EXTENSION) *exts = csr_exts(csr);
	GENERAL_NAMES	*gens = NULL;
	enum scep_failinfo f = FAIL_NONE;
	int		 i, crit = 0, sids = 0;

	*nsan = 0;
	if (exts != NULL)
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL && crit != -1) {
		snprintf(reason, rlen, "subjectAltName extension is malformed");
		f = FAIL_BADREQUEST;
		goto out;
	}
	if (gens != NULL && !san_is_der(exts, gens)) {
		/* What the policy compared must be what gets signed. */
		snprintf(reason, rlen, "subjectAltName has data after its "
		    "names or is not DER");
		f = FAIL_BADREQUEST;
		goto out;
	}
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (issue_is_sid_uri(g)) {
			/* Only a policy may vouch for a SID (strong mapping),
			 * one SID, which the URI must name. */
			if (!sid_ok)
				snprintf(reason, rlen, "SAN #%d is a strong-mapping "
				    "SID URI; only the policy may add one", i + 1);
			else if (ASN1_STRING_length(g->d.uniformResourceIdentifier)
			    == (int)strlen(SID_URI_PREFIX))
				snprintf(reason, rlen, "SAN #%d is a strong-mapping "
				    "SID URI without a SID", i + 1);
			else if (sids++ > 0)
				snprintf(reason, rlen, "SAN #%d is a second "
				    "strong-mapping SID URI", i + 1);
			else
				continue;
			f = FAIL_BADREQUEST;
			goto out;
		}
		if (!(issue_san_kind(sk_GENERAL_NAME_value(gens, i)) &
		    t->san_types)) {
			snprintf(reason, rlen, "SAN #%d is of a type template "
			    "%s does not let the requester supply", i + 1,
			    t->name);
			f = FAIL_BADREQUEST;
			goto out;
		}
	}
	*nsan = gens ? sk_GENERAL_NAME_num(gens) : 0;
out:
	ERR_clear_error();
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return f;
}

enum scep_failinfo
issue_check(const struct template *t, X509_REQ *csr, char *reason,
    size_t rlen)
{
	return issue_check_sans_vouched(t, csr, 0, reason, rlen);
}

enum scep_failinfo
issue_check_sans_vouched(const struct template *t, X509_REQ *csr,
    int sid_ok, char *reason, size_t rlen)
{
	EVP_PKEY		*pk = X509_REQ_get0_pubkey(csr);
	enum scep_failinfo	 f;
	int			 nsan;

	if (pk == NULL) {
		snprintf(reason, rlen, "CSR public key cannot be parsed");
		return FAIL_BADREQUEST;
	}
	if (X509_REQ_verify(csr, pk) != 1) {
		log_openssl_reason(reason, rlen, "CSR self-signature invalid");
		return FAIL_BADMESSAGECHECK;
	}
	if ((f = check_key(t, pk, reason, rlen)) != FAIL_NONE)
		return f;
	if ((f = check_sans(t, csr, sid_ok, &nsan, reason, rlen)) != FAIL_NONE)
		return f;
	/* What the certificate will carry: without "Supply in the request"
	 * only the common names are kept. */
	if ((t->subject_from_request ?
	    X509_NAME_entry_count(X509_REQ_get_subject_name(csr)) :
	    X509_NAME_get_index_by_NID(X509_REQ_get_subject_name(csr),
	    NID_commonName, -1) + 1) == 0 && nsan == 0) {
		snprintf(reason, rlen, "CSR has neither a subject nor a SAN");
		return FAIL_BADREQUEST;
	}
	return FAIL_NONE;
}

/* Days the requester asked for in enrollment name-value pairs, or 0. */
static int
requested_days(X509_REQ *csr)
{
	static const struct { const char *unit; int days; } units[] = {
		{ "Hours", 0 }, { "Days", 1 }, { "Weeks", 7 },
		{ "Months", 30 }, { "Years", 365 },
	};
	/* Made once per process, like the SCEP attribute OIDs. */
	static ASN1_OBJECT *oid;
	X509_ATTRIBUTE	*attr;
	int		 idx = -1, i, j, factor = 0;
	long		 count = 0;

	if (oid == NULL)
		oid = OBJ_txt2obj("1.3.6.1.4.1.311.13.2.1", 1);
	while (oid != NULL &&
	    (idx = X509_REQ_get_attr_by_OBJ(csr, oid, idx)) >= 0) {
		attr = X509_REQ_get_attr(csr, idx);
		for (i = 0; i < X509_ATTRIBUTE_count(attr); i++) {
			ASN1_TYPE *v = X509_ATTRIBUTE_get0_type(attr, i);
			const unsigned char *p;
			NAME_VALUE_PAIR *nv;
			unsigned char *name = NULL, *val = NULL;

			if (v == NULL || v->type != V_ASN1_SEQUENCE)
				continue;
			p = v->value.sequence->data;
			nv = d2i_NAME_VALUE_PAIR(NULL, &p,
			    v->value.sequence->length);
			if (nv != NULL &&
			    ASN1_STRING_to_UTF8(&name, nv->name) >= 0 &&
			    ASN1_STRING_to_UTF8(&val, nv->value) >= 0) {
				if (!strcasecmp((char *)name, "ValidityPeriod"))
					for (j = 0; j < 5; j++)
						if (!strcasecmp((char *)val,
						    units[j].unit))
							factor = units[j].days;
				if (!strcasecmp((char *)name,
				    "ValidityPeriodUnits"))
					count = strtol((char *)val, NULL, 10);
			}
			OPENSSL_free(name);
			OPENSSL_free(val);
			NAME_VALUE_PAIR_free(nv);
		}
	}
	ERR_clear_error();
	if (count <= 0 || count > 100000 || factor <= 0)
		return 0;
	return (int)(count * factor);
}

/*
 * Back-dated like AD CS's ClockSkewMinutes, for devices' clocks, but
 * never before the CA's notBefore nor after its notAfter: a certificate
 * never outlives or predates its issuer.
 */
static int
set_validity(const struct config *cfg, const struct template *t,
    const struct ra *ra, X509_REQ *csr, X509 *x)
{
	int	 days = t->validity_days, asked;
	time_t	 now = time(NULL);

	if (t->allow_requester_validity && (asked = requested_days(csr)) > 0)
		days = asked < t->max_validity_days ? asked :
		    t->max_validity_days;
	if (X509_time_adj_ex(X509_getm_notBefore(x), 0,
	    -60L * cfg->backdate_minutes, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &now) == NULL)
		return -1;
	return cert_clamp_validity(x, ra->ca);
}

static int
add_ext_conf(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION	*ext;
	int		 rc;

	if ((ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value)) == NULL)
		return -1;
	rc = X509_add_ext(x, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return rc;
}

/* The CSR's names, re-encoded: issue_check proved the two equal. */
static int
copy_san(X509 *x, X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION) *exts = csr_exts(csr);
	GENERAL_NAMES	*gens = NULL;
	int		 rc = 0;

	if (exts != NULL &&
	    (gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL)))
		/* RFC 5280 §4.2.1.6: critical when the subject is empty. */
		rc = X509_add1_ext_i2d(x, NID_subject_alt_name, gens,
		    X509_NAME_entry_count(X509_get_subject_name(x)) == 0,
		    X509V3_ADD_REPLACE) == 1 ? 0 : -1;
	ERR_clear_error();
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/*
 * KB5014754 strong mapping: szOID_NTDS_CA_SECURITY_EXT, non-critical,
 * GeneralNames { otherName { 1.3.6.1.4.1.311.25.2.1, [0] OCTET STRING
 * "S-1-5-..." } } with the SID as text (MS-WCCE 2.2.2.7.7.4).
 */
X509_EXTENSION *
issue_sid_ext(const char *sid)
{
	GENERAL_NAMES		*gns = sk_GENERAL_NAME_new_null();
	GENERAL_NAME		*gn = GENERAL_NAME_new();
	ASN1_OBJECT		*type = OBJ_txt2obj(SID_NAME_OID, 1);
	ASN1_OBJECT		*ext_oid = OBJ_txt2obj(SID_EXT_OID, 1);
	ASN1_OCTET_STRING	*text = ASN1_OCTET_STRING_new(), *val = NULL;
	ASN1_TYPE		*any = ASN1_TYPE_new();
	X509_EXTENSION		*ext = NULL;
	unsigned char		*der = NULL;
	int			 len;

	if (gns == NULL || gn == NULL || type == NULL || ext_oid == NULL ||
	    text == NULL || any == NULL ||
	    !ASN1_OCTET_STRING_set(text, (const unsigned char *)sid, -1))
		goto out;
	ASN1_TYPE_set(any, V_ASN1_OCTET_STRING, text);
	text = NULL;
	if (!GENERAL_NAME_set0_othername(gn, type, any))
		goto out;
	type = NULL;
	any = NULL;
	if (!sk_GENERAL_NAME_push(gns, gn))
		goto out;
	gn = NULL;
	if ((len = i2d_GENERAL_NAMES(gns, &der)) > 0 &&
	    (val = ASN1_OCTET_STRING_new()) != NULL &&
	    ASN1_OCTET_STRING_set(val, der, len))
		ext = X509_EXTENSION_create_by_OBJ(NULL, ext_oid, 0, val);
out:
	ASN1_OCTET_STRING_free(val);
	OPENSSL_free(der);
	ASN1_TYPE_free(any);
	ASN1_OCTET_STRING_free(text);
	ASN1_OBJECT_free(type);
	ASN1_OBJECT_free(ext_oid);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gns);
	return ext;
}

static int
add_sid_ext(X509 *x, const char *sid)
{
	X509_EXTENSION	*ext = issue_sid_ext(sid);
	int		 rc = ext != NULL && X509_add_ext(x, ext, -1) == 1 ? 0 : -1;

	X509_EXTENSION_free(ext);
	return rc;
}

/* 1 when the certificate's SANs hold a strong-mapping SID URI. */
static int
has_sid_uri(X509 *x)
{
	GENERAL_NAMES	*g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	int		 i, found = 0;

	for (i = 0; g != NULL && i < sk_GENERAL_NAME_num(g); i++)
		found |= issue_is_sid_uri(sk_GENERAL_NAME_value(g, i));
	GENERAL_NAMES_free(g);
	ERR_clear_error();
	return found;
}

/* The SAN URI a KDC also accepts for strong mapping (MS-PKCA). */
static int
add_sid_uri(X509 *x, const char *sid)
{
	GENERAL_NAMES	*gns;
	GENERAL_NAME	*gn = GENERAL_NAME_new();
	ASN1_IA5STRING	*uri = ASN1_IA5STRING_new();
	char		 text[256];
	int		 crit = 0, idx = -1, rc = -1;

	snprintf(text, sizeof(text), SID_URI_PREFIX "%s", sid);
	gns = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, &idx);
	if (gns == NULL)
		gns = sk_GENERAL_NAME_new_null();
	if (gns == NULL || gn == NULL || uri == NULL ||
	    !ASN1_STRING_set(uri, text, -1))
		goto out;
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	uri = NULL;
	if (!sk_GENERAL_NAME_push(gns, gn))
		goto out;
	gn = NULL;
	rc = X509_add1_ext_i2d(x, NID_subject_alt_name, gns, crit > 0,
	    X509V3_ADD_REPLACE) == 1 ? 0 : -1;
out:
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gns);
	return rc;
}

static int
add_extensions(const struct template *t, const struct ra *ra, X509_REQ *csr,
    const char *sid, X509 *x)
{
	X509V3_CTX	 ctx;

	X509V3_set_ctx(&ctx, ra->ca, x, NULL, NULL, 0);
	if (add_ext_conf(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext_conf(x, &ctx, NID_subject_key_identifier, "hash") ||
	    cert_add_aki(x, ra->ca))
		return -1;
	if (X509_add_ext(x, t->ku, -1) != 1)
		return -1;
	if (t->eku != NULL && X509_add_ext(x, t->eku, -1) != 1)
		return -1;
	/* After a CA switch, the CRL of this CA key (AD CS's "(n)"). */
	if ((t->cdp != NULL && X509_add_ext(x, ra->cdp ? ra->cdp : t->cdp,
	    -1) != 1) ||
	    (t->aia != NULL && X509_add_ext(x, t->aia, -1) != 1))
		return -1;
	if (copy_san(x, csr) != 0)
		return -1;
	if (sid == NULL || *sid == '\0')
		return 0;
	if (add_sid_ext(x, sid) != 0)
		return -1;
	/* The CSR may carry the URI already (Intune's profiles do). */
	return t->sid_url_san && !has_sid_uri(x) ? add_sid_uri(x, sid) : 0;
}

static int
set_subject(const struct template *t, X509_REQ *csr, X509 *x)
{
	const X509_NAME	*req = X509_REQ_get_subject_name(csr);
	X509_NAME	*name = NULL;
	int		 idx = -1, rc = -1;

	if (t->subject_from_request)
		return X509_set_subject_name(x, req) == 1 ? 0 : -1;
	/* Without "Supply in the request" keep only the common name(s). */
	if ((name = X509_NAME_new()) == NULL)
		return -1;
	while ((idx = X509_NAME_get_index_by_NID(req, NID_commonName,
	    idx)) >= 0)
		if (X509_NAME_add_entry(name, X509_NAME_get_entry(req, idx),
		    -1, 0) != 1)
			goto out;
	rc = X509_set_subject_name(x, name) == 1 ? 0 : -1;
out:
	X509_NAME_free(name);
	return rc;
}

/*
 * The certificate carries the CSR's SubjectPublicKeyInfo as the requester
 * signed it (the key was parsed and checked with the CSR, issue_check).
 * X509_set_pubkey() would encode the parsed key again and parse that back
 * through OpenSSL 3.0's decoder lookup: 9% of a PKCSReq's CPU time (make
 * bench, perf). The X509 made here therefore has no parsed key
 * (X509_get0_pubkey() is NULL); nothing needs it, its DER is complete.
 */
static int
copy_pubkey(X509_REQ *csr, X509 *x)
{
	X509_PUBKEY		*from = X509_REQ_get_X509_PUBKEY(csr);
	X509_PUBKEY		*to = X509_get_X509_PUBKEY(x);
	ASN1_BIT_STRING		*tobits = X509_get0_pubkey_bitstr(x);
	X509_ALGOR		*falg, *talg;
	const unsigned char	*bits;
	int			 len;

	if (from == NULL || to == NULL || tobits == NULL ||
	    X509_PUBKEY_get0_param(NULL, &bits, &len, &falg, from) != 1 ||
	    X509_PUBKEY_get0_param(NULL, NULL, NULL, &talg, to) != 1 ||
	    len <= 0 || X509_ALGOR_copy(talg, falg) != 1 ||
	    ASN1_BIT_STRING_set(tobits, (unsigned char *)bits, len) != 1)
		return -1;
	/* Every bit of the last byte is key. Said explicitly: a BIT STRING
	 * without the flag is encoded without its trailing zero bits. */
	tobits->flags = (tobits->flags & ~0x07L) | ASN1_STRING_FLAG_BITS_LEFT;
	return 0;
}

int
issue_sign(const struct config *cfg, const struct template *t,
    const struct ra *ra, X509_REQ *csr, X509 **out, char *reason, size_t rlen)
{
	return issue_sign_ex(cfg, t, ra, csr, NULL, out, reason, rlen);
}

int
issue_build(const struct config *cfg, const struct template *t,
    const struct ra *ra, X509_REQ *csr, const struct issue_extras *ex,
    X509 **out, char *reason, size_t rlen)
{
	const char	*sid = ex != NULL ? ex->sid : NULL;
	X509		*x = NULL;

	*out = NULL;
	if (ra_check_validity(ra, (int64_t)time(NULL), 0, reason, rlen) < 0)
		return -1;
	if ((x = X509_new()) == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    cert_new_serial(x) != 0 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ra->ca)) != 1 ||
	    (ex != NULL && ex->subject != NULL ?
	    X509_set_subject_name(x, ex->subject) != 1 :
	    set_subject(t, csr, x) != 0) ||
	    copy_pubkey(csr, x) != 0 ||
	    set_validity(cfg, t, ra, csr, x) != 0 ||
	    add_extensions(t, ra, csr, sid, x) != 0) {
		log_openssl_reason(reason, rlen, "cannot build certificate");
		goto fail;
	}
	/* What is about to be signed, not only what was asked for. */
	if (lint_cert(t, x, X509_REQ_get0_pubkey(csr), ra->ca, reason,
	    rlen) != 0) {
		X509_free(x);
		return ISSUE_REFUSED;
	}
	*out = x;
	return 0;
fail:
	X509_free(x);
	return -1;
}

int
issue_sign_ex(const struct config *cfg, const struct template *t,
    const struct ra *ra, X509_REQ *csr, const struct issue_extras *ex,
    X509 **out, char *reason, size_t rlen)
{
	const EVP_MD	*md = EVP_get_digestbyname(cfg->hash);
	X509		*x = NULL;
	int		 rc;

	*out = NULL;
	if ((rc = issue_build(cfg, t, ra, csr, ex, &x, reason, rlen)) != 0)
		return rc;
	if (md == NULL || keyop_sign_cert(ra->ca_op, &x, md) <= 0) {
		log_openssl_reason(reason, rlen, "cannot sign certificate");
		X509_free(x);
		return -1;
	}
	*out = x;
	return 0;
}

/* A SAN value as text: ',' and '\' escaped, controls as \xHH. */
static void
put_escaped(BIO *b, const unsigned char *s, int len)
{
	int	 i;

	for (i = 0; i < len; i++) {
		if (s[i] == ',' || s[i] == '\\')
			BIO_printf(b, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			BIO_printf(b, "\\x%02X", s[i]);
		else
			BIO_write(b, s + i, 1);
	}
}

static void
put_ip(BIO *b, const ASN1_OCTET_STRING *ip)
{
	const unsigned char *d = ASN1_STRING_get0_data(ip);
	char		 text[INET6_ADDRSTRLEN];
	int		 len = ASN1_STRING_length(ip), i;

	if ((len == 4 || len == 16) && inet_ntop(len == 4 ? AF_INET :
	    AF_INET6, d, text, sizeof(text)) != NULL) {
		BIO_printf(b, "ip:%s", text);
		return;
	}
	BIO_puts(b, "ip:#");
	for (i = 0; i < len; i++)
		BIO_printf(b, "%02X", d[i]);
}

/* upn:text, or othername:OID:#DER-in-hex for any other type. */
static void
put_othername(BIO *b, const OTHERNAME *on)
{
	unsigned char	*der = NULL;
	char		 oid[128];
	int		 len, i;

	if (OBJ_obj2nid(on->type_id) == NID_ms_upn && on->value != NULL &&
	    on->value->type == V_ASN1_UTF8STRING) {
		BIO_puts(b, "upn:");
		put_escaped(b, ASN1_STRING_get0_data(on->value->value.utf8string),
		    ASN1_STRING_length(on->value->value.utf8string));
		return;
	}
	OBJ_obj2txt(oid, sizeof(oid), on->type_id, 1);
	BIO_printf(b, "othername:%s:#", oid);
	if ((len = i2d_ASN1_TYPE(on->value, &der)) > 0)
		for (i = 0; i < len; i++)
			BIO_printf(b, "%02X", der[i]);
	OPENSSL_free(der);
}

static void
put_name(BIO *b, const GENERAL_NAME *gn)
{
	const char	*kind = gn->type == GEN_DNS ? "dns:" :
			    gn->type == GEN_EMAIL ? "email:" :
			    gn->type == GEN_URI ? "uri:" : NULL;
	char		 oid[128];

	if (kind != NULL) {
		BIO_puts(b, kind);
		put_escaped(b, ASN1_STRING_get0_data(gn->d.ia5),
		    ASN1_STRING_length(gn->d.ia5));
	} else if (gn->type == GEN_IPADD)
		put_ip(b, gn->d.ip);
	else if (gn->type == GEN_OTHERNAME)
		put_othername(b, gn->d.otherName);
	else if (gn->type == GEN_DIRNAME) {
		BIO_puts(b, "dirname:");
		X509_NAME_print_ex(b, gn->d.dirn, 0, ISSUE_DN_FLAGS);
	} else if (gn->type == GEN_RID) {
		OBJ_obj2txt(oid, sizeof(oid), gn->d.rid, 1);
		BIO_printf(b, "rid:%s", oid);
	} else
		BIO_printf(b, "type%d:?", gn->type);
}

/* The BIO's text as a heap string (free()), NULL when out of memory. */
static char *
bio_text(BIO *b)
{
	char	*p, *s;
	long	 len = BIO_get_mem_data(b, &p);

	if (len < 0 || (s = malloc((size_t)len + 1)) == NULL)
		return NULL;
	if (len > 0)	/* an empty memory BIO has no data pointer */
		memcpy(s, p, (size_t)len);
	s[len] = '\0';
	return s;
}

static int
describe(const X509_NAME *name, GENERAL_NAMES *gens, char **subject,
    char **sans)
{
	BIO	*sb = BIO_new(BIO_s_mem()), *ab = BIO_new(BIO_s_mem());
	int	 i, rc = -1;

	*subject = *sans = NULL;
	if (sb == NULL || ab == NULL ||
	    X509_NAME_print_ex(sb, name, 0, ISSUE_DN_FLAGS) < 0)
		goto out;
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		if (i > 0)
			BIO_puts(ab, ",");
		put_name(ab, sk_GENERAL_NAME_value(gens, i));
	}
	if ((*subject = bio_text(sb)) == NULL || (*sans = bio_text(ab)) ==
	    NULL) {
		free(*subject);
		*subject = NULL;
		goto out;
	}
	rc = 0;
out:
	BIO_free(sb);
	BIO_free(ab);
	ERR_clear_error();
	return rc;
}

int
issue_describe(X509 *x, char **subject, char **sans)
{
	GENERAL_NAMES	*gens;
	int		 rc;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	rc = describe(X509_get_subject_name(x), gens, subject, sans);
	GENERAL_NAMES_free(gens);
	return rc;
}

int
issue_describe_req(X509_REQ *req, char **subject, char **sans)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES	*gens = NULL;
	int		 rc;

	if (exts != NULL)
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	rc = describe(X509_REQ_get_subject_name(req), gens, subject, sans);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* Names a renewal must keep, without the SID URI only a policy adds. */
static GENERAL_NAMES *
names_without_sid(GENERAL_NAMES *all)
{
	GENERAL_NAMES	*out = sk_GENERAL_NAME_new_null();
	int		 i;

	for (i = 0; out != NULL && all != NULL &&
	    i < sk_GENERAL_NAME_num(all); i++)
		if (!issue_is_sid_uri(sk_GENERAL_NAME_value(all, i)) &&
		    !sk_GENERAL_NAME_push(out, sk_GENERAL_NAME_value(all, i))) {
			sk_GENERAL_NAME_free(out);
			return NULL;
		}
	return out;
}

static int
contains(GENERAL_NAMES *set, const GENERAL_NAME *g)
{
	int	 i;

	for (i = 0; i < sk_GENERAL_NAME_num(set); i++)
		if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(set, i),
		    (GENERAL_NAME *)g) == 0)
			return 1;
	return 0;
}

int
issue_same_sans(X509 *old, X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);
	GENERAL_NAMES	*a = NULL, *b = NULL, *olds = NULL, *news = NULL;
	int		 i, same = 0;

	olds = X509_get_ext_d2i(old, NID_subject_alt_name, NULL, NULL);
	if (exts != NULL)
		news = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	if ((a = names_without_sid(olds)) == NULL ||
	    (b = names_without_sid(news)) == NULL ||
	    sk_GENERAL_NAME_num(a) != sk_GENERAL_NAME_num(b))
		goto out;
	for (i = 0; i < sk_GENERAL_NAME_num(a); i++)
		if (!contains(b, sk_GENERAL_NAME_value(a, i)) ||
		    !contains(a, sk_GENERAL_NAME_value(b, i)))
			goto out;
	same = 1;
out:
	sk_GENERAL_NAME_free(a);	/* the names belong to olds, news */
	sk_GENERAL_NAME_free(b);
	GENERAL_NAMES_free(olds);
	GENERAL_NAMES_free(news);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return same;
}

int
issue_sid_of(X509 *x, char *out, size_t len)
{
	ASN1_OBJECT		*ext_oid = OBJ_txt2obj(SID_EXT_OID, 1);
	ASN1_OBJECT		*type = OBJ_txt2obj(SID_NAME_OID, 1);
	const ASN1_OCTET_STRING	*val;
	const unsigned char	*p;
	GENERAL_NAMES		*gns = NULL;
	GENERAL_NAME		*g;
	int			 i, rc = -1;

	*out = '\0';
	if (ext_oid == NULL || type == NULL)
		goto out;
	if ((i = X509_get_ext_by_OBJ(x, ext_oid, -1)) < 0) {
		rc = 0;
		goto out;
	}
	val = X509_EXTENSION_get_data(X509_get_ext(x, i));
	p = ASN1_STRING_get0_data(val);
	if ((gns = d2i_GENERAL_NAMES(NULL, &p, ASN1_STRING_length(val))) ==
	    NULL)
		goto out;
	for (i = 0; i < sk_GENERAL_NAME_num(gns); i++) {
		g = sk_GENERAL_NAME_value(gns, i);
		if (g->type != GEN_OTHERNAME ||
		    OBJ_cmp(g->d.otherName->type_id, type) != 0 ||
		    g->d.otherName->value->type != V_ASN1_OCTET_STRING ||
		    g->d.otherName->value->value.octet_string->length >=
		    (int)len)
			continue;
		memcpy(out, g->d.otherName->value->value.octet_string->data,
		    (size_t)g->d.otherName->value->value.octet_string->length);
		out[g->d.otherName->value->value.octet_string->length] = '\0';
		rc = 0;
		break;
	}
out:
	GENERAL_NAMES_free(gns);
	ASN1_OBJECT_free(ext_oid);
	ASN1_OBJECT_free(type);
	return rc;
}
