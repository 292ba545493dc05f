/*
 * admin_mdm.h - mscep-admin's commands for the Intune-style policy:
 * mdm-init (mscep's challenge key, an MDM signing identity, and the
 * files an MDM needs), challenge (issue a blob, as an MDM would), and
 * events (the enrollment outcomes as JSON lines).
 */
#ifndef MSCEP_ADMIN_MDM_H
#define MSCEP_ADMIN_MDM_H

#include "config/config.h"

int	 admin_cmd_mdm_init(const struct config *, int argc, char *argv[]);
int	 admin_cmd_challenge(const struct config *, int argc, char *argv[]);
int	 admin_cmd_events(const struct config *, int argc, char *argv[]);

#endif
