/* auditop.c - the audit line of one PKIOperation's outcome. */
#include "responder/auditop.h"
#include "scep/scep_attr.h"
#include "util/audit.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

/* The event name of o, NULL when it is none. */
static const char *
event_of(const struct scep_req *req, const struct outcome *o)
{
	int	 enroll = req->msg_type == MSG_PKCSREQ ||
	    req->msg_type == MSG_RENEWALREQ;

	if (o->rep.status == STATUS_FAILURE)
		return "refused";
	/* PENDING: held for an administrator, or signed and recorded but
	 * held until the policy's notice is acknowledged (issued then). */
	if (o->rep.status == STATUS_PENDING)
		return o->for_approval ? "held" : o->held && o->issued !=
		    NULL && !o->resent ? "issued" : NULL;
	return enroll && o->issued != NULL && !o->resent ? "issued" : NULL;
}

void
auditop_record(struct worker *w, const struct scep_req *req,
    const struct outcome *o)
{
	struct audit_event	 e;
	const char		*ev = event_of(req, o);
	char			*subject = NULL, *sans = NULL, why[REASON_MAX];

	if (ev == NULL || w->cfg.audit.dest == AUDIT_OFF)
		return;
	audit_event_init(&e, ev, "mscep");
	e.message_type = scep_msgtype_name(req->msg_type);
	e.txid = req->txid[0] != '\0' ? req->txid : NULL;
	e.serial = o->serial[0] != '\0' ? o->serial : NULL;
	/* What was signed; for a refusal or a hold, what was asked. */
	if (o->issued != NULL)
		issue_describe(o->issued, &subject, &sans);
	else if (req->csr != NULL)
		issue_describe_req(req->csr, &subject, &sans);
	ERR_clear_error();
	e.subject = subject;
	e.template_name = o->template_name;
	e.policy = policy_name(w->policy);
	if (o->rep.status == STATUS_FAILURE)
		e.fail_info = scep_failinfo_name(o->rep.fail);
	e.code = o->code[0] != '\0' ? o->code : NULL;
	e.reason = o->reason[0] != '\0' ? o->reason : NULL;
	e.device_id = o->device_id[0] != '\0' ? o->device_id : NULL;
	e.requester = o->requester[0] != '\0' ? o->requester : NULL;
	if (audit_emit(&w->cfg.audit, w->cfg.log_socket, &e, why,
	    sizeof(why)) != 0)
		audit_fallback(&e, why);
	free(subject);
	free(sans);
}

void
auditop_password(struct worker *w, const struct http_req *req,
    const char *event, const char *reason)
{
	struct audit_event	 e;
	char			 why[REASON_MAX];

	if (w->cfg.audit.dest == AUDIT_OFF)
		return;
	audit_event_init(&e, event, "mscep");
	e.reason = reason;
	e.web_user = req->remote_user != NULL && req->remote_user[0] != '\0' ?
	    req->remote_user : "";
	e.requester = req->remote_addr != NULL && req->remote_addr[0] !=
	    '\0' ? req->remote_addr : NULL;
	if (audit_emit(&w->cfg.audit, w->cfg.log_socket, &e, why,
	    sizeof(why)) != 0)
		audit_fallback(&e, why);
}

int
auditop_check(const struct config *cfg, char *why, size_t wlen)
{
	int	 fd;

	if (cfg->audit.dest != AUDIT_FILE)
		return 0;
	if ((fd = audit_open_file(cfg->audit.path)) < 0) {
		snprintf(why, wlen, "[Audit] Target: cannot open %s: %s",
		    cfg->audit.path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}
