/* message.c - unwrap a PKIOperation: verify, read attributes, decrypt, parse. */
#include "scep/message.h"
#include "scep/sigattr.h"
#include "util/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/sha.h>

/* RFC 8894 §3.3.3: IssuerAndSubject, the CertPoll content. */
typedef struct {
	X509_NAME	*issuer;
	X509_NAME	*subject;
} ISSUER_AND_SUBJECT;

DECLARE_ASN1_FUNCTIONS(ISSUER_AND_SUBJECT)

ASN1_SEQUENCE(ISSUER_AND_SUBJECT) = {
	ASN1_SIMPLE(ISSUER_AND_SUBJECT, issuer, X509_NAME),
	ASN1_SIMPLE(ISSUER_AND_SUBJECT, subject, X509_NAME),
} ASN1_SEQUENCE_END(ISSUER_AND_SUBJECT)
IMPLEMENT_ASN1_FUNCTIONS(ISSUER_AND_SUBJECT)

struct decoder {
	const struct ra		*ra;
	unsigned		 allow;
	struct scep_req		*req;
	enum scep_failinfo	*fail;
	char			*reason;
	size_t			 rlen;
	const unsigned char	*raw;	/* the message as received */
	size_t			 rawlen;
};

static enum decode_result
refuse(struct decoder *d, enum scep_failinfo f, const char *what)
{
	log_openssl_reason(d->reason, d->rlen, what);
	*d->fail = f;
	return DECODE_FAILURE;
}

static enum decode_result
http_error(struct decoder *d, const char *what)
{
	log_openssl_reason(d->reason, d->rlen, what);
	return DECODE_HTTP_ERROR;
}

/* SHA-1 stays for old devices; MD5 and anything weaker is refused (§3.5.2). */
int
message_digest_allowed(int nid)
{
	return nid == NID_sha1 || nid == NID_sha224 || nid == NID_sha256 ||
	    nid == NID_sha384 || nid == NID_sha512;
}

static int
cipher_allowed(int nid, int allow_des)
{
	return (allow_des && nid == NID_des_cbc) || nid == NID_des_ede3_cbc || nid == NID_aes_128_cbc ||
	    nid == NID_aes_192_cbc || nid == NID_aes_256_cbc;
}

/* The PrintableString alphabet (X.680 §41.4). */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && !strchr(" '()+,-./:=?", *s))
			return 0;
	return 1;
}

static enum decode_result
read_attributes(struct decoder *d, CMS_SignerInfo *si)
{
	struct scep_req	*r = d->req;
	char		 type[16], *end;
	long		 v;

	/* Echoed as a PrintableString (§3.2.1.1): it must be one. */
	if (scep_attr_get_string(si, ATTR_TRANSACTION_ID, r->txid,
	    sizeof(r->txid)) != 0 || !printable(r->txid))
		return http_error(d, "transactionID missing, over 128 "
		    "characters, or not printable");
	r->nonce_len = scep_attr_get_octets(si, ATTR_SENDER_NONCE,
	    r->sender_nonce, sizeof(r->sender_nonce));
	if (r->nonce_len <= 0)
		return http_error(d, "senderNonce missing or not 1..64 octets");
	if (scep_attr_get_string(si, ATTR_MESSAGE_TYPE, type,
	    sizeof(type)) != 0)
		return refuse(d, FAIL_BADREQUEST, "messageType missing");
	v = strtol(type, &end, 10);
	if (*end != '\0' || v <= 0 || v > 99)
		return refuse(d, FAIL_BADREQUEST, "messageType not a number");
	r->msg_type = (int)v;
	return DECODE_OK;
}

/*
 * MD5 only with AllowMD5. Who signs with it: the Cisco VPN client, Cisco
 * IOS before SHA-2 support, OpenSCEP and 2005-era sscep. The reply
 * digest is a separate choice (certrep.c): SHA-256 at AllowMD5 = 1, as
 * sscep and any OpenSSL 0.9.8 or later client verify with the digest
 * the reply's SignerInfo names; MD5 at AllowMD5 = 2 for the clients
 * whose verifier knows nothing newer (OpenSCEP on OpenSSL 0.9.6/0.9.7,
 * old Cisco firmware), which could not read a SHA-256 CertRep.
 */
static enum decode_result
check_digest(struct decoder *d)
{
	int	 nid = d->req->digest_nid;

	if (nid == NID_md5 && (d->allow & MESSAGE_ALLOW_MD5)) {
		d->req->reply_md5 = (d->allow & MESSAGE_REPLY_MD5) != 0;
		return DECODE_OK;
	}
	if (nid == NID_md5)
		return refuse(d, FAIL_BADALG, "MD5 message digest refused "
		    "(RFC 8894 forbids it; AllowMD5=1 accepts it)");
	if (!message_digest_allowed(nid))
		return refuse(d, FAIL_BADALG, "message digest algorithm not "
		    "allowed (use SHA-1 or SHA-2)");
	return DECODE_OK;
}

