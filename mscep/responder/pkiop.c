/* pkiop.c - one PKIOperation from bytes on the wire to a CertRep. */
#include "responder/pkiop.h"
#include "responder/approval.h"
#include "responder/auditop.h"
#include "responder/lifecycle.h"
#include "responder/notice.h"
#include "responder/outcome.h"
#include "scep/certrep.h"
#include "store/events.h"
#include "ca/issue.h"
#include "util/log.h"
#include "scep/message.h"
#include "ca/template.h"
#include "responder/worker.h"
#include "util/cert.h"
#include "ca/ra.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

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
	b64 = http_query_get(req->query, "message", 3 * b64max, &too_long);
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
	n = util_base64_decode(b64, strlen(b64), out->p, out->cap);
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

/* Who signed a PKCSReq, which decides what the request is. */
enum pkiop_signer {
	SIGNER_CSR_KEY,		/* the CSR's own key (RFC 8894 §2.3) */
	SIGNER_OURS,		/* a certificate this CA issued: renewal */
	SIGNER_SELF,		/* a separate self-signed key (Apple) */
	SIGNER_FOREIGN,		/* a certificate some other CA issued */
};

static enum pkiop_signer
pkcsreq_signer(const struct worker *w, const struct scep_req *req)
{
	X509	*x = req->signer;

	if (EVP_PKEY_eq(X509_get0_pubkey(x), X509_REQ_get0_pubkey(req->csr)) ==
	    1)
		return SIGNER_CSR_KEY;
	if (ra_issuer(&w->ra, x) != NULL)
		return SIGNER_OURS;
	/* Self-signed: its own name and key; not X509_check_issued, which
	 * also wants keyCertSign that a signer's keyUsage need not have. */
	if (X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)) == 0 &&
	    X509_verify(x, X509_get0_pubkey(x)) == 1)
		return SIGNER_SELF;
	ERR_clear_error();
	return SIGNER_FOREIGN;
}

/* A first enrollment: template, checks, policy, then issue or hold. */
static void
enroll(struct worker *w, const struct scep_req *req, const char *key_id,
    struct outcome *o)
{
	struct policy_request	 preq;
	struct policy_decision	 dec;
	const struct template	*t;
	enum scep_failinfo	 f;

	if ((t = template_select(&w->cfg, req->csr, o->reason,
	    sizeof(o->reason))) == NULL) {
		outcome_fail(o, FAIL_BADREQUEST);
		return;
	}
	o->template_name = t->name;
	if ((f = issue_check_sans_vouched(t, req->csr,
	    policy_vouches_sid_uri(w->policy), o->reason,
	    sizeof(o->reason))) != FAIL_NONE) {
		outcome_fail(o, f);
		return;
	}
	if (approval_replay(w, req, key_id, o))
		return;
	memset(&preq, 0, sizeof(preq));
	preq.txid = req->txid;
	preq.csr = req->csr;
	preq.signer = req->signer;
	preq.tmpl = t;
	policy_decide(w->policy, &preq, &dec);
	outcome_count_policy(w, &dec, 0);
	snprintf(o->device_id, sizeof(o->device_id), "%s", dec.device_id);
	if (!dec.allow) {
		snprintf(o->reason, sizeof(o->reason), "policy %s refused: "
		    "%s: %.180s", policy_name(w->policy), dec.code, dec.reason);
		snprintf(o->code, sizeof(o->code), "%s", dec.code);
		outcome_fail(o, FAIL_BADREQUEST);
	} else if (t->require_approval)
		approval_hold(w, req, t, &dec, key_id, o);
	else {
		struct issue_extras ex = { dec.sid, dec.subject };

		o->notify = &preq;
		outcome_issue(w, req, t, &dec.claim, &ex, key_id, o);
		o->notify = NULL;
		/* A concurrent twin that recorded first reports for both. */
		if (o->issued == NULL && !o->raced)
			notice_failure(w->policy, w->store, &preq, o->reason);
	}
	policy_decision_free(&dec);
}

/*
 * §2.3 asks for a PKCSReq signed with the CSR's own key. Apple's client
 * signs with a separate self-signed key and NDES accepts it, so this
 * does too unless RequireSignerIsCSRKey = 1. What that gives up: whoever
 * saw an envelope can re-sign it and spend its password; the certificate
 * still certifies the CSR's key, which they do not hold. The transaction
 * is bound to the signer's key: the reply is encrypted to it and the
 * client's CertPolls are signed with it.
 */
