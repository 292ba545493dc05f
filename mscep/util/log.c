/* log.c - stderr or syslog output, one line per event. */
#include "util/log.h"
#include "util/util.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static enum log_dest	 dest = LOG_TO_STDERR;
static char		 log_ident[32] = "mscep";
static struct sockaddr_un syslog_addr = { .sun_family = AF_UNIX };
static int		 syslog_fd = -1;

void
log_open(enum log_dest d, const char *ident, const char *socket_path)
{
	dest = d;
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	snprintf(syslog_addr.sun_path, sizeof(syslog_addr.sun_path), "%s",
	    socket_path != NULL ? socket_path : "/dev/log");
}

static void stderr_line(const char *, const char *);
static void vlog(int, const char *, const char *, va_list)
    __attribute__((format(__printf__, 3, 0)));

/*
 * syslog(3) always writes to /dev/log; containers often mount the host's
 * socket elsewhere, so the datagram is sent here, to LogSocket. A line
 * syslog does not take goes to stderr: it is never lost.
 */
static void
syslog_line(int prio, const char *level, const char *msg)
{
	char		 line[2300], ts[32];
	struct tm	 tm;
	time_t		 t = time(NULL);
	int		 n;

	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "<%d>%s %s[%d]: %s", LOG_DAEMON | prio,
	    ts, log_ident, (int)getpid(), msg);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (syslog_fd < 0)
		syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (syslog_fd < 0 || sendto(syslog_fd, line, (size_t)n, 0,
	    (struct sockaddr *)&syslog_addr, sizeof(syslog_addr)) != n)
		stderr_line(level, msg);
}

static void
vlog(int prio, const char *level, const char *fmt, va_list ap)
{
	char		 msg[2048];
	unsigned char	*c;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One line whatever it quotes (libpq's messages hold newlines and
	 * tabs): control characters become '?', as log_safe makes them. */
	for (c = (unsigned char *)msg; *c != '\0'; c++)
		if (*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (dest == LOG_TO_SYSLOG)
		syslog_line(prio, level, msg);
	else
		stderr_line(level, msg);
}

static void
stderr_line(const char *level, const char *msg)
{
	char		 ts[32];
	struct tm	 tm;
	time_t		 t = time(NULL);

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* One write so lines from several workers do not interleave. */
	dprintf(STDERR_FILENO, "%s %s[%d] %s: %s\n", ts, log_ident,
	    (int)getpid(), level, msg);
}

#define LOGFN(name, prio, level)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
	va_start(ap, fmt);					\
	vlog(prio, level, fmt, ap);				\
	va_end(ap);						\
}

LOGFN(log_info, LOG_INFO, "info")
LOGFN(log_warnx, LOG_WARNING, "warning")
LOGFN(log_errx, LOG_ERR, "error")

void
log_openssl_reason(char *out, unsigned long size, const char *what)
{
	unsigned long	 e = ERR_get_error();
	char		 buf[256] = "";

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	if (buf[0] != '\0')
		snprintf(out, size, "%s: %s", what, buf);
	else
		snprintf(out, size, "%s", what);
}

void
log_openssl(const char *what)
{
	char	 reason[REASON_MAX];

	log_openssl_reason(reason, sizeof(reason), what);
	log_errx("%s", reason);
}

const char *
log_safe(const char *in, char *out, unsigned long size)
{
	unsigned long	 i;

	if (size == 0)
		return "";
	if (in == NULL)
		in = "-";
	for (i = 0; in[i] != '\0' && i + 1 < size; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f && in[i] != '"') ?
		    in[i] : '?';
	out[i] = '\0';
	return out;
}
