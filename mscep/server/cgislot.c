/* cgislot.c - at most MaxCGIProcesses mscep CGI processes at once. */
#include "server/cgislot.h"
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CGISLOT_DIR	"cgi"

/* Opens slot i and locks it without waiting: its descriptor, -1 if
 * another process holds it, -2 on an error (errno set). */
static int
cgislot_try(const char *dir, int i)
{
	char	 path[PATH_MAX + 32];
	int	 fd;

	if (snprintf(path, sizeof(path), "%s/slot-%d", dir, i) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -2;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -2;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	close(fd);
	return errno == EWOULDBLOCK ? -1 : -2;
}

int
cgislot_take(const struct config *cfg, char *reason, size_t rlen)
{
	char	 dir[PATH_MAX];
	int	 i, fd;

	if (config_state_path(cfg, CGISLOT_DIR, dir, sizeof(dir)) != 0) {
		snprintf(reason, rlen, "StateDir too long for %s/",
		    CGISLOT_DIR);
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(reason, rlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < cfg->max_cgi; i++) {
		if ((fd = cgislot_try(dir, i)) >= 0)
			return fd;
		if (fd == -2) {
			snprintf(reason, rlen, "%s/slot-%d: %s", dir, i,
			    strerror(errno));
			return -1;
		}
	}
	snprintf(reason, rlen, "all %d CGI slots busy (MaxCGIProcesses)",
	    cfg->max_cgi);
	return -1;
}
