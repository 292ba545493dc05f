/*
 * policy_password.h - NDES one-time passwords (EnforcePassword,
 * UseSinglePassword, PasswordMax, PasswordLength, PasswordValidity).
 * A password is PasswordLength random bytes printed as upper-case hex, as
 * the mscep_admin page shows them (e.g. 1ED0DD50F7459D6E for 8 bytes).
 */
#ifndef MSCEP_POLICY_PASSWORD_H
#define MSCEP_POLICY_PASSWORD_H

#include <stddef.h>

#include "config/config.h"
#include "policy/policy.h"
#include "store/store.h"

/* Issues a new password into out; STORE_FULL when the cache is full. */
enum store_rc policy_password_new(const struct config *, struct store *,
    char *out,
	    size_t);
/* Hex SHA-256 of the normalised password; what the store keeps. */
void	 policy_password_hash(const char *, char out[65]);
void	 policy_password_decide(const struct config *, struct store *,
	    const struct policy_request *, struct policy_decision *);

#endif
