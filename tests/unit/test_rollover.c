/* test_rollover.c - CA rollover: next/ as `ca rollover` writes it, the
 * GetNextCACert body, `ca switch` with its date, an interrupted switch,
 * and the previous CA kept in struct ra. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>

#include "ca/ca_init.h"
#include "ca/crl.h"
#include "fixture.h"
#include "responder/ocsp.h"
#include "ca/rollover.h"
#include "suites.h"
#include "responder/route.h"
#include "responder/worker.h"

static const struct rollover_opts defaults = { NULL, NULL, 3650, 730, 30,
    0, NULL };

static X509 *
state_cert(const struct fixture *fx, const char *file)
{
	char	 path[PATH_MAX + 64];
	X509	*x = NULL;

	if (config_state_path(&fx->cfg, file, path, sizeof(path)) != 0 ||
	    ra_read_cert(path, &x) != 0)
		return NULL;
	return x;
}

static int
state_mode(const struct fixture *fx, const char *file)
{
	char		 path[PATH_MAX + 64];
	struct stat	 st;

	if (config_state_path(&fx->cfg, file, path, sizeof(path)) != 0 ||
	    stat(path, &st) != 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

static int
state_exists(const struct fixture *fx, const char *file)
{
	return state_mode(fx, file) >= 0;
}

static int
write_text(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");
	int	 ok;

	if (f == NULL)
		return -1;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int
issued_by(X509 *x, X509 *ca)
{
	int	 ok = X509_verify(x, X509_get0_pubkey(ca)) == 1;

	ERR_clear_error();
	return ok;
}

/* A GET to the worker; the caller frees resp. */
static void
get(struct worker *w, const char *query, struct http_resp *resp)
{
	struct http_req	 hr = { .method = "GET", .query = query };

	memset(resp, 0, sizeof(*resp));
	route_request(w, &hr, resp);
}

static int
caps_have_next(struct worker *w)
{
	struct http_resp	 resp;
	int			 found;

	get(w, "operation=GetCACaps", &resp);
	found = resp.status == 200 && memmem(resp.body.p, resp.body.len,
	    "\nGetNextCACert\n", 15) != NULL;
	http_resp_free(&resp);
	return found;
}

