/* signer.c - mscep -S: the key-holding process and its request loop. */
#include "signer/signer.h"
#include "signer/sigcheck.h"
#include "ca/keyops.h"
#include "ca/sigwire.h"
#include "scep/nextca.h"
#include "scep/scep_attr.h"
#include "policy/intune_auth.h"
#include "policy/policy_mdmchallenge.h"
#include "util/cert.h"
#include "util/log.h"
#include "util/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <openssl/err.h>

/* Module = mdm-challenge: the challenge key pair (mscep-admin mdm-init). */
static int
load_challenge(struct signer *s, char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 32];

	if (s->cfg.policy != POLICY_MDM_CHALLENGE)
		return 0;
	if (config_state_path(&s->cfg, CHALLENGE_CERT, path,
	    sizeof(path)) != 0 || ra_read_cert(path, &s->challenge_cert) != 0) {
		snprintf(reason, rlen, "cannot read %s (mscep-admin mdm-init)",
		    CHALLENGE_CERT);
		return -1;
	}
	if (config_state_path(&s->cfg, CHALLENGE_KEY, path,
	    sizeof(path)) != 0 || (s->challenge_key = keyop_load_ref(path,
	    reason, rlen)) == NULL)
		return -1;
	if (X509_check_private_key(s->challenge_cert, s->challenge_key) !=
	    1) {
		ERR_clear_error();
		snprintf(reason, rlen, "%s does not match %s", CHALLENGE_KEY,
		    CHALLENGE_CERT);
		return -1;
	}
	return 0;
}

/* Module = intune with a client certificate: the assertion's key. */
static int
load_intune(struct signer *s, char *reason, size_t rlen)
{
	if (s->cfg.policy != POLICY_INTUNE || s->cfg.intune_cert[0] == '\0')
		return 0;
	if (ra_read_cert(s->cfg.intune_cert, &s->intune_cert) != 0) {
		snprintf(reason, rlen, "[Intune] ClientCertificate %s: not a "
		    "readable PEM certificate", s->cfg.intune_cert);
		return -1;
	}
	s->intune_key = intune_auth_key_open(&s->cfg, s->intune_cert, reason,
	    rlen);
	return s->intune_key != NULL ? 0 : -1;
}

/* A previous CA still valid, with its key (a previous one whose key is
 * gone is logged and left out: its CRLs are then not signed). */
static int
add_prev(const char *dir, X509 *ca, void *arg)
{
	struct signer		*s = arg;
	struct signer_prev	*v;
	char			 path[PATH_MAX + 64], why[PATH_MAX + 256];
	struct keyop		*op;

	if (X509_cmp_time(X509_get0_notAfter(ca), NULL) < 0)
		return 0;
	if (file_path(path, sizeof(path), "%s/%s", dir, RA_CA_KEY) != 0 ||
	    (op = keyop_open_ref(path, KEYOP_CA, why, sizeof(why))) == NULL) {
		log_warnx("the CRLs of the previous CA in %s are not signed: "
		    "%s", dir, why);
		return 0;
	}
	if ((v = reallocarray(s->prev, (size_t)s->nprev + 1,
	    sizeof(*v))) == NULL || !X509_up_ref(ca)) {
		if (v != NULL)
			s->prev = v;
		keyop_free(op);
		return -1;
	}
	s->prev = v;
	v[s->nprev].ca = ca;
	v[s->nprev++].op = op;
	return 0;
}

int
signer_open(const char *path, struct signer *s, char *reason, size_t rlen)
{
	char	 warn[2048];
	int	 n;

	memset(s, 0, sizeof(*s));
	if (scep_attr_init() != 0) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	if ((n = config_load(path, &s->cfg, stderr)) != 0) {
		snprintf(reason, rlen, "%s: %d configuration problem(s)",
		    path, n < 0 ? 1 : n);
		return -1;
	}
	/* CMS_decrypt answers a wrong PKCS#1 v1.5 padding with a random key
	 * each time: decrypting one envelope twice tells a worker taken
	 * over whether its padding was right, the oracle of Bleichenbacher's
	 * attack, which ends in a signature by that key. The RA encryption
	 * key signs nothing; the CA key must not be the one. */
	if (s->cfg.ca_direct) {
		snprintf(reason, rlen, "[Service] CADirect = 1: the signer "
		    "would decrypt with the CA key, a padding oracle for any "
		    "worker (use an RA: CADirect = 0)");
		return -1;
	}
	if ((s->ledger = ledger_open(s->cfg.signer_ledger,
	    s->cfg.signer_timeout_ms / 2, reason, rlen)) == NULL ||
	    ra_load_signer(&s->cfg, &s->ra, reason, rlen) != 0 ||
	    ra_each_prev(&s->cfg, s->ra.ca, add_prev, s, reason, rlen) != 0 ||
	    load_challenge(s, reason, rlen) != 0 ||
	    load_intune(s, reason, rlen) != 0)
		return -1;
	if (s->cfg.ocsp_path[0] != '\0') {
		if (ocsp_responder_load_keys(&s->cfg, &s->ra, &s->ocsp, warn,
		    sizeof(warn), reason, rlen) != 0)
			return -1;
		if (warn[0] != '\0')
			log_warnx("%s", warn);
	}
	return 0;
}

void
signer_close(struct signer *s)
{
	if (s == NULL)
		return;
	ocsp_responder_free(&s->ocsp);
	for (int i = 0; i < s->nprev; i++) {
		X509_free(s->prev[i].ca);
		keyop_free(s->prev[i].op);
	}
	free(s->prev);
	EVP_PKEY_free(s->challenge_key);
	X509_free(s->challenge_cert);
	keyop_free(s->intune_key);
	X509_free(s->intune_cert);
	ledger_close(s->ledger);
	ra_free(&s->ra);
	config_free(&s->cfg);
	memset(s, 0, sizeof(*s));
}

