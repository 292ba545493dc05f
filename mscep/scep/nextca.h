/*
 * nextca.h - GetNextCACert's body (RFC 8894 section 4.7): the next CA
 * generation that mscep-admin ca rollover prepared, signed by the current
 * RA.
 */
#ifndef MSCEP_NEXTCA_H
#define MSCEP_NEXTCA_H

#include <stddef.h>

#include "ca/ra.h"
#include "config/config.h"
#include "util/util.h"

/*
 * A SignedData by the current RA signing key whose content is the
 * certs-only PKCS#7 of next/ (RA signing, RA encryption, CA; the CA alone
 * in CA-direct mode). out stays empty without next/.
 */
int	 nextca_body(const struct config *, const struct ra *,
	    struct buf *out, char *reason, size_t);
/* That content alone (what its messageDigest covers): 1 and inner
 * appended to, 0 without next/, -1 and why. */
int	 nextca_content(const struct config *, const struct ra *,
	    struct buf *inner, char *reason, size_t);

#endif
