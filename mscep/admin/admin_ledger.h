/*
 * admin_ledger.h - mscep-admin ledger: the signer's ledger of what the CA
 * key signed (signer/ledger.h) against the store: each certificate signed
 * and not recorded there, or every one with --all.
 */
#ifndef MSCEP_ADMIN_LEDGER_H
#define MSCEP_ADMIN_LEDGER_H

#include "config/config.h"

int	 admin_cmd_ledger(const struct config *, int argc, char *argv[]);

#endif
