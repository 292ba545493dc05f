/*
 * store_pg_life.c - the certificate lifecycle in PostgreSQL: revocation,
 * listing, what a CRL or an OCSP answer is built from, and the one CRL
 * number sequence every host takes its numbers from (a row lock on the
 * counter orders them).
 */
#include "store/store.h"
#include "store/store_pg.h"

#include <stdio.h>
#include <string.h>

#define ROW_COLUMNS "SELECT serial, subject, sans, template, device_id, " \
	"not_before, not_after, status, revoked_at, revoke_reason " \
	"FROM certificates"

struct revoke_args {
	const char			*serial;
	const struct cert_filter	*f;
	int				 reason;
	int64_t				 at;
	int				*already;
	int64_t				*count;
};

static enum store_rc
revoke_body(struct store *s, void *arg)
{
	struct revoke_args	*a = arg;
	struct pg_params	 p = { 0 };
	int64_t			 rows;
	PGresult		*r;
	enum store_rc		 rc;

	pg_text(&p, a->serial);
	pg_int(&p, a->at);
	pg_int(&p, a->reason);
	if (store_pg_do(s, "UPDATE certificates SET status = 'revoked', "
	    "revoked_at = $2, revoke_reason = $3 WHERE serial = $1 AND "
	    "status = 'issued'", &p, &rows) != 0)
		return STORE_ERROR;
	if (rows == 1)
		return store_pg_crl_touch(s) == 0 ? STORE_OK : STORE_ERROR;
	p.n = 1;
	if ((r = store_pg_exec(s, "SELECT 1 FROM certificates WHERE "
	    "serial = $1", &p)) == NULL)
		return STORE_ERROR;
	rc = PQntuples(r) > 0 ? STORE_OK : STORE_NOT_FOUND;
	*a->already = rc == STORE_OK;
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_revoke(struct store *s, const char *serial, int reason, int64_t at,
    int *already)
{
	struct revoke_args	 a = { serial, NULL, reason, at, already, NULL };

	*already = 0;
	return store_pg_tx(s, revoke_body, &a);
}

/* " AND ..." for each field the filter sets, its values in p from $first
 * on; -1 when it does not fit. */
static int
filter_sql(const struct cert_filter *f, struct pg_params *p, char *out,
    size_t len)
{
	char	 part[96];
	size_t	 n = strlen(out);

	if (f->status < 0 || f->status > 3)
		return -1;
#define ADD(fmt, ...) do { \
	snprintf(part, sizeof(part), fmt, __VA_ARGS__); \
	if ((n += strlen(part)) >= len) \
		return -1; \
	strcat(out, part); \
} while (0)
	if (f->status == 1 || f->status == 3) {
		pg_int(p, f->now);
		ADD(" AND status = 'issued' AND not_after %s $%d",
		    f->status == 1 ? ">" : "<=", p->n);
	} else if (f->status == 2)
		ADD("%s", " AND status = 'revoked'");
	if (f->serial) { pg_text(p, f->serial);
		ADD(" AND serial = $%d", p->n); }
	if (f->subject) { pg_text(p, f->subject);
		ADD(" AND (subject = $%d", p->n); }
	if (f->subject && f->subject_also) { pg_text(p, f->subject_also);
		ADD(" OR subject = $%d", p->n); }
	if (f->subject)
		ADD("%s", ")");
	if (f->device_id) { pg_text(p, f->device_id);
		ADD(" AND device_id = $%d", p->n); }
	if (f->template_name) { pg_text(p, f->template_name);
		ADD(" AND template = $%d", p->n); }
	if (f->expires_before) { pg_int(p, f->expires_before);
		ADD(" AND not_after < $%d", p->n); }
#undef ADD
	return 0;
}

static enum store_rc
revoke_where_body(struct store *s, void *arg)
{
	struct revoke_args	*a = arg;
	struct pg_params	 p = { 0 };
	char			 sql[1024] = "UPDATE certificates SET status = "
	    "'revoked', revoked_at = $1, revoke_reason = $2 WHERE "
	    "status = 'issued'";

	pg_int(&p, a->at);
	pg_int(&p, a->reason);
	if (filter_sql(a->f, &p, sql, sizeof(sql)) != 0 ||
	    store_pg_do(s, sql, &p, a->count) != 0)
		return STORE_ERROR;
	return *a->count == 0 || store_pg_crl_touch(s) == 0 ? STORE_OK :
	    STORE_ERROR;
}

enum store_rc
store_pg_revoke_where(struct store *s, const struct cert_filter *f,
    int reason, int64_t at, int64_t *count)
{
	struct revoke_args	 a = { NULL, f, reason, at, NULL, count };

	*count = 0;
	/* Revoking "everything issued" is never what a bulk request means. */
	if (f->serial == NULL && f->subject == NULL && f->device_id == NULL &&
	    f->template_name == NULL)
		return STORE_ERROR;
	return store_pg_tx(s, revoke_where_body, &a);
}

