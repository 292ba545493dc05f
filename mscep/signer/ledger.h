/*
 * ledger.h - the signer's own record of every certificate it signed: the
 * serial, which CA key signed it, which key it certifies, for which
 * transaction, the subject and notAfter, when. A serial goes in before
 * the CA key signs, once: the same serial asked for again is refused, so
 * a worker taken over cannot have a second certificate made under a
 * serial this signer has signed. Serials from before the ledger, or from
 * mscep-admin's own commands, it knows once mscep-admin ledger import
 * has copied them in from the store. The file is a SQLite
 * database ([Signer] Ledger) only the signer opens, in a folder nobody
 * else can rename; the workers' store is theirs, and the ledger is what
 * to compare it with (mscep-admin ledger).
 */
#ifndef MSCEP_LEDGER_H
#define MSCEP_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

struct ledger;

/* Opens or creates path (its folder made 0700, the file 0600; the folder
 * and those above it owned by root or this user and writable by no one
 * else), waiting up to busy_ms for another signer's write; NULL and why,
 * also when it could be opened read only. */
struct ledger	*ledger_open(const char *path, int busy_ms, char *reason,
		    size_t);
void		 ledger_close(struct ledger *);

/*
 * Records x, about to be signed by ca under transaction txid: 0 when its
 * serial is new; 1 when it was recorded before (reason names the
 * transaction that had it); -1 when it cannot be recorded (reason says
 * why): the caller signs only on 0.
 */
int	 ledger_claim(struct ledger *, X509 *ca, X509 *x, const char *txid,
	    char *reason, size_t);

/* For mscep-admin ledger: path read only (the signer's user or root);
 * NULL and why. */
struct ledger	*ledger_open_ro(const char *path, char *reason, size_t);

struct ledger_entry {
	const char	*ca;		/* the CA key's SHA-1, hex */
	const char	*serial;	/* upper-case hex */
	const char	*key_id;	/* the certified key's SHA-1, hex */
	const char	*txid;
	const char	*subject;
	int64_t		 not_after;
	int64_t		 signed_at;
};

/* fn on each entry signed at since or later, oldest first, until it
 * returns non-zero; 0, or -1 on a read error (reason says why). */
int	 ledger_each(struct ledger *, int64_t since,
	    int (*fn)(const struct ledger_entry *, void *), void *,
	    char *reason, size_t);

/* For mscep-admin ledger import: e (a certificate of the store) recorded
 * as signed: 0 new, 1 its serial there already, -1 error (reason). */
int	 ledger_import(struct ledger *, const struct ledger_entry *e,
	    char *reason, size_t);
/* A transaction around many imports: commit 0 begins it, 1 commits it,
 * -1 rolls it back. */
int	 ledger_batch(struct ledger *, int commit, char *reason, size_t);

/*
 * Revocations. mscep never takes a certificate off its CRL nor changes an
 * entry, so once a CRL this signer signed has revoked a serial it signed,
 * every later CRL of that CA key must have that entry as it was (its
 * revocationDate and reasonCode), and no OCSP answer may call it good,
 * unknown, or revoked at another time: a worker taken over cannot have a
 * revoked certificate made good again. Serials it did not sign for that
 * key are not recorded, so a CRL cannot make it insist on serials never
 * issued.
 *
 * ledger_crl_keeps, inside ledger_batch(l, 0) ... ledger_batch(l, 1 once
 * signed, else -1): 0 when crl keeps every entry recorded for CA key ca
 * (its own then recorded), 1 when it lacks or changes one or has a serial
 * twice (reason says which), -1 on an error.
 */
int	 ledger_crl_keeps(struct ledger *, const char *ca, X509_CRL *crl,
	    char *reason, size_t);
/* 1 when serial is recorded revoked for CA key ca (*at its
 * revocationDate, *why its reasonCode, -1 none), 0 if not, -1 error. */
int	 ledger_is_revoked(struct ledger *, const char *ca, const char *serial,
	    int64_t *at, int *why, char *reason, size_t);

#endif
