/*
 * store_pg_issue.c - issuance in PostgreSQL: the claim consumed, the
 * certificate, its transaction row, its notice and its event written in
 * one transaction. Every claim is one statement whose row lock decides
 * between hosts (DELETE ... of an unused password, INSERT ... ON CONFLICT
 * DO NOTHING of a nonce, UPDATE ... of an unrevoked certificate): of two
 * hosts spending one password, one deletes it, the other finds nothing.
 */
#include "store/store.h"
#include "store/store_pg.h"

#include <stdio.h>
#include <string.h>

#include "util/util.h"

/* A statement that must touch exactly one row: OK, or refused. */
static enum store_rc
one_row(struct store *s, const char *sql, const struct pg_params *p,
    enum store_rc none)
{
	int64_t	 rows;

	if (store_pg_do(s, sql, p, &rows) != 0)
		return STORE_ERROR;
	return rows == 1 ? STORE_OK : none;
}

int
store_pg_crl_touch(struct store *s)
{
	/*
	 * The dirty row first: a CRL build taking its number waits on that
	 * row until this transaction ends, so it lists this revocation, and
	 * crl_wanted reads a number it has already taken or the one it will.
	 */
	return store_pg_do(s, "UPDATE meta SET value = 1 WHERE name = "
	    "'crl_dirty'", NULL, NULL) != 0 || store_pg_do(s, "INSERT INTO "
	    "meta SELECT 'crl_wanted', value + 1 FROM meta WHERE name = "
	    "'crl_number' ON CONFLICT (name) DO UPDATE SET value = "
	    "excluded.value", NULL, NULL) != 0 ? -1 : 0;
}

static enum store_rc
renew_claim(struct store *s, const struct store_claim *c, int64_t now)
{
	struct pg_params	 p = { 0 };
	enum store_rc		 rc;

	pg_text(&p, c->key);
	if (!c->supersede)
		return one_row(s, "SELECT 1 FROM certificates WHERE serial = $1 "
		    "AND status = 'issued'", &p, STORE_CLAIM_REFUSED);
	pg_int(&p, now);
	rc = one_row(s, "UPDATE certificates SET status = 'revoked', "
	    "revoked_at = $2, revoke_reason = 4 WHERE serial = $1 AND "
	    "status = 'issued'", &p, STORE_CLAIM_REFUSED);
	if (rc == STORE_OK && store_pg_crl_touch(s) != 0)
		rc = STORE_ERROR;
	return rc;
}

static enum store_rc
nonce_claim(struct store *s, const struct store_claim *c, int64_t now)
{
	struct pg_params	 p = { 0 };

	pg_int(&p, now - 86400);
	if (store_pg_do(s, "DELETE FROM challenge_nonces WHERE "
	    "expires_at < $1", &p, NULL) != 0)
		return STORE_ERROR;
	p.n = 0;
	pg_text(&p, c->key);
	pg_int(&p, now);
	pg_int(&p, c->expires);
	return one_row(s, "INSERT INTO challenge_nonces (nonce, used_at, "
	    "expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &p,
	    STORE_CLAIM_REFUSED);
}

enum store_rc
store_pg_consume_claim(struct store *s, const struct store_claim *c,
    int64_t now)
{
	struct pg_params	 p = { 0 };

	switch (c->kind) {
	case CLAIM_NONE:
		return STORE_OK;
	case CLAIM_OTP:
		pg_text(&p, c->key);
		pg_int(&p, now);
		return one_row(s, "DELETE FROM passwords WHERE hash = $1 AND "
		    "single = 0 AND expires_at > $2", &p, STORE_CLAIM_REFUSED);
	case CLAIM_SINGLE_PASSWORD:
		pg_text(&p, c->key);
		return one_row(s, "SELECT 1 FROM passwords WHERE hash = $1 AND "
		    "single = 1", &p, STORE_CLAIM_REFUSED);
	case CLAIM_NONCE:
		return nonce_claim(s, c, now);
	case CLAIM_RENEWAL:
		return renew_claim(s, c, now);
	}
	return STORE_ERROR;
}

enum store_rc
store_pg_insert_cert(struct store *s, const struct store_cert *c,
    int64_t now)
{
	struct pg_params	 p = { 0 };
	enum store_rc		 rc;

	pg_text(&p, c->serial);
	pg_text(&p, c->subject);
	pg_text(&p, c->sans);
	pg_text(&p, c->template_name);
	pg_int(&p, c->not_before);
	pg_int(&p, c->not_after);
	pg_blob(&p, c->der, c->der_len);
	pg_text(&p, c->txid);
	pg_text(&p, c->key_id);
	pg_int(&p, now);
	pg_opt(&p, c->device_id);
	pg_text(&p, c->ca_key ? c->ca_key : "");
	if ((rc = one_row(s, "INSERT INTO certificates (serial, subject, sans, "
	    "template, not_before, not_after, der, transaction_id, key_id, "
	    "issued_at, device_id, ca_key) VALUES ($1, $2, $3, $4, $5, $6, "
	    "$7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING", &p,
	    STORE_SERIAL_TAKEN)) != STORE_OK)
		return rc;
	p.n = 0;
	pg_text(&p, c->txid);
	pg_text(&p, c->key_id);
	pg_text(&p, c->serial);
	pg_int(&p, now);
	if ((rc = one_row(s, "INSERT INTO transactions (transaction_id, "
	    "key_id, message_type, status, serial, created_at) VALUES ($1, $2, "
	    "19, 'issued', $3, $4) ON CONFLICT DO NOTHING", &p,
	    STORE_TXID_TAKEN)) != STORE_OK)
		return rc;
	return c->notice != NULL ? store_pg_outbox_write(s, c->notice, now) :
	    STORE_OK;
}

