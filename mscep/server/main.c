/*
 * main.c - bin/mscep, the FastCGI responder. Each worker process loads its
 * configuration, keys and store once, then answers one request at a time.
 * Started without a FastCGI listener it answers a single CGI request.
 */
#include <fcgi_stdio.h>	/* must precede other stdio users in this file */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/log.h"
#include "server/cgislot.h"
#include "util/num.h"
#include "server/supervise.h"
#include "responder/route.h"
#include "responder/worker.h"
#include "signer/signer.h"

#ifndef MSCEP_CONFIG
#define MSCEP_CONFIG "/etc/mscep/mscep.ini"
#endif

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 503: return "Service Unavailable";
	default:  return "Internal Server Error";
	}
}

/* Apache's mod_ssl, lighttpd and the shipped nginx parameters set HTTPS=on;
 * REQUEST_SCHEME is the fallback. */
static int
is_https(void)
{
	const char	*h = getenv("HTTPS"), *s = getenv("REQUEST_SCHEME");

	if (h != NULL && (!strcasecmp(h, "on") || !strcmp(h, "1")))
		return 1;
	return s != NULL && !strcasecmp(s, "https");
}

/* Reads CONTENT_LENGTH bytes, refusing more than limit. */
static int
read_body(struct buf *body, size_t limit, int *too_large)
{
	const char	*cl = getenv("CONTENT_LENGTH");
	unsigned char	 chunk[16384];
	size_t		 want, n;
	char		*end;
	unsigned long long v;

	*too_large = 0;
	if (cl == NULL || *cl == '\0')
		return 0;
	v = strtoull(cl, &end, 10);
	if (*end != '\0')
		return -1;
	if (v > limit) {
		*too_large = 1;
		return -1;
	}
	for (want = (size_t)v; want > 0; want -= n) {
		n = fread(chunk, 1, want < sizeof(chunk) ? want : sizeof(chunk),
		    stdin);
		if (n == 0 || buf_append(body, chunk, n) != 0)
			return -1;
	}
	return 0;
}

static void
write_response(const struct http_resp *resp, int head)
{
	char	 hdr[512];
	int	 n;

	/* libfcgi's own printf knows no %zu: format here, then write. */
	n = snprintf(hdr, sizeof(hdr), "Status: %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n\r\n",
	    resp->status, status_text(resp->status), resp->content_type,
	    resp->body.len);
	fwrite(hdr, 1, (size_t)n, stdout);
	if (!head && resp->body.len > 0)
		fwrite(resp->body.p, 1, resp->body.len, stdout);
}

static void
serve_one(struct worker *w)
{
	struct http_req	 req;
	struct http_resp resp = { 0 };
	struct buf	 body = { 0 };
	int		 too_large;
	const char	*method = getenv("REQUEST_METHOD");

	memset(&req, 0, sizeof(req));
	req.method = method ? method : "GET";
	req.query = getenv("QUERY_STRING");
	req.path_info = getenv("PATH_INFO");
	req.request_uri = getenv("REQUEST_URI");
	req.remote_user = getenv("REMOTE_USER");
	req.remote_addr = getenv("REMOTE_ADDR");
	req.https = is_https();
	if (strcmp(req.method, "POST") == 0 &&
	    read_body(&body, w->cfg.max_message, &too_large) != 0) {
		http_text(&resp, too_large ? 413 : 400, "text/plain",
		    too_large ? "message exceeds MaxMessageSize\n" :
		    "cannot read request body\n");
		log_warnx("op=PKIOperation result=%d reason=\"request body "
		    "%s\"", resp.status, too_large ? "too large" : "unreadable");
	} else {
		req.body = body.p;
		req.body_len = body.len;
		route_request(w, &req, &resp);
	}
	write_response(&resp, strcmp(req.method, "HEAD") == 0);
	http_resp_free(&resp);
	buf_free(&body);
}

/*
 * SIGTERM (web server recycling, supervisor, systemd) ends an idle
 * worker at once and a busy one after its response; SA_RESTART keeps the
 * busy worker's reads going. libfcgi reads a request's parameters before
 * FCGI_Accept returns, so a SIGTERM in those microseconds still drops
 * that request (the web server answers 502).
 */
static volatile sig_atomic_t busy, stop;

static void
on_term(int sig)
{
	(void)sig;
	if (!busy)
		_exit(0);
	stop = 1;
}

/* Seconds a CGI request refused for want of a slot is told to wait. */
#define CGI_RETRY_AFTER	5

/* The CGI slot this process holds (cgislot.h), never closed. */
static int cgi_slot = -1;

/*
 * mscep run as a plain CGI (a GET too long for FastCGI) first takes one
 * of MaxCGIProcesses slots, held until it exits; without one it answers
 * 503 before loading any key. Returns 0 to go on, -1 when answered.
 */
static int
cgi_admit(const char *path)
{
	static char		 body[] = "too many long requests at once; "
	    "retry later\n";
	struct config		 cfg;
	char			 hdr[256], reason[512] = "unknown error";
	int			 n, loaded;

	if (!FCGX_IsCGI())
		return 0;
	/* A configuration that does not load: worker_open says why. */
	loaded = config_load(path, &cfg, NULL) == 0;
	if (loaded)
		cgi_slot = cgislot_take(&cfg, reason, sizeof(reason));
	config_free(&cfg);
	if (!loaded || cgi_slot >= 0)
		return 0;	/* the slot's lock lasts as long as we do */
	log_warnx("op=CGI result=503 reason=\"%s\"", reason);
	/* libfcgi's stdout is the CGI's once FCGI_Accept has run. */
	if (FCGI_Accept() < 0)
		return -1;
	n = snprintf(hdr, sizeof(hdr), "Status: 503 %s\r\nRetry-After: %d\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n\r\n", status_text(503),
	    CGI_RETRY_AFTER, sizeof(body) - 1);
	fwrite(hdr, 1, (size_t)n, stdout);
	fwrite(body, 1, sizeof(body) - 1, stdout);
	return -1;
}

