/* fuzz_common.c - state folder, CA and client-side builders for the targets. */
#include "fuzz_common.h"
#include "ca/ca_init.h"
#include "ca/issue.h"
#include "scep/message.h"
#include "scep/scep_attr.h"
#include "util/cert.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

/* The unit fixture's templates (tests/unit/fixture.c). */
static const char base_ini[] =
	"[MSCEP]\n"
	"SignatureTemplate = SigT\n"
	"EncryptionTemplate = EncT\n"
	"GeneralPurposeTemplate = GpT\n"
	"[SigT]\nKeyUsage = digitalSignature\nExtendedKeyUsage = clientAuth\n"
	"[EncT]\nKeyUsage = keyEncipherment\nExtendedKeyUsage = none\n"
	"SubjectFromRequest = 0\nSubjectAltNames = dns, ip\n"
	"[GpT]\nKeyUsage = digitalSignature, keyEncipherment\n"
	"ValidityDays = 10\nAllowRequesterValidity = 1\nMaxValidityDays = 20\n"
	"SidUrlSan = 1\n"
	/* Every audit line built from hostile input and written, nowhere. */
	"[Audit]\nTarget = file:/dev/null\n";

static void die(const char *, const char *) __attribute__((noreturn));

static void
die(const char *what, const char *reason)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, reason ? reason : "");
	ERR_print_errors_fp(stderr);
	exit(1);
}

void
fuzz_mkdtemp(char *out, size_t size)
{
	const char	*tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(out, size, "%s/mscep-fuzz.XXXXXX", tmp) >= size ||
	    mkdtemp(out) == NULL)
		die("mkdtemp", out);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
