/* fixture.h - a real CA/RA in a temporary state folder, and SCEP requests
 * built with OpenSSL directly, for the unit tests. */
#ifndef MSCEP_TEST_FIXTURE_H
#define MSCEP_TEST_FIXTURE_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config/config.h"
#include "ca/ra.h"
#include "store/store.h"
#include "util/util.h"

struct fixture {
	char		 dir[64];
	char		 ini[128];
	struct config	 cfg;
	struct ra	 ra;
	struct store	*store;
};

/* Writes an INI (extra lines appended to a base), inits CA, loads all. */
int	 fixture_open(struct fixture *, const char *extra_ini);
void	 fixture_close(struct fixture *);

/* The same, plus a worker loading it as bin/mscep does. */
struct worker;
int	 fixture_worker_open(struct fixture *, const char *extra_ini,
	    struct worker *);
void	 fixture_worker_close(struct fixture *, struct worker *);
int	 write_file(const char *path, const char *text);

/* A requester: key, self-signed certificate, CSR. */
struct requester {
	EVP_PKEY	*key;
	X509		*self;
	X509_REQ	*csr;
};

/* ku: "digitalSignature", "keyEncipherment", "both" or NULL (none). */
int	 requester_new(struct requester *, const char *cn, const char *ku,
	    const char *challenge, const char *dns_san);
void	 requester_free(struct requester *);

/* PKIOperation DER: inner (DER) enveloped to recipient, signed by r. */
int	 build_pkimessage(const struct requester *, X509 *recipient,
	    const EVP_CIPHER *, const EVP_MD *, int msgtype, const char *txid,
	    const unsigned char *inner, size_t innerlen, struct buf *out);
/* The same, the envelope's key transport RSAES-OAEP when oaep is set. */
int	 build_pkimessage_ex(const struct requester *, X509 *recipient,
	    const EVP_CIPHER *, int oaep, const EVP_MD *, int msgtype,
	    const char *txid, const unsigned char *inner, size_t innerlen,
	    struct buf *out);
int	 build_pkcsreq(const struct requester *, X509 *recipient,
	    const EVP_CIPHER *, const char *txid, struct buf *out);
/* Legacy encodings of a DER message from build_pkimessage: the signed
 * attributes in reverse order, the senderNonce's length in long form
 * (BER, not DER), re-signed by key over those bytes; and the outer layers in BER indefinite length, as iOS sends. */
int	 reorder_signed_attrs(struct buf *, EVP_PKEY *key, const EVP_MD *);
int	 to_indefinite(const struct buf *der, struct buf *ber);

#endif
