/* audit.c - the audit stream: build one JSON line, deliver it whole. */
#include "util/audit.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

int
audit_sink_parse(const char *spec, struct audit_sink *s, char *why,
    size_t wlen)
{
	if (strcmp(spec, "syslog") == 0)
		s->dest = AUDIT_SYSLOG;
	else if (strcmp(spec, "off") == 0)
		s->dest = AUDIT_OFF;
	else if (strncmp(spec, "file:", 5) == 0 && spec[5] == '/' &&
	    strlen(spec + 5) < sizeof(s->path)) {
		s->dest = AUDIT_FILE;
		util_strlcpy(s->path, spec + 5, sizeof(s->path));
		return 0;
	} else {
		snprintf(why, wlen, "\"%.200s\": use syslog, off or "
		    "file:/absolute/path", spec);
		return -1;
	}
	s->path[0] = '\0';
	return 0;
}

void
audit_actor_self(struct audit_actor *a)
{
	struct passwd	*pw;
	const char	*sudo = getenv("SUDO_USER");

	memset(a, 0, sizeof(*a));
	a->uid = getuid();
	if ((pw = getpwuid(a->uid)) != NULL)
		util_strlcpy(a->user, pw->pw_name, sizeof(a->user));
	if (sudo != NULL)
		util_strlcpy(a->sudo_user, sudo, sizeof(a->sudo_user));
}

void
audit_event_init(struct audit_event *e, const char *event,
    const char *program)
{
	memset(e, 0, sizeof(*e));
	e->event = event;
	e->program = program;
	e->count = -1;
	e->request_id = -1;
	e->exit_code = -1;
}

/*
 * s as a JSON string, cut to AUDIT_FIELD_MAX bytes on a UTF-8 boundary.
 * Text that is not UTF-8 (a hostile CSR's bytes) keeps its ASCII, each
 * other byte becomes '?': the line stays valid JSON.
 */
