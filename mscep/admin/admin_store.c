/*
 * admin_store.c - mscep-admin store migrate: the one place a schema is
 * created or upgraded (workers refuse one they do not know); store copy
 * FROM TO: every row from one store into an empty one, each named by an
 * INI file (its [Store]), sqlite:PATH or postgresql:CONNINFO.
 */
#include "admin/admin_store.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_copy.h"

/* A store named on the command line: backend and target. */
struct named {
	const char	*backend;
	char		 target[PATH_MAX + 1024];
};

static int
name_store(const char *arg, struct named *n)
{
	struct config	 cfg;
	int		 rc;

	if (strncmp(arg, "sqlite:", 7) == 0 ||
	    strncmp(arg, "postgresql:", 11) == 0) {
		n->backend = arg[0] == 's' ? "sqlite" : "postgresql";
		snprintf(n->target, sizeof(n->target), "%s",
		    strchr(arg, ':') + 1);
		return n->target[0] != '\0' ? 0 : -1;
	}
	if (config_load(arg, &cfg, stderr) != 0) {
		fprintf(stderr, "mscep-admin: %s: not a usable mscep.ini (or "
		    "name sqlite:PATH or postgresql:CONNINFO)\n", arg);
		return -1;
	}
	rc = store_target(&cfg, &n->backend, n->target, sizeof(n->target));
	config_free(&cfg);
	return rc;
}

static int
migrate(const char *backend, const char *target, const char *what)
{
	char	 reason[REASON_MAX];
	int	 from;

	if (store_migrate(backend, target, &from, reason,
	    sizeof(reason)) != 0) {
		fprintf(stderr, "mscep-admin: store migrate %s: %s\n", what,
		    reason);
		return 1;
	}
	if (strcmp(backend, "postgresql") == 0)
		printf("store %s: PostgreSQL schema version %d%s\n", what,
		    STORE_SCHEMA_VERSION, from == STORE_SCHEMA_VERSION ?
		    " (already)" : from == 0 ? " (created)" : " (upgraded)");
	else
		printf("store %s: SQLite schema version %d\n", what,
		    STORE_SCHEMA_VERSION);
	return 0;
}

static int
copy(const char *from_arg, const char *to_arg)
{
	struct named	 from, to;
	struct store	*a = NULL, *b = NULL;
	char		 reason[REASON_MAX];
	int		 rc = 1;

	if (name_store(from_arg, &from) != 0 || name_store(to_arg, &to) != 0)
		return 2;
	if (strcmp(from.backend, to.backend) == 0 &&
	    strcmp(from.target, to.target) == 0) {
		fprintf(stderr, "mscep-admin: store copy: FROM and TO are the "
		    "same store\n");
		return 2;
	}
	if (migrate(to.backend, to.target, "target") != 0)
		return 1;
	if (store_open_backend(from.backend, from.target, &a, reason,
	    sizeof(reason)) != 0 || store_open_backend(to.backend, to.target,
	    &b, reason, sizeof(reason)) != 0 ||
	    store_copy(a, b, stdout, reason, sizeof(reason)) != 0)
		fprintf(stderr, "mscep-admin: store copy: %s\n", reason);
	else {
		printf("store copy: %s to %s, every table's rows and "
		    "checksum agree\n", from.backend, to.backend);
		rc = 0;
	}
	store_close(a);
	store_close(b);
	return rc;
}

int
admin_cmd_store(const struct config *cfg, int argc, char *argv[])
{
	const char	*backend;
	char		 target[PATH_MAX + 1024];

	if (argc == 2 && strcmp(argv[1], "migrate") == 0) {
		if (store_target(cfg, &backend, target, sizeof(target)) != 0) {
			fprintf(stderr, "mscep-admin: [Store]: name too long\n");
			return 1;
		}
		return migrate(backend, target, "migrate");
	}
	if (argc == 4 && strcmp(argv[1], "copy") == 0)
		return copy(argv[2], argv[3]);
	fprintf(stderr, "usage: mscep-admin store migrate\n"
	    "       mscep-admin store copy FROM TO   (each: an mscep.ini, "
	    "sqlite:PATH or postgresql:CONNINFO)\n");
	return 2;
}