/* The digests [Service] HashAlgorithm and the OCSP answers use; CertRep
 * also SHA-1 for the clients that ask for it, and MD5 for those AllowMD5
 * = 2 answers with it. */
static const EVP_MD *
digest(const struct signer *s, int nid, int type)
{
	if (nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512 ||
	    (type == SIGWIRE_SIGN_CMS && (nid == NID_sha1 ||
	    (nid == NID_md5 && s->cfg.allow_md5 == 2))))
		return EVP_get_digestbynid(nid);
	return NULL;
}

/* Each returns an enum sigwire_status, the signed DER in out or why. */
static int
do_cert(struct signer *s, const struct sigwire_req *q, const EVP_MD *md,
    struct buf *out, char *what, size_t wlen, char *reason, size_t rlen)
{
	const unsigned char	*p = q->der;
	unsigned char		*der = NULL;
	X509			*x;
	int			 len, rc = SIGWIRE_ERROR;

	if ((x = d2i_X509(NULL, &p, (long)q->der_len)) == NULL ||
	    p != q->der + q->der_len) {
		snprintf(reason, rlen, "not one DER certificate");
		goto out;
	}
	if (cert_serial_hex(X509_get0_serialNumber(x), what, wlen) != 0)
		snprintf(what, wlen, "?");
	if (sigcheck_cert(&s->cfg, &s->ra, x, reason, rlen) != 0) {
		rc = SIGWIRE_REFUSED;
		goto out;
	}
	/* Recorded before the key signs: a serial once, whatever follows. */
	switch (ledger_claim(s->ledger, s->ra.ca, x, q->txid, reason, rlen)) {
	case 0:
		break;
	case 1:
		rc = SIGWIRE_REFUSED;
		goto out;
	default:
		goto out;
	}
	keyop_set_context(s->ra.ca_op, q->txid);
	if (keyop_sign_cert(s->ra.ca_op, &x, md) <= 0 ||
	    (len = i2d_X509(x, &der)) <= 0 ||
	    buf_append(out, der, (size_t)len) != 0) {
		log_openssl_reason(reason, rlen, "cannot sign");
		goto out;
	}
	rc = SIGWIRE_OK;
out:
	OPENSSL_free(der);
	X509_free(x);
	return rc;
}

static int
do_crl(struct signer *s, const struct sigwire_req *q, const EVP_MD *md,
    struct buf *out, char *what, size_t wlen, char *reason, size_t rlen)
{
	const unsigned char	*p = q->der;
	unsigned char		*der = NULL;
	X509_CRL		*crl;
	struct keyop		*op;
	char			 ca_id[41], safe[REASON_MAX];
	int			 i, len, keeps, rc = SIGWIRE_ERROR;

	if ((crl = d2i_X509_CRL(NULL, &p, (long)q->der_len)) == NULL ||
	    p != q->der + q->der_len) {
		snprintf(reason, rlen, "not one DER CRL");
		goto out;
	}
	snprintf(what, wlen, "%d", sk_X509_REVOKED_num(
	    X509_CRL_get_REVOKED(crl)));
	/* The current CA's, or a previous one's; the current one's refusal
	 * is the reason when none fits. */
	for (i = s->nprev - 1; i >= 0; i--)
		if (sigcheck_crl(&s->cfg, s->prev[i].ca, crl, reason, rlen) == 0)
			break;
	op = i >= 0 ? s->prev[i].op : s->ra.ca_op;
	if (i < 0 && sigcheck_crl(&s->cfg, s->ra.ca, crl, reason,
	    rlen) != 0) {
		rc = SIGWIRE_REFUSED;
		goto out;
	}
	/* Every serial an earlier CRL of this key revoked is on it (its own
	 * recorded once it is signed). */
	if (cert_key_id_hex(X509_get_X509_PUBKEY(i >= 0 ? s->prev[i].ca :
	    s->ra.ca), ca_id) != 0) {
		snprintf(reason, rlen, "cannot identify the CA key");
		goto out;
	}
	if (ledger_batch(s->ledger, 0, reason, rlen) != 0)
		goto out;
	if ((keeps = ledger_crl_keeps(s->ledger, ca_id, crl, reason,
	    rlen)) != 0) {
		(void)ledger_batch(s->ledger, -1, safe, sizeof(safe));
		rc = keeps > 0 ? SIGWIRE_REFUSED : SIGWIRE_ERROR;
		goto out;
	}
	if (keyop_sign_crl(op, crl, md) <= 0 ||
	    (len = i2d_X509_CRL(crl, &der)) <= 0 ||
	    buf_append(out, der, (size_t)len) != 0) {
		log_openssl_reason(reason, rlen, "cannot sign");
		(void)ledger_batch(s->ledger, -1, safe, sizeof(safe));
		goto out;
	}
	if (ledger_batch(s->ledger, 1, reason, rlen) != 0) {
		out->len = 0;
		goto out;
	}
	rc = SIGWIRE_OK;
out:
	OPENSSL_free(der);
	X509_CRL_free(crl);
	return rc;
}

/* One answer copied: the certificate, its status and times. */
static int
copy_single(OCSP_BASICRESP *to, OCSP_SINGLERESP *sr)
{
	ASN1_GENERALIZEDTIME	*rev = NULL, *thisupd = NULL, *nextupd = NULL;
	OCSP_CERTID		*cid;
	int			 st, why = -1;

	st = OCSP_single_get0_status(sr, &why, &rev, &thisupd, &nextupd);
	if (st < 0 || OCSP_SINGLERESP_get_ext_count(sr) != 0 ||
	    (cid = OCSP_CERTID_dup(OCSP_SINGLERESP_get0_id(sr))) == NULL)
		return -1;
	if (OCSP_basic_add1_status(to, cid, st, why, rev, thisupd,
	    nextupd) == NULL) {
		OCSP_CERTID_free(cid);
		return -1;
	}
	OCSP_CERTID_free(cid);
	return 0;
}

