/*
 * ocsp_signer.c - the delegated OCSP responder pairs the CA issued (one
 * per CA generation still valid), loaded and checked for the responder.
 */
#include "ca/ocsp_signer.h"
#include "util/file.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* A responder certificate this close to its end is worth a warning. */
#define OCSP_WARN_DAYS	30

/* A key file or a reference to a key in a token (keyop_load_ref), which
 * says why it cannot be opened. */
static int
load_key(const char *dir, struct ocsp_signer *s, char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64], why[PATH_MAX + 256];

	if (file_path(path, sizeof(path), "%s/%s", dir,
	    OCSP_RESPONDER_KEY) != 0) {
		snprintf(reason, rlen, "%s/%s: path too long", dir,
		    OCSP_RESPONDER_KEY);
		return -1;
	}
	if ((s->key = keyop_load_ref(path, why, sizeof(why))) == NULL) {
		snprintf(reason, rlen, "OCSP responder: %s: run mscep-admin "
		    "ocsp-cert", why);
		return -1;
	}
	return 0;
}

/* The pair in folder dir (the state folder, or a previous generation's),
 * checked against ca; with cfg (a worker under [Signer] Socket) the
 * certificate only, the key being the signer's. */
static int
signer_load_in(const struct config *cfg, const char *dir, X509 *ca,
    struct ocsp_signer *s, char *warn, size_t wlen, char *reason,
    size_t rlen)
{
	char	 path[PATH_MAX + 64];
	time_t	 soon = time(NULL) + OCSP_WARN_DAYS * 86400;
	int	 rc = -1;

	memset(s, 0, sizeof(*s));
	if (wlen > 0)
		*warn = '\0';
	if (file_path(path, sizeof(path), "%s/%s", dir,
	    OCSP_RESPONDER_CERT) != 0 ||
	    ra_read_cert(path, &s->cert) != 0) {
		snprintf(reason, rlen, "cannot read the OCSP responder "
		    "certificate %s ([OCSP] Path is set): run mscep-admin "
		    "ocsp-cert", path);
		goto out;
	}
	if (cfg == NULL && load_key(dir, s, reason, rlen) != 0)
		goto out;
	if (cfg == NULL && X509_check_private_key(s->cert, s->key) != 1) {
		snprintf(reason, rlen, "%s does not match %s: run mscep-admin "
		    "ocsp-cert", OCSP_RESPONDER_KEY, OCSP_RESPONDER_CERT);
		goto out;
	}
	/* Clients accept a delegated responder only when the CA of the
	 * certificate in question issued it for OCSPSigning (§4.2.2.2). */
	if (X509_check_issued(ca, s->cert) != X509_V_OK ||
	    X509_verify(s->cert, X509_get0_pubkey(ca)) != 1) {
		snprintf(reason, rlen, "%s was not issued by the CA in %s: run "
		    "mscep-admin ocsp-cert", OCSP_RESPONDER_CERT, RA_CA_CERT);
		goto out;
	}
	if ((X509_get_extension_flags(s->cert) & EXFLAG_XKUSAGE) == 0 ||
	    (X509_get_extended_key_usage(s->cert) & XKU_OCSP_SIGN) == 0) {
		snprintf(reason, rlen, "%s lacks the OCSPSigning extended key "
		    "usage: run mscep-admin ocsp-cert", OCSP_RESPONDER_CERT);
		goto out;
	}
	if ((s->op = cfg != NULL ? keyop_remote(cfg->signer_socket,
	    cfg->signer_timeout_ms, KEYOP_OCSP, s->cert) :
	    keyop_inproc(s->key, KEYOP_OCSP)) == NULL) {
		snprintf(reason, rlen, "out of memory");
		goto out;
	}
	if (X509_cmp_time(X509_get0_notAfter(s->cert), &soon) < 0)
		snprintf(warn, wlen, "the OCSP responder certificate %s/%s "
		    "expires within %d days (or has expired): clients will "
		    "reject its answers; run mscep-admin ocsp-cert", dir,
		    OCSP_RESPONDER_CERT, OCSP_WARN_DAYS);
	rc = 0;
out:
	if (rc != 0) {
		ERR_clear_error();
		ocsp_signer_free(s);
	}
	return rc;
}

/* Appends "; note" (or "note") to warn, as far as it fits. */
static void
add_warning(char *warn, size_t wlen, const char *note)
{
	size_t	 n = strlen(warn);

	if (note[0] != '\0' && n + 1 < wlen)
		snprintf(warn + n, wlen - n, "%s%s", n ? "; " : "", note);
}

