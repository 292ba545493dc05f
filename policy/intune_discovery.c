/* intune_discovery.c - Intune's endpoints, from Microsoft Graph. */
#include "policy/intune_discovery.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define INTUNE_APP_ID	"0000000a-0000-0000-c000-000000000000"

/* The first entry named name (Microsoft's Java sample keeps the first). */
static void
pick(const json_t *value, const char *name, char *out, size_t len)
{
	const json_t	*v;
	const char	*n, *u;
	size_t		 i, l;

	json_array_foreach(value, i, v) {
		n = json_string_value(json_object_get(v, "providerName"));
		u = json_string_value(json_object_get(v, "uri"));
		if (n == NULL || u == NULL || strcasecmp(n, name) != 0 ||
		    strncmp(u, "https://", 8) != 0)
			continue;
		l = strlen(u);
		while (l > 8 && u[l - 1] == '/')
			l--;
		if (l < len)
			snprintf(out, len, "%.*s", (int)l, u);
		return;
	}
}

int
intune_endpoints_parse(const json_t *j, struct intune_endpoints *e,
    char *reason, size_t rlen)
{
	const json_t	*value = json_object_get(j, "value");

	memset(e, 0, sizeof(*e));
	if (!json_is_array(value)) {
		snprintf(reason, rlen, "Graph's endpoint list has no \"value\" "
		    "array");
		return -1;
	}
	pick(value, INTUNE_SCEP_SERVICE, e->scep, sizeof(e->scep));
	pick(value, INTUNE_PKI_SERVICE, e->pki, sizeof(e->pki));
	if (e->scep[0] == '\0') {
		snprintf(reason, rlen, "Graph lists no %s endpoint (does the "
		    "app have Application.Read.All with admin consent?)",
		    INTUNE_SCEP_SERVICE);
		return -1;
	}
	return 0;
}

/* One GET of the list; 1 when Graph refused the token (401). */
static int
fetch(struct intune_endpoints *e, const char *url, const char *token,
    struct intune_http *h, char *reason, size_t rlen)
{
	struct intune_reply	 r;
	int			 rc = -1;

	if (intune_http_call(h, url, token, NULL, NULL, NULL, &r, reason,
	    rlen) != 0)
		goto out;
	if (r.status / 100 != 2 || r.json == NULL) {
		snprintf(reason, rlen, "Graph endpoint discovery answered HTTP "
		    "%ld%s (client-request-id %s)", r.status, r.json ? "" :
		    ", not JSON", r.request_id);
		rc = r.status == 401 ? 1 : -1;
		goto out;
	}
	rc = intune_endpoints_parse(r.json, e, reason, rlen);
out:
	intune_reply_clear(&r);
	return rc;
}

int
intune_discover(struct intune_endpoints *e, struct intune_auth *a,
    struct intune_http *h, char *reason, size_t rlen)
{
	const char	*tok, *g = a->cfg->intune_graph;
	char		 url[1024];
	size_t		 n = strlen(g);
	int		 rc, fresh = 0;

	if (e->scep[0] != '\0')
		return 0;
	snprintf(url, sizeof(url), "%.*s/v1.0/servicePrincipals/appId=%s/"
	    "endpoints", (int)(n > 0 && g[n - 1] == '/' ? n - 1 : n), g,
	    INTUNE_APP_ID);
	do {
		if ((tok = intune_auth_token(a, h, INTUNE_AUD_GRAPH, fresh,
		    reason, rlen)) == NULL)
			return -1;
		/* A 401: the cached token was revoked or expired early. */
	} while ((rc = fetch(e, url, tok, h, reason, rlen)) == 1 && !fresh++);
	return rc == 0 ? 0 : -1;
}
