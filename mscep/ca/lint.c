/* lint.c - what is about to be signed, checked rule by rule (lint.h). */
#include "ca/lint.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* X.520 / RFC 5280 Appendix A upper bounds, in characters. */
static const struct { int nid; int max; } bounds[] = {
	{ NID_commonName, 64 }, { NID_organizationName, 64 },
	{ NID_organizationalUnitName, 64 }, { NID_localityName, 128 },
	{ NID_stateOrProvinceName, 128 }, { NID_serialNumber, 64 },
	{ NID_pkcs9_emailAddress, 255 }, { NID_title, 64 },
	{ NID_pseudonym, 128 }, { NID_domainComponent, 63 },
	{ NID_postalCode, 40 }, { NID_streetAddress, 128 },
	{ NID_givenName, 64 }, { NID_surname, 64 }, { NID_initials, 64 },
	{ NID_userId, 64 }, { NID_dnQualifier, 64 },
};
#define OTHER_ATTR_MAX	256

/* Up to 48 printable ASCII characters of s, others as '?'. */
static const char *
shown(char *out, size_t olen, const unsigned char *s, int len)
{
	size_t	 i, n = len < 0 ? 0 : (size_t)len;

	if (n > olen - 1)
		n = olen - 1;
	for (i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[n] = '\0';
	return out;
}

/* 1 when UTF-8 text of len bytes has a C0 or C1 control or DEL. */
static int
has_control(const unsigned char *s, int len)
{
	int	 i;

	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f ||
		    (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 &&
		    s[i + 1] <= 0x9f))
			return 1;
	return 0;
}

static int
utf8_chars(const unsigned char *s, int len)
{
	int	 i, n = 0;

	for (i = 0; i < len; i++)
		n += (s[i] & 0xc0) != 0x80;
	return n;
}

static int
attr_max(int nid)
{
	size_t	 i;

	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		if (bounds[i].nid == nid)
			return bounds[i].max;
	return OTHER_ATTR_MAX;
}

static int
lint_country(const ASN1_STRING *s, char *reason, size_t rlen)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);

	if (ASN1_STRING_type(s) != V_ASN1_PRINTABLESTRING ||
	    ASN1_STRING_length(s) != 2 ||
	    !((d[0] | 0x20) >= 'a' && (d[0] | 0x20) <= 'z') ||
	    !((d[1] | 0x20) >= 'a' && (d[1] | 0x20) <= 'z')) {
		snprintf(reason, rlen, "lint: C is not two letters in a "
		    "PrintableString");
		return -1;
	}
	return 0;
}

static int
lint_entry(const X509_NAME_ENTRY *e, char *reason, size_t rlen)
{
	const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
	ASN1_STRING	*s = X509_NAME_ENTRY_get_data(e);
	unsigned char	*u = NULL;
	char		 name[80];
	int		 nid = OBJ_obj2nid(obj), len, rc = -1;

	if (nid != NID_undef)
		snprintf(name, sizeof(name), "%s", OBJ_nid2sn(nid));
	else
		OBJ_obj2txt(name, sizeof(name), obj, 1);
	if (nid == NID_countryName)
		return lint_country(s, reason, rlen);
	if ((len = ASN1_STRING_to_UTF8(&u, s)) < 0)
		snprintf(reason, rlen, "lint: %s is not valid text", name);
	else if (has_control(u, len) || memchr(u, 0, (size_t)len) != NULL)
		snprintf(reason, rlen, "lint: %s contains a NUL or control "
		    "character", name);
	else if (utf8_chars(u, len) > attr_max(nid))
		snprintf(reason, rlen, "lint: %s longer than %d characters",
		    name, attr_max(nid));
	else
		rc = 0;
	OPENSSL_free(u);
	ERR_clear_error();
	return rc;
}

