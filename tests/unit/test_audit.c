/* test_audit.c - util/audit.c: the audit line's schema and escaping. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "util/audit.h"
#include "suites.h"

/* The line of e at 1970-01-01T00:00:01.234Z, parsed back. */
static json_t *
parsed(const struct audit_event *e)
{
	char		*line = audit_line(e, 1234);
	json_error_t	 err;
	json_t		*j;

	CU_ASSERT_FATAL(line != NULL);
	/* One line: every newline and control character is escaped. */
	CU_ASSERT(strchr(line, '\n') == NULL);
	CU_ASSERT(strchr(line, '\r') == NULL);
	j = json_loads(line, JSON_REJECT_DUPLICATES, &err);
	CU_ASSERT_FATAL(j != NULL);
	free(line);
	return j;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void
test_issued_fields(void)
{
	struct audit_event	 e;
	json_t			*j, *a;

	audit_event_init(&e, "issued", "mscep");
	e.message_type = "PKCSReq";
	e.txid = "ABC123";
	e.serial = "0F1E";
	e.subject = "CN=dev1,O=example";
	e.template_name = "IPSECIntermediateOffline";
	e.policy = "ndes-password";
	e.requester = "192.0.2.7";
	j = parsed(&e);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "version")),
	    AUDIT_VERSION);
	CU_ASSERT_STRING_EQUAL(str(j, "time"), "1970-01-01T00:00:01.234Z");
	CU_ASSERT_STRING_EQUAL(str(j, "event"), "issued");
	CU_ASSERT_STRING_EQUAL(str(j, "program"), "mscep");
	CU_ASSERT_STRING_EQUAL(str(j, "messageType"), "PKCSReq");
	CU_ASSERT_STRING_EQUAL(str(j, "transactionId"), "ABC123");
	CU_ASSERT_STRING_EQUAL(str(j, "serial"), "0F1E");
	CU_ASSERT_STRING_EQUAL(str(j, "subject"), "CN=dev1,O=example");
	CU_ASSERT_STRING_EQUAL(str(j, "template"), "IPSECIntermediateOffline");
	CU_ASSERT_STRING_EQUAL(str(j, "policy"), "ndes-password");
	CU_ASSERT_STRING_EQUAL(str(j, "requester"), "192.0.2.7");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "pid")),
	    getpid());
	a = json_object_get(j, "actor");
	CU_ASSERT_STRING_EQUAL(str(a, "type"), "client");
	CU_ASSERT_STRING_EQUAL(str(a, "address"), "192.0.2.7");
	/* Absent fields are left out, not null. */
	CU_ASSERT(json_object_get(j, "failInfo") == NULL);
	CU_ASSERT(json_object_get(j, "reason") == NULL);
	CU_ASSERT(json_object_get(j, "count") == NULL);
	CU_ASSERT(json_object_get(j, "requestId") == NULL);
	CU_ASSERT(json_object_get(j, "command") == NULL);
	json_decref(j);
}

static void
test_refused_fields(void)
{
	struct audit_event	 e;
	json_t			*j;

	audit_event_init(&e, "refused", "mscep");
	e.fail_info = "badRequest";
	e.code = "PolicyRefused";
	e.reason = "policy ndes-password refused: password wrong";
	j = parsed(&e);
	CU_ASSERT_STRING_EQUAL(str(j, "failInfo"), "badRequest");
	CU_ASSERT_STRING_EQUAL(str(j, "code"), "PolicyRefused");
	CU_ASSERT_STRING_EQUAL(str(j, "reason"),
	    "policy ndes-password refused: password wrong");
	CU_ASSERT(json_object_get(j, "serial") == NULL);
	json_decref(j);
}

/* A subject written to end the object and start a forged one. */
static void
test_hostile_subject(void)
{
	static const char hostile[] = "CN=x\"},{\"event\":\"issued\",\"a\":\"\\"
	    "\n{\"version\":1}\r\x01\x1f\x7f</script>";
	struct audit_event	 e;
	json_t			*j;
	char			*line;

	audit_event_init(&e, "refused", "mscep");
	e.subject = hostile;
	e.reason = "tab\there";
	j = parsed(&e);
	CU_ASSERT_STRING_EQUAL(str(j, "subject"), hostile);
	CU_ASSERT_STRING_EQUAL(str(j, "event"), "refused");
	CU_ASSERT_STRING_EQUAL(str(j, "reason"), "tab\there");
	/* version, time, host, program, pid, event, subject, reason, actor */
	CU_ASSERT_EQUAL(json_object_size(j), 9);
	json_decref(j);
	line = audit_line(&e, 0);
	CU_ASSERT(strstr(line, "\\n{\\\"version\\\":1}\\r\\u0001") != NULL);
	free(line);
}

