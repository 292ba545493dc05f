/*
 * sigattr.h - check a SignedData's signature over its signed attributes
 * exactly as the client encoded them (not re-sorted into DER order).
 */
#ifndef MSCEP_SIGATTR_H
#define MSCEP_SIGATTR_H

#include <stddef.h>

#include <openssl/cms.h>
#include <openssl/evp.h>

/*
 * der: the whole ContentInfo as received (DER or BER); si: its one
 * SignerInfo as OpenSSL decoded it; key: the signer certificate's key;
 * content: the encapsulated content. 0 when the signature over the
 * attributes' received bytes verifies with key and digest_nid, the
 * messageDigest attribute is the content's digest and contentType is
 * id-data; -1 otherwise.
 */
int	 sigattr_verify_as_sent(const unsigned char *der, size_t len,
	    CMS_SignerInfo *si, EVP_PKEY *key, int digest_nid,
	    const ASN1_OCTET_STRING *content);

#endif