int
lint_subject(const X509_NAME *name, char *reason, size_t rlen)
{
	const unsigned char *der = NULL;
	size_t		 derlen = 0;
	int		 i, n = X509_NAME_entry_count(name), rdns = 0;

	if (X509_NAME_get0_der((X509_NAME *)name, &der, &derlen) != 1) {
		snprintf(reason, rlen, "lint: subject cannot be encoded");
		return -1;
	}
	if (derlen > LINT_MAX_SUBJECT_DER) {
		snprintf(reason, rlen, "lint: subject of %zu bytes, more than "
		    "%d", derlen, LINT_MAX_SUBJECT_DER);
		return -1;
	}
	if (n > 0)
		rdns = X509_NAME_ENTRY_set(X509_NAME_get_entry(name,
		    n - 1)) + 1;
	if (rdns > LINT_MAX_RDNS) {
		snprintf(reason, rlen, "lint: subject has %d RDNs, more than "
		    "%d", rdns, LINT_MAX_RDNS);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (lint_entry(X509_NAME_get_entry(name, i), reason, rlen) != 0)
			return -1;
	return 0;
}

static int
ldh_label(const unsigned char *s, int len)
{
	int	 i;

	if (len < 1 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return 0;
	return 1;
}

/* RFC 5280 4.2.1.6 / RFC 1034 preferred syntax; a wildcard "*" only as the
 * whole leftmost label, followed by at least two labels. */
static int
lint_dns(const struct template *t, const unsigned char *s, int len,
    char *reason, size_t rlen)
{
	char	 show[52];
	int	 start = 0, i, labels = 0, wild = 0;

	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		wild = 1;
		start = 2;
	}
	for (i = start; len <= 253 && i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!ldh_label(s + start, i - start))
			break;
		labels++;
		start = i + 1;
	}
	shown(show, sizeof(show), s, len);
	if (len > 253 || i <= len || labels == 0) {
		snprintf(reason, rlen, "lint: DNS name '%s' is not in LDH "
		    "syntax", show);
		return -1;
	}
	if (wild && (!t->allow_wildcard || labels < 2)) {
		snprintf(reason, rlen, "lint: DNS name '%s': %s", show,
		    labels < 2 ? "wildcard over fewer than two labels" :
		    "template does not allow wildcards (AllowWildcard)");
		return -1;
	}
	return 0;
}

/* user@domain: a non-empty user without controls or spaces, an LDH domain. */
static int
user_at_domain(const unsigned char *s, int len, int ascii)
{
	const unsigned char *at = NULL;
	int	 i, labels = 0, start;

	for (i = 0; i < len; i++)
		if (s[i] == '@')
			at = s + i;
	if (at == NULL || at == s || has_control(s, len) ||
	    memchr(s, ' ', (size_t)len) != NULL)
		return 0;
	for (i = 0; ascii && s + i < at; i++)
		if (s[i] >= 0x7f)
			return 0;
	start = (int)(at - s) + 1;
	for (i = start; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!ldh_label(s + start, i - start))
			return 0;
		labels++;
		start = i + 1;
	}
	return labels > 0;
}

