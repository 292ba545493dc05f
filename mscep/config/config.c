/*
 * config.c - parse the INI once into struct config and validate all of it,
 * key by key as the table in config_keys.c describes them, then across
 * keys. Every problem is reported, each with its file and line.
 */
#include "config/config_priv.h"
#include "util/file.h"
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>

/* Enum members are written as int (CONFIG_ENUM). */
_Static_assert(sizeof(enum policy_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(enum nokeyusage) == sizeof(int), "enum size");

static void vproblem(struct loader *, int, const char *, const char *,
    const char *, va_list) __attribute__((format(__printf__, 5, 0)));

/* line 0: the key's line, else its section's, else none. */
static void
vproblem(struct loader *l, int line, const char *section, const char *key,
    const char *fmt, va_list ap)
{
	char	 where[32] = "";

	if (l->quiet)
		return;
	l->nerr++;
	if (l->errs == NULL)
		return;
	if (line == 0 && key != NULL)
		line = ini_index_line(&l->idx, section, key);
	if (line == 0)
		line = ini_index_line(&l->idx, section, NULL);
	if (line > 0)
		snprintf(where, sizeof(where), ":%d", line);
	fprintf(l->errs, "%s%s: ", l->cfg->path, where);
	if (*section != '\0')
		fprintf(l->errs, "[%s]%s", section, key != NULL ? " " : "");
	if (key != NULL)
		fputs(key, l->errs);
	fputs(": ", l->errs);
	vfprintf(l->errs, fmt, ap);
	fputc('\n', l->errs);
}

void
config_problem(struct loader *l, const char *section, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vproblem(l, 0, section, key, fmt, ap);
	va_end(ap);
}

/* A problem of one written line (each of a key written twice). */
static void problem_at(struct loader *, const struct ini_entry *,
    const char *, const char *, ...)
    __attribute__((format(__printf__, 4, 5)));

static void
problem_at(struct loader *l, const struct ini_entry *e, const char *section,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vproblem(l, e->line, section, e->key, fmt, ap);
	va_end(ap);
}

void
config_key_problem(struct loader *l, const struct config_key *k,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vproblem(l, 0, l->section, k->name, fmt, ap);
	va_end(ap);
}

int
config_value_int(const char *s, long min, long max, long *v)
{
	char	*end;

	errno = 0;
	/* Decimal, or 0x.. as the registry shows 0x3C; never octal. */
	*v = strncasecmp(s, "0x", 2) == 0 ? strtol(s + 2, &end, 16) :
	    strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *v < min || *v > max)
		return -1;
	return 0;
}

int
config_value_bool(const char *s, int *v)
{
	if (!strcasecmp(s, "1") || !strcasecmp(s, "yes") ||
	    !strcasecmp(s, "true") || !strcasecmp(s, "on"))
		*v = 1;
	else if (!strcasecmp(s, "0") || !strcasecmp(s, "no") ||
	    !strcasecmp(s, "false") || !strcasecmp(s, "off"))
		*v = 0;
	else
		return -1;
	return 0;
}

int
config_for_each_item(const char *list, int (*fn)(const char *, void *),
    void *arg)
{
	char	*copy, *tok, *save = NULL, *e;
	int	 rc = 0;

	if ((copy = strdup(list)) == NULL)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		e = tok + strlen(tok);
		while (e > tok && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*tok != '\0' && fn(tok, arg) != 0)
			rc = -1;
	}
	free(copy);
	return rc;
}

X509_EXTENSION *
config_make_ext(int nid, const char *value)
{
	X509_EXTENSION	*ext;

	ext = X509V3_EXT_conf_nid(NULL, NULL, nid, value);
	ERR_clear_error();
	return ext;
}

/* "a, b or c" of a word list, for messages. */
static void
word_choices(const struct config_word *w, char *out, size_t size)
{
	size_t	 n = 0;
	int	 i;

	out[0] = '\0';
	for (i = 0; w[i].name != NULL && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s",
		    i == 0 ? "" : w[i + 1].name == NULL ? " or " : ", ",
		    w[i].name);
}

static const struct config_word *
word_find(const struct config_word *w, const char *s)
{
	for (; w->name != NULL; w++)
		if (strcasecmp(w->name, s) == 0)
			return w;
	return NULL;
}

static int
parse_int(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	long	 v;

	if (config_value_int(s, k->min, k->max, &v) != 0) {
		config_key_problem(l, k, "\"%s\" is not an integer in %ld..%ld",
		    s, k->min, k->max);
		return -1;
	}
	if (k->type == CONFIG_SIZE)
		*(size_t *)field = (size_t)v;
	else
		*(int *)field = (int)v;
	return 0;
}

