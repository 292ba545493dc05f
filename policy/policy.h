/*
 * policy.h - who may enroll. One module decides per request, like the
 * single INDESPolicy module NDES allows (MSCEP\Modules\Policy). A module
 * only reads; what its "yes" depends on (a one-time password) is returned
 * as a claim that the store consumes in the same transaction that records
 * the certificate, so a decision cannot be used twice.
 */
#ifndef MSCEP_POLICY_H
#define MSCEP_POLICY_H

#include <stddef.h>

#include <openssl/x509.h>

#include "config/config.h"
#include "store/store.h"
#include "util/util.h"

struct policy_request {
	const char		*txid;
	X509_REQ		*csr;
	X509			*signer;
	const struct template	*tmpl;
	const char		*renews;	/* RenewalReq: the serial of the
						   certificate renewed (signer);
						   NULL for PKCSReq */
};

struct policy_decision {
	int			 allow;
	char			 reason[REASON_MAX];	/* never a secret */
	char			 code[48];	/* named reason, Intune's words */
	struct store_claim	 claim;
	char			 device_id[128];	/* "" when unknown */
	char			 sid[192];	/* strong mapping, "" if none */
	X509_NAME		*subject;	/* owned: the subject to issue,
						   NULL: the template decides */
};

/* Frees what a decision owns. */
void	 policy_decision_free(struct policy_decision *);

struct policy;

int	 policy_open(const struct config *, struct store *, struct policy **,
	    char *reason, size_t);
void	 policy_decide(struct policy *, const struct policy_request *,
	    struct policy_decision *);
/*
 * A RenewalReq is authenticated by the certificate it renews, and the
 * template decides; of the modules only the exec verifier is asked as
 * well (its program may refuse, say, a retired device's renewal). The
 * others allow: their passwords and challenges are for first requests.
 */
void	 policy_decide_renewal(struct policy *, const struct policy_request *,
	    struct policy_decision *);
/*
 * What a module reports back after a PKCSReq it allowed (Module =
 * intune: successNotification for the certificate issued, or
 * failureNotification when issuance failed after all, for why). The
 * notice is made here and sent by policy_notice_send, possibly later and
 * by another process: the responder keeps it in the store's outbox until
 * the service acknowledged it, and holds a certificate back until then.
 */
struct policy_notice {
	char	*action;	/* owned */
	char	*body;		/* owned: JSON text */
};
/* 1 with n filled, 0 when the module reports nothing, -1 when the notice
 * cannot be made (reason). */
int	 policy_notice_make(struct policy *, const struct policy_request *,
	    X509 *issued, const char *why, struct policy_notice *n,
	    char *reason, size_t);
void	 policy_notice_free(struct policy_notice *);
/* 0 once the service acknowledged the notice, -1 with reason. */
int	 policy_notice_send(struct policy *, const char *action,
	    const char *body, char *reason, size_t);
/* 1 when the configured module reports back (without opening it). */
int	 policy_config_reports(const struct config *);
const char *policy_name(const struct policy *);
void	 policy_close(struct policy *);

/* 1 when the module has the CSR's names validated itself, a
 * strong-mapping SID URI included (Intune's validateRequest): issuance
 * then keeps that URI instead of refusing it. */
int	 policy_vouches_sid_uri(const struct policy *);

/* 1 when plain GETs of the SCEP URL must get 403 (Intune's NDES). */
int	 policy_hides_landing_page(const struct policy *);

#endif