static void
test_create(void)
{
	struct fixture		 fx;
	struct rollover_opts	 o = defaults;
	X509			*ca, *sign, *enc, *cross, *cur_sign, *first;
	DIR			*d;
	struct dirent		*e;
	char			 reason[REASON_MAX];
	int64_t			 at;
	int			 temp = 0;

	CU_ASSERT_FATAL(fixture_open(&fx, NULL) == 0);
	CU_ASSERT_EQUAL_FATAL(rollover_create(&fx.cfg, &o, reason,
	    sizeof(reason)), 0);
	ca = state_cert(&fx, "next/ca.crt");
	sign = state_cert(&fx, "next/ra-sign.crt");
	enc = state_cert(&fx, "next/ra-enc.crt");
	cross = state_cert(&fx, "next/ca-cross.crt");
	cur_sign = state_cert(&fx, RA_SIGN_CERT);
	CU_ASSERT_FATAL(ca && sign && enc && cross && cur_sign);
	/* Same name, new key, self-signed; RA names and usages kept. */
	CU_ASSERT_EQUAL(X509_NAME_cmp(X509_get_subject_name(ca),
	    X509_get_subject_name(fx.ra.ca)), 0);
	CU_ASSERT_NOT_EQUAL(EVP_PKEY_eq(X509_get0_pubkey(ca),
	    X509_get0_pubkey(fx.ra.ca)), 1);
	CU_ASSERT(issued_by(ca, ca));
	CU_ASSERT(X509_check_ca(ca) >= 1);
	CU_ASSERT(issued_by(sign, ca) && issued_by(enc, ca));
	CU_ASSERT(!issued_by(sign, fx.ra.ca));
	CU_ASSERT_EQUAL(X509_NAME_cmp(X509_get_subject_name(sign),
	    X509_get_subject_name(cur_sign)), 0);
	CU_ASSERT_EQUAL(X509_get_key_usage(sign), KU_DIGITAL_SIGNATURE);
	CU_ASSERT_EQUAL(X509_get_key_usage(enc), KU_KEY_ENCIPHERMENT);
	CU_ASSERT_EQUAL(X509_get_extended_key_usage(sign),
	    X509_get_extended_key_usage(cur_sign));
	/* The cross certificate: the next CA's name and key, the current
	 * CA's signature, not beyond the current CA's lifetime. */
	CU_ASSERT(issued_by(cross, fx.ra.ca));
	CU_ASSERT_EQUAL(X509_check_issued(fx.ra.ca, cross), X509_V_OK);
	CU_ASSERT_EQUAL(EVP_PKEY_eq(X509_get0_pubkey(cross),
	    X509_get0_pubkey(ca)), 1);
	CU_ASSERT(X509_check_ca(cross) >= 1);
	CU_ASSERT(ASN1_TIME_compare(X509_get0_notAfter(cross),
	    X509_get0_notAfter(fx.ra.ca)) <= 0);
	/* Keys only under next/private/, owner only. */
	CU_ASSERT_EQUAL(state_mode(&fx, "next/private"), 0700);
	CU_ASSERT_EQUAL(state_mode(&fx, "next/private/ca.key"), 0600);
	CU_ASSERT_EQUAL(state_mode(&fx, "next/private/ra-sign.key"), 0600);
	CU_ASSERT_EQUAL(state_mode(&fx, "next/private/ra-enc.key"), 0600);
	CU_ASSERT_EQUAL(rollover_switch_at(&fx.cfg, &at), 0);
	CU_ASSERT(at > util_now() + 30 * 86400 - 60 &&
	    at <= util_now() + 30 * 86400);
	/* No temporary folder left behind. */
	CU_ASSERT_FATAL((d = opendir(fx.cfg.state_dir)) != NULL);
	while ((e = readdir(d)) != NULL)
		temp += strncmp(e->d_name, ".next", 5) == 0;
	closedir(d);
	CU_ASSERT_EQUAL(temp, 0);
	/* Once only, unless replaced. */
	CU_ASSERT_EQUAL(rollover_create(&fx.cfg, &o, reason, sizeof(reason)),
	    -1);
	CU_ASSERT(strstr(reason, "exists") != NULL);
	o.replace = 1;
	CU_ASSERT_EQUAL(rollover_create(&fx.cfg, &o, reason, sizeof(reason)),
	    0);
	CU_ASSERT_FATAL((first = state_cert(&fx, "next/ca.crt")) != NULL);
	CU_ASSERT_NOT_EQUAL(EVP_PKEY_eq(X509_get0_pubkey(first),
	    X509_get0_pubkey(ca)), 1);
	/* A switch date past the current CA's end is refused. */
	o.switch_in_days = 400;
	o.ra_days = 500;
	CU_ASSERT_EQUAL(rollover_create(&fx.cfg, &o, reason, sizeof(reason)),
	    -1);
	CU_ASSERT(strstr(reason, "expires") != NULL);
	X509_free(first);
	X509_free(cur_sign);
	X509_free(cross);
	X509_free(enc);
	X509_free(sign);
	X509_free(ca);
	fixture_close(&fx);
}

/* The signed content of body, verified against the trusted certificate. */
static PKCS7 *
open_body(const struct http_resp *resp, X509 *trusted, X509 **signer)
{
	const unsigned char	*p = resp->body.p;
	CMS_ContentInfo		*cms;
	X509_STORE		*store = X509_STORE_new();
	STACK_OF(X509)		*signers;
	BIO			*out = BIO_new(BIO_s_mem());
	BUF_MEM			*m;
	PKCS7			*p7 = NULL;

	cms = d2i_CMS_ContentInfo(NULL, &p, (long)resp->body.len);
	if (cms != NULL && store != NULL && out != NULL &&
	    X509_STORE_add_cert(store, trusted) == 1 &&
	    /* openssl cms -verify -purpose any: the RA's EKU is NDES's. */
	    X509_STORE_set_purpose(store, X509_PURPOSE_ANY) == 1 &&
	    OBJ_obj2nid(CMS_get0_eContentType(cms)) == NID_pkcs7_data &&
	    CMS_verify(cms, NULL, store, NULL, out, CMS_BINARY) == 1) {
		signers = CMS_get0_signers(cms);
		*signer = sk_X509_num(signers) == 1 ?
		    X509_dup(sk_X509_value(signers, 0)) : NULL;
		sk_X509_free(signers);
		BIO_get_mem_ptr(out, &m);
		p = (unsigned char *)m->data;
		p7 = d2i_PKCS7(NULL, &p, (long)m->length);
	}
	ERR_clear_error();
	BIO_free(out);
	X509_STORE_free(store);
	CMS_ContentInfo_free(cms);
	return p7;
}