/*
 * OpenSSL checks the signature over the signed attributes re-encoded from
 * what it decoded, so a client whose attributes were not in DER (a
 * long-form length, and with older OpenSSL any order but DER's) fails
 * although its signature is good over the bytes it sent. Check those
 * bytes, as EJBCA does: the same signer certificate and key, the same
 * digest, the messageDigest attribute still matching the content.
 */
static int
verify_as_sent(struct decoder *d, CMS_ContentInfo *cms, CMS_SignerInfo *si,
    BIO *content)
{
	ASN1_OCTET_STRING	**pos;
	X509			*signer = NULL;

	ERR_clear_error();
	if (d->raw == NULL || CMS_set1_signers_certs(cms, NULL, 0) < 0)
		return -1;
	CMS_SignerInfo_get0_algs(si, NULL, &signer, NULL, NULL);
	if (signer == NULL || (pos = CMS_get0_content(cms)) == NULL ||
	    *pos == NULL)
		return -1;
	if (sigattr_verify_as_sent(d->raw, d->rawlen, si,
	    X509_get0_pubkey(signer), d->req->digest_nid, *pos) != 0)
		return -1;
	if (BIO_write(content, ASN1_STRING_get0_data(*pos),
	    ASN1_STRING_length(*pos)) != ASN1_STRING_length(*pos))
		return -1;
	d->req->attrs_as_sent = 1;
	return 0;
}

/* Verifies the outer signature and hands back the encapsulated content. */
static enum decode_result
verify_outer(struct decoder *d, CMS_ContentInfo *cms, BIO *content)
{
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo	*si;
	X509		*signer = NULL;
	X509_ALGOR	*dig = NULL;
	enum decode_result rc;

	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		return http_error(d, "message is not a SignedData");
	sis = CMS_get0_SignerInfos(cms);
	if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1)
		return http_error(d, "message must have exactly one signer");
	si = sk_CMS_SignerInfo_value(sis, 0);
	if ((rc = read_attributes(d, si)) != DECODE_OK)
		return rc;
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	d->req->digest_nid = OBJ_obj2nid(dig->algorithm);
	if ((rc = check_digest(d)) != DECODE_OK)
		return rc;
	/* The signer is the requester's own (often self-signed) certificate:
	 * §2.3 makes it proof of possession, not a trust anchor. */
	if (CMS_verify(cms, NULL, NULL, NULL, content,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1 &&
	    verify_as_sent(d, cms, si, content) != 0)
		return refuse(d, FAIL_BADMESSAGECHECK, "message signature "
		    "does not verify (or signer certificate missing)");
	CMS_SignerInfo_get0_algs(si, NULL, &signer, NULL, NULL);
	if (signer == NULL || X509_up_ref(signer) != 1)
		return refuse(d, FAIL_BADMESSAGECHECK, "no signer certificate");
	d->req->signer = signer;
	/* The reply is enveloped to this key: RSA key transport or EC key
	 * agreement; refuse others now rather than after issuing. */
	switch (EVP_PKEY_get_base_id(X509_get0_pubkey(signer))) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_EC:
		break;
	default:
		return refuse(d, FAIL_BADALG, "signer key is neither RSA nor "
		    "EC: no reply could be encrypted to it");
	}
	return DECODE_OK;
}

/* Reads the content cipher and key transport the client chose, to mirror. */
static enum decode_result
inspect_envelope(struct decoder *d, const unsigned char *der, size_t len)
{
	const unsigned char	*p = der;
	PKCS7			*p7;
	PKCS7_RECIP_INFO	*ri;
	enum decode_result	 rc = DECODE_OK;

	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL ||
	    !PKCS7_type_is_enveloped(p7) || p7->d.enveloped == NULL)
		rc = refuse(d, FAIL_BADREQUEST, "pkcsPKIEnvelope is not an "
		    "EnvelopedData");
	else {
		d->req->cipher_nid = OBJ_obj2nid(
		    p7->d.enveloped->enc_data->algorithm->algorithm);
		ri = sk_PKCS7_RECIP_INFO_value(p7->d.enveloped->recipientinfo,
		    0);
		if (ri != NULL && OBJ_obj2nid(ri->key_enc_algor->algorithm) ==
		    NID_rsaesOaep)
			d->req->oaep = 1;
		if (!cipher_allowed(d->req->cipher_nid,
		    (d->allow & MESSAGE_ALLOW_DES) != 0))
			rc = refuse(d, FAIL_BADALG, d->req->cipher_nid ==
			    NID_des_cbc ? "single DES-CBC envelope refused "
			    "(RFC 8894 forbids it; AllowDES=1 accepts it)" :
			    "content cipher not allowed (use AES-CBC or 3DES)");
	}
	PKCS7_free(p7);
	return rc;
}

