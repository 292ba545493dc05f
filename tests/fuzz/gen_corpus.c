/*
 * gen_corpus.c - seeds for the fuzz targets, made with the project's own
 * code against a state folder that mscep-admin init and mdm-init made
 * (tests/fuzz/gen_corpus.sh runs it):
 *
 *   gen-corpus OUTDIR MSCEP.INI BLOB_FILE...
 *
 * PKIOperations are built with the unit fixture's helpers
 * (tests/unit/fixture.c) to that state's RA; challenge blobs come from
 * mscep-admin challenge (one per BLOB_FILE) and are opened with the
 * state's challenge key to seed the inner layers. The seeds keep the input
 * formats described at the top of each fuzz_<target>.c.
 */
#include "fuzz_common.h"
#include "../unit/fixture.h"
#include "ca/ca_init.h"
#include "ca/issue.h"
#include "ca/keyops.h"
#include "ca/sigwire.h"
#include "ca/template.h"
#include "util/cert.h"
#include "policy/challenge.h"
#include "policy/policy_mdmchallenge.h"
#include "scep/scep_attr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

static const char	*outdir;
static struct config	 cfg;
static struct ra	 ra;

static void
fail(const char *what)
{
	fprintf(stderr, "gen-corpus: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* OUTDIR/target/name: prefix bytes, then data. */
static void
seed(const char *target, const char *name, const void *prefix, size_t plen,
    const void *data, size_t len)
{
	char	 path[PATH_MAX];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(prefix, 1, plen, f) != plen ||
	    (len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
		fail(path);
}

/* fuzz_worker's form: flags byte, request line, '\n', body. */
static void
worker_seed(const char *name, unsigned char flags, const char *line,
    const void *body, size_t len)
{
	struct buf	 b = { 0 };

	buf_append(&b, &flags, 1);
	buf_append(&b, line, strlen(line));
	buf_append(&b, "\n", 1);
	seed("worker", name, b.p, b.len, body, len);
	buf_free(&b);
}

/* fuzz_worker's wrapped form (flags bit 3): body "T C inner". */
static void
worker_wrap_seed(const char *name, unsigned char flags, const char *method,
    unsigned char type, unsigned char c, const struct buf *inner)
{
	struct buf	 b = { 0 };
	char		 line[128];
	unsigned char	 tc[2] = { type, c };

	snprintf(line, sizeof(line), "%s /certsrv/mscep/mscep.dll?"
	    "operation=PKIOperation", method);
	buf_append(&b, tc, 2);
	buf_append(&b, inner->p, inner->len);
	worker_seed(name, flags | 8, line, b.p, b.len);
	buf_free(&b);
}

static void
seed_buf(const char *target, const char *name, const void *prefix,
    size_t plen, struct buf *b)
{
	seed(target, name, prefix, plen, b->p, b->len);
	buf_free(b);
}

static struct buf
req_der(X509_REQ *csr)
{
	struct buf	 b = { 0 };
	unsigned char	*der = NULL;
	int		 len;

	if ((len = i2d_X509_REQ(csr, &der)) <= 0 ||
	    buf_append(&b, der, (size_t)len) != 0)
		fail("i2d_X509_REQ");
	OPENSSL_free(der);
	return b;
}

static void
add_ext(STACK_OF(X509_EXTENSION) *exts, int nid, const char *value)
{
	X509_EXTENSION	*e = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

	if (e == NULL || !sk_X509_EXTENSION_push(exts, e))
		fail(value);
}

/* SEQUENCE { BMPString name, BMPString value } (szOID_ENROLLMENT_NAME_VALUE_PAIR). */
static int
name_value(unsigned char *der, const char *name, const char *value)
{
	unsigned char	*p = der + 2;
	const char	*s[2] = { name, value };
	size_t		 i, j;

	for (i = 0; i < 2; i++) {
		*p++ = 0x1e;
		*p++ = (unsigned char)(2 * strlen(s[i]));
		for (j = 0; s[i][j] != '\0'; j++) {
			*p++ = 0;
			*p++ = (unsigned char)s[i][j];
		}
	}
	der[0] = 0x30;
	der[1] = (unsigned char)(p - der - 2);
	return (int)(p - der);
}

/* Intune's two pairs, as two values of one attribute. */
static void
add_validity(X509_REQ *req)
{
	X509_ATTRIBUTE	*a;
	unsigned char	 der[128];
	int		 n;

	n = name_value(der, "ValidityPeriod", "Days");
	if ((a = X509_ATTRIBUTE_create_by_txt(NULL, "1.3.6.1.4.1.311.13.2.1",
	    V_ASN1_SEQUENCE, der, n)) == NULL)
		fail("name-value pair");
	n = name_value(der, "ValidityPeriodUnits", "15");
	if (!X509_ATTRIBUTE_set1_data(a, V_ASN1_SEQUENCE, der, n) ||
	    !X509_REQ_add1_attr(req, a))
		fail("name-value pair");
	X509_ATTRIBUTE_free(a);
}

/*
 * A CSR: subject (/-separated or NULL), key usage and SANs as X509v3
 * config strings (NULL: none), challengePassword (NULL: none).
 */
static X509_REQ *
make_csr(EVP_PKEY *key, const char *cn, const char *o, const char *ku,
    const char *san, const char *challenge, int validity)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_REQ	*req = X509_REQ_new();
	X509_NAME	*name = X509_REQ_get_subject_name(req);

	if (cn != NULL)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0);
	if (o != NULL)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
		    (const unsigned char *)o, -1, -1, 0);
	X509_REQ_set_pubkey(req, key);
	if (ku != NULL)
		add_ext(exts, NID_key_usage, ku);
	if (san != NULL)
		add_ext(exts, NID_subject_alt_name, san);
	if (sk_X509_EXTENSION_num(exts) > 0 &&
	    !X509_REQ_add_extensions(req, exts))
		fail("extensions");
	if (challenge != NULL && !X509_REQ_add1_attr_by_NID(req,
	    NID_pkcs9_challengePassword, MBSTRING_UTF8,
	    (const unsigned char *)challenge, -1))
		fail("challengePassword");
	if (validity)
		add_validity(req);
	if (X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		fail("X509_REQ_sign");
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return req;
}

static EVP_PKEY *
key(const char *spec)
{
	char		 reason[REASON_MAX];
	EVP_PKEY	*k;

	if (strcmp(spec, "rsa:1024") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	else
		k = ca_keygen(spec, reason, sizeof(reason));
	if (k == NULL)
		fail(spec);
	return k;
}

/* IssuerAndSubject (RFC 8894 §3.3.3), the CertPoll content. */
static struct buf
issuer_and_subject(X509_NAME *issuer, X509_NAME *subject)
{
	struct buf	 b = { 0 };
	unsigned char	*i = NULL, *s = NULL, hdr[4];
	int		 il = i2d_X509_NAME(issuer, &i), sl = i2d_X509_NAME(subject, &s);
	size_t		 n = (size_t)il + (size_t)sl;

	if (il <= 0 || sl <= 0 || n > 0xffff)
		fail("IssuerAndSubject");
	hdr[0] = 0x30;
	hdr[1] = 0x82;
	hdr[2] = (unsigned char)(n >> 8);
	hdr[3] = (unsigned char)n;
	buf_append(&b, hdr, 4);
	buf_append(&b, i, (size_t)il);
	buf_append(&b, s, (size_t)sl);
	OPENSSL_free(i);
	OPENSSL_free(s);
	return b;
}

static struct buf
issuer_and_serial(X509_NAME *issuer, long serial)
{
	PKCS7_ISSUER_AND_SERIAL	*ias = PKCS7_ISSUER_AND_SERIAL_new();
	struct buf		 b = { 0 };
	unsigned char		*der = NULL;
	int			 len;

	X509_NAME_set(&ias->issuer, issuer);
	ASN1_INTEGER_set(ias->serial, serial);
	if ((len = i2d_PKCS7_ISSUER_AND_SERIAL(ias, &der)) <= 0)
		fail("IssuerAndSerialNumber");
	buf_append(&b, der, (size_t)len);
	OPENSSL_free(der);
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	return b;
}

/* A SignedData with two signers (SCEP allows one). */
static void
two_signers(EVP_PKEY *k1, X509 *c1, EVP_PKEY *k2, X509 *c2,
    const struct buf *content, struct buf *out)
{
	CMS_ContentInfo	*cms;
	BIO		*in = BIO_new_mem_buf(content->p, (int)content->len);
	BIO		*der = BIO_new(BIO_s_mem());
	BUF_MEM		*m;

	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY |
	    CMS_PARTIAL)) == NULL ||
	    CMS_add1_signer(cms, c1, k1, EVP_sha256(), CMS_BINARY) == NULL ||
	    CMS_add1_signer(cms, c2, k2, EVP_sha256(), CMS_BINARY) == NULL ||
	    CMS_final(cms, in, NULL, CMS_BINARY) != 1 ||
	    i2d_CMS_bio(der, cms) != 1)
		fail("two signers");
	BIO_get_mem_ptr(der, &m);
	buf_append(out, m->data, m->length);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(der);
}

