/*
 * fuzz_challenge.c - the mdm-challenge blob (policy/challenge.c,
 * docs/challenge.md) and the CSR attribute it travels in (policy_request_challenge,
 * policy/policy.c), with mscep's challenge keys (EC P-256 and RSA), a
 * trusted MDM signer and the CA as trust made once by the project's
 * ca_issue_identity, as tests/unit/test_challenge.c does.
 *
 * Input: a mode byte, then the payload.
 *   mode 0: the blob text as a device would put it in its CSR:
 *           challenge_open (base64, AuthEnvelopedData, decryption);
 *   mode 1: a DER CSR: policy_request_challenge, then challenge_open on what it
 *           returns (what policy_mdmchallenge.c does with a request);
 *   mode 2: a CMS SignedData, encrypted here to mscep's challenge key as
 *           anyone holding challenge.crt can: the signature check and the
 *           SignedData parser behind the decryption;
 *   mode 3: the DER claims (MscepChallenge), signed here by the trusted
 *           MDM key and encrypted: the claims decoder (from_asn1) and the
 *           time checks, which only an MDM reaches;
 *   mode 4: a 2-byte big-endian length, claims DER of that length, then a
 *           DER CSR: the claims are sealed as in mode 3, put in the CSR's
 *           challengePassword and the mdm_policy policy module decides on the
 *           request (check_claims: template, subject, SAN set, key usage,
 *           SID; the nonce looked up in an in-memory store).
 *   mode 5: a SAN as mscep-admin challenge --san takes it
 *           (challenge_san_parse);
 *   mode 6: claims from the MDM's side, round trip: a key usage byte
 *           (0xff: any), then '\n'-separated device ID, profile, SID,
 *           subject CN and SANs (as in mode 5): challenge_issue, then
 *           challenge_open must give back exactly those claims.
 * Bit 7 of the mode byte picks the RSA-OAEP challenge key (modes 0-3, 6).
 *
 * A refusal by the policy module must say why (the reason is logged and
 * recorded in the event); tests/fuzz/regressions/challenge/ holds the
 * input that found refusals without one.
 */
#include "fuzz_common.h"
#include "ca/ca_init.h"
#include "policy/challenge.h"
#include "policy/policy.h"
#include "policy/policy_request.h"
#include "policy/policy_mdmchallenge.h"
#include "store/store.h"
#include "ca/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

static struct fuzz_state	 st;
static X509			*sign_cert, *ec_cert, *rsa_cert;
static EVP_PKEY			*sign_key, *ec_key, *rsa_key;
static STACK_OF(X509)		*signers;
static X509_STORE		*trust;
static struct store		*store;
static struct policy		*mdm_policy;

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 reason[REASON_MAX] = "";
	FILE	*f;

	(void)argc;
	(void)argv;
	fuzz_state_open(&st, "[Policy]\nModule = mdm-challenge\nClockSkewSeconds = 300\n",
	    "ec:P-256");
	fuzz_identity(&st, "MDM signer", "ec:P-256", "critical,digitalSignature",
	    &sign_cert, &sign_key);
	fuzz_identity(&st, "mscep challenge", "ec:P-256",
	    "critical,keyAgreement", &ec_cert, &ec_key);
	fuzz_identity(&st, "mscep challenge RSA", "rsa:2048",
	    "critical,keyEncipherment", &rsa_cert, &rsa_key);
	if ((signers = sk_X509_new_null()) == NULL ||
	    (trust = X509_STORE_new()) == NULL ||
	    !sk_X509_push(signers, sign_cert) ||
	    !X509_STORE_add_cert(trust, st.ra.ca))
		abort();
	/* The files policy_mdmchallenge_open reads, as mscep-admin mdm-init leaves them. */
	if (ca_save_pair(&st.cfg, CHALLENGE_CERT, CHALLENGE_KEY, ec_cert,
	    ec_key, reason, sizeof(reason)) != 0 ||
	    (f = fopen(st.cfg.challenge_signers, "w")) == NULL ||
	    !PEM_write_X509(f, sign_cert) || fclose(f) != 0) {
		fprintf(stderr, "fuzz: %s\n", reason);
		abort();
	}
	if (store_open(":memory:", &store, reason, sizeof(reason)) != 0 ||
	    policy_open(&st.cfg, store, &mdm_policy, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "fuzz: %s\n", reason);
		abort();
	}
	fuzz_state_remove(&st);
	return 0;
}

