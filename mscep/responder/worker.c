/* worker.c - load once, then route each request to its SCEP operation. */
#include "responder/worker.h"
#include "scep/certrep.h"
#include "ca/crl.h"
#include "util/log.h"
#include "responder/ocsp.h"
#include "responder/pkiop.h"
#include "responder/pwpage.h"
#include "ca/rollover.h"
#include "scep/scep_attr.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/provider.h>
#include <openssl/x509.h>

/* RFC 8894 §4.2: the CA alone, or the RA certificates and the CA. */
static int
build_cacert(struct worker *w)
{
	unsigned char	*der = NULL;
	X509		*certs[3];
	int		 len;

	if (w->ra.direct) {
		w->cacert_type = "application/x-x509-ca-cert";
		if ((len = i2d_X509(w->ra.ca, &der)) <= 0)
			return -1;
		len = buf_append(&w->cacert, der, (size_t)len);
		OPENSSL_free(der);
		return len;
	}
	/* NDES order: RA signing, RA encryption, issuing CA (sscep#156). */
	certs[0] = w->ra.sign_cert;
	certs[1] = w->ra.enc_cert;
	certs[2] = w->ra.ca;
	w->cacert_type = "application/x-x509-ca-ra-cert";
	return certs_only_der(certs, 3, &w->cacert);
}

/* RFC 8894 §4.7: advertised exactly while there is a next CA to serve. */
static int
load_nextca(struct worker *w, char *reason, size_t rlen)
{
	size_t	 n = strlen(w->cfg.caps);

	if (rollover_next_body(&w->cfg, &w->ra, &w->nextca, reason,
	    rlen) != 0)
		return -1;
	if (w->nextca.len == 0)
		return 0;
	if (snprintf(w->cfg.caps + n, sizeof(w->cfg.caps) - n,
	    "GetNextCACert\n") >= (int)(sizeof(w->cfg.caps) - n)) {
		snprintf(reason, rlen, "GetCACaps body too long");
		return -1;
	}
	return 0;
}

int
worker_open(struct worker *w, const char *path, char *reason, size_t rlen)
{
	char	 db[PATH_MAX + 16], warn[2048];
	int	 n;

	memset(w, 0, sizeof(*w));
	if ((n = config_load(path, &w->cfg, stderr)) != 0) {
		snprintf(reason, rlen, "%s: %d configuration problem(s)",
		    path, n < 0 ? 1 : n);
		return -1;
	}
	/* DES-CBC lives in OpenSSL 3's legacy provider; default must stay. */
	if (w->cfg.allow_des &&
	    ((w->legacy = OSSL_PROVIDER_load(NULL, "legacy")) == NULL ||
	    (w->deflt = OSSL_PROVIDER_load(NULL, "default")) == NULL)) {
		openssl_reason(reason, rlen, "AllowDES=1 but OpenSSL's legacy "
		    "provider cannot be loaded");
		return -1;
	}
	if (scep_attr_init() != 0) {
		openssl_reason(reason, rlen, "cannot create SCEP OIDs");
		return -1;
	}
	if (ra_load(&w->cfg, &w->ra, reason, rlen) != 0)
		return -1;
	if (config_state_path(&w->cfg, STORE_FILE, db, sizeof(db)) != 0 ||
	    store_open(db, &w->store, reason, rlen) != 0 ||
	    policy_open(&w->cfg, w->store, &w->policy, reason, rlen) != 0)
		return -1;
	if (w->cfg.ocsp_path[0] != '\0') {
		if (ocsp_responder_load(&w->cfg, &w->ra, &w->ocsp, warn,
		    sizeof(warn), reason, rlen) != 0)
			return -1;
		if (warn[0] != '\0')
			log_warnx("%s", warn);
	}
	if (build_cacert(w) != 0) {
		openssl_reason(reason, rlen, "cannot encode GetCACert");
		return -1;
	}
	if (load_nextca(w, reason, rlen) != 0)
		return -1;
	if (!w->cfg.enforce_password)
		log_warnx("EnforcePassword=0: any request that parses gets a "
		    "certificate");
	return 0;
}

int
worker_config_check(const char *path, struct config *cfg)
{
	return config_load(path, cfg, stderr);
}

void
worker_close(struct worker *w)
{
	policy_close(w->policy);
	store_close(w->store);
	ocsp_responder_free(&w->ocsp);
	ra_free(&w->ra);
	config_free(&w->cfg);
	buf_free(&w->cacert);
	buf_free(&w->nextca);
	if (w->legacy != NULL)
		OSSL_PROVIDER_unload(w->legacy);
	if (w->deflt != NULL)
		OSSL_PROVIDER_unload(w->deflt);
	memset(w, 0, sizeof(*w));
}

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

void
worker_handle(struct worker *w, const struct http_req *req,
    struct http_resp *resp)
{
	char	*op = query_get(req->query, "operation", 64, NULL);
	char	 safe[48];
	int	 post = req->method && strcmp(req->method, "POST") == 0;

	if (req->query != NULL && strstr(req->query, "%00") != NULL) {
		/* C strings end there: "GetCACaps%00x" is not an operation. */
		http_text(resp, 400, "text/plain", "NUL in the query\n");
		log_warnx("op=- result=400 reason=\"%%00 in the query\"");
	} else if (ocsp_match(&w->cfg, req->request_uri))
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

void
worker_idle(struct worker *w)
{
	char	 reason[REASON_MAX];
	int64_t	 now = now_seconds();

	if (now < w->next_idle)
		return;
	w->next_idle = now + 60;
	if (crl_refresh(&w->cfg, &w->ra, w->store, NULL, reason,
	    sizeof(reason)) < 0)
		log_warnx("op=CRL result=error reason=\"%s\"", reason);
}
