/* metricspage.c - the Prometheus text page: counters, store counts, expiry. */
#include "responder/metricspage.h"
#include "ca/health.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

int
metricspage_match(const struct config *cfg, const char *uri)
{
	size_t	 n = strlen(cfg->metrics_path);

	return n > 0 && uri != NULL && strcspn(uri, "?") == n &&
	    strncmp(uri, cfg->metrics_path, n) == 0;
}

/* What the store holds; mscep_store_up 0 when it cannot say. */
static int
render_store(struct worker *w, int64_t now, struct buf *b)
{
	struct store_stats	 st;
	int			 ok, rc;

	ok = store_stats(w->store, now, &st) == STORE_OK;
	rc = metrics_gauge(b, "mscep_store_up", "gauge", "1 when the store "
	    "answered this scrape's counts.", ok);
	if (!ok)
		return rc;
	rc |= metrics_gauge(b, "mscep_certificates_issued_total", "counter",
	    "Certificates issued, as the store records them.",
	    (double)st.certs);
	rc |= metrics_gauge(b, "mscep_certificates_revoked_total", "counter",
	    "Certificates revoked.", (double)st.revoked);
	rc |= metrics_gauge(b, "mscep_certificates_valid", "gauge",
	    "Certificates neither revoked nor expired.", (double)st.valid);
	rc |= metrics_gauge(b, "mscep_pending_requests", "gauge",
	    "Requests waiting for an administrator's approval.",
	    (double)st.pending);
	rc |= metrics_gauge(b, "mscep_password_cache_entries", "gauge",
	    "One-time passwords handed out and not used yet.",
	    (double)st.passwords);
	rc |= metrics_gauge(b, "mscep_password_cache_size", "gauge",
	    "PasswordMax: one-time passwords held at once.",
	    (double)w->cfg.password_max);
	rc |= metrics_gauge(b, "mscep_outbox_notices", "gauge",
	    "Notices to the policy's service (Intune) not acknowledged yet.",
	    (double)st.outbox);
	rc |= metrics_gauge(b, "mscep_last_issue_timestamp_seconds", "gauge",
	    "When the newest certificate was issued (Unix time), 0: never.",
	    (double)st.last_issued);
	return rc;
}

static int
render_health(const struct health *h, int64_t now, struct buf *b)
{
	const char	*name = "mscep_certificate_expiry_seconds";
	char		 labels[64];
	int		 i, rc;

	rc = metrics_printf(b, "# HELP %s Seconds until the certificate "
	    "expires (negative: expired); absent: no such file.\n"
	    "# TYPE %s gauge\n", name, name);
	for (i = 0; i < HEALTH_CERTS; i++) {
		if (!h->certs[i].present)
			continue;
		snprintf(labels, sizeof(labels), "certificate=\"%s\"",
		    h->certs[i].name);
		rc |= metrics_sample(b, name, labels,
		    (double)(h->certs[i].not_after - now));
	}
	if (!h->crl_present)
		return rc;
	rc |= metrics_gauge(b, "mscep_crl_age_seconds", "gauge", "Seconds "
	    "since the published CRL's thisUpdate.",
	    (double)(now - h->crl_this_update));
	if (h->crl_next_update == 0)
		return rc;
	rc |= metrics_gauge(b, "mscep_crl_next_update_seconds", "gauge",
	    "Seconds until the published CRL's nextUpdate (negative: "
	    "stale).", (double)(h->crl_next_update - now));
	rc |= metrics_gauge(b, "mscep_crl_validity_seconds", "gauge",
	    "nextUpdate minus thisUpdate of the published CRL.",
	    (double)(h->crl_next_update - h->crl_this_update));
	return rc;
}

int
metricspage_render(struct worker *w, int64_t now, struct buf *b)
{
	struct metrics_slot	 sum;
	struct health		 h;
	int			 rc;

	metrics_sum(&w->metrics, &sum);
	rc = metrics_render_counts(&w->metrics, &sum, b);
	rc |= render_store(w, now, b);
	health_collect(&w->cfg, &h);
	rc |= render_health(&h, now, b);
	return rc != 0 ? -1 : 0;
}

void
metricspage_handle(struct worker *w, const struct http_req *req,
    struct http_resp *resp)
{
	char	 safe[64];

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		http_text(resp, 405, "text/plain", "the metrics page takes "
		    "GET\n");
		log_warnx("op=Metrics result=405");
	} else if (!metrics_allowed(&w->cfg.metrics_allow,
	    req->remote_addr)) {
		http_text(resp, 403, "text/plain", "not in [Metrics] "
		    "AllowFrom\n");
		log_warnx("op=Metrics result=403 from=%s",
		    log_safe(req->remote_addr, safe, sizeof(safe)));
	} else if (metricspage_render(w, util_now(), &resp->body) != 0) {
		buf_free(&resp->body);
		http_text(resp, 503, "text/plain", "out of memory\n");
		log_errx("op=Metrics result=503 reason=\"out of memory\"");
	} else {
		resp->status = 200;
		resp->content_type = CONTENT_TYPE;
	}
}
