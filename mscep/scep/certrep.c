/* certrep.c - sign (and on success, envelope) the answer to a PKIOperation. */
#include "scep/certrep.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

static int
bio_to_buf(BIO *bio, struct buf *out)
{
	BUF_MEM	*m;

	BIO_get_mem_ptr(bio, &m);
	return buf_append(out, m->data, m->length);
}

int
certrep_certs_only(X509 *const *certs, int n, struct buf *out)
{
	PKCS7		*p7 = NULL;
	unsigned char	*der = NULL;
	int		 i, len, rc = -1;

	/* PKCS7 rather than CMS: every SCEP client parses this v1 layout. */
	if ((p7 = PKCS7_new()) == NULL ||
	    PKCS7_set_type(p7, NID_pkcs7_signed) != 1 ||
	    PKCS7_content_new(p7, NID_pkcs7_data) != 1)
		goto out;
	for (i = 0; i < n; i++)
		if (PKCS7_add_certificate(p7, certs[i]) != 1)
			goto out;
	if ((len = i2d_PKCS7(p7, &der)) <= 0)
		goto out;
	rc = buf_append(out, der, (size_t)len);
out:
	OPENSSL_free(der);
	PKCS7_free(p7);
	return rc;
}

/* GetCRL (§3.3.4): the CRL in the crls field of a degenerate SignedData. */
static int
crl_only_der(X509_CRL *crl, struct buf *out)
{
	PKCS7		*p7 = NULL;
	unsigned char	*der = NULL;
	int		 len, rc = -1;

	if ((p7 = PKCS7_new()) == NULL ||
	    PKCS7_set_type(p7, NID_pkcs7_signed) != 1 ||
	    PKCS7_content_new(p7, NID_pkcs7_data) != 1 ||
	    PKCS7_add_crl(p7, crl) != 1 ||
	    (len = i2d_PKCS7(p7, &der)) <= 0)
		goto out;
	rc = buf_append(out, der, (size_t)len);
out:
	OPENSSL_free(der);
	PKCS7_free(p7);
	return rc;
}

static const EVP_CIPHER *
reply_cipher(const struct scep_req *req)
{
	const EVP_CIPHER *c = NULL;

	if (req->cipher_nid != NID_undef)
		c = EVP_get_cipherbynid(req->cipher_nid);
	return c != NULL ? c : EVP_aes_128_cbc();
}

/*
 * Encrypts the certs-only DER to the requester, mirroring OAEP if used.
 * OAEP is a padding of RSA key transport: a requester with an EC key
 * may have used it towards the RA's RSA certificate, but its own reply
 * goes by key agreement, which has none.
 */
static int
envelope(const struct scep_req *req, const struct buf *inner, BIO *out)
{
	CMS_ContentInfo		*env = NULL;
	CMS_RecipientInfo	*ri;
	EVP_PKEY_CTX		*pctx;
	BIO			*in = NULL;
	unsigned int		 flags = CMS_BINARY | CMS_PARTIAL | CMS_KEY_PARAM;
	int			 rc = -1;

	if ((in = BIO_new_mem_buf(inner->p, (int)inner->len)) == NULL ||
	    (env = CMS_encrypt(NULL, NULL, reply_cipher(req), flags)) == NULL ||
	    (ri = CMS_add1_recipient_cert(env, req->signer, flags)) == NULL)
		goto out;
	if (req->oaep && CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS) {
		if ((pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL ||
		    EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_OAEP_PADDING) <= 0)
			goto out;
	}
	if (CMS_final(env, in, NULL, CMS_BINARY) != 1 ||
	    i2d_CMS_bio(out, env) != 1)
		goto out;
	rc = 0;
out:
	BIO_free(in);
	CMS_ContentInfo_free(env);
	return rc;
}

/*
 * 0 when a SUCCESS reply can be enveloped to this requester: envelope()
 * of one byte, thrown away. The signer's key and the cipher decide it,
 * not the certificate inside, so pkiop.c asks before anything is signed,
 * recorded or held, and never issues what it cannot deliver.
 */
