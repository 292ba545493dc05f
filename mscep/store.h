/*
 * store.h - the state every worker shares: issued certificates, issuing
 * transactions and one-time passwords, in one SQLite database (WAL) in the
 * state folder. A certificate is recorded in the same transaction that
 * consumes the policy's claim (a one-time password), so two workers can
 * never both use one password and a refusal writes nothing.
 */
#ifndef MSCEP_STORE_H
#define MSCEP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define STORE_FILE	"mscep.db"

struct store;

/* What the policy decision must consume atomically with issuance. */
enum claim_kind { CLAIM_NONE, CLAIM_OTP, CLAIM_SINGLE_PASSWORD, CLAIM_NONCE };
struct store_claim {
	enum claim_kind	 kind;
	char		 key[65];	/* hex SHA-256 of the password, or the
					   challenge nonce in hex */
	int64_t		 expires;	/* CLAIM_NONCE: the challenge's expiry */
};

/* An enrollment outcome, as the Intune connector reports it. */
struct store_event {
	int64_t		 id;		/* set when listed */
	int64_t		 at;
	int		 success;
	const char	*txid;
	const char	*serial;	/* success: upper-case hex */
	const char	*thumbprint;	/* success: SHA-1, hex */
	int64_t		 not_after;	/* success: expiry */
	const char	*issuer;	/* success: issuer DN */
	const char	*device_id;	/* when the policy knows it */
	const char	*code;		/* "Success" or a reason code */
	const char	*description;	/* failure: why (never a secret) */
};

struct store_cert {
	const char		*serial;	/* upper-case hex */
	const char		*subject;
	const char		*sans;
	const char		*template_name;
	const char		*txid;
	const char		*key_id;
	int64_t			 not_before;
	int64_t			 not_after;
	const unsigned char	*der;
	size_t			 der_len;
	/* When set, recorded in the same transaction (one commit, one
	 * fsync per enrollment), dropping events older than keep_after. */
	const struct store_event *event;
	int64_t			 event_keep_after;
};

enum store_rc {
	STORE_OK = 0,
	STORE_ERROR = -1,
	STORE_NOT_FOUND = 1,
	STORE_CLAIM_REFUSED = 2,	/* password already used or expired */
	STORE_SERIAL_TAKEN = 3,
	STORE_TXID_TAKEN = 4,		/* transactionID used with another key */
	STORE_FULL = 5,			/* password cache full */
};

int	 store_open(const char *path, struct store **, char *reason, size_t);
void	 store_close(struct store *);

/* The certificate already issued for txid, if any, when the key matches. */
enum store_rc store_find_txn(struct store *, const char *txid,
	    const char *key_id, struct buf *der);
enum store_rc store_issue(struct store *, const struct store_cert *,
	    const struct store_claim *);
enum store_rc store_cert_by_serial(struct store *, const char *serial,
	    struct buf *der);
int64_t	 store_count_certs(struct store *);

/* One-time passwords: only hashes are stored. */
enum store_rc store_password_add(struct store *, const char *hash,
	    int64_t now, int64_t expires, int max_outstanding);
enum store_rc store_password_set_single(struct store *, const char *hash,
	    int64_t now);
enum store_rc store_password_lookup(struct store *, const char *hash,
	    int64_t now, enum claim_kind *kind);

/* STORE_OK when a challenge nonce (hex) has enrolled before. */
enum store_rc store_nonce_used(struct store *, const char *nonce);
/* Adds an event and drops those older than keep_after. */
enum store_rc store_event_add(struct store *, const struct store_event *,
	    int64_t keep_after);
/* Calls fn for each event at or after since, oldest first; fn != 0 stops. */
enum store_rc store_events(struct store *, int64_t since,
	    int (*fn)(const struct store_event *, void *), void *);
const char *store_errmsg(struct store *);

#endif
