/* admin_life.c - revoke, list, crl, pending, approve, deny. */
#include "admin/admin_audit.h"
#include "admin/admin_life.h"
#include "admin/admin_notify.h"
#include "admin/admin_opt.h"
#include "responder/notice.h"
#include "util/num.h"
#include "ca/crl.h"
#include "store/events.h"
#include "ca/issue.h"
#include "ca/keyops.h"
#include "ca/ra.h"
#include "store/store.h"
#include "util/cert.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>

/* RFC 5280 §5.3.1 CRLReason names, as openssl ca -crl_reason spells them.
 * cACompromise is the CA's own; certificateHold cannot be undone here. */
static const struct { const char *name; int code; } reasons[] = {
	{ "unspecified", 0 }, { "keyCompromise", 1 },
	{ "affiliationChanged", 3 }, { "superseded", 4 },
	{ "cessationOfOperation", 5 }, { "privilegeWithdrawn", 9 },
	{ NULL, 0 }
};

static const char *
reason_name(int code)
{
	int	 i;

	for (i = 0; reasons[i].name != NULL; i++)
		if (reasons[i].code == code)
			return reasons[i].name;
	return code == 2 ? "cACompromise" : code == 6 ? "certificateHold" :
	    "unknown";
}

static int
reason_code(const char *name)
{
	int	 i;

	for (i = 0; reasons[i].name != NULL; i++)
		if (strcasecmp(reasons[i].name, name) == 0)
			return reasons[i].code;
	return -1;
}

static struct store *
open_store(const struct config *cfg)
{
	struct store	*st = NULL;
	char		 reason[REASON_MAX];

	if (store_open_config(cfg, &st, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: %s\n", reason);
		return NULL;
	}
	return st;
}


/* "1a:2b", "0x1A2B" or "1A2B" as the store writes it: BN_bn2hex. */
int
admin_serial_normalise(const char *in, char *out, size_t len)
{
	char	 clean[128];
	BIGNUM	*bn = NULL;
	char	*hex = NULL;
	size_t	 n = 0;
	int	 rc = -1;

	if (strncasecmp(in, "0x", 2) == 0)
		in += 2;
	for (; *in != '\0' && n < sizeof(clean) - 1; in++)
		if (*in != ':')
			clean[n++] = *in;
	clean[n] = '\0';
	if (n == 0 || strspn(clean, "0123456789abcdefABCDEF") != n ||
	    BN_hex2bn(&bn, clean) != (int)n ||
	    (hex = BN_bn2hex(bn)) == NULL || strlen(hex) >= len)
		goto out;
	util_strlcpy(out, hex, len);
	rc = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

/* The current CA key's CRL file. */
static const char *
crl_name(const struct config *cfg, const struct ra *ra, char *out,
    size_t size)
{
	if (util_key_index_name(cfg->crl_file, ra->ca_index, out, size) != 0)
		util_strlcpy(out, cfg->crl_file, size);
	return out;
}

/* After a revocation relying parties must see it now, not at refresh;
 * when nothing changed (and the CRL is current) nothing is published. */
int
admin_republish(const struct config *cfg, struct store *st)
{
	struct ra	 ra;
	char		 reason[REASON_MAX], file[PATH_MAX + 16];
	long		 n = 0;
	int		 rc = -1, published;

	/* As the workers sign: through the signer under [Signer] Socket. */
	if (ra_load_worker(cfg, &ra, reason, sizeof(reason)) == 0 &&
	    (published = crl_refresh(cfg, &ra, st, &n, reason,
	    sizeof(reason))) >= 0) {
		if (published)
			printf("CRL published: %s (entries: %ld)\n",
			    crl_name(cfg, &ra, file, sizeof(file)), n);
		rc = 0;
	} else
		fprintf(stderr, "mscep-admin: the revocation is recorded but "
		    "the CRL was not published: %s\n(run mscep-admin crl "
		    "once this is fixed; workers also retry)\n", reason);
	ra_free(&ra);
	return rc;
}

static void
audit_revoke(const struct config *cfg, const char *serial,
    const char *selector, long long n, int reason)
{
	struct audit_event	 e;

	audit_event_init(&e, "revoked", NULL);
	e.serial = serial;
	e.selector = selector;
	e.count = n;
	e.revocation_reason = reason_name(reason);
	admin_audit(cfg, &e);
}

static int
revoke_one(const struct config *cfg, struct store *st, const char *arg,
    int reason)
{
	struct cert_row	 r;
	char		 serial[128], when[32];
	int		 already;
	enum store_rc	 rc;

	if (admin_serial_normalise(arg, serial, sizeof(serial)) != 0) {
		fprintf(stderr, "mscep-admin: \"%s\" is not a hexadecimal "
		    "serial number\n", arg);
		return 2;
	}
	rc = store_revoke(st, serial, reason, util_now(), &already);
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "mscep-admin: no certificate with serial %s\n",
		    serial);
		return 1;
	}
	if (rc != STORE_OK || store_cert_status(st, serial, &r) != STORE_OK) {
		fprintf(stderr, "mscep-admin: revoke: %s\n", store_errmsg(st));
		return 1;
	}
	if (already) {
		util_iso8601(r.revoked_at, when, sizeof(when));
		printf("%s was already revoked at %s (%s); unchanged\n",
		    serial, when, reason_name(r.reason));
	}
	else {
		audit_revoke(cfg, serial, NULL, -1, reason);
		printf("revoked %s (%s)\n", serial, reason_name(reason));
	}
	return 0;
}