static void
do_pkcsreq(struct worker *w, const struct scep_req *req, struct outcome *o)
{
	enum pkiop_signer	 who = pkcsreq_signer(w, req);
	char			 key_id[41];

	if (who == SIGNER_OURS) {
		lifecycle_renewal_pkcsreq(w, req, o);
		return;
	}
	if (who == SIGNER_FOREIGN || (who == SIGNER_SELF &&
	    w->cfg.require_signer_csr_key)) {
		snprintf(o->reason, sizeof(o->reason), who == SIGNER_FOREIGN ?
		    "message signer certificate is neither self-signed nor "
		    "issued by this CA" : "message signer key is not the "
		    "CSR's key (RequireSignerIsCSRKey = 1)");
		outcome_fail(o, who == SIGNER_FOREIGN ? FAIL_BADCERTID :
		    FAIL_BADMESSAGECHECK);
		return;
	}
	if (cert_key_id_hex(X509_get_X509_PUBKEY(req->signer), key_id) != 0) {
		snprintf(o->reason, sizeof(o->reason), "signer key "
		    "unreadable");
		outcome_fail(o, FAIL_BADREQUEST);
		return;
	}
	enroll(w, req, key_id, o);
}

static void
do_certpoll(struct worker *w, const struct scep_req *req, struct outcome *o)
{
	char	 key_id[41];

	/* §3.3.3: a CertPoll without a matching PKCSReq (same transactionID,
	 * same key) is an error; which of the two differs is not told. */
	if (cert_key_id_hex(X509_get_X509_PUBKEY(req->signer), key_id) != 0 ||
	    !approval_replay(w, req, key_id, o) ||
	    (o->rep.status == STATUS_FAILURE && !o->decided)) {
		snprintf(o->reason, sizeof(o->reason), "no request with this "
		    "transactionID and key");
		outcome_fail(o, FAIL_BADCERTID);
	}
}

/*
 * RFC 8894 §3.3.4 has GetCert retrieve "their own certificate". Own
 * means: the requester signed with the key the certificate certifies
 * (a device that lost the certificate but kept its key), or with a
 * valid certificate this CA issued to the same subject (a device
 * fetching its earlier or renewed certificate).
 */
static int
getcert_allowed(const struct worker *w, X509 *signer, X509 *want)
{
	if (EVP_PKEY_eq(X509_get0_pubkey(signer), X509_get0_pubkey(want)) ==
	    1)
		return 1;
	return ra_issuer(&w->ra, signer) != NULL &&
	    X509_cmp_current_time(X509_get0_notBefore(signer)) < 0 &&
	    X509_cmp_current_time(X509_get0_notAfter(signer)) > 0 &&
	    X509_NAME_cmp(X509_get_subject_name(signer),
	    X509_get_subject_name(want)) == 0;
}