static enum store_rc
each_row(struct store *s, const char *sql, const struct pg_params *p,
    int (*fn)(const struct cert_row *, void *), void *arg)
{
	struct cert_row	 c;
	PGresult	*r;
	int		 i;

	if ((r = store_pg_query(s, sql, p)) == NULL)
		return STORE_ERROR;
	for (i = 0; i < PQntuples(r); i++) {
		memset(&c, 0, sizeof(c));
		c.serial = store_pg_text(r, i, 0);
		c.subject = store_pg_text(r, i, 1);
		c.sans = store_pg_text(r, i, 2);
		c.template_name = store_pg_text(r, i, 3);
		c.device_id = store_pg_text(r, i, 4);
		c.not_before = store_pg_int(r, i, 5);
		c.not_after = store_pg_int(r, i, 6);
		c.revoked = strcmp(store_pg_text(r, i, 7), "revoked") == 0;
		c.revoked_at = store_pg_int(r, i, 8);
		c.reason = (int)store_pg_int(r, i, 9);
		if (fn(&c, arg) != 0)
			break;
	}
	PQclear(r);
	return STORE_OK;
}

enum store_rc
store_pg_list(struct store *s, const struct cert_filter *f,
    int (*fn)(const struct cert_row *, void *), void *arg)
{
	struct pg_params	 p = { 0 };
	char			 sql[1024] = ROW_COLUMNS " WHERE TRUE";

	if (filter_sql(f, &p, sql, sizeof(sql) - 40) != 0)
		return STORE_ERROR;
	strcat(sql, " ORDER BY issued_at, serial");
	return each_row(s, sql, &p, fn, arg);
}

enum store_rc
store_pg_cert_status(struct store *s, const char *serial, struct cert_row *c)
{
	struct pg_params	 p = { 0 };
	PGresult		*r;
	enum store_rc		 rc = STORE_NOT_FOUND;

	memset(c, 0, sizeof(*c));
	pg_text(&p, serial);
	if ((r = store_pg_query(s, "SELECT status, revoked_at, revoke_reason, "
	    "not_after, ca_key FROM certificates WHERE serial = $1", &p)) ==
	    NULL)
		return STORE_ERROR;
	if (PQntuples(r) > 0) {
		c->serial = serial;
		c->revoked = strcmp(store_pg_text(r, 0, 0), "revoked") == 0;
		c->revoked_at = store_pg_int(r, 0, 1);
		c->reason = (int)store_pg_int(r, 0, 2);
		c->not_after = store_pg_int(r, 0, 3);
		snprintf(c->ca_key, sizeof(c->ca_key), "%s",
		    store_pg_text(r, 0, 4));
		rc = STORE_OK;
	}
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_revoked(struct store *s, const char *ca_key,
    int (*fn)(const struct cert_row *, void *), void *arg)
{
	struct pg_params	 p = { 0 };

	pg_text(&p, ca_key);
	return each_row(s, ROW_COLUMNS " WHERE status = 'revoked' AND "
	    "(ca_key = $1 OR ca_key = '')", &p, fn, arg);
}

int
store_pg_crl_dirty(struct store *s)
{
	PGresult	*r;
	int		 v = -1;

	if ((r = store_pg_query(s, "SELECT value FROM meta WHERE name = "
	    "'crl_dirty'", NULL)) == NULL)
		return -1;
	if (PQntuples(r) == 1)
		v = store_pg_int(r, 0, 0) != 0;
	PQclear(r);
	return v;
}

int64_t
store_pg_crl_wanted(struct store *s)
{
	PGresult	*r;
	int64_t		 v = -1;

	if ((r = store_pg_query(s, "SELECT coalesce((SELECT value FROM meta "
	    "WHERE name = 'crl_wanted'), 0)", NULL)) == NULL)
		return -1;
	if (PQntuples(r) == 1)
		v = store_pg_int(r, 0, 0);
	PQclear(r);
	return v;
}

enum store_rc
store_pg_crl_mark_dirty(struct store *s)
{
	PGresult	*r;

	r = store_pg_query(s, "UPDATE meta SET value = 1 WHERE name = "
	    "'crl_dirty'", NULL);
	PQclear(r);
	return r != NULL ? STORE_OK : STORE_ERROR;
}

struct crl_args {
	int	 count;
	int64_t	*first;
};

static enum store_rc
crl_next_body(struct store *s, void *arg)
{
	struct crl_args		*a = arg;
	struct pg_params	 p = { 0 };
	PGresult		*r;
	enum store_rc		 rc = STORE_ERROR;

	pg_int(&p, a->count);
	if ((r = store_pg_exec(s, "UPDATE meta SET value = value + $1 WHERE "
	    "name = 'crl_number' RETURNING value", &p)) == NULL)
		return STORE_ERROR;
	if (PQntuples(r) == 1) {
		*a->first = store_pg_int(r, 0, 0) - a->count + 1;
		rc = STORE_OK;
	}
	PQclear(r);
	if (rc == STORE_OK && store_pg_do(s, "UPDATE meta SET value = 0 "
	    "WHERE name = 'crl_dirty'", NULL, NULL) != 0)
		rc = STORE_ERROR;
	return rc;
}

enum store_rc
store_pg_crl_next(struct store *s, int count, int64_t *first)
{
	struct crl_args	 a = { count, first };

	if (count < 1)
		return STORE_ERROR;
	return store_pg_tx(s, crl_next_body, &a);
}
