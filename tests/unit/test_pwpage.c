/* test_pwpage.c - the mscep_admin page: which paths it answers, who may
 * see a password, what the page says, and that the password works. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "policy/policy_password.h"
#include "responder/pwpage.h"
#include "suites.h"
#include "responder/route.h"
#include "responder/worker.h"

static struct fixture	 fx;
static struct worker	 w;
static int		 https = 1;

static int
setup(void)
{
	return fixture_worker_open(&fx, "[MSCEP]\nPasswordMax = 2\n"
	    "[PasswordPage]\nUsers = alice, EXAMPLE\\bob\n", &w);
}

static int
cleanup(void)
{
	fixture_worker_close(&fx, &w);
	return 0;
}

/* Serves uri as user; returns the status and the page as ASCII in text. */
static int
get(const char *method, const char *uri, const char *user, char *text,
    size_t size)
{
	struct http_req	 req = { .method = method, .request_uri = uri,
			    .query = "", .remote_user = user, .https = https };
	struct http_resp resp = { 0 };
	size_t		 i, n = 0;
	int		 status, wide;

	route_request(&w, &req, &resp);
	status = resp.status;
	/* The page is UTF-16LE by default: every other byte is zero. */
	wide = pwpage_match(&w.cfg, uri);
	CU_ASSERT_EQUAL(wide, strcmp(resp.content_type,
	    "text/html; charset=utf-16le") == 0);
	for (i = 0; i < resp.body.len && n + 1 < size; i += wide ? 2 : 1) {
		if (wide)
			CU_ASSERT_EQUAL(resp.body.p[i + 1], 0);
		text[n++] = (char)resp.body.p[i];
	}
	text[n] = '\0';
	http_resp_free(&resp);
	return status;
}

static void
test_match(void)
{
	CU_ASSERT_TRUE(pwpage_match(&w.cfg, "/CertSrv/mscep_admin"));
	CU_ASSERT_TRUE(pwpage_match(&w.cfg, "/certsrv/mscep_admin/"));
	CU_ASSERT_TRUE(pwpage_match(&w.cfg, "/certsrv/MSCEP_ADMIN/mscep.dll"));
	CU_ASSERT_TRUE(pwpage_match(&w.cfg, "/certsrv/mscep_admin/?x=1"));
	CU_ASSERT_FALSE(pwpage_match(&w.cfg, "/certsrv/mscep/mscep.dll"));
	CU_ASSERT_FALSE(pwpage_match(&w.cfg, "/certsrv/mscep_admin/../x"));
	CU_ASSERT_FALSE(pwpage_match(&w.cfg, "/certsrv/mscep_adminx/"));
	CU_ASSERT_FALSE(pwpage_match(&w.cfg, "certsrv/mscep_admin/"));
	CU_ASSERT_FALSE(pwpage_match(&w.cfg, NULL));
}

/* REMOTE_USER on the SCEP path changes nothing: it is not the page. */
static void
test_refusals(void)
{
	char	 text[4096];

	CU_ASSERT_EQUAL(get("GET", "/certsrv/mscep_admin/", NULL, text,
	    sizeof(text)), 403);
	CU_ASSERT_PTR_NULL(strstr(text, "password is:"));
	CU_ASSERT_EQUAL(get("GET", "/certsrv/mscep_admin/", "", text,
	    sizeof(text)), 403);
	CU_ASSERT_EQUAL(get("GET", "/certsrv/mscep_admin/", "mallory", text,
	    sizeof(text)), 403);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "You do not have sufficient "
	    "permission to enroll with SCEP."));
	CU_ASSERT_EQUAL(get("GET", "/certsrv/mscep_admin/", "alic", text,
	    sizeof(text)), 403);
	/* Names keep their case unless UsersIgnoreCase = 1. */
	CU_ASSERT_EQUAL(get("GET", "/certsrv/mscep_admin/", "ALICE", text,
	    sizeof(text)), 403);
	/* RequireHTTPS: an allowed user over plain HTTP gets no password. */
	https = 0;
	CU_ASSERT_EQUAL(get("GET", "/certsrv/mscep_admin/", "alice", text,
	    sizeof(text)), 403);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "HTTPS only"));
	https = 1;
	CU_ASSERT_EQUAL(get("POST", "/certsrv/mscep_admin/", "alice", text,
	    sizeof(text)), 405);
	CU_ASSERT_EQUAL(get("GET", "/certsrv/mscep/mscep.dll", "alice", text,
	    sizeof(text)), 200);
	CU_ASSERT_PTR_NULL(strstr(text, "password is:"));
}

/* Extracts the password after NDES's sentence, as scrapers do. */
static int
scrape(const char *text, char *pw, size_t size)
{
	const char	*p = strstr(text, "The enrollment challenge password "
			    "is: <B> ");
	size_t		 n;

	if (p == NULL)
		return -1;
	p += strlen("The enrollment challenge password is: <B> ");
	n = strcspn(p, " <");
	if (n == 0 || n >= size)
		return -1;
	memcpy(pw, p, n);
	pw[n] = '\0';
	return 0;
}

static void
test_password_and_full_cache(void)
{
	char		 text[4096], pw[64], hash[65], thumb[64];
	enum claim_kind	 kind;

	w.cfg.page_users_nocase = 1;
	CU_ASSERT_EQUAL(get("GET", "/certsrv/mscep_admin/", "ALICE", text,
	    sizeof(text)), 200);
	w.cfg.page_users_nocase = 0;
	CU_ASSERT_EQUAL_FATAL(scrape(text, pw, sizeof(pw)), 0);
	CU_ASSERT_EQUAL(strlen(pw), 16);	/* PasswordLength 8 bytes */
	policy_password_hash(pw, hash);
	CU_ASSERT_EQUAL(store_password_lookup(w.store, hash, util_now(),
	    &kind), STORE_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "will expire within 60 minutes"));
	/* The MD5 thumbprint of the CA in four groups, as NDES shows it. */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "certificate is: <B> "));
	CU_ASSERT_EQUAL(sscanf(strstr(text, "certificate is: <B> ") + 20,
	    "%8[0-9A-F] %8[0-9A-F] %8[0-9A-F] %8[0-9A-F]", thumb, thumb + 9,
	    thumb + 18, thumb + 27), 4);
	CU_ASSERT_EQUAL(get("GET", "/CertSrv/mscep_admin/mscep.dll",
	    "EXAMPLE\\bob", text, sizeof(text)), 200);
	CU_ASSERT_EQUAL(scrape(text, pw, sizeof(pw)), 0);
	/* PasswordMax = 2: the third unused password does not fit. */
	CU_ASSERT_EQUAL(get("GET", "/certsrv/mscep_admin/", "alice", text,
	    sizeof(text)), 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "The password cache is full."));
	CU_ASSERT_NOT_EQUAL(scrape(text, pw, sizeof(pw)), 0);
}

int
register_pwpage(void)
{
	CU_pSuite s = CU_add_suite("pwpage", setup, cleanup);

	if (s == NULL ||
	    !CU_add_test(s, "paths answered", test_match) ||
	    !CU_add_test(s, "no user, unknown user, POST", test_refusals) ||
	    !CU_add_test(s, "password shown, cache full",
	    test_password_and_full_cache))
		return -1;
	return 0;
}
