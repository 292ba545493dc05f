/*
 * store_copy.c - store copy between the two backends, whose tables have
 * the same names and columns (store_sqlite.c, store_pg_schema.c). Each
 * side reads rows as text (integers in decimal, blobs in upper-case hex,
 * NULL apart) in key order, so one SHA-256 per table compares them.
 */
#include "store/store_copy.h"
#include "store/store_backend.h"
#include "store/store_pg.h"
#include "store/store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define COLS_MAX	16

/* A table: its columns, their types (i, t, b: blob), its key. */
static const struct table {
	const char	*name;
	const char	*cols;
	const char	*types;
	const char	*key;
} tables[] = {
	{ "certificates", "serial, subject, sans, template, not_before, "
	    "not_after, status, der, transaction_id, key_id, issued_at, "
	    "device_id, ca_key, revoked_at, revoke_reason", "ttttiitbttittii",
	    "serial" },
	{ "transactions", "transaction_id, key_id, message_type, status, "
	    "serial, created_at", "ttitti", "transaction_id" },
	{ "passwords", "hash, single, created_at, expires_at", "tiii",
	    "hash" },
	{ "challenge_nonces", "nonce, used_at, expires_at", "tii", "nonce" },
	{ "events", "id, at, kind, transaction_id, serial, thumbprint, "
	    "not_after, issuer, device_id, code, description", "iittttitttt",
	    "id" },
	{ "pending", "id, transaction_id, key_id, template, subject, sans, "
	    "requester, device_id, sid, subject_der, csr, created_at, "
	    "expires_at, status, decided_at, serial", "ittttttttbbiitit",
	    "id" },
	{ "meta", "name, value", "ti", "name" },
	{ "outbox", "id, transaction_id, serial, action, body, created_at, "
	    "tried_at, tries, last_error", "ittttiiit", "id" },
};
#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

/* One store, as its backend's own handle. */
struct side {
	sqlite3		*db;		/* or */
	PGconn		*conn;
	sqlite3_stmt	*ins;		/* the table's INSERT */
	int		 pg_ins;	/* conn: "ins" is prepared */
	EVP_MD_CTX	*md;
	long long	 rows;
	char		*err;
	size_t		 errlen;
};

static int
fail(struct side *d, const char *what)
{
	snprintf(d->err, d->errlen, "%s", what);
	d->err[strcspn(d->err, "\n")] = '\0';
	return -1;
}

