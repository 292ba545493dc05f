/* fixture.c - test CA and SCEP request builders, independent of message.c. */
#include "fixture.h"
#include "ca/ca_init.h"
#include "scep/scep_attr.h"
#include "responder/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

static const char base_ini[] =
	"[MSCEP]\n"
	"SignatureTemplate = SigT\n"
	"EncryptionTemplate = EncT\n"
	"GeneralPurposeTemplate = GpT\n"
	"[SigT]\nKeyUsage = digitalSignature\nExtendedKeyUsage = clientAuth\n"
	"[EncT]\nKeyUsage = keyEncipherment\nExtendedKeyUsage = none\n"
	"[GpT]\nKeyUsage = digitalSignature, keyEncipherment\n"
	"ValidityDays = 10\nAllowRequesterValidity = 1\nMaxValidityDays = 20\n"
	/* Every audit line built and written, nowhere. */
	"[Audit]\nTarget = file:/dev/null\n";

int
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int
fixture_open(struct fixture *fx, const char *extra)
{
	struct ca_init_opts o = { "rsa:2048", "rsa:2048", "Test CA", "Test RA",
	    365, 100, NULL };
	char	 text[4096], reason[REASON_MAX], db[PATH_MAX + 16];

	memset(fx, 0, sizeof(*fx));
	strcpy(fx->dir, "/tmp/mscep-unit.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->ini, sizeof(fx->ini), "%s/t.ini", fx->dir);
	/* extra goes on in [Service]; the ledger in a folder of its own. */
	snprintf(text, sizeof(text), "%s[Service]\nStateDir = %s/state\n%s"
	    "\n[Signer]\nLedger = %s/signer/signed.db\n", base_ini, fx->dir,
	    extra ? extra : "", fx->dir);
	if (write_file(fx->ini, text) != 0 ||
	    config_load(fx->ini, &fx->cfg, stderr) != 0 ||
	    scep_attr_init() != 0 ||
	    ca_init(&fx->cfg, &o, reason, sizeof(reason)) != 0 ||
	    ra_load(&fx->cfg, &fx->ra, reason, sizeof(reason)) != 0 ||
	    config_state_path(&fx->cfg, STORE_FILE, db, sizeof(db)) != 0 ||
	    store_open(db, &fx->store, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "fixture: %s\n", reason);
		return -1;
	}
	return 0;
}

void
fixture_close(struct fixture *fx)
{
	char	 cmd[128];

	store_close(fx->store);
	ra_free(&fx->ra);
	config_free(&fx->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (fx->dir[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fx->dir);
}

int
fixture_worker_open(struct fixture *fx, const char *extra, struct worker *w)
{
	char	 reason[REASON_MAX];

	if (fixture_open(fx, extra) != 0)
		return -1;
	if (worker_open(w, fx->ini, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "worker_open: %s\n", reason);
		return -1;
	}
	return 0;
}

void
fixture_worker_close(struct fixture *fx, struct worker *w)
{
	worker_close(w);
	fixture_close(fx);
}

static int
add_req_exts(X509_REQ *req, const char *ku, const char *dns)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION	*e;
	char		 san[300];
	int		 rc = -1;

	if (ku != NULL) {
		e = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage,
		    strcmp(ku, "both") ? ku :
		    "digitalSignature,keyEncipherment");
		if (e == NULL || !sk_X509_EXTENSION_push(exts, e))
			goto out;
	}
	if (dns != NULL) {
		snprintf(san, sizeof(san), "DNS:%s", dns);
		e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		if (e == NULL || !sk_X509_EXTENSION_push(exts, e))
			goto out;
	}
	rc = sk_X509_EXTENSION_num(exts) == 0 ||
	    X509_REQ_add_extensions(req, exts) == 1 ? 0 : -1;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

int
requester_new(struct requester *r, const char *cn, const char *ku,
    const char *challenge, const char *dns)
{
	X509_NAME	*name;

	memset(r, 0, sizeof(*r));
	if ((r->key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)) ==
	    NULL || (r->csr = X509_REQ_new()) == NULL ||
	    (r->self = X509_new()) == NULL)
		return -1;
	name = X509_REQ_get_subject_name(r->csr);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_REQ_set_pubkey(r->csr, r->key);
	if (challenge != NULL)
		X509_REQ_add1_attr_by_NID(r->csr, NID_pkcs9_challengePassword,
		    MBSTRING_UTF8, (const unsigned char *)challenge, -1);
	if (add_req_exts(r->csr, ku, dns) != 0 ||
	    X509_REQ_sign(r->csr, r->key, EVP_sha256()) <= 0)
		return -1;
	/* §2.3: a self-signed certificate with the CSR's key and subject. */
	ASN1_INTEGER_set(X509_get_serialNumber(r->self), 1);
	X509_set_subject_name(r->self, name);
	X509_set_issuer_name(r->self, name);
	X509_set_pubkey(r->self, r->key);
	X509_gmtime_adj(X509_getm_notBefore(r->self), -60);
	X509_gmtime_adj(X509_getm_notAfter(r->self), 3600);
	return X509_sign(r->self, r->key, EVP_sha256()) > 0 ? 0 : -1;
}

void
requester_free(struct requester *r)
{
	EVP_PKEY_free(r->key);
	X509_free(r->self);
	X509_REQ_free(r->csr);
	memset(r, 0, sizeof(*r));
}

static int
envelope_der(X509 *recipient, const EVP_CIPHER *cipher, int oaep,
    const unsigned char *inner, size_t len, BIO *out)
{
	BIO			*in = BIO_new_mem_buf(inner, (int)len);
	CMS_ContentInfo		*env = NULL;
	CMS_RecipientInfo	*ri;
	EVP_PKEY_CTX		*pctx;
	int			 rc = -1;

	if (in != NULL && (env = CMS_encrypt(NULL, NULL, cipher,
	    CMS_BINARY | CMS_PARTIAL)) != NULL &&
	    (ri = CMS_add1_recipient_cert(env, recipient,
	    oaep ? CMS_KEY_PARAM : 0)) != NULL &&
	    (!oaep || ((pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) != NULL &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) > 0)) &&
	    CMS_final(env, in, NULL, CMS_BINARY) == 1 &&
	    i2d_CMS_bio(out, env) == 1)
		rc = 0;
	CMS_ContentInfo_free(env);
	BIO_free(in);
	return rc;
}

