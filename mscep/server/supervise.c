/* supervise.c - listen socket set-up and the pre-forked worker pool. */
#include "server/supervise.h"
#include "util/log.h"
#include "util/num.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QUICK_SECONDS	2	/* a death this soon after start is a crash loop */
#define QUICK_MAX	5
#define STOP_SECONDS	10	/* grace before SIGKILL at shutdown */

static int
listen_unix(const char *path, const char *group, char *reason, size_t rlen)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct stat		 st;
	struct group		*gr = NULL;
	int			 fd;

	if (group != NULL && (gr = getgrnam(group)) == NULL) {
		snprintf(reason, rlen, "-g %s: no such group", group);
		return -1;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(reason, rlen, "%s: socket path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	/* A socket left by a previous run; never remove anything else. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(path, 0660) != 0 ||
	    (gr != NULL && chown(path, (uid_t)-1, gr->gr_gid) != 0) ||
	    listen(fd, 128) != 0) {
		snprintf(reason, rlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
listen_tcp(const char *addr, char *reason, size_t rlen)
{
	struct addrinfo	 hints = { .ai_socktype = SOCK_STREAM,
			    .ai_flags = AI_PASSIVE }, *ai = NULL;
	char		 host[256];
	const char	*colon = strrchr(addr, ':');
	int		 fd = -1, on = 1, rc;

	if (colon == NULL || colon == addr ||
	    (size_t)(colon - addr) >= sizeof(host)) {
		snprintf(reason, rlen, "%s: use /path/to.sock or host:port "
		    "(a host is required: FastCGI has no authentication)",
		    addr);
		return -1;
	}
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	if ((rc = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		snprintf(reason, rlen, "%s: %s", addr, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 128) != 0) {
		snprintf(reason, rlen, "%s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* 1 when systemd passed this process its socket (sd_listen_fds(3)). */
static int
systemd_socket(void)
{
	long long	 pid, n;

	return num_parse(getenv("LISTEN_PID"), 1, INT_MAX, &pid, NULL) == 0 &&
	    pid == (long long)getpid() &&
	    num_parse(getenv("LISTEN_FDS"), 1, INT_MAX, &n, NULL) == 0;
}

int
supervise_listen_socket(const char *addr, const char *group, char *reason,
    size_t rlen)
{
	int		 fd, on = 0;
	socklen_t	 len = sizeof(on);

	if (systemd_socket())
		fd = 3;		/* SD_LISTEN_FDS_START */
	else if (addr != NULL)
		fd = addr[0] == '/' ? listen_unix(addr, group, reason, rlen) :
		    listen_tcp(addr, reason, rlen);
	else
		fd = 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (fd < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0 || !on) {
		snprintf(reason, rlen, "no FastCGI listen socket: give -s "
		    "PATH|HOST:PORT, or start under systemd (mscep.socket) or "
		    "spawn-fcgi");
		return -1;
	}
	if (fd != 0 && (dup2(fd, 0) != 0 || close(fd) != 0)) {
		snprintf(reason, rlen, "dup2: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct slot {
	pid_t	 pid;
	time_t	 started;
	int	 stopping;	/* we asked it to go */
};

static pid_t
spawn(struct slot *s, int (*work)(void *), void *arg)
{
	sigset_t	 none;
	pid_t		 pid;

	if ((pid = fork()) == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		exit(work(arg));
	}
	if (pid < 0)
		log_errx("fork: %s", strerror(errno));
	s->pid = pid;
	s->started = time(NULL);
	s->stopping = 0;
	return pid;
}

static void
describe(int status, char *out, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(out, size, "was killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(out, size, "exited with status %d",
		    WEXITSTATUS(status));
}

/* Signals every live worker, then waits up to STOP_SECONDS for them. */
static void
stop_all(struct slot *pool, int n, const sigset_t *set)
{
	struct timespec	 left = { STOP_SECONDS, 0 };
	time_t		 deadline = time(NULL) + STOP_SECONDS;
	int		 i, alive, status;
	pid_t		 pid;

	for (i = 0; i < n; i++)
		if (pool[i].pid > 0)
			kill(pool[i].pid, SIGTERM);
	for (;;) {
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			for (i = 0; i < n; i++)
				if (pool[i].pid == pid)
					pool[i].pid = 0;
		for (i = 0, alive = 0; i < n; i++)
			alive += pool[i].pid > 0;
		if (alive == 0 || time(NULL) >= deadline)
			break;
		left.tv_sec = deadline - time(NULL);
		sigtimedwait(set, NULL, &left);
	}
	for (i = 0; i < n; i++)
		if (pool[i].pid > 0) {
			log_warnx("worker %ld did not stop; killing it",
			    (long)pool[i].pid);
			kill(pool[i].pid, SIGKILL);
			waitpid(pool[i].pid, &status, 0);
		}
}

/* Replaces the worker in the slot; returns -1 to give up. */
static int
reap(struct slot *s, int status, int *quick, int (*work)(void *), void *arg)
{
	char	 what[64];

	describe(status, what, sizeof(what));
	if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_STARTUP) {
		log_errx("worker %ld cannot start (see above); stopping",
		    (long)s->pid);
		return -1;
	}
	/* SIGKILL comes from outside (the OOM killer, an operator): not a
	 * crash loop, however soon after start it arrives. */
	if (!s->stopping && time(NULL) - s->started < QUICK_SECONDS &&
	    !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
		if (++*quick >= QUICK_MAX) {
			log_errx("workers die as soon as they start (last %s);"
			    " stopping", what);
			return -1;
		}
		sleep(1);
	} else if (!s->stopping)
		*quick = 0;
	if (!s->stopping)
		log_warnx("worker %ld %s; starting a replacement",
		    (long)s->pid, what);
	return spawn(s, work, arg) > 0 ? 0 : -1;
}

int
supervise(int n, int (*work)(void *), int (*check)(void *), void *arg)
{
	struct slot	 pool[SUPERVISE_POOL_MAX] = { { 0 } };
	sigset_t	 set;
	int		 i, sig, status, quick = 0, rc = 0;
	pid_t		 pid;

	if (n < 1 || n > SUPERVISE_POOL_MAX) {
		log_errx("-n %d: between 1 and %d workers", n,
		    SUPERVISE_POOL_MAX);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < n; i++)
		if (spawn(&pool[i], work, arg) < 0) {
			rc = 1;
			goto out;
		}
	log_info("supervisor %ld: %d workers on the socket",
	    (long)getpid(), n);
	while ((sig = sigwaitinfo(&set, NULL)) != SIGTERM && sig != SIGINT) {
		if (sig == SIGHUP) {
			if (check(arg) != 0)
				continue;
			log_info("SIGHUP: replacing workers (configuration "
			    "reload)");
			for (i = 0; i < n; i++) {
				pool[i].stopping = 1;
				kill(pool[i].pid, SIGTERM);
			}
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			for (i = 0; i < n; i++)
				if (pool[i].pid == pid &&
				    reap(&pool[i], status, &quick, work,
				    arg) != 0) {
					pool[i].pid = 0;
					rc = 1;
					goto out;
				}
	}
out:
	stop_all(pool, n, &set);
	return rc;
}
