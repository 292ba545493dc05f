/*
 * scep_attr.h - the SCEP signed attributes (RFC 8894 §3.2.1), their OIDs
 * under id-VeriSign pki attributes 2.16.840.1.113733.1.9, and the numeric
 * values they carry.
 */
#ifndef MSCEP_SCEP_ATTR_H
#define MSCEP_SCEP_ATTR_H

#include <stddef.h>

#include <openssl/cms.h>

#include "ca/failinfo.h"

enum scep_attr {
	ATTR_MESSAGE_TYPE,	/* .2 PrintableString */
	ATTR_PKI_STATUS,	/* .3 PrintableString */
	ATTR_FAIL_INFO,		/* .4 PrintableString */
	ATTR_SENDER_NONCE,	/* .5 OCTET STRING */
	ATTR_RECIPIENT_NONCE,	/* .6 OCTET STRING */
	ATTR_TRANSACTION_ID,	/* .7 PrintableString */
	ATTR_COUNT
};

enum scep_msgtype {
	MSG_CERTREP = 3,
	MSG_RENEWALREQ = 17,
	MSG_PKCSREQ = 19,
	MSG_CERTPOLL = 20,	/* GetCertInitial in the drafts */
	MSG_GETCERT = 21,
	MSG_GETCRL = 22,
};

enum scep_status { STATUS_SUCCESS = 0, STATUS_FAILURE = 2, STATUS_PENDING = 3 };


#define NONCE_LEN	16
/* The longest senderNonce accepted from a client (and echoed). */
#define NONCE_MAX	64
#define TXID_MAX	128

/* Creates the OIDs; call once per process before any other function here. */
int		 scep_attr_init(void);
const ASN1_OBJECT *scep_attr_oid(enum scep_attr);
const char	*scep_failinfo_name(enum scep_failinfo);
const char	*scep_msgtype_name(int);

/* Reads a string attribute (Printable, UTF8 or IA5: clients differ). */
int	 scep_attr_get_string(CMS_SignerInfo *, enum scep_attr, char *, size_t);
/* Reads an OCTET STRING attribute; returns its length or -1. */
int	 scep_attr_get_octets(CMS_SignerInfo *, enum scep_attr,
	    unsigned char *, size_t);
int	 scep_attr_add_string(CMS_SignerInfo *, enum scep_attr, const char *);
int	 scep_attr_add_octets(CMS_SignerInfo *, enum scep_attr,
	    const unsigned char *, size_t);

#endif
