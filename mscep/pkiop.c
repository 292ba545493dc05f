/* pkiop.c - one PKIOperation from bytes on the wire to a CertRep. */
#include "pkiop.h"
#include "pkiop_priv.h"
#include "certrep.h"
#include "events.h"
#include "issue.h"
#include "log.h"
#include "message.h"
#include "template.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

void
outcome_fail(struct outcome *o, enum scep_failinfo f)
{
	o->rep.status = STATUS_FAILURE;
	o->rep.fail = f;
}

/* The message bytes: POST body, or base64 "message" in the query. */
static int
message_bytes(const struct worker *w, const struct http_req *req, int post,
    struct buf *out, int *status, char *reason, size_t rlen)
{
	char	*b64;
	long	 n;
	int	 too_long;
	size_t	 b64max = w->cfg.max_message / 3 * 4 + 8;

	if (post) {
		if (req->body_len > w->cfg.max_message) {
			*status = 413;
			snprintf(reason, rlen, "body of %zu bytes exceeds "
			    "MaxMessageSize", req->body_len);
			return -1;
		}
		return buf_append(out, req->body, req->body_len);
	}
	/* %XX escapes can triple the text: allow for them before decoding. */
	b64 = query_get(req->query, "message", 3 * b64max, &too_long);
	*status = too_long ? 414 : 400;
	if (b64 == NULL) {
		snprintf(reason, rlen, too_long ? "message exceeds "
		    "MaxMessageSize" : "GET PKIOperation without message=");
		return -1;
	}
	out->cap = strlen(b64) + 1;
	if ((out->p = malloc(out->cap)) == NULL) {
		free(b64);
		return -1;
	}
	n = base64_decode(b64, strlen(b64), out->p, out->cap);
	free(b64);
	if (n <= 0 || (size_t)n > w->cfg.max_message) {
		snprintf(reason, rlen, n <= 0 ? "message is not base64" :
		    "message exceeds MaxMessageSize");
		*status = n <= 0 ? 400 : 414;
		return -1;
	}
	out->len = (size_t)n;
	return 0;
}

static int
load_cert(const struct buf *der, X509 **out)
{
	const unsigned char *p = der->p;

	*out = d2i_X509(NULL, &p, (long)der->len);
	return *out == NULL ? -1 : 0;
}

/* Records a signed certificate together with the policy's claim. */
static enum store_rc
record(struct worker *w, const struct scep_req *req, const struct template *t,
    const struct store_claim *claim, const char *key_id, struct outcome *o)
{
	struct store_cert	 sc;
	unsigned char		*der = NULL;
	char			 subject[512], sans[1024];
	enum store_rc		 rc;
	int			 len;

	if ((len = i2d_X509(o->issued, &der)) <= 0)
		return STORE_ERROR;
	issue_describe(o->issued, subject, sizeof(subject), sans, sizeof(sans));
	memset(&sc, 0, sizeof(sc));
	sc.serial = o->serial;
	sc.subject = subject;
	sc.sans = sans;
	sc.template_name = t->name;
	sc.txid = req->txid;
	sc.key_id = key_id;
	sc.device_id = o->device_id;
	sc.ca_key = w->ra.ca_key_id;
	sc.not_before = asn1_epoch(X509_get0_notBefore(o->issued));
	sc.not_after = asn1_epoch(X509_get0_notAfter(o->issued));
	sc.der = der;
	sc.der_len = (size_t)len;
	events_success_free(&o->event);
	events_success_make(&o->event, req->txid, o->issued, o->device_id);
	sc.event = &o->event.ev;
	sc.event_keep_after = events_keep_after(&w->cfg, o->event.ev.at);
	rc = store_issue(w->store, &sc, claim);
	OPENSSL_free(der);
	return rc;
}

/* The SUCCESS CertRep of o->issued, into o->answer. */
static int
build_answer(struct worker *w, const struct scep_req *req, struct outcome *o)
{
	buf_free(&o->answer);
	o->rep.status = STATUS_SUCCESS;
	o->rep.cert = o->issued;
	o->rep.ca = w->cfg.certrep_include_ca ? w->ra.ca : NULL;
	return certrep_build(req, &w->ra, &o->rep, &o->answer, o->reason,
	    sizeof(o->reason));
}

/* Nothing issued after all: no certificate, no answer built. */
static void
unissue(struct outcome *o)
{
	X509_free(o->issued);
	o->issued = NULL;
	o->rep.cert = o->rep.ca = NULL;
	buf_free(&o->answer);
	o->serial[0] = '\0';
	outcome_fail(o, FAIL_BADREQUEST);
}

/*
 * Signs, answers, then records: a certificate is recorded only once its
 * CertRep is built, so none is kept that its requester could not get.
 * A serial collision (2^-127) just signs again.
 */
