/* rollover.c - prepare, serve and switch to the next CA (RFC 8894 §4.7). */
#include "ca/rollover.h"
#include "ca/ocsp_signer.h"
#include "ca/ca_init.h"
#include "ca/ca_install.h"
#include "util/file.h"
#include "util/log.h"
#include "util/num.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>

/*
 * What one CA generation is, in the order `ca switch` moves it: the CA
 * certificate last, as init writes it last ("initialised").
 */
static const char *const gen_files[] = {
	RA_SIGN_KEY, RA_SIGN_CERT, RA_ENC_KEY, RA_ENC_CERT,
	OCSP_RESPONDER_KEY, OCSP_RESPONDER_CERT, RA_CA_KEY,
	ROLL_CROSS_CERT, RA_CA_INDEX, RA_CA_CHAIN, RA_CA_CERT, NULL
};

/* Files a generation may lack: no cross certificate or key index before
 * the first rollover, no OCSP responder in a state folder older than
 * OCSP, no chain for a self-signed CA. */
static int
optional_file(const char *f)
{
	return strcmp(f, ROLL_CROSS_CERT) == 0 ||
	    strcmp(f, RA_CA_CHAIN) == 0 ||
	    strcmp(f, RA_CA_INDEX) == 0 ||
	    strcmp(f, OCSP_RESPONDER_KEY) == 0 ||
	    strcmp(f, OCSP_RESPONDER_CERT) == 0;
}

/*
 * The state folder's path is shorter than PATH_MAX and the names added
 * here are shorter than 64 bytes: PATH_MAX + 64 holds any of them. A
 * path that did not fit would be empty (file_path), never a different
 * file; a smaller buffer checks the result.
 */
static int
state_path(const struct config *cfg, const char *a, const char *b, char *out,
    size_t len)
{
	if (b == NULL)
		return file_path(out, len, "%s/%s", cfg->state_dir, a);
	return file_path(out, len, "%s/%s/%s", cfg->state_dir, a, b);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static int
rm_tree(const char *dir)
{
	if (access(dir, F_OK) != 0)
		return 0;
	return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* path gets text, whole or not at all. */
static int
write_small(const char *path, const char *text, char *reason, size_t rlen)
{
	if (file_write(path, text, strlen(text), 0644, 0) == 0)
		return 0;
	snprintf(reason, rlen, "cannot write %s: %s", path, strerror(errno));
	return -1;
}

static int
read_small(const char *path, char *out, size_t len)
{
	FILE	*f;
	int	 ok;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	ok = fgets(out, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static int
read_cert(const struct config *cfg, const char *dir, const char *file,
    X509 **x, char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64];

	state_path(cfg, dir, file, path, sizeof(path));
	if (ra_read_cert(path, x) != 0) {
		ERR_clear_error();
		snprintf(reason, rlen, "cannot read certificate %s", path);
		return -1;
	}
	return 0;
}

int
rollover_switch_at(const struct config *cfg, int64_t *at)
{
	char		 path[PATH_MAX + 64], text[32];
	long long	 v;

	if (state_path(cfg, ROLL_NEXT_DIR, ROLL_SWITCH_AT, path,
	    sizeof(path)) != 0 || read_small(path, text, sizeof(text)) != 0 ||
	    num_parse(text, 0, INT64_MAX, &v, NULL) != 0)
		return -1;
	*at = v;
	return 0;
}

/* "rsa:BITS" or "ec:P-256": a new key like k. */
static void
key_spec(EVP_PKEY *k, char *out, size_t len)
{
	char	 group[64] = "";
	size_t	 glen;

	snprintf(out, len, "rsa:2048");
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA)
		snprintf(out, len, "rsa:%d", EVP_PKEY_get_bits(k));
	else if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	    EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) == 1)
		snprintf(out, len, "ec:%s", strcmp(group, "secp384r1") == 0 ?
		    "P-384" : "P-256");
}

/* One generation of files, made in dir (relative to the state folder). */
struct gen {
	EVP_PKEY	*ca_key, *sign_key, *enc_key, *ocsp_key;
	X509		*ca, *cross, *sign, *enc, *ocsp;
	STACK_OF(X509)	*chain;		/* under a root: the CAs above */
	int		 ca_index;	/* the current key's + 1 */
	const char	*ca_ref;	/* a key in a token: its pkcs11: URI */
};

