/* tlscert.c - CSR for the server's own key, a built-in "TLSServer"
 * template (EKU serverAuth, SAN DNS/IP), issue, record, write. */
#include "ca/tlscert.h"
#include "ca/ca_init.h"
#include "ca/issue.h"
#include "util/log.h"
#include "ca/ra.h"
#include "store/store.h"
#include "util/cert.h"
#include "util/file.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509v3.h>

static X509_EXTENSION *
ext(int nid, const char *value)
{
	return X509V3_EXT_conf_nid(NULL, NULL, nid, value);
}

/* A DNS name (RFC 1123 labels, "*." first label allowed). */
static int
dns_name_ok(const char *s)
{
	size_t	 label = 0, n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0 || s[-1] == '-')
				return 0;
			label = 0;
		} else if ((isalnum((unsigned char)*s) ||
		    (*s == '-' && label > 0)) && ++label <= 63)
			continue;
		else
			return 0;
	}
	return label > 0;
}

/* "DNS:a,DNS:b,IP:127.0.0.1" for the names given. */
static int
san_list(const struct tlscert_opts *o, char *out, size_t size)
{
	size_t	 n = 0;
	int	 i, ip;
	unsigned char	 addr[16];

	for (i = 0; i < o->nnames; i++) {
		ip = inet_pton(AF_INET, o->names[i], addr) == 1 ||
		    inet_pton(AF_INET6, o->names[i], addr) == 1;
		if (!ip && !dns_name_ok(o->names[i]))
			return -1;
		n += (size_t)snprintf(out + n, size - n, "%s%s:%s",
		    i ? "," : "", ip ? "IP" : "DNS", o->names[i]);
		if (n >= size)
			return -1;
	}
	return 0;
}

static X509_REQ *
make_csr(const struct tlscert_opts *o, EVP_PKEY *key)
{
	X509_REQ			*req = X509_REQ_new();
	STACK_OF(X509_EXTENSION)	*exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION			*san = NULL;
	char				 sans[4096];
	int				 ok = 0;

	if (req == NULL || exts == NULL || san_list(o, sans, sizeof(sans)) ||
	    (san = ext(NID_subject_alt_name, sans)) == NULL ||
	    !sk_X509_EXTENSION_push(exts, san))
		goto out;
	san = NULL;
	ok = X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
	    MBSTRING_UTF8, (const unsigned char *)o->names[0], -1, -1, 0) &&
	    X509_REQ_set_pubkey(req, key) && X509_REQ_add_extensions(req, exts)
	    && X509_REQ_sign(req, key, EVP_sha256()) > 0;
out:
	X509_EXTENSION_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (!ok) {
		X509_REQ_free(req);
		req = NULL;
	}
	return req;
}

static int
record(const struct config *cfg, const char *ca_key, X509 *x, X509_REQ *req,
    char *serial, size_t slen, char *reason, size_t rlen)
{
	struct store_claim	 none = { .kind = CLAIM_NONE };
	struct store_cert	 sc = { 0 };
	struct store		*st = NULL;
	unsigned char		*der = NULL;
	char			*subject = NULL, *sans = NULL;
	char			 key_id[41], txid[96];
	int			 len, rc = -1;

	if (cert_serial_hex(X509_get0_serialNumber(x), serial, slen) != 0 ||
	    cert_key_id_hex(X509_REQ_get_X509_PUBKEY(req), key_id) != 0 ||
	    (len = i2d_X509(x, &der)) <= 0) {
		log_openssl_reason(reason, rlen,
		    "cannot encode the certificate");
		goto out;
	}
	if (issue_describe(x, &subject, &sans) != 0) {
		snprintf(reason, rlen, "out of memory");
		goto out;
	}
	snprintf(txid, sizeof(txid), "mscep-admin tls-cert %s", serial);
	sc = (struct store_cert){ .serial = serial, .subject = subject,
	    .sans = sans, .template_name = "TLSServer", .txid = txid,
	    .key_id = key_id, .ca_key = ca_key,
	    .not_before = cert_time_epoch(X509_get0_notBefore(x)),
	    .not_after = cert_time_epoch(X509_get0_notAfter(x)), .der = der,
	    .der_len = (size_t)len };
	if (store_open_config(cfg, &st, reason, rlen) != 0)
		goto out;
	if (store_issue(st, &sc, &none) != STORE_OK)
		snprintf(reason, rlen, "cannot record the certificate: %s",
		    store_errmsg(st));
	else
		rc = 0;
out:
	store_close(st);
	free(subject);
	free(sans);
	OPENSSL_free(der);
	return rc;
}

