/*
 * fuzz_config.c - config_load (mscep/config/config.c), the INI loader and
 * validator, on arbitrary files: the input is written to an in-memory file
 * (memfd, read back by config_load through /proc/self/fd, so that nothing
 * is left on disk even after a crash), loaded (problems go to /dev/null,
 * still formatted; iniparser's own messages are dropped), looked at as a
 * worker would, and freed. The line index that names lines in messages
 * (config/ini_index.c) must find exactly the keys iniparser keeps, or a
 * key would go unchecked; a file with a NUL byte is refused (iniparser
 * reads a line only up to it, so the two would disagree).
 */
#include "fuzz_common.h"
#include "config/config.h"
#include "config/ini_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

/* dkey, iniparser's "section:key", is the key of an index entry. */
static int
index_has(const struct ini_index *ix, const char *dkey)
{
	const struct ini_entry	*e;
	size_t			 i, n;

	for (i = 0; i < ix->n; i++) {
		e = &ix->entries[i];
		n = strlen(e->section);
		if (e->key != NULL && strncasecmp(dkey, e->section, n) == 0 &&
		    dkey[n] == ':' && strcasecmp(dkey + n + 1, e->key) == 0)
			return 1;
	}
	return 0;
}

static void
check_index(int has_nul)
{
	dictionary		*d;
	struct ini_index	 ix;
	const struct ini_entry	*e;
	char			*seckey;
	size_t			 i;

	if ((d = iniparser_load(path)) == NULL)
		return;
	if (ini_index_read(&ix, path) != 0) {
		if (!has_nul || ix.nul_line <= 0)
			abort();
		ini_index_free(&ix);
		iniparser_freedict(d);
		return;
	}
	/* Sections are entries with a NULL value; keys have a value. */
	for (i = 0; i < (size_t)d->size; i++)
		if (d->key[i] != NULL && d->val[i] != NULL &&
		    !index_has(&ix, d->key[i]))
			abort();
	for (i = 0; i < ix.n; i++) {
		e = &ix.entries[i];
		/* iniparser lowercases a name into 1024 bytes to find it. */
		if (e->key == NULL || strlen(e->section) + strlen(e->key) >= 1024)
			continue;
		if (asprintf(&seckey, "%s:%s", e->section, e->key) < 0)
			abort();
		if (!iniparser_find_entry(d, seckey))
			abort();
		free(seckey);
	}
	ini_index_free(&ix);
	iniparser_freedict(d);
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
	if (n >= 0 && memchr(data, '\0', size) != NULL)
		abort();
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
	check_index(memchr(data, '\0', size) != NULL);
	return 0;
}
