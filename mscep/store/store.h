/*
 * store.h - the state every worker shares: issued certificates, issuing
 * transactions and one-time passwords, behind one interface whose backend
 * (store_backend.h) is today one SQLite database (WAL) in the state
 * folder. A certificate is recorded in the same transaction that consumes
 * the policy's claim (a one-time password), so two workers can never both
 * use one password and a refusal writes nothing.
 */
#ifndef MSCEP_STORE_H
#define MSCEP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define STORE_FILE	"mscep.db"
/* The schema version of either backend this build reads and writes. */
#define STORE_SCHEMA_VERSION	4

struct store;

/* What the policy decision must consume atomically with issuance. */
enum claim_kind { CLAIM_NONE, CLAIM_OTP, CLAIM_SINGLE_PASSWORD, CLAIM_NONCE,
	CLAIM_RENEWAL };
struct store_claim {
	enum claim_kind	 kind;
	char		 key[65];	/* hex SHA-256 of the password, the
					   challenge nonce in hex, or the serial
					   of the certificate being renewed */
	int64_t		 expires;	/* CLAIM_NONCE: the challenge's expiry */
	int		 supersede;	/* CLAIM_RENEWAL: revoke the old one */
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

/*
 * The outbox: notifications owed to the service that vouched for a
 * request (Intune's successNotification and failureNotification), kept
 * until that service acknowledged them. A success notice is written in
 * the transaction that records its certificate, and the certificate is
 * handed out only once its notice is gone.
 */
struct store_notice {
	int64_t		 id;		/* set when read */
	const char	*txid;
	const char	*serial;	/* the certificate held back until it
					   is sent; NULL: a failure notice */
	const char	*action;	/* e.g. "successNotification" */
	const char	*body;		/* what to send (JSON text) */
	int64_t		 created_at;
	int64_t		 tried_at;	/* last failed try, 0: none */
	int		 tries;		/* failed tries */
	const char	*last_error;	/* "" or NULL: none */
};

struct store_cert {
	const char		*serial;	/* upper-case hex */
	const char		*subject;
	const char		*sans;
	const char		*template_name;
	const char		*txid;
	const char		*key_id;
	const char		*device_id;	/* NULL when unknown */
	const char		*ca_key;	/* hex key id of the issuing CA */
	int64_t			 not_before;
	int64_t			 not_after;
	const unsigned char	*der;
	size_t			 der_len;
	/* When set, recorded in the same transaction (one commit, one
	 * fsync per enrollment), dropping events older than keep_after. */
	const struct store_event *event;
	int64_t			 event_keep_after;
	/* When set, queued in the outbox in the same transaction (by
	 * store_issue and store_pending_decide alike). */
	const struct store_notice *notice;
};

enum store_rc {
	STORE_OK = 0,
	STORE_ERROR = -1,
	STORE_NOT_FOUND = 1,
	STORE_CLAIM_REFUSED = 2,	/* password already used or expired */
	STORE_SERIAL_TAKEN = 3,
	STORE_TXID_TAKEN = 4,		/* transactionID used with another key */
	STORE_FULL = 5,			/* password cache full */
	STORE_NOT_PENDING = 6,		/* request already decided or expired */
};

/* RFC 5280 CRLReason values mscep-admin revoke accepts. */
#define REVOKE_UNSPECIFIED	0
#define REVOKE_KEY_COMPROMISE	1
#define REVOKE_SUPERSEDED	4
#define REVOKE_CESSATION	5
#define REVOKE_HOLD		6

/*
 * Opens the store of a backend (store_backend.h): "sqlite" (target: the
 * database file) or "postgresql" (target: a libpq connection string or
 * URI). store_open is the SQLite store at path.
 */
int	 store_open_backend(const char *backend, const char *target,
	    struct store **, char *reason, size_t);
int	 store_open(const char *path, struct store **, char *reason, size_t);
/*
 * The store [Store] names: what every worker and mscep-admin command
 * opens. A PostgreSQL store opens while its database is down (every call
 * then fails at once, with the reason, until it is back), but not on a
 * schema this build does not know.
 */
struct config;
int	 store_open_config(const struct config *, struct store **,
	    char *reason, size_t);
/* The backend and target [Store] names, for store migrate and copy:
 * target is the SQLite file or the connection string. */
int	 store_target(const struct config *, const char **backend,
	    char *target, size_t);
/* Brings the store to the schema this build knows (mscep-admin store
 * migrate); *from: the version it had (0: none). */
int	 store_migrate(const char *backend, const char *target, int *from,
	    char *reason, size_t);
/* While held, no other host builds a CRL (PostgreSQL: an advisory lock;
 * SQLite: nothing beyond the CRL file's own lock). */
int	 store_crl_lock(struct store *, int lock);
void	 store_close(struct store *);
/* Every STORE_ERROR a call returns from now on adds one to *counter
 * (NULL: none), e.g. a metrics slot's. */
void	 store_count_errors(struct store *, uint64_t *counter);

/* The certificate already issued for txid, if any, when the key matches. */
enum store_rc store_find_txn(struct store *, const char *txid,
	    const char *key_id, struct buf *der);
enum store_rc store_issue(struct store *, const struct store_cert *,
	    const struct store_claim *);
enum store_rc store_cert_by_serial(struct store *, const char *serial,
	    struct buf *der);
int64_t	 store_count_certs(struct store *);

/* What the store holds at now, for the metrics page and mscep-admin
 * status: counts only, read without a write lock. */
struct store_stats {
	int64_t		 certs;		/* every certificate ever issued */
	int64_t		 revoked;
	int64_t		 valid;		/* not revoked, not expired */
	int64_t		 pending;	/* waiting for approval */
	int64_t		 passwords;	/* one-time passwords not used yet */
	int64_t		 outbox;	/* notices not acknowledged yet */
	int64_t		 last_issued;	/* issued_at of the newest, 0: none */
};
enum store_rc store_stats(struct store *, int64_t now, struct store_stats *);

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

/*
 * Lifecycle (store_life.c): revocation, listing, the CRL's inputs and
 * requests that wait for an administrator.
 */
struct cert_filter {
	const char	*serial;
	const char	*subject;	/* exact, as issue_describe() writes it */
	const char	*subject_also;	/* or this (rows of older versions:
					   "/O=org/CN=name"); NULL: none */
	const char	*device_id;
	const char	*template_name;
	int		 status;	/* 0 any, 1 issued (not expired), 2
					   revoked, 3 expired */
	int64_t		 expires_before;	/* 0: no limit */
	int64_t		 now;
};

struct cert_row {
	const char	*serial;
	const char	*subject;
	const char	*sans;
	const char	*template_name;
	const char	*device_id;	/* "" when unknown */
	int64_t		 not_before;
	int64_t		 not_after;
	int		 revoked;
	int64_t		 revoked_at;
	int		 reason;	/* CRLReason */
	char		 ca_key[41];	/* store_cert_status only: the
					   issuing CA key ("" before v3) */
};

/* Revokes one certificate; *already is set when it was revoked before
 * (time and reason then stay as first recorded). */
enum store_rc store_revoke(struct store *, const char *serial, int reason,
	    int64_t at, int *already);
/* Revokes every unrevoked certificate the filter selects, atomically;
 * a filter selecting nothing but status is refused (STORE_ERROR). */
enum store_rc store_revoke_where(struct store *, const struct cert_filter *,
	    int reason, int64_t at, int64_t *count);
enum store_rc store_list(struct store *, const struct cert_filter *,
	    int (*fn)(const struct cert_row *, void *), void *);
/* Status of serial as OCSP needs it: NOT_FOUND, or OK with row filled
 * (only serial, revoked, revoked_at, reason, not_after, ca_key). */
enum store_rc store_cert_status(struct store *, const char *serial,
	    struct cert_row *row);
/* The revoked certificates of CA key ca_key, for a CRL. */
enum store_rc store_revoked(struct store *, const char *ca_key,
	    int (*fn)(const struct cert_row *, void *), void *);
/* 1 when a revocation happened since the last CRL, 0 if not, -1 error. */
int	 store_crl_dirty(struct store *);
/* The smallest CRL number a published CRL must carry to hold every
 * revocation so far (0: any will do), -1 error. Another host may have
 * built that CRL and cleared the dirty mark: each host compares it with
 * its own files. */
int64_t	 store_crl_wanted(struct store *);
/* After a CRL could not be published: build it again next time. */
enum store_rc store_crl_mark_dirty(struct store *);
/* Takes the next count CRL numbers (*first, first + 1, ...: one for each
 * CA key's CRL) and clears the dirty mark, atomically: a revocation after
 * this leaves the store dirty again. */
enum store_rc store_crl_next(struct store *, int count, int64_t *first);

struct pending_req {
	int64_t			 id;
	const char		*txid;
	const char		*key_id;
	const char		*template_name;
	const char		*subject;
	const char		*sans;
	const char		*requester;
	const char		*device_id;
	const char		*sid;		/* policy's strong mapping */
	const unsigned char	*subject_der;	/* policy's subject, or NULL */
	size_t			 subject_der_len;
	const unsigned char	*csr;		/* DER */
	size_t			 csr_len;
	int64_t			 created_at;
	int64_t			 expires_at;
	const char		*status;	/* pending|approved|denied|expired */
	const char		*serial;	/* approved: the certificate */
};

/* Records a request for approval, consuming the policy's claim with it. */
enum store_rc store_pending_add(struct store *, const struct pending_req *,
	    const struct store_claim *);
/* The request with this transactionID: STORE_TXID_TAKEN when another key
 * sent it. A request past its expiry reads as "expired" (a read only). */
enum store_rc store_pending_find(struct store *, const char *txid,
	    const char *key_id, int64_t now,
	    int (*fn)(const struct pending_req *, void *), void *);
enum store_rc store_pending_get(struct store *, int64_t id, int64_t now,
	    int (*fn)(const struct pending_req *, void *), void *);
/* Requests still waiting, oldest first. */
enum store_rc store_pending_list(struct store *, int64_t now,
	    int (*fn)(const struct pending_req *, void *), void *);
/* Approves id with its certificate, or denies it (cert NULL), only while
 * it is pending and unexpired; STORE_NOT_PENDING otherwise. The decision's
 * event, when given, is recorded in the same transaction (dropping events
 * older than keep_after), so a crash cannot keep one without the other. */
enum store_rc store_pending_decide(struct store *, int64_t id, int64_t now,
	    const struct store_cert *cert, const struct store_event *ev,
	    int64_t keep_after);

/* Queues a notice on its own (a failure notice that could not be sent). */
enum store_rc store_outbox_add(struct store *, const struct store_notice *);
/* The notice holding back certificate serial: OK (fn called) or
 * NOT_FOUND. */
enum store_rc store_outbox_find(struct store *, const char *serial,
	    int (*fn)(const struct store_notice *, void *), void *);
/* Every notice still owed, oldest first; fn != 0 stops. */
enum store_rc store_outbox_list(struct store *,
	    int (*fn)(const struct store_notice *, void *), void *);
/* The service acknowledged notice id: it goes (NOT_FOUND when another
 * sender was first). */
enum store_rc store_outbox_sent(struct store *, int64_t id);
/* Another failed try of notice id, at, and why (for the listing). */
enum store_rc store_outbox_failed(struct store *, int64_t id, int64_t at,
	    const char *error);

#endif
