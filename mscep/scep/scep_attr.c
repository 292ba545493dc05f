/* scep_attr.c - read and write the SCEP signed attributes. */
#include "scep/scep_attr.h"

#include <string.h>

#include <openssl/objects.h>

static ASN1_OBJECT *oids[ATTR_COUNT];

int
scep_attr_init(void)
{
	static const char *const txt[ATTR_COUNT] = {
		"2.16.840.1.113733.1.9.2", "2.16.840.1.113733.1.9.3",
		"2.16.840.1.113733.1.9.4", "2.16.840.1.113733.1.9.5",
		"2.16.840.1.113733.1.9.6", "2.16.840.1.113733.1.9.7",
	};
	int	 i;

	for (i = 0; i < ATTR_COUNT; i++) {
		if (oids[i] != NULL)
			continue;
		if ((oids[i] = OBJ_txt2obj(txt[i], 1)) == NULL)
			return -1;
	}
	return 0;
}

const ASN1_OBJECT *
scep_attr_oid(enum scep_attr a)
{
	return oids[a];
}

const char *
scep_failinfo_name(enum scep_failinfo f)
{
	switch (f) {
	case FAIL_BADALG:		return "badAlg";
	case FAIL_BADMESSAGECHECK:	return "badMessageCheck";
	case FAIL_BADREQUEST:		return "badRequest";
	case FAIL_BADTIME:		return "badTime";
	case FAIL_BADCERTID:		return "badCertId";
	default:			return "none";
	}
}

const char *
scep_msgtype_name(int t)
{
	switch (t) {
	case MSG_CERTREP:	return "CertRep";
	case MSG_RENEWALREQ:	return "RenewalReq";
	case MSG_PKCSREQ:	return "PKCSReq";
	case MSG_CERTPOLL:	return "CertPoll";
	case MSG_GETCERT:	return "GetCert";
	case MSG_GETCRL:	return "GetCRL";
	default:		return "unknown";
	}
}

static const ASN1_TYPE *
attr_value(CMS_SignerInfo *si, enum scep_attr a)
{
	X509_ATTRIBUTE	*attr;
	int		 idx;

	idx = CMS_signed_get_attr_by_OBJ(si, oids[a], -1);
	if (idx < 0 || (attr = CMS_signed_get_attr(si, idx)) == NULL)
		return NULL;
	if (X509_ATTRIBUTE_count(attr) != 1)
		return NULL;
	return X509_ATTRIBUTE_get0_type(attr, 0);
}

int
scep_attr_get_string(CMS_SignerInfo *si, enum scep_attr a, char *out,
    size_t size)
{
	const ASN1_TYPE	*t = attr_value(si, a);
	const ASN1_STRING *s;
	int		 len;

	if (t == NULL || (t->type != V_ASN1_PRINTABLESTRING &&
	    t->type != V_ASN1_UTF8STRING && t->type != V_ASN1_IA5STRING))
		return -1;
	s = t->value.asn1_string;
	len = ASN1_STRING_length(s);
	if (len <= 0 || (size_t)len >= size ||
	    memchr(ASN1_STRING_get0_data(s), '\0', (size_t)len) != NULL)
		return -1;
	memcpy(out, ASN1_STRING_get0_data(s), (size_t)len);
	out[len] = '\0';
	return 0;
}

int
scep_attr_get_octets(CMS_SignerInfo *si, enum scep_attr a, unsigned char *out,
    size_t size)
{
	const ASN1_TYPE	*t = attr_value(si, a);
	int		 len;

	if (t == NULL || t->type != V_ASN1_OCTET_STRING)
		return -1;
	len = ASN1_STRING_length(t->value.octet_string);
	if (len <= 0 || (size_t)len > size)
		return -1;
	memcpy(out, ASN1_STRING_get0_data(t->value.octet_string), (size_t)len);
	return len;
}

int
scep_attr_add_string(CMS_SignerInfo *si, enum scep_attr a, const char *s)
{
	return CMS_signed_add1_attr_by_OBJ(si, oids[a], V_ASN1_PRINTABLESTRING,
	    s, (int)strlen(s)) == 1 ? 0 : -1;
}

int
scep_attr_add_octets(CMS_SignerInfo *si, enum scep_attr a,
    const unsigned char *p, size_t len)
{
	return CMS_signed_add1_attr_by_OBJ(si, oids[a], V_ASN1_OCTET_STRING,
	    p, (int)len) == 1 ? 0 : -1;
}
