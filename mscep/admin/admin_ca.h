/*
 * admin_ca.h - mscep-admin ca rollover|switch|status: the next CA,
 * served as GetNextCACert until the switch (rollover.h).
 */
#ifndef MSCEP_ADMIN_CA_H
#define MSCEP_ADMIN_CA_H

#include "config/config.h"

int	 admin_cmd_ca(const struct config *, int argc, char *argv[]);

#endif
