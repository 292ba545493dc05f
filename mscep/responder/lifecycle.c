/*
 * lifecycle.c - the PKIOperations of a certificate's later life:
 * RenewalReq (RFC 8894 §3.3.1.2), requests held for an administrator's
 * approval and polled with CertPoll (§3.3.3), and GetCRL (§3.3.4).
 */
#include "responder/lifecycle.h"
#include "responder/approval.h"
#include "ca/crl.h"
#include "util/log.h"
#include "responder/outcome.h"
#include "ca/template.h"
#include "util/cert.h"

#include <stdio.h>
#include <string.h>

/* What the store says about the certificate a renewal stands on. */
struct base {
	int	 found;
	int	 revoked;
	char	 template_name[TEMPLATE_NAME_MAX];
	char	 device_id[128];
};

static int
take_base(const struct cert_row *r, void *arg)
{
	struct base	*b = arg;

	b->found = 1;
	b->revoked = r->revoked;
	util_strlcpy(b->template_name, r->template_name, sizeof(
	    b->template_name));
	util_strlcpy(b->device_id, r->device_id, sizeof(b->device_id));
	return 1;
}

/* The signer must be a certificate this CA (or a previous one) issued,
 * valid now. */
static int
check_signer(struct worker *w, X509 *old, const char *what, char *serial,
    size_t slen, char *reason, size_t rlen)
{
	/* This CA, or one it replaced (ca switch): devices renew across a
	 * rollover with what the previous CA issued them. */
	if (ra_issuer(&w->ra, old) == NULL) {
		snprintf(reason, rlen, "%s signer certificate was not issued "
		    "by this CA or a previous one", what);
		return -1;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(old)) > 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(old)) <= 0) {
		snprintf(reason, rlen, "%s signer certificate is expired or "
		    "not yet valid", what);
		return -1;
	}
	if (cert_serial_hex(X509_get0_serialNumber(old), serial, slen) != 0) {
		snprintf(reason, rlen, "%s signer serial unreadable", what);
		return -1;
	}
	return 0;
}

/* ... and on record, unrevoked. */
static int
check_base(struct worker *w, const char *what, const char *serial,
    struct base *b, char *reason, size_t rlen)
{
	struct cert_filter	 f = { 0 };

	f.serial = serial;
	if (store_list(w->store, &f, take_base, b) != STORE_OK || !b->found) {
		snprintf(reason, rlen, "%s signer certificate %s is not in "
		    "the store", what, serial);
		return -1;
	}
	if (b->revoked) {
		snprintf(reason, rlen, "%s signer certificate %s is revoked",
		    what, serial);
		return -1;
	}
	return 0;
}

/* Same subject, same names, same template, inside the window. */
static int
check_renewal(const struct template *t, const struct base *b, X509 *old,
    X509_REQ *csr, char *reason, size_t rlen)
{
	int	 day, sec;

	if (strcasecmp(t->name, b->template_name) != 0) {
		snprintf(reason, rlen, "renewal of a %s certificate into "
		    "template %s", b->template_name, t->name);
		return -1;
	}
	if (!t->allow_renewal) {
		snprintf(reason, rlen, "template %s does not allow renewal "
		    "(AllowRenewal = 0)", t->name);
		return -1;
	}
	if (X509_NAME_cmp(X509_REQ_get_subject_name(csr),
	    X509_get_subject_name(old)) != 0) {
		snprintf(reason, rlen, "renewal must keep the subject");
		return -1;
	}
	if (!issue_same_sans(old, csr)) {
		snprintf(reason, rlen, "renewal must keep the subject "
		    "alternative names");
		return -1;
	}
	if (t->renewal_window_days > 0 && ASN1_TIME_diff(&day, &sec, NULL,
	    X509_get0_notAfter(old)) == 1 && day >= t->renewal_window_days) {
		snprintf(reason, rlen, "renewal too early: the certificate "
		    "expires in %d days, RenewalWindowDays is %d", day,
		    t->renewal_window_days);
		return -1;
	}
	return 0;
}

/* 1 when this transactionID's certificate is the one being renewed: the
 * same key renewing under a key-derived transactionID, not a resend. */
