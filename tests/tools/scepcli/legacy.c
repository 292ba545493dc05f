/* legacy.c - non-DER signed attributes and BER, built on a DER message.
 * The unit tests' fixture builds the same for the server's unit tests;
 * this is the client's own copy (scepcli shares no code). */
#include "legacy.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>

/* buf_append with the 0/-1 convention of the walk below. */
static int
app(struct buf *b, const void *d, size_t n)
{
	return buf_append(b, d, n) ? 0 : -1;
}

/* One DER TLV at p: header length and total length, or -1. */
static int
tlv_at(const unsigned char *p, const unsigned char *end, long *hdr,
    long *total)
{
	const unsigned char	*q = p;
	long			 len;
	int			 tag, cls;

	if (p >= end || (ASN1_get_object(&q, &len, &tag, &cls, end - p) &
	    0x80) || q[-1] == 0x80)
		return -1;
	*hdr = q - p;
	*total = *hdr + len;
	return 0;
}

/* The offset of the SignerInfo's [0] signedAttrs in a DER message. */
static long
signed_attrs_at(const struct buf *m)
{
	const unsigned char	*p = m->p, *end = p + m->len;
	long			 h, t, sd_end;
	int			 i;

	/* ContentInfo, OID, [0], SignedData, version */
	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	p += h;
	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	p += t;
	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	p += h;
	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	sd_end = (p - m->p) + t;
	p += h;
	for (i = 0; p < m->p + sd_end && tlv_at(p, end, &h, &t) == 0; i++) {
		if (i >= 2 && *p == 0x31)	/* signerInfos */
			break;
		p += t;
	}
	if (p >= m->p + sd_end)
		return -1;
	p += h;			/* SET */
	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	p += h;			/* SignerInfo */
	for (i = 0; i < 3; i++) {	/* version, sid, digestAlgorithm */
		if (tlv_at(p, end, &h, &t) != 0)
			return -1;
		p += t;
	}
	return *p == 0xa0 ? p - m->p : -1;
}

/* Replaces the signature after the signedAttrs TLV at a (total t bytes)
 * with key's signature over attrs (same length, RSA). */
static int
resign_attrs(unsigned char *a, long t, const unsigned char *end,
    const unsigned char *attrs, EVP_PKEY *key, const EVP_MD *md)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	*sig = NULL;
	long		 ah, at, sh, st;
	size_t		 slen = 0;
	int		 rc = -1;

	/* the signatureAlgorithm SEQUENCE, then the signature OCTET STRING */
	if (ctx == NULL || tlv_at(a + t, end, &ah, &at) != 0 ||
	    tlv_at(a + t + at, end, &sh, &st) != 0 ||
	    EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &slen, attrs, (size_t)t) != 1 ||
	    (sig = malloc(slen)) == NULL ||
	    EVP_DigestSign(ctx, sig, &slen, attrs, (size_t)t) != 1 ||
	    (long)slen != st - sh)
		goto out;
	memcpy(a + t + at + sh, sig, slen);
	rc = 0;
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* id-senderNonce, 2.16.840.1.113733.1.9.5 */
static const unsigned char nonce_oid[] = { 0x06, 0x0a, 0x60, 0x86, 0x48,
    0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x05 };

