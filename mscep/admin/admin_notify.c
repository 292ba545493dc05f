/*
 * admin_notify.c - mscep-admin intune-notify: what the store's outbox
 * still owes Intune, listed (--list) or sent now; and the notices that
 * approve (successNotification) and deny (failureNotification) owe.
 */
#include "admin/admin_notify.h"
#include "responder/notice.h"
#include "util/util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
open_store(const struct config *cfg, struct store **st)
{
	char	 reason[REASON_MAX];

	if (store_open_config(cfg, st, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: %s\n", reason);
		return -1;
	}
	return 0;
}

int
admin_notice_policy(const struct config *cfg, struct store *st,
    struct policy **pol)
{
	char	 reason[REASON_MAX];

	*pol = NULL;
	if (!policy_config_reports(cfg))
		return 0;
	if (policy_open(cfg, st, pol, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: %s\n", reason);
		return -1;
	}
	return 0;
}

void
admin_notice_approved(struct policy *pol, struct store *st,
    const char *serial)
{
	char	 why[REASON_MAX];

	if (notice_flush(pol, st, serial, why, sizeof(why)) == 0)
		printf("%s: the policy's notification was acknowledged\n",
		    serial);
	else
		printf("%s: held until the policy's notification is "
		    "acknowledged (%s); the client's next CertPoll or "
		    "mscep-admin intune-notify sends it again\n", serial, why);
}

void
admin_notice_denied(struct policy *pol, struct store *st, const char *txid,
    X509_REQ *csr)
{
	struct policy_request	 preq = { 0 };

	preq.txid = txid;
	preq.csr = csr;
	notice_failure(pol, st, &preq, "denied by an administrator");
}

static int
print_notice(const struct store_notice *n, void *arg)
{
	char	 made[32], tried[32];

	(void)arg;
	util_iso8601(n->created_at, made, sizeof(made));
	util_iso8601(n->tried_at, tried, sizeof(tried));
	printf("%lld\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", (long long)n->id,
	    n->action, n->serial ? n->serial : "-", n->txid, made, n->tries,
	    tried, n->last_error[0] ? n->last_error : "-");
	return 0;
}

/* A copy of the outbox, sent after the listing's read has ended. */
struct owed {
	struct store_notice	*v;
	size_t			 n, cap;
	int			 nomem;
};

static char *
dup0(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int
take(const struct store_notice *sn, void *arg)
{
	struct owed		*o = arg;
	struct store_notice	*v;

	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 16;
		if ((v = realloc(o->v, o->cap * sizeof(*v))) == NULL) {
			o->nomem = 1;
			return 1;
		}
		o->v = v;
	}
	v = &o->v[o->n++];
	*v = *sn;
	v->txid = dup0(sn->txid);
	v->serial = dup0(sn->serial);
	v->action = dup0(sn->action);
	v->body = dup0(sn->body);
	v->last_error = NULL;
	if (v->txid == NULL || v->action == NULL || v->body == NULL ||
	    (sn->serial != NULL && v->serial == NULL))
		o->nomem = 1;
	return o->nomem;
}

static void
owed_free(struct owed *o)
{
	size_t	 i;

	for (i = 0; i < o->n; i++) {
		free((char *)o->v[i].txid);
		free((char *)o->v[i].serial);
		free((char *)o->v[i].action);
		free((char *)o->v[i].body);
	}
	free(o->v);
}

/* Sends every owed notice once; the number still owed after. */
static int
send_all(struct policy *pol, struct store *st, struct owed *o)
{
	char	 why[REASON_MAX];
	size_t	 i;
	int	 left = 0;

	for (i = 0; i < o->n; i++) {
		if (notice_send(pol, st, &o->v[i], why, sizeof(why)) == 0) {
			printf("%lld\t%s\t%s\tsent\n", (long long)o->v[i].id,
			    o->v[i].action, o->v[i].serial ? o->v[i].serial :
			    "-");
			continue;
		}
		printf("%lld\t%s\t%s\tnot acknowledged: %s\n",
		    (long long)o->v[i].id, o->v[i].action, o->v[i].serial ?
		    o->v[i].serial : "-", why);
		left++;
	}
	return left;
}

int
admin_cmd_intune_notify(const struct config *cfg, int argc, char *argv[])
{
	struct store	*st = NULL;
	struct policy	*pol = NULL;
	struct owed	 o = { 0 };
	int		 list = argc == 2 && strcmp(argv[1], "--list") == 0;
	int		 rc = 1, left;

	if (argc > 2 || (argc == 2 && !list)) {
		fprintf(stderr, "usage: mscep-admin intune-notify [--list]\n");
		return 2;
	}
	if (open_store(cfg, &st) != 0)
		return 1;
	if (list) {
		printf("id\taction\tserial\ttransaction\tcreated\ttries\t"
		    "last_try\tlast_error\n");
		rc = store_outbox_list(st, print_notice, NULL) == STORE_OK ?
		    0 : 1;
		goto out;
	}
	if (admin_notice_policy(cfg, st, &pol) != 0)
		goto out;
	if (pol == NULL) {
		fprintf(stderr, "mscep-admin: intune-notify: Module = intune "
		    "is not configured; nothing can be sent\n");
		goto out;
	}
	if (store_outbox_list(st, take, &o) != STORE_OK || o.nomem) {
		fprintf(stderr, "mscep-admin: intune-notify: cannot read the "
		    "outbox: %s\n", o.nomem ? "out of memory" :
		    store_errmsg(st));
		goto out;
	}
	left = send_all(pol, st, &o);
	printf("%zu sent, %d still owed\n", o.n - (size_t)left, left);
	rc = left > 0 ? 1 : 0;
out:
	owed_free(&o);
	policy_close(pol);
	store_close(st);
	return rc;
}
