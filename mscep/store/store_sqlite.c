/* store.c - SQLite persistence shared by all workers and mscep-admin. */
#include "store/store.h"
#include "store/store_sqlite.h"
#include "store/store_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS certificates ("
	" serial TEXT PRIMARY KEY NOT NULL,"
	" subject TEXT NOT NULL,"
	" sans TEXT NOT NULL DEFAULT '',"
	" template TEXT NOT NULL,"
	" not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'issued'"
	"  CHECK (status IN ('issued','revoked')),"
	" der BLOB NOT NULL,"
	" transaction_id TEXT NOT NULL,"
	" key_id TEXT NOT NULL,"
	" issued_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS transactions ("
	" transaction_id TEXT PRIMARY KEY NOT NULL,"
	" key_id TEXT NOT NULL,"
	" message_type INTEGER NOT NULL,"
	" status TEXT NOT NULL,"
	" serial TEXT NOT NULL REFERENCES certificates(serial),"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS passwords ("
	" hash TEXT PRIMARY KEY NOT NULL,"
	" single INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER);"
	/* Intune-style challenge nonces: a blob enrolls once, ever. */
	"CREATE TABLE IF NOT EXISTS challenge_nonces ("
	" nonce TEXT PRIMARY KEY NOT NULL,"
	" used_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	/* What the Intune connector reports back, one row per outcome. */
	"CREATE TABLE IF NOT EXISTS events ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" at INTEGER NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('success','failure')),"
	" transaction_id TEXT NOT NULL,"
	" serial TEXT, thumbprint TEXT, not_after INTEGER, issuer TEXT,"
	" device_id TEXT, code TEXT NOT NULL, description TEXT);"
	"CREATE INDEX IF NOT EXISTS events_at ON events(at);";

/*
 * Version 3 (lifecycle): revocation, the device a certificate was
 * issued to, which CA key signed it, requests waiting for approval and the
 * CRL counters. Applied once, inside BEGIN IMMEDIATE, to new and version 2
 * stores alike.
 */
static const char schema_v3[] =
	"ALTER TABLE certificates ADD COLUMN device_id TEXT;"
	"ALTER TABLE certificates ADD COLUMN ca_key TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE certificates ADD COLUMN revoked_at INTEGER;"
	"ALTER TABLE certificates ADD COLUMN revoke_reason INTEGER;"
	"CREATE INDEX IF NOT EXISTS certificates_revoked ON "
	" certificates(ca_key, serial) WHERE status = 'revoked';"
	"CREATE INDEX IF NOT EXISTS certificates_device ON "
	" certificates(device_id);"
	"CREATE INDEX IF NOT EXISTS certificates_subject ON "
	" certificates(subject);"
	"CREATE TABLE IF NOT EXISTS pending ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" transaction_id TEXT NOT NULL UNIQUE,"
	" key_id TEXT NOT NULL,"
	" template TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" sans TEXT NOT NULL DEFAULT '',"
	" requester TEXT NOT NULL DEFAULT '',"
	" device_id TEXT,"
	" sid TEXT,"
	" subject_der BLOB,"
	" csr BLOB NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (status IN ('pending','approved','denied','expired')),"
	" decided_at INTEGER,"
	" serial TEXT);"
	"CREATE TABLE IF NOT EXISTS meta ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" value INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO meta VALUES ('crl_number', 0), ('crl_dirty', 1);"
	"PRAGMA user_version=3;";

/*
 * Version 4: the outbox, notifications owed to the service that vouched
 * for a request (Intune), each written in the transaction that records
 * the certificate it announces. Applied once, after version 3.
 */
static const char schema_v4[] =
	"CREATE TABLE IF NOT EXISTS outbox ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" transaction_id TEXT NOT NULL,"
	" serial TEXT REFERENCES certificates(serial),"
	" action TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" tried_at INTEGER,"
	" tries INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT);"
	"CREATE INDEX IF NOT EXISTS outbox_serial ON outbox(serial);"
	"PRAGMA user_version=4;";

