/*
 * ini_index.h - where each section and key of an INI file is written, so
 * that configuration messages can name the line. iniparser reads the
 * values and keeps no line numbers; this reads the same lines by the same
 * rules (see ini_index.c) and keeps only names and line numbers, as many
 * as the file has.
 */
#ifndef MSCEP_INI_INDEX_H
#define MSCEP_INI_INDEX_H

#include <stddef.h>

/* One [section] line (key NULL) or one "key = value" line. */
struct ini_entry {
	char	*section;	/* as written, trimmed; "" before any [section] */
	char	*key;		/* as written, trimmed; NULL on a [section] line */
	int	 line;		/* 1-based; a continued line: its first line */
};

/* Entries in file order; the index owns every string. */
struct ini_index {
	struct ini_entry *entries;
	size_t		  n;
	size_t		  cap;
	int		  nul_line;	/* a line with a NUL byte, or 0 */
};

/* Reads path into ix (initialised here); -1 when it cannot be read, a
 * line holds a NUL byte (nul_line: iniparser reads such a line up to the
 * NUL, so the two would disagree on its keys) or memory runs out.
 * ini_index_free() either way. */
int	 ini_index_read(struct ini_index *ix, const char *path);
void	 ini_index_free(struct ini_index *ix);

/*
 * The line of key in section (names without case), the last one written
 * as the last value is the one in effect; key NULL: the section's last
 * [section] line. 0 when not in the file.
 */
int	 ini_index_line(const struct ini_index *, const char *section,
	    const char *key);

/* The section name as the file last spells it, NULL when not in it. */
const char *ini_index_section(const struct ini_index *, const char *section);

#endif
