/*
 * fuzz_csr.c - what happens to the PKCS#10 request inside a PKCSReq:
 * template_select (mscep/ca/template.c), issue_check and issue_sign_ex
 * (mscep/ca/issue.c: key checks, SANs, requested validity name-value pairs,
 * subject copy, SID extension), issue_describe, cert_serial_hex and
 * cert_time_epoch, with a real CA (EC, so signing is cheap) made by ca_init.
 *
 * Input: two flags bytes, then the CSR in DER.
 * First byte:
 *   bit 0: give the CSR one of the harness's keys and re-sign it first.
 *          Any client can sign whatever request it likes; the fuzzer
 *          cannot, so without this every mutated CSR would stop at the
 *          self-signature check. Done on the DER (fuzz_csr_rekey): the
 *          request's other bytes reach the parser as fuzzed;
 *   bit 1: issue with a SID (what an mdm-challenge blob can carry);
 *   bit 2: use template (flags >> 4) instead of the one template_select
 *          picks, as a configuration may map any template.
 * Second byte:
 *   bits 0-1: the configuration: NoKeyUsageTemplate GeneralPurpose
 *          (certificates in SHA-256), Signature (SHA-384, no back-dating),
 *          Encryption (SHA-512) or Reject;
 *   bits 2-3: the key for bit 0: EC P-256, secp256k1 (a curve templates
 *          refuse), Ed25519 (a key type they refuse), RSA-1024 (below
 *          MinimumKeySize).
 * As in pkiop.c, a certificate is signed only when issue_check accepts.
 */
#include "fuzz_common.h"
#include "ca/ca_init.h"
#include "ca/issue.h"
#include "ca/template.h"
#include "util/cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#define NCONFIGS	4

static struct fuzz_state	 st;
static struct config		 cfgs[NCONFIGS];
static EVP_PKEY			*keys[4];
static struct fuzz_key		 fkeys[4];	/* the same, for fuzz_csr_rekey */

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const service[NCONFIGS] = {
		"",
		("NoKeyUsageTemplate = Signature\nHashAlgorithm = sha384\n"
		"BackdateMinutes = 0\n"),
		"NoKeyUsageTemplate = Encryption\nHashAlgorithm = sha512\n",
		"NoKeyUsageTemplate = Reject\n",
	};
	char	 reason[REASON_MAX], ini[PATH_MAX + 16], name[32];
	int	 i;

	(void)argc;
	(void)argv;
	fuzz_state_open(&st, NULL, "ec:P-256");
	for (i = 0; i < NCONFIGS; i++) {
		snprintf(name, sizeof(name), "csr%d.ini", i);
		fuzz_state_ini(&st, name, NULL, service[i], ini, sizeof(ini));
		if (config_load(ini, &cfgs[i], stderr) != 0)
			abort();
	}
	fuzz_state_remove(&st);
	if ((keys[0] = ca_keygen("ec:P-256", reason, sizeof(reason))) == NULL ||
	    (keys[1] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1")) ==
	    NULL || (keys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) ==
	    NULL || (keys[3] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)1024)) == NULL)
		abort();
	for (i = 0; i < 4; i++)
		/* Ed25519 signs without a separate digest. */
		fuzz_key_prepare(&fkeys[i], keys[i], EVP_PKEY_get_base_id(
		    keys[i]) == EVP_PKEY_ED25519 ? NULL : EVP_sha256());
	return 0;
}

static void
issue(const struct config *cfg, const struct template *t, X509_REQ *csr,
    const char *sid)
{
	struct issue_extras ex = { sid, NULL };
	X509		*x = NULL;
	char		 reason[REASON_MAX], *subject = NULL, *sans = NULL;
	char		 serial[80];

	reason[0] = '\0';
	if (issue_sign_ex(cfg, t, &st.ra, csr, &ex, &x, reason,
	    sizeof(reason)) != 0) {
		if (x != NULL)
			abort();
		return;
	}
	/* What record() and the log line read of the certificate. */
	if (issue_describe(x, &subject, &sans) != 0)
		abort();
	free(subject);
	free(sans);
	if (cert_serial_hex(X509_get0_serialNumber(x), serial, sizeof(serial)) != 0)
		abort();
	if (cert_time_epoch(X509_get0_notAfter(x)) <
	    cert_time_epoch(X509_get0_notBefore(x)))
		abort();
	/* Never outlives the CA. */
	if (ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(st.ra.ca)) > 0)
		abort();
	X509_free(x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char	*p;
	const struct template	*t;
	const struct config	*cfg;
	const struct fuzz_key	*k;
	struct buf		 der = { 0 };
	X509_REQ		*csr = NULL;
	enum scep_failinfo	 f;
	char			 reason[REASON_MAX];
	uint8_t			 flags, more;
	int			 rekeyed = 0;

	if (size < 3)
		return 0;
	flags = data[0];
	more = data[1];
	cfg = &cfgs[more & 3];
	k = &fkeys[(more >> 2) & 3];
	/* Re-keyed on the DER, then parsed as pkiop.c parses it; what
	 * fuzz_csr_rekey does not walk is parsed, then re-keyed. */
	if ((flags & 1) && fuzz_csr_rekey(data + 2, size - 2, k, NULL, 0,
	    &der) == 0) {
		rekeyed = 1;
		p = der.p;
		csr = d2i_X509_REQ(NULL, &p, (long)der.len);
	} else {
		p = data + 2;
		csr = d2i_X509_REQ(NULL, &p, (long)(size - 2));
	}
	if (csr == NULL) {
		buf_free(&der);
		ERR_clear_error();
		return 0;
	}
	if ((flags & 1) && !rekeyed && (X509_REQ_set_pubkey(csr, k->key) != 1 ||
	    X509_REQ_sign(csr, k->key, k->md) <= 0))
		goto out;
	(void)template_csr_key_usage(csr);
	reason[0] = '\0';
	t = template_select(cfg, csr, reason, sizeof(reason));
	if (flags & 4)
		t = &cfg->templates[(flags >> 4) % cfg->ntemplates];
	if (t == NULL)
		goto out;
	f = issue_check(t, csr, reason, sizeof(reason));
	if (memchr(reason, '\0', sizeof(reason)) == NULL)
		abort();
	if (f == FAIL_NONE)
		issue(cfg, t, csr, (flags & 2) ? "S-1-5-21-1004336348-1177238915-"
		    "682003330-512" : NULL);
out:
	X509_REQ_free(csr);
	buf_free(&der);
	ERR_clear_error();
	return 0;
}
