/* admin_audit.c - mscep-admin's audit lines. */
#include "admin/admin_audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REDACTED	"(redacted)"

void
admin_audit(const struct config *cfg, struct audit_event *e)
{
	struct audit_actor	 me;
	char			 why[512];

	if (cfg == NULL || cfg->audit.dest == AUDIT_OFF)
		return;
	audit_actor_self(&me);
	e->program = "mscep-admin";
	e->actor = &me;
	if (audit_emit(&cfg->audit, cfg->log_socket, e, why,
	    sizeof(why)) != 0)
		audit_fallback(e, why);
	e->actor = NULL;
}

/* An option whose value may be a secret: no command takes one today,
 * but a line in a SIEM must never be the place one leaks to. */
static int
secret_option(const char *a)
{
	size_t	 n = strcspn(a, "=");

	if (strncmp(a, "--", 2) != 0)
		return 0;
	return memmem(a, n, "pass", 4) != NULL ||
	    memmem(a, n, "secret", 6) != NULL ||
	    memmem(a, n, "token", 5) != NULL;
}

char **
admin_audit_argv(int argc, char *argv[])
{
	char	**out = calloc((size_t)argc + 1, sizeof(*out));
	int	  i, hide_next = 0;
	size_t	  n;

	for (i = 0; out != NULL && i < argc; i++) {
		if (hide_next)
			out[i] = strdup(REDACTED);
		else if (secret_option(argv[i]) && strchr(argv[i], '=')) {
			n = strcspn(argv[i], "=") + 1;
			if ((out[i] = malloc(n + sizeof(REDACTED))) != NULL)
				snprintf(out[i], n + sizeof(REDACTED),
				    "%.*s%s", (int)n, argv[i], REDACTED);
		} else
			out[i] = strdup(argv[i]);
		hide_next = !hide_next && secret_option(argv[i]) &&
		    strchr(argv[i], '=') == NULL;
		if (out[i] == NULL) {
			admin_audit_argv_free(i, out);
			return NULL;
		}
	}
	return out;
}

void
admin_audit_argv_free(int argc, char **v)
{
	int	 i;

	if (v == NULL)
		return;
	for (i = 0; i < argc; i++)
		free(v[i]);
	free(v);
}

void
admin_audit_command(const struct config *cfg, const char *command,
    int argc, char **args, int rc)
{
	struct audit_event	 e;

	audit_event_init(&e, "command", "mscep-admin");
	e.command = command;
	e.exit_code = rc;
	if (args != NULL) {
		e.argc = argc;
		e.argv = args;
	}
	admin_audit(cfg, &e);
}
