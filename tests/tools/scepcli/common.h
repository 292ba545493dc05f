/*
 * common.h - what every part of scepcli uses: a growable byte buffer, the
 * encodings SCEP puts on the wire, a clock, and OpenSSL error reporting.
 */
#ifndef SCEPCLI_COMMON_H
#define SCEPCLI_COMMON_H

#include <stddef.h>

/* A growable byte buffer, kept NUL-terminated so that text bodies print
 * as C strings. Starts as { 0 }; its one owner frees it with buf_free(). */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

/* Append n bytes of d (d may be NULL when n is 0). 1, or 0 when out of
 * memory, b unchanged. */
int	 buf_append(struct buf *b, const void *d, size_t n);
int	 buf_puts(struct buf *b, const char *s);
/* Frees the bytes; b is empty and usable again. */
void	 buf_free(struct buf *b);

/* Seconds on CLOCK_MONOTONIC: stamps of different processes compare. */
double	 now_s(void);
/* "scepcli: what", then the OpenSSL error queue, on stderr. */
void	 ossl_fail(const char *what);
/* A whole decimal string in [min, max] into *out: 1, else 0. */
int	 parse_long(const char *s, long min, long max, long *out);
/* Upper-case hex of n bytes into out, which holds 2n+1. */
void	 hex_upper(const unsigned char *d, size_t n, char *out);
/* Base64 and RFC 3986 percent-encoding into new strings the caller
 * frees; NULL when out of memory. */
char	*base64(const unsigned char *d, size_t n);
char	*pct_encode(const char *s);

#endif
