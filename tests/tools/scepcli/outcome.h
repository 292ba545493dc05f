/*
 * outcome.h - what one exchange came to, whether that is what --expect
 * asked for, and the one line printed for it.
 */
#ifndef SCEPCLI_OUTCOME_H
#define SCEPCLI_OUTCOME_H

#include "options.h"
#include "request.h"

struct outcome {
	enum outcome_kind kind;
	long failinfo;
	char serial[80];
	char cipher[64];
	char reason[400];
	int save;               /* input: write the issued cert to -o DIR */
};

/* Marks o failed with a reason, prints the OpenSSL error queue (empty
 * unless OpenSSL failed) and returns 0, for checks to return. */
int	 set_fail(struct outcome *o, const char *fmt, ...)
	    __attribute__((format(__printf__, 2, 3)));
/* SUCCESS, FAILURE, PENDING or error. */
const char *kind_name(enum outcome_kind k);
/* 1 if o is what --expect and --failinfo ask for. Otherwise 0, and o,
 * unless it failed already, becomes a failure saying what came instead. */
int	 judge(struct outcome *o);
/* OK, REFUSED, PENDING or FAIL, with rq's transactionID and ms, on
 * stdout in one write() so that parallel workers' lines never mix. */
void	 print_outcome(const struct request *rq, const struct outcome *o,
	    double ms);

#endif