/*
 * --subject DN: as list prints it (RFC 4514, "CN=name,O=org"), or in the
 * slash form of older versions ("/O=org/CN=name"), which also matches
 * their rows. *owned is what the caller frees.
 */
static void
subject_filter(struct cert_filter *f, char **owned)
{
	X509_NAME	*n = NULL;
	BIO		*b = NULL;
	char		*copy = NULL, *tok, *save = NULL, *eq, *p;
	long		 len;

	*owned = NULL;
	if (f->subject == NULL || f->subject[0] != '/' ||
	    (copy = strdup(f->subject)) == NULL ||
	    (n = X509_NAME_new()) == NULL || (b = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	for (tok = strtok_r(copy, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save))
		if ((eq = strchr(tok, '=')) == NULL || (*eq = '\0',
		    !X509_NAME_add_entry_by_txt(n, tok, MBSTRING_UTF8,
		    (unsigned char *)eq + 1, -1, -1, 0)))
			goto out;
	if (X509_NAME_print_ex(b, n, 0, ISSUE_DN_FLAGS) < 0 ||
	    (len = BIO_get_mem_data(b, &p)) < 0 ||
	    (*owned = strndup(p, (size_t)len)) == NULL)
		goto out;
	f->subject_also = f->subject;
	f->subject = *owned;
out:
	ERR_clear_error();
	BIO_free(b);
	X509_NAME_free(n);
	free(copy);
}

/* The selection as the command named it, for the audit line. */
static const char *
selector(const struct cert_filter *f, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s%s%s%s",
	    f->device_id ? "device=" : "", f->device_id ? f->device_id : "",
	    f->subject ? " subject=" : "", f->subject ? f->subject : "",
	    f->template_name ? " template=" : "",
	    f->template_name ? f->template_name : "");
	return out[0] == ' ' ? out + 1 : out;
}

int
admin_cmd_revoke(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "device", required_argument, NULL, 'd' },
		{ "subject", required_argument, NULL, 's' },
		{ "template", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct cert_filter	 f = { 0 };
	struct store		*st;
	char			*subject = NULL, sel[600];
	int64_t			 n = 0;
	int			 ch, reason = 0, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if ((reason = reason_code(optarg)) < 0) {
				fprintf(stderr, "mscep-admin: --reason: use "
				    "unspecified, keyCompromise, "
				    "affiliationChanged, superseded, "
				    "cessationOfOperation or "
				    "privilegeWithdrawn\n");
				return 2;
			}
			break;
		case 'd': f.device_id = optarg; break;
		case 's': f.subject = optarg; break;
		case 't': f.template_name = optarg; break;
		default: goto usage;
		}
	}
	/* One serial, or a selection: never both, never neither. */
	if ((optind == argc - 1) == (f.device_id || f.subject ||
	    f.template_name) || optind < argc - 1)
		goto usage;
	if ((st = open_store(cfg)) == NULL)
		return 1;
	subject_filter(&f, &subject);
	if (optind == argc - 1)
		rc = revoke_one(cfg, st, argv[optind], reason);
	else if (store_revoke_where(st, &f, reason, util_now(), &n) !=
	    STORE_OK) {
		fprintf(stderr, "mscep-admin: revoke: %s\n", store_errmsg(st));
		rc = 1;
	} else {
		audit_revoke(cfg, NULL, selector(&f, sel, sizeof(sel)),
		    (long long)n, reason);
		printf("revoked %lld certificate(s) (%s)\n", (long long)n,
		    reason_name(reason));
		rc = 0;
	}
	if (rc == 0 && admin_republish(cfg, st) != 0)
		rc = 1;
	store_close(st);
	free(subject);
	return rc;
