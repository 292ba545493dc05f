/*
 * store_pg.h - what the PostgreSQL backend's files share and nothing else
 * includes: one connection per worker behind a struct store, the helpers
 * that run a statement or a transaction (retried after a serialization
 * failure or a deadlock, once more on a new connection after the old one
 * was lost), and the backend's operations, gathered in store_pg_ops.
 */
#ifndef MSCEP_STORE_PG_H
#define MSCEP_STORE_PG_H

#include <libpq-fe.h>

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The schema version this build reads and writes (table mscep_schema). */
#define STORE_PG_SCHEMA	STORE_SCHEMA_VERSION

/* The parameters of one statement, text or binary. */
#define PG_PARAMS_MAX	16
struct pg_params {
	int		 n;
	const char	*v[PG_PARAMS_MAX];
	int		 len[PG_PARAMS_MAX];
	int		 fmt[PG_PARAMS_MAX];	/* 1: binary (a blob) */
	char		 num[PG_PARAMS_MAX][24];
};

void	 pg_text(struct pg_params *, const char *);
/* NULL when v is NULL or empty, as store_sqlite_bind_opt_text. */
void	 pg_opt(struct pg_params *, const char *);
void	 pg_int(struct pg_params *, int64_t);
void	 pg_blob(struct pg_params *, const void *, size_t);

/* Runs sql with p (NULL: none) on the connection as it is: the result
 * (COMMAND_OK or TUPLES_OK; the caller PQclear()s it) or NULL, with the
 * error kept for store_errmsg. */
PGresult *store_pg_exec(struct store *, const char *sql,
	    const struct pg_params *);
/* store_pg_exec for a statement that returns nothing: 0 or -1; *rows
 * (unless NULL) the rows it touched. */
int	 store_pg_do(struct store *, const char *sql, const struct pg_params *,
	    int64_t *rows);
/* A read outside a transaction, on a connection made if need be, retried
 * as a transaction is; NULL on error. */
PGresult *store_pg_query(struct store *, const char *sql,
	    const struct pg_params *);
/* body inside BEGIN ... COMMIT (ROLLBACK unless it returns STORE_OK). */
enum store_rc store_pg_tx(struct store *,
	    enum store_rc (*body)(struct store *, void *), void *);

/* Column helpers: "" for NULL (store_pg_text_or_null: NULL), a number,
 * a bytea (PQunescapeBytea: the caller PQfreemem()s it). */
const char *store_pg_text(const PGresult *, int row, int col);
const char *store_pg_text_or_null(const PGresult *, int row, int col);
int64_t	 store_pg_int(const PGresult *, int row, int col);
unsigned char *store_pg_bytea(const PGresult *, int row, int col,
	    size_t *len);

/* Inside the caller's transaction, as their SQLite twins. */
enum store_rc store_pg_consume_claim(struct store *,
	    const struct store_claim *, int64_t now);
enum store_rc store_pg_insert_cert(struct store *, const struct store_cert *,
	    int64_t now);
enum store_rc store_pg_event_write(struct store *,
	    const struct store_event *, int64_t keep_after);
enum store_rc store_pg_outbox_write(struct store *,
	    const struct store_notice *, int64_t now);
int	 store_pg_crl_touch(struct store *);

/* The connection (NULL when there is none), for store copy. */
PGconn	*store_pg_conn(struct store *);
/* Brings the database at conninfo to STORE_PG_SCHEMA (store migrate);
 * *from: the version found (0: none). */
int	 store_pg_migrate(const char *conninfo, int *from, char *reason,
	    size_t);

/* The operations of store_backend.h, in PostgreSQL (store_pg*.c). */
int	 store_pg_open(const char *conninfo, struct store **, char *reason,
	    size_t);
void	 store_pg_close(struct store *);
const char *store_pg_errmsg(struct store *);
int	 store_pg_tune(struct store *, int timeout_seconds);
int	 store_pg_crl_lock(struct store *, int lock);
enum store_rc store_pg_find_txn(struct store *, const char *txid,
	    const char *key_id, struct buf *der);
enum store_rc store_pg_issue(struct store *, const struct store_cert *,
	    const struct store_claim *);
enum store_rc store_pg_cert_by_serial(struct store *, const char *serial,
	    struct buf *der);
int64_t	 store_pg_count_certs(struct store *);
enum store_rc store_pg_stats(struct store *, int64_t now,
	    struct store_stats *);
enum store_rc store_pg_password_add(struct store *, const char *hash,
	    int64_t now, int64_t expires, int max_outstanding);
enum store_rc store_pg_password_set_single(struct store *, const char *hash,
	    int64_t now);
enum store_rc store_pg_password_lookup(struct store *, const char *hash,
	    int64_t now, enum claim_kind *kind);
enum store_rc store_pg_nonce_used(struct store *, const char *nonce);
enum store_rc store_pg_event_add(struct store *, const struct store_event *,
	    int64_t keep_after);
enum store_rc store_pg_events(struct store *, int64_t since,
	    int (*fn)(const struct store_event *, void *), void *);
enum store_rc store_pg_revoke(struct store *, const char *serial,
	    int reason, int64_t at, int *already);
enum store_rc store_pg_revoke_where(struct store *,
	    const struct cert_filter *, int reason, int64_t at,
	    int64_t *count);
enum store_rc store_pg_list(struct store *, const struct cert_filter *,
	    int (*fn)(const struct cert_row *, void *), void *);
enum store_rc store_pg_cert_status(struct store *, const char *serial,
	    struct cert_row *row);
enum store_rc store_pg_revoked(struct store *, const char *ca_key,
	    int (*fn)(const struct cert_row *, void *), void *);
int	 store_pg_crl_dirty(struct store *);
int64_t	 store_pg_crl_wanted(struct store *);
enum store_rc store_pg_crl_mark_dirty(struct store *);
enum store_rc store_pg_crl_next(struct store *, int count, int64_t *first);
enum store_rc store_pg_pending_add(struct store *,
	    const struct pending_req *, const struct store_claim *);
enum store_rc store_pg_pending_find(struct store *, const char *txid,
	    int64_t now, int (*fn)(const struct pending_req *, void *), void *);
enum store_rc store_pg_pending_get(struct store *, int64_t id, int64_t now,
	    int (*fn)(const struct pending_req *, void *), void *);
enum store_rc store_pg_pending_list(struct store *, int64_t now,
	    int (*fn)(const struct pending_req *, void *), void *);
enum store_rc store_pg_pending_decide(struct store *, int64_t id,
	    int64_t now, const struct store_cert *cert,
	    const struct store_event *ev, int64_t keep_after);
enum store_rc store_pg_outbox_add(struct store *,
	    const struct store_notice *);
enum store_rc store_pg_outbox_find(struct store *, const char *serial,
	    int (*fn)(const struct store_notice *, void *), void *);
enum store_rc store_pg_outbox_list(struct store *,
	    int (*fn)(const struct store_notice *, void *), void *);
enum store_rc store_pg_outbox_sent(struct store *, int64_t id);
enum store_rc store_pg_outbox_failed(struct store *, int64_t id,
	    int64_t at, const char *error);

#endif
