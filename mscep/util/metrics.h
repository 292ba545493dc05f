/*
 * metrics.h - request counters every worker adds to and one scrape sums.
 * Workers are separate processes (mscep's supervisor or the web server
 * starts them), so the counters live in one file in the state folder that
 * each maps shared: a worker owns one slot (an OFD lock on its bytes,
 * released by the kernel when the worker dies) and adds to plain 64-bit
 * counters in it, with no lock and no fsync per request. A slot keeps its
 * counts when its worker exits, so the next owner continues them and the
 * sums never go back. The scrape adds every slot up. After the slots, the
 * file names the templates the enrollment counters count by: a worker
 * adds its configuration's names there once, at start, under a lock on
 * that table; a name keeps its index for the file's life, so a reload
 * that reorders or drops templates never relabels counts.
 */
#ifndef MSCEP_METRICS_H
#define MSCEP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* In StateDir; the layout's version is in the name: a build with
 * another layout never reads these counts as its own. */
#define METRICS_FILE	"metrics-2.slots"
#define METRICS_SLOTS	128
#define METRICS_NETS_MAX 16
/* Template names the file holds, over every configuration it has seen
 * (at least TEMPLATES_MAX); a name past them counts as "other". */
#define METRICS_TEMPLATES 32
#define METRICS_NAME_MAX 64

/* Label values, in the order of the names in metrics.c. */
enum metrics_op {
	MOP_GETCACAPS, MOP_GETCACERT, MOP_GETNEXTCACERT, MOP_PKIOPERATION,
	MOP_OCSP, MOP_PASSWORDPAGE, MOP_METRICS, MOP_OTHER, MOP_COUNT
};
enum metrics_msg {
	MMSG_NONE, MMSG_PKCSREQ, MMSG_RENEWALREQ, MMSG_CERTPOLL,
	MMSG_GETCERT, MMSG_GETCRL, MMSG_OTHER, MMSG_COUNT
};
/* SCEP's pkiStatus for a CertRep, else the HTTP status's class. */
enum metrics_result {
	MRES_SUCCESS, MRES_PENDING, MRES_FAILURE, MRES_OK, MRES_REFUSED,
	MRES_ERROR, MRES_COUNT
};
/* none, then RFC 8894's failInfo values 0..4 shifted by one. */
#define METRICS_FAIL_COUNT	6
/*
 * The named reason of a refused enrollment: the audit stream's code
 * (Intune's words where Intune has one). A fixed list, so that a label
 * never takes a value from the network; any other code is "other".
 */
enum metrics_reason {
	MRSN_NONE,
	MRSN_CHALLENGE_MISSING, MRSN_CHALLENGE_DECODING,
	MRSN_CHALLENGE_DECRYPTION, MRSN_CHALLENGE_DESERIALIZATION,
	MRSN_CHALLENGE_TIMESTAMP, MRSN_CHALLENGE_EXPIRED,
	MRSN_CHALLENGE_REPLAYED, MRSN_SIGNATURE, MRSN_SUBJECT_MISSING,
	MRSN_SUBJECT_MISMATCH, MRSN_SAN_MISSING, MRSN_SAN_MISMATCH,
	MRSN_KEY_USAGE, MRSN_PROFILE, MRSN_SID, MRSN_CSR_DECODING,
	MRSN_REJECTED, MRSN_DENIED, MRSN_PASSWORD, MRSN_POLICY,
	MRSN_VERIFIER_REFUSED, MRSN_VERIFIER_TIMEOUT, MRSN_INTUNE_TIMEOUT,
	MRSN_INTUNE_UNREACHABLE, MRSN_INTUNE_ERROR, MRSN_STORE, MRSN_SERVER,
	MRSN_UNKNOWN, MRSN_OTHER, MRSN_COUNT
};
/* The enrollment messages, the ones with a template. */
#define METRICS_ENROLL_MSGS	3	/* PKCSReq, RenewalReq, CertPoll */
/* none, the file's names, other */
#define METRICS_TMPL_COUNT	(METRICS_TEMPLATES + 2)
/* SUCCESS, PENDING, then FAILURE with each reason but none */
#define METRICS_OUTCOMES	(MRSN_COUNT + 1)
enum metrics_policy {
	MPOL_ALLOW, MPOL_DENY, MPOL_ERROR, MPOL_COUNT
};
/* Upper bounds in seconds; the last bucket is +Inf. */
#define METRICS_BUCKETS		12