static int
lint_uri(const unsigned char *s, int len, char *reason, size_t rlen)
{
	char	 show[52];
	int	 i;

	for (i = 0; i < len && s[i] != ':'; i++)
		if (!((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') &&
		    !(i > 0 && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
		    s[i] == '-' || s[i] == '.')))
			break;
	if (i == 0 || i >= len || s[i] != ':' || has_control(s, len) ||
	    memchr(s, ' ', (size_t)len) != NULL) {
		snprintf(reason, rlen, "lint: URI '%s' is not an absolute "
		    "URI without controls", shown(show, sizeof(show), s, len));
		return -1;
	}
	return 0;
}

static int
lint_othername(const OTHERNAME *on, char *reason, size_t rlen)
{
	const ASN1_STRING *v;
	char		 show[52];

	if (OBJ_obj2nid(on->type_id) != NID_ms_upn)
		return 0;	/* by OID; only a policy adds others */
	if (on->value == NULL || on->value->type != V_ASN1_UTF8STRING) {
		snprintf(reason, rlen, "lint: UPN is not a UTF8String");
		return -1;
	}
	v = on->value->value.utf8string;
	if (!user_at_domain(ASN1_STRING_get0_data(v), ASN1_STRING_length(v),
	    0)) {
		snprintf(reason, rlen, "lint: UPN '%s' is not user@domain",
		    shown(show, sizeof(show), ASN1_STRING_get0_data(v),
		    ASN1_STRING_length(v)));
		return -1;
	}
	return 0;
}

static int
lint_name(const struct template *t, const GENERAL_NAME *g, int i,
    char *reason, size_t rlen)
{
	const unsigned char *d;
	char		 show[52];
	int		 len;

	switch (g->type) {
	case GEN_DNS:
		return lint_dns(t, ASN1_STRING_get0_data(g->d.ia5),
		    ASN1_STRING_length(g->d.ia5), reason, rlen);
	case GEN_IPADD:
		if ((len = ASN1_STRING_length(g->d.ip)) == 4 || len == 16)
			return 0;
		snprintf(reason, rlen, "lint: IP address SAN of %d bytes (4 "
		    "or 16)", len);
		return -1;
	case GEN_EMAIL:
		d = ASN1_STRING_get0_data(g->d.ia5);
		len = ASN1_STRING_length(g->d.ia5);
		if (user_at_domain(d, len, 1))
			return 0;
		snprintf(reason, rlen, "lint: email '%s' is not an "
		    "rfc822Name", shown(show, sizeof(show), d, len));
		return -1;
	case GEN_URI:
		return lint_uri(ASN1_STRING_get0_data(g->d.ia5),
		    ASN1_STRING_length(g->d.ia5), reason, rlen);
	case GEN_OTHERNAME:
		return lint_othername(g->d.otherName, reason, rlen);
	}
	snprintf(reason, rlen, "lint: SAN #%d is of a type mscep does not "
	    "issue", i + 1);
	return -1;
}

int
lint_sans(const struct template *t, X509 *x, char *reason, size_t rlen)
{
	GENERAL_NAMES	*gens;
	int		 crit = 0, i, n, rc = -1;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	ERR_clear_error();
	if (gens == NULL) {
		if (crit == -1)
			return 0;
		snprintf(reason, rlen, "lint: subjectAltName is %s", crit == -2 ?
		    "present more than once" : "malformed");
		return -1;
	}
	if ((n = sk_GENERAL_NAME_num(gens)) > LINT_MAX_SANS)
		snprintf(reason, rlen, "lint: %d SANs, more than %d", n,
		    LINT_MAX_SANS);
	else if (n == 0)
		snprintf(reason, rlen, "lint: subjectAltName is empty");
	else {
		for (i = 0; i < n; i++)
			if (lint_name(t, sk_GENERAL_NAME_value(gens, i), i,
			    reason, rlen) != 0)
				break;
		rc = i == n ? 0 : -1;
	}
	GENERAL_NAMES_free(gens);
	return rc;
}

/* The first LINT_SMALL_PRIMES odd primes, 3 to 1993. */
static const unsigned short small_primes[LINT_SMALL_PRIMES] = {
	3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59,
	61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127,
	131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191,
	193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257,
	263, 269, 271, 277, 281, 283, 293, 307, 311, 313, 317, 331,
	337, 347, 349, 353, 359, 367, 373, 379, 383, 389, 397, 401,
	409, 419, 421, 431, 433, 439, 443, 449, 457, 461, 463, 467,
	479, 487, 491, 499, 503, 509, 521, 523, 541, 547, 557, 563,
	569, 571, 577, 587, 593, 599, 601, 607, 613, 617, 619, 631,
	641, 643, 647, 653, 659, 661, 673, 677, 683, 691, 701, 709,
	719, 727, 733, 739, 743, 751, 757, 761, 769, 773, 787, 797,
	809, 811, 821, 823, 827, 829, 839, 853, 857, 859, 863, 877,
	881, 883, 887, 907, 911, 919, 929, 937, 941, 947, 953, 967,
	971, 977, 983, 991, 997, 1009, 1013, 1019, 1021, 1031, 1033,
	1039, 1049, 1051, 1061, 1063, 1069, 1087, 1091, 1093, 1097,
	1103, 1109, 1117, 1123, 1129, 1151, 1153, 1163, 1171, 1181,
	1187, 1193, 1201, 1213, 1217, 1223, 1229, 1231, 1237, 1249,
	1259, 1277, 1279, 1283, 1289, 1291, 1297, 1301, 1303, 1307,
	1319, 1321, 1327, 1361, 1367, 1373, 1381, 1399, 1409, 1423,
	1427, 1429, 1433, 1439, 1447, 1451, 1453, 1459, 1471, 1481,
	1483, 1487, 1489, 1493, 1499, 1511, 1523, 1531, 1543, 1549,
	1553, 1559, 1567, 1571, 1579, 1583, 1597, 1601, 1607, 1609,
	1613, 1619, 1621, 1627, 1637, 1657, 1663, 1667, 1669, 1693,
	1697, 1699, 1709, 1721, 1723, 1733, 1741, 1747, 1753, 1759,
	1777, 1783, 1787, 1789, 1801, 1811, 1823, 1831, 1847, 1861,
	1867, 1871, 1873, 1877, 1879, 1889, 1901, 1907, 1913, 1931,
	1933, 1949, 1951, 1973, 1979, 1987, 1993
};

/*
 * small_primes tried as products that fit a BN_ULONG: one pass over the modulus (BN_mod_word)
 * for each product rather than each prime (48 products on 64-bit words
 * instead of 300 primes). n mod p is then (n mod product) mod p; the
 * smallest factor is the one reported. -1 when BN_mod_word fails (it
 * allocates for divisors past half a word).
 */
static int
small_factor(const BIGNUM *n, unsigned long *factor)
{
	BN_ULONG	 r, prod = 1, group[16], p;
	int		 k, ng = 0, i, last;

	for (k = 0; k < LINT_SMALL_PRIMES; k++) {
		p = small_primes[k];
		group[ng++] = p;
		prod *= p;
		last = k == LINT_SMALL_PRIMES - 1;
		/* Full when the next prime (below 2p, Bertrand) might not
		 * fit. */
		if (!last && ng < (int)(sizeof(group) / sizeof(group[0])) &&
		    prod <= (BN_ULONG)-1 / (2 * p + 4))
			continue;
		if ((r = BN_mod_word(n, prod)) == (BN_ULONG)-1)
			return -1;
		for (i = 0; i < ng; i++)
			if (r % group[i] == 0 &&
			    BN_cmp(n, BN_value_one()) > 0) {
				*factor = (unsigned long)group[i];
				return 1;
			}
		ng = 0;
		prod = 1;
	}
	return 0;
}

static int
lint_rsa(const struct template *t, EVP_PKEY *pk, char *reason, size_t rlen)
{
	BIGNUM		*n = NULL, *e = NULL;
	unsigned long	 f = 0;
	int		 bits = EVP_PKEY_get_bits(pk), rc = -1, sf = 0;

	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
		snprintf(reason, rlen, "lint: RSA key cannot be read");
	else if (bits < t->min_rsa_bits || bits > 16384)
		snprintf(reason, rlen, "lint: RSA key of %d bits outside "
		    "template %s's %d to 16384", bits, t->name,
		    t->min_rsa_bits);
	else if (!BN_is_odd(e))
		snprintf(reason, rlen, "lint: RSA public exponent is even");
	else if (BN_get_word(e) < 65537)
		snprintf(reason, rlen, "lint: RSA public exponent below 65537");
	else if (BN_num_bits(e) > 256)
		/* BN_get_word says ULONG_MAX for any larger one. */
		snprintf(reason, rlen, "lint: RSA public exponent above "
		    "2^256-1");
	else if (!BN_is_odd(n))
		snprintf(reason, rlen, "lint: RSA modulus has a small factor 2");
	else if ((sf = small_factor(n, &f)) < 0)
		snprintf(reason, rlen, "lint: RSA modulus cannot be checked "
		    "for small factors");
	else if (sf > 0)
		snprintf(reason, rlen, "lint: RSA modulus has a small factor "
		    "%lu", f);
	else
		rc = 0;
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	return rc;
}

/* Named P-256/P-384/P-521 only (RFC 5480 2.1.1: no explicit or implicit
 * parameters), the point on the curve. */
static int
lint_ec(X509_PUBKEY *pub, EVP_PKEY *pk, char *reason, size_t rlen)
{
	X509_ALGOR	*alg = NULL;
	const void	*pval = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	int		 ptype = V_ASN1_UNDEF, nid, rc = -1;

	if (X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, pub) == 1)
		X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	if (ptype != V_ASN1_OBJECT) {
		snprintf(reason, rlen, "lint: EC key without a named curve "
		    "(explicit parameters)");
		goto out;
	}
	nid = OBJ_obj2nid(pval);
	if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 &&
	    nid != NID_secp521r1) {
		snprintf(reason, rlen, "lint: EC curve %s not allowed (P-256, "
		    "P-384, P-521)", nid != NID_undef ? OBJ_nid2sn(nid) : "?");
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    EVP_PKEY_public_check(ctx) != 1) {
		snprintf(reason, rlen, "lint: EC point is not on the curve");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

int
lint_key(const struct template *t, X509_PUBKEY *pub, EVP_PKEY *pk,
    char *reason, size_t rlen)
{
	if (pub == NULL || pk == NULL) {
		snprintf(reason, rlen, "lint: public key cannot be parsed");
		return -1;
	}
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA &&
	    (t->key_types & KEYTYPE_RSA))
		return lint_rsa(t, pk, reason, rlen);
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
	    (t->key_types & KEYTYPE_EC))
		return lint_ec(pub, pk, reason, rlen);
	snprintf(reason, rlen, "lint: key type not allowed by template %s",
	    t->name);
	return -1;
}

