/* policy_intune.c - Intune's validateRequest decides a PKCSReq. */
#include "policy/policy_intune.h"
#include "policy/intune_auth.h"
#include "policy/intune_discovery.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#define SCEP_API_VERSION	"api-version: 2018-02-20"
#define SID_URI			"tag:microsoft.com,2022-09-14:sid:"
/* E_FAIL (0x80004005) as the signed 32-bit HRESULT Intune takes. */
#define INTUNE_HRESULT_E_FAIL	(-2147467259L)

struct intune {
	const struct config	*cfg;
	struct intune_http	*http;
	struct intune_auth	 auth;
	struct intune_endpoints	 ep;
};

void
policy_intune_close(void *arg)
{
	struct intune	*in = arg;

	if (in == NULL)
		return;
	intune_http_free(in->http);
	intune_auth_close(&in->auth);
	free(in);
}

int
policy_intune_open(const struct config *cfg, void **state, char *reason,
    size_t rlen)
{
	struct intune	*in = calloc(1, sizeof(*in));

	if (in == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	in->cfg = cfg;
	if (intune_auth_open(&in->auth, cfg, reason, rlen) != 0 ||
	    (in->http = intune_http_new(cfg, reason, rlen)) == NULL) {
		policy_intune_close(in);
		return -1;
	}
	*state = in;
	return 0;
}

/* One POST; 1: retry after a fresh token, 2: after a new discovery. */
static int
post(struct intune *in, const char *action, const char *body,
    struct intune_reply *r, int fresh, char *reason, size_t rlen)
{
	const char	*tok;
	char		 url[1200];

	if (intune_discover(&in->ep, &in->auth, in->http, reason, rlen) != 0 ||
	    (tok = intune_auth_token(&in->auth, in->http, INTUNE_AUD_INTUNE,
	    fresh, reason, rlen)) == NULL)
		return -1;
	snprintf(url, sizeof(url), "%s/ScepActions/%s", in->ep.scep, action);
	if (intune_http_call(in->http, url, tok, SCEP_API_VERSION,
	    "application/json", body, r, reason, rlen) != 0)
		return r->net == INTUNE_NET_CONNECT ? 2 : -1;
	if (r->status == 401)
		return 1;
	return r->status == 404 ? 2 : 0;
}

int
intune_scep_call(void *arg, const char *action, const json_t *body,
    struct intune_reply *r, char *reason, size_t rlen)
{
	struct intune	*in = arg;
	char		*text = json_dumps(body, JSON_COMPACT);
	int		 rc, fresh = 0, rediscovered = 0;

	memset(r, 0, sizeof(*r));
	if (text == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	for (;;) {
		rc = post(in, action, text, r, fresh, reason, rlen);
		if (rc == 1 && !fresh) {
			fresh = 1;
		} else if (rc == 2 && !rediscovered) {
			rediscovered = 1;
			memset(&in->ep, 0, sizeof(in->ep));
		} else
			break;
		intune_reply_clear(r);
	}
	free(text);
	if (rc == -1 && r->status == 0) {
		r->net = intune_http_last(in->http);
		return -1;
	}
	return 0;
}

/* The DER CSR, base64 on one line, challengePassword kept; malloc'd. */
static char *
csr_base64(X509_REQ *csr)
{
	unsigned char	*der = NULL;
	char		*b64 = NULL;
	int		 n = i2d_X509_REQ(csr, &der);

	if (n > 0 && (b64 = malloc((size_t)n * 4 / 3 + 8)) != NULL)
		EVP_EncodeBlock((unsigned char *)b64, der, n);
	OPENSSL_free(der);
	return b64;
}

/* The SID of the CSR's strong-mapping URI SAN, "" when it has none; -1
 * when its SID does not fit out (no SID is that long). */
static int
csr_sid(X509_REQ *csr, char *out, size_t len)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);
	GENERAL_NAMES	*g = NULL;
	const GENERAL_NAME *n;
	const char	*u;
	int		 i, ulen, rc = 0;

	*out = '\0';
	if (exts != NULL)
		g = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	for (i = 0; g != NULL && i < sk_GENERAL_NAME_num(g); i++) {
		n = sk_GENERAL_NAME_value(g, i);
		if (n->type != GEN_URI)
			continue;
		u = (const char *)ASN1_STRING_get0_data(
		    n->d.uniformResourceIdentifier);
		ulen = ASN1_STRING_length(n->d.uniformResourceIdentifier);
		if (ulen <= (int)strlen(SID_URI) ||
		    strncasecmp(u, SID_URI, strlen(SID_URI)) != 0)
			continue;
		if (ulen - strlen(SID_URI) >= len)
			rc = -1;
		else
			snprintf(out, len, "%.*s", ulen - (int)strlen(SID_URI),
			    u + strlen(SID_URI));
	}
	GENERAL_NAMES_free(g);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
	return rc;
}

