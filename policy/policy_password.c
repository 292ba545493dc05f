/* policy_password.c - NDES one-time and single passwords. */
#include "policy/policy_password.h"
#include "policy/policy_request.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define CHALLENGE_MAX 256

void
policy_password_hash(const char *pw, char out[65])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		 norm[CHALLENGE_MAX];
	size_t		 i, n = 0;

	/* Hex is case-insensitive to a person typing it; spaces are noise. */
	for (i = 0; pw[i] != '\0' && n + 1 < sizeof(norm); i++)
		if (!isspace((unsigned char)pw[i]))
			norm[n++] = (char)toupper((unsigned char)pw[i]);
	SHA256((const unsigned char *)norm, n, md);
	OPENSSL_cleanse(norm, sizeof(norm));
	util_hex_encode(md, sizeof(md), out);
}

enum store_rc
policy_password_new(const struct config *cfg, struct store *st, char *out,
    size_t size)
{
	unsigned char	 raw[64];
	char		 hash[65];
	int64_t		 now = util_now();
	enum store_rc	 rc;
	size_t		 n = (size_t)cfg->password_length;

	if (n > sizeof(raw) || size < 2 * n + 1 || RAND_bytes(raw, (int)n) != 1)
		return STORE_ERROR;
	util_hex_encode(raw, n, out);
	OPENSSL_cleanse(raw, sizeof(raw));
	policy_password_hash(out, hash);
	if (cfg->use_single_password)
		rc = store_password_set_single(st, hash, now);
	else
		rc = store_password_add(st, hash, now,
		    now + 60LL * cfg->password_validity, cfg->password_max);
	if (rc != STORE_OK)
		OPENSSL_cleanse(out, size);
	return rc;
}

void
policy_password_decide(const struct config *cfg, struct store *st,
    const struct policy_request *req, struct policy_decision *d)
{
	char		 pw[CHALLENGE_MAX];
	enum claim_kind	 kind;
	enum store_rc	 rc;

	if (!cfg->enforce_password) {
		d->allow = 1;
		d->claim.kind = CLAIM_NONE;
		snprintf(d->reason, sizeof(d->reason), "EnforcePassword=0");
		return;
	}
	if (policy_request_challenge(req->csr, pw, sizeof(pw)) != 0) {
		snprintf(d->code, sizeof(d->code), "ChallengePasswordMissing");
		snprintf(d->reason, sizeof(d->reason), "CSR has no "
		    "challengePassword");
		return;
	}
	policy_password_hash(pw, d->claim.key);
	OPENSSL_cleanse(pw, sizeof(pw));
	rc = store_password_lookup(st, d->claim.key, util_now(), &kind);
	/* A password of the other mode (left from before UseSinglePassword
	 * changed) does not count. */
	if (rc == STORE_OK && (kind == CLAIM_SINGLE_PASSWORD) !=
	    (cfg->use_single_password != 0))
		rc = STORE_NOT_FOUND;
	if (rc == STORE_OK) {
		d->allow = 1;
		d->claim.kind = kind;
		snprintf(d->reason, sizeof(d->reason), "%s password %.8s...",
		    kind == CLAIM_OTP ? "one-time" : "single", d->claim.key);
	} else if (rc == STORE_NOT_FOUND) {
		/* NDES Event 29 gives the same answer for all three. */
		snprintf(d->code, sizeof(d->code), "PasswordRejected");
		snprintf(d->reason, sizeof(d->reason), "password wrong, "
		    "already used or expired (hash %.8s...)", d->claim.key);
	} else {
		snprintf(d->code, sizeof(d->code), "StoreError");
		snprintf(d->reason, sizeof(d->reason), "store error: %s",
		    store_errmsg(st));
	}
}