/* RFC 5280 4.1.2.2: positive, at most 20 octets. */
int
lint_serial(const ASN1_INTEGER *s, char *reason, size_t rlen)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int		 len = ASN1_STRING_length(s), i;

	for (i = 0; i < len && d[i] == 0; i++)
		;
	if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER || i == len) {
		snprintf(reason, rlen, "lint: serial number is not positive");
		return -1;
	}
	/* The DER content adds a zero octet when the top bit is set. */
	if (len - i + ((d[i] & 0x80) != 0) > 20) {
		snprintf(reason, rlen, "lint: serial number longer than 20 "
		    "octets");
		return -1;
	}
	return 0;
}

int
lint_times(const ASN1_TIME *this_upd, const ASN1_TIME *next_upd,
    X509 *signer, const char *what, char *reason, size_t rlen)
{
	if (this_upd == NULL || ASN1_TIME_check(this_upd) != 1 ||
	    (next_upd != NULL && ASN1_TIME_check(next_upd) != 1))
		snprintf(reason, rlen, "lint: %s times are malformed", what);
	else if (next_upd != NULL && ASN1_TIME_compare(this_upd, next_upd) > 0)
		snprintf(reason, rlen, "lint: %s ends before it starts", what);
	else if (ASN1_TIME_compare(this_upd, X509_get0_notBefore(signer)) < 0
	    || ASN1_TIME_compare(this_upd, X509_get0_notAfter(signer)) > 0)
		snprintf(reason, rlen, "lint: %s dated outside its signer's "
		    "validity", what);
	else
		return 0;
	return -1;
}

