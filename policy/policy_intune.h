/*
 * policy_intune.h - Module = intune: Intune's SCEP validation API judges
 * each PKCSReq (ScepActions/validateRequest with the transactionID, the
 * DER CSR in base64, challengePassword included, and callerInfo). Only
 * the code "Success" allows; any transport error, timeout, non-2xx,
 * malformed or unexpected answer refuses, naming Intune's code and the
 * client-request-id of the call.
 */
#ifndef MSCEP_POLICY_INTUNE_H
#define MSCEP_POLICY_INTUNE_H

#include <stdio.h>

#include <jansson.h>

#include "policy/policy.h"
#include "policy/intune_http.h"

/* Sent as callerInfo and in the User-Agent. */
#define INTUNE_CALLER	"mscep"

int	 policy_intune_open(const struct config *, void **, char *reason, size_t);
void	 policy_intune_decide(void *, const struct config *, struct store *,
	    const struct policy_request *, struct policy_decision *);
void	 policy_intune_close(void *);
/* successNotification for issued, or failureNotification with why, as a
 * notice to send (policy.h); 1, or -1 with reason. */
int	 policy_intune_notice(void *, const struct policy_request *, X509 *,
	    const char *why, struct policy_notice *, char *reason, size_t);
/* Sends a notice: 0 when Intune answered 2xx with code "Success". */
int	 policy_intune_send(void *, const char *action, const char *body,
	    char *reason, size_t);

/*
 * POST {ScepRequestValidationFEService}/ScepActions/<action> with body;
 * finds the service, gets the Intune token, refreshes it once on a 401
 * and looks the service up again once after a connect failure or a 404.
 * 0 with r filled when an answer came, -1 with reason otherwise.
 */
int	 intune_scep_call(void *, const char *action, const json_t *body,
	    struct intune_reply *r, char *reason, size_t);

/* Intune's answer to validateRequest as a decision: only a 2xx JSON
 * object whose code is exactly "Success" allows. */
void	 intune_judge(const struct intune_reply *, struct policy_decision *);

/* mscep-admin check --online: both tokens and the endpoints, printed to
 * out; -1 with the exact failure in reason. */
int	 intune_check_online(const struct config *, FILE *out, char *reason,
	    size_t);

#endif
