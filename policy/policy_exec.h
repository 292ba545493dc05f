/*
 * policy_exec.h - the exec verifier, for MDMs other than Intune: the INI
 * names a program ([Policy] VerifierCommand); it gets the CSR (PEM) and
 * the challenge on stdin and MSCEP_* variables (MSCEP_MESSAGE_TYPE says
 * PKCSReq or RenewalReq; a renewal has MSCEP_RENEWS_SERIAL), and exit
 * status 0 allows. Any other status, a signal, or VerifierTimeoutSeconds refuses.
 */
#ifndef MSCEP_POLICY_EXEC_H
#define MSCEP_POLICY_EXEC_H

#include "policy/policy.h"

void	 policy_exec_decide(void *, const struct config *, struct store *,
	    const struct policy_request *, struct policy_decision *);

#endif