int
build_pkimessage(const struct requester *r, X509 *recipient,
    const EVP_CIPHER *cipher, const EVP_MD *md, int msgtype, const char *txid,
    const unsigned char *inner, size_t innerlen, struct buf *out)
{
	return build_pkimessage_ex(r, recipient, cipher, 0, md, msgtype, txid,
	    inner, innerlen, out);
}

int
build_pkimessage_ex(const struct requester *r, X509 *recipient,
    const EVP_CIPHER *cipher, int oaep, const EVP_MD *md, int msgtype,
    const char *txid, const unsigned char *inner, size_t innerlen,
    struct buf *out)
{
	CMS_ContentInfo	*cms = NULL;
	CMS_SignerInfo	*si;
	BIO		*env = BIO_new(BIO_s_mem()), *der = BIO_new(BIO_s_mem());
	BUF_MEM		*m;
	unsigned char	 nonce[16];
	char		 type[8];
	int		 rc = -1;

	snprintf(type, sizeof(type), "%d", msgtype);
	RAND_bytes(nonce, sizeof(nonce));
	if (env == NULL || der == NULL ||
	    envelope_der(recipient, cipher, oaep, inner, innerlen, env) != 0 ||
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL)) ==
	    NULL || (si = CMS_add1_signer(cms, r->self, r->key, md,
	    CMS_BINARY)) == NULL ||
	    scep_attr_add_string(si, ATTR_MESSAGE_TYPE, type) != 0 ||
	    scep_attr_add_string(si, ATTR_TRANSACTION_ID, txid) != 0 ||
	    scep_attr_add_octets(si, ATTR_SENDER_NONCE, nonce, 16) != 0 ||
	    CMS_final(cms, env, NULL, CMS_BINARY) != 1 ||
	    i2d_CMS_bio(der, cms) != 1)
		goto out;
	BIO_get_mem_ptr(der, &m);
	rc = buf_append(out, m->data, m->length);