/* The pkiop and worker seeds: messages to the state's RA. */
static void
pkiop_seeds(void)
{
	struct requester r, rec;
	struct buf	 m = { 0 }, inner, env = { 0 }, csr;
	X509_NAME	*ca = X509_get_subject_name(ra.ca);
	EVP_PKEY	*eck = key("ec:P-256");
	X509		*ecself = fuzz_self_signed(eck, "ec-device"), *pssself;
	EVP_PKEY	*pssk;
	EVP_PKEY_CTX	*pctx;
	X509_REQ	*ecreq, *single;
	char		*b64, *q, *big;
	size_t		 i, n;
	static const unsigned char p01a[] = { 0x01, 19, 0x00 },
	    p01b[] = { 0x01, 20, 0x01 }, p01c[] = { 0x01, 21, 0x16 },
	    p01d[] = { 0x01, 19, 0x24 }, p02[] = { 0x02 },
	    p01e[] = { 0x01, 17, 0x11 }, p01f[] = { 0x01, 22, 0x02 };

	if (requester_new(&r, "device-1", "both", "1ED0DD50F7459D6E",
	    "device-1.example") != 0 ||
	    requester_new(&rec, "router", "keyEncipherment", NULL, NULL) != 0)
		fail("requester_new");
	/* Raw POST bodies (fuzz_pkiop's first form). */
	if (build_pkcsreq(&r, ra.enc_cert, EVP_aes_128_cbc(), "TX-AES128",
	    &m) != 0)
		fail("PKCSReq");
	worker_seed("post-pkcsreq", 0, "POST /certsrv/mscep/mscep.dll?"
	    "operation=PKIOperation", m.p, m.len);
	seed_buf("pkiop", "pkcsreq-aes128-sha256", "", 0, &m);
	csr = req_der(r.csr);
	if (build_pkimessage(&r, ra.enc_cert, EVP_aes_256_cbc(), EVP_sha512(),
	    19, "TX-AES256", csr.p, csr.len, &m) != 0)
		fail("PKCSReq");
	seed_buf("pkiop", "pkcsreq-aes256-sha512", "", 0, &m);
	if (build_pkimessage(&r, ra.enc_cert, EVP_des_ede3_cbc(), EVP_sha1(),
	    19, "TX-3DES", csr.p, csr.len, &m) != 0)
		fail("PKCSReq");
	seed_buf("pkiop", "pkcsreq-3des-sha1", "", 0, &m);
	if (build_pkimessage(&r, ra.enc_cert, EVP_des_cbc(), EVP_sha256(),
	    19, "TX-DES", csr.p, csr.len, &m) == 0)
		seed_buf("pkiop", "pkcsreq-des", "", 0, &m);
	if (build_pkimessage(&r, ra.enc_cert, EVP_aes_128_cbc(), EVP_md5(),
	    19, "TX-MD5", csr.p, csr.len, &m) == 0)
		seed_buf("pkiop", "pkcsreq-md5", "", 0, &m);
	if (build_pkimessage(&r, ra.enc_cert, EVP_aes_128_cbc(), EVP_sha256(),
	    17, "TX-RENEWAL", csr.p, csr.len, &m) != 0)
		fail("RenewalReq");
	seed_buf("pkiop", "renewalreq", "", 0, &m);
	seed("pkiop", "inner-renewalreq", p01e, 3, csr.p, csr.len);
	if (fuzz_envelope(ra.enc_cert, EVP_aes_256_cbc(), 1, csr.p, csr.len,
	    &env) != 0 || fuzz_sign_pkimessage(r.key, r.self, EVP_sha256(), 19,
	    "TX-OAEP", env.p, env.len, &m) != 0)
		fail("OAEP");
	seed_buf("pkiop", "pkcsreq-oaep", "", 0, &m);
	seed_buf("pkiop", "envelope", p02, 1, &env);
	seed("pkiop", "inner-pkcsreq", p01a, 3, csr.p, csr.len);
	worker_wrap_seed("wrap-pkcsreq-otp", 0, "POST", 19, 0, &csr);
	worker_wrap_seed("wrap-pkcsreq-open-resubmit", 48, "POST", 19, 2,
	    &csr);
	buf_free(&csr);
	/* An EC device: signer and CSR key are P-256. */
	ecreq = make_csr(eck, "ec-device", NULL, "digitalSignature",
	    "DNS:ec.example, IP:192.0.2.1", "secret", 0);
	csr = req_der(ecreq);
	if (fuzz_envelope(ra.enc_cert, EVP_aes_128_cbc(), 0, csr.p, csr.len,
	    &env) != 0 || fuzz_sign_pkimessage(eck, ecself, EVP_sha384(), 19,
	    "TX-EC", env.p, env.len, &m) != 0)
		fail("EC PKCSReq");
	seed_buf("pkiop", "pkcsreq-ec", "", 0, &m);
	two_signers(eck, ecself, r.key, r.self, &env, &m);
	seed_buf("pkiop", "two-signers", "", 0, &m);
	/* A key the reply cannot be encrypted to (OpenSSL 3.0's CMS does
	 * not sign with Ed25519). */
	pssk = NULL;
	if ((pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL)) ==
	    NULL || EVP_PKEY_keygen_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(pctx, 2048) != 1 ||
	    EVP_PKEY_keygen(pctx, &pssk) != 1)
		fail("RSA-PSS key");
	EVP_PKEY_CTX_free(pctx);
	pssself = fuzz_self_signed(pssk, "rsa-pss-device");
	if (fuzz_sign_pkimessage(pssk, pssself, EVP_sha256(), 19, "TX-RSAPSS",
	    env.p, env.len, &m) != 0)
		fail("RSA-PSS signer");
	seed_buf("pkiop", "rsa-pss-signer", "", 0, &m);
	buf_free(&env);
	X509_free(pssself);
	EVP_PKEY_free(pssk);
	worker_wrap_seed("wrap-pkcsreq-open-get", 32, "GET", 19, 1, &csr);
	seed_buf("pkiop", "inner-pkcsreq-ec", p01d, 3, &csr);
	/* CertPoll and GetCert. */
	inner = issuer_and_subject(ca, X509_REQ_get_subject_name(rec.csr));
	if (build_pkimessage(&rec, ra.enc_cert, EVP_aes_128_cbc(),
	    EVP_sha256(), 20, "TX-POLL", inner.p, inner.len, &m) != 0)
		fail("CertPoll");
	seed("pkiop", "inner-certpoll", p01b, 3, inner.p, inner.len);
	worker_wrap_seed("wrap-certpoll-resubmit", 48, "POST", 20, 0, &inner);
	buf_free(&inner);
	/* GET forms: base64 as sent, percent-encoded, base64url, wrapped. */
	n = 4 * ((m.len + 2) / 3) + 1;
	b64 = malloc(n);
	q = malloc(3 * n + 128);
	util_base64_encode(m.p, m.len, b64, n);
	snprintf(q, 3 * n + 128, "GET /certsrv/mscep/mscep.dll?"
	    "operation=PKIOperation&message=%s", b64);
	worker_seed("get-certpoll-raw", 0, q, "", 0);
	n = (size_t)sprintf(q, "GET /certsrv/mscep/mscep.dll/pkiclient.exe??"
	    "operation=PKIOperation&message=");
	for (i = 0; b64[i] != '\0'; i++) {
		if (b64[i] == '+' || b64[i] == '/' || b64[i] == '=')
			n += (size_t)sprintf(q + n, "%%%02X", b64[i]);
		else
			q[n++] = b64[i];
		if (i % 64 == 63)
			n += (size_t)sprintf(q + n, "%%0A");
	}
	q[n] = '\0';
	worker_seed("get-certpoll-pct", 0, q, "", 0);
	for (i = 0; b64[i] != '\0'; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' :
		    b64[i];
	snprintf(q, 3 * n + 128, "GET /certsrv/mscep/mscep.dll?"
	    "message=%s&operation=pkioperation", b64);
	worker_seed("get-certpoll-url", 4, q, "", 0);
	free(b64);
	free(q);
	seed_buf("pkiop", "certpoll", "", 0, &m);
	inner = issuer_and_serial(ca, 0x1234);
	if (build_pkimessage(&rec, ra.enc_cert, EVP_aes_128_cbc(),
	    EVP_sha256(), 21, "TX-GETCERT", inner.p, inner.len, &m) != 0)
		fail("GetCert");
	seed("pkiop", "inner-getcert", p01c, 3, inner.p, inner.len);
	worker_wrap_seed("wrap-getcert", 32, "GET", 21, 0x0a, &inner);
	buf_free(&inner);
	seed_buf("pkiop", "getcert", "", 0, &m);
	inner = issuer_and_serial(ca, 0x01);
	if (build_pkimessage(&rec, ra.enc_cert, EVP_aes_256_cbc(),
	    EVP_sha384(), 22, "TX-GETCRL", inner.p, inner.len, &m) != 0)
		fail("GetCRL");
	seed("pkiop", "inner-getcrl", p01f, 3, inner.p, inner.len);
	buf_free(&inner);
	seed_buf("pkiop", "getcrl", "", 0, &m);
	worker_seed("getcacaps", 0, "GET /certsrv/mscep/mscep.dll?"
	    "operation=GetCACaps&message=CA", "", 0);
	worker_seed("getcacert", 4, "GET /certsrv/mscep/mscep.dll/"
	    "pkiclient.exe?operation=GetCACert&message=ca", "", 0);
	worker_seed("landing", 4, "GET /certsrv/mscep/mscep.dll", "", 0);
	worker_seed("head", 0, "HEAD /certsrv/mscep/mscep.dll?"
	    "operation=PKIOperation&message=", "", 0);
	worker_seed("unknown-op", 0, "POST /certsrv/mscep/mscep.dll?"
	    "operation=GetNextCACert", "x", 1);
	worker_seed("password-page", 3, "GET /CertSrv/mscep_admin/", "", 0);
	worker_seed("password-page-http", 2, "GET "
	    "/certsrv/MSCEP_ADMIN/mscep.dll?x=1", "", 0);
	worker_seed("password-page-post", 3, "POST /CertSrv/mscep_admin",
	    "", 0);
	/* The other workers and clients of fuzz_worker.c. */
	single = make_csr(eck, "kiosk", NULL, "digitalSignature,"
	    "keyEncipherment", "DNS:kiosk.example", "FUZZ-SINGLE-PASSWORD", 1);
	csr = req_der(single);
	worker_wrap_seed("wrap-single-password", 2 << 5, "POST", 19, 0, &csr);
	worker_wrap_seed("wrap-direct", 4 << 5, "POST", 19, 0x01, &csr);
	worker_wrap_seed("wrap-rsa-oaep", 1 << 5, "POST", 19, 0x24, &csr);
	worker_wrap_seed("wrap-own-key", 1 << 5, "POST", 19, 0x10, &csr);
	worker_wrap_seed("wrap-rsa-resubmit", 1 << 5 | 16, "POST", 19, 0x20,
	    &csr);
	worker_wrap_seed("wrap-intune", 3 << 5, "GET", 19, 0x08, &csr);
	buf_free(&csr);
	worker_seed("intune-landing", 3 << 5, "GET /certsrv/mscep/mscep.dll",
	    "", 0);
	worker_seed("direct-getcacert", 4 << 5, "GET /certsrv/mscep/"
	    "mscep.dll?operation=GetCACert", "", 0);
	worker_seed("page-utf8-bob", 2 << 5 | 2 << 1, "GET "
	    "/certsrv/mscep_admin/mscep.dll", "", 0);
	worker_seed("page-mallory", 3 << 1 | 1, "GET /CertSrv/mscep_admin",
	    "", 0);
	big = calloc(1, 9000);
	worker_seed("post-too-large", 2 << 5, "POST /certsrv/mscep/mscep.dll?"
	    "operation=PKIOperation", big, 3000);
	memset(big, 'A', 9000);
	memcpy(big, "GET /certsrv/mscep/mscep.dll?operation=PKIOperation&"
	    "message=", 60);
	big[8999] = '\0';
	worker_seed("get-too-long", 2 << 5, big, "", 0);
	free(big);
	X509_REQ_free(single);
	X509_REQ_free(ecreq);
	X509_free(ecself);
	EVP_PKEY_free(eck);
	requester_free(&r);
	requester_free(&rec);
}

