/* test_metrics.c - mscep/util/metrics.c: slots in one shared file summed
 * across processes, a slot's counts kept for its next owner, histogram
 * buckets, the text format, AllowFrom; mscep/responder/metricspage.c
 * through a worker: 200, 403, 405, and the counters moving. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suites.h"
#include "fixture.h"
#include "responder/route.h"
#include "responder/worker.h"
#include "util/metrics.h"

static char	 dir[64], path[128];

static int
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mscep-metrics-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, METRICS_FILE);
	return 0;
}

static int
teardown(void)
{
	unlink(path);
	return rmdir(dir);
}

static const struct metrics_mark enroll_ok = { MOP_PKIOPERATION,
	MMSG_PKCSREQ, MRES_SUCCESS, -1, -1, MRSN_NONE };
static const struct metrics_mark enroll_bad = { MOP_PKIOPERATION,
	MMSG_PKCSREQ, MRES_FAILURE, 2, -1, MRSN_PASSWORD };	/* badRequest */

/* Two handles (two workers) get two slots; the sum adds both. */
static void
test_slots_summed(void)
{
	struct metrics		 a, b;
	struct metrics_slot	 sum;
	char			 why[REASON_MAX];

	CU_ASSERT_FATAL(metrics_open(path, &a, why, sizeof(why)) == 0);
	CU_ASSERT_FATAL(metrics_open(path, &b, why, sizeof(why)) == 0);
	CU_ASSERT_NOT_EQUAL(a.slot, b.slot);
	metrics_request(&a, &enroll_ok, 0.02);
	metrics_request(&a, &enroll_ok, 0.02);
	metrics_request(&b, &enroll_ok, 0.02);
	metrics_request(&b, &enroll_bad, 0.02);
	metrics_store_error(&b);
	metrics_policy_call(&a, MPOL_DENY);
	metrics_sum(&a, &sum);
	CU_ASSERT_EQUAL(sum.requests[MOP_PKIOPERATION][MMSG_PKCSREQ]
	    [MRES_SUCCESS][0], 3);
	CU_ASSERT_EQUAL(sum.requests[MOP_PKIOPERATION][MMSG_PKCSREQ]
	    [MRES_FAILURE][3], 1);
	CU_ASSERT_EQUAL(sum.store_errors, 1);
	CU_ASSERT_EQUAL(sum.policy_calls[MPOL_DENY], 1);
	metrics_close(&a);
	metrics_close(&b);
}

/* A worker in another process counts; after it exits its slot is free
 * again, and its counts are still in the sum and in the slot. */
