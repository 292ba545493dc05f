/*
 * schema.h - every configuration key, once: section, name, type, default,
 * range, where it goes in struct config and one line of help. config_load
 * parses, checks and rejects unknown keys by this table; mscep-admin
 * config-keys prints it, as text or as the key list of mscep.ini(5).
 */
#ifndef MSCEP_CONFIG_SCHEMA_H
#define MSCEP_CONFIG_SCHEMA_H

#include <stddef.h>
#include <stdio.h>

enum config_type {
	CONFIG_INT,		/* decimal or 0x hex, min..max */
	CONFIG_SIZE,		/* the same, kept as a size_t */
	CONFIG_BOOL,		/* 1/0, yes/no, true/false, on/off */
	CONFIG_ENUM,		/* one of words, kept as its value */
	CONFIG_WORD,		/* one of words, kept as written */
	CONFIG_FLAGS,		/* comma list of words, their values ORed */
	CONFIG_LIST,		/* comma list, checked by the key's parser */
	CONFIG_TEXT,		/* text, checked by the key's parser */
	CONFIG_PATH,		/* a file or folder */
	CONFIG_URL,		/* http:// or https://, or empty */
	CONFIG_TEMPLATE,	/* the name of a template section */
};

/* A word a key accepts (names compared without case). */
struct config_word {
	const char	*name;
	int		 value;
};

struct loader;		/* config_load's state, private to mscep/config/ */

struct config_key {
	const char		*section;	/* NULL: every template section */
	const char		*name;		/* as documented */
	enum config_type	 type;
	const char		*def;		/* as written in the file */
	const char		*def_key;	/* def NULL: that key's value */
	long			 min, max;	/* INT, SIZE; FLAGS: min words */
	const struct config_word *words;	/* ENUM, WORD, FLAGS; NULL-ended */
	size_t			 off;		/* in struct config or template */
	size_t			 size;		/* of that member */
	/* The key's own parser, when its type's is not enough: reports
	 * each problem, stores into field only what is valid (it may hold
	 * a partial list) and returns -1 on any problem; then config_load
	 * clears field and parses the default into it. */
	int			(*parse)(struct loader *,
				    const struct config_key *, const char *s,
				    void *field);
	const char		*help;		/* one line */
};

/* The table, ended by an entry whose name is NULL; sections in the order
 * of etc/mscep.ini, template keys last. */
extern const struct config_key config_keys[];

/* The entry for section (NULL: a template section) and name, without
 * case; NULL when there is none. */
const struct config_key *config_key_find(const char *section,
	    const char *name);
/* The table's spelling of a fixed section name, NULL for any other
 * (which is a template). */
const char *config_section_known(const char *section);

/* The table as text: one tab-separated line per key (section, key, type,
 * default, help); template keys under the section "<template>". */
void	 config_keys_print(FILE *);
/* The same as man(7) markup: .SS per section, .TP per key. */
void	 config_keys_man(FILE *);

#endif
