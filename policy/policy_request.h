/*
 * policy_request.h - helpers the policy modules share for reading a
 * request; below the module table, so modules never call back into it.
 */
#ifndef MSCEP_POLICY_REQUEST_H
#define MSCEP_POLICY_REQUEST_H

#include <stddef.h>

#include <openssl/x509.h>

/* The CSR's PKCS#9 challengePassword as UTF-8, or -1 when absent. */
int	 policy_request_challenge(X509_REQ *, char *, size_t);

#endif
