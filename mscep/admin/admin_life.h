/*
 * admin_life.h - mscep-admin's lifecycle commands: revoke (one serial, or
 * every certificate of a device, subject or template), list, crl, and
 * pending / approve / deny for templates that need an administrator.
 */
#ifndef MSCEP_ADMIN_LIFE_H
#define MSCEP_ADMIN_LIFE_H

#include "config/config.h"

int	 admin_cmd_revoke(const struct config *, int argc, char *argv[]);
int	 admin_cmd_list(const struct config *, int argc, char *argv[]);
int	 admin_cmd_crl(const struct config *, int argc, char *argv[]);
int	 admin_cmd_pending(const struct config *, int argc, char *argv[]);
int	 admin_cmd_approve(const struct config *, int argc, char *argv[]);
int	 admin_cmd_deny(const struct config *, int argc, char *argv[]);

#endif
