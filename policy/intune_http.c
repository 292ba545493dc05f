/* intune_http.c - libcurl for Entra ID, Graph and Intune; jansson reads. */
#include "policy/intune_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/rand.h>

/* An answer larger than this is not one of the three services'. */
#define INTUNE_BODY_MAX	(1024 * 1024)

struct intune_http {
	CURL		*h;
	char		*body;
	size_t		 len;
	int		 too_big;
	enum intune_net	 last;		/* how the latest call ended */
};

void
intune_guid(char out[37])
{
	unsigned char	 b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct intune_http	*c = arg;
	char			*nb;

	n *= size;
	if (c->len + n > INTUNE_BODY_MAX) {
		c->too_big = 1;
		return 0;
	}
	if ((nb = realloc(c->body, c->len + n + 1)) == NULL)
		return 0;
	c->body = nb;
	memcpy(c->body + c->len, p, n);
	c->len += n;
	c->body[c->len] = '\0';
	return n;
}

static int
setup(struct intune_http *c, const struct config *cfg)
{
	CURL	*h = c->h;

	/* Verification is libcurl's default; set it anyway, explicitly. */
	return curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)cfg->intune_timeout) ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
	    (long)(cfg->intune_timeout < 10 ? cfg->intune_timeout : 10)) ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, c) ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "mscep") ||
	    (cfg->intune_ca_bundle[0] != '\0' && curl_easy_setopt(h,
	    CURLOPT_CAINFO, cfg->intune_ca_bundle)) ||
	    (cfg->intune_proxy[0] != '\0' && (curl_easy_setopt(h,
	    CURLOPT_PROXY, cfg->intune_proxy) || curl_easy_setopt(h,
	    CURLOPT_PROXYAUTH, (long)CURLAUTH_BASIC)));
}

struct intune_http *
intune_http_new(const struct config *cfg, char *reason, size_t rlen)
{
	struct intune_http	*c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(reason, rlen, "Module = intune: libcurl cannot start");
		return NULL;
	}
	if ((c->h = curl_easy_init()) == NULL || setup(c, cfg) != 0) {
		snprintf(reason, rlen, "Module = intune: libcurl refused the "
		    "[Intune] settings (CABundle, Proxy)");
		intune_http_free(c);
		return NULL;
	}
	return c;
}

void
intune_http_free(struct intune_http *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->h);
	free(c->body);
	free(c);
}

enum intune_net
intune_http_last(const struct intune_http *c)
{
	return c->last;
}

char *
intune_http_escape(struct intune_http *c, const char *s)
{
	char	*e = curl_easy_escape(c->h, s, 0), *out;

	out = e != NULL ? strdup(e) : NULL;
	curl_free(e);
	return out;
}

void
intune_reply_clear(struct intune_reply *r)
{
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

static struct curl_slist *
headers(const char *bearer, const char *extra, const char *ctype,
    const char *request_id)
{
	struct curl_slist	*l = NULL, *n;
	char			 line[8192];
	const char		*want[4] = { NULL, NULL, NULL, NULL };
	int			 i, k = 0;

	snprintf(line, sizeof(line), "client-request-id: %s", request_id);
	if ((l = curl_slist_append(NULL, line)) == NULL)
		return NULL;
	want[k++] = extra;
	if (ctype != NULL)
		want[k++] = ctype;
	if (bearer != NULL && snprintf(line, sizeof(line), "Authorization: "
	    "Bearer %s", bearer) < (int)sizeof(line))
		want[k++] = line;
	want[k++] = "Accept: application/json";
	for (i = 0; i < k; i++) {
		if (want[i] == NULL)
			continue;
		if ((n = curl_slist_append(l, want[i])) == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = n;
	}
	return l;
}

static void
net_error(CURLcode e, const char *url, struct intune_reply *r,
    char *reason, size_t rlen)
{
	const char	*host;

	switch (e) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		r->net = INTUNE_NET_CONNECT;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		r->net = INTUNE_NET_TIMEOUT;
		break;
	default:
		r->net = INTUNE_NET_ERROR;
	}
	/* The host is what the administrator acts on; paths are long. */
	host = strstr(url, "://");
	host = host != NULL ? host + 3 : url;
	snprintf(reason, rlen, "%.*s: %s", (int)strcspn(host, "/"), host,
	    curl_easy_strerror(e));
}

int
intune_http_call(struct intune_http *c, const char *url, const char *bearer,
    const char *extra, const char *ctype, const char *body,
    struct intune_reply *r, char *reason, size_t rlen)
{
	struct curl_slist	*hl;
	json_error_t		 je;
	CURLcode		 e;
	char			 ct[128];

	memset(r, 0, sizeof(*r));
	intune_guid(r->request_id);
	snprintf(ct, sizeof(ct), "Content-Type: %s", ctype ? ctype : "");
	c->len = 0;
	c->too_big = 0;
	if ((hl = headers(bearer, extra, body ? ct : NULL,
	    r->request_id)) == NULL) {
		snprintf(reason, rlen, "out of memory");
		r->net = INTUNE_NET_ERROR;
		return -1;
	}
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hl);
	if (body != NULL)
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
	else
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
	e = curl_easy_perform(c->h);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	curl_slist_free_all(hl);
	if (e != CURLE_OK) {
		net_error(c->too_big ? CURLE_FILESIZE_EXCEEDED : e, url, r,
		    reason, rlen);
		c->last = r->net;
		return -1;
	}
	c->last = INTUNE_NET_OK;
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &r->status);
	if (c->len > 0)
		r->json = json_loadb(c->body, c->len, 0, &je);
	return 0;
}
