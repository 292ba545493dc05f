/* admin_status.c - mscep-admin status [--json]. */
#include "admin/admin_status.h"
#include "ca/health.h"
#include "store/store.h"
#include "util/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* The refusals shown: the newest, from the events of the last week. */
#define STATUS_ERRORS		5
#define STATUS_ERROR_DAYS	7

struct status_error {
	int64_t		 at;
	char		 txid[72];
	char		 code[48];
	char		 description[256];
};

struct status {
	int64_t			 now;
	struct health		 h;
	struct store_stats	 st;
	int			 store_ok;
	char			 store_why[REASON_MAX];
	struct status_error	 errs[STATUS_ERRORS];	/* a ring */
	int			 nerr;			/* seen in all */
};

static int
keep_error(const struct store_event *ev, void *arg)
{
	struct status		*s = arg;
	struct status_error	*e;

	if (ev->success)
		return 0;
	e = &s->errs[s->nerr++ % STATUS_ERRORS];
	e->at = ev->at;
	util_strlcpy(e->txid, ev->txid ? ev->txid : "", sizeof(e->txid));
	util_strlcpy(e->code, ev->code ? ev->code : "", sizeof(e->code));
	util_strlcpy(e->description, ev->description ? ev->description : "",
	    sizeof(e->description));
	return 0;
}

static void
collect(const struct config *cfg, struct status *s)
{
	struct store	*st = NULL;

	memset(s, 0, sizeof(*s));
	s->now = util_now();
	health_collect(cfg, &s->h);
	/* The configured backend: on PostgreSQL a SQLite file in the state
	 * folder would be a new, empty store. */
	if (store_open_config(cfg, &st, s->store_why,
	    sizeof(s->store_why)) != 0)
		goto out;
	if (store_stats(st, s->now, &s->st) != STORE_OK ||
	    store_events(st, s->now - STATUS_ERROR_DAYS * 86400, keep_error,
	    s) != STORE_OK) {
		snprintf(s->store_why, sizeof(s->store_why), "%s",
		    store_errmsg(st));
		goto out;
	}
	s->store_ok = 1;
out:
	store_close(st);
}

static const char *
when(int64_t t, char *out, size_t len)
{
	if (t == 0)
		return "never";
	util_iso8601(t, out, len);
	return out;
}

/* The i-th newest error kept, i from 0. */
static const struct status_error *
nth_error(const struct status *s, int i)
{
	int	 n = s->nerr < STATUS_ERRORS ? s->nerr : STATUS_ERRORS;

	if (i >= n)
		return NULL;
	return &s->errs[(s->nerr - 1 - i) % STATUS_ERRORS];
}

static void
print_certs(const struct status *s)
{
	char	 t[32];
	double	 d;
	int	 i;

	printf("%-11s %-21s %9s  %s\n", "certificate", "expires", "days",
	    "subject");
	for (i = 0; i < HEALTH_CERTS; i++) {
		const struct health_cert *c = &s->h.certs[i];
		if (!c->present) {
			printf("%-11s (no %s)\n", c->name, c->file);
			continue;
		}
		d = health_days(c->not_after, s->now);
		printf("%-11s %-21s %9.1f  %s%s\n", c->name,
		    when(c->not_after, t, sizeof(t)), d, c->subject,
		    d < 0 ? "  EXPIRED" : d < 30 ? "  EXPIRES WITHIN 30 DAYS" :
		    "");
	}
}

static void
print_crl(const struct status *s)
{
	const struct health	*h = &s->h;
	char			 t[32];

	if (!h->crl_present) {
		printf("CRL         none published at %s\n", h->crl_file[0] ?
		    h->crl_file : "[CRL] PublishFile");
		return;
	}
	printf("CRL         %s: thisUpdate %s (%.1f hours ago)", h->crl_file,
	    when(h->crl_this_update, t, sizeof(t)),
	    (s->now - h->crl_this_update) / 3600.0);
	if (h->crl_next_update != 0)
		printf(", nextUpdate in %.1f hours%s",
		    (h->crl_next_update - s->now) / 3600.0,
		    h->crl_next_update < s->now ? " STALE" :
		    2 * (s->now - h->crl_this_update) > h->crl_next_update -
		    h->crl_this_update ? " (past half its validity)" : "");
	printf("\n");
}