/*
 * The worker's draft rebuilt from what was parsed: its answers and its
 * extensions (the nonce); the draft's throwaway signature, responderID
 * and producedAt are left behind.
 */
static OCSP_BASICRESP *
rebuild(OCSP_BASICRESP *draft)
{
	OCSP_BASICRESP	*bs;
	int		 i;

	if ((bs = OCSP_BASICRESP_new()) == NULL)
		return NULL;
	for (i = 0; i < OCSP_resp_count(draft); i++)
		if (copy_single(bs, OCSP_resp_get0(draft, i)) != 0)
			goto fail;
	for (i = 0; i < OCSP_BASICRESP_get_ext_count(draft); i++)
		if (OCSP_BASICRESP_add_ext(bs, OCSP_BASICRESP_get_ext(draft,
		    i), -1) != 1)
			goto fail;
	return bs;
fail:
	OCSP_BASICRESP_free(bs);
	return NULL;
}

/* No answer but revoked, at the time and for the reason recorded, about a
 * serial a CRL this signer signed revoked (ledger.h): 0, or -1 with *rc
 * and reason set. */
static int
good_not_revoked(struct signer *s, X509 *ca, OCSP_BASICRESP *bs,
    char *reason, size_t rlen, int *rc)
{
	OCSP_SINGLERESP		*sr;
	const ASN1_INTEGER	*serial;
	ASN1_GENERALIZEDTIME	*when;
	char			 ca_id[41], hex[160];
	int64_t			 at = 0;
	int			 i, revoked, status, said, why = -1;

	*rc = SIGWIRE_ERROR;
	if (cert_key_id_hex(X509_get_X509_PUBKEY(ca), ca_id) != 0) {
		snprintf(reason, rlen, "cannot identify the CA key");
		return -1;
	}
	for (i = 0; i < OCSP_resp_count(bs); i++) {
		sr = OCSP_resp_get0(bs, i);
		status = OCSP_single_get0_status(sr, &said, &when, NULL, NULL);
		OCSP_id_get0_info(NULL, NULL, NULL, (ASN1_INTEGER **)&serial,
		    (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(sr));
		if (serial == NULL || cert_serial_hex(serial, hex,
		    sizeof(hex)) != 0) {
			snprintf(reason, rlen, "OCSP answer %d: cannot read "
			    "its serial", i);
			return -1;
		}
		if ((revoked = ledger_is_revoked(s->ledger, ca_id, hex, &at,
		    &why, reason, rlen)) < 0)
			return -1;
		/* Unknown too (many clients take it for not revoked), and
		 * revoked at another time (a later one would pass what was
		 * signed in between, for a checker of a point in time) or
		 * for another reason (the worker says 0 where the CRL says
		 * none: the same). */
		if (revoked && (status != V_OCSP_CERTSTATUS_REVOKED ||
		    when == NULL || ASN1_TIME_check(when) != 1 ||
		    cert_time_epoch(when) != at || (said > 0 ? said : 0) !=
		    (why > 0 ? why : 0))) {
			snprintf(reason, rlen, "OCSP answer %s%s for serial %s, "
			    "which a CRL this signer signed revoked",
			    OCSP_cert_status_str(status), status ==
			    V_OCSP_CERTSTATUS_REVOKED ? " at another time or "
			    "for another reason" : "", hex);
			*rc = SIGWIRE_REFUSED;
			return -1;
		}
	}
	return 0;
}

static int
do_ocsp(struct signer *s, const struct sigwire_req *q, const EVP_MD *md,
    struct buf *out, char *what, size_t wlen, char *reason, size_t rlen)
{
	const unsigned char	*p = q->der;
	unsigned char		*der = NULL;
	OCSP_BASICRESP		*draft, *bs = NULL;
	const struct ocsp_signer *r;
	int			 i, len, rc = SIGWIRE_ERROR;

	if ((draft = d2i_OCSP_BASICRESP(NULL, &p, (long)q->der_len)) ==
	    NULL || p != q->der + q->der_len || (bs = rebuild(draft)) ==
	    NULL) {
		snprintf(reason, rlen, "not one DER OCSP answer (or single "
		    "answers with extensions)");
		goto out;
	}
	snprintf(what, wlen, "%d", OCSP_resp_count(bs));
	if (s->ocsp.n == 0) {
		snprintf(reason, rlen, "no OCSP responder ([OCSP] Path)");
		goto out;
	}
	/* The CA generation whose certificates it is about: the current
	 * one's refusal is the reason when none fits. */
	for (i = s->ocsp.n - 1; i >= 0; i--)
		if (sigcheck_ocsp(s->ocsp.issuers[i].ca,
		    s->ocsp.issuers[i].signer.cert, bs, reason, rlen) == 0)
			break;
	if (i < 0) {
		rc = SIGWIRE_REFUSED;
		goto out;
	}
	if (good_not_revoked(s, s->ocsp.issuers[i].ca, bs, reason, rlen,
	    &rc) != 0)
		goto out;
	r = &s->ocsp.issuers[i].signer;
	if (OCSP_basic_sign(bs, r->cert, r->key, md, NULL,
	    OCSP_RESPID_KEY | (q->flags & OCSP_NOCERTS)) != 1 ||
	    (len = i2d_OCSP_BASICRESP(bs, &der)) <= 0 ||
	    buf_append(out, der, (size_t)len) != 0)
		log_openssl_reason(reason, rlen, "cannot sign");
	else
		rc = SIGWIRE_OK;
out:
	OPENSSL_free(der);
	OCSP_BASICRESP_free(bs);
	OCSP_BASICRESP_free(draft);
	return rc;
}

/* GetNextCACert's content must be next/'s certificates (nextca.c), which
 * the signer builds again: a worker could otherwise have any CA's
 * certificates signed as the next one. */
static int
nextca_matches(struct signer *s, const unsigned char *content, size_t clen,
    char *reason, size_t rlen)
{
	struct buf	 inner = { 0 };
	int		 have, ok = 0;

	if ((have = nextca_content(&s->cfg, &s->ra, &inner, reason,
	    rlen)) == 0)
		snprintf(reason, rlen, "GetNextCACert's attributes, and no "
		    "next CA prepared");
	else if (have > 0 && inner.len == clen && memcmp(inner.p, content,
	    clen) == 0)
		ok = 1;
	else if (have > 0)
		snprintf(reason, rlen, "GetNextCACert's attributes for a "
		    "content other than next/'s certificates");
	buf_free(&inner);
	return ok;
}

/*
 * CertRep's or GetNextCACert's signed attributes (sigcheck_cms) and the
 * content they sign (sigcheck_cms_content), signed as they were parsed
 * with the RA signing key; the answer is the bare signature.
 */
static int
do_cms(struct signer *s, const struct sigwire_req *q, const EVP_MD *md,
    struct buf *out, char *what, size_t wlen, char *reason, size_t rlen)
{
	STACK_OF(X509_ATTRIBUTE)	*attrs;
	EVP_MD_CTX			*ctx = NULL;
	unsigned char			*der = NULL, *sig = NULL;
	size_t				 slen = 0, alen;
	int				 len = 0, certrep, rc = SIGWIRE_ERROR;

	if ((alen = sigwire_cms_split(q->der, q->der_len)) == 0 ||
	    (attrs = sigwire_attrs_d2i(q->der, alen)) == NULL) {
		snprintf(reason, rlen, "not one DER SET OF Attribute");
		return SIGWIRE_ERROR;
	}
	if (sigcheck_cms(attrs, md, q->txid, &certrep, reason, rlen) != 0 ||
	    sigcheck_cms_content(attrs, md, certrep, q->der + alen,
	    q->der_len - alen, reason, rlen) != 0 ||
	    (!certrep && !nextca_matches(s, q->der + alen, q->der_len - alen,
	    reason, rlen)))
		rc = SIGWIRE_REFUSED;
	else if (snprintf(what, wlen, "%s", certrep ? "certrep" :
	    "nextca") < 0 || (len = sigwire_attrs_i2d(attrs, &der)) <= 0 ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, md, NULL, s->ra.sign_key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &slen, der, (size_t)len) != 1 ||
	    (sig = OPENSSL_malloc(slen)) == NULL ||
	    EVP_DigestSign(ctx, sig, &slen, der, (size_t)len) != 1 ||
	    buf_append(out, sig, slen) != 0)
		log_openssl_reason(reason, rlen, "cannot sign");
	else
		rc = SIGWIRE_OK;
	OPENSSL_free(sig);
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	sigwire_attrs_free(attrs);
	return rc;
}

