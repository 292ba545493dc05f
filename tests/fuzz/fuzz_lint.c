/*
 * fuzz_lint.c - the lint before every signature (mscep/ca/lint.c) and the
 * text the store and mscep-admin show (issue_describe), on whatever a
 * certificate, a CSR or a CRL may hold, with a real CA made by ca_init.
 *
 * Input: one flags byte, then DER.
 *   bit 0: the template allows wildcards (AllowWildcard = 1);
 *   bits 1-2: what the DER is read as: a certificate (lint_cert on its
 *          own key, then issue_describe), a CSR (lint_subject, lint_key,
 *          issue_describe_req), a CRL (lint_crl) or an OCSP-style time
 *          pair (lint_times on the CRL's times).
 * Every refusal's reason must be a terminated "lint: " string; nothing
 * else is checked but that it neither crashes nor leaks.
 */
#include "fuzz_common.h"
#include "ca/issue.h"
#include "ca/lint.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

static struct fuzz_state	 st;
static struct template		 tpl[2];

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_state_open(&st, NULL, "ec:P-256");
	fuzz_state_remove(&st);
	tpl[0] = *st.cfg.general;
	tpl[0].key_types = KEYTYPE_RSA | KEYTYPE_EC;
	tpl[1] = tpl[0];
	tpl[1].allow_wildcard = 1;
	return 0;
}

static void
reason_ok(int rc, const char *reason, size_t len)
{
	if (memchr(reason, '\0', len) == NULL ||
	    (rc != 0 && strncmp(reason, "lint: ", 6) != 0))
		abort();
}

static void
describe_ok(int rc, char *subject, char *sans)
{
	if (rc == 0 && (subject == NULL || sans == NULL))
		abort();
	free(subject);
	free(sans);
}

static void
on_cert(const struct template *t, const unsigned char *p, long len)
{
	X509	*x = d2i_X509(NULL, &p, len);
	char	 reason[REASON_MAX] = "", *subject = NULL, *sans = NULL;

	if (x == NULL)
		return;
	reason_ok(lint_cert(t, x, X509_get0_pubkey(x), st.ra.ca, reason,
	    sizeof(reason)), reason, sizeof(reason));
	describe_ok(issue_describe(x, &subject, &sans), subject, sans);
	X509_free(x);
}

static void
on_csr(const struct template *t, const unsigned char *p, long len)
{
	X509_REQ *csr = d2i_X509_REQ(NULL, &p, len);
	char	 reason[REASON_MAX] = "", *subject = NULL, *sans = NULL;

	if (csr == NULL)
		return;
	reason_ok(lint_subject(X509_REQ_get_subject_name(csr), reason,
	    sizeof(reason)), reason, sizeof(reason));
	reason_ok(lint_key(t, X509_REQ_get_X509_PUBKEY(csr),
	    X509_REQ_get0_pubkey(csr), reason, sizeof(reason)), reason,
	    sizeof(reason));
	describe_ok(issue_describe_req(csr, &subject, &sans), subject, sans);
	X509_REQ_free(csr);
}

static void
on_crl(int times, const unsigned char *p, long len)
{
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, len);
	char	 reason[REASON_MAX] = "";

	if (crl == NULL)
		return;
	if (times)
		reason_ok(lint_times(X509_CRL_get0_lastUpdate(crl),
		    X509_CRL_get0_nextUpdate(crl), st.ra.ca, "OCSP answer",
		    reason, sizeof(reason)), reason, sizeof(reason));
	else
		reason_ok(lint_crl(crl, st.ra.ca, reason, sizeof(reason)),
		    reason, sizeof(reason));
	X509_CRL_free(crl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct template	*t;
	long			 len;

	if (size < 2 || size > 65536)
		return 0;
	t = &tpl[data[0] & 1];
	len = (long)(size - 1);
	switch ((data[0] >> 1) & 3) {
	case 0:
		on_cert(t, data + 1, len);
		break;
	case 1:
		on_csr(t, data + 1, len);
		break;
	default:
		on_crl(((data[0] >> 1) & 3) == 3, data + 1, len);
		break;
	}
	ERR_clear_error();
	return 0;
}
