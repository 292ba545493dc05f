/* policy_mdmchallenge.c - a challenge blob must expect exactly this request. */
#include "policy/policy_mdmchallenge.h"
#include "policy/policy_request.h"
#include "policy/challenge.h"
#include "util/log.h"
#include "ca/ra.h"
#include "ca/template.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

struct mdmchallenge {
	EVP_PKEY	*key;
	struct keyop	*op;		/* opens the challenges (keyops.h) */
	X509		*cert;
	STACK_OF(X509)	*signers;
	X509_STORE	*trust;
};

void
policy_mdmchallenge_close(void *arg)
{
	struct mdmchallenge	*in = arg;

	if (in == NULL)
		return;
	keyop_free(in->op);
	EVP_PKEY_free(in->key);
	X509_free(in->cert);
	sk_X509_pop_free(in->signers, X509_free);
	X509_STORE_free(in->trust);
	free(in);
}

static int
load_signers(const char *path, STACK_OF(X509) *out)
{
	FILE	*f = fopen(path, "r");
	X509	*x;

	if (f == NULL)
		return -1;
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(out, x)) {
			X509_free(x);
			break;
		}
	fclose(f);
	ERR_clear_error();
	return sk_X509_num(out) > 0 ? 0 : -1;
}

static int
trust_previous(const struct config *cfg, X509 *ca, X509_STORE *trust,
    char *reason, size_t rlen)
{
	STACK_OF(X509)	*prev;
	int		 i, rc = -1;

	if ((prev = sk_X509_new_null()) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	if (ra_load_prev(cfg, ca, prev, reason, rlen) != 0)
		goto out;
	for (i = 0; i < sk_X509_num(prev); i++)
		if (!X509_STORE_add_cert(trust, sk_X509_value(prev, i))) {
			snprintf(reason, rlen, "out of memory");
			goto out;
		}
	rc = 0;
out:
	sk_X509_pop_free(prev, X509_free);
	return rc;
}

int
policy_mdmchallenge_open(const struct config *cfg, void **state, char *reason, size_t rlen)
{
	struct mdmchallenge	*in = calloc(1, sizeof(*in));
	char		 path[PATH_MAX + 32];
	X509		*ca = NULL;

	if (in == NULL || (in->signers = sk_X509_new_null()) == NULL ||
	    (in->trust = X509_STORE_new()) == NULL)
		goto fail;
	config_state_path(cfg, CHALLENGE_CERT, path, sizeof(path));
	if (ra_read_cert(path, &in->cert) != 0)
		goto missing;
	/* With a signer, it opens the challenges: no key here. */
	if (cfg->signer_socket[0] != '\0') {
		if ((in->op = keyop_remote(cfg->signer_socket,
		    cfg->signer_timeout_ms, KEYOP_CHALLENGE, in->cert)) == NULL)
			goto fail;
		goto signers;
	}
	config_state_path(cfg, CHALLENGE_KEY, path, sizeof(path));
	if (ra_read_key(path, &in->key) != 0)
		goto missing;
	if (X509_check_private_key(in->cert, in->key) != 1) {
		snprintf(reason, rlen, "Module = mdm-challenge: %s does not match %s",
		    CHALLENGE_CERT, CHALLENGE_KEY);
		goto out;
	}
	if ((in->op = keyop_inproc(in->key, KEYOP_CHALLENGE)) == NULL)
		goto fail;
signers:
	if (load_signers(cfg->challenge_signers, in->signers) != 0) {
		snprintf(reason, rlen, "Module = mdm-challenge: no trusted MDM signer "
		    "certificate in %s (mscep-admin mdm-init)",
		    cfg->challenge_signers);
		goto out;
	}
	/* MDM signers chain to the issuing CA. */
	config_state_path(cfg, RA_CA_CERT, path, sizeof(path));
	if (ra_read_cert(path, &ca) != 0 || !X509_STORE_add_cert(in->trust,
	    ca))
		goto missing;
	/* Or to one it replaced (mscep-admin ca switch): a signer issued
	 * before the switch is trusted until it expires. */
	if (trust_previous(cfg, ca, in->trust, reason, rlen) != 0)
		goto out;
	X509_free(ca);
	*state = in;
	return 0;
missing:
	snprintf(reason, rlen, "Module = mdm-challenge: cannot read %s (mscep-admin "
	    "mdm-init creates the challenge key)", path);
	goto out;
fail:
	snprintf(reason, rlen, "out of memory");
out:
	X509_free(ca);
	policy_mdmchallenge_close(in);
	return -1;
}

static void
refuse(struct policy_decision *d, const char *code, const char *fmt, ...)
    __attribute__((format(__printf__, 3, 4)));

static void
refuse(struct policy_decision *d, const char *code, const char *fmt, ...)
{
	va_list	 ap;

	d->allow = 0;
	snprintf(d->code, sizeof(d->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

/* The CSR's SANs, or an empty set. */
static GENERAL_NAMES *
csr_sans(X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);
	GENERAL_NAMES	*g = NULL;

	if (exts != NULL)
		g = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
	return g != NULL ? g : sk_GENERAL_NAME_new_null();
}

/* n names of a found in b (DER-equal); -1 on error. */
static int
count_in(const GENERAL_NAMES *a, const GENERAL_NAMES *b)
{
	int	 i, j, n = 0;

	for (i = 0; i < sk_GENERAL_NAME_num(a); i++)
		for (j = 0; j < sk_GENERAL_NAME_num(b); j++)
			if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(a, i),
			    sk_GENERAL_NAME_value(b, j)) == 0) {
				n++;
				break;
			}
	return n;
}

/* The set of SANs must be the expected set: none missing, none extra. */
static int
check_sans(X509_REQ *csr, const GENERAL_NAMES *want,
    struct policy_decision *d)
{
	GENERAL_NAMES	*got = csr_sans(csr);
	int		 ngot, nwant, rc = -1;

	if (got == NULL) {
		refuse(d, "CertificateRequestDecodingFailed", "CSR SANs "
		    "unreadable");
		return -1;
	}
	ngot = sk_GENERAL_NAME_num(got);
	nwant = sk_GENERAL_NAME_num(want);
	if (count_in(want, got) != nwant)
		refuse(d, "SubjectAltNameMissing", "CSR lacks %d of the %d "
		    "SANs the challenge expects", nwant - count_in(want, got),
		    nwant);
	else if (count_in(got, want) != ngot)
		refuse(d, "SubjectAltNameMismatch", "CSR has %d SAN(s) the "
		    "challenge does not list", ngot - count_in(got, want));
	else
		rc = 0;
	GENERAL_NAMES_free(got);
	return rc;
}

/* "S-1-" then dash-separated decimal numbers: what strong mapping takes. */
static int
sid_ok(const char *s)
{
	int	 parts = 0;

	if (strncmp(s, "S-1-", 4) != 0)
		return 0;
	for (s += 4; *s != '\0'; parts++) {
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
		if (*s == '-' && s[1] != '\0')
			s++;
		else if (*s != '\0')
			return 0;
	}
	return parts >= 1;
}

static int
check_claims(const struct policy_request *req,
    const struct challenge_claims *c, struct policy_decision *d)
{
	const X509_NAME	*subject = X509_REQ_get_subject_name(req->csr);
	unsigned	 ku = template_csr_key_usage(req->csr);

	if (strcasecmp(c->profile, req->tmpl->name) != 0) {
		refuse(d, "ScepProfileMismatch", "challenge is for template "
		    "%.60s, the CSR's key usage selects %.60s", c->profile,
		    req->tmpl->name);
		return -1;
	}
	if (X509_NAME_entry_count(subject) == 0 &&
	    X509_NAME_entry_count(c->subject) > 0) {
		refuse(d, "SubjectNameMissing", "CSR has no subject");
		return -1;
	}
	if (X509_NAME_cmp(subject, c->subject) != 0) {
		refuse(d, "SubjectNameMismatch", "CSR subject differs from the "
		    "challenge's");
		return -1;
	}
	if (check_sans(req->csr, c->sans, d) != 0)
		return -1;
	if (c->key_usage >= 0 && ku != (unsigned)c->key_usage) {
		refuse(d, "KeyUsageMismatch", "CSR key usage 0x%x, challenge "
		    "0x%x", ku, (unsigned)c->key_usage);
		return -1;
	}
	if (c->sid[0] != '\0' && !sid_ok(c->sid)) {
		refuse(d, "ChallengeDeserializationError", "SID in challenge "
		    "is not S-1-...");
		return -1;
	}
	return 0;
}

void
policy_mdmchallenge_decide(void *arg, const struct config *cfg, struct store *st,
    const struct policy_request *req, struct policy_decision *d)
{
	struct mdmchallenge		*in = arg;
	struct challenge_claims	 c;
	enum challenge_err	 e;
	enum store_rc		 rc;
	char			*blob = malloc(CHALLENGE_B64_MAX + 1), nonce[33];

	memset(&c, 0, sizeof(c));
	if (blob == NULL) {
		refuse(d, "Unknown", "out of memory");
		return;
	}
	if (policy_request_challenge(req->csr, blob, CHALLENGE_B64_MAX + 1) != 0) {
		refuse(d, "ChallengePasswordMissing", "CSR has no "
		    "challengePassword, or one longer than %d characters",
		    CHALLENGE_B64_MAX);
		goto out;
	}
	keyop_set_context(in->op, req->txid);	/* the signer's log */
	e = challenge_open_op(blob, in->op, in->cert, in->signers, in->trust,
	    util_now(), cfg->clock_skew, &c, d->reason, sizeof(d->reason));
	if (e != CHALLENGE_OK) {
		snprintf(d->code, sizeof(d->code), "%s", challenge_err_code(e));
		goto out;
	}
	snprintf(d->device_id, sizeof(d->device_id), "%s", c.device_id);
	if (check_claims(req, &c, d) != 0)
		goto out;
	util_hex_encode(c.nonce, CHALLENGE_NONCE_LEN, nonce);
	/* Early answer; the store's primary key decides races. */
	if ((rc = store_nonce_used(st, nonce)) != STORE_NOT_FOUND) {
		refuse(d, rc == STORE_OK ? "ChallengeReplayed" : "Unknown",
		    rc == STORE_OK ? "challenge already used" :
		    "store lookup failed");
		goto out;
	}
	d->allow = 1;
	snprintf(d->code, sizeof(d->code), "Success");
	snprintf(d->reason, sizeof(d->reason), "challenge for device %.100s",
	    c.device_id);
	snprintf(d->sid, sizeof(d->sid), "%s", c.sid);
	/* The CSR matched it (X509_NAME_cmp folds case and spaces): the
	 * certificate gets the subject the MDM signed, byte for byte. */
	d->subject = c.subject;
	c.subject = NULL;
	d->claim.kind = CLAIM_NONCE;
	snprintf(d->claim.key, sizeof(d->claim.key), "%s", nonce);
	d->claim.expires = c.expires_at;
out:
	challenge_claims_free(&c);
	OPENSSL_clear_free(blob, CHALLENGE_B64_MAX + 1);
}
