/*
 * rollover.h - CA key rollover (RFC 8894 §4.7, GetNextCACert).
 *
 * `mscep-admin ca rollover` prepares next/ in the state folder: the next
 * CA (same name, new key, self-signed), RA certificates issued by it, a
 * cross certificate (the next CA's name and key certified by the current
 * CA key) and the switch date. Workers that find next/ at start-up serve
 * it as GetNextCACert, signed by the current RA, and advertise it in
 * GetCACaps. `mscep-admin ca switch` keeps the current files in
 * previous/<time>/ and moves next/ into their place.
 */
#ifndef MSCEP_ROLLOVER_H
#define MSCEP_ROLLOVER_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "ca/ra.h"
#include "util/util.h"

#define ROLL_CROSS_CERT	"ca-cross.crt"	/* in next/, then in the state folder */
#define ROLL_SWITCH_AT	"switch-at"	/* in next/: epoch seconds */
/* ca rollover --csr: the next CA's key until its certificate comes. */
#define ROLL_NEXT_KEY	"private/next-ca.key"

struct rollover_opts {
	const char	*ca_key;	/* NULL: the current CA's type and size */
	const char	*ra_key;	/* NULL: the current RA's */
	int		 ca_days;
	int		 ra_days;
	int		 switch_in_days;
	int		 replace;	/* discard a prepared next/ */
	/* A pkcs11: URI: the next CA key is made in that token (RSA) and
	 * next/private/ca.key holds the URI; NULL: a key file. */
	const char	*ca_token;
};

int	 rollover_create(const struct config *, const struct rollover_opts *,
	    char *reason, size_t);
/*
 * Under an organisation's root: a new key (keyspec, NULL: the current
 * CA's type) kept as ROLL_NEXT_KEY and a request under the current CA's
 * name written to out; rollover_install then prepares next/ from the
 * certificate the root issued (checked as ca install checks it, chain
 * in next/ca-chain.crt, no cross certificate).
 */
int	 rollover_request(const struct config *, const char *keyspec,
	    const char *out, int replace, char *reason, size_t);
int	 rollover_install(const struct config *, const struct rollover_opts *,
	    const char *cert, const char *chain, char *reason, size_t);
/*
 * Makes next/ current unless the switch date is still ahead (force
 * ignores it); finishes a switch that was interrupted. prev receives
 * the folder the replaced files went to.
 */
int	 rollover_switch(const struct config *, int force, char *prev,
	    size_t, char *reason, size_t);
/* The switch date in next/; -1 when there is none. */
int	 rollover_switch_at(const struct config *, int64_t *);
/*
 * The certificates of next/ in GetCACert's order (RA signing, RA
 * encryption, CA), checked to be a new key under the current CA's name:
 * 1 and c[] set (the caller frees them), 0 without next/, -1 and why.
 * The worker reads certificates only: next/private/ stays unread.
 */
int	 rollover_next_certs(const struct config *, const struct ra *,
	    X509 *c[3], char *reason, size_t);

#endif
