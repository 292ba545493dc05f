/*
 * route.c - each request to its operation: the metrics page, OCSP, the
 * password page, GetCACaps, GetCACert, GetNextCACert, PKIOperation or the
 * browser page; each one counted for the metrics page.
 */
#include "responder/route.h"
#include "ca/crl.h"
#include "responder/metricspage.h"
#include "responder/ocsp.h"
#include "responder/pkiop.h"
#include "responder/pwpage.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* What NDES shows a browser on mscep.dll without an operation. */
static void
landing_page(const struct worker *w, struct http_resp *resp)
{
	char	 page[1024];

	snprintf(page, sizeof(page),
	    "<html><head><title>Network Device Enrollment Service</title>"
	    "</head><body><p>Network Device Enrollment Service allows you to "
	    "obtain certificates for routers or other network devices using "
	    "the Simple Certificate Enrollment Protocol (SCEP).</p><p>This "
	    "URL is used by network devices to submit certificate requests."
	    "</p><p>To obtain an enrollment challenge password, go to the "
	    "admin URL: /%s</p></body></html>\n", w->cfg.password_vdir);
	http_text(resp, 200, "text/html; charset=utf-8", page);
}

/* OpenXPKI answers 404 too; GetCACaps did not offer it (§3.5.2). */
static void
next_ca_cert(const struct worker *w, struct http_resp *resp)
{
	if (w->nextca.len == 0) {
		http_text(resp, 404, "text/plain", "no next CA certificate: "
		    "this CA is not rolling over (GetCACaps does not list "
		    "GetNextCACert)\n");
		log_info("op=GetNextCACert result=404 reason=\"no next CA\"");
		return;
	}
	resp->status = 200;
	resp->content_type = "application/x-x509-next-ca-cert";
	buf_append(&resp->body, w->nextca.p, w->nextca.len);
	log_info("op=GetNextCACert result=200");
}

static void
dispatch(struct worker *w, const struct http_req *req, struct http_resp *resp)
{
	char	*op = http_query_get(req->query, "operation", 64, NULL);
	char	 safe[48];
	int	 post = req->method && strcmp(req->method, "POST") == 0;

	if (req->query != NULL && strstr(req->query, "%00") != NULL) {
		/* C strings end there: "GetCACaps%00x" is not an operation. */
		http_text(resp, 400, "text/plain", "NUL in the query\n");
		log_warnx("op=- result=400 reason=\"%%00 in the query\"");
	} else if (metricspage_match(&w->cfg, req->request_uri))
		metricspage_handle(w, req, resp);
	else if (ocsp_match(&w->cfg, req->request_uri))
		ocsp_handle(w, req, resp);
	else if (pwpage_match(&w->cfg, req->request_uri))
		pwpage_handle(w, req, resp);
	else if (op == NULL && !post && policy_hides_landing_page(w->policy)) {
		/* What NDES with the Intune connector answers: the URL is
		 * for devices only. */
		http_text(resp, 403, "text/html; charset=utf-8", "<html><head>"
		    "<title>403 - Forbidden: Access is denied.</title></head>"
		    "<body><h2>403 - Forbidden: Access is denied.</h2><p>You "
		    "do not have permission to view this directory or page "
		    "using the credentials that you supplied.</p></body>"
		    "</html>\n");
		log_info("op=Browse result=403 reason=\"policy %s hides the "
		    "page\"", policy_name(w->policy));
	} else if (op == NULL && !post)
		landing_page(w, resp);
	else if (op != NULL && !strcasecmp(op, "GetCACaps") && !post) {
		http_text(resp, 200, "text/plain", w->cfg.caps);
		log_info("op=GetCACaps result=200");
	} else if (op != NULL && !strcasecmp(op, "GetCACert") && !post) {
		resp->status = 200;
		resp->content_type = w->cacert_type;
		buf_append(&resp->body, w->cacert.p, w->cacert.len);
		log_info("op=GetCACert result=200");
	} else if (op != NULL && !strcasecmp(op, "GetNextCACert") && !post)
		next_ca_cert(w, resp);
	else if (op != NULL && !strcasecmp(op, "PKIOperation") && !post &&
	    strcmp(req->method, "GET") != 0) {
		/* A HEAD would issue and throw the answer away. */
		http_text(resp, 405, "text/plain", "PKIOperation takes GET or "
		    "POST\n");
		log_warnx("op=PKIOperation result=405 reason=\"method %s\"",
		    log_safe(req->method, safe, sizeof(safe)));
	} else if (op != NULL && !strcasecmp(op, "PKIOperation"))
		pkiop_handle(w, req, post, resp);
	else {
		http_text(resp, 400, "text/plain", "unknown or missing "
		    "operation\n");
		log_warnx("op=\"%s\" result=400 reason=\"unknown operation\"",
		    log_safe(op, safe, sizeof(safe)));
	}
	free(op);
}

/* The operation label: the same tests as dispatch's, in its order. */
static enum metrics_op
operation(const struct worker *w, const struct http_req *req)
{
	static const struct {
		const char	*name;
		enum metrics_op	 op;
	} ops[] = {
		{ "GetCACaps", MOP_GETCACAPS }, { "GetCACert", MOP_GETCACERT },
		{ "GetNextCACert", MOP_GETNEXTCACERT },
		{ "PKIOperation", MOP_PKIOPERATION }, { NULL, MOP_OTHER }
	};
	char	*op;
	int	 i;

	if (metricspage_match(&w->cfg, req->request_uri))
		return MOP_METRICS;
	if (ocsp_match(&w->cfg, req->request_uri))
		return MOP_OCSP;
	if (pwpage_match(&w->cfg, req->request_uri))
		return MOP_PASSWORDPAGE;
	if ((op = http_query_get(req->query, "operation", 64, NULL)) == NULL)
		return MOP_OTHER;
	for (i = 0; ops[i].name != NULL; i++)
		if (strcasecmp(op, ops[i].name) == 0)
			break;
	free(op);
	return ops[i].op;
}

void
route_request(struct worker *w, const struct http_req *req,
    struct http_resp *resp)
{
	struct timespec	 t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	w->mark.op = w->metrics.mine != NULL ? operation(w, req) : MOP_OTHER;
	w->mark.msg = MMSG_NONE;
	w->mark.result = MRES_COUNT;
	w->mark.fail = -1;
	w->mark.tmpl = -1;
	w->mark.reason = MRSN_NONE;
	dispatch(w, req, resp);
	if (w->mark.result == MRES_COUNT)
		w->mark.result = resp->status / 100 == 2 ? MRES_OK :
		    resp->status / 100 == 4 ? MRES_REFUSED : MRES_ERROR;
	metrics_request(&w->metrics, &w->mark,
	    util_elapsed_ms(&t0) / 1000.0);
}

void
route_idle(struct worker *w)
{
	char	 reason[REASON_MAX], safe[REASON_MAX];
	int64_t	 now = util_now();

	if (now < w->next_idle)
		return;
	w->next_idle = now + 60;
	keyop_set_context(w->ra.ca_op, "crl-refresh");
	if (crl_refresh(&w->cfg, &w->ra, w->store, NULL, reason,
	    sizeof(reason)) < 0)
		log_warnx("op=CRL result=error reason=\"%s\"",
		    log_safe(reason, safe, sizeof(safe)));
}