static void
do_getcert(struct worker *w, const struct scep_req *req, struct outcome *o)
{
	struct buf	 der = { 0 };
	char		 why[REASON_MAX];

	if (X509_NAME_cmp(req->issuer, X509_get_subject_name(w->ra.ca)) != 0 ||
	    cert_serial_hex(req->serial, o->serial, sizeof(o->serial)) != 0 ||
	    store_cert_by_serial(w->store, o->serial, &der) != STORE_OK ||
	    outcome_load_cert(&der, &o->issued) != 0) {
		snprintf(o->reason, sizeof(o->reason), "no certificate with "
		    "this issuer and serial");
		outcome_fail(o, FAIL_BADCERTID);
		o->serial[0] = '\0';
	} else if (!getcert_allowed(w, req->signer, o->issued)) {
		snprintf(o->reason, sizeof(o->reason), "GetCert for %s: the "
		    "signer holds neither its key nor a valid certificate of "
		    "ours for its subject", o->serial);
		outcome_fail(o, FAIL_BADCERTID);
		o->serial[0] = '\0';
	} else if (notice_flush(w->policy, w->store, o->serial, why,
	    sizeof(why)) != 0) {
		/* Not handed out before its notice (PENDING is for PKCSReq
		 * and CertPoll only). */
		snprintf(o->reason, sizeof(o->reason), "GetCert for %s: held "
		    "until the policy's notification is acknowledged: %.300s",
		    o->serial, why);
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

/* A FAILURE's named reason: the policy's or ours, else from its
 * failInfo, as the Intune connector reports it. */
static const char *
failure_code(const struct outcome *o)
{
	if (o->code[0] != '\0')
		return o->code;
	return o->rep.fail == FAIL_BADMESSAGECHECK ?
	    "SignatureValidationFailed" : o->rep.fail == FAIL_BADALG ?
	    "CertificateRequestDecodingFailed" : "CertificateRequestRejected";
}

/* The configuration's index of the outcome's template, -1: none. */
static int
template_index(const struct worker *w, const struct outcome *o)
{
	int	 i;

	for (i = 0; o->template_name != NULL && i < w->cfg.ntemplates; i++)
		if (o->template_name == w->cfg.templates[i].name)
			return i;
	return -1;
}

/* The message type, CertRep status, template and reason route.c counts. */
static void
mark(struct worker *w, const struct scep_req *req, const struct outcome *o)
{
	switch (req->msg_type) {
	case MSG_PKCSREQ: w->mark.msg = MMSG_PKCSREQ; break;
	case MSG_RENEWALREQ: w->mark.msg = MMSG_RENEWALREQ; break;
	case MSG_CERTPOLL: w->mark.msg = MMSG_CERTPOLL; break;
	case MSG_GETCERT: w->mark.msg = MMSG_GETCERT; break;
	case MSG_GETCRL: w->mark.msg = MMSG_GETCRL; break;
	default: w->mark.msg = MMSG_OTHER; break;
	}
	w->mark.tmpl = template_index(w, o);
	if (o->rep.status == STATUS_SUCCESS)
		w->mark.result = MRES_SUCCESS;
	else if (o->rep.status == STATUS_PENDING)
		w->mark.result = MRES_PENDING;
	else {
		w->mark.result = MRES_FAILURE;
		w->mark.fail = (int)o->rep.fail;
		/* An administrator's denial has no code of its own here. */
		w->mark.reason = metrics_reason(o->decided &&
		    o->code[0] == '\0' ? "CertificateRequestDenied" :
		    failure_code(o));
	}
}

/* What the Intune connector would report for a PKCSReq's outcome. */
static void
record_event(struct worker *w, const struct scep_req *req,
    const struct outcome *o)
{
	if ((req->msg_type != MSG_PKCSREQ && req->msg_type != MSG_RENEWALREQ) ||
	    req->txid[0] == '\0' || o->resent ||
	    (o->rep.status == STATUS_PENDING && !o->held))
		return;
	if (o->rep.status == STATUS_SUCCESS || o->held) {
		/* Recorded in the issuing transaction (record()). */
		events_notify(&w->cfg, &o->event.ev);
		return;
	}
	events_failure(&w->cfg, w->store, req->txid, failure_code(o),
	    o->reason, o->device_id);
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
		lifecycle_renewal(w, req, o);
		break;
	case MSG_GETCERT:
		do_getcert(w, req, o);
		break;
	case MSG_GETCRL:
		lifecycle_getcrl(w, req, o);
		break;
	default:
		snprintf(o->reason, sizeof(o->reason), "message type %d not "
		    "supported", req->msg_type);
		outcome_fail(o, FAIL_BADREQUEST);
	}
}

static unsigned
decode_allow(const struct config *cfg)
{
	return (cfg->allow_des ? MESSAGE_ALLOW_DES : 0) |
	    (cfg->allow_md5 >= 1 ? MESSAGE_ALLOW_MD5 : 0) |
	    (cfg->allow_md5 == 2 ? MESSAGE_REPLY_MD5 : 0);
}

/* The signer stopped or hung: HTTP 503, the client retries later (a
 * certificate already recorded is resent then, RFC 8894 3.3.1). */
static void
signer_away(struct http_resp *resp, const char *why)
{
	char	 safe[REASON_MAX];

	buf_free(&resp->body);
	http_text(resp, 503, "text/plain", "the signer is unavailable; "
	    "retry later\n");
	log_warnx("op=PKIOperation result=503 reason=\"%s\"",
	    log_safe(why, safe, sizeof(safe)));
}

/* What the signer logs each operation of this request with (keyops.h). */
static void
set_context(struct worker *w, const char *txid)
{
	keyop_set_context(w->ra.ca_op, txid);
	keyop_set_context(w->ra.sign_op, txid);
	keyop_set_context(w->ra.enc_op, txid);
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
	if (o->rep.status == STATUS_SUCCESS && !keyop_unavailable(
	    w->ra.sign_op)) {
		snprintf(o->reason, sizeof(o->reason), "%s", why);
		outcome_fail(o, FAIL_BADREQUEST);
		if (certrep_build(req, &w->ra, &o->rep, &resp->body, why,
		    sizeof(why)) == 0)
			return;
		buf_free(&resp->body);
	}
	if (keyop_unavailable(w->ra.sign_op)) {
		signer_away(resp, why);
		return;
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
	set_context(w, NULL);
	dr = message_decode(msg.p, msg.len, &w->ra, decode_allow(&w->cfg),
	    &req, &f, o.reason, sizeof(o.reason));
	if (dr == DECODE_HTTP_ERROR) {
		http_text(resp, 400, "text/plain", "bad PKIOperation\n");
		log_warnx("op=PKIOperation result=400 reason=\"%s\"",
		    log_safe(o.reason, safe, sizeof(safe)));
		goto out;
	}
	set_context(w, req.txid);
	if (dr == DECODE_FAILURE && keyop_unavailable(w->ra.enc_op)) {
		signer_away(resp, o.reason);
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
	mark(w, &req, &o);
	log_outcome(post ? "POST" : "GET", &req, &o, util_elapsed_ms(&t0));
	record_event(w, &req, &o);
	auditop_record(w, &req, &o);
out:
	buf_free(&o.answer);
	events_success_free(&o.event);
	X509_free(o.issued);
	X509_CRL_free(o.crl);
	scep_req_free(&req);
	buf_free(&msg);
	ERR_clear_error();
}