/*
 * A pkcsPKIEnvelope addressed to the RA encryption certificate (the CA's
 * in CA-direct mode), or an offline challenge to the challenge key's:
 * CMS_decrypt undoes the key transport the client chose, PKCS#1 v1.5 (a
 * wrong one gives a random key, not an error to learn from) or OAEP, or
 * the key agreement, and the content, which is the answer.
 */
static int
do_decrypt(struct signer *s, const struct sigwire_req *q, struct buf *out,
    char *what, size_t wlen, char *reason, size_t rlen)
{
	const unsigned char	*p = q->der;
	CMS_ContentInfo		*env;
	BIO			*plain = NULL;
	char			*data;
	long			 n;
	int			 chal = q->role == KEYOP_CHALLENGE;
	int			 rc = SIGWIRE_ERROR;

	/* A challenge may be an AuthEnvelopedData (challenge.h). */
	if ((env = d2i_CMS_ContentInfo(NULL, &p, (long)q->der_len)) == NULL ||
	    p != q->der + q->der_len || (OBJ_obj2nid(CMS_get0_type(env)) !=
	    NID_pkcs7_enveloped && !(chal && OBJ_obj2nid(CMS_get0_type(env))
	    == NID_id_smime_ct_authEnvelopedData))) {
		snprintf(reason, rlen, "not one DER EnvelopedData");
		goto out;
	}
	snprintf(what, wlen, "%d", sk_CMS_RecipientInfo_num(
	    CMS_get0_RecipientInfos(env)));
	if ((plain = BIO_new(BIO_s_mem())) == NULL ||
	    CMS_decrypt(env, chal ? s->challenge_key : s->ra.enc_key,
	    chal ? s->challenge_cert : s->ra.enc_cert, NULL, plain,
	    CMS_BINARY) != 1 || (n = BIO_get_mem_data(plain, &data)) < 0 ||
	    buf_append(out, data, (size_t)n) != 0) {
		log_openssl_reason(reason, rlen, chal ? "cannot decrypt "
		    "(not addressed to the challenge certificate?)" :
		    "cannot decrypt (not addressed to the RA encryption "
		    "certificate?)");
		goto out;
	}
	rc = SIGWIRE_OK;
out:
	BIO_free(plain);
	CMS_ContentInfo_free(env);
	return rc;
}

