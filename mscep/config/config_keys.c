/*
 * config_keys.c - the configuration keys: one table (section, key, type,
 * default, range, member, help), the parsers of keys that need more than
 * their type's, and the checks that span keys. Defaults mirror the NDES
 * registry (Windows Server 2019 MSCEP.reg); etc/mscep.ini documents every
 * key in the same order.
 */
#include "config/config_priv.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <libpq-fe.h>

#define CFG(m)	.off = offsetof(struct config, m), \
		.size = sizeof(((struct config *)0)->m)
#define TPL(m)	.off = offsetof(struct template, m), \
		.size = sizeof(((struct template *)0)->m)

/* What GetCACaps may advertise: only what this build implements (exact
 * case, as clients compare it). */
static const struct config_word caps_words[] = {
	{ "AES", 0 }, { "DES3", 0 }, { "POSTPKIOperation", 0 },
	{ "Renewal", 0 }, { "SCEPStandard", 0 }, { "SHA-1", 0 },
	{ "SHA-256", 0 }, { "SHA-512", 0 }, { NULL, 0 }
};
static const struct config_word log_words[] = {
	{ "stderr", 0 }, { "syslog", 1 }, { NULL, 0 }
};
static const struct config_word hash_words[] = {
	{ "sha256", 0 }, { "sha384", 0 }, { "sha512", 0 }, { NULL, 0 }
};
static const struct config_word noku_words[] = {
	{ "GeneralPurpose", NOKU_GENERALPURPOSE },
	{ "Signature", NOKU_SIGNATURE }, { "Encryption", NOKU_ENCRYPTION },
	{ "Reject", NOKU_REJECT }, { NULL, 0 }
};
static const struct config_word encoding_words[] = {
	{ "UTF-16LE", 1 }, { "UTF-8", 0 }, { NULL, 0 }
};
static const struct config_word module_words[] = {
	{ "ndes-password", POLICY_PASSWORD }, { "mdm-challenge",
	    POLICY_MDM_CHALLENGE },
	{ "exec", POLICY_EXEC }, { "intune", POLICY_INTUNE }, { NULL, 0 }
};
static const struct config_word san_words[] = {
	{ "dns", SAN_DNS }, { "email", SAN_EMAIL }, { "rfc822", SAN_EMAIL },
	{ "upn", SAN_UPN }, { "uri", SAN_URI }, { "ip", SAN_IP },
	{ "none", 0 }, { NULL, 0 }
};
static const struct config_word facility_words[] = {
	{ "authpriv", LOG_AUTHPRIV }, { "auth", LOG_AUTH },
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 }, { NULL, 0 }
};
static const struct config_word backend_words[] = {
	{ "sqlite", STORE_BACKEND_SQLITE },
	{ "postgresql", STORE_BACKEND_POSTGRESQL }, { NULL, 0 }
};
static const struct config_word keytype_words[] = {
	{ "rsa", KEYTYPE_RSA }, { "ec", KEYTYPE_EC }, { NULL, 0 }
};

