/*
 * pkiop_priv.h - what pkiop.c (transport, dispatch, PKCSReq) and
 * pkiop_life.c (renewal, approval, GetCRL) share about one operation.
 */
#ifndef MSCEP_PKIOP_PRIV_H
#define MSCEP_PKIOP_PRIV_H

#include "certrep.h"
#include "events.h"
#include "issue.h"
#include "message.h"
#include "policy.h"
#include "worker.h"

/* Everything one PKIOperation produces, for the answer and the log line. */
struct outcome {
	struct certrep		 rep;
	X509			*issued;	/* owned */
	X509_CRL		*crl;		/* owned: GetCRL */
	const char		*template_name;
	char			 serial[80];
	char			 reason[REASON_MAX];
	char			 code[48];	/* event reason code */
	char			 device_id[128];
	char			 requester[96];	/* who sent it, for approval */
	int			 resent;	/* an earlier answer again */
	int			 decided;	/* an administrator refused it */
	struct success_event	 event;		/* recorded with the cert */
	struct buf		 answer;	/* the CertRep, built before
						   the cert is recorded */
};

void	 outcome_fail(struct outcome *, enum scep_failinfo);
/* Signs a certificate for req->csr and records it with claim. */
void	 pkiop_issue(struct worker *, const struct scep_req *,
	    const struct template *, const struct store_claim *,
	    const struct issue_extras *, const char *key_id, struct outcome *);
/* 1 when this transaction was answered before (the outcome is set). */
int	 pkiop_replay(struct worker *, const struct scep_req *,
	    const char *key_id, struct outcome *);

/* pkiop_life.c */
void	 do_renewal(struct worker *, const struct scep_req *,
	    struct outcome *);
void	 do_getcrl(struct worker *, const struct scep_req *, struct outcome *);
void	 hold_for_approval(struct worker *, const struct scep_req *,
	    const struct template *, const struct policy_decision *,
	    const char *key_id, struct outcome *);
/* 1 when a request with this transactionID waits or was decided. */
int	 pending_answer(struct worker *, const struct scep_req *,
	    const char *key_id, struct outcome *);

#endif
