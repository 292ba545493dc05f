/* ca_init.c - first-run creation of the CA, RA certificates and keys. */
#include "ca/ca_init.h"
#include "util/cert.h"
#include "util/log.h"
#include "ca/keyops_pkcs11.h"
#include "ca/ocsp_signer.h"
#include "ca/ra.h"
#include "util/file.h"
#include "util/num.h"
#include "util/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

EVP_PKEY *
ca_keygen(const char *spec, char *reason, size_t rlen)
{
	EVP_PKEY	*pk = NULL;
	long long	 bits;

	/* 2048, 3072 or 4096 bits. */
	if (strncmp(spec, "rsa:", 4) == 0 && num_parse(spec + 4, 2048, 4096,
	    &bits, NULL) == 0 && bits % 1024 == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else if (!strcmp(spec, "ec:P-256") || !strcmp(spec, "ec:P-384"))
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", spec + 3);
	else {
		snprintf(reason, rlen, "key \"%s\": use rsa:2048, rsa:3072, "
		    "rsa:4096, ec:P-256 or ec:P-384", spec);
		return NULL;
	}
	if (pk == NULL)
		log_openssl_reason(reason, rlen, "key generation failed");
	return pk;
}

EVP_PKEY *
ca_keygen_in(const char *spec, const char *token, char *reason, size_t rlen)
{
	long long	 bits;

	if (token == NULL)
		return ca_keygen(spec, reason, rlen);
	if (strncmp(spec, "rsa:", 4) != 0 || num_parse(spec + 4, 2048, 4096,
	    &bits, NULL) != 0 || bits % 1024 != 0) {
		snprintf(reason, rlen, "key \"%s\": a key made in a token is "
		    "RSA: use rsa:2048, rsa:3072 or rsa:4096", spec);
		return NULL;
	}
	return keyop_pkcs11_generate(token, (int)bits, reason, rlen);
}

int
ca_save_key_ref(const struct config *cfg, const char *keyf, const char *uri,
    char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64], text[4096];
	int	 n;

	n = snprintf(text, sizeof(text), "%s\n", uri);
	if (n < 0 || (size_t)n >= sizeof(text) || strchr(uri, '\n') != NULL) {
		snprintf(reason, rlen, "the pkcs11: URI is too long");
		return -1;
	}
	if (config_state_path(cfg, keyf, path, sizeof(path)) != 0 ||
	    file_write(path, text, (size_t)n, 0600, FILE_NOREPLACE) != 0) {
		snprintf(reason, rlen, "cannot write %s/%s: %s",
		    cfg->state_dir, keyf, strerror(errno));
		return -1;
	}
	return 0;
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 rc;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	rc = X509_add_ext(x, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return rc;
}

/* A certificate for key named name, signed by issuer (NULL: self-signed). */
static X509 *
make_cert_name(const X509_NAME *name, EVP_PKEY *key, X509 *issuer, int days)
{
	X509		*x = X509_new();

	if (x == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 || cert_new_serial(x) ||
	    X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) :
	    name) != 1 || X509_set_pubkey(x, key) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) == NULL ||
	    (issuer != NULL && cert_clamp_validity(x, issuer) != 0) ||
	    add_ext(x, issuer, NID_subject_key_identifier, "hash") != 0 ||
	    (issuer != NULL && cert_add_aki(x, issuer) != 0)) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* CN=cn, O=mscep: how init names the CA and the RA. */
static X509_NAME *
mscep_name(const char *cn)
{
	X509_NAME	*name = X509_NAME_new();

	if (name == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"mscep", -1, -1, 0) != 1) {
		X509_NAME_free(name);
		return NULL;
	}
	return name;
}

static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, int days)
{
	X509_NAME	*name = mscep_name(cn);
	X509		*x = NULL;

	if (name != NULL)
		x = make_cert_name(name, key, issuer, days);
	X509_NAME_free(name);
	return x;
}

X509 *
ca_make_ca_cert(const X509_NAME *name, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *issuer_key, int days, char *reason, size_t rlen)
{
	X509		*x;
	const char	*ku;

	/* An RSA CA can also serve CA-direct mode, so it may decrypt. */
	ku = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ?
	    "critical,keyCertSign,cRLSign,digitalSignature,keyEncipherment" :
	    "critical,keyCertSign,cRLSign,digitalSignature";
	if ((x = make_cert_name(name, key, issuer, days)) == NULL ||
	    add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE") ||
	    add_ext(x, issuer, NID_key_usage, ku) ||
	    X509_sign(x, issuer ? issuer_key : key, EVP_sha256()) <= 0) {
		log_openssl_reason(reason, rlen, "cannot make CA certificate");
		X509_free(x);
		return NULL;
	}
	return x;
}

