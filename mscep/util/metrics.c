/* metrics.c - per-worker counter slots in one shared file, summed and rendered. */
#include "util/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/num.h"

static const char *const op_names[MOP_COUNT] = {
	"GetCACaps", "GetCACert", "GetNextCACert", "PKIOperation", "OCSP",
	"PasswordPage", "Metrics", "Other"
};
static const char *const msg_names[MMSG_COUNT] = {
	"none", "PKCSReq", "RenewalReq", "CertPoll", "GetCert", "GetCRL",
	"other"
};
static const char *const result_names[MRES_COUNT] = {
	"SUCCESS", "PENDING", "FAILURE", "ok", "refused", "error"
};
static const char *const fail_names[METRICS_FAIL_COUNT] = {
	"none", "badAlg", "badMessageCheck", "badRequest", "badTime",
	"badCertId"
};
/* Intune's and the challenge policy's codes first, then mscep's own. */
static const char *const reason_names[MRSN_COUNT] = {
	"none", "ChallengePasswordMissing", "ChallengeDecodingError",
	"ChallengeDecryptionError", "ChallengeDeserializationError",
	"ChallengeInvalidTimestamp", "ChallengeExpired", "ChallengeReplayed",
	"SignatureValidationFailed", "SubjectNameMissing",
	"SubjectNameMismatch", "SubjectAltNameMissing",
	"SubjectAltNameMismatch", "KeyUsageMismatch", "ScepProfileMismatch",
	"SidMalformed", "CertificateRequestDecodingFailed",
	"CertificateRequestRejected", "CertificateRequestDenied",
	"PasswordRejected", "PolicyRefused", "VerifierRefused",
	"VerifierTimeout", "IntuneTimeout", "IntuneUnreachable", "IntuneError",
	"StoreError", "ServerError", "Unknown", "other"
};
static const char *const policy_names[MPOL_COUNT] = {
	"allow", "deny", "error"
};
static const double bucket_le[METRICS_BUCKETS - 1] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

/* The template names, after the slots. */
typedef char metrics_name[METRICS_NAME_MAX];
#define NAMES_AT	(METRICS_SLOTS * sizeof(struct metrics_slot))
#define FILE_SIZE	(NAMES_AT + METRICS_TEMPLATES * sizeof(metrics_name))

static metrics_name *
names_of(const struct metrics *m)
{
	return (metrics_name *)(void *)((char *)m->slots + NAMES_AT);
}

/* An OFD lock of type (F_WRLCK, F_UNLCK) on len bytes at start. */
static int
range_lock(int fd, int cmd, short type, size_t start, size_t len)
{
	struct flock	 fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)start;
	fl.l_len = (off_t)len;
	return fcntl(fd, cmd, &fl);
}

/* An OFD lock on slot i's bytes, without waiting: 0 when it is ours. */
static int
slot_lock(int fd, int i)
{
	return range_lock(fd, F_OFD_SETLK, F_WRLCK,
	    (size_t)i * sizeof(struct metrics_slot),
	    sizeof(struct metrics_slot));
}

