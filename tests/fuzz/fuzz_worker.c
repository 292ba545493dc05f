/*
 * fuzz_worker.c - one request through route_request (mscep/responder/route.c), as
 * main.c hands it over from FastCGI: routing on operation=, GetCACaps,
 * GetCACert, the landing and password pages, and PKIOperation by GET
 * (message= in the query: http_query_get, percent and base64 decoding in
 * pkiop.c's message_bytes) or POST, decoding, the message types, policy,
 * issuance, the store and the CertRep.
 *
 * Eight workers are opened by worker_open on one state folder made by
 * ca_init, each with its own INI, and their stores are swapped for
 * in-memory ones (events, passwords and certificates land there; nothing
 * touches the disk while fuzzing); then the folder is removed:
 *   0: NDES one-time passwords (PasswordMax 3); the password
 *      1ED0DD50F7459D6E is put back before each request to it;
 *   1: EnforcePassword = 0 (issues whatever passes the checks),
 *      CertRepIncludeCA, SHA-512 certificates;
 *   2: UseSinglePassword = 1 with the password FUZZ-SINGLE-PASSWORD,
 *      MaxMessageSize 2048, the password page in UTF-8 over HTTP, users
 *      without case;
 *   3: the mdm-challenge policy module (plain GETs answer 403);
 *   4: CADirect = 1, EnforcePassword = 0, NoKeyUsageTemplate = Reject;
 *   5: the lifecycle (EnforcePassword = 0, Capabilities with Renewal):
 *      GpT AllowRenewal = 1, EncT AllowRenewal = 1 with RenewalWindowDays
 *      = 30, SigT RequireApproval = 1; GetCRL answers with a CRL published
 *      when the worker was opened;
 *   6: the same but GpT RenewalWindowDays = 5 (GpT certificates last 10
 *      days: a renewal of the first identity comes too early),
 *      opened once a next CA was prepared (mscep-admin ca rollover):
 *      GetNextCACert answers it and GetCACaps lists it;
 *   7: the same as 5 but GpT RevokeOnRenewal = 1, opened after the switch
 *      to that next CA (mscep-admin ca switch): certificates of the
 *      previous CA may renew.
 * Their stores record the renewal identities below (C bits 6-7), issued
 * by the first CA: the first as GpT everywhere; the second as GpT revoked
 * (keyCompromise) in 5, as SigT (no renewal) in 6, not at all in 7. Each
 * holds a SigT PKCSReq from the EC client key, transactionID
 * FUZZ-RESUBMIT, for approval, as sent through route_request: pending in
 * 5, approved with its certificate (as mscep-admin approve does) in 6,
 * denied in 7; CertPoll finds it so. Once a renewal in 7 has superseded
 * the first identity, the 16th request to 7 that finds it revoked first
 * puts its store back as it was opened, from a copy of its SQLite pages
 * taken then (later ones would all stop at "revoked"; the ones before see
 * the retransmission paths). The CRL is
 * read from a file descriptor (/proc/self/fd/N) on the file published
 * before the folder went; republishing then fails, quietly.
 *
 * Input: a flags byte, then "METHOD URI" up to the first '\n', then the
 * body (POST only, as main.c reads it). The query string is what follows
 * the first '?' in URI (none without one).
 *   bit 0: HTTPS=on;
 *   bits 1-2: REMOTE_USER: none, alice, example\BOB, mallory;
 *   bit 3: the body is "T C inner" as in fuzz_pkiop's second form: inner
 *       (a PKCSReq's CSR is given the client's key and re-signed, as a
 *       client makes it, unless C says not to; on the DER, its other
 *       bytes as fuzzed: fuzz_csr_rekey) is enveloped to the
 *       worker's RA, signed as messageType T and sent as the POST body,
 *       or for any other method appended to the query as message=base64.
 *       A mutated message never gets past its signature; this does;
 *   bit 4: a fixed transactionID (resubmissions) instead of one per input:
 *       FUZZ-RESUBMIT, or with a renewal identity as the signer the one it
 *       was recorded with, FUZZ-RENEWAL-BASE;
 *   bits 5-7: the worker.
 * C: bits 0-1 AES-128, AES-256, 3DES, DES; bit 2 RSA-OAEP; bit 3 SHA-1
 * instead of SHA-256; bit 4 keep the CSR's own key (signer and CSR key
 * then differ); bit 5 the RSA client key instead of the EC one; bits 6-7
 * the signer: the client's self-signed certificate, or one of the three
 * renewal identities the state's (first) CA issued with EC keys: the
 * recorded one (CN=fuzz-renewal, O=Fuzz, DNS:renewal.example, a SID,
 * template GpT, issued as worker 5 issues), the second (CN=fuzz-second),
 * an expired one (recorded nowhere). A PKCSReq (19) CSR is re-signed with
 * the signer's key; a RenewalReq (17) CSR with the client key of bit 5
 * (a new key), or with an identity as the signer with the EC client key
 * (bit 5 clear) or the identity's own key (bit 5 set: renewal without a
 * new key, as micromdm's scepclient does), and it takes the identity's
 * subject, as a renewing client does.
 *
 * Every request logs a line on stderr; -close_fd_mask=2 is added to the
 * command line (libFuzzer's own output and sanitizer reports still show).
 */
