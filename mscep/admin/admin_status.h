/*
 * admin_status.h - mscep-admin status: one screen with what an
 * administrator checks each morning (expiry of the CA, RA, OCSP and TLS
 * certificates, the CRL's age, the store's counts, pending requests, the
 * password cache, the last refusals), or the same as one JSON object.
 */
#ifndef MSCEP_ADMIN_STATUS_H
#define MSCEP_ADMIN_STATUS_H

#include "config/config.h"

int	 admin_cmd_status(const struct config *, int argc, char *argv[]);

#endif
