/* pwpage.c - NDES's password page, with the sentences scrapers look for. */
#include "responder/pwpage.h"
#include "responder/auditop.h"
#include "util/log.h"
#include "policy/policy_password.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* NDES answers /CertSrv/mscep_admin, its folder and its mscep.dll. */
int
pwpage_match(const struct config *cfg, const char *uri)
{
	static const char *const tails[] = { "", "/", "/mscep.dll", NULL };
	const char	*vdir = cfg->password_vdir;
	size_t		 n = strlen(vdir), len;
	int		 i;

	if (uri == NULL || uri[0] != '/' || strncasecmp(uri + 1, vdir, n) != 0)
		return 0;
	uri += 1 + n;
	len = strcspn(uri, "?");
	for (i = 0; tails[i] != NULL; i++)
		if (len == strlen(tails[i]) &&
		    strncasecmp(uri, tails[i], len) == 0)
			return 1;
	return 0;
}

static int
user_allowed(const struct config *cfg, const char *user)
{
	const char	*p = cfg->page_users, *nl;
	size_t		 n = strlen(user);

	/* htpasswd and Kerberos names have case; AD's do not. */
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		if ((size_t)(nl - p) == n && (cfg->page_users_nocase ?
		    strncasecmp(p, user, n) : strncmp(p, user, n)) == 0)
			return 1;
	return 0;
}

/* The CA thumbprint as NDES prints it: MD5, four groups of eight hex. */
static void
ca_thumbprint(const struct worker *w, char out[40])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	char		*o = out;

	*out = '\0';
	if (X509_digest(w->ra.ca, EVP_md5(), md, &mdlen) != 1 || mdlen != 16)
		return;
	for (i = 0; i < mdlen; i++)
		o += sprintf(o, "%s%02X", i > 0 && i % 4 == 0 ? " " : "", md[i]);
}

/* NDES sends the page in UTF-16LE; the page text is ASCII. */
static void
page(const struct worker *w, struct http_resp *resp, int status,
    const char *html)
{
	size_t	 i, n = strlen(html);

	resp->status = status;
	resp->body.len = 0;
	if (!w->cfg.page_utf16) {
		resp->content_type = "text/html; charset=utf-8";
		buf_append(&resp->body, html, n);
		return;
	}
	resp->content_type = "text/html; charset=utf-16le";
	for (i = 0; i < n; i++) {
		unsigned char	 u[2] = { (unsigned char)html[i], 0 };

		buf_append(&resp->body, u, 2);
	}
}

#define HEAD	"<html><head><title>Network Device Enrollment Service</title>" \
		"</head><body><h3>Network Device Enrollment Service</h3>"

static void
show_password(struct worker *w, const struct http_req *req,
    struct http_resp *resp, const char *user)
{
	char		 pw[160], html[2048], thumb[40], safe[128];
	enum store_rc	 rc;

	rc = policy_password_new(&w->cfg, w->store, pw, sizeof(pw));
	log_safe(user, safe, sizeof(safe));
	if (rc == STORE_FULL) {
		page(w, resp, 200, HEAD "<p>The password cache is full.</p>"
		    "<p>Use the passwords already issued, or wait until they "
		    "expire.</p></body></html>");
		log_warnx("op=PasswordPage user=\"%s\" result=full "
		    "reason=\"PasswordMax=%d unused passwords\"", safe,
		    w->cfg.password_max);
		auditop_password(w, req, "password-refused", "the password "
		    "cache is full (PasswordMax)");
		return;
	}
	if (rc != STORE_OK) {
		page(w, resp, 500, HEAD "<p>The password could not be stored."
		    "</p></body></html>");
		log_errx("op=PasswordPage user=\"%s\" result=500 reason=\"%s\"",
		    safe, store_errmsg(w->store));
		return;
	}
	ca_thumbprint(w, thumb);
	snprintf(html, sizeof(html), HEAD "<p>To complete certificate "
	    "enrollment for your network device you will need the following "
	    "information:</p><p>The thumbprint (hash value) for the CA "
	    "certificate is: <B> %s </B></p><p>The enrollment challenge "
	    "password is: <B> %s </B></p><p>This password can be used only "
	    "once and will expire within %d minutes.</p><p>Each enrollment "
	    "requires a new challenge password. You can refresh this web page "
	    "to obtain a new challenge password.</p></body></html>", thumb, pw,
	    w->cfg.password_validity);
	OPENSSL_cleanse(pw, sizeof(pw));
	page(w, resp, 200, html);
	OPENSSL_cleanse(html, sizeof(html));
	log_info("op=PasswordPage user=\"%s\" result=200", safe);
	auditop_password(w, req, "password", NULL);
}

void
pwpage_handle(struct worker *w, const struct http_req *req,
    struct http_resp *resp)
{
	const char	*user = req->remote_user;
	char		 safe[128];

	if (w->cfg.page_require_https && !req->https) {
		/* The web server should refuse first; this holds if a copied
		 * configuration forgets to. */
		page(w, resp, 403, HEAD "<p>Access is denied: the password page "
		    "is served over HTTPS only.</p></body></html>");
		log_warnx("op=PasswordPage result=403 reason=\"plain HTTP "
		    "(RequireHTTPS=1)\"");
	} else if (strcmp(req->method, "GET") != 0) {
		page(w, resp, 405, HEAD "<p>Use GET.</p></body></html>");
		log_warnx("op=PasswordPage result=405 reason=\"method %s\"",
		    log_safe(req->method, safe, sizeof(safe)));
	} else if (user == NULL || *user == '\0') {
		/* The web server must authenticate this path; it did not. */
		page(w, resp, 403, HEAD "<p>Access is denied: no authenticated "
		    "user.</p></body></html>");
		log_warnx("op=PasswordPage result=403 reason=\"no REMOTE_USER: "
		    "the web server does not authenticate /%s\"",
		    w->cfg.password_vdir);
	} else if (!user_allowed(&w->cfg, user)) {
		page(w, resp, 403, HEAD "<p>You do not have sufficient "
		    "permission to enroll with SCEP. Please contact your system "
		    "administrator.</p></body></html>");
		log_warnx("op=PasswordPage user=\"%s\" result=403 reason=\"not "
		    "in [PasswordPage] Users\"", log_safe(user, safe,
		    sizeof(safe)));
		auditop_password(w, req, "password-refused", "not in "
		    "[PasswordPage] Users");
	} else if (!w->cfg.enforce_password || w->cfg.use_single_password) {
		/* No one-time password to hand out; never rotate the single
		 * one from a page refresh, devices depend on it. */
		page(w, resp, 409, HEAD "<p>This server does not use one-time "
		    "passwords (EnforcePassword=0 or UseSinglePassword=1).</p>"
		    "</body></html>");
		log_warnx("op=PasswordPage user=\"%s\" result=409 reason=\"no "
		    "one-time passwords in this mode\"", log_safe(user, safe,
		    sizeof(safe)));
	} else
		show_password(w, req, resp, user);
}
