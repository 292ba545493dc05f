/*
 * config.h - the typed configuration a worker loads once at start-up.
 * The INI mirrors HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP; see etc/mscep.ini.
 */
#ifndef MSCEP_CONFIG_H
#define MSCEP_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include <openssl/x509v3.h>

#include "util/audit.h"
#include "util/metrics.h"

#define TEMPLATE_NAME_MAX	64
#define TEMPLATES_MAX		32

/* SAN types a template lets the requester supply. */
enum san_type {
	SAN_DNS = 1 << 0,
	SAN_EMAIL = 1 << 1,	/* rfc822Name */
	SAN_UPN = 1 << 2,	/* otherName 1.3.6.1.4.1.311.20.2.3 */
	SAN_URI = 1 << 3,
	SAN_IP = 1 << 4,
};

enum key_type { KEYTYPE_RSA = 1 << 0, KEYTYPE_EC = 1 << 1 };

/* A certificate template: what AD CS keeps in the template object. */
struct template {
	char		 name[TEMPLATE_NAME_MAX];
	int		 validity_days;
	int		 max_validity_days;	/* cap when requester sets it */
	int		 allow_requester_validity; /* EDITF_ATTRIBUTEENDDATE */
	int		 subject_from_request;	/* "Supply in the request" */
	unsigned	 san_types;		/* enum san_type bits */
	int		 min_rsa_bits;
	unsigned	 key_types;		/* enum key_type bits */
	/* Extensions built once at load time, added to every certificate. */
	X509_EXTENSION	*ku;
	X509_EXTENSION	*eku;			/* NULL: no EKU */
	int		 sid_url_san;		/* KB5014754 tag:microsoft.com URI */
	int		 allow_wildcard;	/* "*.example.com" dNSNames */
	/* Lifecycle: renewal, approval, revocation, CRL. */
	int		 allow_renewal;		/* RenewalReq signed by a valid
						   certificate of this template */
	int		 renewal_window_days;	/* 0: any time before expiry */
	int		 revoke_on_renewal;	/* old one revoked: superseded */
	int		 require_approval;	/* PENDING until mscep-admin */
	int		 pending_hours;		/* then the request expires */
	X509_EXTENSION	*cdp;			/* [CRL] URL, IncludeCDP = 1 */
	X509_EXTENSION	*aia;			/* [OCSP] URL, IncludeOCSP = 1 */
};

/* [Policy] Module: who decides that a request may be issued. */
enum policy_kind { POLICY_PASSWORD, POLICY_MDM_CHALLENGE, POLICY_EXEC,
	POLICY_INTUNE };

/* [Store] Backend: where the shared state lives (store/store.h). */
enum store_backend { STORE_BACKEND_SQLITE, STORE_BACKEND_POSTGRESQL };

/* Which template a CSR without any key usage gets (NDES leaves it undocumented). */
enum nokeyusage { NOKU_GENERALPURPOSE, NOKU_SIGNATURE, NOKU_ENCRYPTION, NOKU_REJECT };

struct config {
	char		 path[PATH_MAX];
	char		 state_dir[PATH_MAX];

	/* [MSCEP]: registry values. */
	const struct template *signature;	/* SignatureTemplate */
	const struct template *encryption;	/* EncryptionTemplate */
	const struct template *general;		/* GeneralPurposeTemplate */
	enum nokeyusage	 no_key_usage;
	int		 enforce_password;
	int		 use_single_password;
	int		 password_max;
	int		 password_length;	/* bytes of randomness, printed as hex */
	int		 password_validity;	/* minutes */
	char		 password_vdir[128];	/* no leading or trailing '/' */

	/* [Service]: mscep's own settings. */
	int		 ca_direct;		/* no RA: the CA signs and decrypts */
	size_t		 max_message;		/* bytes of DER PKIOperation */
	int		 max_cgi;		/* CGI-mode processes at once */
	char		 caps[256];		/* GetCACaps body, LF separated */
	int		 log_syslog;
	char		 log_socket[108];	/* syslog datagram socket */
	int		 certrep_include_ca;
	int		 getcacert_include_root;
	int		 allow_des;		/* single DES-CBC, legacy clients */
	int		 allow_md5;		/* 0 no, 1 in requests, 2 also replies */
	int		 require_signer_csr_key;	/* no separate signer */
	int		 backdate_minutes;
	char		 hash[16];		/* digest for issued certificates */

