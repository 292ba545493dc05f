/* ndes_reg.c - NDES's registry export as mscep.ini settings. */
#include "config/ndes_reg.h"
#include "config/schema.h"
#include "util/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NDES_KEY	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP"
#define NDES_NKEYS	9
#define NDES_TEXT	256

/* The [MSCEP] keys, each named as its registry value (NDES keeps the
 * password ones in a subkey of the same name; flat values count too). */
static const char *const ndes_keys[NDES_NKEYS] = {
	"SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate",
	"EnforcePassword", "UseSinglePassword", "PasswordMax",
	"PasswordLength", "PasswordValidity", "PasswordVDir",
};

/* Values with no mscep setting, and what to do instead. */
static const struct {
	const char	*name;
	const char	*why;
} ndes_skipped[] = {
	{ "EncryptedPassword", "the single password is encrypted for the "
	    "NDES server alone: set a new one with mscep-admin password" },
	{ "CacheRequest", "mscep keeps every request in its store: no "
	    "setting" },
	{ "Policy", "an NDES policy module: choose [Policy] Module "
	    "(ndes-password, intune or exec)" },
	{ "NDESCertThumbprint", "the Intune connector's certificate: see "
	    "[Policy] Module = intune" },
	{ "CAType", "mscep is its own CA (mscep-admin init, or ca install "
	    "under a root)" },
	{ "CertsInMYStore", "RA certificates live in the state folder "
	    "(mscep-admin init or ca install make them)" },
	{ NULL, NULL }
};

struct ndes_state {
	char	 value[NDES_NKEYS][NDES_TEXT];
	int	 have[NDES_NKEYS];
	char	 subkey[NDES_TEXT];	/* below MSCEP; "-" outside it */
	FILE	*notes;
};

/* UTF-16LE (after its BOM) as UTF-8; NUL-terminated, caller frees. */
static char *
from_utf16le(const unsigned char *p, size_t len)
{
	char		*s = malloc(len / 2 * 3 + 1), *o = s;
	size_t		 i;
	unsigned	 c, d;

	if (s == NULL)
		return NULL;
	for (i = 0; i + 1 < len; i += 2) {
		c = p[i] | (unsigned)p[i + 1] << 8;
		if (c >= 0xd800 && c < 0xdc00 && i + 3 < len &&
		    (d = p[i + 2] | (unsigned)p[i + 3] << 8) >= 0xdc00 &&
		    d < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
			i += 2;
		}
		if (c == 0)
			c = '?';
		if (c < 0x80)
			*o++ = (char)c;
		else if (c < 0x800) {
			*o++ = (char)(0xc0 | c >> 6);
			*o++ = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			*o++ = (char)(0xe0 | c >> 12);
			*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
			*o++ = (char)(0x80 | (c & 0x3f));
		} else {
			*o++ = (char)(0xf0 | c >> 18);
			*o++ = (char)(0x80 | ((c >> 12) & 0x3f));
			*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
			*o++ = (char)(0x80 | (c & 0x3f));
		}
	}
	*o = '\0';
	return s;
}

static char *
decode(const unsigned char *p, size_t len)
{
	char	*s;

	if (len >= 2 && p[0] == 0xff && p[1] == 0xfe)
		return from_utf16le(p + 2, len - 2);
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		p += 3;
		len -= 3;
	}
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(s, p, len);
	s[len] = '\0';
	if (strlen(s) != len) {		/* NULs: UTF-16 without its BOM */
		free(s);
		return NULL;
	}
	return s;
}

/* "quoted" with \\ and \" escapes; returns what follows, NULL if bad. */
static char *
unquote(char *p, char *out, size_t size)
{
	size_t	 n = 0;

	if (*p++ != '"')
		return NULL;
	for (; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 < size)
			out[n++] = *p;
	}
	out[n] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

static void
enter_key(struct ndes_state *st, const char *line)
{
	size_t	 n = strlen(NDES_KEY), len = strlen(line);

	if (line[1] == '-' || len < 2 || line[len - 1] != ']' ||
	    strncasecmp(line + 1, NDES_KEY, n) != 0 ||
	    (line[1 + n] != ']' && line[1 + n] != '\\')) {
		if (line[1] != '-')
			fprintf(st->notes, "not carried over: %s (outside "
			    "MSCEP)\n", line);
		snprintf(st->subkey, sizeof(st->subkey), "-");
		return;
	}
	snprintf(st->subkey, sizeof(st->subkey), "%.*s",
	    (int)(len - n - 2 - (line[1 + n] == '\\')),
	    line + 1 + n + (line[1 + n] == '\\'));
}

static int
ndes_index(const struct ndes_state *st, const char *name)
{
	int	 i;

	for (i = 0; i < NDES_NKEYS; i++)
		if (strcasecmp(name, ndes_keys[i]) == 0 &&
		    (st->subkey[0] == '\0' ||
		    strcasecmp(st->subkey, ndes_keys[i]) == 0))
			return i;
	return -1;
}

static void
skip_value(struct ndes_state *st, const char *name, const char *what)
{
	const char	*why = "no mscep setting";
	int		 i;

	for (i = 0; ndes_skipped[i].name != NULL; i++)
		if (strcasecmp(name, ndes_skipped[i].name) == 0)
			why = ndes_skipped[i].why;
	fprintf(st->notes, "not carried over: MSCEP%s%s\\%s%s: %s\n",
	    st->subkey[0] ? "\\" : "", st->subkey, name, what, why);
}

/* A value as INI text: strings as they are, a dword in decimal,
 * checked against the key's type and range. */
