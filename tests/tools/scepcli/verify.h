/*
 * verify.h - checks one CertRep (RFC 8894 §3.3.2) against the request it
 * answers: HTTP status and Content-Type, a SignedData signed by a CA or RA
 * certificate of GetCACert, its SCEP attributes (messageType,
 * transactionID, both nonces, pkiStatus, failInfo), then on SUCCESS what
 * it carries.
 */
#ifndef SCEPCLI_VERIFY_H
#define SCEPCLI_VERIFY_H

#include "outcome.h"
#include "request.h"
#include "transport.h"

/* o comes in as a failure with no reason; it leaves as OUT_OK,
 * OUT_REFUSED with o->failinfo, OUT_PENDING, or failed with a reason
 * (running out of memory may leave the reason empty). */
void	 check_reply(const struct ctx *cx, const struct request *rq,
	    const struct http_resp *r, struct outcome *o);

#endif
