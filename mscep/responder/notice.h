/*
 * notice.h - what the policy module owes its service after a PKCSReq it
 * allowed (Module = intune: successNotification, failureNotification),
 * kept in the store's outbox until acknowledged. Microsoft requires that
 * a certificate reach the device only after its successNotification
 * succeeded: the notice is written with the certificate, in one
 * transaction, and the certificate is handed out (SUCCESS, GetCert) only
 * once the notice is gone; until then the device gets PENDING and polls
 * (RFC 8894 section 3.3.3), and each poll sends the notice again.
 * Used by the workers and by mscep-admin (approve, deny, intune-notify).
 */
#ifndef MSCEP_NOTICE_H
#define MSCEP_NOTICE_H

#include <stddef.h>

#include <openssl/x509.h>

#include "policy/policy.h"
#include "store/store.h"

/* A success notice to record with a certificate (struct store_cert's
 * notice); it owns what it points to. */
struct notice_owed {
	struct store_notice	 sn;
	struct policy_notice	 pn;
	char			 serial[80];
};

/* 1 with n made for issued, 0 when the module reports nothing, -1 when
 * it cannot be made (reason). */
int	 notice_make(struct policy *, const struct policy_request *,
	    X509 *issued, struct notice_owed *n, char *reason, size_t);
void	 notice_owed_free(struct notice_owed *);

/* Sends the notice holding back certificate serial: 0 when none is owed
 * (any more), 1 when it still is, -1 when the store cannot tell; reason
 * says why for 1 and -1. */
int	 notice_flush(struct policy *, struct store *, const char *serial,
	    char *reason, size_t);
/* Sends one stored notice and settles it: 0 sent (or sent by another),
 * -1 still owed, with reason. */
int	 notice_send(struct policy *, struct store *,
	    const struct store_notice *, char *reason, size_t);
/* Issuance failed after the module allowed req: failureNotification
 * sent now, or kept in the outbox when it cannot be. */
void	 notice_failure(struct policy *, struct store *,
	    const struct policy_request *, const char *why);

#endif