/*
 * The Intune connector's client assertion: signed only when it is the
 * one this configuration describes (intune_auth_assertion_check); the
 * answer is the bare RS256 signature.
 */
static int
do_jwt(struct signer *s, const struct sigwire_req *q, struct buf *out,
    char *what, size_t wlen, char *reason, size_t rlen)
{
	unsigned char	*sig = NULL;
	size_t		 slen = 0;
	int		 rc = SIGWIRE_ERROR;

	snprintf(what, wlen, "%s", s->cfg.intune_client_id[0] ?
	    s->cfg.intune_client_id : "-");
	if (s->intune_key == NULL) {
		snprintf(reason, rlen, "no Intune client key (Module = intune "
		    "with ClientCertificate and ClientKey)");
		return SIGWIRE_REFUSED;
	}
	if (intune_auth_assertion_check(&s->cfg, s->intune_cert,
	    (const char *)q->der, q->der_len, time(NULL), reason, rlen) != 0)
		return SIGWIRE_REFUSED;
	if (keyop_sign_jwt(s->intune_key, (const char *)q->der, q->der_len,
	    &sig, &slen) != 1 || buf_append(out, sig, slen) != 0)
		log_openssl_reason(reason, rlen, "cannot sign");
	else
		rc = SIGWIRE_OK;
	free(sig);
	return rc;
}

/* The key role each request type names (CA-direct: the CA's for all). */
static int
role_of(const struct signer *s, int type)
{
	switch (type) {
	case SIGWIRE_SIGN_OCSP:
		return KEYOP_OCSP;
	case SIGWIRE_SIGN_CMS:
		return s->ra.direct ? KEYOP_CA : KEYOP_RA_SIGN;
	case SIGWIRE_DECRYPT:
		return s->ra.direct ? KEYOP_CA : KEYOP_RA_ENC;
	case SIGWIRE_SIGN_JWT:
		return KEYOP_INTUNE;
	default:
		return KEYOP_CA;
	}
}

static int
dispatch(struct signer *s, const struct sigwire_req *q, struct buf *out,
    char *what, size_t wlen, char *reason, size_t rlen)
{
	const EVP_MD	*md = digest(s, q->md_nid, q->type);

	if (md == NULL) {
		snprintf(reason, rlen, "digest NID %d: not one this request "
		    "may use", q->md_nid);
		return SIGWIRE_ERROR;
	}
	if (q->role != role_of(s, q->type) && !(q->type == SIGWIRE_DECRYPT &&
	    q->role == KEYOP_CHALLENGE && s->challenge_key != NULL)) {
		snprintf(reason, rlen, "request type %d with key role %d",
		    q->type, q->role);
		return SIGWIRE_REFUSED;
	}
	switch (q->type) {
	case SIGWIRE_SIGN_CERT:
		return do_cert(s, q, md, out, what, wlen, reason, rlen);
	case SIGWIRE_SIGN_CRL:
		return do_crl(s, q, md, out, what, wlen, reason, rlen);
	case SIGWIRE_SIGN_OCSP:
		return do_ocsp(s, q, md, out, what, wlen, reason, rlen);
	case SIGWIRE_SIGN_CMS:
		return do_cms(s, q, md, out, what, wlen, reason, rlen);
	case SIGWIRE_DECRYPT:
		return do_decrypt(s, q, out, what, wlen, reason, rlen);
	case SIGWIRE_SIGN_JWT:
		return do_jwt(s, q, out, what, wlen, reason, rlen);
	default:
		snprintf(reason, rlen, "unknown request type %d", q->type);
		return SIGWIRE_ERROR;
	}
}

static const char *
type_name(int type)
{
	switch (type) {
	case SIGWIRE_SIGN_CERT: return "cert";
	case SIGWIRE_SIGN_CRL: return "crl";
	case SIGWIRE_SIGN_OCSP: return "ocsp";
	case SIGWIRE_SIGN_CMS: return "cms";
	case SIGWIRE_DECRYPT: return "decrypt";
	case SIGWIRE_SIGN_JWT: return "jwt";
	default: return "unknown";
	}
}

void
signer_answer(struct signer *s, const unsigned char *body, size_t len,
    struct buf *out)
{
	struct sigwire_req	 q;
	struct sigwire_resp	 a = { 0 };
	struct buf		 der = { 0 };
	char			 reason[REASON_MAX] = "", what[128] = "-";
	char			 safe[REASON_MAX];
	static const char *const result[] = { "signed", "refused", "error" };

	if (sigwire_req_decode(body, len, &q, reason, sizeof(reason)) != 0)
		a.status = SIGWIRE_ERROR;
	else
		a.status = dispatch(s, &q, &der, what, sizeof(what), reason,
		    sizeof(reason));
	ERR_clear_error();
	if (a.status == SIGWIRE_OK) {
		a.data = der.p;
		a.len = der.len;
		log_info("op=sign what=%s txid=%s id=%s result=%s",
		    type_name(q.type), q.txid, what, q.type ==
		    SIGWIRE_DECRYPT ? "decrypted" : "signed");
	} else {
		a.data = (const unsigned char *)reason;
		a.len = strlen(reason);
		log_warnx("op=sign what=%s txid=%s id=%s result=%s "
		    "reason=\"%s\"", type_name(q.type), q.txid[0] ? q.txid :
		    "-", what, result[a.status], log_safe(reason, safe,
		    sizeof(safe)));
	}
	if (sigwire_resp_encode(&a, out) != 0)
		log_warnx("op=sign result=error reason=\"cannot encode the "
		    "answer\"");
	buf_free(&der);
}

