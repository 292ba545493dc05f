/* file.c - atomic file replacement, whole-file reads, checked paths. */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* Tries before giving up on finding an unused temporary name. */
#define TMP_TRIES	16

int
file_path(char *out, size_t size, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (size == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		out[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The folder of path: "." for a bare name, "/" for "/name". */
static int
folder_of(const char *path, char *out, size_t size)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return file_path(out, size, ".");
	if (slash == path)
		return file_path(out, size, "/");
	return file_path(out, size, "%.*s", (int)(slash - path), path);
}

int
file_sync_dir(const char *dir)
{
	int	 fd, rc, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/*
 * Creates dir/.name.XXXXXXXX with mode (the umask may only narrow it)
 * and a suffix from getrandom(2): no other process can guess the name
 * and put a file or a link there first; O_EXCL refuses one that is.
 */
static int
open_tmp(const char *path, char *tmp, size_t size, mode_t mode)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	const char	*slash = strrchr(path, '/');
	const char	*base = slash != NULL ? slash + 1 : path;
	unsigned char	 r[8];
	char		 sfx[sizeof(r) + 1];
	int		 fd = -1, i, tries;

	if (*base == '\0') {
		errno = EISDIR;
		return -1;
	}
	for (tries = 0; tries < TMP_TRIES; tries++) {
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return -1;
		for (i = 0; i < (int)sizeof(r); i++)
			sfx[i] = abc[r[i] % (sizeof(abc) - 1)];
		sfx[sizeof(r)] = '\0';
		if (file_path(tmp, size, "%.*s.%s.%s", (int)(base - path), path,
		    base, sfx) != 0)
			return -1;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	return fd;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const unsigned char	*p = data;
	ssize_t			 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_stage(struct file_stage *f, const char *path, const void *data,
    size_t len, mode_t mode)
{
	int	 fd = -1, rc = -1, saved;

	memset(f, 0, sizeof(*f));
	if (file_path(f->path, sizeof(f->path), "%s", path) != 0 ||
	    (fd = open_tmp(path, f->tmp, sizeof(f->tmp), mode)) < 0)
		goto out;
	f->staged = 1;
	/* Exactly mode: a public file (a CRL, a certificate) stays readable
	 * by the web server under a narrow umask. */
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0)
		goto out;
	rc = close(fd);
	fd = -1;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		file_discard(f);
	errno = saved;
	return rc;
}

int
file_commit(struct file_stage *f, int flags)
{
	char	 dir[PATH_MAX];
	int	 rc;

	if (!f->staged) {
		errno = EINVAL;
		return -1;
	}
	/* RENAME_NOREPLACE: the check and the rename are one step. */
	rc = flags & FILE_NOREPLACE ? renameat2(AT_FDCWD, f->tmp, AT_FDCWD,
	    f->path, RENAME_NOREPLACE) : rename(f->tmp, f->path);
	if (rc != 0) {
		file_discard(f);
		return -1;
	}
	f->staged = 0;
	if (folder_of(f->path, dir, sizeof(dir)) != 0 ||
	    file_sync_dir(dir) != 0)
		return -1;
	return 0;
}

void
file_discard(struct file_stage *f)
{
	int	 saved = errno;

	if (f->staged)
		unlink(f->tmp);
	f->staged = 0;
	errno = saved;
}

int
file_write(const char *path, const void *data, size_t len, mode_t mode,
    int flags)
{
	struct file_stage	 f;

	if (file_stage(&f, path, data, len, mode) != 0)
		return -1;
	return file_commit(&f, flags);
}

int
file_read(const char *path, struct buf *out, size_t max)
{
	unsigned char	 chunk[4096];
	size_t		 total = 0;
	ssize_t		 n;
	int		 fd, rc = -1, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		if ((total += (size_t)n) > max) {
			errno = EFBIG;
			goto out;
		}
		if (buf_append(out, chunk, (size_t)n) != 0) {
			errno = ENOMEM;
			goto out;
		}
	}
	rc = 0;
out:
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