fuzz_rmtree(const char *dir)
{
	if (dir != NULL && dir[0] == '/')
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
fuzz_state_open(struct fuzz_state *s, const char *extra, const char *ca_key)
{
	struct ca_init_opts o = { ca_key, "rsa:2048", "Fuzz CA", "Fuzz RA",
	    3650, 3650, NULL };
	char	 reason[REASON_MAX] = "";
	FILE	*f;

	memset(s, 0, sizeof(*s));
	fuzz_mkdtemp(s->dir, sizeof(s->dir));
	snprintf(s->ini, sizeof(s->ini), "%s/fuzz.ini", s->dir);
	if ((f = fopen(s->ini, "w")) == NULL)
		die("cannot write", s->ini);
	fprintf(f, "%s[Service]\nStateDir = state\n%s", base_ini,
	    extra ? extra : "");
	if (fclose(f) != 0)
		die("cannot write", s->ini);
	if (config_load(s->ini, &s->cfg, stderr) != 0)
		die("config_load", s->ini);
	if (scep_attr_init() != 0)
		die("scep_attr_init", NULL);
	if (ca_init(&s->cfg, &o, reason, sizeof(reason)) != 0)
		die("ca_init", reason);
	if (ra_load(&s->cfg, &s->ra, reason, sizeof(reason)) != 0)
		die("ra_load", reason);
}

void
fuzz_state_ini(const struct fuzz_state *s, const char *name,
    const char *mscep_extra, const char *extra, char *path, size_t size)
{
	FILE	*f;

	if ((size_t)snprintf(path, size, "%s/%s", s->dir, name) >= size ||
	    (f = fopen(path, "w")) == NULL)
		die("cannot write", path);
	/* base_ini starts with "[MSCEP]\n". */
	fprintf(f, "[MSCEP]\n%s%s[Service]\nStateDir = state\n%s",
	    mscep_extra ? mscep_extra : "", base_ini + 8, extra ? extra : "");
	if (fclose(f) != 0)
		die("cannot write", path);
}

void
fuzz_state_remove(struct fuzz_state *s)
{
	if (s->dir[0] != '\0')
		fuzz_rmtree(s->dir);
	s->dir[0] = '\0';
}

void
fuzz_worker_open(struct worker *w, const char *ini)
{
	char	 reason[REASON_MAX] = "";

	if (worker_open(w, ini, reason, sizeof(reason)) != 0)
		die("worker_open", reason);
	policy_close(w->policy);
	store_close(w->store);
	if (store_open(":memory:", &w->store, reason, sizeof(reason)) != 0 ||
	    policy_open(&w->cfg, w->store, &w->policy, reason,
	    sizeof(reason)) != 0)
		die("in-memory store", reason);
}

void
fuzz_record(struct store *st, X509 *cert, const char *template_name,
    const char *txid, const char *ca_key, int64_t approve_id, char *serial,
    size_t slen)
{
	static const struct store_claim none = { .kind = CLAIM_NONE };
	struct store_cert	 sc;
	unsigned char		*der = NULL;
	char			*subject = NULL, *sans = NULL, key_id[41];
	int			 len;

	memset(&sc, 0, sizeof(sc));
	if ((len = i2d_X509(cert, &der)) <= 0 ||
	    cert_serial_hex(X509_get0_serialNumber(cert), serial, slen) != 0 ||
	    cert_key_id_hex(X509_get_X509_PUBKEY(cert), key_id) != 0)
		die("fuzz_record", txid);
	if (issue_describe(cert, &subject, &sans) != 0)
		die("fuzz_record describe", txid);
	sc.serial = serial;
	sc.subject = subject;
	sc.sans = sans;
	sc.template_name = template_name;
	sc.txid = txid;
	sc.key_id = key_id;
	sc.ca_key = ca_key;
	sc.not_before = cert_time_epoch(X509_get0_notBefore(cert));
	sc.not_after = cert_time_epoch(X509_get0_notAfter(cert));
	sc.der = der;
	sc.der_len = (size_t)len;
	if ((approve_id > 0 ? store_pending_decide(st, approve_id,
	    util_now(), &sc, NULL, 0) : store_issue(st, &sc, &none)) != STORE_OK)
		die("fuzz_record", store_errmsg(st));
	free(subject);
	free(sans);
	OPENSSL_free(der);
}

/*
 * The longer command line lives as long as the process: libFuzzer keeps
 * main's argv pointing at it, but main's frame is gone once FuzzerDriver
 * returns (-help=1, -minimize_crash=1, -merge=1), and LeakSanitizer then
 * reported it at exit. Held here, it stays reachable.
 */
static char	**quiet_argv;

void
fuzz_quiet_stderr(int *argc, char ***argv)
{
	static char	 flag[] = "-close_fd_mask=2";
	char		**nargv;
	int		 i;

	for (i = 1; i < *argc; i++)
		if (strncmp((*argv)[i], "-close_fd_mask=", 15) == 0)
			return;
	if ((nargv = calloc((size_t)*argc + 2, sizeof(*nargv))) == NULL)
		abort();
	nargv[0] = (*argv)[0];
	nargv[1] = flag;
	for (i = 1; i < *argc; i++)
		nargv[i + 1] = (*argv)[i];
	(*argc)++;
	*argv = quiet_argv = nargv;
}

void
fuzz_identity(struct fuzz_state *s, const char *cn, const char *keyspec,
    const char *ku, X509 **cert, EVP_PKEY **key)
{
	char	 reason[REASON_MAX] = "";

	if (ca_issue_identity(s->ra.ca, s->ra.ca_key, cn, keyspec, ku, 3650,
	    cert, key, reason, sizeof(reason)) != 0)
		die("ca_issue_identity", reason);
}

X509 *
fuzz_self_signed(EVP_PKEY *key, const char *cn)
{
	X509		*x = X509_new();
	X509_NAME	*name = X509_NAME_new();

	if (x == NULL || name == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    !X509_set_pubkey(x, key) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -60) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 86400) ||
	    X509_sign(x, key, EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ?
	    NULL : EVP_sha256()) <= 0)
		die("self-signed certificate", cn);
	X509_NAME_free(name);
	return x;
}

void
fuzz_key_prepare(struct fuzz_key *k, EVP_PKEY *key, const EVP_MD *md)
{
	X509_REQ		*req = X509_REQ_new();
	const X509_ALGOR	*alg;

	memset(k, 0, sizeof(*k));
	k->key = key;
	k->md = md;
	/* A throwaway CSR signed by key gives the AlgorithmIdentifier. */
	if (req == NULL || X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, md) <= 0)
		die("fuzz_key_prepare", "cannot sign a CSR");
	X509_REQ_get0_signature(req, NULL, &alg);
	if ((k->spki_len = i2d_PUBKEY(key, &k->spki)) <= 0 ||
	    (k->alg_len = i2d_X509_ALGOR(alg, &k->alg)) <= 0)
		die("fuzz_key_prepare", "cannot encode the key");
	X509_REQ_free(req);
}

/* The DER element at p before end: its size (header *hdr), or 0. */
static size_t
der_elem(const uint8_t *p, const uint8_t *end, size_t *hdr)
{
	size_t	 avail = (size_t)(end - p), len = 0, n, i;

	/* Low tag numbers only; definite lengths of up to 4 bytes. */
	if (avail < 2 || (p[0] & 0x1f) == 0x1f)
		return 0;
	if (p[1] < 0x80) {
		*hdr = 2;
		len = p[1];
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4 || avail < 2 + n)
			return 0;
		for (i = 0; i < n; i++)
			len = len << 8 | p[2 + i];
		*hdr = 2 + n;
	}
	return len > avail - *hdr ? 0 : *hdr + len;
}

