/* admin_ra.c - mscep-admin ra renew. */
#include "admin/admin_ra.h"
#include "admin/admin_opt.h"
#include "ca/ra_renew.h"
#include "util/util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* NDES's RA certificates last two years; init's --ra-days default. */
#define RA_RENEW_DAYS	730

static int
usage(void)
{
	fprintf(stderr, "usage: mscep-admin ra renew [--days N] "
	    "[--key rsa:2048|rsa:3072|rsa:4096]\n");
	return 2;
}

static int
renew(const struct config *cfg, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "days", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	struct ra_renew_opts	 o = { NULL, RA_RENEW_DAYS };
	struct ra_renewed	 r;
	char			 reason[REASON_MAX], until[40];
	time_t			 t;
	struct tm		 tm;
	int			 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (admin_opt_int("--days", optarg, 1, ADMIN_DAYS_MAX,
			    &o.days) != 0)
				return 2;
			break;
		case 'k': o.key = optarg; break;
		default: return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (ra_renew(cfg, &o, &r, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: ra renew: %s\n", reason);
		return 1;
	}
	t = (time_t)r.until;
	gmtime_r(&t, &tm);
	strftime(until, sizeof(until), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("renewed the RA certificates: signing %s, encryption %s, "
	    "valid until %s; the old ones are in %s\n", r.sign_serial,
	    r.enc_serial, until, r.kept);
	admin_reload_hint(cfg, "reload", ": until then they keep the old ones");
	return 0;
}

int
admin_cmd_ra(const struct config *cfg, int argc, char *argv[])
{
	if (argc < 2 || strcmp(argv[1], "renew") != 0)
		return usage();
	return renew(cfg, argc - 1, argv + 1);
}
