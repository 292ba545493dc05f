/*
 * ocsp.c - the OCSP responder (RFC 6960): decode the request (POST body
 * or GET path, Appendix A.1), look each certificate up in the store,
 * answer good, revoked or unknown, signed by the delegated responder.
 */
#include "responder/ocsp.h"
#include "ca/issue.h"
#include "ca/lint.h"
#include "util/log.h"
#include "store/store.h"
#include "responder/worker.h"
#include "util/cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

/* The configured path exactly, or anything below it (GET requests). */
int
ocsp_match(const struct config *cfg, const char *uri)
{
	size_t	 n = strlen(cfg->ocsp_path), len;

	if (n == 0 || uri == NULL)
		return 0;
	len = strcspn(uri, "?");
	return len >= n && strncmp(uri, cfg->ocsp_path, n) == 0 &&
	    (len == n || uri[n] == '/');
}

/* What one answer says, for the log line. */
struct summary {
	const char	*method;
	int		 status;	/* OCSPResponseStatus */
	int		 good, revoked, unknown;
	char		 certs[200];	/* "SERIAL:status ..." */
	char		 reason[REASON_MAX];
};

static const char *
status_name(int st)
{
	switch (st) {
	case OCSP_RESPONSE_STATUS_SUCCESSFUL: return "successful";
	case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST: return "malformedRequest";
	case OCSP_RESPONSE_STATUS_INTERNALERROR: return "internalError";
	case OCSP_RESPONSE_STATUS_TRYLATER: return "tryLater";
	case OCSP_RESPONSE_STATUS_SIGREQUIRED: return "sigRequired";
	case OCSP_RESPONSE_STATUS_UNAUTHORIZED: return "unauthorized";
	default: return "?";
	}
}

static void
note_cert(struct summary *s, const char *serial, const char *what)
{
	size_t	 n = strlen(s->certs);

	/* The first few; the counts say how many there were. */
	if (n + strlen(serial) + strlen(what) + 3 < sizeof(s->certs))
		snprintf(s->certs + n, sizeof(s->certs) - n, "%s%s:%s",
		    n ? " " : "", serial, what);
}

/* Request bytes from a POST body or, for GET, the path after [OCSP] Path
 * (base64 of the DER, URL-escaped: RFC 6960 A.1). */
static int
request_der(const struct worker *w, const struct http_req *r,
    const char *method, struct buf *der, char *reason, size_t rlen)
{
	const char	*p;
	char		*text = NULL;
	unsigned char	*bin = NULL;
	size_t		 n;
	long		 len;
	int		 rc = -1;

	if (strcmp(method, "POST") == 0) {
		if (r->body_len > OCSP_REQUEST_MAX) {
			snprintf(reason, rlen, "request of %zu bytes (at most "
			    "%d)", r->body_len, OCSP_REQUEST_MAX);
			goto out;
		}
		if (r->body_len == 0) {
			snprintf(reason, rlen, "POST without a body");
			goto out;
		}
		rc = buf_append(der, r->body, r->body_len);
		goto out;
	}
	if (!ocsp_match(&w->cfg, r->request_uri)) {
		snprintf(reason, rlen, "GET outside [OCSP] Path");
		goto out;
	}
	p = r->request_uri + strlen(w->cfg.ocsp_path);
	if (*p == '/')
		p++;
	n = strcspn(p, "?");
	if (n == 0) {
		snprintf(reason, rlen, "GET without a request in the path");
		goto out;
	}
	/* Base64 grows by 4/3, escaping by 3 at most. */
	if (n > (size_t)OCSP_REQUEST_MAX * 4) {
		snprintf(reason, rlen, "GET path of %zu characters", n);
		goto out;
	}
	if ((text = http_pct_decode(p, n)) == NULL ||
	    (bin = malloc(strlen(text) / 4 * 3 + 3)) == NULL) {
		snprintf(reason, rlen, "out of memory");
		goto out;
	}
	if ((len = util_base64_decode(text, strlen(text), bin,
	    strlen(text) / 4 * 3 + 3)) <= 0) {
		snprintf(reason, rlen, "GET path is not base64");
		goto out;
	}
	if ((size_t)len > OCSP_REQUEST_MAX) {
		snprintf(reason, rlen, "request of %ld bytes (at most %d)", len,
		    OCSP_REQUEST_MAX);
		goto out;
	}
	rc = buf_append(der, bin, (size_t)len);
out:
	free(bin);
	free(text);
	return rc;
}