static void
append_id(char *reason, size_t len, const char *id)
{
	size_t	 n = strlen(reason);

	if (n < len)
		snprintf(reason + n, len - n, " (client-request-id %s)", id);
}

/* "S-1-" then digits and single dashes, as a KDC reads it. */
static int
sid_text_ok(const char *s)
{
	if (strncmp(s, "S-1-", 4) != 0 || s[4] == '\0')
		return 0;
	for (s += 4; *s != '\0'; s++)
		if (!(*s >= '0' && *s <= '9') && !(*s == '-' && s[1] >= '0' &&
		    s[1] <= '9'))
			return 0;
	return 1;
}

static json_t *
validate_body(const struct policy_request *req, const char *csr)
{
	return json_pack("{s:{s:s, s:s, s:s}}", "request", "transactionId",
	    req->txid, "certificateRequest", csr, "callerInfo", INTUNE_CALLER);
}

void
intune_judge(const struct intune_reply *r, struct policy_decision *d)
{
	const char	*code = json_string_value(json_object_get(r->json,
	    "code"));
	const char	*desc = json_string_value(json_object_get(r->json,
	    "errorDescription"));

	if (r->status / 100 != 2 || !json_is_object(r->json) || code == NULL) {
		snprintf(d->code, sizeof(d->code), "Unknown");
		snprintf(d->reason, sizeof(d->reason), "Intune validateRequest "
		    "answered HTTP %ld%s (client-request-id %s)", r->status,
		    r->json == NULL ? ", not JSON" : code == NULL ? " without "
		    "a code" : "", r->request_id);
		return;
	}
	snprintf(d->code, sizeof(d->code), "%s", code);
	d->allow = strcmp(code, "Success") == 0;
	snprintf(d->reason, sizeof(d->reason), "Intune: %.160s "
	    "(client-request-id %s)", desc && *desc ? desc : code,
	    r->request_id);
}

void
policy_intune_decide(void *arg, const struct config *cfg, struct store *st,
    const struct policy_request *req, struct policy_decision *d)
{
	struct intune_reply	 r;
	json_t			*body = NULL;
	char			*csr = csr_base64(req->csr);

	(void)cfg;
	(void)st;
	memset(&r, 0, sizeof(r));
	d->allow = 0;
	d->claim.kind = CLAIM_NONE;
	if (csr == NULL || (body = validate_body(req, csr)) == NULL) {
		snprintf(d->code, sizeof(d->code), "Unknown");
		snprintf(d->reason, sizeof(d->reason), "cannot encode the CSR");
		goto out;
	}
	if (intune_scep_call(arg, "validateRequest", body, &r, d->reason,
	    sizeof(d->reason)) != 0) {
		snprintf(d->code, sizeof(d->code), "%s", r.net ==
		    INTUNE_NET_TIMEOUT ? "IntuneTimeout" : r.net ==
		    INTUNE_NET_CONNECT ? "IntuneUnreachable" : "IntuneError");
		if (r.request_id[0] != '\0')
			append_id(d->reason, sizeof(d->reason), r.request_id);
		goto out;
	}
	intune_judge(&r, d);
	/* Intune checked the CSR, its strong-mapping SAN included. */
	if (d->allow && (csr_sid(req->csr, d->sid, sizeof(d->sid)) != 0 ||
	    (d->sid[0] != '\0' && !sid_text_ok(d->sid)))) {
		d->allow = 0;
		snprintf(d->code, sizeof(d->code), "SidMalformed");
		snprintf(d->reason, sizeof(d->reason), "the CSR's strong-mapping "
		    "URI does not end in a SID (S-1-...)");
	}
out:
	intune_reply_clear(&r);
	json_decref(body);
	free(csr);
}

int
intune_check_online(const struct config *cfg, FILE *out, char *reason,
    size_t rlen)
{
	struct intune	*in = NULL;
	int		 rc = -1;

	if (policy_intune_open(cfg, (void **)&in, reason, rlen) != 0)
		return -1;
	if (intune_auth_token(&in->auth, in->http, INTUNE_AUD_GRAPH, 1,
	    reason, rlen) == NULL)
		goto out;
	fprintf(out, "Graph token: ok\n");
	if (intune_auth_token(&in->auth, in->http, INTUNE_AUD_INTUNE, 1,
	    reason, rlen) == NULL)
		goto out;
	fprintf(out, "Intune token: ok\n");
	if (intune_discover(&in->ep, &in->auth, in->http, reason, rlen) != 0)
		goto out;
	fprintf(out, "%s: %s\n%s: %s\n", INTUNE_SCEP_SERVICE, in->ep.scep,
	    INTUNE_PKI_SERVICE, in->ep.pki[0] ? in->ep.pki : "(not listed)");
	rc = 0;
out:
	policy_intune_close(in);
	return rc;
}