int
lint_crl(X509_CRL *crl, X509 *ca, char *reason, size_t rlen)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	ASN1_INTEGER	*num;
	int		 i, crit = 0, rc;

	if (lint_times(X509_CRL_get0_lastUpdate(crl),
	    X509_CRL_get0_nextUpdate(crl), ca, "CRL", reason, rlen) != 0)
		return -1;
	if ((num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit,
	    NULL)) != NULL) {
		rc = lint_serial(num, reason, rlen);
		ASN1_INTEGER_free(num);
		if (rc != 0) {
			snprintf(reason, rlen, "lint: CRL number is not "
			    "positive or longer than 20 octets");
			return -1;
		}
	}
	for (i = 0; i < sk_X509_REVOKED_num(revs); i++)
		if (lint_serial(X509_REVOKED_get0_serialNumber(
		    sk_X509_REVOKED_value(revs, i)), reason, rlen) != 0)
			return -1;
	return 0;
}

int
lint_time_ok(const ASN1_TIME *t)
{
	const unsigned char	*d = ASN1_STRING_get0_data(t);
	int			 i, n = ASN1_STRING_length(t), type;

	type = ASN1_STRING_type(t);
	if (ASN1_TIME_check(t) != 1 || !((type == V_ASN1_UTCTIME &&
	    n == 13) || (type == V_ASN1_GENERALIZEDTIME && n == 15 &&
	    memcmp(d, "2050", 4) >= 0)) || d[n - 1] != 'Z')
		return 0;
	for (i = 0; i < n - 1; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	return 1;
}

static int
lint_validity(X509 *x, X509 *ca, char *reason, size_t rlen)
{
	if (!lint_time_ok(X509_get0_notBefore(x)) ||
	    !lint_time_ok(X509_get0_notAfter(x)))
		snprintf(reason, rlen, "lint: validity is malformed or not in "
		    "RFC 5280's form");
	else if (ASN1_TIME_compare(X509_get0_notBefore(x),
	    X509_get0_notAfter(x)) > 0)
		snprintf(reason, rlen, "lint: notBefore is after notAfter");
	else if (ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(ca)) > 0)
		snprintf(reason, rlen, "lint: notAfter is after the CA's "
		    "notAfter");
	else
		return 0;
	return -1;
}

/* A certificate named as its CA would look like it to a verifier that
 * builds paths by name. */
static int
lint_not_ca_name(X509 *x, X509 *ca, char *reason, size_t rlen)
{
	if (X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_subject_name(ca)) != 0)
		return 0;
	snprintf(reason, rlen, "lint: subject is the CA's");
	return -1;
}

int
lint_cert(const struct template *t, X509 *x, EVP_PKEY *key, X509 *ca,
    char *reason, size_t rlen)
{
	if (lint_serial(X509_get0_serialNumber(x), reason, rlen) != 0 ||
	    lint_validity(x, ca, reason, rlen) != 0 ||
	    lint_subject(X509_get_subject_name(x), reason, rlen) != 0 ||
	    lint_not_ca_name(x, ca, reason, rlen) != 0 ||
	    lint_sans(t, x, reason, rlen) != 0 ||
	    lint_key(t, X509_get_X509_PUBKEY(x), key, reason, rlen) != 0)
		return -1;
	return 0;
}