static int
renews_own_transaction(struct worker *w, const struct scep_req *req,
    const char *key_id, const char *old_serial)
{
	struct buf		 der = { 0 };
	const unsigned char	*p;
	X509			*x = NULL;
	char			 serial[80];
	int			 same = 0;

	if (store_find_txn(w->store, req->txid, key_id, &der) == STORE_OK) {
		p = der.p;
		if ((x = d2i_X509(NULL, &p, (long)der.len)) != NULL &&
		    cert_serial_hex(X509_get0_serialNumber(x), serial,
		    sizeof(serial)) == 0)
			same = strcmp(serial, old_serial) == 0;
	}
	X509_free(x);
	buf_free(&der);
	return same;
}

/*
 * A template that needs approval needs it for renewals too (AD CS "same
 * criteria as for enrollment"). The old certificate stays valid until
 * an administrator decides; approval does not supersede it.
 */
static void
hold_renewal(struct worker *w, const struct scep_req *req,
    const struct template *t, const struct issue_extras *ex,
    const char *key_id, struct outcome *o)
{
	struct policy_decision	 dec;

	memset(&dec, 0, sizeof(dec));
	dec.allow = 1;
	dec.claim.kind = CLAIM_NONE;
	util_strlcpy(dec.device_id, o->device_id, sizeof(dec.device_id));
	util_strlcpy(dec.sid, ex->sid, sizeof(dec.sid));
	if ((dec.subject = X509_NAME_dup(ex->subject)) == NULL) {
		snprintf(o->reason, sizeof(o->reason), "out of memory");
		outcome_fail(o, FAIL_BADREQUEST);
		return;
	}
	approval_hold(w, req, t, &dec, key_id, o);
	policy_decision_free(&dec);
}

/* The exec verifier's say on a renewal (other modules allow). */
static int
ask_policy(struct worker *w, const struct scep_req *req,
    const struct template *t, const char *renews, struct outcome *o)
{
	struct policy_request	 pr = { 0 };
	struct policy_decision	 dec;
	int			 rc = 0;

	pr.txid = req->txid;
	pr.csr = req->csr;
	pr.signer = req->signer;
	pr.tmpl = t;
	pr.renews = renews;
	policy_decide_renewal(w->policy, &pr, &dec);
	outcome_count_policy(w, &dec, 1);
	if (!dec.allow) {
		snprintf(o->reason, sizeof(o->reason), "policy %s refused the "
		    "renewal: %s: %.160s", policy_name(w->policy), dec.code,
		    dec.reason);
		snprintf(o->code, sizeof(o->code), "%s", dec.code);
		outcome_fail(o, FAIL_BADREQUEST);
		rc = -1;
	}
	policy_decision_free(&dec);
	return rc;
}

/* The renewal rules, whichever message carried the request; key_id
 * binds the transaction (its resends and CertPolls). */
