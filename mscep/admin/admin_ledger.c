/* admin_ledger.c - mscep-admin ledger (admin_ledger.h). */
#include "admin/admin_ledger.h"
#include "admin/admin_opt.h"
#include "ca/issue.h"
#include "signer/ledger.h"
#include "store/store.h"
#include "util/cert.h"
#include "util/util.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

struct walk {
	struct store	*st;
	int		 all;
	long long	 n, missing;
	int		 failed;
};

/* The stored certificate is the one the ledger recorded under its
 * serial: the same subject, key and notAfter (not another certificate
 * under a serial the ledger did not know, from before it). */
static int
same_cert(const struct ledger_entry *e, const struct buf *der)
{
	const unsigned char	*p = der->p;
	X509			*x = d2i_X509(NULL, &p, (long)der->len);
	char			 key_id[41], *subject = NULL, *sans = NULL;
	int			 same;

	same = x != NULL && cert_key_id_hex(X509_get_X509_PUBKEY(x),
	    key_id) == 0 && strcmp(key_id, e->key_id) == 0 &&
	    cert_time_epoch(X509_get0_notAfter(x)) == e->not_after &&
	    issue_describe(x, &subject, &sans) == 0 &&
	    strcmp(subject, e->subject) == 0;
	free(subject);
	free(sans);
	X509_free(x);
	return same;
}

static int
compare(const struct ledger_entry *e, void *arg)
{
	struct walk	*w = arg;
	struct buf	 der = { 0 };
	char		 at[32], until[32];
	const char	*how;
	enum store_rc	 rc = store_cert_by_serial(w->st, e->serial, &der);

	if (rc != STORE_OK && rc != STORE_NOT_FOUND) {
		fprintf(stderr, "mscep-admin: ledger: the store: %s\n",
		    store_errmsg(w->st));
		buf_free(&der);
		w->failed = 1;
		return 1;
	}
	w->n++;
	how = rc == STORE_NOT_FOUND ? "not-stored" : same_cert(e, &der) ?
	    "stored" : "differs";
	buf_free(&der);
	if (strcmp(how, "stored") != 0)
		w->missing++;
	else if (!w->all)
		return 0;
	util_iso8601(e->signed_at, at, sizeof(at));
	util_iso8601(e->not_after, until, sizeof(until));
	printf("%s\t%s\t%s\t%s\t%s\t%s\n", e->serial, how, at, until,
	    e->txid, e->subject);
	return 0;
}

/*
 * Root reads the ledger, then becomes the state folder's owner before it
 * opens the store: a -wal or -shm file root made in a SQLite store's
 * folder would lock the workers out of it, and PostgreSQL is the
 * workers' connection, with their password file.
 */
static int
as_state_owner(const struct config *cfg)
{
	struct stat	 sb;

	if (geteuid() != 0)
		return 0;
	if (stat(cfg->state_dir, &sb) != 0) {
		fprintf(stderr, "mscep-admin: %s: %s\n", cfg->state_dir,
		    strerror(errno));
		return -1;
	}
	if (sb.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(sb.st_gid) != 0 ||
	    setuid(sb.st_uid) != 0) {
		fprintf(stderr, "mscep-admin: cannot become the owner of %s: "
		    "%s\n", cfg->state_dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
admin_cmd_ledger(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct walk	 w = { 0 };
	struct ledger	*l;
	char		 reason[REASON_MAX];
	long long	 days = 0;
	int		 ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (admin_opt_ll("--since", optarg, 1, ADMIN_DAYS_MAX,
			    &days) != 0)
				goto usage;
			break;
		case 'a': w.all = 1; break;
		default: goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((l = ledger_open_ro(cfg->signer_ledger, reason,
	    sizeof(reason))) == NULL) {
		fprintf(stderr, "mscep-admin: %s\n", reason);
		return 1;
	}
	if (as_state_owner(cfg) != 0) {
		ledger_close(l);
		return 1;
	}
	if (store_open_config(cfg, &w.st, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: %s\n", reason);
		ledger_close(l);
		return 1;
	}
	printf("serial\tstore\tsigned_at\tnot_after\ttxid\tsubject\n");
	rc = ledger_each(l, days > 0 ? util_now() - days * 86400 : 0, compare,
	    &w, reason, sizeof(reason));
	if (rc != 0)
		fprintf(stderr, "mscep-admin: %s\n", reason);
	else if (!w.failed)
		fprintf(stderr, "%lld signed, %lld not in the store as signed\n",
		    w.n, w.missing);
	store_close(w.st);
	ledger_close(l);
	if (rc != 0 || w.failed)
		return 1;
	return w.missing > 0 ? 3 : 0;
usage:
	fprintf(stderr, "usage: mscep-admin ledger [--since DAYS] [--all]\n");
	return 2;
}
