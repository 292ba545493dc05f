/*
 * template.h - choose the template for a CSR as NDES does: from the
 * keyUsage extension the device asked for (memdocs "certificates-scep-
 * configure"): digitalSignature -> SignatureTemplate, keyEncipherment ->
 * EncryptionTemplate, both -> GeneralPurposeTemplate. nonRepudiation
 * counts as signature; dataEncipherment and keyAgreement as encryption.
 * A CSR with neither goes where [Service] NoKeyUsageTemplate says.
 */
#ifndef MSCEP_TEMPLATE_H
#define MSCEP_TEMPLATE_H

#include <stddef.h>

#include <openssl/x509.h>

#include "config/config.h"

/* The CSR's requested keyUsage in X509v3_KU_* bits, 0 when none. */
unsigned template_csr_key_usage(X509_REQ *);

/* Returns the template, or NULL with a reason (NoKeyUsageTemplate=Reject). */
const struct template *template_select(const struct config *, X509_REQ *,
	    char *reason, size_t);

#endif