static int
parse_bool(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	if (config_value_bool(s, field) != 0) {
		config_key_problem(l, k, "\"%s\" is not a boolean (0 or 1)", s);
		return -1;
	}
	return 0;
}

/* ENUM keeps the word's value, WORD the text as written. */
static int
parse_word(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	const struct config_word	*w = word_find(k->words, s);
	char				 choices[256];

	if (w == NULL || (k->type == CONFIG_WORD && strlen(s) >= k->size)) {
		word_choices(k->words, choices, sizeof(choices));
		config_key_problem(l, k, "\"%s\": use %s", s, choices);
		return -1;
	}
	if (k->type == CONFIG_WORD)
		util_strlcpy(field, s, k->size);
	else
		*(int *)field = w->value;
	return 0;
}

struct flags {
	const struct config_key	*k;
	unsigned		 bits;
	int			 n;
};

static int
flag_item(const char *s, void *arg)
{
	struct flags			*f = arg;
	const struct config_word	*w = word_find(f->k->words, s);

	if (w == NULL)
		return -1;
	f->bits |= (unsigned)w->value;
	f->n++;
	return 0;
}

static int
parse_flags(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	struct flags	 f = { k, 0, 0 };
	char		 choices[256];

	if (config_for_each_item(s, flag_item, &f) != 0 || f.n < k->min) {
		word_choices(k->words, choices, sizeof(choices));
		config_key_problem(l, k, "\"%s\": a list of %s%s", s, choices,
		    k->min > 0 ? " (at least one)" : "");
		return -1;
	}
	*(unsigned *)field = f.bits;
	return 0;
}

static int
parse_text(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	if (strlen(s) >= k->size) {
		config_key_problem(l, k, "\"%s\": longer than %zu characters",
		    s, k->size - 1);
		return -1;
	}
	util_strlcpy(field, s, k->size);
	return 0;
}

static int
parse_value(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	if (k->parse != NULL)
		return k->parse(l, k, s, field);
	switch (k->type) {
	case CONFIG_INT:
	case CONFIG_SIZE:
		return parse_int(l, k, s, field);
	case CONFIG_BOOL:
		return parse_bool(l, k, s, field);
	case CONFIG_ENUM:
	case CONFIG_WORD:
		return parse_word(l, k, s, field);
	case CONFIG_FLAGS:
		return parse_flags(l, k, s, field);
	default:
		return parse_text(l, k, s, field);
	}
}

/* The value written for key in the section being loaded, or NULL. */
static const char *
raw_value(struct loader *l, const char *key)
{
	char		*seckey;
	const char	*v;

	/* iniparser keeps sections as keys with a NULL value: "[T:Key]"
	 * answers NULL for T's Key, as if it were not written. */
	if (asprintf(&seckey, "%s:%s", l->section, key) < 0)
		return NULL;
	v = iniparser_getstring(l->d, seckey, NULL);
	free(seckey);
	return v;
}

/* The key's default into field: its own, or another key's value. */
static void
load_default(struct loader *l, const struct config_key *k, void *base)
{
	const struct config_key	*from;

	if (k->def != NULL) {
		parse_value(l, k, k->def, (char *)base + k->off);
		return;
	}
	from = config_key_find(k->section, k->def_key);
	memcpy((char *)base + k->off, (char *)base + from->off, k->size);
}

/* One key into base (struct config or struct template). A value with a
 * problem leaves the default, so that later checks see a sane one. */
static void
load_key(struct loader *l, const struct config_key *k, void *base)
{
	const char	*s = raw_value(l, k->name);
	void		*field = (char *)base + k->off;

	if (s == NULL) {
		load_default(l, k, base);
		return;
	}
	if (parse_value(l, k, s, field) == 0)
		return;
	memset(field, 0, k->size);
	l->quiet++;
	load_default(l, k, base);
	l->quiet--;
}

/* Typos must not silently fall back to defaults: every key written is
 * one of the table's, in a section that has it. */
static void
check_names(struct loader *l)
{
	const struct ini_entry	*e;
	const char		*known;
	size_t			 i;

	for (i = 0; i < l->idx.n; i++) {
		e = &l->idx.entries[i];
		known = config_section_known(e->section);
		if (e->key == NULL) {
			/* iniparser would not list it as a section. */
			if (strchr(e->section, ':') != NULL)
				problem_at(l, e, e->section, "a section name "
				    "cannot contain ':'");
			continue;
		}
		if (*e->section == '\0')
			problem_at(l, e, "", "key outside any section");
		else if (config_key_find(known, e->key) == NULL)
			problem_at(l, e, known ? known : e->section,
			    "unknown key");
	}
}

