/*
 * config.c - parse the INI once into struct config and validate all of it.
 * Defaults mirror the NDES registry (Windows Server 2019 MSCEP.reg).
 */
#include "config/config.h"
#include "util/file.h"
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <iniparser.h>
#include <openssl/err.h>

#define LINES_MAX 512

/* Where each "section:key" sits in the file, so messages can name the line. */
struct linemap {
	char	 key[LINES_MAX][96];
	int	 line[LINES_MAX];
	int	 n;
	/* iniparser lowercases section names; templates keep their case. */
	char	 section[TEMPLATES_MAX + 2][TEMPLATE_NAME_MAX];
	int	 nsection;
};

struct loader {
	dictionary	*d;
	struct config	*cfg;
	struct linemap	 lines;
	FILE		*errs;
	int		 nerr;
};

static const char *const mscep_keys[] = {
	"signaturetemplate", "encryptiontemplate", "generalpurposetemplate",
	"enforcepassword", "usesinglepassword", "passwordmax",
	"passwordlength", "passwordvalidity", "passwordvdir", NULL
};
static const char *const service_keys[] = {
	"statedir", "cadirect", "maxmessagesize", "capabilities", "log",
	"certrepincludeca", "backdateminutes", "hashalgorithm",
	"nokeyusagetemplate", "allowdes", "logsocket", NULL
};
static const char *const page_keys[] = {
	"users", "usersignorecase", "requirehttps", "encoding", NULL
};
static const char *const policy_keys[] = {
	"module", "challengesigners", "clockskewseconds", "verifiercommand",
	"verifiertimeoutseconds", "notifycommand", "notifytimeoutseconds",
	"eventretentiondays", NULL
};
static const char *const template_keys[] = {
	"validitydays", "maxvaliditydays", "allowrequestervalidity",
	"subjectfromrequest", "subjectaltnames", "keyusage",
	"extendedkeyusage", "minimumkeysize", "keytypes", "sidurlsan",
	"allowrenewal", "renewalwindowdays", "revokeonrenewal",
	"requireapproval", "pendingexpiryhours", "includecdp", "includeocsp",
	NULL
};
static const char *const crl_keys[] = {
	"publishfile", "url", "validityhours", "refreshhours", NULL
};
static const char *const ocsp_keys[] = {
	"path", "url", "validityminutes", NULL
};
/* What GetCACaps may advertise: only what this build implements. */
static const char *const supported_caps[] = {
	"AES", "DES3", "POSTPKIOperation", "Renewal", "SCEPStandard",
	"SHA-1", "SHA-256", "SHA-512", NULL
};
#define DEFAULT_CAPS "AES,DES3,POSTPKIOperation,SCEPStandard,SHA-1,SHA-256,SHA-512"

static void
linemap_read(struct linemap *m, const char *path)
{
	FILE	*f;
	char	 line[1024], section[64] = "", *p, *e;
	int	 n = 0;

	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL && m->n < LINES_MAX) {
		n++;
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (*p == '[' && (e = strchr(p, ']')) != NULL) {
			*e = '\0';
			if (m->nsection < TEMPLATES_MAX + 2)
				strlcpy0(m->section[m->nsection++], p + 1,
				    TEMPLATE_NAME_MAX);
			snprintf(section, sizeof(section), "%s", p + 1);
			for (p = section; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			continue;
		}
		if (*p == ';' || *p == '#' || (e = strchr(p, '=')) == NULL)
			continue;
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
		*e = '\0';
		for (e = p; *e; e++)
			*e = (char)tolower((unsigned char)*e);
		snprintf(m->key[m->n], sizeof(m->key[0]), "%.40s:%.50s",
		    section, p);
		m->line[m->n++] = n;
	}
	fclose(f);
}

static int
linemap_find(const struct linemap *m, const char *seckey)
{
	int	 i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->key[i], seckey) == 0)
			return m->line[i];
	return 0;
}

/* The section name as the file spells it (iniparser lowercases). */
static const char *
section_as_written(const struct loader *l, const char *section)
{
	int	 i;

	for (i = 0; i < l->lines.nsection; i++)
		if (strcasecmp(l->lines.section[i], section) == 0)
			return l->lines.section[i];
	return section;
}

