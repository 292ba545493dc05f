/*
 * store_pg.c - the PostgreSQL store: one connection per worker, made when
 * the store opens and again, with a growing pause, after it was lost; a
 * worker whose database is down still starts (GetCACert and GetCACaps
 * need no store) and its store calls fail at once with the reason. Every
 * transaction is retried after a serialization failure or a deadlock; the
 * schema is created and upgraded only by mscep-admin store migrate
 * (store_pg_schema.c), and a connection to a schema this build does not
 * know is refused.
 */
#include "store/store.h"
#include "store/store_pg.h"
#include "store/store_backend.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

#define TX_TRIES	4		/* serialization failures, deadlocks */
#define BACKOFF_MIN_MS	250		/* first pause after a failed connect */
#define BACKOFF_MAX_MS	5000

struct pg_store {
	struct store	 base;		/* first: what store.c hands */
	PGconn		*conn;
	char		*conninfo;
	int		 timeout;	/* statement_timeout, seconds */
	int64_t		 next_try_ms;	/* no connect before (monotonic) */
	int		 backoff_ms;
	char		 sqlstate[6];
	char		 err[REASON_MAX];
	char		 connect_err[REASON_MAX];	/* the last try's */
};

/* Keeps msg (without libpq's trailing newline) for store_errmsg. */
static void
set_err(struct pg_store *s, const char *prefix, const char *msg)
{
	size_t	 n;

	snprintf(s->err, sizeof(s->err), "%s%s", prefix, msg ? msg : "");
	n = strlen(s->err);
	while (n > 0 && (s->err[n - 1] == '\n' || s->err[n - 1] == ' '))
		s->err[--n] = '\0';
}

PGconn *
store_pg_conn(struct store *st)
{
	return ((struct pg_store *)st)->conn;
}

const char *
store_pg_errmsg(struct store *st)
{
	return ((struct pg_store *)st)->err;
}

/*
 * The statement's last result, waiting at most statement_timeout and two
 * seconds more: a server that stopped answering (a network partition, a
 * frozen primary) costs one request that long, never a hung worker. A
 * connection given up on is closed; the next call makes another.
 */
static PGresult *
wait_result(struct pg_store *s)
{
	struct pollfd	 pfd;
	PGresult	*r, *last = NULL;
	int64_t		 left, deadline = util_mono_ms() + (s->timeout + 2) * 1000LL;

	for (;;) {
		while (!PQisBusy(s->conn)) {
			if ((r = PQgetResult(s->conn)) == NULL)
				return last;
			PQclear(last);
			last = r;
		}
		if ((left = deadline - util_mono_ms()) <= 0) {
			snprintf(s->err, sizeof(s->err), "PostgreSQL did not "
			    "answer within %d seconds", s->timeout + 2);
			break;
		}
		pfd.fd = PQsocket(s->conn);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			set_err(s, "poll: ", strerror(errno));
			break;
		}
		if (!PQconsumeInput(s->conn)) {
			set_err(s, "PostgreSQL: ", PQerrorMessage(s->conn));
			break;
		}
	}
	PQclear(last);
	PQfinish(s->conn);
	s->conn = NULL;
	return NULL;
}