static int
run(struct side *d, const char *sql)
{
	PGresult	*r;
	int		 ok;

	if (d->db != NULL)
		return sqlite3_exec(d->db, sql, NULL, NULL, NULL) == SQLITE_OK ?
		    0 : fail(d, sqlite3_errmsg(d->db));
	r = PQexec(d->conn, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fail(d, PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

static int
side_open(struct store *s, struct side *d)
{
	PGresult	*r;

	if (strcmp(s->ops->name, "sqlite") == 0) {
		d->db = store_sqlite_db(s);
		return 0;
	}
	/* A connection now, or the reason there is none. */
	if ((r = store_pg_query(s, "SELECT 1", NULL)) == NULL)
		return fail(d, store_errmsg(s));
	PQclear(r);
	d->conn = store_pg_conn(s);
	/* One SELECT stays open while every row is written to the other
	 * side: [Store] TimeoutSeconds is for the workers' statements,
	 * and cancelled a copy of 100,000 rows under ASan. */
	return run(d, "SET statement_timeout = 0");
}

/* Column i of t's list into out. */
static void
column(const struct table *t, int i, char *out, size_t len)
{
	const char	*p = t->cols;
	size_t		 n;

	while (i-- > 0)
		p = strchr(p, ',') + 2;
	n = strcspn(p, ",");
	snprintf(out, len, "%.*s", (int)n, p);
}

/* SELECT of t in key order, blobs in upper-case hex on either side. */
static void
select_sql(const struct table *t, int pg, char *out, size_t len)
{
	char	 c[32];
	size_t	 i, n;

	n = (size_t)snprintf(out, len, "SELECT ");
	for (i = 0; i < strlen(t->types); i++) {
		column(t, (int)i, c, sizeof(c));
		n += (size_t)snprintf(out + n, len - n, "%s%s%s%s",
		    i ? ", " : "", t->types[i] != 'b' ? "" : pg ?
		    "upper(encode(" : "hex(", c, t->types[i] != 'b' ? "" :
		    pg ? ", 'hex'))" : ")");
	}
	snprintf(out + n, len - n, " FROM %s ORDER BY %s%s", t->name, t->key,
	    pg && t->types[0] == 't' ? " COLLATE \"C\"" : "");
}

static void
digest(struct side *d, const char *const *v, int n)
{
	char	 len[24];
	int	 i;

	for (i = 0; i < n; i++) {
		if (v[i] == NULL) {
			EVP_DigestUpdate(d->md, "N", 1);
			continue;
		}
		snprintf(len, sizeof(len), "V%zu:", strlen(v[i]));
		EVP_DigestUpdate(d->md, len, strlen(len));
		EVP_DigestUpdate(d->md, v[i], strlen(v[i]));
	}
	EVP_DigestUpdate(d->md, "\n", 1);
	d->rows++;
}

typedef int (*row_fn)(void *, const char *const *, int);

static int
read_sqlite(struct side *d, const char *sql, int n, row_fn fn, void *arg)
{
	sqlite3_stmt	*q = NULL;
	const char	*v[COLS_MAX];
	int		 i, step = SQLITE_ERROR, rc = 0;

	if (sqlite3_prepare_v2(d->db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(d, sqlite3_errmsg(d->db));
	while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			v[i] = sqlite3_column_type(q, i) == SQLITE_NULL ? NULL :
			    (const char *)sqlite3_column_text(q, i);
		rc = fn(arg, v, n);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = fail(d, sqlite3_errmsg(d->db));
	sqlite3_finalize(q);
	return rc;
}

/* Row by row (libpq's single-row mode): a large table never sits in
 * memory whole. */
static int
read_pg(struct side *d, const char *sql, int n, row_fn fn, void *arg)
{
	PGresult	*r;
	const char	*v[COLS_MAX];
	int		 i, rc = 0;

	if (!PQsendQuery(d->conn, sql) || !PQsetSingleRowMode(d->conn))
		return fail(d, PQerrorMessage(d->conn));
	while ((r = PQgetResult(d->conn)) != NULL) {
		if (rc == 0 && PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
			for (i = 0; i < n; i++)
				v[i] = PQgetisnull(r, 0, i) ? NULL :
				    PQgetvalue(r, 0, i);
			rc = fn(arg, v, n);
		} else if (rc == 0 && PQresultStatus(r) != PGRES_TUPLES_OK)
			rc = fail(d, PQresultErrorMessage(r));
		PQclear(r);
	}
	return rc;
}

static int
read_rows(struct side *d, const struct table *t, row_fn fn, void *arg)
{
	char	 sql[1024];

	select_sql(t, d->conn != NULL, sql, sizeof(sql));
	return d->conn != NULL ?
	    read_pg(d, sql, (int)strlen(t->types), fn, arg) :
	    read_sqlite(d, sql, (int)strlen(t->types), fn, arg);
}

static int
prepare_insert(struct side *d, const struct table *t)
{
	char		 sql[1024];
	size_t		 i, n;
	PGresult	*r;

	n = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) VALUES (",
	    t->name, t->cols);
	for (i = 0; i < strlen(t->types); i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, d->conn == NULL ?
		    "%s?" : t->types[i] == 'b' ? "%sdecode($%zu, 'hex')" :
		    "%s$%zu", i ? ", " : "", i + 1);
	snprintf(sql + n, sizeof(sql) - n, ")");
	if (d->conn == NULL)
		return sqlite3_prepare_v2(d->db, sql, -1, &d->ins, NULL) ==
		    SQLITE_OK ? 0 : fail(d, sqlite3_errmsg(d->db));
	PQclear(PQexec(d->conn, "DEALLOCATE ALL"));
	r = PQprepare(d->conn, "ins", sql, 0, NULL);
	d->pg_ins = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!d->pg_ins)
		fail(d, PQresultErrorMessage(r));
	PQclear(r);
	return d->pg_ins ? 0 : -1;
}

static int
hexval(int c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static void
bind_sqlite(sqlite3_stmt *q, int i, int type, const char *v,
    unsigned char **blob)
{
	size_t	 j, n;

	if (v == NULL)
		sqlite3_bind_null(q, i + 1);
	else if (type == 'i')
		sqlite3_bind_int64(q, i + 1, strtoll(v, NULL, 10));
	else if (type == 't')
		sqlite3_bind_text(q, i + 1, v, -1, SQLITE_TRANSIENT);
	else if ((n = strlen(v) / 2, *blob = malloc(n + 1)) != NULL) {
		for (j = 0; j < n; j++)
			(*blob)[j] = (unsigned char)(hexval(v[2 * j]) << 4 |
			    hexval(v[2 * j + 1]));
		sqlite3_bind_blob(q, i + 1, *blob, (int)n, SQLITE_TRANSIENT);
	}
}

struct copy_row {
	struct side		*from, *to;
	const struct table	*t;
};

static int
insert_row(struct side *d, const struct table *t, const char *const *v,
    int n)
{
	unsigned char	*blob[COLS_MAX] = { 0 };
	PGresult	*r;
	int		 i, rc = 0;

	if (d->conn != NULL) {
		r = PQexecPrepared(d->conn, "ins", n, v, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = fail(d, PQresultErrorMessage(r));
		PQclear(r);
		return rc;
	}
	sqlite3_reset(d->ins);
	for (i = 0; i < n; i++)
		bind_sqlite(d->ins, i, t->types[i], v[i], &blob[i]);
	if (sqlite3_step(d->ins) != SQLITE_DONE)
		rc = fail(d, sqlite3_errmsg(d->db));
	for (i = 0; i < n; i++)
		free(blob[i]);
	return rc;
}

static int
copy_one(void *arg, const char *const *v, int n)
{
	struct copy_row	*c = arg;

	digest(c->from, v, n);
	return insert_row(c->to, c->t, v, n);
}

static int
digest_one(void *arg, const char *const *v, int n)
{
	digest(arg, v, n);
	return 0;
}

static int
count_rows(void *arg, const char *const *v, int n)
{
	(void)v;
	(void)n;
	((struct side *)arg)->rows++;
	return 0;
}

/* A target with rows (other than the CRL counters) is refused. */
static int
check_empty(struct side *d)
{
	char	 why[160];
	size_t	 i;

	for (i = 0; i < NTABLES; i++) {
		if (strcmp(tables[i].name, "meta") == 0)
			continue;
		d->rows = 0;
		if (read_rows(d, &tables[i], count_rows, d) != 0)
			return -1;
		if (d->rows > 0) {
			snprintf(why, sizeof(why), "the target is not empty: "
			    "%s has %lld rows", tables[i].name, d->rows);
			return fail(d, why);
		}
	}
	return 0;
}

/* Copies t, then reads it back from the target: 0 when both agree. */
static int
copy_table(struct side *from, struct side *to, const struct table *t,
    FILE *report)
{
	struct copy_row	 c = { from, to, t };
	unsigned char	 a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	char		 why[200];
	unsigned int	 alen = 0, blen = 0, i;
	int		 rc = -1;

	from->rows = to->rows = 0;
	if (EVP_DigestInit_ex(from->md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(to->md, EVP_sha256(), NULL) != 1 ||
	    prepare_insert(to, t) != 0 || read_rows(from, t, copy_one, &c) != 0 ||
	    read_rows(to, t, digest_one, to) != 0 ||
	    EVP_DigestFinal_ex(from->md, a, &alen) != 1 ||
	    EVP_DigestFinal_ex(to->md, b, &blen) != 1)
		goto out;
	if (from->rows != to->rows || alen != blen || memcmp(a, b, alen)) {
		snprintf(why, sizeof(why), "%s: %lld rows read, %lld written, "
		    "checksums %s", t->name, from->rows, to->rows,
		    memcmp(a, b, alen) ? "differ" : "agree");
		fail(to, why);
		goto out;
	}
	fprintf(report, "%s %lld ", t->name, from->rows);
	for (i = 0; i < alen; i++)
		fprintf(report, "%02x", a[i]);
	fprintf(report, "\n");
	rc = 0;
out:
	sqlite3_finalize(to->ins);
	to->ins = NULL;
	return rc;
}

/* PostgreSQL's sequences start after the ids copied in. */
static int
bump_sequences(struct side *d)
{
	static const char *const seq[] = { "events", "pending", "outbox" };
	char	 sql[200];
	size_t	 i;

	for (i = 0; d->conn != NULL && i < 3; i++) {
		snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence"
		    "('%s', 'id'), coalesce(max(id), 0) + 1, false) FROM %s",
		    seq[i], seq[i]);
		if (run(d, sql) != 0)
			return -1;
	}
	return 0;
}

static int
copy_all(struct side *from, struct side *to, FILE *report)
{
	size_t	 i;

	if (check_empty(to) != 0 ||
	    run(from, from->conn ? "BEGIN ISOLATION LEVEL REPEATABLE READ "
	    "READ ONLY" : "BEGIN") != 0)
		return -1;
	if (run(to, "BEGIN") != 0 || run(to, "DELETE FROM meta") != 0)
		goto fail;
	for (i = 0; i < NTABLES; i++)
		if (copy_table(from, to, &tables[i], report) != 0)
			goto fail;
	if (bump_sequences(to) != 0 || run(to, "COMMIT") != 0)
		goto fail;
	run(from, "COMMIT");
	return 0;
fail:
	if (to->conn != NULL)
		PQclear(PQexec(to->conn, "ROLLBACK"));
	else
		sqlite3_exec(to->db, "ROLLBACK", NULL, NULL, NULL);
	run(from, "ROLLBACK");
	return -1;
}

int
store_copy(struct store *from, struct store *to, FILE *report, char *reason,
    size_t rlen)
{
	struct side	 a = { 0 }, b = { 0 };
	int		 rc = -1;

	a.err = b.err = reason;
	a.errlen = b.errlen = rlen;
	if (side_open(from, &a) != 0 || side_open(to, &b) != 0)
		return -1;
	if ((a.md = EVP_MD_CTX_new()) != NULL &&
	    (b.md = EVP_MD_CTX_new()) != NULL)
		rc = copy_all(&a, &b, report);
	else
		fail(&a, "out of memory");
	EVP_MD_CTX_free(a.md);
	EVP_MD_CTX_free(b.md);
	return rc;
}
