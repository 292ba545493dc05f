/*
 * admin_ra.h - mscep-admin ra renew: new RA signing and encryption
 * certificates from the current CA (ca/ra_renew.h).
 */
#ifndef MSCEP_ADMIN_RA_H
#define MSCEP_ADMIN_RA_H

#include "config/config.h"

int	 admin_cmd_ra(const struct config *, int argc, char *argv[]);

#endif