/* RFC 8954: a nonce of 1 to 128 octets, or malformedRequest. */
static int
nonce_ok(OCSP_REQUEST *req)
{
	X509_EXTENSION		*ext;
	ASN1_OCTET_STRING	*inner = NULL;
	const unsigned char	*p;
	int			 i, len;

	if ((i = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce,
	    -1)) < 0)
		return 1;
	if (OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, i) >= 0 ||
	    (ext = OCSP_REQUEST_get_ext(req, i)) == NULL)
		return 0;
	/* The value is an OCTET STRING holding the nonce; a few old clients
	 * put the bare nonce there. */
	p = ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext));
	len = ASN1_STRING_length(X509_EXTENSION_get_data(ext));
	if ((inner = d2i_ASN1_OCTET_STRING(NULL, &p, len)) != NULL &&
	    p == ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext)) + len)
		len = ASN1_STRING_length(inner);
	ASN1_OCTET_STRING_free(inner);
	ERR_clear_error();
	return len >= 1 && len <= 128;
}

/* The generation whose CA the CertID names, with whatever hash the
 * client used; -1 for none of them. */
static int
find_issuer(const struct ocsp_responder *r, OCSP_CERTID *cid)
{
	ASN1_OBJECT	*md_oid = NULL;
	OCSP_CERTID	*id;
	const EVP_MD	*md;
	int		 i, cmp;

	if (OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, cid) != 1 ||
	    (md = EVP_get_digestbyobj(md_oid)) == NULL)
		return -1;
	for (i = 0; i < r->n; i++) {
		if ((id = OCSP_cert_to_id(md, NULL, r->issuers[i].ca)) == NULL)
			return -1;
		cmp = OCSP_id_issuer_cmp(id, cid);
		OCSP_CERTID_free(id);
		if (cmp == 0)
			return i;
	}
	return -1;
}

/*
 * One CertID: OCSP_RESPONSE_STATUS_SUCCESSFUL with *status set, or
 * INTERNALERROR when the store cannot answer. *which gets the generation
 * whose CA the CertID names, -1 for another CA.
 */
static int
cert_status(struct worker *w, OCSP_CERTID *cid, int *status, int *reason,
    int64_t *revoked_at, int *which, struct summary *s)
{
	ASN1_INTEGER	*serial = NULL;
	struct cert_row	 row;
	char		 hex[80] = "?";
	enum store_rc	 src;
	int		 rc = OCSP_RESPONSE_STATUS_SUCCESSFUL;

	*status = V_OCSP_CERTSTATUS_UNKNOWN;
	*reason = OCSP_REVOKED_STATUS_NOSTATUS;
	if (OCSP_id_get0_info(NULL, NULL, NULL, &serial, cid) != 1 ||
	    cert_serial_hex(serial, hex, sizeof(hex)) != 0)
		util_strlcpy(hex, "?", sizeof(hex));
	if ((*which = find_issuer(&w->ocsp, cid)) < 0) {
		note_cert(s, hex, "other-issuer");
		goto out;
	}
	if (strcmp(hex, "?") == 0 ||
	    (src = store_cert_status(w->store, hex, &row)) == STORE_NOT_FOUND) {
		note_cert(s, hex, "unknown");
		goto out;
	}
	if (src != STORE_OK) {
		snprintf(s->reason, sizeof(s->reason), "store: %s",
		    store_errmsg(w->store));
		rc = OCSP_RESPONSE_STATUS_INTERNALERROR;
		goto out;
	}
	/* The CAs of two generations share a name: this serial must be one
	 * the CA named by the key hash issued ("" rows predate rollover). */
	if (row.ca_key[0] != '\0' &&
	    strcmp(row.ca_key, w->ocsp.issuers[*which].ca_key_id) != 0) {
		note_cert(s, hex, "unknown");
		goto out;
	}
	if (!row.revoked) {
		*status = V_OCSP_CERTSTATUS_GOOD;
		note_cert(s, hex, "good");
		goto out;
	}
	*status = V_OCSP_CERTSTATUS_REVOKED;
	*revoked_at = row.revoked_at;
	/* CRLReason 0-10; 7 is not assigned. */
	if (row.reason >= 0 && row.reason <= 10 && row.reason != 7)
		*reason = row.reason;
	note_cert(s, hex, "revoked");
out:
	ERR_clear_error();
	return rc;
}

