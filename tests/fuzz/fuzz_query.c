/*
 * fuzz_query.c - http_query_get (mscep/responder/http.c) with arbitrary query strings and
 * names, then util_base64_decode (mscep/util/util.c) on what it returns, as
 * pkiop.c's message_bytes does for a GET PKIOperation.
 *
 * Input: one byte choosing maxlen, the name up to the first '\n', then the
 * query string (without '?'). Without '\n' the whole input after the first
 * byte is the query and the name is "message". The query is also asked
 * for "operation" (maxlen 64, as route_request does).
 */
#include "responder/http.h"
#include "util/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char *
dup_bytes(const uint8_t *p, size_t n)
{
	char	*s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void
get(const char *query, const char *name, size_t maxlen, int decode)
{
	unsigned char	*out;
	char		*v;
	size_t		 n;
	long		 len;
	int		 too_long = -1;

	v = http_query_get(query, name, maxlen, &too_long);
	if (too_long != 0 && too_long != 1)
		abort();
	if (v == NULL) {
		free(http_query_get(query, name, maxlen, NULL));
		return;
	}
	/* Percent-decoding never lengthens; the value fits maxlen. */
	n = strlen(v);
	if (too_long || n > maxlen || n > strlen(query))
		abort();
	if (decode) {
		/* message_bytes: a buffer of strlen + 1 for the DER. */
		if ((out = malloc(n + 1)) == NULL)
			abort();
		len = util_base64_decode(v, n, out, n + 1);
		if (len > (long)(n + 1) || len < -1)
			abort();
		free(out);
		/* And an exactly sized buffer, for util_base64_decode's bound. */
		if (n > 0 && (out = malloc(n * 3 / 4)) != NULL) {
			util_base64_decode(v, n, out, n * 3 / 4);
			free(out);
		}
	}
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxlens[] = { 0, 1, 3, 64, 4096, (size_t)-1 / 4 };
	const uint8_t	*nl;
	char		*name, *query;
	size_t		 maxlen;

	if (size < 1)
		return 0;
	maxlen = maxlens[data[0] % (sizeof(maxlens) / sizeof(maxlens[0]))];
	data++;
	size--;
	if ((nl = memchr(data, '\n', size)) != NULL) {
		name = dup_bytes(data, (size_t)(nl - data));
		query = dup_bytes(nl + 1, size - (size_t)(nl - data) - 1);
	} else {
		name = dup_bytes((const uint8_t *)"message", 7);
		query = dup_bytes(data, size);
	}
	get(query, name, maxlen, 1);
	get(query, "operation", 64, 0);
	get(query, "message", 3 * (262144 / 3 * 4 + 8), 1);
	/* A missing query string, as CGI without QUERY_STRING. */
	if (http_query_get(NULL, name, maxlen, NULL) != NULL)
		abort();
	free(name);
	free(query);
	return 0;
}
