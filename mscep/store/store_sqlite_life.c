/*
 * store_life.c - the certificate lifecycle in the store: revocation,
 * listing, what a CRL or an OCSP answer is built from, and requests
 * waiting for an administrator's approval.
 */
#include "store/store.h"
#include "store/store_sqlite.h"

#include <stdio.h>
#include <string.h>

static int
begin(sqlite3 *db)
{
	return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK ? 0 : -1;
}

enum store_rc
store_sqlite_end(sqlite3 *db, enum store_rc rc)
{
	if (rc == STORE_OK &&
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return STORE_OK;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc == STORE_OK ? STORE_ERROR : rc;
}

const char *
store_sqlite_text(sqlite3_stmt *q, int col)
{
	const char	*t = (const char *)sqlite3_column_text(q, col);

	return t != NULL ? t : "";
}

/* Runs sql (no rows) with ?1 = at, ?2 = reason, ?3 = serial. */
static int
run(sqlite3 *db, const char *sql, int64_t at, int reason, const char *serial)
{
	sqlite3_stmt	*q = NULL;
	int		 step = SQLITE_ERROR;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, at);
		sqlite3_bind_int(q, 2, reason);
		if (serial != NULL)
			sqlite3_bind_text(q, 3, serial, -1, SQLITE_STATIC);
		step = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	return step == SQLITE_DONE ? 0 : -1;
}

enum store_rc
store_sqlite_revoke(struct store *s, const char *serial, int reason,
    int64_t at,
    int *already)
{
	sqlite3		*db = store_sqlite_db(s);
	struct cert_row	 row;
	enum store_rc	 rc;

	*already = 0;
	if (begin(db) != 0)
		return STORE_ERROR;
	if ((rc = store_sqlite_cert_status(s, serial, &row)) == STORE_OK) {
		if (row.revoked)
			*already = 1;
		else if (run(db, "UPDATE certificates SET status = 'revoked', "
		    "revoked_at = ?1, revoke_reason = ?2 WHERE serial = ?3",
		    at, reason, serial) != 0 || store_sqlite_crl_touch(s) != 0)
			rc = STORE_ERROR;
	}
	return store_sqlite_end(db, rc);
}