/* Adds one SingleResponse per request; *foreign counts those for other
 * CAs, or for another generation than the first one's (*gen). */
static int
add_statuses(struct worker *w, OCSP_REQUEST *req, OCSP_BASICRESP *bs,
    ASN1_TIME *now, ASN1_TIME *next, int *gen, int *foreign,
    struct summary *s)
{
	ASN1_TIME	*rev = NULL;
	OCSP_CERTID	*cid;
	int64_t		 at = 0;
	int		 i, n, st, why, which;
	int		 rc = OCSP_RESPONSE_STATUS_SUCCESSFUL;

	*foreign = 0;
	*gen = -1;
	n = OCSP_request_onereq_count(req);
	for (i = 0; i < n; i++) {
		cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		if ((rc = cert_status(w, cid, &st, &why, &at, &which, s)) !=
		    OCSP_RESPONSE_STATUS_SUCCESSFUL)
			goto out;
		if (*gen < 0)
			*gen = which;
		*foreign += which < 0 || which != *gen;
		s->good += st == V_OCSP_CERTSTATUS_GOOD;
		s->revoked += st == V_OCSP_CERTSTATUS_REVOKED;
		s->unknown += st == V_OCSP_CERTSTATUS_UNKNOWN;
		ASN1_TIME_free(rev);
		rev = NULL;
		if ((st == V_OCSP_CERTSTATUS_REVOKED &&
		    (rev = ASN1_TIME_set(NULL, (time_t)at)) == NULL) ||
		    OCSP_basic_add1_status(bs, cid, st, why, rev, now,
		    next) == NULL) {
			log_openssl_reason(s->reason, sizeof(s->reason),
			    "cannot add a status");
			rc = OCSP_RESPONSE_STATUS_INTERNALERROR;
			goto out;
		}
	}
out:
	ASN1_TIME_free(rev);
	return rc;
}

/*
 * The answer to a decoded request. A request naming any other CA gets
 * unauthorized (RFC 5019 §2.2.3): a delegated responder speaks for its
 * own CA only, and clients (OpenSSL's OCSP_basic_verify) reject a
 * delegated answer whose CertIDs name different issuers, so "unknown"
 * for them would make the whole answer unverifiable. For the same
 * reason one request may not mix CA generations.
 */
static int
respond(struct worker *w, OCSP_REQUEST *req, OCSP_RESPONSE **out,
    struct summary *s)
{
	OCSP_BASICRESP		*bs = NULL;
	ASN1_TIME		*now = NULL, *next = NULL;
	const struct ocsp_signer *sig;
	int			 gen, foreign;
	int			 rc = OCSP_RESPONSE_STATUS_INTERNALERROR;

	if (OCSP_request_onereq_count(req) <= 0) {
		snprintf(s->reason, sizeof(s->reason), "no certificate in the "
		    "request");
		rc = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
		goto out;
	}
	if (!nonce_ok(req)) {
		snprintf(s->reason, sizeof(s->reason), "nonce not of 1 to 128 "
		    "octets, or twice (RFC 8954)");
		rc = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
		goto out;
	}
	if ((bs = OCSP_BASICRESP_new()) == NULL ||
	    (now = X509_gmtime_adj(NULL, 0)) == NULL ||
	    (next = X509_gmtime_adj(NULL,
	    (long)w->cfg.ocsp_validity_minutes * 60)) == NULL) {
		log_openssl_reason(s->reason, sizeof(s->reason),
		    "out of memory");
		goto out;
	}
	if ((rc = add_statuses(w, req, bs, now, next, &gen, &foreign, s)) !=
	    OCSP_RESPONSE_STATUS_SUCCESSFUL)
		goto out;
	if (foreign > 0) {
		snprintf(s->reason, sizeof(s->reason), "%d certificate(s) of "
		    "another CA (or hash algorithm, or CA generation) in the "
		    "request", foreign);
		rc = OCSP_RESPONSE_STATUS_UNAUTHORIZED;
		goto out;
	}
	rc = OCSP_RESPONSE_STATUS_INTERNALERROR;
	sig = &w->ocsp.issuers[gen].signer;
	if (lint_times(now, next, sig->cert, "OCSP answer", s->reason,
	    sizeof(s->reason)) != 0)
		goto out;
	keyop_set_context(sig->op, "ocsp");
	/* The responder certificate goes with the answer (no -VAfile). */
	if (OCSP_copy_nonce(bs, req) <= 0 ||
	    keyop_sign_ocsp(sig->op, bs, sig->cert, EVP_sha256(),
	    OCSP_RESPID_KEY) != 1 ||
	    (*out = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    bs)) == NULL) {
		log_openssl_reason(s->reason, sizeof(s->reason), "cannot sign");
		goto out;
	}
	rc = OCSP_RESPONSE_STATUS_SUCCESSFUL;
