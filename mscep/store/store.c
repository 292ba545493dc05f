/*
 * store.c - the store interface: picks a backend by name and hands each
 * call to its operations table (store_backend.h): SQLite
 * (store_sqlite*.c), the embedded default, or PostgreSQL (store_pg*.c),
 * which several hosts share. [Store] Backend chooses, here only.
 */
#include "store/store.h"
#include "store/store_backend.h"

#include <stdio.h>
#include <string.h>

#include "config/config.h"

static const struct store_ops *const backends[] = {
	&store_sqlite_ops,
	&store_pg_ops,
};

static enum store_rc
counted(struct store *s, enum store_rc rc)
{
	if (rc == STORE_ERROR && s->errors != NULL)
		(*s->errors)++;
	return rc;
}

void
store_count_errors(struct store *s, uint64_t *counter)
{
	s->errors = counter;
}

static const struct store_ops *
backend_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

int
store_target(const struct config *cfg, const char **backend, char *target,
    size_t len)
{
	if (cfg->store_backend == STORE_BACKEND_POSTGRESQL) {
		*backend = "postgresql";
		return snprintf(target, len, "%s", cfg->store_conninfo) <
		    (int)len ? 0 : -1;
	}
	*backend = "sqlite";
	return config_state_path(cfg, STORE_FILE, target, len);
}

