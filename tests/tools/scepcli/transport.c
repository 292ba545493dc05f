/* transport.c - a small HTTP/1.1 client on POSIX sockets. */
#include "transport.h"
#include "common.h"
#include "options.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_BODY        (64L * 1024 * 1024)
#define MAX_LINE        8192

/* Request-target for URL path plus one query string. Caller frees. */
char *make_target(const char *query)
{
	const char *sep = strchr(opt.path, '?') ? "&" : "?";
	size_t n = strlen(opt.path) + strlen(query) + 2;
	char *t = malloc(n);

	if (t != NULL)
		snprintf(t, n, "%s%s%s", opt.path, sep, query);
	return t;
}

struct hdr_info {
	long long clen;
	int chunked, conn_close, keep_alive, http10;
};

void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->beg = c->end = 0;
	c->reused = 0;
}

static void conn_error(struct conn *c, const char *what, int err)
{
	if (err)
		snprintf(c->err, sizeof c->err, "%s: %s", what, strerror(err));
	else
		snprintf(c->err, sizeof c->err, "%s", what);
}

static void set_socket_opts(int fd)
{
	struct timeval tv = { .tv_sec = opt.timeout, .tv_usec = 0 };
	int one = 1;

	/* A hung server must turn into a counted failure, not a hung test. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	/* Requests are written in one go; Nagle would only add latency. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int conn_open(struct conn *c)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	int fd = -1, rc, err = 0;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(opt.host, opt.port, &hints, &res);
	if (rc != 0) {
		snprintf(c->err, sizeof c->err, "%s: %s", opt.host,
			 gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		conn_error(c, "connect", err);
		return -1;
	}
	set_socket_opts(fd);
	c->fd = fd;
	c->beg = c->end = 0;
	c->reused = 0;
	return 0;
}

/* Reads more bytes into rbuf. Returns >0 bytes, 0 on EOF, -1 on error. */
static ssize_t conn_fill(struct conn *c)
{
	ssize_t n;

	if (c->beg > 0) {
		memmove(c->rbuf, c->rbuf + c->beg, c->end - c->beg);
		c->end -= c->beg;
		c->beg = 0;
	}
	if (c->end == sizeof c->rbuf) {
		conn_error(c, "HTTP line too long", 0);
		return -1;
	}
	do
		n = recv(c->fd, c->rbuf + c->end, sizeof c->rbuf - c->end, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		c->end += (size_t)n;
	else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		conn_error(c, "timeout waiting for the server", 0);
	else if (n < 0)
		conn_error(c, "recv", errno);
	return n;
}

/* One header line without its CRLF. Returns 0 ok, 1 if the peer closed
 * (or reset) before sending a single byte, -1 on error. */
static int conn_getline(struct conn *c, char *out, size_t outsz)
{
	for (;;) {
		char *start = c->rbuf + c->beg;
		char *nl = memchr(start, '\n', c->end - c->beg);
		ssize_t r;

		if (nl != NULL) {
			size_t n = (size_t)(nl - start), m = n;

			if (m > 0 && start[m - 1] == '\r')
				m--;
			if (m >= outsz)
				break;
			memcpy(out, start, m);
			out[m] = 0;
			c->beg += n + 1;
			return 0;
		}
		if (c->end - c->beg >= outsz)
			break;
		r = conn_fill(c);
		if (r == 0 && c->end == c->beg) {
			conn_error(c, "connection closed by server", 0);
			return 1;
		}
		if (r < 0 && errno == ECONNRESET && c->end == c->beg)
			return 1;
		if (r <= 0) {
			if (r == 0)
				conn_error(c, "truncated HTTP response", 0);
			return -1;
		}
	}
	conn_error(c, "HTTP line too long", 0);
	return -1;
}

static int conn_read_body(struct conn *c, size_t n, struct buf *b)
{
	while (n > 0) {
		size_t avail = c->end - c->beg, take;
		ssize_t r;

		if (avail == 0) {
			r = conn_fill(c);
			if (r == 0)
				conn_error(c, "truncated HTTP body", 0);
			if (r <= 0)
				return -1;
			continue;
		}
		take = avail < n ? avail : n;
		if (!buf_append(b, c->rbuf + c->beg, take)) {
			conn_error(c, "out of memory", 0);
			return -1;
		}
		c->beg += take;
		n -= take;
	}
	return 0;
}

/* Body delimited by connection close (no Content-Length, not chunked). */
static int conn_read_to_eof(struct conn *c, struct buf *b)
{
	for (;;) {
		size_t avail = c->end - c->beg;
		ssize_t r;

		if (avail > 0 && !buf_append(b, c->rbuf + c->beg, avail)) {
			conn_error(c, "out of memory", 0);
			return -1;
		}
		c->beg = c->end = 0;
		if (b->len > (size_t)MAX_BODY) {
			conn_error(c, "HTTP body too large", 0);
			return -1;
		}
		r = conn_fill(c);
		if (r == 0)
			return 0;
		if (r < 0)
			return -1;
	}
}

static int read_chunked(struct conn *c, struct buf *b)
{
	char line[MAX_LINE];

	for (;;) {
		unsigned long long sz;
		char *end;

		if (conn_getline(c, line, sizeof line) != 0)
			return -1;
		errno = 0;
		sz = strtoull(line, &end, 16);
		if (end == line || errno != 0 || sz > (unsigned long long)MAX_BODY - b->len) {
			conn_error(c, "bad chunk size", 0);
			return -1;
		}
		if (sz == 0)
			break;
		if (conn_read_body(c, (size_t)sz, b) != 0)
			return -1;
		if (conn_getline(c, line, sizeof line) != 0 || line[0] != 0) {
			conn_error(c, "bad chunk terminator", 0);
			return -1;
		}
	}
	do {    /* trailer section ends with an empty line */
		if (conn_getline(c, line, sizeof line) != 0)
			return -1;
	} while (line[0] != 0);
	return 0;
}

static void parse_header(char *line, struct http_resp *r, struct hdr_info *h)
{
	char *colon = strchr(line, ':'), *v;
	size_t vl;

	if (colon == NULL)
		return;
	*colon = 0;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (vl = strlen(v); vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'); vl--)
		v[vl - 1] = 0;
	if (strcasecmp(line, "Content-Length") == 0)
		h->clen = strtoll(v, NULL, 10);
	else if (strcasecmp(line, "Transfer-Encoding") == 0)
		h->chunked = strcasestr(v, "chunked") != NULL;
	else if (strcasecmp(line, "Connection") == 0) {
		h->conn_close |= strcasestr(v, "close") != NULL;
		h->keep_alive |= strcasestr(v, "keep-alive") != NULL;
	} else if (strcasecmp(line, "Content-Type") == 0)
		snprintf(r->ctype, sizeof r->ctype, "%s", v);
}

/* Status line and headers. Returns 0, 1 (nothing received) or -1. */
static int read_head(struct conn *c, struct http_resp *r, struct hdr_info *h)
{
	char line[MAX_LINE];
	int major, minor, rc;

	memset(h, 0, sizeof *h);
	h->clen = -1;
	r->ctype[0] = 0;
	if ((rc = conn_getline(c, line, sizeof line)) != 0)
		return rc;
	if (sscanf(line, "HTTP/%d.%d %d", &major, &minor, &r->status) != 3) {
		conn_error(c, "bad HTTP status line", 0);
		return -1;
	}
	h->http10 = major == 1 && minor == 0;
	for (;;) {
		if (conn_getline(c, line, sizeof line) != 0) {
			conn_error(c, "truncated HTTP header", 0);
			return -1;
		}
		if (line[0] == 0)
			return 0;
		parse_header(line, r, h);
	}
}

static int read_body(struct conn *c, struct http_resp *r, const struct hdr_info *h)
{
	if (h->chunked)
		return read_chunked(c, &r->body);
	if (h->clen > MAX_BODY) {
		conn_error(c, "HTTP body too large", 0);
		return -1;
	}
	if (h->clen >= 0)
		return conn_read_body(c, (size_t)h->clen, &r->body);
	if (r->status == 204 || r->status == 304)
		return 0;
	r->close = 1;   /* the body ends where the connection ends */
	return conn_read_to_eof(c, &r->body);
}

static int read_response(struct conn *c, struct http_resp *r)
{
	struct hdr_info h;
	int rc, interim = 0;

	for (;;) {      /* skip 1xx interim responses */
		rc = read_head(c, r, &h);
		if (rc == 1 && interim)
			rc = -1;
		if (rc != 0)
			return rc;
		if (r->status >= 200)
			break;
		interim = 1;
	}
	r->close = h.conn_close || (h.http10 && !h.keep_alive);
	return read_body(c, r, &h) == 0 ? 0 : -1;
}

static int send_all(struct conn *c, const unsigned char *d, size_t n)
{
	while (n > 0) {
		/* MSG_NOSIGNAL: a closed keep-alive socket must give EPIPE,
		 * not kill the worker with SIGPIPE. */
		ssize_t w = send(c->fd, d, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			conn_error(c, "send", errno);
			return (errno == EPIPE || errno == ECONNRESET) ? 1 : -1;
		}
		d += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Returns 0, 1 (peer had closed the connection) or -1. */
static int send_request(struct conn *c, const char *method, const char *target,
			const unsigned char *body, size_t blen, const char *ctype)
{
	struct buf req = { 0 };
	char hdr[512];
	int ok, rc;

	snprintf(hdr, sizeof hdr, " HTTP/1.1\r\nHost: %s\r\n"
		 "User-Agent: scepcli\r\nAccept: */*\r\n", opt.hosthdr);
	ok = buf_puts(&req, method) && buf_puts(&req, " ") &&
	     buf_puts(&req, target) && buf_puts(&req, hdr);
	if (ok && body != NULL) {
		snprintf(hdr, sizeof hdr, "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n", ctype, blen);
		ok = buf_puts(&req, hdr);
	}
	ok = ok && buf_puts(&req, "\r\n") &&
	     (body == NULL || buf_append(&req, body, blen));
	if (!ok) {
		conn_error(c, "out of memory", 0);
		rc = -1;
	} else {
		rc = send_all(c, req.p, req.len);
	}
	buf_free(&req);
	return rc;
}

/* One request/response over the keep-alive connection c. A reused
 * connection the server closed while idle is reopened once; a fresh one is
 * never retried, so real server failures stay visible. */
int http_exchange(struct conn *c, const char *method, const char *target,
			 const unsigned char *body, size_t blen,
			 const char *ctype, struct http_resp *r)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		int reused, rc;

		if (c->fd < 0 && conn_open(c) != 0)
			return -1;
		reused = c->reused;
		if (opt.verbose)
			fprintf(stderr, "> %s request-target %zu bytes, body %zu bytes%s\n",
				method, strlen(target), blen,
				reused ? " (keep-alive)" : "");
		rc = send_request(c, method, target, body, blen, ctype);
		if (rc == 0) {
			r->body.len = 0;
			rc = read_response(c, r);
		}
		if (rc == 0) {
			if (opt.verbose)
				fprintf(stderr, "< %d %s, %zu bytes%s\n", r->status,
					r->ctype, r->body.len,
					r->close ? ", close" : "");
			c->reused = 1;
			if (r->close)
				conn_close(c);
			return 0;
		}
		conn_close(c);
		if (rc < 0 || !reused)
			break;
	}
	return -1;
}

int ctype_is(const char *ctype, const char *want)
{
	size_t n = strlen(want);

	return strncasecmp(ctype, want, n) == 0 &&
	       (ctype[n] == 0 || ctype[n] == ';' || ctype[n] == ' ');
}
