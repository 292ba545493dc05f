/* route.h - the entry point that answers one request. */
#ifndef MSCEP_ROUTE_H
#define MSCEP_ROUTE_H

#include "responder/http.h"
#include "responder/worker.h"

void	 route_request(struct worker *, const struct http_req *,
	    struct http_resp *);
/* After an answer went out: at most once a minute, republish a stale CRL. */
void	 route_idle(struct worker *);

#endif
