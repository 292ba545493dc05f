/* crl.c - build, sign and publish the CA's CRL from the store. */
#include "ca/crl.h"
#include "ca/lint.h"
#include "util/file.h"
#include "util/cert.h"
#include "util/log.h"

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

/* One CA key's CRL: the current key's, or a previous one's (after `ca
 * switch`) while that CA is valid, at the file named for its index. */
struct crl_key {
	X509		*ca;
	struct keyop	*key;		/* a previous one's: read, or the
					   signer's, to sign */
	int		 borrowed;	/* the current one's: the ra's */
	char		 key_path[PATH_MAX + 320];
	char		 key_id[41];
	int		 index;
	char		 file[PATH_MAX + 16];
};

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
add_crl_exts(X509_CRL *crl, const struct crl_key *k, int64_t number)
{
	ASN1_INTEGER	*num = NULL;
	X509_EXTENSION	*aki = NULL;
	int		 rc = -1;

	if ((num = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_int64(num, number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1 ||
	    (aki = cert_aki_ext(k->ca)) == NULL ||
	    X509_CRL_add_ext(crl, aki, -1) != 1)
		goto out;
	rc = 0;
out:
	X509_EXTENSION_free(aki);
	ASN1_INTEGER_free(num);
	return rc;
}

static X509_CRL *
build(const struct config *cfg, const struct crl_key *k, struct store *st,
    int64_t number, char *reason, size_t rlen)
{
	X509_CRL	*crl = NULL;
	ASN1_TIME	*now = NULL, *next = NULL;
	const EVP_MD	*md = EVP_get_digestbyname(cfg->hash);
	time_t		 t = time(NULL);

	if ((crl = X509_CRL_new()) == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(k->ca)) != 1 ||
	    (now = ASN1_TIME_set(NULL, t)) == NULL ||
	    (next = ASN1_TIME_set(NULL, t + cfg->crl_validity_hours * 3600L))
	    == NULL ||
	    X509_CRL_set1_lastUpdate(crl, now) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, next) != 1) {
		log_openssl_reason(reason, rlen, "cannot start the CRL");
		goto fail;
	}
	if (store_revoked(st, k->key_id, add_entry, crl) != STORE_OK) {
		snprintf(reason, rlen, "cannot read revoked certificates: %s",
		    store_errmsg(st));
		goto fail;
	}
	if (X509_CRL_sort(crl) != 1 || add_crl_exts(crl, k, number) != 0) {
		log_openssl_reason(reason, rlen, "cannot build the CRL");
		goto fail;
	}
	if (lint_crl(crl, k->ca, reason, rlen) != 0)
		goto fail;
	if (keyop_sign_crl(k->key, crl, md) <= 0) {
		log_openssl_reason(reason, rlen, "cannot sign the CRL");
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

	util_strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0)
		return chmod(dir, 0755);
	return errno == EEXIST ? 0 : -1;
}

static int
publish_key(const struct config *cfg, const struct crl_key *k,
    struct store *st, int64_t number, long *entries, char *reason,
    size_t rlen)
{
	X509_CRL	*crl = NULL;
	unsigned char	*der = NULL;
	int		 len, n, rc = -1;

	if ((crl = build(cfg, k, st, number, reason, rlen)) == NULL)
		goto out;
	if ((len = i2d_X509_CRL(crl, &der)) <= 0) {
		log_openssl_reason(reason, rlen, "cannot encode the CRL");
		goto out;
	}
	/* Public: the web server reads it whatever the worker's umask. */
	if (file_write(k->file, der, (size_t)len, 0644, 0) != 0) {
		snprintf(reason, rlen, "cannot write %s: %s", k->file,
		    strerror(errno));
		goto out;
	}
	/* An empty CRL has no revokedCertificates at all: -1 here. */
	if ((n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl))) < 0)
		n = 0;
	if (entries != NULL)
		*entries = n;
	log_info("op=CRL result=published key=%d number=%lld entries=%d",
	    k->index, (long long)number, n);
	rc = 0;
out:
	if (rc != 0)
		store_crl_mark_dirty(st);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	return rc;
}

static void
key_free(struct crl_key *k)
{
	X509_free(k->ca);
	if (!k->borrowed)
		keyop_free(k->key);
	memset(k, 0, sizeof(*k));
}

/* The CA keys with a CRL to keep: [0] the current one, then the previous
 * ones whose CA is still valid (their keys are read only to sign). */
struct key_list {
	const struct config	*cfg;
	struct crl_key		*v;
	int			 n;
	char			 why[PATH_MAX + 128];	/* a previous key left
							   out, and why */
};

static int
key_file(const struct config *cfg, struct crl_key *k)
{
	return util_key_index_name(cfg->crl_file, k->index, k->file,
	    sizeof(k->file));
}