/* A DER header: tag and length. */
static int
der_header(struct buf *out, uint8_t tag, size_t len)
{
	unsigned char	 h[6];
	size_t		 n = 0;

	h[n++] = tag;
	if (len < 0x80)
		h[n++] = (unsigned char)len;
	else if (len < 0x100) {
		h[n++] = 0x81;
		h[n++] = (unsigned char)len;
	} else if (len < 0x10000) {
		h[n++] = 0x82;
		h[n++] = (unsigned char)(len >> 8);
		h[n++] = (unsigned char)len;
	} else {
		h[n++] = 0x83;
		h[n++] = (unsigned char)(len >> 16);
		h[n++] = (unsigned char)(len >> 8);
		h[n++] = (unsigned char)len;
	}
	return len >= 0x1000000 ? -1 : buf_append(out, h, n);
}

int
fuzz_csr_rekey(const uint8_t *der, size_t len, const struct fuzz_key *k,
    const unsigned char *subject, size_t subject_len, struct buf *out)
{
	const uint8_t	*end = der + len, *p, *e, *info, *version, *subj;
	const uint8_t	*rest;
	struct buf	 body = { 0 };
	unsigned char	*sig = NULL;
	EVP_MD_CTX	*ctx = NULL;
	size_t		 hdr, n, vlen, slen, siglen = 0, tbslen;
	int		 rc = -1;

	/* CertificationRequest ::= SEQUENCE { info SEQUENCE { version,
	 * subject, subjectPKInfo, attributes... }, algorithm, signature } */
	if ((n = der_elem(der, end, &hdr)) == 0 || der[0] != 0x30)
		return -1;
	info = der + hdr;
	e = der + n;
	if ((n = der_elem(info, e, &hdr)) == 0 || info[0] != 0x30)
		return -1;
	e = info + n;
	version = p = info + hdr;
	if ((vlen = der_elem(p, e, &hdr)) == 0)
		return -1;
	subj = p += vlen;
	if ((slen = der_elem(p, e, &hdr)) == 0)
		return -1;
	p += slen;
	if ((n = der_elem(p, e, &hdr)) == 0)
		return -1;
	rest = p + n;
	if (subject == NULL) {
		subject = subj;
		subject_len = slen;
	}
	/* body: the new info, then the algorithm and the signature. */
	n = vlen + subject_len + (size_t)k->spki_len + (size_t)(e - rest);
	if (der_header(&body, 0x30, n) != 0 ||
	    buf_append(&body, version, vlen) != 0 ||
	    buf_append(&body, subject, subject_len) != 0 ||
	    buf_append(&body, k->spki, (size_t)k->spki_len) != 0 ||
	    buf_append(&body, rest, (size_t)(e - rest)) != 0)
		goto out;
	tbslen = body.len;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, k->md, NULL, k->key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, body.p, tbslen) != 1 ||
	    (sig = malloc(siglen + 1)) == NULL ||
	    EVP_DigestSign(ctx, sig + 1, &siglen, body.p, tbslen) != 1)
		goto out;
	sig[0] = 0;	/* a BIT STRING with no unused bits */
	if (buf_append(&body, k->alg, (size_t)k->alg_len) != 0 ||
	    der_header(&body, 0x03, siglen + 1) != 0 ||
	    buf_append(&body, sig, siglen + 1) != 0 ||
	    der_header(out, 0x30, body.len) != 0 ||
	    buf_append(out, body.p, body.len) != 0)
		goto out;
	rc = 0;
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	buf_free(&body);
	ERR_clear_error();
	return rc;
}

static int
bio_to_buf(BIO *b, struct buf *out)
{
	BUF_MEM	*m;

	BIO_get_mem_ptr(b, &m);
	return buf_append(out, m->data, m->length);
}

int
fuzz_sign_pkimessage(EVP_PKEY *key, X509 *cert, const EVP_MD *md,
    int msgtype, const char *txid, const unsigned char *content, size_t len,
    struct buf *out)
{
	static const unsigned char nonce[16] = "fuzz-sendernonce";
	CMS_ContentInfo	*cms = NULL;
	CMS_SignerInfo	*si;
	BIO		*in = BIO_new_mem_buf(content, (int)len);
	BIO		*der = BIO_new(BIO_s_mem());
	char		 type[16];
	int		 rc = -1;