#include "fuzz_common.h"
#include "ca/ca_init.h"
#include "ca/crl.h"
#include "ca/issue.h"
#include "util/log.h"
#include "scep/message.h"
#include "policy/policy.h"
#include "policy/policy_mdmchallenge.h"
#include "policy/policy_password.h"
#include "ca/rollover.h"
#include "store/store_sqlite.h"
#include "responder/route.h"
#include "responder/worker.h"
#include "util/cert.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#define NWORKERS	8
#define FIRST_LIFE	5	/* workers 5 to 7: the lifecycle */
#define OTP		"1ED0DD50F7459D6E"
#define SINGLE		"FUZZ-SINGLE-PASSWORD"
#define RESUBMIT	"FUZZ-RESUBMIT"

static struct worker	 workers[NWORKERS];
static EVP_PKEY		*ec_key, *rsa_key;
static X509		*ec_cert, *rsa_cert;
static char		 otp_hash[65];
/* Renewal identities: recorded, revoked, expired (bits 6-7 of C). */
static EVP_PKEY		*id_key[3];
static X509		*id_cert[3];
static char		 id_serial[2][80];
static const char	*id_ca_key;
#define RENEWAL_BASE	"FUZZ-RENEWAL-BASE"
/* The keys wrap() gives CSRs (client EC, client RSA, identities 0-2),
 * ready for fuzz_csr_rekey; the identities' subjects in DER. */
static struct fuzz_key	 csr_keys[5];
static unsigned char	*id_subject[3];
static int		 id_subject_len[3];
static int		 stale[NWORKERS];	/* requests since superseded */
/* A renewal there can supersede the recorded identity (GpT RevokeOnRenewal). */
static int		 supersedes[NWORKERS];
/* The lifecycle stores as opened, to put back (life_reset). */
struct snapshot {
	unsigned char	*p;		/* sqlite3_malloc'd */
	sqlite3_int64	 len;
};
static struct snapshot	 snapshots[NWORKERS];

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What mscep-admin mdm-init leaves for the mdm-challenge module. */
static void
mdm_files(struct fuzz_state *st)
{
	X509		*sign, *enc;
	EVP_PKEY	*sk, *ek;
	char		 reason[REASON_MAX] = "";
	FILE		*f;

	fuzz_identity(st, "MDM signer", "ec:P-256", "critical,digitalSignature",
	    &sign, &sk);
	fuzz_identity(st, "mscep challenge", "ec:P-256",
	    "critical,keyAgreement", &enc, &ek);
	if (ca_save_pair(&st->cfg, CHALLENGE_CERT, CHALLENGE_KEY, enc, ek,
	    reason, sizeof(reason)) != 0 ||
	    (f = fopen(st->cfg.challenge_signers, "w")) == NULL ||
	    !PEM_write_X509(f, sign) || fclose(f) != 0) {
		fprintf(stderr, "fuzz: %s\n", reason);
		abort();
	}
	X509_free(sign);
	X509_free(enc);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(ek);
}

static void
die(const char *what, const char *reason)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, reason);
	ERR_print_errors_fp(stderr);
	abort();
}

/*
 * x as its holder reads it from the CertRep. issue_sign_ex leaves the key
 * of what it signs unparsed (mscep/issue.c, copy_pubkey), and signing
 * with such a certificate fails (CMS_add1_signer cannot match the key).
 */
