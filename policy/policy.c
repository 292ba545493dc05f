/* policy.c - the policy interface and the choice of the one module. */
#include "policy/policy.h"
#include "policy/policy_exec.h"
#include "policy/policy_intune.h"
#include "policy/policy_mdmchallenge.h"
#include "policy/policy_password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

/*
 * A module decides from the request alone; it may read the store but
 * never writes it (what it relies on goes back as a claim). Like NDES's
 * MSCEP\Modules\Policy, exactly one module serves a worker. A module may
 * load what it needs once (keys, trust) in open.
 */
struct policy_module {
	enum policy_kind kind;
	const char	*name;
	int		 (*open)(const struct config *, void **, char *, size_t);
	void		 (*decide)(void *, const struct config *, struct store *,
			    const struct policy_request *,
			    struct policy_decision *);
	void		 (*close)(void *);
	int		 (*notice)(void *, const struct policy_request *,
			    X509 *, const char *, struct policy_notice *,
			    char *, size_t);
	int		 (*send)(void *, const char *, const char *, char *,
			    size_t);
	int		 hide_landing_page;
	int		 asked_on_renewal;
	int		 vouches_sid_uri;
};

static void
password_module(void *state, const struct config *cfg, struct store *st,
    const struct policy_request *req, struct policy_decision *d)
{
	(void)state;
	policy_password_decide(cfg, st, req, d);
}

static const struct policy_module modules[] = {
	{ POLICY_PASSWORD, "ndes-password", NULL, password_module, NULL,
	  NULL, NULL, 0, 0, 0 },
	{ POLICY_MDM_CHALLENGE, "mdm-challenge", policy_mdmchallenge_open,
	  policy_mdmchallenge_decide, policy_mdmchallenge_close, NULL, NULL,
	  1, 0, 0 },
	{ POLICY_EXEC, "exec", NULL, policy_exec_decide, NULL, NULL, NULL, 0,
	  1, 0 },
	{ POLICY_INTUNE, "intune", policy_intune_open, policy_intune_decide, policy_intune_close,
	  policy_intune_notice, policy_intune_send, 1, 0, 1 },
};

struct policy {
	const struct config		*cfg;
	struct store			*store;
	const struct policy_module	*mod;
	void				*state;
};

int
policy_open(const struct config *cfg, struct store *store,
    struct policy **out, char *reason, size_t rlen)
{
	struct policy	*p;
	size_t		 i;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	p->cfg = cfg;
	p->store = store;
	for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		if (modules[i].kind == cfg->policy)
			p->mod = &modules[i];
	if (p->mod == NULL || (p->mod->open != NULL &&
	    p->mod->open(cfg, &p->state, reason, rlen) != 0)) {
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void
policy_decide(struct policy *p, const struct policy_request *req,
    struct policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	p->mod->decide(p->state, p->cfg, p->store, req, d);
	if (d->code[0] == '\0')
		snprintf(d->code, sizeof(d->code), "%s", d->allow ? "Success" :
		    "PolicyRefused");
}

void
policy_decide_renewal(struct policy *p, const struct policy_request *req,
    struct policy_decision *d)
{
	if (p->mod->asked_on_renewal) {
		policy_decide(p, req, d);
		return;
	}
	memset(d, 0, sizeof(*d));
	d->allow = 1;
	d->claim.kind = CLAIM_NONE;
	snprintf(d->code, sizeof(d->code), "Success");
}

void
policy_decision_free(struct policy_decision *d)
{
	X509_NAME_free(d->subject);
	d->subject = NULL;
}

int
policy_notice_make(struct policy *p, const struct policy_request *req,
    X509 *issued, const char *why, struct policy_notice *n, char *reason,
    size_t rlen)
{
	memset(n, 0, sizeof(*n));
	if (p->mod->notice == NULL)
		return 0;
	return p->mod->notice(p->state, req, issued, why, n, reason, rlen);
}

void
policy_notice_free(struct policy_notice *n)
{
	free(n->action);
	free(n->body);
	n->action = n->body = NULL;
}

int
policy_notice_send(struct policy *p, const char *action, const char *body,
    char *reason, size_t rlen)
{
	if (p->mod->send == NULL) {
		snprintf(reason, rlen, "Module = %s sends no notifications "
		    "(this one was made under another module)", p->mod->name);
		return -1;
	}
	return p->mod->send(p->state, action, body, reason, rlen);
}

int
policy_config_reports(const struct config *cfg)
{
	size_t	 i;

	for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		if (modules[i].kind == cfg->policy)
			return modules[i].send != NULL;
	return 0;
}

const char *
policy_name(const struct policy *p)
{
	return p->mod->name;
}

int
policy_vouches_sid_uri(const struct policy *p)
{
	return p != NULL && p->mod->vouches_sid_uri;
}

int
policy_hides_landing_page(const struct policy *p)
{
	return p != NULL && p->mod->hide_landing_page;
}

void
policy_close(struct policy *p)
{
	if (p == NULL)
		return;
	if (p->mod->close != NULL)
		p->mod->close(p->state);
	free(p);
}