/* Bytes that are not UTF-8 (a BMPString read as bytes, a fuzzer's CSR):
 * the line stays valid JSON, the ASCII kept. */
static void
test_not_utf8(void)
{
	struct audit_event	 e;
	json_t			*j;

	audit_event_init(&e, "refused", "mscep");
	e.subject = "CN=a\xff\xfe" "b\xc3";
	e.device_id = "caf\xc3\xa9";	/* UTF-8: kept as is */
	j = parsed(&e);
	CU_ASSERT_STRING_EQUAL(str(j, "subject"), "CN=a??b?");
	CU_ASSERT_STRING_EQUAL(str(j, "deviceId"), "caf\xc3\xa9");
	json_decref(j);
}

/* A long field is cut, never in the middle of a character. */
static void
test_long_field(void)
{
	struct audit_event	 e;
	json_t			*j;
	char			*s = malloc(3 * AUDIT_FIELD_MAX + 1);
	size_t			 i, n;

	CU_ASSERT_FATAL(s != NULL);
	s[0] = 'x';		/* then "é" (two bytes) all along */
	for (i = 1; i + 1 < 3 * AUDIT_FIELD_MAX; i += 2)
		memcpy(s + i, "\xc3\xa9", 2);
	s[i] = '\0';
	audit_event_init(&e, "issued", "mscep");
	e.subject = s;
	j = parsed(&e);
	n = strlen(str(j, "subject"));
	CU_ASSERT(n <= AUDIT_FIELD_MAX && n >= AUDIT_FIELD_MAX - 1);
	CU_ASSERT(n % 2 == 1);	/* 'x' and whole characters */
	json_decref(j);
	free(s);
}

static void
test_admin_command(void)
{
	struct audit_event	 e;
	struct audit_actor	 me = { .uid = 0, .user = "root",
	    .sudo_user = "alice" };
	char			*argv[] = { "SERIAL\n1", "--reason", "x" };
	json_t			*j, *a;

	audit_event_init(&e, "command", "mscep-admin");
	e.actor = &me;
	e.command = "revoke";
	e.argc = 3;
	e.argv = argv;
	e.exit_code = 0;
	j = parsed(&e);
	a = json_object_get(j, "actor");
	CU_ASSERT_STRING_EQUAL(str(a, "type"), "admin");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "uid")), 0);
	CU_ASSERT_STRING_EQUAL(str(a, "user"), "root");
	CU_ASSERT_STRING_EQUAL(str(a, "sudoUser"), "alice");
	CU_ASSERT(json_object_get(a, "address") == NULL);
	CU_ASSERT_STRING_EQUAL(str(j, "command"), "revoke");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "argv")), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(
	    json_object_get(j, "argv"), 0)), "SERIAL\n1");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "exit")), 0);
	json_decref(j);
	/* Without sudo: no sudoUser key. */
	me.sudo_user[0] = '\0';
	j = parsed(&e);
	CU_ASSERT(json_object_get(json_object_get(j, "actor"),
	    "sudoUser") == NULL);
	json_decref(j);
}

/* The password page's user, as the web server authenticated them. */
static void
test_web_actor(void)
{
	struct audit_event	 e;
	json_t			*j, *a;

	audit_event_init(&e, "password", "mscep");
	e.web_user = "alice";
	e.requester = "192.0.2.9";
	j = parsed(&e);
	a = json_object_get(j, "actor");
	CU_ASSERT_STRING_EQUAL(str(a, "type"), "web");
	CU_ASSERT_STRING_EQUAL(str(a, "user"), "alice");
	CU_ASSERT_STRING_EQUAL(str(a, "address"), "192.0.2.9");
	CU_ASSERT(json_object_get(a, "uid") == NULL);
	json_decref(j);
}

