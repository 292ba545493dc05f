/* exchange.c - one PKIOperation sent, kept, polled and checked. */
#include "exchange.h"
#include "common.h"
#include "options.h"
#include "outcome.h"
#include "request.h"
#include "transport.h"
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

void reply_free(struct reply *rp)
{
	buf_free(&rp->r[0].body);
	buf_free(&rp->r[1].body);
}

/* Sends the PKIOperation (twice with --resubmit) and keeps the answers. */
void send_one(struct conn *c, const struct request *rq, struct reply *rp)
{
	int post = opt.method == M_POST;

	for (int k = 0; k < (opt.resubmit ? 2 : 1); k++) {
		rp->got[k] = http_exchange(c, post ? "POST" : "GET", rq->target,
					   post ? rq->msg.p : NULL,
					   post ? rq->msg.len : 0,
					   CT_PKI_MESSAGE, &rp->r[k]) == 0;
		if (!rp->got[k]) {
			snprintf(rp->err[k], sizeof rp->err[k], "%s", c->err);
			break;
		}
	}
}

/* The checks of one kept answer. */
static void check_one(const struct ctx *cx, const struct request *rq,
		      const struct reply *rp, int k, int save, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	o->kind = OUT_FAIL;
	o->save = save;
	snprintf(o->cipher, sizeof o->cipher, "none");
	ERR_clear_error();
	if (!rp->got[k])
		set_fail(o, "HTTP: %s", rp->err[k]);
	else
		check_reply(cx, rq, &rp->r[k], o);
	if (o->kind == OUT_FAIL && o->reason[0] == 0)   /* e.g. out of memory */
		set_fail(o, "internal error");
}

/* --resubmit: an identical retransmission must return the same result. */
static void compare_resubmit(const struct outcome *a, struct outcome *b)
{
	if (b->kind == OUT_FAIL)
		return;
	if (a->kind != b->kind)
		set_fail(b, "resubmission gave %s, first gave %s",
			 kind_name(b->kind), kind_name(a->kind));
	else if (a->kind == OUT_OK && strcmp(a->serial, b->serial) != 0)
		set_fail(b, "resubmission issued serial %s, first %s",
			 b->serial, a->serial);
}

/* One PKIOperation sent and checked at once, outside the timed load:
 * CertPoll and GetCRL. */
void exchange(const struct ctx *cx, struct conn *c,
		     const struct request *rq, int save, struct outcome *o)
{
	struct reply rp;

	memset(&rp, 0, sizeof rp);
	send_one(c, rq, &rp);
	check_one(cx, rq, &rp, 0, save, o);
	reply_free(&rp);
}

/* --poll: a PENDING answer is asked again, once a second. */
static void poll_pending(const struct ctx *cx, struct conn *c,
			 const struct request *rq, struct outcome *o)
{
	struct request pr;

	for (long i = 0; i < opt.poll && o->kind == OUT_PENDING; i++) {
		sleep(1);
		if (!make_poll(cx, rq, &pr)) {
			set_fail(o, "cannot build CertPoll");
		} else
			exchange(cx, c, &pr, 1, o);
		buf_free(&pr.msg);
		free(pr.target);
	}
}

void check_enrollment(const struct ctx *cx, const struct request *rq,
			     const struct reply *rp, struct outcome *o)
{
	struct outcome first;

	check_one(cx, rq, rp, 0, 1, o);
	if (opt.poll > 0 && o->kind == OUT_PENDING) {
		struct conn c = { .fd = -1 };

		poll_pending(cx, &c, rq, o);
		conn_close(&c);
	}
	if (!opt.resubmit || o->kind == OUT_FAIL)
		return;
	first = *o;
	check_one(cx, rq, rp, 1, 0, o); /* the same cert must not be saved twice */
	compare_resubmit(&first, o);
}
