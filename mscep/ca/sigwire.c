/* sigwire.c - the signer's frames: encoding, parsing, timed socket I/O. */
#include "ca/sigwire.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

#include <openssl/asn1t.h>

/* SignedAttributes as CMS signs them: a SET OF, DER-sorted. */
typedef STACK_OF(X509_ATTRIBUTE) SIGWIRE_ATTRS;
DECLARE_ASN1_ITEM(SIGWIRE_ATTRS)
ASN1_ITEM_TEMPLATE(SIGWIRE_ATTRS) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_ORDER, 0, SignedAttributes,
	    X509_ATTRIBUTE)
ASN1_ITEM_TEMPLATE_END(SIGWIRE_ATTRS)

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Printable ASCII only: the txid goes into log lines as is. */
static int
txid_ok(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

int
sigwire_req_encode(const struct sigwire_req *r, struct buf *out)
{
	unsigned char	 head[SIGWIRE_REQ_HEAD];
	size_t		 tl = strlen(r->txid);

	if (tl > SIGWIRE_TXID_MAX || !txid_ok(r->txid, tl) ||
	    r->type < 0 || r->type > 255 || r->role < 0 || r->role > 255 ||
	    r->md_nid < 0 ||
	    r->der_len > SIGWIRE_MAX - SIGWIRE_REQ_HEAD - tl)
		return -1;
	head[0] = SIGWIRE_VERSION;
	head[1] = (unsigned char)r->type;
	head[2] = (unsigned char)r->role;
	head[3] = (unsigned char)tl;
	put32(head + 4, (uint32_t)r->md_nid);
	put32(head + 8, r->flags);
	if (buf_append(out, head, sizeof(head)) != 0 ||
	    buf_append(out, r->txid, tl) != 0 ||
	    buf_append(out, r->der, r->der_len) != 0)
		return -1;
	return 0;
}

int
sigwire_resp_encode(const struct sigwire_resp *r, struct buf *out)
{
	unsigned char	 head[SIGWIRE_RESP_HEAD];

	if (r->status < 0 || r->status > SIGWIRE_ERROR ||
	    r->len > SIGWIRE_MAX - SIGWIRE_RESP_HEAD)
		return -1;
	head[0] = SIGWIRE_VERSION;
	head[1] = (unsigned char)r->status;
	if (buf_append(out, head, sizeof(head)) != 0 ||
	    buf_append(out, r->data, r->len) != 0)
		return -1;
	return 0;
}

int
sigwire_req_decode(const unsigned char *p, size_t n, struct sigwire_req *r,
    char *reason, size_t rlen)
{
	size_t	 tl;

	memset(r, 0, sizeof(*r));
	if (n < SIGWIRE_REQ_HEAD || n > SIGWIRE_MAX) {
		snprintf(reason, rlen, "request of %zu bytes: not a frame", n);
		return -1;
	}
	if (p[0] != SIGWIRE_VERSION) {
		snprintf(reason, rlen, "protocol version %u, not %d", p[0],
		    SIGWIRE_VERSION);
		return -1;
	}
	tl = p[3];
	if (tl > SIGWIRE_TXID_MAX || tl > n - SIGWIRE_REQ_HEAD ||
	    !txid_ok((const char *)p + SIGWIRE_REQ_HEAD, tl)) {
		snprintf(reason, rlen, "transaction ID of %zu bytes: too long "
		    "or not printable", tl);
		return -1;
	}
	if (get32(p + 4) > 0x7fffffff) {
		snprintf(reason, rlen, "digest NID out of range");
		return -1;
	}
	r->type = p[1];
	r->role = p[2];
	r->md_nid = (int)get32(p + 4);
	r->flags = get32(p + 8);
	memcpy(r->txid, p + SIGWIRE_REQ_HEAD, tl);
	r->txid[tl] = '\0';
	r->der = p + SIGWIRE_REQ_HEAD + tl;
	r->der_len = n - SIGWIRE_REQ_HEAD - tl;
	return 0;
}

int
sigwire_resp_decode(const unsigned char *p, size_t n,
    struct sigwire_resp *r, char *reason, size_t rlen)
{
	memset(r, 0, sizeof(*r));
	if (n < SIGWIRE_RESP_HEAD || n > SIGWIRE_MAX) {
		snprintf(reason, rlen, "answer of %zu bytes: not a frame", n);
		return -1;
	}
	if (p[0] != SIGWIRE_VERSION || p[1] > SIGWIRE_ERROR) {
		snprintf(reason, rlen, "answer version %u status %u: not "
		    "this protocol", p[0], p[1]);
		return -1;
	}
	r->status = p[1];
	r->data = p + SIGWIRE_RESP_HEAD;
	r->len = n - SIGWIRE_RESP_HEAD;
	return 0;
}

int
sigwire_attrs_i2d(const STACK_OF(X509_ATTRIBUTE) *attrs, unsigned char **out)
{
	*out = NULL;
	return ASN1_item_i2d((const ASN1_VALUE *)attrs, out,
	    ASN1_ITEM_rptr(SIGWIRE_ATTRS));
}

STACK_OF(X509_ATTRIBUTE) *
sigwire_attrs_d2i(const unsigned char *der, size_t len)
{
	const unsigned char	*p = der;
	ASN1_VALUE		*v;

	if (len > SIGWIRE_MAX || (v = ASN1_item_d2i(NULL, &p, (long)len,
	    ASN1_ITEM_rptr(SIGWIRE_ATTRS))) == NULL)
		return NULL;
	if (p != der + len) {
		ASN1_item_free(v, ASN1_ITEM_rptr(SIGWIRE_ATTRS));
		return NULL;
	}
	return (STACK_OF(X509_ATTRIBUTE) *)v;
}

void
sigwire_attrs_free(STACK_OF(X509_ATTRIBUTE) *attrs)
{
	sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
}

/* Waits until fd is ready for events or the deadline passes. */
static int
wait_fd(int fd, short events, int64_t deadline, char *reason, size_t rlen)
{
	struct pollfd	 pfd = { .fd = fd, .events = events };
	int64_t		 left;
	int		 rc;

	for (;;) {
		if ((left = deadline - util_mono_ms()) <= 0) {
			snprintf(reason, rlen, "timed out");
			return -1;
		}
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR) {
			snprintf(reason, rlen, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

size_t
sigwire_frame_len(const struct buf *in)
{
	return in->len < 4 ? 0 : (size_t)get32(in->p) + 4;
}

int
sigwire_read_some(int fd, struct buf *in, char *reason, size_t rlen)
{
	unsigned char	 chunk[16384];
	size_t		 want;
	ssize_t		 got;

	for (;;) {
		/* The length, then no more than the frame it announces. */
		if (in->len >= 4 && get32(in->p) > SIGWIRE_MAX) {
			snprintf(reason, rlen, "frame of %u bytes, more than "
			    "%d", get32(in->p), SIGWIRE_MAX);
			return -1;
		}
		if (in->len >= 4 && in->len == sigwire_frame_len(in))
			return 1;
		want = in->len < 4 ? 4 - in->len : sigwire_frame_len(in) -
		    in->len;
		if ((got = recv(fd, chunk, want < sizeof(chunk) ? want :
		    sizeof(chunk), MSG_DONTWAIT)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			snprintf(reason, rlen, "%s", strerror(errno));
			return -1;
		}
		if (got == 0) {
			snprintf(reason, rlen, "connection closed");
			return -1;
		}
		/* Grown as bytes arrive: an announced length allocates
		 * nothing. */
		if (buf_append(in, chunk, (size_t)got) != 0) {
			snprintf(reason, rlen, "out of memory");
			return -1;
		}
		/* The length just whole: the caller may weigh it first. */
		if (in->len == 4 && get32(in->p) > 0 &&
		    get32(in->p) <= SIGWIRE_MAX)
			return 0;
	}
}

int
sigwire_frame(const struct buf *body, struct buf *out)
{
	unsigned char	 len[4];

	out->len = 0;
	if (body->len > SIGWIRE_MAX)
		return -1;
	put32(len, (uint32_t)body->len);
	return buf_append(out, len, sizeof(len)) != 0 ||
	    (body->len > 0 && buf_append(out, body->p, body->len) != 0) ?
	    -1 : 0;
}

int
sigwire_write_some(int fd, const struct buf *frame, size_t *off,
    char *reason, size_t rlen)
{
	ssize_t	 put;

	while (*off < frame->len) {
		if ((put = send(fd, frame->p + *off, frame->len - *off,
		    MSG_NOSIGNAL | MSG_DONTWAIT)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			snprintf(reason, rlen, "%s", strerror(errno));
			return -1;
		}
		*off += (size_t)put;
	}
	return 1;
}

int
sigwire_read(int fd, struct buf *out, int timeout_ms, char *reason,
    size_t rlen)
{
	int64_t		 deadline = util_mono_ms() + timeout_ms;
	int		 rc;

	out->len = 0;
	do {
		if (wait_fd(fd, POLLIN, deadline, reason, rlen) != 0)
			return -1;
	} while ((rc = sigwire_read_some(fd, out, reason, rlen)) == 0);
	if (rc < 0)
		return -1;
	memmove(out->p, out->p + 4, out->len - 4);
	out->len -= 4;
	return 0;
}

int
sigwire_write(int fd, const struct buf *body, int timeout_ms, char *reason,
    size_t rlen)
{
	int64_t		 deadline = util_mono_ms() + timeout_ms;
	struct buf	 frame = { 0 };
	size_t		 off = 0;
	int		 rc;

	if (sigwire_frame(body, &frame) != 0) {
		snprintf(reason, rlen, body->len > SIGWIRE_MAX ?
		    "frame too long" : "out of memory");
		buf_free(&frame);
		return -1;
	}
	while ((rc = sigwire_write_some(fd, &frame, &off, reason, rlen)) == 0)
		if (wait_fd(fd, POLLOUT, deadline, reason, rlen) != 0) {
			rc = -1;
			break;
		}
	buf_free(&frame);
	return rc < 0 ? -1 : 0;
}

size_t
sigwire_cms_split(const unsigned char *der, size_t len)
{
	const unsigned char	*p = der;
	long			 body;
	int			 tag, xclass, rc;

	if (len == 0 || len > LONG_MAX)
		return 0;
	rc = ASN1_get_object(&p, &body, &tag, &xclass, (long)len);
	/* 0x80: an error; 0x21: constructed, indefinite length (not DER). */
	if ((rc & 0x80) || rc != V_ASN1_CONSTRUCTED || tag != V_ASN1_SET ||
	    xclass != V_ASN1_UNIVERSAL || body < 0 ||
	    (size_t)body > len - (size_t)(p - der))
		return 0;
	return (size_t)(p - der) + (size_t)body;
}
