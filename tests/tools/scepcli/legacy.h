/*
 * legacy.h - what deployed clients send that RFC 8894 does not ask for,
 * rebuilt on a finished DER pkiMessage: signed attributes not in DER
 * (reverse order, a long-form length) and BER indefinite lengths as iOS
 * sends them. The server must accept both.
 */
#ifndef SCEPCLI_LEGACY_H
#define SCEPCLI_LEGACY_H

#include <openssl/evp.h>

#include "common.h"

/* Rewrites msg's signed attributes in place (reverse order, senderNonce
 * as 15 octets with a long-form length) and re-signs them with key over
 * those bytes. 1, or 0 on a message it cannot walk. */
int	 legacy_non_der_attrs(struct buf *msg, EVP_PKEY *key, const EVP_MD *md);
/* Replaces msg with the same message, its ContentInfo, SignedData and
 * encapsulated content in indefinite-length BER. 1, or 0. */
int	 legacy_indefinite(struct buf *msg);

#endif
