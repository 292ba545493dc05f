/* events.c - record an outcome, then notify without waiting. */
#include "store/events.h"
#include "util/log.h"
#include "util/runcmd.h"
#include "util/cert.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

/* Where the next bytes go, or NULL once out is full (never past it). */
#define AT(out, size, n)	((n) < (size) ? (out) + (n) : NULL)
#define LEFT(size, n)		((n) < (size) ? (size) - (n) : 0)

/* Appends s as a JSON string; returns the new length. */
static size_t
json_str(char *out, size_t size, size_t n, const char *s)
{
	const unsigned char	*p;

	if (s == NULL)
		return n + (size_t)snprintf(AT(out, size, n), LEFT(size, n),
		    "null");
	n += (size_t)snprintf(AT(out, size, n), LEFT(size, n), "\"");
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			n += (size_t)snprintf(AT(out, size, n), LEFT(size, n),
			    "\\%c", *p);
		else if (*p < 0x20)
			n += (size_t)snprintf(AT(out, size, n), LEFT(size, n),
			    "\\u%04x", *p);
		else
			n += (size_t)snprintf(AT(out, size, n), LEFT(size, n),
			    "%c", *p);
	}
	return n + (size_t)snprintf(AT(out, size, n), LEFT(size, n), "\"");
}

static void
iso8601(int64_t t, char out[32])
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
events_json(const struct store_event *e, char *out, size_t size)
{
	char	 at[32], exp[32];
	size_t	 n;

	iso8601(e->at, at);
	n = (size_t)snprintf(out, size, "{\"id\":%lld,\"time\":\"%s\","
	    "\"result\":\"%s\",\"transactionId\":", (long long)e->id, at,
	    e->success ? "success" : "failure");
	n = json_str(out, size, n, e->txid);
	n += (size_t)snprintf(AT(out, size, n), LEFT(size, n),
	    ",\"code\":");
	n = json_str(out, size, n, e->code);
	n += (size_t)snprintf(AT(out, size, n), LEFT(size, n),
	    ",\"deviceId\":");
	n = json_str(out, size, n, e->device_id);
	if (e->success) {
		iso8601(e->not_after, exp);
		n += (size_t)snprintf(AT(out, size, n), LEFT(size, n),
		    ",\"serial\":");
		n = json_str(out, size, n, e->serial);
		n += (size_t)snprintf(AT(out, size, n), LEFT(size, n),
		    ",\"thumbprint\":");
		n = json_str(out, size, n, e->thumbprint);
		n += (size_t)snprintf(AT(out, size, n), LEFT(size, n),
		    ",\"expires\":\"%s\",\"issuer\":", exp);
		n = json_str(out, size, n, e->issuer);
		/* A revocation Intune asked for says so here. */
		if (e->description != NULL && e->description[0] != '\0') {
			n += (size_t)snprintf(AT(out, size, n), LEFT(size, n),
			    ",\"description\":");
			n = json_str(out, size, n, e->description);
		}
	} else {
		n += (size_t)snprintf(AT(out, size, n), LEFT(size, n),
		    ",\"description\":");
		n = json_str(out, size, n, e->description);
	}
	n += (size_t)snprintf(AT(out, size, n), LEFT(size, n), "}");
	return n < size ? 0 : -1;
}

int64_t
events_keep_after(const struct config *cfg, int64_t now)
{
	return now - 86400LL * cfg->event_days;
}

void
events_notify(const struct config *cfg, const struct store_event *e)
{
	char	 json[4096], line[4200];
	char	 code[64], txid[160];
	char	*env[] = { code, txid, NULL };

	if (cfg->notify[0] == '\0' || events_json(e, json, sizeof(json)) != 0)
		return;
	snprintf(line, sizeof(line), "%s\n", json);
	snprintf(code, sizeof(code), "MSCEP_EVENT=%s", e->code);
	snprintf(txid, sizeof(txid), "MSCEP_TRANSACTION_ID=%s", e->txid);
	if (runcmd_detached(cfg->notify, env, line, strlen(line),
	    cfg->notify_timeout) != 0)
		log_errx("NotifyCommand %s cannot be started", cfg->notify);
}

static void
record(const struct config *cfg, struct store *st, struct store_event *e)
{
	char	 safe[REASON_MAX];

	e->at = util_now();
	if (store_event_add(st, e, events_keep_after(cfg, e->at)) != STORE_OK)
		log_errx("cannot record event for txid %.64s: %s", e->txid,
		    log_safe(store_errmsg(st), safe, sizeof(safe)));
	events_notify(cfg, e);
}

void
events_success_make(struct success_event *se, const char *txid, X509 *cert,
    const char *device_id)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	memset(se, 0, sizeof(*se));
	/* Intune reports the SHA-1 thumbprint, as Windows shows it. */
	X509_digest(cert, EVP_sha1(), md, &mdlen);
	util_hex_encode(md, mdlen, se->thumbprint);
	cert_serial_hex(X509_get0_serialNumber(cert), se->serial,
	    sizeof(se->serial));
	se->issuer = X509_NAME_oneline(X509_get_issuer_name(cert), NULL, 0);
	se->ev.at = util_now();
	se->ev.success = 1;
	se->ev.txid = txid;
	se->ev.serial = se->serial;
	se->ev.thumbprint = se->thumbprint;
	se->ev.not_after = cert_time_epoch(X509_get0_notAfter(cert));
	se->ev.issuer = se->issuer;
	se->ev.device_id = device_id;
	se->ev.code = "Success";
}

void
events_success_free(struct success_event *se)
{
	OPENSSL_free(se->issuer);
	memset(se, 0, sizeof(*se));
}

void
events_failure(const struct config *cfg, struct store *st, const char *txid,
    const char *code, const char *description, const char *device_id)
{
	struct store_event	 e = { 0 };

	e.txid = txid;
	e.code = code;
	e.description = description;
	e.device_id = device_id;
	record(cfg, st, &e);
}
