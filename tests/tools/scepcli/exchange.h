/*
 * exchange.h - one PKIOperation: the request sent by POST or GET (twice
 * with --resubmit) and its answers kept; then checked, a PENDING one
 * polled with CertPoll (--poll), a resubmission compared with the first.
 */
#ifndef SCEPCLI_EXCHANGE_H
#define SCEPCLI_EXCHANGE_H

#include "outcome.h"
#include "request.h"
#include "transport.h"

/* What came back for one request, kept unchecked until every worker has
 * stopped sending: the clock then measures the server, not our own
 * verification, which would compete for the same cores. */
struct reply {
	struct http_resp r[2];  /* [1]: the --resubmit copy */
	int got[2];             /* an HTTP response was read */
	char err[2][300];
};

void	 reply_free(struct reply *rp);
/* Sends rq over c (twice with --resubmit) and keeps the answers in rp,
 * which starts zeroed. */
void	 send_one(struct conn *c, const struct request *rq, struct reply *rp);
/* Checks what send_one() kept for an enrollment into o: CertPoll on
 * PENDING with --poll, the resubmission's answer compared with the first.
 * An issued certificate is saved to -o once. */
void	 check_enrollment(const struct ctx *cx, const struct request *rq,
	    const struct reply *rp, struct outcome *o);
/* Sends rq over c and checks its answer into o at once; save: write an
 * issued certificate to -o. */
void	 exchange(const struct ctx *cx, struct conn *c,
	    const struct request *rq, int save, struct outcome *o);

#endif
