/*
 * store_pg_outbox.c - what is reported back, in PostgreSQL: enrollment
 * events, and the outbox of notifications owed to the service that
 * vouched for a request (store_sqlite_outbox.c's twin). Of two hosts
 * sending one notice, the one whose DELETE removes it reports it sent.
 */
#include "store/store.h"
#include "store/store_pg.h"

#include <stdio.h>
#include <string.h>

#include "util/util.h"

#define OUTBOX_COLUMNS "SELECT id, transaction_id, serial, action, body, " \
	"created_at, tried_at, tries, last_error FROM outbox"

enum store_rc
store_pg_event_write(struct store *s, const struct store_event *e,
    int64_t keep_after)
{
	struct pg_params	 p = { 0 };

	/* Anyone can cause a failure event: old ones go. */
	pg_int(&p, keep_after);
	if (store_pg_do(s, "DELETE FROM events WHERE at < $1", &p, NULL) != 0)
		return STORE_ERROR;
	p.n = 0;
	pg_int(&p, e->at);
	pg_text(&p, e->success ? "success" : "failure");
	pg_text(&p, e->txid);
	pg_opt(&p, e->serial);
	pg_opt(&p, e->thumbprint);
	if (e->not_after > 0)
		pg_int(&p, e->not_after);
	else
		pg_text(&p, NULL);
	pg_opt(&p, e->issuer);
	pg_opt(&p, e->device_id);
	pg_text(&p, e->code);
	pg_opt(&p, e->description);
	return store_pg_do(s, "INSERT INTO events (at, kind, transaction_id, "
	    "serial, thumbprint, not_after, issuer, device_id, code, "
	    "description) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
	    &p, NULL) == 0 ? STORE_OK : STORE_ERROR;
}

struct event_args {
	const struct store_event	*e;
	int64_t				 keep_after;
};

static enum store_rc
event_body(struct store *s, void *arg)
{
	struct event_args	*a = arg;

	return store_pg_event_write(s, a->e, a->keep_after);
}

enum store_rc
store_pg_event_add(struct store *s, const struct store_event *e,
    int64_t keep_after)
{
	struct event_args	 a = { e, keep_after };

	return store_pg_tx(s, event_body, &a);
}

enum store_rc
store_pg_events(struct store *s, int64_t since,
    int (*fn)(const struct store_event *, void *), void *arg)
{
	struct pg_params	 p = { 0 };
	struct store_event	 e;
	PGresult		*r;
	int			 i;

	pg_int(&p, since);
	if ((r = store_pg_query(s, "SELECT id, at, kind, transaction_id, "
	    "serial, thumbprint, not_after, issuer, device_id, code, "
	    "description FROM events WHERE at >= $1 ORDER BY id", &p)) == NULL)
		return STORE_ERROR;
	for (i = 0; i < PQntuples(r); i++) {
		e.id = store_pg_int(r, i, 0);
		e.at = store_pg_int(r, i, 1);
		e.success = strcmp(store_pg_text(r, i, 2), "success") == 0;
		e.txid = store_pg_text_or_null(r, i, 3);
		e.serial = store_pg_text_or_null(r, i, 4);
		e.thumbprint = store_pg_text_or_null(r, i, 5);
		e.not_after = store_pg_int(r, i, 6);
		e.issuer = store_pg_text_or_null(r, i, 7);
		e.device_id = store_pg_text_or_null(r, i, 8);
		e.code = store_pg_text_or_null(r, i, 9);
		e.description = store_pg_text_or_null(r, i, 10);
		if (fn(&e, arg) != 0)
			break;
	}
	PQclear(r);
	return STORE_OK;
}