/* One worker's counts; the file is METRICS_SLOTS of them. */
struct metrics_slot {
	uint64_t	 requests[MOP_COUNT][MMSG_COUNT][MRES_COUNT]
			    [METRICS_FAIL_COUNT];
	uint64_t	 buckets[MOP_COUNT][METRICS_BUCKETS];	/* not
							   cumulative */
	uint64_t	 duration_us[MOP_COUNT];
	uint64_t	 policy_calls[MPOL_COUNT];
	uint64_t	 enrollments[METRICS_ENROLL_MSGS][METRICS_TMPL_COUNT]
			    [METRICS_OUTCOMES];
	uint64_t	 store_errors;
	uint64_t	 owner;		/* pid of the last owner */
};

/* One request, as route.c classifies it. */
struct metrics_mark {
	enum metrics_op		 op;
	enum metrics_msg	 msg;
	enum metrics_result	 result;	/* MRES_COUNT: from HTTP */
	int			 fail;		/* -1: none, else failInfo */
	int			 tmpl;		/* -1: none, else the index in
						   the configuration (metrics_
						   template_add) */
	enum metrics_reason	 reason;	/* FAILURE: why */
};

/* A worker's view of the file: all slots mapped, one of them its own. */
struct metrics {
	struct metrics_slot	*slots;		/* NULL: not counting */
	struct metrics_slot	*mine;
	int			 fd;
	int			 slot;
	int			 tmpl[METRICS_TEMPLATES];	/* configuration's
						   index -> the file's, 0: none */
};

/*
 * Maps path (created 0600, grown to size) and takes a free slot. -1 with
 * reason when the file cannot be used or every slot has an owner; m is
 * then a valid handle that counts nothing.
 */
int	 metrics_open(const char *path, struct metrics *, char *reason,
	    size_t);
void	 metrics_close(struct metrics *);
/*
 * Template i of the configuration is called name: finds it in the file's
 * table or adds it there, under a lock on the table (at worker start,
 * never per request). With the table full it counts as "other".
 */
void	 metrics_template_add(struct metrics *, int i, const char *name);
/* The reason for a code (the audit stream's); MRSN_OTHER if unlisted. */
enum metrics_reason metrics_reason(const char *code);
/* No-ops on a handle that counts nothing. */
void	 metrics_request(struct metrics *, const struct metrics_mark *,
	    double seconds);
void	 metrics_policy_call(struct metrics *, enum metrics_policy);
void	 metrics_store_error(struct metrics *);
/* Every slot added into sum. */
void	 metrics_sum(const struct metrics *, struct metrics_slot *sum);

/* The text exposition format (version 0.0.4), appended to out; m names
 * the templates (NULL: none are named). */
int	 metrics_render_counts(const struct metrics *m,
	    const struct metrics_slot *, struct buf *);
/* "# HELP" and "# TYPE" lines, then one sample without labels. */
int	 metrics_gauge(struct buf *, const char *name, const char *type,
	    const char *help, double value);
/* A sample of a family whose HELP and TYPE were written already. */
int	 metrics_sample(struct buf *, const char *name, const char *labels,
	    double value);
int	 metrics_printf(struct buf *, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 2, 3)));

/* Who may scrape: addresses and CIDR blocks (AllowFrom). */
struct metrics_net {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 prefix;	/* bits */
};
struct metrics_allow {
	struct metrics_net nets[METRICS_NETS_MAX];
	int		 n;
};
/* Adds "192.0.2.7", "10.0.0.0/8" or "::1"; -1 with reason when it is
 * none of these or the list is full. */
int	 metrics_allow_add(struct metrics_allow *, const char *item,
	    char *reason, size_t);
/* 1 when addr (REMOTE_ADDR; an IPv4-mapped IPv6 address is the IPv4
 * one) is in the list. */
int	 metrics_allowed(const struct metrics_allow *, const char *addr);

#endif
