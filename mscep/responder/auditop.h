/*
 * auditop.h - a PKIOperation's audit line (util/audit.h): an issuance,
 * a refusal with its failInfo and reason, or a request held for approval.
 */
#ifndef MSCEP_AUDITOP_H
#define MSCEP_AUDITOP_H

#include "responder/outcome.h"

/* Sends o's line unless it is no security event (a resent answer, a
 * CertPoll still pending, a GetCert or GetCRL that succeeded). */
void	 auditop_record(struct worker *, const struct scep_req *,
	    const struct outcome *);
/* The password page: event "password" (one handed out) or
 * "password-refused" with why, for the user the web server named. */
void	 auditop_password(struct worker *, const struct http_req *,
	    const char *event, const char *reason);
/* The sink can take lines now (Target = file: the file opens); why not. */
int	 auditop_check(const struct config *, char *why, size_t);

#endif
