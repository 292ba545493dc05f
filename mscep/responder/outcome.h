/*
 * outcome.h - one PKIOperation's result, and what pkiop.c (transport,
 * dispatch, PKCSReq) and lifecycle.c (renewal, approval, GetCRL) share to
 * issue a certificate and answer a retransmission.
 */
#ifndef MSCEP_OUTCOME_H
#define MSCEP_OUTCOME_H

#include "scep/certrep.h"
#include "store/events.h"
#include "ca/issue.h"
#include "scep/message.h"
#include "policy/policy.h"
#include "ca/template.h"
#include "responder/worker.h"

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
	int			 for_approval;	/* held for approval just now */
	const struct policy_request *notify;	/* set: the policy reports
						   what outcome_issue signs,
						   which waits for it */
	int			 raced;		/* a concurrent request with this
						   transactionID recorded first */
	int			 held;		/* signed and recorded, held
						   (PENDING) until the policy's
						   notice is acknowledged */
	struct success_event	 event;		/* recorded with the cert */
	struct buf		 answer;	/* the CertRep, built before
						   the cert is recorded */
};

/* Our failure, not the client's: logged at error level, said so in the
 * reason; the client gets FAILURE (badRequest: RFC 8894 has no other). */
void	 outcome_server_error(struct outcome *, const char *stage);
void	 outcome_fail(struct outcome *, enum scep_failinfo);
/* Counts a decision of an external policy (exec; intune but for a
 * renewal, which it does not see) by outcome, for the metrics page. */
void	 outcome_count_policy(struct worker *, const struct policy_decision *,
	    int renewal);
/* A stored DER certificate. */
int	 outcome_load_cert(const struct buf *, X509 **);
/* Signs a certificate for req->csr and records it with claim; with
 * o->notify, its notice too, and answers PENDING (o->held) while the
 * notice cannot be sent. */
void	 outcome_issue(struct worker *, const struct scep_req *,
	    const struct template *, const struct store_claim *,
	    const struct issue_extras *, const char *key_id, struct outcome *);
/* 1 when this transaction has a stored certificate (the outcome is set:
 * SUCCESS, or PENDING while its notice is still owed). */
int	 outcome_replay(struct worker *, const struct scep_req *,
	    const char *key_id, struct outcome *);

#endif
