/*
 * scepcli - an independent SCEP (RFC 8894) test and load client.
 *
 * It shares no code with the mscep responder on purpose: it is written from
 * the RFC so that it catches interoperability mistakes instead of mirroring
 * them.  Only OpenSSL 3 libcrypto and POSIX sockets are used, so it builds
 * wherever the server builds and needs no HTTP library.
 *
 * A request goes through the files in this order:
 *   options.c    the command line, into opt
 *   commands.c   caps, cacert, enroll, getcrl
 *   cacert.c     GetCACert: the CA set, the recipient, the trust store
 *   csr.c        the PKCS#10 request and its self-signed signer
 *   request.c    PKCSReq, RenewalReq, CertPoll, GetCRL messages
 *   load.c       -n requests over -j processes, timed and summed up
 *   exchange.c   one request sent (resubmitted, polled), its answers kept
 *   transport.c  HTTP/1.1 GET and POST over keep-alive TCP
 *   verify.c     the CertRep: signature, signer, SCEP attributes
 *   issued.c     its SUCCESS content: the certificate or the CRL
 *   outcome.c    the result, judged against --expect, one line printed
 *   common.c     buffer, encodings, clock, error output
 *
 * Built by "make bin/scepcli", or in this folder by
 *   cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o scepcli \
 *      *.c -lcrypto
 */
#include "commands.h"
#include "common.h"
#include "options.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

/* --cert/--key: a certificate this CA issued us, and its key. The caller
 * frees *cert and *key, also after a failure. */
static int load_old(X509 **cert, EVP_PKEY **key)
{
	FILE *f;

	if ((f = fopen(opt.cert_file, "r")) != NULL) {
		*cert = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if ((f = fopen(opt.cert_key_file, "r")) != NULL) {
		*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (*cert == NULL || *key == NULL ||
	    X509_check_private_key(*cert, *key) != 1) {
		fprintf(stderr, "scepcli: --cert %s / --key %s: unreadable or "
			"not a pair\n", opt.cert_file, opt.cert_key_file);
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	OSSL_PROVIDER *deflt = NULL, *legacy = NULL;
	X509 *old_cert = NULL;
	EVP_PKEY *old_key = NULL;
	int rc = 2;

	if (!parse_options(argc, argv)) {
		fprintf(stderr, "try 'scepcli -h'\n");
		return 2;
	}
	/* Loading any provider explicitly disables the implicit default. */
	deflt = OSSL_PROVIDER_load(NULL, "default");
	/* Legacy only so that DES-CBC reply envelopes from older servers can
	 * still be opened and reported; we never send DES-CBC ourselves. */
	if ((legacy = OSSL_PROVIDER_load(NULL, "legacy")) == NULL)
		ERR_clear_error();
	if (deflt == NULL)
		ossl_fail("cannot load the default provider");
	else if (strcmp(opt.command, "caps") == 0)
		rc = cmd_caps();
	else if (strcmp(opt.command, "cacert") == 0)
		rc = cmd_cacert();
	else if (opt.cert_file != NULL && !load_old(&old_cert, &old_key))
		rc = 2;
	else if (strcmp(opt.command, "getcrl") == 0)
		rc = cmd_getcrl(old_cert, old_key);
	else
		rc = cmd_enroll(old_cert, old_key);
	X509_free(old_cert);
	EVP_PKEY_free(old_key);
	OSSL_PROVIDER_unload(legacy);
	OSSL_PROVIDER_unload(deflt);
	return rc;
}