X509 *
ca_make_ra_cert(const X509_NAME *name, EVP_PKEY *key, X509 *ca,
    EVP_PKEY *cakey, const char *ku, int days, char *reason, size_t rlen)
{
	X509	*x;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		snprintf(reason, rlen, "RA keys must be RSA (SCEP clients "
		    "encrypt to them with RSA key transport)");
		return NULL;
	}
	/* §2.1.2: clients pick the RA certificate by keyUsage. The EKU is
	 * NDES's Certificate Request Agent (1.3.6.1.4.1.311.20.2.1). */
	if ((x = make_cert_name(name, key, ca, days)) == NULL ||
	    add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, ca, NID_key_usage, ku) ||
	    add_ext(x, ca, NID_ext_key_usage, "1.3.6.1.4.1.311.20.2.1") ||
	    X509_sign(x, cakey, EVP_sha256()) <= 0) {
		log_openssl_reason(reason, rlen, "cannot make RA certificate");
		X509_free(x);
		return NULL;
	}
	return x;
}

/* file in the state folder, which must not exist: a key (0600: only the
 * signing process may read it) or a certificate. */
static int
save_one(const struct config *cfg, const char *file, X509 *cert,
    EVP_PKEY *key, char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64];

	if (config_state_path(cfg, file, path, sizeof(path)) != 0 ||
	    ra_pem_write(path, &cert, cert != NULL ? 1 : 0, key,
	    FILE_NOREPLACE) != 0) {
		snprintf(reason, rlen, "cannot write %s/%s: %s",
		    cfg->state_dir, file, strerror(errno));
		return -1;
	}
	return 0;
}

int
ca_save_pair(const struct config *cfg, const char *certf, const char *keyf,
    X509 *cert, EVP_PKEY *key, char *reason, size_t rlen)
{
	if (save_one(cfg, keyf, NULL, key, reason, rlen) != 0 ||
	    save_one(cfg, certf, cert, NULL, reason, rlen) != 0)
		return -1;
	return 0;
}

int
ca_save_cert(const struct config *cfg, const char *certf, X509 *cert,
    char *reason, size_t rlen)
{
	return save_one(cfg, certf, cert, NULL, reason, rlen);
}

static int
make_dirs(const struct config *cfg, char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64];

	if (mkdir(cfg->state_dir, 0755) != 0 && errno != EEXIST) {
		snprintf(reason, rlen, "cannot create %s: %s", cfg->state_dir,
		    strerror(errno));
		return -1;
	}
	if (config_state_path(cfg, "private", path, sizeof(path)) != 0 ||
	    (mkdir(path, 0700) != 0 && errno != EEXIST)) {
		snprintf(reason, rlen, "cannot create %s/private: %s",
		    cfg->state_dir, strerror(errno));
		return -1;
	}
	if (config_state_path(cfg, RA_CA_CERT, path, sizeof(path)) != 0) {
		snprintf(reason, rlen, "%s: path too long", cfg->state_dir);
		return -1;
	}
	if (access(path, F_OK) == 0) {
		snprintf(reason, rlen, "%s exists: this state folder already "
		    "has a CA (remove the folder to start over)", path);
		return -1;
	}
	return 0;
}

/* Creates one RA identity signed by the CA. */
static int
make_ra(const struct config *cfg, const struct ca_init_opts *o, X509 *ca,
    EVP_PKEY *cakey, const char *ku, const char *certf, const char *keyf,
    char *reason, size_t rlen)
{
	X509_NAME	*name = mscep_name(o->ra_name);
	EVP_PKEY	*key = NULL;
	X509		*x = NULL;
	int		 rc = -1;

	if (name == NULL) {
		log_openssl_reason(reason, rlen, "bad RA name");
		goto out;
	}
	if ((key = ca_keygen(o->ra_key, reason, rlen)) == NULL ||
	    (x = ca_make_ra_cert(name, key, ca, cakey, ku, o->ra_days, reason,
	    rlen)) == NULL)
		goto out;
	rc = ca_save_pair(cfg, certf, keyf, x, key, reason, rlen);
out:
	X509_free(x);
	EVP_PKEY_free(key);
	X509_NAME_free(name);
	return rc;
}

