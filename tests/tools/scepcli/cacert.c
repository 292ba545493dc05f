/* cacert.c - GetCACert: the CA set, the recipient, the trust store. */
#include "cacert.h"
#include "common.h"
#include "transport.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

int is_ca(X509 *x)
{
	return X509_check_ca(x) > 0;
}

int ku_has(X509 *x, uint32_t bits)
{
	/* X509_get_key_usage() reports all bits when the extension is absent. */
	return (X509_get_key_usage(x) & bits) == bits;
}

/* The CA that issued no other CA of the set: the one issuing end entities. */
X509 *issuing_ca(STACK_OF(X509) *certs)
{
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *ca = sk_X509_value(certs, i);
		int issued_other_ca = 0;

		if (!is_ca(ca))
			continue;
		for (int k = 0; k < sk_X509_num(certs); k++) {
			X509 *o = sk_X509_value(certs, k);

			if (k != i && is_ca(o) && X509_cmp(o, ca) != 0 &&
			    X509_check_issued(ca, o) == X509_V_OK)
				issued_other_ca = 1;
		}
		if (!issued_other_ca)
			return ca;
	}
	return NULL;
}

/* RFC 8894 §2.2: encrypt to the RA's encryption cert if there is one. */
static X509 *choose_recipient(const struct ca_info *ca)
{
	for (int i = 0; i < sk_X509_num(ca->certs); i++) {
		X509 *x = sk_X509_value(ca->certs, i);

		if (!is_ca(x) && ku_has(x, KU_KEY_ENCIPHERMENT))
			return x;
	}
	if (ca->single)
		return sk_X509_value(ca->certs, 0);
	/* A chain without an RA: the issuing CA decrypts itself. */
	return issuing_ca(ca->certs);
}

static int parse_ca_bundle(const struct buf *body, struct ca_info *ca)
{
	const unsigned char *p = body->p;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)body->len);
	int ok = 0;

	if (cms == NULL || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		ossl_fail("GetCACert: reply is not a PKCS#7 SignedData");
		goto out;
	}
	if ((ca->certs = CMS_get1_certs(cms)) == NULL) {
		ossl_fail("GetCACert: degenerate SignedData holds no certificates");
		goto out;
	}
	ok = 1;
out:
	CMS_ContentInfo_free(cms);
	return ok;
}

static int parse_ca_single(const struct buf *body, struct ca_info *ca)
{
	const unsigned char *p = body->p;
	X509 *x = d2i_X509(NULL, &p, (long)body->len);

	if (x == NULL || (ca->certs = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(ca->certs, x)) {
		ossl_fail("GetCACert: reply is not a DER certificate");
		X509_free(x);
		return 0;
	}
	ca->single = 1;
	return 1;
}

static int build_store(struct ca_info *ca)
{
	if ((ca->store = X509_STORE_new()) == NULL)
		return 0;
	for (int i = 0; i < sk_X509_num(ca->certs); i++) {
		X509 *x = sk_X509_value(ca->certs, i);

		if (is_ca(x) && !X509_STORE_add_cert(ca->store, x))
			return 0;
	}
	/* Any CA from GetCACert anchors the chain, even a non-root one. */
	return X509_STORE_set_flags(ca->store, X509_V_FLAG_PARTIAL_CHAIN);
}

void ca_free(struct ca_info *ca)
{
	sk_X509_pop_free(ca->certs, X509_free);
	X509_STORE_free(ca->store);
	memset(ca, 0, sizeof *ca);
}

static int get_cacert(struct conn *c, struct ca_info *ca)
{
	struct http_resp r = { 0 };
	char *target = make_target("operation=GetCACert&message=ca");
	int ok = 0;

	if (target == NULL ||
	    http_exchange(c, "GET", target, NULL, 0, NULL, &r) != 0) {
		fprintf(stderr, "scepcli: GetCACert: %s\n", c->err);
		goto out;
	}
	if (r.status != 200) {
		fprintf(stderr, "scepcli: GetCACert: HTTP %d\n", r.status);
		goto out;
	}
	if (ctype_is(r.ctype, "application/x-x509-ca-cert"))
		ok = parse_ca_single(&r.body, ca);
	else if (ctype_is(r.ctype, "application/x-x509-ca-ra-cert"))
		ok = parse_ca_bundle(&r.body, ca);
	else
		fprintf(stderr, "scepcli: GetCACert: unexpected Content-Type '%s'\n",
			r.ctype);
out:
	free(target);
	buf_free(&r.body);
	return ok;
}

/* GetCACert plus the choices that depend on it. */
int fetch_ca(struct ca_info *ca)
{
	struct conn c = { .fd = -1 };
	int ok = get_cacert(&c, ca);

	conn_close(&c);
	if (!ok)
		return 0;
	if ((ca->recipient = choose_recipient(ca)) == NULL) {
		fprintf(stderr, "scepcli: GetCACert: no RA encryption or CA certificate\n");
		return 0;
	}
	if (!build_store(ca)) {
		ossl_fail("cannot build the trust store");
		return 0;
	}
	return 1;
}
