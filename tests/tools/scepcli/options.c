/* options.c - the command line into opt, and the usage text. */
#include "options.h"
#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct options opt;

static void usage(FILE *f)
{
	fputs(
"usage: scepcli -u URL [options] caps|cacert|enroll\n"
"  -u URL              http://host[:port]/path of the SCEP endpoint\n"
"commands:\n"
"  caps                GetCACaps, print the body\n"
"  cacert              GetCACert, print subject and keyUsage of each cert\n"
"  enroll              PKCSReq enrollments (options below)\n"
"enroll options:\n"
"  -n N                total enrollments (default 1)\n"
"  -j J                parallel worker processes, one keep-alive\n"
"                      connection each (default 1)\n"
"  -m post|get         PKIOperation by POST or GET (default post)\n"
"  -p PASSWORD         challengePassword in every CSR\n"
"  -P FILE             challenge per request: request i uses line i\n"
"  -k rsa:2048|rsa:3072|ec:P-256   requester key (default rsa:2048)\n"
"  --keys FILE         PEM private keys made beforehand, request i uses\n"
"                      key i (instead of generating -k keys)\n"
"  -d md5|sha1|sha256|sha512       message digest (default sha256)\n"
"  -e des3|aes128|aes256           envelope cipher (default aes128)\n"
"  --oaep              RSAES-OAEP key transport instead of PKCS#1 v1.5\n"
"  --ku sig|enc|both|none          CSR keyUsage (default both)\n"
"  -s N                N random DNS SANs (host<i>-<rnd>.example.test)\n"
"  --san-email A, --san-upn U, --san-uri X, --san-dns D, --san-ip IP\n"
"                      one more SAN of that kind\n"
"  --cn PREFIX         subject CN=PREFIX-<pid>-<i>, O=mscep-test\n"
"  --subject /A=b/C=d  exactly this subject, in this order (instead of --cn)\n"
"  --exact-cn          with --cn: subject O=mscep-test, CN=PREFIX as is\n"
"                      (default scepcli)\n"
"  --resubmit          send every message twice, require the same serial\n"
"  --expect success|failure|pending   outcome that passes (default success)\n"
"  --failinfo N        with failure: require failInfo N\n"
"  --expect-cipher     reply envelope must use the cipher of -e\n"
"  --txid-style hex|base64   SHA-256 hex (default) or micromdm-style\n"
"                      base64 SHA-1 of the public key\n"
"  -o DIR              write issued certs as DIR/<serial>.pem, keys as\n"
"                      DIR/<serial>.key\n"
"  --timeout S         socket timeout in seconds (default 60)\n"
"  -v                  trace HTTP exchanges on stderr\n"
"  --cert FILE --key FILE   a certificate this CA issued, and its key:\n"
"                      enroll then sends RenewalReq (same subject)\n"
"                      signed with it; getcrl signs with it\n"
"  --renew-pkcsreq     with --cert: renew by a PKCSReq signed with it, as\n"
"                      clients before RenewalReq do (sscep -O, Cisco IOS)\n"
"  --signer-cn CN      sign the PKCSReq with a separate self-signed key\n"
"                      under CN=CN, as Apple's client does (-d md5 too\n"
"                      for MD5-signing clients)\n"
"  --non-der-attrs     signed attributes in reverse order with a long-form\n"
"                      length (BER, not DER), signed as sent\n"
"  --ber               outer layers in indefinite-length BER, as iOS sends\n"
"  --poll N            on PENDING, CertPoll up to N times, 1 s apart\n"
"  --pace MS           pause MS milliseconds after each exchange, so that\n"
"                      a load lasts (not counted in ms=, counted in the rate)\n"
"commands (more): getcrl [--crl-out FILE]  GetCRL for --cert's issuer\n"
"  --crl-ca FILE       getcrl: PEM CA the CRL must verify with (a previous\n"
"                      CA after a switch; default: GetCACert's CA)\n"
"every request is sent before any reply is checked: ms= and the rate\n"
"  time the exchanges only; then every reply is verified.\n"
"output: one line per enrollment (OK serial=.. txid=.. ms=.. cipher=.. |\n"
"  REFUSED failInfo=.. txid=.. ms=.. | PENDING txid=.. ms=.. |\n"
"  FAIL reason=.. txid=.. ms=..), then 'N passed, M failed' and\n"
"  'enrollments/s=.. p50_ms=.. p95_ms=.. p99_ms=..'. Exit 0 iff none failed.\n",
	      f);
}

