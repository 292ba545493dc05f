/*
 * intune_http.h - HTTPS and JSON for Module = intune: one libcurl handle
 * per worker (its connections are reused), certificate and host name
 * always verified, the [Intune] CABundle, Proxy and TimeoutSeconds.
 */
#ifndef MSCEP_INTUNE_HTTP_H
#define MSCEP_INTUNE_HTTP_H

#include <stddef.h>

#include <jansson.h>

#include "config/config.h"

/* How a call ended before any HTTP status. */
enum intune_net {
	INTUNE_NET_OK,		/* an HTTP answer came */
	INTUNE_NET_CONNECT,	/* DNS or connect failed: rediscover */
	INTUNE_NET_TIMEOUT,	/* TimeoutSeconds passed */
	INTUNE_NET_ERROR,	/* TLS, proxy or another transport error */
};

struct intune_reply {
	enum intune_net	 net;
	long		 status;	/* HTTP status, 0 without one */
	json_t		*json;		/* owned; NULL: not JSON */
	char		 request_id[40];	/* client-request-id sent */
};

struct intune_http;

struct intune_http *intune_http_new(const struct config *, char *, size_t);
void	 intune_http_free(struct intune_http *);

/*
 * One call: GET when body is NULL, else POST of body with content type
 * ctype. bearer: the Authorization token, or NULL. extra: one more header
 * line or NULL. Sends a new client-request-id. Returns 0 when an answer
 * came (any status; json NULL when the body is not JSON), -1 with reason
 * (naming the URL's host) otherwise.
 */
int	 intune_http_call(struct intune_http *, const char *url,
	    const char *bearer, const char *extra, const char *ctype,
	    const char *body, struct intune_reply *, char *reason, size_t);
void	 intune_reply_clear(struct intune_reply *);
/* How the latest call on this handle ended (a token or Graph call too). */
enum intune_net intune_http_last(const struct intune_http *);

/* A random version-4 GUID, lower case, 36 characters. */
void	 intune_guid(char out[37]);
/* Form-encodes s (libcurl's escaping); NULL on error; free with free(). */
char	*intune_http_escape(struct intune_http *, const char *s);

#endif
