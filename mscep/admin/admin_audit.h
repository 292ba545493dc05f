/*
 * admin_audit.h - mscep-admin's audit lines (util/audit.h): each command
 * with the Unix user who ran it (and SUDO_USER), its arguments without
 * secrets and its exit status; revocations, approvals and denials as
 * events of their own.
 */
#ifndef MSCEP_ADMIN_AUDIT_H
#define MSCEP_ADMIN_AUDIT_H

#include "config/config.h"
#include "util/audit.h"

/* Sends e as this user's; an undelivered line goes to stderr. */
void	 admin_audit(const struct config *, struct audit_event *);
/* The command with its arguments (as admin_audit_argv copied them
 * before getopt reordered them), after it exited with rc. */
void	 admin_audit_command(const struct config *, const char *command,
	    int argc, char **args, int rc);
/* argv with the value of every option that may carry a secret
 * (--*pass*, --*secret*, --*token*) replaced; the caller frees the
 * array and its strings (admin_audit_argv_free). NULL: out of memory. */
char	**admin_audit_argv(int argc, char *argv[]);
void	 admin_audit_argv_free(int argc, char **);

#endif
