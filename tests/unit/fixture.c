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
	"ValidityDays = 10\nAllowRequesterValidity = 1\nMaxValidityDays = 20\n";

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
	    365, 100 };
	char	 text[4096], reason[REASON_MAX], db[PATH_MAX + 16];

	memset(fx, 0, sizeof(*fx));
	strcpy(fx->dir, "/tmp/mscep-unit.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->ini, sizeof(fx->ini), "%s/t.ini", fx->dir);
	snprintf(text, sizeof(text), "%s[Service]\nStateDir = %s/state\n%s",
	    base_ini, fx->dir, extra ? extra : "");
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