static void
test_slot_outlives_worker(void)
{
	struct metrics		 m, again;
	struct metrics_slot	 before, after;
	char			 why[REASON_MAX];
	pid_t			 pid;
	int			 st, i;

	CU_ASSERT_FATAL(metrics_open(path, &m, why, sizeof(why)) == 0);
	metrics_sum(&m, &before);
	if ((pid = fork()) == 0) {
		struct metrics	 c;

		if (metrics_open(path, &c, why, sizeof(why)) != 0)
			_exit(1);
		for (i = 0; i < 5; i++)
			metrics_request(&c, &enroll_ok, 0.001);
		_exit(c.slot == m.slot ? 2 : 0);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	metrics_sum(&m, &after);
	CU_ASSERT_EQUAL(after.requests[MOP_PKIOPERATION][MMSG_PKCSREQ]
	    [MRES_SUCCESS][0] - before.requests[MOP_PKIOPERATION]
	    [MMSG_PKCSREQ][MRES_SUCCESS][0], 5);
	/* The slot the child held is free: a new worker may take it. */
	CU_ASSERT_FATAL(metrics_open(path, &again, why, sizeof(why)) == 0);
	metrics_request(&again, &enroll_ok, 0.001);
	metrics_sum(&m, &before);
	CU_ASSERT_EQUAL(before.requests[MOP_PKIOPERATION][MMSG_PKCSREQ]
	    [MRES_SUCCESS][0], after.requests[MOP_PKIOPERATION][MMSG_PKCSREQ]
	    [MRES_SUCCESS][0] + 1);
	metrics_close(&again);
	metrics_close(&m);
}

/* A handle that could not open counts nothing and does not crash. */
static void
test_open_fails(void)
{
	struct metrics		 m;
	struct metrics_slot	 sum;
	char			 why[REASON_MAX];

	CU_ASSERT(metrics_open("/nonexistent/dir/metrics", &m, why,
	    sizeof(why)) == -1);
	CU_ASSERT(strstr(why, "/nonexistent/dir/metrics") != NULL);
	metrics_request(&m, &enroll_ok, 1);
	metrics_store_error(&m);
	metrics_sum(&m, &sum);
	CU_ASSERT_EQUAL(sum.store_errors, 0);
	metrics_close(&m);
}

static char *
render_named(const struct metrics *m, const struct metrics_slot *s)
{
	struct buf	 b = { 0 };

	CU_ASSERT(metrics_render_counts(m, s, &b) == 0);
	CU_ASSERT(buf_append(&b, "", 1) == 0);
	return (char *)b.p;
}

static char *
render(const struct metrics_slot *s)
{
	return render_named(NULL, s);
}

/* Buckets are cumulative in the text; sum and count agree. */
static void
test_histogram(void)
{
	static const double	 d[] = { 0.001, 0.007, 0.3, 20 };
	struct metrics_slot	 s;
	struct metrics		 m = { .slots = &s, .mine = &s };
	struct metrics_mark	 k = { MOP_GETCACERT, MMSG_NONE, MRES_OK, -1,
				    -1, MRSN_NONE };
	char			*t;
	size_t			 i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		metrics_request(&m, &k, d[i]);
	CU_ASSERT_EQUAL(s.buckets[MOP_GETCACERT][0], 1);
	CU_ASSERT_EQUAL(s.buckets[MOP_GETCACERT][1], 1);
	CU_ASSERT_EQUAL(s.buckets[MOP_GETCACERT][METRICS_BUCKETS - 1], 1);
	t = render(&s);
	CU_ASSERT(strstr(t, "mscep_request_duration_seconds_bucket{operation="
	    "\"GetCACert\",le=\"0.005\"} 1\n") != NULL);
	CU_ASSERT(strstr(t, "mscep_request_duration_seconds_bucket{operation="
	    "\"GetCACert\",le=\"0.01\"} 2\n") != NULL);
	CU_ASSERT(strstr(t, "mscep_request_duration_seconds_bucket{operation="
	    "\"GetCACert\",le=\"0.25\"} 2\n") != NULL);
	CU_ASSERT(strstr(t, "mscep_request_duration_seconds_bucket{operation="
	    "\"GetCACert\",le=\"10\"} 3\n") != NULL);
	CU_ASSERT(strstr(t, "mscep_request_duration_seconds_bucket{operation="
	    "\"GetCACert\",le=\"+Inf\"} 4\n") != NULL);
	CU_ASSERT(strstr(t, "mscep_request_duration_seconds_count{operation="
	    "\"GetCACert\"} 4\n") != NULL);
	CU_ASSERT(strstr(t, "mscep_request_duration_seconds_sum{operation="
	    "\"GetCACert\"} 20.308\n") != NULL);
	/* Operations never seen have no series. */
	CU_ASSERT(strstr(t, "operation=\"OCSP\"") == NULL);
	free(t);
	t = NULL;
}

/* Each family's HELP and TYPE once; only combinations that happened. */
static void
test_text(void)
{
	struct metrics_slot	 s;
	char			*t, *p;
	int			 n = 0;

	memset(&s, 0, sizeof(s));
	s.requests[MOP_PKIOPERATION][MMSG_PKCSREQ][MRES_FAILURE][5] = 7;
	s.requests[MOP_GETCACAPS][MMSG_NONE][MRES_OK][0] = 2;
	s.store_errors = 3;
	t = render(&s);
	CU_ASSERT(strstr(t, "# TYPE mscep_requests_total counter\n") != NULL);
	CU_ASSERT(strstr(t, "mscep_requests_total{operation=\"PKIOperation\","
	    "message_type=\"PKCSReq\",result=\"FAILURE\",fail_info="
	    "\"badCertId\"} 7\n") != NULL);
	CU_ASSERT(strstr(t, "mscep_requests_total{operation=\"GetCACaps\","
	    "message_type=\"none\",result=\"ok\",fail_info=\"none\"} 2\n") !=
	    NULL);
	CU_ASSERT(strstr(t, "mscep_store_errors_total 3\n") != NULL);
	CU_ASSERT(strstr(t, "mscep_policy_calls_total{outcome=\"error\"} 0\n")
	    != NULL);
	for (p = t; (p = strstr(p, "\nmscep_requests_total{")) != NULL; p++)
		n++;
	CU_ASSERT_EQUAL(n, 2);
	for (n = 0, p = t; (p = strstr(p, "# TYPE ")) != NULL; p++)
		n++;
	CU_ASSERT_EQUAL(n, 5);
	/* No enrollment yet: the family without a sample. */
	CU_ASSERT(strstr(t, "# TYPE mscep_enrollments_total counter\n") !=
	    NULL);
	CU_ASSERT(strstr(t, "\nmscep_enrollments_total{") == NULL);
	free(t);
	t = NULL;
}

/* 1 when text has the enrollment sample with these labels and value. */
static int
has_enrollment(const char *t, const char *msg, const char *tmpl,
    const char *result, const char *reason, int value)
{
	char	 line[512];

	snprintf(line, sizeof(line), "\nmscep_enrollments_total{message_type="
	    "\"%s\",template=\"%s\",result=\"%s\",reason=\"%s\"} %d\n", msg,
	    tmpl, result, reason, value);
	return strstr(t, line) != NULL;
}

/*
 * Two workers with different configurations (a reload reordered the
 * templates and dropped one): a name keeps its index in the file, so the
 * counts of both add up under the right name; a request without a
 * template counts as "none"; a FAILURE by its named reason.
 */
static void
test_templates(void)
{
	struct metrics		 a, b;
	struct metrics_slot	 sum;
	struct metrics_mark	 k = enroll_ok;
	char			 why[REASON_MAX], *t;

	CU_ASSERT_FATAL(metrics_open(path, &a, why, sizeof(why)) == 0);
	CU_ASSERT_FATAL(metrics_open(path, &b, why, sizeof(why)) == 0);
	metrics_template_add(&a, 0, "Web");
	metrics_template_add(&a, 1, "Device");
	metrics_template_add(&b, 0, "Device");
	metrics_template_add(&b, 1, "VPN \"x\"");
	CU_ASSERT_EQUAL(a.tmpl[1], b.tmpl[0]);
	CU_ASSERT_NOT_EQUAL(a.tmpl[0], b.tmpl[1]);
	k.tmpl = 1;
	metrics_request(&a, &k, 0.01);
	k.tmpl = 0;
	metrics_request(&b, &k, 0.01);
	k.tmpl = 1;
	k.msg = MMSG_RENEWALREQ;
	k.result = MRES_PENDING;
	metrics_request(&b, &k, 0.01);
	k = enroll_bad;
	k.tmpl = 0;
	metrics_request(&a, &k, 0.01);
	k.tmpl = -1;
	k.reason = metrics_reason("ChallengeExpired");
	metrics_request(&b, &k, 0.01);
	k.reason = metrics_reason("anything else \"{");
	metrics_request(&b, &k, 0.01);
	k.msg = MMSG_GETCERT;		/* no template: not an enrollment */
	metrics_request(&b, &k, 0.01);
	k.msg = MMSG_CERTPOLL;
	k.op = MOP_OTHER;
	metrics_request(&b, &k, 0.01);
	metrics_sum(&a, &sum);
	t = render_named(&b, &sum);
	CU_ASSERT(has_enrollment(t, "PKCSReq", "Device", "SUCCESS", "none", 2));
	CU_ASSERT(has_enrollment(t, "RenewalReq", "VPN \\\"x\\\"", "PENDING",
	    "none", 1));
	CU_ASSERT(has_enrollment(t, "PKCSReq", "Web", "FAILURE",
	    "PasswordRejected", 1));
	CU_ASSERT(has_enrollment(t, "PKCSReq", "none", "FAILURE",
	    "ChallengeExpired", 1));
	CU_ASSERT(has_enrollment(t, "PKCSReq", "none", "FAILURE", "other", 1));
	CU_ASSERT(strstr(t, "message_type=\"GetCert\",template") == NULL);
	CU_ASSERT(strstr(t, "message_type=\"CertPoll\",template") == NULL);
	free(t);
	t = NULL;
	metrics_close(&a);
	metrics_close(&b);
}

/* Every listed code is its own reason; "none" and "Success" are no
 * FAILURE's reason. */
static void
test_reasons(void)
{
	static const char *const codes[] = { "ChallengePasswordMissing",
	    "ChallengeReplayed", "SubjectAltNameMismatch",
	    "CertificateRequestDenied", "PasswordRejected", "IntuneTimeout",
	    "StoreError", "ServerError", "Unknown" };
	size_t	 i, j;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		CU_ASSERT(metrics_reason(codes[i]) != MRSN_OTHER);
		for (j = 0; j < i; j++)
			CU_ASSERT(metrics_reason(codes[i]) !=
			    metrics_reason(codes[j]));
	}
	CU_ASSERT_EQUAL(metrics_reason("none"), MRSN_OTHER);
	CU_ASSERT_EQUAL(metrics_reason("Success"), MRSN_OTHER);
	CU_ASSERT_EQUAL(metrics_reason(""), MRSN_OTHER);
}

