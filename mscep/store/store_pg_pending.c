/*
 * store_pg_pending.c - requests held for an administrator, in PostgreSQL
 * (store_sqlite_pending.c's twin): the claim is consumed when the request
 * is recorded; of two hosts deciding one request, the one whose UPDATE
 * finds it still pending decides.
 */
#include "store/store.h"
#include "store/store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define PENDING_COLUMNS "SELECT id, transaction_id, key_id, template, " \
	"subject, sans, requester, device_id, sid, subject_der, csr, " \
	"created_at, expires_at, status, serial FROM pending"

struct pending_args {
	const struct pending_req	*p;
	const struct store_claim	*claim;
	int64_t				 id;
	int64_t				 now;
	const struct store_cert		*cert;
	const struct store_event	*ev;
	int64_t				 keep_after;
};

static enum store_rc
add_body(struct store *s, void *arg)
{
	struct pending_args		*a = arg;
	const struct pending_req	*q = a->p;
	struct pg_params		 p = { 0 };
	int64_t				 rows;
	enum store_rc			 rc;

	if ((rc = store_pg_consume_claim(s, a->claim, a->now)) != STORE_OK)
		return rc;
	pg_text(&p, q->txid);
	pg_text(&p, q->key_id);
	pg_text(&p, q->template_name);
	pg_text(&p, q->subject);
	pg_text(&p, q->sans);
	pg_text(&p, q->requester);
	pg_opt(&p, q->device_id);
	pg_opt(&p, q->sid);
	if (q->subject_der != NULL)
		pg_blob(&p, q->subject_der, q->subject_der_len);
	else
		pg_text(&p, NULL);
	pg_blob(&p, q->csr, q->csr_len);
	pg_int(&p, a->now);
	pg_int(&p, q->expires_at);
	if (store_pg_do(s, "INSERT INTO pending (transaction_id, key_id, "
	    "template, subject, sans, requester, device_id, sid, subject_der, "
	    "csr, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
	    "$8, $9, $10, $11, $12) ON CONFLICT DO NOTHING", &p, &rows) != 0)
		return STORE_ERROR;
	return rows == 1 ? STORE_OK : STORE_TXID_TAKEN;
}

enum store_rc
store_pg_pending_add(struct store *s, const struct pending_req *p,
    const struct store_claim *claim)
{
	struct pending_args	 a = { 0 };

	a.p = p;
	a.claim = claim;
	a.now = util_now();
	return store_pg_tx(s, add_body, &a);
}

static void
read_pending(const PGresult *r, int i, int64_t now, struct pending_req *p,
    unsigned char **der, unsigned char **csr)
{
	p->id = store_pg_int(r, i, 0);
	p->txid = store_pg_text(r, i, 1);
	p->key_id = store_pg_text(r, i, 2);
	p->template_name = store_pg_text(r, i, 3);
	p->subject = store_pg_text(r, i, 4);
	p->sans = store_pg_text(r, i, 5);
	p->requester = store_pg_text(r, i, 6);
	p->device_id = store_pg_text(r, i, 7);
	p->sid = store_pg_text(r, i, 8);
	p->subject_der = *der = store_pg_bytea(r, i, 9, &p->subject_der_len);
	p->csr = *csr = store_pg_bytea(r, i, 10, &p->csr_len);
	p->created_at = store_pg_int(r, i, 11);
	p->expires_at = store_pg_int(r, i, 12);
	p->status = store_pg_text(r, i, 13);
	/* Expired requests are marked only where a write happens anyway. */
	if (strcmp(p->status, "pending") == 0 && p->expires_at <= now)
		p->status = "expired";
	p->serial = store_pg_text(r, i, 14);
}

/* Calls fn for each row; NOT_FOUND if none. */
static enum store_rc
each_pending(struct store *s, const char *sql, const struct pg_params *p,
    int64_t now, int (*fn)(const struct pending_req *, void *), void *arg)
{
	struct pending_req	 q;
	unsigned char		*der, *csr;
	PGresult		*r;
	enum store_rc		 rc;
	int			 i, stop = 0;

	if ((r = store_pg_query(s, sql, p)) == NULL)
		return STORE_ERROR;
	rc = PQntuples(r) > 0 ? STORE_OK : STORE_NOT_FOUND;
	for (i = 0; i < PQntuples(r) && !stop; i++) {
		read_pending(r, i, now, &q, &der, &csr);
		stop = fn(&q, arg);
		PQfreemem(der);
		PQfreemem(csr);
	}
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_pending_find(struct store *s, const char *txid, int64_t now,
    int (*fn)(const struct pending_req *, void *), void *arg)
{
	struct pg_params	 p = { 0 };

	pg_text(&p, txid);
	return each_pending(s, PENDING_COLUMNS " WHERE transaction_id = $1", &p,
	    now, fn, arg);
}

enum store_rc
store_pg_pending_get(struct store *s, int64_t id, int64_t now,
    int (*fn)(const struct pending_req *, void *), void *arg)
{
	struct pg_params	 p = { 0 };

	pg_int(&p, id);
	return each_pending(s, PENDING_COLUMNS " WHERE id = $1", &p, now, fn,
	    arg);
}

static int
expire(struct store *s, int64_t now)
{
	struct pg_params	 p = { 0 };

	pg_int(&p, now);
	return store_pg_do(s, "UPDATE pending SET status = 'expired', "
	    "decided_at = $1 WHERE status = 'pending' AND expires_at <= $1",
	    &p, NULL);
}

static enum store_rc
expire_body(struct store *s, void *arg)
{
	return expire(s, *(int64_t *)arg) == 0 ? STORE_OK : STORE_ERROR;
}

enum store_rc
store_pg_pending_list(struct store *s, int64_t now,
    int (*fn)(const struct pending_req *, void *), void *arg)
{
	struct pg_params	 p = { 0 };
	enum store_rc		 rc;

	if (store_pg_tx(s, expire_body, &now) != STORE_OK)
		return STORE_ERROR;
	pg_int(&p, 0);
	rc = each_pending(s, PENDING_COLUMNS " WHERE status = 'pending' AND "
	    "id > $1 ORDER BY id", &p, now, fn, arg);
	return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

static enum store_rc
decide_body(struct store *s, void *arg)
{
	struct pending_args	*a = arg;
	struct pg_params	 p = { 0 };
	int64_t			 rows;
	enum store_rc		 rc;

	pg_int(&p, a->id);
	pg_text(&p, a->cert ? "approved" : "denied");
	pg_int(&p, a->now);
	pg_opt(&p, a->cert ? a->cert->serial : NULL);
	if (expire(s, a->now) != 0 || store_pg_do(s, "UPDATE pending SET "
	    "status = $2, decided_at = $3, serial = $4 WHERE id = $1 AND "
	    "status = 'pending'", &p, &rows) != 0)
		return STORE_ERROR;
	if (rows != 1)
		return STORE_NOT_PENDING;
	rc = a->cert ? store_pg_insert_cert(s, a->cert, a->now) : STORE_OK;
	if (rc == STORE_OK && a->ev != NULL)
		rc = store_pg_event_write(s, a->ev, a->keep_after);
	return rc;
}

enum store_rc
store_pg_pending_decide(struct store *s, int64_t id, int64_t now,
    const struct store_cert *cert, const struct store_event *ev,
    int64_t keep_after)
{
	struct pending_args	 a = { 0 };

	a.id = id;
	a.now = now;
	a.cert = cert;
	a.ev = ev;
	a.keep_after = keep_after;
	return store_pg_tx(s, decide_body, &a);
}
