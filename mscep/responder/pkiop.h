/*
 * pkiop.h - PKIOperation (RFC 8894 §4.3): take the message from the POST
 * body or the GET "message" parameter, decode it, run the message type
 * (PKCSReq, CertPoll, GetCert) and answer a signed CertRep.
 */
#ifndef MSCEP_PKIOP_H
#define MSCEP_PKIOP_H

#include "responder/http.h"

struct worker;

void	 pkiop_handle(struct worker *, const struct http_req *, int post,
	    struct http_resp *);

#endif
