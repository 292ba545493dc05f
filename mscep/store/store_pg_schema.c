/*
 * store_pg_schema.c - the PostgreSQL schema and its versions, applied by
 * mscep-admin store migrate only, never by a worker: the tables of the
 * SQLite store (store_sqlite.c, version 4) with the same names and
 * columns, so that store copy moves rows between the two as they are.
 */
#include "store/store.h"
#include "store/store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char schema_v4[] =
	"CREATE TABLE certificates ("
	" serial TEXT PRIMARY KEY NOT NULL,"
	" subject TEXT NOT NULL,"
	" sans TEXT NOT NULL DEFAULT '',"
	" template TEXT NOT NULL,"
	" not_before BIGINT NOT NULL,"
	" not_after BIGINT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'issued'"
	"  CHECK (status IN ('issued','revoked')),"
	" der BYTEA NOT NULL,"
	" transaction_id TEXT NOT NULL,"
	" key_id TEXT NOT NULL,"
	" issued_at BIGINT NOT NULL,"
	" device_id TEXT,"
	" ca_key TEXT NOT NULL DEFAULT '',"
	" revoked_at BIGINT,"
	" revoke_reason INTEGER);"
	"CREATE INDEX certificates_revoked ON certificates(ca_key, serial)"
	" WHERE status = 'revoked';"
	"CREATE INDEX certificates_device ON certificates(device_id);"
	"CREATE INDEX certificates_subject ON certificates(subject);"
	"CREATE INDEX certificates_issued ON certificates(issued_at, serial);"
	"CREATE TABLE transactions ("
	" transaction_id TEXT PRIMARY KEY NOT NULL,"
	" key_id TEXT NOT NULL,"
	" message_type INTEGER NOT NULL,"
	" status TEXT NOT NULL,"
	" serial TEXT NOT NULL REFERENCES certificates(serial),"
	" created_at BIGINT NOT NULL);"
	"CREATE TABLE passwords ("
	" hash TEXT PRIMARY KEY NOT NULL,"
	" single INTEGER NOT NULL DEFAULT 0,"
	" created_at BIGINT NOT NULL,"
	" expires_at BIGINT);"
	"CREATE TABLE challenge_nonces ("
	" nonce TEXT PRIMARY KEY NOT NULL,"
	" used_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL);"
	"CREATE TABLE events ("
	" id BIGSERIAL PRIMARY KEY,"
	" at BIGINT NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('success','failure')),"
	" transaction_id TEXT NOT NULL,"
	" serial TEXT, thumbprint TEXT, not_after BIGINT, issuer TEXT,"
	" device_id TEXT, code TEXT NOT NULL, description TEXT);"
	"CREATE INDEX events_at ON events(at);"
	"CREATE TABLE pending ("
	" id BIGSERIAL PRIMARY KEY,"
	" transaction_id TEXT NOT NULL UNIQUE,"
	" key_id TEXT NOT NULL,"
	" template TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" sans TEXT NOT NULL DEFAULT '',"
	" requester TEXT NOT NULL DEFAULT '',"
	" device_id TEXT,"
	" sid TEXT,"
	" subject_der BYTEA,"
	" csr BYTEA NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (status IN ('pending','approved','denied','expired')),"
	" decided_at BIGINT,"
	" serial TEXT);"
	"CREATE TABLE meta ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" value BIGINT NOT NULL);"
	"INSERT INTO meta VALUES ('crl_number', 0), ('crl_dirty', 1);"
	"CREATE TABLE outbox ("
	" id BIGSERIAL PRIMARY KEY,"
	" transaction_id TEXT NOT NULL,"
	" serial TEXT REFERENCES certificates(serial),"
	" action TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" tried_at BIGINT,"
	" tries INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT);"
	"CREATE INDEX outbox_serial ON outbox(serial);"
	"INSERT INTO mscep_schema VALUES (4);";

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The version found (0: none), or -1 with the reason. */
static int
version(PGconn *c, char *reason, size_t rlen)
{
	PGresult	*r;
	int		 v = -1;

	r = PQexec(c, "SELECT coalesce(max(version), 0) FROM mscep_schema");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
	else
		snprintf(reason, rlen, "cannot read the schema version: %s",
		    PQresultErrorMessage(r));
	PQclear(r);
	return v;
}

static int
run(PGconn *c, const char *sql, char *reason, size_t rlen)
{
	PGresult	*r = PQexec(c, sql);
	int		 ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		snprintf(reason, rlen, "PostgreSQL: %s",
		    PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

/* Inside the migration's transaction: version *from up to this one. */
static int
upgrade(PGconn *c, int *from, char *reason, size_t rlen)
{
	if (run(c, "CREATE TABLE IF NOT EXISTS mscep_schema ("
	    " version INTEGER NOT NULL)", reason, rlen) != 0 ||
	    (*from = version(c, reason, rlen)) < 0)
		return -1;
	if (*from > STORE_PG_SCHEMA) {
		snprintf(reason, rlen, "the PostgreSQL schema is version %d, "
		    "newer than this mscep's (%d): upgrade mscep", *from,
		    STORE_PG_SCHEMA);
		return -1;
	}
	if (*from == 0)
		return run(c, schema_v4, reason, rlen);
	return 0;
}

int
store_pg_migrate(const char *conninfo, int *from, char *reason,
    size_t rlen)
{
	PGconn	*c = PQconnectdb(conninfo);
	int	 rc = -1;

	*from = 0;
	reason[0] = '\0';
	PQsetNoticeProcessor(c, quiet, NULL);
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(reason, rlen, "cannot connect to PostgreSQL: %s",
		    PQerrorMessage(c));
		goto out;
	}
	/* Two migrations at once: the second waits, then finds it done. */
	if (run(c, "BEGIN", reason, rlen) == 0 &&
	    run(c, "SELECT pg_advisory_xact_lock(4242000)", reason,
	    rlen) == 0 && upgrade(c, from, reason, rlen) == 0 &&
	    run(c, "COMMIT", reason, rlen) == 0)
		rc = 0;
out:
	PQfinish(c);
	reason[strcspn(reason, "\n")] = '\0';
	return rc;
}