/*
 * The connections a signer process reads at once. Each worker sends its
 * request as soon as it connects, so a connection that sends nothing, or
 * a little at a time, holds a slot until TimeoutMs at most and none of
 * the signing. With every slot taken, a new connection pushes out one
 * still being read: first one of a process that holds another (a worker
 * asks one thing at a time), else one idle SIGNER_IDLE_MS or open
 * SIGNER_SLOW_MS (a worker's request takes milliseconds), the one opened
 * first; with none such, new connections wait in the socket's backlog
 * (the workers retry a full one). Requests over SIGNER_SMALL (a CRL's is
 * up to SIGWIRE_MAX) and the answers being sent hold SIGNER_BYTES at most
 * between them, weighed by the announced length before the body is read:
 * a large request waits unread for room, pushing out idle large ones.
 */
#define SIGNER_CONNS	64
#define SIGNER_ACCEPTS	16	/* a poll round's accepts, at most */
#define SIGNER_IDLE_MS	250
#define SIGNER_SLOW_MS	1000
#define SIGNER_SMALL	(64 * 1024)
#define SIGNER_BYTES	(32 * 1024 * 1024)
#define SIGNER_LOGS	20	/* connection errors logged a second */

struct conn {
	int		 fd;		/* -1: free */
	int		 writing;	/* the answer is in out */
	int		 waiting;	/* a large request, no room yet */
	int64_t		 deadline;	/* monotonic ms */
	int64_t		 opened;	/* the accept */
	int64_t		 heard;		/* the last byte read, or the accept */
	pid_t		 peer;		/* SO_PEERCRED, 0 unknown */
	size_t		 held;		/* counted in pool's held */
	struct buf	 in;		/* the request frame so far */
	struct buf	 out;		/* the answer frame */
	size_t		 sent;		/* of out */
};

struct pool {
	struct signer	*s;
	struct conn	 c[SIGNER_CONNS];
	size_t		 held;		/* the conns' held, added up */
	int64_t		 paused;	/* no accept before (EMFILE) */
	int64_t		 log_sec;
	int		 logged;	/* this second */
	long		 unlogged;
};

/* Connection errors, SIGNER_LOGS a second at most, then counted: a flood
 * of connections cannot bury the signatures' lines. */
static void
log_count(struct pool *p)
{
	int64_t	 sec = util_mono_ms() / 1000;

	if (sec == p->log_sec)
		return;
	if (p->unlogged > 0)
		log_warnx("op=sign result=error reason=\"%ld more connection "
		    "errors not logged\"", p->unlogged);
	p->log_sec = sec;
	p->logged = 0;
	p->unlogged = 0;
}

static void
conn_log(struct pool *p, const char *stage, const char *why)
{
	char	 safe[REASON_MAX];

	log_count(p);
	if (p->logged++ >= SIGNER_LOGS) {
		p->unlogged++;
		return;
	}
	log_warnx("op=sign result=error reason=\"%s: %s\"", stage,
	    log_safe(why, safe, sizeof(safe)));
}

static void
conn_hold(struct pool *p, struct conn *c, size_t n)
{
	p->held -= c->held;
	c->held = n;
	p->held += n;
}

static void
conn_close(struct pool *p, struct conn *c, const char *why)
{
	if (why != NULL)
		conn_log(p, c->writing ? "answer" : "request", why);
	close(c->fd);
	conn_hold(p, c, 0);
	buf_free(&c->in);
	buf_free(&c->out);
	*c = (struct conn){ .fd = -1 };
}

/* From when c may be pushed out: once idle, or, for a small request,
 * slow (a large one may take its time, as long as bytes come). */
static int64_t
push_at(const struct conn *c)
{
	int64_t	 t = c->heard + SIGNER_IDLE_MS;

	if (c->writing || c->waiting)	/* waiting: to be read when room */
		return INT64_MAX;
	if (c->held <= SIGNER_SMALL && c->opened + SIGNER_SLOW_MS < t)
		t = c->opened + SIGNER_SLOW_MS;
	return t;
}

/* Whether c may be pushed out now; large: whether it holds room for a
 * large request and is idle. */
static int
may_push(struct conn *c, int large, int64_t now)
{
	int	 unread;

	if (c->fd < 0 || (large ? c->held <= SIGNER_SMALL || c->writing ||
	    now - c->heard < SIGNER_IDLE_MS : push_at(c) > now))
		return 0;
	/* Bytes there unread (this process was busy signing): not idle,
	 * whatever heard says. */
	if (!c->waiting && ioctl(c->fd, FIONREAD, &unread) == 0 &&
	    unread > 0) {
		c->heard = now;
		return 0;
	}
	return 1;
}

/* A connection that may be pushed out now, the one opened first. */
static struct conn *
pushable(struct pool *p, const struct conn *except, int large, int64_t now)
{
	struct conn	*best = NULL;
	size_t		 i;

	for (i = 0; i < SIGNER_CONNS; i++) {
		struct conn	*c = &p->c[i];

		if (c != except && may_push(c, large, now) &&
		    (best == NULL || c->opened < best->opened))
			best = c;
	}
	return best;
}

/* The large request waiting for room that was opened first: room goes
 * in the order it was asked for. */
static struct conn *
first_waiting(struct pool *p)
{
	struct conn	*best = NULL;
	size_t		 i;

	for (i = 0; i < SIGNER_CONNS; i++)
		if (p->c[i].fd >= 0 && p->c[i].waiting && (best == NULL ||
		    p->c[i].opened < best->opened))
			best = &p->c[i];
	return best;
}

/* Room for the frame's announced length, once known: 0, or 1 when it
 * must wait, unread, for room. It waits behind any large request
 * waiting since before it, and pushes out idle large ones only when
 * that makes room enough. */