static X509 *
as_sent(X509 *x)
{
	const unsigned char	*p;
	unsigned char		*der = NULL;
	X509			*y = NULL;
	int			 len;

	if ((len = i2d_X509(x, &der)) > 0) {
		p = der;
		y = d2i_X509(NULL, &p, len);
	}
	OPENSSL_free(der);
	X509_free(x);
	return y;
}

/* The recorded identity, as worker 5 issues: GpT, a SID (KB5014754). */
static void
renewal_identity(const struct worker *w, const struct ra *ra)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	struct issue_extras	 ex = { "S-1-5-21-1-2-3-1001", NULL };
	X509_EXTENSION		*e;
	X509_REQ		*csr = X509_REQ_new();
	X509_NAME		*name = X509_REQ_get_subject_name(csr);
	char			 reason[REASON_MAX] = "";

	if ((id_key[0] = ca_keygen("ec:P-256", reason, sizeof(reason))) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"fuzz-renewal", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"Fuzz", -1, -1, 0) ||
	    (e = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage,
	    "digitalSignature,keyEncipherment")) == NULL ||
	    !sk_X509_EXTENSION_push(exts, e) ||
	    (e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
	    "DNS:renewal.example")) == NULL ||
	    !sk_X509_EXTENSION_push(exts, e) ||
	    !X509_REQ_add_extensions(csr, exts) ||
	    X509_REQ_set_pubkey(csr, id_key[0]) != 1 ||
	    X509_REQ_sign(csr, id_key[0], EVP_sha256()) <= 0 ||
	    issue_sign_ex(&w->cfg, config_template(&w->cfg, "GpT"), ra, csr,
	    &ex, &id_cert[0], reason, sizeof(reason)) != 0 ||
	    (id_cert[0] = as_sent(id_cert[0])) == NULL)
		die("renewal identity", reason);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(csr);
}

/* Below: a PKIOperation from "T C inner". */
static int wrap(const struct worker *, const uint8_t *, size_t, int,
    struct buf *);

/* The held request's id and status (its strings live in the callback). */
struct held {
	int64_t	 id;
	char	 status[16];
};

static int
take_pending(const struct pending_req *p, void *arg)
{
	struct held	*h = arg;

	h->id = p->id;
	snprintf(h->status, sizeof(h->status), "%s", p->status);
	return 1;
}

/* A SigT PKCSReq from the EC client key, held for approval; then
 * approved (cert issued as mscep-admin approve does), denied or left. */
static void
hold_one(struct worker *w, int decide)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION	*e;
	X509_REQ	*csr = X509_REQ_new();
	struct http_req	 req;
	struct http_resp resp;
	struct buf	 in = { 0 }, msg = { 0 };
	struct held	 p;
	unsigned char	*der = NULL;
	char		 key_id[41], serial[80], reason[REASON_MAX] = "";
	X509		*x = NULL;
	int		 len;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	if (!X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(csr), "CN",
	    MBSTRING_UTF8, (const unsigned char *)"fuzz-pending", -1, -1, 0) ||
	    (e = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage,
	    "digitalSignature")) == NULL || !sk_X509_EXTENSION_push(exts, e) ||
	    !X509_REQ_add_extensions(csr, exts) ||
	    X509_REQ_set_pubkey(csr, ec_key) != 1 ||
	    X509_REQ_sign(csr, ec_key, EVP_sha256()) <= 0 ||
	    (len = i2d_X509_REQ(csr, &der)) <= 0 ||
	    buf_append(&in, "\x13\x00", 2) != 0 ||
	    buf_append(&in, der, (size_t)len) != 0 ||
	    wrap(w, in.p, in.len, 1, &msg) != 0)
		die("held request", "cannot build");
	req.method = "POST";
	req.request_uri = "/certsrv/mscep/mscep.dll?operation=PKIOperation";
	req.query = "operation=PKIOperation";
	req.path_info = "";
	req.body = msg.p;
	req.body_len = msg.len;
	route_request(w, &req, &resp);
	memset(&p, 0, sizeof(p));
	if (resp.status != 200 ||
	    cert_key_id_hex(X509_REQ_get_X509_PUBKEY(csr), key_id) != 0 ||
	    store_pending_find(w->store, RESUBMIT, key_id, util_now(),
	    take_pending, &p) != STORE_OK || p.id <= 0 ||
	    strcmp(p.status, "pending") != 0)
		die("held request", "not pending");
	if (decide > 0 && (issue_sign_ex(&w->cfg, config_template(&w->cfg,
	    "SigT"), &w->ra, csr, NULL, &x, reason, sizeof(reason)) != 0))
		die("approve", reason);
	if (decide > 0)
		fuzz_record(w->store, x, "SigT", RESUBMIT, w->ra.ca_key_id, p.id,
		    serial, sizeof(serial));
	else if (decide < 0 && store_pending_decide(w->store, p.id,
	    util_now(), NULL, NULL, 0) != STORE_OK)
		die("deny", store_errmsg(w->store));
	X509_free(x);
	http_resp_free(&resp);
	buf_free(&in);
	buf_free(&msg);
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(csr);
}