PGresult *
store_pg_exec(struct store *st, const char *sql, const struct pg_params *p)
{
	struct pg_store	*s = (struct pg_store *)st;
	PGresult	*r = NULL;
	const char	*state;

	s->sqlstate[0] = '\0';
	if (s->conn == NULL) {
		set_err(s, "", "no connection to PostgreSQL");
		return NULL;
	}
	if (!PQsendQueryParams(s->conn, sql, p ? p->n : 0, NULL,
	    p ? p->v : NULL, p ? p->len : NULL, p ? p->fmt : NULL, 0)) {
		set_err(s, "PostgreSQL: ", PQerrorMessage(s->conn));
		return NULL;
	}
	if ((r = wait_result(s)) == NULL) {
		if (s->conn != NULL)
			set_err(s, "PostgreSQL: ", PQerrorMessage(s->conn));
		return NULL;
	}
	if (PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", state ? state : "");
	set_err(s, "PostgreSQL: ", PQresultErrorMessage(r));
	PQclear(r);
	return NULL;
}

int
store_pg_do(struct store *st, const char *sql, const struct pg_params *p,
    int64_t *rows)
{
	PGresult	*r;

	if ((r = store_pg_exec(st, sql, p)) == NULL)
		return -1;
	if (rows != NULL)
		*rows = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}

/* 0 when the schema is the one this build knows; else the reason. */
static int
check_schema(struct pg_store *s)
{
	PGresult	*r;
	int64_t		 v = -1;

	r = store_pg_exec(&s->base, "SELECT max(version) FROM mscep_schema",
	    NULL);
	if (r == NULL && strcmp(s->sqlstate, "42P01") == 0) {
		set_err(s, "", "the PostgreSQL database has no mscep schema: "
		    "run mscep-admin store migrate");
		return -1;
	}
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		v = store_pg_int(r, 0, 0);
	PQclear(r);
	if (v == STORE_PG_SCHEMA)
		return 0;
	snprintf(s->err, sizeof(s->err), "the PostgreSQL schema is version "
	    "%lld, this mscep knows version %d only: %s", (long long)v,
	    STORE_PG_SCHEMA, v < STORE_PG_SCHEMA ? "run mscep-admin store "
	    "migrate" : "upgrade mscep on this host");
	return -1;
}

static int
session_setup(struct pg_store *s)
{
	char	 q[64];

	snprintf(q, sizeof(q), "SET statement_timeout = %d",
	    s->timeout * 1000);
	return store_pg_do(&s->base, q, NULL, NULL) == 0 &&
	    check_schema(s) == 0 ? 0 : -1;
}

/* A connection, made now unless the last try failed too recently. */
static int
connect_db(struct pg_store *s)
{
	static const char *const keys[] = { "connect_timeout",
	    "application_name", "dbname", NULL };
	const char	*vals[] = { "3", "mscep", s->conninfo, NULL };
	int64_t		 t = util_mono_ms();

	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	/* Said as such: the last try's reason may no longer hold (a
	 * standby promoted since, say). */
	if (t < s->next_try_ms) {
		snprintf(s->err, sizeof(s->err), "%.400s (the last try; not "
		    "tried again yet: reconnect pause, %lld ms left)",
		    s->connect_err[0] ? s->connect_err : "PostgreSQL "
		    "unreachable", (long long)(s->next_try_ms - t));
		return -1;
	}
	PQfinish(s->conn);
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK &&
	    session_setup(s) == 0) {
		s->backoff_ms = 0;
		return 0;
	}
	if (s->conn != NULL && PQstatus(s->conn) != CONNECTION_OK)
		set_err(s, "cannot connect to PostgreSQL: ",
		    PQerrorMessage(s->conn));
	PQfinish(s->conn);
	s->conn = NULL;
	memcpy(s->connect_err, s->err, sizeof(s->connect_err));
	s->backoff_ms = s->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    s->backoff_ms * 2;
	s->next_try_ms = util_mono_ms() + s->backoff_ms;
	return -1;
}

/* After a failure: 1 to run the work again (a fresh connection once,
 * a serialization failure or deadlock a few times), else 0. */
static int
again(struct pg_store *s, int *tries, int *reconnected)
{
	struct timespec	 nap = { 0, 0 };

	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
		if (*reconnected)
			return 0;
		*reconnected = 1;
		return connect_db(s) == 0;
	}
	if (strcmp(s->sqlstate, "40001") != 0 &&
	    strcmp(s->sqlstate, "40P01") != 0)
		return 0;
	if (++*tries >= TX_TRIES)
		return 0;
	nap.tv_nsec = (long)(arc4random_uniform(20) + 1) * 1000000L * *tries;
	nanosleep(&nap, NULL);
	return 1;
}

PGresult *
store_pg_query(struct store *st, const char *sql, const struct pg_params *p)
{
	struct pg_store	*s = (struct pg_store *)st;
	PGresult	*r;
	int		 tries = 0, reconnected = 0;

	if (connect_db(s) != 0)
		return NULL;
	while ((r = store_pg_exec(st, sql, p)) == NULL &&
	    again(s, &tries, &reconnected))
		;
	return r;
}

enum store_rc
store_pg_tx(struct store *st, enum store_rc (*body)(struct store *, void *),
    void *arg)
{
	struct pg_store	*s = (struct pg_store *)st;
	enum store_rc	 rc = STORE_ERROR;
	int		 tries = 0, reconnected = 0;

	if (connect_db(s) != 0)
		return STORE_ERROR;
	do {
		if (store_pg_do(st, "BEGIN", NULL, NULL) != 0)
			continue;
		if ((rc = body(st, arg)) == STORE_OK &&
		    store_pg_do(st, "COMMIT", NULL, NULL) == 0)
			return STORE_OK;
		/* Keep the statement's error, not ROLLBACK's. */
		if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK)
			PQclear(PQexec(s->conn, "ROLLBACK"));
		if (rc != STORE_OK && rc != STORE_ERROR)
			return rc;
	} while (again(s, &tries, &reconnected));
	return STORE_ERROR;
}

