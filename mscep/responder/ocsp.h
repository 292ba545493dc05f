/*
 * ocsp.h - the OCSP responder (RFC 6960) at [OCSP] Path, answered by the
 * same FastCGI workers as SCEP: good, revoked or unknown for what this CA
 * issued, read from the store, signed by a delegated responder
 * certificate (EKU OCSPSigning, id-pkix-ocsp-nocheck) that the CA issues
 * and that every answer carries.
 */
#ifndef MSCEP_OCSP_H
#define MSCEP_OCSP_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config/config.h"
#include "responder/http.h"
#include "ca/ocsp_signer.h"

struct worker;
/* 1 when the request's path is [OCSP] Path or below it. */
int	 ocsp_match(const struct config *, const char *request_uri);
/* Answers one OCSP request (POST body or GET path, RFC 6960 A.1). */
void	 ocsp_handle(struct worker *, const struct http_req *,
	    struct http_resp *);

#endif
