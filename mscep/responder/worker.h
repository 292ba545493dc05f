/*
 * worker.h - what one worker process loads once (configuration, CA and RA
 * keys, store, policy), handed down to every operation.
 */
#ifndef MSCEP_WORKER_H
#define MSCEP_WORKER_H

#include <openssl/provider.h>

#include "config/config.h"
#include "responder/http.h"
#include "responder/ocsp.h"
#include "policy/policy.h"
#include "ca/ra.h"
#include "store/store.h"
#include "util/metrics.h"

struct worker {
	struct config	 cfg;
	struct ra	 ra;
	struct store	*store;
	struct policy	*policy;
	struct buf	 cacert;		/* GetCACert body, built once */
	struct ocsp_responder ocsp;		/* [OCSP] Path set only */
	struct buf	 nextca;		/* GetNextCACert body; empty:
						   no next CA (rollover.h) */
	OSSL_PROVIDER	*legacy;		/* AllowDES=1 only */
	OSSL_PROVIDER	*deflt;
	const char	*cacert_type;
	int64_t		 next_idle;		/* route_idle's next turn */
	struct metrics	 metrics;		/* [Metrics] Path set only */
	struct metrics_mark mark;		/* the request being answered,
						   as route.c counts it */
};

int	 worker_open(struct worker *, const char *config_path, char *, size_t);
void	 worker_close(struct worker *);
/*
 * Loads and validates path only, reporting problems on the real stderr
 * (callers that include fcgi_stdio.h have no FILE * for it).
 */
int	 worker_config_check(const char *path, struct config *);
#endif