static int
run_worker(void *arg)
{
	const char		*path = arg;
	struct worker		 w;
	struct sigaction	 sa = { .sa_handler = on_term };
	char			 reason[REASON_MAX] = "unknown error";

	if (cgi_admit(path) != 0)
		return 0;
	if (worker_open(&w, path, reason, sizeof(reason)) != 0) {
		log_errx("cannot start: %s", reason);
		worker_close(&w);
		return WORKER_EXIT_STARTUP;
	}
	if (w.cfg.log_syslog)
		log_open(LOG_TO_SYSLOG, "mscep", w.cfg.log_socket);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	while (!stop && FCGI_Accept() >= 0) {
		busy = 1;
		serve_one(&w);
		FCGI_Finish();
		route_idle(&w);
		busy = 0;
	}
	worker_close(&w);
	return 0;
}

/* Before a SIGHUP replaces the workers: would a new one start? */
static int
reload_check(void *arg)
{
	struct worker	 w;
	char		 reason[REASON_MAX] = "unknown error";
	int		 rc;

	if ((rc = worker_open(&w, arg, reason, sizeof(reason))) != 0)
		log_errx("reload refused, the running workers stay: %s",
		    reason);
	worker_close(&w);
	return rc;
}

static void
usage(void)
{
	log_errx("usage: mscep [-c mscep.ini] [-n workers [-s path|host:port "
	    "[-g socket-group]]]\n       mscep -S [-c mscep.ini] [-n "
	    "signers]");
}

/*
 * mscep -S: the signer pool on [Signer] Socket (or systemd's socket),
 * n processes (default one per core, at most 4) sharing it.
 */
static int
run_signer(const char *path, int n)
{
	struct config	 cfg;
	char		 reason[REASON_MAX] = "unknown error";
	int		 nerr, rc, own = getenv("LISTEN_FDS") == NULL;
	long		 cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (n == 0)
		n = cores < 1 ? 1 : cores > 4 ? 4 : (int)cores;
	if ((nerr = worker_config_check(path, &cfg)) != 0) {
		log_errx("signer cannot start: %s: %d configuration "
		    "problem(s)", path, nerr < 0 ? 1 : nerr);
		config_free(&cfg);
		return 1;
	}
	if (cfg.log_syslog)
		log_open(LOG_TO_SYSLOG, "mscep-signer", cfg.log_socket);
	if (cfg.signer_socket[0] == '\0' && own) {
		log_errx("signer cannot start: [Signer] Socket is empty");
		config_free(&cfg);
		return 1;
	}
	/* The keys first: a socket that exists is a signer that can sign,
	 * and a key it cannot read stops it before anyone connects. */
	if (signer_keys_check(path, reason, sizeof(reason)) != 0) {
		log_errx("signer cannot start: %s", reason);
		config_free(&cfg);
		return 1;
	}
	rc = supervise_listen_socket(cfg.signer_socket[0] ? cfg.signer_socket :
	    NULL, cfg.signer_group[0] ? cfg.signer_group : NULL, reason,
	    sizeof(reason));
	if (rc != 0) {
		log_errx("signer cannot start: %s", reason);
		config_free(&cfg);
		return 1;
	}
	rc = supervise(n, signer_serve, signer_check, (void *)path);
	/* systemd's socket (mscep-signer.socket) stays. */
	if (own && cfg.signer_socket[0] == '/')
		unlink(cfg.signer_socket);
	config_free(&cfg);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct config	 cfg;
	const char	*path = getenv("MSCEP_CONFIG"), *addr = NULL;
	const char	*group = NULL, *why;
	char		 reason[REASON_MAX] = "unknown error";
	int		 ch, n = 0, nerr, rc, sign = 0;

	while ((ch = getopt(argc, argv, "c:g:n:s:S")) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'S': sign = 1; break;
		case 'n':
			if (num_int(optarg, 0, SUPERVISE_POOL_MAX, &n,
			    &why) != 0) {
				log_errx("-n %s: %s, from 0 to %d workers",
				    optarg, why, SUPERVISE_POOL_MAX);
				return 2;
			}
			break;
		case 's': addr = optarg; break;
		case 'g': group = optarg; break;
		default: usage(); return 2;
		}
	}
	if (path == NULL)
		path = MSCEP_CONFIG;
	if (sign)
		return addr != NULL || group != NULL ? (usage(), 2) :
		    run_signer(path, n);
	if (n == 0 && addr == NULL)
		return run_worker((void *)path);   /* spawned by the server */
	if (n < 1) {
		usage();
		return 2;
	}
	/* Configuration errors stop the supervisor before any fork. */
	nerr = worker_config_check(path, &cfg);
	if (nerr == 0 && cfg.log_syslog)
		log_open(LOG_TO_SYSLOG, "mscep", cfg.log_socket);
	config_free(&cfg);
	if (nerr != 0) {
		log_errx("cannot start: %s: %d configuration problem(s)", path,
		    nerr < 0 ? 1 : nerr);
		return 1;
	}
	if (supervise_listen_socket(addr, group, reason, sizeof(reason)) != 0) {
		log_errx("cannot start: %s", reason);
		return 1;
	}
	rc = supervise(n, run_worker, reload_check, (void *)path);
	if (addr != NULL && addr[0] == '/')
		unlink(addr);
	return rc;
}