static void
test_next_body(void)
{
	struct fixture		 fx;
	struct worker		 w, w2;
	struct http_resp	 resp;
	X509			*signer = NULL, *next_ca, *files[3];
	PKCS7			*p7;
	STACK_OF(X509)		*certs;
	char			 reason[REASON_MAX];
	int			 i;

	CU_ASSERT_FATAL(fixture_worker_open(&fx, NULL, &w) == 0);
	/* Nothing to roll over to: not advertised, not served. */
	CU_ASSERT(!caps_have_next(&w));
	get(&w, "operation=GetNextCACert", &resp);
	CU_ASSERT_EQUAL(resp.status, 404);
	http_resp_free(&resp);
	CU_ASSERT_EQUAL_FATAL(rollover_create(&fx.cfg, &defaults, reason,
	    sizeof(reason)), 0);
	/* A running worker keeps what it loaded. */
	CU_ASSERT(!caps_have_next(&w));
	CU_ASSERT_EQUAL_FATAL(worker_open(&w2, fx.ini, reason,
	    sizeof(reason)), 0);
	CU_ASSERT(caps_have_next(&w2));
	get(&w2, "operation=getnextcacert", &resp);
	CU_ASSERT_EQUAL(resp.status, 200);
	CU_ASSERT_STRING_EQUAL(resp.content_type,
	    "application/x-x509-next-ca-cert");
	/* Signed by the current RA, under the current CA only. */
	next_ca = state_cert(&fx, "next/ca.crt");
	CU_ASSERT_FATAL(next_ca != NULL);
	CU_ASSERT_PTR_NULL(open_body(&resp, next_ca, &signer));
	p7 = open_body(&resp, fx.ra.ca, &signer);
	CU_ASSERT_FATAL(p7 != NULL && signer != NULL);
	CU_ASSERT_EQUAL(X509_cmp(signer, fx.ra.sign_cert), 0);
	/* RA signing, RA encryption, CA: next/ in GetCACert's order. */
	files[0] = state_cert(&fx, "next/ra-sign.crt");
	files[1] = state_cert(&fx, "next/ra-enc.crt");
	files[2] = next_ca;
	certs = PKCS7_type_is_signed(p7) ? p7->d.sign->cert : NULL;
	CU_ASSERT_FATAL(sk_X509_num(certs) == 3);
	for (i = 0; i < 3; i++)
		CU_ASSERT(files[i] != NULL &&
		    X509_cmp(sk_X509_value(certs, i), files[i]) == 0);
	for (i = 0; i < 3; i++)
		X509_free(files[i]);
	X509_free(signer);
	PKCS7_free(p7);
	http_resp_free(&resp);
	worker_close(&w2);
	fixture_worker_close(&fx, &w);
}