static int
keep_value(struct ndes_state *st, int i, int is_dword, unsigned long dw,
    const char *text)
{
	const struct config_key	*k = config_key_find("MSCEP", ndes_keys[i]);
	int			 want_dword = k->type == CONFIG_INT ||
				    k->type == CONFIG_BOOL;

	if (is_dword != want_dword) {
		fprintf(st->notes, "not carried over: %s is a %s, mscep wants "
		    "a %s: its default is used\n", ndes_keys[i], is_dword ?
		    "dword" : "string", want_dword ? "dword" : "string");
		return -1;
	}
	if (k->type == CONFIG_BOOL)
		dw = dw != 0;
	if (k->type == CONFIG_INT && (dw < (unsigned long)k->min ||
	    dw > (unsigned long)k->max)) {
		fprintf(st->notes, "not carried over: %s = %lu is outside "
		    "%ld to %ld: its default is used\n", ndes_keys[i], dw,
		    k->min, k->max);
		return -1;
	}
	if (is_dword)
		snprintf(st->value[i], NDES_TEXT, "%lu", dw);
	else if (k->type == CONFIG_TEMPLATE && (text[0] == '\0' ||
	    strpbrk(text, "[]=;#\\\"") != NULL)) {
		fprintf(st->notes, "not carried over: %s \"%s\" cannot be an "
		    "INI section name: its default is used\n", ndes_keys[i],
		    text);
		return -1;
	} else
		snprintf(st->value[i], NDES_TEXT, "%s", text);
	st->have[i] = 1;
	return 0;
}

static void
read_value(struct ndes_state *st, char *line)
{
	char		 name[NDES_TEXT], text[NDES_TEXT] = "", *p;
	unsigned long	 dw = 0;
	int		 i, is_dword = 0;

	if (line[0] == '@') {
		snprintf(name, sizeof(name), "(Default)");
		p = line + 1;
	} else if ((p = unquote(line, name, sizeof(name))) == NULL) {
		fprintf(st->notes, "not carried over: unreadable line %s\n",
		    line);
		return;
	}
	if (*p++ != '=' || strcmp(p, "-") == 0 || strcmp(st->subkey, "-") == 0)
		return;
	if (strncasecmp(p, "dword:", 6) == 0) {
		dw = strtoul(p + 6, NULL, 16);
		is_dword = 1;
	} else if (*p != '"' || unquote(p, text, sizeof(text)) == NULL) {
		i = ndes_index(st, name);
		skip_value(st, name, i < 0 ? "" : " (not a string or dword)");
		return;
	}
	if ((i = ndes_index(st, name)) < 0)
		skip_value(st, name, "");
	else
		keep_value(st, i, is_dword, dw, text);
}

/* Lines without CR; a value continued on the next lines ("\" at the end)
 * is a binary one, read from its first line only. */
static int
read_lines(struct ndes_state *st, char *s, char *reason, size_t rlen)
{
	char	*line, *next, *e;
	int	 header = 0, cont = 0, more;

	for (line = s; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		e = line + strlen(line);
		while (e > line && (e[-1] == '\r' || e[-1] == ' '))
			*--e = '\0';
		if ((more = e > line && e[-1] == '\\'))
			e[-1] = '\0';
		if (cont || *line == '\0' || *line == ';') {
			cont = cont && more;
			continue;
		}
		cont = more;
		if (!header) {
			if (strcmp(line, "Windows Registry Editor Version "
			    "5.00") != 0 && strcmp(line, "REGEDIT4") != 0)
				break;
			header = 1;
		} else if (*line == '[')
			enter_key(st, line);
		else
			read_value(st, line);
	}
	if (!header)
		snprintf(reason, rlen, "not a registry export (it starts "
		    "neither with \"Windows Registry Editor Version 5.00\" "
		    "nor with REGEDIT4)");
	return header ? 0 : -1;
}

static void
write_ini(const struct ndes_state *st, FILE *out)
{
	const struct config_key	*k;
	int			 i, j;

	fprintf(out, "; From an NDES registry export (mscep-admin "
	    "import-ndes).\n[MSCEP]\n");
	for (i = 0; i < NDES_NKEYS; i++) {
		k = config_key_find("MSCEP", ndes_keys[i]);
		if (!st->have[i])
			fprintf(out, "; not in the export: the default\n");
		fprintf(out, "%s = %s\n", ndes_keys[i], st->have[i] ?
		    st->value[i] : k->def);
	}
	for (i = 0; i < 3; i++) {
		const char *t = st->have[i] ? st->value[i] :
		    config_key_find("MSCEP", ndes_keys[i])->def;
		for (j = 0; j < i; j++)
			if (strcasecmp(t, st->have[j] ? st->value[j] :
			    config_key_find("MSCEP", ndes_keys[j])->def) == 0)
				break;
		if (j < i)
			continue;
		fprintf(out, "\n; The AD CS template %s: its settings are not "
		    "in the registry.\n; Set validity, key usage, EKU and "
		    "subject as the template says\n; (mscep.ini(5)); until "
		    "then mscep's defaults apply.\n[%s]\n", t, t);
	}
}

int
ndes_reg_convert(const unsigned char *data, size_t len, FILE *out,
    FILE *notes, char *reason, size_t rlen)
{
	struct ndes_state	*st = calloc(1, sizeof(*st));
	char			*s = NULL;
	int			 rc = -1;

	if (st == NULL) {
		snprintf(reason, rlen, "out of memory");
		goto out;
	}
	if ((s = decode(data, len)) == NULL) {
		snprintf(reason, rlen, "not a registry export (neither UTF-16LE "
		    "with its BOM nor UTF-8 text)");
		goto out;
	}
	st->notes = notes;
	snprintf(st->subkey, sizeof(st->subkey), "-");
	if (read_lines(st, s, reason, rlen) != 0)
		goto out;
	write_ini(st, out);
	rc = 0;
out:
	free(s);
	free(st);
	return rc;
}