int
certrep_reaches(const struct scep_req *req, char *reason, size_t rlen)
{
	static unsigned char	 probe[1];
	const struct buf	 one = { probe, sizeof(probe), 0 };
	const EVP_CIPHER	*c = reply_cipher(req);
	EVP_PKEY		*pk = X509_get0_pubkey(req->signer);
	const char		*type = pk ? EVP_PKEY_get0_type_name(pk) : NULL;
	BIO			*sink = BIO_new(BIO_s_null());
	char			 what[128];
	int			 rc = -1;

	if (sink != NULL && pk != NULL && envelope(req, &one, sink) == 0)
		rc = 0;
	else if (pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
	    EVP_CIPHER_get_key_length(c) < 16) {
		/* Key agreement wraps the content key: 3DES with the 3DES
		 * wrap, anything else with AES key wrap (RFC 3394), which
		 * takes two 8-byte blocks or more; a DES key is one. */
		ERR_clear_error();
		snprintf(reason, rlen, "no reply can reach an EC key with %s: "
		    "key agreement wraps the content key with AES key wrap, "
		    "which takes no key under 16 bytes (use AES or 3DES)",
		    EVP_CIPHER_get0_name(c));
	} else {
		snprintf(what, sizeof(what), "no reply can be encrypted to the "
		    "signer's %s key with %s%s", type ? type : "unreadable",
		    EVP_CIPHER_get0_name(c), req->oaep ? " and RSAES-OAEP" : "");
		log_openssl_reason(reason, rlen, what);
	}
	BIO_free(sink);
	return rc;
}

static int
success_content(const struct scep_req *req, const struct certrep *rep,
    BIO *content)
{
	struct buf	 inner = { 0 };
	X509		*certs[2];
	int		 n = 0, rc = -1;

	/* The issued certificate is the leaf, first (§3.3.2). */
	certs[n++] = rep->cert;
	if (rep->ca != NULL)
		certs[n++] = rep->ca;
	if (rep->crl != NULL ? crl_only_der(rep->crl, &inner) != 0 :
	    certrep_certs_only(certs, n, &inner) != 0)
		goto out;
	if (envelope(req, &inner, content) != 0)
		goto out;
	rc = 0;
out:
	buf_free(&inner);
	return rc;
}

static int
add_attributes(CMS_SignerInfo *si, const struct scep_req *req,
    const struct certrep *rep)
{
	unsigned char	 nonce[NONCE_LEN];
	char		 num[8];

	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -1;
	snprintf(num, sizeof(num), "%d", MSG_CERTREP);
	if (scep_attr_add_string(si, ATTR_MESSAGE_TYPE, num) != 0)
		return -1;
	snprintf(num, sizeof(num), "%d", (int)rep->status);
	if (scep_attr_add_string(si, ATTR_PKI_STATUS, num) != 0)
		return -1;
	if (rep->status == STATUS_FAILURE) {
		snprintf(num, sizeof(num), "%d", (int)rep->fail);
		if (scep_attr_add_string(si, ATTR_FAIL_INFO, num) != 0)
			return -1;
	}
	if (scep_attr_add_string(si, ATTR_TRANSACTION_ID, req->txid) != 0 ||
	    scep_attr_add_octets(si, ATTR_SENDER_NONCE, nonce,
	    sizeof(nonce)) != 0 ||
	    scep_attr_add_octets(si, ATTR_RECIPIENT_NONCE, req->sender_nonce,
	    (size_t)req->nonce_len) != 0)
		return -1;
	return 0;
}

int
certrep_build(const struct scep_req *req, const struct ra *ra,
    const struct certrep *rep, struct buf *out, char *reason, size_t rlen)
{
	CMS_ContentInfo	*cms = NULL;
	CMS_SignerInfo	*si;
	BIO		*content = NULL, *der = NULL;
	const EVP_MD	*md = EVP_get_digestbynid(req->digest_nid);
	unsigned int	 flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	int		 rc = -1;

	/* Never sign with a digest the request was refused for (badAlg);
	 * MD5 only for the clients AllowMD5 = 2 names (message.c). */
	if (req->reply_md5 && req->digest_nid == NID_md5)
		md = EVP_md5();
	else if (md == NULL || !message_digest_allowed(req->digest_nid))
		md = EVP_sha256();
	if ((content = BIO_new(BIO_s_mem())) == NULL ||
	    (der = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	/* FAILURE and PENDING carry no envelope (§3.3.2). */
	if (rep->status == STATUS_SUCCESS &&
	    success_content(req, rep, content) != 0)
		goto out;
	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    (si = keyop_cms_signer(ra->sign_op, cms, ra->sign_cert, md,
	    flags)) == NULL ||
	    add_attributes(si, req, rep) != 0 ||
	    keyop_cms_final(ra->sign_op, cms, si, content) != 1 ||
	    i2d_CMS_bio(der, cms) != 1 ||
	    bio_to_buf(der, out) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		log_openssl_reason(reason, rlen, "cannot build CertRep");
	CMS_ContentInfo_free(cms);
	BIO_free(der);
	BIO_free(content);
	return rc;
}
