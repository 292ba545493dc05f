/* load.c - worker processes, their barriers and pacing, the statistics. */
#include "load.h"
#include "common.h"
#include "exchange.h"
#include "options.h"
#include "outcome.h"
#include "request.h"
#include "transport.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum rec_kind { REC_READY = 1, REC_SENT = 2, REC_RESULT = 3 };

/* Worker -> parent record; small enough for an atomic pipe write. */
struct rec {
	int kind;
	int passed;
	int measured;           /* the request was actually sent */
	double t0, t1;
};

static int write_rec(int fd, const struct rec *r)
{
	ssize_t w;

	do
		w = write(fd, r, sizeof *r);
	while (w < 0 && errno == EINTR);
	return w == (ssize_t)sizeof *r;
}

static void wait_go(int go_fd)
{
	char ch;
	ssize_t r;

	/* The parent closes its end when every worker is ready (or done
	 * sending, for the checks): EOF = go. */
	do
		r = read(go_fd, &ch, 1);
	while (r > 0 || (r < 0 && errno == EINTR));
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The timed part: every prepared request goes out, answers are kept. */
static void send_requests(const struct request *rqs, struct reply *rps,
			  double (*t)[2], long count)
{
	struct conn c = { .fd = -1 };

	for (long i = 0; i < count; i++) {
		t[i][0] = now_s();
		if (rqs[i].ready)
			send_one(&c, &rqs[i], &rps[i]);
		t[i][1] = now_s();
		if (opt.pace_ms > 0)
			pause_ms(opt.pace_ms);
	}
	conn_close(&c);
}

/* After the clock: every kept answer is verified and reported. */
static void check_requests(const struct ctx *cx, const struct request *rqs,
			   const struct reply *rps, double (*t)[2], long count,
			   int res_fd)
{
	for (long i = 0; i < count; i++) {
		struct rec rec = { .kind = REC_RESULT };
		struct outcome o;

		rec.t0 = t[i][0];
		rec.t1 = t[i][1];
		if (rqs[i].ready) {
			check_enrollment(cx, &rqs[i], &rps[i], &o);
			rec.measured = 1;
		} else {
			memset(&o, 0, sizeof o);
			set_fail(&o, "request preparation failed");
		}
		rec.passed = judge(&o);
		print_outcome(&rqs[i], &o, (rec.t1 - rec.t0) * 1000.0);
		write_rec(res_fd, &rec);
	}
}

static int worker(const struct ctx *cx, long first, long count, int res_fd,
		  int go_fd, int check_fd)
{
	struct request *rqs = calloc((size_t)count, sizeof *rqs);
	struct reply *rps = calloc((size_t)count, sizeof *rps);
	double (*t)[2] = calloc((size_t)count, sizeof *t);
	struct rec ready = { .kind = REC_READY }, sent = { .kind = REC_SENT };
	int rc = 1;

	if (rqs == NULL || rps == NULL || t == NULL)
		goto out;
	/* All keys and messages exist before the clock starts. */
	for (long i = 0; i < count; i++)
		prepare_request(cx, first + i, &rqs[i]);
	write_rec(res_fd, &ready);
	wait_go(go_fd);
	send_requests(rqs, rps, t, count);
	write_rec(res_fd, &sent);
	wait_go(check_fd);
	check_requests(cx, rqs, rps, t, count, res_fd);
	rc = 0;
out:
	for (long i = 0; rqs != NULL && i < count; i++)
		request_free(&rqs[i]);
	for (long i = 0; rps != NULL && i < count; i++)
		reply_free(&rps[i]);
	free(t);
	free(rps);
	free(rqs);
	return rc;
}

static int read_rec(int fd, struct rec *r)
{
	size_t got = 0;

	while (got < sizeof *r) {
		ssize_t n = read(fd, (char *)r + got, sizeof *r - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

/* Blocks until every live worker has sent a record of this kind or died
 * (a crashed worker must not leave the others waiting forever). */
static void wait_all(int fd, pid_t *pids, long j, int kind, const char *phase)
{
	long got = 0, dead = 0, alive = 0;

	for (long w = 0; w < j; w++)
		alive += pids[w] > 0;
	while (got + dead < alive) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct rec r;

		if (poll(&pfd, 1, 500) > 0) {
			if (!read_rec(fd, &r))
				return;
			got += r.kind == kind;
			continue;
		}
		for (long w = 0; w < j; w++)
			if (pids[w] > 0 && waitpid(pids[w], NULL, WNOHANG) == pids[w]) {
				fprintf(stderr, "scepcli: worker %ld died while %s\n",
					w, phase);
				pids[w] = -1;
				dead++;
			}
	}
}

struct stats {
	long passed, results;
	double *lat;
	size_t nlat;
	double t_first, t_last;
};

static void collect(int fd, struct stats *st)
{
	struct rec r;

	while (read_rec(fd, &r)) {
		if (r.kind != REC_RESULT)
			continue;
		st->results++;
		st->passed += r.passed;
		if (!r.measured)
			continue;
		st->lat[st->nlat++] = (r.t1 - r.t0) * 1000.0;
		if (st->nlat == 1 || r.t0 < st->t_first)
			st->t_first = r.t0;
		if (st->nlat == 1 || r.t1 > st->t_last)
			st->t_last = r.t1;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v. */
static double percentile(const double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0.0;
	rank = (size_t)(p * (double)n);
	if ((double)rank < p * (double)n)
		rank++;
	if (rank == 0)
		rank = 1;
	return v[rank - 1];
}

static void print_summary(struct stats *st)
{
	double el = st->t_last - st->t_first;

	qsort(st->lat, st->nlat, sizeof *st->lat, cmp_double);
	printf("%ld passed, %ld failed\n", st->passed, opt.n - st->passed);
	printf("enrollments/s=%.2f p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f\n",
	       el > 0 ? (double)st->nlat / el : 0.0,
	       percentile(st->lat, st->nlat, 0.50),
	       percentile(st->lat, st->nlat, 0.95),
	       percentile(st->lat, st->nlat, 0.99));
	fflush(stdout);
}

/* Child side of fork(): runs worker w's share with the inherited fds. */
static int child_main(const struct ctx *cx, long w, int res_fd, int go_fd,
		      int check_fd)
{
	long base = opt.n / opt.j, extra = opt.n % opt.j;
	long first = w * base + (w < extra ? w : extra);
	long count = base + (w < extra);

	return worker(cx, first, count, res_fd, go_fd, check_fd);
}

/* Forks the workers. Returns the worker index in a child, -1 in the
 * parent, -2 if fork failed. */
static long spawn_workers(pid_t *pids)
{
	/* Unflushed stdio would otherwise be duplicated into every child. */
	fflush(stdout);
	fflush(stderr);
	for (long w = 0; w < opt.j; w++) {
		pids[w] = fork();
		if (pids[w] < 0) {
			perror("scepcli: fork");
			return -2;
		}
		if (pids[w] == 0)
			return w;
	}
	return -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Parent side: barriers, clock, results. */
static int parent_main(pid_t *pids, int res[2], int go[2], int chk[2],
		       double t_prep)
{
	struct stats st = { 0 };
	double t_go;

	close_fd(&res[1]);
	close_fd(&go[0]);
	close_fd(&chk[0]);
	if ((st.lat = calloc((size_t)opt.n, sizeof *st.lat)) == NULL) {
		perror("scepcli: calloc");
		return 2;
	}
	wait_all(res[0], pids, opt.j, REC_READY, "preparing");
	t_go = now_s();
	fprintf(stderr, "scepcli: prepared %ld requests in %.1fs, %ld workers\n",
		opt.n, t_go - t_prep, opt.j);
	close_fd(&go[1]);       /* EOF on the go pipe starts the clock */
	wait_all(res[0], pids, opt.j, REC_SENT, "sending");
	fprintf(stderr, "scepcli: sent in %.1fs; checking every reply\n",
		now_s() - t_go);
	close_fd(&chk[1]);      /* the clock has stopped: verify */
	collect(res[0], &st);
	print_summary(&st);
	free(st.lat);
	return st.passed == opt.n ? 0 : 1;
}

/* In a worker process this returns too (after its share), so that every
 * process unwinds and frees through the normal path. */
int run_workers(const struct ctx *cx)
{
	int res[2] = { -1, -1 }, go[2] = { -1, -1 }, chk[2] = { -1, -1 }, rc = 2;
	pid_t *pids = calloc((size_t)opt.j, sizeof *pids);
	double t_prep = now_s();
	long w = -2;

	if (pids == NULL || pipe(res) != 0 || pipe(go) != 0 || pipe(chk) != 0) {
		perror("scepcli: setup");
		goto out;
	}
	w = spawn_workers(pids);
	if (w >= 0) {
		close_fd(&res[0]);
		close_fd(&go[1]);
		close_fd(&chk[1]);
		rc = child_main(cx, w, res[1], go[0], chk[0]);
	} else if (w == -1) {
		rc = parent_main(pids, res, go, chk, t_prep);
	}
out:
	for (int i = 0; i < 2; i++) {
		close_fd(&res[i]);
		close_fd(&go[i]);
		close_fd(&chk[i]);
	}
	/* Only the parent reaps; in a child pids[] lists siblings. After a
	 * failed fork the workers already started must not run unobserved. */
	for (long k = 0; w < 0 && pids != NULL && k < opt.j; k++) {
		if (pids[k] > 0 && w == -2)
			kill(pids[k], SIGTERM);
		if (pids[k] > 0)
			waitpid(pids[k], NULL, 0);
	}
	free(pids);
	return rc;
}