/*
 * fuzz_worker's lifecycle workers 5 to 7 (flags bits 5-7) and its
 * signers (C bits 6-7): renewals, requests held for approval, CertPoll
 * on one, GetCRL, GetNextCACert.
 */
static void
life_seeds(void)
{
	static const struct {
		const char	*name;
		unsigned char	 flags, c;
		const char	*ku, *san;
	} renew[] = {
		/* GpT, worker 5: renews (again and again: no supersede). */
		{ "renew-gpt", 5 << 5, 0x40, "digitalSignature,keyEncipherment",
		  "DNS:renewal.example" },
		/* Worker 6: GpT RenewalWindowDays = 30. */
		{ "renew-too-early", 6 << 5, 0x41,
		  "digitalSignature,keyEncipherment", "DNS:renewal.example" },
		/* Worker 7: from the previous CA, superseding. */
		{ "renew-previous-ca", 7 << 5, 0x42,
		  "digitalSignature,keyEncipherment", "DNS:renewal.example" },
		/* The identity's transactionID: with its own key (micromdm)
		 * it is its own transaction; with another, taken. */
		{ "renew-same-key-own-txid", 5 << 5 | 16, 0x60,
		  "digitalSignature,keyEncipherment", "DNS:renewal.example" },
		{ "renew-same-key-superseding", 7 << 5 | 16, 0x60,
		  "digitalSignature,keyEncipherment", "DNS:renewal.example" },
		{ "renew-base-txid-new-key", 5 << 5 | 16, 0x40,
		  "digitalSignature,keyEncipherment", "DNS:renewal.example" },
		{ "renew-other-sans", 5 << 5, 0x40,
		  "digitalSignature,keyEncipherment", "DNS:other.example" },
		{ "renew-no-sans", 7 << 5, 0x48,
		  "digitalSignature,keyEncipherment", NULL },
		/* Into another template than the recorded one. */
		{ "renew-into-enct", 5 << 5, 0x40, "keyEncipherment",
		  "DNS:renewal.example" },
		{ "renew-into-sigt", 5 << 5, 0x40, "digitalSignature",
		  "DNS:renewal.example" },
		/* The second identity: revoked in 5, SigT in 6, absent in 7. */
		{ "renew-revoked", 5 << 5, 0x80,
		  "digitalSignature,keyEncipherment", "DNS:renewal.example" },
		{ "renew-second-not-renewable", 6 << 5, 0x80,
		  "digitalSignature", NULL },
		{ "renew-second-into-gpt", 6 << 5, 0x80,
		  "digitalSignature,keyEncipherment", NULL },
		{ "renew-not-recorded", 7 << 5, 0x80,
		  "digitalSignature,keyEncipherment", NULL },
		{ "renew-expired", 5 << 5, 0xc0,
		  "digitalSignature,keyEncipherment", "DNS:renewal.example" },
		{ "renew-self-signed", 5 << 5, 0x00,
		  "digitalSignature,keyEncipherment", "DNS:renewal.example" },
		/* The CSR as is: its own subject and key. */
		{ "renew-own-subject", 5 << 5, 0x50,
		  "digitalSignature,keyEncipherment", "DNS:renewal.example" },
		{ "renew-get", 7 << 5, 0x44,
		  "digitalSignature,keyEncipherment", "DNS:renewal.example" },
	};
	X509_NAME	*fuzz_ca = X509_NAME_new();
	EVP_PKEY	*k = key("ec:P-256");
	X509_REQ	*req;
	struct buf	 der, inner;
	size_t		 i;

	for (i = 0; i < sizeof(renew) / sizeof(renew[0]); i++) {
		req = make_csr(k, "fuzz-renewal", "Fuzz", renew[i].ku,
		    renew[i].san, NULL, 0);
		der = req_der(req);
		worker_wrap_seed(renew[i].name, renew[i].flags,
		    strcmp(renew[i].name, "renew-get") ? "POST" : "GET", 17,
		    renew[i].c, &der);
		buf_free(&der);
		X509_REQ_free(req);
	}
	/* SigT on workers 5 to 7 requires approval; with FUZZ-RESUBMIT and
	 * the EC client key the harness holds one already. */
	req = make_csr(k, "kiosk-approval", NULL, "digitalSignature",
	    "DNS:kiosk.example", NULL, 0);
	der = req_der(req);
	worker_wrap_seed("hold-for-approval", 5 << 5, "POST", 19, 0x00, &der);
	worker_wrap_seed("hold-resubmit-pending", 5 << 5 | 16, "POST", 19, 0x00,
	    &der);
	worker_wrap_seed("hold-previous-ca", 7 << 5, "GET", 19, 0x20, &der);
	buf_free(&der);
	X509_REQ_free(req);
	/* The CA the harness makes: CN=Fuzz CA, O=mscep (ca_init). */
	if (fuzz_ca == NULL ||
	    !X509_NAME_add_entry_by_txt(fuzz_ca, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Fuzz CA", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(fuzz_ca, "O", MBSTRING_UTF8,
	    (const unsigned char *)"mscep", -1, -1, 0))
		fail("Fuzz CA name");
	inner = issuer_and_subject(fuzz_ca, X509_REQ_get_subject_name(req =
	    make_csr(k, "fuzz-pending", NULL, "digitalSignature", NULL, NULL,
	    0)));
	/* Held: pending in 5, approved in 6, denied in 7. */
	worker_wrap_seed("certpoll-pending", 5 << 5 | 16, "POST", 20, 0x00,
	    &inner);
	worker_wrap_seed("certpoll-approved", 6 << 5 | 16, "POST", 20, 0x01,
	    &inner);
	worker_wrap_seed("certpoll-denied", 7 << 5 | 16, "GET", 20, 0x00,
	    &inner);
	buf_free(&inner);
	X509_REQ_free(req);
	inner = issuer_and_serial(fuzz_ca, 0x01);
	worker_wrap_seed("getcrl", 5 << 5, "POST", 22, 0x00, &inner);
	worker_wrap_seed("getcrl-previous-ca", 7 << 5, "GET", 22, 0x05, &inner);
	worker_wrap_seed("getcrl-no-crl", 1 << 5, "POST", 22, 0x00, &inner);
	worker_wrap_seed("getcrl-renewal-signer", 6 << 5, "POST", 22, 0x40,
	    &inner);
	buf_free(&inner);
	inner = issuer_and_serial(X509_get_subject_name(ra.ca), 0x01);
	worker_wrap_seed("getcrl-other-issuer", 5 << 5, "POST", 22, 0x00,
	    &inner);
	buf_free(&inner);
	worker_seed("getnextcacert", 6 << 5, "GET /certsrv/mscep/mscep.dll?"
	    "operation=GetNextCACert&message=ca", "", 0);
	worker_seed("getnextcacert-none", 0, "GET /certsrv/mscep/mscep.dll?"
	    "operation=GetNextCACert", "", 0);
	worker_seed("getcacaps-renewal-next", 6 << 5, "GET /certsrv/mscep/"
	    "mscep.dll?operation=GetCACaps", "", 0);
	X509_NAME_free(fuzz_ca);
	EVP_PKEY_free(k);
}