enum stmt_id {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_FIND_TXN, S_INSERT_CERT, S_INSERT_TXN, S_CERT_BY_SERIAL,
	S_COUNT_CERTS, S_PW_PURGE, S_PW_COUNT, S_PW_INSERT, S_PW_DEL_SINGLE,
	S_PW_LOOKUP, S_PW_CONSUME, S_PW_SINGLE_OK,
	S_NONCE_INSERT, S_NONCE_LOOKUP, S_NONCE_PURGE, S_EVENT_INSERT,
	S_EVENT_LIST, S_EVENT_PURGE,
	S_COUNT
};

static const char *const sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_FIND_TXN] = "SELECT t.key_id, c.der FROM transactions t JOIN "
	    "certificates c ON c.serial = t.serial WHERE t.transaction_id = ?",
	[S_INSERT_CERT] = "INSERT INTO certificates (serial, subject, sans, "
	    "template, not_before, not_after, der, transaction_id, key_id, "
	    "issued_at, device_id, ca_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_INSERT_TXN] = "INSERT INTO transactions (transaction_id, key_id, "
	    "message_type, status, serial, created_at) "
	    "VALUES (?,?,19,'issued',?,?)",
	[S_CERT_BY_SERIAL] = "SELECT der FROM certificates WHERE serial = ?",
	[S_COUNT_CERTS] = "SELECT count(*) FROM certificates",
	[S_PW_PURGE] = "DELETE FROM passwords WHERE single = 0 AND "
	    "expires_at <= ?",
	[S_PW_COUNT] = "SELECT count(*) FROM passwords WHERE single = 0",
	[S_PW_INSERT] = "INSERT INTO passwords (hash, single, created_at, "
	    "expires_at) VALUES (?,?,?,?)",
	[S_PW_DEL_SINGLE] = "DELETE FROM passwords WHERE single = 1",
	[S_PW_LOOKUP] = "SELECT single FROM passwords WHERE hash = ? AND "
	    "(single = 1 OR expires_at > ?)",
	[S_PW_CONSUME] = "DELETE FROM passwords WHERE hash = ? AND "
	    "single = 0 AND expires_at > ?",
	[S_PW_SINGLE_OK] = "SELECT 1 FROM passwords WHERE hash = ? AND "
	    "single = 1",
	[S_NONCE_INSERT] = "INSERT INTO challenge_nonces (nonce, used_at, "
	    "expires_at) VALUES (?,?,?)",
	[S_NONCE_LOOKUP] = "SELECT 1 FROM challenge_nonces WHERE nonce = ?",
	[S_NONCE_PURGE] = "DELETE FROM challenge_nonces WHERE expires_at < ?",
	[S_EVENT_INSERT] = "INSERT INTO events (at, kind, transaction_id, "
	    "serial, thumbprint, not_after, issuer, device_id, code, "
	    "description) VALUES (?,?,?,?,?,?,?,?,?,?)",
	[S_EVENT_PURGE] = "DELETE FROM events WHERE at < ?",
	[S_EVENT_LIST] = "SELECT id, at, kind, transaction_id, serial, "
	    "thumbprint, not_after, issuer, device_id, code, description "
	    "FROM events WHERE at >= ? ORDER BY id",
};

struct sqlite_store {
	struct store	 base;		/* first: what store.c hands */
	sqlite3		*db;
	sqlite3_stmt	*st[S_COUNT];
	struct timespec	 busy_since;
};

sqlite3 *
store_sqlite_db(struct store *st)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	return s->db;
}

/*
 * How long a worker waits for another one's write transaction, and how
 * often it looks. SQLite's own handler (sqlite3_busy_timeout) sleeps 1, 2,
 * 5, 10, ... 100 ms between tries, while a commit holds the lock for about
 * one fsync: under load workers slept many times longer than the lock was
 * held, with the CPU idle (make bench: p99 100 ms at 4 workers).
 */
#define BUSY_TIMEOUT_MS	30000
#define BUSY_NAP_NS	100000L