static void problem(struct loader *, const char *, const char *,
    const char *, ...) __attribute__((format(__printf__, 4, 5)));

static void
problem(struct loader *l, const char *section, const char *key,
    const char *fmt, ...)
{
	char	 seckey[160], msg[512];
	va_list	 ap;
	int	 line;

	snprintf(seckey, sizeof(seckey), "%s:%s", section, key ? key : "");
	line = key ? linemap_find(&l->lines, seckey) : 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->errs != NULL)
		fprintf(l->errs, "%s:%d: [%s]%s%s: %s\n", l->cfg->path, line,
		    section_as_written(l, section), key ? " " : "",
		    key ? key : "", msg);
	l->nerr++;
}

static const char *
get_str(struct loader *l, const char *section, const char *key, const char *def)
{
	char		 seckey[160];
	const char	*v;

	/* iniparser keeps sections as keys with a NULL value: "[T:Key]"
	 * would answer NULL for T's Key. A truncated name reads nothing. */
	if (snprintf(seckey, sizeof(seckey), "%s:%s", section, key) >=
	    (int)sizeof(seckey))
		return def;
	v = iniparser_getstring(l->d, seckey, NULL);
	return v != NULL ? v : def;
}

static int
get_int(struct loader *l, const char *section, const char *key, int def,
    int min, int max)
{
	const char	*s = get_str(l, section, key, NULL);
	char		*end;
	long		 v;

	if (s == NULL)
		return def;
	errno = 0;
	/* Decimal, or 0x.. as the registry shows 0x3C; never octal. */
	v = strncasecmp(s, "0x", 2) == 0 ? strtol(s + 2, &end, 16) :
	    strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		problem(l, section, key, "\"%s\" is not an integer in %d..%d",
		    s, min, max);
		return def;
	}
	return (int)v;
}

static int
get_bool(struct loader *l, const char *section, const char *key, int def)
{
	const char	*s = get_str(l, section, key, NULL);

	if (s == NULL)
		return def;
	if (!strcasecmp(s, "1") || !strcasecmp(s, "yes") ||
	    !strcasecmp(s, "true") || !strcasecmp(s, "on"))
		return 1;
	if (!strcasecmp(s, "0") || !strcasecmp(s, "no") ||
	    !strcasecmp(s, "false") || !strcasecmp(s, "off"))
		return 0;
	problem(l, section, key, "\"%s\" is not a boolean (0 or 1)", s);
	return def;
}

/* Calls fn for each trimmed, non-empty item of a comma-separated list. */
static int
for_each_item(const char *list, int (*fn)(const char *, void *), void *arg)
{
	char	 copy[1024], *tok, *save = NULL, *e;
	int	 rc = 0;

	snprintf(copy, sizeof(copy), "%s", list);
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
	return rc;
}

static const char *const *
key_list_for(const char *section)
{
	if (!strcasecmp(section, "mscep"))
		return mscep_keys;
	if (!strcasecmp(section, "service"))
		return service_keys;
	if (!strcasecmp(section, "passwordpage"))
		return page_keys;
	if (!strcasecmp(section, "policy"))
		return policy_keys;
	if (!strcasecmp(section, "crl"))
		return crl_keys;
	if (!strcasecmp(section, "ocsp"))
		return ocsp_keys;
	return template_keys;
}

/* Typos must not silently fall back to defaults: reject unknown keys. */
static void
check_unknown_keys(struct loader *l)
{
	const char	*const *known;
	const char	*sec, *colon;
	int		 i, j, k;
	char		 seckey[160];

	for (i = 0; i < l->lines.n; i++) {
		snprintf(seckey, sizeof(seckey), "%s", l->lines.key[i]);
		if ((colon = strchr(seckey, ':')) == NULL)
			continue;
		sec = seckey;
		seckey[colon - seckey] = '\0';
		if (*sec == '\0') {
			problem(l, "", colon + 1, "key outside any section");
			continue;
		}
		known = key_list_for(sec);
		for (j = 0, k = 0; known[j] != NULL; j++)
			if (strcmp(known[j], colon + 1) == 0)
				k = 1;
		if (!k)
			problem(l, sec, colon + 1, "unknown key");
	}
}

