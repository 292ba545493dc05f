/* admin_intune.c - mscep-admin intune-sync: Intune's revocation requests. */
#include "admin/admin_audit.h"
#include "admin/admin_intune.h"
#include "admin/admin_life.h"
#include "admin/admin_opt.h"
#include "policy/intune_revocation.h"
#include "store/events.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

/* An empty page may hide requests (the service cuts the list before it
 * filters): one is not the end; this many in a row are. */
#define SYNC_EMPTY_MAX	3
/* A bound on one run: 1000 pages of up to 500 requests. */
#define SYNC_PAGES_MAX	1000
#define SYNC_MSG	256
/* The event of a revocation Intune asked for. */
#define SYNC_EVENT_CODE	"Revoked"

struct sync {
	const struct config	*cfg;
	struct store		*st;
	struct intune_pki	*pki;
	char			**seen;		/* contexts answered this run */
	size_t			 nseen;
	long			 count[4];	/* revoked, already, not found,
						   other */
	int			 failed;	/* exit status 1 at the end */
};

static int
seen(const struct sync *s, const char *context)
{
	size_t	 i;

	for (i = 0; i < s->nseen; i++)
		if (strcmp(s->seen[i], context) == 0)
			return 1;
	return 0;
}

static int
remember(struct sync *s, const char *context)
{
	char	**n = realloc(s->seen, (s->nseen + 1) * sizeof(*n));

	if (n == NULL)
		return -1;
	s->seen = n;
	if ((n[s->nseen] = strdup(context)) == NULL)
		return -1;
	s->nseen++;
	return 0;
}

/* The event is recorded right after the revocation: a minute is room. */
#define SYNC_EVENT_WINDOW	60

struct match {
	const char	*context;
	const char	*serial;
	int64_t		 until;
	int		 found;
};

static int
match_event(const struct store_event *e, void *arg)
{
	struct match	*m = arg;

	if (e->at > m->until)
		return 1;
	if (e->success && e->code != NULL && e->serial != NULL &&
	    strcmp(e->code, SYNC_EVENT_CODE) == 0 &&
	    strcmp(e->txid, m->context) == 0 &&
	    strcmp(e->serial, m->serial) == 0)
		m->found = 1;
	return m->found;
}

/* Whether this very request revoked serial before (its result was lost):
 * then it is answered as a success again. */
static int
revoked_by(struct sync *s, const char *serial, const char *context)
{
	struct cert_row	 r;
	struct match	 m = { context, serial, 0, 0 };

	if (store_cert_status(s->st, serial, &r) != STORE_OK)
		return 0;
	m.until = r.revoked_at + SYNC_EVENT_WINDOW;
	store_events(s->st, r.revoked_at, match_event, &m);
	return m.found;
}

/* The event naming Intune as the requester, with the certificate's
 * thumbprint, expiry and issuer. */
static void
record_event(struct sync *s, const char *serial, const char *context)
{
	struct success_event	 se;
	struct buf		 der = { 0 };
	const unsigned char	*p;
	X509			*x = NULL;
	char			 desc[SYNC_MSG + 64];

	if (store_cert_by_serial(s->st, serial, &der) == STORE_OK) {
		p = der.p;
		x = d2i_X509(NULL, &p, (long)der.len);
	}
	if (x == NULL) {
		fprintf(stderr, "mscep-admin: %s: revoked, but its certificate "
		    "cannot be read for the event\n", serial);
		s->failed = 1;
		goto out;
	}
	events_success_make(&se, context, x, NULL);
	snprintf(desc, sizeof(desc), "revoked at the request of Intune "
	    "(requestContext %.*s)", SYNC_MSG, context);
	se.ev.code = SYNC_EVENT_CODE;
	se.ev.description = desc;
	if (store_event_add(s->st, &se.ev, events_keep_after(s->cfg,
	    se.ev.at)) != STORE_OK) {
		fprintf(stderr, "mscep-admin: %s: no event recorded: %s\n",
		    serial, store_errmsg(s->st));
		s->failed = 1;
	} else
		events_notify(s->cfg, &se.ev);
	events_success_free(&se);
out:
	X509_free(x);
	buf_free(&der);
}

/* The audit line of a revocation Intune asked for. */
static void
audit_revoked(struct sync *s, const char *serial, const char *context)
{
	struct audit_event	 e;
	char			 why[SYNC_MSG + 64];

	snprintf(why, sizeof(why), "at the request of Intune (requestContext "
	    "%.*s)", SYNC_MSG, context);
	audit_event_init(&e, "revoked", NULL);
	e.serial = serial;
	e.revocation_reason = "unspecified";
	e.reason = why;
	admin_audit(s->cfg, &e);
}

/* One request, through revoke's path; its result code, msg for others. */
static int
revoke_req(struct sync *s, const struct intune_revreq *q, char *msg,
    size_t mlen)
{
	char		 serial[128];
	int		 already = 0;
	enum store_rc	 rc;

	if (q->serial == NULL || admin_serial_normalise(q->serial, serial,
	    sizeof(serial)) != 0) {
		snprintf(msg, mlen, "serialNumber \"%.64s\" is not a "
		    "hexadecimal serial number", q->serial ? q->serial : "");
		return INTUNE_REV_PARAMETER_INVALID;
	}
	rc = store_revoke(s->st, serial, REVOKE_UNSPECIFIED, util_now(),
	    &already);
	if (rc == STORE_NOT_FOUND) {
		snprintf(msg, mlen, "no certificate with serial %s was issued "
		    "by this CA", serial);
		return INTUNE_REV_NOT_FOUND;
	}
	if (rc != STORE_OK) {
		snprintf(msg, mlen, "the CA could not record the revocation; "
		    "try again later");
		fprintf(stderr, "mscep-admin: revoke %s: %s\n", serial,
		    store_errmsg(s->st));
		s->failed = 1;
		return INTUNE_REV_RETRYABLE;
	}
	if (already && !revoked_by(s, serial, q->context)) {
		snprintf(msg, mlen, "certificate %s was already revoked",
		    serial);
		return INTUNE_REV_CONFLICT;
	}
	if (!already) {
		record_event(s, serial, q->context);
		audit_revoked(s, serial, q->context);
	}
	printf("revoked %s at Intune's request%s\n", serial, already ?
	    " (before; its result is sent again)" : "");
	return INTUNE_REV_NONE;
}