struct issue_args {
	const struct store_cert		*cert;
	const struct store_claim	*claim;
};

/* A renewal under the transactionID of the certificate it replaces
 * answers that transaction (store_sqlite.c, release_txid). */
static enum store_rc
issue_body(struct store *s, void *arg)
{
	struct issue_args	*a = arg;
	struct pg_params	 p = { 0 };
	int64_t			 now = util_now();
	enum store_rc		 rc;

	rc = store_pg_consume_claim(s, a->claim, now);
	if (rc == STORE_OK && a->claim->kind == CLAIM_RENEWAL) {
		pg_text(&p, a->cert->txid);
		pg_text(&p, a->cert->key_id);
		pg_text(&p, a->claim->key);
		if (store_pg_do(s, "DELETE FROM transactions WHERE "
		    "transaction_id = $1 AND key_id = $2 AND serial = $3", &p,
		    NULL) != 0)
			rc = STORE_ERROR;
	}
	if (rc == STORE_OK)
		rc = store_pg_insert_cert(s, a->cert, now);
	if (rc == STORE_OK && a->cert->event != NULL)
		rc = store_pg_event_write(s, a->cert->event,
		    a->cert->event_keep_after);
	return rc;
}

enum store_rc
store_pg_issue(struct store *s, const struct store_cert *c,
    const struct store_claim *claim)
{
	struct issue_args	 a = { c, claim };

	return store_pg_tx(s, issue_body, &a);
}

/* The bytea of column col of the first row into der: OK or NOT_FOUND. */
static enum store_rc
read_der(PGresult *r, int col, struct buf *der)
{
	unsigned char	*b;
	size_t		 len;
	enum store_rc	 rc = STORE_ERROR;

	if ((b = store_pg_bytea(r, 0, col, &len)) != NULL &&
	    buf_append(der, b, len) == 0)
		rc = STORE_OK;
	PQfreemem(b);
	return rc;
}

enum store_rc
store_pg_find_txn(struct store *s, const char *txid, const char *key_id,
    struct buf *der)
{
	struct pg_params	 p = { 0 };
	PGresult		*r;
	enum store_rc		 rc = STORE_NOT_FOUND;

	pg_text(&p, txid);
	if ((r = store_pg_query(s, "SELECT t.key_id, c.der FROM transactions t "
	    "JOIN certificates c ON c.serial = t.serial WHERE "
	    "t.transaction_id = $1", &p)) == NULL)
		return STORE_ERROR;
	if (PQntuples(r) > 0)
		rc = strcmp(store_pg_text(r, 0, 0), key_id) != 0 ?
		    STORE_TXID_TAKEN : read_der(r, 1, der);
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_cert_by_serial(struct store *s, const char *serial, struct buf *der)
{
	struct pg_params	 p = { 0 };
	PGresult		*r;
	enum store_rc		 rc = STORE_NOT_FOUND;

	pg_text(&p, serial);
	if ((r = store_pg_query(s, "SELECT der FROM certificates WHERE "
	    "serial = $1", &p)) == NULL)
		return STORE_ERROR;
	if (PQntuples(r) > 0)
		rc = read_der(r, 0, der);
	PQclear(r);
	return rc;
}

int64_t
store_pg_count_certs(struct store *s)
{
	PGresult	*r;
	int64_t		 n = -1;

	if ((r = store_pg_query(s, "SELECT count(*) FROM certificates",
	    NULL)) == NULL)
		return -1;
	if (PQntuples(r) == 1)
		n = store_pg_int(r, 0, 0);
	PQclear(r);
	return n;
}

enum store_rc
store_pg_stats(struct store *s, int64_t now, struct store_stats *st)
{
	struct pg_params	 p = { 0 };
	PGresult		*r;
	enum store_rc		 rc = STORE_ERROR;
	int			 i;

	memset(st, 0, sizeof(*st));
	pg_int(&p, now);
	if ((r = store_pg_query(s, "SELECT "
	    "(SELECT count(*) FROM certificates), "
	    "(SELECT count(*) FROM certificates WHERE status = 'revoked'), "
	    "(SELECT count(*) FROM certificates WHERE status = 'issued' AND "
	    "not_after > $1), "
	    "(SELECT count(*) FROM pending WHERE status = 'pending' AND "
	    "expires_at > $1), "
	    "(SELECT count(*) FROM passwords WHERE single = 0 AND "
	    "expires_at > $1), "
	    "(SELECT count(*) FROM outbox), "
	    "(SELECT coalesce(max(issued_at), 0) FROM certificates)",
	    &p)) == NULL)
		return STORE_ERROR;
	if (PQntuples(r) == 1 && PQnfields(r) == 7) {
		for (i = 0; i < 7; i++)
			if (PQgetisnull(r, 0, i))
				break;
		if (i == 7) {
			st->certs = store_pg_int(r, 0, 0);
			st->revoked = store_pg_int(r, 0, 1);
			st->valid = store_pg_int(r, 0, 2);
			st->pending = store_pg_int(r, 0, 3);
			st->passwords = store_pg_int(r, 0, 4);
			st->outbox = store_pg_int(r, 0, 5);
			st->last_issued = store_pg_int(r, 0, 6);
			rc = STORE_OK;
		}
	}
	PQclear(r);
	return rc;
}
