/* crl.c - build, sign and publish the CA's CRL from the store. */
#include "crl.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* One revoked certificate: serial, date and, unless unspecified, reason
 * (RFC 5280 §5.3.1 says to leave reason code 0 out). */
static int
add_entry(const struct cert_row *r, void *arg)
{
	X509_CRL	*crl = arg;
	X509_REVOKED	*rev = NULL;
	ASN1_TIME	*when = NULL;
	ASN1_INTEGER	*serial = NULL;
	ASN1_ENUMERATED	*reason = NULL;
	BIGNUM		*bn = NULL;
	int		 rc = -1;

	if ((rev = X509_REVOKED_new()) == NULL ||
	    BN_hex2bn(&bn, r->serial) == 0 ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_REVOKED_set_serialNumber(rev, serial) != 1 ||
	    (when = ASN1_TIME_set(NULL, (time_t)r->revoked_at)) == NULL ||
	    X509_REVOKED_set_revocationDate(rev, when) != 1)
		goto out;
	if (r->reason > 0 && ((reason = ASN1_ENUMERATED_new()) == NULL ||
	    ASN1_ENUMERATED_set(reason, r->reason) != 1 ||
	    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) != 1))
		goto out;
	if (X509_CRL_add0_revoked(crl, rev) != 1)
		goto out;
	rev = NULL;
	rc = 0;
out:
	X509_REVOKED_free(rev);
	ASN1_ENUMERATED_free(reason);
	ASN1_TIME_free(when);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return rc;
}

static int
add_crl_exts(X509_CRL *crl, const struct ra *ra, int64_t number)
{
	ASN1_INTEGER	*num = NULL;
	X509V3_CTX	 ctx;
	X509_EXTENSION	*aki = NULL;
	int		 rc = -1;

	X509V3_set_ctx(&ctx, ra->ca, NULL, NULL, crl, 0);
	if ((num = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_int64(num, number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1 ||
	    (aki = X509V3_EXT_conf_nid(NULL, &ctx,
	    NID_authority_key_identifier, "keyid:always")) == NULL ||
	    X509_CRL_add_ext(crl, aki, -1) != 1)
		goto out;
	rc = 0;
out:
	X509_EXTENSION_free(aki);
	ASN1_INTEGER_free(num);
	return rc;
}

static X509_CRL *
build(const struct config *cfg, const struct ra *ra, struct store *st,
    int64_t number, char *reason, size_t rlen)
{
	X509_CRL	*crl = NULL;
	ASN1_TIME	*now = NULL, *next = NULL;
	const EVP_MD	*md = EVP_get_digestbyname(cfg->hash);
	time_t		 t = time(NULL);

	if ((crl = X509_CRL_new()) == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ra->ca)) != 1 ||
	    (now = ASN1_TIME_set(NULL, t)) == NULL ||
	    (next = ASN1_TIME_set(NULL, t + cfg->crl_validity_hours * 3600L))
	    == NULL ||
	    X509_CRL_set1_lastUpdate(crl, now) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, next) != 1) {
		openssl_reason(reason, rlen, "cannot start the CRL");
		goto fail;
	}
	if (store_revoked(st, ra->ca_key_id, add_entry, crl) != STORE_OK) {
		snprintf(reason, rlen, "cannot read revoked certificates: %s",
		    store_errmsg(st));
		goto fail;
	}
	if (X509_CRL_sort(crl) != 1 || add_crl_exts(crl, ra, number) != 0 ||
	    X509_CRL_sign(crl, ra->ca_key, md) <= 0) {
		openssl_reason(reason, rlen, "cannot sign the CRL");
		goto fail;
	}
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	return crl;
fail:
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	return NULL;
}

/* The CRL is public: its folder and file are readable by the web server
 * whatever the worker's umask. */
static int
make_folder(const char *path)
{
	char	 dir[PATH_MAX], *slash;

	strlcpy0(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0)
		return chmod(dir, 0755);
	return errno == EEXIST ? 0 : -1;
}

