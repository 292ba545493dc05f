/*
 * events.h - enrollment outcomes, as the Intune connector reports them
 * back (success: transactionID, serial, thumbprint, expiry, issuer;
 * failure: transactionID, reason code, description): recorded in the
 * store for `mscep-admin events`, and handed to [Policy] NotifyCommand,
 * which runs detached so a slow or failing command never delays or
 * changes an enrollment.
 */
#ifndef MSCEP_EVENTS_H
#define MSCEP_EVENTS_H

#include <stddef.h>

#include <openssl/x509.h>

#include "config.h"
#include "store.h"

void	 events_success(const struct config *, struct store *,
	    const char *txid, X509 *cert, const char *device_id);
void	 events_failure(const struct config *, struct store *,
	    const char *txid, const char *code, const char *description,
	    const char *device_id);
/* One event as a JSON object on one line (no newline); -1 if too long. */
int	 events_json(const struct store_event *, char *out, size_t size);

#endif
