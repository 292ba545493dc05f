/*
 * commands.h - the commands of scepcli. Each returns the exit code: 0 when
 * it passed; caps and cacert 1 on any failure; enroll and getcrl 1 when a
 * check failed, 2 when they could not run.
 */
#ifndef SCEPCLI_COMMANDS_H
#define SCEPCLI_COMMANDS_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* GetCACaps: the body on stdout. */
int	 cmd_caps(void);
/* GetCACert: subject, keyUsage and role of each certificate. */
int	 cmd_cacert(void);
/* -n enrollments; with old_cert and old_key (--cert/--key, borrowed, else
 * NULL) RenewalReq instead of PKCSReq. */
int	 cmd_enroll(X509 *old_cert, EVP_PKEY *old_key);
/* GetCRL for old_cert's issuer, signed with old_cert and old_key. */
int	 cmd_getcrl(X509 *old_cert, EVP_PKEY *old_key);

#endif