int
metrics_open(const char *path, struct metrics *m, char *reason, size_t rlen)
{
	size_t		 size = FILE_SIZE;
	struct stat	 sb;
	void		*p;

	memset(m, 0, sizeof(*m));
	m->slot = -1;
	if ((m->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0 || fstat(m->fd, &sb) != 0 ||
	    ((size_t)sb.st_size < size && ftruncate(m->fd, (off_t)size) != 0)) {
		snprintf(reason, rlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (p == MAP_FAILED) {
		snprintf(reason, rlen, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	m->slots = p;
	for (m->slot = 0; m->slot < METRICS_SLOTS; m->slot++)
		if (slot_lock(m->fd, m->slot) == 0)
			break;
	if (m->slot == METRICS_SLOTS) {
		snprintf(reason, rlen, "%s: all %d slots have a worker", path,
		    METRICS_SLOTS);
		goto fail;
	}
	m->mine = &m->slots[m->slot];
	m->mine->owner = (uint64_t)getpid();
	return 0;
fail:
	metrics_close(m);
	return -1;
}

void
metrics_close(struct metrics *m)
{
	if (m->slots != NULL)
		munmap(m->slots, FILE_SIZE);
	if (m->fd > 0)
		close(m->fd);	/* releases the slot's lock */
	memset(m, 0, sizeof(*m));
	m->slot = -1;
}

void
metrics_template_add(struct metrics *m, int i, const char *name)
{
	metrics_name	*names;
	int		 k;

	if (m->slots == NULL || i < 0 || i >= METRICS_TEMPLATES)
		return;
	names = names_of(m);
	m->tmpl[i] = METRICS_TEMPLATES + 1;	/* other */
	if (strlen(name) >= METRICS_NAME_MAX || range_lock(m->fd,
	    F_OFD_SETLKW, F_WRLCK, NAMES_AT, FILE_SIZE - NAMES_AT) != 0)
		return;
	for (k = 0; k < METRICS_TEMPLATES && names[k][0] != '\0'; k++)
		if (strcmp(names[k], name) == 0)
			break;
	if (k < METRICS_TEMPLATES && names[k][0] == '\0')
		memcpy(names[k], name, strlen(name) + 1);
	if (k < METRICS_TEMPLATES)
		m->tmpl[i] = k + 1;
	range_lock(m->fd, F_OFD_SETLK, F_UNLCK, NAMES_AT,
	    FILE_SIZE - NAMES_AT);
}

enum metrics_reason
metrics_reason(const char *code)
{
	int	 r;

	for (r = MRSN_NONE + 1; r < MRSN_OTHER; r++)
		if (strcmp(code, reason_names[r]) == 0)
			return (enum metrics_reason)r;
	return MRSN_OTHER;
}

static int
bucket_of(double seconds)
{
	int	 i;

	for (i = 0; i < METRICS_BUCKETS - 1; i++)
		if (seconds <= bucket_le[i])
			return i;
	return METRICS_BUCKETS - 1;
}

/* A PKCSReq, RenewalReq or CertPoll by template and outcome. */
static void
count_enrollment(struct metrics *m, const struct metrics_mark *k)
{
	int	 g, t, o;

	switch (k->msg) {
	case MMSG_PKCSREQ: g = 0; break;
	case MMSG_RENEWALREQ: g = 1; break;
	case MMSG_CERTPOLL: g = 2; break;
	default: return;
	}
	if (k->op != MOP_PKIOPERATION)
		return;
	if (k->result == MRES_SUCCESS)
		o = 0;
	else if (k->result == MRES_PENDING)
		o = 1;
	else if (k->result == MRES_FAILURE)
		o = 1 + (k->reason > MRSN_NONE && k->reason < MRSN_COUNT ?
		    (int)k->reason : MRSN_OTHER);
	else
		return;
	t = k->tmpl >= 0 && k->tmpl < METRICS_TEMPLATES ? m->tmpl[k->tmpl] :
	    0;
	m->mine->enrollments[g][t][o]++;
}

void
metrics_request(struct metrics *m, const struct metrics_mark *k,
    double seconds)
{
	int	 fail = k->fail < 0 || k->fail >= METRICS_FAIL_COUNT - 1 ? 0 :
		    k->fail + 1;

	if (m->mine == NULL || k->op >= MOP_COUNT || k->msg >= MMSG_COUNT ||
	    k->result >= MRES_COUNT)
		return;
	if (seconds < 0)
		seconds = 0;
	m->mine->requests[k->op][k->msg][k->result][fail]++;
	m->mine->buckets[k->op][bucket_of(seconds)]++;
	m->mine->duration_us[k->op] += (uint64_t)(seconds * 1e6);
	count_enrollment(m, k);
}

void
metrics_policy_call(struct metrics *m, enum metrics_policy p)
{
	if (m->mine != NULL && p < MPOL_COUNT)
		m->mine->policy_calls[p]++;
}

void
metrics_store_error(struct metrics *m)
{
	if (m->mine != NULL)
		m->mine->store_errors++;
}

/* The slot as one array of counters: the sum needs no field names. */
void
metrics_sum(const struct metrics *m, struct metrics_slot *sum)
{
	size_t		 n = offsetof(struct metrics_slot, owner) /
			    sizeof(uint64_t), i;
	int		 s;
	uint64_t	*out = (uint64_t *)sum;

	memset(sum, 0, sizeof(*sum));
	if (m->slots == NULL)
		return;
	for (s = 0; s < METRICS_SLOTS; s++) {
		const uint64_t *in = (const uint64_t *)&m->slots[s];
		/* Never owned: nothing counted (most of the file). */
		if (__atomic_load_n(&m->slots[s].owner, __ATOMIC_RELAXED) == 0)
			continue;
		for (i = 0; i < n; i++)
			out[i] += __atomic_load_n(&in[i], __ATOMIC_RELAXED);
	}
}

int
metrics_printf(struct buf *b, const char *fmt, ...)
{
	char	 line[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return buf_append(b, line, (size_t)n);
}

int
metrics_sample(struct buf *b, const char *name, const char *labels,
    double value)
{
	return metrics_printf(b, "%s%s%s%s %.9g\n", name,
	    labels != NULL ? "{" : "", labels != NULL ? labels : "",
	    labels != NULL ? "}" : "", value);
}

static int
family(struct buf *b, const char *name, const char *type, const char *help)
{
	return metrics_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

int
metrics_gauge(struct buf *b, const char *name, const char *type,
    const char *help, double value)
{
	if (family(b, name, type, help) != 0)
		return -1;
	return metrics_sample(b, name, NULL, value);
}

/* Only the label combinations that happened: most never do. */
static int
render_requests(const struct metrics_slot *s, struct buf *b)
{
	char	 labels[160];
	int	 o, g, r, f, rc = family(b, "mscep_requests_total", "counter",
		    "Requests answered, by operation, SCEP message type, "
		    "result and failInfo.");

	for (o = 0; o < MOP_COUNT; o++)
	for (g = 0; g < MMSG_COUNT; g++)
	for (r = 0; r < MRES_COUNT; r++)
	for (f = 0; f < METRICS_FAIL_COUNT; f++) {
		if (s->requests[o][g][r][f] == 0)
			continue;
		snprintf(labels, sizeof(labels), "operation=\"%s\","
		    "message_type=\"%s\",result=\"%s\",fail_info=\"%s\"",
		    op_names[o], msg_names[g], result_names[r], fail_names[f]);
		rc |= metrics_sample(b, "mscep_requests_total", labels,
		    (double)s->requests[o][g][r][f]);
	}
	return rc;
}

/* A label value as the text format wants it: \\, \" and \n escaped. */
static void
label_value(const char *in, char *out, size_t len)
{
	size_t	 n = 0;

	for (; *in != '\0' && n + 3 < len; in++) {
		if (*in == '\\' || *in == '"' || *in == '\n')
			out[n++] = '\\';
		out[n++] = *in == '\n' ? 'n' : *in;
	}
	out[n] = '\0';
}

/* Template t's label value: none, a name of the file's table, other. */
static void
template_label(const struct metrics *m, int t, char *out, size_t len)
{
	const char	*name = t == 0 ? "none" : "other";
	metrics_name	 copy;

	if (m != NULL && m->slots != NULL && t > 0 && t <= METRICS_TEMPLATES) {
		memcpy(copy, names_of(m)[t - 1], sizeof(copy));
		copy[sizeof(copy) - 1] = '\0';
		if (copy[0] != '\0')
			name = copy;
	}
	label_value(name, out, len);
}

/* Enrollments by message type, template, result and reason; only the
 * combinations that happened. */
static int
render_enrollments(const struct metrics *m, const struct metrics_slot *s,
    struct buf *b)
{
	static const int msgs[METRICS_ENROLL_MSGS] = { MMSG_PKCSREQ,
	    MMSG_RENEWALREQ, MMSG_CERTPOLL };
	const char	*name = "mscep_enrollments_total", *res;
	char		 labels[320], tmpl[2 * METRICS_NAME_MAX];
	int		 g, t, o, r, rc = family(b, name, "counter",
			    "Enrollment requests (PKCSReq, RenewalReq, "
			    "CertPoll) answered, by template, result and the "
			    "named reason of a FAILURE.");

	for (g = 0; g < METRICS_ENROLL_MSGS; g++)
	for (t = 0; t < METRICS_TMPL_COUNT; t++)
	for (o = 0; o < METRICS_OUTCOMES; o++) {
		if (s->enrollments[g][t][o] == 0)
			continue;
		res = o == 0 ? "SUCCESS" : o == 1 ? "PENDING" : "FAILURE";
		r = o < 2 ? MRSN_NONE : o - 1;
		template_label(m, t, tmpl, sizeof(tmpl));
		snprintf(labels, sizeof(labels), "message_type=\"%s\","
		    "template=\"%s\",result=\"%s\",reason=\"%s\"",
		    msg_names[msgs[g]], tmpl, res, reason_names[r]);
		rc |= metrics_sample(b, name, labels,
		    (double)s->enrollments[g][t][o]);
	}
	return rc;
}

static int
render_histogram(const struct metrics_slot *s, struct buf *b, int o)
{
	const char	*h = "mscep_request_duration_seconds";
	char		 labels[96], name[64];
	uint64_t	 n = 0;
	int		 i, rc = 0;

	for (i = 0; i < METRICS_BUCKETS; i++) {
		n += s->buckets[o][i];
		if (i < METRICS_BUCKETS - 1)
			snprintf(labels, sizeof(labels), "operation=\"%s\","
			    "le=\"%g\"", op_names[o], bucket_le[i]);
		else
			snprintf(labels, sizeof(labels), "operation=\"%s\","
			    "le=\"+Inf\"", op_names[o]);
		snprintf(name, sizeof(name), "%s_bucket", h);
		rc |= metrics_sample(b, name, labels, (double)n);
	}
	snprintf(labels, sizeof(labels), "operation=\"%s\"", op_names[o]);
	snprintf(name, sizeof(name), "%s_sum", h);
	rc |= metrics_sample(b, name, labels, s->duration_us[o] / 1e6);
	snprintf(name, sizeof(name), "%s_count", h);
	rc |= metrics_sample(b, name, labels, (double)n);
	return rc;
}

int
metrics_render_counts(const struct metrics *m, const struct metrics_slot *s,
    struct buf *b)
{
	char	 labels[64];
	int	 o, i, rc = render_requests(s, b);

	rc |= render_enrollments(m, s, b);
	rc |= family(b, "mscep_request_duration_seconds", "histogram",
	    "Time from the request's routing to its answer, by operation.");
	for (o = 0; o < MOP_COUNT; o++) {
		for (i = 0; i < METRICS_BUCKETS && s->buckets[o][i] == 0; i++)
			;
		if (i < METRICS_BUCKETS)
			rc |= render_histogram(s, b, o);
	}
	rc |= family(b, "mscep_policy_calls_total", "counter",
	    "Calls to an external policy (Intune, VerifierCommand), by "
	    "outcome.");
	for (i = 0; i < MPOL_COUNT; i++) {
		snprintf(labels, sizeof(labels), "outcome=\"%s\"",
		    policy_names[i]);
		rc |= metrics_sample(b, "mscep_policy_calls_total", labels,
		    (double)s->policy_calls[i]);
	}
	rc |= metrics_gauge(b, "mscep_store_errors_total", "counter",
	    "Requests that failed on a store error.",
	    (double)s->store_errors);
	return rc;
}

/* The leading bits of a and b agree. */
static int
prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int	 whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return 0;
	return rest == 0 || ((a[whole] ^ b[whole]) &
	    (unsigned char)(0xff << (8 - rest))) == 0;
}

int
metrics_allow_add(struct metrics_allow *a, const char *item, char *reason,
    size_t rlen)
{
	struct metrics_net	 net;
	char			 host[64];
	const char		*slash = strchr(item, '/'), *why;
	size_t			 n = slash ? (size_t)(slash - item) :
				    strlen(item);

	memset(&net, 0, sizeof(net));
	if (a->n >= METRICS_NETS_MAX) {
		snprintf(reason, rlen, "at most %d addresses or networks",
		    METRICS_NETS_MAX);
		return -1;
	}
	if (n >= sizeof(host))
		goto bad;
	memcpy(host, item, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, net.addr) == 1)
		net.family = AF_INET;
	else if (inet_pton(AF_INET6, host, net.addr) == 1)
		net.family = AF_INET6;
	else
		goto bad;
	net.prefix = net.family == AF_INET ? 32 : 128;
	if (slash != NULL && num_int(slash + 1, 0, net.prefix, &net.prefix,
	    &why) != 0) {
		snprintf(reason, rlen, "\"%s\": prefix length %s (0 to %d)",
		    item, why, net.family == AF_INET ? 32 : 128);
		return -1;
	}
	a->nets[a->n++] = net;
	return 0;
bad:
	snprintf(reason, rlen, "\"%s\": not an IPv4 or IPv6 address, with or "
	    "without /prefix", item);
	return -1;
}

int
metrics_allowed(const struct metrics_allow *a, const char *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	unsigned char	 v6[16], v4[4];
	int		 is4, is6, i;

	if (addr == NULL)
		return 0;
	is4 = inet_pton(AF_INET, addr, v4) == 1;
	is6 = !is4 && inet_pton(AF_INET6, addr, v6) == 1;
	if (is6 && memcmp(v6, mapped, sizeof(mapped)) == 0) {
		memcpy(v4, v6 + 12, 4);
		is4 = 1;
	}
	for (i = 0; i < a->n; i++) {
		const struct metrics_net *n = &a->nets[i];
		if ((n->family == AF_INET && is4 &&
		    prefix_equal(n->addr, v4, n->prefix)) ||
		    (n->family == AF_INET6 && is6 &&
		    prefix_equal(n->addr, v6, n->prefix)))
			return 1;
	}
	return 0;
}