/* The fixed sections; late: only the keys that name templates. */
static void
load_fixed(struct loader *l, int late)
{
	const struct config_key	*k;

	for (k = config_keys; k->name != NULL; k++) {
		if (k->section == NULL || (k->type == CONFIG_TEMPLATE) != late)
			continue;
		l->section = k->section;
		load_key(l, k, l->cfg);
	}
}

static void
load_template(struct loader *l, const char *sec, struct template *t)
{
	const struct config_key	*k;
	const char		*written = ini_index_section(&l->idx, sec);

	/* iniparser lowercases section names; templates keep their case. */
	l->section = written != NULL ? written : sec;
	util_strlcpy(t->name, l->section, sizeof(t->name));
	for (k = config_keys; k->name != NULL; k++)
		if (k->section == NULL)
			load_key(l, k, t);
}

/* Every section that is not one of the table's is a template. */
static void
load_templates(struct loader *l)
{
	int		 i, nsec = iniparser_getnsec(l->d);
	const char	*sec;

	for (i = 0; i < nsec; i++) {
		sec = iniparser_getsecname(l->d, i);
		if (config_section_known(sec) != NULL)
			continue;
		if (l->cfg->ntemplates == TEMPLATES_MAX) {
			config_problem(l, sec, NULL, "more than %d templates",
			    TEMPLATES_MAX);
			return;
		}
		load_template(l, sec, &l->cfg->templates[l->cfg->ntemplates++]);
	}
}

/* StateDir is relative to the INI's folder. */
static void
ini_folder(const char *path, char *out, size_t size)
{
	char	*slash;

	if (realpath(path, out) == NULL)
		util_strlcpy(out, path, size);
	if ((slash = strrchr(out, '/')) != NULL)
		*slash = '\0';
	else
		util_strlcpy(out, ".", size);
}

int
config_load(const char *path, struct config *cfg, FILE *errs)
{
	struct loader	*l;
	int		 nerr = -1;

	memset(cfg, 0, sizeof(*cfg));
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	util_strlcpy(cfg->path, path, sizeof(cfg->path));
	ini_folder(path, l->inidir, sizeof(l->inidir));
	l->cfg = cfg;
	l->errs = errs;
	/* The index first: it names a line with a NUL byte, which iniparser
	 * reads only up to that byte, or refuses as too long. */
	if (ini_index_read(&l->idx, path) != 0 ||
	    (l->d = iniparser_load(path)) == NULL) {
		if (errs != NULL && l->idx.nul_line > 0)
			fprintf(errs, "%s:%d: a NUL byte: not a text file\n",
			    path, l->idx.nul_line);
		else if (errs != NULL)
			fprintf(errs, "%s: cannot read configuration\n", path);
		goto out;
	}
	check_names(l);
	/* [CRL] and [OCSP] before the templates, whose extensions name
	 * them; the templates before the [MSCEP] keys that pick them. */
	load_fixed(l, 0);
	load_templates(l);
	load_fixed(l, 1);
	config_check_rules(l);
	nerr = l->nerr;
out:
	if (l->d != NULL)
		iniparser_freedict(l->d);
	ini_index_free(&l->idx);
	free(l);
	return nerr;
}

void
config_free(struct config *cfg)
{
	int	 i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->ntemplates; i++) {
		X509_EXTENSION_free(cfg->templates[i].ku);
		X509_EXTENSION_free(cfg->templates[i].eku);
		X509_EXTENSION_free(cfg->templates[i].cdp);
		X509_EXTENSION_free(cfg->templates[i].aia);
		cfg->templates[i].ku = cfg->templates[i].eku = NULL;
		cfg->templates[i].cdp = cfg->templates[i].aia = NULL;
	}
	cfg->ntemplates = 0;
}

const struct template *
config_template(const struct config *cfg, const char *name)
{
	int	 i;

	for (i = 0; i < cfg->ntemplates; i++)
		if (strcasecmp(cfg->templates[i].name, name) == 0)
			return &cfg->templates[i];
	return NULL;
}

int
config_state_path(const struct config *cfg, const char *file, char *out,
    size_t size)
{
	return file_path(out, size, "%s/%s", cfg->state_dir, file);
}