static int
busy_retry(void *arg, int tries)
{
	struct sqlite_store	*s = arg;
	struct timespec	 now, nap = { 0, BUSY_NAP_NS };
	long long	 ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (tries == 0)
		s->busy_since = now;
	ms = (long long)(now.tv_sec - s->busy_since.tv_sec) * 1000 +
	    (now.tv_nsec - s->busy_since.tv_nsec) / 1000000;
	if (ms >= BUSY_TIMEOUT_MS)
		return 0;
	nanosleep(&nap, NULL);
	return 1;
}

static sqlite3_stmt *
stmt(struct sqlite_store *s, enum stmt_id id)
{
	sqlite3_reset(s->st[id]);
	sqlite3_clear_bindings(s->st[id]);
	return s->st[id];
}

static int
exec_simple(struct sqlite_store *s, enum stmt_id id)
{
	int	 rc = sqlite3_step(stmt(s, id));

	sqlite3_reset(s->st[id]);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Brings a new, version 2 or version 3 store to version 4, once, whoever
 * comes first. */
static int
migrate(sqlite3 *db)
{
	sqlite3_stmt	*q = NULL;
	int		 version = -1;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) ==
	    SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (version >= 0 && (version >= 3 ||
	    sqlite3_exec(db, schema_v3, NULL, NULL, NULL) == SQLITE_OK) &&
	    (version >= 4 ||
	    sqlite3_exec(db, schema_v4, NULL, NULL, NULL) == SQLITE_OK) &&
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
store_sqlite_open(const char *path, struct store **out, char *reason,
    size_t rlen)
{
	struct sqlite_store	*s;
	mode_t		 old;
	int		 i;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	old = umask(077);	/* the store is the CA's database */
	i = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	umask(old);
	if (i != SQLITE_OK)
		goto fail;
	sqlite3_busy_handler(s->db, busy_retry, s);
	/* FULL: a certificate a client received must survive a crash. */
	if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    migrate(s->db) != 0 ||
	    sqlite3_exec(s->db, "PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON;", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK)
			goto fail;
	s->base.ops = &store_sqlite_ops;
	*out = &s->base;
	return 0;
fail:
	snprintf(reason, rlen, "store %s: %s", path,
	    s->db ? sqlite3_errmsg(s->db) : "cannot open");
	store_sqlite_close(&s->base);
	return -1;
}

void
store_sqlite_close(struct store *st)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	int	 i;

	if (s == NULL)
		return;
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

const char *
store_sqlite_errmsg(struct store *st)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	return sqlite3_errmsg(s->db);
}

static int
copy_blob(sqlite3_stmt *q, int col, struct buf *out)
{
	return buf_append(out, sqlite3_column_blob(q, col),
	    (size_t)sqlite3_column_bytes(q, col));
}

enum store_rc
store_sqlite_find_txn(struct store *st, const char *txid, const char *key_id,
    struct buf *der)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	sqlite3_stmt	*q = stmt(s, S_FIND_TXN);
	enum store_rc	 rc = STORE_NOT_FOUND;
	int		 step;

	sqlite3_bind_text(q, 1, txid, -1, SQLITE_STATIC);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		if (strcmp((const char *)sqlite3_column_text(q, 0), key_id))
			rc = STORE_TXID_TAKEN;
		else
			rc = copy_blob(q, 1, der) == 0 ? STORE_OK : STORE_ERROR;
	} else if (step != SQLITE_DONE)
		rc = STORE_ERROR;
	sqlite3_reset(q);
	return rc;
}

static int step_done(sqlite3_stmt *);

int
store_sqlite_crl_touch(struct store *st)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	/* crl_wanted: the next CRL number, which every host's CRL must
	 * reach (a row of its own: stores made before it have none). */
	return sqlite3_exec(s->db, "UPDATE meta SET value = 1 WHERE name = "
	    "'crl_dirty'; INSERT OR REPLACE INTO meta SELECT 'crl_wanted', "
	    "value + 1 FROM meta WHERE name = 'crl_number'", NULL, NULL,
	    NULL) == SQLITE_OK ? 0 : -1;
}