static void
tally(struct sync *s, int code)
{
	s->count[code == INTUNE_REV_NONE ? 0 : code == INTUNE_REV_CONFLICT ?
	    1 : code == INTUNE_REV_NOT_FOUND ? 2 : 3]++;
}

/* Answers the page's new requests and uploads their results; the count
 * of requests answered, or -1. */
static int
answer_page(struct sync *s, const struct intune_revreq *q, size_t n)
{
	struct intune_revresult	*res = calloc(n, sizeof(*res));
	char			(*msg)[SYNC_MSG] = calloc(n, SYNC_MSG);
	char			 reason[REASON_MAX];
	size_t			 i, k = 0;
	long			 before = s->count[0];
	int			 rc = -1;

	if (res == NULL || msg == NULL) {
		fprintf(stderr, "mscep-admin: intune-sync: out of memory\n");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (seen(s, q[i].context))
			continue;
		if (remember(s, q[i].context) != 0) {
			fprintf(stderr, "mscep-admin: intune-sync: out of "
			    "memory\n");
			goto out;
		}
		res[k].context = q[i].context;
		res[k].code = revoke_req(s, &q[i], msg[k], SYNC_MSG);
		res[k].message = msg[k];
		if (res[k].code != INTUNE_REV_NONE)
			printf("not revoked (%s): %s\n",
			    intune_rev_code_name(res[k].code), msg[k]);
		tally(s, res[k].code);
		k++;
	}
	/* Relying parties see it before Intune is told it is done. */
	if (s->count[0] > before && admin_republish(s->cfg, s->st) != 0)
		s->failed = 1;
	if (k > 0 && intune_pki_upload(s->pki, res, k, reason,
	    sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: intune-sync: uploading %zu "
		    "result(s) failed: %s\n", k, reason);
		goto out;
	}
	rc = (int)k;
out:
	free(res);
	free(msg);
	return rc;
}

/* Pages until SYNC_EMPTY_MAX empty ones in a row, or one with nothing
 * new (the service has not dropped what was answered yet). */
static int
sync_pages(struct sync *s, int max)
{
	struct intune_revreq	*q = NULL;
	size_t			 n, skipped;
	char			 reason[REASON_MAX];
	int			 page, empty = 0, k;

	for (page = 0; page < SYNC_PAGES_MAX && empty < SYNC_EMPTY_MAX;
	    page++) {
		if (intune_pki_download(s->pki, max, &q, &n, &skipped, reason,
		    sizeof(reason)) != 0) {
			fprintf(stderr, "mscep-admin: intune-sync: downloading "
			    "revocation requests failed: %s\n", reason);
			return -1;
		}
		if (skipped > 0) {
			fprintf(stderr, "mscep-admin: intune-sync: %zu "
			    "request(s) without a requestContext ignored\n",
			    skipped);
			s->failed = 1;
		}
		empty = n == 0 ? empty + 1 : 0;
		k = n > 0 ? answer_page(s, q, n) : 0;
		intune_revreqs_free(q, n);
		if (k < 0)
			return -1;
		if (n > 0 && k == 0)
			break;
	}
	return 0;
}

static int
sync_run(struct sync *s, int max)
{
	char		 reason[REASON_MAX];
	const char	*url;
	size_t		 i;
	int		 rc = 1;

	if (intune_pki_open(s->cfg, &s->pki, reason, sizeof(reason)) != 0 ||
	    (url = intune_pki_discover(s->pki, reason, sizeof(reason))) ==
	    NULL) {
		fprintf(stderr, "mscep-admin: intune-sync: %s\n", reason);
		goto out;
	}
	printf("%s: %s\n", "PkiConnectorFEService", url);
	if (sync_pages(s, max) != 0)
		goto out;
	printf("intune-sync: %ld revoked, %ld already revoked, %ld not "
	    "found, %ld other errors; every result uploaded\n", s->count[0],
	    s->count[1], s->count[2], s->count[3]);
	rc = s->failed;
out:
	intune_pki_close(s->pki);
	for (i = 0; i < s->nseen; i++)
		free(s->seen[i]);
	free(s->seen);
	return rc;
}

int
admin_cmd_intune_sync(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "max-requests", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct sync	 s;
	char		 reason[REASON_MAX];
	int		 ch, max = cfg->intune_rev_max, rc;

	/* Under systemd stdout is a pipe: lines in order with stderr's. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'm') {
			fprintf(stderr, "usage: mscep-admin intune-sync "
			    "[--max-requests N]\n");
			return 2;
		}
		if (admin_opt_int("--max-requests", optarg, 1, INTUNE_REV_MAX,
		    &max) != 0)
			return 2;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: mscep-admin intune-sync "
		    "[--max-requests N]\n");
		return 2;
	}
	if (store_open_config(cfg, &s.st, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: %s\n", reason);
		return 1;
	}
	rc = sync_run(&s, max);
	store_close(s.st);
	return rc;
}