/* Two keys with one index would write one file: the first one listed
 * (the current, then the newest) keeps it. */
static int
index_taken(struct key_list *l, int index, const char *dir)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i].index == index) {
			snprintf(l->why, sizeof(l->why), "the previous CA in "
			    "%s has key index %d, as a newer one: its CRL is "
			    "not published", dir, index);
			return 1;
		}
	return 0;
}

static int
add_prev_key(const char *dir, X509 *ca, void *arg)
{
	struct key_list	*l = arg;
	struct crl_key	 k = { 0 }, *v;

	if (X509_cmp_time(X509_get0_notAfter(ca), NULL) < 0)
		return 0;	/* nothing it issued is valid any more */
	if ((v = reallocarray(l->v, (size_t)l->n + 1, sizeof(*v))) == NULL)
		return -1;
	l->v = v;
	if (file_path(k.key_path, sizeof(k.key_path), "%s/%s", dir,
	    RA_CA_KEY) != 0 ||
	    ra_read_index(l->cfg, dir, &k.index, l->why, sizeof(l->why)) != 0 ||
	    index_taken(l, k.index, dir) ||
	    key_file(l->cfg, &k) != 0 || ra_key_id(ca, k.key_id) != 0 ||
	    !X509_up_ref(ca)) {
		if (l->why[0] == '\0')
			snprintf(l->why, sizeof(l->why), "cannot name the CRL "
			    "of the previous CA in %s", dir);
		return 0;	/* the others still get their CRLs */
	}
	k.ca = ca;
	l->v[l->n++] = k;
	return 0;
}