/* What the stores of workers 5 to 7 hold (see the top of this file). */
static void
life_records(struct worker *w)
{
	int	 already, wi = (int)(w - workers);

	fuzz_record(w->store, id_cert[0], "GpT", RENEWAL_BASE, id_ca_key, 0,
	    id_serial[0], sizeof(id_serial[0]));
	if (wi != 7)
		fuzz_record(w->store, id_cert[1], wi == 5 ? "GpT" : "SigT",
		    "FUZZ-SECOND-BASE", id_ca_key, 0, id_serial[1],
		    sizeof(id_serial[1]));
	if (wi == 5 && store_revoke(w->store, id_serial[1],
	    REVOKE_KEY_COMPROMISE, util_now() - 60, &already) != STORE_OK)
		die("store_revoke", store_errmsg(w->store));
	hold_one(w, wi == 5 ? 0 : wi == 6 ? 1 : -1);
}

/*
 * The store as the worker was opened with it, put back from a copy of its
 * pages (SQLite's serialize/deserialize: half a millisecond, where a new
 * store and its records, the held request included, took 25-50).
 */
static void
life_reset(struct worker *w)
{
	const struct snapshot	*s = &snapshots[w - workers];
	unsigned char		*copy;
	sqlite3			*db = store_sqlite_db(w->store);

	if ((copy = sqlite3_malloc64((sqlite3_uint64)s->len)) == NULL)
		abort();
	memcpy(copy, s->p, (size_t)s->len);
	/* SQLite frees copy with the database, or now if this fails. */
	if (sqlite3_deserialize(db, "main", copy, s->len, s->len,
	    SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
	    SQLITE_OK)
		die("sqlite3_deserialize", sqlite3_errmsg(db));
}

static void
life_snapshot(struct worker *w)
{
	struct snapshot	*s = &snapshots[w - workers];

	if ((s->p = sqlite3_serialize(store_sqlite_db(w->store), "main", &s->len,
	    0)) == NULL)
		die("sqlite3_serialize", "no copy of the store");
}

/* Publishes the CRL, then reads it through a descriptor (see the top). */
static void
life_crl(struct worker *w)
{
	char	 reason[REASON_MAX] = "";
	long	 entries;
	int	 fd;

	if (crl_publish(&w->cfg, &w->ra, w->store, &entries, reason,
	    sizeof(reason)) != 0)
		die("crl_publish", reason);
	if ((fd = open(w->cfg.crl_file, O_RDONLY)) < 0 ||
	    (size_t)snprintf(w->cfg.crl_file, sizeof(w->cfg.crl_file),
	    "/proc/self/fd/%d", fd) >= sizeof(w->cfg.crl_file))
		die("CRL", w->cfg.crl_file);
}

static void
life_worker(struct fuzz_state *st, int wi)
{
	static const char *const gpt[3] = { "", "RenewalWindowDays = 5\n",
	    "RevokeOnRenewal = 1\n" };
	struct worker	*w = &workers[wi];
	char		 ini[PATH_MAX + 16], name[32], reason[REASON_MAX] = "";
	char		 extra[512];
	const struct template *t;
	int		 i;

	snprintf(extra, sizeof(extra), "Capabilities = AES,DES3,"
	    "POSTPKIOperation,Renewal,SCEPStandard,SHA-1,SHA-256,SHA-512\n"
	    "[GpT]\nAllowRenewal = 1\n%s"
	    "[EncT]\nAllowRenewal = 1\nRenewalWindowDays = 30\n"
	    "[SigT]\nRequireApproval = 1\nPendingExpiryHours = 1\n",
	    gpt[wi - FIRST_LIFE]);
	snprintf(name, sizeof(name), "worker%d.ini", wi);
	fuzz_state_ini(st, name, "EnforcePassword = 0\n", extra, ini,
	    sizeof(ini));
	fuzz_worker_open(w, ini);
	/* The lifecycle keys come in second [GpT], [EncT], [SigT] sections. */
	if ((t = config_template(&w->cfg, "GpT")) == NULL ||
	    !t->allow_renewal || t->revoke_on_renewal != (wi == 7) ||
	    t->renewal_window_days != (wi == 6 ? 5 : 0) ||
	    (t = config_template(&w->cfg, "EncT")) == NULL ||
	    !t->allow_renewal || t->renewal_window_days != 30 ||
	    (t = config_template(&w->cfg, "SigT")) == NULL ||
	    !t->require_approval)
		die(ini, "lifecycle keys not loaded");
	if (wi == FIRST_LIFE) {
		renewal_identity(w, &st->ra);
		fuzz_identity(st, "fuzz-second", "ec:P-256",
		    "critical,digitalSignature,keyEncipherment", &id_cert[1],
		    &id_key[1]);
		/* Issuance never leaves the CA's validity or makes an expired
		 * certificate: one day, then moved into the past and signed
		 * again here. */
		if (ca_issue_identity(st->ra.ca, st->ra.ca_key, "fuzz-expired",
		    "ec:P-256", "critical,digitalSignature,keyEncipherment", 1,
		    &id_cert[2], &id_key[2], reason, sizeof(reason)) != 0 ||
		    X509_gmtime_adj(X509_getm_notBefore(id_cert[2]),
		    -2 * 86400) == NULL ||
		    X509_gmtime_adj(X509_getm_notAfter(id_cert[2]), -86400) ==
		    NULL || X509_sign(id_cert[2], st->ra.ca_key,
		    EVP_sha256()) <= 0)
			die("expired identity", reason);
		id_ca_key = strdup(w->ra.ca_key_id);
		for (i = 0; i < 3; i++) {
			fuzz_key_prepare(&csr_keys[2 + i], id_key[i],
			    EVP_sha256());
			if ((id_subject_len[i] = i2d_X509_NAME(
			    X509_get_subject_name(id_cert[i]),
			    &id_subject[i])) <= 0)
				die("identity", "subject");
		}
	}
	life_records(w);
	life_crl(w);
	supersedes[wi] = config_template(&w->cfg, "GpT")->revoke_on_renewal;
	life_snapshot(w);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct {
		const char	*mscep, *extra;
	} inis[NWORKERS] = {
		{ "PasswordMax = 3\n", "AllowDES = 1\n[PasswordPage]\n"
		  "Users = alice, EXAMPLE\\bob\nEncoding = UTF-16LE\n" },
		{ "EnforcePassword = 0\n", "AllowDES = 1\nCertRepIncludeCA = 1\n"
		  "HashAlgorithm = sha512\nBackdateMinutes = 0\n" },
		{ "UseSinglePassword = 1\n", "MaxMessageSize = 2048\n"
		  "[PasswordPage]\nUsers = alice, EXAMPLE\\bob\n"
		  "UsersIgnoreCase = 1\nRequireHTTPS = 0\nEncoding = UTF-8\n" },
		{ NULL, "[Policy]\nModule = mdm-challenge\n" },
		{ "EnforcePassword = 0\n", "CADirect = 1\n"
		  "NoKeyUsageTemplate = Reject\n" },
	};
	struct rollover_opts	 roll = { NULL, NULL, 3650, 3650, 0, 0,
	    NULL };
	struct fuzz_state	 st;
	char			 ini[PATH_MAX + 16], name[32], hash[65];
	char			 reason[REASON_MAX] = "", prev[PATH_MAX + 64];
	int			 i;

	fuzz_quiet_stderr(argc, argv);
	if ((ec_key = ca_keygen("ec:P-256", reason, sizeof(reason))) == NULL ||
	    (rsa_key = ca_keygen("rsa:2048", reason, sizeof(reason))) == NULL)
		abort();
	ec_cert = fuzz_self_signed(ec_key, "fuzz device");
	rsa_cert = fuzz_self_signed(rsa_key, "fuzz router");
	fuzz_key_prepare(&csr_keys[0], ec_key, EVP_sha256());
	fuzz_key_prepare(&csr_keys[1], rsa_key, EVP_sha256());
	fuzz_state_open(&st, NULL, "rsa:2048");
	mdm_files(&st);
	for (i = 0; i < FIRST_LIFE; i++) {
		snprintf(name, sizeof(name), "worker%d.ini", i);
		fuzz_state_ini(&st, name, inis[i].mscep, inis[i].extra, ini,
		    sizeof(ini));
		fuzz_worker_open(&workers[i], ini);
	}
	if (workers[1].cfg.enforce_password || !workers[2].cfg.use_single_password ||
	    !workers[4].ra.direct || !policy_hides_landing_page(workers[3].policy))
		abort();
	life_worker(&st, 5);
	if (rollover_create(&st.cfg, &roll, reason, sizeof(reason)) != 0)
		die("rollover_create", reason);
	life_worker(&st, 6);
	if (rollover_switch(&st.cfg, 1, prev, sizeof(prev), reason,
	    sizeof(reason)) != 0)
		die("rollover_switch", reason);
	life_worker(&st, 7);
	if (workers[5].nextca.len != 0 || workers[6].nextca.len == 0 ||
	    sk_X509_num(workers[7].ra.prev_ca) != 1 ||
	    ra_issuer(&workers[7].ra, id_cert[0]) == workers[7].ra.ca)
		die("rollover", "workers 5 to 7 not as described");
	ra_free(&st.ra);
	config_free(&st.cfg);
	fuzz_state_remove(&st);
	policy_password_hash(OTP, otp_hash);
	policy_password_hash(SINGLE, hash);
	if (store_password_set_single(workers[2].store, hash, util_now()) !=
	    STORE_OK)
		abort();
	return 0;
}

static const EVP_CIPHER *
cipher(uint8_t c)
{
	switch (c & 3) {
	case 1:
		return EVP_aes_256_cbc();
	case 2:
		return EVP_des_ede3_cbc();
	case 3:
		return EVP_des_cbc();
	default:
		return EVP_aes_128_cbc();
	}
}

static const struct fuzz_key *
prepared(const EVP_PKEY *key)
{
	size_t	 i;

	for (i = 0; i < sizeof(csr_keys) / sizeof(csr_keys[0]); i++)
		if (csr_keys[i].key == key)
			return &csr_keys[i];
	abort();
}

/*
 * The CSR in p as the client makes it: given key (and identity subj's
 * subject, subj >= 0) and signed with it. Done on the DER, the other
 * bytes as fuzzed (fuzz_csr_rekey); what that does not walk (indefinite
 * lengths) is parsed and encoded again. 1: p is no CSR; -1: it cannot be
 * signed.
 */
static int
client_csr(const uint8_t *p, size_t n, EVP_PKEY *key, int subj,
    struct buf *out)
{
	const unsigned char	*q = p;
	unsigned char		*der = NULL;
	X509_REQ		*csr;
	int			 len, rc = -1;

	if (fuzz_csr_rekey(p, n, prepared(key), subj >= 0 ? id_subject[subj] :
	    NULL, subj >= 0 ? (size_t)id_subject_len[subj] : 0, out) == 0)
		return 0;
	if ((csr = d2i_X509_REQ(NULL, &q, (long)n)) == NULL)
		return 1;
	if ((subj < 0 || X509_REQ_set_subject_name(csr,
	    X509_get_subject_name(id_cert[subj])) == 1) &&
	    X509_REQ_set_pubkey(csr, key) == 1 &&
	    X509_REQ_sign(csr, key, EVP_sha256()) > 0 &&
	    (len = i2d_X509_REQ(csr, &der)) > 0)
		rc = buf_append(out, der, (size_t)len);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	return rc;
}

/* A PKIOperation from "T C inner" (see the top of this file). */
static int
wrap(const struct worker *w, const uint8_t *p, size_t n, int fixed_txid,
    struct buf *msg)
{
	unsigned char		 md[SHA_DIGEST_LENGTH];
	struct buf		 env = { 0 }, inner = { 0 };
	EVP_PKEY		*key, *client, *csr_key;
	X509			*cert;
	char			 txid[2 * SHA_DIGEST_LENGTH + 1];
	int			 rc = -1, who, made = 1;

	if (n < 2)
		return -1;
	client = (p[1] & 32) ? rsa_key : ec_key;
	who = p[1] >> 6;
	key = who ? id_key[who - 1] : client;
	cert = who ? id_cert[who - 1] : (p[1] & 32) ? rsa_cert : ec_cert;
	if (fixed_txid)
		snprintf(txid, sizeof(txid), "%s", who ? RENEWAL_BASE :
		    RESUBMIT);
	else {
		SHA1(p, n, md);
		util_hex_encode(md, sizeof(md), txid);
	}
	if ((p[0] == 19 || p[0] == 17) && !(p[1] & 16)) {
		/* §2.3: a PKCSReq is signed with the CSR's key; a RenewalReq
		 * with the certificate being renewed (§3.3.1.2), for the
		 * same subject and a new key. */
		csr_key = p[0] == 19 ? key : !who ? client :
		    (p[1] & 32) ? key : ec_key;
		if ((made = client_csr(p + 2, n - 2, csr_key, p[0] == 17 &&
		    who ? who - 1 : -1, &inner)) < 0)
			goto out;
	}
	rc = made == 0 ? fuzz_envelope(w->ra.enc_cert, cipher(p[1]), p[1] & 4,
	    inner.p, inner.len, &env) : fuzz_envelope(w->ra.enc_cert,
	    cipher(p[1]), p[1] & 4, p + 2, n - 2, &env);
	/* Signing any content with the harness's own keys cannot fail: if it
	 * does, every input with that signer fuzzes nothing. */
	if (rc == 0 && fuzz_sign_pkimessage(key, cert, (p[1] & 8) ?
	    EVP_sha1() : EVP_sha256(), p[0], txid, env.p, env.len, msg) != 0)
		die("client signature", who ? "renewal identity" : "client");
out:
	ERR_clear_error();
	buf_free(&inner);
	buf_free(&env);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const users[] = { NULL, "alice", "example\\BOB",
	    "mallory" };
	struct worker	*w;
	struct http_req	 req;
	struct http_resp resp;
	struct buf	 msg = { 0 };
	struct cert_row	 row;
	const uint8_t	*nl;
	char		*line, *sp, *q, *query = NULL, *b64;
	size_t		 n;
	uint8_t		 flags;

	if (size < 1)
		return 0;
	flags = data[0];
	w = &workers[(flags >> 5) % NWORKERS];
	if (w == &workers[0])
		/* Fails when it is still there or the cache is full. */
		(void)store_password_add(w->store, otp_hash, util_now(),
		    util_now() + 3600, w->cfg.password_max);
	if (supersedes[w - workers] && (store_cert_status(w->store,
	    id_serial[0], &row) != STORE_OK || row.revoked) &&
	    ++stale[w - workers] >= 16) {
		/* A renewal superseded it (see the top of this file). */
		life_reset(w);
		stale[w - workers] = 0;
	}
	data++;
	size--;
	nl = memchr(data, '\n', size);
	n = nl ? (size_t)(nl - data) : size;
	line = fuzz_strndup(data, n);
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = line;
	req.request_uri = "";
	if ((sp = strchr(line, ' ')) != NULL) {
		*sp = '\0';
		req.request_uri = sp + 1;
	}
	if ((q = strchr(req.request_uri, '?')) != NULL)
		req.query = q + 1;
	req.path_info = "";
	req.https = flags & 1;
	req.remote_user = users[(flags >> 1) & 3];
	if ((flags & 8) && nl != NULL) {
		if (wrap(w, nl + 1, size - n - 1, flags & 16, &msg) != 0)
			goto out;
		if (strcmp(req.method, "POST") == 0) {
			req.body = msg.p;
			req.body_len = msg.len;
		} else {
			if ((b64 = fuzz_base64(msg.p, msg.len)) == NULL ||
			    (query = malloc(strlen(req.query ? req.query : "") +
			    strlen(b64) + 16)) == NULL)
				abort();
			sprintf(query, "%s&message=%s", req.query ? req.query :
			    "", b64);
			free(b64);
			req.query = query;
		}
	} else if (strcmp(req.method, "POST") == 0 && nl != NULL) {
		req.body = nl + 1;
		req.body_len = size - n - 1;
	}
	route_request(w, &req, &resp);
	/*
	 * 404: GetNextCACert without a next CA (worker.c). A 500 is an
	 * internal error (CertRep not built, store failing): never the
	 * answer to what a client sends (tests/unit/test_hostile.c).
	 */
	switch (resp.status) {
	case 200: case 400: case 403: case 404: case 405: case 409: case 413:
	case 414:
		break;
	default:
		abort();
	}
	if (resp.content_type == NULL || (resp.body.len > 0 &&
	    resp.body.p == NULL))
		abort();
	http_resp_free(&resp);
out:
	free(query);
	buf_free(&msg);
	free(line);
	ERR_clear_error();
	return 0;
}
