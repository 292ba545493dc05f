/*
 * admin_store.h - mscep-admin store: the schema brought up to date
 * (migrate) and a deployment moved between SQLite and PostgreSQL (copy).
 */
#ifndef MSCEP_ADMIN_STORE_H
#define MSCEP_ADMIN_STORE_H

#include "config/config.h"

int	 admin_cmd_store(const struct config *, int argc, char *argv[]);

#endif
