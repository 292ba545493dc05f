/*
 * config_doc.c - the key table as text and as the key list of
 * mscep.ini(5): what each key takes, its default and its help, from the
 * same table config_load parses by.
 */
#include "config/schema.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {
	[CONFIG_INT] = "integer", [CONFIG_SIZE] = "bytes",
	[CONFIG_BOOL] = "boolean", [CONFIG_ENUM] = "one of",
	[CONFIG_WORD] = "one of", [CONFIG_FLAGS] = "list of",
	[CONFIG_LIST] = "list", [CONFIG_TEXT] = "text",
	[CONFIG_PATH] = "path", [CONFIG_URL] = "URL",
	[CONFIG_TEMPLATE] = "template name",
};

/* "integer, 1 to 100", "one of: a, b", "list of: a, b" ... */
static void
type_text(const struct config_key *k, char *out, size_t size)
{
	const struct config_word	*w;
	size_t				 n;

	n = (size_t)snprintf(out, size, "%s", type_names[k->type]);
	if (k->type == CONFIG_INT || k->type == CONFIG_SIZE)
		snprintf(out + n, size - n, ", %ld to %ld", k->min, k->max);
	else if (k->words != NULL) {
		if (k->type == CONFIG_LIST)
			n += (size_t)snprintf(out + n, size - n, " of");
		for (w = k->words; w->name != NULL && n < size; w++)
			n += (size_t)snprintf(out + n, size - n, "%s %s",
			    w == k->words ? ":" : ",", w->name);
	}
}

static void
default_text(const struct config_key *k, char *out, size_t size)
{
	if (k->def == NULL)
		snprintf(out, size, "the %s value", k->def_key);
	else if (*k->def == '\0')
		snprintf(out, size, "empty");
	else
		snprintf(out, size, "%s", k->def);
}

void
config_keys_print(FILE *f)
{
	const struct config_key	*k;
	char			 type[256], def[256];

	for (k = config_keys; k->name != NULL; k++) {
		type_text(k, type, sizeof(type));
		default_text(k, def, sizeof(def));
		fprintf(f, "%s\t%s\t%s\t%s\t%s\n", k->section != NULL ?
		    k->section : "<template>", k->name, type, def, k->help);
	}
}

/* One word of text, backslashes and hyphens escaped; its width. */
static size_t
roff_word(FILE *f, const char *s, size_t n)
{
	size_t	 i, width = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '-') {
			fputs(s[i] == '\\' ? "\\e" : "\\-", f);
			width += 2;
		} else {
			fputc(s[i], f);
			width++;
		}
	}
	return width;
}

/* A sentence as filled text: its first letter capital, lines of at most
 * 72 characters where words allow, none read as a control line. */
static void
roff_sentence(FILE *f, const char *s)
{
	size_t	 col = 0, n;
	int	 first = 1;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (n == 0)
			break;
		if (col > 0 && col + 1 + n > 72) {
			fputc('\n', f);
			col = 0;
		} else if (col > 0) {
			fputc(' ', f);
			col++;
		}
		if (col == 0 && (*s == '.' || *s == '\''))
			col += (size_t)fprintf(f, "\\&");
		if (first && islower((unsigned char)*s)) {
			fputc(toupper((unsigned char)*s), f);
			col += 1 + roff_word(f, s + 1, n - 1);
		} else
			col += roff_word(f, s, n);
		first = 0;
		s += n;
	}
	fputc('\n', f);
}

static void
roff_key(FILE *f, const struct config_key *k)
{
	char	 type[256], def[256], line[600];

	type_text(k, type, sizeof(type));
	default_text(k, def, sizeof(def));
	fprintf(f, ".TP\n.B %s\n", k->name);
	snprintf(line, sizeof(line), "%s.", k->help);
	roff_sentence(f, line);
	fputs(".br\n", f);
	snprintf(line, sizeof(line), "%s; default: %s.", type, def);
	roff_sentence(f, line);
}

void
config_keys_man(FILE *f)
{
	const struct config_key	*k;
	const char		*section = "";

	for (k = config_keys; k->name != NULL; k++) {
		if (k->section == NULL && section != NULL) {
			fputs(".SS \"Template sections\"\n"
			    "Every other section is a certificate template, "
			    "named by the section name\n"
			    "(as AD CS names the template object), with "
			    "these keys:\n", f);
			section = NULL;
		} else if (k->section != NULL &&
		    strcmp(k->section, section) != 0) {
			fprintf(f, ".SS \"[%s]\"\n", k->section);
			section = k->section;
		}
		roff_key(f, k);
	}
}
