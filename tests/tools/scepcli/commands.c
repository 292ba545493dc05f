/* commands.c - caps, cacert, enroll and getcrl. */
#include "commands.h"
#include "cacert.h"
#include "common.h"
#include "exchange.h"
#include "load.h"
#include "options.h"
#include "outcome.h"
#include "request.h"
#include "transport.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

int cmd_caps(void)
{
	struct conn c = { .fd = -1 };
	struct http_resp r = { 0 };
	char *target = make_target("operation=GetCACaps");
	int rc = 1;

	if (target == NULL ||
	    http_exchange(&c, "GET", target, NULL, 0, NULL, &r) != 0) {
		fprintf(stderr, "scepcli: GetCACaps: %s\n", c.err);
		goto out;
	}
	if (r.status != 200) {
		fprintf(stderr, "scepcli: GetCACaps: HTTP %d\n", r.status);
		goto out;
	}
	if (r.body.len > 0)
		fwrite(r.body.p, 1, r.body.len, stdout);
	if (r.body.len > 0 && r.body.p[r.body.len - 1] != '\n')
		putchar('\n');
	rc = 0;
out:
	conn_close(&c);
	free(target);
	buf_free(&r.body);
	return rc;
}

static void ku_text(X509 *x, char *out, size_t outsz)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ KU_DIGITAL_SIGNATURE, "digitalSignature" },
		{ KU_NON_REPUDIATION, "nonRepudiation" },
		{ KU_KEY_ENCIPHERMENT, "keyEncipherment" },
		{ KU_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ KU_KEY_AGREEMENT, "keyAgreement" },
		{ KU_KEY_CERT_SIGN, "keyCertSign" },
		{ KU_CRL_SIGN, "cRLSign" },
		{ KU_ENCIPHER_ONLY, "encipherOnly" },
		{ KU_DECIPHER_ONLY, "decipherOnly" },
	};
	uint32_t ku = X509_get_key_usage(x);

	out[0] = 0;
	if (ku == UINT32_MAX) {
		snprintf(out, outsz, "(absent)");
		return;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (ku & names[i].bit) {
			if (out[0])
				strncat(out, ",", outsz - strlen(out) - 1);
			strncat(out, names[i].name, outsz - strlen(out) - 1);
		}
	if (out[0] == 0)
		snprintf(out, outsz, "(empty)");
}

static void print_cert_line(X509 *x, const struct ca_info *ca)
{
	BIO *b = BIO_new(BIO_s_mem());
	char ku[256], *name = NULL;
	const char *role;

	if (b == NULL ||
	    X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) < 0 ||
	    BIO_write(b, "", 1) != 1) {
		ossl_fail("cannot print subject");
		goto out;
	}
	if (BIO_get_mem_data(b, &name) <= 0)
		goto out;
	ku_text(x, ku, sizeof ku);
	role = is_ca(x) ? "CA" : "RA";
	printf("subject=%s keyUsage=%s role=%s%s\n", name, ku, role,
	       x == ca->recipient ? " (encryption recipient)" : "");
out:
	BIO_free(b);
}

int cmd_cacert(void)
{
	struct ca_info ca = { 0 };
	int rc = 1;

	if (!fetch_ca(&ca))
		goto out;
	for (int i = 0; i < sk_X509_num(ca.certs); i++)
		print_cert_line(sk_X509_value(ca.certs, i), &ca);
	rc = 0;
out:
	ca_free(&ca);
	return rc;
}

static int load_challenges(struct ctx *cx)
{
	FILE *f = fopen(opt.password_file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ok = 0;

	if (f == NULL || (cx->challenges = calloc((size_t)opt.n, sizeof(char *))) == NULL) {
		fprintf(stderr, "scepcli: %s: %s\n", opt.password_file, strerror(errno));
		goto out;
	}
	while (cx->nchallenges < (size_t)opt.n && (len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if ((cx->challenges[cx->nchallenges] = strdup(line)) == NULL)
			goto out;
		cx->nchallenges++;
	}
	if (cx->nchallenges < (size_t)opt.n) {
		fprintf(stderr, "scepcli: %s has %zu lines, -n needs %ld\n",
			opt.password_file, cx->nchallenges, opt.n);
		goto out;
	}
	ok = 1;
out:
	free(line);
	if (f != NULL)
		fclose(f);
	return ok;
}

/* --keys FILE: PEM private keys, made beforehand (RSA key generation takes
 * longer than an enrollment; a benchmark reuses its keys across servers). */
static int load_keys(struct ctx *cx)
{
	FILE *f = fopen(opt.key_file, "r");
	EVP_PKEY *k;
	int ok = 0;

	if (f == NULL || (cx->keys = calloc((size_t)opt.n, sizeof *cx->keys)) == NULL) {
		fprintf(stderr, "scepcli: %s: %s\n", opt.key_file, strerror(errno));
		goto out;
	}
	while (cx->nkeys < (size_t)opt.n &&
	       (k = PEM_read_PrivateKey(f, NULL, NULL, NULL)) != NULL)
		cx->keys[cx->nkeys++] = k;
	ERR_clear_error();      /* the read past the last key */
	if (cx->nkeys < (size_t)opt.n) {
		fprintf(stderr, "scepcli: %s has %zu keys, -n needs %ld\n",
			opt.key_file, cx->nkeys, opt.n);
		goto out;
	}
	ok = 1;
out:
	if (f != NULL)
		fclose(f);
	return ok;
}

int cmd_enroll(X509 *old_cert, EVP_PKEY *old_key)
{
	struct ctx cx = { .old_cert = old_cert, .old_key = old_key };
	int rc = 2;

	cx.md = EVP_get_digestbyname(opt.digest);
	cx.cipher = strcmp(opt.cipher, "des3") == 0 ? EVP_des_ede3_cbc() :
		    strcmp(opt.cipher, "aes256") == 0 ? EVP_aes_256_cbc() :
		    EVP_aes_128_cbc();
	if (cx.md == NULL || cx.cipher == NULL) {
		ossl_fail("digest or cipher unavailable");
		goto out;
	}
	if (opt.password_file != NULL && !load_challenges(&cx))
		goto out;
	if (opt.key_file != NULL && !load_keys(&cx))
		goto out;
	/* Created once here so that parallel workers need not race for it. */
	if (opt.outdir != NULL && mkdir(opt.outdir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "scepcli: %s: %s\n", opt.outdir, strerror(errno));
		goto out;
	}
	if (!fetch_ca(&cx.ca))
		goto out;
	rc = run_workers(&cx);
out:
	ctx_free(&cx);
	return rc;
}

/* GetCRL for --cert's issuer, signed with --cert/--key. */
int cmd_getcrl(X509 *old_cert, EVP_PKEY *old_key)
{
	struct ctx cx = { .old_cert = old_cert, .old_key = old_key };
	struct request rq = { 0 };
	struct conn c = { .fd = -1 };
	struct outcome o;
	double t0 = now_s();
	int rc = 2;

	cx.md = EVP_get_digestbyname(opt.digest);
	cx.cipher = EVP_aes_128_cbc();
	if (cx.md == NULL || !fetch_ca(&cx.ca) || !prepare_getcrl(&cx, &rq)) {
		ossl_fail("cannot build GetCRL");
		goto out;
	}
	exchange(&cx, &c, &rq, 0, &o);
	print_outcome(&rq, &o, (now_s() - t0) * 1000.0);
	rc = judge(&o) ? 0 : 1;
out:
	conn_close(&c);
	request_free(&rq);
	ctx_free(&cx);
	return rc;
}