enum store_rc
store_pg_outbox_write(struct store *s, const struct store_notice *n,
    int64_t now)
{
	struct pg_params	 p = { 0 };

	pg_text(&p, n->txid);
	pg_opt(&p, n->serial);
	pg_text(&p, n->action);
	pg_text(&p, n->body);
	pg_int(&p, n->created_at ? n->created_at : now);
	if (n->tried_at > 0)
		pg_int(&p, n->tried_at);
	else
		pg_text(&p, NULL);
	pg_int(&p, n->tries);
	pg_opt(&p, n->last_error);
	return store_pg_do(s, "INSERT INTO outbox (transaction_id, serial, "
	    "action, body, created_at, tried_at, tries, last_error) VALUES "
	    "($1, $2, $3, $4, $5, $6, $7, $8)", &p, NULL) == 0 ? STORE_OK :
	    STORE_ERROR;
}

static enum store_rc
add_body(struct store *s, void *arg)
{
	return store_pg_outbox_write(s, arg, util_now());
}

enum store_rc
store_pg_outbox_add(struct store *s, const struct store_notice *n)
{
	if (n->txid == NULL || n->action == NULL || n->body == NULL)
		return STORE_ERROR;
	return store_pg_tx(s, add_body, (void *)(uintptr_t)n);
}

/* Calls fn for each notice sql selects; NOT_FOUND when a lookup by
 * serial finds none. */
static enum store_rc
each(struct store *s, const char *sql, const char *serial,
    int (*fn)(const struct store_notice *, void *), void *arg)
{
	struct pg_params	 p = { 0 };
	struct store_notice	 n;
	PGresult		*r;
	enum store_rc		 rc;
	int			 i;

	if (serial != NULL)
		pg_text(&p, serial);
	if ((r = store_pg_query(s, sql, &p)) == NULL)
		return STORE_ERROR;
	rc = PQntuples(r) > 0 || serial == NULL ? STORE_OK : STORE_NOT_FOUND;
	for (i = 0; i < PQntuples(r); i++) {
		n.id = store_pg_int(r, i, 0);
		n.txid = store_pg_text(r, i, 1);
		n.serial = store_pg_text_or_null(r, i, 2);
		n.action = store_pg_text(r, i, 3);
		n.body = store_pg_text(r, i, 4);
		n.created_at = store_pg_int(r, i, 5);
		n.tried_at = store_pg_int(r, i, 6);
		n.tries = (int)store_pg_int(r, i, 7);
		n.last_error = store_pg_text(r, i, 8);
		if (fn(&n, arg) != 0)
			break;
	}
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_outbox_find(struct store *s, const char *serial,
    int (*fn)(const struct store_notice *, void *), void *arg)
{
	return each(s, OUTBOX_COLUMNS " WHERE serial = $1 ORDER BY id LIMIT 1",
	    serial, fn, arg);
}

enum store_rc
store_pg_outbox_list(struct store *s,
    int (*fn)(const struct store_notice *, void *), void *arg)
{
	return each(s, OUTBOX_COLUMNS " ORDER BY id", NULL, fn, arg);
}

/* A statement on one notice, outside a transaction: OK when it touched
 * the row, NOT_FOUND when the row had gone. */
static enum store_rc
on_notice(struct store *s, const char *sql, const struct pg_params *p)
{
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = store_pg_query(s, sql, p)) == NULL)
		return STORE_ERROR;
	rc = strcmp(PQcmdTuples(r), "1") == 0 ? STORE_OK : STORE_NOT_FOUND;
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_outbox_sent(struct store *s, int64_t id)
{
	struct pg_params	 p = { 0 };

	pg_int(&p, id);
	return on_notice(s, "DELETE FROM outbox WHERE id = $1", &p);
}

enum store_rc
store_pg_outbox_failed(struct store *s, int64_t id, int64_t at,
    const char *error)
{
	struct pg_params	 p = { 0 };

	pg_int(&p, id);
	pg_int(&p, at);
	pg_opt(&p, error);
	return on_notice(s, "UPDATE outbox SET tries = tries + 1, tried_at = "
	    "$2, last_error = $3 WHERE id = $1", &p);
}