out:
	CMS_ContentInfo_free(cms);
	BIO_free(der);
	BIO_free(env);
	return rc;
}

int
build_pkcsreq(const struct requester *r, X509 *recipient,
    const EVP_CIPHER *cipher, const char *txid, struct buf *out)
{
	unsigned char	*der = NULL;
	int		 len, rc;

	if ((len = i2d_X509_REQ(r->csr, &der)) <= 0)
		return -1;
	rc = build_pkimessage(r, recipient, cipher, EVP_sha256(), MSG_PKCSREQ,
	    txid, der, (size_t)len, out);
	OPENSSL_free(der);
	return rc;
}

/* One DER TLV at p: header length and total length, or -1. */
static int
tlv_at(const unsigned char *p, const unsigned char *end, long *hdr,
    long *total)
{
	const unsigned char	*q = p;
	long			 len;
	int			 tag, cls;

	if (p >= end || (ASN1_get_object(&q, &len, &tag, &cls, end - p) &
	    0x80) || q[-1] == 0x80)
		return -1;
	*hdr = q - p;
	*total = *hdr + len;
	return 0;
}

/* The offset of the SignerInfo's [0] signedAttrs in a DER message. */
static long
signed_attrs_at(const struct buf *m)
{
	const unsigned char	*p = m->p, *end = p + m->len;
	long			 h, t, sd_end;
	int			 i;

	/* ContentInfo, OID, [0], SignedData, version */
	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	p += h;
	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	p += t;
	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	p += h;
	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	sd_end = (p - m->p) + t;
	p += h;
	for (i = 0; p < m->p + sd_end && tlv_at(p, end, &h, &t) == 0; i++) {
		if (i >= 2 && *p == 0x31)	/* signerInfos */
			break;
		p += t;
	}
	if (p >= m->p + sd_end)
		return -1;
	p += h;			/* SET */
	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	p += h;			/* SignerInfo */
	for (i = 0; i < 3; i++) {	/* version, sid, digestAlgorithm */
		if (tlv_at(p, end, &h, &t) != 0)
			return -1;
		p += t;
	}
	return *p == 0xa0 ? p - m->p : -1;
}

/* Replaces the signature after the signedAttrs TLV at a (total t bytes)
 * with key's signature over attrs (same length, RSA). */
static int
resign_attrs(unsigned char *a, long t, const unsigned char *end,
    const unsigned char *attrs, EVP_PKEY *key, const EVP_MD *md)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	*sig = NULL;
	long		 ah, at, sh, st;
	size_t		 slen = 0;
	int		 rc = -1;

	/* the signatureAlgorithm SEQUENCE, then the signature OCTET STRING */
	if (ctx == NULL || tlv_at(a + t, end, &ah, &at) != 0 ||
	    tlv_at(a + t + at, end, &sh, &st) != 0 ||
	    EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &slen, attrs, (size_t)t) != 1 ||
	    (sig = malloc(slen)) == NULL ||
	    EVP_DigestSign(ctx, sig, &slen, attrs, (size_t)t) != 1 ||
	    (long)slen != st - sh)
		goto out;
	memcpy(a + t + at + sh, sig, slen);
	rc = 0;
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* id-senderNonce, 2.16.840.1.113733.1.9.5 */
static const unsigned char nonce_oid[] = { 0x06, 0x0a, 0x60, 0x86, 0x48,
    0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x05 };

