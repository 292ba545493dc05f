/* ledger.c - the signer's record of the serials it signed (ledger.h). */
#include "signer/ledger.h"
#include "ca/issue.h"
#include "util/cert.h"
#include "util/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <sqlite3.h>

/*
 * WITHOUT ROWID: the primary key is the table. synchronous = NORMAL in
 * WAL mode: a commit is in the log before the signature leaves, and a
 * power cut can lose the last ones but never leaves the file broken; the
 * store (FULL) keeps every certificate a client received as well.
 */
static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS signed ("
	/* Upper-case hex, as the store has it: one serial for every CA
	 * generation, as the store keys certificates by serial alone. */
	" serial TEXT NOT NULL PRIMARY KEY,"
	" ca TEXT NOT NULL,"		/* the CA key's SHA-1, hex */
	" key_id TEXT NOT NULL,"	/* the certified key's SHA-1, hex */
	" txid TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" signed_at INTEGER NOT NULL) WITHOUT ROWID;"
	/* Each serial a CRL this signer signed has revoked, by CA key, with
	 * its revocationDate and reason (-1: none): a later CRL of that key
	 * must have it as it was, and no OCSP answer may call it good,
	 * unknown or revoked at another time (mscep never takes a
	 * certificate off its CRL, nor changes an entry). Only serials this
	 * signer signed for that key are recorded, so that a CRL cannot
	 * make it insist on serials that were never issued. */
	"CREATE TABLE IF NOT EXISTS revoked ("
	" ca TEXT NOT NULL,"
	" serial TEXT NOT NULL,"
	" revoked_at INTEGER NOT NULL,"
	" reason INTEGER NOT NULL,"
	" seen_at INTEGER NOT NULL,"
	" PRIMARY KEY (ca, serial)) WITHOUT ROWID;";

static const char revoked_sql[] =
	"SELECT revoked_at, reason FROM revoked WHERE ca = ?1 AND serial = ?2";

static const char revoke_sql[] =
	"INSERT INTO revoked (ca, serial, revoked_at, reason, seen_at)"
	" SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM signed"
	" WHERE serial = ?2 AND ca = ?1) ON CONFLICT DO NOTHING";

static const char claim_sql[] =
	"INSERT INTO signed (serial, ca, key_id, txid, subject, not_after,"
	" signed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO"
	" NOTHING";

static const char holder_sql[] =
	"SELECT txid, signed_at FROM signed WHERE serial = ?1";

struct ledger {
	sqlite3		*db;
	sqlite3_stmt	*claim;
	sqlite3_stmt	*holder;
	sqlite3_stmt	*revoked;
	sqlite3_stmt	*revoke;
};

/*
 * 0 when start and each folder above it are folders owned by root or by
 * this user and writable by no one else; start may be a sticky one
 * (/tmp) when sticky_ok, those above it may. Whoever could rename one of
 * them could put an empty ledger in the ledger's place.
 */