static void
gen_free(struct gen *g)
{
	X509_free(g->ocsp);
	EVP_PKEY_free(g->ocsp_key);
	X509_free(g->enc);
	X509_free(g->sign);
	X509_free(g->cross);
	X509_free(g->ca);
	sk_X509_pop_free(g->chain, X509_free);
	EVP_PKEY_free(g->enc_key);
	EVP_PKEY_free(g->sign_key);
	EVP_PKEY_free(g->ca_key);
}

/* The RA certificates keep their names (each file's own subject). */
static int
make_ra(const struct config *cfg, struct gen *g, const char *spec, int days,
    const char *certf, const char *ku, X509 **x, EVP_PKEY **k, char *reason,
    size_t rlen)
{
	X509	*cur = NULL;
	int	 rc = -1;

	if (read_cert(cfg, certf, NULL, &cur, reason, rlen) == 0 &&
	    (*k = ca_keygen(spec, reason, rlen)) != NULL &&
	    (*x = ca_make_ra_cert(X509_get_subject_name(cur), *k, g->ca,
	    g->ca_key, ku, days, reason, rlen)) != NULL)
		rc = 0;
	X509_free(cur);
	return rc;
}

/* The RA key type: as asked, else the current RA's. */
static int
ra_spec(const struct config *cfg, const struct rollover_opts *o, char *out,
    size_t len, char *reason, size_t rlen)
{
	X509	*ra_cur = NULL;

	if (o->ra_key != NULL) {
		snprintf(out, len, "%s", o->ra_key);
		return 0;
	}
	if (read_cert(cfg, RA_SIGN_CERT, NULL, &ra_cur, reason, rlen) != 0)
		return -1;
	key_spec(X509_get0_pubkey(ra_cur), out, len);
	X509_free(ra_cur);
	return 0;
}

/* The next CA's RA and OCSP identities, issued by g->ca. */
static int
make_ids(const struct config *cfg, const char *raspec, int ra_days,
    struct gen *g, char *reason, size_t rlen)
{
	return make_ra(cfg, g, raspec, ra_days, RA_SIGN_CERT, RA_SIGN_KU,
	    &g->sign, &g->sign_key, reason, rlen) != 0 ||
	    make_ra(cfg, g, raspec, ra_days, RA_ENC_CERT, RA_ENC_KU,
	    &g->enc, &g->enc_key, reason, rlen) != 0 ||
	    /* The delegated OCSP responder must be the new CA's too. */
	    ca_issue_ocsp(g->ca, g->ca_key, raspec, OCSP_RESPONDER_DAYS,
	    &g->ocsp, &g->ocsp_key, reason, rlen) != 0 ? -1 : 0;
}

static int
make_gen(const struct config *cfg, const struct ra *cur,
    const struct rollover_opts *o, struct gen *g, char *reason, size_t rlen)
{
	const X509_NAME	*name = X509_get_subject_name(cur->ca);
	char		 caspec[32], raspec[32];

	if (cur->ca_index >= RA_CA_INDEX_MAX) {
		snprintf(reason, rlen, "CA key index %d is the last",
		    cur->ca_index);
		return -1;
	}
	g->ca_index = cur->ca_index + 1;
	if (o->ca_key != NULL)
		snprintf(caspec, sizeof(caspec), "%s", o->ca_key);
	else
		key_spec(X509_get0_pubkey(cur->ca), caspec, sizeof(caspec));
	if (ra_spec(cfg, o, raspec, sizeof(raspec), reason, rlen) != 0)
		return -1;
	if ((g->ca_key = ca_keygen_in(caspec, o->ca_token, reason,
	    rlen)) == NULL)
		return -1;
	g->ca_ref = o->ca_token;
	if (cfg->ca_direct && EVP_PKEY_get_base_id(g->ca_key) != EVP_PKEY_RSA) {
		snprintf(reason, rlen, "CADirect=1 needs an RSA CA key: SCEP "
		    "clients encrypt to it with key transport");
		return -1;
	}
	if ((g->ca = ca_make_ca_cert(name, g->ca_key, NULL, NULL, o->ca_days,
	    reason, rlen)) == NULL ||
	    (g->cross = ca_make_ca_cert(name, g->ca_key, cur->ca, cur->ca_key,
	    o->ca_days, reason, rlen)) == NULL)
		return -1;
	/* The current CA cannot vouch beyond its own lifetime. */
	if (ASN1_TIME_compare(X509_get0_notAfter(g->cross),
	    X509_get0_notAfter(cur->ca)) > 0 &&
	    (X509_set1_notAfter(g->cross, X509_get0_notAfter(cur->ca)) != 1 ||
	    X509_sign(g->cross, cur->ca_key, EVP_sha256()) <= 0)) {
		log_openssl_reason(reason, rlen,
		    "cannot make cross certificate");
		return -1;
	}
	return make_ids(cfg, raspec, o->ra_days, g, reason, rlen);
}