int
ca_issue_identity(X509 *ca, EVP_PKEY *cakey, const char *cn,
    const char *keyspec, const char *ku, int days, X509 **cert,
    EVP_PKEY **key, char *reason, size_t rlen)
{
	*cert = NULL;
	if ((*key = ca_keygen(keyspec, reason, rlen)) == NULL)
		return -1;
	if ((*cert = make_cert(cn, *key, ca, days)) == NULL ||
	    add_ext(*cert, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(*cert, ca, NID_key_usage, ku) ||
	    X509_sign(*cert, cakey, EVP_sha256()) <= 0) {
		log_openssl_reason(reason, rlen, "cannot make certificate");
		X509_free(*cert);
		EVP_PKEY_free(*key);
		*cert = NULL;
		*key = NULL;
		return -1;
	}
	return 0;
}

int
ca_issue_ocsp(X509 *ca, EVP_PKEY *cakey, const char *keyspec, int days,
    X509 **cert, EVP_PKEY **key, char *reason, size_t rlen)
{
	char	 cn[256] = "mscep", name[300];

	*cert = NULL;
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(ca),
	    NID_commonName, cn, sizeof(cn)) < 0)
		util_strlcpy(cn, "mscep", sizeof(cn));
	snprintf(name, sizeof(name), "%s OCSP Responder", cn);
	if ((*key = ca_keygen(keyspec, reason, rlen)) == NULL)
		return -1;
	/* §4.2.2.2: the CA designates the responder with id-kp-OCSPSigning;
	 * id-pkix-ocsp-nocheck (§4.2.2.2.1) tells clients not to ask about
	 * the responder's own status, which is why it should be short-lived.
	 * A responder outliving its CA would sign answers nobody can
	 * verify. */
	if (X509_cmp_time(X509_get0_notAfter(ca), NULL) <= 0 ||
	    X509_cmp_time(X509_get0_notBefore(ca), NULL) > 0) {
		snprintf(reason, rlen, "the CA certificate is expired or not "
		    "yet valid: no responder certificate is issued from it");
		EVP_PKEY_free(*key);
		*key = NULL;
		return -1;
	}
	if ((*cert = make_cert(name, *key, ca, days)) == NULL ||
	    add_ext(*cert, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(*cert, ca, NID_key_usage, "critical,digitalSignature") ||
	    add_ext(*cert, ca, NID_ext_key_usage, "OCSPSigning") ||
	    add_ext(*cert, ca, NID_id_pkix_OCSP_noCheck, "ignored") ||
	    X509_sign(*cert, cakey, EVP_sha256()) <= 0) {
		log_openssl_reason(reason, rlen,
		    "cannot make the OCSP responder "
		    "certificate");
		X509_free(*cert);
		EVP_PKEY_free(*key);
		*cert = NULL;
		*key = NULL;
		return -1;
	}
	return 0;
}

