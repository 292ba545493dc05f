/* policy_exec.c - ask an administrator's program. */
#include "policy/policy_exec.h"
#include "policy/policy_request.h"
#include "policy/challenge.h"
#include "util/log.h"
#include "util/runcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

/* stdin: the CSR in PEM, then "Challenge: <value>" (docs/challenge.md). */
static char *
verifier_input(X509_REQ *csr, size_t *len)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*pw = malloc(CHALLENGE_B64_MAX + 1), *data, *out = NULL;
	long	 n;
	size_t	 i;

	if (b == NULL || pw == NULL || !PEM_write_bio_X509_REQ(b, csr))
		goto done;
	if (policy_request_challenge(csr, pw, CHALLENGE_B64_MAX + 1) == 0) {
		/* One line: a newline would let the requester write more
		 * "Challenge:" lines or PEM blocks to the verifier. */
		for (i = 0; pw[i] != '\0'; i++)
			if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f)
				goto done;
		if (BIO_printf(b, "Challenge: %s\n", pw) <= 0)
			goto done;
	}
	n = BIO_get_mem_data(b, &data);
	if ((out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
		*len = (size_t)n;
	}
done:
	if (pw != NULL)
		OPENSSL_clear_free(pw, CHALLENGE_B64_MAX + 1);
	BIO_free(b);
	return out;
}

void
policy_exec_decide(void *state, const struct config *cfg, struct store *st,
    const struct policy_request *req, struct policy_decision *d)
{
	char			 txid[160], tmpl[96], type[40], renews[112];
	char			*env[5], *in;
	size_t			 len = 0;
	int			 status = 0;
	enum runcmd_result	 r;

	(void)state;
	(void)st;
	if ((in = verifier_input(req->csr, &len)) == NULL) {
		snprintf(d->code, sizeof(d->code), "VerifierRefused");
		snprintf(d->reason, sizeof(d->reason), "CSR cannot be encoded, "
		    "or its challenge has control characters");
		return;
	}
	snprintf(txid, sizeof(txid), "MSCEP_TRANSACTION_ID=%s", req->txid);
	snprintf(tmpl, sizeof(tmpl), "MSCEP_TEMPLATE=%s", req->tmpl->name);
	snprintf(type, sizeof(type), "MSCEP_MESSAGE_TYPE=%s", req->renews ?
	    "RenewalReq" : "PKCSReq");
	snprintf(renews, sizeof(renews), "MSCEP_RENEWS_SERIAL=%.80s",
	    req->renews ? req->renews : "");
	env[0] = txid;
	env[1] = tmpl;
	env[2] = type;
	env[3] = req->renews ? renews : NULL;
	env[4] = NULL;
	r = runcmd(cfg->verifier, env, in, len, cfg->verifier_timeout, &status);
	OPENSSL_clear_free(in, len);
	d->allow = r == RUNCMD_EXITED && status == 0;
	d->claim.kind = CLAIM_NONE;
	snprintf(d->code, sizeof(d->code), d->allow ? "Success" :
	    r == RUNCMD_TIMEOUT ? "VerifierTimeout" : "VerifierRefused");
	if (r == RUNCMD_EXITED)
		snprintf(d->reason, sizeof(d->reason), "verifier exited with %d",
		    status);
	else if (r == RUNCMD_SIGNALED)
		snprintf(d->reason, sizeof(d->reason), "verifier killed by signal "
		    "%d", status);
	else if (r == RUNCMD_TIMEOUT)
		snprintf(d->reason, sizeof(d->reason), "verifier did not answer in "
		    "%d s", cfg->verifier_timeout);
	else
		snprintf(d->reason, sizeof(d->reason), "verifier %.200s cannot be run",
		    cfg->verifier);
}
