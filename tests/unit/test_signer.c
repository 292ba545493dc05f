/* test_signer.c - the signer's frames (mscep/ca/sigwire.c) with hostile
 * lengths, its refusals (mscep/signer/sigcheck.c), and a certificate,
 * CertReps and OCSP answers (the previous CA's too) signed through
 * keyops_remote.c by a signer in a child process. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/issue.h"
#include "ca/keyops.h"
#include "ca/ocsp_signer.h"
#include "ca/rollover.h"
#include "ca/sigwire.h"
#include "ca/template.h"
#include "scep/certrep.h"
#include "scep/message.h"
#include "scep/scep_attr.h"
#include "signer/ledger.h"
#include "signer/sigcheck.h"
#include "signer/signer.h"
#include "util/cert.h"
#include "fixture.h"
#include "suites.h"

static struct fixture	 fx;

static int
setup(void)
{
	return fixture_open(&fx, NULL);
}

static int
teardown(void)
{
	fixture_close(&fx);
	return 0;
}

static void
test_wire_roundtrip(void)
{
	struct sigwire_req	 q = { .type = SIGWIRE_SIGN_CERT,
	    .role = KEYOP_CA, .md_nid = NID_sha256, .flags = 7,
	    .der = (const unsigned char *)"\x30\x00", .der_len = 2 };
	struct sigwire_req	 d;
	struct sigwire_resp	 a = { .status = SIGWIRE_REFUSED,
	    .data = (const unsigned char *)"no", .len = 2 }, b;
	struct buf		 out = { 0 };
	char			 reason[REASON_MAX];

	strcpy(q.txid, "ABC123");
	CU_ASSERT_EQUAL_FATAL(sigwire_req_encode(&q, &out), 0);
	CU_ASSERT_EQUAL(out.len, SIGWIRE_REQ_HEAD + 6 + 2);
	CU_ASSERT_EQUAL_FATAL(sigwire_req_decode(out.p, out.len, &d, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL(d.type, SIGWIRE_SIGN_CERT);
	CU_ASSERT_EQUAL(d.role, KEYOP_CA);
	CU_ASSERT_EQUAL(d.md_nid, NID_sha256);
	CU_ASSERT_EQUAL(d.flags, 7);
	CU_ASSERT_STRING_EQUAL(d.txid, "ABC123");
	CU_ASSERT_EQUAL(d.der_len, 2);
	CU_ASSERT(memcmp(d.der, "\x30\x00", 2) == 0);
	out.len = 0;
	CU_ASSERT_EQUAL_FATAL(sigwire_resp_encode(&a, &out), 0);
	CU_ASSERT_EQUAL_FATAL(sigwire_resp_decode(out.p, out.len, &b, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL(b.status, SIGWIRE_REFUSED);
	CU_ASSERT_EQUAL(b.len, 2);
	/* What cannot go out: a txid too long or with a space. */
	memset(q.txid, 'A', SIGWIRE_TXID_MAX);
	q.txid[SIGWIRE_TXID_MAX] = '\0';
	CU_ASSERT_EQUAL(sigwire_req_encode(&q, &out), 0);
	strcpy(q.txid, "a b");
	CU_ASSERT_EQUAL(sigwire_req_encode(&q, &out), -1);
	buf_free(&out);
}

