/*
 * file.h - files written whole or not at all, and paths that either fit
 * or fail. Every file mscep and mscep-admin write goes through here.
 */
#ifndef MSCEP_FILE_H
#define MSCEP_FILE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/util.h"

/*
 * A file being replaced. file_stage writes the contents to a temporary
 * file in the destination's folder (".NAME.XXXXXXXX", an unpredictable
 * suffix, created exclusively with exactly mode: never wider, whatever
 * the umask) and syncs it; file_commit renames it over NAME and syncs the
 * folder; file_discard removes it. A reader sees the old file or the new
 * one, never a part of either; a crash leaves at most a stray temporary
 * file. Staging two files before committing either makes a pair (a key
 * and its certificate) that is never half written.
 */
struct file_stage {
	char	 path[PATH_MAX];	/* the destination */
	char	 tmp[PATH_MAX];		/* written, until committed */
	int	 staged;
};

/* Flags for file_commit and file_write. */
#define FILE_NOREPLACE	0x1	/* an existing file stays: EEXIST */

/* Each returns 0, or -1 with errno set and no temporary file left. */
int	 file_stage(struct file_stage *, const char *path, const void *,
	    size_t, mode_t);
int	 file_commit(struct file_stage *, int flags);
/* Removes a staged file; accepts one never staged or already committed. */
void	 file_discard(struct file_stage *);
/* file_stage and file_commit in one. */
int	 file_write(const char *path, const void *, size_t, mode_t,
	    int flags);

/* Makes renames and creations in dir durable. */
int	 file_sync_dir(const char *dir);
/* Appends the whole of path (at most max bytes, else EFBIG) to out. */
int	 file_read(const char *path, struct buf *out, size_t max);

/*
 * snprintf for paths: 0, or -1 with errno ENAMETOOLONG and out empty
 * when the result does not fit, so a truncated name never opens another
 * file.
 */
int	 file_path(char *out, size_t size, const char *fmt, ...)
	    __attribute__((format(__printf__, 3, 4)));

#endif