static void
test_sink_parse(void)
{
	struct audit_sink	 s = { .facility = 80 };
	char			 why[300];

	CU_ASSERT_EQUAL(audit_sink_parse("syslog", &s, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(s.dest, AUDIT_SYSLOG);
	CU_ASSERT_EQUAL(s.facility, 80);
	CU_ASSERT_EQUAL(audit_sink_parse("off", &s, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(s.dest, AUDIT_OFF);
	CU_ASSERT_EQUAL(audit_sink_parse("file:/var/log/a.log", &s, why,
	    sizeof(why)), 0);
	CU_ASSERT_EQUAL(s.dest, AUDIT_FILE);
	CU_ASSERT_STRING_EQUAL(s.path, "/var/log/a.log");
	CU_ASSERT_EQUAL(audit_sink_parse("file:a.log", &s, why, sizeof(why)),
	    -1);
	CU_ASSERT(strstr(why, "file:/absolute/path") != NULL);
	CU_ASSERT_EQUAL(audit_sink_parse("file:", &s, why, sizeof(why)), -1);
	CU_ASSERT_EQUAL(audit_sink_parse("journald", &s, why, sizeof(why)),
	    -1);
}

/* Two events appended: two whole lines, each parsing. */
static void
test_file_sink(void)
{
	struct audit_sink	 s;
	struct audit_event	 e;
	char			 dir[] = "/tmp/mscep-audit.XXXXXX", why[300];
	char			 line[4096];
	FILE			*f;
	int			 n = 0;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(line, sizeof(line), "file:%s/a.log", dir);
	CU_ASSERT_FATAL(audit_sink_parse(line, &s, why, sizeof(why)) == 0);
	audit_event_init(&e, "revoked", "mscep-admin");
	e.serial = "01";
	CU_ASSERT_EQUAL(audit_emit(&s, "/nonexistent", &e, why, sizeof(why)),
	    0);
	e.serial = "02";
	CU_ASSERT_EQUAL(audit_emit(&s, "/nonexistent", &e, why, sizeof(why)),
	    0);
	CU_ASSERT_FATAL((f = fopen(s.path, "r")) != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		json_t *j = json_loads(line, 0, NULL);

		CU_ASSERT(j != NULL && line[strlen(line) - 1] == '\n');
		n++;
		CU_ASSERT_STRING_EQUAL(str(j, "serial"), n == 1 ? "01" : "02");
		json_decref(j);
	}
	fclose(f);
	CU_ASSERT_EQUAL(n, 2);
	/* Syslog with no socket: an error the caller hears of. */
	s.dest = AUDIT_SYSLOG;
	CU_ASSERT_EQUAL(audit_emit(&s, "/nonexistent/log", &e, why,
	    sizeof(why)), -1);
	CU_ASSERT(strstr(why, "/nonexistent/log") != NULL);
	/* off: nothing, and no error. */
	s.dest = AUDIT_OFF;
	CU_ASSERT_EQUAL(audit_emit(&s, "/nonexistent/log", &e, why,
	    sizeof(why)), 0);
	snprintf(line, sizeof(line), "%s/a.log", dir);
	unlink(line);
	rmdir(dir);
}

int
register_audit(void)
{
	CU_pSuite s = CU_add_suite("audit", NULL, NULL);

	if (s == NULL ||
	    !CU_add_test(s, "issued: the schema's fields", test_issued_fields) ||
	    !CU_add_test(s, "refused: failInfo, code, reason",
	    test_refused_fields) ||
	    !CU_add_test(s, "a hostile subject stays one JSON string",
	    test_hostile_subject) ||
	    !CU_add_test(s, "bytes that are not UTF-8", test_not_utf8) ||
	    !CU_add_test(s, "a long field is cut on a character",
	    test_long_field) ||
	    !CU_add_test(s, "mscep-admin: actor, command, argv, exit",
	    test_admin_command) ||
	    !CU_add_test(s, "password page: the web user",
	    test_web_actor) ||
	    !CU_add_test(s, "Target values", test_sink_parse) ||
	    !CU_add_test(s, "file sink: one line per event",
	    test_file_sink))
		return -1;
	return 0;
}
