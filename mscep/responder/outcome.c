/*
 * outcome.c - what every PKIOperation that issues shares: a failure's
 * failInfo, signing and recording a certificate with the policy's claim,
 * and the answer to a transaction seen before.
 */
#include "responder/outcome.h"
#include "responder/notice.h"
#include "ca/issue.h"
#include "ca/template.h"
#include "util/cert.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

void
outcome_fail(struct outcome *o, enum scep_failinfo f)
{
	o->rep.status = STATUS_FAILURE;
	o->rep.fail = f;
}

/*
 * A failure on our side (signing, the CA key, the CA certificate).
 * RFC 8894 has no failInfo for it; badRequest is the least wrong, so the
 * reason and the error-level log say whose fault it is.
 */
void
outcome_server_error(struct outcome *o, const char *stage)
{
	char	 why[REASON_MAX];

	snprintf(why, sizeof(why), "%s", o->reason);
	snprintf(o->reason, sizeof(o->reason), "server error, not the "
	    "request's fault: %.24s failed: %.170s", stage, why);
	snprintf(o->code, sizeof(o->code), "ServerError");
	log_errx("%s", o->reason);
	outcome_fail(o, FAIL_BADREQUEST);
}

void
outcome_count_policy(struct worker *w, const struct policy_decision *d,
    int renewal)
{
	static const char *const failed[] = { "VerifierTimeout",
	    "IntuneTimeout", "IntuneUnreachable", "IntuneError", "Unknown",
	    NULL };
	int	 i;

	if (w->cfg.policy != POLICY_EXEC &&
	    (w->cfg.policy != POLICY_INTUNE || renewal))
		return;
	if (d->allow) {
		metrics_policy_call(&w->metrics, MPOL_ALLOW);
		return;
	}
	for (i = 0; failed[i] != NULL; i++)
		if (strcmp(d->code, failed[i]) == 0)
			break;
	metrics_policy_call(&w->metrics, failed[i] != NULL ? MPOL_ERROR :
	    MPOL_DENY);
}

int
outcome_load_cert(const struct buf *der, X509 **out)
{
	const unsigned char *p = der->p;

	*out = d2i_X509(NULL, &p, (long)der->len);
	return *out == NULL ? -1 : 0;
}