static enum decode_result
decrypt_envelope(struct decoder *d, const unsigned char *der, size_t len,
    BIO *plain)
{
	const unsigned char	*p = der;
	CMS_ContentInfo		*env = NULL;
	enum decode_result	 rc;

	if ((rc = inspect_envelope(d, der, len)) != DECODE_OK)
		return rc;
	/* What the signer logs the decryption with (keyops.h). */
	keyop_set_context(d->ra->enc_op, d->req->txid);
	if ((env = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL)
		rc = refuse(d, FAIL_BADREQUEST, "cannot parse envelope");
	else if (keyop_cms_decrypt(d->ra->enc_op, env, d->ra->enc_cert,
	    plain, CMS_BINARY) != 1)
		rc = refuse(d, FAIL_BADMESSAGECHECK,
		    keyop_unavailable(d->ra->enc_op) ? "cannot decrypt the "
		    "envelope: the signer is unavailable" : "cannot decrypt "
		    "the envelope: not encrypted to the RA encryption "
		    "certificate?");
	CMS_ContentInfo_free(env);
	return rc;
}

static enum decode_result
parse_inner(struct decoder *d, const unsigned char *p, long len)
{
	struct scep_req		*r = d->req;
	const unsigned char	*q = p;
	ISSUER_AND_SUBJECT	*ias;
	PKCS7_ISSUER_AND_SERIAL	*iasn;

	switch (r->msg_type) {
	case MSG_PKCSREQ:
	case MSG_RENEWALREQ:
		if ((r->csr = d2i_X509_REQ(NULL, &q, len)) == NULL)
			return refuse(d, FAIL_BADREQUEST, "request content is "
			    "not a PKCS#10 request");
		break;
	case MSG_CERTPOLL:
		if ((ias = d2i_ISSUER_AND_SUBJECT(NULL, &q, len)) == NULL)
			return refuse(d, FAIL_BADREQUEST, "CertPoll content is "
			    "not an IssuerAndSubject");
		r->issuer = ias->issuer;
		r->subject = ias->subject;
		ias->issuer = ias->subject = NULL;
		ISSUER_AND_SUBJECT_free(ias);
		break;
	case MSG_GETCERT:
	case MSG_GETCRL:
		if ((iasn = d2i_PKCS7_ISSUER_AND_SERIAL(NULL, &q, len)) == NULL)
			return refuse(d, FAIL_BADREQUEST, "GetCert/GetCRL content "
			    "is not an IssuerAndSerialNumber");
		r->issuer = iasn->issuer;
		r->serial = iasn->serial;
		iasn->issuer = NULL;
		iasn->serial = NULL;
		PKCS7_ISSUER_AND_SERIAL_free(iasn);
		break;
	default:
		return refuse(d, FAIL_BADREQUEST, "message type not supported "
		    "(not advertised in GetCACaps)");
	}
	if (q != p + len)
		return refuse(d, FAIL_BADREQUEST, "trailing data after the "
		    "request");
	return DECODE_OK;
}

enum decode_result
message_decode(const unsigned char *der, size_t len, const struct ra *ra,
    unsigned allow, struct scep_req *req, enum scep_failinfo *fail,
    char *reason, size_t rlen)
{
	/* req and fail are out-parameters, filled below. */
	/* cppcheck-suppress ctuuninitvar */
	struct decoder		 d = { ra, allow, req, fail, reason, rlen,
				       der, len };
	const unsigned char	*p = der;
	CMS_ContentInfo		*cms = NULL;
	BIO			*content = NULL, *plain = NULL;
	BUF_MEM			*cbuf, *pbuf;
	enum decode_result	 rc;

	memset(req, 0, sizeof(*req));
	*fail = FAIL_NONE;
	if (len == 0 || len > LONG_MAX ||
	    (cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL) {
		rc = http_error(&d, "message is not DER/BER CMS");
		goto out;
	}
	if ((content = BIO_new(BIO_s_mem())) == NULL ||
	    (plain = BIO_new(BIO_s_mem())) == NULL) {
		rc = http_error(&d, "out of memory");
		goto out;
	}
	if ((rc = verify_outer(&d, cms, content)) != DECODE_OK)
		goto out;
	BIO_get_mem_ptr(content, &cbuf);
	if ((rc = decrypt_envelope(&d, (unsigned char *)cbuf->data,
	    cbuf->length, plain)) != DECODE_OK)
		goto out;
	BIO_get_mem_ptr(plain, &pbuf);
	rc = parse_inner(&d, (unsigned char *)pbuf->data, (long)pbuf->length);
out:
	ERR_clear_error();
	BIO_free(plain);
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	return rc;
}

void
scep_req_free(struct scep_req *r)
{
	if (r == NULL)
		return;
	X509_free(r->signer);
	X509_REQ_free(r->csr);
	X509_NAME_free(r->issuer);
	X509_NAME_free(r->subject);
	ASN1_INTEGER_free(r->serial);
	memset(r, 0, sizeof(*r));
}
