/*
 * metricspage.h - the Prometheus page at [Metrics] Path: the request
 * counters every worker keeps (util/metrics.h), the store's counts and
 * the expiry of what mscep depends on (ca/health.h), in the text
 * exposition format, for the addresses [Metrics] AllowFrom lists.
 */
#ifndef MSCEP_METRICSPAGE_H
#define MSCEP_METRICSPAGE_H

#include "responder/http.h"
#include "responder/worker.h"

/* 1 when the request path (REQUEST_URI, query ignored) is [Metrics]
 * Path, which is set. */
int	 metricspage_match(const struct config *, const char *request_uri);
void	 metricspage_handle(struct worker *, const struct http_req *,
	    struct http_resp *);
/* The page's body for w at now; -1 when out of memory. */
int	 metricspage_render(struct worker *, int64_t now, struct buf *);

#endif