	/* [Policy]: the one policy module and what it needs. */
	enum policy_kind policy;
	char		 challenge_signers[PATH_MAX];	/* trusted MDM certs */
	int		 clock_skew;			/* seconds */
	char		 verifier[PATH_MAX];		/* exec module program */
	int		 verifier_timeout;		/* seconds */
	char		 notify[PATH_MAX];		/* run per event */
	int		 notify_timeout;		/* seconds */
	int		 event_days;			/* events kept */

	/* [Intune]: Module = intune, Intune's SCEP validation API. */
	char		 intune_tenant[256];	/* domain or GUID */
	char		 intune_client_id[64];	/* the app registration */
	char		 intune_secret_file[PATH_MAX];	/* "" : certificate */
	char		 intune_cert[PATH_MAX];		/* client assertion */
	char		 intune_key[PATH_MAX];
	char		 intune_authority[512];	/* Entra ID, no tenant */
	char		 intune_graph[512];	/* discovery */
	char		 intune_resource[512];	/* token audience only */
	char		 intune_ca_bundle[PATH_MAX];	/* "" : the system's */
	char		 intune_proxy[512];	/* "" : none */
	int		 intune_timeout;	/* seconds, per HTTP call */
	int		 intune_rev_max;	/* intune-sync maxRequests */

	/* [CRL] and [OCSP]: revocation status, published. */
	char		 crl_file[PATH_MAX];	/* what the web server serves */
	char		 crl_url[512];		/* where it serves it (CDP) */
	int		 crl_validity_hours;	/* nextUpdate - thisUpdate */
	int		 crl_refresh_hours;	/* rebuilt when older */
	char		 ocsp_path[128];	/* "" : no OCSP responder */
	char		 ocsp_url[512];		/* AIA id-ad-ocsp */
	int		 ocsp_validity_minutes;	/* nextUpdate of answers */

	/* [Signer]: the process that alone holds the CA and OCSP keys. */
	char		 signer_socket[108];	/* "" : keys in each worker */
	char		 signer_group[64];	/* the socket's group */
	int		 signer_timeout_ms;	/* per request, then FAILURE */
	char		 signer_ledger[PATH_MAX];	/* what it signed */

	/* [Audit]: the audit stream (util/audit.h). */
	struct audit_sink audit;		/* Target, Facility */

	/* [Metrics]: the Prometheus page (util/metrics.h). */
	char		 metrics_path[128];	/* "" : no page, no counts */
	char		 tls_cert_file[PATH_MAX];	/* absolute: its expiry shown */
	struct metrics_allow metrics_allow;	/* who may read it */
	/* [Store]: the store's backend (store/store.h). */
	int		 store_backend;		/* enum store_backend */
	char		 store_conninfo[1024];	/* libpq, no password */
	int		 store_timeout;		/* statement_timeout, s */

	/* [PasswordPage]: the mscep_admin page. */
	char		 page_users[1024];	/* allow-list, LF separated */
	int		 page_users_nocase;	/* AD: names without case */
	int		 page_require_https;
	int		 page_utf16;		/* body in UTF-16LE, as NDES */

	struct template	 templates[TEMPLATES_MAX];
	int		 ntemplates;
};

/*
 * Loads and validates path into cfg. Every problem is written to errs as
 * "file:line: [section] key: message"; returns the number of problems,
 * or -1 when the file cannot be read.
 */
int	 config_load(const char *path, struct config *cfg, FILE *errs);
void	 config_free(struct config *);
const struct template *config_template(const struct config *, const char *);
/* Absolute path of a file in the state folder; -1 (out empty) when it
 * does not fit. */
int	 config_state_path(const struct config *, const char *, char *, size_t);

#endif