/* Past METRICS_TEMPLATES names the file has no room: "other". */
static void
test_templates_full(void)
{
	struct metrics		 m;
	struct metrics_slot	 sum;
	struct metrics_mark	 k = enroll_ok;
	char			 why[REASON_MAX], name[32], full[160], *t;
	int			 i;

	snprintf(full, sizeof(full), "%s/full.slots", dir);
	CU_ASSERT_FATAL(metrics_open(full, &m, why, sizeof(why)) == 0);
	for (i = 0; i <= METRICS_TEMPLATES; i++) {
		snprintf(name, sizeof(name), "T%d", i);
		metrics_template_add(&m, 0, name);
	}
	CU_ASSERT_EQUAL(m.tmpl[0], METRICS_TEMPLATES + 1);
	metrics_template_add(&m, 1, "T0");	/* still known */
	CU_ASSERT_EQUAL(m.tmpl[1], 1);
	k.tmpl = 0;
	metrics_request(&m, &k, 0.01);
	metrics_sum(&m, &sum);
	t = render_named(&m, &sum);
	CU_ASSERT(has_enrollment(t, "PKCSReq", "other", "SUCCESS", "none", 1));
	free(t);
	t = NULL;
	metrics_close(&m);
	unlink(full);
}

static void
test_allow(void)
{
	struct metrics_allow	 a = { .n = 0 };
	char			 why[REASON_MAX];

	CU_ASSERT(metrics_allow_add(&a, "127.0.0.1", why, sizeof(why)) == 0);
	CU_ASSERT(metrics_allow_add(&a, "10.1.0.0/16", why, sizeof(why)) == 0);
	CU_ASSERT(metrics_allow_add(&a, "2001:db8::/33", why, sizeof(why)) ==
	    0);
	CU_ASSERT(metrics_allowed(&a, "127.0.0.1"));
	CU_ASSERT(!metrics_allowed(&a, "127.0.0.2"));
	CU_ASSERT(metrics_allowed(&a, "10.1.255.3"));
	CU_ASSERT(!metrics_allowed(&a, "10.2.0.1"));
	CU_ASSERT(metrics_allowed(&a, "::ffff:10.1.2.3"));
	CU_ASSERT(metrics_allowed(&a, "2001:db8:7fff::1"));
	CU_ASSERT(!metrics_allowed(&a, "2001:db8:8000::1"));
	CU_ASSERT(!metrics_allowed(&a, "::1"));
	CU_ASSERT(!metrics_allowed(&a, NULL));
	CU_ASSERT(!metrics_allowed(&a, "not an address"));
	CU_ASSERT(metrics_allow_add(&a, "10.0.0.0/33", why, sizeof(why)) ==
	    -1);
	CU_ASSERT(strstr(why, "prefix length too large") != NULL);
	CU_ASSERT(metrics_allow_add(&a, "host.example", why, sizeof(why)) ==
	    -1);
	CU_ASSERT(strstr(why, "not an IPv4 or IPv6 address") != NULL);
	CU_ASSERT(metrics_allow_add(&a, "10.0.0.0/", why, sizeof(why)) == -1);
	CU_ASSERT_EQUAL(a.n, 3);
	a.n = 0;
	CU_ASSERT(metrics_allow_add(&a, "0.0.0.0/0", why, sizeof(why)) == 0);
	CU_ASSERT(metrics_allowed(&a, "203.0.113.9"));
}

