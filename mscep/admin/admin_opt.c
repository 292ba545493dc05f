/* admin_opt.c - mscep-admin's numeric options, each with its range, and
 * what to reload after a change. */
#include "admin/admin_opt.h"
#include "config/config.h"
#include "ca/keyops_pkcs11.h"
#include "util/num.h"

#include <stdio.h>

int
admin_opt_ll(const char *opt, const char *arg, long long min, long long max,
    long long *out)
{
	const char	*why;

	if (num_parse(arg, min, max, out, &why) == 0)
		return 0;
	fprintf(stderr, "mscep-admin: %s %s: %s, from %lld to %lld\n", opt,
	    arg, why, min, max);
	return -1;
}

int
admin_opt_int(const char *opt, const char *arg, int min, int max, int *out)
{
	long long	 v;

	if (admin_opt_ll(opt, arg, min, max, &v) != 0)
		return -1;
	*out = (int)v;
	return 0;
}

int
admin_opt_token(const char *cmd, const char *uri, int conflict)
{
	if (uri == NULL || (!conflict && keyop_pkcs11_is_uri(uri)))
		return 0;
	fprintf(stderr, "mscep-admin: %s --in-token takes a pkcs11: URI and "
	    "does not go with --csr or --cert\n", cmd);
	return -1;
}

void
admin_reload_hint(const struct config *cfg, const char *verb,
    const char *after)
{
	if (cfg->signer_socket[0] != '\0')
		printf("%s the signer (SIGHUP to mscep -S, or systemctl reload "
		    "mscep-signer), then the workers (SIGHUP to mscep, or "
		    "restart the web server that spawns them)%s\n", verb,
		    after);
	else
		printf("%s the workers (SIGHUP to mscep, or restart the web "
		    "server that spawns them)%s\n", verb, after);
}
