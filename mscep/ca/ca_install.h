/*
 * ca_install.h - an issuing CA under an organisation's root: the
 * certificate the root issued for init --csr's key (ca install), or an
 * existing CA key pair (ca import), checked before anything is written.
 */
#ifndef MSCEP_CA_INSTALL_H
#define MSCEP_CA_INSTALL_H

#include <stddef.h>

#include <openssl/x509.h>

#include "ca/ca_init.h"
#include "config/config.h"

struct ca_install_files {
	const char	*cert;		/* the CA certificate (PEM) */
	const char	*key;		/* ca import: its key; NULL for ca
					   install: private/ca.key */
	const char	*chain;		/* the root and any CAs between, PEM;
					   NULL: the certificate is a root */
};

/*
 * Checks that the certificate matches the key, is a CA (basicConstraints
 * CA:TRUE, keyCertSign when keyUsage is present), is valid now and chains
 * to a self-signed certificate of the chain file; then writes the RA and
 * OCSP identities that are missing, ca-chain.crt (the CAs above it,
 * the root last) and ca.crt last (with private/ca.key for an import).
 */
int	 ca_install(const struct config *, const struct ca_init_opts *,
	    const struct ca_install_files *, char *reason, size_t);

/* The checks alone; above gets the CAs above cert, the root last. */
int	 ca_install_check(X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain,
	    STACK_OF(X509) *above, char *reason, size_t);
/* Writes above to rel (relative to the state folder) when not empty. */
int	 ca_install_write_chain(const struct config *, const char *rel,
	    STACK_OF(X509) *above, char *reason, size_t);

#endif