int
reorder_signed_attrs(struct buf *m, EVP_PKEY *key, const EVP_MD *md)
{
	const unsigned char *end = m->p + m->len;
	unsigned char	*a, *copy = NULL;
	long		 off = signed_attrs_at(m), h, t, ch, ct, n = 0;
	long		 offs[16], lens[16], pos, i;
	int		 rc = -1;

	if (off < 0 || tlv_at(m->p + off, end, &h, &t) != 0)
		return -1;
	a = m->p + off;
	for (pos = h; pos < t && n < 16; pos += ct, n++) {
		if (tlv_at(a + pos, end, &ch, &ct) != 0)
			return -1;
		offs[n] = pos;
		lens[n] = ct;
	}
	if (n < 2 || (copy = malloc((size_t)t)) == NULL)
		return -1;
	memcpy(copy, a, (size_t)h);
	for (i = n - 1, pos = h; i >= 0; pos += lens[i], i--)
		memcpy(copy + pos, a + offs[i], (size_t)lens[i]);
	/* senderNonce's 16 octets as 15 with a long-form length: valid BER,
	 * same size, not DER; OpenSSL's re-encoding would differ. */
	for (pos = h; pos + 16 < t; pos++)
		if (memcmp(copy + pos, nonce_oid, sizeof(nonce_oid)) == 0 &&
		    memcmp(copy + pos + sizeof(nonce_oid), "\x31\x12\x04\x10",
		    4) == 0) {
			memcpy(copy + pos + sizeof(nonce_oid) + 2,
			    "\x04\x81\x0f", 3);
			break;
		}
	memcpy(a, copy, (size_t)t);
	/* Signed as a SET (tag 0x31, RFC 5652 §5.4), in the order sent. */
	copy[0] = 0x31;
	rc = resign_attrs(a, t, end, copy, key, md);
	free(copy);
	return rc;
}

/*
 * BER as iOS sends it: the ContentInfo, SignedData and encapsulated
 * content with indefinite lengths, the content as a constructed OCTET
 * STRING. Certificates and signerInfos stay as they are.
 */
int
to_indefinite(const struct buf *der, struct buf *ber)
{
	static const unsigned char eoc[2] = { 0, 0 };
	const unsigned char *p = der->p, *end = p + der->len, *sd, *sd_end;
	long		 h, t, eh, et, ch, ct, oh, ot;

	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	p += h;					/* ContentInfo */
	if (tlv_at(p, end, &h, &t) != 0 ||
	    buf_append(ber, "\x30\x80", 2) != 0 ||
	    buf_append(ber, p, (size_t)t) != 0)	/* contentType */
		return -1;
	p += t;
	if (tlv_at(p, end, &h, &t) != 0 || buf_append(ber, "\xa0\x80", 2) != 0)
		return -1;
	p += h;					/* [0] */
	if (tlv_at(p, end, &h, &t) != 0 || buf_append(ber, "\x30\x80", 2) != 0)
		return -1;
	sd = p + h;				/* SignedData */
	sd_end = p + t;
	/* version, digestAlgorithms verbatim */
	if (tlv_at(sd, end, &h, &t) != 0 || tlv_at(sd + t, end, &h, &ch) != 0 ||
	    buf_append(ber, sd, (size_t)(t + ch)) != 0)
		return -1;
	p = sd + t + ch;			/* encapContentInfo */
	if (tlv_at(p, end, &eh, &et) != 0 ||
	    tlv_at(p + eh, end, &oh, &ot) != 0 ||	/* eContentType */
	    tlv_at(p + eh + ot, end, &ch, &ct) != 0 ||	/* [0] */
	    tlv_at(p + eh + ot + ch, end, &h, &t) != 0 ||	/* OCTET STRING */
	    buf_append(ber, "\x30\x80", 2) != 0 ||
	    buf_append(ber, p + eh, (size_t)ot) != 0 ||
	    buf_append(ber, "\xa0\x80\x24\x80", 4) != 0 ||
	    buf_append(ber, p + eh + ot + ch, (size_t)t) != 0 ||
	    buf_append(ber, eoc, 2) != 0 || buf_append(ber, eoc, 2) != 0 ||
	    buf_append(ber, eoc, 2) != 0)
		return -1;
	p += et;				/* certificates, signerInfos */
	if (p > sd_end || buf_append(ber, p, (size_t)(sd_end - p)) != 0 ||
	    buf_append(ber, eoc, 2) != 0 || buf_append(ber, eoc, 2) != 0 ||
	    buf_append(ber, eoc, 2) != 0)
		return -1;
	return 0;
}
