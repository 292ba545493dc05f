/* ra.c - load the CA and RA certificates and keys from the state folder. */
#include "ca/ra.h"
#include "util/cert.h"
#include "util/util.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

int
ra_read_cert(const char *path, X509 **out)
{
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	*out = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return *out == NULL ? -1 : 0;
}

/* A PEM key or a reference to a key in a token (keyop_load_ref). */
int
ra_read_key(const char *path, EVP_PKEY **out)
{
	char	 why[PATH_MAX + 256];

	*out = keyop_load_ref(path, why, sizeof(why));
	return *out == NULL ? -1 : 0;
}

int
ra_pem_stage(struct file_stage *f, const char *path, X509 *const *certs, int n,
    EVP_PKEY *key)
{
	BIO	*mem;
	char	*data;
	long	 len;
	int	 i, ok, rc = -1;

	/* A key's PEM is cleared from memory when the BIO is freed. */
	if ((mem = BIO_new(key != NULL ? BIO_s_secmem() : BIO_s_mem())) ==
	    NULL) {
		errno = ENOMEM;
		return -1;
	}
	ok = key != NULL ? PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0,
	    NULL, NULL) : 1;
	for (i = 0; i < n && ok; i++)
		ok = PEM_write_bio_X509(mem, certs[i]);
	if (!ok || (len = BIO_get_mem_data(mem, &data)) < 0) {
		ERR_clear_error();
		errno = ENOMEM;
		goto out;
	}
	rc = file_stage(f, path, data, (size_t)len, key != NULL ? 0600 :
	    0644);
out:
	BIO_free(mem);
	return rc;
}

int
ra_pem_write(const char *path, X509 *const *certs, int n, EVP_PKEY *key,
    int flags)
{
	struct file_stage	 f;

	if (ra_pem_stage(&f, path, certs, n, key) != 0)
		return -1;
	return file_commit(&f, flags);
}

static int
load_pair(const struct config *cfg, const char *certf, const char *keyf,
    X509 **cert, EVP_PKEY **key, char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64];

	if (config_state_path(cfg, certf, path, sizeof(path)) != 0 ||
	    ra_read_cert(path, cert) != 0) {
		log_openssl_reason(reason, rlen, "cannot read certificate");
		snprintf(reason, rlen, "cannot read certificate %s (run "
		    "mscep-admin init?)", path);
		return -1;
	}
	if (key == NULL)
		return 0;	/* the signer's (ra_load_worker) */
	if (config_state_path(cfg, keyf, path, sizeof(path)) != 0) {
		snprintf(reason, rlen, "state folder path too long");
		return -1;
	}
	if ((*key = keyop_load_ref(path, reason, rlen)) == NULL)
		return -1;
	if (X509_check_private_key(*cert, *key) != 1) {
		log_openssl_reason(reason, rlen, "key mismatch");
		snprintf(reason, rlen, "%s does not match %s", keyf, certf);
		return -1;
	}
	return 0;
}

int
ra_key_id(X509 *ca, char out[41])
{
	unsigned char	 md[SHA_DIGEST_LENGTH];
	unsigned int	 len = sizeof(md);

	if (X509_pubkey_digest(ca, EVP_sha1(), md, &len) != 1 ||
	    len != sizeof(md))
		return -1;
	util_hex_encode(md, len, out);
	return 0;
}

/* previous/<time>: what `ca switch` completed (not a ".tmp" in progress). */
static int
prev_entry(const struct dirent *d)
{
	size_t	 n = strlen(d->d_name);

	return d->d_name[0] != '.' &&
	    (n < 4 || strcmp(d->d_name + n - 4, ".tmp") != 0);
}

