/* health.c - expiry of the certificates mscep depends on, and the CRL's age. */
#include "ca/health.h"
#include "ca/ocsp_signer.h"
#include "ca/ra.h"
#include "util/file.h"
#include "util/util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const struct {
	const char	*name;
	const char	*file;
} health_files[HEALTH_CERTS] = {
	[HEALTH_CA] = { "ca", RA_CA_CERT },
	[HEALTH_RA_SIGN] = { "ra_sign", RA_SIGN_CERT },
	[HEALTH_RA_ENC] = { "ra_enc", RA_ENC_CERT },
	[HEALTH_OCSP] = { "ocsp", OCSP_RESPONDER_CERT },
	[HEALTH_TLS] = { "tls", NULL },		/* [Metrics] TlsCertificate */
};

static int64_t
asn1_time_unix(const ASN1_TIME *t)
{
	struct tm	 tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static void
read_cert(const struct config *cfg, struct health_cert *hc)
{
	char	 path[PATH_MAX];
	X509	*x = NULL;

	if ((hc->file[0] == '/' ? file_path(path, sizeof(path), "%s",
	    hc->file) : config_state_path(cfg, hc->file, path,
	    sizeof(path))) != 0 || ra_read_cert(path, &x) != 0 || x == NULL)
		goto out;
	hc->not_after = asn1_time_unix(X509_get0_notAfter(x));
	X509_NAME_oneline(X509_get_subject_name(x), hc->subject,
	    sizeof(hc->subject));
	hc->present = hc->not_after != 0;
out:
	X509_free(x);
}

static void
read_crl(const struct config *cfg, struct health *h)
{
	char		 reason[REASON_MAX];
	int		 index = 0;
	FILE		*f = NULL;
	X509_CRL	*crl = NULL;

	if (ra_read_index(cfg, cfg->state_dir, &index, reason,
	    sizeof(reason)) != 0 || util_key_index_name(cfg->crl_file, index,
	    h->crl_file, sizeof(h->crl_file)) != 0 ||
	    (f = fopen(h->crl_file, "r")) == NULL)
		goto out;
	if ((crl = PEM_read_X509_CRL(f, NULL, NULL, NULL)) == NULL) {
		rewind(f);
		crl = d2i_X509_CRL_fp(f, NULL);
	}
	if (crl == NULL)
		goto out;
	h->crl_this_update = asn1_time_unix(X509_CRL_get0_lastUpdate(crl));
	h->crl_next_update = asn1_time_unix(X509_CRL_get0_nextUpdate(crl));
	h->crl_present = h->crl_this_update != 0;
out:
	X509_CRL_free(crl);
	if (f != NULL)
		fclose(f);
}

void
health_collect(const struct config *cfg, struct health *h)
{
	int	 i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < HEALTH_CERTS; i++) {
		h->certs[i].name = health_files[i].name;
		h->certs[i].file = health_files[i].file != NULL ?
		    health_files[i].file : cfg->tls_cert_file;
		read_cert(cfg, &h->certs[i]);
	}
	read_crl(cfg, h);
	ERR_clear_error();
}

double
health_days(int64_t t, int64_t now)
{
	return (double)(t - now) / 86400.0;
}