static int parse_template(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_vdir(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_state_dir(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_caps(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_log_socket(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_users(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_state_file(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_program(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_publish_file(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_opt_state_file(struct loader *,
    const struct config_key *, const char *, void *);
static int parse_url(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_signer_socket(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_ocsp_path(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_key_usage(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_eku(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_include_cdp(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_include_ocsp(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_metrics_path(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_allow_from(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_audit_target(struct loader *, const struct config_key *,
    const char *, void *);
static int parse_conninfo(struct loader *, const struct config_key *,
    const char *, void *);

const struct config_key config_keys[] = {
	/* [MSCEP]: HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP. */
	{ "MSCEP", "SignatureTemplate", CONFIG_TEMPLATE,
	    "IPSECIntermediateOffline", CFG(signature),
	    .parse = parse_template, .help = "template for CSRs whose key "
	    "usage asks for digitalSignature only" },
	{ "MSCEP", "EncryptionTemplate", CONFIG_TEMPLATE,
	    "IPSECIntermediateOffline", CFG(encryption),
	    .parse = parse_template, .help = "template for CSRs whose key "
	    "usage asks for keyEncipherment only" },
	{ "MSCEP", "GeneralPurposeTemplate", CONFIG_TEMPLATE,
	    "IPSECIntermediateOffline", CFG(general),
	    .parse = parse_template, .help = "template for CSRs that ask "
	    "for both" },
	{ "MSCEP", "EnforcePassword", CONFIG_BOOL, "1", CFG(enforce_password),
	    .help = "1: enrollment needs a challenge password; 0: anyone "
	    "who reaches the URL gets a certificate" },
	{ "MSCEP", "UseSinglePassword", CONFIG_BOOL, "0",
	    CFG(use_single_password), .help = "1: one reusable password "
	    "that does not expire (mscep-admin password sets a new one)" },
	{ "MSCEP", "PasswordMax", CONFIG_INT, "5", .min = 1, .max = 100000,
	    CFG(password_max), .help = "unused passwords held at once (the "
	    "password cache)" },
	{ "MSCEP", "PasswordLength", CONFIG_INT, "8", .min = 4, .max = 64,
	    CFG(password_length), .help = "random bytes per password, shown "
	    "as twice as many hex digits" },
	{ "MSCEP", "PasswordValidity", CONFIG_INT, "60", .min = 1,
	    .max = 525600, CFG(password_validity), .help = "minutes a "
	    "password lives" },
	{ "MSCEP", "PasswordVDir", CONFIG_TEXT, "CertSrv/mscep_admin",
	    CFG(password_vdir), .parse = parse_vdir, .help = "URL path of "
	    "the password page, outside /CertSrv/mscep/" },

	/* [Service]: mscep's own settings. */
	{ "Service", "StateDir", CONFIG_PATH, "../var", CFG(state_dir),
	    .parse = parse_state_dir, .help = "state folder (CA, RA keys, "
	    "database), relative to the configuration file's folder" },
	{ "Service", "CADirect", CONFIG_BOOL, "0", CFG(ca_direct),
	    .help = "1: no RA; the CA certificate alone answers GetCACert "
	    "and the CA key decrypts and signs" },
	{ "Service", "MaxMessageSize", CONFIG_SIZE, "262144", .min = 1024,
	    .max = 16 * 1024 * 1024, CFG(max_message), .help = "largest "
	    "PKIOperation accepted, in bytes of DER (GET or POST)" },
	{ "Service", "MaxCGIProcesses", CONFIG_INT, "4", .min = 1,
	    .max = 1024, CFG(max_cgi), .help = "mscep run as a plain CGI "
	    "(GETs too long for FastCGI): how many answer at once; the "
	    "next answer 503 with Retry-After" },
	{ "Service", "Capabilities", CONFIG_LIST,
	    "AES, DES3, POSTPKIOperation, SCEPStandard, SHA-1, SHA-256, "
	    "SHA-512", .words = caps_words, CFG(caps), .parse = parse_caps,
	    .help = "what GetCACaps advertises (exact case); SCEPStandard "
	    "needs AES, POSTPKIOperation and SHA-256" },
	{ "Service", "AllowDES", CONFIG_BOOL, "0", CFG(allow_des),
	    .help = "1: also accept single DES-CBC envelopes and answer in "
	    "kind, for legacy clients" },
	{ "Service", "AllowMD5", CONFIG_INT, "0", .min = 0, .max = 2,
	    CFG(allow_md5), .help = "1: also accept requests signed with an "
	    "MD5 digest (old Cisco, OpenSCEP, sscep) and answer with SHA-256; "
	    "2: answer them with MD5 too, for clients that verify nothing "
	    "else" },
	{ "Service", "RequireSignerIsCSRKey", CONFIG_BOOL, "0",
	    CFG(require_signer_csr_key), .help = "1: refuse a PKCSReq signed "
	    "by a self-signed certificate whose key is not the CSR's (as "
	    "RFC 8894 asks; Apple clients sign with a separate key)" },
	{ "Service", "Log", CONFIG_ENUM, "stderr", .words = log_words,
	    CFG(log_syslog), .help = "where the one line per operation goes" },
	{ "Service", "LogSocket", CONFIG_PATH, "/dev/log", CFG(log_socket),
	    .parse = parse_log_socket, .help = "the syslog datagram socket "
	    "(absolute path)" },
	{ "Service", "CertRepIncludeCA", CONFIG_BOOL, "0",
	    CFG(certrep_include_ca), .help = "1: the CA certificate follows "
	    "the issued one in CertRep" },
	{ "Service", "GetCACertIncludeRoot", CONFIG_BOOL, "0",
	    CFG(getcacert_include_root), .help = "1: under an organisation's "
	    "root (ca install), GetCACert also serves the root itself" },
	{ "Service", "BackdateMinutes", CONFIG_INT, "10", .min = 0,
	    .max = 1440, CFG(backdate_minutes), .help = "minutes notBefore "
	    "is set in the past" },
	{ "Service", "HashAlgorithm", CONFIG_WORD, "sha256",
	    .words = hash_words, CFG(hash), .help = "signature hash of "
	    "issued certificates and CRLs" },
	{ "Service", "NoKeyUsageTemplate", CONFIG_ENUM, "GeneralPurpose",
	    .words = noku_words, CFG(no_key_usage), .help = "template for "
	    "a CSR that asks for neither signature nor encryption" },

	/* [PasswordPage]: who may read one-time passwords. */
	{ "PasswordPage", "Users", CONFIG_LIST, "", CFG(page_users),
	    .parse = parse_users, .help = "user names as the web server "
	    "passes them in REMOTE_USER; empty: nobody" },
	{ "PasswordPage", "UsersIgnoreCase", CONFIG_BOOL, "0",
	    CFG(page_users_nocase), .help = "1: compare user names without "
	    "case (Active Directory)" },
	{ "PasswordPage", "RequireHTTPS", CONFIG_BOOL, "1",
	    CFG(page_require_https), .help = "1: refuse the page unless the "
	    "web server says the request came over TLS" },
	{ "PasswordPage", "Encoding", CONFIG_ENUM, "UTF-16LE",
	    .words = encoding_words, CFG(page_utf16), .help = "body "
	    "encoding of the page; NDES sends UTF-16LE" },

	/* [Policy]: the one policy module and what it needs. */
	{ "Policy", "Module", CONFIG_ENUM, "ndes-password",
	    .words = module_words, CFG(policy), .help = "who decides that a "
	    "request may be issued" },
	{ "Policy", "ChallengeSigners", CONFIG_PATH, "mdm-signers.pem",
	    CFG(challenge_signers), .parse = parse_state_file,
	    .help = "mdm-challenge: PEM file of the trusted MDM signing "
	    "certificates, relative to StateDir" },
	{ "Policy", "ClockSkewSeconds", CONFIG_INT, "300", .min = 0,
	    .max = 86400, CFG(clock_skew), .help = "mdm-challenge: "
	    "tolerance on a challenge's issue and expiry times" },
	{ "Policy", "VerifierCommand", CONFIG_PATH, "", CFG(verifier),
	    .parse = parse_program, .help = "exec: the program (absolute "
	    "path) that decides; exit 0 allows" },
	{ "Policy", "VerifierTimeoutSeconds", CONFIG_INT, "10", .min = 1,
	    .max = 300, CFG(verifier_timeout), .help = "exec: the program "
	    "is killed and the request refused after this" },
	{ "Policy", "NotifyCommand", CONFIG_PATH, "", CFG(notify),
	    .parse = parse_program, .help = "program run for every "
	    "enrollment outcome, the event as JSON on stdin; empty: none" },
	{ "Policy", "NotifyTimeoutSeconds", CONFIG_INT, "10", .min = 1,
	    .max = 3600, CFG(notify_timeout), .help = "NotifyCommand is "
	    "killed after this" },
	{ "Policy", "EventRetentionDays", CONFIG_INT, "90", .min = 1,
	    .max = 36500, CFG(event_days), .help = "days events are kept in "
	    "the store" },

	/* [Intune]: Module = intune, Intune's SCEP validation API. */
	{ "Intune", "TenantId", CONFIG_TEXT, "", CFG(intune_tenant),
	    .help = "the Entra ID tenant: name.onmicrosoft.com or its GUID" },
	{ "Intune", "ClientId", CONFIG_TEXT, "", CFG(intune_client_id),
	    .help = "the application (client) ID of the app registration" },
	{ "Intune", "ClientSecretFile", CONFIG_PATH, "",
	    CFG(intune_secret_file), .parse = parse_opt_state_file,
	    .help = "file holding the client secret, relative to StateDir; "
	    "empty: certificate authentication" },
	{ "Intune", "ClientCertificate", CONFIG_PATH, "", CFG(intune_cert),
	    .parse = parse_opt_state_file, .help = "PEM certificate "
	    "registered with the app, for a client assertion" },
	{ "Intune", "ClientKey", CONFIG_PATH, "", CFG(intune_key),
	    .parse = parse_opt_state_file, .help = "PEM RSA private key of "
	    "ClientCertificate" },
	{ "Intune", "AuthorityURL", CONFIG_URL,
	    "https://login.microsoftonline.com", CFG(intune_authority),
	    .parse = parse_url, .help = "Entra ID token service, without "
	    "the tenant (sovereign clouds differ)" },
	{ "Intune", "GraphURL", CONFIG_URL, "https://graph.microsoft.com",
	    CFG(intune_graph), .parse = parse_url, .help = "Microsoft Graph, "
	    "for the discovery of Intune's endpoints" },
	{ "Intune", "IntuneResource", CONFIG_URL,
	    "https://api.manage.microsoft.com/", CFG(intune_resource),
	    .parse = parse_url, .help = "audience of the Intune token; "
	    "never contacted" },
	{ "Intune", "CABundle", CONFIG_PATH, "", CFG(intune_ca_bundle),
	    .parse = parse_opt_state_file, .help = "PEM CA certificates "
	    "trusted for these HTTPS calls; empty: the system's" },
	{ "Intune", "Proxy", CONFIG_TEXT, "", CFG(intune_proxy),
	    .help = "HTTP proxy for every call, http://[user:pass@]host:port; "
	    "empty: none" },
	{ "Intune", "TimeoutSeconds", CONFIG_INT, "30", .min = 1,
	    .max = 300, CFG(intune_timeout), .help = "each call to Entra "
	    "ID, Graph or Intune fails after this" },
	{ "Intune", "RevocationMaxRequests", CONFIG_INT, "500", .min = 1,
	    .max = 500, CFG(intune_rev_max), .help = "mscep-admin "
	    "intune-sync: revocation requests asked for at a time" },

	/* [CRL] and [OCSP]: revocation status, published. */
	{ "CRL", "PublishFile", CONFIG_PATH, "crl/mscep.crl", CFG(crl_file),
	    .parse = parse_publish_file, .help = "the CRL file the web "
	    "server serves, relative to StateDir" },
	{ "CRL", "URL", CONFIG_URL, "", CFG(crl_url), .parse = parse_url,
	    .help = "where relying parties fetch the CRL (IncludeCDP); "
	    "empty: no CDP" },
	{ "CRL", "ValidityHours", CONFIG_INT, "168", .min = 1,
	    .max = 24 * 366, CFG(crl_validity_hours), .help = "nextUpdate "
	    "is thisUpdate plus this" },
	{ "CRL", "RefreshHours", CONFIG_INT, "24", .min = 1, .max = 24 * 366,
	    CFG(crl_refresh_hours), .help = "the CRL is rebuilt when older "
	    "than this; less than ValidityHours" },
	{ "OCSP", "Path", CONFIG_TEXT, "", CFG(ocsp_path),
	    .parse = parse_ocsp_path, .help = "URL path the OCSP responder "
	    "answers; empty: no responder" },
	{ "OCSP", "URL", CONFIG_URL, "", CFG(ocsp_url), .parse = parse_url,
	    .help = "the responder's URL for the AIA extension "
	    "(IncludeOCSP); empty: no AIA" },
	{ "OCSP", "ValidityMinutes", CONFIG_INT, "60", .min = 1,
	    .max = 10080, CFG(ocsp_validity_minutes), .help = "nextUpdate "
	    "of each answer" },

	/* [Signer]: the key-holding process (mscep -S). */
	{ "Signer", "Socket", CONFIG_PATH, "", CFG(signer_socket),
	    .parse = parse_signer_socket, .help = "the Unix socket of mscep "
	    "-S: workers ask it for every CA, RA, OCSP and challenge key "
	    "operation and open none of those keys; empty: each worker "
	    "holds them" },
	{ "Signer", "Group", CONFIG_TEXT, "", CFG(signer_group),
	    .help = "group of the socket (mode 0660): the workers' user; "
	    "empty: the signer's own" },
	{ "Signer", "TimeoutMs", CONFIG_INT, "5000", .min = 100,
	    .max = 60000, CFG(signer_timeout_ms), .help = "a worker waits "
	    "this long for the signer, then answers HTTP 503" },
	{ "Signer", "Ledger", CONFIG_PATH, "/var/lib/mscep-signer/signed.db",
	    CFG(signer_ledger), .parse = parse_state_file, .help = "the "
	    "signer's record of every certificate it signed (a SQLite file "
	    "only it opens, in a folder of its own that it and those above "
	    "it belong to root or the signer's user and no one else can "
	    "write; relative to StateDir): a serial signed before is "
	    "refused" },

	/* [Audit]: the audit stream, one JSON line per security event. */
	{ "Audit", "Target", CONFIG_TEXT, "syslog", CFG(audit),
	    .parse = parse_audit_target, .help = "syslog (a datagram to "
	    "[Service] LogSocket, tag mscep-audit), file:/absolute/path "
	    "(appended) or off" },
	{ "Audit", "Facility", CONFIG_ENUM, "authpriv",
	    .words = facility_words, CFG(audit.facility), .help = "syslog "
	    "facility of the audit lines: authpriv, auth, daemon, user or "
	    "local0 to local7" },

	/* [Metrics]: the Prometheus page. */
	{ "Metrics", "Path", CONFIG_TEXT, "", CFG(metrics_path),
	    .parse = parse_metrics_path, .help = "URL path of the "
	    "Prometheus metrics page; empty: no page and no counting" },
	{ "Metrics", "AllowFrom", CONFIG_LIST, "127.0.0.1, ::1",
	    CFG(metrics_allow), .parse = parse_allow_from, .help = "addresses "
	    "and networks (CIDR) that may read the page; others get 403" },
	{ "Metrics", "TlsCertificate", CONFIG_PATH, "tls/server.crt",
	    CFG(tls_cert_file), .parse = parse_publish_file, .help = "the "
	    "web server's TLS certificate (tls-cert --out) whose expiry "
	    "the page and mscep-admin status show, relative to StateDir" },
	/* [Store]: where issued certificates, transactions and passwords
	 * live; one PostgreSQL database lets several hosts serve one CA. */
	{ "Store", "Backend", CONFIG_ENUM, "sqlite", .words = backend_words,
	    CFG(store_backend), .help = "sqlite (mscep.db in StateDir, one "
	    "host) or postgresql (ConnInfo, shared by several hosts)" },
	{ "Store", "ConnInfo", CONFIG_TEXT, "", CFG(store_conninfo),
	    .parse = parse_conninfo, .help = "postgresql: a libpq connection "
	    "string or URI (host=db.example dbname=mscep user=mscep "
	    "sslmode=verify-full); the password comes from a passfile= or "
	    "~/.pgpass, never from here" },
	{ "Store", "StatementTimeoutSeconds", CONFIG_INT, "10", .min = 1,
	    .max = 3600, CFG(store_timeout), .help = "postgresql: a statement "
	    "running longer is cancelled and its request fails" },

	/* Every other section: a template, named by its section. */
	{ NULL, "ValidityDays", CONFIG_INT, "365", .min = 1, .max = 36500,
	    TPL(validity_days), .help = "validity period of issued "
	    "certificates" },
	{ NULL, "AllowRequesterValidity", CONFIG_BOOL, "0",
	    TPL(allow_requester_validity), .help = "1: the requester may "
	    "ask for a validity, capped at MaxValidityDays" },
	{ NULL, "MaxValidityDays", CONFIG_INT, NULL, "ValidityDays",
	    .min = 1, .max = 36500, TPL(max_validity_days), .help = "the "
	    "longest validity a requester may ask for" },
	{ NULL, "SubjectFromRequest", CONFIG_BOOL, "1",
	    TPL(subject_from_request), .help = "1: copy the CSR subject; 0: "
	    "keep only its common name" },
	{ NULL, "SubjectAltNames", CONFIG_FLAGS, "dns, email, upn, uri",
	    .words = san_words, TPL(san_types), .help = "SAN types the "
	    "requester may supply; a CSR with any other is refused" },
	{ NULL, "KeyUsage", CONFIG_LIST, "digitalSignature, keyEncipherment",
	    TPL(ku), .parse = parse_key_usage, .help = "key usages (always "
	    "critical) of issued certificates" },
	{ NULL, "ExtendedKeyUsage", CONFIG_LIST, "clientAuth", TPL(eku),
	    .parse = parse_eku, .help = "EKU names (clientAuth, serverAuth, "
	    "...) or dotted OIDs; none: no EKU" },
	{ NULL, "MinimumKeySize", CONFIG_INT, "2048", .min = 1024,
	    .max = 16384, TPL(min_rsa_bits), .help = "smallest RSA key "
	    "accepted, in bits" },
	{ NULL, "KeyTypes", CONFIG_FLAGS, "rsa, ec", .min = 1,
	    .words = keytype_words, TPL(key_types), .help = "key algorithms "
	    "accepted" },
	{ NULL, "AllowWildcard", CONFIG_BOOL, "0", TPL(allow_wildcard),
	    .help = "1: a dNSName may be a wildcard (\"*\" as its whole "
	    "leftmost label)" },
	{ NULL, "SidUrlSan", CONFIG_BOOL, "0", TPL(sid_url_san),
	    .help = "1: a SID the policy vouches for also goes in a "
	    "tag:microsoft.com SAN URI (KB5014754)" },
	{ NULL, "AllowRenewal", CONFIG_BOOL, "0", TPL(allow_renewal),
	    .help = "1: a RenewalReq signed by a valid certificate of this "
	    "template needs no challenge" },
	{ NULL, "RenewalWindowDays", CONFIG_INT, "0", .min = 0, .max = 36500,
	    TPL(renewal_window_days), .help = "renewal only within this "
	    "many days of expiry; 0: any time before" },
	{ NULL, "RevokeOnRenewal", CONFIG_BOOL, "0", TPL(revoke_on_renewal),
	    .help = "1: the renewed certificate is revoked (superseded)" },
	{ NULL, "RequireApproval", CONFIG_BOOL, "0", TPL(require_approval),
	    .help = "1: requests wait (PENDING) for mscep-admin approve or "
	    "deny" },
	{ NULL, "PendingExpiryHours", CONFIG_INT, "168", .min = 1,
	    .max = 24 * 365, TPL(pending_hours), .help = "a pending request "
	    "expires after this" },
	{ NULL, "IncludeCDP", CONFIG_BOOL, "0", TPL(cdp),
	    .parse = parse_include_cdp, .help = "1: issued certificates name "
	    "[CRL] URL as their CRL distribution point" },
	{ NULL, "IncludeOCSP", CONFIG_BOOL, "0", TPL(aia),
	    .parse = parse_include_ocsp, .help = "1: issued certificates "
	    "name [OCSP] URL in their AIA extension" },
	{ NULL, NULL, CONFIG_INT, NULL, .help = NULL }
};

const struct config_key *
config_key_find(const char *section, const char *name)
{
	const struct config_key	*k;

	for (k = config_keys; k->name != NULL; k++)
		if ((section == NULL ? k->section == NULL : k->section != NULL &&
		    strcasecmp(k->section, section) == 0) &&
		    strcasecmp(k->name, name) == 0)
			return k;
	return NULL;
}

const char *
config_section_known(const char *section)
{
	const struct config_key	*k;

	for (k = config_keys; k->name != NULL; k++)
		if (k->section != NULL && strcasecmp(k->section, section) == 0)
			return k->section;
	return NULL;
}

/* [Audit] Target: where util/audit.c sends the lines. */
static int
parse_audit_target(struct loader *l, const struct config_key *k,
    const char *s, void *field)
{
	struct audit_sink	*sink = field;
	char			 why[300];

	if (audit_sink_parse(s, sink, why, sizeof(why)) != 0) {
		config_key_problem(l, k, "%s", why);
		return -1;
	}
	return 0;
}

/* [Store] ConnInfo: libpq's syntax, and no password in the INI. */
static int
parse_conninfo(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	PQconninfoOption	*opts = NULL, *o;
	char			*err = NULL;
	int			 rc = 0;

	if (strlen(s) >= k->size) {
		config_key_problem(l, k, "longer than %zu bytes", k->size - 1);
		return -1;
	}
	if (*s != '\0' && (opts = PQconninfoParse(s, &err)) == NULL) {
		config_key_problem(l, k, "%s", err ? strtok(err, "\n") :
		    "out of memory");
		PQfreemem(err);
		return -1;
	}
	for (o = opts; o != NULL && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL) {
			config_key_problem(l, k, "holds a password: put it "
			    "in a passfile= or ~/.pgpass (mode 0600) instead");
			rc = -1;
		}
	PQconninfoFree(opts);
	if (rc == 0)
		util_strlcpy(field, s, k->size);
	return rc;
}

/* [MSCEP] *Template: resolved once the templates are loaded. */
static int
parse_template(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	const struct template	**t = field;

	if ((*t = config_template(l->cfg, s)) == NULL) {
		config_key_problem(l, k, "template \"%s\" has no [%s] section",
		    s, s);
		return -1;
	}
	return 0;
}

static int
parse_vdir(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	char	*vdir = field;
	size_t	 n;
	int	 rc = 0;

	while (*s == '/')
		s++;
	if (*s == '\0' || strlen(s) >= k->size || strstr(s, "..") != NULL ||
	    strpbrk(s, "?#%\\ \t") != NULL) {
		config_key_problem(l, k, "\"%s\": a URL path such as "
		    "CertSrv/mscep_admin", s);
		rc = -1;
	}
	util_strlcpy(vdir, s, k->size);
	/* IIS compares paths without case; so does the password page. */
	n = strlen(vdir);
	while (n > 0 && vdir[n - 1] == '/')
		vdir[--n] = '\0';
	/* The page must not live where devices come unauthenticated. */
	if (!strncasecmp(vdir, "certsrv/mscep", n) ||
	    !strncasecmp(vdir, "certsrv/mscep/", 14)) {
		config_key_problem(l, k, "\"%s\" overlaps the SCEP path "
		    "/certsrv/mscep/", s);
		rc = -1;
	}
	return rc;
}

static int
parse_state_dir(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	char	*dir = field, resolved[PATH_MAX];

	if (s[0] == '/')
		util_strlcpy(dir, s, k->size);
	else if (snprintf(dir, k->size, "%s/%s", l->inidir, s) >= (int)k->size) {
		config_key_problem(l, k, "path too long");
		return -1;
	} else if (realpath(dir, resolved) != NULL)
		util_strlcpy(dir, resolved, k->size);
	return 0;
}

struct caps {
	char	*out;
	size_t	 size;
};

static int
cap_item(const char *s, void *arg)
{
	struct caps	*c = arg;
	size_t		 n = strlen(c->out);
	int		 i;

	for (i = 0; caps_words[i].name != NULL; i++)
		if (strcmp(caps_words[i].name, s) == 0)
			break;
	if (caps_words[i].name == NULL)
		return -1;
	snprintf(c->out + n, c->size - n, "%s\n", s);
	return 0;
}

/* Kept as the GetCACaps body: one capability a line. */
static int
parse_caps(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	struct caps	 c = { field, k->size };
	int		 rc = 0;

	c.out[0] = '\0';
	if (config_for_each_item(s, cap_item, &c) != 0) {
		config_key_problem(l, k, "\"%s\": only AES, DES3, "
		    "POSTPKIOperation, Renewal, SCEPStandard, SHA-1, SHA-256 "
		    "and SHA-512 are implemented (exact case)", s);
		rc = -1;
	}
	/* RFC 8894 §3.5.2: SCEPStandard promises AES, POST and SHA-256. */
	if (strstr(c.out, "SCEPStandard\n") != NULL &&
	    (strstr(c.out, "AES\n") == NULL ||
	    strstr(c.out, "POSTPKIOperation\n") == NULL ||
	    strstr(c.out, "SHA-256\n") == NULL)) {
		config_key_problem(l, k, "SCEPStandard also needs AES, "
		    "POSTPKIOperation and SHA-256 in the list");
		rc = -1;
	}
	return rc;
}

static int
parse_log_socket(struct loader *l, const struct config_key *k,
    const char *s, void *field)
{
	if (s[0] != '/' || strlen(s) >= k->size) {
		config_key_problem(l, k, "\"%s\": an absolute path shorter "
		    "than %zu characters", s, k->size);
		return -1;
	}
	util_strlcpy(field, s, k->size);
	return 0;
}

static int
user_item(const char *s, void *arg)
{
	struct caps	*u = arg;
	size_t		 n = strlen(u->out);

	if (strlen(s) + 2 > u->size - n || strchr(s, '\n'))
		return -1;
	snprintf(u->out + n, u->size - n, "%s\n", s);
	return 0;
}

/* Kept one name a line, as the password page compares them. */
/* [Signer] Socket: empty, or an absolute path that fits sun_path. */
static int
parse_signer_socket(struct loader *l, const struct config_key *k,
    const char *s, void *field)
{
	if (s[0] != '\0')
		return parse_log_socket(l, k, s, field);
	*(char *)field = '\0';
	return 0;
}

static int
parse_users(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	struct caps	 u = { field, k->size };

	u.out[0] = '\0';
	if (config_for_each_item(s, user_item, &u) != 0) {
		config_key_problem(l, k, "list too long (at most %zu "
		    "characters)", k->size - 1);
		return -1;
	}
	return 0;
}

/* Absolute, or relative to StateDir (already loaded: [Service] comes
 * before the sections that name such files). */
static int
parse_state_file(struct loader *l, const struct config_key *k,
    const char *s, void *field)
{
	if (s[0] == '/')
		util_strlcpy(field, s, k->size);
	else if (config_state_path(l->cfg, s, field, k->size) != 0) {
		config_key_problem(l, k, "path too long");
		return -1;
	}
	return 0;
}

/* As parse_state_file, but "" stays "" (none). */
static int
parse_opt_state_file(struct loader *l, const struct config_key *k,
    const char *s, void *field)
{
	if (*s == '\0') {
		*(char *)field = '\0';
		return 0;
	}
	return parse_state_file(l, k, s, field);
}

/* An absolute program path, or "" for none. */
static int
parse_program(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	if (*s != '\0' && (s[0] != '/' || strlen(s) >= k->size)) {
		config_key_problem(l, k, "\"%s\": an absolute path to a "
		    "program", s);
		return -1;
	}
	util_strlcpy(field, s, k->size);
	return 0;
}

static int
parse_publish_file(struct loader *l, const struct config_key *k,
    const char *s, void *field)
{
	if (*s == '\0' || (s[0] == '/' ? snprintf(field, k->size, "%s", s) :
	    snprintf(field, k->size, "%s/%s", l->cfg->state_dir, s)) >=
	    (int)k->size) {
		config_key_problem(l, k, "\"%s\": a file name", s);
		return -1;
	}
	return 0;
}

/* An http(s) URL for a certificate extension, or "" for none. */
static int
parse_url(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	if (*s != '\0' && (strlen(s) >= k->size ||
	    (strncmp(s, "http://", 7) && strncmp(s, "https://", 8)) ||
	    strpbrk(s, ", \t\"") != NULL)) {
		config_key_problem(l, k, "\"%s\": an http:// URL without "
		    "spaces or commas", s);
		return -1;
	}
	util_strlcpy(field, s, k->size);
	return 0;
}

/* A path of its own beside SCEP's, such as /ocsp or /metrics. */
static int
parse_url_path(struct loader *l, const struct config_key *k, const char *s,
    void *field, const char *example)
{
	if (*s != '\0' && (s[0] != '/' || strlen(s) >= k->size ||
	    strpbrk(s, "?#%\\ \t") != NULL || strstr(s, "..") != NULL ||
	    s[strlen(s) - 1] == '/')) {
		config_key_problem(l, k, "\"%s\": a URL path such as %s "
		    "(no trailing /)", s, example);
		return -1;
	}
	if (strncasecmp(s, "/certsrv/mscep", 14) == 0) {
		config_key_problem(l, k, "\"%s\": would take requests from "
		    "SCEP or the password page", s);
		return -1;
	}
	util_strlcpy(field, s, k->size);
	return 0;
}

static int
parse_ocsp_path(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	return parse_url_path(l, k, s, field, "/ocsp");
}

static int
parse_metrics_path(struct loader *l, const struct config_key *k,
    const char *s, void *field)
{
	if (*s != '\0' && strcmp(s, l->cfg->ocsp_path) == 0) {
		config_key_problem(l, k, "\"%s\": [OCSP] Path already", s);
		return -1;
	}
	return parse_url_path(l, k, s, field, "/metrics");
}

struct allow_list {
	struct metrics_allow	*allow;
	char			 why[REASON_MAX];
};

static int
allow_item(const char *s, void *arg)
{
	struct allow_list	*a = arg;

	if (metrics_allow_add(a->allow, s, a->why, sizeof(a->why)) != 0)
		return -1;
	return 0;
}

static int
parse_allow_from(struct loader *l, const struct config_key *k,
    const char *s, void *field)
{
	struct allow_list	 a = { field, "" };

	a.allow->n = 0;
	if (config_for_each_item(s, allow_item, &a) != 0) {
		config_key_problem(l, k, "%s", a.why);
		return -1;
	}
	return 0;
}

/* An extension built from prefix and s; -1 (nothing stored) when it is
 * not valid. */
static int
ext_from(int nid, const char *prefix, const char *s, X509_EXTENSION **ext)
{
	char	*val;

	*ext = NULL;
	if (asprintf(&val, "%s%s", prefix, s) < 0)
		return -1;
	*ext = config_make_ext(nid, val);
	free(val);
	return *ext != NULL ? 0 : -1;
}

static int
parse_key_usage(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	if (ext_from(NID_key_usage, "critical,", s, field) != 0) {
		config_key_problem(l, k, "\"%s\" is not a list of key usages "
		    "(digitalSignature, nonRepudiation, keyEncipherment, "
		    "dataEncipherment, keyAgreement)", s);
		return -1;
	}
	return 0;
}

static int
parse_eku(struct loader *l, const struct config_key *k, const char *s,
    void *field)
{
	X509_EXTENSION	**eku = field;

	*eku = NULL;
	if (strcasecmp(s, "none") == 0 || *s == '\0')
		return 0;
	if (ext_from(NID_ext_key_usage, "", s, eku) != 0) {
		config_key_problem(l, k, "\"%s\" is not a list of EKU names "
		    "(clientAuth, serverAuth, ...) or dotted OIDs", s);
		return -1;
	}
	return 0;
}

/* IncludeCDP and IncludeOCSP: a boolean that adds an extension naming
 * url ([CRL] and [OCSP] are loaded before the templates). */
static int
parse_include(struct loader *l, const struct config_key *k, const char *s,
    X509_EXTENSION **ext, const char *url, int nid, const char *prefix)
{
	int	 on;

	*ext = NULL;
	if (config_value_bool(s, &on) != 0) {
		config_key_problem(l, k, "\"%s\" is not a boolean (0 or 1)", s);
		return -1;
	}
	if (!on)
		return 0;
	if (*url == '\0') {
		config_key_problem(l, k, "needs [%s] URL",
		    nid == NID_info_access ? "OCSP" : "CRL");
		return -1;
	}
	if (ext_from(nid, prefix, url, ext) != 0) {
		config_key_problem(l, k, "cannot encode [%s] URL",
		    nid == NID_info_access ? "OCSP" : "CRL");
		return -1;
	}
	return 0;
}

static int
parse_include_cdp(struct loader *l, const struct config_key *k,
    const char *s, void *field)
{
	return parse_include(l, k, s, field, l->cfg->crl_url,
	    NID_crl_distribution_points, "URI:");
}

static int
parse_include_ocsp(struct loader *l, const struct config_key *k,
    const char *s, void *field)
{
	return parse_include(l, k, s, field, l->cfg->ocsp_url,
	    NID_info_access, "OCSP;URI:");
}

/* Module = intune: who we are to Entra ID, one way to prove it. */
static void
check_intune(struct loader *l, const struct config *c)
{
	int	 cert = c->intune_cert[0] != '\0' || c->intune_key[0] != '\0';

	if (c->intune_tenant[0] == '\0')
		config_problem(l, "Intune", "TenantId", "Module = intune "
		    "needs the tenant");
	if (c->intune_client_id[0] == '\0')
		config_problem(l, "Intune", "ClientId", "Module = intune "
		    "needs the app registration's client ID");
	if (c->intune_secret_file[0] != '\0' && cert)
		config_problem(l, "Intune", "ClientSecretFile", "set either "
		    "ClientSecretFile or ClientCertificate and ClientKey, "
		    "not both");
	else if (c->intune_secret_file[0] == '\0' && !cert)
		config_problem(l, "Intune", "ClientSecretFile", "Module = "
		    "intune needs ClientSecretFile, or ClientCertificate and "
		    "ClientKey");
	else if (cert && (c->intune_cert[0] == '\0' ||
	    c->intune_key[0] == '\0'))
		config_problem(l, "Intune", c->intune_cert[0] == '\0' ?
		    "ClientCertificate" : "ClientKey", "ClientCertificate and "
		    "ClientKey go together");
}

void
config_check_rules(struct loader *l)
{
	const struct config	*c = l->cfg;
	int			 i;

	if (c->crl_refresh_hours >= c->crl_validity_hours)
		config_problem(l, "CRL", "RefreshHours", "%d: must be less "
		    "than ValidityHours (%d), or relying parties see an "
		    "expired CRL", c->crl_refresh_hours, c->crl_validity_hours);
	if (c->policy == POLICY_EXEC && c->verifier[0] == '\0')
		config_problem(l, "Policy", "VerifierCommand", "Module = exec "
		    "needs a program");
	if (c->policy == POLICY_INTUNE)
		check_intune(l, c);
	if (c->store_backend == STORE_BACKEND_POSTGRESQL &&
	    c->store_conninfo[0] == '\0')
		config_problem(l, "Store", "ConnInfo", "Backend = postgresql "
		    "needs a connection string");
	/* GetCACaps "Renewal" is a promise some template keeps. */
	if (strstr(c->caps, "Renewal\n") == NULL)
		return;
	for (i = 0; i < c->ntemplates; i++)
		if (c->templates[i].allow_renewal)
			return;
	config_problem(l, "Service", "Capabilities", "Renewal is advertised "
	    "but no template has AllowRenewal = 1");
}
