/*
 * cacert.h - GetCACert and what its answer decides: the certificates the
 * CA publishes, the one requests are encrypted to (RFC 8894 §2.2), and the
 * trust store issued certificates must chain to.
 */
#ifndef SCEPCLI_CACERT_H
#define SCEPCLI_CACERT_H

#include <stdint.h>

#include <openssl/x509.h>

struct ca_info {
	STACK_OF(X509) *certs;  /* everything GetCACert returned */
	X509 *recipient;        /* borrowed from certs */
	X509_STORE *store;      /* CA certs of the set as trust anchors */
	int single;             /* reply was a bare application/x-x509-ca-cert */
};

/* GetCACert over a connection of its own, then recipient and store.
 * ca starts as { 0 }. 1, or 0 once stderr says why; ca_free() it in
 * both cases. */
int	 fetch_ca(struct ca_info *ca);
void	 ca_free(struct ca_info *ca);
/* x is a CA certificate (basicConstraints cA). */
int	 is_ca(X509 *x);
/* x's keyUsage has every bit of bits; without the extension, all. */
int	 ku_has(X509 *x, uint32_t bits);
/* The CA of certs that issued no other CA there: the one that issues end
 * entities. Borrowed from certs; NULL when there is none. */
X509	*issuing_ca(STACK_OF(X509) *certs);

#endif