int
ra_each_prev(const struct config *cfg, X509 *current,
    int (*fn)(const char *dir, X509 *ca, void *), void *arg, char *reason,
    size_t rlen)
{
	struct dirent	**names = NULL;
	char		 dir[PATH_MAX + 16], gen[PATH_MAX + 300];
	char		 path[PATH_MAX + 320];
	X509		*x = NULL;
	int		 i, n, rc = -1;

	if (config_state_path(cfg, RA_PREV_DIR, dir, sizeof(dir)) != 0) {
		snprintf(reason, rlen, "state folder path too long");
		return -1;
	}
	if ((n = scandir(dir, &names, prev_entry, alphasort)) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(reason, rlen, "cannot read %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	/* The names sort by time: newest last. */
	for (i = n - 1; i >= 0; i--) {
		if (file_path(gen, sizeof(gen), "%s/%s", dir,
		    names[i]->d_name) != 0 || file_path(path, sizeof(path),
		    "%s/%s", gen, RA_CA_CERT) != 0) {
			snprintf(reason, rlen, "%s/%s: path too long", dir,
			    names[i]->d_name);
			goto out;
		}
		if (ra_read_cert(path, &x) != 0) {
			snprintf(reason, rlen, "cannot read previous CA "
			    "certificate %s", path);
			goto out;
		}
		/* Midway through a switch, previous/<time> already holds
		 * the CA that is still current. */
		if (X509_cmp(x, current) != 0 && fn(gen, x, arg) != 0) {
			snprintf(reason, rlen, "out of memory");
			goto out;
		}
		X509_free(x);
		x = NULL;
	}
	rc = 0;
out:
	X509_free(x);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int
push_prev(const char *dir, X509 *ca, void *arg)
{
	(void)dir;
	if (!X509_up_ref(ca))
		return -1;
	if (!sk_X509_push(arg, ca)) {
		X509_free(ca);
		return -1;
	}
	return 0;
}

int
ra_load_prev(const struct config *cfg, X509 *current, STACK_OF(X509) *out,
    char *reason, size_t rlen)
{
	return ra_each_prev(cfg, current, push_prev, out, reason, rlen);
}

/*
 * An RA certificate from another CA generation (a half-done switch, files
 * copied by hand) would make GetCACert hand out a chain that does not
 * verify: refuse it here.
 */
static int
check_ra_issuer(const struct ra *ra, X509 *x, const char *file,
    char *reason, size_t rlen)
{
	if (X509_verify(x, X509_get0_pubkey(ra->ca)) == 1)
		return 0;
	ERR_clear_error();
	snprintf(reason, rlen, "%s is not issued by the CA in %s (mixed files "
	    "from two CA generations? see mscep-admin ca status)", file,
	    RA_CA_CERT);
	return -1;
}

/* Completed previous generations whose names sort before `before` (all
 * of them for NULL). */
static int
count_prev(const struct config *cfg, const char *before)
{
	struct dirent	**names = NULL;
	char		 dir[PATH_MAX + 16];
	int		 i, n, k = 0;

	if (config_state_path(cfg, RA_PREV_DIR, dir, sizeof(dir)) != 0 ||
	    (n = scandir(dir, &names, prev_entry, alphasort)) < 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (before == NULL || strcmp(names[i]->d_name, before) < 0)
			k++;
		free(names[i]);
	}
	free(names);
	return k;
}

/*
 * Without the file (a state folder from before key indexes), the index
 * is where the generation stands in time: a previous one counts the
 * generations before it, the current one all previous ones, next/ one
 * more.
 */
static int
index_by_place(const struct config *cfg, const char *dir)
{
	char	 prev[PATH_MAX + 16], next[PATH_MAX + 16];
	size_t	 n;

	if (config_state_path(cfg, RA_PREV_DIR, prev, sizeof(prev)) != 0 ||
	    config_state_path(cfg, ROLL_NEXT_DIR, next, sizeof(next)) != 0)
		return 0;
	n = strlen(prev);
	if (strncmp(dir, prev, n) == 0 && dir[n] == '/')
		return count_prev(cfg, dir + n + 1);
	return count_prev(cfg, NULL) + (strcmp(dir, next) == 0);
}

int
ra_read_index(const struct config *cfg, const char *dir, int *index,
    char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64], text[16], *end;
	FILE	*f;
	long	 v;
	size_t	 n;

	*index = 0;
	if (file_path(path, sizeof(path), "%s/%s", dir, RA_CA_INDEX) != 0) {
		snprintf(reason, rlen, "%s: path too long", dir);
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT) {
			snprintf(reason, rlen, "cannot read %s: %s", path,
			    strerror(errno));
			return -1;
		}
		*index = index_by_place(cfg, dir);
		return 0;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	v = strtol(text, &end, 10);
	if (end == text || (*end != '\0' && *end != '\n') || v < 0 ||
	    v > RA_CA_INDEX_MAX) {
		snprintf(reason, rlen, "%s: not a CA key index (0 to %d)", path,
		    RA_CA_INDEX_MAX);
		return -1;
	}
	*index = (int)v;
	return 0;
}

/* [CRL] URL for a key after the first names that key's CRL. */
static int
key_cdp(const struct config *cfg, struct ra *ra, char *reason, size_t rlen)
{
	char	 url[sizeof(cfg->crl_url) + 16], val[sizeof(url) + 8];

	if (ra->ca_index == 0 || cfg->crl_url[0] == '\0')
		return 0;
	if (util_key_index_name(cfg->crl_url, ra->ca_index, url,
	    sizeof(url)) != 0 ||
	    snprintf(val, sizeof(val), "URI:%s", url) >= (int)sizeof(val) ||
	    (ra->cdp = X509V3_EXT_conf_nid(NULL, NULL,
	    NID_crl_distribution_points, val)) == NULL) {
		ERR_clear_error();
		snprintf(reason, rlen, "cannot encode the CRL URL for CA key "
		    "%d", ra->ca_index);
		return -1;
	}
	return 0;
}

int
ra_switching(const struct config *cfg, char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64];

	/* A path too long counts as a switch begun: workers refuse to start
	 * rather than miss one. */
	if (config_state_path(cfg, ROLL_NEXT_DIR "/" ROLL_SWITCHING, path,
	    sizeof(path)) != 0) {
		snprintf(reason, rlen, "%s/%s/%s: path too long",
		    cfg->state_dir, ROLL_NEXT_DIR, ROLL_SWITCHING);
		return 1;
	}
	if (access(path, F_OK) != 0)
		return 0;
	snprintf(reason, rlen, "a CA switch has begun and not finished (%s): "
	    "run mscep-admin ca switch", path);
	return 1;
}

/* Which private keys a process reads: all (mscep-admin, the signer,
 * workers without one), none (workers with [Signer] Socket). */
enum ra_keys { RA_KEYS_ALL, RA_KEYS_NONE };

/* The request path's key operations: on the keys just loaded, or the
 * signer's (keyops_remote.c), each verified with its certificate. */
static int
make_ops(const struct config *cfg, struct ra *ra, enum ra_keys keys)
{
	enum keyop_role	 sign = ra->direct ? KEYOP_CA : KEYOP_RA_SIGN;
	enum keyop_role	 enc = ra->direct ? KEYOP_CA : KEYOP_RA_ENC;
	const char	*sock = cfg->signer_socket;
	int		 ms = cfg->signer_timeout_ms;

	if (keys == RA_KEYS_NONE) {
		ra->ca_op = keyop_remote(sock, ms, KEYOP_CA, ra->ca);
		ra->sign_op = keyop_remote(sock, ms, sign, ra->sign_cert);
		ra->enc_op = keyop_remote(sock, ms, enc, ra->enc_cert);
	} else {
		ra->ca_op = keyop_inproc(ra->ca_key, KEYOP_CA);
		ra->sign_op = keyop_inproc(ra->sign_key, sign);
		ra->enc_op = keyop_inproc(ra->enc_key, enc);
	}
	return ra->ca_op && ra->sign_op && ra->enc_op ? 0 : -1;
}

int
ra_read_certs(const char *path, int missing_ok, STACK_OF(X509) *out,
    char *reason, size_t rlen)
{
	FILE	*f;
	X509	*x;
	int	 n = 0;

	if ((f = fopen(path, "r")) == NULL) {
		if (missing_ok && errno == ENOENT)
			return 0;
		snprintf(reason, rlen, "cannot read %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(out, x) <= 0) {
			X509_free(x);
			break;
		}
		n++;
	}
	fclose(f);
	ERR_clear_error();
	if (n == 0) {
		snprintf(reason, rlen, "%s holds no PEM certificate", path);
		return -1;
	}
	return 0;
}

static int
load_chain(const struct config *cfg, struct ra *ra, char *reason,
    size_t rlen)
{
	char	 path[PATH_MAX + 64];

	if ((ra->chain = sk_X509_new_null()) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	if (config_state_path(cfg, RA_CA_CHAIN, path, sizeof(path)) != 0) {
		snprintf(reason, rlen, "state folder path too long");
		return -1;
	}
	return ra_read_certs(path, 1, ra->chain, reason, rlen);
}

static void
cache_validity(struct ra *ra)
{
	X509	*certs[3] = { ra->ca, ra->sign_cert, ra->enc_cert };
	int	 i;

	for (i = 0; i < 3; i++) {
		ra->valid_from[i] = cert_time_epoch(X509_get0_notBefore(
		    certs[i]));
		ra->valid_until[i] = cert_time_epoch(X509_get0_notAfter(
		    certs[i]));
	}
}

static void
utc_text(int64_t t, char *out, size_t size)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, size, "?");
}