int
store_open_config(const struct config *cfg, struct store **out,
    char *reason, size_t rlen)
{
	const char	*backend;
	char		 target[sizeof(cfg->store_conninfo) + PATH_MAX];

	*out = NULL;
	if (store_target(cfg, &backend, target, sizeof(target)) != 0) {
		snprintf(reason, rlen, "[Store]: the store's name is too long");
		return -1;
	}
	if (store_open_backend(backend, target, out, reason, rlen) != 0)
		return -1;
	if ((*out)->ops->tune != NULL &&
	    (*out)->ops->tune(*out, cfg->store_timeout) != 0) {
		snprintf(reason, rlen, "%s", store_errmsg(*out));
		store_close(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int
store_migrate(const char *backend, const char *target, int *from,
    char *reason, size_t rlen)
{
	const struct store_ops	*ops = backend_find(backend);
	struct store		*s = NULL;

	*from = 0;
	if (ops == NULL) {
		snprintf(reason, rlen, "unknown store backend \"%s\"", backend);
		return -1;
	}
	if (ops->migrate != NULL)
		return ops->migrate(target, from, reason, rlen);
	/* SQLite: opening migrates, inside one write transaction. */
	if (ops->open(target, &s, reason, rlen) != 0)
		return -1;
	ops->close(s);
	return 0;
}

int
store_crl_lock(struct store *s, int lock)
{
	return s->ops->crl_lock != NULL ? s->ops->crl_lock(s, lock) : 0;
}

int
store_open_backend(const char *backend, const char *target,
    struct store **out, char *reason, size_t rlen)
{
	const struct store_ops	*ops = backend_find(backend);

	*out = NULL;
	if (ops != NULL)
		return ops->open(target, out, reason, rlen);
	snprintf(reason, rlen, "unknown store backend \"%s\"", backend);
	return -1;
}

int
store_open(const char *path, struct store **out, char *reason, size_t rlen)
{
	return store_open_backend("sqlite", path, out, reason, rlen);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

enum store_rc
store_find_txn(struct store *s, const char *txid, const char *key_id,
    struct buf *der)
{
	return counted(s, s->ops->find_txn(s, txid, key_id, der));
}

enum store_rc
store_issue(struct store *s, const struct store_cert *cert,
    const struct store_claim *claim)
{
	return counted(s, s->ops->issue(s, cert, claim));
}

enum store_rc
store_cert_by_serial(struct store *s, const char *serial, struct buf *der)
{
	return counted(s, s->ops->cert_by_serial(s, serial, der));
}

int64_t
store_count_certs(struct store *s)
{
	return s->ops->count_certs(s);
}

enum store_rc
store_stats(struct store *s, int64_t now, struct store_stats *st)
{
	return counted(s, s->ops->stats(s, now, st));
}

enum store_rc
store_password_add(struct store *s, const char *hash, int64_t now,
    int64_t expires, int max_outstanding)
{
	return counted(s, s->ops->password_add(s, hash, now, expires, max_outstanding));
}

enum store_rc
store_password_set_single(struct store *s, const char *hash, int64_t now)
{
	return counted(s, s->ops->password_set_single(s, hash, now));
}

enum store_rc
store_password_lookup(struct store *s, const char *hash, int64_t now,
    enum claim_kind *kind)
{
	return counted(s, s->ops->password_lookup(s, hash, now, kind));
}

enum store_rc
store_nonce_used(struct store *s, const char *nonce)
{
	return counted(s, s->ops->nonce_used(s, nonce));
}

enum store_rc
store_event_add(struct store *s, const struct store_event *ev,
    int64_t keep_after)
{
	return counted(s, s->ops->event_add(s, ev, keep_after));
}

enum store_rc
store_events(struct store *s, int64_t since,
    int (*fn)(const struct store_event *, void *), void *arg)
{
	return counted(s, s->ops->events(s, since, fn, arg));
}

const char *
store_errmsg(struct store *s)
{
	return s->ops->errmsg(s);
}

enum store_rc
store_revoke(struct store *s, const char *serial, int reason, int64_t at,
    int *already)
{
	return counted(s, s->ops->revoke(s, serial, reason, at, already));
}

enum store_rc
store_revoke_where(struct store *s, const struct cert_filter *f, int reason,
    int64_t at, int64_t *count)
{
	return counted(s, s->ops->revoke_where(s, f, reason, at, count));
}

enum store_rc
store_list(struct store *s, const struct cert_filter *f,
    int (*fn)(const struct cert_row *, void *), void *arg)
{
	return counted(s, s->ops->list(s, f, fn, arg));
}

enum store_rc
store_cert_status(struct store *s, const char *serial, struct cert_row *row)
{
	return counted(s, s->ops->cert_status(s, serial, row));
}

enum store_rc
store_revoked(struct store *s, const char *ca_key,
    int (*fn)(const struct cert_row *, void *), void *arg)
{
	return counted(s, s->ops->revoked(s, ca_key, fn, arg));
}

int
store_crl_dirty(struct store *s)
{
	return s->ops->crl_dirty(s);
}

int64_t
store_crl_wanted(struct store *s)
{
	return s->ops->crl_wanted(s);
}

enum store_rc
store_crl_mark_dirty(struct store *s)
{
	return counted(s, s->ops->crl_mark_dirty(s));
}

enum store_rc
store_crl_next(struct store *s, int count, int64_t *first)
{
	return counted(s, s->ops->crl_next(s, count, first));
}

enum store_rc
store_pending_add(struct store *s, const struct pending_req *p,
    const struct store_claim *claim)
{
	return counted(s, s->ops->pending_add(s, p, claim));
}

struct txid_match {
	const char	*key_id;
	int		 other_key;
	int		(*fn)(const struct pending_req *, void *);
	void		*arg;
};

static int
match_key(const struct pending_req *p, void *arg)
{
	struct txid_match	*m = arg;

	/* RFC 8894 3.3.3: who does not hold the key learns nothing about
	 * the request. */
	if (strcmp(p->key_id, m->key_id) != 0) {
		m->other_key = 1;
		return 1;
	}
	return m->fn(p, m->arg);
}

enum store_rc
store_pending_find(struct store *s, const char *txid, const char *key_id,
    int64_t now, int (*fn)(const struct pending_req *, void *), void *arg)
{
	struct txid_match	 m = { key_id, 0, fn, arg };
	enum store_rc		 rc;

	rc = counted(s, s->ops->pending_find(s, txid, now, match_key, &m));
	return rc == STORE_OK && m.other_key ? STORE_TXID_TAKEN : rc;
}

enum store_rc
store_pending_get(struct store *s, int64_t id, int64_t now,
    int (*fn)(const struct pending_req *, void *), void *arg)
{
	return counted(s, s->ops->pending_get(s, id, now, fn, arg));
}

enum store_rc
store_pending_list(struct store *s, int64_t now,
    int (*fn)(const struct pending_req *, void *), void *arg)
{
	return counted(s, s->ops->pending_list(s, now, fn, arg));
}

enum store_rc
store_pending_decide(struct store *s, int64_t id, int64_t now,
    const struct store_cert *cert, const struct store_event *ev,
    int64_t keep_after)
{
	return counted(s, s->ops->pending_decide(s, id, now, cert, ev, keep_after));
}

enum store_rc
store_outbox_add(struct store *s, const struct store_notice *n)
{
	return counted(s, s->ops->outbox_add(s, n));
}

enum store_rc
store_outbox_find(struct store *s, const char *serial,
    int (*fn)(const struct store_notice *, void *), void *arg)
{
	return counted(s, s->ops->outbox_find(s, serial, fn, arg));
}

enum store_rc
store_outbox_list(struct store *s,
    int (*fn)(const struct store_notice *, void *), void *arg)
{
	return counted(s, s->ops->outbox_list(s, fn, arg));
}

enum store_rc
store_outbox_sent(struct store *s, int64_t id)
{
	return counted(s, s->ops->outbox_sent(s, id));
}

enum store_rc
store_outbox_failed(struct store *s, int64_t id, int64_t at,
    const char *error)
{
	return counted(s, s->ops->outbox_failed(s, id, at, error));
}