static int
san_item(const char *s, void *arg)
{
	unsigned	*bits = arg;

	if (!strcasecmp(s, "dns"))
		*bits |= SAN_DNS;
	else if (!strcasecmp(s, "email") || !strcasecmp(s, "rfc822"))
		*bits |= SAN_EMAIL;
	else if (!strcasecmp(s, "upn"))
		*bits |= SAN_UPN;
	else if (!strcasecmp(s, "uri"))
		*bits |= SAN_URI;
	else if (!strcasecmp(s, "ip"))
		*bits |= SAN_IP;
	else if (strcasecmp(s, "none") != 0)
		return -1;
	return 0;
}

static int
keytype_item(const char *s, void *arg)
{
	unsigned	*bits = arg;

	if (!strcasecmp(s, "rsa"))
		*bits |= KEYTYPE_RSA;
	else if (!strcasecmp(s, "ec"))
		*bits |= KEYTYPE_EC;
	else
		return -1;
	return 0;
}

static X509_EXTENSION *
make_ext(int nid, const char *value)
{
	X509_EXTENSION	*ext;

	ext = X509V3_EXT_conf_nid(NULL, NULL, nid, value);
	ERR_clear_error();
	return ext;
}

static void
load_template_exts(struct loader *l, const char *sec, struct template *t)
{
	const char	*ku, *eku;
	char		 val[600];

	ku = get_str(l, sec, "keyusage", "digitalSignature,keyEncipherment");
	snprintf(val, sizeof(val), "critical,%s", ku);
	if ((t->ku = make_ext(NID_key_usage, val)) == NULL)
		problem(l, sec, "keyusage", "\"%s\" is not a list of key "
		    "usages (digitalSignature, nonRepudiation, "
		    "keyEncipherment, dataEncipherment, keyAgreement)", ku);
	eku = get_str(l, sec, "extendedkeyusage", "clientAuth");
	if (strcasecmp(eku, "none") == 0 || *eku == '\0')
		return;
	if ((t->eku = make_ext(NID_ext_key_usage, eku)) == NULL)
		problem(l, sec, "extendedkeyusage", "\"%s\" is not a list of "
		    "EKU names (clientAuth, serverAuth, ...) or dotted OIDs",
		    eku);
}

/* An http(s) URL for a certificate extension, or "" when empty. */
static void
get_url(struct loader *l, const char *sec, const char *key, char *out,
    size_t size)
{
	const char	*s = get_str(l, sec, key, "");

	if (*s != '\0' && (strlen(s) >= size || (strncmp(s, "http://", 7) &&
	    strncmp(s, "https://", 8)) || strpbrk(s, ", \t\"") != NULL))
		problem(l, sec, key, "\"%s\": an http:// URL without spaces or "
		    "commas", s);
	else
		strlcpy0(out, s, size);
}

/* Renewal, approval and where relying parties find revocation status. */
static void
load_template_life(struct loader *l, const char *sec, struct template *t)
{
	const struct config	*c = l->cfg;
	char			 val[600];

	t->allow_renewal = get_bool(l, sec, "allowrenewal", 0);
	t->renewal_window_days = get_int(l, sec, "renewalwindowdays", 0, 0,
	    36500);
	t->revoke_on_renewal = get_bool(l, sec, "revokeonrenewal", 0);
	t->require_approval = get_bool(l, sec, "requireapproval", 0);
	t->pending_hours = get_int(l, sec, "pendingexpiryhours", 168, 1,
	    24 * 365);
	if (get_bool(l, sec, "includecdp", 0)) {
		snprintf(val, sizeof(val), "URI:%s", c->crl_url);
		if (c->crl_url[0] == '\0')
			problem(l, sec, "includecdp", "needs [CRL] URL");
		else if ((t->cdp = make_ext(NID_crl_distribution_points,
		    val)) == NULL)
			problem(l, sec, "includecdp", "cannot encode [CRL] URL");
	}
	if (get_bool(l, sec, "includeocsp", 0)) {
		snprintf(val, sizeof(val), "OCSP;URI:%s", c->ocsp_url);
		if (c->ocsp_url[0] == '\0')
			problem(l, sec, "includeocsp", "needs [OCSP] URL");
		else if ((t->aia = make_ext(NID_info_access, val)) == NULL)
			problem(l, sec, "includeocsp", "cannot encode [OCSP] "
			    "URL");
	}
}