static int
write_public(const char *path, const unsigned char *der, size_t len,
    char *reason, size_t rlen)
{
	char	 tmp[PATH_MAX + 32];
	int	 fd = -1, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) <
	    0 || fchmod(fd, 0644) != 0 || write(fd, der, len) != (ssize_t)len ||
	    fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	snprintf(reason, rlen, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

/* Builders in several workers and mscep-admin take turns. */
static int
lock_crl(const struct config *cfg)
{
	char	 path[PATH_MAX + 8];
	int	 fd;

	snprintf(path, sizeof(path), "%s.lock", cfg->crl_file);
	if (make_folder(cfg->crl_file) != 0 || (fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return -1;
	if (flock(fd, LOCK_EX) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
publish_locked(const struct config *cfg, const struct ra *ra,
    struct store *st, long *entries, char *reason, size_t rlen)
{
	X509_CRL	*crl = NULL;
	unsigned char	*der = NULL;
	int64_t		 number;
	int		 len, n, rc = -1;

	/* Numbers are taken first, so a revocation after this point leaves
	 * the store dirty and the next refresh includes it. */
	if (store_crl_next(st, &number) != STORE_OK) {
		snprintf(reason, rlen, "cannot take a CRL number: %s",
		    store_errmsg(st));
		return -1;
	}
	if ((crl = build(cfg, ra, st, number, reason, rlen)) == NULL)
		goto out;
	if ((len = i2d_X509_CRL(crl, &der)) <= 0) {
		openssl_reason(reason, rlen, "cannot encode the CRL");
		goto out;
	}
	if (write_public(cfg->crl_file, der, (size_t)len, reason, rlen) != 0)
		goto out;
	/* An empty CRL has no revokedCertificates at all: -1 here. */
	if ((n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl))) < 0)
		n = 0;
	if (entries != NULL)
		*entries = n;
	log_info("op=CRL result=published number=%lld entries=%d",
	    (long long)number, n);
	rc = 0;
out:
	if (rc != 0)
		store_crl_mark_dirty(st);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	return rc;
}

int
crl_publish(const struct config *cfg, const struct ra *ra, struct store *st,
    long *entries, char *reason, size_t rlen)
{
	int	 fd, rc;

	if ((fd = lock_crl(cfg)) < 0) {
		snprintf(reason, rlen, "cannot lock %s.lock: %s",
		    cfg->crl_file, strerror(errno));
		return -1;
	}
	rc = publish_locked(cfg, ra, st, entries, reason, rlen);
	close(fd);
	return rc;
}

X509_CRL *
crl_read(const struct config *cfg)
{
	X509_CRL	*crl = NULL;
	FILE		*f;

	if ((f = fopen(cfg->crl_file, "rb")) == NULL)
		return NULL;
	crl = d2i_X509_CRL_fp(f, NULL);
	fclose(f);
	ERR_clear_error();
	return crl;
}

/* 1 when the published CRL is this CA's, intact and young enough. */
static int
current(const struct config *cfg, const struct ra *ra, X509_CRL *crl)
{
	time_t	 refresh_at;
	int	 day, sec;

	if (crl == NULL || X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(ra->ca)) != 0 ||
	    X509_CRL_verify(crl, X509_get0_pubkey(ra->ca)) != 1 ||
	    ASN1_TIME_diff(&day, &sec, NULL, X509_CRL_get0_lastUpdate(crl))
	    != 1)
		return 0;
	/* day/sec: from now to lastUpdate, negative for the past. */
	refresh_at = (time_t)day * 86400 + sec + cfg->crl_refresh_hours * 3600L;
	return refresh_at > 0;
}

int
crl_refresh(const struct config *cfg, const struct ra *ra, struct store *st,
    long *entries, char *reason, size_t rlen)
{
	X509_CRL	*crl;
	int		 dirty, ok;

	if ((dirty = store_crl_dirty(st)) < 0) {
		snprintf(reason, rlen, "store: %s", store_errmsg(st));
		return -1;
	}
	crl = crl_read(cfg);
	ok = current(cfg, ra, crl);
	X509_CRL_free(crl);
	ERR_clear_error();
	if (ok && !dirty)
		return 0;
	return crl_publish(cfg, ra, st, entries, reason, rlen) == 0 ? 1 : -1;
}
