/* sigattr.c - the signed attributes' bytes as sent, and their signature. */
#include "scep/sigattr.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#define SIGATTR_DEPTH	16	/* BER nesting followed in indefinite forms */

/* One TLV at [p, end): its tag, where its contents start and where the
 * next TLV starts. BER indefinite lengths are followed to their
 * end-of-contents. 0, or -1 on anything malformed. */
struct tlv {
	int			 tag;	/* the identifier octet */
	const unsigned char	*start;	/* the identifier */
	const unsigned char	*body;
	const unsigned char	*end;	/* of the contents */
	const unsigned char	*next;
};

static int
tlv_read(const unsigned char *p, const unsigned char *end, int depth,
    struct tlv *t)
{
	const unsigned char	*q = p;
	struct tlv		 child;
	long			 len;
	int			 tag, cls, ret;

	if (depth > SIGATTR_DEPTH || p >= end)
		return -1;
	ret = ASN1_get_object(&q, &len, &tag, &cls, end - p);
	if (ret & 0x80)
		return -1;
	t->tag = *p;
	t->start = p;
	t->body = q;
	if (ret != (V_ASN1_CONSTRUCTED | 1)) {
		t->end = t->next = q + len;
		return 0;
	}
	/* Indefinite: children up to the end-of-contents octets. */
	while (end - q >= 2 && !(q[0] == 0 && q[1] == 0)) {
		if (tlv_read(q, end, depth + 1, &child) != 0)
			return -1;
		q = child.next;
	}
	if (end - q < 2)
		return -1;
	t->end = q;
	t->next = q + 2;
	return 0;
}

/* Steps from the ContentInfo down to the first SignerInfo's [0]
 * signedAttrs TLV; each step bounded by its parent's contents. */
static int
find_signed_attrs(const unsigned char *der, size_t len, struct tlv *out)
{
	struct tlv	 ci, t, sd, si;
	int		 i;

	if (tlv_read(der, der + len, 0, &ci) != 0 ||
	    tlv_read(ci.body, ci.end, 0, &t) != 0 ||	/* contentType */
	    tlv_read(t.next, ci.end, 0, &t) != 0 || t.tag != 0xa0 ||
	    tlv_read(t.body, t.end, 0, &sd) != 0 ||	/* SignedData */
	    tlv_read(sd.body, sd.end, 0, &t) != 0)	/* version */
		return -1;
	/* digestAlgorithms, encapContentInfo, [0] certs, [1] crls, then
	 * the signerInfos SET. */
	for (i = 0; i < 5; i++)
		if (tlv_read(t.next, sd.end, 0, &t) != 0 ||
		    (i >= 1 && t.tag == 0x31))
			break;
	if (i == 5 || t.tag != 0x31 ||
	    tlv_read(t.body, t.end, 0, &si) != 0 ||	/* SignerInfo */
	    tlv_read(si.body, si.end, 0, &t) != 0 ||	/* version */
	    tlv_read(t.next, si.end, 0, &t) != 0 ||	/* sid */
	    tlv_read(t.next, si.end, 0, &t) != 0 ||	/* digestAlgorithm */
	    tlv_read(t.next, si.end, 0, &t) != 0 || t.tag != 0xa0)
		return -1;
	*out = t;
	return 0;
}

/* The messageDigest attribute is the content's digest; contentType is
 * id-data (RFC 5652 §5.3, §11.1). */
static int
attrs_match_content(CMS_SignerInfo *si, const EVP_MD *md,
    const ASN1_OCTET_STRING *content)
{
	ASN1_OCTET_STRING	*want;
	ASN1_OBJECT		*type;
	unsigned char		 dig[EVP_MAX_MD_SIZE];
	unsigned int		 dlen;

	want = CMS_signed_get0_data_by_OBJ(si,
	    OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
	type = CMS_signed_get0_data_by_OBJ(si,
	    OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT);
	if (want == NULL || type == NULL || OBJ_obj2nid(type) !=
	    NID_pkcs7_data ||
	    EVP_Digest(ASN1_STRING_get0_data(content),
	    (size_t)ASN1_STRING_length(content), dig, &dlen, md, NULL) != 1)
		return -1;
	if ((unsigned int)ASN1_STRING_length(want) != dlen ||
	    memcmp(ASN1_STRING_get0_data(want), dig, dlen) != 0)
		return -1;
	return 0;
}

int
sigattr_verify_as_sent(const unsigned char *der, size_t len,
    CMS_SignerInfo *si, EVP_PKEY *key, int digest_nid,
    const ASN1_OCTET_STRING *content)
{
	EVP_MD_CTX		*ctx = NULL;
	EVP_MD			*md = NULL;
	ASN1_OCTET_STRING	*sig;
	unsigned char		*attrs = NULL;
	struct tlv		 t;
	size_t			 alen;
	int			 rc = -1;

	if (key == NULL || find_signed_attrs(der, len, &t) != 0 ||
	    (sig = CMS_SignerInfo_get0_signature(si)) == NULL ||
	    (md = EVP_MD_fetch(NULL, OBJ_nid2sn(digest_nid), NULL)) == NULL ||
	    attrs_match_content(si, md, content) != 0)
		goto out;
	/* The signature covers the attributes with an explicit SET OF tag
	 * in place of the [0] IMPLICIT one (RFC 5652 §5.4). */
	alen = (size_t)(t.next - t.start);
	if ((attrs = malloc(alen)) == NULL)
		goto out;
	memcpy(attrs, t.start, alen);
	attrs[0] = 0x31;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(ctx, NULL, EVP_MD_get0_name(md), NULL,
	    NULL, key, NULL) != 1 ||
	    EVP_DigestVerify(ctx, ASN1_STRING_get0_data(sig),
	    (size_t)ASN1_STRING_length(sig), attrs, alen) != 1)
		goto out;
	rc = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	free(attrs);
	EVP_MD_free(md);
	return rc;
}