/* certf (and keyf) in dir, a folder of the state folder. */
static int
save_in(const struct config *cfg, const char *dir, const char *certf,
    const char *keyf, X509 *x, EVP_PKEY *k, char *reason, size_t rlen)
{
	char	 cp[PATH_MAX + 64], kp[PATH_MAX + 64];

	if (file_path(cp, sizeof(cp), "%s/%s", dir, certf) != 0 ||
	    (keyf != NULL && file_path(kp, sizeof(kp), "%s/%s", dir,
	    keyf) != 0)) {
		snprintf(reason, rlen, "%s/%s: path too long", dir, certf);
		return -1;
	}
	if (keyf == NULL)
		return ca_save_cert(cfg, cp, x, reason, rlen);
	return ca_save_pair(cfg, cp, kp, x, k, reason, rlen);
}

/* The CA pair in dir: a key file, or the reference to a key in a token. */
static int
save_ca(const struct config *cfg, const char *dir, const struct gen *g,
    char *reason, size_t rlen)
{
	char	 kp[PATH_MAX + 64];

	if (g->ca_ref == NULL)
		return save_in(cfg, dir, RA_CA_CERT, RA_CA_KEY, g->ca,
		    g->ca_key, reason, rlen);
	if (file_path(kp, sizeof(kp), "%s/%s", dir, RA_CA_KEY) != 0) {
		snprintf(reason, rlen, "%s/%s: path too long", dir, RA_CA_KEY);
		return -1;
	}
	return ca_save_key_ref(cfg, kp, g->ca_ref, reason, rlen) != 0 ? -1 :
	    save_in(cfg, dir, RA_CA_CERT, NULL, g->ca, NULL, reason, rlen);
}

/* Writes g and the switch date into dir (relative to the state folder). */
static int
save_gen(const struct config *cfg, const char *dir, const struct gen *g,
    int64_t at, char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64], priv[PATH_MAX + 64], text[32];

	if (state_path(cfg, dir, "private", priv, sizeof(priv)) != 0 ||
	    mkdir(priv, 0700) != 0) {
		snprintf(reason, rlen, "cannot create %s: %s", priv,
		    strerror(errno));
		return -1;
	}
	if (save_in(cfg, dir, RA_SIGN_CERT, RA_SIGN_KEY, g->sign, g->sign_key,
	    reason, rlen) != 0 ||
	    save_in(cfg, dir, RA_ENC_CERT, RA_ENC_KEY, g->enc, g->enc_key,
	    reason, rlen) != 0 ||
	    save_in(cfg, dir, OCSP_RESPONDER_CERT, OCSP_RESPONDER_KEY,
	    g->ocsp, g->ocsp_key, reason, rlen) != 0 ||
	    save_ca(cfg, dir, g, reason, rlen) != 0 ||
	    (g->cross != NULL && save_in(cfg, dir, ROLL_CROSS_CERT, NULL,
	    g->cross, NULL, reason, rlen) != 0))
		return -1;
	if (g->chain != NULL && (file_path(path, sizeof(path), "%s/%s", dir,
	    RA_CA_CHAIN) != 0 || ca_install_write_chain(cfg, path, g->chain,
	    reason, rlen) != 0))
		return -1;
	snprintf(text, sizeof(text), "%d\n", g->ca_index);
	state_path(cfg, dir, RA_CA_INDEX, path, sizeof(path));
	if (write_small(path, text, reason, rlen) != 0)
		return -1;
	snprintf(text, sizeof(text), "%" PRId64 "\n", at);
	state_path(cfg, dir, ROLL_SWITCH_AT, path, sizeof(path));
	if (write_small(path, text, reason, rlen) != 0)
		return -1;
	return 0;
}

/*
 * next/ appears whole or not at all: made in a temporary folder, then
 * renamed (or, with --replace, exchanged with the old one).
 */
