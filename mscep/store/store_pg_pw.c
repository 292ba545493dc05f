/*
 * store_pg_pw.c - one-time passwords and challenge nonces in PostgreSQL.
 * Adding a password and setting the single password take a transaction
 * lock all hosts share, so the cache limit and "one single password" hold
 * across hosts; spending one is store_pg_consume_claim's.
 */
#include "store/store.h"
#include "store/store_pg.h"

#include <stdio.h>
#include <string.h>

#define PW_LOCK	"SELECT pg_advisory_xact_lock(4242002)"

struct pw_args {
	const char	*hash;
	int64_t		 now;
	int64_t		 expires;
	int		 max;
};

static enum store_rc
add_body(struct store *s, void *arg)
{
	struct pw_args		*a = arg;
	struct pg_params	 p = { 0 };
	PGresult		*r;
	int64_t			 n;

	pg_int(&p, a->now);
	if (store_pg_do(s, PW_LOCK, NULL, NULL) != 0 ||
	    store_pg_do(s, "DELETE FROM passwords WHERE single = 0 AND "
	    "expires_at <= $1", &p, NULL) != 0 ||
	    (r = store_pg_exec(s, "SELECT count(*) FROM passwords WHERE "
	    "single = 0", NULL)) == NULL)
		return STORE_ERROR;
	n = store_pg_int(r, 0, 0);
	PQclear(r);
	if (n >= a->max)
		return STORE_FULL;
	p.n = 0;
	pg_text(&p, a->hash);
	pg_int(&p, a->now);
	pg_int(&p, a->expires);
	return store_pg_do(s, "INSERT INTO passwords (hash, single, "
	    "created_at, expires_at) VALUES ($1, 0, $2, $3)", &p, NULL) == 0 ?
	    STORE_OK : STORE_ERROR;
}

enum store_rc
store_pg_password_add(struct store *s, const char *hash, int64_t now,
    int64_t expires, int max_outstanding)
{
	struct pw_args	 a = { hash, now, expires, max_outstanding };

	return store_pg_tx(s, add_body, &a);
}

static enum store_rc
single_body(struct store *s, void *arg)
{
	struct pw_args		*a = arg;
	struct pg_params	 p = { 0 };

	pg_text(&p, a->hash);
	pg_int(&p, a->now);
	return store_pg_do(s, PW_LOCK, NULL, NULL) == 0 &&
	    store_pg_do(s, "DELETE FROM passwords WHERE single = 1", NULL,
	    NULL) == 0 && store_pg_do(s, "INSERT INTO passwords (hash, "
	    "single, created_at, expires_at) VALUES ($1, 1, $2, NULL) "
	    "ON CONFLICT (hash) DO UPDATE SET single = 1, expires_at = NULL",
	    &p, NULL) == 0 ? STORE_OK : STORE_ERROR;
}

enum store_rc
store_pg_password_set_single(struct store *s, const char *hash, int64_t now)
{
	struct pw_args	 a = { hash, now, 0, 0 };

	return store_pg_tx(s, single_body, &a);
}

enum store_rc
store_pg_password_lookup(struct store *s, const char *hash, int64_t now,
    enum claim_kind *kind)
{
	struct pg_params	 p = { 0 };
	PGresult		*r;
	enum store_rc		 rc = STORE_NOT_FOUND;

	pg_text(&p, hash);
	pg_int(&p, now);
	if ((r = store_pg_query(s, "SELECT single FROM passwords WHERE "
	    "hash = $1 AND (single = 1 OR expires_at > $2)", &p)) == NULL)
		return STORE_ERROR;
	if (PQntuples(r) > 0) {
		*kind = store_pg_int(r, 0, 0) ? CLAIM_SINGLE_PASSWORD :
		    CLAIM_OTP;
		rc = STORE_OK;
	}
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_nonce_used(struct store *s, const char *nonce)
{
	struct pg_params	 p = { 0 };
	PGresult		*r;
	enum store_rc		 rc;

	pg_text(&p, nonce);
	if ((r = store_pg_query(s, "SELECT 1 FROM challenge_nonces WHERE "
	    "nonce = $1", &p)) == NULL)
		return STORE_ERROR;
	rc = PQntuples(r) > 0 ? STORE_OK : STORE_NOT_FOUND;
	PQclear(r);
	return rc;
}
