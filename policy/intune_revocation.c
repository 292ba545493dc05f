/* intune_revocation.c - download Intune's revocation requests, upload results. */
#include "policy/intune_revocation.h"
#include "policy/intune_auth.h"
#include "policy/intune_discovery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Literally this, in both of Microsoft's samples. */
#define PKI_API_VERSION	"api-version: 5019-05-05"
#define PKI_ACTIONS	"CertificateAuthorityRequests"

static const struct { int code; const char *name; } codes[] = {
	{ 0, "None" }, { 4000, "NonRetryableServiceException" },
	{ 4001, "DataSerializationError" }, { 4002, "ParameterDataInvalidError" },
	{ 4003, "CryptographyError" }, { 4004, "CertificateNotFoundError" },
	{ 4005, "ConflictError" }, { 4006, "NotSupportedError" },
	{ 4007, "PayloadTooLargeError" }, { 4100, "RetryableServiceException" },
	{ 4101, "ServiceUnavailableException" },
	{ 4102, "ServiceTooBusyException" }, { 4103, "AuthenticationException" },
};

const char *
intune_rev_code_name(int code)
{
	size_t	 i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].name;
	return "Unknown";
}

json_t *
intune_rev_download_body(int max)
{
	/* issuerName stays null: the service compares it with
	 * caConfiguration, after cutting the list to maxRequests, so a set
	 * name can hide every request (Intune-Resource-Access #132, #133). */
	return json_pack("{s:{s:i, s:n}}", "downloadParameters", "maxRequests",
	    max, "issuerName");
}

/* A copy of the string member key of o, NULL when absent or not a string. */
static char *
member(const json_t *o, const char *key, int *oom)
{
	const char	*s = json_string_value(json_object_get(o, key));
	char		*c;

	if (s == NULL)
		return NULL;
	if ((c = strdup(s)) == NULL)
		*oom = 1;
	return c;
}

void
intune_revreqs_free(struct intune_revreq *r, size_t n)
{
	size_t	 i;

	for (i = 0; r != NULL && i < n; i++) {
		free(r[i].context);
		free(r[i].serial);
		free(r[i].issuer);
	}
	free(r);
}