int
ra_check_validity(const struct ra *ra, int64_t now, int warn_days,
    char *reason, size_t rlen)
{
	static const char *const what[3] = { "CA certificate " RA_CA_CERT,
	    "RA signing certificate " RA_SIGN_CERT,
	    "RA encryption certificate " RA_ENC_CERT };
	/* The RA pair is renewed alone; the CA needs a rollover. */
	static const char *const fix[3] = {
	    "mscep-admin ca rollover, or ca install",
	    "mscep-admin ra renew, then reload the workers",
	    "mscep-admin ra renew, then reload the workers" };
	char	 when[40];
	int	 i, n = ra->direct ? 1 : 3, rc = 0;

	for (i = 0; i < n; i++) {
		if (now < ra->valid_from[i]) {
			utc_text(ra->valid_from[i], when, sizeof(when));
			snprintf(reason, rlen, "%s is not valid before %s: "
			    "nothing is issued until then", what[i], when);
			return -1;
		}
		if (now >= ra->valid_until[i]) {
			utc_text(ra->valid_until[i], when, sizeof(when));
			snprintf(reason, rlen, "%s expired on %s: nothing is "
			    "issued (%s)", what[i], when, fix[i]);
			return -1;
		}
		/* Each one that ends soon, the CA's and the RA's. */
		if (now + 86400LL * warn_days >= ra->valid_until[i]) {
			size_t	 used = rc ? strlen(reason) : 0;

			utc_text(ra->valid_until[i], when, sizeof(when));
			snprintf(reason + used, rlen - used, "%s%s expires on %s, "
			    "within %d days (%s)", rc ? "; " : "", what[i],
			    when, warn_days, fix[i]);
			rc = 1;
		}
	}
	return rc;
}