static int parse_url(const char *url)
{
	const char *a, *slash, *hend, *colon = NULL;
	size_t hl;

	if (strncasecmp(url, "http://", 7) != 0)
		return 0;
	a = url + 7;
	slash = a + strcspn(a, "/?");
	if (*a == '[') {        /* IPv6 literal */
		if ((hend = memchr(a, ']', (size_t)(slash - a))) == NULL)
			return 0;
		colon = hend[1] == ':' ? hend + 1 : NULL;
		a++;
	} else {
		colon = memchr(a, ':', (size_t)(slash - a));
		hend = colon ? colon : slash;
	}
	hl = (size_t)(hend - a);
	if (hl == 0 || hl >= sizeof opt.host)
		return 0;
	memcpy(opt.host, a, hl);
	opt.host[hl] = 0;
	snprintf(opt.port, sizeof opt.port, "%.*s",
		 colon ? (int)(slash - colon - 1) : 2, colon ? colon + 1 : "80");
	if (*slash == '?')
		snprintf(opt.path, sizeof opt.path, "/%s", slash);
	else
		snprintf(opt.path, sizeof opt.path, "%s", *slash ? slash : "/");
	snprintf(opt.hosthdr, sizeof opt.hosthdr, "%s%s%s%s%s",
		 strchr(opt.host, ':') ? "[" : "", opt.host,
		 strchr(opt.host, ':') ? "]" : "",
		 strcmp(opt.port, "80") ? ":" : "",
		 strcmp(opt.port, "80") ? opt.port : "");
	return opt.port[0] != 0;
}

static int one_of(const char *v, const char *const *set, int *idx)
{
	for (int i = 0; set[i] != NULL; i++)
		if (strcmp(v, set[i]) == 0) {
			*idx = i;
			return 1;
		}
	return 0;
}

static int valid_keyspec(const char *k)
{
	long bits;

	if (strncmp(k, "rsa:", 4) == 0)
		return parse_long(k + 4, 1024, 16384, &bits);
	return strncmp(k, "ec:", 3) == 0 && k[3] != 0;
}

enum { O_OAEP = 256, O_KU, O_SAN_EMAIL, O_SAN_UPN, O_SAN_URI, O_SAN_DNS, O_SAN_IP, O_SUBJECT,
	O_EXACT_CN, O_CN, O_KEYS,
       O_RESUBMIT, O_EXPECT, O_FAILINFO, O_TXID, O_EXPECT_CIPHER, O_TIMEOUT,
       O_CERT, O_KEY, O_POLL, O_CRL_OUT, O_PACE, O_CRL_CA,
       O_SIGNER_CN, O_RENEW_PKCSREQ, O_NON_DER_ATTRS, O_BER };

static const struct option long_opts[] = {
	{ "url", required_argument, NULL, 'u' },
	{ "oaep", no_argument, NULL, O_OAEP },
	{ "ku", required_argument, NULL, O_KU },
	{ "san-email", required_argument, NULL, O_SAN_EMAIL },
	{ "san-upn", required_argument, NULL, O_SAN_UPN },
	{ "san-uri", required_argument, NULL, O_SAN_URI },
	{ "cn", required_argument, NULL, O_CN },
	{ "san-dns", required_argument, NULL, O_SAN_DNS },
	{ "san-ip", required_argument, NULL, O_SAN_IP },
	{ "subject", required_argument, NULL, O_SUBJECT },
	{ "exact-cn", no_argument, NULL, O_EXACT_CN },
	{ "keys", required_argument, NULL, O_KEYS },
	{ "resubmit", no_argument, NULL, O_RESUBMIT },
	{ "expect", required_argument, NULL, O_EXPECT },
	{ "failinfo", required_argument, NULL, O_FAILINFO },
	{ "txid-style", required_argument, NULL, O_TXID },
	{ "expect-cipher", no_argument, NULL, O_EXPECT_CIPHER },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "cert", required_argument, NULL, O_CERT },
	{ "key", required_argument, NULL, O_KEY },
	{ "poll", required_argument, NULL, O_POLL },
	{ "crl-out", required_argument, NULL, O_CRL_OUT },
	{ "pace", required_argument, NULL, O_PACE },
	{ "crl-ca", required_argument, NULL, O_CRL_CA },
	{ "signer-cn", required_argument, NULL, O_SIGNER_CN },
	{ "renew-pkcsreq", no_argument, NULL, O_RENEW_PKCSREQ },
	{ "non-der-attrs", no_argument, NULL, O_NON_DER_ATTRS },
	{ "ber", no_argument, NULL, O_BER },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Applies one option; returns 0 on a bad value. */
