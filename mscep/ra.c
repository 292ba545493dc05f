/* ra.c - load the CA and RA certificates and keys from the state folder. */
#include "ra.h"
#include "util.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/sha.h>

int
pem_read_cert(const char *path, X509 **out)
{
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	*out = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return *out == NULL ? -1 : 0;
}

int
pem_read_key(const char *path, EVP_PKEY **out)
{
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	*out = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return *out == NULL ? -1 : 0;
}

static int
load_pair(const struct config *cfg, const char *certf, const char *keyf,
    X509 **cert, EVP_PKEY **key, char *reason, size_t rlen)
{
	char	 path[PATH_MAX + 64];

	if (config_state_path(cfg, certf, path, sizeof(path)) != 0 ||
	    pem_read_cert(path, cert) != 0) {
		openssl_reason(reason, rlen, "cannot read certificate");
		snprintf(reason, rlen, "cannot read certificate %s (run "
		    "mscep-admin init?)", path);
		return -1;
	}
	if (config_state_path(cfg, keyf, path, sizeof(path)) != 0 ||
	    pem_read_key(path, key) != 0) {
		openssl_reason(reason, rlen, "cannot read key");
		snprintf(reason, rlen, "cannot read private key %s (missing, "
		    "or not readable by this user)", path);
		return -1;
	}
	if (X509_check_private_key(*cert, *key) != 1) {
		openssl_reason(reason, rlen, "key mismatch");
		snprintf(reason, rlen, "%s does not match %s", keyf, certf);
		return -1;
	}
	return 0;
}

static int
ca_key_id(struct ra *ra)
{
	unsigned char	 md[SHA_DIGEST_LENGTH];
	unsigned int	 len = sizeof(md);

	if (X509_pubkey_digest(ra->ca, EVP_sha1(), md, &len) != 1 ||
	    len != sizeof(md))
		return -1;
	hex_encode(md, len, ra->ca_key_id);
	return 0;
}

int
ra_load(const struct config *cfg, struct ra *ra, char *reason, size_t rlen)
{
	memset(ra, 0, sizeof(*ra));
	ra->direct = cfg->ca_direct;
	if (load_pair(cfg, RA_CA_CERT, RA_CA_KEY, &ra->ca, &ra->ca_key,
	    reason, rlen) != 0 || ca_key_id(ra) != 0)
		goto fail;
	if (ra->direct) {
		if (EVP_PKEY_get_base_id(ra->ca_key) != EVP_PKEY_RSA) {
			snprintf(reason, rlen, "CADirect=1 needs an RSA CA key:"
			    " SCEP clients encrypt to it with key transport");
			goto fail;
		}
		ra->sign_cert = ra->enc_cert = ra->ca;
		ra->sign_key = ra->enc_key = ra->ca_key;
		return 0;
	}
	if (load_pair(cfg, RA_SIGN_CERT, RA_SIGN_KEY, &ra->sign_cert,
	    &ra->sign_key, reason, rlen) != 0 ||
	    load_pair(cfg, RA_ENC_CERT, RA_ENC_KEY, &ra->enc_cert,
	    &ra->enc_key, reason, rlen) != 0)
		goto fail;
	return 0;
fail:
	ra_free(ra);
	return -1;
}

void
ra_free(struct ra *ra)
{
	if (ra == NULL)
		return;
	if (!ra->direct) {
		X509_free(ra->sign_cert);
		EVP_PKEY_free(ra->sign_key);
		X509_free(ra->enc_cert);
		EVP_PKEY_free(ra->enc_key);
	}
	X509_free(ra->ca);
	EVP_PKEY_free(ra->ca_key);
	memset(ra, 0, sizeof(*ra));
}