int
store_pg_open(const char *conninfo, struct store **out, char *reason,
    size_t rlen)
{
	struct pg_store	*s;
	PQconninfoOption *opts;
	char		*err = NULL;

	*out = NULL;
	if ((opts = PQconninfoParse(conninfo, &err)) == NULL) {
		snprintf(reason, rlen, "[Store] ConnInfo: %s",
		    err ? err : "out of memory");
		PQfreemem(err);
		return -1;
	}
	PQconninfoFree(opts);
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->conninfo = strdup(conninfo)) == NULL) {
		free(s);
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	s->base.ops = &store_pg_ops;
	s->timeout = 10;
	/* Down: opened all the same, every call failing until it is back.
	 * Up with a schema this build does not know: refused now. */
	if (connect_db(s) != 0 && s->conn == NULL &&
	    strstr(s->err, "schema") != NULL) {
		snprintf(reason, rlen, "%s", s->err);
		store_pg_close(&s->base);
		return -1;
	}
	*out = &s->base;
	return 0;
}

void
store_pg_close(struct store *st)
{
	struct pg_store	*s = (struct pg_store *)st;

	if (s == NULL)
		return;
	PQfinish(s->conn);
	free(s->conninfo);
	free(s);
}

int
store_pg_tune(struct store *st, int timeout_seconds)
{
	struct pg_store	*s = (struct pg_store *)st;
	char		 q[64];

	s->timeout = timeout_seconds;
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		return 0;
	snprintf(q, sizeof(q), "SET statement_timeout = %d",
	    s->timeout * 1000);
	return store_pg_do(st, q, NULL, NULL);
}

/* One host builds the CRL at a time: a session lock all hosts share. */
int
store_pg_crl_lock(struct store *st, int lock)
{
	PGresult	*r;

	r = store_pg_query(st, lock ? "SELECT pg_advisory_lock(4242001)" :
	    "SELECT pg_advisory_unlock(4242001)", NULL);
	PQclear(r);
	return r != NULL ? 0 : -1;
}

void
pg_text(struct pg_params *p, const char *v)
{
	p->v[p->n] = v;
	p->len[p->n] = 0;
	p->fmt[p->n++] = 0;
}

void
pg_opt(struct pg_params *p, const char *v)
{
	pg_text(p, v != NULL && *v != '\0' ? v : NULL);
}

void
pg_int(struct pg_params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)v);
	pg_text(p, p->num[p->n]);
}

void
pg_blob(struct pg_params *p, const void *v, size_t len)
{
	p->v[p->n] = v;
	p->len[p->n] = (int)len;
	p->fmt[p->n++] = 1;
}

const char *
store_pg_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

const char *
store_pg_text_or_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int64_t
store_pg_int(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 :
	    strtoll(PQgetvalue(r, row, col), NULL, 10);
}

unsigned char *
store_pg_bytea(const PGresult *r, int row, int col, size_t *len)
{
	*len = 0;
	if (PQgetisnull(r, row, col))
		return NULL;
	return PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col),
	    len);
}

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.open = store_pg_open,
	.close = store_pg_close,
	.tune = store_pg_tune,
	.migrate = store_pg_migrate,
	.crl_lock = store_pg_crl_lock,
	.find_txn = store_pg_find_txn,
	.issue = store_pg_issue,
	.cert_by_serial = store_pg_cert_by_serial,
	.count_certs = store_pg_count_certs,
	.stats = store_pg_stats,
	.password_add = store_pg_password_add,
	.password_set_single = store_pg_password_set_single,
	.password_lookup = store_pg_password_lookup,
	.nonce_used = store_pg_nonce_used,
	.event_add = store_pg_event_add,
	.events = store_pg_events,
	.errmsg = store_pg_errmsg,
	.revoke = store_pg_revoke,
	.revoke_where = store_pg_revoke_where,
	.list = store_pg_list,
	.cert_status = store_pg_cert_status,
	.revoked = store_pg_revoked,
	.crl_dirty = store_pg_crl_dirty,
	.crl_wanted = store_pg_crl_wanted,
	.crl_mark_dirty = store_pg_crl_mark_dirty,
	.crl_next = store_pg_crl_next,
	.pending_add = store_pg_pending_add,
	.pending_find = store_pg_pending_find,
	.pending_get = store_pg_pending_get,
	.pending_list = store_pg_pending_list,
	.pending_decide = store_pg_pending_decide,
	.outbox_add = store_pg_outbox_add,
	.outbox_find = store_pg_outbox_find,
	.outbox_list = store_pg_outbox_list,
	.outbox_sent = store_pg_outbox_sent,
	.outbox_failed = store_pg_outbox_failed,
};