static void
load_template(struct loader *l, const char *sec, struct template *t)
{
	const char	*s;
	int		 i;

	strlcpy0(t->name, sec, sizeof(t->name));
	for (i = 0; i < l->lines.nsection; i++)
		if (strcasecmp(l->lines.section[i], sec) == 0)
			strlcpy0(t->name, l->lines.section[i], sizeof(t->name));
	t->validity_days = get_int(l, sec, "validitydays", 365, 1, 36500);
	t->max_validity_days = get_int(l, sec, "maxvaliditydays",
	    t->validity_days, 1, 36500);
	t->allow_requester_validity = get_bool(l, sec,
	    "allowrequestervalidity", 0);
	t->subject_from_request = get_bool(l, sec, "subjectfromrequest", 1);
	t->sid_url_san = get_bool(l, sec, "sidurlsan", 0);
	t->min_rsa_bits = get_int(l, sec, "minimumkeysize", 2048, 1024, 16384);
	s = get_str(l, sec, "subjectaltnames", "dns,email,upn,uri");
	if (for_each_item(s, san_item, &t->san_types) != 0)
		problem(l, sec, "subjectaltnames", "\"%s\": use dns, email, "
		    "upn, uri, ip or none", s);
	s = get_str(l, sec, "keytypes", "rsa,ec");
	if (for_each_item(s, keytype_item, &t->key_types) != 0 ||
	    t->key_types == 0)
		problem(l, sec, "keytypes", "\"%s\": use rsa, ec or both", s);
	load_template_exts(l, sec, t);
	load_template_life(l, sec, t);
}

static void
load_templates(struct loader *l)
{
	int		 i, nsec = iniparser_getnsec(l->d);
	const char	*sec;

	for (i = 0; i < nsec; i++) {
		sec = iniparser_getsecname(l->d, i);
		if (!strcasecmp(sec, "mscep") || !strcasecmp(sec, "service") ||
		    !strcasecmp(sec, "passwordpage") ||
		    !strcasecmp(sec, "policy") || !strcasecmp(sec, "crl") ||
		    !strcasecmp(sec, "ocsp"))
			continue;
		if (l->cfg->ntemplates == TEMPLATES_MAX) {
			problem(l, sec, NULL, "more than %d templates",
			    TEMPLATES_MAX);
			return;
		}
		load_template(l, sec, &l->cfg->templates[l->cfg->ntemplates++]);
	}
}

static const struct template *
pick_template(struct loader *l, const char *key)
{
	const char		*name;
	const struct template	*t;

	name = get_str(l, "mscep", key, "IPSECIntermediateOffline");
	if ((t = config_template(l->cfg, name)) == NULL)
		problem(l, "mscep", key, "template \"%s\" has no [%s] section",
		    name, name);
	return t;
}

static void
load_mscep(struct loader *l)
{
	struct config	*c = l->cfg;
	const char	*s;
	size_t		 n;

	c->signature = pick_template(l, "signaturetemplate");
	c->encryption = pick_template(l, "encryptiontemplate");
	c->general = pick_template(l, "generalpurposetemplate");
	c->enforce_password = get_bool(l, "mscep", "enforcepassword", 1);
	c->use_single_password = get_bool(l, "mscep", "usesinglepassword", 0);
	c->password_max = get_int(l, "mscep", "passwordmax", 5, 1, 100000);
	c->password_length = get_int(l, "mscep", "passwordlength", 8, 4, 64);
	c->password_validity = get_int(l, "mscep", "passwordvalidity", 60, 1,
	    525600);
	s = get_str(l, "mscep", "passwordvdir", "CertSrv/mscep_admin");
	while (*s == '/')
		s++;
	if (*s == '\0' || strlen(s) >= sizeof(c->password_vdir) ||
	    strstr(s, "..") != NULL || strpbrk(s, "?#%\\ \t") != NULL)
		problem(l, "mscep", "passwordvdir", "\"%s\": a URL path such "
		    "as CertSrv/mscep_admin", s);
	strlcpy0(c->password_vdir, s, sizeof(c->password_vdir));
	/* IIS compares paths without case; so does the password page. */
	n = strlen(c->password_vdir);
	while (n > 0 && c->password_vdir[n - 1] == '/')
		c->password_vdir[--n] = '\0';
	/* The page must not live where devices come unauthenticated. */
	if (!strncasecmp(c->password_vdir, "certsrv/mscep", n) ||
	    !strncasecmp(c->password_vdir, "certsrv/mscep/", 14))
		problem(l, "mscep", "passwordvdir", "\"%s\" overlaps the SCEP "
		    "path /certsrv/mscep/", s);
}

