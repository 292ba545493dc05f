/*
 * store_sqlite.h - what the SQLite backend's files share and nothing else
 * includes: the SQLite handle behind a struct store, and the backend's
 * operations, gathered in store_sqlite_ops.
 */
#ifndef MSCEP_STORE_SQLITE_H
#define MSCEP_STORE_SQLITE_H

#include <sqlite3.h>

#include <stdint.h>

#include "store/store.h"

sqlite3	*store_sqlite_db(struct store *);
/* Binds v, or NULL when v is NULL or empty. */
void	 store_sqlite_bind_opt_text(sqlite3_stmt *, int, const char *);
/* Inside the caller's transaction: the claim, the certificate and its
 * transaction row. */
enum store_rc store_sqlite_consume_claim(struct store *,
    const struct store_claim *,
	    int64_t now);
enum store_rc store_sqlite_insert_cert(struct store *,
    const struct store_cert *,
	    int64_t now);
/* Inside the caller's transaction: the event, and old ones dropped. */
enum store_rc store_sqlite_event_write(struct store *,
    const struct store_event *,
	    int64_t keep_after);
/* Inside the caller's transaction: a notice queued in the outbox
 * (created_at 0: now). */
enum store_rc store_sqlite_outbox_write(struct store *,
    const struct store_notice *, int64_t now);
/* COMMIT when rc is STORE_OK, else ROLLBACK; the outcome. */
enum store_rc store_sqlite_end(sqlite3 *, enum store_rc);
/* A text column, "" for NULL. */
const char *store_sqlite_text(sqlite3_stmt *, int col);
/* Marks the CRL out of date; inside the caller's transaction. */
int	 store_sqlite_crl_touch(struct store *);

/* The operations of store_backend.h, in SQLite (store_sqlite*.c). */
int	 store_sqlite_open(const char *path, struct store **, char *reason,
	    size_t);
void	 store_sqlite_close(struct store *);
enum store_rc store_sqlite_find_txn(struct store *, const char *txid,
	    const char *key_id, struct buf *der);
enum store_rc store_sqlite_issue(struct store *, const struct store_cert *,
	    const struct store_claim *);
enum store_rc store_sqlite_cert_by_serial(struct store *, const char *serial,
	    struct buf *der);
int64_t	 store_sqlite_count_certs(struct store *);
enum store_rc store_sqlite_stats(struct store *, int64_t now,
	    struct store_stats *);
enum store_rc store_sqlite_password_add(struct store *, const char *hash,
	    int64_t now, int64_t expires, int max_outstanding);
enum store_rc store_sqlite_password_set_single(struct store *,
	    const char *hash, int64_t now);
enum store_rc store_sqlite_password_lookup(struct store *, const char *hash,
	    int64_t now, enum claim_kind *kind);
enum store_rc store_sqlite_nonce_used(struct store *, const char *nonce);
enum store_rc store_sqlite_event_add(struct store *,
	    const struct store_event *, int64_t keep_after);
enum store_rc store_sqlite_events(struct store *, int64_t since,
	    int (*fn)(const struct store_event *, void *), void *);
const char *store_sqlite_errmsg(struct store *);
enum store_rc store_sqlite_revoke(struct store *, const char *serial,
	    int reason, int64_t at, int *already);
enum store_rc store_sqlite_revoke_where(struct store *,
	    const struct cert_filter *, int reason, int64_t at,
	    int64_t *count);
enum store_rc store_sqlite_list(struct store *, const struct cert_filter *,
	    int (*fn)(const struct cert_row *, void *), void *);
enum store_rc store_sqlite_cert_status(struct store *, const char *serial,
	    struct cert_row *row);
enum store_rc store_sqlite_revoked(struct store *, const char *ca_key,
	    int (*fn)(const struct cert_row *, void *), void *);
int	 store_sqlite_crl_dirty(struct store *);
int64_t	 store_sqlite_crl_wanted(struct store *);
enum store_rc store_sqlite_crl_mark_dirty(struct store *);
enum store_rc store_sqlite_crl_next(struct store *, int count, int64_t *first);
enum store_rc store_sqlite_pending_add(struct store *,
	    const struct pending_req *, const struct store_claim *);
enum store_rc store_sqlite_pending_find(struct store *, const char *txid,
	    int64_t now, int (*fn)(const struct pending_req *, void *), void *);
enum store_rc store_sqlite_pending_get(struct store *, int64_t id, int64_t now,
	    int (*fn)(const struct pending_req *, void *), void *);
enum store_rc store_sqlite_pending_list(struct store *, int64_t now,
	    int (*fn)(const struct pending_req *, void *), void *);
enum store_rc store_sqlite_pending_decide(struct store *, int64_t id,
	    int64_t now, const struct store_cert *cert,
	    const struct store_event *ev, int64_t keep_after);
enum store_rc store_sqlite_outbox_add(struct store *,
	    const struct store_notice *);
enum store_rc store_sqlite_outbox_find(struct store *, const char *serial,
	    int (*fn)(const struct store_notice *, void *), void *);
enum store_rc store_sqlite_outbox_list(struct store *,
	    int (*fn)(const struct store_notice *, void *), void *);
enum store_rc store_sqlite_outbox_sent(struct store *, int64_t id);
enum store_rc store_sqlite_outbox_failed(struct store *, int64_t id,
	    int64_t at, const char *error);

#endif