	snprintf(type, sizeof(type), "%d", msgtype);
	if (in != NULL && der != NULL &&
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL)) !=
	    NULL && (si = CMS_add1_signer(cms, cert, key, md, CMS_BINARY)) !=
	    NULL && scep_attr_add_string(si, ATTR_MESSAGE_TYPE, type) == 0 &&
	    scep_attr_add_string(si, ATTR_TRANSACTION_ID, txid) == 0 &&
	    scep_attr_add_octets(si, ATTR_SENDER_NONCE, nonce,
	    sizeof(nonce)) == 0 && CMS_final(cms, in, NULL, CMS_BINARY) == 1 &&
	    i2d_CMS_bio(der, cms) == 1)
		rc = bio_to_buf(der, out);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(der);
	ERR_clear_error();
	return rc;
}

int
fuzz_envelope(X509 *recipient, const EVP_CIPHER *cipher, int oaep,
    const unsigned char *inner, size_t len, struct buf *out)
{
	CMS_ContentInfo		*env = NULL;
	CMS_RecipientInfo	*ri;
	EVP_PKEY_CTX		*pctx;
	BIO			*in = BIO_new_mem_buf(inner, (int)len);
	BIO			*der = BIO_new(BIO_s_mem());
	int			 rc = -1;

	if (in == NULL || der == NULL ||
	    (env = CMS_encrypt(NULL, NULL, cipher, CMS_BINARY | CMS_PARTIAL)) ==
	    NULL || (ri = CMS_add1_recipient_cert(env, recipient,
	    oaep ? CMS_KEY_PARAM : 0)) == NULL)
		goto out;
	if (oaep && ((pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0))
		goto out;
	if (CMS_final(env, in, NULL, CMS_BINARY) == 1 &&
	    i2d_CMS_bio(der, env) == 1)
		rc = bio_to_buf(der, out);
out:
	CMS_ContentInfo_free(env);
	BIO_free(in);
	BIO_free(der);
	ERR_clear_error();
	return rc;
}

int
fuzz_cms_sign_keyid(EVP_PKEY *key, X509 *cert, const unsigned char *content,
    size_t len, struct buf *out)
{
	CMS_ContentInfo	*cms = NULL;
	BIO		*in = BIO_new_mem_buf(content, (int)len);
	BIO		*der = BIO_new(BIO_s_mem());
	int		 rc = -1;

	if (in != NULL && der != NULL &&
	    (cms = CMS_sign(cert, key, NULL, in, CMS_BINARY | CMS_NOCERTS |
	    CMS_NOSMIMECAP | CMS_USE_KEYID)) != NULL &&
	    i2d_CMS_bio(der, cms) == 1)
		rc = bio_to_buf(der, out);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(der);
	ERR_clear_error();
	return rc;
}

int
fuzz_auth_envelope(X509 *recipient, const unsigned char *inner, size_t len,
    struct buf *out)
{
	CMS_ContentInfo		*env = NULL;
	CMS_RecipientInfo	*ri;
	EVP_PKEY_CTX		*pctx;
	BIO			*in = BIO_new_mem_buf(inner, (int)len);
	BIO			*der = BIO_new(BIO_s_mem());
	unsigned int		 f = CMS_USE_KEYID;
	int			 rsa, rc = -1;

	rsa = EVP_PKEY_get_base_id(X509_get0_pubkey(recipient)) == EVP_PKEY_RSA;
	if (rsa)
		f |= CMS_KEY_PARAM;
	if (in == NULL || der == NULL ||
	    (env = CMS_encrypt(NULL, NULL, EVP_aes_256_gcm(),
	    CMS_BINARY | CMS_PARTIAL)) == NULL ||
	    (ri = CMS_add1_recipient_cert(env, recipient, f)) == NULL)
		goto out;
	if (rsa && ((pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0))
		goto out;
	if (CMS_final(env, in, NULL, CMS_BINARY) == 1 &&
	    i2d_CMS_bio(der, env) == 1)
		rc = bio_to_buf(der, out);
out:
	CMS_ContentInfo_free(env);
	BIO_free(in);
	BIO_free(der);
	ERR_clear_error();
	return rc;
}

char *
fuzz_base64(const unsigned char *der, size_t len)
{
	size_t	 cap = 4 * ((len + 2) / 3) + 1;
	char	*s = malloc(cap);

	if (s != NULL)
		util_base64_encode(der, len, s, cap);
	return s;
}

char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char	*s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
