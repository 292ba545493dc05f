/*
 * transport.h - HTTP/1.1 to the SCEP endpoint of -u, GET and POST, on one
 * keep-alive TCP connection at a time, with the socket timeout of
 * --timeout. Enough of HTTP for a SCEP server and nothing more: bodies by
 * Content-Length, chunked or up to the close, interim 1xx answers skipped.
 */
#ifndef SCEPCLI_TRANSPORT_H
#define SCEPCLI_TRANSPORT_H

#include <stddef.h>

#include "common.h"

#define RBUF_SIZE       16384

/* One connection: starts as { .fd = -1 }, opened on first use, ended with
 * conn_close(). err says why the last exchange failed. */
struct conn {
	int fd;
	int reused;             /* a full exchange already happened on fd */
	size_t beg, end;        /* unread bytes are rbuf[beg, end) */
	char err[300];
	char rbuf[RBUF_SIZE];
};

/* One answer; the caller owns body and frees it with buf_free(). */
struct http_resp {
	int status;
	int close;              /* connection cannot carry another request */
	char ctype[128];
	struct buf body;
};

/* The request-target: -u's path (and query, if any) with query added, in
 * a new string the caller frees; NULL when out of memory. */
char	*make_target(const char *query);
/*
 * Sends method target (body of blen bytes as ctype, or no body when NULL)
 * and reads the answer into r, replacing r's body. 0, or -1 with c->err
 * set. A reused connection the server had closed is reopened once; a
 * fresh one is never retried, so real server failures stay visible.
 */
int	 http_exchange(struct conn *c, const char *method, const char *target,
	    const unsigned char *body, size_t blen, const char *ctype,
	    struct http_resp *r);
/* Closes c if open; c can be used again. */
void	 conn_close(struct conn *c);
/* ctype is want, ignoring case and any parameters (";..."). */
int	 ctype_is(const char *ctype, const char *want);

#endif
