/* admin_ledger.c - mscep-admin ledger (admin_ledger.h). */
#include "admin/admin_ledger.h"
#include "admin/admin_opt.h"
#include "ca/issue.h"
#include "ca/ra.h"
#include "signer/ledger.h"
#include "store/store.h"
#include "util/cert.h"
#include "util/util.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/err.h>

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

/* As root, becomes the owner of folder dir (nothing when root owns it);
 * 0, or -1 said on stderr (hint after a missing folder's error). */
static int
as_owner_of(const char *dir, const char *hint)
{
	struct stat	 sb;

	if (stat(dir, &sb) != 0) {
		fprintf(stderr, "mscep-admin: %s: %s%s\n", dir, strerror(errno),
		    hint);
		return -1;
	}
	if (geteuid() != 0 || sb.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(sb.st_gid) != 0 ||
	    setuid(sb.st_uid) != 0) {
		fprintf(stderr, "mscep-admin: cannot become the owner of %s: "
		    "%s\n", dir, strerror(errno));
		return -1;
	}
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
	return as_owner_of(cfg->state_dir, "");
}

/*
 * ledger import: the certificates of the store, recorded in the ledger as
 * signed, so the signer refuses their serials too (those from before the
 * ledger, and tls-cert's, which mscep-admin signs itself). Not their
 * revocations: the store is the workers', and a revocation in the ledger
 * binds every later CRL; the signer learns those from the CRLs it signs.
 * Two processes, as neither user may do
 * both: a child becomes the state folder's owner and reads the store,
 * sending one record a certificate down a pipe; this process becomes the
 * owner of the ledger's folder (the signer's user), so that the ledger
 * and its -wal stay the signer's, and records them.
 */
struct import_rec {
	char		 serial[160];
	char		 ca[41];
	char		 key_id[41];
	int64_t		 not_after;
	int64_t		 not_before;
	uint32_t	 subject_len;	/* the subject's bytes follow */
};

struct serials {
	char	**v;
	size_t	 n, cap;
};

static int
collect(const struct cert_row *row, void *arg)
{
	struct serials	*s = arg;
	char		**v;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		if ((v = realloc(s->v, s->cap * sizeof(*v))) == NULL)
			return 1;
		s->v = v;
	}
	return (s->v[s->n] = strdup(row->serial)) == NULL ? 1 : (s->n++, 0);
}

/*
 * The CA key of cas (this state's CA certificates, current and previous)
 * whose signature x bears, as its key identifier into id; -1 when none.
 * The store and those files are the workers': a certificate one of them
 * made up bears no CA key's signature, and a CA certificate one of them
 * made up has another key, so another identifier than the signer's.
 */
static int
signed_by(STACK_OF(X509) *cas, X509 *x, char id[41])
{
	X509	*ca;
	int	 i;

	for (i = 0; i < sk_X509_num(cas); i++) {
		ca = sk_X509_value(cas, i);
		if (X509_verify(x, X509_get0_pubkey(ca)) == 1)
			return cert_key_id_hex(X509_get_X509_PUBKEY(ca), id);
	}
	ERR_clear_error();
	return -1;
}

/* One certificate of the store down the pipe: 0, 1 when it is left out
 * (no CA key here signed it), -1 when it cannot be sent. */
static int
send_cert(struct store *st, STACK_OF(X509) *cas, const char *serial,
    FILE *out)
{
	struct import_rec	 r = { 0 };
	struct buf		 der = { 0 };
	const unsigned char	*p;
	X509			*x = NULL;
	char			*subject = NULL, *sans = NULL;
	int			 rc = -1;

	if (store_cert_by_serial(st, serial, &der) != STORE_OK) {
		fprintf(stderr, "mscep-admin: ledger import: serial %s: %s\n",
		    serial, store_errmsg(st));
		goto out;
	}
	p = der.p;
	if ((x = d2i_X509(NULL, &p, (long)der.len)) == NULL ||
	    cert_key_id_hex(X509_get_X509_PUBKEY(x), r.key_id) != 0 ||
	    issue_describe(x, &subject, &sans) != 0) {
		fprintf(stderr, "mscep-admin: ledger import: serial %s: the "
		    "stored certificate cannot be read\n", serial);
		goto out;
	}
	/* The certificate's own serial, not the store's column for it. */
	if (cert_serial_hex(X509_get0_serialNumber(x), r.serial,
	    sizeof(r.serial)) != 0) {
		fprintf(stderr, "mscep-admin: ledger import: serial %s: the "
		    "stored certificate's serial cannot be read\n", serial);
		goto out;
	}
	/* The CA key that signed it, not the store's column for it. */
	if (signed_by(cas, x, r.ca) != 0) {
		fprintf(stderr, "mscep-admin: ledger import: serial %s: not "
		    "signed by this CA (current or previous): left out\n",
		    serial);
		rc = 1;
		goto out;
	}
	r.not_after = cert_time_epoch(X509_get0_notAfter(x));
	r.not_before = cert_time_epoch(X509_get0_notBefore(x));
	r.subject_len = (uint32_t)strlen(subject);
	if (fwrite(&r, sizeof(r), 1, out) != 1 ||
	    fwrite(subject, 1, r.subject_len, out) != r.subject_len)
		fprintf(stderr, "mscep-admin: ledger import: the pipe: %s\n",
		    strerror(errno));
	else
		rc = 0;
out:
	X509_free(x);
	free(subject);
	free(sans);
	buf_free(&der);
	return rc;
}