struct prev_load {
	const struct config	*remote;	/* signer_load_in's cfg */
	struct ocsp_responder	*r;
	char			*warn;
	size_t			 wlen;
};

/* One previous generation: kept when its CA is still valid and its pair
 * loads; otherwise a note. Returns non-zero only when out of memory. */
static int
add_prev(const char *dir, X509 *ca, void *arg)
{
	struct prev_load	*pl = arg;
	struct ocsp_issuer	*v, is = { 0 };
	char			 why[600], note[900], w[PATH_MAX + 200];

	if (X509_cmp_time(X509_get0_notAfter(ca), NULL) < 0)
		return 0;	/* nothing it issued is valid any more */
	if (signer_load_in(pl->remote, dir, ca, &is.signer, w, sizeof(w), why,
	    sizeof(why)) != 0) {
		snprintf(note, sizeof(note), "OCSP does not answer for the "
		    "previous CA in %s: %s", dir, why);
		add_warning(pl->warn, pl->wlen, note);
		return 0;
	}
	if (w[0] != '\0') {
		snprintf(note, sizeof(note), "%.800s --previous", w);
		add_warning(pl->warn, pl->wlen, note);
	}
	if (ra_key_id(ca, is.ca_key_id) != 0 ||
	    (v = reallocarray(pl->r->issuers, (size_t)pl->r->n + 1,
	    sizeof(*v))) == NULL) {
		ocsp_signer_free(&is.signer);
		return -1;
	}
	pl->r->issuers = v;
	if (!X509_up_ref(ca)) {
		ocsp_signer_free(&is.signer);
		return -1;
	}
	is.ca = ca;
	v[pl->r->n++] = is;
	return 0;
}

/* remote: a worker's configuration under [Signer] Socket (certificates
 * only), or NULL (the keys too). */
static int
responder_load(const struct config *remote, const struct config *cfg,
    const struct ra *ra, struct ocsp_responder *r, char *warn, size_t wlen,
    char *reason, size_t rlen)
{
	struct prev_load	 pl;

	memset(r, 0, sizeof(*r));
	pl.remote = remote;
	pl.r = r;
	pl.warn = warn;
	pl.wlen = wlen;
	if (wlen > 0)
		*warn = '\0';
	if ((r->issuers = calloc(1, sizeof(*r->issuers))) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	if (signer_load_in(remote, cfg->state_dir, ra->ca,
	    &r->issuers[0].signer, warn, wlen, reason, rlen) != 0) {
		ocsp_responder_free(r);
		return -1;
	}
	if (!X509_up_ref(ra->ca)) {
		snprintf(reason, rlen, "out of memory");
		ocsp_signer_free(&r->issuers[0].signer);
		ocsp_responder_free(r);
		return -1;
	}
	r->issuers[0].ca = ra->ca;
	memcpy(r->issuers[0].ca_key_id, ra->ca_key_id,
	    sizeof(r->issuers[0].ca_key_id));
	r->n = 1;
	if (ra_each_prev(cfg, ra->ca, add_prev, &pl, reason, rlen) != 0) {
		ocsp_responder_free(r);
		return -1;
	}
	return 0;
}

int
ocsp_responder_load(const struct config *cfg, const struct ra *ra,
    struct ocsp_responder *r, char *warn, size_t wlen, char *reason,
    size_t rlen)
{
	return responder_load(cfg->signer_socket[0] != '\0' ? cfg : NULL, cfg,
	    ra, r, warn, wlen, reason, rlen);
}

int
ocsp_responder_load_keys(const struct config *cfg, const struct ra *ra,
    struct ocsp_responder *r, char *warn, size_t wlen, char *reason,
    size_t rlen)
{
	return responder_load(NULL, cfg, ra, r, warn, wlen, reason, rlen);
}

void
ocsp_responder_free(struct ocsp_responder *r)
{
	for (int i = 0; r != NULL && i < r->n; i++) {
		X509_free(r->issuers[i].ca);
		ocsp_signer_free(&r->issuers[i].signer);
	}
	if (r != NULL) {
		free(r->issuers);
		memset(r, 0, sizeof(*r));
	}
}

void
ocsp_signer_free(struct ocsp_signer *s)
{
	if (s == NULL)
		return;
	X509_free(s->cert);
	keyop_free(s->op);
	EVP_PKEY_free(s->key);
	memset(s, 0, sizeof(*s));
}
