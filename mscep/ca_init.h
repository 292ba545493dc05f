/*
 * ca_init.h - create the embedded issuing CA and the two NDES RA
 * identities ("Exchange Enrollment Agent (Offline request)" to sign,
 * "CEP Encryption" to decrypt) in the state folder.
 */
#ifndef MSCEP_CA_INIT_H
#define MSCEP_CA_INIT_H

#include <stddef.h>

#include "config.h"

struct ca_init_opts {
	const char	*ca_key;	/* rsa:2048|rsa:3072|rsa:4096|ec:P-256|ec:P-384 */
	const char	*ra_key;	/* RA keys must be RSA: key transport */
	const char	*ca_name;	/* CA common name */
	const char	*ra_name;	/* RA common name, NDES: <HOST>-MSCEP-RA */
	int		 ca_days;
	int		 ra_days;
};

int	 ca_init(const struct config *, const struct ca_init_opts *, char *,
	    size_t);
/* Generates a key from a "rsa:BITS" or "ec:CURVE" spec. */
EVP_PKEY *keygen(const char *spec, char *reason, size_t);

#endif