static int
safe_chain(const char *path, const char *start, int sticky_ok, char *reason,
    size_t rlen)
{
	char		 up[PATH_MAX];
	char		*slash;
	struct stat	 sb;
	uid_t		 me = geteuid();

	util_strlcpy(up, start, sizeof(up));
	for (;;) {
		if (stat(up, &sb) != 0) {
			snprintf(reason, rlen, "[Signer] Ledger %s: %s: %s",
			    path, up, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(sb.st_mode) || (sb.st_uid != 0 &&
		    sb.st_uid != me) || ((sb.st_mode & (S_IWGRP | S_IWOTH)) &&
		    !(sticky_ok && (sb.st_mode & S_ISVTX)))) {
			snprintf(reason, rlen, "[Signer] Ledger %s: %s is not "
			    "a folder of root's or the signer's that no one "
			    "else can write: another user could replace the "
			    "ledger (give it a folder of its own, as "
			    "/var/lib/mscep-signer)", path, up);
			return -1;
		}
		if (strcmp(up, "/") == 0)
			return 0;
		if ((slash = strrchr(up, '/')) == up)
			up[1] = '\0';
		else
			*slash = '\0';
		sticky_ok = 1;
	}
}

/*
 * The ledger's folder: those above it checked first (safe_chain, a
 * sticky /tmp allowed), then the folder made 0700 when missing, then it
 * checked too, sticky or not. Its real path into dir.
 */
static int
safe_folder(const char *path, char *dir, size_t dlen, char *reason,
    size_t rlen)
{
	char	 want[PATH_MAX], parent[PATH_MAX], real[PATH_MAX];
	char	*slash;

	util_strlcpy(want, path, sizeof(want));
	if ((slash = strrchr(want, '/')) == NULL || slash == want) {
		snprintf(reason, rlen, "[Signer] Ledger %s: not a file in a "
		    "folder of its own", path);
		return -1;
	}
	*slash = '\0';
	util_strlcpy(parent, want, sizeof(parent));
	slash = strrchr(parent, '/');
	if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (realpath(parent, real) == NULL) {
		snprintf(reason, rlen, "[Signer] Ledger %s: %s: %s", path,
		    parent, strerror(errno));
		return -1;
	}
	if (safe_chain(path, real, 1, reason, rlen) != 0)
		return -1;
	if ((mkdir(want, 0700) != 0 && errno != EEXIST) ||
	    realpath(want, dir) == NULL || strlen(dir) >= dlen) {
		snprintf(reason, rlen, "[Signer] Ledger %s: its folder: %s",
		    path, strerror(errno));
		return -1;
	}
	return safe_chain(path, dir, 0, reason, rlen);
}

struct ledger *
ledger_open(const char *path, int busy_ms, char *reason, size_t rlen)
{
	struct ledger	*l;
	char		 dir[PATH_MAX], real[PATH_MAX + 256];
	const char	*base = strrchr(path, '/');
	mode_t		 old;
	int		 rc;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return NULL;
	}
	/* ":memory:", for the fuzzer: no folder. */
	if (strcmp(path, ":memory:") == 0)
		util_strlcpy(real, path, sizeof(real));
	else if (safe_folder(path, dir, sizeof(dir), reason, rlen) != 0) {
		free(l);
		return NULL;
	} else
		snprintf(real, sizeof(real), "%s/%s", dir, base != NULL ?
		    base + 1 : path);
	old = umask(077);
	rc = sqlite3_open_v2(real, &l->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	umask(old);
	if (rc != SQLITE_OK ||
	    sqlite3_busy_timeout(l->db, busy_ms) != SQLITE_OK ||
	    sqlite3_exec(l->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(l->db, claim_sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &l->claim, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(l->db, holder_sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &l->holder, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(l->db, revoked_sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &l->revoked, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(l->db, revoke_sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &l->revoke, NULL) != SQLITE_OK) {
		snprintf(reason, rlen, "[Signer] Ledger %s: %s (the signer's "
		    "user must be able to write its folder)", path,
		    l->db != NULL ? sqlite3_errmsg(l->db) : "cannot open");
		ledger_close(l);
		return NULL;
	}
	/* SQLite falls back to read only when it may not write the file:
	 * then no certificate could be recorded, so none signed. */
	if (sqlite3_db_readonly(l->db, "main") != 0) {
		snprintf(reason, rlen, "[Signer] Ledger %s: not writable by "
		    "the signer's user", path);
		ledger_close(l);
		return NULL;
	}
	return l;
}

struct ledger *
ledger_open_ro(const char *path, char *reason, size_t rlen)
{
	struct ledger	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(l->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(l->db, "SELECT 1 FROM signed LIMIT 1", NULL, NULL,
	    NULL) != SQLITE_OK) {
		snprintf(reason, rlen, "[Signer] Ledger %s: %s (run as root or "
		    "as the signer's user)", path, l->db != NULL ?
		    sqlite3_errmsg(l->db) : "cannot open");
		ledger_close(l);
		return NULL;
	}
	return l;
}

int
ledger_each(struct ledger *l, int64_t since,
    int (*fn)(const struct ledger_entry *, void *), void *arg, char *reason,
    size_t rlen)
{
	sqlite3_stmt		*q = NULL;
	struct ledger_entry	 e;
	int			 rc;

	if (sqlite3_prepare_v2(l->db, "SELECT ca, serial, txid, subject, "
	    "not_after, signed_at, key_id FROM signed WHERE signed_at >= ?1 "
	    "ORDER BY signed_at, serial", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 1, since) != SQLITE_OK) {
		snprintf(reason, rlen, "ledger: %s", sqlite3_errmsg(l->db));
		sqlite3_finalize(q);
		return -1;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		e.ca = (const char *)sqlite3_column_text(q, 0);
		e.serial = (const char *)sqlite3_column_text(q, 1);
		e.txid = (const char *)sqlite3_column_text(q, 2);
		e.subject = (const char *)sqlite3_column_text(q, 3);
		e.not_after = sqlite3_column_int64(q, 4);
		e.signed_at = sqlite3_column_int64(q, 5);
		e.key_id = (const char *)sqlite3_column_text(q, 6);
		if (e.ca == NULL || e.serial == NULL || e.txid == NULL ||
		    e.subject == NULL || e.key_id == NULL || fn(&e, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(reason, rlen, "ledger: %s", sqlite3_errmsg(l->db));
		sqlite3_finalize(q);
		return -1;
	}
	sqlite3_finalize(q);
	return 0;
}

void
ledger_close(struct ledger *l)
{
	if (l == NULL)
		return;
	sqlite3_finalize(l->claim);
	sqlite3_finalize(l->holder);
	sqlite3_finalize(l->revoked);
	sqlite3_finalize(l->revoke);
	sqlite3_close(l->db);
	free(l);
}

/* Who had the serial: its transaction and when, for the refusal. */
static void
holder(struct ledger *l, const char *serial, char *reason, size_t rlen)
{
	const unsigned char	*txid = NULL;
	char			 when[32] = "?";

	sqlite3_reset(l->holder);
	if (sqlite3_bind_text(l->holder, 1, serial, -1, SQLITE_STATIC) ==
	    SQLITE_OK && sqlite3_step(l->holder) == SQLITE_ROW) {
		txid = sqlite3_column_text(l->holder, 0);
		util_iso8601(sqlite3_column_int64(l->holder, 1), when,
		    sizeof(when));
	}
	snprintf(reason, rlen, "serial %s already signed (transaction %s, "
	    "%s)", serial, txid != NULL ?
	    (const char *)txid : "?", when);
	sqlite3_reset(l->holder);
}

/* e into the ledger: 0 new, 1 its serial there already, -1 error. */
static int
record(struct ledger *l, const struct ledger_entry *e, char *reason,
    size_t rlen)
{
	int	 rc;

	sqlite3_reset(l->claim);
	if (sqlite3_bind_text(l->claim, 1, e->serial, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_text(l->claim, 2, e->ca, -1,
	    SQLITE_STATIC) != SQLITE_OK || sqlite3_bind_text(l->claim, 3,
	    e->key_id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(l->claim, 4, e->txid, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_text(l->claim, 5, e->subject, -1,
	    SQLITE_STATIC) != SQLITE_OK || sqlite3_bind_int64(l->claim, 6,
	    e->not_after) != SQLITE_OK || sqlite3_bind_int64(l->claim, 7,
	    e->signed_at) != SQLITE_OK ||
	    sqlite3_step(l->claim) != SQLITE_DONE) {
		snprintf(reason, rlen, "ledger: cannot record serial %s: %s",
		    e->serial, sqlite3_errmsg(l->db));
		rc = -1;
	} else
		rc = sqlite3_changes(l->db) == 1 ? 0 : 1;
	sqlite3_reset(l->claim);
	return rc;
}

int
ledger_claim(struct ledger *l, X509 *ca, X509 *x, const char *txid,
    char *reason, size_t rlen)
{
	struct ledger_entry	 e = { .txid = txid };
	char			 ca_id[41], key_id[41], serial[160];
	char			*subject = NULL, *sans = NULL;
	int			 rc = -1;

	if (cert_key_id_hex(X509_get_X509_PUBKEY(ca), ca_id) != 0 ||
	    cert_key_id_hex(X509_get_X509_PUBKEY(x), key_id) != 0 ||
	    cert_serial_hex(X509_get0_serialNumber(x), serial,
	    sizeof(serial)) != 0 || issue_describe(x, &subject, &sans) != 0) {
		snprintf(reason, rlen, "ledger: cannot describe the "
		    "certificate");
		goto out;
	}
	e.ca = ca_id;
	e.key_id = key_id;
	e.serial = serial;
	e.subject = subject;
	e.not_after = cert_time_epoch(X509_get0_notAfter(x));
	e.signed_at = util_now();
	if ((rc = record(l, &e, reason, rlen)) == 1)
		holder(l, serial, reason, rlen);
out:
	free(subject);
	free(sans);
	return rc;
}

int
ledger_import(struct ledger *l, const struct ledger_entry *e, char *reason,
    size_t rlen)
{
	return record(l, e, reason, rlen);
}

int
ledger_batch(struct ledger *l, int commit, char *reason, size_t rlen)
{
	const char	*sql = commit > 0 ? "COMMIT" : commit < 0 ?
	    "ROLLBACK" : "BEGIN IMMEDIATE";

	if (sqlite3_exec(l->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	snprintf(reason, rlen, "ledger: %s: %s", sql, sqlite3_errmsg(l->db));
	/* A COMMIT that failed can leave the transaction open (a rollback
	 * journal busy): the next claim would land in it for good. */
	if (!sqlite3_get_autocommit(l->db))
		(void)sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* An entry of crl (its serial recorded if this signer signed it). */
static int
record_revoked(struct ledger *l, const char *ca, const char *serial,
    int64_t at, int why, char *reason, size_t rlen)
{
	int	 rc = -1;

	sqlite3_reset(l->revoke);
	if (sqlite3_bind_text(l->revoke, 1, ca, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_text(l->revoke, 2, serial, -1,
	    SQLITE_STATIC) != SQLITE_OK || sqlite3_bind_int64(l->revoke, 3,
	    at) != SQLITE_OK || sqlite3_bind_int(l->revoke, 4, why) !=
	    SQLITE_OK || sqlite3_bind_int64(l->revoke, 5, util_now()) !=
	    SQLITE_OK || sqlite3_step(l->revoke) != SQLITE_DONE)
		snprintf(reason, rlen, "ledger: cannot record serial %s "
		    "revoked: %s", serial, sqlite3_errmsg(l->db));
	else
		rc = 0;
	sqlite3_reset(l->revoke);
	return rc;
}

int
ledger_is_revoked(struct ledger *l, const char *ca, const char *serial,
    int64_t *at, int *why, char *reason, size_t rlen)
{
	int	 rc;

	sqlite3_reset(l->revoked);
	if (sqlite3_bind_text(l->revoked, 1, ca, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_text(l->revoked, 2, serial, -1,
	    SQLITE_STATIC) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else if ((rc = sqlite3_step(l->revoked)) == SQLITE_ROW) {
		*at = sqlite3_column_int64(l->revoked, 0);
		*why = sqlite3_column_int(l->revoked, 1);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		snprintf(reason, rlen, "ledger: cannot look up serial %s: %s",
		    serial, sqlite3_errmsg(l->db));
	sqlite3_reset(l->revoked);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* A CRL entry as the ledger keeps it. */
struct entry {
	char	*serial;
	int64_t	 at;
	int	 why;
};

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->serial,
	    ((const struct entry *)b)->serial);
}

/* The reasonCode of r, -1 when it has none. */
static int
entry_reason(X509_REVOKED *r)
{
	ASN1_ENUMERATED	*e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL,
	    NULL);
	long		 v = e != NULL ? ASN1_ENUMERATED_get(e) : -1;

	ASN1_ENUMERATED_free(e);
	return v < 0 || v > 255 ? -1 : (int)v;
}

/* The entries of crl, sorted by serial, into *out (*n of them). */
static int
crl_entries(X509_CRL *crl, struct entry **out, int *n, char *reason,
    size_t rlen)
{
	STACK_OF(X509_REVOKED)	*rev = X509_CRL_get_REVOKED(crl);
	X509_REVOKED		*r;
	struct entry		*e;
	char			 hex[160];
	int			 i, want = sk_X509_REVOKED_num(rev);

	*out = NULL;
	*n = 0;
	if (want <= 0)
		return 0;
	if ((e = calloc((size_t)want, sizeof(*e))) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	*out = e;
	for (i = 0; i < want; i++) {
		r = sk_X509_REVOKED_value(rev, i);
		if (cert_serial_hex(X509_REVOKED_get0_serialNumber(r), hex,
		    sizeof(hex)) != 0 || (e[i].serial = strdup(hex)) == NULL) {
			snprintf(reason, rlen, "CRL entry %d: cannot read its "
			    "serial", i);
			return -1;
		}
		(*n)++;
		e[i].at = cert_time_epoch(X509_REVOKED_get0_revocationDate(r));
		e[i].why = entry_reason(r);
	}
	qsort(e, (size_t)*n, sizeof(*e), cmp_entry);
	return 0;
}

static void
entries_free(struct entry *e, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(e[i].serial);
	free(e);
}

/*
 * Inside a transaction (ledger_batch) the caller ends once the CRL is
 * signed (commit) or not (roll back): every serial recorded revoked for
 * ca must be on crl with its date and reason, and crl's own serials that
 * this signer signed for ca are recorded.
 */
int
ledger_crl_keeps(struct ledger *l, const char *ca, X509_CRL *crl,
    char *reason, size_t rlen)
{
	sqlite3_stmt	*q = NULL;
	struct entry	*on = NULL, key, *hit;
	const char	*serial;
	int		 got = 0, i, rc = -1, step;
	int64_t		 lost = 0;

	if (crl_entries(crl, &on, &got, reason, rlen) != 0)
		goto out;
	for (i = 1; i < got; i++)
		if (strcmp(on[i - 1].serial, on[i].serial) == 0) {
			snprintf(reason, rlen, "a CRL with serial %s twice",
			    on[i].serial);
			rc = 1;
			goto out;
		}
	if (sqlite3_prepare_v2(l->db, "SELECT serial, revoked_at, reason "
	    "FROM revoked WHERE ca = ?1", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(q, 1, ca, -1, SQLITE_STATIC) != SQLITE_OK) {
		snprintf(reason, rlen, "ledger: %s", sqlite3_errmsg(l->db));
		goto out;
	}
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		if ((serial = (const char *)sqlite3_column_text(q, 0)) == NULL)
			continue;
		key.serial = (char *)serial;
		hit = got > 0 ? bsearch(&key, on, (size_t)got, sizeof(*on),
		    cmp_entry) : NULL;
		if (hit != NULL && hit->at == sqlite3_column_int64(q, 1) &&
		    hit->why == sqlite3_column_int(q, 2))
			continue;
		if (lost++ > 0)
			continue;
		if (hit == NULL)
			snprintf(reason, rlen, "a CRL without serial %s, which "
			    "a CRL this signer signed revoked", serial);
		else {
			char	 when[32];

			/* What to put back in the store. */
			util_iso8601(sqlite3_column_int64(q, 1), when,
			    sizeof(when));
			snprintf(reason, rlen, "a CRL whose entry for serial %s "
			    "has another revocationDate or reason than the CRL "
			    "this signer signed before (%s, %lld, reasonCode "
			    "%d)", serial, when, (long long)
			    sqlite3_column_int64(q, 1), sqlite3_column_int(q,
			    2) < 0 ? 0 : sqlite3_column_int(q, 2));
		}
	}
	if (step != SQLITE_DONE) {
		snprintf(reason, rlen, "ledger: %s", sqlite3_errmsg(l->db));
		goto out;
	}
	if (lost > 0) {
		if (lost > 1) {
			size_t	 len = strlen(reason);

			snprintf(reason + len, rlen - len, " (and %lld more)",
			    (long long)lost - 1);
		}
		rc = 1;
		goto out;
	}
	for (i = 0; i < got; i++)
		if (record_revoked(l, ca, on[i].serial, on[i].at, on[i].why,
		    reason, rlen) != 0)
			goto out;
	rc = 0;
out:
	sqlite3_finalize(q);
	entries_free(on, got);
	return rc;
}
