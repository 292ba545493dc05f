/*
 * pwpage.h - the mscep_admin page at PasswordVDir: a fresh one-time
 * password for a user the web server authenticated and the INI allows.
 * REMOTE_USER is trusted on this path only.
 */
#ifndef MSCEP_PWPAGE_H
#define MSCEP_PWPAGE_H

#include "responder/http.h"
#include "responder/worker.h"

/* 1 when the request path (REQUEST_URI, query ignored) is PasswordVDir. */
int	 pwpage_match(const struct config *, const char *request_uri);
void	 pwpage_handle(struct worker *, const struct http_req *,
	    struct http_resp *);

#endif
