/*
 * issued.h - the content of a SUCCESS CertRep: an EnvelopedData to the
 * request's key holding the issued certificate, which must carry that key
 * and chain to GetCACert's CA (-o saves it with its key), or for GetCRL
 * the CA's CRL.
 */
#ifndef SCEPCLI_ISSUED_H
#define SCEPCLI_ISSUED_H

#include "common.h"
#include "outcome.h"
#include "request.h"

/* Opens content (the CertRep's eContent) and checks what it holds. 1 with
 * o->serial and o->cipher set, or 0 with o failed. */
int	 open_success(const struct ctx *cx, const struct request *rq,
	    const struct buf *content, struct outcome *o);

#endif