/* fuzz_csr's two flags bytes are described in fuzz_csr.c. */
static void
csr_seeds(void)
{
	static const struct {
		const char	*name, *key, *cn, *o, *ku, *san, *pw;
		int		 validity;
		unsigned char	 flags[2];
	} c[] = {
		{ "rsa-both-dns", "rsa:2048", "device-1", NULL,
		  "digitalSignature,keyEncipherment", "DNS:device-1.example",
		  "1ED0DD50F7459D6E", 0, { 0x00, 0x00 } },
		{ "rsa-sig-sans", "rsa:2048", "printer", "Example",
		  "critical,digitalSignature,nonRepudiation",
		  "DNS:p.example, email:p@example.com, URI:urn:example:p, "
		  "IP:192.0.2.7, otherName:1.3.6.1.4.1.311.20.2.3;UTF8:"
		  "alice@example.com", NULL, 0, { 0x02, 0x01 } },
		{ "rsa-enc-validity", "rsa:2048", "vpn", NULL,
		  "keyEncipherment,dataEncipherment", "DNS:vpn.example, "
		  "IP:2001:db8::1", NULL, 1, { 0x00, 0x02 } },
		{ "ec-nokeyusage-validity", "ec:P-256", "sensor", "Example",
		  NULL, NULL, NULL, 1, { 0x00, 0x00 } },
		{ "ec-nokeyusage-reject", "ec:P-256", "sensor", NULL,
		  NULL, NULL, NULL, 0, { 0x00, 0x03 } },
		{ "ec-nokeyusage-signature", "ec:P-256", "sensor", NULL,
		  NULL, "DNS:s.example", NULL, 1, { 0x01, 0x01 } },
		{ "ec384-agreement-rid", "ec:P-384", "gateway", NULL,
		  "keyAgreement", "RID:1.2.3.4, otherName:1.2.3.4;UTF8:other",
		  NULL, 0, { 0x01, 0x00 } },
		{ "ec-no-subject", "ec:P-256", NULL, NULL,
		  "digitalSignature", "DNS:only-san.example", NULL, 0,
		  { 0x03, 0x00 } },
		{ "rsa1024", "rsa:1024", "weak", NULL, "digitalSignature",
		  NULL, NULL, 0, { 0x24, 0x00 } },
		{ "ec-forced-template", "ec:P-256", "kiosk", "Example",
		  "digitalSignature,keyEncipherment", "DNS:k.example", NULL, 1,
		  { 0x17, 0x02 } },
		{ "resign-secp256k1", "ec:P-256", "k1", NULL,
		  "digitalSignature", NULL, NULL, 0, { 0x01, 0x04 } },
		{ "resign-ed25519", "ec:P-256", "ed", NULL,
		  "digitalSignature", NULL, NULL, 0, { 0x01, 0x08 } },
		{ "resign-rsa1024", "ec:P-256", "small", NULL,
		  "keyEncipherment", NULL, NULL, 0, { 0x01, 0x0c } },
	};
	char		 many[2048];
	size_t		 i, n;
	EVP_PKEY	*k;
	X509_REQ	*req;
	struct buf	 der;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		k = key(c[i].key);
		req = make_csr(k, c[i].cn, c[i].o, c[i].ku, c[i].san, c[i].pw,
		    c[i].validity);
		der = req_der(req);
		seed_buf("csr", c[i].name, c[i].flags, 2, &der);
		X509_REQ_free(req);
		EVP_PKEY_free(k);
	}
	/* More SAN text than the store's column holds (issue_describe). */
	for (i = 0, n = 0; i < 40; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
		    "%sDNS:host-%02zu.a-rather-long-domain.example", i ? ", " : "",
		    i);
	k = key("ec:P-256");
	req = make_csr(k, "many", NULL, "digitalSignature", many, NULL, 0);
	der = req_der(req);
	seed_buf("csr", "many-sans", "\x00\x00", 2, &der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

/* An OCSPRequest for serials of the state's CA (DER). */
static struct buf
ocsp_request(const EVP_MD *md, const long *serial, int n, int nonce,
    EVP_PKEY *signer, X509 *signer_cert)
{
	OCSP_REQUEST	*req = OCSP_REQUEST_new();
	ASN1_INTEGER	*ai;
	OCSP_CERTID	*id;
	struct buf	 b = { 0 };
	unsigned char	*der = NULL;
	int		 i, len;

	for (i = 0; i < n; i++) {
		if ((ai = ASN1_INTEGER_new()) == NULL ||
		    !ASN1_INTEGER_set(ai, serial[i]) ||
		    (id = OCSP_cert_id_new(md, X509_get_subject_name(ra.ca),
		    X509_get0_pubkey_bitstr(ra.ca), ai)) == NULL ||
		    OCSP_request_add0_id(req, id) == NULL)
			fail("OCSP CertID");
		ASN1_INTEGER_free(ai);
	}
	if ((nonce && OCSP_request_add1_nonce(req, NULL, nonce) != 1) ||
	    (signer != NULL && OCSP_request_sign(req, signer_cert, signer,
	    EVP_sha256(), NULL, 0) != 1) ||
	    (len = i2d_OCSP_REQUEST(req, &der)) <= 0 ||
	    buf_append(&b, der, (size_t)len) != 0)
		fail("OCSPRequest");
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	return b;
}

/* fuzz_ocsp's GET path text: base64, percent-escaped unless raw. */
static struct buf
ocsp_path(const struct buf *der, int raw)
{
	struct buf	 b = { 0 };
	char		*b64 = fuzz_base64(der->p, der->len), esc[4];
	size_t		 i;

	buf_append(&b, "/", 1);
	for (i = 0; b64[i] != '\0'; i++)
		if (!raw && strchr("+/=", b64[i]) != NULL) {
			snprintf(esc, sizeof(esc), "%%%02X", b64[i]);
			buf_append(&b, esc, 3);
		} else
			buf_append(&b, &b64[i], 1);
	free(b64);
	return b;
}

/* fuzz_ocsp's forms are described in fuzz_ocsp.c. */
static void
ocsp_seeds(void)
{
	static const long one[] = { 0x1234 },
	    three[] = { 0x01, 0x02, 0x7fffffff };
	static const struct {
		const char	*name;
		unsigned char	 flags;
		const char	*data;
		size_t		 len;
	} built[] = {
		/* n, nonce mode and flags; then a byte per CertID. */
		{ "built-good", 0x02, "\x01\x00", 2 },
		{ "built-revoked-sha256", 0x02, "\x01\x41", 2 },
		{ "built-all-seven", 0x02, "\x07\x00\x21\x42\x63\x84\xa5"
		  "\xc6", 8 },
		{ "built-nonce-get", 0x06, "\x0a\x10" "0123456789abcdef\x20"
		  "\xa0", 20 },
		{ "built-nonce-get-raw", 0x0e, "\x09\x20" "0123456789abcdef"
		  "0123456789abcdef\x60", 35 },
		{ "built-nonce-empty", 0x02, "\x09\x00\x00", 3 },
		{ "built-nonce-129", 0x02, "\x09\x81", 2 },
		{ "built-nonce-bare", 0x02, "\x11\x08" "abcdefgh\x00", 11 },
		{ "built-nonce-twice", 0x02, "\x19\x04" "abcd\x00", 7 },
		{ "built-no-certid", 0x02, "\x08\x04" "abcd", 6 },
		{ "built-other-ca", 0x02, "\x02\x00\x08", 3 },
		{ "built-ra-names", 0x12, "\x02\x10\x18", 3 },
		{ "built-fuzzed-serials", 0x02, "\x04\xe0\x01\x01\xe1\x01"
		  "\x02\xe2\x81\x05\xe3\x00", 13 },
		{ "built-long-serial", 0x16, "\x01\xe0\x14" "ABCDEFGHIJKLMN"
		  "OPQRST", 23 },
		{ "built-named-signed", 0x02, "\xc1\x00", 2 },
		{ "built-ec-worker", 0x12, "\x03\x05\x26\x47", 4 },
		{ "built-head", 0x26, "\x01\x00", 2 },
		{ "built-put", 0x42, "\x01\x00", 2 },
		{ "built-swapped", 0x66, "\x01\x00", 2 },
		{ "built-query", 0x86, "\x01\x00", 2 },
	};
	static const struct {
		const char	*name;
		unsigned char	 flags;
		const char	*text;
	} texts[] = {
		{ "get-none", 0x01, "" },
		{ "get-slash", 0x01, "/" },
		{ "get-other-path", 0x01, "x/MAMCAQA=" },
		{ "get-not-base64", 0x01, "/!!!!" },
		{ "get-bad-escapes", 0x01, "/%zz%4%%%0A%2" },
		{ "get-nul", 0x01, "/MA%00MC?x=%00" },
		{ "get-query", 0x01, "/MAMCAQA%3D?a=b&message=c" },
		{ "get-padding", 0x01, "/MAMCAQA===" },
		{ "get-newlines", 0x01, "/MAM%0D%0ACAQA=" },
		{ "post-empty", 0x00, "" },
	};
	struct buf	 der, path;
	EVP_PKEY	*k = key("ec:P-256");
	X509		*self = fuzz_self_signed(k, "ocsp client");
	unsigned char	 f;
	size_t		 i;

	for (i = 0; i < sizeof(built) / sizeof(built[0]); i++)
		seed("ocsp", built[i].name, &built[i].flags, 1, built[i].data,
		    built[i].len);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		seed("ocsp", texts[i].name, &texts[i].flags, 1, texts[i].text,
		    strlen(texts[i].text));
	/* Requests to the corpus state's CA: the parser's seeds. */
	der = ocsp_request(EVP_sha1(), one, 1, 16, NULL, NULL);
	f = 0x00;
	seed("ocsp", "post-sha1-nonce", &f, 1, der.p, der.len);
	f = 0x03;
	seed("ocsp", "der-get-sha1-nonce", &f, 1, der.p, der.len);
	path = ocsp_path(&der, 0);
	f = 0x01;
	seed_buf("ocsp", "get-sha1-nonce", &f, 1, &path);
	path = ocsp_path(&der, 1);
	seed_buf("ocsp", "get-sha1-nonce-raw", &f, 1, &path);
	buf_free(&der);
	der = ocsp_request(EVP_sha256(), three, 3, 0, NULL, NULL);
	f = 0x00;
	seed_buf("ocsp", "post-sha256-three", &f, 1, &der);
	der = ocsp_request(EVP_sha1(), one, 1, 32, k, self);
	f = 0x10;
	seed_buf("ocsp", "post-signed", &f, 1, &der);
	X509_free(self);
	EVP_PKEY_free(k);
}

static char *
read_blob(const char *path)
{
	char	*s = malloc(CHALLENGE_B64_MAX + 2);
	FILE	*f = fopen(path, "r");

	if (s == NULL || f == NULL || fgets(s, CHALLENGE_B64_MAX + 2, f) == NULL)
		fail(path);
	fclose(f);
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

/* Opens a blob with the state's challenge key: SignedData, then claims. */
static void
blob_layers(const char *b64, EVP_PKEY *k, X509 *cert, struct buf *sd,
    struct buf *claims)
{
	unsigned char	*der = malloc(strlen(b64));
	const unsigned char *p;
	CMS_ContentInfo	*env, *signed_ci;
	BIO		*out = BIO_new(BIO_s_mem());
	ASN1_OCTET_STRING **os;
	BUF_MEM		*bm;
	long		 n;

	if ((n = util_base64_decode(b64, strlen(b64), der, strlen(b64))) <= 0)
		fail("blob base64");
	p = der;
	if ((env = d2i_CMS_ContentInfo(NULL, &p, n)) == NULL ||
	    !CMS_decrypt(env, k, cert, NULL, out, CMS_BINARY))
		fail("blob decrypt");
	BIO_get_mem_ptr(out, &bm);
	buf_append(sd, bm->data, bm->length);
	p = sd->p;
	/* The claims as signed (the signature is checked by the target). */
	if ((signed_ci = d2i_CMS_ContentInfo(NULL, &p, (long)sd->len)) == NULL ||
	    (os = CMS_get0_content(signed_ci)) == NULL || *os == NULL)
		fail("blob SignedData");
	buf_append(claims, ASN1_STRING_get0_data(*os),
	    (size_t)ASN1_STRING_length(*os));
	CMS_ContentInfo_free(env);
	CMS_ContentInfo_free(signed_ci);
	BIO_free(out);
	free(der);
}

/*
 * Blob i was made for the CSR csrs[i] describes (gen_corpus.sh keeps the
 * two in step): subject, SANs and key usage.
 */
static void
challenge_seeds(char **blobs, int nblobs)
{
	static const struct {
		const char	*cn, *o, *ku, *san;
	} csrs[] = {
		{ "laptop-42", NULL, "digitalSignature,keyEncipherment",
		  "DNS:laptop-42.example, otherName:1.3.6.1.4.1.311.20.2.3;"
		  "UTF8:alice@example.com" },
		{ "printer", "Example", "digitalSignature",
		  "IP:192.0.2.7, email:p@example.com, URI:urn:x" },
		{ "x", NULL, NULL, NULL },
		{ "later", NULL, "keyEncipherment", "DNS:later.example" },
	};
	char		 path[PATH_MAX + 32], name[64];
	EVP_PKEY	*k = NULL, *dev;
	X509		*cert = NULL;
	X509_REQ	*req;
	struct buf	 sd, claims, der, both;
	unsigned char	 p4[3];
	int		 i;

	config_state_path(&cfg, CHALLENGE_KEY, path, sizeof(path));
	if (ra_read_key(path, &k) != 0)
		fail(path);
	config_state_path(&cfg, CHALLENGE_CERT, path, sizeof(path));
	if (ra_read_cert(path, &cert) != 0)
		fail(path);
	dev = key("ec:P-256");
	for (i = 0; i < nblobs && i < 4; i++) {
		memset(&sd, 0, sizeof(sd));
		memset(&claims, 0, sizeof(claims));
		memset(&both, 0, sizeof(both));
		snprintf(name, sizeof(name), "blob-%d", i);
		seed("challenge", name, "\x00", 1, blobs[i], strlen(blobs[i]));
		if (i == 0) {
			seed("challenge", "blob-rsa-key", "\x80", 1, blobs[i],
			    strlen(blobs[i]));
			seed("challenge", "not-a-blob", "\x00", 1,
			    "1ED0DD50F7459D6E", 16);
		}
		req = make_csr(dev, csrs[i].cn, csrs[i].o, csrs[i].ku,
		    csrs[i].san, blobs[i], 0);
		der = req_der(req);
		snprintf(name, sizeof(name), "csr-blob-%d", i);
		seed("challenge", name, "\x01", 1, der.p, der.len);
		blob_layers(blobs[i], k, cert, &sd, &claims);
		snprintf(name, sizeof(name), "signeddata-%d", i);
		seed("challenge", name, "\x02", 1, sd.p, sd.len);
		snprintf(name, sizeof(name), "claims-%d", i);
		seed("challenge", name, "\x03", 1, claims.p, claims.len);
		p4[0] = 4;
		p4[1] = (unsigned char)(claims.len >> 8);
		p4[2] = (unsigned char)claims.len;
		buf_append(&both, claims.p, claims.len);
		buf_append(&both, der.p, der.len);
		snprintf(name, sizeof(name), "policy-%d", i);
		seed_buf("challenge", name, p4, 3, &both);
		buf_free(&der);
		buf_free(&sd);
		buf_free(&claims);
		X509_REQ_free(req);
	}
	EVP_PKEY_free(dev);
	EVP_PKEY_free(k);
	X509_free(cert);
}

/* fuzz_signer's: flags (the request type in bits 0-2, bit 6: fixed up
 * by the harness for its CA), then the DER; and one whole frame. */
static void
signer_der(const char *name, unsigned char flags, unsigned char *der,
    int len)
{
	if (len <= 0)
		fail(name);
	seed("signer", name, &flags, 1, der, (size_t)len);
	OPENSSL_free(der);
}

static void
signer_seeds(void)
{
	STACK_OF(X509_ATTRIBUTE) *attrs = NULL;
	const struct template	*t;
	struct sigwire_req	 q = { .type = SIGWIRE_SIGN_CERT,
	    .role = KEYOP_CA, .md_nid = NID_sha256, .txid = "seed" };
	struct buf		 frame = { 0 }, env = { 0 }, cms = { 0 };
	EVP_PKEY		*k = key("rsa:2048");
	X509_REQ		*csr = make_csr(k, "device-1", "Example",
	    "digitalSignature, keyEncipherment", "DNS:device-1.example.com",
	    NULL, 0);
	X509			*x = NULL;
	X509_CRL		*crl = X509_CRL_new();
	X509_EXTENSION		*aki = cert_aki_ext(ra.ca);
	ASN1_TIME		*now = X509_gmtime_adj(NULL, 0);
	ASN1_OBJECT		*data = OBJ_nid2obj(NID_pkcs7_data);
	unsigned char		*der = NULL, dig[32] = { 0 }, nonce[16] = { 0 };
	unsigned char		 flags;
	char			 reason[REASON_MAX];
	int			 len;

	if ((t = template_select(&cfg, csr, reason, sizeof(reason))) == NULL ||
	    issue_build(&cfg, t, &ra, csr, NULL, &x, reason,
	    sizeof(reason)) != 0 || X509_sign(x, k, EVP_sha256()) <= 0)
		fail(reason);
	len = i2d_X509(x, &der);
	q.der = der;
	q.der_len = (size_t)len;
	if (sigwire_req_encode(&q, &frame) != 0)
		fail("sigwire_req_encode");
	seed("signer", "frame-cert", "\x00", 1, frame.p, frame.len);
	signer_der("cert", SIGWIRE_SIGN_CERT | 0x40, der, len);
	if (crl == NULL || aki == NULL || now == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ra.ca)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, now) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, now) != 1 ||
	    X509_CRL_add_ext(crl, aki, -1) != 1 ||
	    X509_CRL_sign(crl, k, EVP_sha256()) <= 0)
		fail("CRL");
	der = NULL;
	signer_der("crl", SIGWIRE_SIGN_CRL | 0x40, der,
	    i2d_X509_CRL(crl, &der));
