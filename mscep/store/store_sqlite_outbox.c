/*
 * store_sqlite_outbox.c - notifications owed to the service that vouched
 * for a request, in SQLite: written with the certificate they announce
 * (store_sqlite_insert_cert) or on their own, read back by the
 * certificate's serial or all at once, and dropped once acknowledged.
 */
#include "store/store.h"
#include "store/store_sqlite.h"

#include <stdio.h>
#include <string.h>

#include "util/util.h"

#define OUTBOX_COLUMNS "SELECT id, transaction_id, serial, action, body, " \
	"created_at, tried_at, tries, last_error FROM outbox"

enum store_rc
store_sqlite_outbox_write(struct store *st, const struct store_notice *n,
    int64_t now)
{
	sqlite3_stmt	*q = NULL;
	int		 step = SQLITE_ERROR;

	if (sqlite3_prepare_v2(store_sqlite_db(st), "INSERT INTO outbox "
	    "(transaction_id, serial, action, body, created_at, tried_at, "
	    "tries, last_error) VALUES (?,?,?,?,?,?,?,?)", -1, &q, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(q, 1, n->txid, -1, SQLITE_STATIC);
		store_sqlite_bind_opt_text(q, 2, n->serial);
		sqlite3_bind_text(q, 3, n->action, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, n->body, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5, n->created_at ? n->created_at : now);
		if (n->tried_at > 0)
			sqlite3_bind_int64(q, 6, n->tried_at);
		else
			sqlite3_bind_null(q, 6);
		sqlite3_bind_int(q, 7, n->tries);
		store_sqlite_bind_opt_text(q, 8, n->last_error);
		step = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	return step == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

enum store_rc
store_sqlite_outbox_add(struct store *st, const struct store_notice *n)
{
	if (n->txid == NULL || n->action == NULL || n->body == NULL)
		return STORE_ERROR;
	return store_sqlite_outbox_write(st, n, util_now());
}

static void
read_notice(sqlite3_stmt *q, struct store_notice *n)
{
	n->id = sqlite3_column_int64(q, 0);
	n->txid = store_sqlite_text(q, 1);
	n->serial = sqlite3_column_type(q, 2) == SQLITE_NULL ? NULL :
	    store_sqlite_text(q, 2);
	n->action = store_sqlite_text(q, 3);
	n->body = store_sqlite_text(q, 4);
	n->created_at = sqlite3_column_int64(q, 5);
	n->tried_at = sqlite3_column_int64(q, 6);
	n->tries = sqlite3_column_int(q, 7);
	n->last_error = store_sqlite_text(q, 8);
}

/* Runs a query of OUTBOX_COLUMNS (?1: serial, when given); NOT_FOUND
 * when it has no row. */
static enum store_rc
each(struct store *st, const char *sql, const char *serial,
    int (*fn)(const struct store_notice *, void *), void *arg)
{
	sqlite3_stmt		*q = NULL;
	struct store_notice	 n;
	enum store_rc		 rc = STORE_ERROR;
	int			 step = SQLITE_ERROR, rows = 0;

	if (sqlite3_prepare_v2(store_sqlite_db(st), sql, -1, &q, NULL) !=
	    SQLITE_OK)
		goto out;
	if (serial != NULL)
		sqlite3_bind_text(q, 1, serial, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		rows++;
		read_notice(q, &n);
		if (fn(&n, arg) != 0)
			break;
	}
	if (step == SQLITE_ROW || step == SQLITE_DONE)
		rc = rows > 0 || serial == NULL ? STORE_OK : STORE_NOT_FOUND;
out:
	sqlite3_finalize(q);
	return rc;
}

enum store_rc
store_sqlite_outbox_find(struct store *st, const char *serial,
    int (*fn)(const struct store_notice *, void *), void *arg)
{
	return each(st, OUTBOX_COLUMNS " WHERE serial = ?1 ORDER BY id LIMIT 1",
	    serial, fn, arg);
}

enum store_rc
store_sqlite_outbox_list(struct store *st,
    int (*fn)(const struct store_notice *, void *), void *arg)
{
	return each(st, OUTBOX_COLUMNS " ORDER BY id", NULL, fn, arg);
}

enum store_rc
store_sqlite_outbox_sent(struct store *st, int64_t id)
{
	sqlite3		*db = store_sqlite_db(st);
	sqlite3_stmt	*q = NULL;
	int		 step = SQLITE_ERROR;

	if (sqlite3_prepare_v2(db, "DELETE FROM outbox WHERE id = ?", -1, &q,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, id);
		step = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	if (step != SQLITE_DONE)
		return STORE_ERROR;
	return sqlite3_changes(db) == 1 ? STORE_OK : STORE_NOT_FOUND;
}

enum store_rc
store_sqlite_outbox_failed(struct store *st, int64_t id, int64_t at,
    const char *error)
{
	sqlite3		*db = store_sqlite_db(st);
	sqlite3_stmt	*q = NULL;
	int		 step = SQLITE_ERROR;

	if (sqlite3_prepare_v2(db, "UPDATE outbox SET tries = tries + 1, "
	    "tried_at = ?2, last_error = ?3 WHERE id = ?1", -1, &q, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, at);
		store_sqlite_bind_opt_text(q, 3, error);
		step = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	if (step != SQLITE_DONE)
		return STORE_ERROR;
	return sqlite3_changes(db) == 1 ? STORE_OK : STORE_NOT_FOUND;
}
