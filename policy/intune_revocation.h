/*
 * intune_revocation.h - Intune's revocation requests (PkiConnectorFEService,
 * api-version 5019-05-05): downloadRevocationRequests hands out up to
 * maxRequests (1..500) requests {requestContext, serialNumber, issuerName,
 * caConfiguration}; uploadRevocationResults takes one result per request
 * and must answer {"value":true}. The building and reading of these
 * bodies is apart from the calls, for the unit tests.
 */
#ifndef MSCEP_INTUNE_REVOCATION_H
#define MSCEP_INTUNE_REVOCATION_H

#include <stddef.h>

#include <jansson.h>

#include "config/config.h"
#include "policy/intune_http.h"

#define INTUNE_REV_MAX		500

/* CARequestErrorCodes of Microsoft's Java sample (JC/CARequestErrorCodes). */
#define INTUNE_REV_NONE			0
#define INTUNE_REV_PARAMETER_INVALID	4002
#define INTUNE_REV_NOT_FOUND		4004
#define INTUNE_REV_CONFLICT		4005	/* already revoked */
#define INTUNE_REV_RETRYABLE		4100

struct intune_revreq {
	char	*context;	/* requestContext, owned */
	char	*serial;	/* serialNumber as sent, owned; NULL: none */
	char	*issuer;	/* issuerName, owned, or NULL */
};

struct intune_revresult {
	const char	*context;
	int		 code;		/* INTUNE_REV_NONE: revoked */
	const char	*message;	/* why not; NULL when revoked */
};

/* {"downloadParameters":{"maxRequests":max,"issuerName":null}}. */
json_t	*intune_rev_download_body(int max);
/*
 * The requests of a download answer (a JSON object with a "value" array
 * of objects): *reqs (free with intune_revreqs_free) and *n. An element
 * without a string requestContext cannot be answered: it is left out and
 * counted in *skipped. -1 with reason when the answer is not that shape.
 */
int	 intune_rev_parse(const json_t *, struct intune_revreq **reqs,
	    size_t *n, size_t *skipped, char *reason, size_t);
void	 intune_revreqs_free(struct intune_revreq *, size_t);
/* {"results":[...]}: errorCode as Microsoft's Java sample sends it, the
 * number as a string ("0", "4005"); NULL when n is 0. */
json_t	*intune_rev_upload_body(const struct intune_revresult *, size_t n);
/* 0 when the upload answer is HTTP 2xx {"value":true}; -1 with reason. */
int	 intune_rev_upload_ok(const struct intune_reply *, char *reason,
	    size_t);
/* The name of an error code ("ConflictError"), "Unknown" for others. */
const char *intune_rev_code_name(int);

/* A connection to Intune's PKI connector service: tokens, discovery. */
struct intune_pki;

int	 intune_pki_open(const struct config *, struct intune_pki **,
	    char *reason, size_t);
void	 intune_pki_close(struct intune_pki *);
/* Tokens and both endpoints; the PKI service's URL, or NULL with reason. */
const char *intune_pki_discover(struct intune_pki *, char *reason, size_t);
int	 intune_pki_download(struct intune_pki *, int max,
	    struct intune_revreq **, size_t *n, size_t *skipped,
	    char *reason, size_t);
int	 intune_pki_upload(struct intune_pki *, const struct intune_revresult *,
	    size_t n, char *reason, size_t);

#endif
