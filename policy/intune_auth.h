/*
 * intune_auth.h - Entra ID client-credentials tokens for Module = intune:
 * by client secret (ClientSecretFile) or by a client-assertion JWT
 * (RS256, x5t = base64url SHA-1 of ClientCertificate, signed with
 * ClientKey). One token for Graph, one for Intune, each kept until shortly
 * before it expires.
 */
#ifndef MSCEP_INTUNE_AUTH_H
#define MSCEP_INTUNE_AUTH_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/keyops.h"
#include "config/config.h"
#include "policy/intune_http.h"

enum intune_audience { INTUNE_AUD_GRAPH, INTUNE_AUD_INTUNE };

struct intune_token {
	char		*value;		/* owned; NULL: none yet */
	time_t		 renew_at;	/* fetch again from then on */
};

struct intune_auth {
	const struct config	*cfg;
	char			*secret;	/* owned, or NULL */
	X509			*cert;		/* owned, or NULL */
	struct keyop		*key;		/* owned, or NULL */
	struct intune_token	 tok[2];	/* by enum intune_audience */
	unsigned long		 fetched;	/* tokens requested so far */
};

/* Reads the secret, or the certificate and key. */
int	 intune_auth_open(struct intune_auth *, const struct config *,
	    char *reason, size_t);
void	 intune_auth_close(struct intune_auth *);

/* The token for aud, from the cache unless fresh is set; NULL with
 * reason (Entra ID's error and its description) on failure. */
const char *intune_auth_token(struct intune_auth *, struct intune_http *,
	    enum intune_audience, int fresh, char *reason, size_t);

/* Entra ID's answer r read into t: access_token and expires_in (a
 * number, or a decimal string), renewed shortly before it expires; -1
 * with reason (HTTP status, Entra ID's error and description) otherwise. */
int	 intune_auth_token_read(struct intune_token *,
	    const struct intune_reply *, char *reason, size_t);

/* The token endpoint, and the scope asked for aud. */
void	 intune_auth_token_url(const struct config *, char *, size_t);
void	 intune_auth_scope(const struct config *, enum intune_audience,
	    char *, size_t);

/* A signed client assertion for the token endpoint aud, valid from now
 * for ten minutes; malloc'd, NULL on error. */
/* The client assertion (RFC 7523): an RS256 JWT by the key of the
 * certificate, for client_id at the token endpoint aud, made at now and
 * good for 10 minutes; malloc'd, NULL when it cannot be signed. */
char	*intune_auth_assertion(X509 *, struct keyop *, const char *client_id,
	    const char *aud, time_t now);
/*
 * What the signer checks before it signs (in, len: "header.payload"):
 * RS256 with cert's thumbprint, and only the claims of this
 * configuration's assertion (iss = sub = ClientId, aud = the token
 * endpoint, made within a minute of now, for at most 10 minutes), so a
 * worker cannot have it sign a token for another app or audience, or
 * one that lasts. 0, or -1 and why.
 */
int	 intune_auth_assertion_check(const struct config *, X509 *cert,
	    const char *in, size_t len, time_t now, char *reason, size_t);
/* [Intune] ClientKey (a PEM file, or one naming a pkcs11: key) in this
 * process, checked against cert; NULL and why. */
struct keyop *intune_auth_key_open(const struct config *, X509 *cert,
	    char *reason, size_t);

/* base64url without padding of n bytes; out needs 4 * n / 3 + 4. */
void	 intune_b64url(const unsigned char *, size_t, char *out);

#endif