/* The child: every certificate of the store down fd; its exit status. */
static int
import_reader(const struct config *cfg, int fd)
{
	struct cert_filter	 all = { .now = util_now() };
	struct serials		 s = { 0 };
	struct store		*st = NULL;
	struct ra		 ra = { 0 };
	STACK_OF(X509)		*cas = NULL;
	char			 reason[REASON_MAX];
	FILE			*out;
	size_t			 i;
	int			 rc = 1;

	if ((out = fdopen(fd, "w")) == NULL)
		return 1;
	if (as_state_owner(cfg) != 0)
		goto out;
	if (ra_load_worker(cfg, &ra, reason, sizeof(reason)) != 0 ||
	    (cas = sk_X509_new_null()) == NULL || !X509_up_ref(ra.ca) ||
	    sk_X509_push(cas, ra.ca) <= 0 ||
	    ra_load_prev(cfg, ra.ca, cas, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: ledger import: the CA "
		    "certificates: %s\n", reason);
		goto out;
	}
	if (store_open_config(cfg, &st, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: %s\n", reason);
		goto out;
	}
	/* The serials first: the store is not asked again from within its
	 * own listing. */
	if (store_list(st, &all, collect, &s) != STORE_OK) {
		fprintf(stderr, "mscep-admin: ledger import: the store: %s\n",
		    store_errmsg(st));
		goto out;
	}
	for (i = 0; i < s.n; i++)
		if (send_cert(st, cas, s.v[i], out) < 0)
			goto out;
	rc = fflush(out) == 0 ? 0 : 1;
out:
	for (i = 0; i < s.n; i++)
		free(s.v[i]);
	free(s.v);
	sk_X509_pop_free(cas, X509_free);
	ra_free(&ra);
	store_close(st);
	fclose(out);
	return rc;
}

/* Becomes the owner of the ledger's folder (the signer's user), as root. */
static int
as_ledger_owner(const char *ledger)
{
	char	 dir[PATH_MAX], *slash;

	util_strlcpy(dir, ledger, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	return as_owner_of(dir, " (the signer makes the ledger's folder when "
	    "it first starts)");
}

/* One record from in into r and *subject (malloc'd): 1, 0 at the end,
 * -1 when cut short. */
static int
import_read(FILE *in, struct import_rec *r, char **subject)
{
	if (fread(r, sizeof(*r), 1, in) != 1)
		return feof(in) ? 0 : -1;
	r->serial[sizeof(r->serial) - 1] = '\0';
	r->ca[sizeof(r->ca) - 1] = r->key_id[sizeof(r->key_id) - 1] = '\0';
	if (r->subject_len > 1 << 20 ||
	    (*subject = malloc((size_t)r->subject_len + 1)) == NULL)
		return -1;
	if (fread(*subject, 1, r->subject_len, in) != r->subject_len) {
		free(*subject);
		*subject = NULL;
		return -1;
	}
	(*subject)[r->subject_len] = '\0';
	return 1;
}

/* A thousand records at a time, read before the ledger is written: the
 * signer waits for the ledger only as long as they take to record, not
 * for the store. */
#define IMPORT_BATCH	1000
struct batch {
	struct import_rec	 r[IMPORT_BATCH];
	char			*subject[IMPORT_BATCH];
	int			 n;
};

/* Up to IMPORT_BATCH records from in into b: 0 (b->n of them, 0 at the
 * end), -1 when one is cut short. */
static int
batch_read(FILE *in, struct batch *b)
{
	int	 got = 1;

	for (b->n = 0; b->n < IMPORT_BATCH && (got = import_read(in,
	    &b->r[b->n], &b->subject[b->n])) == 1; b->n++)
		;
	return got < 0 ? -1 : 0;
}

static void
batch_free(struct batch *b)
{
	int	 i;

	for (i = 0; i < b->n; i++)
		free(b->subject[i]);
	b->n = 0;
}

/* b into the ledger in one transaction: 0, or -1 (reason). */
static int
batch_write(struct ledger *l, const struct batch *b, long long *added,
    char *reason, size_t rlen)
{
	struct ledger_entry	 e = { .txid = "(store)" };
	int			 i, got;

	if (ledger_batch(l, 0, reason, rlen) != 0)
		return -1;
	for (i = 0; i < b->n; i++) {
		e.serial = b->r[i].serial;
		e.ca = b->r[i].ca;
		e.key_id = b->r[i].key_id;
		e.subject = b->subject[i];
		e.not_after = b->r[i].not_after;
		e.signed_at = b->r[i].not_before;
		if ((got = ledger_import(l, &e, reason, rlen)) < 0) {
			char	 safe[REASON_MAX];

			(void)ledger_batch(l, -1, safe, sizeof(safe));
			return -1;
		}
		*added += got == 0;
	}
	return ledger_batch(l, 1, reason, rlen);
}

/* Records what comes down in; -1 on an error (said), what was committed
 * stays. */
static int
import_write(struct ledger *l, FILE *in, long long *n, long long *added)
{
	struct batch	*b;
	char		 reason[REASON_MAX];
	int		 rc = 0, cut;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		fprintf(stderr, "mscep-admin: out of memory\n");
		return -1;
	}
	for (;;) {
		cut = batch_read(in, b);
		if (b->n > 0 && batch_write(l, b, added, reason,
		    sizeof(reason)) != 0) {
			fprintf(stderr, "mscep-admin: %s\n", reason);
			rc = -1;
			break;
		}
		*n += b->n;
		if (cut) {
			fprintf(stderr, "mscep-admin: ledger import: a record "
			    "cut short (the reader failed)\n");
			rc = -1;
			break;
		}
		if (b->n < IMPORT_BATCH)
			break;
		batch_free(b);
	}
	batch_free(b);
	free(b);
	return rc;
}

static int
ledger_import_cmd(const struct config *cfg)
{
	struct ledger	*l = NULL;
	char		 reason[REASON_MAX];
	long long	 n = 0, added = 0;
	FILE		*in = NULL;
	pid_t		 pid;
	int		 fds[2], status, rc = 1;

	if (pipe(fds) != 0) {
		fprintf(stderr, "mscep-admin: pipe: %s\n", strerror(errno));
		return 1;
	}
	if ((pid = fork()) < 0) {
		fprintf(stderr, "mscep-admin: fork: %s\n", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return 1;
	}
	if (pid == 0) {
		close(fds[0]);
		_exit(import_reader(cfg, fds[1]));
	}
	close(fds[1]);
	if ((in = fdopen(fds[0], "r")) == NULL)
		close(fds[0]);
	else if (as_ledger_owner(cfg->signer_ledger) == 0 &&
	    (l = ledger_open(cfg->signer_ledger, 5000, reason,
	    sizeof(reason))) == NULL)
		fprintf(stderr, "mscep-admin: %s\n", reason);
	else if (l != NULL && import_write(l, in, &n, &added) == 0)
		rc = 0;
	/* Whatever happened here, the reader is not left blocked on a full
	 * pipe. */
	if (in != NULL)
		fclose(in);
	ledger_close(l);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		rc = 1;
	if (rc == 0)
		fprintf(stderr, "%lld certificates in the store, %lld added to "
		    "the ledger, %lld there already\n", n, added, n - added);
	else
		fprintf(stderr, "mscep-admin: ledger import failed (what "
		    "it committed before stays; run it again)\n");
	return rc;
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
	if (optind == argc - 1 && strcmp(argv[optind], "import") == 0 &&
	    !w.all && days == 0)
		return ledger_import_cmd(cfg);
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
	fprintf(stderr, "usage: mscep-admin ledger [--since DAYS] [--all]\n"
	    "       mscep-admin ledger import\n");
	return 2;
}
