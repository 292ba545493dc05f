/*
 * admin_notify.h - the policy's notifications from mscep-admin: the
 * outbox listed and sent again (intune-notify), and the notices that
 * approve and deny owe (notice.h).
 */
#ifndef MSCEP_ADMIN_NOTIFY_H
#define MSCEP_ADMIN_NOTIFY_H

#include "config/config.h"
#include "policy/policy.h"
#include "store/store.h"

int	 admin_cmd_intune_notify(const struct config *, int argc, char *argv[]);
/* The policy module when it reports back (Module = intune), else NULL:
 * 0, or -1 once the reason is printed. */
int	 admin_notice_policy(const struct config *, struct store *,
	    struct policy **);
/* After approve recorded serial with its notice: sends the notice and
 * says whether the client can have the certificate now. */
void	 admin_notice_approved(struct policy *, struct store *,
	    const char *serial);
/* After deny: the failure notice for request txid, whose CSR is csr. */
void	 admin_notice_denied(struct policy *, struct store *, const char *txid,
	    X509_REQ *csr);

#endif
