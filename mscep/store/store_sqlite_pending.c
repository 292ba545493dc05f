/*
 * store_pending.c - requests a template holds for an administrator
 * ("Issuance Requirements: CA certificate manager approval"). The policy's
 * claim is consumed when the request is recorded, so a password or a
 * challenge cannot be spent again while the request waits.
 */
#include "store/store.h"
#include "store/store_sqlite.h"

#include <stdio.h>
#include <string.h>

#include "util/util.h"

#define PENDING_COLUMNS "SELECT id, transaction_id, key_id, template, " \
	"subject, sans, requester, device_id, sid, subject_der, csr, " \
	"created_at, expires_at, status, serial FROM pending"

static void
read_pending(sqlite3_stmt *q, int64_t now, struct pending_req *p)
{
	p->id = sqlite3_column_int64(q, 0);
	p->txid = store_sqlite_text(q, 1);
	p->key_id = store_sqlite_text(q, 2);
	p->template_name = store_sqlite_text(q, 3);
	p->subject = store_sqlite_text(q, 4);
	p->sans = store_sqlite_text(q, 5);
	p->requester = store_sqlite_text(q, 6);
	p->device_id = store_sqlite_text(q, 7);
	p->sid = store_sqlite_text(q, 8);
	p->subject_der = sqlite3_column_blob(q, 9);
	p->subject_der_len = (size_t)sqlite3_column_bytes(q, 9);
	p->csr = sqlite3_column_blob(q, 10);
	p->csr_len = (size_t)sqlite3_column_bytes(q, 10);
	p->created_at = sqlite3_column_int64(q, 11);
	p->expires_at = sqlite3_column_int64(q, 12);
	p->status = store_sqlite_text(q, 13);
	/* Expired requests are marked only where a write happens anyway
	 * (list, decide); a lookup on the enrollment path only reads. */
	if (strcmp(p->status, "pending") == 0 && p->expires_at <= now)
		p->status = "expired";
	p->serial = store_sqlite_text(q, 14);
}

/* Requests past their time are marked, so every reader sees "expired". */
static int
expire(sqlite3 *db, int64_t now)
{
	sqlite3_stmt	*q = NULL;
	int		 step = SQLITE_ERROR;

	if (sqlite3_prepare_v2(db, "UPDATE pending SET status = 'expired', "
	    "decided_at = ?1 WHERE status = 'pending' AND expires_at <= ?1",
	    -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, now);
		step = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	return step == SQLITE_DONE ? 0 : -1;
}

static enum store_rc
insert_pending(sqlite3 *db, const struct pending_req *p, int64_t now)
{
	sqlite3_stmt	*q = NULL;
	int		 step = SQLITE_ERROR;

	if (sqlite3_prepare_v2(db, "INSERT INTO pending (transaction_id, "
	    "key_id, template, subject, sans, requester, device_id, sid, "
	    "subject_der, csr, created_at, expires_at) "
	    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1, &q, NULL) != SQLITE_OK)
		return STORE_ERROR;
	sqlite3_bind_text(q, 1, p->txid, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, p->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, p->template_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, p->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, p->sans, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, p->requester, -1, SQLITE_STATIC);
	store_sqlite_bind_opt_text(q, 7, p->device_id);
	store_sqlite_bind_opt_text(q, 8, p->sid);
	if (p->subject_der != NULL)
		sqlite3_bind_blob(q, 9, p->subject_der,
		    (int)p->subject_der_len, SQLITE_STATIC);
	sqlite3_bind_blob(q, 10, p->csr, (int)p->csr_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 11, now);
	sqlite3_bind_int64(q, 12, p->expires_at);
	step = sqlite3_step(q);
	sqlite3_finalize(q);
	if (step == SQLITE_CONSTRAINT)
		return STORE_TXID_TAKEN;
	return step == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

enum store_rc
store_sqlite_pending_add(struct store *s, const struct pending_req *p,
    const struct store_claim *claim)
{
	sqlite3		*db = store_sqlite_db(s);
	int64_t		 now = util_now();
	enum store_rc	 rc;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return STORE_ERROR;
	if ((rc = store_sqlite_consume_claim(s, claim, now)) == STORE_OK)
		rc = insert_pending(db, p, now);
	return store_sqlite_end(db, rc);
}

/* Calls fn for each row of sql (?1 = the bound value); NOT_FOUND if none. */
static enum store_rc
each_pending(struct store *s, const char *sql, const char *key, int64_t id,
    int64_t now, int (*fn)(const struct pending_req *, void *), void *arg)
{
	sqlite3		*db = store_sqlite_db(s);
	sqlite3_stmt	*q = NULL;
	struct pending_req p;
	enum store_rc	 rc = STORE_NOT_FOUND;
	int		 step;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return STORE_ERROR;
	if (key != NULL)
		sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(q, 1, id);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		read_pending(q, now, &p);
		rc = STORE_OK;
		if (fn(&p, arg) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERROR;
	sqlite3_finalize(q);
	return rc;
}

enum store_rc
store_sqlite_pending_find(struct store *s, const char *txid, int64_t now,
    int (*fn)(const struct pending_req *, void *), void *arg)
{
	return each_pending(s, PENDING_COLUMNS " WHERE transaction_id = ?1",
	    txid, 0, now, fn, arg);
}

enum store_rc
store_sqlite_pending_get(struct store *s, int64_t id, int64_t now,
    int (*fn)(const struct pending_req *, void *), void *arg)
{
	return each_pending(s, PENDING_COLUMNS " WHERE id = ?1", NULL, id, now,
	    fn, arg);
}

enum store_rc
store_sqlite_pending_list(struct store *s, int64_t now,
    int (*fn)(const struct pending_req *, void *), void *arg)
{
	enum store_rc	 rc;

	if (expire(store_sqlite_db(s), now) != 0)
		return STORE_ERROR;
	rc = each_pending(s, PENDING_COLUMNS " WHERE status = 'pending' AND "
	    "id > ?1 ORDER BY id", NULL, 0, now, fn, arg);
	return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

enum store_rc
store_sqlite_pending_decide(struct store *s, int64_t id, int64_t now,
    const struct store_cert *cert, const struct store_event *ev,
    int64_t keep_after)
{
	sqlite3		*db = store_sqlite_db(s);
	sqlite3_stmt	*q = NULL;
	enum store_rc	 rc = STORE_ERROR;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return STORE_ERROR;
	if (expire(db, now) != 0 || sqlite3_prepare_v2(db, "UPDATE pending "
	    "SET status = ?2, decided_at = ?3, serial = ?4 WHERE id = ?1 AND "
	    "status = 'pending'", -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_text(q, 2, cert ? "approved" : "denied", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now);
	store_sqlite_bind_opt_text(q, 4, cert ? cert->serial : NULL);
	if (sqlite3_step(q) != SQLITE_DONE)
		goto out;
	if (sqlite3_changes(db) != 1)
		rc = STORE_NOT_PENDING;
	else
		rc = cert ? store_sqlite_insert_cert(s, cert, now) : STORE_OK;
	if (rc == STORE_OK && ev != NULL)
		rc = store_sqlite_event_write(s, ev, keep_after);
out:
	sqlite3_finalize(q);
	return store_sqlite_end(db, rc);
}