usage:
	fprintf(stderr, "usage: mscep-admin revoke SERIAL [--reason R]\n"
	    "       mscep-admin revoke --device ID | --subject DN | "
	    "--template NAME [--reason R]\n");
	return 2;
}

/* Requester-chosen text reaches a terminal whole, without control
 * characters (the store keeps it escaped; older rows may not be). */
static void
put_text(const char *s, const char *after)
{
	for (; *s != '\0'; s++)
		putchar(iscntrl((unsigned char)*s) ? '?' : *s);
	fputs(after, stdout);
}

static int
print_cert(const struct cert_row *r, void *arg)
{
	char	 exp[32], rev[32];
	int64_t	 now = *(int64_t *)arg;

	util_iso8601(r->not_after, exp, sizeof(exp));
	util_iso8601(r->revoked_at, rev, sizeof(rev));
	printf("%s\t%s\t%s\t%s\t%s\t%s\t", r->serial,
	    r->revoked ? "revoked" : r->not_after <= now ? "expired" :
	    "issued", exp, r->revoked ? rev : "-",
	    r->revoked ? reason_name(r->reason) : "-", r->template_name);
	put_text(*r->device_id ? r->device_id : "-", "\t");
	put_text(r->subject, "\n");
	if (*r->sans) {
		fputs("\t\tSANs: ", stdout);
		put_text(r->sans, "\n");
	}
	return 0;
}

static int
parse_status(const char *s)
{
	return !strcmp(s, "all") ? 0 : !strcmp(s, "issued") ? 1 :
	    !strcmp(s, "revoked") ? 2 : !strcmp(s, "expired") ? 3 : -1;
}

int
admin_cmd_list(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "status", required_argument, NULL, 'S' },
		{ "device", required_argument, NULL, 'd' },
		{ "subject", required_argument, NULL, 's' },
		{ "template", required_argument, NULL, 't' },
		{ "expires-within", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	struct cert_filter	 f = { 0 };
	struct store		*st;
	int64_t			 now = util_now();
	char			*subject = NULL;
	long long		 days;
	int			 ch;
	enum store_rc		 rc;

	f.now = now;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			if ((f.status = parse_status(optarg)) < 0)
				goto usage;
			break;
		case 'd': f.device_id = optarg; break;
		case 's': f.subject = optarg; break;
		case 't': f.template_name = optarg; break;
		case 'e':
			if (admin_opt_ll("--expires-within", optarg, 0,
			    ADMIN_DAYS_MAX, &days) != 0)
				goto usage;
			f.expires_before = now + days * 86400;
			break;
		default: goto usage;
		}
	}
	if (optind != argc || (st = open_store(cfg)) == NULL)
		return optind != argc ? 2 : 1;
	printf("serial\tstatus\tnot_after\trevoked_at\treason\ttemplate\t"
	    "device\tsubject\n");
	subject_filter(&f, &subject);
	rc = store_list(st, &f, print_cert, &now);
	if (rc != STORE_OK)
		fprintf(stderr, "mscep-admin: list: %s\n", store_errmsg(st));
	store_close(st);
	free(subject);
	return rc == STORE_OK ? 0 : 1;
usage:
	fprintf(stderr, "usage: mscep-admin list [--status issued|revoked|"
	    "expired|all] [--device ID] [--subject DN] [--template NAME] "
	    "[--expires-within DAYS]\n");
	return 2;
}