int
ca_replace_pair(const struct config *cfg, const char *certf, const char *keyf,
    X509 *cert, EVP_PKEY *key, char *reason, size_t rlen)
{
	struct file_stage	 k = { .staged = 0 }, c = { .staged = 0 };
	char			 kpath[PATH_MAX + 64], cpath[PATH_MAX + 64];
	int			 rc = -1;

	if (config_state_path(cfg, keyf, kpath, sizeof(kpath)) != 0 ||
	    config_state_path(cfg, certf, cpath, sizeof(cpath)) != 0) {
		snprintf(reason, rlen, "state folder path too long");
		return -1;
	}
	/* Both complete before either replaces the old one; a worker
	 * starting between the two renames finds a mismatch and says so. */
	if (ra_pem_stage(&k, kpath, NULL, 0, key) != 0) {
		snprintf(reason, rlen, "cannot write %s: %s", kpath,
		    strerror(errno));
		goto out;
	}
	if (ra_pem_stage(&c, cpath, &cert, 1, NULL) != 0) {
		snprintf(reason, rlen, "cannot write %s: %s", cpath,
		    strerror(errno));
		goto out;
	}
	if (file_commit(&k, 0) != 0 || file_commit(&c, 0) != 0) {
		snprintf(reason, rlen, "cannot rename into %s: %s", cpath,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	file_discard(&c);
	file_discard(&k);
	return rc;
}

static int
make_ocsp(const struct config *cfg, const struct ca_init_opts *o, X509 *ca,
    EVP_PKEY *cakey, char *reason, size_t rlen)
{
	EVP_PKEY	*key = NULL;
	X509		*x = NULL;
	int		 rc;

	/* A key like the RA's; mscep-admin ocsp-cert --key picks another. */
	if (ca_issue_ocsp(ca, cakey, o->ra_key, OCSP_RESPONDER_DAYS, &x, &key,
	    reason, rlen) != 0)
		return -1;
	rc = ca_save_pair(cfg, OCSP_RESPONDER_CERT, OCSP_RESPONDER_KEY, x, key,
	    reason, rlen);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

int
ca_init_identities(const struct config *cfg, const struct ca_init_opts *o,
    X509 *ca, EVP_PKEY *cakey, char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64];

	if (config_state_path(cfg, RA_SIGN_CERT, path, sizeof(path)) != 0 ||
	    (access(path, F_OK) != 0 && make_ra(cfg, o, ca, cakey, RA_SIGN_KU,
	    RA_SIGN_CERT, RA_SIGN_KEY, reason, rlen) != 0))
		return -1;
	if (config_state_path(cfg, RA_ENC_CERT, path, sizeof(path)) != 0 ||
	    (access(path, F_OK) != 0 && make_ra(cfg, o, ca, cakey, RA_ENC_KU,
	    RA_ENC_CERT, RA_ENC_KEY, reason, rlen) != 0))
		return -1;
	if (config_state_path(cfg, OCSP_RESPONDER_CERT, path,
	    sizeof(path)) != 0 || (access(path, F_OK) != 0 &&
	    make_ocsp(cfg, o, ca, cakey, reason, rlen) != 0))
		return -1;
	return 0;
}

int
ca_init_dirs(const struct config *cfg, char *reason, size_t rlen)
{
	return make_dirs(cfg, reason, rlen);
}

static X509_REQ *
make_csr(const X509_NAME *name, EVP_PKEY *key)
{
	X509_REQ	*req = X509_REQ_new();

	if (req == NULL || X509_REQ_set_version(req, 0) != 1 ||
	    X509_REQ_set_subject_name(req, name) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		X509_REQ_free(req);
		return NULL;
	}
	return req;
}

int
ca_write_csr(const char *out, X509_REQ *req)
{
	BIO	*mem;
	char	*data;
	long	 len;
	int	 rc = -1;

	if ((mem = BIO_new(BIO_s_mem())) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (PEM_write_bio_X509_REQ(mem, req) != 1 ||
	    (len = BIO_get_mem_data(mem, &data)) < 0) {
		ERR_clear_error();
		errno = ENOMEM;
	} else
		rc = file_write(out, data, (size_t)len, 0644, 0);
	BIO_free(mem);
	return rc;
}

int
ca_init_csr(const struct config *cfg, const struct ca_init_opts *o,
    const char *out, char *reason, size_t rlen)
{
	X509_NAME	*name = mscep_name(o->ca_name);
	EVP_PKEY	*key = NULL;
	X509_REQ	*req = NULL;
	char		 path[PATH_MAX + 64];
	int		 rc = -1;

	if (name == NULL) {
		log_openssl_reason(reason, rlen, "bad CA name");
		goto out;
	}
	if (make_dirs(cfg, reason, rlen) != 0)
		goto out;
	if (config_state_path(cfg, RA_CA_KEY, path, sizeof(path)) != 0 ||
	    access(path, F_OK) == 0) {
		snprintf(reason, rlen, "%s exists: a key from an earlier "
		    "init --csr (remove it to start over)", path);
		goto out;
	}
	if ((key = ca_keygen(o->ca_key, reason, rlen)) == NULL)
		goto out;
	if ((req = make_csr(name, key)) == NULL) {
		log_openssl_reason(reason, rlen, "cannot make the CA's request");
		goto out;
	}
	if (ca_write_csr(out, req) != 0) {
		snprintf(reason, rlen, "cannot write %s: %s", out,
		    strerror(errno));
		goto out;
	}
	/* The request first: a key is never left without one. */
	if (ra_pem_write(path, NULL, 0, key, FILE_NOREPLACE) != 0) {
		snprintf(reason, rlen, "cannot write %s: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	X509_NAME_free(name);
	return rc;
}

int
ca_init(const struct config *cfg, const struct ca_init_opts *o, char *reason,
    size_t rlen)
{
	X509_NAME	*name = mscep_name(o->ca_name);
	EVP_PKEY	*key = NULL;
	X509		*ca = NULL;
	int		 rc = -1;

	if (name == NULL) {
		log_openssl_reason(reason, rlen, "bad CA name");
		goto out;
	}
	if (make_dirs(cfg, reason, rlen) != 0 ||
	    (key = ca_keygen_in(o->ca_key, o->ca_token, reason,
	    rlen)) == NULL ||
	    (ca = ca_make_ca_cert(name, key, NULL, NULL, o->ca_days, reason,
	    rlen)) == NULL)
		goto out;
	if (ca_init_identities(cfg, o, ca, key, reason, rlen) != 0)
		goto out;
	/* The CA certificate last: its presence means "initialised". */
	if (o->ca_token != NULL)
		rc = ca_save_key_ref(cfg, RA_CA_KEY, o->ca_token, reason,
		    rlen) != 0 ? -1 : ca_save_cert(cfg, RA_CA_CERT, ca, reason,
		    rlen);
	else
		rc = ca_save_pair(cfg, RA_CA_CERT, RA_CA_KEY, ca, key, reason,
		    rlen);
out:
	X509_free(ca);
	EVP_PKEY_free(key);
	X509_NAME_free(name);
	return rc;
}
