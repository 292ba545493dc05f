/*
 * admin.c - bin/mscep-admin: initialise the CA, issue NDES one-time
 * passwords, check the configuration, list what was issued.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>

#include "admin/admin_audit.h"
#include "admin/admin_life.h"
#include "admin/admin_ca.h"
#include "admin/admin_intune.h"
#include "admin/admin_ledger.h"
#include "admin/admin_mdm.h"
#include "admin/admin_notify.h"
#include "admin/admin_ra.h"
#include "admin/admin_status.h"
#include "admin/admin_store.h"
#include "admin/admin_opt.h"
#include "ca/ca_init.h"
#include "config/ndes_reg.h"
#include "config/config.h"
#include "config/schema.h"
#include "ca/issue.h"
#include "responder/auditop.h"
#include "responder/ocsp.h"
#include "policy/policy.h"
#include "policy/policy_intune.h"
#include "policy/policy_password.h"
#include "ca/ra.h"
#include "ca/rollover.h"
#include "scep/nextca.h"
#include "store/store.h"
#include "ca/tlscert.h"
#include "util/cert.h"
#include "util/file.h"

#ifndef MSCEP_CONFIG
#define MSCEP_CONFIG "/etc/mscep/mscep.ini"
#endif

static void	 usage(void);

static int
open_store(const struct config *cfg, struct store **st)
{
	char	 reason[REASON_MAX];

	if (store_open_config(cfg, st, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: %s\n", reason);
		return -1;
	}
	return 0;
}

/* init --csr: the root decides the CA's lifetime; ca install brings the
 * certificate and makes the RA and OCSP identities. */
static int
init_csr(const struct config *cfg, const struct ca_init_opts *o,
    const char *out)
{
	char	 reason[512];

	if (ca_init_csr(cfg, o, out, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: init --csr: %s\n", reason);
		return 1;
	}
	printf("wrote the CA key and its request %s (\"%s\"): have the "
	    "root sign it as a CA (basicConstraints CA:TRUE, keyUsage "
	    "keyCertSign, cRLSign), then mscep-admin ca install CERT "
	    "--chain ROOT\n", out, o->ca_name);
	return 0;
}

static int
cmd_init(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "ra-key", required_argument, NULL, 'r' },
		{ "ca-name", required_argument, NULL, 'n' },
		{ "ra-name", required_argument, NULL, 'a' },
		{ "ca-days", required_argument, NULL, 'd' },
		{ "ra-days", required_argument, NULL, 'D' },
		{ "csr", required_argument, NULL, 'C' },
		{ "in-token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*csr = NULL;
	struct ca_init_opts o = { "rsa:2048", "rsa:2048", "mscep Issuing CA",
	    NULL, 3650, 730, NULL };
	char		 host[256] = "localhost", raname[300];
	char		 reason[REASON_MAX];
	struct store	*st = NULL;
	int		 ch;

	gethostname(host, sizeof(host) - 1);
	/* NDES names its RA "<HOST>-MSCEP-RA". */
	snprintf(raname, sizeof(raname), "%s-MSCEP-RA", host);
	o.ra_name = raname;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k': o.ca_key = optarg; break;
		case 'r': o.ra_key = optarg; break;
		case 'n': o.ca_name = optarg; break;
		case 'a': o.ra_name = optarg; break;
		case 'd':
			if (admin_opt_int("--ca-days", optarg, 1,
			    ADMIN_DAYS_MAX, &o.ca_days) != 0)
				return 2;
			break;
		case 'D':
			if (admin_opt_int("--ra-days", optarg, 1,
			    ADMIN_DAYS_MAX, &o.ra_days) != 0)
				return 2;
			break;
		case 'C': csr = optarg; break;
		case 'T': o.ca_token = optarg; break;
		default: usage(); return 2;
		}
	}
	if (admin_opt_token("init", o.ca_token, csr != NULL) != 0)
		return 2;
	if (csr != NULL)
		return init_csr(cfg, &o, csr);
	if (o.ca_days <= 0 || o.ra_days <= 0 || o.ra_days > o.ca_days) {
		fprintf(stderr, "mscep-admin: --ca-days and --ra-days must be "
		    "positive, RA within the CA's lifetime\n");
		return 2;
	}
	if (ca_init(cfg, &o, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: init: %s\n", reason);
		return 1;
	}
	if (open_store(cfg, &st) != 0)
		return 1;
	store_close(st);
	printf("initialised CA \"%s\", RA \"%s\" and the OCSP responder "
	    "in %s\n", o.ca_name, o.ra_name, cfg->state_dir);
	return 0;
}

