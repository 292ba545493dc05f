/*
 * admin_intune.h - mscep-admin intune-sync: Intune's revocation requests
 * downloaded, each certificate revoked as mscep-admin revoke does (the CRL
 * published again, OCSP answering revoked, an event naming Intune), and
 * one result per request uploaded.
 */
#ifndef MSCEP_ADMIN_INTUNE_H
#define MSCEP_ADMIN_INTUNE_H

#include "config/config.h"

int	 admin_cmd_intune_sync(const struct config *, int argc, char *argv[]);

#endif
