/* cert.h - small conversions of certificate fields for logs and the store. */
#ifndef MSCEP_CERT_H
#define MSCEP_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

/* Seconds since the epoch of an ASN1_TIME, 0 when unreadable. */
int64_t	 cert_time_epoch(const ASN1_TIME *);
/* Upper-case hex of the certificate serial. */
int	 cert_serial_hex(const ASN1_INTEGER *, char *, size_t);
/* Hex SHA-1 of the subjectPublicKey bits: how the store names a key. */
int	 cert_key_id_hex(X509_PUBKEY *, char out[41]);

#endif