static int
user_item(const char *s, void *arg)
{
	struct config	*c = arg;
	size_t		 n = strlen(c->page_users);

	if (strlen(s) + 2 > sizeof(c->page_users) - n || strchr(s, '\n'))
		return -1;
	snprintf(c->page_users + n, sizeof(c->page_users) - n, "%s\n", s);
	return 0;
}

/* An absolute program path, or "" when the key is empty. */
static void
get_program(struct loader *l, const char *key, char *out, size_t size)
{
	const char	*s = get_str(l, "policy", key, "");

	if (*s != '\0' && (s[0] != '/' || strlen(s) >= size))
		problem(l, "policy", key, "\"%s\": an absolute path to a "
		    "program", s);
	strlcpy0(out, s, size);
}

static void
load_policy(struct loader *l)
{
	struct config	*c = l->cfg;
	const char	*s;

	s = get_str(l, "policy", "module", "ndes-password");
	if (!strcasecmp(s, "ndes-password"))
		c->policy = POLICY_PASSWORD;
	else if (!strcasecmp(s, "intune"))
		c->policy = POLICY_INTUNE;
	else if (!strcasecmp(s, "exec"))
		c->policy = POLICY_EXEC;
	else
		problem(l, "policy", "module", "\"%s\": use ndes-password, "
		    "intune or exec", s);
	s = get_str(l, "policy", "challengesigners", "mdm-signers.pem");
	if (s[0] == '/')
		strlcpy0(c->challenge_signers, s, sizeof(c->challenge_signers));
	else if (config_state_path(c, s, c->challenge_signers,
	    sizeof(c->challenge_signers)) != 0)
		problem(l, "policy", "challengesigners", "path too long");
	c->clock_skew = get_int(l, "policy", "clockskewseconds", 300, 0, 86400);
	get_program(l, "verifiercommand", c->verifier, sizeof(c->verifier));
	if (c->policy == POLICY_EXEC && c->verifier[0] == '\0')
		problem(l, "policy", "verifiercommand", "Module = exec needs "
		    "a program");
	c->verifier_timeout = get_int(l, "policy", "verifiertimeoutseconds",
	    10, 1, 300);
	get_program(l, "notifycommand", c->notify, sizeof(c->notify));
	c->notify_timeout = get_int(l, "policy", "notifytimeoutseconds", 10,
	    1, 3600);
	c->event_days = get_int(l, "policy", "eventretentiondays", 90, 1,
	    36500);
}

/* [PasswordPage]: who may read one-time passwords from PasswordVDir. */
static void
load_page(struct loader *l)
{
	struct config	*c = l->cfg;
	const char	*s;

	s = get_str(l, "passwordpage", "users", "");
	if (for_each_item(s, user_item, c) != 0)
		problem(l, "passwordpage", "users", "list too long (at most "
		    "%zu characters)", sizeof(c->page_users) - 1);
	c->page_users_nocase = get_bool(l, "passwordpage", "usersignorecase",
	    0);
	c->page_require_https = get_bool(l, "passwordpage", "requirehttps", 1);
	s = get_str(l, "passwordpage", "encoding", "UTF-16LE");
	if (!strcasecmp(s, "UTF-16LE"))
		c->page_utf16 = 1;
	else if (strcasecmp(s, "UTF-8") != 0)
		problem(l, "passwordpage", "encoding", "\"%s\": use UTF-16LE "
		    "(as NDES) or UTF-8", s);
}

