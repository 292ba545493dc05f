/*
 * store_priv.h - what the store's files share and nothing else includes:
 * the SQLite handle behind a struct store.
 */
#ifndef MSCEP_STORE_PRIV_H
#define MSCEP_STORE_PRIV_H

#include <sqlite3.h>

#include <stdint.h>

#include "store/store.h"

sqlite3	*store_db(struct store *);
/* Binds v, or NULL when v is NULL or empty. */
void	 store_bind_opt_text(sqlite3_stmt *, int, const char *);
/* Inside the caller's transaction: the claim, the certificate and its
 * transaction row. */
enum store_rc store_consume_claim(struct store *, const struct store_claim *,
	    int64_t now);
enum store_rc store_insert_cert(struct store *, const struct store_cert *,
	    int64_t now);
/* Inside the caller's transaction: the event, and old ones dropped. */
enum store_rc store_event_write(struct store *, const struct store_event *,
	    int64_t keep_after);
/* COMMIT when rc is STORE_OK, else ROLLBACK; the outcome. */
enum store_rc store_end(sqlite3 *, enum store_rc);
/* A text column, "" for NULL. */
const char *store_text(sqlite3_stmt *, int col);
/* Marks the CRL out of date; inside the caller's transaction. */
int	 store_crl_touch(struct store *);

#endif
