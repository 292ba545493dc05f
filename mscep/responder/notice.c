/*
 * notice.c - notifications owed to the policy module's service: made
 * when a certificate is signed, recorded with it, sent, and settled in
 * the store's outbox (notice.h says why a certificate waits for them).
 */
#include "responder/notice.h"
#include "util/cert.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
notice_make(struct policy *pol, const struct policy_request *req,
    X509 *issued, struct notice_owed *n, char *reason, size_t rlen)
{
	int	 rc;

	memset(n, 0, sizeof(*n));
	if ((rc = policy_notice_make(pol, req, issued, NULL, &n->pn, reason,
	    rlen)) != 1)
		return rc;
	if (cert_serial_hex(X509_get0_serialNumber(issued), n->serial,
	    sizeof(n->serial)) != 0) {
		snprintf(reason, rlen, "serial unreadable");
		notice_owed_free(n);
		return -1;
	}
	n->sn.txid = req->txid;
	n->sn.serial = n->serial;
	n->sn.action = n->pn.action;
	n->sn.body = n->pn.body;
	n->sn.created_at = util_now();
	return 1;
}

void
notice_owed_free(struct notice_owed *n)
{
	policy_notice_free(&n->pn);
	memset(n, 0, sizeof(*n));
}

/* A stored notice copied out of the store's callback. */
struct held_notice {
	int64_t	 id;
	char	 action[48];
	char	 txid[160];
	char	*body;		/* owned */
};

static int
take_notice(const struct store_notice *sn, void *arg)
{
	struct held_notice	*h = arg;

	h->id = sn->id;
	util_strlcpy(h->action, sn->action, sizeof(h->action));
	util_strlcpy(h->txid, sn->txid, sizeof(h->txid));
	h->body = strdup(sn->body);
	return 1;
}

int
notice_send(struct policy *pol, struct store *st,
    const struct store_notice *sn, char *reason, size_t rlen)
{
	char	 safe[REASON_MAX], txid[80];
	enum store_rc	 rc;

	log_safe(sn->txid, txid, sizeof(txid));
	if (policy_notice_send(pol, sn->action, sn->body, reason, rlen) != 0) {
		if (store_outbox_failed(st, sn->id, util_now(), reason) ==
		    STORE_ERROR)
			log_warnx("notice: txid=%s %s: cannot record the "
			    "failed try: %s", txid, sn->action,
			    store_errmsg(st));
		log_warnx("notice: txid=%s %s not acknowledged, kept: %s",
		    txid, sn->action, log_safe(reason, safe, sizeof(safe)));
		return -1;
	}
	/* Sent: a notice that stayed (store error) is sent again later,
	 * which the service tolerates better than a certificate handed out
	 * without its notice. */
	if ((rc = store_outbox_sent(st, sn->id)) == STORE_ERROR) {
		snprintf(reason, rlen, "%s sent, but the store cannot drop "
		    "it: %s", sn->action, store_errmsg(st));
		return -1;
	}
	if (rc == STORE_NOT_FOUND)
		log_info("notice: txid=%s %s sent, another sender too", txid,
		    sn->action);
	return 0;
}

int
notice_flush(struct policy *pol, struct store *st, const char *serial,
    char *reason, size_t rlen)
{
	struct held_notice	 h = { 0 };
	struct store_notice	 sn = { 0 };
	enum store_rc		 rc;
	int			 out = -1;

	rc = store_outbox_find(st, serial, take_notice, &h);
	if (rc == STORE_NOT_FOUND)
		return 0;
	if (rc != STORE_OK || h.body == NULL) {
		snprintf(reason, rlen, "store: cannot read the outbox: %s",
		    rc != STORE_OK ? store_errmsg(st) : "out of memory");
		goto out;
	}
	sn.id = h.id;
	sn.txid = h.txid;
	sn.serial = serial;
	sn.action = h.action;
	sn.body = h.body;
	out = notice_send(pol, st, &sn, reason, rlen) == 0 ? 0 : 1;
out:
	free(h.body);
	return out;
}

void
notice_failure(struct policy *pol, struct store *st,
    const struct policy_request *req, const char *why)
{
	struct policy_notice	 pn;
	struct store_notice	 sn = { 0 };
	char			 reason[REASON_MAX], safe[REASON_MAX];
	char			 txid[80];
	int			 made;

	log_safe(req->txid, txid, sizeof(txid));
	if ((made = policy_notice_make(pol, req, NULL, why, &pn, reason,
	    sizeof(reason))) != 1) {
		if (made < 0)
			log_warnx("notice: txid=%s failure notice not made: "
			    "%s", txid, log_safe(reason, safe, sizeof(safe)));
		goto out;
	}
	if (policy_notice_send(pol, pn.action, pn.body, reason,
	    sizeof(reason)) == 0)
		goto out;
	sn.txid = req->txid;
	sn.action = pn.action;
	sn.body = pn.body;
	sn.created_at = sn.tried_at = util_now();
	sn.tries = 1;
	sn.last_error = reason;
	if (store_outbox_add(st, &sn) != STORE_OK)
		log_errx("notice: txid=%s %s lost: not sent (%s) and the store "
		    "cannot keep it: %s", txid, pn.action,
		    log_safe(reason, safe, sizeof(safe)), store_errmsg(st));
	else
		log_warnx("notice: txid=%s %s not acknowledged, kept for "
		    "mscep-admin intune-notify: %s", txid, pn.action,
		    log_safe(reason, safe, sizeof(safe)));
out:
	policy_notice_free(&pn);
}