/* " AND ..." for each field the filter sets, with named parameters. */
static int
filter_sql(const struct cert_filter *f, char *out, size_t len)
{
	static const char *const by_status[] = { "",
	    " AND status = 'issued' AND not_after > :now",
	    " AND status = 'revoked'",
	    " AND status = 'issued' AND not_after <= :now" };
	int	 n;

	if (f->status < 0 || f->status > 3)
		return -1;
	n = snprintf(out, len, "%s%s%s%s%s%s", by_status[f->status],
	    f->serial ? " AND serial = :serial" : "",
	    f->subject == NULL ? "" : f->subject_also == NULL ?
	    " AND subject = :subject" :
	    " AND (subject = :subject OR subject = :subject2)",
	    f->device_id ? " AND device_id = :device" : "",
	    f->template_name ? " AND template = :template" : "",
	    f->expires_before ? " AND not_after < :before" : "");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void
bind_name(sqlite3_stmt *q, const char *name, const char *v)
{
	int	 i = sqlite3_bind_parameter_index(q, name);

	if (i > 0 && v != NULL)
		sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
}

static sqlite3_stmt *
prepare_filtered(sqlite3 *db, const char *head, const char *tail,
    const struct cert_filter *f)
{
	sqlite3_stmt	*q = NULL;
	char		 where[512], sql[1024];
	int		 i;

	if (filter_sql(f, where, sizeof(where)) != 0 ||
	    snprintf(sql, sizeof(sql), "%s WHERE 1%s%s", head, where, tail) >=
	    (int)sizeof(sql) ||
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return NULL;
	bind_name(q, ":serial", f->serial);
	bind_name(q, ":subject", f->subject);
	bind_name(q, ":subject2", f->subject_also);
	bind_name(q, ":device", f->device_id);
	bind_name(q, ":template", f->template_name);
	if ((i = sqlite3_bind_parameter_index(q, ":now")) > 0)
		sqlite3_bind_int64(q, i, f->now);
	if ((i = sqlite3_bind_parameter_index(q, ":before")) > 0)
		sqlite3_bind_int64(q, i, f->expires_before);
	return q;
}

enum store_rc
store_sqlite_revoke_where(struct store *s, const struct cert_filter *f,
    int reason,
    int64_t at, int64_t *count)
{
	sqlite3		*db = store_sqlite_db(s);
	sqlite3_stmt	*q;
	enum store_rc	 rc = STORE_ERROR;
	char		 head[160];

	*count = 0;
	/* Revoking "everything issued" is never what a bulk request means. */
	if (f->serial == NULL && f->subject == NULL && f->device_id == NULL &&
	    f->template_name == NULL)
		return STORE_ERROR;
	snprintf(head, sizeof(head), "UPDATE certificates SET status = "
	    "'revoked', revoked_at = %lld, revoke_reason = %d", (long long)at,
	    reason);
	if (begin(db) != 0)
		return STORE_ERROR;
	if ((q = prepare_filtered(db, head, " AND status = 'issued'", f)) !=
	    NULL && sqlite3_step(q) == SQLITE_DONE) {
		*count = sqlite3_changes(db);
		rc = *count == 0 || store_sqlite_crl_touch(s) == 0 ? STORE_OK :
		    STORE_ERROR;
	}
	sqlite3_finalize(q);
	return store_sqlite_end(db, rc);
}

static void
read_row(sqlite3_stmt *q, struct cert_row *r)
{
	r->serial = store_sqlite_text(q, 0);
	r->subject = store_sqlite_text(q, 1);
	r->sans = store_sqlite_text(q, 2);
	r->template_name = store_sqlite_text(q, 3);
	r->device_id = store_sqlite_text(q, 4);
	r->not_before = sqlite3_column_int64(q, 5);
	r->not_after = sqlite3_column_int64(q, 6);
	r->revoked = strcmp(store_sqlite_text(q, 7), "revoked") == 0;
	r->revoked_at = sqlite3_column_int64(q, 8);
	r->reason = sqlite3_column_int(q, 9);
}

#define ROW_COLUMNS "SELECT serial, subject, sans, template, device_id, " \
	"not_before, not_after, status, revoked_at, revoke_reason " \
	"FROM certificates"

static enum store_rc
each_row(sqlite3_stmt *q, int (*fn)(const struct cert_row *, void *),
    void *arg)
{
	struct cert_row	 r;
	int		 step;

	if (q == NULL)
		return STORE_ERROR;
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		read_row(q, &r);
		if (fn(&r, arg) != 0)
			break;
	}
	sqlite3_finalize(q);
	return step == SQLITE_ROW || step == SQLITE_DONE ? STORE_OK :
	    STORE_ERROR;
}

enum store_rc
store_sqlite_list(struct store *s, const struct cert_filter *f,
    int (*fn)(const struct cert_row *, void *), void *arg)
{
	return each_row(prepare_filtered(store_sqlite_db(s), ROW_COLUMNS,
	    " ORDER BY issued_at, serial", f), fn, arg);
}

enum store_rc
store_sqlite_cert_status(struct store *s, const char *serial,
    struct cert_row *r)
{
	sqlite3_stmt	*q = NULL;
	enum store_rc	 rc = STORE_ERROR;
	int		 step;

	memset(r, 0, sizeof(*r));
	if (sqlite3_prepare_v2(store_sqlite_db(s), "SELECT status, revoked_at, "
	    "revoke_reason, not_after, ca_key FROM certificates WHERE "
	    "serial = ?", -1, &q, NULL) != SQLITE_OK)
		return STORE_ERROR;
	sqlite3_bind_text(q, 1, serial, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(q)) == SQLITE_ROW) {
		r->serial = serial;
		r->revoked = strcmp(store_sqlite_text(q, 0), "revoked") == 0;
		r->revoked_at = sqlite3_column_int64(q, 1);
		r->reason = sqlite3_column_int(q, 2);
		r->not_after = sqlite3_column_int64(q, 3);
		snprintf(r->ca_key, sizeof(r->ca_key), "%s",
		    store_sqlite_text(q, 4));
		rc = STORE_OK;
	} else if (step == SQLITE_DONE)
		rc = STORE_NOT_FOUND;
	sqlite3_finalize(q);
	return rc;
}

