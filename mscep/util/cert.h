/* cert.h - small conversions of certificate fields for logs and the store. */
#ifndef MSCEP_CERT_H
#define MSCEP_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

/* Seconds since the epoch of an ASN1_TIME, 0 when unreadable. */
int64_t	 cert_time_epoch(const ASN1_TIME *);
/*
 * A new serial for x, 16 octets: 0x40, the time in seconds (4 octets,
 * big-endian), then 88 bits from the CSPRNG (RFC 5280 4.1.2.2: positive,
 * 20 octets at most; the CA/Browser Forum's rule: 64 random bits at
 * least). Led by the time, the serials a CA issues come in order, so the
 * store's serial index and the signer's ledger grow at one end instead
 * of in a random page each: a page first changed after a checkpoint
 * costs PostgreSQL the whole 8 KB of it in WAL.
 */
int	 cert_new_serial(X509 *);
/* Upper-case hex of the certificate serial. */
int	 cert_serial_hex(const ASN1_INTEGER *, char *, size_t);
/* Hex SHA-1 of the subjectPublicKey bits: how the store names a key. */
int	 cert_key_id_hex(X509_PUBKEY *, char out[41]);
/*
 * The authorityKeyIdentifier for what issuer signs: the issuer's
 * subjectKeyIdentifier, or, for a CA certificate without one, the SHA-1
 * of its subjectPublicKey (RFC 5280 4.2.1.2 method 1). Caller frees.
 */
X509_EXTENSION	*cert_aki_ext(X509 *issuer);
/* Narrows x's validity to its issuer's; -1 when nothing is left (the
 * issuer has expired): such a certificate is never made. */
int	 cert_clamp_validity(X509 *x, const X509 *issuer);
/* Adds that extension to x. */
int	 cert_add_aki(X509 *x, X509 *issuer);

#endif