static void
renew(struct worker *w, const struct scep_req *req, const char *what,
    const char *key_id, struct outcome *o)
{
	struct store_claim	 claim = { .kind = CLAIM_RENEWAL };
	struct issue_extras	 ex = { NULL, NULL };
	struct base		 b = { 0 };
	const struct template	*t;
	enum scep_failinfo	 f;
	char			 sid[192];

	if (check_signer(w, req->signer, what, claim.key, sizeof(claim.key),
	    o->reason, sizeof(o->reason)) != 0) {
		outcome_fail(o, FAIL_BADCERTID);
		return;
	}
	/* A retransmission gets its answer even though the renewal has
	 * since superseded (revoked) the signer. */
	if (!renews_own_transaction(w, req, key_id, claim.key) &&
	    approval_replay(w, req, key_id, o))
		return;
	if (check_base(w, what, claim.key, &b, o->reason,
	    sizeof(o->reason)) != 0) {
		outcome_fail(o, FAIL_BADCERTID);
		return;
	}
	if ((t = template_select(&w->cfg, req->csr, o->reason,
	    sizeof(o->reason))) == NULL) {
		outcome_fail(o, FAIL_BADREQUEST);
		return;
	}
	o->template_name = t->name;
	if (check_renewal(t, &b, req->signer, req->csr, o->reason,
	    sizeof(o->reason)) != 0 ||
	    issue_sid_of(req->signer, sid, sizeof(sid)) != 0) {
		if (o->reason[0] == '\0')
			snprintf(o->reason, sizeof(o->reason), "SID extension "
			    "of the certificate being renewed is garbled");
		outcome_fail(o, FAIL_BADREQUEST);
		return;
	}
	if ((f = issue_check(t, req->csr, o->reason, sizeof(o->reason))) !=
	    FAIL_NONE) {
		outcome_fail(o, f);
		return;
	}
	if (ask_policy(w, req, t, claim.key, o) != 0)
		return;
	/* The renewed certificate says what the old one said: its exact
	 * subject and its strong mapping. */
	ex.subject = X509_get_subject_name(req->signer);
	ex.sid = sid;
	/* ... and belongs to the same device, for bulk revocation. */
	util_strlcpy(o->device_id, b.device_id, sizeof(o->device_id));
	if (t->require_approval) {
		hold_renewal(w, req, t, &ex, key_id, o);
		return;
	}
	claim.supersede = t->revoke_on_renewal;
	outcome_issue(w, req, t, &claim, &ex, key_id, o);
	if (o->rep.status == STATUS_SUCCESS)
		snprintf(o->reason, sizeof(o->reason), "renews %s%s",
		    claim.key, claim.supersede ? " (revoked: superseded)" : "");
}

void
lifecycle_renewal(struct worker *w, const struct scep_req *req,
    struct outcome *o)
{
	char	 key_id[41];

	if (cert_key_id_hex(X509_REQ_get_X509_PUBKEY(req->csr), key_id) != 0) {
		snprintf(o->reason, sizeof(o->reason), "CSR key unreadable");
		outcome_fail(o, FAIL_BADREQUEST);
		return;
	}
	renew(w, req, "RenewalReq", key_id, o);
}

/*
 * Before RenewalReq (RFC 8894 §3.3.1.2) clients renewed with a PKCSReq
 * signed by their current certificate (sscep -O, Cisco IOS); NDES treats
 * it as a renewal, and so does this. Their CertPolls are signed with that
 * certificate too, so its key binds the transaction.
 */
void
lifecycle_renewal_pkcsreq(struct worker *w, const struct scep_req *req,
    struct outcome *o)
{
	char	 key_id[41];

	if (cert_key_id_hex(X509_get_X509_PUBKEY(req->signer), key_id) != 0) {
		snprintf(o->reason, sizeof(o->reason), "signer key unreadable");
		outcome_fail(o, FAIL_BADREQUEST);
		return;
	}
	renew(w, req, "PKCSReq renewal", key_id, o);
}

void
lifecycle_getcrl(struct worker *w, const struct scep_req *req, struct outcome *o)
{
	struct cert_row	 row;
	char		 reason[REASON_MAX], hex[80], safe[REASON_MAX];

	if (X509_NAME_cmp(req->issuer, X509_get_subject_name(w->ra.ca)) != 0) {
		snprintf(o->reason, sizeof(o->reason), "GetCRL for an issuer "
		    "this CA is not");
		outcome_fail(o, FAIL_BADCERTID);
		return;
	}
	if (crl_refresh(&w->cfg, &w->ra, w->store, NULL, reason,
	    sizeof(reason)) < 0)
		log_warnx("op=CRL result=error reason=\"%s\"",
		    log_safe(reason, safe, sizeof(safe)));
	/* The CRL of the CA key that issued the certificate named (after a
	 * switch both CAs have one name); unknown serials get the current. */
	if (req->serial == NULL || cert_serial_hex(req->serial, hex,
	    sizeof(hex)) != 0 || store_cert_status(w->store, hex, &row) !=
	    STORE_OK)
		row.ca_key[0] = '\0';
	if ((o->crl = crl_read(&w->cfg, &w->ra, row.ca_key)) == NULL) {
		snprintf(o->reason, sizeof(o->reason), "no CRL published for "
		    "the CA key that issued it");
		outcome_fail(o, FAIL_BADREQUEST);
		return;
	}
	o->rep.status = STATUS_SUCCESS;
	o->rep.crl = o->crl;
}