static int
get(struct worker *w, const char *method, const char *uri, const char *from,
    const char *query, char **body)
{
	struct http_req		 hr = { .method = method, .request_uri = uri,
				    .remote_addr = from, .query = query };
	struct http_resp	 resp = { 0 };
	int			 status;

	route_request(w, &hr, &resp);
	status = resp.status;
	if (body != NULL) {
		buf_append(&resp.body, "", 1);
		*body = (char *)resp.body.p;
		resp.body.p = NULL;
	}
	http_resp_free(&resp);
	return status;
}

/* The page through a worker, as a scrape reaches it. */
static void
test_page(void)
{
	struct fixture	 fx;
	struct worker	 w;
	char		*t = NULL;

	CU_ASSERT_FATAL(fixture_worker_open(&fx, "[Metrics]\nPath = /metrics"
	    "\nAllowFrom = 127.0.0.0/8, ::1\n", &w) == 0);
	CU_ASSERT_EQUAL(get(&w, "GET", "/certsrv/mscep/mscep.dll", "127.0.0.1",
	    "operation=GetCACaps", NULL), 200);
	CU_ASSERT_EQUAL(get(&w, "GET", "/metrics", "127.0.0.1", NULL, &t),
	    200);
	CU_ASSERT(t != NULL && strstr(t, "mscep_requests_total{operation="
	    "\"GetCACaps\",message_type=\"none\",result=\"ok\",fail_info="
	    "\"none\"} 1\n") != NULL);
	CU_ASSERT(t != NULL && strstr(t, "mscep_certificates_issued_total ")
	    != NULL);
	CU_ASSERT(t != NULL && strstr(t, "mscep_certificate_expiry_seconds{"
	    "certificate=\"ca\"} ") != NULL);
	CU_ASSERT(t != NULL && strstr(t, "mscep_store_up 1\n") != NULL);
	free(t);
	t = NULL;
	CU_ASSERT_EQUAL(get(&w, "GET", "/metrics", "192.0.2.1", NULL, &t),
	    403);
	CU_ASSERT(t != NULL && strstr(t, "mscep_") == NULL);
	free(t);
	t = NULL;
	CU_ASSERT_EQUAL(get(&w, "POST", "/metrics", "127.0.0.1", NULL, NULL),
	    405);
	CU_ASSERT_EQUAL(get(&w, "GET", "/metrics?x=1", "::1", NULL, &t), 200);
	/* The refusals and the first page counted, by their own label. */
	CU_ASSERT(t != NULL && strstr(t, "mscep_requests_total{operation="
	    "\"Metrics\",message_type=\"none\",result=\"refused\",fail_info="
	    "\"none\"} 2\n") != NULL);
	CU_ASSERT(t != NULL && strstr(t, "mscep_requests_total{operation="
	    "\"Metrics\",message_type=\"none\",result=\"ok\",fail_info="
	    "\"none\"} 1\n") != NULL);
	free(t);
	t = NULL;
	/* /metrics/x is not the page. */
	get(&w, "GET", "/metrics/x", "127.0.0.1", NULL, &t);
	CU_ASSERT(t != NULL && strstr(t, "mscep_requests_total") == NULL);
	free(t);
	t = NULL;
	fixture_worker_close(&fx, &w);
}

int
register_metrics(void)
{
	CU_pSuite s = CU_add_suite("metrics", setup, teardown);

	if (s == NULL ||
	    !CU_add_test(s, "two workers' slots summed", test_slots_summed) ||
	    !CU_add_test(s, "templates keep their index across configurations",
	    test_templates) ||
	    !CU_add_test(s, "reasons are a fixed list", test_reasons) ||
	    !CU_add_test(s, "a full name table counts \"other\"",
	    test_templates_full) ||
	    !CU_add_test(s, "a slot outlives its worker",
	    test_slot_outlives_worker) ||
	    !CU_add_test(s, "a file that cannot open counts nothing",
	    test_open_fails) ||
	    !CU_add_test(s, "histogram buckets, sum, count", test_histogram) ||
	    !CU_add_test(s, "text: HELP and TYPE once, series that happened",
	    test_text) ||
	    !CU_add_test(s, "AllowFrom addresses and networks", test_allow) ||
	    !CU_add_test(s, "the page through a worker: 200, 403, 405",
	    test_page))
		return -1;
	return 0;
}