static int
load(const struct config *cfg, struct ra *ra, enum ra_keys keys,
    char *reason, size_t rlen)
{
	int	 with_keys = keys == RA_KEYS_ALL;

	memset(ra, 0, sizeof(*ra));
	if (ra_switching(cfg, reason, rlen))
		return -1;
	ra->direct = cfg->ca_direct;
	if (load_pair(cfg, RA_CA_CERT, RA_CA_KEY, &ra->ca, with_keys ?
	    &ra->ca_key : NULL, reason, rlen) != 0 ||
	    ra_key_id(ra->ca, ra->ca_key_id) != 0 ||
	    ra_read_index(cfg, cfg->state_dir, &ra->ca_index, reason,
	    rlen) != 0 || key_cdp(cfg, ra, reason, rlen) != 0)
		goto fail;
	if (ra->direct) {
		if (EVP_PKEY_get_base_id(X509_get0_pubkey(ra->ca)) !=
		    EVP_PKEY_RSA) {
			snprintf(reason, rlen, "CADirect=1 needs an RSA CA key:"
			    " SCEP clients encrypt to it with key transport");
			goto fail;
		}
		ra->sign_cert = ra->enc_cert = ra->ca;
		ra->sign_key = ra->enc_key = ra->ca_key;
	} else if (load_pair(cfg, RA_SIGN_CERT, RA_SIGN_KEY, &ra->sign_cert,
	    with_keys ? &ra->sign_key : NULL, reason, rlen) != 0 ||
	    load_pair(cfg, RA_ENC_CERT, RA_ENC_KEY, &ra->enc_cert,
	    with_keys ? &ra->enc_key : NULL, reason, rlen) != 0 ||
	    check_ra_issuer(ra, ra->sign_cert, RA_SIGN_CERT, reason,
	    rlen) != 0 ||
	    check_ra_issuer(ra, ra->enc_cert, RA_ENC_CERT, reason, rlen) != 0)
		goto fail;
	cache_validity(ra);
	if (load_chain(cfg, ra, reason, rlen) != 0)
		goto fail;
	if (make_ops(cfg, ra, keys) != 0 ||
	    (ra->prev_ca = sk_X509_new_null()) == NULL) {
		snprintf(reason, rlen, "out of memory");
		goto fail;
	}
	if (ra_load_prev(cfg, ra->ca, ra->prev_ca, reason, rlen) != 0)
		goto fail;
	return 0;
fail:
	ra_free(ra);
	return -1;
}