static int
admit(struct pool *p, struct conn *c)
{
	struct conn	*first, *idle;
	size_t		 n = sigwire_frame_len(&c->in), freeable = 0, i;
	int64_t		 now = util_mono_ms();
	char		 why[96];

	if (c->held > 0 || n == 0)
		return 0;
	if (n <= SIGNER_SMALL) {
		conn_hold(p, c, n);
		return 0;
	}
	if ((first = first_waiting(p)) != NULL && first != c &&
	    first->opened <= c->opened) {
		c->waiting = 1;
		return 1;
	}
	if (p->held + n > SIGNER_BYTES)
		for (i = 0; i < SIGNER_CONNS; i++)
			if (&p->c[i] != c && may_push(&p->c[i], 1, now))
				freeable += p->c[i].held;
	while (p->held + n > SIGNER_BYTES &&
	    p->held - freeable + n <= SIGNER_BYTES &&
	    (idle = pushable(p, c, 1, now)) != NULL) {
		snprintf(why, sizeof(why), "pushed out, idle or slow, for a "
		    "%zu-byte request", n);
		conn_close(p, idle, why);
	}
	c->waiting = p->held + n > SIGNER_BYTES;
	if (!c->waiting) {
		conn_hold(p, c, n);
		c->heard = now;	/* its body is to be read */
	}
	return c->waiting;
}

/* Whether the worker is still there: it closes its end when it gives up
 * (TimeoutMs), so a request it sent is then not signed for no one. */
static int
still_asked(int fd)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };

	/* POLLHUP: closed; a half close (shutdown) still waits for the
	 * answer. */
	return !(poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP |
	    POLLERR)));
}

/* Reads what came, answers a whole request, sends what the socket
 * takes; the connection closed once answered or failed. */
static void
conn_step(struct pool *p, struct conn *c)
{
	struct buf	 body = { 0 };
	char		 reason[REASON_MAX];
	size_t		 had = c->in.len;
	int		 rc;

	if (!c->writing) {
		if (c->waiting && admit(p, c) != 0)
			return;
		/* The length first, weighed before the body is read. */
		do
			rc = sigwire_read_some(c->fd, &c->in, reason,
			    sizeof(reason));
		while (rc == 0 && c->held == 0 && c->in.len == 4 &&
		    admit(p, c) == 0);
		if (c->in.len > had)
			c->heard = util_mono_ms();
		if (rc == 1)
			admit(p, c);	/* a whole frame, small, is held */
		if (rc <= 0) {
			if (rc < 0)
				conn_close(p, c, reason);
			return;
		}
		/* Late (the process was busy signing), or its worker gone:
		 * nothing is signed for no one. */
		if (util_mono_ms() > c->deadline || !still_asked(c->fd)) {
			conn_close(p, c, "timed out, or the worker gone");
			return;
		}
		signer_answer(p->s, c->in.p + 4, c->in.len - 4, &body);
		buf_free(&c->in);
		if (body.len == 0 || sigwire_frame(&body, &c->out) != 0) {
			buf_free(&body);
			conn_close(p, c, NULL);	/* signer_answer logged */
			return;
		}
		buf_free(&body);
		conn_hold(p, c, c->out.len > SIGNER_SMALL ? c->out.len : 0);
		c->writing = 1;
		c->deadline = util_mono_ms() + p->s->cfg.signer_timeout_ms;
	}
	if ((rc = sigwire_write_some(c->fd, &c->out, &c->sent, reason,
	    sizeof(reason))) != 0)
		conn_close(p, c, rc < 0 ? reason : NULL);
}

/* A connection still being read from a process that holds another
 * here, the one opened first: a worker asks one thing at a time. */
static struct conn *
crowded(struct pool *p)
{
	struct conn	*best = NULL;
	size_t		 i, j;

	for (i = 0; i < SIGNER_CONNS; i++) {
		struct conn	*c = &p->c[i];

		if (c->fd < 0 || c->writing || c->peer == 0 ||
		    (best != NULL && c->opened >= best->opened))
			continue;
		for (j = 0; j < SIGNER_CONNS; j++)
			if (j != i && p->c[j].fd >= 0 &&
			    p->c[j].peer == c->peer)
				break;
		if (j < SIGNER_CONNS)
			best = c;
	}
	return best;
}

/* A free slot, or one that may be pushed out: pushed out when push is
 * set; NULL when there is none now. */
static struct conn *
free_slot(struct pool *p, int push, int64_t now)
{
	struct conn	*c;
	char		 why[112];
	size_t		 i;

	for (i = 0; i < SIGNER_CONNS; i++)
		if (p->c[i].fd < 0)
			return &p->c[i];
	if ((c = crowded(p)) != NULL && push) {
		snprintf(why, sizeof(why), "pushed out, process %ld holds "
		    "another, all %d connections taken", (long)c->peer,
		    SIGNER_CONNS);
		conn_close(p, c, why);
	} else if (c == NULL && (c = pushable(p, NULL, 0, now)) != NULL &&
	    push) {
		snprintf(why, sizeof(why), "pushed out, idle or slow, all %d "
		    "connections taken", SIGNER_CONNS);
		conn_close(p, c, why);
	}
	return c;
}

static pid_t
peer_of(int fd)
{
	struct ucred	 uc;
	socklen_t	 len = sizeof(uc);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 ?
	    uc.pid : 0;
}

