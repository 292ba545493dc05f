/*
 * policy_mdmchallenge.h - the mdm-challenge module (an MDM mints its own
 * challenges): the CSR's challengePassword
 * must be a challenge blob (challenge.h) that decrypts with mscep's
 * challenge key, was signed by a trusted MDM signer, is within its time
 * window, has not enrolled before, and expects exactly this CSR: the
 * template, the Subject, the set of SANs and the key usage.
 */
#ifndef MSCEP_POLICY_MDMCHALLENGE_H
#define MSCEP_POLICY_MDMCHALLENGE_H

#include "policy/policy.h"

/* State files: mscep's challenge key pair, in the state folder. */
#define CHALLENGE_CERT	"challenge.crt"
#define CHALLENGE_KEY	"private/challenge.key"

int	 policy_mdmchallenge_open(const struct config *, void **, char *reason, size_t);
void	 policy_mdmchallenge_decide(void *, const struct config *, struct store *,
	    const struct policy_request *, struct policy_decision *);
void	 policy_mdmchallenge_close(void *);

#endif
