/* test_store.c - the lifecycle tables: migration, revocation, listing,
 * CRL counters, pending requests and renewal claims. */
#include <CUnit/CUnit.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fixture.h"
#include "store/store.h"
#include "store/store_copy.h"
#include "suites.h"

static struct fixture	 fx;

static enum store_rc
add(const char *serial, const char *subject, const char *device,
    const char *tmpl, int64_t not_after, const struct store_claim *claim)
{
	static const struct store_claim none = { .kind = CLAIM_NONE };
	struct store_cert	 c = { 0 };
	char			 txid[64];

	snprintf(txid, sizeof(txid), "tx-%s", serial);
	c.serial = serial;
	c.subject = subject;
	c.sans = "";
	c.template_name = tmpl;
	c.txid = txid;
	c.key_id = "K";
	c.device_id = device;
	c.ca_key = "CA1";
	c.not_after = not_after;
	c.der = (const unsigned char *)"x";
	c.der_len = 1;
	return store_issue(fx.store, &c, claim ? claim : &none);
}

static int
count_row(const struct cert_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int
list_count(const struct cert_filter *f)
{
	int	 n = 0;

	if (store_list(fx.store, f, count_row, &n) != STORE_OK)
		return -1;
	return n;
}

/* The interface opens a backend by name; an unknown name says so. */
static void
test_backend(void)
{
	struct store	*st = NULL;
	char		 path[PATH_MAX], reason[REASON_MAX] = "";

	snprintf(path, sizeof(path), "%s/backend.db", fx.dir);
	CU_ASSERT_EQUAL(store_open_backend("oracle", path, &st, reason,
	    sizeof(reason)), -1);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "unknown store backend"));
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	CU_ASSERT_EQUAL(store_open_backend("sqlite", path, &st, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_count_certs(st), 0);
	store_close(st);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
}

