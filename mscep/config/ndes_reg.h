/*
 * ndes_reg.h - an NDES configuration brought over: a `reg export` of
 * HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP (UTF-16LE with a BOM and
 * CRLF as Windows writes it, or UTF-8) turned into mscep.ini's [MSCEP]
 * keys and one section per template the registry names.
 */
#ifndef MSCEP_NDES_REG_H
#define MSCEP_NDES_REG_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes the INI text to out: every [MSCEP] key, from the export or its
 * default (marked so); notes gets one line per registry value or key
 * that has no mscep setting, and why. -1 (reason says why) when data is
 * not a registry export; nothing is written to out then.
 */
int	 ndes_reg_convert(const unsigned char *data, size_t len, FILE *out,
	    FILE *notes, char *reason, size_t rlen);

#endif
