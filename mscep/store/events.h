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

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config/config.h"
#include "store/store.h"

/* A success event made from the issued certificate, for store_issue to
 * record with it (struct store_cert's event); it owns its strings. */
struct success_event {
	struct store_event	 ev;
	char			 serial[80];
	char			 thumbprint[2 * EVP_MAX_MD_SIZE + 1];
	char			*issuer;
};
void	 events_success_make(struct success_event *, const char *txid,
	    X509 *cert, const char *device_id);
void	 events_success_free(struct success_event *);
/* Events recorded at now are kept until now + EventRetentionDays. */
int64_t	 events_keep_after(const struct config *, int64_t now);
/* Hands a recorded event to NotifyCommand, if there is one. */
void	 events_notify(const struct config *, const struct store_event *);
void	 events_failure(const struct config *, struct store *,
	    const char *txid, const char *code, const char *description,
	    const char *device_id);
/* One event as a JSON object on one line (no newline); -1 if too long. */
int	 events_json(const struct store_event *, char *out, size_t size);

#endif