static void
test_wire_hostile(void)
{
	unsigned char		 body[64] = { SIGWIRE_VERSION, 1, 0, 0 };
	struct sigwire_req	 d;
	struct sigwire_resp	 r;
	char			 reason[REASON_MAX];
	size_t			 n;

	/* Every length shorter than the header. */
	for (n = 0; n < SIGWIRE_REQ_HEAD; n++)
		CU_ASSERT_EQUAL(sigwire_req_decode(body, n, &d, reason,
		    sizeof(reason)), -1);
	CU_ASSERT_EQUAL(sigwire_req_decode(body, SIGWIRE_REQ_HEAD, &d, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL(d.der_len, 0);
	/* A txid length past the end, or over the maximum. */
	body[3] = 5;
	CU_ASSERT_EQUAL(sigwire_req_decode(body, SIGWIRE_REQ_HEAD + 4, &d,
	    reason, sizeof(reason)), -1);
	body[3] = 255;
	CU_ASSERT_EQUAL(sigwire_req_decode(body, sizeof(body), &d, reason,
	    sizeof(reason)), -1);
	/* A txid with a control character or a quote. */
	body[3] = 2;
	body[SIGWIRE_REQ_HEAD] = 'a';
	body[SIGWIRE_REQ_HEAD + 1] = '\n';
	CU_ASSERT_EQUAL(sigwire_req_decode(body, SIGWIRE_REQ_HEAD + 2, &d,
	    reason, sizeof(reason)), -1);
	body[SIGWIRE_REQ_HEAD + 1] = '"';
	CU_ASSERT_EQUAL(sigwire_req_decode(body, SIGWIRE_REQ_HEAD + 2, &d,
	    reason, sizeof(reason)), -1);
	/* Another version; a digest NID with the top bit set. */
	body[3] = 0;
	body[0] = SIGWIRE_VERSION + 1;
	CU_ASSERT_EQUAL(sigwire_req_decode(body, sizeof(body), &d, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "version") != NULL);
	body[0] = SIGWIRE_VERSION - 1;	/* before the CMS content went */
	CU_ASSERT_EQUAL(sigwire_req_decode(body, sizeof(body), &d, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "version") != NULL);
	body[0] = SIGWIRE_VERSION;
	body[4] = 0x80;
	CU_ASSERT_EQUAL(sigwire_req_decode(body, sizeof(body), &d, reason,
	    sizeof(reason)), -1);
	/* Answers: too short, unknown status. */
	CU_ASSERT_EQUAL(sigwire_resp_decode(body, 1, &r, reason,
	    sizeof(reason)), -1);
	body[1] = SIGWIRE_ERROR + 1;
	CU_ASSERT_EQUAL(sigwire_resp_decode(body, 2, &r, reason,
	    sizeof(reason)), -1);
}

/* sigwire_read on a socket pair fed raw bytes, then closed. */
static int
read_raw(const void *bytes, size_t n, int close_after, char *reason,
    size_t rlen)
{
	struct buf	 in = { 0 };
	int		 sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -2;
	if (n > 0 && write(sv[1], bytes, n) != (ssize_t)n)
		return -2;
	if (close_after)
		close(sv[1]);
	rc = sigwire_read(sv[0], &in, 200, reason, rlen);
	close(sv[0]);
	if (!close_after)
		close(sv[1]);
	buf_free(&in);
	return rc;
}

static void
test_wire_read(void)
{
	char	 reason[REASON_MAX];

	CU_ASSERT_EQUAL(read_raw("\xff\xff\xff\xff", 4, 0, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "more than") != NULL);
	CU_ASSERT_EQUAL(read_raw("\x00\x00\x00\x05\x01\x02", 6, 1, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "closed") != NULL);
	CU_ASSERT_EQUAL(read_raw("\x00\x00", 2, 0, reason, sizeof(reason)),
	    -1);
	CU_ASSERT(strstr(reason, "timed out") != NULL);
	CU_ASSERT_EQUAL(read_raw("\x00\x00\x00\x02\x01\x02", 6, 1, reason,
	    sizeof(reason)), 0);
}

/* A certificate the issuing path builds for a "both" CSR (template GpT),
 * then changed by edit, signed by a throwaway key and parsed again as
 * the signer parses what it receives. */
static X509 *
built(void (*edit)(X509 *))
{
	struct requester	 r;
	const struct template	*t;
	X509			*x = NULL, *y = NULL;
	unsigned char		*der = NULL;
	const unsigned char	*p;
	char			 reason[REASON_MAX];
	int			 len;

	if (requester_new(&r, "dev", "both", NULL, NULL) != 0)
		return NULL;
	if ((t = template_select(&fx.cfg, r.csr, reason, sizeof(reason))) !=
	    NULL && issue_build(&fx.cfg, t, &fx.ra, r.csr, NULL, &x, reason,
	    sizeof(reason)) == 0) {
		if (edit != NULL)
			edit(x);
		if (X509_sign(x, r.key, EVP_sha256()) > 0 &&
		    (len = i2d_X509(x, &der)) > 0) {
			p = der;
			y = d2i_X509(NULL, &p, len);
		}
	}
	OPENSSL_free(der);
	X509_free(x);
	requester_free(&r);
	return y;
}

static void
set_ext(X509 *x, int nid, const char *value)
{
	X509_EXTENSION	*e;
	int		 i;

	while ((i = X509_get_ext_by_NID(x, nid, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
	e = X509V3_EXT_conf_nid(NULL, NULL, nid, value);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

static void make_ca(X509 *x) { set_ext(x, NID_basic_constraints, "critical,CA:TRUE"); }
static void make_certsign(X509 *x) { set_ext(x, NID_key_usage, "digitalSignature,keyCertSign"); }
static void make_eku(X509 *x) { set_ext(x, NID_ext_key_usage, "codeSigning"); }
static void make_long(X509 *x) { X509_time_adj_ex(X509_getm_notAfter(x), 25, 0, NULL); }
static void make_foreign(X509 *x)
{
	X509_NAME	*n = X509_NAME_new();

	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Another CA", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
}

static void
add_raw(X509 *x, const char *oid, const char *der, int len)
{
	ASN1_OBJECT		*o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING	*v = ASN1_OCTET_STRING_new();
	X509_EXTENSION		*e;

	ASN1_OCTET_STRING_set(v, (const unsigned char *)der, len);
	e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, v);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(v);
	ASN1_OBJECT_free(o);
}

/* Windows reads Application Policies in place of the EKU (ESC15). */
static void make_app_policy(X509 *x) { add_raw(x, "1.3.6.1.4.1.311.21.10", "\x30\x0c\x30\x0a\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x02", 14); }
static void make_policies(X509 *x) { add_raw(x, "2.5.29.32", "\x30\x07\x30\x05\x06\x03\x2a\x03\x04", 9); }
static void make_bc_plain(X509 *x) { set_ext(x, NID_basic_constraints, "CA:FALSE"); }
static void make_no_bc(X509 *x) { X509_EXTENSION_free(X509_delete_ext(x, X509_get_ext_by_NID(x, NID_basic_constraints, -1))); }
static void make_ski(X509 *x) { set_ext(x, NID_subject_key_identifier, "0102030405"); }
static void make_aki(X509 *x) { set_ext(x, NID_authority_key_identifier, "keyid:always"); }
/* An otherName of no kind a template may allow (only a UPN is one). */
static void make_othername(X509 *x) { set_ext(x, NID_subject_alt_name, "DNS:dev.example.com,otherName:1.2.3.4;UTF8:hello"); }
static void
make_sid_uri(X509 *x)
{
	GENERAL_NAMES	*g = sk_GENERAL_NAME_new_null();
	GENERAL_NAME	*dns = GENERAL_NAME_new(), *uri = GENERAL_NAME_new();
	ASN1_IA5STRING	*a = ASN1_IA5STRING_new(), *b = ASN1_IA5STRING_new();

	ASN1_STRING_set(a, "dev.example.com", -1);
	ASN1_STRING_set(b, SID_URI_PREFIX "S-1-5-21-1-2-3-500", -1);
	GENERAL_NAME_set0_value(dns, GEN_DNS, a);
	GENERAL_NAME_set0_value(uri, GEN_URI, b);
	sk_GENERAL_NAME_push(g, dns);
	sk_GENERAL_NAME_push(g, uri);
	X509_add1_ext_i2d(x, NID_subject_alt_name, g, 0, X509V3_ADD_REPLACE);
	GENERAL_NAMES_free(g);
}
static void make_sid_bad(X509 *x) { add_raw(x, "1.3.6.1.4.1.311.25.2", "\x30\x00", 2); }
static void make_sid(X509 *x)
{
	X509_EXTENSION	*e = issue_sid_ext("S-1-5-21-1-2-3-1001");

	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}
static void make_sid_admin_uri(X509 *x) { make_sid(x); make_sid_uri(x); }
static void make_ca_subject(X509 *x) { X509_set_subject_name(x, X509_get_subject_name(fx.ra.ca)); }
/* dNSName a.b and a byte after the names, which the parser ignores. */
static void
make_san_trailing(X509 *x)
{
	int	 i;

	while ((i = X509_get_ext_by_NID(x, NID_subject_alt_name, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
	add_raw(x, "2.5.29.17", "\x30\x05\x82\x03\x61\x2e\x62\x00", 8);
}
static void make_past(X509 *x) { X509_gmtime_adj(X509_getm_notBefore(x), -86400); }
static void make_offset(X509 *x)
{
	ASN1_TIME	*t = ASN1_UTCTIME_new();

	char		 text[32];
	time_t		 when = time(NULL) + 86400;

	/* A day from now, without seconds and with an offset. */
	strftime(text, sizeof(text), "%Y%m%d%H%M+0000", gmtime(&when));
	if (t != NULL && ASN1_TIME_set_string(t, text + 2) == 1)
		X509_set1_notAfter(x, t);
	ASN1_TIME_free(t);
}
/* The CA's name with each value in another string type: equal to
 * X509_NAME_cmp, not byte for byte. */
static void
make_issuer_retyped(X509 *x)
{
	const X509_NAME	*ca = X509_get_subject_name(fx.ra.ca);
	X509_NAME	*n = X509_NAME_new();
	X509_NAME_ENTRY	*e;
	ASN1_STRING	*v;
	int		 i;

	for (i = 0; i < X509_NAME_entry_count(ca); i++) {
		e = X509_NAME_get_entry(ca, i);
		v = X509_NAME_ENTRY_get_data(e);
		X509_NAME_add_entry_by_OBJ(n, X509_NAME_ENTRY_get_object(e),
		    ASN1_STRING_type(v) == V_ASN1_UTF8STRING ?
		    V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING,
		    ASN1_STRING_get0_data(v), ASN1_STRING_length(v), -1, 0);
	}
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
}

/* 0 when the signer would sign what built(edit) makes; why in reason. */
static int
check(void (*edit)(X509 *), char *reason, size_t rlen)
{
	X509	*x = built(edit);
	int	 rc;

	if (x == NULL)
		return -2;
	rc = sigcheck_cert(&fx.cfg, &fx.ra, x, reason, rlen);
	X509_free(x);
	return rc;
}

static void
test_refusals(void)
{
	char	 reason[REASON_MAX] = "";

	CU_ASSERT_EQUAL(check(NULL, reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(check(make_ca, reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "cA=TRUE") != NULL);
	CU_ASSERT_EQUAL(check(make_certsign, reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "keyCertSign") != NULL);
	CU_ASSERT_EQUAL(check(make_eku, reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "extendedKeyUsage of no template") != NULL);
	CU_ASSERT_EQUAL(check(make_long, reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "validity") != NULL ||
	    strstr(reason, "notAfter") != NULL);
	CU_ASSERT_EQUAL(check(make_foreign, reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "issuer is not this CA") != NULL);
	/* The CA's own certificate. */
	CU_ASSERT_EQUAL(sigcheck_cert(&fx.cfg, &fx.ra, fx.ra.ca, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "a CA certificate") != NULL);
}

#define REFUSED(edit, why) do {						\
	reason[0] = '\0';						\
	CU_ASSERT_EQUAL(check(edit, reason, sizeof(reason)), -1);	\
	CU_ASSERT(strstr(reason, why) != NULL);				\
	if (strstr(reason, why) == NULL)				\
		fprintf(stderr, "%s: %s\n", #edit, reason);		\
} while (0)

/* A worker taken over adds what issuing never does. */
static void
test_refusals_extensions(void)
{
	char	 reason[REASON_MAX];
	X509	*x = built(make_issuer_retyped);

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(fx.ra.ca)), 0);
	X509_free(x);
	REFUSED(make_issuer_retyped, "issuer is not this CA");
	REFUSED(make_app_policy, "extension 1.3.6.1.4.1.311.21.10 is not one");
	REFUSED(make_policies, "extension 2.5.29.32 is not one");
	REFUSED(make_bc_plain, "basicConstraints, subject or authority key");
	REFUSED(make_no_bc, "basicConstraints, subject or authority key");
	REFUSED(make_ski, "basicConstraints, subject or authority key");
	REFUSED(make_aki, "basicConstraints, subject or authority key");
	REFUSED(make_othername, "SAN #2 of a type template");
	REFUSED(make_sid_uri, "SAN #2: a SID URI but not the SID extension's");
	REFUSED(make_sid_admin_uri, "SAN #2: a SID URI but not the SID "
	    "extension's");
	REFUSED(make_sid_bad, "SID extension not as issuing makes it");
	REFUSED(make_past, "notBefore is not now");
	REFUSED(make_ca_subject, "lint: subject is the CA's");
	REFUSED(make_san_trailing, "subjectAltName has bytes after its names");
	REFUSED(make_offset, "RFC 5280's form");
	/* The SID extension as issuing makes it passes. */
	CU_ASSERT_EQUAL(check(make_sid, reason, sizeof(reason)), 0);
}

/* A CRL of the fixture's CA from now + from_s to now + to_s, as crl.c
 * names it; sigcheck_crl's answer. */
static int crl_check_edit(long, long, void (*)(X509_CRL *), char *, size_t);

static int
crl_check(long from_s, long to_s, char *reason, size_t rlen)
{
	return crl_check_edit(from_s, to_s, NULL, reason, rlen);
}

/* An entry revoked at now + at_s, reasonCode why (-1: none), and with
 * raw (if not NULL) as one more extension of OID oid. */
static void
add_entry(X509_CRL *crl, long at_s, int why, const char *oid,
    const char *raw, int rawlen)
{
	X509_REVOKED	*r = X509_REVOKED_new();
	ASN1_INTEGER	*serial = ASN1_INTEGER_new();
	ASN1_TIME	*t = X509_gmtime_adj(NULL, at_s);
	ASN1_ENUMERATED	*e = ASN1_ENUMERATED_new();
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_OBJECT	*o = oid != NULL ? OBJ_txt2obj(oid, 1) : NULL;
	X509_EXTENSION	*x = NULL;

	ASN1_INTEGER_set(serial, 0x1234);
	X509_REVOKED_set_serialNumber(r, serial);
	X509_REVOKED_set_revocationDate(r, t);
	if (why >= 0) {
		ASN1_ENUMERATED_set(e, why);
		X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0);
	}
	if (o != NULL) {
		ASN1_OCTET_STRING_set(os, (const unsigned char *)raw, rawlen);
		x = X509_EXTENSION_create_by_OBJ(NULL, o, 0, os);
		X509_REVOKED_add_ext(r, x, -1);
	}
	X509_CRL_add0_revoked(crl, r);
	X509_EXTENSION_free(x);
	ASN1_OBJECT_free(o);
	ASN1_OCTET_STRING_free(os);
	ASN1_ENUMERATED_free(e);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(serial);
}

static void edit_entry(X509_CRL *c) { add_entry(c, -60, 1, NULL, NULL, 0); }
static void edit_no_reason(X509_CRL *c) { add_entry(c, -60, -1, NULL, NULL, 0); }
static void edit_remove(X509_CRL *c) { add_entry(c, -60, 8, NULL, NULL, 0); }
static void edit_hold(X509_CRL *c) { add_entry(c, -60, 6, NULL, NULL, 0); }
static void edit_future(X509_CRL *c) { add_entry(c, 86400, 1, NULL, NULL, 0); }
/* A revocationDate OpenSSL reads and RFC 5280 does not (year 99 of
 * month 13). */
static void
edit_bad_date(X509_CRL *c)
{
	ASN1_UTCTIME	*t = ASN1_UTCTIME_new();

	add_entry(c, -60, 1, NULL, NULL, 0);
	ASN1_STRING_set(t, "991399000000Z", 13);
	X509_REVOKED_set_revocationDate(sk_X509_REVOKED_value(
	    X509_CRL_get_REVOKED(c), 0), t);
	ASN1_UTCTIME_free(t);
}
/* certificateIssuer: an indirect CRL's entry for another CA. */
static void edit_issuer(X509_CRL *c) { add_entry(c, -60, 1, "2.5.29.29", "\x30\x00", 2); }
/* issuingDistributionPoint, onlyContainsCACerts: covering no leaf. */
static void
edit_idp(X509_CRL *c)
{
	ASN1_OCTET_STRING	*os = ASN1_OCTET_STRING_new();
	X509_EXTENSION		*x;

	ASN1_OCTET_STRING_set(os, (const unsigned char *)"\x30\x03\x82\x01\xff",
	    5);
	x = X509_EXTENSION_create_by_NID(NULL, NID_issuing_distribution_point,
	    1, os);
	X509_CRL_add_ext(c, x, -1);
	X509_EXTENSION_free(x);
	ASN1_OCTET_STRING_free(os);
}

static int
crl_check_edit(long from_s, long to_s, void (*edit)(X509_CRL *),
    char *reason, size_t rlen)
{
	X509_CRL	*crl = X509_CRL_new();
	X509_EXTENSION	*aki = cert_aki_ext(fx.ra.ca);
	ASN1_TIME	*a = X509_gmtime_adj(NULL, from_s);
	ASN1_TIME	*b = X509_gmtime_adj(NULL, to_s);
	int		 rc = -2;

	if (crl != NULL && aki != NULL && a != NULL && b != NULL &&
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) == 1 &&
	    X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(fx.ra.ca)) == 1 &&
	    X509_CRL_set1_lastUpdate(crl, a) == 1 &&
	    X509_CRL_set1_nextUpdate(crl, b) == 1 &&
	    X509_CRL_add_ext(crl, aki, -1) == 1) {
		if (edit != NULL)
			edit(crl);
		rc = sigcheck_crl(&fx.cfg, fx.ra.ca, crl, reason, rlen);
	}
	ASN1_TIME_free(a);
	ASN1_TIME_free(b);
	X509_EXTENSION_free(aki);
	X509_CRL_free(crl);
	return rc;
}

/* A CRL that would shadow the next ones, or from another time. */
static void
test_refusals_crl(void)
{
	char	 reason[REASON_MAX] = "";
	long	 hours = fx.cfg.crl_validity_hours * 3600L;

	CU_ASSERT_EQUAL(crl_check(0, hours, reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(crl_check(0, hours + 3600, reason, sizeof(reason)),
	    -1);
	CU_ASSERT(strstr(reason, "nextUpdate past [CRL] ValidityHours") !=
	    NULL);
	CU_ASSERT_EQUAL(crl_check(-86400, hours - 86400, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "thisUpdate not now") != NULL);
	/* Entries as crl.c makes them: accepted. */
	CU_ASSERT_EQUAL(crl_check_edit(0, hours, edit_entry, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL(crl_check_edit(0, hours, edit_no_reason, reason,
	    sizeof(reason)), 0);
	/* What would keep a serial on the CRL but not revoke it. */
	CU_ASSERT_EQUAL(crl_check_edit(0, hours, edit_remove, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "reasonCode 8") != NULL);
	CU_ASSERT_EQUAL(crl_check_edit(0, hours, edit_hold, reason,
	    sizeof(reason)), -1);
	CU_ASSERT_EQUAL(crl_check_edit(0, hours, edit_issuer, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "an extension other than one reasonCode") !=
	    NULL);
	CU_ASSERT_EQUAL(crl_check_edit(0, hours, edit_future, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "revoked after the CRL's thisUpdate") !=
	    NULL);
	CU_ASSERT_EQUAL(crl_check_edit(0, hours, edit_bad_date, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "revocationDate not an RFC 5280 time") !=
	    NULL);
	CU_ASSERT_EQUAL(crl_check_edit(0, hours, edit_idp, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "CRL extension issuingDistributionPoint is "
	    "not one") != NULL);
}

/* CertRep attributes with a senderNonce of nonce_len bytes, a
 * recipientNonce of echo_len (0: none), the signing time at now + skew
 * and failInfo fail (NULL: none). */
static STACK_OF(X509_ATTRIBUTE) *
certrep_attrs(int nonce_len, int echo_len, long skew, const char *fail)
{
	STACK_OF(X509_ATTRIBUTE) *a = NULL;
	unsigned char	 nonce[NONCE_MAX + 1] = { 0 }, dig[32] = { 0 };
	ASN1_TIME	*t = X509_gmtime_adj(NULL, skew);
	ASN1_OBJECT	*data = OBJ_nid2obj(NID_pkcs7_data);

#define SCEP_TEXT(attr, text) X509at_add1_attr_by_OBJ(&a,		\
	    scep_attr_oid(attr), V_ASN1_PRINTABLESTRING,		\
	    (const unsigned char *)(text), (int)strlen(text))
	X509at_add1_attr_by_NID(&a, NID_pkcs9_contentType, V_ASN1_OBJECT,
	    (const unsigned char *)data, -1);
	X509at_add1_attr_by_NID(&a, NID_pkcs9_messageDigest,
	    V_ASN1_OCTET_STRING, dig, sizeof(dig));
	X509at_add1_attr_by_NID(&a, NID_pkcs9_signingTime, V_ASN1_UTCTIME,
	    ASN1_STRING_get0_data(t), ASN1_STRING_length(t));
	SCEP_TEXT(ATTR_MESSAGE_TYPE, "3");
	SCEP_TEXT(ATTR_PKI_STATUS, fail != NULL ? "2" : "0");
	SCEP_TEXT(ATTR_TRANSACTION_ID, "T1");
	if (fail != NULL)
		SCEP_TEXT(ATTR_FAIL_INFO, fail);
	X509at_add1_attr_by_OBJ(&a, scep_attr_oid(ATTR_SENDER_NONCE),
	    V_ASN1_OCTET_STRING, nonce, nonce_len);
	if (echo_len > 0)
		X509at_add1_attr_by_OBJ(&a,
		    scep_attr_oid(ATTR_RECIPIENT_NONCE), V_ASN1_OCTET_STRING,
		    nonce, echo_len);
#undef SCEP_TEXT
	ASN1_TIME_free(t);
	return a;
}

static int
cms_check(int nonce_len, int echo_len, long skew, const char *fail,
    char *reason, size_t rlen)
{
	STACK_OF(X509_ATTRIBUTE) *a = certrep_attrs(nonce_len, echo_len,
	    skew, fail);
	int	 certrep, rc;

	rc = sigcheck_cms(a, EVP_sha256(), "T1", &certrep, reason, rlen);
	sk_X509_ATTRIBUTE_pop_free(a, X509_ATTRIBUTE_free);
	return rc;
}

/* Little free-form in what the RA key signs (room for collision
 * blocks): the worker's own 16-byte senderNonce, the client's echoed as
 * long as the worker takes it (NONCE_MAX), signingTime now, failInfo 0-4. */
static void
test_refusals_cms(void)
{
	char	 reason[REASON_MAX] = "";

	CU_ASSERT_EQUAL(cms_check(16, 0, 0, NULL, reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(cms_check(16, 16, 0, "2", reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(cms_check(16, NONCE_MAX, -200, NULL, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL(cms_check(16, NONCE_MAX + 1, 0, NULL, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "not a CertRep") != NULL);
	CU_ASSERT_EQUAL(cms_check(32, 0, 0, NULL, reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "not a CertRep") != NULL);
	CU_ASSERT_EQUAL(cms_check(16, 0, 0, "9", reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "not a CertRep") != NULL);
	CU_ASSERT_EQUAL(cms_check(16, 0, -3600, NULL, reason, sizeof(reason)),
	    -1);
	CU_ASSERT(strstr(reason, "signingTime") != NULL);
	CU_ASSERT_EQUAL(cms_check(16, 0, 3600, NULL, reason, sizeof(reason)),
	    -1);
	CU_ASSERT(strstr(reason, "signingTime") != NULL);
}

/* "inner" enveloped to cert with AES-128, as DER into out; -1 if not. */
static int
test_envelope(X509 *cert, struct buf *out)
{
	STACK_OF(X509)	*to = sk_X509_new_null();
	BIO		*in = BIO_new_mem_buf("inner", 5);
	CMS_ContentInfo	*cms = NULL;
	unsigned char	*der = NULL;
	int		 len = -1;

	if (to != NULL && in != NULL && sk_X509_push(to, cert) > 0 &&
	    (cms = CMS_encrypt(to, in, EVP_aes_128_cbc(), CMS_BINARY)) !=
	    NULL)
		len = i2d_CMS_ContentInfo(cms, &der);
	if (len > 0 && buf_append(out, der, (size_t)len) != 0)
		len = -1;
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	sk_X509_free(to);
	return len > 0 ? 0 : -1;
}

/* certrep_attrs' with messageDigest that of content, then
 * sigcheck_cms_content. */
static int
content_check(const char *fail, const unsigned char *content, size_t clen,
    const unsigned char *digested, size_t dlen, char *reason, size_t rlen)
{
	STACK_OF(X509_ATTRIBUTE) *a = certrep_attrs(16, 16, 0, fail);
	unsigned char	 dig[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	int		 i, certrep = 0, rc = -2;

	if (a != NULL && EVP_Digest(digested, dlen, dig, &n, EVP_sha256(),
	    NULL) == 1 && (i = X509at_get_attr_by_NID(a,
	    NID_pkcs9_messageDigest, -1)) >= 0) {
		X509_ATTRIBUTE_free(X509at_delete_attr(a, i));
		if (X509at_add1_attr_by_NID(&a, NID_pkcs9_messageDigest,
		    V_ASN1_OCTET_STRING, dig, (int)n) != NULL &&
		    sigcheck_cms(a, EVP_sha256(), "T1", &certrep, reason,
		    rlen) == 0)
			rc = sigcheck_cms_content(a, EVP_sha256(), certrep,
			    content, clen, reason, rlen);
	}
	sk_X509_ATTRIBUTE_pop_free(a, X509_ATTRIBUTE_free);
	return rc;
}

/*
 * What the RA key signs CertRep attributes over: the content sent with
 * them, which messageDigest must name; for SUCCESS one EnvelopedData,
 * for FAILURE nothing. A certificates-only SignedData (what a lenient
 * GetNextCACert client might take for a next CA) is refused.
 */
static void
test_refusals_cms_content(void)
{
	struct buf	 env = { 0 }, certs = { 0 };
	X509		*ca = fx.ra.ca;
	char		 reason[REASON_MAX] = "";

	CU_ASSERT_EQUAL_FATAL(test_envelope(fx.ra.enc_cert, &env), 0);
	CU_ASSERT_EQUAL(content_check(NULL, env.p, env.len, env.p, env.len,
	    reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(content_check("2", NULL, 0, NULL, 0, reason,
	    sizeof(reason)), 0);
	/* The digest of other bytes than those sent. */
	CU_ASSERT_EQUAL(content_check(NULL, env.p, env.len, env.p,
	    env.len - 1, reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "messageDigest is not the digest") != NULL);
	/* FAILURE with a content, SUCCESS without, or with a trailing byte. */
	CU_ASSERT_EQUAL(content_check("2", env.p, env.len, env.p, env.len,
	    reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "FAILURE or PENDING CertRep with content")
	    != NULL);
	CU_ASSERT_EQUAL(content_check(NULL, NULL, 0, NULL, 0, reason,
	    sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "not one DER EnvelopedData") != NULL);
	CU_ASSERT_EQUAL(buf_append(&env, "", 1), 0);
	CU_ASSERT_EQUAL(content_check(NULL, env.p, env.len, env.p, env.len,
	    reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "not one DER EnvelopedData") != NULL);
	/* The CA's certificate as a certificates-only SignedData. */
	/* An originatorInfo (here empty, [0] {}) after the version: the
	 * three lengths around it grow by 2. */
	CU_ASSERT_EQUAL_FATAL(env.len > 300 && env.p[0] == 0x30 &&
	    env.p[1] == 0x82, 1);
	{
		size_t	 off = 4 + 2 + env.p[5];	/* ContentInfo, OID */
		struct buf with = { 0 };
		int	 at[3] = { 0, (int)off, (int)off + 4 };

		CU_ASSERT_EQUAL_FATAL(env.p[off] == 0xa0 &&
		    env.p[off + 1] == 0x82 && env.p[off + 4] == 0x30 &&
		    env.p[off + 5] == 0x82 && env.p[off + 8] == 0x02 &&
		    env.p[off + 9] == 0x01, 1);
		CU_ASSERT_EQUAL_FATAL(buf_append(&with, env.p, off + 11) ||
		    buf_append(&with, "\xa0\x00", 2) ||
		    buf_append(&with, env.p + off + 11,
		    env.len - 1 - off - 11), 0);	/* not the 0 added */
		for (int i = 0; i < 3; i++) {
			unsigned n = (with.p[at[i] + 2] << 8 |
			    with.p[at[i] + 3]) + 2;

			with.p[at[i] + 2] = (unsigned char)(n >> 8);
			with.p[at[i] + 3] = (unsigned char)n;
		}
		CU_ASSERT_EQUAL(content_check(NULL, with.p, with.len, with.p,
		    with.len, reason, sizeof(reason)), -1);
		CU_ASSERT(strstr(reason, "not one DER EnvelopedData") != NULL);
		buf_free(&with);
	}
	CU_ASSERT_EQUAL_FATAL(certrep_certs_only(&ca, 1, &certs), 0);
	CU_ASSERT_EQUAL(content_check(NULL, certs.p, certs.len, certs.p,
	    certs.len, reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "not one DER EnvelopedData") != NULL);
	buf_free(&certs);
	buf_free(&env);
}

/* A signer child of the INI ini answering n connections on path. */
static pid_t
start_signer_of(const char *ini, const char *path, int n)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	int			 fd;
	pid_t			 pid;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fd, 4) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		struct signer	 s;
		struct buf	 in = { 0 }, out = { 0 };
		char		 reason[REASON_MAX];
		int		 c;

		if (signer_open(ini, &s, reason, sizeof(reason)) != 0)
			_exit(1);
		while (n-- > 0 && (c = accept(fd, NULL, NULL)) >= 0) {
			out.len = 0;
			if (sigwire_read(c, &in, 2000, reason,
			    sizeof(reason)) == 0) {
				signer_answer(&s, in.p, in.len, &out);
				sigwire_write(c, &out, 2000, reason,
				    sizeof(reason));
			}
			close(c);
		}
		_exit(0);
	}
	close(fd);
	return pid;
}

static pid_t
start_signer(const char *path, int n)
{
	return start_signer_of(fx.ini, path, n);
}

static void
test_remote(void)
{
	char		 path[128];
	struct keyop	*op;
	X509		*x = built(NULL), *ca_like = built(make_ca);
	pid_t		 pid;
	int		 status;

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ca_like);
	snprintf(path, sizeof(path), "%s/signer.sock", fx.dir);
	CU_ASSERT_FATAL((pid = start_signer(path, 2)) > 0);
	op = keyop_remote(path, 2000, KEYOP_CA, fx.ra.ca);
	CU_ASSERT_PTR_NOT_NULL_FATAL(op);
	keyop_set_context(op, "unit-1");
	/* Signed: the object the caller holds now verifies. */
	CU_ASSERT_EQUAL(keyop_sign_cert(op, &x, EVP_sha256()), 1);
	CU_ASSERT_EQUAL(X509_verify(x, X509_get0_pubkey(fx.ra.ca)), 1);
	CU_ASSERT_EQUAL(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	/* Refused: the caller's object is left whole, just unsigned. */
	CU_ASSERT_EQUAL(keyop_sign_cert(op, &ca_like, EVP_sha256()), 0);
	CU_ASSERT_NOT_EQUAL(X509_verify(ca_like, X509_get0_pubkey(fx.ra.ca)),
	    1);
	keyop_free(op);
	CU_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	unlink(path);
	/* Nobody listening: fails at once. */
	op = keyop_remote(path, 2000, KEYOP_CA, fx.ra.ca);
	CU_ASSERT_EQUAL(keyop_sign_cert(op, &x, EVP_sha256()), 0);
	keyop_free(op);
	X509_free(ca_like);
	X509_free(x);
}

/* x sent to s as a worker's certificate frame: the answer's status, and
 * its reason when not signed. */
static int
sign_cert_frame(struct signer *s, X509 *x, const char *txid, char *reason,
    size_t rlen)
{
	struct sigwire_req	 q = { .type = SIGWIRE_SIGN_CERT,
				    .role = KEYOP_CA, .md_nid = NID_sha256 };
	struct sigwire_resp	 a;
	struct buf		 body = { 0 }, out = { 0 };
	unsigned char		*der = NULL;
	int			 len, rc = -1;

	snprintf(q.txid, sizeof(q.txid), "%s", txid);
	if ((len = i2d_X509(x, &der)) > 0) {
		q.der = der;
		q.der_len = (size_t)len;
		if (sigwire_req_encode(&q, &body) == 0) {
			signer_answer(s, body.p, body.len, &out);
			if (sigwire_resp_decode(out.p, out.len, &a, reason,
			    rlen) == 0) {
				rc = a.status;
				if (rc != SIGWIRE_OK)
					snprintf(reason, rlen, "%.*s",
					    (int)a.len, a.data);
			}
		}
	}
	OPENSSL_free(der);
	buf_free(&body);
	buf_free(&out);
	return rc;
}

/* The serial of the last certificate built, for the next one. */
static ASN1_INTEGER	*reused;

static void
reuse_serial(X509 *x)
{
	X509_set_serialNumber(x, reused);
}

/*
 * The ledger: a serial is signed once per CA, by whichever signer of the
 * pool, across restarts; the second time is refused with the first
 * transaction named, and the ledger file is the signer's alone.
 */
static void
test_ledger(void)
{
	char		 path[128], db[PATH_MAX], reason[REASON_MAX];
	struct signer	 s;
	struct stat	 sb;
	struct keyop	*op;
	X509		*x = built(NULL), *again = NULL, *other = built(NULL);
	pid_t		 pid;
	int		 status;

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	reused = ASN1_INTEGER_dup(X509_get0_serialNumber(x));
	again = built(reuse_serial);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	snprintf(path, sizeof(path), "%s/ledger.sock", fx.dir);
	CU_ASSERT_FATAL((pid = start_signer(path, 1)) > 0);
	op = keyop_remote(path, 2000, KEYOP_CA, fx.ra.ca);
	CU_ASSERT_PTR_NOT_NULL_FATAL(op);
	keyop_set_context(op, "ledger-1");
	CU_ASSERT_EQUAL(keyop_sign_cert(op, &x, EVP_sha256()), 1);
	keyop_free(op);
	CU_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	unlink(path);

	/* Another signer process, later: the same serial is refused, a new
	 * one signed. */
	CU_ASSERT_EQUAL_FATAL(signer_open(fx.ini, &s, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL(sign_cert_frame(&s, again, "ledger-2", reason,
	    sizeof(reason)), SIGWIRE_REFUSED);
	CU_ASSERT(strstr(reason, "already signed (transaction ledger-1")
	    != NULL);
	CU_ASSERT_EQUAL(sign_cert_frame(&s, other, "ledger-3", reason,
	    sizeof(reason)), SIGWIRE_OK);
	CU_ASSERT_EQUAL(sign_cert_frame(&s, other, "ledger-4", reason,
	    sizeof(reason)), SIGWIRE_REFUSED);
	CU_ASSERT(strstr(reason, "transaction ledger-3") != NULL);
	signer_close(&s);

	/* Only the signer's user reads it; its folder is made 0700. */
	snprintf(db, sizeof(db), "%s", fx.cfg.signer_ledger);
	CU_ASSERT(stat(db, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	*strrchr(db, '/') = '\0';
	CU_ASSERT(stat(db, &sb) == 0 && (sb.st_mode & 0777) == 0700);

	/* A ledger that cannot be opened (its folder a file here: root
	 * writes anywhere) stops the signer from starting. */
	snprintf(path, sizeof(path), "%s/signer.away", fx.dir);
	CU_ASSERT_EQUAL_FATAL(rename(db, path), 0);
	CU_ASSERT_EQUAL(close(open(db, O_WRONLY | O_CREAT, 0600)), 0);
	CU_ASSERT_NOT_EQUAL(signer_open(fx.ini, &s, reason, sizeof(reason)),
	    0);
	CU_ASSERT(strstr(reason, "[Signer] Ledger") != NULL);
	signer_close(&s);
	CU_ASSERT_EQUAL(unlink(db), 0);
	CU_ASSERT_EQUAL(rename(path, db), 0);
	/* A folder others could write, or rename it in: refused too. */
	CU_ASSERT_EQUAL(chmod(db, 0770), 0);
	CU_ASSERT_NOT_EQUAL(signer_open(fx.ini, &s, reason, sizeof(reason)),
	    0);
	CU_ASSERT(strstr(reason, "that no one else can write") != NULL);
	signer_close(&s);
	CU_ASSERT_EQUAL(chmod(db, 0700), 0);
	CU_ASSERT_EQUAL(chown(fx.dir, geteuid() + 1, (gid_t)-1),
	    geteuid() == 0 ? 0 : -1);
	if (geteuid() == 0) {
		CU_ASSERT_NOT_EQUAL(signer_open(fx.ini, &s, reason,
		    sizeof(reason)), 0);
		CU_ASSERT(strstr(reason, "that no one else can write") !=
		    NULL);
		signer_close(&s);
		CU_ASSERT_EQUAL(chown(fx.dir, 0, (gid_t)-1), 0);
	}
	CU_ASSERT_EQUAL(signer_open(fx.ini, &s, reason, sizeof(reason)), 0);
	signer_close(&s);
	ASN1_INTEGER_free(reused);
	X509_free(x);
	X509_free(again);
	X509_free(other);
}

/* The CertRep in der verifies as signed by cert; 1 when it does. */
static int
certrep_verifies(const struct buf *der, X509 *cert)
{
	const unsigned char	*p = der->p;
	CMS_ContentInfo		*cms = d2i_CMS_ContentInfo(NULL, &p,
				    (long)der->len);
	STACK_OF(X509)		*certs = sk_X509_new_null();
	int			 ok;

	sk_X509_push(certs, cert);
	ok = cms != NULL && CMS_verify(cms, certs, NULL, NULL, NULL,
	    CMS_NOVERIFY | CMS_NOINTERN | CMS_BINARY) == 1;
	sk_X509_free(certs);
	CMS_ContentInfo_free(cms);
	return ok;
}

/*
 * A PKCSReq decrypted (PKCS#1 v1.5, then OAEP) and its CertRep signed by
 * the signer, the worker's struct ra holding no private key; CMS
 * attributes that are not a CertRep refused.
 */
static void
test_remote_ra(void)
{
	struct ra		 r = fx.ra;	/* shallow: keys borrowed */
	struct requester	 q;
	struct buf		 msg = { 0 }, rep = { 0 };
	struct scep_req		 req;
	struct certrep		 cr = { STATUS_FAILURE, FAIL_BADREQUEST, NULL,
	    NULL, NULL };
	enum scep_failinfo	 f;
	char			 path[128], reason[REASON_MAX];
	CMS_ContentInfo		*cms;
	CMS_SignerInfo		*si;
	BIO			*data;
	pid_t			 pid;
	int			 oaep, status;
	unsigned int		 flags = CMS_BINARY | CMS_PARTIAL |
	    CMS_NOSMIMECAP;

	CU_ASSERT_FATAL(scep_attr_init() == 0);
	CU_ASSERT_FATAL(requester_new(&q, "ra", "both", NULL, NULL) == 0);
	snprintf(path, sizeof(path), "%s/signer-ra.sock", fx.dir);
	CU_ASSERT_FATAL((pid = start_signer(path, 5)) > 0);
	r.sign_op = keyop_remote(path, 2000, KEYOP_RA_SIGN, r.sign_cert);
	r.enc_op = keyop_remote(path, 2000, KEYOP_RA_ENC, r.enc_cert);
	r.sign_key = r.enc_key = r.ca_key = NULL;
	for (oaep = 0; oaep < 2; oaep++) {
		msg.len = rep.len = 0;
		CU_ASSERT_FATAL(build_pkimessage_ex(&q, r.enc_cert,
		    EVP_aes_128_cbc(), oaep, EVP_sha256(), MSG_PKCSREQ, "RA1",
		    (const unsigned char *)"\x30\x00", 2, &msg) == 0);
		CU_ASSERT_EQUAL(message_decode(msg.p, msg.len, &r, 0, &req,
		    &f, reason, sizeof(reason)), DECODE_FAILURE);
		/* Decrypted: what fails is the content, not a CSR. */
		CU_ASSERT(strstr(reason, "PKCS#10") != NULL);
		keyop_set_context(r.sign_op, req.txid);
		CU_ASSERT_EQUAL(certrep_build(&req, &r, &cr, &rep, reason,
		    sizeof(reason)), 0);
		CU_ASSERT(certrep_verifies(&rep, r.sign_cert));
		scep_req_free(&req);
	}
	/* Attributes of no CertRep: messageType PKCSReq. */
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	data = BIO_new_mem_buf("x", 1);
	si = keyop_cms_signer(r.sign_op, cms, r.sign_cert, EVP_sha256(),
	    flags);
	CU_ASSERT_PTR_NOT_NULL_FATAL(si);
	scep_attr_add_string(si, ATTR_MESSAGE_TYPE, "19");
	scep_attr_add_string(si, ATTR_PKI_STATUS, "0");
	scep_attr_add_string(si, ATTR_TRANSACTION_ID, "RA1");
	scep_attr_add_octets(si, ATTR_SENDER_NONCE,
	    (const unsigned char *)"0123456789abcdef", 16);
	CU_ASSERT_EQUAL(keyop_cms_final(r.sign_op, cms, si, data), 0);
	CU_ASSERT_FALSE(keyop_unavailable(r.sign_op));	/* refused */
	BIO_free(data);
	CMS_ContentInfo_free(cms);
	/* The RA encryption key asked to sign: refused by the interface. */
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	CU_ASSERT_PTR_NULL(keyop_cms_signer(r.enc_op, cms, r.enc_cert,
	    EVP_sha256(), flags));
	CMS_ContentInfo_free(cms);
	keyop_free(r.sign_op);
	keyop_free(r.enc_op);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	unlink(path);
	buf_free(&msg);
	buf_free(&rep);
	requester_free(&q);
}

/* A draft answer "good" about serial 7 of ca, as the OCSP responder of a
 * worker makes it before the signer signs. */
static OCSP_BASICRESP *
draft_about(X509 *ca)
{
	OCSP_BASICRESP	*bs = OCSP_BASICRESP_new();
	ASN1_INTEGER	*serial = ASN1_INTEGER_new();
	OCSP_CERTID	*id;
	ASN1_TIME	*now = X509_gmtime_adj(NULL, 0);
	ASN1_TIME	*next = X509_gmtime_adj(NULL, 3600);

	ASN1_INTEGER_set(serial, 7);
	id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(ca),
	    X509_get0_pubkey_bitstr(ca), serial);
	if (bs == NULL || id == NULL || OCSP_basic_add1_status(bs, id,
	    V_OCSP_CERTSTATUS_GOOD, 0, NULL, now, next) == NULL) {
		OCSP_BASICRESP_free(bs);
		bs = NULL;
	}
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	return bs;
}

/* Signed by the responder whose certificate is r; 1 when it is. */
static int
answer_by(OCSP_BASICRESP *bs, X509 *r)
{
	STACK_OF(X509)	*certs = sk_X509_new_null();
	int		 ok;

	sk_X509_push(certs, r);
	ok = OCSP_basic_verify(bs, certs, NULL, OCSP_NOINTERN |
	    OCSP_NOVERIFY | OCSP_TRUSTOTHER | OCSP_NOCHAIN |
	    OCSP_NOEXPLICIT) == 1;
	sk_X509_free(certs);
	return ok;
}

/* A CRL (unsigned: the ledger reads its entries only) revoking the
 * serials of list (ending with 0), each at time at, with reasonCode why
 * (-1: none); the last one at at + skew, with reasonCode last_why. */
static X509_CRL *
crl_of(const long *list, time_t at, int why, long skew, int last_why)
{
	X509_CRL	*crl = X509_CRL_new();
	X509_REVOKED	*r;
	ASN1_INTEGER	*serial;
	ASN1_TIME	*t;
	ASN1_ENUMERATED	*e;
	int		 i, last;

	for (i = 0; crl != NULL && list[i] != 0; i++) {
		last = list[i + 1] == 0;
		r = X509_REVOKED_new();
		serial = ASN1_INTEGER_new();
		ASN1_INTEGER_set(serial, list[i]);
		X509_REVOKED_set_serialNumber(r, serial);
		ASN1_INTEGER_free(serial);
		t = ASN1_TIME_set(NULL, at + (last ? skew : 0));
		X509_REVOKED_set_revocationDate(r, t);
		ASN1_TIME_free(t);
		if ((last ? last_why : why) >= 0) {
			e = ASN1_ENUMERATED_new();
			ASN1_ENUMERATED_set(e, last ? last_why : why);
			X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0);
			ASN1_ENUMERATED_free(e);
		}
		X509_CRL_add0_revoked(crl, r);
	}
	return crl;
}

static int
crl_try(struct ledger *l, const char *ca, X509_CRL *crl, int commit,
    char *reason, size_t rlen)
{
	char	 safe[REASON_MAX];
	int	 rc;

	CU_ASSERT_EQUAL(ledger_batch(l, 0, reason, rlen), 0);
	rc = ledger_crl_keeps(l, ca, crl, reason, rlen);
	CU_ASSERT_EQUAL(ledger_batch(l, rc == 0 && commit ? 1 : -1, safe,
	    sizeof(safe)), 0);
	X509_CRL_free(crl);
	return rc;
}

static void
serial_hex(long serial, char hex[160])
{
	ASN1_INTEGER	*i = ASN1_INTEGER_new();

	ASN1_INTEGER_set(i, serial);
	CU_ASSERT_EQUAL(cert_serial_hex(i, hex, 160), 0);
	ASN1_INTEGER_free(i);
}

/* 1 when serial is recorded revoked for ca, *at its time. */
static int
revoked(struct ledger *l, const char *ca, long serial, int64_t *at)
{
	char	 hex[160], reason[REASON_MAX];
	int64_t	 dummy;
	int	 rc, why;

	serial_hex(serial, hex);
	rc = ledger_is_revoked(l, ca, hex, at != NULL ? at : &dummy, &why,
	    reason, sizeof(reason));
	CU_ASSERT(rc >= 0);
	return rc;
}

/* serial, as signed by this signer for CA key ca. */
static void
signed_as(struct ledger *l, const char *ca, long serial)
{
	struct ledger_entry	 e = { .ca = ca, .key_id = "K", .txid = "T",
	    .subject = "CN=x", .not_after = 2, .signed_at = 1 };
	char			 hex[160], reason[REASON_MAX];

	serial_hex(serial, hex);
	e.serial = hex;
	CU_ASSERT_EQUAL(ledger_import(l, &e, reason, sizeof(reason)), 0);
}

/*
 * Revocations only grow: what a signed CRL revoked of what this signer
 * signed must be on the next CRL of that CA key as it was (date, reason)
 * and is known revoked for OCSP; a CRL refused or not signed records
 * nothing, and serials it never signed for that key are not recorded.
 */
static void
test_ledger_revocations(void)
{
	static const long both[] = { 0x10, 0x11, 0 }, first[] = { 0x10, 0 };
	static const long three[] = { 0x10, 0x11, 0x12, 0 };
	static const long twice[] = { 0x10, 0x11, 0x10, 0 };
	static const long stranger[] = { 0x10, 0x11, 0x99, 0 };
	static const long none[] = { 0 };
	struct ledger	*l;
	char		 reason[REASON_MAX] = "";
	time_t		 t = 1700000000;
	int64_t		 at = 0;

	l = ledger_open(":memory:", 1000, reason, sizeof(reason));
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	signed_as(l, "CA1", 0x10);
	signed_as(l, "CA1", 0x11);
	signed_as(l, "CA1", 0x12);
	CU_ASSERT_EQUAL(crl_try(l, "CA1", crl_of(both, t, 1, 0, 1), 1, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL(revoked(l, "CA1", 0x10, &at), 1);
	CU_ASSERT_EQUAL(at, t);
	CU_ASSERT_EQUAL(revoked(l, "CA1", 0x11, NULL), 1);
	CU_ASSERT_EQUAL(revoked(l, "CA1", 0x12, NULL), 0);
	CU_ASSERT_EQUAL(revoked(l, "CA2", 0x10, NULL), 0);
	/* The same again: fine. */
	CU_ASSERT_EQUAL(crl_try(l, "CA1", crl_of(both, t, 1, 0, 1), 1, reason,
	    sizeof(reason)), 0);
	/* One left out: refused, named. */
	CU_ASSERT_EQUAL(crl_try(l, "CA1", crl_of(first, t, 1, 0, 1), 1,
	    reason, sizeof(reason)), 1);
	CU_ASSERT(strstr(reason, "a CRL without serial 11, which a CRL this "
	    "signer signed revoked") != NULL);
	/* Kept, but revoked a second later, or for another reason, or with
	 * no reason: refused. */
	CU_ASSERT_EQUAL(crl_try(l, "CA1", crl_of(both, t, 1, 1, 1), 1, reason,
	    sizeof(reason)), 1);
	CU_ASSERT(strstr(reason, "entry for serial 11 has another "
	    "revocationDate or reason") != NULL);
	/* ... naming what to put back in the store. */
	CU_ASSERT(strstr(reason, "(2023-11-14T22:13:20Z, 1700000000, "
	    "reasonCode 1)") != NULL);
	CU_ASSERT_EQUAL(crl_try(l, "CA1", crl_of(both, t, 1, 0, 8), 1, reason,
	    sizeof(reason)), 1);
	CU_ASSERT_EQUAL(crl_try(l, "CA1", crl_of(both, t, 1, 0, -1), 1,
	    reason, sizeof(reason)), 1);
	/* A serial twice: refused. */
	CU_ASSERT_EQUAL(crl_try(l, "CA1", crl_of(twice, t, 1, 0, 1), 1,
	    reason, sizeof(reason)), 1);
	CU_ASSERT(strstr(reason, "serial 10 twice") != NULL);
	/* A larger one, not signed (rolled back): 0x12 stays unknown. */
	CU_ASSERT_EQUAL(crl_try(l, "CA1", crl_of(three, t, 1, 0, 1), 0,
	    reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(revoked(l, "CA1", 0x12, NULL), 0);
	/* A serial this signer never signed is signed over but not
	 * recorded, so later CRLs need not have it. */
	CU_ASSERT_EQUAL(crl_try(l, "CA1", crl_of(stranger, t, 1, 0, 1), 1,
	    reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(revoked(l, "CA1", 0x99, NULL), 0);
	/* An empty CRL: refused for a key with revocations (both named or
	 * counted), fine for another key's; CA1's serials on CA2's CRL are
	 * not recorded for CA2. */
	CU_ASSERT_EQUAL(crl_try(l, "CA1", crl_of(none, t, 1, 0, 1), 1, reason,
	    sizeof(reason)), 1);
	CU_ASSERT(strstr(reason, "(and 1 more)") != NULL);
	CU_ASSERT_EQUAL(crl_try(l, "CA2", crl_of(none, t, 1, 0, 1), 1, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL(crl_try(l, "CA2", crl_of(both, t, 1, 0, 1), 1, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL(revoked(l, "CA2", 0x10, NULL), 0);
	ledger_close(l);
}

/*
 * After ca switch, OCSP answers about the previous CA's certificates are
 * signed by that CA's responder, which the signer alone holds; an answer
 * about one CA asked of the other's responder is signed by its own CA's
 * (the worker then finds it is not what it asked: unavailable, a 503).
 */
static void
test_remote_ocsp_previous(void)
{
	static const struct rollover_opts o = { NULL, NULL, 3650, 730, 0, 0,
	    NULL };
	struct fixture		 f2;
	struct ocsp_responder	 r;
	struct ra		 ra;
	struct keyop		*cur, *prev;
	OCSP_BASICRESP		*bs;
	char			 path[128], reason[REASON_MAX], warn[2048];
	char			 dir[PATH_MAX + 64];
	pid_t			 pid;
	int			 status;

	CU_ASSERT_FATAL(fixture_open(&f2, "[OCSP]\nPath = /ocsp\n") == 0);
	CU_ASSERT_EQUAL_FATAL(rollover_create(&f2.cfg, &o, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL_FATAL(rollover_switch(&f2.cfg, 1, dir, sizeof(dir),
	    reason, sizeof(reason)), 0);
	CU_ASSERT_FATAL(ra_load(&f2.cfg, &ra, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL_FATAL(ocsp_responder_load(&f2.cfg, &ra, &r, warn,
	    sizeof(warn), reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL_FATAL(r.n, 2);
	snprintf(path, sizeof(path), "%s/signer-ocsp.sock", f2.dir);
	CU_ASSERT_FATAL((pid = start_signer_of(f2.ini, path, 3)) > 0);
	cur = keyop_remote(path, 2000, KEYOP_OCSP, r.issuers[0].signer.cert);
	prev = keyop_remote(path, 2000, KEYOP_OCSP, r.issuers[1].signer.cert);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cur);
	CU_ASSERT_PTR_NOT_NULL_FATAL(prev);
	/* The previous CA's certificate: its own responder signs. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(bs = draft_about(r.issuers[1].ca));
	CU_ASSERT_EQUAL(keyop_sign_ocsp(prev, bs, r.issuers[1].signer.cert,
	    EVP_sha256(), 0), 1);
	CU_ASSERT(answer_by(bs, r.issuers[1].signer.cert));
	CU_ASSERT(!answer_by(bs, r.issuers[0].signer.cert));
	OCSP_BASICRESP_free(bs);
	/* The current CA's, through the current responder. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(bs = draft_about(r.issuers[0].ca));
	CU_ASSERT_EQUAL(keyop_sign_ocsp(cur, bs, r.issuers[0].signer.cert,
	    EVP_sha256(), 0), 1);
	CU_ASSERT(answer_by(bs, r.issuers[0].signer.cert));
	OCSP_BASICRESP_free(bs);
	/* The current CA's asked of the previous responder's handle. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(bs = draft_about(r.issuers[0].ca));
	CU_ASSERT_EQUAL(keyop_sign_ocsp(prev, bs, r.issuers[1].signer.cert,
	    EVP_sha256(), 0), 0);
	CU_ASSERT(keyop_unavailable(prev));
	OCSP_BASICRESP_free(bs);
	keyop_free(cur);
	keyop_free(prev);
	waitpid(pid, &status, 0);
	unlink(path);
	ocsp_responder_free(&r);
	ra_free(&ra);
	fixture_close(&f2);
}

int
register_signer(void)
{
	CU_pSuite	 s = CU_add_suite("signer", setup, teardown);

	if (s == NULL ||
	    !CU_add_test(s, "frames encode and decode", test_wire_roundtrip) ||
	    !CU_add_test(s, "hostile frame bodies", test_wire_hostile) ||
	    !CU_add_test(s, "frames read with lengths and timeouts",
	    test_wire_read) ||
	    !CU_add_test(s, "refused: CA, keyCertSign, EKU, validity, issuer",
	    test_refusals) ||
	    !CU_add_test(s, "refused: extensions issuing never adds, names, "
	    "times", test_refusals_extensions) ||
	    !CU_add_test(s, "refused: CertRep attributes with room to spare",
	    test_refusals_cms) ||
	    !CU_add_test(s, "refused: CertRep attributes over any content",
	    test_refusals_cms_content) ||
	    !CU_add_test(s, "refused: CRLs not of now or for too long, or "
	    "undoing an entry",
	    test_refusals_crl) ||
	    !CU_add_test(s, "signed through keyops_remote", test_remote) ||
	    !CU_add_test(s, "a serial signed once per CA (the ledger)",
	    test_ledger) ||
	    !CU_add_test(s, "revocations only grow (the ledger)",
	    test_ledger_revocations) ||
	    !CU_add_test(s, "RA decryption and CertRep through the signer",
	    test_remote_ra) ||
	    !CU_add_test(s, "OCSP for the current and previous CA through "
	    "the signer", test_remote_ocsp_previous))
		return -1;
	return 0;
}