static int
install_gen(const struct config *cfg, const char *tmp, int replace,
    char *reason, size_t rlen)
{
	char	 from[PATH_MAX + 64], to[PATH_MAX + 64];

	state_path(cfg, tmp, NULL, from, sizeof(from));
	state_path(cfg, ROLL_NEXT_DIR, NULL, to, sizeof(to));
	if (replace && access(to, F_OK) != 0)
		replace = 0;
	if (chmod(from, 0755) != 0 || file_sync_dir(from) != 0 ||
	    renameat2(AT_FDCWD, from, AT_FDCWD, to, replace ?
	    RENAME_EXCHANGE : RENAME_NOREPLACE) != 0 ||
	    file_sync_dir(cfg->state_dir) != 0) {
		snprintf(reason, rlen, "cannot rename %s to %s: %s", from, to,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
check_create(const struct config *cfg, const struct ra *cur,
    const struct rollover_opts *o, int64_t at, char *reason, size_t rlen)
{
	char		 path[PATH_MAX + 64];
	time_t		 t = (time_t)at;
	struct stat	 st;

	if (ra_switching(cfg, reason, rlen))
		return -1;
	state_path(cfg, ROLL_NEXT_DIR, NULL, path, sizeof(path));
	if (!o->replace && stat(path, &st) == 0) {
		snprintf(reason, rlen, "%s exists: a next CA is already "
		    "prepared (mscep-admin ca status; --replace makes another)",
		    path);
		return -1;
	}
	if (o->ca_days < 1 || o->ra_days < 1 || o->ra_days > o->ca_days ||
	    o->switch_in_days < 0 || o->switch_in_days >= o->ra_days) {
		snprintf(reason, rlen, "--days and --ra-days must be positive, "
		    "the RA within the CA's lifetime, and --switch-in shorter "
		    "than both");
		return -1;
	}
	if (X509_cmp_time(X509_get0_notAfter(cur->ca), &t) < 0) {
		snprintf(reason, rlen, "the switch date is after the current "
		    "CA expires: use a smaller --switch-in");
		return -1;
	}
	return 0;
}

int
rollover_create(const struct config *cfg, const struct rollover_opts *o,
    char *reason, size_t rlen)
{
	struct ra	 cur;
	struct gen	 g = { 0 };
	char		 tmp[PATH_MAX + 64], *dir = NULL;
	int64_t		 at = util_now() + (int64_t)o->switch_in_days * 86400;
	int		 rc = -1;

	if (ra_load(cfg, &cur, reason, rlen) != 0)
		return -1;
	if (check_create(cfg, &cur, o, at, reason, rlen) != 0 ||
	    make_gen(cfg, &cur, o, &g, reason, rlen) != 0)
		goto out;
	state_path(cfg, ".next.XXXXXX", NULL, tmp, sizeof(tmp));
	if ((dir = mkdtemp(tmp)) == NULL) {
		snprintf(reason, rlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	dir = strrchr(tmp, '/') + 1;
	if (save_gen(cfg, dir, &g, at, reason, rlen) != 0 ||
	    install_gen(cfg, dir, o->replace, reason, rlen) != 0)
		goto out;
	rc = 0;
out:
	/* After an exchange, the replaced next/ is in the temporary folder. */
	if (dir != NULL && rm_tree(tmp) != 0 && rc == 0)
		log_warnx("cannot remove %s: %s", tmp, strerror(errno));
	gen_free(&g);
	ra_free(&cur);
	return rc;
}

/* The request, then its key: a key is never left without one. */
static int
write_request(const char *out, X509_REQ *req, const char *keyf,
    EVP_PKEY *key, int replace, char *reason, size_t rlen)
{
	if (ca_write_csr(out, req) != 0) {
		snprintf(reason, rlen, "cannot write %s: %s", out,
		    strerror(errno));
		return -1;
	}
	if (ra_pem_write(keyf, NULL, 0, key, replace ? 0 :
	    FILE_NOREPLACE) != 0) {
		snprintf(reason, rlen, "cannot write %s: %s", keyf,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
rollover_request(const struct config *cfg, const char *keyspec,
    const char *out, int replace, char *reason, size_t rlen)
{
	struct ra	 cur;
	EVP_PKEY	*key = NULL;
	X509_REQ	*req = NULL;
	char		 spec[32], keyf[PATH_MAX + 64];
	int		 rc = -1;

	if (ra_load(cfg, &cur, reason, rlen) != 0)
		return -1;
	if (state_path(cfg, ROLL_NEXT_KEY, NULL, keyf, sizeof(keyf)) != 0) {
		snprintf(reason, rlen, "%s: path too long", cfg->state_dir);
		goto out;
	}
	if (!replace && access(keyf, F_OK) == 0) {
		snprintf(reason, rlen, "%s exists: a request was made already "
		    "(--replace makes another)", keyf);
		goto out;
	}
	if (keyspec != NULL)
		snprintf(spec, sizeof(spec), "%s", keyspec);
	else
		key_spec(X509_get0_pubkey(cur.ca), spec, sizeof(spec));
	if ((key = ca_keygen(spec, reason, rlen)) == NULL)
		goto out;
	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_subject_name(req, X509_get_subject_name(cur.ca)) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		log_openssl_reason(reason, rlen, "cannot make the request");
		goto out;
	}
	rc = write_request(out, req, keyf, key, replace, reason, rlen);
out:
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	ra_free(&cur);
	return rc;
}

/* The root-issued next CA: checked as ca install checks, same name. */
static int
gen_from_cert(const struct config *cfg, const struct ra *cur,
    const struct rollover_opts *o, const char *certf, const char *chainf,
    struct gen *g, char *reason, size_t rlen)
{
	STACK_OF(X509)	*chain = sk_X509_new_null();
	char		 keyf[PATH_MAX + 64], raspec[32];
	int		 rc = -1;

	state_path(cfg, ROLL_NEXT_KEY, NULL, keyf, sizeof(keyf));
	g->ca_index = cur->ca_index + 1;
	if (chain == NULL || (g->chain = sk_X509_new_null()) == NULL)
		goto out;
	if (ra_read_cert(certf, &g->ca) != 0 || ra_read_key(keyf,
	    &g->ca_key) != 0) {
		snprintf(reason, rlen, "cannot read %s, or the key of ca "
		    "rollover --csr (%s)", certf, keyf);
		goto out;
	}
	if (X509_NAME_cmp(X509_get_subject_name(g->ca),
	    X509_get_subject_name(cur->ca)) != 0) {
		snprintf(reason, rlen, "the next CA must keep the current CA's "
		    "name");
		goto out;
	}
	if ((chainf != NULL &&
	    ra_read_certs(chainf, 0, chain, reason, rlen) != 0) ||
	    ca_install_check(g->ca, g->ca_key, chain, g->chain, reason,
	    rlen) != 0 ||
	    ra_spec(cfg, o, raspec, sizeof(raspec), reason, rlen) != 0)
		goto out;
	rc = make_ids(cfg, raspec, o->ra_days, g, reason, rlen);
out:
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

int
rollover_install(const struct config *cfg, const struct rollover_opts *o,
    const char *certf, const char *chainf, char *reason, size_t rlen)
{
	struct ra	 cur;
	struct gen	 g = { 0 };
	char		 tmp[PATH_MAX + 64], keyf[PATH_MAX + 64], *dir = NULL;
	int64_t		 at = util_now() + (int64_t)o->switch_in_days * 86400;
	int		 rc = -1;

	if (ra_load(cfg, &cur, reason, rlen) != 0)
		return -1;
	if (check_create(cfg, &cur, o, at, reason, rlen) != 0 ||
	    gen_from_cert(cfg, &cur, o, certf, chainf, &g, reason, rlen) != 0)
		goto out;
	state_path(cfg, ".next.XXXXXX", NULL, tmp, sizeof(tmp));
	if ((dir = mkdtemp(tmp)) == NULL) {
		snprintf(reason, rlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	dir = strrchr(tmp, '/') + 1;
	if (save_gen(cfg, dir, &g, at, reason, rlen) != 0 ||
	    install_gen(cfg, dir, o->replace, reason, rlen) != 0)
		goto out;
	state_path(cfg, ROLL_NEXT_KEY, NULL, keyf, sizeof(keyf));
	unlink(keyf);
	rc = 0;
out:
	if (dir != NULL && rm_tree(tmp) != 0 && rc == 0)
		log_warnx("cannot remove %s: %s", tmp, strerror(errno));
	gen_free(&g);
	ra_free(&cur);
	return rc;
}

/*
 * Everything in next/ loads as a worker would load it: each key matches
 * its certificate, the RA certificates are the next CA's. A config copy
 * pointing at next/ lets ra_load do it.
 */
static int
check_next(const struct config *cfg, const struct ra *cur, char *reason,
    size_t rlen)
{
	struct config	*nc;
	struct ra	 next;
	int		 rc = -1;

	if ((nc = malloc(sizeof(*nc))) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	memcpy(nc, cfg, sizeof(*nc));
	if (state_path(cfg, ROLL_NEXT_DIR, NULL, nc->state_dir,
	    sizeof(nc->state_dir)) != 0)
		snprintf(reason, rlen, "%s/%s: path too long", cfg->state_dir,
		    ROLL_NEXT_DIR);
	else if (ra_load(nc, &next, reason, rlen) == 0) {
		if (X509_cmp(next.ca, cur->ca) == 0)
			snprintf(reason, rlen, "next/%s is the current CA",
			    RA_CA_CERT);
		else if (sk_X509_num(next.chain) == 0 &&
		    X509_verify(next.ca, X509_get0_pubkey(next.ca)) != 1)
			snprintf(reason, rlen, "next/%s is not self-signed "
			    "and has no %s", RA_CA_CERT, RA_CA_CHAIN);
		else
			rc = 0;
		ERR_clear_error();
		ra_free(&next);
	}
	free(nc);	/* a shallow copy: cfg owns what it points to */
	return rc;
}

/* Step 1: previous/<ts>/ gets the current files (hard links), whole. */
static int
save_current(const struct config *cfg, const char *ts, char *reason,
    size_t rlen)
{
	char	 dir[PATH_MAX + 64], tmp[PATH_MAX + 64];
	char	 prev[PATH_MAX + 64], priv[PATH_MAX + 64];
	char	 from[PATH_MAX + 64], to[PATH_MAX + 64];
	int	 i;

	if (state_path(cfg, RA_PREV_DIR, ts, dir, sizeof(dir)) != 0 ||
	    file_path(tmp, sizeof(tmp), "%s.tmp", dir) != 0 ||
	    file_path(priv, sizeof(priv), "%s/private", tmp) != 0 ||
	    state_path(cfg, RA_PREV_DIR, NULL, prev, sizeof(prev)) != 0)
		goto fail;
	if (access(dir, F_OK) == 0)
		return 0;
	if ((mkdir(prev, 0755) != 0 && errno != EEXIST) || rm_tree(tmp) != 0 ||
	    mkdir(tmp, 0755) != 0 || mkdir(priv, 0700) != 0)
		goto fail;
	for (i = 0; gen_files[i] != NULL; i++) {
		if (state_path(cfg, gen_files[i], NULL, from, sizeof(from)) !=
		    0 || file_path(to, sizeof(to), "%s/%s", tmp,
		    gen_files[i]) != 0)
			goto fail;
		if (link(from, to) != 0 && !(errno == ENOENT &&
		    optional_file(gen_files[i])))
			goto fail;
	}
	if (file_sync_dir(priv) != 0 || file_sync_dir(tmp) != 0 ||
	    rename(tmp, dir) != 0 || file_sync_dir(prev) != 0)
		goto fail;
	return 0;
fail:
	snprintf(reason, rlen, "cannot keep the current CA in %s/%s/%s: %s",
	    cfg->state_dir, RA_PREV_DIR, ts, strerror(errno));
	return -1;
}

/* Step 2: each next/ file replaces the current one (rename). */
/*
 * A next CA without ca-chain.crt (self-signed) must not inherit the
 * current one's: while next/ca.crt is still there (it moves last), a
 * chain missing from next/ was never in it.
 */
static int
stale_chain(const struct config *cfg, const char *f)
{
	char	 ca[PATH_MAX + 64];

	if (strcmp(f, RA_CA_CHAIN) != 0)
		return 0;
	state_path(cfg, ROLL_NEXT_DIR, RA_CA_CERT, ca, sizeof(ca));
	return access(ca, F_OK) == 0;
}

static int
move_one(const struct config *cfg, const char *f, char *reason, size_t rlen)
{
	char	 from[PATH_MAX + 64], to[PATH_MAX + 64];

	if (state_path(cfg, ROLL_NEXT_DIR, f, from, sizeof(from)) != 0 ||
	    state_path(cfg, f, NULL, to, sizeof(to)) != 0) {
		snprintf(reason, rlen, "%s/%s: path too long", cfg->state_dir,
		    f);
		return -1;
	}
	if (rename(from, to) == 0)
		return 0;
	if (errno != ENOENT) {
		snprintf(reason, rlen, "cannot rename %s to %s: %s", from, to,
		    strerror(errno));
		return -1;
	}
	/* Gone already: moved before an interruption; or never there. */
	if (stale_chain(cfg, f) && unlink(to) != 0 && errno != ENOENT) {
		snprintf(reason, rlen, "cannot remove %s: %s", to,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
move_next(const struct config *cfg, char *reason, size_t rlen)
{
	char	 to[PATH_MAX + 64];
	int	 i;

	for (i = 0; gen_files[i] != NULL; i++)
		if (move_one(cfg, gen_files[i], reason, rlen) != 0)
			return -1;
	if (state_path(cfg, "private", NULL, to, sizeof(to)) != 0 ||
	    file_sync_dir(to) != 0 || file_sync_dir(cfg->state_dir) != 0) {
		snprintf(reason, rlen, "cannot sync %s: %s", cfg->state_dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Step 3: next/ (switch date, marker) goes away in one rename. */
static int
drop_next(const struct config *cfg, const char *ts, char *reason,
    size_t rlen)
{
	char	 from[PATH_MAX + 64], to[PATH_MAX + 64];

	if (state_path(cfg, ROLL_NEXT_DIR, NULL, from, sizeof(from)) != 0 ||
	    file_path(to, sizeof(to), "%s/.switched.%s", cfg->state_dir,
	    ts) != 0 || rm_tree(to) != 0 || rename(from, to) != 0 ||
	    file_sync_dir(cfg->state_dir) != 0) {
		snprintf(reason, rlen, "cannot rename %s to %s: %s", from, to,
		    strerror(errno));
		return -1;
	}
	if (rm_tree(to) != 0)
		log_warnx("cannot remove %s: %s", to, strerror(errno));
	return 0;
}

/* next/ca-index follows the current key's: written when next/ was made
 * without one (an older release), refused when it does not follow, so
 * two keys never share a CRL name. */
static int
settle_next_index(const struct config *cfg, const struct ra *cur,
    char *reason, size_t rlen)
{
	char	 dir[PATH_MAX + 64], path[PATH_MAX + 64], text[16];
	int	 index;

	state_path(cfg, ROLL_NEXT_DIR, NULL, dir, sizeof(dir));
	state_path(cfg, ROLL_NEXT_DIR, RA_CA_INDEX, path, sizeof(path));
	if (access(path, F_OK) != 0) {
		snprintf(text, sizeof(text), "%d\n", cur->ca_index + 1);
		return write_small(path, text, reason, rlen);
	}
	if (ra_read_index(cfg, dir, &index, reason, rlen) != 0)
		return -1;
	if (index != cur->ca_index + 1) {
		snprintf(reason, rlen, "next/%s is %d but the current CA key "
		    "is %d: mscep-admin ca rollover --replace makes a new "
		    "next CA", RA_CA_INDEX, index, cur->ca_index);
		return -1;
	}
	return 0;
}

/* Before anything moves: next/ is sound and its date has come. */
static int
begin_switch(const struct config *cfg, int force, char *ts, size_t tslen,
    char *reason, size_t rlen)
{
	struct ra	 cur;
	char		 path[PATH_MAX + 64], when[64];
	int64_t		 at, now = util_now();
	time_t		 t;
	int		 rc;

	state_path(cfg, ROLL_NEXT_DIR, NULL, path, sizeof(path));
	if (access(path, F_OK) != 0) {
		snprintf(reason, rlen, "no next CA in %s (mscep-admin ca "
		    "rollover prepares one)", path);
		return -1;
	}
	if (rollover_switch_at(cfg, &at) != 0) {
		snprintf(reason, rlen, "cannot read next/%s", ROLL_SWITCH_AT);
		return -1;
	}
	if (!force && now < at) {
		t = (time_t)at;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
		    gmtime(&t));
		snprintf(reason, rlen, "the switch date is %s, in %" PRId64
		    " days; --now switches before it", when,
		    (at - now + 86399) / 86400);
		return -1;
	}
	if (ra_load(cfg, &cur, reason, rlen) != 0)
		return -1;
	rc = check_next(cfg, &cur, reason, rlen) == 0 &&
	    settle_next_index(cfg, &cur, reason, rlen) == 0 ? 0 : -1;
	ra_free(&cur);
	if (rc != 0)
		return -1;
	t = (time_t)now;
	strftime(ts, tslen, "%Y%m%dT%H%M%SZ", gmtime(&t));
	state_path(cfg, RA_PREV_DIR, ts, path, sizeof(path));
	if (access(path, F_OK) == 0) {
		snprintf(reason, rlen, "%s exists: one switch per second",
		    path);
		return -1;
	}
	snprintf(when, sizeof(when), "%s\n", ts);
	state_path(cfg, ROLL_NEXT_DIR, ROLL_SWITCHING, path, sizeof(path));
	if (write_small(path, when, reason, rlen) != 0)
		return -1;
	return 0;
}

/*
 * Crash behaviour: the marker next/switching is written first and names
 * previous/<ts>. Until next/ is gone, workers refuse to start and this
 * function, run again, carries on where it stopped: previous/<ts> is
 * made whole (from links, renamed into place) before any current file
 * is replaced, and files already moved out of next/ are skipped.
 */
int
rollover_switch(const struct config *cfg, int force, char *prev, size_t plen,
    char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64], ts[32];

	state_path(cfg, ROLL_NEXT_DIR, ROLL_SWITCHING, path, sizeof(path));
	if (read_small(path, ts, sizeof(ts)) != 0 &&
	    begin_switch(cfg, force, ts, sizeof(ts), reason, rlen) != 0)
		return -1;
	if (strlen(ts) != 16 || strchr(ts, '/') != NULL) {
		snprintf(reason, rlen, "%s: bad contents", path);
		return -1;
	}
	if (save_current(cfg, ts, reason, rlen) != 0 ||
	    move_next(cfg, reason, rlen) != 0 ||
	    drop_next(cfg, ts, reason, rlen) != 0)
		return -1;
	state_path(cfg, RA_PREV_DIR, ts, prev, plen);
	return 0;
}

/* The worker reads certificates only: next/private/ stays unread. */
static int
next_certs(const struct config *cfg, const struct ra *ra, X509 **c,
    char *reason, size_t rlen)
{
	char	 chain[PATH_MAX + 64];

	if (read_cert(cfg, ROLL_NEXT_DIR, RA_CA_CERT, &c[2], reason,
	    rlen) != 0 ||
	    read_cert(cfg, ROLL_NEXT_DIR, RA_SIGN_CERT, &c[0], reason,
	    rlen) != 0 ||
	    read_cert(cfg, ROLL_NEXT_DIR, RA_ENC_CERT, &c[1], reason,
	    rlen) != 0)
		return -1;
	if (EVP_PKEY_eq(X509_get0_pubkey(c[2]), X509_get0_pubkey(ra->ca)) ==
	    1 || X509_NAME_cmp(X509_get_subject_name(c[2]),
	    X509_get_subject_name(ra->ca)) != 0) {
		snprintf(reason, rlen, "next/%s must have the current CA's name"
		    " and a new key", RA_CA_CERT);
		return -1;
	}
	/* Under a root (next/ca-chain.crt), rollover_install checked the
	 * chain; otherwise the next CA is self-signed. */
	state_path(cfg, ROLL_NEXT_DIR, RA_CA_CHAIN, chain, sizeof(chain));
	if ((access(chain, F_OK) != 0 &&
	    X509_verify(c[2], X509_get0_pubkey(c[2])) != 1) ||
	    X509_verify(c[0], X509_get0_pubkey(c[2])) != 1 ||
	    X509_verify(c[1], X509_get0_pubkey(c[2])) != 1) {
		ERR_clear_error();
		snprintf(reason, rlen, "next/: the CA is not self-signed "
		    "(nor under a root) or the RA certificates are not its "
		    "own");
		return -1;
	}
	return 0;
}

int
rollover_next_certs(const struct config *cfg, const struct ra *ra,
    X509 *c[3], char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64];
	int	 i;

	c[0] = c[1] = c[2] = NULL;
	if (ra_switching(cfg, reason, rlen))
		return -1;
	state_path(cfg, ROLL_NEXT_DIR, NULL, path, sizeof(path));
	if (access(path, F_OK) != 0)
		return 0;
	if (next_certs(cfg, ra, c, reason, rlen) == 0)
		return 1;
	for (i = 0; i < 3; i++) {
		X509_free(c[i]);
		c[i] = NULL;
	}
	return -1;
}
