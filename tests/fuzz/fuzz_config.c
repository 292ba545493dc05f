/*
 * fuzz_config.c - config_load (mscep/config/config.c), the INI loader and
 * validator, on arbitrary files: the input is written to an in-memory file
 * (memfd, read back by config_load through /proc/self/fd, so that nothing
 * is left on disk even after a crash), loaded (problems go to /dev/null,
 * still formatted; iniparser's own messages are dropped), looked at as a
 * worker would, and freed.
 */
#include "fuzz_common.h"
#include "config/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iniparser.h>

static char	 path[64];
static int	 fd = -1;
static FILE	*devnull;

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* iniparser's own complaints (syntax, long lines) would flood stderr. */
static int
quiet(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((fd = memfd_create("mscep.ini", MFD_CLOEXEC)) < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	iniparser_set_error_callback(quiet);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cfg;
	char		 out[PATH_MAX];
	int		 n, i;

	if (ftruncate(fd, 0) != 0 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	/* struct config is ~50 KB: on the heap, so ASan sees its bounds. */
	if ((cfg = malloc(sizeof(*cfg))) == NULL)
		abort();
	n = config_load(path, cfg, devnull);
	if (n >= 0) {
		/* What a worker reads of a loaded configuration. */
		if (cfg->ntemplates < 0 || cfg->ntemplates > TEMPLATES_MAX)
			abort();
		for (i = 0; i < cfg->ntemplates; i++)
			if (config_template(cfg, cfg->templates[i].name) == NULL)
				abort();
		if (n == 0 && (cfg->signature == NULL ||
		    cfg->encryption == NULL || cfg->general == NULL ||
		    cfg->general->ku == NULL))
			abort();
		if (memchr(cfg->caps, '\0', sizeof(cfg->caps)) == NULL ||
		    memchr(cfg->password_vdir, '\0',
		    sizeof(cfg->password_vdir)) == NULL ||
		    memchr(cfg->page_users, '\0',
		    sizeof(cfg->page_users)) == NULL)
			abort();
		config_state_path(cfg, "mscep.db", out, sizeof(out));
	}
	config_free(cfg);
	free(cfg);
	return 0;
}