/* What successNotification says about the certificate. */
static json_t *
success_body(const struct policy_request *req, const char *csr, X509 *x)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;
	char		 thumb[2 * EVP_MAX_MD_SIZE + 1], serial[80], when[32];
	char		*issuer = X509_NAME_oneline(X509_get_issuer_name(x), NULL,
	    0);
	BIGNUM		*bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char		*hex = bn ? BN_bn2hex(bn) : NULL;
	struct tm	 tm;
	json_t		*j = NULL;

	if (issuer == NULL || hex == NULL || !X509_digest(x, EVP_sha1(), md,
	    &n) || ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		goto out;
	for (i = 0; i < n; i++)
		snprintf(thumb + 2 * i, 3, "%02X", md[i]);
	snprintf(serial, sizeof(serial), "%s", hex);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S.0000000Z", &tm);
	j = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:n}}",
	    "notification", "transactionId", req->txid, "certificateRequest",
	    csr, "certificateThumbprint", thumb, "certificateSerialNumber",
	    serial, "certificateExpirationDateUtc", when,
	    "issuingCertificateAuthority", issuer, "callerInfo", INTUNE_CALLER,
	    "caConfiguration", "certificateAuthority");
out:
	OPENSSL_free(issuer);
	OPENSSL_free(hex);
	BN_free(bn);
	return j;
}

/* E_FAIL as a signed 32-bit HRESULT; the description at most 255
 * characters, printable ASCII (a reason may quote what a CSR said). */
static json_t *
failure_body(const struct policy_request *req, const char *csr,
    const char *why)
{
	char	 desc[256];
	size_t	 i;

	snprintf(desc, sizeof(desc), "%s", why && *why ? why : "issuance "
	    "failed");
	for (i = 0; desc[i] != '\0'; i++)
		if (desc[i] < 0x20 || desc[i] > 0x7e)
			desc[i] = '?';
	return json_pack("{s:{s:s, s:s, s:i, s:s, s:s}}", "notification",
	    "transactionId", req->txid, "certificateRequest", csr, "hResult",
	    (int)INTUNE_HRESULT_E_FAIL, "errorDescription", desc,
	    "callerInfo", INTUNE_CALLER);
}

int
policy_intune_notice(void *arg, const struct policy_request *req, X509 *x,
    const char *why, struct policy_notice *n, char *reason, size_t rlen)
{
	json_t		*body = NULL;
	char		*csr = csr_base64(req->csr);
	int		 rc = -1;

	(void)arg;
	if (csr == NULL || (body = x ? success_body(req, csr, x) :
	    failure_body(req, csr, why)) == NULL ||
	    (n->body = json_dumps(body, JSON_COMPACT)) == NULL ||
	    (n->action = strdup(x ? "successNotification" :
	    "failureNotification")) == NULL) {
		snprintf(reason, rlen, "cannot encode Intune's %s",
		    x ? "successNotification" : "failureNotification");
		free(n->body);
		n->body = NULL;
		goto out;
	}
	rc = 1;
out:
	json_decref(body);
	free(csr);
	return rc;
}

int
policy_intune_send(void *arg, const char *action, const char *body,
    char *reason, size_t rlen)
{
	struct intune_reply	 r;
	json_t			*j = NULL;
	const char		*code = NULL, *txid;
	int			 rc = -1;

	memset(&r, 0, sizeof(r));
	if ((strcmp(action, "successNotification") != 0 &&
	    strcmp(action, "failureNotification") != 0) ||
	    (j = json_loads(body, 0, NULL)) == NULL) {
		snprintf(reason, rlen, "stored notice %.40s is not one Intune "
		    "takes", action);
		goto out;
	}
	if (intune_scep_call(arg, action, j, &r, reason, rlen) != 0) {
		if (r.request_id[0] != '\0')
			append_id(reason, rlen, r.request_id);
		goto out;
	}
	code = json_string_value(json_object_get(r.json, "code"));
	if (r.status / 100 != 2 || code == NULL || strcmp(code, "Success") !=
	    0) {
		snprintf(reason, rlen, "Intune %s answered HTTP %ld, code "
		    "%.48s (client-request-id %s)", action, r.status, code ?
		    code : r.json ? "missing" : "none: not JSON", r.request_id);
		goto out;
	}
	txid = json_string_value(json_object_get(json_object_get(j,
	    "notification"), "transactionId"));
	log_info("intune: txid=%.64s %s acknowledged (client-request-id %s)",
	    txid != NULL ? txid : "-", action, r.request_id);
	rc = 0;
out:
	intune_reply_clear(&r);
	json_decref(j);
	return rc;
}
