/*
 * fuzz_config.c - config_load (mscep/config.c), the INI loader and
 * validator, on arbitrary files: the input is written to a temporary file,
 * loaded (problems go to /dev/null, still formatted), looked at as a
 * worker would, and freed. The temporary folder is removed at exit.
 */
#include "fuzz_common.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char	 dir[PATH_MAX], path[PATH_MAX + 16];
static FILE	*devnull;

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
cleanup(void)
{
	fuzz_rmtree(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_mkdtemp(dir, sizeof(dir));
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/mscep.ini", dir);
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cfg;
	char		 out[PATH_MAX];
	FILE		*f;
	int		 n, i;

	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
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
	unlink(path);
	return 0;
}