void
pkiop_issue(struct worker *w, const struct scep_req *req,
    const struct template *t, const struct store_claim *claim,
    const struct issue_extras *ex, const char *key_id, struct outcome *o)
{
	enum store_rc	 rc = STORE_SERIAL_TAKEN;
	int		 tries;

	for (tries = 0; tries < 3 && rc == STORE_SERIAL_TAKEN; tries++) {
		X509_free(o->issued);
		o->issued = NULL;
		if (issue_sign_ex(&w->cfg, t, &w->ra, req->csr, ex,
		    &o->issued, o->reason, sizeof(o->reason)) != 0 ||
		    serial_hex(X509_get0_serialNumber(o->issued), o->serial,
		    sizeof(o->serial)) != 0 ||
		    build_answer(w, req, o) != 0) {
			unissue(o);
			return;
		}
		rc = record(w, req, t, claim, key_id, o);
	}
	if (rc == STORE_OK)
		return;
	unissue(o);
	if (rc == STORE_CLAIM_REFUSED && claim->kind == CLAIM_NONCE) {
		snprintf(o->reason, sizeof(o->reason), "challenge used by a "
		    "concurrent request");
		snprintf(o->code, sizeof(o->code), "ChallengeReplayed");
	} else if (rc == STORE_CLAIM_REFUSED)
		snprintf(o->reason, sizeof(o->reason), "password used by a "
		    "concurrent request");
	else if (rc == STORE_TXID_TAKEN)
		snprintf(o->reason, sizeof(o->reason), "transactionID used by "
		    "a concurrent request");
	else
		snprintf(o->reason, sizeof(o->reason), "store: %s",
		    store_errmsg(w->store));
}

/* An earlier identical request got a certificate: answer with it again;
 * or it waits for approval, or was refused by an administrator. */
int
pkiop_replay(struct worker *w, const struct scep_req *req,
    const char *key_id, struct outcome *o)
{
	struct buf	 der = { 0 };
	enum store_rc	 rc;

	rc = store_find_txn(w->store, req->txid, key_id, &der);
	if (rc == STORE_OK && load_cert(&der, &o->issued) == 0) {
		o->rep.status = STATUS_SUCCESS;
		o->rep.cert = o->issued;
		serial_hex(X509_get0_serialNumber(o->issued), o->serial,
		    sizeof(o->serial));
		snprintf(o->reason, sizeof(o->reason), "resent certificate of "
		    "the earlier request with this transactionID");
		o->resent = 1;
	} else if (rc == STORE_OK) {
		snprintf(o->reason, sizeof(o->reason), "stored certificate of "
		    "this transaction cannot be parsed");
		outcome_fail(o, FAIL_BADREQUEST);
	} else if (rc == STORE_TXID_TAKEN) {
		snprintf(o->reason, sizeof(o->reason), "transactionID already "
		    "used with another key");
		outcome_fail(o, FAIL_BADREQUEST);
	} else if (rc != STORE_NOT_FOUND) {
		snprintf(o->reason, sizeof(o->reason), "store lookup failed");
		outcome_fail(o, FAIL_BADREQUEST);
	}
	buf_free(&der);
	if (rc == STORE_NOT_FOUND)
		return pending_answer(w, req, key_id, o);
	return 1;
}

static void
do_pkcsreq(struct worker *w, const struct scep_req *req, struct outcome *o)
{
	struct policy_request	 preq;
	struct policy_decision	 dec;
	const struct template	*t;
	enum scep_failinfo	 f;
	char			 key_id[41];

	if (key_id_hex(X509_REQ_get_X509_PUBKEY(req->csr), key_id) != 0) {
		snprintf(o->reason, sizeof(o->reason), "CSR key unreadable");
		outcome_fail(o, FAIL_BADREQUEST);
		return;
	}
	/* §2.3: a PKCSReq is signed with the CSR's own key. Otherwise whoever
	 * saw an envelope could re-sign it, spend its password and have the
	 * certificate encrypted to themselves. */
	if (EVP_PKEY_eq(X509_get0_pubkey(req->signer),
	    X509_REQ_get0_pubkey(req->csr)) != 1) {
		snprintf(o->reason, sizeof(o->reason), "message signer key is "
		    "not the CSR's key");
		outcome_fail(o, FAIL_BADMESSAGECHECK);
		return;
	}
	if ((t = template_select(&w->cfg, req->csr, o->reason,
	    sizeof(o->reason))) == NULL) {
		outcome_fail(o, FAIL_BADREQUEST);
		return;
	}
	o->template_name = t->name;
	if ((f = issue_check(t, req->csr, o->reason, sizeof(o->reason))) !=
	    FAIL_NONE) {
		outcome_fail(o, f);
		return;
	}
	if (pkiop_replay(w, req, key_id, o))
		return;
	memset(&preq, 0, sizeof(preq));
	preq.txid = req->txid;
	preq.csr = req->csr;
	preq.signer = req->signer;
	preq.tmpl = t;
	policy_decide(w->policy, &preq, &dec);
	snprintf(o->device_id, sizeof(o->device_id), "%s", dec.device_id);
	if (!dec.allow) {
		snprintf(o->reason, sizeof(o->reason), "policy %s refused: "
		    "%s: %.180s", policy_name(w->policy), dec.code, dec.reason);
		snprintf(o->code, sizeof(o->code), "%s", dec.code);
		outcome_fail(o, FAIL_BADREQUEST);
	} else if (t->require_approval)
		hold_for_approval(w, req, t, &dec, key_id, o);
	else {
		struct issue_extras ex = { dec.sid, dec.subject };

		pkiop_issue(w, req, t, &dec.claim, &ex, key_id, o);
	}
	policy_decision_free(&dec);
}

