/* http.c - query decoding and response helpers (no FastCGI here). */
#include "responder/http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* '+' is kept, base64 needs it (sscep#83). */
char *
http_pct_decode(const char *p, size_t n)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < n; i++) {
		if (p[i] == '%' && i + 2 < n &&
		    (hi = hexval((unsigned char)p[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)p[i + 2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else
			*o++ = p[i];
	}
	*o = '\0';
	return out;
}

char *
http_query_get(const char *query, const char *name, size_t maxlen,
    int *too_long)
{
	const char	*p = query, *amp, *eq;
	size_t		 nlen = strlen(name), klen;

	if (too_long != NULL)
		*too_long = 0;
	if (query == NULL)
		return NULL;
	while (*p != '\0') {
		while (*p == '?' || *p == '&')
			p++;
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = eq ? (size_t)(eq - p) : (size_t)(amp - p);
		if (klen == nlen && strncasecmp(p, name, nlen) == 0) {
			if (eq == NULL)
				return http_pct_decode("", 0);
			if ((size_t)(amp - eq - 1) > maxlen) {
				if (too_long != NULL)
					*too_long = 1;
				return NULL;
			}
			return http_pct_decode(eq + 1, (size_t)(amp - eq - 1));
		}
		p = amp;
	}
	return NULL;
}

void
http_text(struct http_resp *r, int status, const char *ctype,
    const char *body)
{
	r->status = status;
	r->content_type = ctype;
	r->body.len = 0;
	buf_append(&r->body, body, strlen(body));
}

void
http_resp_free(struct http_resp *r)
{
	buf_free(&r->body);
}
