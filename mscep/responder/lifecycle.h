/*
 * lifecycle.h - the PKIOperations of a certificate's later life: RenewalReq
 * (RFC 8894 section 3.3.1.2) and GetCRL (section 3.3.4).
 */
#ifndef MSCEP_LIFECYCLE_H
#define MSCEP_LIFECYCLE_H

#include "responder/outcome.h"

void	 lifecycle_renewal(struct worker *, const struct scep_req *,
	    struct outcome *);
/* A PKCSReq signed by a certificate this CA issued: the same rules. */
void	 lifecycle_renewal_pkcsreq(struct worker *, const struct scep_req *,
	    struct outcome *);
void	 lifecycle_getcrl(struct worker *, const struct scep_req *,
	    struct outcome *);

#endif
