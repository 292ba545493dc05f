/*
 * intune_auth.c - client credentials: a secret or a signed assertion. The
 * assertion's key is a struct keyop: in this process, or in the signer
 * (mscep -S), which signs only what intune_auth_assertion_check passes.
 */
#include "policy/intune_auth.h"
#include "ca/ra.h"
#include "util/num.h"
#include "util/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

/* A token is renewed this long before Entra ID says it expires. */
#define TOKEN_MARGIN	300
#define ASSERTION_TTL	600

void
intune_b64url(const unsigned char *in, size_t n, char *out)
{
	char	*p;
	size_t	 len = (size_t)EVP_EncodeBlock((unsigned char *)out, in,
	    (int)n);

	while (len > 0 && out[len - 1] == '=')
		out[--len] = '\0';
	for (p = out; *p != '\0'; p++)
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
}

void
intune_auth_token_url(const struct config *cfg, char *out, size_t len)
{
	size_t	 n = strlen(cfg->intune_authority);

	snprintf(out, len, "%.*s/%s/oauth2/v2.0/token",
	    (int)(n > 0 && cfg->intune_authority[n - 1] == '/' ? n - 1 : n),
	    cfg->intune_authority, cfg->intune_tenant);
}

void
intune_auth_scope(const struct config *cfg, enum intune_audience aud,
    char *out, size_t len)
{
	const char	*base;
	size_t		 n;

	if (aud == INTUNE_AUD_INTUNE) {
		/* As Microsoft's sample: resource + "/.default", giving
		 * "https://api.manage.microsoft.com//.default". */
		snprintf(out, len, "%s/.default", cfg->intune_resource);
		return;
	}
	base = cfg->intune_graph;
	n = strlen(base);
	snprintf(out, len, "%s%s.default", base,
	    n > 0 && base[n - 1] == '/' ? "" : "/");
}