static void
do_certpoll(struct worker *w, const struct scep_req *req, struct outcome *o)
{
	char	 key_id[41];

	/* §3.3.3: a CertPoll without a matching PKCSReq (same transactionID,
	 * same key) is an error; which of the two differs is not told. */
	if (key_id_hex(X509_get_X509_PUBKEY(req->signer), key_id) != 0 ||
	    !pkiop_replay(w, req, key_id, o) ||
	    (o->rep.status == STATUS_FAILURE && !o->decided)) {
		snprintf(o->reason, sizeof(o->reason), "no request with this "
		    "transactionID and key");
		outcome_fail(o, FAIL_BADCERTID);
	}
}

static void
do_getcert(struct worker *w, const struct scep_req *req, struct outcome *o)
{
	struct buf	 der = { 0 };

	if (X509_NAME_cmp(req->issuer, X509_get_subject_name(w->ra.ca)) != 0 ||
	    serial_hex(req->serial, o->serial, sizeof(o->serial)) != 0 ||
	    store_cert_by_serial(w->store, o->serial, &der) != STORE_OK ||
	    load_cert(&der, &o->issued) != 0) {
		snprintf(o->reason, sizeof(o->reason), "no certificate with "
		    "this issuer and serial");
		outcome_fail(o, FAIL_BADCERTID);
		o->serial[0] = '\0';
	} else {
		o->rep.status = STATUS_SUCCESS;
		o->rep.cert = o->issued;
	}
	buf_free(&der);
}

static void
log_outcome(const char *method, const struct scep_req *req,
    const struct outcome *o, double ms)
{
	char	 txid[TXID_MAX + 1], reason[REASON_MAX];

	log_safe(req->txid, txid, sizeof(txid));
	if (o->rep.status == STATUS_SUCCESS)
		log_info("op=PKIOperation method=%s msg=%s txid=%s template=%s "
		    "result=SUCCESS serial=%s ms=%.1f%s%s%s", method,
		    scep_msgtype_name(req->msg_type), txid,
		    o->template_name ? o->template_name : "-", o->serial, ms,
		    o->reason[0] ? " note=\"" : "",
		    log_safe(o->reason, reason, sizeof(reason)),
		    o->reason[0] ? "\"" : "");
	else if (o->rep.status == STATUS_PENDING)
		log_info("op=PKIOperation method=%s msg=%s txid=%s template=%s "
		    "result=PENDING ms=%.1f note=\"%s\"", method,
		    scep_msgtype_name(req->msg_type), txid,
		    o->template_name ? o->template_name : "-", ms,
		    log_safe(o->reason, reason, sizeof(reason)));
	else
		log_warnx("op=PKIOperation method=%s msg=%s txid=%s template=%s "
		    "result=FAILURE failInfo=%s ms=%.1f reason=\"%s\"", method,
		    scep_msgtype_name(req->msg_type), txid,
		    o->template_name ? o->template_name : "-",
		    scep_failinfo_name(o->rep.fail), ms,
		    log_safe(o->reason, reason, sizeof(reason)));
}

/* What the Intune connector would report for a PKCSReq's outcome. */
static void
record_event(struct worker *w, const struct scep_req *req,
    const struct outcome *o)
{
	const char	*code = o->code;

	if ((req->msg_type != MSG_PKCSREQ && req->msg_type != MSG_RENEWALREQ) ||
	    req->txid[0] == '\0' || o->resent ||
	    o->rep.status == STATUS_PENDING)
		return;
	if (o->rep.status == STATUS_SUCCESS) {
		/* Recorded in the issuing transaction (record()). */
		events_notify(&w->cfg, &o->event.ev);
		return;
	}
	if (*code == '\0')
		code = o->rep.fail == FAIL_BADMESSAGECHECK ?
		    "SignatureValidationFailed" : o->rep.fail == FAIL_BADALG ?
		    "CertificateRequestDecodingFailed" :
		    "CertificateRequestRejected";
	events_failure(&w->cfg, w->store, req->txid, code, o->reason,
	    o->device_id);
}

