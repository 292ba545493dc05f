/*
 * cgislot.h - a cap on mscep processes run as a plain CGI. Web servers
 * run mscep as a CGI for GET URLs too long for a FastCGI record, one new
 * process (configuration, keys, store) per request, with no limit of
 * their own. Each such process first takes one of [Service]
 * MaxCGIProcesses slots, lock files in StateDir/cgi/ held with flock(2)
 * until it exits (or dies: the kernel releases the lock).
 */
#ifndef MSCEP_CGISLOT_H
#define MSCEP_CGISLOT_H

#include <stddef.h>

struct config;

/*
 * Takes a free slot: returns its descriptor (keep it open until exit),
 * -1 with reason when every slot is taken or the slots cannot be used.
 */
int	 cgislot_take(const struct config *, char *reason, size_t);

#endif
