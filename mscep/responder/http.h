/*
 * http.h - the request and response a worker handles, independent of
 * FastCGI so the handlers can be tested and fuzzed directly, plus the
 * query-string decoding SCEP clients need.
 */
#ifndef MSCEP_HTTP_H
#define MSCEP_HTTP_H

#include <stddef.h>

#include "util/util.h"

struct http_req {
	const char		*method;
	const char		*query;		/* without the leading '?' */
	const char		*path_info;	/* e.g. "/pkiclient.exe" */
	const char		*request_uri;	/* as sent, with the query */
	const char		*remote_user;	/* trusted on PasswordVDir only */
	const char		*remote_addr;	/* REMOTE_ADDR, for the records */
	int			 https;		/* the server says TLS (HTTPS=on) */
	const unsigned char	*body;
	size_t			 body_len;
};

struct http_resp {
	int		 status;
	const char	*content_type;
	struct buf	 body;
};

/*
 * Finds parameter name (case-insensitive, as IIS matches "operation") and
 * percent-decodes its value into a new NUL-terminated string the caller
 * frees. Tolerates "??" and unencoded '+'. Returns NULL when absent.
 */
char	*http_query_get(const char *query, const char *name, size_t maxlen,
	    int *too_long);

/* Percent-decodes [p, p+n) into a new NUL-terminated string the caller
 * frees; '+' stays '+'. NULL when out of memory. */
char	*http_pct_decode(const char *p, size_t n);

void	 http_text(struct http_resp *, int status, const char *ctype,
	    const char *body);
void	 http_resp_free(struct http_resp *);

#endif
