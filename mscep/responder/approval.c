/*
 * approval.c - requests held for an administrator's approval
 * (RequireApproval) and the answers to their CertPolls (RFC 8894
 * section 3.3.3): PENDING while they wait, then the certificate or the
 * refusal.
 */
#include "responder/approval.h"
#include "ca/issue.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
pending_der(const struct scep_req *req, const struct policy_decision *dec,
    struct buf *csr, struct buf *subject)
{
	unsigned char	*der = NULL;
	int		 len, rc = -1;

	if ((len = i2d_X509_REQ(req->csr, &der)) <= 0 ||
	    buf_append(csr, der, (size_t)len) != 0)
		goto out;
	OPENSSL_free(der);
	der = NULL;
	if (dec->subject != NULL &&
	    ((len = i2d_X509_NAME(dec->subject, &der)) <= 0 ||
	    buf_append(subject, der, (size_t)len) != 0))
		goto out;
	rc = 0;
out:
	OPENSSL_free(der);
	return rc;
}

/* The certificate approve would sign, linted now and described whole: the
 * administrator sees what gets signed, and a request that could never be
 * signed is refused rather than held. */
static int
preview(struct worker *w, const struct scep_req *req,
    const struct template *t, const struct policy_decision *dec,
    char **subject, char **sans, struct outcome *o)
{
	struct issue_extras	 ex = { dec->sid, dec->subject };
	X509			*x = NULL;
	int			 rc = -1;

	*subject = *sans = NULL;
	if (issue_build(&w->cfg, t, &w->ra, req->csr, &ex, &x, o->reason,
	    sizeof(o->reason)) != 0)
		goto out;
	if (issue_describe(x, subject, sans) != 0) {
		snprintf(o->reason, sizeof(o->reason), "out of memory");
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	return rc;
}

static void
hold_answer(enum store_rc rc, const struct template *t, struct outcome *o)
{
	if (rc == STORE_OK) {
		o->rep.status = STATUS_PENDING;
		o->for_approval = 1;
		snprintf(o->reason, sizeof(o->reason), "template %s requires "
		    "approval: held until mscep-admin approve or deny", t->name);
		return;
	}
	outcome_fail(o, FAIL_BADREQUEST);
	snprintf(o->reason, sizeof(o->reason), "%s",
	    rc == STORE_TXID_TAKEN ? "transactionID used by a "
	    "concurrent request" : rc == STORE_CLAIM_REFUSED ?
	    "challenge used by a concurrent request" : "store error");
}

void
approval_hold(struct worker *w, const struct scep_req *req,
    const struct template *t, const struct policy_decision *dec,
    const char *key_id, struct outcome *o)
{
	struct pending_req	 p = { 0 };
	struct buf		 csr = { 0 }, subj = { 0 };
	char			*subject = NULL, *sans = NULL, who[256];
	enum store_rc		 rc = STORE_ERROR;

	if (preview(w, req, t, dec, &subject, &sans, o) != 0) {
		outcome_fail(o, FAIL_BADREQUEST);
		goto out;
	}
	snprintf(who, sizeof(who), "%s%s%s", o->requester[0] ? "addr=" : "",
	    o->requester, dec->device_id[0] ? " device=" : "");
	strncat(who, dec->device_id, sizeof(who) - strlen(who) - 1);
	p.txid = req->txid;
	p.key_id = key_id;
	p.template_name = t->name;
	p.subject = subject;
	p.sans = sans;
	p.requester = who;
	p.device_id = dec->device_id;
	p.sid = dec->sid;
	p.expires_at = util_now() + (int64_t)t->pending_hours * 3600;
	if (pending_der(req, dec, &csr, &subj) == 0) {
		p.csr = csr.p;
		p.csr_len = csr.len;
		p.subject_der = subj.len ? subj.p : NULL;
		p.subject_der_len = subj.len;
		rc = store_pending_add(w->store, &p, &dec->claim);
	}
	hold_answer(rc, t, o);
out:
	free(subject);
	free(sans);
	buf_free(&csr);
	buf_free(&subj);
}

static int
take_status(const struct pending_req *p, void *arg)
{
	util_strlcpy(arg, p->status, 16);
	return 1;
}

int
approval_answer(struct worker *w, const struct scep_req *req,
    const char *key_id, struct outcome *o)
{
	char		 status[16] = "";
	enum store_rc	 rc;

	rc = store_pending_find(w->store, req->txid, key_id, util_now(),
	    take_status, status);
	if (rc == STORE_NOT_FOUND)
		return 0;
	if (rc == STORE_OK && strcmp(status, "pending") == 0) {
		o->rep.status = STATUS_PENDING;
		snprintf(o->reason, sizeof(o->reason), "waiting for approval");
		return 1;
	}
	outcome_fail(o, FAIL_BADREQUEST);
	o->decided = rc == STORE_OK;
	snprintf(o->reason, sizeof(o->reason), "%s",
	    rc == STORE_TXID_TAKEN ? "transactionID already used with another "
	    "key" : rc != STORE_OK ? "store lookup failed" :
	    strcmp(status, "denied") == 0 ? "request denied by an "
	    "administrator" : strcmp(status, "expired") == 0 ? "request "
	    "expired before an administrator approved it" : "request "
	    "approved but its certificate is missing");
	return 1;
}

int
approval_replay(struct worker *w, const struct scep_req *req,
    const char *key_id, struct outcome *o)
{
	return outcome_replay(w, req, key_id, o) ||
	    approval_answer(w, req, key_id, o);
}