/* A renewal stands on a certificate that is still unrevoked when the new
 * one is recorded; superseding it is part of the same transaction. */
static enum store_rc
renew_claim(struct sqlite_store *s, const struct store_claim *c, int64_t now)
{
	sqlite3_stmt	*q = NULL;
	enum store_rc	 rc = STORE_ERROR;
	int		 step;

	if (sqlite3_prepare_v2(s->db, c->supersede ?
	    "UPDATE certificates SET status = 'revoked', revoked_at = ?2, "
	    "revoke_reason = 4 WHERE serial = ?1 AND status = 'issued'" :
	    "SELECT 1 FROM certificates WHERE serial = ?1 AND "
	    "status = 'issued'", -1, &q, NULL) != SQLITE_OK)
		return STORE_ERROR;
	sqlite3_bind_text(q, 1, c->key, -1, SQLITE_STATIC);
	if (c->supersede)
		sqlite3_bind_int64(q, 2, now);
	step = sqlite3_step(q);
	if (c->supersede && step == SQLITE_DONE)
		rc = sqlite3_changes(s->db) == 1 ? STORE_OK :
		    STORE_CLAIM_REFUSED;
	else if (!c->supersede && (step == SQLITE_ROW || step == SQLITE_DONE))
		rc = step == SQLITE_ROW ? STORE_OK : STORE_CLAIM_REFUSED;
	sqlite3_finalize(q);
	if (rc == STORE_OK && c->supersede &&
	    store_sqlite_crl_touch(&s->base) != 0)
		rc = STORE_ERROR;
	return rc;
}

enum store_rc
store_sqlite_consume_claim(struct store *st, const struct store_claim *c,
    int64_t now)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	sqlite3_stmt	*q;
	int		 step;

	switch (c->kind) {
	case CLAIM_NONE:
		return STORE_OK;
	case CLAIM_OTP:
		q = stmt(s, S_PW_CONSUME);
		sqlite3_bind_text(q, 1, c->key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, now);
		step = sqlite3_step(q);
		sqlite3_reset(q);
		if (step != SQLITE_DONE)
			return STORE_ERROR;
		return sqlite3_changes(s->db) == 1 ? STORE_OK :
		    STORE_CLAIM_REFUSED;
	case CLAIM_SINGLE_PASSWORD:
		q = stmt(s, S_PW_SINGLE_OK);
		sqlite3_bind_text(q, 1, c->key, -1, SQLITE_STATIC);
		step = sqlite3_step(q);
		sqlite3_reset(q);
		if (step == SQLITE_ROW)
			return STORE_OK;
		return step == SQLITE_DONE ? STORE_CLAIM_REFUSED : STORE_ERROR;
	case CLAIM_NONCE:
		/* A blob past expiry (and the largest ClockSkewSeconds) is
		 * refused before its nonce is looked at: forget those. */
		q = stmt(s, S_NONCE_PURGE);
		sqlite3_bind_int64(q, 1, now - 86400);
		if (step_done(q) != 0)
			return STORE_ERROR;
		/* The primary key is the replay check, across workers. */
		q = stmt(s, S_NONCE_INSERT);
		sqlite3_bind_text(q, 1, c->key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, now);
		sqlite3_bind_int64(q, 3, c->expires);
		step = sqlite3_step(q);
		sqlite3_reset(q);
		if (step == SQLITE_CONSTRAINT && sqlite3_extended_errcode(s->db)
		    == SQLITE_CONSTRAINT_PRIMARYKEY)
			return STORE_CLAIM_REFUSED;
		return step == SQLITE_DONE ? STORE_OK : STORE_ERROR;
	case CLAIM_RENEWAL:
		return renew_claim(s, c, now);
	}
	return STORE_ERROR;
}