static int
cap_item(const char *s, void *arg)
{
	struct config	*c = arg;
	int		 i;
	size_t		 n = strlen(c->caps);

	for (i = 0; supported_caps[i] != NULL; i++)
		if (strcmp(supported_caps[i], s) == 0)
			break;
	if (supported_caps[i] == NULL)
		return -1;
	snprintf(c->caps + n, sizeof(c->caps) - n, "%s\n", s);
	return 0;
}

static void
load_service_paths(struct loader *l, const char *inidir)
{
	struct config	*c = l->cfg;
	const char	*s;
	char		 resolved[PATH_MAX];

	s = get_str(l, "service", "statedir", "../var");
	if (s[0] == '/')
		strlcpy0(c->state_dir, s, sizeof(c->state_dir));
	else if (snprintf(c->state_dir, sizeof(c->state_dir), "%s/%s",
	    inidir, s) >= (int)sizeof(c->state_dir))
		problem(l, "service", "statedir", "path too long");
	else if (realpath(c->state_dir, resolved) != NULL)
		strlcpy0(c->state_dir, resolved, sizeof(c->state_dir));
}

static void
load_service(struct loader *l, const char *inidir)
{
	struct config	*c = l->cfg;
	const char	*s;

	load_service_paths(l, inidir);
	c->ca_direct = get_bool(l, "service", "cadirect", 0);
	c->max_message = (size_t)get_int(l, "service", "maxmessagesize",
	    256 * 1024, 1024, 16 * 1024 * 1024);
	s = get_str(l, "service", "capabilities", DEFAULT_CAPS);
	if (for_each_item(s, cap_item, c) != 0)
		problem(l, "service", "capabilities", "\"%s\": only AES, DES3, "
		    "POSTPKIOperation, SCEPStandard, SHA-1, SHA-256 and "
		    "SHA-512 are implemented (exact case)", s);
	/* RFC 8894 §3.5.2: SCEPStandard promises AES, POST and SHA-256. */
	if (strstr(c->caps, "SCEPStandard\n") != NULL &&
	    (strstr(c->caps, "AES\n") == NULL ||
	    strstr(c->caps, "POSTPKIOperation\n") == NULL ||
	    strstr(c->caps, "SHA-256\n") == NULL))
		problem(l, "service", "capabilities", "SCEPStandard also needs "
		    "AES, POSTPKIOperation and SHA-256 in the list");
	s = get_str(l, "service", "log", "stderr");
	if (!strcasecmp(s, "syslog"))
		c->log_syslog = 1;
	else if (strcasecmp(s, "stderr") != 0)
		problem(l, "service", "log", "\"%s\": use stderr or syslog", s);
	s = get_str(l, "service", "logsocket", "/dev/log");
	if (s[0] != '/' || strlen(s) >= sizeof(c->log_socket))
		problem(l, "service", "logsocket", "\"%s\": an absolute path "
		    "shorter than %zu characters", s, sizeof(c->log_socket));
	strlcpy0(c->log_socket, s, sizeof(c->log_socket));
	c->certrep_include_ca = get_bool(l, "service", "certrepincludeca", 0);
	c->allow_des = get_bool(l, "service", "allowdes", 0);
	c->backdate_minutes = get_int(l, "service", "backdateminutes", 10, 0,
	    1440);
	s = get_str(l, "service", "hashalgorithm", "sha256");
	if (strcasecmp(s, "sha256") && strcasecmp(s, "sha384") &&
	    strcasecmp(s, "sha512"))
		problem(l, "service", "hashalgorithm", "\"%s\": use sha256, "
		    "sha384 or sha512", s);
	strlcpy0(c->hash, s, sizeof(c->hash));
	s = get_str(l, "service", "nokeyusagetemplate", "GeneralPurpose");
	if (!strcasecmp(s, "GeneralPurpose"))
		c->no_key_usage = NOKU_GENERALPURPOSE;
	else if (!strcasecmp(s, "Signature"))
		c->no_key_usage = NOKU_SIGNATURE;
	else if (!strcasecmp(s, "Encryption"))
		c->no_key_usage = NOKU_ENCRYPTION;
	else if (!strcasecmp(s, "Reject"))
		c->no_key_usage = NOKU_REJECT;
	else
		problem(l, "service", "nokeyusagetemplate", "\"%s\": use "
		    "GeneralPurpose, Signature, Encryption or Reject", s);
}

