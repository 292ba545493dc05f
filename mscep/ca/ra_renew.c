/* ra_renew.c - new RA certificates and keys from the current CA. */
#include "ca/ra_renew.h"
#include "ca/ca_init.h"
#include "ca/ra.h"
#include "util/cert.h"
#include "util/file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The RA files, keys before their certificates. */
static const char *const ra_files[] = {
	RA_SIGN_KEY, RA_SIGN_CERT, RA_ENC_KEY, RA_ENC_CERT, NULL
};

/* The new pairs, made and not yet written. */
struct pairs {
	EVP_PKEY	*key[2];	/* signing, encryption */
	X509		*cert[2];
};

static void
pairs_free(struct pairs *p)
{
	int	 i;

	for (i = 0; i < 2; i++) {
		X509_free(p->cert[i]);
		EVP_PKEY_free(p->key[i]);
	}
}

/* Each new pair keeps the name of the certificate it replaces. */
static int
make_pairs(const struct ra *ra, const struct ra_renew_opts *o,
    struct pairs *p, char *reason, size_t rlen)
{
	static const char *const ku[2] = { RA_SIGN_KU, RA_ENC_KU };
	X509		*old[2] = { ra->sign_cert, ra->enc_cert };
	char		 spec[32];
	int		 i;

	if (o->key != NULL)
		snprintf(spec, sizeof(spec), "%s", o->key);
	else
		snprintf(spec, sizeof(spec), "rsa:%d",
		    EVP_PKEY_get_bits(ra->sign_key));
	for (i = 0; i < 2; i++)
		if ((p->key[i] = ca_keygen(spec, reason, rlen)) == NULL ||
		    (p->cert[i] = ca_make_ra_cert(X509_get_subject_name(
		    old[i]), p->key[i], ra->ca, ra->ca_key, ku[i], o->days,
		    reason, rlen)) == NULL)
			return -1;
	return 0;
}

/* ra-previous/<ts>/ gets the current RA files (hard links), whole. */
static int
keep_current(const struct config *cfg, struct ra_renewed *out, char *reason,
    size_t rlen)
{
	char		 prev[PATH_MAX + 64], tmp[PATH_MAX + 80];
	char		 priv[PATH_MAX + 96], from[PATH_MAX + 64];
	char		 to[PATH_MAX + 96], ts[32];
	time_t		 t = time(NULL);
	struct tm	 tm;
	int		 i;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	if (config_state_path(cfg, RA_RENEW_PREV_DIR, prev, sizeof(prev)) !=
	    0 || (mkdir(prev, 0700) != 0 && errno != EEXIST))
		goto fail;
	/* Two renewals within one second: <ts>-2, <ts>-3, ... */
	for (i = 1; ; i++) {
		if (i > 1)
			snprintf(ts + 16, sizeof(ts) - 16, "-%d", i);
		if (file_path(out->kept, sizeof(out->kept), "%s/%s", prev,
		    ts) != 0 || file_path(tmp, sizeof(tmp), "%s.tmp",
		    out->kept) != 0 || file_path(priv, sizeof(priv),
		    "%s/private", tmp) != 0)
			goto fail;
		if (i == 99)
			goto fail;
		if (access(out->kept, F_OK) == 0)
			continue;
		if (errno != ENOENT)
			goto fail;
		if (mkdir(tmp, 0700) == 0)
			break;
		if (errno != EEXIST)	/* a crashed renewal's <ts>.tmp */
			goto fail;
	}
	if (mkdir(priv, 0700) != 0)
		goto fail;
	for (i = 0; ra_files[i] != NULL; i++)
		if (config_state_path(cfg, ra_files[i], from,
		    sizeof(from)) != 0 || file_path(to, sizeof(to), "%s/%s",
		    tmp, ra_files[i]) != 0 || link(from, to) != 0)
			goto fail;
	if (file_sync_dir(priv) != 0 || file_sync_dir(tmp) != 0 ||
	    rename(tmp, out->kept) != 0 || file_sync_dir(prev) != 0)
		goto fail;
	return 0;
fail:
	snprintf(reason, rlen, "cannot keep the current RA certificates in "
	    "%s/%s/%s: %s", cfg->state_dir, RA_RENEW_PREV_DIR, ts,
	    strerror(errno));
	return -1;
}

/*
 * All four files are written in full first, then renamed over the old
 * ones, keys before their certificates: a worker starting between two
 * renames finds a key that does not match and refuses to start (the
 * running ones keep serving); one starting after sees the new pairs.
 */
static int
install(const struct config *cfg, const struct pairs *p, char *reason,
    size_t rlen)
{
	struct file_stage	 st[4];
	char			 path[PATH_MAX + 64];
	int			 i, rc = -1;

	memset(st, 0, sizeof(st));
	for (i = 0; i < 4; i++) {
		if (config_state_path(cfg, ra_files[i], path,
		    sizeof(path)) != 0 || ra_pem_stage(&st[i], path,
		    i % 2 ? &p->cert[i / 2] : NULL, i % 2, i % 2 ? NULL :
		    p->key[i / 2]) != 0) {
			snprintf(reason, rlen, "cannot write %s/%s: %s",
			    cfg->state_dir, ra_files[i], strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < 4; i++)
		if (file_commit(&st[i], 0) != 0) {
			snprintf(reason, rlen, "cannot rename into %s/%s: %s "
			    "(the old files are in %s/)", cfg->state_dir,
			    ra_files[i], strerror(errno), RA_RENEW_PREV_DIR);
			goto out;
		}
	rc = 0;
out:
	for (i = 0; i < 4; i++)
		file_discard(&st[i]);
	return rc;
}

static int
check_ca(const struct config *cfg, const struct ra *ra, char *reason,
    size_t rlen)
{
	if (cfg->ca_direct) {
		snprintf(reason, rlen, "CADirect = 1: there are no RA "
		    "certificates, the CA certificate answers GetCACert");
		return -1;
	}
	if (X509_cmp_time(X509_get0_notAfter(ra->ca), NULL) <= 0) {
		snprintf(reason, rlen, "the CA certificate has expired: a new "
		    "CA is needed (mscep-admin ca rollover)");
		return -1;
	}
	return 0;
}

int
ra_renew(const struct config *cfg, const struct ra_renew_opts *o,
    struct ra_renewed *out, char *reason, size_t rlen)
{
	struct ra	 ra;
	struct pairs	 p;
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	/* ra_load checks that each key matches its certificate; the
	 * certificates may have expired, which is why this runs. */
	if (ra_load(cfg, &ra, reason, rlen) != 0)
		return -1;
	if (check_ca(cfg, &ra, reason, rlen) != 0 ||
	    make_pairs(&ra, o, &p, reason, rlen) != 0 ||
	    keep_current(cfg, out, reason, rlen) != 0 ||
	    install(cfg, &p, reason, rlen) != 0)
		goto out;
	cert_serial_hex(X509_get0_serialNumber(p.cert[0]), out->sign_serial,
	    sizeof(out->sign_serial));
	cert_serial_hex(X509_get0_serialNumber(p.cert[1]), out->enc_serial,
	    sizeof(out->enc_serial));
	out->until = cert_time_epoch(X509_get0_notAfter(p.cert[0]));
	rc = 0;
out:
	pairs_free(&p);
	ra_free(&ra);
	return rc;
}