/* CA-direct mode: the next CA alone, signed by the current CA key. */
static void
test_next_body_direct(void)
{
	struct fixture		 fx;
	struct worker		 w;
	struct http_resp	 resp;
	X509			*signer = NULL, *next_ca;
	PKCS7			*p7;
	struct rollover_opts	 o = defaults;
	char			 reason[REASON_MAX];

	CU_ASSERT_FATAL(fixture_open(&fx, "CADirect = 1\n") == 0);
	o.ca_key = "ec:P-256";
	CU_ASSERT_EQUAL(rollover_create(&fx.cfg, &o, reason, sizeof(reason)),
	    -1);
	CU_ASSERT(strstr(reason, "RSA") != NULL);
	CU_ASSERT_EQUAL_FATAL(rollover_create(&fx.cfg, &defaults, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL_FATAL(worker_open(&w, fx.ini, reason,
	    sizeof(reason)), 0);
	CU_ASSERT(caps_have_next(&w));
	get(&w, "operation=GetNextCACert", &resp);
	CU_ASSERT_EQUAL(resp.status, 200);
	p7 = open_body(&resp, fx.ra.ca, &signer);
	next_ca = state_cert(&fx, "next/ca.crt");
	CU_ASSERT_FATAL(p7 != NULL && next_ca != NULL);
	CU_ASSERT(signer != NULL && X509_cmp(signer, fx.ra.ca) == 0);
	CU_ASSERT(sk_X509_num(p7->d.sign->cert) == 1 &&
	    X509_cmp(sk_X509_value(p7->d.sign->cert, 0), next_ca) == 0);
	X509_free(next_ca);
	X509_free(signer);
	PKCS7_free(p7);
	http_resp_free(&resp);
	worker_close(&w);
	fixture_close(&fx);
}

static void
test_switch(void)
{
	struct fixture		 fx;
	struct ra		 ra;
	struct worker		 w;
	X509			*old_ca, *next_ca, *kept, *by_old, *by_new;
	X509			*self, *cross;
	EVP_PKEY		*k1 = NULL, *k2 = NULL, *k3 = NULL;
	struct dirent		**names = NULL;
	char			 reason[REASON_MAX];
	char			 prev[PATH_MAX + 64], path[PATH_MAX + 200];
	int			 i, n;

	CU_ASSERT_FATAL(fixture_open(&fx, NULL) == 0);
	CU_ASSERT_EQUAL(rollover_switch(&fx.cfg, 1, prev, sizeof(prev),
	    reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "no next CA") != NULL);
	CU_ASSERT_EQUAL_FATAL(rollover_create(&fx.cfg, &defaults, reason,
	    sizeof(reason)), 0);
	old_ca = X509_dup(fx.ra.ca);
	next_ca = state_cert(&fx, "next/ca.crt");
	CU_ASSERT_FATAL(old_ca != NULL && next_ca != NULL);
	/* A certificate the old CA issued, for later. */
	CU_ASSERT_FATAL(ca_issue_identity(fx.ra.ca, fx.ra.ca_key, "old",
	    "ec:P-256", "digitalSignature", 30, &by_old, &k1, reason,
	    sizeof(reason)) == 0);
	/* Not before the date, unless forced. */
	CU_ASSERT_EQUAL(rollover_switch(&fx.cfg, 0, prev, sizeof(prev),
	    reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "switch date") != NULL);
	CU_ASSERT(state_exists(&fx, "next/ca.crt"));
	CU_ASSERT_EQUAL_FATAL(rollover_switch(&fx.cfg, 1, prev, sizeof(prev),
	    reason, sizeof(reason)), 0);
	/* next/ is current; the replaced CA is in previous/<time>/. */
	CU_ASSERT(!state_exists(&fx, "next"));
	CU_ASSERT_EQUAL(state_mode(&fx, RA_CA_KEY), 0600);
	kept = NULL;
	snprintf(path, sizeof(path), "%s/%s", prev, RA_CA_CERT);
	CU_ASSERT(ra_read_cert(path, &kept) == 0 && X509_cmp(kept, old_ca) ==
	    0);
	X509_free(kept);
	snprintf(path, sizeof(path), "%s/private", prev);
	CU_ASSERT(access(path, F_OK) == 0);
	CU_ASSERT_FATAL(ra_load(&fx.cfg, &ra, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(X509_cmp(ra.ca, next_ca), 0);
	CU_ASSERT_EQUAL(ra.ca_index, 1);	/* the first key was 0 */
	CU_ASSERT(issued_by(ra.sign_cert, next_ca));
	CU_ASSERT_EQUAL_FATAL(sk_X509_num(ra.prev_ca), 1);
	CU_ASSERT_EQUAL(X509_cmp(sk_X509_value(ra.prev_ca, 0), old_ca), 0);
	/* The cross certificate stays: the new CA under the old one. */
	cross = state_cert(&fx, ROLL_CROSS_CERT);
	CU_ASSERT(cross != NULL && issued_by(cross, old_ca) &&
	    EVP_PKEY_eq(X509_get0_pubkey(cross), X509_get0_pubkey(ra.ca)) == 1);
	X509_free(cross);
	/* Who issued what, across the switch. */
	CU_ASSERT_FATAL(ca_issue_identity(ra.ca, ra.ca_key, "new", "ec:P-256",
	    "digitalSignature", 30, &by_new, &k2, reason, sizeof(reason)) == 0);
	CU_ASSERT_FATAL(ca_issue_identity(by_new, k2, "stranger", "ec:P-256",
	    "digitalSignature", 30, &self, &k3, reason, sizeof(reason)) == 0);
	CU_ASSERT(ra_issuer(&ra, by_new) == ra.ca);
	CU_ASSERT(ra_issuer(&ra, by_old) == sk_X509_value(ra.prev_ca, 0));
	CU_ASSERT_PTR_NULL(ra_issuer(&ra, self));
	ra_free(&ra);
	/* A worker now serves the new chain and no GetNextCACert. */
	CU_ASSERT_EQUAL_FATAL(worker_open(&w, fx.ini, reason,
	    sizeof(reason)), 0);
	CU_ASSERT(!caps_have_next(&w));
	CU_ASSERT_EQUAL(X509_cmp(w.ra.ca, next_ca), 0);
	worker_close(&w);
	/* Nothing more to switch to. */
	CU_ASSERT_EQUAL(rollover_switch(&fx.cfg, 1, prev, sizeof(prev),
	    reason, sizeof(reason)), -1);
	/* A second rollover: previous/ lists both, newest first. */
	CU_ASSERT_EQUAL_FATAL(rollover_create(&fx.cfg, &defaults, reason,
	    sizeof(reason)), 0);
	sleep(1);	/* previous/<time> has one-second resolution */
	CU_ASSERT_EQUAL_FATAL(rollover_switch(&fx.cfg, 1, prev, sizeof(prev),
	    reason, sizeof(reason)), 0);
	CU_ASSERT_FATAL(ra_load(&fx.cfg, &ra, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(sk_X509_num(ra.prev_ca), 2);
	CU_ASSERT_EQUAL(ra.ca_index, 2);
	CU_ASSERT(X509_cmp(sk_X509_value(ra.prev_ca, 0), next_ca) == 0);
	CU_ASSERT(X509_cmp(sk_X509_value(ra.prev_ca, 1), old_ca) == 0);
	CU_ASSERT(ra_issuer(&ra, by_old) == sk_X509_value(ra.prev_ca, 1));
	ra_free(&ra);
	/* No temporary folders left in previous/. */
	snprintf(path, sizeof(path), "%s/previous", fx.cfg.state_dir);
	n = scandir(path, &names, NULL, alphasort);
	CU_ASSERT_EQUAL(n, 4);	/* ., .., two switches */
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	X509_free(self);
	X509_free(by_new);
	X509_free(by_old);
	EVP_PKEY_free(k3);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k1);
	X509_free(next_ca);
	X509_free(old_ca);
	fixture_close(&fx);
}

/*
 * After a switch OCSP speaks for both generations, each through the
 * responder its own CA certified; a previous generation whose pair is
 * gone is left out with a note, and the current one still loads.
 */
static void
test_ocsp_generations(void)
{
	struct fixture		 fx;
	struct ocsp_responder	 r;
	struct ra		 ra;
	X509			*old_ca;
	char			 reason[REASON_MAX];
	char			 warn[2048], prev[PATH_MAX + 64];
	char			 path[PATH_MAX + 200];

	CU_ASSERT_FATAL(fixture_open(&fx, "[OCSP]\nPath = /ocsp\n") == 0);
	CU_ASSERT_EQUAL_FATAL(rollover_create(&fx.cfg, &defaults, reason,
	    sizeof(reason)), 0);
	old_ca = X509_dup(fx.ra.ca);
	CU_ASSERT_EQUAL_FATAL(rollover_switch(&fx.cfg, 1, prev, sizeof(prev),
	    reason, sizeof(reason)), 0);
	CU_ASSERT_FATAL(ra_load(&fx.cfg, &ra, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL_FATAL(ocsp_responder_load(&fx.cfg, &ra, &r, warn,
	    sizeof(warn), reason, sizeof(reason)), 0);
	CU_ASSERT_STRING_EQUAL(warn, "");
	CU_ASSERT_EQUAL_FATAL(r.n, 2);
	CU_ASSERT(X509_cmp(r.issuers[0].ca, ra.ca) == 0);
	CU_ASSERT(X509_cmp(r.issuers[1].ca, old_ca) == 0);
	CU_ASSERT(issued_by(r.issuers[0].signer.cert, ra.ca));
	CU_ASSERT(issued_by(r.issuers[1].signer.cert, old_ca));
	CU_ASSERT(!issued_by(r.issuers[1].signer.cert, ra.ca));
	CU_ASSERT_STRING_EQUAL(r.issuers[0].ca_key_id, ra.ca_key_id);
	CU_ASSERT(strcmp(r.issuers[1].ca_key_id, ra.ca_key_id) != 0);
	ocsp_responder_free(&r);
	snprintf(path, sizeof(path), "%s/%s", prev, OCSP_RESPONDER_KEY);
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(ocsp_responder_load(&fx.cfg, &ra, &r, warn,
	    sizeof(warn), reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(r.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(warn, "OCSP does not answer for the "
	    "previous CA"));
	ocsp_responder_free(&r);
	ra_free(&ra);
	/* A damaged key index stops loading, with the file named. */
	snprintf(path, sizeof(path), "%s/%s", fx.cfg.state_dir, RA_CA_INDEX);
	CU_ASSERT_FATAL(write_text(path, "one\n") == 0);
	CU_ASSERT_EQUAL(ra_load(&fx.cfg, &ra, reason, sizeof(reason)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "ca-index: not a CA key index"));
	X509_free(old_ca);
	fixture_close(&fx);
}

/* One CRL per CA key: the new key's named "(1)", the previous key's
 * still published under its own name and signed by it. */
static void
test_crl_keys(void)
{
	struct fixture	 fx;
	struct ra	 ra;
	X509		*old_ca;
	X509_CRL	*crl;
	char		 reason[REASON_MAX], old_id[41];
	char		 prev[PATH_MAX + 64], path[PATH_MAX + 200];
	long		 n = -1;

	CU_ASSERT_FATAL(fixture_open(&fx, NULL) == 0);
	CU_ASSERT_EQUAL_FATAL(rollover_create(&fx.cfg, &defaults, reason,
	    sizeof(reason)), 0);
	old_ca = X509_dup(fx.ra.ca);
	CU_ASSERT_FATAL(old_ca != NULL && ra_key_id(old_ca, old_id) == 0);
	CU_ASSERT_EQUAL_FATAL(rollover_switch(&fx.cfg, 1, prev, sizeof(prev),
	    reason, sizeof(reason)), 0);
	CU_ASSERT_FATAL(ra_load(&fx.cfg, &ra, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(crl_publish(&fx.cfg, &ra, fx.store, &n, reason,
	    sizeof(reason)), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(util_key_index_name(fx.cfg.crl_file, 1, path,
	    sizeof(path)), 0);
	CU_ASSERT(access(path, F_OK) == 0 && access(fx.cfg.crl_file, F_OK) ==
	    0);
	crl = crl_read(&fx.cfg, &ra, NULL);
	CU_ASSERT(crl != NULL && X509_CRL_verify(crl,
	    X509_get0_pubkey(ra.ca)) == 1);
	X509_CRL_free(crl);
	crl = crl_read(&fx.cfg, &ra, old_id);
	CU_ASSERT(crl != NULL && X509_CRL_verify(crl,
	    X509_get0_pubkey(old_ca)) == 1);
	CU_ASSERT(crl != NULL && X509_CRL_verify(crl,
	    X509_get0_pubkey(ra.ca)) != 1);
	X509_CRL_free(crl);
	ERR_clear_error();
	ra_free(&ra);
	/* A state folder from before key indexes (no ca-index files): the
	 * index comes from the generation's place, so the keys still get
	 * two files. */
	snprintf(path, sizeof(path), "%s/%s", fx.cfg.state_dir, RA_CA_INDEX);
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_FATAL(ra_load(&fx.cfg, &ra, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(ra.ca_index, 1);
	CU_ASSERT_EQUAL(unlink(fx.cfg.crl_file), 0);
	CU_ASSERT_EQUAL(crl_refresh(&fx.cfg, &ra, fx.store, &n, reason,
	    sizeof(reason)), 1);
	crl = crl_read(&fx.cfg, &ra, old_id);
	CU_ASSERT(crl != NULL && X509_CRL_verify(crl,
	    X509_get0_pubkey(old_ca)) == 1);
	X509_CRL_free(crl);
	/* Without the previous key the current CRL still publishes, and a
	 * refresh does not publish again and again for the stale one. */
	snprintf(path, sizeof(path), "%s/%s", prev, RA_CA_KEY);
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(unlink(fx.cfg.crl_file), 0);
	CU_ASSERT_EQUAL(crl_publish(&fx.cfg, &ra, fx.store, &n, reason,
	    sizeof(reason)), 0);
	CU_ASSERT(access(fx.cfg.crl_file, F_OK) != 0);
	CU_ASSERT_EQUAL(crl_refresh(&fx.cfg, &ra, fx.store, &n, reason,
	    sizeof(reason)), 0);
	ra_free(&ra);
	ERR_clear_error();
	X509_free(old_ca);
	fixture_close(&fx);
}

/* next/ca-index must follow the current key's; one made without it (an
 * older release) gets it at the switch. A previous generation claiming a
 * newer key's index gets no CRL rather than overwriting that key's. */
static void
test_next_index(void)
{
	struct fixture	 fx;
	struct ra	 ra;
	char		 reason[REASON_MAX];
	char		 prev[PATH_MAX + 64], path[PATH_MAX + 200];
	long		 n;

	CU_ASSERT_FATAL(fixture_open(&fx, NULL) == 0);
	CU_ASSERT_EQUAL_FATAL(rollover_create(&fx.cfg, &defaults, reason,
	    sizeof(reason)), 0);
	snprintf(path, sizeof(path), "%s/next/%s", fx.cfg.state_dir,
	    RA_CA_INDEX);
	CU_ASSERT_FATAL(write_text(path, "5\n") == 0);
	CU_ASSERT_EQUAL(rollover_switch(&fx.cfg, 1, prev, sizeof(prev),
	    reason, sizeof(reason)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "next/ca-index is 5 but the "
	    "current CA key is 0"));
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL_FATAL(rollover_switch(&fx.cfg, 1, prev, sizeof(prev),
	    reason, sizeof(reason)), 0);
	snprintf(path, sizeof(path), "%s/%s", fx.cfg.state_dir, RA_CA_INDEX);
	CU_ASSERT(access(path, F_OK) == 0);
	CU_ASSERT_FATAL(ra_load(&fx.cfg, &ra, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(ra.ca_index, 1);
	snprintf(path, sizeof(path), "%s/%s", prev, RA_CA_INDEX);
	CU_ASSERT_FATAL(write_text(path, "1\n") == 0);
	CU_ASSERT_EQUAL(crl_publish(&fx.cfg, &ra, fx.store, &n, reason,
	    sizeof(reason)), 0);
	CU_ASSERT(access(fx.cfg.crl_file, F_OK) != 0);
	ra_free(&ra);
	fixture_close(&fx);
}

static int
state_link(const struct fixture *fx, const char *from, const char *to)
{
	char	 a[PATH_MAX + 64], b[PATH_MAX + 64];

	config_state_path(&fx->cfg, from, a, sizeof(a));
	config_state_path(&fx->cfg, to, b, sizeof(b));
	return link(a, b);
}

static int
state_rename(const struct fixture *fx, const char *from, const char *to)
{
	char	 a[PATH_MAX + 64], b[PATH_MAX + 64];

	config_state_path(&fx->cfg, from, a, sizeof(a));
	config_state_path(&fx->cfg, to, b, sizeof(b));
	return rename(a, b);
}

/*
 * A switch stopped after previous/<time> was made and one RA pair was
 * moved: workers refuse to start, the mixed files do not load, and the
 * switch run again finishes (whatever the date).
 */
static void
test_interrupted_switch(void)
{
	static const char *const files[] = { "ca.crt", "ra-sign.crt",
	    "ra-enc.crt", "private/ca.key", "private/ra-sign.key",
	    "private/ra-enc.key", NULL };
	static const char ts[] = "20200101T000000Z";
	struct fixture		 fx;
	struct worker		 w;
	struct ra		 ra;
	X509			*old_ca, *next_ca, *old_sign, *kept = NULL;
	char			 reason[REASON_MAX];
	char			 prev[PATH_MAX + 64], path[PATH_MAX + 200];
	int			 i;

	CU_ASSERT_FATAL(fixture_open(&fx, NULL) == 0);
	CU_ASSERT_EQUAL_FATAL(rollover_create(&fx.cfg, &defaults, reason,
	    sizeof(reason)), 0);
	old_ca = X509_dup(fx.ra.ca);
	old_sign = X509_dup(fx.ra.sign_cert);
	next_ca = state_cert(&fx, "next/ca.crt");
	/* What rollover_switch does first: marker, then previous/<ts>. */
	snprintf(path, sizeof(path), "%s/next/switching", fx.cfg.state_dir);
	CU_ASSERT_FATAL(write_file(path, "20200101T000000Z\n") == 0);
	snprintf(path, sizeof(path), "%s/previous", fx.cfg.state_dir);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/previous/%s", fx.cfg.state_dir, ts);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/previous/%s/private",
	    fx.cfg.state_dir, ts);
	CU_ASSERT_FATAL(mkdir(path, 0700) == 0);
	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "previous/%s/%s", ts, files[i]);
		CU_ASSERT_FATAL(state_link(&fx, files[i], path) == 0);
	}
	CU_ASSERT_FATAL(state_rename(&fx, "next/ra-sign.crt",
	    "ra-sign.crt") == 0);
	CU_ASSERT_FATAL(state_rename(&fx, "next/private/ra-sign.key",
	    "private/ra-sign.key") == 0);
	/* The web server starting a worker now gets a refusal. */
	CU_ASSERT_EQUAL(worker_open(&w, fx.ini, reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "switch") != NULL);
	worker_close(&w);
	CU_ASSERT_EQUAL(ra_load(&fx.cfg, &ra, reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "switch") != NULL);
	/* Without the marker, the mixed files still do not load. */
	CU_ASSERT_FATAL(state_rename(&fx, "next/switching", "switching") == 0);
	CU_ASSERT_EQUAL(ra_load(&fx.cfg, &ra, reason, sizeof(reason)), -1);
	CU_ASSERT(strstr(reason, "not issued by the CA") != NULL);
	CU_ASSERT_FATAL(state_rename(&fx, "switching", "next/switching") == 0);
	/* A new rollover waits for the switch to finish. */
	CU_ASSERT_EQUAL(rollover_create(&fx.cfg, &defaults, reason,
	    sizeof(reason)), -1);
	CU_ASSERT_EQUAL_FATAL(rollover_switch(&fx.cfg, 0, prev, sizeof(prev),
	    reason, sizeof(reason)), 0);
	CU_ASSERT(strstr(prev, ts) != NULL);
	CU_ASSERT_FATAL(ra_load(&fx.cfg, &ra, reason, sizeof(reason)) == 0);
	CU_ASSERT_EQUAL(X509_cmp(ra.ca, next_ca), 0);
	CU_ASSERT_EQUAL(ra.ca_index, 1);	/* the first key was 0 */
	CU_ASSERT(issued_by(ra.sign_cert, ra.ca) && issued_by(ra.enc_cert,
	    ra.ca));
	CU_ASSERT(sk_X509_num(ra.prev_ca) == 1 &&
	    X509_cmp(sk_X509_value(ra.prev_ca, 0), old_ca) == 0);
	ra_free(&ra);
	snprintf(path, sizeof(path), "previous/%s/ra-sign.crt", ts);
	CU_ASSERT((kept = state_cert(&fx, path)) != NULL &&
	    X509_cmp(kept, old_sign) == 0);
	CU_ASSERT(!state_exists(&fx, "next"));
	CU_ASSERT_EQUAL(worker_open(&w, fx.ini, reason, sizeof(reason)), 0);
	worker_close(&w);
	X509_free(kept);
	X509_free(next_ca);
	X509_free(old_sign);
	X509_free(old_ca);
	fixture_close(&fx);
}

/* The fixture's INI with one more [Service] line: config_load's count. */
static int
problems_with(const struct fixture *fx, const char *line)
{
	struct config	 cfg;
	char		 ini[200], text[4096];
	FILE		*f, *devnull;
	size_t		 n;
	int		 rc;

	snprintf(ini, sizeof(ini), "%s/caps.ini", fx->dir);
	if ((f = fopen(fx->ini, "r")) == NULL)
		return -1;
	n = fread(text, 1, sizeof(text) - 200, f);
	fclose(f);
	snprintf(text + n, sizeof(text) - n, "[Service]\n%s\n", line);
	if (write_file(ini, text) != 0 ||
	    (devnull = fopen("/dev/null", "w")) == NULL)
		return -1;
	rc = config_load(ini, &cfg, devnull);
	config_free(&cfg);
	fclose(devnull);
	return rc;
}

/* GetNextCACert is never configured: only next/ makes it true. */
static void
test_caps_not_configurable(void)
{
	struct fixture	 fx;

	CU_ASSERT_FATAL(fixture_open(&fx, NULL) == 0);
	CU_ASSERT_EQUAL(problems_with(&fx, "Capabilities = AES,"
	    "POSTPKIOperation,SHA-256"), 0);
	CU_ASSERT(problems_with(&fx, "Capabilities = AES,POSTPKIOperation,"
	    "SHA-256,GetNextCACert") > 0);
	fixture_close(&fx);
}

int
register_rollover(void)
{
	CU_pSuite s = CU_add_suite("rollover", NULL, NULL);

	if (s == NULL ||
	    !CU_add_test(s, "ca rollover writes next/ whole", test_create) ||
	    !CU_add_test(s, "GetNextCACert: signed by the current RA",
	    test_next_body) ||
	    !CU_add_test(s, "GetNextCACert in CA-direct mode",
	    test_next_body_direct) ||
	    !CU_add_test(s, "ca switch: date, previous/, prev_ca",
	    test_switch) ||
	    !CU_add_test(s, "a CRL per CA key", test_crl_keys) ||
	    !CU_add_test(s, "next/ca-index follows the current key",
	    test_next_index) ||
	    !CU_add_test(s, "OCSP answers for the previous CA too",
	    test_ocsp_generations) ||
	    !CU_add_test(s, "an interrupted switch finishes",
	    test_interrupted_switch) ||
	    !CU_add_test(s, "GetNextCACert cannot be configured",
	    test_caps_not_configurable))
		return -1;
	return 0;
}
