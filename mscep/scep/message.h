/*
 * message.h - decode a PKIOperation (RFC 8894 §3): the signed outer
 * SignedData, its SCEP attributes, the pkcsPKIEnvelope and the request
 * inside it.
 */
#ifndef MSCEP_MESSAGE_H
#define MSCEP_MESSAGE_H

#include <stddef.h>

#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "ca/ra.h"
#include "scep/scep_attr.h"
#include "util/util.h"

struct scep_req {
	int		 msg_type;
	char		 txid[TXID_MAX + 1];
	unsigned char	 sender_nonce[NONCE_MAX];
	int		 nonce_len;
	X509		*signer;	/* owned: the certificate that signed */
	int		 digest_nid;	/* mirrored in the CertRep */
	int		 reply_md5;	/* MD5 request, AllowMD5 = 2: MD5 reply */
	int		 attrs_as_sent;	/* signed attributes not in DER order */
	int		 cipher_nid;	/* content cipher, mirrored in the reply */
	int		 oaep;		/* RSAES-OAEP key transport was used */
	/* Exactly one of these is set, by msg_type. */
	X509_REQ	*csr;		/* PKCSReq, RenewalReq */
	X509_NAME	*issuer;	/* CertPoll, GetCert, GetCRL */
	X509_NAME	*subject;	/* CertPoll */
	ASN1_INTEGER	*serial;	/* GetCert, GetCRL */
};

enum decode_result {
	DECODE_OK,
	DECODE_HTTP_ERROR,	/* no usable transactionID/nonce: answer HTTP 400 */
	DECODE_FAILURE,		/* answer a CertRep FAILURE with *fail */
};

/* What legacy clients may send, or-ed into message_decode's allow. */
#define MESSAGE_ALLOW_DES	0x1	/* single DES-CBC envelopes (AllowDES) */
#define MESSAGE_ALLOW_MD5	0x2	/* MD5 request digest (AllowMD5 >= 1) */
#define MESSAGE_REPLY_MD5	0x4	/* ... answered with MD5 (AllowMD5 = 2) */

enum decode_result message_decode(const unsigned char *, size_t,
	    const struct ra *, unsigned allow, struct scep_req *,
	    enum scep_failinfo *fail, char *reason, size_t);
void	 scep_req_free(struct scep_req *);

/* SHA-1 and SHA-2 only: MD5 and weaker are refused (RFC 8894 §3.5.2)
 * unless MESSAGE_ALLOW_MD5 lets MD5 in. */
int	 message_digest_allowed(int nid);

#endif