static void
test_migrate_v2(void)
{
	const char	*path = "/tmp/mscep-unit-v2.db";
	struct store	*st = NULL;
	struct cert_row	 r;
	sqlite3		*db = NULL;
	char		 reason[REASON_MAX];
	int		 already;

	unlink(path);
	/* A version 2 store (before the lifecycle tables), with one
	 * certificate. */
	CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
	CU_ASSERT_FATAL(sqlite3_exec(db, "CREATE TABLE certificates (serial "
	    "TEXT PRIMARY KEY NOT NULL, subject TEXT NOT NULL, sans TEXT NOT "
	    "NULL DEFAULT '', template TEXT NOT NULL, not_before INTEGER NOT "
	    "NULL, not_after INTEGER NOT NULL, status TEXT NOT NULL DEFAULT "
	    "'issued' CHECK (status IN ('issued','revoked')), der BLOB NOT "
	    "NULL, transaction_id TEXT NOT NULL, key_id TEXT NOT NULL, "
	    "issued_at INTEGER NOT NULL); INSERT INTO certificates VALUES "
	    "('0B','CN=old','','T',1,2,'issued',x'00','tx','k',1);"
	    "PRAGMA user_version=2;", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CU_ASSERT_FATAL(store_open(path, &st, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(store_revoke(st, "0B", 1, 100, &already), STORE_OK);
	CU_ASSERT_EQUAL(store_cert_status(st, "0B", &r), STORE_OK);
	CU_ASSERT(r.revoked && r.reason == 1 && r.revoked_at == 100);
	store_close(st);
	/* Opening again must not try to migrate twice. */
	CU_ASSERT_FATAL(store_open(path, &st, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(store_cert_status(st, "0B", &r), STORE_OK);
	CU_ASSERT(r.revoked);
	store_close(st);
	unlink(path);
}

static void
test_revoke(void)
{
	struct cert_row	 r;
	int64_t		 n = 0;
	int		 already = -1;

	CU_ASSERT_EQUAL_FATAL(add("01", "CN=a", "dev1", "T", 4e9, NULL),
	    STORE_OK);
	CU_ASSERT_EQUAL(store_crl_next(fx.store, 1, &n), STORE_OK);
	CU_ASSERT_EQUAL(store_crl_dirty(fx.store), 0);
	CU_ASSERT_EQUAL(store_crl_wanted(fx.store), 0);
	CU_ASSERT_EQUAL(store_revoke(fx.store, "01", 1, 1000, &already),
	    STORE_OK);
	CU_ASSERT_EQUAL(already, 0);
	CU_ASSERT_EQUAL(store_crl_dirty(fx.store), 1);
	/* Every host's CRL must now reach the next number, and still must
	 * after another host built it and cleared the dirty mark. */
	CU_ASSERT_EQUAL(store_crl_wanted(fx.store), n + 1);
	CU_ASSERT_EQUAL(store_crl_next(fx.store, 1, &n), STORE_OK);
	CU_ASSERT_EQUAL(store_crl_dirty(fx.store), 0);
	CU_ASSERT_EQUAL(store_crl_wanted(fx.store), n);
	/* Idempotent: the first time and reason stay. */
	CU_ASSERT_EQUAL(store_revoke(fx.store, "01", 5, 2000, &already),
	    STORE_OK);
	CU_ASSERT_EQUAL(already, 1);
	CU_ASSERT_EQUAL(store_cert_status(fx.store, "01", &r), STORE_OK);
	CU_ASSERT(r.revoked && r.reason == 1 && r.revoked_at == 1000);
	CU_ASSERT_EQUAL(store_revoke(fx.store, "FF", 1, 1, &already),
	    STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(store_cert_status(fx.store, "FF", &r),
	    STORE_NOT_FOUND);
}

static void
test_bulk(void)
{
	struct cert_filter	 f = { 0 };
	int64_t			 n = -1, before, after;

	CU_ASSERT_EQUAL_FATAL(add("10", "CN=d", "dev2", "T", 4e9, NULL),
	    STORE_OK);
	CU_ASSERT_EQUAL_FATAL(add("11", "CN=d", "dev2", "T", 4e9, NULL),
	    STORE_OK);
	CU_ASSERT_EQUAL_FATAL(add("12", "CN=e", "dev3", "U", 4e9, NULL),
	    STORE_OK);
	/* No selector but status: refused rather than revoking everything. */
	f.status = 1;
	CU_ASSERT_EQUAL(store_revoke_where(fx.store, &f, 0, 1, &n),
	    STORE_ERROR);
	f.status = 0;
	f.device_id = "dev2";
	CU_ASSERT_EQUAL(store_crl_next(fx.store, 1, &before), STORE_OK);
	CU_ASSERT_EQUAL(store_revoke_where(fx.store, &f, 5, 7, &n), STORE_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(store_revoke_where(fx.store, &f, 5, 8, &n), STORE_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(store_crl_dirty(fx.store), 1);
	CU_ASSERT_EQUAL(store_crl_next(fx.store, 3, &after), STORE_OK);
	CU_ASSERT_EQUAL(after, before + 1);
	/* Three CA keys took before + 1 to before + 3. */
	CU_ASSERT_EQUAL(store_crl_next(fx.store, 1, &after), STORE_OK);
	CU_ASSERT_EQUAL(after, before + 4);
	CU_ASSERT_EQUAL(store_crl_next(fx.store, 0, &after), STORE_ERROR);
	memset(&f, 0, sizeof(f));
	f.template_name = "U";
	CU_ASSERT_EQUAL(list_count(&f), 1);
	f.template_name = NULL;
	f.status = 2;
	CU_ASSERT_EQUAL(list_count(&f), 3);	/* 01, 10, 11 */
	f.subject = "CN=d";
	CU_ASSERT_EQUAL(list_count(&f), 2);
	f.subject = "CN=d' OR '1'='1";
	CU_ASSERT_EQUAL(list_count(&f), 0);
}

static void
test_renewal_claim(void)
{
	struct store_claim	 c = { .kind = CLAIM_RENEWAL, .key = "20",
				    .supersede = 1 };
	struct cert_row		 r;

	CU_ASSERT_EQUAL_FATAL(add("20", "CN=r", NULL, "T", 4e9, NULL),
	    STORE_OK);
	CU_ASSERT_EQUAL(add("21", "CN=r", NULL, "T", 4e9, &c), STORE_OK);
	CU_ASSERT_EQUAL(store_cert_status(fx.store, "20", &r), STORE_OK);
	CU_ASSERT(r.revoked && r.reason == REVOKE_SUPERSEDED);
	/* The old one is gone: a second renewal from it records nothing. */
	CU_ASSERT_EQUAL(add("22", "CN=r", NULL, "T", 4e9, &c),
	    STORE_CLAIM_REFUSED);
	CU_ASSERT_EQUAL(store_cert_status(fx.store, "22", &r),
	    STORE_NOT_FOUND);
	c.supersede = 0;
	strcpy(c.key, "21");
	CU_ASSERT_EQUAL(add("23", "CN=r", NULL, "T", 4e9, &c), STORE_OK);
	CU_ASSERT_EQUAL(store_cert_status(fx.store, "21", &r), STORE_OK);
	CU_ASSERT(!r.revoked);
}

struct seen {
	int	 n;
	int64_t	 id;
	char	 status[16];
};

static int
see(const struct pending_req *p, void *arg)
{
	struct seen	*s = arg;

	s->n++;
	s->id = p->id;
	snprintf(s->status, sizeof(s->status), "%s", p->status);
	return 0;
}

static int
count_event(const struct store_event *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static void
test_pending(void)
{
	static const struct store_claim none = { .kind = CLAIM_NONE };
	struct pending_req	 p = { 0 };
	struct store_cert	 c = { 0 };
	struct seen		 s = { 0 };
	struct store_event	 ev = { 0 };
	int64_t			 now = util_now();
	int			 nev = 0;

	p.txid = "ptx1";
	p.key_id = "PK";
	p.template_name = "T";
	p.subject = "CN=p";
	p.sans = "";
	p.requester = "addr=127.0.0.1";
	p.csr = (const unsigned char *)"csr";
	p.csr_len = 3;
	p.expires_at = now + 3600;
	CU_ASSERT_EQUAL_FATAL(store_pending_add(fx.store, &p, &none),
	    STORE_OK);
	CU_ASSERT_EQUAL(store_pending_add(fx.store, &p, &none),
	    STORE_TXID_TAKEN);
	CU_ASSERT_EQUAL(store_pending_find(fx.store, "ptx1", "PK", now, see,
	    &s), STORE_OK);
	CU_ASSERT_STRING_EQUAL(s.status, "pending");
	CU_ASSERT_EQUAL(store_pending_find(fx.store, "ptx1", "OTHER", now, see,
	    &s), STORE_TXID_TAKEN);
	CU_ASSERT_EQUAL(s.n, 1);
	s.n = 0;
	CU_ASSERT_EQUAL(store_pending_list(fx.store, now, see, &s), STORE_OK);
	CU_ASSERT_EQUAL(s.n, 1);
	c.serial = "30";
	c.subject = "CN=p";
	c.sans = "";
	c.template_name = "T";
	c.txid = "ptx1";
	c.key_id = "PK";
	c.der = (const unsigned char *)"x";
	c.der_len = 1;
	ev.at = now;
	ev.success = 1;
	ev.txid = "ptx1";
	ev.code = "Success";
	CU_ASSERT_EQUAL(store_pending_decide(fx.store, s.id, now, &c, &ev, 0),
	    STORE_OK);
	/* A decision that changes nothing records no event either. */
	ev.success = 0;
	ev.code = "CertificateRequestDenied";
	CU_ASSERT_EQUAL(store_pending_decide(fx.store, s.id, now, NULL, &ev,
	    0), STORE_NOT_PENDING);
	CU_ASSERT_EQUAL(store_events(fx.store, 0, count_event, &nev),
	    STORE_OK);
	CU_ASSERT_EQUAL(nev, 1);
	CU_ASSERT_EQUAL(store_pending_get(fx.store, s.id, now, see, &s),
	    STORE_OK);
	CU_ASSERT_STRING_EQUAL(s.status, "approved");
	/* A second one expires: it can be neither approved nor listed. */
	p.txid = "ptx2";
	p.expires_at = now + 10;
	CU_ASSERT_EQUAL_FATAL(store_pending_add(fx.store, &p, &none),
	    STORE_OK);
	s.n = 0;
	CU_ASSERT_EQUAL(store_pending_list(fx.store, now + 11, see, &s),
	    STORE_OK);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_EQUAL(store_pending_find(fx.store, "ptx2", "PK", now + 11,
	    see, &s), STORE_OK);
	CU_ASSERT_STRING_EQUAL(s.status, "expired");
	CU_ASSERT_EQUAL(store_pending_decide(fx.store, s.id, now + 11, NULL,
	    NULL, 0), STORE_NOT_PENDING);
}

/* The outbox: a notice recorded with its certificate or on its own. */
struct outbox_seen {
	int	 n;
	int64_t	 id;
	int	 tries;
	int64_t	 tried_at;
	int	 has_serial;
	char	 serial[16];
	char	 action[32];
	char	 body[32];
	char	 error[32];
};

static int
see_notice(const struct store_notice *sn, void *arg)
{
	struct outbox_seen	*o = arg;

	o->n++;
	o->id = sn->id;
	o->tries = sn->tries;
	o->tried_at = sn->tried_at;
	o->has_serial = sn->serial != NULL;
	snprintf(o->serial, sizeof(o->serial), "%s", sn->serial ? sn->serial :
	    "");
	snprintf(o->action, sizeof(o->action), "%s", sn->action);
	snprintf(o->body, sizeof(o->body), "%s", sn->body);
	snprintf(o->error, sizeof(o->error), "%s", sn->last_error);
	return 0;
}

static enum store_rc
add_noticed(struct store *st, const char *serial, const char *txid,
    const struct store_claim *claim)
{
	struct store_notice	 n = { 0 };
	struct store_cert	 c = { 0 };

	n.txid = txid;
	n.serial = serial;
	n.action = "successNotification";
	n.body = "{\"n\":1}";
	c.serial = serial;
	c.subject = "CN=o";
	c.sans = "";
	c.template_name = "T";
	c.txid = txid;
	c.key_id = "OK";
	c.der = (const unsigned char *)"x";
	c.der_len = 1;
	c.notice = &n;
	return store_issue(st, &c, claim);
}

static void
test_outbox(void)
{
	static const struct store_claim none = { .kind = CLAIM_NONE };
	struct store_claim	 otp = { .kind = CLAIM_OTP, .key = "nope" };
	struct outbox_seen	 o = { 0 };
	struct store_notice	 f = { 0 };

	CU_ASSERT_EQUAL(store_outbox_find(fx.store, "40", see_notice, &o),
	    STORE_NOT_FOUND);
	CU_ASSERT_EQUAL_FATAL(add_noticed(fx.store, "40", "otx40", &none),
	    STORE_OK);
	CU_ASSERT_EQUAL(store_outbox_find(fx.store, "40", see_notice, &o),
	    STORE_OK);
	CU_ASSERT_EQUAL(o.n, 1);
	CU_ASSERT_STRING_EQUAL(o.action, "successNotification");
	CU_ASSERT_STRING_EQUAL(o.body, "{\"n\":1}");
	CU_ASSERT(o.has_serial && o.tries == 0 && o.tried_at == 0);
	CU_ASSERT_STRING_EQUAL(o.error, "");
	/* A certificate that is not recorded leaves no notice either. */
	CU_ASSERT_EQUAL(add_noticed(fx.store, "41", "otx41", &otp),
	    STORE_CLAIM_REFUSED);
	CU_ASSERT_EQUAL(store_outbox_find(fx.store, "41", see_notice, &o),
	    STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(add_noticed(fx.store, "40", "otx42", &none),
	    STORE_SERIAL_TAKEN);
	/* Failed tries are counted with the last reason. */
	CU_ASSERT_EQUAL(store_outbox_failed(fx.store, o.id, 100, "HTTP 503"),
	    STORE_OK);
	CU_ASSERT_EQUAL(store_outbox_failed(fx.store, o.id, 200, "timeout"),
	    STORE_OK);
	memset(&o, 0, sizeof(o));
	CU_ASSERT_EQUAL(store_outbox_find(fx.store, "40", see_notice, &o),
	    STORE_OK);
	CU_ASSERT(o.tries == 2 && o.tried_at == 200);
	CU_ASSERT_STRING_EQUAL(o.error, "timeout");
	/* A failure notice stands alone: listed, never found by a serial. */
	f.txid = "otx43";
	f.action = "failureNotification";
	f.body = "{}";
	f.tries = 1;
	f.tried_at = 300;
	f.last_error = "HTTP 503";
	CU_ASSERT_EQUAL(store_outbox_add(fx.store, &f), STORE_OK);
	f.body = NULL;
	CU_ASSERT_EQUAL(store_outbox_add(fx.store, &f), STORE_ERROR);
	memset(&o, 0, sizeof(o));
	CU_ASSERT_EQUAL(store_outbox_list(fx.store, see_notice, &o), STORE_OK);
	CU_ASSERT_EQUAL(o.n, 2);
	CU_ASSERT(!o.has_serial && o.tries == 1);	/* the last, oldest first */
	CU_ASSERT_STRING_EQUAL(o.action, "failureNotification");
	CU_ASSERT_EQUAL(store_outbox_sent(fx.store, o.id), STORE_OK);
	/* Sent: the certificate's notice goes, once. */
	memset(&o, 0, sizeof(o));
	CU_ASSERT_EQUAL(store_outbox_find(fx.store, "40", see_notice, &o),
	    STORE_OK);
	CU_ASSERT_EQUAL(store_outbox_sent(fx.store, o.id), STORE_OK);
	CU_ASSERT_EQUAL(store_outbox_sent(fx.store, o.id), STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(store_outbox_failed(fx.store, o.id, 1, "x"),
	    STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(store_outbox_find(fx.store, "40", see_notice, &o),
	    STORE_NOT_FOUND);
	memset(&o, 0, sizeof(o));
	CU_ASSERT_EQUAL(store_outbox_list(fx.store, see_notice, &o), STORE_OK);
	CU_ASSERT_EQUAL(o.n, 0);
}

/* An approval records its certificate's notice in the same transaction;
 * a decision that changes nothing records none. */
static void
test_outbox_approval(void)
{
	static const struct store_claim none = { .kind = CLAIM_NONE };
	struct pending_req	 p = { 0 };
	struct store_cert	 c = { 0 };
	struct store_notice	 n = { 0 };
	struct outbox_seen	 o = { 0 };
	struct seen		 s = { 0 };
	int64_t			 now = util_now();

	p.txid = "optx";
	p.requester = "";
	p.key_id = "PK";
	p.template_name = "T";
	p.subject = "CN=p";
	p.sans = "";
	p.csr = (const unsigned char *)"csr";
	p.csr_len = 3;
	p.expires_at = now + 3600;
	CU_ASSERT_EQUAL_FATAL(store_pending_add(fx.store, &p, &none),
	    STORE_OK);
	CU_ASSERT_EQUAL_FATAL(store_pending_find(fx.store, "optx", "PK", now,
	    see, &s), STORE_OK);
	n.txid = "optx";
	n.serial = "50";
	n.action = "successNotification";
	n.body = "{}";
	c.serial = "50";
	c.subject = "CN=p";
	c.sans = "";
	c.template_name = "T";
	c.txid = "optx";
	c.key_id = "PK";
	c.der = (const unsigned char *)"x";
	c.der_len = 1;
	c.notice = &n;
	CU_ASSERT_EQUAL(store_pending_decide(fx.store, s.id, now, &c, NULL, 0),
	    STORE_OK);
	CU_ASSERT_EQUAL(store_outbox_find(fx.store, "50", see_notice, &o),
	    STORE_OK);
	c.serial = n.serial = "51";
	CU_ASSERT_EQUAL(store_pending_decide(fx.store, s.id, now, &c, NULL, 0),
	    STORE_NOT_PENDING);
	CU_ASSERT_EQUAL(store_outbox_find(fx.store, "51", see_notice, &o),
	    STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(store_outbox_sent(fx.store, o.id), STORE_OK);
}

/* A version 3 store gains the outbox, once; what it holds survives a
 * close (a restart). */
static void
test_outbox_migrate(void)
{
	const char		*path = "/tmp/mscep-unit-v3.db";
	static const struct store_claim none = { .kind = CLAIM_NONE };
	struct store		*st = NULL;
	struct outbox_seen	 o = { 0 };
	sqlite3			*db = NULL;
	char			 reason[REASON_MAX];

	unlink(path);
	CU_ASSERT_FATAL(store_open(path, &st, reason, sizeof(reason)) == 0);
	store_close(st);
	st = NULL;
	/* Back to version 3: no outbox. */
	CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
	CU_ASSERT_FATAL(sqlite3_exec(db, "DROP TABLE outbox; PRAGMA "
	    "user_version=3;", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CU_ASSERT_FATAL(store_open(path, &st, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(add_noticed(st, "60", "otx60", &none), STORE_OK);
	store_close(st);
	st = NULL;
	CU_ASSERT_FATAL(store_open(path, &st, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(store_outbox_find(st, "60", see_notice, &o), STORE_OK);
	CU_ASSERT_EQUAL(o.n, 1);
	store_close(st);
	CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, "SELECT 1 FROM outbox", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	unlink(path);
}

/* A PostgreSQL store whose server is not there: a connection string
 * libpq cannot parse is refused; an unreachable server opens (GetCACert
 * needs no store), and each call fails at once with the reason. */
static void
test_pg_unreachable(void)
{
	static const struct store_claim none = { .kind = CLAIM_NONE };
	struct store_cert	 c = { 0 };
	struct store		*st = NULL;
	struct timespec		 t0, t1;
	char			 conn[256], reason[REASON_MAX] = "";
	long			 ms;

	CU_ASSERT_EQUAL(store_open_backend("postgresql", "host='unterminated",
	    &st, reason, sizeof(reason)), -1);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "[Store] ConnInfo:"));
	/* A socket folder with nothing listening: no TCP port involved. */
	snprintf(conn, sizeof(conn), "host=%s port=9 dbname=mscep "
	    "connect_timeout=2", fx.dir);
	CU_ASSERT_EQUAL_FATAL(store_open_backend("postgresql", conn, &st,
	    reason, sizeof(reason)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_count_certs(st), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(store_errmsg(st),
	    "cannot connect to PostgreSQL"));
	c.serial = "01";
	c.subject = c.sans = c.template_name = c.txid = c.key_id = "x";
	c.der = (const unsigned char *)"x";
	c.der_len = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(store_issue(st, &c, &none), STORE_ERROR);
	CU_ASSERT_EQUAL(store_crl_dirty(st), -1);
	CU_ASSERT_EQUAL(store_crl_wanted(st), -1);
	CU_ASSERT_EQUAL(store_crl_lock(st, 1), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	CU_ASSERT(ms < 1000);
	/* Within the pause nothing is tried, and the reason says so. */
	CU_ASSERT_PTR_NOT_NULL(strstr(store_errmsg(st), "cannot connect to "
	    "PostgreSQL"));
	CU_ASSERT_PTR_NOT_NULL(strstr(store_errmsg(st), "(the last try; not "
	    "tried again yet: reconnect pause, "));
	store_close(st);
}

static int
count_lines(const char *text)
{
	int	 n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* store copy between two SQLite stores: every table, the same rows and
 * checksums read back; a target with rows is refused and left as it was. */
static void
test_copy(void)
{
	static const struct store_claim none = { .kind = CLAIM_NONE };
	struct store	*to = NULL;
	char		 path[PATH_MAX], reason[REASON_MAX] = "", *text = NULL;
	char		 sum[80];
	size_t		 size = 0;
	FILE		*report;
	int		 from_v;

	snprintf(path, sizeof(path), "%s/copy.db", fx.dir);
	unlink(path);
	CU_ASSERT_EQUAL(add("C1", "/CN=c1", "d1", "T", 100, &none), STORE_OK);
	CU_ASSERT_EQUAL(add("C2", "/CN=c2", NULL, "T", 200, &none), STORE_OK);
	CU_ASSERT_EQUAL(store_migrate("sqlite", path, &from_v, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_FATAL(store_open(path, &to, reason, sizeof(reason)) == 0);
	report = open_memstream(&text, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(report);
	CU_ASSERT_EQUAL(store_copy(fx.store, to, report, reason,
	    sizeof(reason)), 0);
	fclose(report);
	CU_ASSERT_EQUAL(count_lines(text), 8);
	snprintf(sum, sizeof(sum), "certificates %lld ",
	    (long long)store_count_certs(fx.store));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, sum));
	CU_ASSERT_EQUAL(store_count_certs(to), store_count_certs(fx.store));
	CU_ASSERT_EQUAL(list_count(&(struct cert_filter){ .serial = "C1" }), 1);
	free(text);
	text = NULL;
	report = open_memstream(&text, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(report);
	CU_ASSERT_EQUAL(store_copy(fx.store, to, report, reason,
	    sizeof(reason)), -1);
	fclose(report);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "the target is not empty: "
	    "certificates has"));
	CU_ASSERT_EQUAL(store_count_certs(to), store_count_certs(fx.store));
	free(text);
	store_close(to);
	unlink(path);
}

static int
setup(void)
{
	return fixture_open(&fx, NULL);
}

static int
cleanup(void)
{
	fixture_close(&fx);
	return 0;
}

int
register_store(void)
{
	CU_pSuite s = CU_add_suite("store", setup, cleanup);

	if (s == NULL ||
	    !CU_add_test(s, "backends by name", test_backend) ||
	    !CU_add_test(s, "version 2 store migrates once", test_migrate_v2) ||
	    !CU_add_test(s, "revoke is idempotent", test_revoke) ||
	    !CU_add_test(s, "bulk revocation and list filters", test_bulk) ||
	    !CU_add_test(s, "renewal claim supersedes once",
	    test_renewal_claim) ||
	    !CU_add_test(s, "pending: approve once, expire", test_pending) ||
	    !CU_add_test(s, "outbox: with the certificate, tries, sent once",
	    test_outbox) ||
	    !CU_add_test(s, "outbox: an approval's notice",
	    test_outbox_approval) ||
	    !CU_add_test(s, "outbox: version 3 migrates, survives a restart",
	    test_outbox_migrate) ||
	    !CU_add_test(s, "postgresql: bad ConnInfo, server unreachable",
	    test_pg_unreachable) ||
	    !CU_add_test(s, "store copy: rows and checksums, target not empty",
	    test_copy))
		return -1;
	return 0;
}