static int apply_option(int ch, const char *v)
{
	static const char *const methods[] = { "post", "get", NULL };
	static const char *const kus[] = { "both", "sig", "enc", "none", NULL };
	static const char *const expects[] = { "", "success", "failure", "pending", NULL };
	static const char *const txids[] = { "hex", "base64", NULL };
	static const char *const digests[] = { "md5", "sha1", "sha256", "sha512", NULL };
	static const char *const ciphers[] = { "des3", "aes128", "aes256", NULL };
	long l;
	int i;

	switch (ch) {
	case 'u': opt.url = v; return parse_url(v);
	case 'n': return parse_long(v, 1, 10000000, &opt.n);
	case 'j': return parse_long(v, 1, 4096, &opt.j);
	case 'm': return one_of(v, methods, &i) && ((opt.method = (enum method)i), 1);
	case 'p': opt.password = v; return 1;
	case 'P': opt.password_file = v; return 1;
	case 'k': opt.keyspec = v; return valid_keyspec(v);
	case 'd': opt.digest = v; return one_of(v, digests, &i);
	case 'e': opt.cipher = v; return one_of(v, ciphers, &i);
	case 's': return parse_long(v, 0, 100000, &opt.nsans);
	case 'o': opt.outdir = v; return 1;
	case 'v': opt.verbose = 1; return 1;
	case O_OAEP: opt.oaep = 1; return 1;
	case O_KU: return one_of(v, kus, &i) && ((opt.ku = (enum ku_mode)i), 1);
	case O_SAN_EMAIL: opt.san_email = v; return 1;
	case O_SAN_UPN: opt.san_upn = v; return 1;
	case O_SAN_URI: opt.san_uri = v; return 1;
	case O_CN: opt.cn = v; return 1;
	case O_SAN_DNS: opt.san_dns = v; return 1;
	case O_SAN_IP: opt.san_ip = v; return 1;
	case O_SUBJECT: opt.subject = v; return v[0] == '/';
	case O_EXACT_CN: opt.exact_cn = 1; return 1;
	case O_KEYS: opt.key_file = v; return 1;
	case O_RESUBMIT: opt.resubmit = 1; return 1;
	case O_EXPECT:
		return one_of(v, expects, &i) && i > 0 &&
		       ((opt.expect = (enum outcome_kind)i), 1);
	case O_FAILINFO: return parse_long(v, 0, 99, &opt.failinfo);
	case O_TXID:
		return one_of(v, txids, &i) && ((opt.txid_style = (enum txid_style)i), 1);
	case O_EXPECT_CIPHER: opt.expect_cipher = 1; return 1;
	case O_TIMEOUT:
		return parse_long(v, 1, 3600, &l) && ((opt.timeout = (int)l), 1);
	case O_CERT: opt.cert_file = v; return 1;
	case O_KEY: opt.cert_key_file = v; return 1;
	case O_POLL: return parse_long(v, 1, 3600, &opt.poll);
	case O_CRL_OUT: opt.crl_out = v; return 1;
	case O_PACE: return parse_long(v, 0, 60000, &opt.pace_ms);
	case O_CRL_CA: opt.crl_ca = v; return 1;
	case O_SIGNER_CN: opt.signer_cn = v; return 1;
	case O_RENEW_PKCSREQ: opt.renew_pkcsreq = 1; return 1;
	case O_NON_DER_ATTRS: opt.non_der_attrs = 1; return 1;
	case O_BER: opt.ber = 1; return 1;
	default: return 0;
	}
}

int parse_options(int argc, char **argv)
{
	int ch;

	opt.n = opt.j = 1;
	opt.keyspec = "rsa:2048";
	opt.digest = "sha256";
	opt.cipher = "aes128";
	opt.cn = "scepcli";
	opt.expect = OUT_OK;
	opt.failinfo = -1;
	opt.timeout = 60;
	while ((ch = getopt_long(argc, argv, "u:n:j:m:p:P:k:d:e:s:o:vh",
				 long_opts, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			exit(0);
		}
		if (!apply_option(ch, optarg)) {
			if (ch != '?')
				fprintf(stderr, "scepcli: bad option value '%s'\n",
					optarg ? optarg : "");
			return 0;
		}
	}
	if (optind != argc - 1 || opt.url == NULL) {
		fprintf(stderr, "scepcli: %s\n", opt.url == NULL ?
			"-u URL (http://host[:port]/path) is required" :
			"exactly one command is required");
		return 0;
	}
	opt.command = argv[optind];
	if (strcmp(opt.command, "caps") && strcmp(opt.command, "cacert") &&
	    strcmp(opt.command, "enroll") && strcmp(opt.command, "getcrl")) {
		fprintf(stderr, "scepcli: unknown command '%s'\n", opt.command);
		return 0;
	}
	if (opt.j > opt.n)
		opt.j = opt.n;  /* a worker without requests would only idle */
	if ((opt.cert_file == NULL) != (opt.cert_key_file == NULL) ||
	    (!strcmp(opt.command, "getcrl") && opt.cert_file == NULL)) {
		fprintf(stderr, "scepcli: --cert and --key go together; "
			"getcrl needs them\n");
		return 0;
	}
	return 1;
}
