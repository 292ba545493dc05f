/*
 * runcmd.h - run an administrator's program (the exec verifier, the
 * NotifyCommand) with text on its stdin, a clean set of descriptors, and
 * a deadline after which it is killed. A worker never waits longer.
 */
#ifndef MSCEP_RUNCMD_H
#define MSCEP_RUNCMD_H

#include <stddef.h>

enum runcmd_result {
	RUNCMD_EXITED,		/* *status is the exit status */
	RUNCMD_SIGNALED,	/* *status is the signal */
	RUNCMD_TIMEOUT,		/* killed at the deadline */
	RUNCMD_ERROR,		/* could not start */
};

/*
 * Runs prog with env (NULL-terminated "K=V" list added to an empty
 * environment plus PATH) and in on stdin; waits at most timeout seconds.
 */
enum runcmd_result runcmd(const char *prog, char *const env[],
	    const char *in, size_t inlen, int timeout, int *status);

/*
 * The same, detached: returns at once; a watchdog process waits for and
 * kills the program. Returns -1 when it could not be started.
 */
int	 runcmd_detached(const char *prog, char *const env[], const char *in,
	    size_t inlen, int timeout);

#endif