void
store_sqlite_bind_opt_text(sqlite3_stmt *q, int col, const char *v)
{
	if (v != NULL && *v != '\0')
		sqlite3_bind_text(q, col, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, col);
}

enum store_rc
store_sqlite_insert_cert(struct store *st, const struct store_cert *c,
    int64_t now)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	sqlite3_stmt	*q = stmt(s, S_INSERT_CERT);
	int		 step;

	sqlite3_bind_text(q, 1, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, c->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, c->sans, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, c->template_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, c->not_before);
	sqlite3_bind_int64(q, 6, c->not_after);
	sqlite3_bind_blob(q, 7, c->der, (int)c->der_len, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, c->txid, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 9, c->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 10, now);
	store_sqlite_bind_opt_text(q, 11, c->device_id);
	sqlite3_bind_text(q, 12, c->ca_key ? c->ca_key : "", -1,
	    SQLITE_STATIC);
	step = sqlite3_step(q);
	sqlite3_reset(q);
	if (step == SQLITE_CONSTRAINT && sqlite3_extended_errcode(s->db) ==
	    SQLITE_CONSTRAINT_PRIMARYKEY)
		return STORE_SERIAL_TAKEN;
	if (step != SQLITE_DONE)
		return STORE_ERROR;
	q = stmt(s, S_INSERT_TXN);
	sqlite3_bind_text(q, 1, c->txid, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, c->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, now);
	step = sqlite3_step(q);
	sqlite3_reset(q);
	if (step == SQLITE_CONSTRAINT && sqlite3_extended_errcode(s->db) ==
	    SQLITE_CONSTRAINT_PRIMARYKEY)
		return STORE_TXID_TAKEN;
	if (step != SQLITE_DONE)
		return STORE_ERROR;
	return c->notice != NULL ? store_sqlite_outbox_write(st, c->notice,
	    now) : STORE_OK;
}

/*
 * Clients that derive the transactionID from the key (micromdm) renew with
 * the same key under the same transactionID: the renewal then answers
 * that transaction, whose certificate it replaces.
 */
static enum store_rc
release_txid(struct sqlite_store *s, const struct store_cert *c,
    const char *old)
{
	sqlite3_stmt	*q = NULL;
	int		 step = SQLITE_ERROR;

	if (sqlite3_prepare_v2(s->db, "DELETE FROM transactions WHERE "
	    "transaction_id = ? AND key_id = ? AND serial = ?", -1, &q, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(q, 1, c->txid, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, c->key_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, old, -1, SQLITE_STATIC);
		step = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	return step == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

enum store_rc
store_sqlite_issue(struct store *st, const struct store_cert *c,
    const struct store_claim *claim)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	int64_t		 now = util_now();
	enum store_rc	 rc;

	if (exec_simple(s, S_BEGIN) != 0)
		return STORE_ERROR;
	if ((rc = store_sqlite_consume_claim(&s->base, claim, now)) ==
	    STORE_OK && claim->kind == CLAIM_RENEWAL)
		rc = release_txid(s, c, claim->key);
	if (rc == STORE_OK)
		rc = store_sqlite_insert_cert(&s->base, c, now);
	if (rc == STORE_OK && c->event != NULL)
		rc = store_sqlite_event_write(&s->base, c->event,
		    c->event_keep_after);
	if (rc == STORE_OK && exec_simple(s, S_COMMIT) == 0)
		return STORE_OK;
	exec_simple(s, S_ROLLBACK);
	return rc == STORE_OK ? STORE_ERROR : rc;
}

enum store_rc
store_sqlite_cert_by_serial(struct store *st, const char *serial,
    struct buf *der)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	sqlite3_stmt	*q = stmt(s, S_CERT_BY_SERIAL);
	enum store_rc	 rc = STORE_NOT_FOUND;
	int		 step;

	sqlite3_bind_text(q, 1, serial, -1, SQLITE_STATIC);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW)
		rc = copy_blob(q, 0, der) == 0 ? STORE_OK : STORE_ERROR;
	else if (step != SQLITE_DONE)
		rc = STORE_ERROR;
	sqlite3_reset(q);
	return rc;
}

