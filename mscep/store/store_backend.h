/*
 * store_backend.h - what a store backend provides: one operations table,
 * whose entries keep the contracts written in store.h for the function of
 * the same name. A backend's handle starts with a struct store, so the
 * functions in store.h reach the backend's own state through it. Only
 * store.c and the backends include this file.
 */
#ifndef MSCEP_STORE_BACKEND_H
#define MSCEP_STORE_BACKEND_H

#include "store/store.h"

struct store_ops {
	const char	*name;		/* [Store] Backend */
	/* target: what the backend opens (SQLite: a file path). */
	int	(*open)(const char *target, struct store **, char *reason,
		    size_t);
	void (*close)(struct store *);
	/* Optional: the statement timeout, in seconds. */
	int	(*tune)(struct store *, int timeout_seconds);
	/* Optional (NULL: opening migrates): brings the store at target to
	 * the schema this build knows; *from: the version found. */
	int	(*migrate)(const char *target, int *from, char *reason,
		    size_t);
	/* Optional (NULL: the CRL file's lock is enough): while held, no
	 * other host builds a CRL. */
	int	(*crl_lock)(struct store *, int lock);
	enum store_rc (*find_txn)(struct store *, const char *txid,
	    const char *key_id, struct buf *der);
	enum store_rc (*issue)(struct store *, const struct store_cert *,
	    const struct store_claim *);
	enum store_rc (*cert_by_serial)(struct store *, const char *serial,
	    struct buf *der);
	int64_t (*count_certs)(struct store *);
	enum store_rc (*stats)(struct store *, int64_t now,
	    struct store_stats *);
	enum store_rc (*password_add)(struct store *, const char *hash,
	    int64_t now, int64_t expires, int max_outstanding);
	enum store_rc (*password_set_single)(struct store *, const char *hash,
	    int64_t now);
	enum store_rc (*password_lookup)(struct store *, const char *hash,
	    int64_t now, enum claim_kind *kind);
	enum store_rc (*nonce_used)(struct store *, const char *nonce);
	enum store_rc (*event_add)(struct store *, const struct store_event *,
	    int64_t keep_after);
	enum store_rc (*events)(struct store *, int64_t since,
	    int (*fn)(const struct store_event *, void *), void *);
	const char *(*errmsg)(struct store *);
	enum store_rc (*revoke)(struct store *, const char *serial, int reason,
	    int64_t at, int *already);
	enum store_rc (*revoke_where)(struct store *,
	    const struct cert_filter *, int reason, int64_t at,
	    int64_t *count);
	enum store_rc (*list)(struct store *, const struct cert_filter *,
	    int (*fn)(const struct cert_row *, void *), void *);
	enum store_rc (*cert_status)(struct store *, const char *serial,
	    struct cert_row *row);
	enum store_rc (*revoked)(struct store *, const char *ca_key,
	    int (*fn)(const struct cert_row *, void *), void *);
	int (*crl_dirty)(struct store *);
	int64_t (*crl_wanted)(struct store *);
	enum store_rc (*crl_mark_dirty)(struct store *);
	enum store_rc (*crl_next)(struct store *, int count, int64_t *first);
	enum store_rc (*pending_add)(struct store *,
	    const struct pending_req *, const struct store_claim *);
	/* Every request with this transactionID (store.c keeps the key's). */
	enum store_rc (*pending_find)(struct store *, const char *txid,
	    int64_t now, int (*fn)(const struct pending_req *, void *), void *);
	enum store_rc (*pending_get)(struct store *, int64_t id, int64_t now,
	    int (*fn)(const struct pending_req *, void *), void *);
	enum store_rc (*pending_list)(struct store *, int64_t now,
	    int (*fn)(const struct pending_req *, void *), void *);
	enum store_rc (*pending_decide)(struct store *, int64_t id,
	    int64_t now, const struct store_cert *cert,
	    const struct store_event *ev, int64_t keep_after);
	enum store_rc (*outbox_add)(struct store *,
	    const struct store_notice *);
	enum store_rc (*outbox_find)(struct store *, const char *serial,
	    int (*fn)(const struct store_notice *, void *), void *);
	enum store_rc (*outbox_list)(struct store *,
	    int (*fn)(const struct store_notice *, void *), void *);
	enum store_rc (*outbox_sent)(struct store *, int64_t id);
	enum store_rc (*outbox_failed)(struct store *, int64_t id, int64_t at,
	    const char *error);
};

/* The first member of every backend's handle. */
struct store {
	const struct store_ops	*ops;
	uint64_t		*errors;	/* store_count_errors */
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

#endif
