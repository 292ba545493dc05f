/*
 * supervise.h - separately run workers (nginx, Apache mod_proxy_fcgi):
 * one FastCGI listen socket on fd 0, shared by a pre-forked pool whose
 * dead members are replaced. The web-server-spawned modes (mod_fcgid,
 * lighttpd) need neither: the server owns the socket and the pool.
 */
#ifndef MSCEP_SUPERVISE_H
#define MSCEP_SUPERVISE_H

#include <stddef.h>

/* A worker that cannot start exits with this; retrying will not help. */
#define WORKER_EXIT_STARTUP	3

/*
 * Puts the listen socket on fd 0: systemd's (LISTEN_FDS) if passed, else
 * addr (a Unix socket path, mode 0660 and group `group` if given, or
 * host:port), else fd 0 must already be one (spawn-fcgi, mod_fcgid,
 * lighttpd). Whoever can connect can ask for passwords and certificates
 * as the web server would: give the socket to the web server only.
 */
int	 supervise_listen_socket(const char *addr, const char *group,
    char *reason,
	    size_t);

/* The most workers a pool runs. */
#define SUPERVISE_POOL_MAX	256

/*
 * Runs n (1 to SUPERVISE_POOL_MAX) copies of work(arg) in child processes
 * until SIGTERM or SIGINT. SIGHUP replaces them (configuration reload) if
 * check(arg) returns 0; otherwise the running workers stay. Returns the
 * exit status.
 */
int	 supervise(int n, int (*work)(void *), int (*check)(void *),
	    void *arg);

#endif
