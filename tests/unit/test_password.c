/* test_password.c - NDES one-time and single passwords through the store. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "ca/issue.h"
#include "policy/policy.h"
#include "policy/policy_password.h"
#include "suites.h"

static struct fixture	 fx;

static int
decide(const char *challenge, struct policy_decision *d)
{
	struct requester	 r;
	struct policy_request	 pr = { 0 };

	if (requester_new(&r, "pw", "both", challenge, NULL) != 0)
		return -1;
	pr.txid = "t";
	pr.csr = r.csr;
	memset(d, 0, sizeof(*d));
	policy_password_decide(&fx.cfg, fx.store, &pr, d);
	requester_free(&r);
	return d->allow;
}

/* Records a dummy certificate consuming claim, as issuance does, and the
 * success event ev with it when not NULL. */
static enum store_rc
consume_with(const struct store_claim *claim, const struct store_event *ev)
{
	static int		 n;
	char			 serial[32], txid[32];
	struct store_cert	 c = { 0 };

	snprintf(serial, sizeof(serial), "%08X", ++n);
	snprintf(txid, sizeof(txid), "tx%d", n);
	c.serial = serial;
	c.subject = "/CN=pw";
	c.sans = "";
	c.template_name = "t";
	c.txid = txid;
	c.key_id = "k";
	c.der = (const unsigned char *)"x";
	c.der_len = 1;
	c.event = ev;
	return store_issue(fx.store, &c, claim);
}

static enum store_rc
consume(const struct store_claim *claim)
{
	return consume_with(claim, NULL);
}

static void
test_one_time(void)
{
	struct policy_decision	 d;
	char			 pw[64], lower[64];
	int			 i;

	CU_ASSERT_EQUAL_FATAL(policy_password_new(&fx.cfg, fx.store, pw,
	    sizeof(pw)), STORE_OK);
	CU_ASSERT_EQUAL(strlen(pw), 16);
	CU_ASSERT_EQUAL(decide(pw, &d), 1);
	CU_ASSERT_EQUAL(d.claim.kind, CLAIM_OTP);
	CU_ASSERT(strstr(d.reason, pw) == NULL);	/* never the secret */
	/* Typed in lower case it is the same password. */
	for (i = 0; pw[i]; i++)
		lower[i] = (char)(pw[i] | 0x20);
	lower[i] = '\0';
	CU_ASSERT_EQUAL(decide(lower, &d), 1);
	CU_ASSERT_EQUAL(consume(&d.claim), STORE_OK);
	/* Used once: gone. */
	CU_ASSERT_EQUAL(decide(pw, &d), 0);
	CU_ASSERT(strstr(d.reason, "already used") != NULL);
	d.claim.kind = CLAIM_OTP;
	policy_password_hash(pw, d.claim.key);
	CU_ASSERT_EQUAL(consume(&d.claim), STORE_CLAIM_REFUSED);
}

static void
test_wrong_missing_expired(void)
{
	struct policy_decision	 d;
	char			 hash[65];
	int64_t			 now = util_now();

	CU_ASSERT_EQUAL(decide("0123456789ABCDEF", &d), 0);
	CU_ASSERT_EQUAL(decide(NULL, &d), 0);
	CU_ASSERT(strstr(d.reason, "no challengePassword") != NULL);
	policy_password_hash("FEEDFACEFEEDFACE", hash);
	CU_ASSERT_EQUAL(store_password_add(fx.store, hash, now - 7200,
	    now - 1, 5), STORE_OK);
	CU_ASSERT_EQUAL(decide("FEEDFACEFEEDFACE", &d), 0);
}

static void
test_cache_full(void)
{
	char	 pw[64];
	int	 i;

	/* test_one_time consumed its password; the expired one is purged. */
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(policy_password_new(&fx.cfg, fx.store, pw,
		    sizeof(pw)), STORE_OK);
	CU_ASSERT_EQUAL(policy_password_new(&fx.cfg, fx.store, pw, sizeof(pw)),
	    STORE_FULL);
	CU_ASSERT_EQUAL(pw[0], '\0');	/* nothing printable leaks out */
}

static void
test_single_password(void)
{
	struct policy_decision	 d;
	char			 pw[64], pw2[64];

	fx.cfg.use_single_password = 1;
	CU_ASSERT_EQUAL_FATAL(policy_password_new(&fx.cfg, fx.store, pw, sizeof(pw)),
	    STORE_OK);
	CU_ASSERT_EQUAL(decide(pw, &d), 1);
	CU_ASSERT_EQUAL(d.claim.kind, CLAIM_SINGLE_PASSWORD);
	CU_ASSERT_EQUAL(consume(&d.claim), STORE_OK);
	CU_ASSERT_EQUAL(consume(&d.claim), STORE_OK);	/* reusable */
	/* A new single password replaces the old one. */
	CU_ASSERT_EQUAL(policy_password_new(&fx.cfg, fx.store, pw2, sizeof(pw2)),
	    STORE_OK);
	CU_ASSERT_EQUAL(decide(pw, &d), 0);
	CU_ASSERT_EQUAL(decide(pw2, &d), 1);
	/* Back to one-time passwords: the single one no longer works. */
	fx.cfg.use_single_password = 0;
	CU_ASSERT_EQUAL(decide(pw2, &d), 0);
}

static void
test_not_enforced(void)
{
	struct policy_decision	 d;

	fx.cfg.enforce_password = 0;
	CU_ASSERT_EQUAL(decide(NULL, &d), 1);
	CU_ASSERT_EQUAL(d.claim.kind, CLAIM_NONE);
	fx.cfg.enforce_password = 1;
}

static int
setup(void)
{
	return fixture_open(&fx, NULL);
}

static int
count_event(const struct store_event *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int
events_now(void)
{
	int	 n = 0;

	CU_ASSERT_EQUAL(store_events(fx.store, 0, count_event, &n), STORE_OK);
	return n;
}

/* The success event is written by the transaction that records the
 * certificate (one commit per enrollment): with it, or not at all. */
static void
test_event_with_certificate(void)
{
	struct store_event	 ev = { 0 };
	struct store_claim	 claim = { .kind = CLAIM_NONCE,
				    .key = "E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEF" };
	int			 n0 = events_now();

	ev.at = util_now();
	ev.success = 1;
	ev.txid = "tx-event";
	ev.serial = "0E";
	ev.code = "Success";
	claim.expires = ev.at + 600;
	CU_ASSERT_EQUAL(consume_with(&claim, &ev), STORE_OK);
	CU_ASSERT_EQUAL(events_now(), n0 + 1);
	/* The claim is spent: no certificate, and no event either. */
	CU_ASSERT_EQUAL(consume_with(&claim, &ev), STORE_CLAIM_REFUSED);
	CU_ASSERT_EQUAL(events_now(), n0 + 1);
}

static int
cleanup(void)
{
	fixture_close(&fx);
	return 0;
}

int
register_password(void)
{
	CU_pSuite s = CU_add_suite("password", setup, cleanup);

	if (s == NULL ||
	    !CU_add_test(s, "one-time password works once", test_one_time) ||
	    !CU_add_test(s, "wrong, missing, expired",
	    test_wrong_missing_expired) ||
	    !CU_add_test(s, "PasswordMax cache", test_cache_full) ||
	    !CU_add_test(s, "UseSinglePassword", test_single_password) ||
	    !CU_add_test(s, "EnforcePassword=0", test_not_enforced) ||
	    !CU_add_test(s, "success event recorded with its certificate",
	    test_event_with_certificate))
		return -1;
	return 0;
}
