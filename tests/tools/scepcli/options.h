/*
 * options.h - the command line. parse_options() fills opt, the one global,
 * before anything else runs; every part and every worker process only
 * reads it afterwards.
 */
#ifndef SCEPCLI_OPTIONS_H
#define SCEPCLI_OPTIONS_H

enum method { M_POST, M_GET };
enum ku_mode { KU_BOTH, KU_SIG, KU_ENC, KU_NONE };
enum outcome_kind { OUT_FAIL, OUT_OK, OUT_REFUSED, OUT_PENDING };
enum txid_style { TXID_HEX, TXID_B64 };

/* The only global: filled once by parse_options(), read-only afterwards. */
struct options {
	const char *url;
	char host[256];
	char port[8];
	char hosthdr[280];      /* value of the Host: header */
	char path[2048];
	const char *command;
	long n, j;
	enum method method;
	const char *password, *password_file;
	const char *keyspec;
	const char *key_file;   /* --keys: pre-generated requester keys */
	const char *digest, *cipher;
	int oaep;
	enum ku_mode ku;
	long nsans;
	const char *san_email, *san_upn, *san_uri, *san_dns, *san_ip;
	const char *subject;    /* --subject /A=b/C=d, exact */
	int exact_cn;
	const char *cn;
	int resubmit;
	enum outcome_kind expect;
	long failinfo;          /* -1: any */
	const char *outdir;
	enum txid_style txid_style;
	int expect_cipher;
	int timeout;
	int verbose;
	const char *cert_file, *cert_key_file;  /* an issued certificate:
					      RenewalReq and GetCRL are signed
					      with it */
	long poll;              /* CertPoll up to this many times, 1 s apart */
	const char *crl_out;    /* getcrl: where to write the CRL (DER) */
	const char *crl_ca;     /* getcrl: the CA that must have signed the
				   CRL (default: GetCACert's) */
	const char *signer_cn;  /* sign PKCSReq with a separate self-signed
				   key under this CN (Apple's client) */
	int renew_pkcsreq;      /* --cert renewals as PKCSReq (sscep -O) */
	int non_der_attrs;      /* signed attributes not in DER */
	int ber;                /* indefinite-length BER, as iOS sends */
	long pace_ms;           /* pause after each exchange (a load that
				   lasts, for tests that act during it) */
};

extern struct options opt;

/* Fills opt from argv. 1, or 0 once stderr says what is wrong; -h prints
 * the usage on stdout and exits 0. */
int	 parse_options(int argc, char **argv);

#endif
