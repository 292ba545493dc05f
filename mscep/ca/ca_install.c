/* ca_install.c - an issuing CA under an organisation's root. */
#include "ca/ca_install.h"
#include "ca/keyops_pkcs11.h"
#include "ca/ra.h"
#include "util/file.h"
#include "util/log.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static int
self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

static int
check_ca(X509 *cert, EVP_PKEY *key, char *reason, size_t rlen)
{
	uint32_t	 flags = X509_get_extension_flags(cert);

	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		snprintf(reason, rlen, "the certificate is not for the CA key "
		    "(its public key differs)");
		return -1;
	}
	if ((flags & EXFLAG_CA) == 0) {
		snprintf(reason, rlen, "the certificate is not a CA "
		    "certificate (basicConstraints CA:TRUE missing)");
		return -1;
	}
	if ((flags & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) == 0) {
		snprintf(reason, rlen, "the certificate's keyUsage lacks "
		    "keyCertSign: it may not issue certificates");
		return -1;
	}
	return 0;
}

/* Self-signed certificates of chain are trusted, the others are the
 * path; out gets the CAs above cert in order, the root last. */
static int
check_chain(X509 *cert, STACK_OF(X509) *chain, STACK_OF(X509) *out,
    char *reason, size_t rlen)
{
	X509_STORE	*store = X509_STORE_new();
	X509_STORE_CTX	*ctx = X509_STORE_CTX_new();
	STACK_OF(X509)	*untrusted = sk_X509_new_null(), *path;
	int		 i, n = 0, rc = -1;

	if (store == NULL || ctx == NULL || untrusted == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);
		if (self_signed(x) ? (n++, X509_STORE_add_cert(store, x) != 1) :
		    sk_X509_push(untrusted, x) <= 0)
			goto out;
	}
	if (self_signed(cert) && X509_STORE_add_cert(store, cert) == 1)
		n++;
	if (n == 0) {
		snprintf(reason, rlen, "the certificate is not self-signed and "
		    "the chain holds no root: give the root (and CAs between) "
		    "with --chain");
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, store, cert, untrusted) != 1)
		goto out;
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) != 1) {
		snprintf(reason, rlen, "the certificate does not chain to the "
		    "given root: %s", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	path = X509_STORE_CTX_get0_chain(ctx);
	for (i = 1; i < sk_X509_num(path); i++) {
		X509 *x = sk_X509_value(path, i);
		if (!X509_up_ref(x))
			goto out;
		if (sk_X509_push(out, x) <= 0) {
			X509_free(x);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc != 0 && reason[0] == '\0')
		log_openssl_reason(reason, rlen, "cannot check the chain");
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

int
ca_install_write_chain(const struct config *cfg, const char *rel,
    STACK_OF(X509) *path, char *reason, size_t rlen)
{
	char	 file[PATH_MAX + 64];
	X509	**certs;
	int	 i, n = sk_X509_num(path), rc = -1;

	if (n <= 0)
		return 0;
	if ((certs = calloc((size_t)n, sizeof(*certs))) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		certs[i] = sk_X509_value(path, i);
	if (config_state_path(cfg, rel, file, sizeof(file)) != 0 ||
	    ra_pem_write(file, certs, n, NULL, 0) != 0)
		snprintf(reason, rlen, "cannot write %s: %s", file,
		    strerror(errno));
	else
		rc = 0;
	free(certs);
	return rc;
}

static int
read_inputs(const struct config *cfg, const struct ca_install_files *in,
    X509 **cert, EVP_PKEY **key, STACK_OF(X509) *chain, char *reason,
    size_t rlen)
{
	char	 path[PATH_MAX + 64];

	if (ra_read_cert(in->cert, cert) != 0) {
		snprintf(reason, rlen, "cannot read a PEM certificate from %s",
		    in->cert);
		return -1;
	}
	if (in->key == NULL &&
	    config_state_path(cfg, RA_CA_KEY, path, sizeof(path)) != 0)
		return -1;
	/* A key file, or a key in a token (keyop_load_ref). */
	if ((*key = keyop_load_ref(in->key ? in->key : path, reason,
	    rlen)) == NULL) {
		if (in->key == NULL)
			snprintf(reason, rlen, "cannot read the CA key %s (run "
			    "mscep-admin init --csr first, or ca import)",
			    path);
		return -1;
	}
	return in->chain == NULL ? 0 :
	    ra_read_certs(in->chain, 0, chain, reason, rlen);
}

static int
check_time(X509 *cert, char *reason, size_t rlen)
{
	if (X509_cmp_time(X509_get0_notAfter(cert), NULL) <= 0) {
		snprintf(reason, rlen, "the certificate has expired");
		return -1;
	}
	if (X509_cmp_time(X509_get0_notBefore(cert), NULL) > 0) {
		snprintf(reason, rlen, "the certificate is not yet valid");
		return -1;
	}
	return 0;
}

int
ca_install_check(X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain,
    STACK_OF(X509) *above, char *reason, size_t rlen)
{
	reason[0] = '\0';
	return check_ca(cert, key, reason, rlen) != 0 ||
	    check_time(cert, reason, rlen) != 0 ||
	    check_chain(cert, chain, above, reason, rlen) != 0 ? -1 : 0;
}

int
ca_install(const struct config *cfg, const struct ca_init_opts *o,
    const struct ca_install_files *in, char *reason, size_t rlen)
{
	X509		*cert = NULL;
	EVP_PKEY	*key = NULL;
	STACK_OF(X509)	*chain = sk_X509_new_null(), *path = sk_X509_new_null();
	int		 rc = -1;

	reason[0] = '\0';
	if (chain == NULL || path == NULL ||
	    ca_init_dirs(cfg, reason, rlen) != 0 ||
	    read_inputs(cfg, in, &cert, &key, chain, reason, rlen) != 0 ||
	    ca_install_check(cert, key, chain, path, reason, rlen) != 0)
		goto out;
	if (ca_init_identities(cfg, o, cert, key, reason, rlen) != 0 ||
	    ca_install_write_chain(cfg, RA_CA_CHAIN, path, reason,
	    rlen) != 0)
		goto out;
	/* The CA certificate last: its presence means "initialised". */
	if (keyop_pkcs11_is_uri(in->key))
		rc = ca_save_key_ref(cfg, RA_CA_KEY, in->key, reason,
		    rlen) != 0 ? -1 : ca_save_cert(cfg, RA_CA_CERT, cert,
		    reason, rlen);
	else
		rc = in->key != NULL ? ca_save_pair(cfg, RA_CA_CERT, RA_CA_KEY,
		    cert, key, reason, rlen) : ca_save_cert(cfg, RA_CA_CERT,
		    cert, reason, rlen);
out:
	sk_X509_pop_free(path, X509_free);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}