static int
keys_load(const struct config *cfg, const struct ra *ra, struct key_list *l,
    char *reason, size_t rlen)
{
	memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	if ((l->v = calloc(1, sizeof(*l->v))) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	/* Counted references, each taken only once it will be freed. */
	l->n = 1;
	if (X509_up_ref(ra->ca))
		l->v[0].ca = ra->ca;
	l->v[0].key = ra->ca_op;
	l->v[0].borrowed = 1;
	if (l->v[0].ca == NULL || l->v[0].key == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	l->v[0].index = ra->ca_index;
	memcpy(l->v[0].key_id, ra->ca_key_id, sizeof(l->v[0].key_id));
	if (key_file(cfg, &l->v[0]) != 0) {
		snprintf(reason, rlen, "[CRL] PublishFile too long");
		return -1;
	}
	return ra_each_prev(cfg, ra->ca, add_prev_key, l, reason, rlen);
}

static void
keys_free(struct key_list *l)
{
	for (int i = 0; i < l->n; i++)
		key_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Builders in several workers and mscep-admin take turns. */
static int
lock_crl(const struct config *cfg)
{
	char	 path[PATH_MAX + 8];
	int	 fd;

	if (file_path(path, sizeof(path), "%s.lock", cfg->crl_file) != 0 ||
	    make_folder(cfg->crl_file) != 0 || (fd = open(path, O_RDONLY |
	    O_CREAT | O_CLOEXEC, 0644)) < 0)
		return -1;
	if (flock(fd, LOCK_EX) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Every key's CRL; *entries gets the current key's size and the result is
 * the current key's. A previous key that cannot sign (its key taken
 * offline, say) is logged and skipped: the others still publish.
 */
static int
publish_all(const struct config *cfg, struct key_list *l, struct store *st,
    long *entries, char *reason, size_t rlen)
{
	char	 why[PATH_MAX + 340], safe[REASON_MAX];
	int64_t	 first;
	int	 i, rc;

	/* Hosts sharing one store build one CRL at a time. */
	if (store_crl_lock(st, 1) != 0) {
		snprintf(reason, rlen, "cannot take the store's CRL lock: %s",
		    store_errmsg(st));
		return -1;
	}
	/* All numbers first, in one step: a revocation from now on leaves
	 * the store dirty and the next refresh includes it. */
	if (store_crl_next(st, l->n, &first) != STORE_OK) {
		snprintf(reason, rlen, "cannot take a CRL number: %s",
		    store_errmsg(st));
		store_crl_lock(st, 0);
		return -1;
	}
	rc = publish_key(cfg, &l->v[0], st, first, entries, reason, rlen);
	if (rc != 0) {
		store_crl_lock(st, 0);
		return -1;
	}
	for (i = 1; i < l->n; i++) {
		/* Under [Signer] Socket the signer holds that key too. */
		if (l->v[i].key == NULL && cfg->signer_socket[0] != '\0' &&
		    (l->v[i].key = keyop_remote(cfg->signer_socket,
		    cfg->signer_timeout_ms, KEYOP_CA, l->v[i].ca)) == NULL)
			snprintf(why, sizeof(why), "out of memory");
		else if (l->v[i].key == NULL)
			l->v[i].key = keyop_open_ref(l->v[i].key_path,
			    KEYOP_CA, why, sizeof(why));
		if (l->v[i].key != NULL && publish_key(cfg, &l->v[i], st,
		    first + i, NULL, why, sizeof(why)) == 0)
			continue;
		log_warnx("op=CRL result=error key=%d reason=\"%s\"",
		    l->v[i].index, log_safe(why, safe, sizeof(safe)));
	}
	if (l->why[0] != '\0')
		log_warnx("op=CRL result=error reason=\"%s\"",
		    log_safe(l->why, safe, sizeof(safe)));
	store_crl_lock(st, 0);
	return 0;
}

int
crl_publish(const struct config *cfg, const struct ra *ra, struct store *st,
    long *entries, char *reason, size_t rlen)
{
	struct key_list	 l;
	int		 fd, rc = -1;

	if ((fd = lock_crl(cfg)) < 0) {
		snprintf(reason, rlen, "cannot lock %s.lock: %s",
		    cfg->crl_file, strerror(errno));
		return -1;
	}
	if (keys_load(cfg, ra, &l, reason, rlen) == 0)
		rc = publish_all(cfg, &l, st, entries, reason, rlen);
	keys_free(&l);
	close(fd);
	return rc;
}

static X509_CRL *
read_file(const char *path)
{
	X509_CRL	*crl = NULL;
	FILE		*f;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	crl = d2i_X509_CRL_fp(f, NULL);
	fclose(f);
	ERR_clear_error();
	return crl;
}

X509_CRL *
crl_read(const struct config *cfg, const struct ra *ra, const char *key_id)
{
	struct key_list	 l;
	X509_CRL	*crl = NULL;
	char		 reason[REASON_MAX];
	int		 i;

	if (keys_load(cfg, ra, &l, reason, sizeof(reason)) == 0)
		for (i = 0; i < l.n && crl == NULL; i++)
			if (key_id == NULL || key_id[0] == '\0' ?
			    i == 0 : strcmp(key_id, l.v[i].key_id) == 0)
				crl = read_file(l.v[i].file);
	keys_free(&l);
	return crl;
}

/* The cRLNumber of crl, -1 without one. */
static int64_t
crl_number(const X509_CRL *crl)
{
	ASN1_INTEGER	*n;
	int64_t		 v = -1;

	n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	if (n == NULL || ASN1_INTEGER_get_int64(&v, n) != 1)
		v = -1;
	ASN1_INTEGER_free(n);
	return v;
}

/* 1 when k's published CRL is its own, intact, young enough and numbered
 * at least wanted (it holds every revocation, wherever it was made). */
static int
current(const struct config *cfg, const struct crl_key *k, int64_t wanted)
{
	X509_CRL	*crl = read_file(k->file);
	time_t		 refresh_at;
	int		 day, sec, ok = 0;

	if (crl == NULL || crl_number(crl) < wanted ||
	    X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(k->ca)) != 0 ||
	    X509_CRL_verify(crl, X509_get0_pubkey(k->ca)) != 1 ||
	    ASN1_TIME_diff(&day, &sec, NULL, X509_CRL_get0_lastUpdate(crl))
	    != 1)
		goto out;
	/* day/sec: from now to lastUpdate, negative for the past. */
	refresh_at = (time_t)day * 86400 + sec + cfg->crl_refresh_hours * 3600L;
	ok = refresh_at > 0;
out:
	X509_CRL_free(crl);
	ERR_clear_error();
	return ok;
}

int
crl_refresh(const struct config *cfg, const struct ra *ra, struct store *st,
    long *entries, char *reason, size_t rlen)
{
	struct key_list	 l;
	int64_t		 wanted;
	int		 dirty, i, ok, fd, rc = -1;

	if ((dirty = store_crl_dirty(st)) < 0 ||
	    (wanted = store_crl_wanted(st)) < 0) {
		snprintf(reason, rlen, "store: %s", store_errmsg(st));
		return -1;
	}
	if (keys_load(cfg, ra, &l, reason, rlen) != 0) {
		keys_free(&l);
		return -1;
	}
	/* A previous key that cannot be read cannot sign: its CRL going
	 * stale must not make every refresh publish all of them. */
	for (ok = !dirty, i = 0; ok && i < l.n; i++)
		ok = (i > 0 && access(l.v[i].key_path, R_OK) != 0) ||
		    current(cfg, &l.v[i], wanted);
	if (ok) {
		keys_free(&l);
		return 0;
	}
	if ((fd = lock_crl(cfg)) < 0)
		snprintf(reason, rlen, "cannot lock %s.lock: %s",
		    cfg->crl_file, strerror(errno));
	else {
		rc = publish_all(cfg, &l, st, entries, reason, rlen) == 0 ?
		    1 : -1;
		close(fd);
	}
	keys_free(&l);
	return rc;
}