int64_t
store_sqlite_count_certs(struct store *st)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	sqlite3_stmt	*q = stmt(s, S_COUNT_CERTS);
	int64_t		 n = -1;

	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return n;
}

static int
step_done(sqlite3_stmt *q)
{
	int	 rc = sqlite3_step(q);

	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int64_t
outstanding_passwords(struct sqlite_store *s, int64_t now)
{
	sqlite3_stmt	*q = stmt(s, S_PW_PURGE);
	int64_t		 n = -1;

	sqlite3_bind_int64(q, 1, now);
	if (step_done(q) != 0)
		return -1;
	q = stmt(s, S_PW_COUNT);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return n;
}

enum store_rc
store_sqlite_password_add(struct store *st, const char *hash, int64_t now,
    int64_t expires, int max_outstanding)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	sqlite3_stmt	*q;
	int64_t		 n;
	enum store_rc	 rc = STORE_ERROR;

	if (exec_simple(s, S_BEGIN) != 0)
		return STORE_ERROR;
	if ((n = outstanding_passwords(s, now)) < 0)
		goto out;
	if (n >= max_outstanding) {
		rc = STORE_FULL;
		goto out;
	}
	q = stmt(s, S_PW_INSERT);
	sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, 0);
	sqlite3_bind_int64(q, 3, now);
	sqlite3_bind_int64(q, 4, expires);
	if (step_done(q) == 0 && exec_simple(s, S_COMMIT) == 0)
		return STORE_OK;
out:
	exec_simple(s, S_ROLLBACK);
	return rc;
}

enum store_rc
store_sqlite_password_set_single(struct store *st, const char *hash,
    int64_t now)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	sqlite3_stmt	*q;

	if (exec_simple(s, S_BEGIN) != 0)
		return STORE_ERROR;
	if (exec_simple(s, S_PW_DEL_SINGLE) != 0)
		goto fail;
	q = stmt(s, S_PW_INSERT);
	sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, 1);
	sqlite3_bind_int64(q, 3, now);
	sqlite3_bind_null(q, 4);
	if (step_done(q) == 0 && exec_simple(s, S_COMMIT) == 0)
		return STORE_OK;
fail:
	exec_simple(s, S_ROLLBACK);
	return STORE_ERROR;
}

enum store_rc
store_sqlite_password_lookup(struct store *st, const char *hash, int64_t now,
    enum claim_kind *kind)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	sqlite3_stmt	*q = stmt(s, S_PW_LOOKUP);
	enum store_rc	 rc = STORE_NOT_FOUND;
	int		 step;

	sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		*kind = sqlite3_column_int(q, 0) ? CLAIM_SINGLE_PASSWORD :
		    CLAIM_OTP;
		rc = STORE_OK;
	} else if (step != SQLITE_DONE)
		rc = STORE_ERROR;
	sqlite3_reset(q);
	return rc;
}

enum store_rc
store_sqlite_nonce_used(struct store *st, const char *nonce)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	sqlite3_stmt	*q = stmt(s, S_NONCE_LOOKUP);
	int		 step;

	sqlite3_bind_text(q, 1, nonce, -1, SQLITE_STATIC);
	step = sqlite3_step(q);
	sqlite3_reset(q);
	if (step == SQLITE_ROW)
		return STORE_OK;
	return step == SQLITE_DONE ? STORE_NOT_FOUND : STORE_ERROR;
}

enum store_rc
store_sqlite_event_add(struct store *st, const struct store_event *e,
    int64_t keep_after)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	return store_sqlite_event_write(&s->base, e, keep_after);
}

