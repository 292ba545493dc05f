/* admin_ca.c - CA rollover from the shell: prepare, switch, show. */
#include "admin/admin_ca.h"
#include "admin/admin_opt.h"
#include "ca/ca_install.h"
#include "ca/ra.h"
#include "ca/rollover.h"
#include "util/file.h"
#include "util/util.h"

#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/sha.h>

static void
print_time(const char *label, int64_t t)
{
	time_t	 tt = (time_t)t;
	char	 s[64];

	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S UTC", gmtime(&tt));
	printf("  %-10s%s", label, s);
}

static int64_t
cert_time(const ASN1_TIME *a)
{
	struct tm	 tm;

	if (ASN1_TIME_to_tm(a, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* Subject, serial, notAfter and the key id the store records. */
static void
print_cert(const char *label, X509 *x)
{
	unsigned char	 md[SHA_DIGEST_LENGTH];
	unsigned int	 len = sizeof(md);
	char		 keyid[2 * SHA_DIGEST_LENGTH + 1] = "?", *serial = NULL;
	BIGNUM		*bn;

	if (X509_pubkey_digest(x, EVP_sha1(), md, &len) == 1 &&
	    len == sizeof(md))
		util_hex_encode(md, len, keyid);
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) != NULL)
		serial = BN_bn2hex(bn);
	printf("%-12s", label);
	X509_NAME_print_ex_fp(stdout, X509_get_subject_name(x), 0,
	    XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
	printf("\n  %-10s%s\n", "serial", serial ? serial : "?");
	print_time("notAfter", cert_time(X509_get0_notAfter(x)));
	printf("\n  %-10s%s\n", "key id", keyid);
	OPENSSL_free(serial);
	BN_free(bn);
}

static X509 *
read_state_cert(const struct config *cfg, const char *file)
{
	char	 path[PATH_MAX + 64];
	X509	*x = NULL;

	if (config_state_path(cfg, file, path, sizeof(path)) != 0 ||
	    ra_read_cert(path, &x) != 0)
		ERR_clear_error();
	return x;
}

/* The CA key index of generation folder sub ("" for the state folder)
 * and the CRL file it names. */
static void
print_crl(const struct config *cfg, const char *sub)
{
	char	 dir[PATH_MAX + 320], file[PATH_MAX + 16], why[PATH_MAX + 128];
	int	 index;

	if (file_path(dir, sizeof(dir), "%s%s%s", cfg->state_dir,
	    *sub ? "/" : "", sub) != 0)
		printf("  %-10s%s/%s: path too long\n", "CRL", cfg->state_dir,
		    sub);
	else if (ra_read_index(cfg, dir, &index, why, sizeof(why)) != 0)
		printf("  %-10s%s\n", "CRL", why);
	else if (util_key_index_name(cfg->crl_file, index, file,
	    sizeof(file)) == 0)
		printf("  %-10s%s (key index %d)\n", "CRL", file, index);
}

static void
status_next(const struct config *cfg)
{
	X509	*x;
	int64_t	 at, now = util_now();
	char	 path[PATH_MAX + 64];

	if (config_state_path(cfg, ROLL_NEXT_DIR "/" ROLL_SWITCHING, path,
	    sizeof(path)) == 0 &&
	    access(path, F_OK) == 0) {
		printf("next CA     a switch has begun and not finished: run "
		    "mscep-admin ca switch\n");
		return;
	}
	if ((x = read_state_cert(cfg, ROLL_NEXT_DIR "/" RA_CA_CERT)) == NULL) {
		printf("next CA     none (mscep-admin ca rollover prepares "
		    "one)\n");
		return;
	}
	print_cert("next CA", x);
	print_crl(cfg, ROLL_NEXT_DIR);
	X509_free(x);
	if (rollover_switch_at(cfg, &at) == 0) {
		print_time("switch at", at);
		if (at > now)
			printf(" (in %" PRId64 " days)\n", (at - now + 86399) /
			    86400);
		else
			printf(" (passed: mscep-admin ca switch)\n");
	}
	if ((x = read_state_cert(cfg, ROLL_NEXT_DIR "/" ROLL_CROSS_CERT)) !=
	    NULL) {
		print_time("cross", cert_time(X509_get0_notAfter(x)));
		printf(" (%s/%s: the next CA certified by this one)\n",
		    ROLL_NEXT_DIR, ROLL_CROSS_CERT);
		X509_free(x);
	}
}

static void
status_prev(const struct config *cfg)
{
	struct dirent	**names = NULL;
	char		 dir[PATH_MAX + 16], gen[PATH_MAX], file[PATH_MAX];
	X509		*x;
	int		 i, n;

	if (config_state_path(cfg, RA_PREV_DIR, dir, sizeof(dir)) != 0 ||
	    (n = scandir(dir, &names, NULL, alphasort)) < 0)
		return;
	for (i = n - 1; i >= 0; i--) {
		if (names[i]->d_name[0] == '.' || file_path(gen, sizeof(gen),
		    "%s/%s", RA_PREV_DIR, names[i]->d_name) != 0 ||
		    file_path(file, sizeof(file), "%s/%s", gen,
		    RA_CA_CERT) != 0 ||
		    (x = read_state_cert(cfg, file)) == NULL)
			continue;
		print_cert("previous CA", x);
		print_crl(cfg, gen);
		printf("  %-10s%s\n", "kept in", gen);
		X509_free(x);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
ca_status(const struct config *cfg)
{
	X509	*x;

	if ((x = read_state_cert(cfg, RA_CA_CERT)) == NULL) {
		fprintf(stderr, "mscep-admin: no CA in %s (mscep-admin "
		    "init)\n", cfg->state_dir);
		return 1;
	}
	print_cert("current CA", x);
	print_crl(cfg, "");
	X509_free(x);
	if ((x = read_state_cert(cfg, ROLL_CROSS_CERT)) != NULL) {
		print_time("cross", cert_time(X509_get0_notAfter(x)));
		printf(" (%s: this CA certified by the previous one)\n",
		    ROLL_CROSS_CERT);
		X509_free(x);
	}
	status_next(cfg);
	status_prev(cfg);
	return 0;
}

static int
ca_rollover(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "ra-key", required_argument, NULL, 'r' },
		{ "days", required_argument, NULL, 'd' },
		{ "ra-days", required_argument, NULL, 'D' },
		{ "switch-in", required_argument, NULL, 's' },
		{ "replace", no_argument, NULL, 'R' },
		{ "csr", required_argument, NULL, 'C' },
		{ "cert", required_argument, NULL, 'c' },
		{ "chain", required_argument, NULL, 'h' },
		{ "in-token", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	struct rollover_opts o = { NULL, NULL, 3650, 730, 30, 0, NULL };
	const char	*csr = NULL, *cert = NULL, *chain = NULL;
	char		 reason[REASON_MAX];
	int		 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k': o.ca_key = optarg; break;
		case 'r': o.ra_key = optarg; break;
		case 'd':
			if (admin_opt_int("--days", optarg, 1, ADMIN_DAYS_MAX,
			    &o.ca_days) != 0)
				return 2;
			break;
		case 'D':
			if (admin_opt_int("--ra-days", optarg, 1,
			    ADMIN_DAYS_MAX, &o.ra_days) != 0)
				return 2;
			break;
		case 's':
			if (admin_opt_int("--switch-in", optarg, 0,
			    ADMIN_DAYS_MAX, &o.switch_in_days) != 0)
				return 2;
			break;
		case 'R': o.replace = 1; break;
		case 'C': csr = optarg; break;
		case 'c': cert = optarg; break;
		case 'h': chain = optarg; break;
		case 'T': o.ca_token = optarg; break;
		default: return 2;
		}
	}
	if (admin_opt_token("ca rollover", o.ca_token, csr != NULL ||
	    cert != NULL) != 0)
		return 2;
	if (csr != NULL) {
		if (rollover_request(cfg, o.ca_key, csr, o.replace, reason,
		    sizeof(reason)) != 0) {
			fprintf(stderr, "mscep-admin: ca rollover --csr: %s\n",
			    reason);
			return 1;
		}
		printf("wrote the next CA's request %s: have the root sign it "
		    "as a CA, then mscep-admin ca rollover --cert CERT "
		    "--chain ROOT\n", csr);
		return 0;
	}
	if (cert != NULL ? rollover_install(cfg, &o, cert, chain, reason,
	    sizeof(reason)) != 0 : rollover_create(cfg, &o, reason,
	    sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: ca rollover: %s\n", reason);
		return 1;
	}
	printf("prepared the next CA in %s/%s\n", cfg->state_dir,
	    ROLL_NEXT_DIR);
	status_next(cfg);
	printf("reload the workers (SIGHUP to mscep, or restart the web "
	    "server that spawns them) to serve GetNextCACert\n");
	return 0;
}

static int
ca_switch(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "now", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	char		 prev[PATH_MAX + 64], reason[REASON_MAX];
	int		 ch, force = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'n')
			return 2;
		force = 1;
	}
	if (rollover_switch(cfg, force, prev, sizeof(prev), reason,
	    sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: ca switch: %s\n", reason);
		return 1;
	}
	printf("switched to the next CA; the previous one is kept in %s\n",
	    prev);
	admin_reload_hint(cfg, "reload",
	    " now: until then they issue from the previous CA");
	return 0;
}

/*
 * ca install CERT [--chain FILE] [--ra-key SPEC] [--ra-days N]
 * ca import CERT KEY [--chain FILE] [--ra-key SPEC] [--ra-days N]
 */
static int
ca_install_cmd(const struct config *cfg, int import, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "chain", required_argument, NULL, 'c' },
		{ "ra-key", required_argument, NULL, 'r' },
		{ "ra-days", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct ca_init_opts	 o = { NULL, "rsa:2048", NULL, NULL, 0, 730,
	    NULL };
	struct ca_install_files	 in = { NULL, NULL, NULL };
	char			 host[256] = "localhost", raname[300];
	char			 reason[512];
	int			 ch;

	gethostname(host, sizeof(host) - 1);
	snprintf(raname, sizeof(raname), "%s-MSCEP-RA", host);
	o.ra_name = raname;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': in.chain = optarg; break;
		case 'r': o.ra_key = optarg; break;
		case 'D':
			if (admin_opt_int("--ra-days", optarg, 1, 3650,
			    &o.ra_days) != 0)
				return 2;
			break;
		default: return 2;
		}
	}
	if (argc - optind != 1 + import || o.ra_days < 1 ||
	    o.ra_days > 3650) {
		fprintf(stderr, "usage: mscep-admin ca %s\n", import ?
		    "import CERT KEY [--chain FILE] [--ra-key SPEC] "
		    "[--ra-days 1 to 3650]" : "install CERT [--chain FILE] "
		    "[--ra-key SPEC] [--ra-days 1 to 3650]");
		return 2;
	}
	in.cert = argv[optind];
	in.key = import ? argv[optind + 1] : NULL;
	if (ca_install(cfg, &o, &in, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: ca %s: %s: %s\n", import ?
		    "import" : "install", in.cert, reason);
		return 1;
	}
	printf("installed the CA certificate %s%s, the RA and OCSP "
	    "certificates in %s\n", in.cert, in.chain ? " with its chain" :
	    "", cfg->state_dir);
	return 0;
}

int
admin_cmd_ca(const struct config *cfg, int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "install") == 0)
		return ca_install_cmd(cfg, 0, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return ca_install_cmd(cfg, 1, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "rollover") == 0)
		return ca_rollover(cfg, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "switch") == 0)
		return ca_switch(cfg, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "status") == 0)
		return ca_status(cfg);
	fprintf(stderr, "usage: mscep-admin ca rollover [--key SPEC] "
	    "[--ra-key SPEC] [--days N] [--ra-days N]\n"
	    "                         [--switch-in DAYS] [--replace]\n"
	    "       mscep-admin ca rollover --csr OUT [--key SPEC] "
	    "[--replace]\n"
	    "       mscep-admin ca rollover --cert CERT --chain FILE "
	    "[--ra-key SPEC] [--ra-days N]\n"
	    "                         [--switch-in DAYS] [--replace]\n"
	    "       mscep-admin ca switch [--now]\n"
	    "       mscep-admin ca status\n"
	    "       mscep-admin ca install CERT [--chain FILE]\n"
	    "       mscep-admin ca import CERT KEY [--chain FILE]\n");
	return 2;
}
