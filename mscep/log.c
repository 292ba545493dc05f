/* log.c - stderr or syslog output, one line per event. */
#include "log.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static enum log_dest	 dest = LOG_TO_STDERR;
static char		 log_ident[32] = "mscep";

void
log_open(enum log_dest d, const char *ident)
{
	dest = d;
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	if (dest == LOG_TO_SYSLOG)
		openlog(log_ident, LOG_PID, LOG_DAEMON);
}

static void
vlog(int prio, const char *level, const char *fmt, va_list ap)
{
	char		 msg[2048], ts[32];
	struct tm	 tm;
	time_t		 t = time(NULL);

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (dest == LOG_TO_SYSLOG) {
		syslog(prio, "%s", msg);
		return;
	}
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
openssl_reason(char *out, unsigned long size, const char *what)
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
	char	 reason[512];

	openssl_reason(reason, sizeof(reason), what);
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
