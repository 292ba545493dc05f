/* runcmd.c - fork, exec with stdin from a pipe, deadline, kill. */
#include "util/runcmd.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* In the child: stdin from the pipe, stdout to /dev/null, stderr kept
 * (the web server's log), nothing else inherited (the client's socket
 * must not outlive the request in a program's grandchildren). */
static void
child(const char *prog, char *const env[], int rfd)
{
	char	*argv[] = { (char *)prog, NULL };
	char	*envp[34];
	int	 i, n = 0, null = open("/dev/null", O_WRONLY);

	/* Its own process group: a timeout kills what it started too. */
	setpgid(0, 0);
	if (dup2(rfd, 0) != 0 || null < 0 || dup2(null, 1) != 1)
		_exit(126);
	close_range(3, ~0U, 0);
	envp[n++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	for (i = 0; env != NULL && env[i] != NULL && n < 33; i++)
		envp[n++] = env[i];
	envp[n] = NULL;
	signal(SIGPIPE, SIG_DFL);
	execve(prog, argv, envp);
	_exit(127);
}

/* Writes in to fd until done or the deadline; the program may not read. */
static void
feed(int fd, const char *in, size_t len, int64_t deadline)
{
	struct pollfd	 p = { .fd = fd, .events = POLLOUT };
	ssize_t		 n;

	int64_t		 left;
	int		 r;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (len > 0 && (left = deadline - util_mono_ms()) > 0) {
		/* A program that stops reading must not hold us past the
		 * deadline (poll with a negative timeout would wait on). */
		if ((r = poll(&p, 1, (int)left)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if ((n = write(fd, in, len)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			break;		/* EPIPE: it stopped reading */
		}
		in += n;
		len -= (size_t)n;
	}
}

enum runcmd_result
runcmd(const char *prog, char *const env[], const char *in, size_t inlen,
    int timeout, int *status)
{
	struct sigaction	 ign = { .sa_handler = SIG_IGN }, old;
	int64_t			 deadline = util_mono_ms() + 1000LL * timeout;
	int			 fds[2], st;
	pid_t			 pid, w;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return RUNCMD_ERROR;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return RUNCMD_ERROR;
	}
	if (pid == 0)
		child(prog, env, fds[0]);
	close(fds[0]);
	/* A program that exits without reading must not kill the worker. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	feed(fds[1], in, inlen, deadline);
	close(fds[1]);
	sigaction(SIGPIPE, &old, NULL);
	while ((w = waitpid(pid, &st, WNOHANG)) == 0 && util_mono_ms() < deadline)
		usleep(5000);
	if (w == 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return RUNCMD_TIMEOUT;
	}
	/* Exited, but may have left children behind in its group. */
	kill(-pid, SIGKILL);
	if (w < 0)
		return RUNCMD_ERROR;
	if (WIFSIGNALED(st)) {
		*status = WTERMSIG(st);
		return RUNCMD_SIGNALED;
	}
	*status = WEXITSTATUS(st);
	return *status == 127 ? RUNCMD_ERROR : RUNCMD_EXITED;
}

int
runcmd_detached(const char *prog, char *const env[], const char *in,
    size_t inlen, int timeout)
{
	pid_t	 pid;
	int	 st, ignored;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		/* The watchdog: reparented to init once this child exits. */
		int	 null;

		if (fork() != 0)
			_exit(0);
		setsid();
		/* Nothing of the worker's: not even the FastCGI socket on 0. */
		if ((null = open("/dev/null", O_RDWR)) >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		close_range(3, ~0U, 0);
		runcmd(prog, env, in, inlen, timeout, &ignored);
		_exit(0);
	}
	/* Only the intermediate child, which exits at once. */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return 0;
}
