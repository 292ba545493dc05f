/*
 * store_copy.h - mscep-admin store copy: every row of one store into
 * another, SQLite to PostgreSQL or back, checked by row counts and a
 * SHA-256 per table.
 */
#ifndef MSCEP_STORE_COPY_H
#define MSCEP_STORE_COPY_H

#include <stdio.h>

#include "store/store.h"

/*
 * Copies from into to, which must be empty (no row but the CRL counters)
 * and of the schema this build knows, in one transaction on each side;
 * writes "TABLE ROWS SHA256" per table to report once both sides agree.
 * 0, or -1 with the reason (nothing of it kept in to).
 */
int	 store_copy(struct store *from, struct store *to, FILE *report,
	    char *reason, size_t);

#endif
