/*
 * metrics.h - request counters every worker adds to and one scrape sums.
 * Workers are separate processes (mscep's supervisor or the web server
 * starts them), so the counters live in one file in the state folder that
 * each maps shared: a worker owns one slot (an OFD lock on its bytes,
 * released by the kernel when the worker dies) and adds to plain 64-bit
 * counters in it, with no lock and no fsync per request. A slot keeps its
 * counts when its worker exits, so the next owner continues them and the
 * sums never go back. The scrape adds every slot up.
 */
#ifndef MSCEP_METRICS_H
#define MSCEP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* In StateDir; the layout's version is in the name: a build with
 * another layout never reads these counts as its own. */
#define METRICS_FILE	"metrics-1.slots"
#define METRICS_SLOTS	128
#define METRICS_NETS_MAX 16

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
	uint64_t	 store_errors;
	uint64_t	 owner;		/* pid of the last owner */
};

/* One request, as route.c classifies it. */
struct metrics_mark {
	enum metrics_op		 op;
	enum metrics_msg	 msg;
	enum metrics_result	 result;	/* MRES_COUNT: from HTTP */
	int			 fail;		/* -1: none, else failInfo */
};

/* A worker's view of the file: all slots mapped, one of them its own. */
struct metrics {
	struct metrics_slot	*slots;		/* NULL: not counting */
	struct metrics_slot	*mine;
	int			 fd;
	int			 slot;
};

/*
 * Maps path (created 0600, grown to size) and takes a free slot. -1 with
 * reason when the file cannot be used or every slot has an owner; m is
 * then a valid handle that counts nothing.
 */
int	 metrics_open(const char *path, struct metrics *, char *reason,
	    size_t);
void	 metrics_close(struct metrics *);
/* No-ops on a handle that counts nothing. */
void	 metrics_request(struct metrics *, const struct metrics_mark *,
	    double seconds);
void	 metrics_policy_call(struct metrics *, enum metrics_policy);
void	 metrics_store_error(struct metrics *);
/* Every slot added into sum. */
void	 metrics_sum(const struct metrics *, struct metrics_slot *sum);

/* The text exposition format (version 0.0.4), appended to out. */
int	 metrics_render_counts(const struct metrics_slot *, struct buf *);
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
