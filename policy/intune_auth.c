/* intune_auth.c - client credentials: a secret or a signed assertion. */
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

/* header.payload, both JSON, base64url; malloc'd. */
static char *
assertion_input(X509 *cert, const char *client_id, const char *aud,
    time_t now)
{
	unsigned char	 sha1[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	char		 x5t[64], guid[37], *h = NULL, *p = NULL, *out = NULL;
	char		*hb = NULL, *pb = NULL;

	if (!X509_digest(cert, EVP_sha1(), sha1, &n))
		return NULL;
	intune_b64url(sha1, n, x5t);
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
intune_auth_assertion(X509 *cert, EVP_PKEY *key, const char *client_id,
    const char *aud, time_t now)
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	unsigned char	*sig = NULL;
	size_t		 slen = 0;
	char		*in = NULL, *sb = NULL, *jwt = NULL;

	if (md == NULL || (in = assertion_input(cert, client_id, aud,
	    now)) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &slen, (unsigned char *)in,
	    strlen(in)) != 1 || (sig = malloc(slen)) == NULL ||
	    EVP_DigestSign(md, sig, &slen, (unsigned char *)in,
	    strlen(in)) != 1 || (sb = malloc(slen * 4 / 3 + 4)) == NULL)
		goto out;
	intune_b64url(sig, slen, sb);
	if (asprintf(&jwt, "%s.%s", in, sb) < 0)
		jwt = NULL;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	free(sig);
	free(in);
	free(sb);
	return jwt;
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
	if (ra_read_key(cfg->intune_key, &a->key) != 0 ||
	    EVP_PKEY_base_id(a->key) != EVP_PKEY_RSA ||
	    X509_check_private_key(a->cert, a->key) != 1) {
		ERR_clear_error();
		snprintf(reason, rlen, "[Intune] ClientKey %s: not a readable "
		    "PEM RSA key of ClientCertificate", cfg->intune_key);
		intune_auth_close(a);
		return -1;
	}
	return 0;
}

void
intune_auth_close(struct intune_auth *a)
{
	int	 i;

	if (a->secret != NULL)
		OPENSSL_clear_free(a->secret, strlen(a->secret));
	X509_free(a->cert);
	EVP_PKEY_free(a->key);
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
