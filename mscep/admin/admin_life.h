/*
 * admin_life.h - mscep-admin's lifecycle commands: revoke (one serial, or
 * every certificate of a device, subject or template), list, crl, and
 * pending / approve / deny for templates that need an administrator.
 */
#ifndef MSCEP_ADMIN_LIFE_H
#define MSCEP_ADMIN_LIFE_H

#include <stddef.h>

#include "config/config.h"
#include "store/store.h"

int	 admin_cmd_revoke(const struct config *, int argc, char *argv[]);
int	 admin_cmd_list(const struct config *, int argc, char *argv[]);
int	 admin_cmd_crl(const struct config *, int argc, char *argv[]);
int	 admin_cmd_pending(const struct config *, int argc, char *argv[]);
int	 admin_cmd_approve(const struct config *, int argc, char *argv[]);
int	 admin_cmd_deny(const struct config *, int argc, char *argv[]);

/* The revocation path revoke takes, for intune-sync: a serial as the
 * store writes it (upper-case hex, from "1a:2b", "0x1A2B", ...), and the
 * CRL published again after a revocation (a message on stdout or stderr;
 * -1 when it could not be). */
int	 admin_serial_normalise(const char *in, char *out, size_t len);
int	 admin_republish(const struct config *, struct store *);

#endif
