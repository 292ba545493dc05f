/*
 * keyops_pkcs11.h - private keys in a PKCS#11 token, named by an RFC 7512
 * URI, through Debian's libp11:
 *
 *   pkcs11:token=mscep;object=ca-1?module-path=/usr/lib/softhsm/
 *   libsofthsm2.so&pin-source=file:/etc/mscep/token.pin
 *
 * Path attributes token, serial, manufacturer, model pick the token;
 * object (CKA_LABEL) and id (CKA_ID, percent-encoded bytes) the key; type
 * must be "private" when given. Query attributes: module-path (default
 * p11-kit-proxy.so) and pin-source, a file (file:/path or /path) readable
 * by its owner only, holding the user PIN; pin-value is refused (the URI
 * is not a secret).
 */
#ifndef MSCEP_KEYOPS_PKCS11_H
#define MSCEP_KEYOPS_PKCS11_H

#include <limits.h>
#include <stddef.h>

#include <openssl/evp.h>

#define KEYOP_PKCS11_SCHEME	"pkcs11:"
#define KEYOP_PKCS11_ID_MAX	64

struct keyop_pkcs11_uri {
	char		 token[128];
	char		 serial[64];
	char		 manufacturer[128];
	char		 model[64];
	char		 object[256];
	unsigned char	 id[KEYOP_PKCS11_ID_MAX];
	size_t		 id_len;
	char		 module[PATH_MAX];
	char		 pin_file[PATH_MAX];
};

/* 1 when ref is a pkcs11: URI. */
int	 keyop_pkcs11_is_uri(const char *ref);
/* Parses uri; -1 and why when it is not one this backend can use. */
int	 keyop_pkcs11_parse(const char *uri, struct keyop_pkcs11_uri *,
	    char *reason, size_t);
/* The private key uri names, logged in with its PIN; NULL and why. */
EVP_PKEY *keyop_pkcs11_load(const char *uri, char *reason, size_t);
/*
 * Generates an RSA key of bits in the token uri names (labelled with its
 * object, id from the URI or random) and returns it as keyop_pkcs11_load
 * would; refuses when the token already holds a key of that label or id.
 */
EVP_PKEY *keyop_pkcs11_generate(const char *uri, int bits, char *reason,
	    size_t);
/* How many keys of the token are open in this process (tests). */
int	 keyop_pkcs11_open_keys(void);

#endif