static int
cmd_password(const struct config *cfg, int argc, char *argv[])
{
	struct store	*st = NULL;
	char		 pw[160];
	enum store_rc	 rc;

	(void)argc;
	(void)argv;
	if (!cfg->enforce_password) {
		fprintf(stderr, "mscep-admin: EnforcePassword=0: no password "
		    "is needed to enroll\n");
		return 1;
	}
	if (open_store(cfg, &st) != 0)
		return 1;
	rc = policy_password_new(cfg, st, pw, sizeof(pw));
	if (rc != STORE_OK && rc != STORE_FULL)
		fprintf(stderr, "mscep-admin: cannot store the password: %s\n",
		    store_errmsg(st));
	store_close(st);
	if (rc == STORE_FULL) {
		/* The text of NDES's mscep_admin page. */
		fprintf(stderr, "mscep-admin: The password cache is full. "
		    "(%d unused passwords younger than %d minutes; "
		    "PasswordMax)\n", cfg->password_max,
		    cfg->password_validity);
		return 1;
	}
	if (rc != STORE_OK)
		return 1;
	printf("%s\n", pw);
	OPENSSL_cleanse(pw, sizeof(pw));
	return 0;
}

/* --online: Module = intune's tokens and endpoints, fetched now. */
static int
check_online(const struct config *cfg)
{
	char	 reason[1024];

	if (cfg->policy != POLICY_INTUNE) {
		fprintf(stderr, "mscep-admin: check --online: only Module = "
		    "intune calls a service\n");
		return 1;
	}
	if (intune_check_online(cfg, stdout, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: check --online: %s\n", reason);
		return 1;
	}
	return 0;
}

/*
 * Intune knows only the certificates it validated and was notified of: a
 * RenewalReq under Module = intune is issued without asking it, and
 * intune-sync cannot revoke what Intune never heard of (its devices
 * renew with a new PKCSReq and a fresh challenge instead).
 */
static void
check_intune_renewal(const struct config *cfg)
{
	int	 i;

	if (cfg->policy != POLICY_INTUNE)
		return;
	for (i = 0; i < cfg->ntemplates; i++)
		if (cfg->templates[i].allow_renewal)
			fprintf(stderr, "%s: warning: [%s] AllowRenewal = 1 "
			    "under Module = intune: renewals are issued "
			    "without Intune and it cannot revoke them; "
			    "Intune devices renew with a new challenge\n",
			    cfg->path, cfg->templates[i].name);
}

static int
cmd_check(const struct config *cfg, int argc, char *argv[])
{
	struct ra	 ra;
	struct store	*st = NULL;
	struct policy	*pol = NULL;
	struct buf	 next = { 0 };
	char		 reason[REASON_MAX];
	long long	 n;
	int		 online = argc == 2 && strcmp(argv[1], "--online") == 0;

	if (argc > 2 || (argc == 2 && !online)) {
		fprintf(stderr, "mscep-admin: check [--online]\n");
		return 2;
	}
	/* What a worker loads (mscep.service runs this as the workers'
	 * user): under [Signer] Socket the certificates, the keys being
	 * the signer's, which checks them when it starts. */
	if (ra_load_worker(cfg, &ra, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "%s: %s\n", cfg->path, reason);
		return 1;
	}
	switch (ra_check_validity(&ra, (int64_t)time(NULL),
	    RA_EXPIRY_WARN_DAYS, reason, sizeof(reason))) {
	case -1:
		fprintf(stderr, "%s: %s\n", cfg->path, reason);
		ra_free(&ra);
		return 1;
	case 1:
		fprintf(stderr, "%s: warning: %s\n", cfg->path, reason);
		break;
	default:
		break;
	}
	if (cfg->ocsp_path[0] != '\0') {
		struct ocsp_responder	 ocsp;
		char			 warn[2048];

		if (ocsp_responder_load(cfg, &ra, &ocsp, warn, sizeof(warn),
		    reason, sizeof(reason)) != 0) {
			fprintf(stderr, "%s: %s\n", cfg->path, reason);
			ra_free(&ra);
			return 1;
		}
		ocsp_responder_free(&ocsp);
		if (warn[0] != '\0')
			fprintf(stderr, "%s: warning: %s\n", cfg->path, warn);
	}
	/* A worker refuses to start on a broken next/ too. */
	if (nextca_body(cfg, &ra, &next, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "%s: %s\n", cfg->path, reason);
		ra_free(&ra);
		return 1;
	}
	buf_free(&next);
	ra_free(&ra);
	check_intune_renewal(cfg);
	if (auditop_check(cfg, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "%s: %s\n", cfg->path, reason);
		return 1;
	}
	if (open_store(cfg, &st) != 0)
		return 1;
	/* The policy module loads what it needs (keys, trusted signers). */
	if (policy_open(cfg, st, &pol, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "%s: %s\n", cfg->path, reason);
		store_close(st);
		return 1;
	}
	policy_close(pol);
	/* A store that does not answer now (PostgreSQL down or refusing)
	 * does not stop the workers, which answer GetCACaps and GetCACert
	 * without it: a warning, not a failure. */
	if ((n = store_count_certs(st)) < 0) {
		fprintf(stderr, "%s: warning: the store does not answer: %s "
		    "(PKIOperation fails until it does)\n", cfg->path,
		    store_errmsg(st));
		printf("%s: configuration OK (%d templates, the store not "
		    "reachable, state in %s)\n", cfg->path, cfg->ntemplates,
		    cfg->state_dir);
	} else
		printf("%s: configuration OK (%d templates, %lld certificates "
		    "issued, state in %s)\n", cfg->path, cfg->ntemplates,
		    (long long)n, cfg->state_dir);
	store_close(st);
	return online ? check_online(cfg) : 0;
}

/* The converted settings: to stdout, or written whole to outf. */
static int
import_ndes_out(const char *outf, const char *text, size_t len)
{
	if (outf == NULL)
		return fwrite(text, 1, len, stdout) == len &&
		    fflush(stdout) == 0 ? 0 : -1;
	return file_write(outf, text, len, 0644, 0);
}

/* Needs no configuration: the settings go to stdout or -o OUT (written
 * whole, atomically), the notes to stderr. */
static int
cmd_import_ndes(const struct config *cfg, int argc, char *argv[])
{
	struct buf	 in = { 0 };
	const char	*outf = NULL;
	char		 reason[REASON_MAX], *text = NULL;
	size_t		 len = 0;
	FILE		*out = NULL;
	int		 ch, rc = 1;

	(void)cfg;
	optind = 1;
	while ((ch = getopt(argc, argv, "o:")) != -1) {
		if (ch != 'o') {
			usage();
			return 2;
		}
		outf = optarg;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: mscep-admin import-ndes FILE.reg "
		    "[-o OUT]\n");
		return 2;
	}
	if (file_read(argv[optind], &in, 1024 * 1024) != 0) {
		fprintf(stderr, "mscep-admin: import-ndes: %s: %s\n",
		    argv[optind], strerror(errno));
		return 1;
	}
	if ((out = open_memstream(&text, &len)) == NULL)
		goto out;
	if (ndes_reg_convert(in.p, in.len, out, stderr, reason,
	    sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: import-ndes: %s: %s\n",
		    argv[optind], reason);
		goto out;
	}
	if (fclose(out) != 0 || (out = NULL, import_ndes_out(outf, text,
	    len) != 0)) {
		fprintf(stderr, "mscep-admin: import-ndes: cannot write %s: "
		    "%s\n", outf ? outf : "stdout", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (out != NULL)
		fclose(out);
	free(text);
	buf_free(&in);
	return rc;
}

/* Needs no configuration: it prints the table config_load parses by. */
static int
cmd_config_keys(const struct config *cfg, int argc, char *argv[])
{
	(void)cfg;
	if (argc == 1)
		config_keys_print(stdout);
	else if (argc == 2 && strcmp(argv[1], "--man") == 0)
		config_keys_man(stdout);
	else {
		fprintf(stderr, "mscep-admin: config-keys [--man]\n");
		return 2;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
cmd_tls_cert(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "key", required_argument, NULL, 'k' },
		{ "days", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct tlscert_opts o = { .key = "rsa:2048", .days = 397 };
	char		 dir[PATH_MAX + 8], serial[80], reason[REASON_MAX];
	int		 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (o.nnames == TLSCERT_NAMES_MAX) {
				fprintf(stderr, "mscep-admin: at most %d "
				    "--name\n", TLSCERT_NAMES_MAX);
				return 2;
			}
			o.names[o.nnames++] = optarg;
			break;
		case 'k': o.key = optarg; break;
		case 'd':
			/* 825: the most TLS clients have accepted. */
			if (admin_opt_int("--days", optarg, 1, 825,
			    &o.days) != 0)
				return 2;
			break;
		case 'o': o.outdir = optarg; break;
		default: usage(); return 2;
		}
	}
	/* 397 days: what browsers and most TLS clients still accept. */
	if (o.nnames == 0 || o.days < 1 || o.days > 825) {
		fprintf(stderr, "mscep-admin: tls-cert needs --name FQDN (one "
		    "per name the service answers to) and 1 to 825 --days\n");
		return 2;
	}
	if (o.outdir == NULL) {
		if (config_state_path(cfg, "tls", dir, sizeof(dir)) != 0) {
			fprintf(stderr, "mscep-admin: tls-cert: %s/tls: path "
			    "too long\n", cfg->state_dir);
			return 1;
		}
		o.outdir = dir;
	}
	if (tlscert_issue(cfg, &o, serial, sizeof(serial), reason,
	    sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: tls-cert: %s\n", reason);
		return 1;
	}
	printf("issued TLS server certificate %s for %s: %s/server.crt, "
	    "%s/server.key\n", serial, o.names[0], o.outdir, o.outdir);
	return 0;
}

struct ocsp_issue {
	const struct config	*cfg;
	const char		*spec;
	int			 days;
	int			 done, failed;
};

/* Issues a responder with ca/cakey and puts the pair at certf/keyf
 * (relative to the state folder). */
static int
issue_responder(struct ocsp_issue *oi, X509 *ca, EVP_PKEY *cakey,
    const char *certf, const char *keyf)
{
	EVP_PKEY	*key = NULL;
	X509		*x = NULL;
	BIO		*mem = NULL;
	char		 reason[REASON_MAX], serial[80] = "";
	char		 until[64] = "";
	int		 rc = -1;

	if (ca_issue_ocsp(ca, cakey, oi->spec, oi->days, &x, &key, reason,
	    sizeof(reason)) != 0 ||
	    ca_replace_pair(oi->cfg, certf, keyf, x, key, reason,
	    sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: ocsp-cert: %s\n", reason);
		goto out;
	}
	cert_serial_hex(X509_get0_serialNumber(x), serial, sizeof(serial));
	if ((mem = BIO_new(BIO_s_mem())) != NULL &&
	    ASN1_TIME_print(mem, X509_get0_notAfter(x)) == 1)
		BIO_gets(mem, until, sizeof(until));
	printf("issued OCSP responder certificate %s (valid until %s): "
	    "%s/%s, %s/%s\n", serial, until, oi->cfg->state_dir, certf,
	    oi->cfg->state_dir, keyf);
	rc = 0;
out:
	BIO_free(mem);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* --previous: each previous CA still valid gets a new responder of its
 * own, signed with its key in previous/<time>/private/. */
static int
previous_responder(const char *dir, X509 *ca, void *arg)
{
	struct ocsp_issue	*oi = arg;
	EVP_PKEY		*cakey = NULL;
	const char		*rel;
	char			 path[PATH_MAX + 64], certf[PATH_MAX + 64];
	char			 keyf[PATH_MAX + 64];
	size_t			 n = strlen(oi->cfg->state_dir);

	if (X509_cmp_time(X509_get0_notAfter(ca), NULL) < 0)
		return 0;
	rel = strncmp(dir, oi->cfg->state_dir, n) == 0 && dir[n] == '/' ?
	    dir + n + 1 : dir;
	if (file_path(path, sizeof(path), "%s/%s", dir, RA_CA_KEY) != 0 ||
	    file_path(certf, sizeof(certf), "%s/%s", rel,
	    OCSP_RESPONDER_CERT) != 0 ||
	    file_path(keyf, sizeof(keyf), "%s/%s", rel,
	    OCSP_RESPONDER_KEY) != 0) {
		fprintf(stderr, "mscep-admin: ocsp-cert: %s: path too long\n",
		    dir);
		oi->failed++;
	} else if (ra_read_key(path, &cakey) != 0) {
		fprintf(stderr, "mscep-admin: ocsp-cert: cannot read %s\n",
		    path);
		oi->failed++;
	} else if (issue_responder(oi, ca, cakey, certf, keyf) != 0)
		oi->failed++;
	else
		oi->done++;
	EVP_PKEY_free(cakey);
	return 0;
}

/* Replaces the responder pair; running workers keep the old one until
 * they are restarted (SIGHUP to the pool, or the web server). */
static int
cmd_ocsp_cert(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "days", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "previous", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct ocsp_issue	 oi = { cfg, "rsa:2048", OCSP_RESPONDER_DAYS,
	    0, 0 };
	struct ra		 ra;
	char			 reason[REASON_MAX];
	int			 ch, previous = 0, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (admin_opt_int("--days", optarg, 1, 3650,
			    &oi.days) != 0)
				return 2;
			break;
		case 'k': oi.spec = optarg; break;
		case 'p': previous = 1; break;
		default: usage(); return 2;
		}
	}
	if (oi.days < 1 || oi.days > 3650 || optind != argc) {
		fprintf(stderr, "mscep-admin: ocsp-cert [--days 1 to 3650] "
		    "[--key SPEC] [--previous]\n");
		return 2;
	}
	if (ra_load(cfg, &ra, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: ocsp-cert: %s\n", reason);
		return 1;
	}
	if (previous) {
		if (ra_each_prev(cfg, ra.ca, previous_responder, &oi, reason,
		    sizeof(reason)) != 0)
			fprintf(stderr, "mscep-admin: ocsp-cert: %s\n",
			    reason);
		else if (oi.done == 0 && oi.failed == 0)
			fprintf(stderr, "mscep-admin: ocsp-cert --previous: no "
			    "previous CA that is still valid\n");
		else if (oi.failed == 0)
			rc = 0;
	} else if (issue_responder(&oi, ra.ca, ra.ca_key, OCSP_RESPONDER_CERT,
	    OCSP_RESPONDER_KEY) == 0)
		rc = 0;
	if (rc == 0 && cfg->ocsp_path[0] == '\0')
		printf("[OCSP] Path is empty: the workers do not answer OCSP "
		    "requests\n");
	else if (rc == 0)
		admin_reload_hint(cfg, "restart", " to use it");
	ra_free(&ra);
	return rc;
}

/* The subcommands: the name, what runs it, and its lines of usage. */
static const struct subcommand {
	const char	*name;
	int		(*run)(const struct config *, int, char *[]);
	const char	*help;
	int		 noconfig;	/* runs without reading the INI */
} subcommands[] = {
	{ "init", cmd_init,
	    " [--key rsa:2048|rsa:3072|rsa:4096|ec:P-256|ec:P-384]\n"
	    "       [--ra-key rsa:2048|rsa:3072|rsa:4096] [--ca-name CN]\n"
	    "       [--ra-name CN] [--ca-days N] [--ra-days N] [--csr OUT]\n"
	    "           [--in-token pkcs11:URI]\n"
	    "           (--csr: the CA key and a request for the root to\n"
	    "           sign; then ca install; --in-token: the CA key made\n"
	    "           in that PKCS#11 token, RSA)\n", 0 },
	{ "password", cmd_password,
	    "     print a new enrollment challenge password\n", 0 },
	{ "check", cmd_check,
	    " [--online]  validate the configuration, keys and store;\n"
	    "           --online: Intune's tokens and endpoints\n", 0 },
	{ "import-ndes", cmd_import_ndes,
	    " FILE.reg [-o OUT]   [MSCEP] settings and template\n"
	    "           sections from a reg export of NDES's MSCEP key\n", 1 },
	{ "config-keys", cmd_config_keys,
	    " [--man]   every configuration key: section, key,\n"
	    "           type, default, help (--man: the list in mscep.ini(5))\n",
	    1 },
	{ "tls-cert", cmd_tls_cert,
	    " --name FQDN [--name ALT]... [--key SPEC] [--days N]\n"
	    "           [--out DIR]   TLS server certificate from the CA\n"
	    "           (DIR/server.crt with the CA, DIR/server.key;\n"
	    "           default DIR: the state folder's tls/)\n", 0 },
	{ "ocsp-cert", cmd_ocsp_cert,
	    " [--days N] [--key SPEC] [--previous]\n"
	    "           (re)issue the OCSP responder certificate (ocsp.crt,\n"
	    "           private/ocsp.key; default 365 days, rsa:2048);\n"
	    "           --previous: those of the previous CAs still valid\n", 0 },
	{ "mdm-init", admin_cmd_mdm_init,
	    " --out DIR [--name CN] [--days N]\n"
	    "           challenge key, MDM signing identity, files for the MDM\n", 0 },
	{ "challenge", admin_cmd_challenge,
	    " --mdm DIR --subject /CN=.. --device ID [--san dns:..]...\n"
	    "           [--profile TEMPLATE] [--key-usage sig|enc|both|any]\n"
	    "           [--sid S-1-..] [--ttl SECONDS]   print a challenge blob\n", 0 },
	{ "events", admin_cmd_events,
	    " [--since EPOCH|-SECONDS|YYYY-MM-DDTHH:MM:SS]\n"
	    "           enrollment outcomes as JSON lines\n", 0 },
	{ "revoke", admin_cmd_revoke,
	    " SERIAL [--reason R]   revoke one certificate, or all of\n"
	    "  revoke --device ID|--subject DN|--template NAME [--reason R]\n"
	    "           (R: unspecified, keyCompromise, affiliationChanged,\n"
	    "           superseded, cessationOfOperation, privilegeWithdrawn)\n", 0 },
	{ "intune-sync", admin_cmd_intune_sync,
	    " [--max-requests N]   revoke what Intune asks to, then\n"
	    "           upload one result per request\n", 0 },
	{ "list", admin_cmd_list,
	    " [--status issued|revoked|expired|all] [--device ID]\n"
	    "       [--subject DN] [--template NAME] [--expires-within DAYS]\n", 0 },
	{ "crl", admin_cmd_crl,
	    " [--force]  publish the CRL if stale (--force: now)\n", 0 },
	{ "pending", admin_cmd_pending,
	    "        requests waiting for approval\n", 0 },
	{ "approve", admin_cmd_approve,
	    " ID   issue the certificate a pending request asks for\n", 0 },
	{ "deny", admin_cmd_deny,
	    " ID      refuse a pending request\n", 0 },
	{ "intune-notify", admin_cmd_intune_notify,
	    " [--list]   send the notifications Intune is still owed\n"
	    "           (a held certificate is released once its\n"
	    "           successNotification is acknowledged)\n", 0 },
	{ "ca", admin_cmd_ca,
	    " rollover [--key SPEC] [--ra-key SPEC] [--days N] [--ra-days N]\n"
	    "           [--switch-in DAYS] [--replace] [--in-token pkcs11:URI]\n"
	    "           prepare the next CA (its key in that token)\n"
	    "  ca rollover --csr OUT | --cert CERT --chain FILE   the same,\n"
	    "           the next CA issued by the organisation's root\n"
	    "  ca switch [--now]   make the next CA current\n"
	    "  ca status    current, next and previous CAs\n"
	    "  ca install CERT [--chain FILE]   the root-signed CA certificate\n"
	    "  ca import CERT KEY [--chain FILE]   an existing CA key pair\n",
	    0 },
	{ "status", admin_cmd_status,
	    " [--json]   expiry of the CA, RA, OCSP and TLS certificates,\n"
	    "           the CRL's age, counts, pending requests, passwords,\n"
	    "           the last refusals (--json: one object, for scripts)\n",
	    0 },
	{ "store", admin_cmd_store,
	    " migrate   create or upgrade the [Store] schema (workers\n"
	    "           never do; they refuse a schema they do not know)\n"
	    "  store copy FROM TO   every row into an empty store, checked\n"
	    "           by row counts and a SHA-256 per table (FROM, TO: an\n"
	    "           mscep.ini, sqlite:PATH or postgresql:CONNINFO)\n", 0 },
	{ "ledger", admin_cmd_ledger,
	    " [--since DAYS] [--all]   what the signer signed ([Signer]\n"
	    "           Ledger) and the store does not hold (--all: every\n"
	    "           one); exit 3 when some; as root\n"
	    "  ledger import   the store's certificates into the ledger, so\n"
	    "           the signer refuses their serials too; as root\n",
	    0 },
	{ "ra", admin_cmd_ra,
	    " renew [--days N] [--key rsa:BITS]   new RA signing and\n"
	    "           encryption certificates and keys from the current CA\n"
	    "           (default 730 days, the current RA's key size)\n", 0 },
};

#define NSUBCOMMANDS	(sizeof(subcommands) / sizeof(subcommands[0]))

/* Every subcommand's usage, or only's. */
static void
print_usage(FILE *f, const struct subcommand *only)
{
	size_t	 i;

	fprintf(f, "usage: mscep-admin [-c mscep.ini] %s [options]\n",
	    only != NULL ? only->name : "command");
	for (i = 0; i < NSUBCOMMANDS; i++)
		if (only == NULL || only == &subcommands[i])
			fprintf(f, "  %s%s", subcommands[i].name,
			    subcommands[i].help);
}

static void
usage(void)
{
	print_usage(stderr, NULL);
}

static const struct subcommand *
find_subcommand(const char *name)
{
	size_t	 i;

	for (i = 0; i < NSUBCOMMANDS; i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

static int
is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/*
 * Help needs no configuration: "-h", "--help" or "help", each optionally
 * followed by a subcommand, and "SUBCOMMAND -h" print to stdout. -1 when
 * argv asks for something else.
 */
static int
help(int argc, char *argv[], int i)
{
	const struct subcommand	*sc = NULL;
	const char		*name = NULL;

	if (is_help(argv[i]) || strcmp(argv[i], "help") == 0)
		name = i + 1 < argc ? argv[i + 1] : NULL;
	else if (i + 1 < argc && is_help(argv[i + 1]))
		name = argv[i];
	else
		return -1;
	if (name != NULL && (sc = find_subcommand(name)) == NULL) {
		usage();
		return 2;
	}
	print_usage(stdout, sc);
	return 0;
}

int
main(int argc, char *argv[])
{
	const struct subcommand	*sc;
	struct config		 cfg;
	const char		*path = getenv("MSCEP_CONFIG");
	char			**args;
	int			 i = 1, n, rc;

	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		path = argv[2];
		i = 3;
	}
	/* store copy FROM TO: an INI as FROM is the configuration too, when
	 * neither -c nor MSCEP_CONFIG names one (its audit goes there). */
	if (path == NULL && argc - i == 4 && strcmp(argv[i], "store") == 0 &&
	    strcmp(argv[i + 1], "copy") == 0 &&
	    strncmp(argv[i + 2], "sqlite:", 7) != 0 &&
	    strncmp(argv[i + 2], "postgresql:", 11) != 0)
		path = argv[i + 2];
	if (path == NULL)
		path = MSCEP_CONFIG;
	if (i >= argc) {
		usage();
		return 2;
	}
	if ((rc = help(argc, argv, i)) >= 0)
		return rc;
	if ((sc = find_subcommand(argv[i])) == NULL) {
		usage();
		return 2;
	}
	if (sc->noconfig)
		return sc->run(NULL, argc - i, argv + i);
	if ((n = config_load(path, &cfg, stderr)) != 0) {
		fprintf(stderr, "mscep-admin: %s: %d problem(s)\n", path,
		    n < 0 ? 1 : n);
		config_free(&cfg);
		return 1;
	}
	/* Copied first: getopt reorders argv. */
	args = admin_audit_argv(argc - i - 1, argv + i + 1);
	rc = sc->run(&cfg, argc - i, argv + i);
	admin_audit_command(&cfg, sc->name, argc - i - 1, args, rc);
	admin_audit_argv_free(argc - i - 1, args);
	config_free(&cfg);
	return rc;
}