static void
open_blob(const char *b64, int rsa)
{
	struct challenge_claims	 c;
	enum challenge_err	 e;
	char			 reason[REASON_MAX];

	reason[0] = '\0';
	e = challenge_open(b64, rsa ? rsa_key : ec_key, rsa ? rsa_cert : ec_cert,
	    signers, trust, util_now(), st.cfg.clock_skew, &c, reason,
	    sizeof(reason));
	if (memchr(reason, '\0', sizeof(reason)) == NULL)
		abort();
	if (e == CHALLENGE_OK && (c.subject == NULL || c.sans == NULL ||
	    memchr(c.device_id, '\0', sizeof(c.device_id)) == NULL ||
	    memchr(c.profile, '\0', sizeof(c.profile)) == NULL ||
	    memchr(c.sid, '\0', sizeof(c.sid)) == NULL))
		abort();
	if (challenge_err_code(e) == NULL)
		abort();
	/* policy_mdmchallenge.c frees the claims whatever the outcome. */
	challenge_claims_free(&c);
}

/* Signed by the MDM (optional), encrypted to the challenge key, base64. */
static char *
seal(const unsigned char *p, size_t n, int sign, int rsa)
{
	struct buf	 sd = { 0 }, env = { 0 };
	char		*b64 = NULL;

	if (sign && fuzz_cms_sign_keyid(sign_key, sign_cert, p, n, &sd) != 0)
		goto out;
	if (sign) {
		p = sd.p;
		n = sd.len;
	}
	if (fuzz_auth_envelope(rsa ? rsa_cert : ec_cert, p, n, &env) == 0)
		b64 = fuzz_base64(env.p, env.len);
out:
	buf_free(&sd);
	buf_free(&env);
	return b64;
}

static void
csr_mode(const uint8_t *data, size_t size)
{
	const unsigned char	*p = data;
	X509_REQ		*csr;
	char			*blob, small[17];

	if ((csr = d2i_X509_REQ(NULL, &p, (long)size)) == NULL) {
		ERR_clear_error();
		return;
	}
	/* The buffer sizes the policies use: the mdm_policy and exec modules. */
	if ((blob = malloc(CHALLENGE_B64_MAX + 1)) == NULL)
		abort();
	if (policy_request_challenge(csr, blob, CHALLENGE_B64_MAX + 1) == 0) {
		if (strlen(blob) > CHALLENGE_B64_MAX)
			abort();
		open_blob(blob, 0);
	}
	/* A short buffer must be refused, never overrun. */
	if (policy_request_challenge(csr, small, sizeof(small)) == 0 &&
	    strlen(small) >= sizeof(small))
		abort();
	free(blob);
	X509_REQ_free(csr);
}

static void
replace_challenge(X509_REQ *csr, const char *b64)
{
	X509_ATTRIBUTE	*a;
	int		 i;

	while ((i = X509_REQ_get_attr_by_NID(csr, NID_pkcs9_challengePassword,
	    -1)) >= 0) {
		if ((a = X509_REQ_delete_attr(csr, i)) == NULL)
			abort();
		X509_ATTRIBUTE_free(a);
	}
	if (!X509_REQ_add1_attr_by_NID(csr, NID_pkcs9_challengePassword,
	    MBSTRING_ASC, (const unsigned char *)b64, -1))
		abort();
}

static void
policy_mode(const uint8_t *data, size_t size)
{
	struct policy_request	 req;
	struct policy_decision	 d;
	const unsigned char	*p;
	const struct template	*t;
	X509_REQ		*csr;
	char			*b64, reason[REASON_MAX];
	size_t			 n;

	if (size < 2)
		return;
	n = (size_t)data[0] << 8 | data[1];
	if (n > size - 2)
		return;
	p = data + 2 + n;
	if ((csr = d2i_X509_REQ(NULL, &p, (long)(size - 2 - n))) == NULL) {
		ERR_clear_error();
		return;
	}
	if ((b64 = seal(data + 2, n, 1, 0)) == NULL)
		goto out;
	if (strlen(b64) <= CHALLENGE_B64_MAX)
		replace_challenge(csr, b64);
	free(b64);
	if ((t = template_select(&st.cfg, csr, reason, sizeof(reason))) == NULL)
		goto out;
	memset(&req, 0, sizeof(req));
	req.txid = "FUZZ-POLICY";
	req.csr = csr;
	req.tmpl = t;
	policy_decide(mdm_policy, &req, &d);
	if (memchr(d.reason, '\0', sizeof(d.reason)) == NULL ||
	    memchr(d.code, '\0', sizeof(d.code)) == NULL)
		abort();
	/* A refusal says why: the reason goes to the log and the event. */
	if (!d.allow && d.reason[0] == '\0') {
		fprintf(stderr, "fuzz: refused (%s) with an empty reason\n",
		    d.code);
		abort();
	}
	/* A yes is always tied to a nonce the store will consume. */
	if (d.allow && (d.claim.kind != CLAIM_NONCE ||
	    strlen(d.claim.key) != 2 * CHALLENGE_NONCE_LEN))
		abort();
	/* A yes also fixes the subject the certificate gets. */
	if (d.allow && d.subject == NULL)
		abort();
	policy_decision_free(&d);
out:
	X509_REQ_free(csr);
	ERR_clear_error();
}