int
legacy_non_der_attrs(struct buf *m, EVP_PKEY *key, const EVP_MD *md)
{
	const unsigned char *end = m->p + m->len;
	unsigned char	*a, *copy = NULL;
	long		 off = signed_attrs_at(m), h, t, ch, ct, n = 0;
	long		 offs[16], lens[16], pos, i;
	int		 rc = -1;

	if (off < 0 || tlv_at(m->p + off, end, &h, &t) != 0)
		return 0;
	a = m->p + off;
	for (pos = h; pos < t && n < 16; pos += ct, n++) {
		if (tlv_at(a + pos, end, &ch, &ct) != 0)
			return 0;
		offs[n] = pos;
		lens[n] = ct;
	}
	if (n < 2 || (copy = malloc((size_t)t)) == NULL)
		return 0;
	memcpy(copy, a, (size_t)h);
	for (i = n - 1, pos = h; i >= 0; pos += lens[i], i--)
		memcpy(copy + pos, a + offs[i], (size_t)lens[i]);
	/* senderNonce's 16 octets as 15 with a long-form length: valid BER,
	 * same size, not DER; OpenSSL's re-encoding would differ. */
	for (pos = h; pos + 16 < t; pos++)
		if (memcmp(copy + pos, nonce_oid, sizeof(nonce_oid)) == 0 &&
		    memcmp(copy + pos + sizeof(nonce_oid), "\x31\x12\x04\x10",
		    4) == 0) {
			memcpy(copy + pos + sizeof(nonce_oid) + 2,
			    "\x04\x81\x0f", 3);
			break;
		}
	memcpy(a, copy, (size_t)t);
	/* Signed as a SET (tag 0x31, RFC 5652 §5.4), in the order sent. */
	copy[0] = 0x31;
	rc = resign_attrs(a, t, end, copy, key, md);
	free(copy);
	return rc == 0;
}

/*
 * BER as iOS sends it: the ContentInfo, SignedData and encapsulated
 * content with indefinite lengths, the content as a constructed OCTET
 * STRING. Certificates and signerInfos stay as they are.
 */
static int
to_indefinite(const struct buf *der, struct buf *ber)
{
	static const unsigned char eoc[2] = { 0, 0 };
	const unsigned char *p = der->p, *end = p + der->len, *sd, *sd_end;
	long		 h, t, eh, et, ch, ct, oh, ot;

	if (tlv_at(p, end, &h, &t) != 0)
		return -1;
	p += h;					/* ContentInfo */
	if (tlv_at(p, end, &h, &t) != 0 ||
	    app(ber, "\x30\x80", 2) != 0 ||
	    app(ber, p, (size_t)t) != 0)	/* contentType */
		return -1;
	p += t;
	if (tlv_at(p, end, &h, &t) != 0 || app(ber, "\xa0\x80", 2) != 0)
		return -1;
	p += h;					/* [0] */
	if (tlv_at(p, end, &h, &t) != 0 || app(ber, "\x30\x80", 2) != 0)
		return -1;
	sd = p + h;				/* SignedData */
	sd_end = p + t;
	/* version, digestAlgorithms verbatim */
	if (tlv_at(sd, end, &h, &t) != 0 || tlv_at(sd + t, end, &h, &ch) != 0 ||
	    app(ber, sd, (size_t)(t + ch)) != 0)
		return -1;
	p = sd + t + ch;			/* encapContentInfo */
	if (tlv_at(p, end, &eh, &et) != 0 ||
	    tlv_at(p + eh, end, &oh, &ot) != 0 ||	/* eContentType */
	    tlv_at(p + eh + ot, end, &ch, &ct) != 0 ||	/* [0] */
	    tlv_at(p + eh + ot + ch, end, &h, &t) != 0 ||	/* OCTET STRING */
	    app(ber, "\x30\x80", 2) != 0 ||
	    app(ber, p + eh, (size_t)ot) != 0 ||
	    app(ber, "\xa0\x80\x24\x80", 4) != 0 ||
	    app(ber, p + eh + ot + ch, (size_t)t) != 0 ||
	    app(ber, eoc, 2) != 0 || app(ber, eoc, 2) != 0 ||
	    app(ber, eoc, 2) != 0)
		return -1;
	p += et;				/* certificates, signerInfos */
	if (p > sd_end || app(ber, p, (size_t)(sd_end - p)) != 0 ||
	    app(ber, eoc, 2) != 0 || app(ber, eoc, 2) != 0 ||
	    app(ber, eoc, 2) != 0)
		return -1;
	return 0;
}

int
legacy_indefinite(struct buf *msg)
{
	struct buf	 ber = { 0 };

	if (to_indefinite(msg, &ber) != 0) {
		buf_free(&ber);
		return 0;
	}
	buf_free(msg);
	*msg = ber;
	return 1;
}