int
ra_load(const struct config *cfg, struct ra *ra, char *reason, size_t rlen)
{
	return load(cfg, ra, RA_KEYS_ALL, reason, rlen);
}

int
ra_load_worker(const struct config *cfg, struct ra *ra, char *reason,
    size_t rlen)
{
	return load(cfg, ra, cfg->signer_socket[0] != '\0' ? RA_KEYS_NONE :
	    RA_KEYS_ALL, reason, rlen);
}

int
ra_load_signer(const struct config *cfg, struct ra *ra, char *reason,
    size_t rlen)
{
	return load(cfg, ra, RA_KEYS_ALL, reason, rlen);
}

void
ra_free(struct ra *ra)
{
	if (ra == NULL)
		return;
	keyop_free(ra->ca_op);
	keyop_free(ra->sign_op);
	keyop_free(ra->enc_op);
	if (!ra->direct) {
		X509_free(ra->sign_cert);
		EVP_PKEY_free(ra->sign_key);
		X509_free(ra->enc_cert);
		EVP_PKEY_free(ra->enc_key);
	}
	X509_free(ra->ca);
	EVP_PKEY_free(ra->ca_key);
	sk_X509_pop_free(ra->prev_ca, X509_free);
	sk_X509_pop_free(ra->chain, X509_free);
	X509_EXTENSION_free(ra->cdp);
	memset(ra, 0, sizeof(*ra));
}

/* Name (and key identifier, when both have one) first, then signature. */
static int
signed_by(X509 *ca, X509 *x)
{
	int	 ok;

	ok = X509_check_issued(ca, x) == X509_V_OK &&
	    X509_verify(x, X509_get0_pubkey(ca)) == 1;
	ERR_clear_error();
	return ok;
}

X509 *
ra_issuer(const struct ra *ra, X509 *x)
{
	int	 i;

	if (ra->ca != NULL && signed_by(ra->ca, x))
		return ra->ca;
	for (i = 0; i < sk_X509_num(ra->prev_ca); i++)
		if (signed_by(sk_X509_value(ra->prev_ca, i), x))
			return sk_X509_value(ra->prev_ca, i);
	return NULL;
}
