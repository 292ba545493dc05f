/*
 * fuzz_intune.c - what Module = intune reads of the Microsoft services'
 * answers: Entra ID's token reply (intune_auth_token_read), Graph's
 * service principal endpoints (intune_endpoints_parse) and Intune's
 * validateRequest reply (intune_judge), and the revocation service's
 * download and upload answers (intune_rev_parse, intune_rev_upload_ok),
 * each on the same JSON; what intune_rev_parse reads is answered back
 * through intune_rev_upload_body. The same bytes are also a client
 * assertion's signing input as a worker sends it to the signer
 * (intune_auth_assertion_check, base64url JSON parts: hostile input
 * from a worker taken over), and a JSON body is also checked as the
 * claims of one under the header the signer wants (as_claims).
 *
 * Input: one byte choosing the HTTP status the answer came with, then the
 * body as the service would send it (parsed by jansson as intune_http.c
 * does; a body that is not JSON reaches them as json NULL).
 */
#include "policy/intune_auth.h"
#include "policy/intune_discovery.h"
#include "policy/intune_http.h"
#include "policy/intune_revocation.h"
#include "policy/policy.h"
#include "policy/policy_intune.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	1700000000LL	/* the time every check runs at */

static struct config	*cfg;
static X509		*cert;

/* The app's certificate (an RSA key of its own) and configuration. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY	*key = EVP_RSA_gen(1024);

	(void)argc;
	(void)argv;
	if (key == NULL || (cert = X509_new()) == NULL ||
	    (cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    X509_set_pubkey(cert, key) != 1 ||
	    X509_sign(cert, key, EVP_sha256()) <= 0)
		abort();
	EVP_PKEY_free(key);
	strcpy(cfg->intune_authority, "https://login.example");
	strcpy(cfg->intune_tenant, "fuzz.example");
	strcpy(cfg->intune_client_id, "fuzz-client");
	return 0;
}

static const long statuses[] = { 200, 201, 204, 400, 401, 403, 404, 429,
	500, 503, 0, 302 };

/* A reason must be a terminated string that fits its buffer. */
static void
check_text(const char *s, size_t len)
{
	if (memchr(s, '\0', len) == NULL)
		abort();
}

/* The revocation requests read, each answered, and the upload's reply. */
static void
revocation(const struct intune_reply *r)
{
	struct intune_revreq	*reqs = NULL;
	struct intune_revresult	*res;
	json_t			*up;
	size_t			 n = 0, skipped = 0, i;
	char			 reason[256];

	reason[0] = '\0';
	if (intune_rev_parse(r->json, &reqs, &n, &skipped, reason,
	    sizeof(reason)) != 0) {
		check_text(reason, sizeof(reason));
	} else if (n > 0) {
		if ((res = calloc(n, sizeof(*res))) == NULL)
			abort();
		for (i = 0; i < n; i++) {
			if (reqs[i].context == NULL)
				abort();
			res[i].context = reqs[i].context;
			res[i].code = i % 2 ? INTUNE_REV_CONFLICT : 0;
			res[i].message = i % 2 ? "already revoked" : NULL;
		}
		if ((up = intune_rev_upload_body(res, n)) == NULL)
			abort();
		json_decref(up);
		free(res);
	}
	intune_revreqs_free(reqs, n);
	reason[0] = '\0';
	if (intune_rev_upload_ok(r, reason, sizeof(reason)) != 0)
		check_text(reason, sizeof(reason));
	else if (!json_is_true(json_object_get(r->json, "value")))
		abort();
}

/* Two non-empty base64url parts, one dot between. */
static int
signing_input(const uint8_t *s, size_t n)
{
	static const char	 b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t			 i, dots = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '.' && i > 0 && i + 1 < n)
			dots++;
		else if (s[i] == '\0' || strchr(b64url, s[i]) == NULL)
			return 0;
	return dots == 1;
}

/*
 * The body as a client assertion's claims, under the header the signer
 * wants (the app certificate's thumbprint, which no input could guess):
 * so the claim checks get fuzzed, not only the header's. One that passes
 * was made now for at most 600 s.
 */
static void
as_claims(const uint8_t *body, size_t len, json_t *claims)
{
	unsigned char	 sha1[20];
	unsigned int	 n = 0;
	char		 x5t[40], head[128], *in, reason[256];
	size_t		 hlen;
	json_int_t	 nbf, exp;

	if (X509_digest(cert, EVP_sha1(), sha1, &n) != 1)
		abort();
	intune_b64url(sha1, n, x5t);
	snprintf(head, sizeof(head), "{\"alg\":\"RS256\",\"typ\":\"JWT\","
	    "\"x5t\":\"%s\"}", x5t);
	hlen = strlen(head);
	if ((in = malloc((hlen + len) * 4 / 3 + 16)) == NULL)
		abort();
	intune_b64url((const unsigned char *)head, hlen, in);
	strcat(in, ".");
	intune_b64url(body, len, in + strlen(in));
	reason[0] = '\0';
	if (intune_auth_assertion_check(cfg, cert, in, strlen(in), NOW,
	    reason, sizeof(reason)) == 0) {
		nbf = json_integer_value(json_object_get(claims, "nbf"));
		exp = json_integer_value(json_object_get(claims, "exp"));
		if (nbf < NOW - 60 || nbf > NOW + 60 || exp <= nbf ||
		    exp > nbf + 600)
			abort();
	} else {
		check_text(reason, sizeof(reason));
	}
	free(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intune_reply	 r;
	struct intune_token	 tok = { NULL, 0 };
	struct intune_endpoints	 e;
	struct policy_decision	 d;
	json_error_t		 je;
	char			 reason[256];

	if (size < 1)
		return 0;
	memset(&r, 0, sizeof(r));
	r.net = INTUNE_NET_OK;
	r.status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	memcpy(r.request_id, "00000000-0000-4000-8000-000000000000", 37);
	r.json = json_loadb((const char *)data + 1, size - 1, 0, &je);

	reason[0] = '\0';
	if (intune_auth_token_read(&tok, &r, reason, sizeof(reason)) == 0) {
		if (tok.value == NULL || *tok.value == '\0')
			abort();
	} else {
		check_text(reason, sizeof(reason));
	}
	free(tok.value);

	memset(&e, 0, sizeof(e));
	reason[0] = '\0';
	if (intune_endpoints_parse(r.json, &e, reason, sizeof(reason)) == 0) {
		check_text(e.scep, sizeof(e.scep));
		check_text(e.pki, sizeof(e.pki));
		if (e.scep[0] == '\0')
			abort();
	} else {
		check_text(reason, sizeof(reason));
	}

	memset(&d, 0, sizeof(d));
	intune_judge(&r, &d);
	check_text(d.reason, sizeof(d.reason));
	check_text(d.code, sizeof(d.code));
	/* Only a 2xx answer whose code is Success lets a request through. */
	if (d.allow && (r.status / 100 != 2 ||
	    strcmp(json_string_value(json_object_get(r.json, "code")),
	    "Success") != 0))
		abort();

	revocation(&r);
	/* Passed: it was header.payload in base64url, as the signer signs
	 * it, nothing else (no blank, no padding). */
	reason[0] = '\0';
	if (intune_auth_assertion_check(cfg, cert, (const char *)data + 1,
	    size - 1, NOW, reason, sizeof(reason)) == 0) {
		if (!signing_input(data + 1, size - 1))
			abort();
	} else {
		check_text(reason, sizeof(reason));
	}
	if (json_is_object(r.json))
		as_claims(data + 1, size - 1, r.json);
	intune_reply_clear(&r);
	return 0;
}
