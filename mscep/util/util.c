/* util.c - byte buffers, hex and base64 used across mscep. */
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
buf_append(struct buf *b, const void *data, size_t n)
{
	size_t	 ncap;
	unsigned char *np;

	if (n > SIZE_MAX / 2 - b->len)
		return -1;
	if (b->len + n > b->cap) {
		ncap = b->cap ? b->cap : 1024;
		while (ncap < b->len + n)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return -1;
		b->p = np;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
util_hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t	 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	/* ' ': a '+' left unencoded in a query; '-' and '_': base64url, which
	 * Debian's scepclient (micromdm 2.1) sends despite RFC 8894 §4.3. */
	if (c == '+' || c == ' ' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

long
util_base64_decode(const char *in, size_t inlen, unsigned char *out,
    size_t outcap)
{
	unsigned long	 acc = 0;
	size_t		 i, n = 0, pad = 0;
	int		 bits = 0, v;

	for (i = 0; i < inlen; i++) {
		if (in[i] == '\r' || in[i] == '\n' || in[i] == '\t')
			continue;
		if (in[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value((unsigned char)in[i])) < 0)
			return -1;	/* data after padding, or not base64 */
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= outcap)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1UL << bits) - 1;
		}
	}
	if (pad > 2 || bits >= 6)
		return -1;
	return (long)n;
}

size_t
util_base64_encode(const unsigned char *in, size_t len, char *out,
    size_t outcap)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t	 i, n = 0;
	unsigned long v;

	if (outcap < 4 * ((len + 2) / 3) + 1)
		return 0;
	for (i = 0; i < len; i += 3) {
		v = (unsigned long)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[n++] = a[(v >> 18) & 63];
		out[n++] = a[(v >> 12) & 63];
		out[n++] = i + 1 < len ? a[(v >> 6) & 63] : '=';
		out[n++] = i + 2 < len ? a[v & 63] : '=';
	}
	out[n] = '\0';
	return n;
}

int64_t
util_now(void)
{
	return (int64_t)time(NULL);
}

void
util_iso8601(int64_t t, char *out, size_t len)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		util_strlcpy(out, "-", len);
}

void
util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	 n;

	if (size == 0)
		return;
	n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int
util_key_index_name(const char *base, int n, char *out, size_t size)
{
	const char	*last = strrchr(base, '/'), *dot;
	size_t		 stem;
	int		 len;

	last = last ? last + 1 : base;
	if ((dot = strrchr(last, '.')) == NULL || n == 0)
		dot = base + strlen(base);
	stem = (size_t)(dot - base);
	len = n == 0 ? snprintf(out, size, "%s", base) :
	    snprintf(out, size, "%.*s(%d)%s", (int)stem, base, n, dot);
	return len < 0 || (size_t)len >= size ? -1 : 0;
}

int64_t
util_mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
util_elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}
