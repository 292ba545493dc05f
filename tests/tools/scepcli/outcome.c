/* outcome.c - what an exchange came to, judged and printed. */
#include "outcome.h"
#include "options.h"
#include "request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

int set_fail(struct outcome *o, const char *fmt, ...)
{
	va_list ap;

	o->kind = OUT_FAIL;
	va_start(ap, fmt);
	vsnprintf(o->reason, sizeof o->reason, fmt, ap);
	va_end(ap);
	ERR_print_errors_fp(stderr);    /* empty unless OpenSSL failed */
	return 0;
}

const char *kind_name(enum outcome_kind k)
{
	return k == OUT_OK ? "SUCCESS" : k == OUT_REFUSED ? "FAILURE" :
	       k == OUT_PENDING ? "PENDING" : "error";
}

/* Turns an outcome that does not match --expect into a failure. */
int judge(struct outcome *o)
{
	if (o->kind == OUT_FAIL)
		return 0;
	if (o->kind != opt.expect) {
		char got[128];

		if (o->kind == OUT_REFUSED)
			snprintf(got, sizeof got, "FAILURE failInfo=%ld", o->failinfo);
		else if (o->kind == OUT_OK)
			snprintf(got, sizeof got, "SUCCESS serial=%s", o->serial);
		else
			snprintf(got, sizeof got, "PENDING");
		set_fail(o, "expected %s, got %s", kind_name(opt.expect), got);
		return 0;
	}
	if (o->kind == OUT_REFUSED && opt.failinfo >= 0 && o->failinfo != opt.failinfo) {
		set_fail(o, "expected failInfo %ld, got %ld", opt.failinfo, o->failinfo);
		return 0;
	}
	return 1;
}

void print_outcome(const struct request *rq, const struct outcome *o, double ms)
{
	char line[768];
	int n;

	if (o->kind == OUT_OK)
		n = snprintf(line, sizeof line, "OK serial=%s txid=%s ms=%.1f cipher=%s\n",
			     o->serial, rq->txid, ms, o->cipher);
	else if (o->kind == OUT_REFUSED)
		n = snprintf(line, sizeof line, "REFUSED failInfo=%ld txid=%s ms=%.1f\n",
			     o->failinfo, rq->txid, ms);
	else if (o->kind == OUT_PENDING)
		n = snprintf(line, sizeof line, "PENDING txid=%s ms=%.1f\n", rq->txid, ms);
	else
		n = snprintf(line, sizeof line, "FAIL reason=%s txid=%s ms=%.1f\n",
			     o->reason, rq->txid[0] ? rq->txid : "-", ms);
	/* One write() per line so lines of parallel workers never interleave. */
	if (n > 0 && write(STDOUT_FILENO, line, strlen(line)) < 0)
		perror("scepcli: write");
}