static void
run_message(struct worker *w, const struct scep_req *req, struct outcome *o)
{
	switch (req->msg_type) {
	case MSG_PKCSREQ:
		do_pkcsreq(w, req, o);
		break;
	case MSG_CERTPOLL:
		do_certpoll(w, req, o);
		break;
	case MSG_RENEWALREQ:
		do_renewal(w, req, o);
		break;
	case MSG_GETCERT:
		do_getcert(w, req, o);
		break;
	case MSG_GETCRL:
		do_getcrl(w, req, o);
		break;
	default:
		snprintf(o->reason, sizeof(o->reason), "message type %d not "
		    "supported", req->msg_type);
		outcome_fail(o, FAIL_BADREQUEST);
	}
}

/*
 * The CertRep into resp: the one built before the certificate was
 * recorded, or built now. A SUCCESS that cannot be built now (one resent
 * or looked up: it was checked to reach the requester) is answered as a
 * FAILURE, which has no envelope; only an RA that cannot sign at all
 * leaves HTTP 500.
 */
static void
answer(struct worker *w, const struct scep_req *req, struct outcome *o,
    struct http_resp *resp)
{
	char	 why[REASON_MAX], safe[REASON_MAX];

	resp->status = 200;
	resp->content_type = "application/x-pki-message";
	if (o->answer.len > 0) {
		resp->body = o->answer;
		memset(&o->answer, 0, sizeof(o->answer));
		return;
	}
	if (certrep_build(req, &w->ra, &o->rep, &resp->body, why,
	    sizeof(why)) == 0)
		return;
	buf_free(&resp->body);
	if (o->rep.status == STATUS_SUCCESS) {
		snprintf(o->reason, sizeof(o->reason), "%s", why);
		outcome_fail(o, FAIL_BADREQUEST);
		if (certrep_build(req, &w->ra, &o->rep, &resp->body, why,
		    sizeof(why)) == 0)
			return;
		buf_free(&resp->body);
	}
	http_text(resp, 500, "text/plain", "cannot build CertRep\n");
	log_errx("op=PKIOperation result=500 reason=\"%s\"",
	    log_safe(why, safe, sizeof(safe)));
}

void
pkiop_handle(struct worker *w, const struct http_req *hreq, int post,
    struct http_resp *resp)
{
	struct scep_req		 req;
	struct outcome		 o;
	struct buf		 msg = { 0 };
	struct timespec		 t0;
	enum decode_result	 dr;
	enum scep_failinfo	 f;
	char			 safe[REASON_MAX];
	int			 status = 400;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&o, 0, sizeof(o));
	memset(&req, 0, sizeof(req));
	snprintf(o.requester, sizeof(o.requester), "%.60s",
	    hreq->remote_addr ? hreq->remote_addr : "");
	if (message_bytes(w, hreq, post, &msg, &status, o.reason,
	    sizeof(o.reason)) != 0) {
		http_text(resp, status, "text/plain", "bad PKIOperation\n");
		log_warnx("op=PKIOperation result=%d reason=\"%s\"", status,
		    log_safe(o.reason, safe, sizeof(safe)));
		goto out;
	}
	dr = message_decode(msg.p, msg.len, &w->ra, w->cfg.allow_des, &req, &f,
	    o.reason,
	    sizeof(o.reason));
	if (dr == DECODE_HTTP_ERROR) {
		http_text(resp, 400, "text/plain", "bad PKIOperation\n");
		log_warnx("op=PKIOperation result=400 reason=\"%s\"",
		    log_safe(o.reason, safe, sizeof(safe)));
		goto out;
	}
	if (dr == DECODE_FAILURE)
		outcome_fail(&o, f);
	else if (certrep_reaches(&req, o.reason, sizeof(o.reason)) != 0)
		/* Before anything is issued, recorded or held for approval. */
		outcome_fail(&o, FAIL_BADALG);
	else
		run_message(w, &req, &o);
	if (o.rep.status == STATUS_SUCCESS && w->cfg.certrep_include_ca)
		o.rep.ca = w->ra.ca;
	answer(w, &req, &o, resp);
	log_outcome(post ? "POST" : "GET", &req, &o, elapsed_ms(&t0));
	record_event(w, &req, &o);
out:
	buf_free(&o.answer);
	events_success_free(&o.event);
	X509_free(o.issued);
	X509_CRL_free(o.crl);
	scep_req_free(&req);
	buf_free(&msg);
	ERR_clear_error();
}