/* Both files complete before either replaces the old pair: a web server
 * never finds a key that does not match its certificate. */
static int
write_pair(const char *dir, X509 *leaf, X509 *ca, EVP_PKEY *key)
{
	struct file_stage	 k = { .staged = 0 }, c = { .staged = 0 };
	X509			*chain[2] = { leaf, ca };
	char			 kpath[PATH_MAX], cpath[PATH_MAX];
	int			 rc = -1;

	if (file_path(kpath, sizeof(kpath), "%s/server.key", dir) != 0 ||
	    file_path(cpath, sizeof(cpath), "%s/server.crt", dir) != 0 ||
	    ra_pem_stage(&k, kpath, NULL, 0, key) != 0 ||
	    ra_pem_stage(&c, cpath, chain, 2, NULL) != 0 ||
	    file_commit(&k, 0) != 0 || file_commit(&c, 0) != 0)
		goto out;
	rc = 0;
out:
	file_discard(&c);
	file_discard(&k);
	return rc;
}

static struct template
tls_template(const struct tlscert_opts *o, EVP_PKEY *key)
{
	struct template	 t = { .name = "TLSServer", .validity_days = o->days,
			    .max_validity_days = o->days,
			    .subject_from_request = 1,
			    .san_types = SAN_DNS | SAN_IP, .min_rsa_bits = 2048,
			    .key_types = KEYTYPE_RSA | KEYTYPE_EC };

	t.ku = ext(NID_key_usage, EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ?
	    "critical,digitalSignature,keyEncipherment" :
	    "critical,digitalSignature");
	t.eku = ext(NID_ext_key_usage, "serverAuth");
	return t;
}

int
tlscert_issue(const struct config *cfg, const struct tlscert_opts *o,
    char *serial, size_t slen, char *reason, size_t rlen)
{
	struct ra	 ra = { 0 };
	struct template	 t = { .ku = NULL };
	EVP_PKEY	*key = NULL;
	X509_REQ	*req = NULL;
	X509		*x = NULL;
	int		 rc = -1;

	if (ra_load(cfg, &ra, reason, rlen) != 0 ||
	    (key = ca_keygen(o->key, reason, rlen)) == NULL)
		goto out;
	t = tls_template(o, key);
	if ((req = make_csr(o, key)) == NULL || t.ku == NULL || t.eku == NULL) {
		log_openssl_reason(reason, rlen, "cannot build the request (is "
		    "every --name a DNS name or IP address?)");
		goto out;
	}
	if (issue_check(&t, req, reason, rlen) != FAIL_NONE ||
	    issue_sign(cfg, &t, &ra, req, &x, reason, rlen) != 0 ||
	    record(cfg, ra.ca_key_id, x, req, serial, slen, reason, rlen) != 0)
		goto out;
	if (mkdir(o->outdir, 0755) != 0 && errno != EEXIST) {
		snprintf(reason, rlen, "%s: %s", o->outdir, strerror(errno));
		goto out;
	}
	if (write_pair(o->outdir, x, ra.ca, key) != 0) {
		snprintf(reason, rlen, "cannot write %s/server.{crt,key}: %s",
		    o->outdir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	X509_EXTENSION_free(t.ku);
	X509_EXTENSION_free(t.eku);
	X509_free(x);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	ra_free(&ra);
	return rc;
}
