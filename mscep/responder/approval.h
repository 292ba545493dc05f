/*
 * approval.h - requests held for an administrator's approval and the
 * answers to their CertPolls.
 */
#ifndef MSCEP_APPROVAL_H
#define MSCEP_APPROVAL_H

#include "responder/outcome.h"

/* Stores the request as pending and answers PENDING. */
void	 approval_hold(struct worker *, const struct scep_req *,
	    const struct template *, const struct policy_decision *,
	    const char *key_id, struct outcome *);
/* 1 when a request with this transactionID waits or was decided. */
int	 approval_answer(struct worker *, const struct scep_req *,
	    const char *key_id, struct outcome *);
/*
 * 1 when this transaction was answered before: the stored certificate
 * (outcome_replay) or, for a held request, PENDING or the decision.
 */
int	 approval_replay(struct worker *, const struct scep_req *,
	    const char *key_id, struct outcome *);

#endif