static json_t *
text(const char *s)
{
	size_t	 n = strnlen(s, AUDIT_FIELD_MAX + 1), i;
	json_t	*j;
	char	*copy;

	if (n > AUDIT_FIELD_MAX) {
		n = AUDIT_FIELD_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if ((j = json_stringn(s, n)) != NULL)
		return j;
	if ((copy = strndup(s, n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	j = json_stringn(copy, n);
	free(copy);
	return j;
}

/* Adds key: s unless s is NULL; -1 when out of memory. */
static int
put(json_t *o, const char *key, const char *s)
{
	if (s == NULL)
		return 0;
	return json_object_set_new(o, key, text(s));
}

static int
put_num(json_t *o, const char *key, long long v)
{
	if (v < 0)
		return 0;
	return json_object_set_new(o, key, json_integer(v));
}

static json_t *
actor(const struct audit_event *e)
{
	json_t	*a = json_object();

	if (a == NULL)
		return NULL;
	if (e->actor == NULL) {
		if (put(a, "type", e->web_user != NULL ? "web" : "client") ||
		    put(a, "user", e->web_user) || put(a, "address",
		    e->requester))
			goto fail;
		return a;
	}
	if (put(a, "type", "admin") || put_num(a, "uid",
	    (long long)e->actor->uid) || put(a, "user", e->actor->user[0] ?
	    e->actor->user : NULL) || put(a, "sudoUser",
	    e->actor->sudo_user[0] ? e->actor->sudo_user : NULL))
		goto fail;
	return a;
fail:
	json_decref(a);
	return NULL;
}

static json_t *
args(const struct audit_event *e)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; a != NULL && i < e->argc && i < AUDIT_ARGV_MAX; i++)
		if (json_array_append_new(a, text(e->argv[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static void
rfc3339(long long t_ms, char out[40])
{
	time_t		 t = (time_t)(t_ms / 1000);
	struct tm	 tm;
	char		 s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%03dZ", s, (int)(t_ms % 1000));
}

/* Everything but the actor and the command. */
static int
put_fields(json_t *o, const struct audit_event *e, long long t_ms)
{
	char	 when[40], host[256] = "";

	rfc3339(t_ms, when);
	gethostname(host, sizeof(host) - 1);
	return put_num(o, "version", AUDIT_VERSION) ||
	    put(o, "time", when) || put(o, "host", host) ||
	    put(o, "program", e->program) ||
	    put_num(o, "pid", (long long)getpid()) ||
	    put(o, "event", e->event) ||
	    put(o, "messageType", e->message_type) ||
	    put(o, "transactionId", e->txid) || put(o, "serial", e->serial) ||
	    put(o, "subject", e->subject) ||
	    put(o, "template", e->template_name) ||
	    put(o, "policy", e->policy) || put(o, "failInfo", e->fail_info) ||
	    put(o, "code", e->code) || put(o, "reason", e->reason) ||
	    put(o, "deviceId", e->device_id) ||
	    put(o, "requester", e->requester) ||
	    put(o, "revocationReason", e->revocation_reason) ||
	    put(o, "selector", e->selector) || put_num(o, "count", e->count) ||
	    put_num(o, "requestId", e->request_id) ? -1 : 0;
}

char *
audit_line(const struct audit_event *e, long long t_ms)
{
	json_t	*o = json_object();
	char	*line = NULL;

	if (o == NULL || put_fields(o, e, t_ms) != 0 ||
	    json_object_set_new(o, "actor", actor(e)) != 0)
		goto out;
	if (e->command != NULL && (put(o, "command", e->command) ||
	    json_object_set_new(o, "argv", args(e)) != 0 ||
	    put_num(o, "exit", e->exit_code)))
		goto out;
	/* Compact: control characters and newlines come out escaped. */
	line = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	return line;
}

/*
 * A file made by root (mscep-admin run first) gets the owner and group of
 * its folder, so that the workers, running as the service user who owns
 * that folder, can append to it too. Best effort: a worker that still
 * cannot open it says so at start-up.
 */
static int
own_like_folder(int fd, const char *path)
{
	struct stat	 st;
	char		*dir;
	int		 rc = -1;

	if ((dir = strdup(path)) == NULL)
		return -1;
	if (stat(dirname(dir), &st) == 0 &&
	    fchown(fd, st.st_uid, st.st_gid) == 0)
		rc = 0;
	free(dir);
	return rc;
}

int
audit_open_file(const char *path)
{
	int	 fd, flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW;

	if ((fd = open(path, flags)) >= 0 || errno != ENOENT)
		return fd;
	if ((fd = open(path, flags | O_CREAT | O_EXCL, 0640)) < 0)
		return errno == EEXIST ? open(path, flags) : -1;
	if (geteuid() == 0)
		(void)own_like_folder(fd, path);
	return fd;
}

/* One write: O_APPEND puts it at the end whoever else writes. */
static int
append(const char *path, const char *line, char *why, size_t wlen)
{
	size_t	 n = strlen(line);
	char	*buf = NULL;
	ssize_t	 w = -1;
	int	 fd;

	if ((fd = audit_open_file(path)) < 0) {
		snprintf(why, wlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if ((buf = malloc(n + 1)) != NULL) {
		memcpy(buf, line, n);
		buf[n] = '\n';
		w = write(fd, buf, n + 1);
	}
	if (w != (ssize_t)(n + 1))
		snprintf(why, wlen, "cannot append to %s: %s", path,
		    buf == NULL ? "out of memory" : w < 0 ? strerror(errno) :
		    "short write");
	free(buf);
	close(fd);
	return w == (ssize_t)(n + 1) ? 0 : -1;
}

/* A datagram in the form syslog(3) sends, to socket (LogSocket). */
static int
to_syslog(int facility, const char *socket_path, const char *line,
    char *why, size_t wlen)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct tm		 tm;
	time_t			 t = time(NULL);
	char			 ts[32], *msg = NULL;
	int			 fd = -1, n, rc = -1;

	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
	util_strlcpy(sun.sun_path, socket_path, sizeof(sun.sun_path));
	if ((n = asprintf(&msg, "<%d>%s %s[%d]: %s", facility | LOG_INFO, ts,
	    AUDIT_TAG, (int)getpid(), line)) < 0) {
		msg = NULL;
		snprintf(why, wlen, "out of memory");
		goto out;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&sun,
	    sizeof(sun)) != n) {
		snprintf(why, wlen, "cannot send to the syslog socket %s: %s",
		    socket_path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(msg);
	return rc;
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
audit_emit(const struct audit_sink *s, const char *socket_path,
    const struct audit_event *e, char *why, size_t wlen)
{
	char	*line;
	int	 rc;

	if (s->dest == AUDIT_OFF)
		return 0;
	if ((line = audit_line(e, now_ms())) == NULL) {
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	if (s->dest == AUDIT_FILE)
		rc = append(s->path, line, why, wlen);
	else
		rc = to_syslog(s->facility, socket_path, line, why, wlen);
	free(line);
	return rc;
}

void
audit_fallback(const struct audit_event *e, const char *why)
{
	char	*line = audit_line(e, now_ms());

	/* One write, as every stderr line. */
	dprintf(STDERR_FILENO, "%s[%d]: audit line not delivered (%s): %s\n",
	    e->program != NULL ? e->program : "mscep", (int)getpid(), why,
	    line != NULL ? line : "(out of memory)");
	free(line);
}
