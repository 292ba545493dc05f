/*
 * sigwire.h - the signer's wire protocol (mscep -S, keyops_remote.c): one
 * request and one answer per connection on a Unix socket, each a frame
 * of a 4-byte big-endian length and a body no longer than SIGWIRE_MAX.
 *
 *   request: version(1) type(1) role(1) txid length(1) digest NID(4)
 *            flags(4) txid DER
 *   answer:  version(1) status(1) DER (SIGWIRE_OK) or reason text
 *
 * The DER is what is to be signed, whole (a certificate, a CRL, an OCSP
 * basic response, its signature a placeholder), so the signer can parse
 * it and refuse it; the answer is the same object signed. For the RA's
 * CMS signature (CertRep, GetNextCACert) it is the SignerInfo's signed
 * attributes, the DER SET OF Attribute that CMS signs (RFC 5652 5.4),
 * followed by the content they sign (the eContent's octets: a CertRep's
 * pkcsPKIEnvelope or nothing, GetNextCACert's certificates), so the
 * signer can check that messageDigest is that content's and what the
 * content is; the answer is the signature. For a decryption it is the request's
 * pkcsPKIEnvelope, an EnvelopedData, and the answer its content. For the
 * Intune client assertion it is the JWT's signing input (ASCII, not DER),
 * and the answer the RS256 signature. Nothing
 * else travels: no key, no generic "sign these bytes".
 */
#ifndef MSCEP_SIGWIRE_H
#define MSCEP_SIGWIRE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "util/util.h"

#define SIGWIRE_VERSION		2	/* 2: CMS content sent */
#define SIGWIRE_MAX		(8 * 1024 * 1024)	/* a CRL of ~120000
							   entries, or GetCRL's
							   CertRep enveloping
							   one of ~60000 */
#define SIGWIRE_TXID_MAX	128	/* SCEP transactionID, printable */
#define SIGWIRE_REQ_HEAD	12
#define SIGWIRE_RESP_HEAD	2

enum sigwire_type {
	SIGWIRE_SIGN_CERT = 1,	/* an end-entity certificate, CA key */
	SIGWIRE_SIGN_CRL,	/* a CRL, CA key */
	SIGWIRE_SIGN_OCSP,	/* an OCSP basic response, responder key */
	SIGWIRE_SIGN_CMS,	/* CertRep's or GetNextCACert's signed
				   attributes, RA signing key */
	SIGWIRE_DECRYPT,	/* a pkcsPKIEnvelope, RA encryption key */
	SIGWIRE_SIGN_JWT,	/* the Intune client assertion's signing
				   input, Intune client key */
};

enum sigwire_status {
	SIGWIRE_OK = 0,		/* DER follows */
	SIGWIRE_REFUSED,	/* no template allows it: reason follows */
	SIGWIRE_ERROR,		/* malformed, or the signer failed */
};

/* A request; der points into the decoded body (borrowed). */
struct sigwire_req {
	int			 type;		/* enum sigwire_type */
	int			 role;		/* enum keyop_role */
	int			 md_nid;	/* NID of the digest */
	uint32_t		 flags;		/* OCSP_basic_sign's */
	char			 txid[SIGWIRE_TXID_MAX + 1];
	const unsigned char	*der;
	size_t			 der_len;
};

struct sigwire_resp {
	int			 status;	/* enum sigwire_status */
	const unsigned char	*data;		/* borrowed */
	size_t			 len;
};

/* The frame body of a request or answer into out (appended); -1 when
 * it would not fit SIGWIRE_MAX, the txid is not printable, or no memory. */
int	 sigwire_req_encode(const struct sigwire_req *, struct buf *out);
int	 sigwire_resp_encode(const struct sigwire_resp *, struct buf *out);
/* Parses a frame body; -1 and why when it is not one (any length). */
int	 sigwire_req_decode(const unsigned char *, size_t,
	    struct sigwire_req *, char *reason, size_t);
int	 sigwire_resp_decode(const unsigned char *, size_t,
	    struct sigwire_resp *, char *reason, size_t);

/* CMS signed attributes as they are signed (a DER SET OF): into *out
 * (OPENSSL_free), the length or -1; and parsed back, all of der, NULL
 * when it is not one. */
int	 sigwire_attrs_i2d(const STACK_OF(X509_ATTRIBUTE) *,
	    unsigned char **out);
STACK_OF(X509_ATTRIBUTE) *sigwire_attrs_d2i(const unsigned char *, size_t);
void	 sigwire_attrs_free(STACK_OF(X509_ATTRIBUTE) *);
/* Where a SIGWIRE_SIGN_CMS request's attributes end and their content
 * begins: the length of the leading DER SET, or 0 when there is none. */
size_t	 sigwire_cms_split(const unsigned char *, size_t);

/*
 * One frame on a stream socket, each within timeout_ms (total): the
 * length, then the body into out (replaced). -1 and why: closed, timed
 * out, or a length over SIGWIRE_MAX (nothing more is read).
 */
int	 sigwire_read(int fd, struct buf *out, int timeout_ms, char *reason,
	    size_t);
int	 sigwire_write(int fd, const struct buf *body, int timeout_ms,
	    char *reason, size_t);

/*
 * The same, a step at a time, for a process serving many connections at
 * once (the signer); neither waits, whatever the socket's mode.
 * sigwire_read_some appends what the socket has to in, the frame so far
 * with its 4-byte length: 1 when in holds one whole frame (its body at
 * in->p + 4), 0 when more is to come, -1 and why: closed, or a length
 * over SIGWIRE_MAX. Nothing past the announced length is read, and
 * nothing past the length itself in the call that completes it.
 * sigwire_frame_len is that length, the 4 bytes included, once known
 * (else 0). sigwire_frame puts the length before body into out
 * (replaced; -1 when too long or no memory); sigwire_write_some sends
 * frame from *off on: 1 when all of it is sent, 0 when the socket takes
 * no more now, -1.
 */
int	 sigwire_read_some(int fd, struct buf *in, char *reason, size_t);
size_t	 sigwire_frame_len(const struct buf *in);
int	 sigwire_frame(const struct buf *body, struct buf *out);
int	 sigwire_write_some(int fd, const struct buf *frame, size_t *off,
	    char *reason, size_t);

#endif