#define TEXT(attr, text) X509at_add1_attr_by_OBJ(&attrs,			\
	    scep_attr_oid(attr), V_ASN1_PRINTABLESTRING,		\
	    (const unsigned char *)(text), (int)strlen(text))
	X509at_add1_attr_by_NID(&attrs, NID_pkcs9_contentType, V_ASN1_OBJECT,
	    (const unsigned char *)data, -1);
	X509at_add1_attr_by_NID(&attrs, NID_pkcs9_messageDigest,
	    V_ASN1_OCTET_STRING, dig, sizeof(dig));
	X509at_add1_attr_by_NID(&attrs, NID_pkcs9_signingTime, V_ASN1_UTCTIME,
	    ASN1_STRING_get0_data(now), ASN1_STRING_length(now));
	der = NULL;
	signer_der("cms-nextca", SIGWIRE_SIGN_CMS | 0x40, der,
	    sigwire_attrs_i2d(attrs, &der));
	TEXT(ATTR_MESSAGE_TYPE, "3");
	TEXT(ATTR_PKI_STATUS, "2");
	TEXT(ATTR_FAIL_INFO, "2");
	TEXT(ATTR_TRANSACTION_ID, "fuzz");
	X509at_add1_attr_by_OBJ(&attrs, scep_attr_oid(ATTR_SENDER_NONCE),
	    V_ASN1_OCTET_STRING, nonce, sizeof(nonce));
	X509at_add1_attr_by_OBJ(&attrs, scep_attr_oid(ATTR_RECIPIENT_NONCE),
	    V_ASN1_OCTET_STRING, nonce, sizeof(nonce));
