/* template.c - NDES template selection by requested key usage. */
#include "ca/template.h"

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

unsigned
template_csr_key_usage(X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION) *exts;
	ASN1_BIT_STRING	*ku = NULL;
	unsigned	 bits = 0;
	int		 i;

	if ((exts = X509_REQ_get_extensions(csr)) == NULL)
		goto out;
	if ((ku = X509V3_get_d2i(exts, NID_key_usage, NULL, NULL)) == NULL)
		goto out;
	for (i = 0; i < 8; i++)
		if (ASN1_BIT_STRING_get_bit(ku, i))
			bits |= 0x80U >> i;	/* the X509v3_KU_* layout */
	if (ASN1_BIT_STRING_get_bit(ku, 8))
		bits |= X509v3_KU_DECIPHER_ONLY;
out:
	ERR_clear_error();
	ASN1_BIT_STRING_free(ku);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return bits;
}

const struct template *
template_select(const struct config *cfg, X509_REQ *csr, char *reason,
    size_t rlen)
{
	unsigned	 ku = template_csr_key_usage(csr);
	int		 sig, enc;

	sig = (ku & (X509v3_KU_DIGITAL_SIGNATURE |
	    X509v3_KU_NON_REPUDIATION)) != 0;
	enc = (ku & (X509v3_KU_KEY_ENCIPHERMENT | X509v3_KU_DATA_ENCIPHERMENT |
	    X509v3_KU_KEY_AGREEMENT)) != 0;
	if (sig && enc)
		return cfg->general;
	if (sig)
		return cfg->signature;
	if (enc)
		return cfg->encryption;
	switch (cfg->no_key_usage) {
	case NOKU_SIGNATURE:
		return cfg->signature;
	case NOKU_ENCRYPTION:
		return cfg->encryption;
	case NOKU_REJECT:
		snprintf(reason, rlen, "CSR requests no digitalSignature or "
		    "keyEncipherment key usage (NoKeyUsageTemplate=Reject)");
		return NULL;
	default:
		return cfg->general;
	}
}