/* Records a signed certificate together with the policy's claim. */
static enum store_rc
record(struct worker *w, const struct scep_req *req, const struct template *t,
    const struct store_claim *claim, const char *key_id,
    const struct store_notice *notice, struct outcome *o)
{
	struct store_cert	 sc;
	unsigned char		*der = NULL;
	char			*subject = NULL, *sans = NULL;
	enum store_rc		 rc = STORE_ERROR;
	int			 len;

	if ((len = i2d_X509(o->issued, &der)) <= 0 ||
	    issue_describe(o->issued, &subject, &sans) != 0)
		goto out;
	memset(&sc, 0, sizeof(sc));
	sc.serial = o->serial;
	sc.subject = subject;
	sc.sans = sans;
	sc.template_name = t->name;
	sc.txid = req->txid;
	sc.key_id = key_id;
	sc.device_id = o->device_id;
	sc.ca_key = w->ra.ca_key_id;
	sc.not_before = cert_time_epoch(X509_get0_notBefore(o->issued));
	sc.not_after = cert_time_epoch(X509_get0_notAfter(o->issued));
	sc.der = der;
	sc.der_len = (size_t)len;
	events_success_free(&o->event);
	events_success_make(&o->event, req->txid, o->issued, o->device_id);
	sc.event = &o->event.ev;
	sc.event_keep_after = events_keep_after(&w->cfg, o->event.ev.at);
	sc.notice = notice;
	rc = store_issue(w->store, &sc, claim);
out:
	free(subject);
	free(sans);
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

/* A recorded certificate whose notice is still owed: PENDING, the
 * certificate kept back (RFC 8894 section 3.3.3: the client polls). */
static void
hold(struct outcome *o, const char *why)
{
	buf_free(&o->answer);
	o->rep.status = STATUS_PENDING;
	o->rep.cert = o->rep.ca = NULL;
	snprintf(o->reason, sizeof(o->reason), "certificate %s issued, "
	    "held until the policy's notification is acknowledged: %.300s",
	    o->serial, why);
}

static void
record_failed(struct worker *w, enum store_rc rc,
    const struct store_claim *claim, struct outcome *o)
{
	unissue(o);
	if (rc == STORE_CLAIM_REFUSED && claim->kind == CLAIM_NONCE) {
		snprintf(o->reason, sizeof(o->reason), "challenge used by a "
		    "concurrent request");
		snprintf(o->code, sizeof(o->code), "ChallengeReplayed");
	} else if (rc == STORE_CLAIM_REFUSED)
		snprintf(o->reason, sizeof(o->reason), "password used by a "
		    "concurrent request");
	else if (rc == STORE_TXID_TAKEN) {
		snprintf(o->reason, sizeof(o->reason), "transactionID used by "
		    "a concurrent request");
		o->raced = 1;
	}
	else
		snprintf(o->reason, sizeof(o->reason), "store: %s",
		    store_errmsg(w->store));
}

/* Signs o->issued and builds its answer; -1 with the outcome failed. */
static int
sign(struct worker *w, const struct scep_req *req, const struct template *t,
    const struct issue_extras *ex, struct outcome *o)
{
	int	 made;

	X509_free(o->issued);
	o->issued = NULL;
	if ((made = issue_sign_ex(&w->cfg, t, &w->ra, req->csr, ex,
	    &o->issued, o->reason, sizeof(o->reason))) == ISSUE_REFUSED) {
		outcome_fail(o, FAIL_BADREQUEST);
		return -1;
	}
	if (made != 0 || cert_serial_hex(X509_get0_serialNumber(o->issued),
	    o->serial, sizeof(o->serial)) != 0) {
		unissue(o);
		outcome_server_error(o, "signing");
		return -1;
	}
	if (build_answer(w, req, o) != 0) {
		unissue(o);
		return -1;
	}
	return 0;
}

/*
 * Signs, answers, then records: a certificate is recorded only once its
 * CertRep is built, so none is kept that its requester could not get.
 * The policy's notice, if it owes one, is recorded in the same
 * transaction and sent before the answer goes out. A serial collision
 * (88 random bits within a second) just signs again.
 */
void
outcome_issue(struct worker *w, const struct scep_req *req,
    const struct template *t, const struct store_claim *claim,
    const struct issue_extras *ex, const char *key_id, struct outcome *o)
{
	struct notice_owed	 n = { 0 };
	enum store_rc		 rc = STORE_SERIAL_TAKEN;
	char			 why[REASON_MAX];
	int			 tries;

	for (tries = 0; tries < 3 && rc == STORE_SERIAL_TAKEN; tries++) {
		notice_owed_free(&n);
		if (sign(w, req, t, ex, o) != 0)
			goto out;
		if (o->notify != NULL && notice_make(w->policy, o->notify,
		    o->issued, &n, o->reason, sizeof(o->reason)) < 0) {
			unissue(o);
			outcome_server_error(o, "notification");
			goto out;
		}
		rc = record(w, req, t, claim, key_id, n.sn.body != NULL ?
		    &n.sn : NULL, o);
	}
	if (rc != STORE_OK)
		record_failed(w, rc, claim, o);
	else if (n.sn.body != NULL && notice_flush(w->policy, w->store,
	    o->serial, why, sizeof(why)) != 0) {
		hold(o, why);
		o->held = 1;
	}
out:
	notice_owed_free(&n);
}

/* An earlier identical request got a certificate: answer with it again;
 * or it waits for approval, or was refused by an administrator. */
int
outcome_replay(struct worker *w, const struct scep_req *req,
    const char *key_id, struct outcome *o)
{
	struct buf	 der = { 0 };
	enum store_rc	 rc;
	char		 why[REASON_MAX];

	rc = store_find_txn(w->store, req->txid, key_id, &der);
	if (rc == STORE_OK && outcome_load_cert(&der, &o->issued) == 0) {
		o->resent = 1;
		cert_serial_hex(X509_get0_serialNumber(o->issued), o->serial,
		    sizeof(o->serial));
		/* Its notice first, if one is still owed. */
		if (notice_flush(w->policy, w->store, o->serial, why,
		    sizeof(why)) != 0) {
			hold(o, why);
			goto out;
		}
		o->rep.status = STATUS_SUCCESS;
		o->rep.cert = o->issued;
		snprintf(o->reason, sizeof(o->reason), "resent certificate of "
		    "the earlier request with this transactionID");
	} else if (rc == STORE_OK) {
		snprintf(o->reason, sizeof(o->reason), "stored certificate of "
		    "this transaction cannot be parsed");
		outcome_fail(o, FAIL_BADREQUEST);
	} else if (rc == STORE_TXID_TAKEN) {
		snprintf(o->reason, sizeof(o->reason), "transactionID already "
		    "used with another key");
		outcome_fail(o, FAIL_BADREQUEST);
	} else if (rc != STORE_NOT_FOUND) {
		snprintf(o->reason, sizeof(o->reason), "store lookup failed: "
		    "%s", store_errmsg(w->store));
		outcome_fail(o, FAIL_BADREQUEST);
	}
out:
	buf_free(&der);
	return rc != STORE_NOT_FOUND;
}