/* [CRL] and [OCSP]; before the templates, whose extensions name them. */
static void
load_revocation(struct loader *l)
{
	struct config	*c = l->cfg;
	const char	*s;

	s = get_str(l, "crl", "publishfile", "crl/mscep.crl");
	if (*s == '\0' || (s[0] == '/' ? snprintf(c->crl_file,
	    sizeof(c->crl_file), "%s", s) : snprintf(c->crl_file,
	    sizeof(c->crl_file), "%s/%s", c->state_dir, s)) >=
	    (int)sizeof(c->crl_file))
		problem(l, "crl", "publishfile", "\"%s\": a file name", s);
	get_url(l, "crl", "url", c->crl_url, sizeof(c->crl_url));
	c->crl_validity_hours = get_int(l, "crl", "validityhours", 168, 1,
	    24 * 366);
	c->crl_refresh_hours = get_int(l, "crl", "refreshhours", 24, 1,
	    24 * 366);
	if (c->crl_refresh_hours >= c->crl_validity_hours)
		problem(l, "crl", "refreshhours", "%d: must be less than "
		    "ValidityHours (%d), or relying parties see an expired CRL",
		    c->crl_refresh_hours, c->crl_validity_hours);
	s = get_str(l, "ocsp", "path", "");
	if (*s != '\0' && (s[0] != '/' || strlen(s) >= sizeof(c->ocsp_path) ||
	    strpbrk(s, "?#%\\ \t") != NULL || strstr(s, "..") != NULL ||
	    s[strlen(s) - 1] == '/'))
		problem(l, "ocsp", "path", "\"%s\": a URL path such as /ocsp "
		    "(no trailing /)", s);
	else if (strncasecmp(s, "/certsrv/mscep", 14) == 0)
		problem(l, "ocsp", "path", "\"%s\": would take requests from "
		    "SCEP or the password page", s);
	else
		strlcpy0(c->ocsp_path, s, sizeof(c->ocsp_path));
	get_url(l, "ocsp", "url", c->ocsp_url, sizeof(c->ocsp_url));
	c->ocsp_validity_minutes = get_int(l, "ocsp", "validityminutes", 60,
	    1, 10080);
}

/* GetCACaps "Renewal" is a promise some template keeps. */
static void
check_renewal(struct loader *l)
{
	int	 i;

	if (strstr(l->cfg->caps, "Renewal\n") == NULL)
		return;
	for (i = 0; i < l->cfg->ntemplates; i++)
		if (l->cfg->templates[i].allow_renewal)
			return;
	problem(l, "service", "capabilities", "Renewal is advertised but no "
	    "template has AllowRenewal = 1");
}

int
config_load(const char *path, struct config *cfg, FILE *errs)
{
	struct loader	*l;
	char		 inidir[PATH_MAX], *slash;
	int		 nerr;

	memset(cfg, 0, sizeof(*cfg));
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	strlcpy0(cfg->path, path, sizeof(cfg->path));
	/* StateDir is relative to the INI's folder, shown resolved. */
	if (realpath(path, inidir) == NULL)
		strlcpy0(inidir, path, sizeof(inidir));
	if ((slash = strrchr(inidir, '/')) != NULL)
		*slash = '\0';
	else
		strlcpy0(inidir, ".", sizeof(inidir));
	l->cfg = cfg;
	l->errs = errs;
	if ((l->d = iniparser_load(path)) == NULL) {
		if (errs != NULL)
			fprintf(errs, "%s: cannot read configuration\n", path);
		free(l);
		return -1;
	}
	linemap_read(&l->lines, path);
	check_unknown_keys(l);
	load_service(l, inidir);
	load_revocation(l);
	load_templates(l);
	load_mscep(l);
	check_renewal(l);
	load_page(l);
	load_policy(l);
	iniparser_freedict(l->d);
	nerr = l->nerr;
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
