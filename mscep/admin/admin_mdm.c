/* admin_mdm.c - MDM set-up, challenge blobs and events from the shell. */
#include "admin/admin_mdm.h"
#include "admin/admin_opt.h"
#include "ca/ca_init.h"
#include "policy/challenge.h"
#include "store/events.h"
#include "policy/policy_mdmchallenge.h"
#include "ca/ra.h"
#include "store/store.h"
#include "ca/template.h"
#include "util/file.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* A challenge blob's lifetime, and how far --not-before moves it: ten
 * years at most. */
#define TTL_MAX		(3650LL * 86400)

/* 9999-12-31T23:59:59Z, the last second an X.509 time can name. */
#define EPOCH_MAX	253402300799LL

/* Far more trusted MDM signers than any deployment has. */
#define SIGNERS_MAX	(4 << 20)

/* Writes one PEM object to dir/name, refusing to overwrite. */
static int
write_out(const char *dir, const char *name, X509 *x, EVP_PKEY *k)
{
	char	 path[PATH_MAX];

	if (file_path(path, sizeof(path), "%s/%s", dir, name) != 0 ||
	    ra_pem_write(path, &x, x != NULL ? 1 : 0, k, FILE_NOREPLACE) != 0) {
		fprintf(stderr, "mscep-admin: %s/%s: %s\n", dir, name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* mscep's own challenge key: made once, kept in the state folder. */
static int
challenge_key(const struct config *cfg, const struct ra *ra, X509 **cert)
{
	char		 path[PATH_MAX + 32], reason[REASON_MAX];
	EVP_PKEY	*key = NULL;

	/* A path too long fails below, in ca_save_pair, with a reason. */
	if (config_state_path(cfg, CHALLENGE_CERT, path, sizeof(path)) == 0 &&
	    ra_read_cert(path, cert) == 0)
		return 0;
	if (ca_issue_identity(ra->ca, ra->ca_key, "mscep challenge recipient",
	    "ec:P-256", "critical,keyAgreement", 3650, cert, &key, reason,
	    sizeof(reason)) != 0 ||
	    ca_save_pair(cfg, CHALLENGE_CERT, CHALLENGE_KEY, *cert, key,
	    reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: challenge key: %s\n", reason);
		EVP_PKEY_free(key);
		return -1;
	}
	EVP_PKEY_free(key);
	return 0;
}

/*
 * The signer becomes trusted: appended to [Policy] ChallengeSigners, the
 * file rewritten whole (a worker starting meanwhile reads the old list
 * or the new one) with the mode it had.
 */
static int
trust_signer(const struct config *cfg, X509 *x)
{
	struct buf	 b = { 0 };
	struct stat	 st;
	BIO		*mem = NULL;
	BUF_MEM		*pem;
	mode_t		 mode = 0644;
	int		 rc = -1;

	if (stat(cfg->challenge_signers, &st) == 0)
		mode = st.st_mode & 07777;
	if ((file_read(cfg->challenge_signers, &b, SIGNERS_MAX) != 0 &&
	    errno != ENOENT) || (mem = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(mem, x) || BIO_get_mem_ptr(mem, &pem) != 1 ||
	    buf_append(&b, pem->data, pem->length) != 0 ||
	    file_write(cfg->challenge_signers, b.p, b.len, mode, 0) != 0) {
		fprintf(stderr, "mscep-admin: cannot append to %s\n",
		    cfg->challenge_signers);
		goto out;
	}
	rc = 0;
out:
	BIO_free(mem);
	buf_free(&b);
	return rc;
}

int
admin_cmd_mdm_init(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "days", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct ra	 ra;
	const char	*out = NULL, *name = "MDM challenge signer";
	char		 reason[REASON_MAX] = "";
	X509		*enc = NULL, *sign = NULL;
	EVP_PKEY	*key = NULL;
	int		 ch, days = 730, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 'n': name = optarg; break;
		case 'd':
			if (admin_opt_int("--days", optarg, 1, ADMIN_DAYS_MAX,
			    &days) != 0)
				return 2;
			break;
		default: return 2;
		}
	}
	if (out == NULL || days < 1) {
		fprintf(stderr, "mscep-admin: mdm-init --out DIR [--name CN] "
		    "[--days N]: DIR receives what the MDM needs\n");
		return 2;
	}
	if (ra_load(cfg, &ra, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: %s\n", reason);
		return 1;
	}
	if (mkdir(out, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "mscep-admin: %s: %s\n", out, strerror(errno));
		goto done;
	}
	if (challenge_key(cfg, &ra, &enc) != 0 ||
	    ca_issue_identity(ra.ca, ra.ca_key, name, "ec:P-256",
	    "critical,digitalSignature", days, &sign, &key, reason,
	    sizeof(reason)) != 0 ||
	    write_out(out, "mdm-sign.key", NULL, key) != 0 ||
	    write_out(out, "mdm-sign.crt", sign, NULL) != 0 ||
	    write_out(out, "challenge.crt", enc, NULL) != 0 ||
	    write_out(out, "ca.crt", ra.ca, NULL) != 0 ||
	    trust_signer(cfg, sign) != 0)
		goto done;
	printf("MDM files in %s: mdm-sign.key (keep it in the MDM), "
	    "mdm-sign.crt, challenge.crt (encrypt to it), ca.crt\n"
	    "trusted signer added to %s\n", out, cfg->challenge_signers);
	rc = 0;
done:
	if (rc != 0 && reason[0] != '\0' && key == NULL)
		fprintf(stderr, "mscep-admin: %s\n", reason);
	X509_free(enc);
	X509_free(sign);
	EVP_PKEY_free(key);
	ra_free(&ra);
	return rc;
}

/* "/CN=laptop/O=Example" or "CN=laptop,O=Example" as an X509_NAME. */
static X509_NAME *
parse_name(const char *s)
{
	X509_NAME	*n = X509_NAME_new();
	char		*copy = strdup(s), *tok, *save = NULL, *eq;
	const char	*sep = s[0] == '/' ? "/" : ",";

	if (n == NULL || copy == NULL)
		goto fail;
	for (tok = strtok_r(copy, sep, &save); tok != NULL;
	    tok = strtok_r(NULL, sep, &save)) {
		while (*tok == ' ')
			tok++;
		if ((eq = strchr(tok, '=')) == NULL)
			goto fail;
		*eq = '\0';
		if (!X509_NAME_add_entry_by_txt(n, tok, MBSTRING_UTF8,
		    (unsigned char *)eq + 1, -1, -1, 0))
			goto fail;
	}
	free(copy);
	return n;
fail:
	free(copy);
	X509_NAME_free(n);
	return NULL;
}

static int
parse_ku(const char *s)
{
	if (!strcasecmp(s, "sig"))
		return KU_DIGITAL_SIGNATURE;
	if (!strcasecmp(s, "enc"))
		return KU_KEY_ENCIPHERMENT;
	if (!strcasecmp(s, "both"))
		return KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT;
	if (!strcasecmp(s, "any"))
		return -1;
	return -2;
}

struct blob_files {
	EVP_PKEY	*key;
	X509		*cert, *rcpt;
};

static int
load_files(const char *mdm, struct blob_files *f)
{
	char	 path[PATH_MAX];

	if (file_path(path, sizeof(path), "%s/mdm-sign.key", mdm) != 0 ||
	    ra_read_key(path, &f->key) != 0 ||
	    file_path(path, sizeof(path), "%s/mdm-sign.crt", mdm) != 0 ||
	    ra_read_cert(path, &f->cert) != 0 ||
	    file_path(path, sizeof(path), "%s/challenge.crt", mdm) != 0 ||
	    ra_read_cert(path, &f->rcpt) != 0) {
		if (path[0] == '\0')
			fprintf(stderr, "mscep-admin: --mdm %s: path too "
			    "long\n", mdm);
		else
			fprintf(stderr, "mscep-admin: cannot read %s "
			    "(mscep-admin mdm-init --out %s)\n", path, mdm);
		return -1;
	}
	return 0;
}

static int
add_san(struct challenge_claims *c, const char *s)
{
	GENERAL_NAME	*g = challenge_san_parse(s);

	if (g == NULL || !sk_GENERAL_NAME_push(c->sans, g)) {
		GENERAL_NAME_free(g);
		fprintf(stderr, "mscep-admin: --san %s: use dns:, email:, "
		    "upn:, uri: or ip: and a value\n", s);
		return -1;
	}
	return 0;
}

/* What challenge's options set besides the claims. */
struct blob_opts {
	const char	*mdm;
	long long	 ttl, back;
};

/* One option of mscep-admin challenge; -1 after a message, if any. */
static int
challenge_opt(int ch, const char *arg, struct challenge_claims *c,
    struct blob_opts *o)
{
	switch (ch) {
	case 'm': o->mdm = arg; return 0;
	case 's':
		X509_NAME_free(c->subject);
		if ((c->subject = parse_name(arg)) != NULL)
			return 0;
		fprintf(stderr, "mscep-admin: --subject %s: use "
		    "/CN=name/O=org\n", arg);
		return -1;
	case 'a': return add_san(c, arg);
	case 'd': snprintf(c->device_id, sizeof(c->device_id), "%s", arg);
		  return 0;
	case 'p': snprintf(c->profile, sizeof(c->profile), "%s", arg);
		  return 0;
	case 'k': c->key_usage = parse_ku(arg); return 0;
	case 'i': snprintf(c->sid, sizeof(c->sid), "%s", arg); return 0;
	case 't': return admin_opt_ll("--ttl", arg, 1, TTL_MAX, &o->ttl);
	case 'b': return admin_opt_ll("--not-before", arg, -TTL_MAX, TTL_MAX,
		      &o->back);
	default: return -1;
	}
}

int
admin_cmd_challenge(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "mdm", required_argument, NULL, 'm' },
		{ "subject", required_argument, NULL, 's' },
		{ "san", required_argument, NULL, 'a' },
		{ "device", required_argument, NULL, 'd' },
		{ "profile", required_argument, NULL, 'p' },
		{ "key-usage", required_argument, NULL, 'k' },
		{ "sid", required_argument, NULL, 'i' },
		{ "ttl", required_argument, NULL, 't' },
		{ "not-before", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	struct challenge_claims	 c;
	struct blob_files	 f = { NULL, NULL, NULL };
	struct blob_opts	 o = { NULL, 3600, 0 };
	char			*blob = NULL, reason[REASON_MAX];
	int			 ch, rc = 2;

	memset(&c, 0, sizeof(c));
	c.key_usage = -1;
	snprintf(c.profile, sizeof(c.profile), "%s", cfg->general->name);
	if ((c.sans = sk_GENERAL_NAME_new_null()) == NULL)
		return 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if (challenge_opt(ch, optarg, &c, &o) != 0)
			goto out;
	if (o.mdm == NULL || c.subject == NULL || c.device_id[0] == '\0' ||
	    c.key_usage < -1) {
		fprintf(stderr, "mscep-admin: challenge --mdm DIR --subject "
		    "/CN=.. --device ID [--san dns:..]... [--profile TEMPLATE] "
		    "[--key-usage sig|enc|both|any] [--sid S-1-..] [--ttl S]\n");
		goto out;
	}
	rc = 1;
	if (load_files(o.mdm, &f) != 0)
		goto out;
	/* --not-before lets tests and MDMs pre-date or post-date a blob. */
	c.issued_at = util_now() + o.back;
	c.expires_at = c.issued_at + o.ttl;
	if (challenge_issue(&c, f.key, f.cert, f.rcpt, &blob, reason,
	    sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: challenge: %s\n", reason);
		goto out;
	}
	printf("%s\n", blob);
	rc = 0;
out:
	OPENSSL_free(blob);
	challenge_claims_free(&c);
	EVP_PKEY_free(f.key);
	X509_free(f.cert);
	X509_free(f.rcpt);
	return rc;
}

static int
print_event(const struct store_event *e, void *arg)
{
	char	 line[4096];

	(void)arg;
	if (events_json(e, line, sizeof(line)) == 0)
		printf("%s\n", line);
	return 0;
}

/* --since: seconds since the epoch, -SECONDS ago, or ISO 8601. */
static int
parse_since(const char *arg, int64_t *since)
{
	struct tm	 tm;
	long long	 v;

	memset(&tm, 0, sizeof(tm));
	if (arg[0] == '-') {
		if (admin_opt_ll("--since", arg, -EPOCH_MAX, 0, &v) != 0)
			return -1;
		*since = util_now() + v;
	} else if (strptime(arg, "%Y-%m-%dT%H:%M:%S", &tm) != NULL)
		*since = (int64_t)timegm(&tm);
	else if (admin_opt_ll("--since", arg, 0, EPOCH_MAX, &v) != 0)
		return -1;
	else
		*since = v;
	return 0;
}

int
admin_cmd_events(const struct config *cfg, int argc, char *argv[])
{
	struct store	*st = NULL;
	char		 reason[REASON_MAX];
	int64_t		 since = 0;
	enum store_rc	 rc;

	if (argc == 3 && strcmp(argv[1], "--since") == 0) {
		if (parse_since(argv[2], &since) != 0)
			return 2;
	} else if (argc != 1) {
		fprintf(stderr, "mscep-admin: events [--since EPOCH|-SECONDS|"
		    "YYYY-MM-DDTHH:MM:SS]\n");
		return 2;
	}
	if (store_open_config(cfg, &st, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: %s\n", reason);
		return 1;
	}
	rc = store_events(st, since, print_event, NULL);
	store_close(st);
	return rc == STORE_OK ? 0 : 1;
}