static void
san_mode(const uint8_t *data, size_t size)
{
	char	*s = fuzz_strndup(data, size);

	GENERAL_NAME_free(challenge_san_parse(s));
	free(s);
	ERR_clear_error();
}

/* The next '\n'-separated field of *p (a NUL-terminated copy). */
static char *
field(char **p)
{
	char	*f = *p, *nl;

	if (f == NULL)
		return "";
	if ((nl = strchr(f, '\n')) != NULL) {
		*nl = '\0';
		*p = nl + 1;
	} else
		*p = NULL;
	return f;
}

static int
same_claims(const struct challenge_claims *a, const struct challenge_claims *b)
{
	int	 i;

	if (memcmp(a->nonce, b->nonce, sizeof(a->nonce)) != 0 ||
	    a->issued_at != b->issued_at || a->expires_at != b->expires_at ||
	    strcmp(a->device_id, b->device_id) != 0 ||
	    strcmp(a->profile, b->profile) != 0 || strcmp(a->sid, b->sid) != 0 ||
	    a->key_usage != b->key_usage ||
	    X509_NAME_cmp(a->subject, b->subject) != 0 ||
	    sk_GENERAL_NAME_num(a->sans) != sk_GENERAL_NAME_num(b->sans))
		return 0;
	for (i = 0; i < sk_GENERAL_NAME_num(a->sans); i++)
		if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(a->sans, i),
		    sk_GENERAL_NAME_value(b->sans, i)) != 0)
			return 0;
	return 1;
}

static void
round_trip_mode(const uint8_t *data, size_t size, int rsa)
{
	struct challenge_claims	 c, back;
	GENERAL_NAME		*gn;
	char			*text, *p, *f, *blob = NULL;
	char			 reason[REASON_MAX];
	int64_t			 now = util_now();

	if (size < 1)
		return;
	memset(&c, 0, sizeof(c));
	c.key_usage = data[0] == 0xff ? -1 : data[0];
	p = text = fuzz_strndup(data + 1, size - 1);
	snprintf(c.device_id, sizeof(c.device_id), "%s", field(&p));
	snprintf(c.profile, sizeof(c.profile), "%s", field(&p));
	snprintf(c.sid, sizeof(c.sid), "%s", field(&p));
	if ((c.subject = X509_NAME_new()) == NULL ||
	    (c.sans = sk_GENERAL_NAME_new_null()) == NULL)
		abort();
	f = field(&p);
	if (*f != '\0' && !X509_NAME_add_entry_by_txt(c.subject, "CN",
	    MBSTRING_UTF8, (const unsigned char *)f, -1, -1, 0))
		goto out;
	while (p != NULL && sk_GENERAL_NAME_num(c.sans) < 64)
		if ((gn = challenge_san_parse(field(&p))) != NULL &&
		    !sk_GENERAL_NAME_push(c.sans, gn))
			abort();
	c.issued_at = now - 10;
	c.expires_at = now + 600;
	if (challenge_issue(&c, sign_key, sign_cert, rsa ? rsa_cert : ec_cert,
	    &blob, reason, sizeof(reason)) != 0)
		goto out;
	/* What the MDM made, mscep must read back unchanged. */
	if (challenge_open(blob, rsa ? rsa_key : ec_key, rsa ? rsa_cert :
	    ec_cert, signers, trust, now, 0, &back, reason, sizeof(reason)) !=
	    CHALLENGE_OK || !same_claims(&c, &back)) {
		fprintf(stderr, "fuzz: challenge round trip: %s\n", reason);
		abort();
	}
	challenge_claims_free(&back);
out:
	OPENSSL_free(blob);
	challenge_claims_free(&c);
	free(text);
	ERR_clear_error();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;
	int	 rsa;

	if (size < 1)
		return 0;
	rsa = (data[0] & 0x80) != 0;
	switch (data[0] & 0x7f) {
	case 0:
		s = fuzz_strndup(data + 1, size - 1);
		open_blob(s, rsa);
		free(s);
		break;
	case 1:
		csr_mode(data + 1, size - 1);
		break;
	case 2:
	case 3:
		if ((s = seal(data + 1, size - 1, (data[0] & 0x7f) == 3,
		    rsa)) != NULL)
			open_blob(s, rsa);
		free(s);
		break;
	case 4:
		policy_mode(data + 1, size - 1);
		break;
	case 5:
		san_mode(data + 1, size - 1);
		break;
	case 6:
		round_trip_mode(data + 1, size - 1, rsa);
		break;
	}
	ERR_clear_error();
	return 0;
}