int
intune_rev_parse(const json_t *j, struct intune_revreq **reqs, size_t *n,
    size_t *skipped, char *reason, size_t rlen)
{
	const json_t		*value = json_object_get(j, "value"), *v;
	struct intune_revreq	*r = NULL;
	size_t			 i, k = 0;
	int			 oom = 0;

	*reqs = NULL;
	*n = *skipped = 0;
	if (!json_is_array(value)) {
		snprintf(reason, rlen, "the download answer has no \"value\" "
		    "array");
		return -1;
	}
	json_array_foreach(value, i, v)
		if (!json_is_object(v)) {
			snprintf(reason, rlen, "revocation request %zu is not "
			    "a JSON object", i + 1);
			return -1;
		}
	if (json_array_size(value) > 0 && (r = calloc(json_array_size(value),
	    sizeof(*r))) == NULL)
		oom = 1;
	json_array_foreach(value, i, v) {
		if (oom || !json_is_string(json_object_get(v,
		    "requestContext"))) {
			(*skipped)++;
			continue;
		}
		r[k].context = member(v, "requestContext", &oom);
		r[k].serial = member(v, "serialNumber", &oom);
		r[k].issuer = member(v, "issuerName", &oom);
		k++;
	}
	if (oom) {
		intune_revreqs_free(r, k);
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	*reqs = r;
	*n = k;
	return 0;
}

json_t *
intune_rev_upload_body(const struct intune_revresult *res, size_t n)
{
	json_t	*list = json_array(), *item;
	char	 code[16];
	size_t	 i;

	if (list == NULL || n == 0)
		goto fail;
	for (i = 0; i < n; i++) {
		snprintf(code, sizeof(code), "%d", res[i].code);
		item = json_pack("{s:s, s:b, s:s, s:s?}", "requestContext",
		    res[i].context, "succeeded", res[i].code == INTUNE_REV_NONE,
		    "errorCode", code, "errorMessage",
		    res[i].code == INTUNE_REV_NONE ? NULL : res[i].message);
		if (item == NULL || json_array_append_new(list, item) != 0)
			goto fail;
	}
	return json_pack("{s:o}", "results", list);
fail:
	json_decref(list);
	return NULL;
}

int
intune_rev_upload_ok(const struct intune_reply *r, char *reason, size_t rlen)
{
	if (r->status / 100 == 2 && json_is_true(json_object_get(r->json,
	    "value")))
		return 0;
	snprintf(reason, rlen, "Intune answered the upload with HTTP %ld%s "
	    "(client-request-id %s)", r->status, r->json == NULL ? ", not "
	    "JSON" : r->status / 100 == 2 ? ", not {\"value\":true}" : "",
	    r->request_id);
	return -1;
}

struct intune_pki {
	const struct config	*cfg;
	struct intune_http	*http;
	struct intune_auth	 auth;
	struct intune_endpoints	 ep;
};

int
intune_pki_open(const struct config *cfg, struct intune_pki **out,
    char *reason, size_t rlen)
{
	struct intune_pki	*p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	p->cfg = cfg;
	if (cfg->intune_tenant[0] == '\0' || cfg->intune_client_id[0] == '\0') {
		snprintf(reason, rlen, "[Intune] TenantId and ClientId are "
		    "needed");
		free(p);
		return -1;
	}
	if (intune_auth_open(&p->auth, cfg, reason, rlen) != 0) {
		free(p);
		return -1;
	}
	if ((p->http = intune_http_new(cfg, reason, rlen)) == NULL) {
		intune_pki_close(p);
		return -1;
	}
	*out = p;
	return 0;
}

void
intune_pki_close(struct intune_pki *p)
{
	if (p == NULL)
		return;
	intune_http_free(p->http);
	intune_auth_close(&p->auth);
	free(p);
}

const char *
intune_pki_discover(struct intune_pki *p, char *reason, size_t rlen)
{
	if (intune_discover(&p->ep, &p->auth, p->http, reason, rlen) != 0)
		return NULL;
	if (p->ep.pki[0] == '\0') {
		snprintf(reason, rlen, "Graph lists no %s endpoint",
		    INTUNE_PKI_SERVICE);
		memset(&p->ep, 0, sizeof(p->ep));
		return NULL;
	}
	return p->ep.pki;
}

/* One POST; 1: again with a fresh token, 2: again after discovery. */
static int
post(struct intune_pki *p, const char *action, const char *body, int fresh,
    struct intune_reply *r, char *reason, size_t rlen)
{
	const char	*tok, *base;
	char		 url[1200];

	if ((base = intune_pki_discover(p, reason, rlen)) == NULL ||
	    (tok = intune_auth_token(&p->auth, p->http, INTUNE_AUD_INTUNE,
	    fresh, reason, rlen)) == NULL)
		return -1;
	snprintf(url, sizeof(url), "%s/%s/%s", base, PKI_ACTIONS, action);
	if (intune_http_call(p->http, url, tok, PKI_API_VERSION,
	    "application/json", body, r, reason, rlen) != 0)
		return r->net == INTUNE_NET_CONNECT ? 2 : -1;
	return r->status == 401 ? 1 : r->status == 404 ? 2 : 0;
}

/* A 401 gets one fresh token, a connect failure or 404 one new
 * discovery; 0 when an answer came (any status). */
static int
call(struct intune_pki *p, const char *action, const json_t *body,
    struct intune_reply *r, char *reason, size_t rlen)
{
	char	*text = json_dumps(body, JSON_COMPACT);
	int	 rc, fresh = 0, again = 0;

	memset(r, 0, sizeof(*r));
	if (text == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	for (;;) {
		rc = post(p, action, text, fresh, r, reason, rlen);
		if (rc == 1 && !fresh)
			fresh = 1;
		else if (rc == 2 && !again) {
			again = 1;
			memset(&p->ep, 0, sizeof(p->ep));
		} else
			break;
		intune_reply_clear(r);
	}
	free(text);
	return rc == -1 && r->status == 0 ? -1 : 0;
}

int
intune_pki_download(struct intune_pki *p, int max, struct intune_revreq **reqs,
    size_t *n, size_t *skipped, char *reason, size_t rlen)
{
	struct intune_reply	 r;
	json_t			*body = intune_rev_download_body(max);
	int			 rc = -1;

	*reqs = NULL;
	*n = *skipped = 0;
	memset(&r, 0, sizeof(r));
	if (body == NULL)
		snprintf(reason, rlen, "out of memory");
	else if (call(p, "downloadRevocationRequests", body, &r, reason,
	    rlen) != 0)
		goto out;
	else if (r.status / 100 != 2 || r.json == NULL)
		snprintf(reason, rlen, "Intune answered the download with "
		    "HTTP %ld%s (client-request-id %s)", r.status, r.json ?
		    "" : ", not JSON", r.request_id);
	else if (intune_rev_parse(r.json, reqs, n, skipped, reason,
	    rlen) == 0)
		rc = 0;
out:
	intune_reply_clear(&r);
	json_decref(body);
	return rc;
}

int
intune_pki_upload(struct intune_pki *p, const struct intune_revresult *res,
    size_t n, char *reason, size_t rlen)
{
	struct intune_reply	 r;
	json_t			*body = intune_rev_upload_body(res, n);
	int			 rc = -1;

	memset(&r, 0, sizeof(r));
	if (body == NULL)
		snprintf(reason, rlen, "cannot encode the results");
	else if (call(p, "uploadRevocationResults", body, &r, reason,
	    rlen) == 0)
		rc = intune_rev_upload_ok(&r, reason, rlen);
	intune_reply_clear(&r);
	json_decref(body);
	return rc;
}