#undef TEXT
	der = NULL;
	signer_der("cms-certrep", SIGWIRE_SIGN_CMS | 0x40, der,
	    sigwire_attrs_i2d(attrs, &der));
	if (fuzz_envelope(ra.enc_cert, EVP_aes_128_cbc(), 0,
	    (const unsigned char *)"inner", 5, &env) != 0)
		fail("envelope");
	seed("signer", "decrypt", "\x05", 1, env.p, env.len);
	/* A SUCCESS CertRep's, its content (an envelope) after them. */
	X509_ATTRIBUTE_free(X509at_delete_attr(attrs, X509at_get_attr_by_OBJ(
	    attrs, scep_attr_oid(ATTR_FAIL_INFO), -1)));
	X509_ATTRIBUTE_free(X509at_delete_attr(attrs, X509at_get_attr_by_OBJ(
	    attrs, scep_attr_oid(ATTR_PKI_STATUS), -1)));
	X509at_add1_attr_by_OBJ(&attrs, scep_attr_oid(ATTR_PKI_STATUS),
	    V_ASN1_PRINTABLESTRING, (const unsigned char *)"0", 1);
	der = NULL;
	if ((len = sigwire_attrs_i2d(attrs, &der)) <= 0 ||
	    buf_append(&cms, der, (size_t)len) != 0 ||
	    buf_append(&cms, env.p, env.len) != 0)
		fail("cms-certrep-success");
	OPENSSL_free(der);
	flags = SIGWIRE_SIGN_CMS | 0x40;
	seed("signer", "cms-certrep-success", &flags, 1, cms.p, cms.len);
	buf_free(&cms);
	buf_free(&env);
	buf_free(&frame);
	sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
	ASN1_TIME_free(now);
	X509_EXTENSION_free(aki);
	X509_CRL_free(crl);
	X509_free(x);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
}

int
main(int argc, char *argv[])
{
	char	 reason[REASON_MAX] = "", **blobs;
	int	 i;

	if (argc < 3) {
		fprintf(stderr, "usage: gen-corpus OUTDIR MSCEP.INI "
		    "BLOB_FILE...\n");
		return 2;
	}
	outdir = argv[1];
	OSSL_PROVIDER_load(NULL, "legacy");
	OSSL_PROVIDER_load(NULL, "default");
	if (config_load(argv[2], &cfg, stderr) != 0 || scep_attr_init() != 0 ||
	    ra_load(&cfg, &ra, reason, sizeof(reason)) != 0)
		fail(reason);
	pkiop_seeds();
	life_seeds();
	csr_seeds();
	ocsp_seeds();
	signer_seeds();
	if ((blobs = calloc((size_t)argc, sizeof(*blobs))) == NULL)
		fail("calloc");
	for (i = 3; i < argc; i++)
		blobs[i - 3] = read_blob(argv[i]);
	challenge_seeds(blobs, argc - 3);
	for (i = 0; i < argc - 3; i++)
		free(blobs[i]);
	free(blobs);
	ra_free(&ra);
	config_free(&cfg);
	return 0;
}