out:
	ASN1_TIME_free(next);
	ASN1_TIME_free(now);
	OCSP_BASICRESP_free(bs);
	return rc;
}

/* Decodes der into a request: all of it, nothing after it. */
static OCSP_REQUEST *
decode(const struct buf *der, char *reason, size_t rlen)
{
	const unsigned char	*p = der->p;
	OCSP_REQUEST		*req;

	if ((req = d2i_OCSP_REQUEST(NULL, &p, (long)der->len)) == NULL) {
		log_openssl_reason(reason, rlen, "not an OCSPRequest");
		return NULL;
	}
	if (p != der->p + der->len) {
		snprintf(reason, rlen, "%zu bytes after the OCSPRequest",
		    (size_t)(der->p + der->len - p));
		OCSP_REQUEST_free(req);
		return NULL;
	}
	return req;
}

static void
log_answer(const struct summary *s, double ms)
{
	char	 safe[REASON_MAX];

	if (s->status == OCSP_RESPONSE_STATUS_SUCCESSFUL)
		log_info("op=OCSP method=%s result=successful good=%d "
		    "revoked=%d unknown=%d certs=\"%s\" ms=%.1f", s->method,
		    s->good, s->revoked, s->unknown, s->certs, ms);
	else
		log_warnx("op=OCSP method=%s result=%s certs=\"%s\" ms=%.1f "
		    "reason=\"%s\"", s->method, status_name(s->status),
		    s->certs, ms, log_safe(s->reason, safe, sizeof(safe)));
}

void
ocsp_handle(struct worker *w, const struct http_req *hreq,
    struct http_resp *resp)
{
	struct summary	 s;
	struct timespec	 t0;
	struct buf	 der = { 0 };
	OCSP_REQUEST	*req = NULL;
	OCSP_RESPONSE	*rsp = NULL;
	unsigned char	*out = NULL;
	const char	*method = hreq->method ? hreq->method : "GET";
	char		 safe[48];
	int		 len;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&s, 0, sizeof(s));
	if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0) {
		http_text(resp, 405, "text/plain", "OCSP takes GET or POST\n");
		log_warnx("op=OCSP result=405 reason=\"method %s\"",
		    log_safe(method, safe, sizeof(safe)));
		goto out;
	}
	s.method = method;
	s.status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
	if (request_der(w, hreq, method, &der, s.reason,
	    sizeof(s.reason)) == 0 &&
	    (req = decode(&der, s.reason, sizeof(s.reason))) != NULL)
		s.status = respond(w, req, &rsp, &s);
	if (rsp == NULL)
		rsp = OCSP_response_create(s.status, NULL);
	if (rsp == NULL || (len = i2d_OCSP_RESPONSE(rsp, &out)) <= 0 ||
	    buf_append(&resp->body, out, (size_t)len) != 0) {
		http_text(resp, 500, "text/plain", "cannot encode the OCSP "
		    "response\n");
		log_openssl("op=OCSP result=500");
		goto out;
	}
	/* RFC 6960 A.1: every OCSP answer, even an error, is HTTP 200. */
	resp->status = 200;
	resp->content_type = "application/ocsp-response";
	log_answer(&s, util_elapsed_ms(&t0));
out:
	OPENSSL_free(out);
	OCSP_RESPONSE_free(rsp);
	OCSP_REQUEST_free(req);
	buf_free(&der);
	ERR_clear_error();
}