int
admin_cmd_crl(const struct config *cfg, int argc, char *argv[])
{
	struct store	*st;
	struct ra	 ra;
	struct timespec	 t0;
	char		 reason[REASON_MAX], file[PATH_MAX + 16];
	long		 n = 0;
	double		 ms;
	int		 force = argc == 2 && !strcmp(argv[1], "--force"), rc;

	if (argc != 1 && !force) {
		fprintf(stderr, "usage: mscep-admin crl [--force]\n");
		return 2;
	}
	if ((st = open_store(cfg)) == NULL)
		return 1;
	if (ra_load_worker(cfg, &ra, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: crl: %s\n", reason);
		store_close(st);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = force ? crl_publish(cfg, &ra, st, &n, reason, sizeof(reason)) :
	    crl_refresh(cfg, &ra, st, &n, reason, sizeof(reason));
	ms = util_elapsed_ms(&t0);
	if (rc < 0)
		fprintf(stderr, "mscep-admin: crl: %s\n", reason);
	else if (rc == 0 && !force)
		printf("CRL is current: %s\n", crl_name(cfg, &ra, file,
		    sizeof(file)));
	else
		printf("CRL published: %s (entries: %ld, %.0f ms)\n",
		    crl_name(cfg, &ra, file, sizeof(file)), n, ms);
	ra_free(&ra);
	store_close(st);
	return rc < 0 ? 1 : 0;
}

static int
print_pending(const struct pending_req *p, void *arg)
{
	int64_t	 now = *(int64_t *)arg;

	printf("%lld\t%s\t", (long long)p->id, p->template_name);
	put_text(*p->requester ? p->requester : "-", "\t");
	printf("%lldm\t%lldm\t", (long long)(now - p->created_at) / 60,
	    (long long)(p->expires_at - now) / 60);
	put_text(p->subject, "\n");
	if (*p->sans) {
		fputs("\t\tSANs: ", stdout);
		put_text(p->sans, "\n");
	}
	return 0;
}

int
admin_cmd_pending(const struct config *cfg, int argc, char *argv[])
{
	struct store	*st;
	int64_t		 now = util_now();
	enum store_rc	 rc;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: mscep-admin pending\n");
		return 2;
	}
	if ((st = open_store(cfg)) == NULL)
		return 1;
	printf("id\ttemplate\trequester\tage\texpires_in\tsubject\n");
	rc = store_pending_list(st, now, print_pending, &now);
	store_close(st);
	return rc == STORE_OK ? 0 : 1;
}

/* A copy of the pending row, owned, for the time the decision takes. */
struct held {
	char		 status[16];
	char		 txid[160];
	char		 key_id[48];
	char		 template_name[TEMPLATE_NAME_MAX];
	char		 device_id[128];
	char		 sid[192];
	char		 requester[256];	/* "addr=A device=D" */
	char		 preview[1024];		/* the subject shown */
	X509_REQ	*csr;
	X509_NAME	*subject;
};

static int
take_held(const struct pending_req *p, void *arg)
{
	struct held		*h = arg;
	const unsigned char	*q;

	util_strlcpy(h->status, p->status, sizeof(h->status));
	util_strlcpy(h->txid, p->txid, sizeof(h->txid));
	util_strlcpy(h->key_id, p->key_id, sizeof(h->key_id));
	util_strlcpy(h->template_name, p->template_name,
	    sizeof(h->template_name));
	util_strlcpy(h->device_id, p->device_id, sizeof(h->device_id));
	util_strlcpy(h->sid, p->sid, sizeof(h->sid));
	util_strlcpy(h->requester, p->requester ? p->requester : "",
	    sizeof(h->requester));
	util_strlcpy(h->preview, p->subject ? p->subject : "",
	    sizeof(h->preview));
	q = p->csr;
	h->csr = d2i_X509_REQ(NULL, &q, (long)p->csr_len);
	q = p->subject_der;
	if (p->subject_der != NULL)
		h->subject = d2i_X509_NAME(NULL, &q,
		    (long)p->subject_der_len);
	return 1;
}

static void
held_free(struct held *h)
{
	X509_REQ_free(h->csr);
	X509_NAME_free(h->subject);
	memset(h, 0, sizeof(*h));
}

/* Loads request id; it must still be pending. */
static int
load_held(struct store *st, const char *arg, int64_t *id, struct held *h)
{
	long long	 v;

	memset(h, 0, sizeof(*h));
	if (num_parse(arg, 1, INT64_MAX, &v, NULL) != 0) {
		fprintf(stderr, "mscep-admin: \"%s\" is not a request id "
		    "(mscep-admin pending lists them)\n", arg);
		return 2;
	}
	*id = v;
	if (store_pending_get(st, *id, util_now(), take_held, h) !=
	    STORE_OK) {
		fprintf(stderr, "mscep-admin: no request %lld\n",
		    (long long)*id);
		return 1;
	}
	if (strcmp(h->status, "pending") != 0) {
		fprintf(stderr, "mscep-admin: request %lld is %s, not pending\n",
		    (long long)*id, h->status);
		return 1;
	}
	return 0;
}

/* The requester's address out of "addr=A device=D". */
static void
requester_addr(const char *who, char *out, size_t len)
{
	out[0] = '\0';
	if (strncmp(who, "addr=", 5) == 0)
		snprintf(out, len, "%.*s", (int)strcspn(who + 5, " "), who + 5);
}

static void
audit_decision(const struct config *cfg, const char *what, int64_t id,
    const struct held *h, const char *serial, const char *subject)
{
	struct audit_event	 e;
	char			 addr[128];

	requester_addr(h->requester, addr, sizeof(addr));
	audit_event_init(&e, what, NULL);
	e.request_id = id;
	e.txid = h->txid;
	e.serial = serial;
	e.subject = subject != NULL && subject[0] != '\0' ? subject : NULL;
	e.template_name = h->template_name;
	e.device_id = h->device_id[0] != '\0' ? h->device_id : NULL;
	e.requester = addr[0] != '\0' ? addr : NULL;
	admin_audit(cfg, &e);
}

/* Records cert as request id's answer; CertPoll then finds it. */
static int
record_approval(const struct config *cfg, const struct ra *ra,
    struct store *st, struct policy *pol, int64_t id, const struct held *h,
    X509 *x)
{
	struct store_cert	 sc = { 0 };
	struct success_event	 e;
	struct notice_owed	 n = { 0 };
	struct policy_request	 preq = { 0 };
	char			 why[REASON_MAX];
	unsigned char		*der = NULL;
	char			 serial[80], *subject = NULL, *sans = NULL;
	int64_t			 now = util_now();
	int			 len, rc = 1;
	enum store_rc		 src;

	/* The approval's enrollment event, as a worker records one. */
	events_success_make(&e, h->txid, x, h->device_id);
	if ((len = i2d_X509(x, &der)) <= 0 ||
	    cert_serial_hex(X509_get0_serialNumber(x), serial, sizeof(serial)) != 0 ||
	    issue_describe(x, &subject, &sans) != 0)
		goto out;
	sc.serial = serial;
	sc.subject = subject;
	sc.sans = sans;
	sc.template_name = h->template_name;
	sc.txid = h->txid;
	sc.key_id = h->key_id;
	sc.device_id = h->device_id;
	sc.ca_key = ra->ca_key_id;
	sc.not_before = cert_time_epoch(X509_get0_notBefore(x));
	sc.not_after = cert_time_epoch(X509_get0_notAfter(x));
	sc.der = der;
	sc.der_len = (size_t)len;
	/* The policy's notice (Intune), recorded with the certificate. */
	preq.txid = h->txid;
	preq.csr = h->csr;
	if (pol != NULL && notice_make(pol, &preq, x, &n, why,
	    sizeof(why)) < 0) {
		fprintf(stderr, "mscep-admin: approve: %s\n", why);
		goto out;
	}
	sc.notice = n.sn.body != NULL ? &n.sn : NULL;
	if ((src = store_pending_decide(st, id, now, &sc, &e.ev,
	    events_keep_after(cfg, now))) == STORE_NOT_PENDING)
		fprintf(stderr, "mscep-admin: request %lld was decided or "
		    "expired meanwhile; nothing issued\n", (long long)id);
	else if (src != STORE_OK)
		fprintf(stderr, "mscep-admin: approve: %s\n",
		    store_errmsg(st));
	else {
		events_notify(cfg, &e.ev);
		audit_decision(cfg, "approved", id, h, serial, subject);
		printf("approved request %lld: certificate %s; the client "
		    "gets it with its next CertPoll\n", (long long)id, serial);
		if (sc.notice != NULL)
			admin_notice_approved(pol, st, serial);
		rc = 0;
	}
out:
	notice_owed_free(&n);
	free(subject);
	free(sans);
	OPENSSL_free(der);
	events_success_free(&e);
	return rc;
}

int
admin_cmd_approve(const struct config *cfg, int argc, char *argv[])
{
	const struct template	*t;
	struct issue_extras	 ex = { NULL, NULL };
	struct store		*st;
	struct held		 h;
	struct ra		 ra = { 0 };
	struct policy		*pol = NULL;
	X509			*x = NULL;
	char			 reason[REASON_MAX];
	int64_t			 id;
	int			 rc;

	if (argc != 2) {
		fprintf(stderr, "usage: mscep-admin approve ID\n");
		return 2;
	}
	if ((st = open_store(cfg)) == NULL)
		return 1;
	if ((rc = load_held(st, argv[1], &id, &h)) != 0)
		goto out;
	rc = 1;
	if (admin_notice_policy(cfg, st, &pol) != 0)
		goto out;
	if (h.csr == NULL || (t = config_template(cfg, h.template_name)) ==
	    NULL) {
		fprintf(stderr, "mscep-admin: request %lld: %s\n",
		    (long long)id, h.csr == NULL ? "stored CSR unreadable" :
		    "its template is no longer configured");
		goto out;
	}
	/* The template may have changed while the request waited. A SID
	 * URI the policy vouched for then (h.sid) is the CSR's own. */
	if (issue_check_sans_vouched(t, h.csr, h.sid[0] != '\0', reason,
	    sizeof(reason)) != FAIL_NONE ||
	    ra_load_worker(cfg, &ra, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: request %lld: %s\n",
		    (long long)id, reason);
		goto out;
	}
	ex.sid = h.sid;
	ex.subject = h.subject;
	/* The signer logs and records it under the held transaction. */
	keyop_set_context(ra.ca_op, h.txid);
	if (issue_sign_ex(cfg, t, &ra, h.csr, &ex, &x, reason,
	    sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: request %lld: %s\n",
		    (long long)id, reason);
		goto out;
	}
	rc = record_approval(cfg, &ra, st, pol, id, &h, x);
out:
	policy_close(pol);
	X509_free(x);
	ra_free(&ra);
	held_free(&h);
	store_close(st);
	return rc;
}

/* Intune waits for the outcome of a request it validated. */
static void
deny_notice(const struct config *cfg, struct store *st, const struct held *h)
{
	struct policy	*pol = NULL;

	if (h->csr != NULL && admin_notice_policy(cfg, st, &pol) == 0 &&
	    pol != NULL)
		admin_notice_denied(pol, st, h->txid, h->csr);
	policy_close(pol);
}

int
admin_cmd_deny(const struct config *cfg, int argc, char *argv[])
{
	struct store		*st;
	struct store_event	 e = { 0 };
	struct held		 h;
	int64_t			 id;
	int			 rc;

	if (argc != 2) {
		fprintf(stderr, "usage: mscep-admin deny ID\n");
		return 2;
	}
	if ((st = open_store(cfg)) == NULL)
		return 1;
	if ((rc = load_held(st, argv[1], &id, &h)) == 0) {
		e.at = util_now();
		e.txid = h.txid;
		e.code = "CertificateRequestDenied";
		e.description = "denied by an administrator";
		e.device_id = h.device_id;
		if (store_pending_decide(st, id, e.at, NULL, &e,
		    events_keep_after(cfg, e.at)) != STORE_OK) {
			fprintf(stderr, "mscep-admin: request %lld was decided "
			    "or expired meanwhile\n", (long long)id);
			rc = 1;
		} else {
			events_notify(cfg, &e);
			audit_decision(cfg, "denied", id, &h, NULL, h.preview);
			printf("denied request %lld; the client gets FAILURE "
			    "with its next CertPoll\n", (long long)id);
			deny_notice(cfg, st, &h);
		}
	}
	held_free(&h);
	store_close(st);
	return rc;
}