enum store_rc
store_sqlite_revoked(struct store *s, const char *ca_key,
    int (*fn)(const struct cert_row *, void *), void *arg)
{
	sqlite3_stmt	*q = NULL;

	/* Rows from before version 3 have no CA key: the only CA then. */
	if (sqlite3_prepare_v2(store_sqlite_db(s), ROW_COLUMNS " WHERE status = "
	    "'revoked' AND (ca_key = ?1 OR ca_key = '')", -1, &q, NULL) !=
	    SQLITE_OK)
		return STORE_ERROR;
	sqlite3_bind_text(q, 1, ca_key, -1, SQLITE_STATIC);
	return each_row(q, fn, arg);
}

static int64_t
meta_get(sqlite3 *db, const char *name)
{
	sqlite3_stmt	*q = NULL;
	int64_t		 v = -1;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = ?", -1,
	    &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			v = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	return v;
}

int
store_sqlite_crl_dirty(struct store *s)
{
	int64_t	 v = meta_get(store_sqlite_db(s), "crl_dirty");

	return v < 0 ? -1 : v != 0;
}

int64_t
store_sqlite_crl_wanted(struct store *s)
{
	sqlite3_stmt	*q = NULL;
	int64_t		 v = -1;

	if (sqlite3_prepare_v2(store_sqlite_db(s), "SELECT coalesce((SELECT "
	    "value FROM meta WHERE name = 'crl_wanted'), 0)", -1, &q,
	    NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

enum store_rc
store_sqlite_crl_mark_dirty(struct store *s)
{
	return store_sqlite_crl_touch(s) == 0 ? STORE_OK : STORE_ERROR;
}

enum store_rc
store_sqlite_crl_next(struct store *s, int count, int64_t *first)
{
	sqlite3		*db = store_sqlite_db(s);
	sqlite3_stmt	*q = NULL;
	enum store_rc	 rc = STORE_ERROR;
	int64_t		 last;

	if (count < 1 || begin(db) != 0)
		return STORE_ERROR;
	if (sqlite3_prepare_v2(db, "UPDATE meta SET value = value + ?1 WHERE "
	    "name = 'crl_number'", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_bind_int(q, 1, count) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_DONE &&
	    sqlite3_exec(db, "UPDATE meta SET value = 0 WHERE name = "
	    "'crl_dirty'", NULL, NULL, NULL) == SQLITE_OK &&
	    (last = meta_get(db, "crl_number")) >= count) {
		*first = last - count + 1;
		rc = STORE_OK;
	}
	sqlite3_finalize(q);
	return store_sqlite_end(db, rc);
}

/* One read transaction: seven counts that agree with each other. */
enum store_rc
store_sqlite_stats(struct store *s, int64_t now, struct store_stats *st)
{
	sqlite3_stmt	*q = NULL;
	enum store_rc	 rc = STORE_ERROR;

	memset(st, 0, sizeof(*st));
	if (sqlite3_prepare_v2(store_sqlite_db(s), "SELECT "
	    "(SELECT count(*) FROM certificates), "
	    "(SELECT count(*) FROM certificates WHERE status = 'revoked'), "
	    "(SELECT count(*) FROM certificates WHERE status = 'issued' AND "
	    "not_after > ?1), "
	    "(SELECT count(*) FROM pending WHERE status = 'pending' AND "
	    "expires_at > ?1), "
	    "(SELECT count(*) FROM passwords WHERE single = 0 AND "
	    "expires_at > ?1), "
	    "(SELECT count(*) FROM outbox), "
	    "(SELECT coalesce(max(issued_at), 0) FROM certificates)", -1, &q,
	    NULL) == SQLITE_OK && sqlite3_bind_int64(q, 1, now) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW) {
		st->certs = sqlite3_column_int64(q, 0);
		st->revoked = sqlite3_column_int64(q, 1);
		st->valid = sqlite3_column_int64(q, 2);
		st->pending = sqlite3_column_int64(q, 3);
		st->passwords = sqlite3_column_int64(q, 4);
		st->outbox = sqlite3_column_int64(q, 5);
		st->last_issued = sqlite3_column_int64(q, 6);
		rc = STORE_OK;
	}
	sqlite3_finalize(q);
	return rc;
}