static void
print_text(const struct config *cfg, const struct status *s)
{
	const struct status_error	*e;
	char				 t[32];
	int				 i;

	print_certs(s);
	print_crl(s);
	if (!s->store_ok) {
		printf("store       cannot be read: %s\n", s->store_why);
		return;
	}
	printf("store       %lld certificates issued (%lld valid), %lld "
	    "revoked\n", (long long)s->st.certs, (long long)s->st.valid,
	    (long long)s->st.revoked);
	printf("last issue  %s\n", when(s->st.last_issued, t, sizeof(t)));
	printf("pending     %lld waiting for approval, %lld notices owed\n",
	    (long long)s->st.pending, (long long)s->st.outbox);
	printf("passwords   %lld of %d (PasswordMax) not used yet\n",
	    (long long)s->st.passwords, cfg->password_max);
	printf("refusals    %d in the last %d days%s\n", s->nerr,
	    STATUS_ERROR_DAYS, s->nerr > 0 ? ", newest first:" : "");
	for (i = 0; (e = nth_error(s, i)) != NULL; i++)
		printf("  %s %s %s: %s\n", when(e->at, t, sizeof(t)), e->txid,
		    e->code, e->description);
}

static json_t *
json_certs(const struct status *s)
{
	json_t	*o = json_object();
	int	 i;

	for (i = 0; i < HEALTH_CERTS; i++) {
		const struct health_cert *c = &s->h.certs[i];
		json_object_set_new(o, c->name, !c->present ? json_null() :
		    json_pack("{s:I,s:f,s:s}", "not_after",
		    (json_int_t)c->not_after, "days",
		    health_days(c->not_after, s->now), "subject", c->subject));
	}
	return o;
}

static json_t *
json_crl(const struct status *s)
{
	const struct health	*h = &s->h;

	if (!h->crl_present)
		return json_null();
	return json_pack("{s:s,s:I,s:I,s:I,s:I}", "file", h->crl_file,
	    "this_update", (json_int_t)h->crl_this_update, "next_update",
	    (json_int_t)h->crl_next_update, "age_seconds",
	    (json_int_t)(s->now - h->crl_this_update), "seconds_to_next_update",
	    (json_int_t)(h->crl_next_update - s->now));
}

static json_t *
json_store(const struct config *cfg, const struct status *s)
{
	const struct status_error	*e;
	json_t				*errs = json_array();
	int				 i;

	if (!s->store_ok)
		return json_pack("{s:b,s:s}", "ok", 0, "error", s->store_why);
	for (i = 0; (e = nth_error(s, i)) != NULL; i++)
		json_array_append_new(errs, json_pack("{s:I,s:s,s:s,s:s}", "at",
		    (json_int_t)e->at, "transaction_id", e->txid, "code",
		    e->code, "description", e->description));
	return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:I,s:i,s:o}",
	    "ok", 1, "certificates", (json_int_t)s->st.certs, "valid",
	    (json_int_t)s->st.valid, "revoked", (json_int_t)s->st.revoked,
	    "pending", (json_int_t)s->st.pending, "outbox",
	    (json_int_t)s->st.outbox, "passwords",
	    (json_int_t)s->st.passwords, "password_max", cfg->password_max,
	    "last_issued", (json_int_t)s->st.last_issued, "refusals", s->nerr,
	    "last_refusals", errs);
}

/* jansson's dump is valid UTF-8 JSON or nothing: a subject that is
 * not UTF-8 leaves its object out rather than the output broken. */
static int
print_json(const struct config *cfg, const struct status *s)
{
	json_t	*o;
	char	*text;
	int	 rc = -1;

	o = json_pack("{s:I,s:o,s:o,s:o}", "now", (json_int_t)s->now,
	    "certificates", json_certs(s), "crl", json_crl(s), "store",
	    json_store(cfg, s));
	if (o != NULL && (text = json_dumps(o, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) != NULL) {
		printf("%s\n", text);
		free(text);
		rc = 0;
	}
	json_decref(o);
	return rc;
}

int
admin_cmd_status(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct status	 s;
	int		 ch, json = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'j') {
			fprintf(stderr, "usage: mscep-admin status [--json]\n");
			return 2;
		}
		json = 1;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: mscep-admin status [--json]\n");
		return 2;
	}
	collect(cfg, &s);
	if (json && print_json(cfg, &s) != 0) {
		fprintf(stderr, "mscep-admin: status: cannot encode JSON (a "
		    "field that is not UTF-8?)\n");
		return 1;
	}
	if (!json)
		print_text(cfg, &s);
	return s.store_ok && s.h.certs[HEALTH_CA].present ? 0 : 1;
}