static int
accept_some(struct pool *p)
{
	struct conn	*slot;
	int64_t		 now;
	int		 i, fd;

	for (i = 0; i < SIGNER_ACCEPTS; i++) {
		/* A slot first, taken only for a connection accepted. */
		if (free_slot(p, 0, util_mono_ms()) == NULL)
			return 0;	/* the rest wait in the backlog */
		if ((fd = accept4(0, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				return 0;
			if (errno == EBADF || errno == EINVAL ||
			    errno == ENOTSOCK || errno == EOPNOTSUPP) {
				log_errx("signer: accept: %s", strerror(errno));
				return -1;
			}
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: a pause, not a
			 * loop on a socket that stays readable. */
			conn_log(p, "accept", strerror(errno));
			p->paused = util_mono_ms() + 100;
			return 0;
		}
		now = util_mono_ms();
		if ((slot = free_slot(p, 1, now)) == NULL) {	/* as probed */
			close(fd);
			conn_log(p, "request", "no slot");
			return 0;
		}
		*slot = (struct conn){ .fd = fd, .opened = now, .heard = now,
		    .deadline = now + p->s->cfg.signer_timeout_ms,
		    .peer = peer_of(fd) };
		conn_step(p, slot);	/* its request is often there */
	}
	return 0;
}

static void
serve(struct signer *s)
{
	static struct pool	 p;	/* 64 slots: not on the stack */
	struct conn		*c;
	struct pollfd		 pfd[SIGNER_CONNS + 1];
	size_t			 at[SIGNER_CONNS + 1], i, n;
	int64_t			 now, first, t;
	int			 rc, fl, accepting, full, waiting;

	p.s = s;
	for (i = 0; i < SIGNER_CONNS; i++)
		p.c[i] = (struct conn){ .fd = -1 };
	/* Shared by the pool's processes: another may take the connection
	 * poll announced. */
	if ((fl = fcntl(0, F_GETFL)) < 0 || fcntl(0, F_SETFL, fl |
	    O_NONBLOCK) < 0) {
		log_errx("signer: the socket: %s", strerror(errno));
		return;
	}
	for (;;) {
		now = util_mono_ms();
		log_count(&p);
		first = INT64_MAX;
		waiting = 0;
		/* Accepting when a slot is free or one may be pushed out;
		 * else woken when one could be, unless accepts are paused. */
		accepting = now >= p.paused && free_slot(&p, 0, now) != NULL;
		full = now >= p.paused && !accepting;
		if (now < p.paused)
			first = p.paused;
		pfd[0] = (struct pollfd){ .fd = accepting ? 0 : -1,
		    .events = POLLIN };
		/* Large requests waiting for room: admitted in the order
		 * they came, as room allows; the others are not read. */
		while ((c = first_waiting(&p)) != NULL && admit(&p, c) == 0)
			;
		for (i = 0, n = 1; i < SIGNER_CONNS; i++) {
			c = &p.c[i];
			if (c->fd < 0)
				continue;
			if (c->waiting)
				pfd[n] = (struct pollfd){ .fd = -1 };
			else
				pfd[n] = (struct pollfd){ .fd = c->fd,
				    .events = c->writing ? POLLOUT : POLLIN };
			at[n++] = i;
			if (c->deadline < first)
				first = c->deadline;
			if (full && (t = push_at(c)) < first)
				first = t;
			waiting |= c->waiting;
		}
		/* Woken when a large request becomes idle, which may make
		 * room for one waiting (those idle already were weighed by
		 * admit above: room changes then by an event or a deadline),
		 * and to count the unlogged errors each second. */
		for (i = 0; waiting && i < SIGNER_CONNS; i++)
			if (p.c[i].fd >= 0 && !p.c[i].writing &&
			    p.c[i].held > SIGNER_SMALL && (t = p.c[i].heard +
			    SIGNER_IDLE_MS) > now && t < first)
				first = t;
		if (p.unlogged > 0 && (t = (now / 1000 + 1) * 1000) < first)
			first = t;
		rc = poll(pfd, n, first == INT64_MAX ? -1 : first <= now ? 0 :
		    (int)(first - now > INT_MAX ? INT_MAX : first - now));
		if (rc < 0 && errno != EINTR) {
			log_errx("signer: poll: %s", strerror(errno));
			break;
		}
		for (i = 1; rc > 0 && i < n; i++)
			if (pfd[i].revents != 0 && p.c[at[i]].fd == pfd[i].fd)
				conn_step(&p, &p.c[at[i]]);
		if (rc > 0 && (pfd[0].revents & POLLIN) && accept_some(&p) != 0)
			break;
		now = util_mono_ms();
		for (i = 0; i < SIGNER_CONNS; i++)
			if (p.c[i].fd >= 0 && p.c[i].deadline <= now)
				conn_close(&p, &p.c[i], "timed out");
	}
	for (i = 0; i < SIGNER_CONNS; i++)
		if (p.c[i].fd >= 0)
			conn_close(&p, &p.c[i], NULL);
}

int
signer_serve(void *path)
{
	struct signer	 s;
	char		 reason[REASON_MAX] = "unknown error";

	if (signer_open(path, &s, reason, sizeof(reason)) != 0) {
		log_errx("signer cannot start: %s", reason);
		signer_close(&s);
		return 3;	/* supervise.h WORKER_EXIT_STARTUP */
	}
	if (s.cfg.log_syslog)
		log_open(LOG_TO_SYSLOG, "mscep-signer", s.cfg.log_socket);
	log_info("signer %ld ready: the keys of %s open", (long)getpid(),
	    (const char *)path);
	serve(&s);
	signer_close(&s);
	return 1;
}

int
signer_keys_check(const char *path, char *reason, size_t rlen)
{
	struct signer	 s;
	int		 rc;

	rc = signer_open(path, &s, reason, rlen);
	signer_close(&s);
	return rc;
}

int
signer_check(void *path)
{
	char	 reason[REASON_MAX] = "unknown error";

	if (signer_keys_check(path, reason, sizeof(reason)) != 0) {
		log_errx("reload refused, the running signers stay: %s",
		    reason);
		return 1;
	}
	return 0;
}
