/*
 * issue.h - turn a CSR that passed policy into a certificate, as the
 * template says: what is copied from the request (subject, allowed SAN
 * types, validity where EDITF_ATTRIBUTEENDDATE is on) and what the
 * template imposes (key usage, EKU, validity, key size).
 */
#ifndef MSCEP_ISSUE_H
#define MSCEP_ISSUE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "config/config.h"
#include "ca/ra.h"
#include "ca/failinfo.h"

/* Checks the CSR against the template; FAIL_NONE when it may be issued. */
enum scep_failinfo issue_check(const struct template *, X509_REQ *,
	    char *reason, size_t);
/* The same; sid_uri_ok: the policy itself validates the CSR's names and
 * vouches for a strong-mapping SID URI in them (Module = intune). */
enum scep_failinfo issue_check_sans_vouched(const struct template *,
	    X509_REQ *, int sid_uri_ok, char *reason, size_t);
/* Builds and signs the certificate with a new serial (cert_new_serial). */
int	 issue_sign(const struct config *, const struct template *,
	    const struct ra *, X509_REQ *, X509 **out, char *reason, size_t);
/* What a policy may fix in the certificate beyond the CSR. */
struct issue_extras {
	const char	*sid;		/* KB5014754: 1.3.6.1.4.1.311.25.2, and
					   the SAN URI if the template says */
	const X509_NAME	*subject;	/* the subject exactly as vouched */
};
/*
 * The certificate issue_sign_ex would sign, linted (lint.h), unsigned:
 * what an approver is shown. Both return 0, ISSUE_REFUSED when the lint
 * refuses what the request would make (the requester's fault), or -1 when
 * this side failed (the CA's validity, memory, the CA key).
 */
#define ISSUE_REFUSED	(-2)
int	 issue_build(const struct config *, const struct template *,
	    const struct ra *, X509_REQ *, const struct issue_extras *,
	    X509 **out, char *reason, size_t);
int	 issue_sign_ex(const struct config *, const struct template *,
	    const struct ra *, X509_REQ *, const struct issue_extras *,
	    X509 **out, char *reason, size_t);
/* 1 when the CSR asks for exactly the certificate's SANs (any order),
 * a strong-mapping SID URI aside: what a renewal may ask for. */
int	 issue_same_sans(X509 *, X509_REQ *);
/* The KB5014754 SID the certificate carries, "" if none; -1 if garbled. */
int	 issue_sid_of(X509 *, char *, size_t);
/*
 * KB5014754 strong mapping: the SID extension (szOID_NTDS_CA_SECURITY_EXT,
 * non-critical, one otherName SID_NAME_OID holding the SID as text) as
 * issuing adds it, NULL when out of memory; the SAN URI that carries the
 * SID too (SID_URI_PREFIX "S-1-5-..."), recognised by issue_is_sid_uri.
 */
#define SID_EXT_OID	"1.3.6.1.4.1.311.25.2"
#define SID_NAME_OID	"1.3.6.1.4.1.311.25.2.1"
#define SID_URI_PREFIX	"tag:microsoft.com,2022-09-14:sid:"
X509_EXTENSION	*issue_sid_ext(const char *sid);
int	 issue_is_sid_uri(const GENERAL_NAME *);
/* The SAN kind (config.h enum san_type) a requester may be allowed to
 * supply, 0 for any other name. */
unsigned issue_san_kind(const GENERAL_NAME *);
/*
 * Subject and SANs as text for the store, the log and mscep-admin, whole:
 * the subject RFC 4514 (X509_NAME_print_ex, UTF-8 kept, controls
 * escaped), the SANs "dns:a,ip:10.0.0.8,upn:u@d,othername:OID:#DER",
 * each value's ',' and '\' escaped. Heap strings for free(); -1 when out
 * of memory (both NULL).
 */
#define ISSUE_DN_FLAGS	(XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)
int	 issue_describe(X509 *, char **subject, char **sans);
int	 issue_describe_req(X509_REQ *, char **subject, char **sans);

#endif
