/*
 * ini_index.c - section and key names with their line numbers.
 *
 * The lines are read as iniparser 4.1 (iniparser_load, iniparser_line)
 * reads them, so that both see the same keys: trailing white space goes;
 * a line then ending in '\' continues on the next one (the '\' dropped);
 * blank lines and lines starting with ';' or '#' are comments; "[name]"
 * (the name up to the first ']', trimmed) starts a section; anything else
 * with text before a '=' is a key. A line "[]..." names no section: then
 * iniparser keeps the previous name cut to the line's length less one
 * ("[]" after "[Service]" is section "s"), and so does this index. Lines
 * iniparser refuses make iniparser_load fail, so they never reach this
 * index's callers.
 */
#include "config/ini_index.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Trims white space at both ends, in place; returns the new start. */
static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
add(struct ini_index *ix, const char *section, const char *key, int line)
{
	struct ini_entry	*e;
	size_t			 cap;

	if (ix->n == ix->cap) {
		cap = ix->cap ? ix->cap * 2 : 64;
		if ((e = reallocarray(ix->entries, cap, sizeof(*e))) == NULL)
			return -1;
		ix->entries = e;
		ix->cap = cap;
	}
	e = &ix->entries[ix->n];
	e->line = line;
	e->key = NULL;
	if ((e->section = strdup(section)) == NULL ||
	    (key != NULL && (e->key = strdup(key)) == NULL)) {
		free(e->section);
		return -1;
	}
	ix->n++;
	return 0;
}

/* One logical line; *section is the current section, updated here. */
static int
index_line(struct ini_index *ix, char *s, int line, char **section)
{
	char	*name, *eq;
	size_t	 len;

	s = trim(s);
	len = strlen(s);
	if (len == 0 || *s == ';' || *s == '#')
		return 0;
	if (*s == '[' && s[len - 1] == ']') {
		if (s[1] == ']')
			name = strndup(*section, len - 1);
		else {
			s[strcspn(s, "]")] = '\0';
			name = strdup(trim(s + 1));
		}
		if (name == NULL)
			return -1;
		free(*section);
		*section = name;
		return add(ix, name, NULL, line);
	}
	if ((eq = strchr(s, '=')) == NULL || eq == s)
		return 0;
	*eq = '\0';
	return add(ix, *section, trim(s), line);
}

/* Appends a physical line to the logical one; 1: it continues. */
static int
join(char **logical, size_t *len, const char *part, int *cont)
{
	size_t	 n = strlen(part);
	char	*p;

	while (n > 0 && isspace((unsigned char)part[n - 1]))
		n--;
	if ((p = realloc(*logical, *len + n + 1)) == NULL)
		return -1;
	memcpy(p + *len, part, n);
	*len += n;
	p[*len] = '\0';
	*logical = p;
	*cont = *len > 0 && p[*len - 1] == '\\';
	if (*cont)
		p[--*len] = '\0';
	return 0;
}

int
ini_index_read(struct ini_index *ix, const char *path)
{
	FILE	*f;
	char	*buf = NULL, *logical = NULL, *section = NULL;
	size_t	 cap = 0, len = 0;
	ssize_t	 n;
	int	 lineno = 0, first = 0, cont = 0, rc = -1;

	memset(ix, 0, sizeof(*ix));
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if ((section = strdup("")) == NULL)
		goto out;
	while ((n = getline(&buf, &cap, f)) != -1) {
		if (!cont)
			first = lineno + 1;
		lineno++;
		if (memchr(buf, '\0', (size_t)n) != NULL) {
			ix->nul_line = lineno;
			goto out;
		}
		if (join(&logical, &len, buf, &cont) != 0)
			goto out;
		if (cont)
			continue;
		if (index_line(ix, logical, first, &section) != 0)
			goto out;
		len = 0;
	}
	/* A continuation at the end of the file: iniparser drops it too. */
	rc = ferror(f) ? -1 : 0;
out:
	free(buf);
	free(logical);
	free(section);
	fclose(f);
	return rc;
}

void
ini_index_free(struct ini_index *ix)
{
	size_t	 i;

	for (i = 0; i < ix->n; i++) {
		free(ix->entries[i].section);
		free(ix->entries[i].key);
	}
	free(ix->entries);
	memset(ix, 0, sizeof(*ix));
}

int
ini_index_line(const struct ini_index *ix, const char *section,
    const char *key)
{
	const struct ini_entry	*e;
	size_t			 i;

	for (i = ix->n; i-- > 0;) {
		e = &ix->entries[i];
		if (strcasecmp(e->section, section) != 0)
			continue;
		if (key == NULL ? e->key == NULL :
		    e->key != NULL && strcasecmp(e->key, key) == 0)
			return e->line;
	}
	return 0;
}

const char *
ini_index_section(const struct ini_index *ix, const char *section)
{
	size_t	 i;

	for (i = ix->n; i-- > 0;)
		if (ix->entries[i].key == NULL &&
		    strcasecmp(ix->entries[i].section, section) == 0)
			return ix->entries[i].section;
	return NULL;
}