enum store_rc
store_sqlite_event_write(struct store *st, const struct store_event *e,
    int64_t keep_after)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	sqlite3_stmt	*q = stmt(s, S_EVENT_PURGE);

	/* Anyone can cause a failure event: old ones go, so the table
	 * cannot grow without bound. */
	sqlite3_bind_int64(q, 1, keep_after);
	if (step_done(q) != 0)
		return STORE_ERROR;
	q = stmt(s, S_EVENT_INSERT);

	sqlite3_bind_int64(q, 1, e->at);
	sqlite3_bind_text(q, 2, e->success ? "success" : "failure", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(q, 3, e->txid, -1, SQLITE_STATIC);
	store_sqlite_bind_opt_text(q, 4, e->serial);
	store_sqlite_bind_opt_text(q, 5, e->thumbprint);
	if (e->not_after > 0)
		sqlite3_bind_int64(q, 6, e->not_after);
	else
		sqlite3_bind_null(q, 6);
	store_sqlite_bind_opt_text(q, 7, e->issuer);
	store_sqlite_bind_opt_text(q, 8, e->device_id);
	sqlite3_bind_text(q, 9, e->code, -1, SQLITE_STATIC);
	store_sqlite_bind_opt_text(q, 10, e->description);
	return step_done(q) == 0 ? STORE_OK : STORE_ERROR;
}

static const char *
col_text(sqlite3_stmt *q, int col)
{
	return (const char *)sqlite3_column_text(q, col);
}

enum store_rc
store_sqlite_events(struct store *st, int64_t since,
    int (*fn)(const struct store_event *, void *), void *arg)
{
	struct sqlite_store	*s = (struct sqlite_store *)st;
	sqlite3_stmt		*q = stmt(s, S_EVENT_LIST);
	struct store_event	 e;
	int			 step;

	sqlite3_bind_int64(q, 1, since);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		e.id = sqlite3_column_int64(q, 0);
		e.at = sqlite3_column_int64(q, 1);
		e.success = strcmp(col_text(q, 2), "success") == 0;
		e.txid = col_text(q, 3);
		e.serial = col_text(q, 4);
		e.thumbprint = col_text(q, 5);
		e.not_after = sqlite3_column_int64(q, 6);
		e.issuer = col_text(q, 7);
		e.device_id = col_text(q, 8);
		e.code = col_text(q, 9);
		e.description = col_text(q, 10);
		if (fn(&e, arg) != 0)
			break;
	}
	sqlite3_reset(q);
	return step == SQLITE_ROW || step == SQLITE_DONE ? STORE_OK :
	    STORE_ERROR;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = store_sqlite_open,
	.close = store_sqlite_close,
	.find_txn = store_sqlite_find_txn,
	.issue = store_sqlite_issue,
	.cert_by_serial = store_sqlite_cert_by_serial,
	.count_certs = store_sqlite_count_certs,
	.stats = store_sqlite_stats,
	.password_add = store_sqlite_password_add,
	.password_set_single = store_sqlite_password_set_single,
	.password_lookup = store_sqlite_password_lookup,
	.nonce_used = store_sqlite_nonce_used,
	.event_add = store_sqlite_event_add,
	.events = store_sqlite_events,
	.errmsg = store_sqlite_errmsg,
	.revoke = store_sqlite_revoke,
	.revoke_where = store_sqlite_revoke_where,
	.list = store_sqlite_list,
	.cert_status = store_sqlite_cert_status,
	.revoked = store_sqlite_revoked,
	.crl_dirty = store_sqlite_crl_dirty,
	.crl_wanted = store_sqlite_crl_wanted,
	.crl_mark_dirty = store_sqlite_crl_mark_dirty,
	.crl_next = store_sqlite_crl_next,
	.pending_add = store_sqlite_pending_add,
	.pending_find = store_sqlite_pending_find,
	.pending_get = store_sqlite_pending_get,
	.pending_list = store_sqlite_pending_list,
	.pending_decide = store_sqlite_pending_decide,
	.outbox_add = store_sqlite_outbox_add,
	.outbox_find = store_sqlite_outbox_find,
	.outbox_list = store_sqlite_outbox_list,
	.outbox_sent = store_sqlite_outbox_sent,
	.outbox_failed = store_sqlite_outbox_failed,
};
