/* worker.c - what one worker loads once: configuration, CA, keys, store, policy. */
#include "responder/worker.h"
#include "responder/auditop.h"
#include "scep/certrep.h"
#include "util/log.h"
#include "ca/rollover.h"
#include "scep/nextca.h"
#include "scep/scep_attr.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include <openssl/provider.h>
#include <openssl/x509.h>

/* RFC 8894 §4.2: the CA alone, or the RA certificates and the CA. */
/* The CAs above the issuing one that GetCACert serves: the root only
 * with GetCACertIncludeRoot. */
static int
cacert_chain(const struct worker *w, X509 **certs, int max)
{
	int	 i, n = 0;

	for (i = 0; i < sk_X509_num(w->ra.chain) && n < max; i++) {
		X509 *x = sk_X509_value(w->ra.chain, i);
		if (w->cfg.getcacert_include_root ||
		    X509_check_issued(x, x) != X509_V_OK)
			certs[n++] = x;
	}
	return n;
}

static int
build_cacert(struct worker *w)
{
	unsigned char	*der = NULL;
	X509		*certs[3 + 16], *above[16];
	int		 len, n = 0, i, nabove = cacert_chain(w, above, 16);

	if (w->ra.direct && nabove == 0) {
		/* The CA alone, as NDES answers in CA-direct mode. */
		w->cacert_type = "application/x-x509-ca-cert";
		if ((len = i2d_X509(w->ra.ca, &der)) <= 0)
			return -1;
		len = buf_append(&w->cacert, der, (size_t)len);
		OPENSSL_free(der);
		return len;
	}
	/* NDES order: RA signing, RA encryption, issuing CA (sscep#156),
	 * then the CAs above it. */
	if (!w->ra.direct) {
		certs[n++] = w->ra.sign_cert;
		certs[n++] = w->ra.enc_cert;
	}
	certs[n++] = w->ra.ca;
	for (i = 0; i < nabove; i++)
		certs[n++] = above[i];
	w->cacert_type = "application/x-x509-ca-ra-cert";
	return certrep_certs_only(certs, n, &w->cacert);
}

/* RFC 8894 §4.7: advertised exactly while there is a next CA to serve. */
static int
load_nextca(struct worker *w, char *reason, size_t rlen)
{
	size_t	 n = strlen(w->cfg.caps);

	if (nextca_body(&w->cfg, &w->ra, &w->nextca, reason,
	    rlen) != 0) {
		if (!keyop_unavailable(w->ra.sign_op))
			return -1;
		/* The signer stopped: serve without it until a reload. */
		log_warnx("GetNextCACert not offered: %s", reason);
		buf_free(&w->nextca);
		return 0;
	}
	if (w->nextca.len == 0)
		return 0;
	if (snprintf(w->cfg.caps + n, sizeof(w->cfg.caps) - n,
	    "GetNextCACert\n") >= (int)(sizeof(w->cfg.caps) - n)) {
		snprintf(reason, rlen, "GetCACaps body too long");
		return -1;
	}
	return 0;
}

_Static_assert(TEMPLATES_MAX <= METRICS_TEMPLATES,
    "the metrics file names every template of a configuration");

/* Counting is best effort: a worker that cannot count still enrolls. */
static void
open_metrics(struct worker *w)
{
	char	 path[PATH_MAX], why[REASON_MAX];
	int	 i;

	w->metrics.slot = -1;
	if (w->cfg.metrics_path[0] == '\0')
		return;
	if (config_state_path(&w->cfg, METRICS_FILE, path, sizeof(path)) != 0)
		snprintf(why, sizeof(why), "StateDir too long for %s",
		    METRICS_FILE);
	else if (metrics_open(path, &w->metrics, why, sizeof(why)) == 0) {
		store_count_errors(w->store, &w->metrics.mine->store_errors);
		for (i = 0; i < w->cfg.ntemplates; i++)
			metrics_template_add(&w->metrics, i,
			    w->cfg.templates[i].name);
		return;
	}
	log_warnx("metrics: this worker counts nothing: %s", why);
}

int
worker_open(struct worker *w, const char *path, char *reason, size_t rlen)
{
	char	 warn[2048];
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
		log_openssl_reason(reason, rlen,
		    "AllowDES=1 but OpenSSL's legacy "
		    "provider cannot be loaded");
		return -1;
	}
	if (scep_attr_init() != 0) {
		log_openssl_reason(reason, rlen, "cannot create SCEP OIDs");
		return -1;
	}
	if (ra_load_worker(&w->cfg, &w->ra, reason, rlen) != 0 ||
	    auditop_check(&w->cfg, reason, rlen) != 0)
		return -1;
	switch (ra_check_validity(&w->ra, (int64_t)time(NULL),
	    RA_EXPIRY_WARN_DAYS, warn, sizeof(warn))) {
	case -1: log_errx("%s", warn); break;
	case 1: log_warnx("%s", warn); break;
	default: break;
	}
	if (store_open_config(&w->cfg, &w->store, reason, rlen) != 0 ||
	    policy_open(&w->cfg, w->store, &w->policy, reason, rlen) != 0)
		return -1;
	if (w->cfg.ocsp_path[0] != '\0') {
		if (ocsp_responder_load(&w->cfg, &w->ra, &w->ocsp, warn,
		    sizeof(warn), reason, rlen) != 0)
			return -1;
		if (warn[0] != '\0')
			log_warnx("%s", warn);
	}
	open_metrics(w);
	if (build_cacert(w) != 0) {
		log_openssl_reason(reason, rlen, "cannot encode GetCACert");
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
	metrics_close(&w->metrics);
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
