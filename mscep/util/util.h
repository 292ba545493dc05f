/* util.h - small helpers shared by the responder and the admin tool. */
#ifndef MSCEP_UTIL_H
#define MSCEP_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer; one owner frees it with buf_free(). */
struct buf {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

int	 buf_append(struct buf *, const void *, size_t);
void	 buf_free(struct buf *);

/* Reason strings travel with errors up to the caller that logs them:
 * one size for every reason buffer, room for a path or two. */
#define REASON_MAX 512

/* Upper-case hex of len bytes into out (2*len+1 bytes). */
void	 util_hex_encode(const unsigned char *, size_t, char *);

/*
 * RFC 4648 base64, tolerant as SCEP GET clients need: skips CR and LF
 * (Cisco wraps lines), reads ' ' as '+' (left unencoded in a query) and
 * accepts the base64url alphabet too.
 * Returns decoded length or -1.
 */
long	 util_base64_decode(const char *, size_t, unsigned char *, size_t);
size_t	 util_base64_encode(const unsigned char *, size_t, char *, size_t);

int64_t	 util_now(void);

/* Copy with truncation; always NUL-terminates. */
void	 util_strlcpy(char *, const char *, size_t);

/*
 * A CRL file or URL name for CA key index n, as AD CS names them: base as
 * it is for key 0, "(n)" before the extension of its last part otherwise
 * (mscep.crl, mscep(1).crl). -1 when it does not fit.
 */
int	 util_key_index_name(const char *base, int n, char *out, size_t);

/* Seconds since the epoch as 2026-12-07T12:00:00Z; "-" for 0 or less. */
void	 util_iso8601(int64_t, char *, size_t);

/* Milliseconds since t0 (CLOCK_MONOTONIC), for the log lines. */
struct timespec;
/* Milliseconds on the monotonic clock: for deadlines and timeouts. */
int64_t	 util_mono_ms(void);
double	 util_elapsed_ms(const struct timespec *);

#endif