/* The header's x5t: the certificate's SHA-1 thumbprint, base64url. */
static int
thumbprint(X509 *cert, char x5t[64])
{
	unsigned char	 sha1[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;

	if (!X509_digest(cert, EVP_sha1(), sha1, &n) || n != 20)
		return -1;
	intune_b64url(sha1, n, x5t);
	return 0;
}

/* header.payload, both JSON, base64url; malloc'd. */
static char *
assertion_input(X509 *cert, const char *client_id, const char *aud,
    time_t now)
{
	char		 x5t[64], guid[37], *h = NULL, *p = NULL, *out = NULL;
	char		*hb = NULL, *pb = NULL;

	if (thumbprint(cert, x5t) != 0)
		return NULL;
	intune_guid(guid);
	if (asprintf(&h, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"%s\"}",
	    x5t) < 0 || asprintf(&p, "{\"aud\":\"%s\",\"iss\":\"%s\","
	    "\"sub\":\"%s\",\"jti\":\"%s\",\"nbf\":%lld,\"iat\":%lld,"
	    "\"exp\":%lld}", aud, client_id, client_id, guid, (long long)now,
	    (long long)now, (long long)now + ASSERTION_TTL) < 0)
		goto out;
	if ((hb = malloc(strlen(h) * 4 / 3 + 4)) == NULL ||
	    (pb = malloc(strlen(p) * 4 / 3 + 4)) == NULL)
		goto out;
	intune_b64url((unsigned char *)h, strlen(h), hb);
	intune_b64url((unsigned char *)p, strlen(p), pb);
	if (asprintf(&out, "%s.%s", hb, pb) < 0)
		out = NULL;
out:
	free(h);
	free(p);
	free(hb);
	free(pb);
	return out;
}

char *
intune_auth_assertion(X509 *cert, struct keyop *key, const char *client_id,
    const char *aud, time_t now)
{
	unsigned char	*sig = NULL;
	size_t		 slen = 0;
	char		*in = NULL, *sb = NULL, *jwt = NULL;

	if ((in = assertion_input(cert, client_id, aud, now)) == NULL ||
	    keyop_sign_jwt(key, in, strlen(in), &sig, &slen) != 1 ||
	    (sb = malloc(slen * 4 / 3 + 4)) == NULL)
		goto out;
	intune_b64url(sig, slen, sb);
	if (asprintf(&jwt, "%s.%s", in, sb) < 0)
		jwt = NULL;
out:
	ERR_clear_error();
	free(sig);
	free(in);
	free(sb);
	return jwt;
}

/* One base64url part of a JWT as JSON (an object), or NULL. */
static json_t *
jwt_part(const char *s, size_t n)
{
	char		*b64;
	unsigned char	*raw;
	json_t		*j = NULL;
	size_t		 i, pad = (4 - n % 4) % 4;
	int		 len;

	if (n == 0 || n > 4096 || pad == 3 ||
	    (b64 = malloc(n + pad + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		char	 c = s[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') &&
		    !(c >= '0' && c <= '9'))
			break;	/* base64url has no other: no '+', '/', '=',
				 * nor the blanks EVP_DecodeBlock skips */
		b64[i] = c;
	}
	memset(b64 + n, '=', pad);
	b64[n + pad] = '\0';
	if (i == n && (raw = malloc(n + pad)) != NULL) {
		if ((len = EVP_DecodeBlock(raw, (unsigned char *)b64,
		    (int)(n + pad))) >= (int)pad)
			j = json_loadb((char *)raw, (size_t)len - pad,
			    JSON_REJECT_DUPLICATES, NULL);
		free(raw);
	}
	free(b64);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* Every member of j is one of the names in keys (NULL-terminated). */
static int
only(json_t *j, const char *const *keys)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	json_object_foreach(j, k, v) {
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL)
			return -1;
	}
	return 0;
}

static int
is(json_t *j, const char *key, const char *want)
{
	const char	*s = json_string_value(json_object_get(j, key));

	return s != NULL && strcmp(s, want) == 0;
}

/* A GUID as intune_guid writes one (what jti is): 8-4-4-4-12 hex digits. */
static int
is_guid(const char *s)
{
	size_t	 i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
		    strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return 0;
	return 1;
}

int
intune_auth_assertion_check(const struct config *cfg, X509 *cert,
    const char *in, size_t len, time_t now, char *reason, size_t rlen)
{
	static const char *const hkeys[] = { "alg", "typ", "x5t", NULL };
	static const char *const pkeys[] = { "aud", "iss", "sub", "jti",
	    "nbf", "iat", "exp", NULL };
	const char	*dot = memchr(in, '.', len);
	json_t		*h = NULL, *p = NULL, *v;
	char		 x5t[64], aud[1024];
	long long	 t[3];
	int		 i, rc = -1;

	intune_auth_token_url(cfg, aud, sizeof(aud));
	if (dot == NULL || memchr(in, '\0', len) != NULL ||
	    (h = jwt_part(in, (size_t)(dot - in))) == NULL ||
	    (p = jwt_part(dot + 1, len - (size_t)(dot - in) - 1)) == NULL) {
		snprintf(reason, rlen, "not a JWT signing input (two "
		    "base64url JSON objects)");
		goto out;
	}
	if (thumbprint(cert, x5t) != 0 || only(h, hkeys) != 0 ||
	    !is(h, "alg", "RS256") || !is(h, "typ", "JWT") ||
	    !is(h, "x5t", x5t)) {
		snprintf(reason, rlen, "the header is not RS256 with the "
		    "client certificate's thumbprint");
		goto out;
	}
	if (only(p, pkeys) != 0 || !is(p, "aud", aud) ||
	    !is(p, "iss", cfg->intune_client_id) ||
	    !is(p, "sub", cfg->intune_client_id) ||
	    !is_guid(json_string_value(json_object_get(p, "jti")))) {
		snprintf(reason, rlen, "the claims are not the client "
		    "assertion of ClientId %s for %s", cfg->intune_client_id,
		    aud);
		goto out;
	}
	for (i = 0; i < 3; i++) {
		v = json_object_get(p, i == 0 ? "nbf" : i == 1 ? "iat" : "exp");
		if (!json_is_integer(v)) {
			snprintf(reason, rlen, "nbf, iat and exp are numbers");
			goto out;
		}
		t[i] = json_integer_value(v);
	}
	/* Made now, for at most ASSERTION_TTL (clocks a minute apart);
	 * compared so that no number a worker sends overflows. */
	if (t[0] != t[1] || t[0] < (long long)now - 60 ||
	    t[0] > (long long)now + 60 || t[2] <= t[0] ||
	    t[2] > t[0] + ASSERTION_TTL) {
		snprintf(reason, rlen, "nbf %lld, exp %lld: not made now for "
		    "at most %d s", t[0], t[2], ASSERTION_TTL);
		goto out;
	}
	rc = 0;
out:
	json_decref(h);
	json_decref(p);
	return rc;
}

static int
read_secret(struct intune_auth *a, const char *path, char *reason,
    size_t rlen)
{
	FILE	*f = fopen(path, "r");
	char	 buf[1024];
	size_t	 n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	if (f == NULL || n == 0 || (a->secret = strdup(buf)) == NULL) {
		snprintf(reason, rlen, "[Intune] ClientSecretFile %s: %s", path,
		    f == NULL ? "cannot be read" : "empty");
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int
intune_auth_open(struct intune_auth *a, const struct config *cfg,
    char *reason, size_t rlen)
{
	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	if (cfg->intune_secret_file[0] != '\0')
		return read_secret(a, cfg->intune_secret_file, reason, rlen);
	if (ra_read_cert(cfg->intune_cert, &a->cert) != 0) {
		snprintf(reason, rlen, "[Intune] ClientCertificate %s: not a "
		    "readable PEM certificate", cfg->intune_cert);
		return -1;
	}
	if (EVP_PKEY_base_id(X509_get0_pubkey(a->cert)) != EVP_PKEY_RSA) {
		snprintf(reason, rlen, "[Intune] ClientCertificate %s: not an "
		    "RSA key (Entra ID takes RS256 assertions)",
		    cfg->intune_cert);
		intune_auth_close(a);
		return -1;
	}
	/* [Signer] Socket: the key is the signer's, not this process's. */
	if (cfg->signer_socket[0] != '\0') {
		if ((a->key = keyop_remote(cfg->signer_socket,
		    cfg->signer_timeout_ms, KEYOP_INTUNE, a->cert)) == NULL) {
			snprintf(reason, rlen, "out of memory");
			intune_auth_close(a);
			return -1;
		}
		return 0;
	}
	if ((a->key = intune_auth_key_open(cfg, a->cert, reason,
	    rlen)) == NULL) {
		intune_auth_close(a);
		return -1;
	}
	return 0;
}

struct keyop *
intune_auth_key_open(const struct config *cfg, X509 *cert, char *reason,
    size_t rlen)
{
	struct keyop	*op = NULL;
	EVP_PKEY	*key;
	char		 why[REASON_MAX];

	if ((key = keyop_load_ref(cfg->intune_key, why, sizeof(why))) ==
	    NULL)
		snprintf(reason, rlen, "[Intune] ClientKey: %s", why);
	else if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA ||
	    X509_check_private_key(cert, key) != 1)
		snprintf(reason, rlen, "[Intune] ClientKey %s: not the RSA key "
		    "of ClientCertificate", cfg->intune_key);
	else if ((op = keyop_inproc(key, KEYOP_INTUNE)) == NULL)
		snprintf(reason, rlen, "out of memory");
	ERR_clear_error();
	EVP_PKEY_free(key);
	return op;
}

void
intune_auth_close(struct intune_auth *a)
{
	int	 i;

	if (a->secret != NULL)
		OPENSSL_clear_free(a->secret, strlen(a->secret));
	keyop_free(a->key);	/* before the certificate it borrows */
	X509_free(a->cert);
	for (i = 0; i < 2; i++)
		free(a->tok[i].value);
	memset(a, 0, sizeof(*a));
}

/* The form body proving who we are, for scope. */
static char *
token_form(struct intune_auth *a, struct intune_http *http,
    const char *scope)
{
	char	 url[1024], *jwt = NULL, *es = NULL, *ec = NULL, *ev = NULL;
	char	*form = NULL;
	int	 n;

	intune_auth_token_url(a->cfg, url, sizeof(url));
	if (a->secret == NULL && (jwt = intune_auth_assertion(a->cert, a->key,
	    a->cfg->intune_client_id, url, time(NULL))) == NULL)
		return NULL;
	es = intune_http_escape(http, scope);
	ec = intune_http_escape(http, a->cfg->intune_client_id);
	ev = intune_http_escape(http, a->secret ? a->secret : jwt);
	if (es == NULL || ec == NULL || ev == NULL)
		goto out;
	n = a->secret != NULL ? asprintf(&form, "grant_type=client_credentials"
	    "&client_id=%s&scope=%s&client_secret=%s", ec, es, ev) :
	    asprintf(&form, "grant_type=client_credentials&client_id=%s"
	    "&scope=%s&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth"
	    "%%3Aclient-assertion-type%%3Ajwt-bearer&client_assertion=%s",
	    ec, es, ev);
	if (n < 0)
		form = NULL;
out:
	if (ev != NULL)
		OPENSSL_clear_free(ev, strlen(ev));
	free(es);
	free(ec);
	free(jwt);
	return form;
}

static const char *
text(const json_t *j, const char *key)
{
	const char	*s = json_string_value(json_object_get(j, key));

	return s != NULL ? s : "";
}

int
intune_auth_token_read(struct intune_token *t, const struct intune_reply *r,
    char *reason, size_t rlen)
{
	const char	*tok = json_string_value(json_object_get(r->json,
	    "access_token"));
	json_t		*exp = json_object_get(r->json, "expires_in");
	long long	 secs = -1;

	/* A number, or (as some proxies of Entra ID send it) a string. */
	if (json_is_integer(exp))
		secs = json_integer_value(exp);
	else if (json_is_string(exp) && num_parse(json_string_value(exp), 1,
	    INT32_MAX, &secs, NULL) != 0)
		secs = -1;

	if (r->status / 100 != 2 || tok == NULL || *tok == '\0' || secs <= 0) {
		snprintf(reason, rlen, "token endpoint answered HTTP %ld: "
		    "%.60s %.200s (client-request-id %s)", r->status,
		    r->json ? text(r->json, "error") : "not JSON",
		    text(r->json, "error_description"), r->request_id);
		return -1;
	}
	free(t->value);
	if ((t->value = strdup(tok)) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	t->renew_at = time(NULL) + (secs > 2 * TOKEN_MARGIN ?
	    secs - TOKEN_MARGIN : secs / 2);
	return 0;
}

const char *
intune_auth_token(struct intune_auth *a, struct intune_http *http,
    enum intune_audience aud, int fresh, char *reason, size_t rlen)
{
	struct intune_token	*t = &a->tok[aud];
	struct intune_reply	 r;
	char			 url[1024], scope[1024], *form;
	int			 rc;

	if (!fresh && t->value != NULL && time(NULL) < t->renew_at)
		return t->value;
	intune_auth_token_url(a->cfg, url, sizeof(url));
	intune_auth_scope(a->cfg, aud, scope, sizeof(scope));
	if ((form = token_form(a, http, scope)) == NULL) {
		snprintf(reason, rlen, "cannot build the token request");
		return NULL;
	}
	a->fetched++;
	rc = intune_http_call(http, url, NULL, NULL,
	    "application/x-www-form-urlencoded", form, &r, reason, rlen);
	OPENSSL_clear_free(form, strlen(form));
	if (rc == 0)
		rc = intune_auth_token_read(t, &r, reason, rlen);
	intune_reply_clear(&r);
	return rc == 0 ? t->value : NULL;
}
