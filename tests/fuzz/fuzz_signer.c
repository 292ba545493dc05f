/*
 * fuzz_signer.c - what the signer (mscep -S, mscep/signer/) does with the
 * frame a worker sends, a worker taken over included: signer_answer as
 * serve_conn calls it, so sigwire_req_decode, the digest and key role
 * checks, and each request type's parsing and refusals (sigcheck.c for
 * certificates, CRLs, OCSP answers and CMS signed attributes, next/'s
 * content for GetNextCACert, CMS_decrypt for an envelope, the client
 * assertion's checks). The signer is opened by signer_open on a state
 * made by ca_init: an EC P-256 CA (a certificate that passes is signed
 * cheaply), the RA and OCSP keys ca_init makes, [OCSP] Path set; its
 * ledger in memory, emptied after each certificate or CRL signed (a
 * CRL's serials are recorded revoked).
 *
 * Input: a flags byte, then the rest.
 *   bits 0-2: 0: the rest is a frame body as sent (version, type, role,
 *          txid length, digest, flags, txid, DER); 1 to 6: the request
 *          type (sigwire.h), the rest its DER, framed by the harness
 *          with the key role that type needs and transactionID "fuzz";
 *   bits 3-4: the digest: SHA-256, SHA-1, SHA-384, SHA-512;
 *   bit 5: another key role than the type needs;
 *   bit 6: the rest parsed and given what a worker of this CA puts in
 *          before it is encoded again (the CA is made anew on each run,
 *          so the fuzzer cannot know its key): a certificate (type 1)
 *          gets the CA's name as issuer, its authorityKeyIdentifier,
 *          the subjectKeyIdentifier of its own key and notBefore now; a
 *          CRL (type 2) the issuer, its authorityKeyIdentifier,
 *          thisUpdate now and nextUpdate in an hour; CMS signed
 *          attributes (type 4, the content they sign after them) a
 *          signingTime of now and the content's messageDigest.
 * The answer must decode as one (sigwire_resp_decode). A certificate the
 * signer signed must verify against the CA, be issued by it, and be no
 * CA (basicConstraints cA, keyCertSign or cRLSign): that is what the
 * signer is for. A signed CRL must verify against the CA.
 */
#include "fuzz_common.h"
#include "ca/keyops.h"
#include "ca/sigwire.h"
#include "signer/ledger.h"
#include "signer/signer.h"
#include "util/cert.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

static struct fuzz_state	 st;
static struct signer		 sg;

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The ledger in memory, new: each input is judged alone (a serial the
 * run before had signed would be refused). */
static int
fresh_ledger(void)
{
	char	 reason[REASON_MAX] = "unknown";

	ledger_close(sg.ledger);
	if ((sg.ledger = ledger_open(":memory:", 1000, reason,
	    sizeof(reason))) == NULL) {
		fprintf(stderr, "fuzz_signer: %s\n", reason);
		abort();
	}
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 reason[REASON_MAX] = "unknown";

	fuzz_quiet_stderr(argc, argv);
	fuzz_state_open(&st, "[OCSP]\nPath = /ocsp\n[Signer]\n"
	    "Ledger = ledger/signed.db\n", "ec:P-256");
	if (signer_open(st.ini, &sg, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "fuzz_signer: %s\n", reason);
		abort();
	}
	fuzz_state_remove(&st);
	return fresh_ledger();
}

/* The key role signer.c's role_of names for type (RA mode). */
static int
role_for(int type)
{
	switch (type) {
	case SIGWIRE_SIGN_OCSP:
		return KEYOP_OCSP;
	case SIGWIRE_SIGN_CMS:
		return KEYOP_RA_SIGN;
	case SIGWIRE_DECRYPT:
		return KEYOP_RA_ENC;
	case SIGWIRE_SIGN_JWT:
		return KEYOP_INTUNE;
	default:
		return KEYOP_CA;
	}
}

/* A worker's certificate of this CA, from x's other fields. */
static int
fix_cert(const uint8_t *p, size_t len, struct buf *out)
{
	X509		*x = d2i_X509(NULL, &p, (long)len);
	X509V3_CTX	 ctx;
	X509_EXTENSION	*e;
	unsigned char	*der = NULL;
	int		 i, n = -1;

	if (x == NULL)
		return -1;
	X509V3_set_ctx(&ctx, sg.ra.ca, x, NULL, NULL, 0);
	if (X509_set_issuer_name(x, X509_get_subject_name(sg.ra.ca)) == 1 &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -60) != NULL) {
		for (i = X509_get_ext_count(x) - 1; i >= 0; i--) {
			e = X509_get_ext(x, i);
			if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) ==
			    NID_authority_key_identifier ||
			    OBJ_obj2nid(X509_EXTENSION_get_object(e)) ==
			    NID_subject_key_identifier)
				X509_EXTENSION_free(X509_delete_ext(x, i));
		}
		e = cert_aki_ext(sg.ra.ca);
		if (e != NULL)
			X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier,
		    "hash");
		if (e != NULL)
			X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		/* Encoded again: the parsed TBS's own bytes are cached. */
		if (i2d_re_X509_tbs(x, NULL) > 0 &&
		    (n = i2d_X509(x, &der)) > 0 && buf_append(out, der,
		    (size_t)n) != 0)
			n = -1;
	}
	OPENSSL_free(der);
	X509_free(x);
	return n > 0 ? 0 : -1;
}

/* A worker's CRL of this CA, from crl's entries and extensions. */
static int
fix_crl(const uint8_t *p, size_t len, struct buf *out)
{
	X509_CRL	*crl = d2i_X509_CRL(NULL, &p, (long)len);
	ASN1_TIME	*now = X509_gmtime_adj(NULL, 0);
	ASN1_TIME	*next = X509_gmtime_adj(NULL, 3600);
	X509_EXTENSION	*aki = cert_aki_ext(sg.ra.ca);
	unsigned char	*der = NULL;
	int		 i, n = -1;

	if (crl != NULL && now != NULL && next != NULL && aki != NULL &&
	    X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(sg.ra.ca)) == 1 &&
	    X509_CRL_set1_lastUpdate(crl, now) == 1 &&
	    X509_CRL_set1_nextUpdate(crl, next) == 1) {
		while ((i = X509_CRL_get_ext_by_NID(crl,
		    NID_authority_key_identifier, -1)) >= 0)
			X509_EXTENSION_free(X509_CRL_delete_ext(crl, i));
		if (X509_CRL_add_ext(crl, aki, -1) == 1 &&
		    i2d_re_X509_CRL_tbs(crl, NULL) > 0 &&
		    (n = i2d_X509_CRL(crl, &der)) > 0 && buf_append(out, der,
		    (size_t)n) != 0)
			n = -1;
	}
	OPENSSL_free(der);
	X509_EXTENSION_free(aki);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	return n > 0 ? 0 : -1;
}

/* Signed attributes as a worker signs them now, over the content after
 * them (sigwire.h): signingTime now, messageDigest the content's. */
static int
fix_attrs(const uint8_t *p, size_t len, int md_nid, struct buf *out)
{
	size_t		 alen = sigwire_cms_split(p, len);
	STACK_OF(X509_ATTRIBUTE) *attrs = alen > 0 ?
	    sigwire_attrs_d2i(p, alen) : NULL;
	ASN1_TIME	*now = X509_gmtime_adj(NULL, 0);
	unsigned char	*der = NULL, dig[EVP_MAX_MD_SIZE];
	unsigned int	 dlen = 0;
	int		 i, n = -1;

	if (attrs != NULL && now != NULL && EVP_Digest(p + alen, len - alen,
	    dig, &dlen, EVP_get_digestbynid(md_nid), NULL) == 1) {
		while ((i = X509at_get_attr_by_NID(attrs,
		    NID_pkcs9_signingTime, -1)) >= 0)
			X509_ATTRIBUTE_free(X509at_delete_attr(attrs, i));
		while ((i = X509at_get_attr_by_NID(attrs,
		    NID_pkcs9_messageDigest, -1)) >= 0)
			X509_ATTRIBUTE_free(X509at_delete_attr(attrs, i));
		if (X509at_add1_attr_by_NID(&attrs, NID_pkcs9_signingTime,
		    V_ASN1_UTCTIME, ASN1_STRING_get0_data(now),
		    ASN1_STRING_length(now)) != NULL &&
		    X509at_add1_attr_by_NID(&attrs, NID_pkcs9_messageDigest,
		    V_ASN1_OCTET_STRING, dig, (int)dlen) != NULL &&
		    (n = sigwire_attrs_i2d(attrs, &der)) > 0 &&
		    (buf_append(out, der, (size_t)n) != 0 ||
		    buf_append(out, p + alen, len - alen) != 0))
			n = -1;
	}
	OPENSSL_free(der);
	ASN1_TIME_free(now);
	sigwire_attrs_free(attrs);
	return n > 0 ? 0 : -1;
}

/* What the signer exists for: nothing it signed is a CA or another
 * CA's, and every signature is the CA key's. */
static void
check_signed(int type, const unsigned char *p, size_t len)
{
	EVP_PKEY	*ca = X509_get0_pubkey(sg.ra.ca);
	X509		*x;
	X509_CRL	*crl;
	uint32_t	 ku;

	if (type == SIGWIRE_SIGN_CERT) {
		if ((x = d2i_X509(NULL, &p, (long)len)) == NULL ||
		    X509_verify(x, ca) != 1 ||
		    X509_NAME_cmp(X509_get_issuer_name(x),
		    X509_get_subject_name(sg.ra.ca)) != 0 ||
		    (X509_get_extension_flags(x) & EXFLAG_CA) ||
		    ((ku = X509_get_key_usage(x)) != UINT32_MAX &&
		    (ku & (KU_KEY_CERT_SIGN | KU_CRL_SIGN))))
			abort();
		X509_free(x);
	} else if (type == SIGWIRE_SIGN_CRL) {
		if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL ||
		    X509_CRL_verify(crl, ca) != 1)
			abort();
		X509_CRL_free(crl);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int	 mds[4] = { NID_sha256, NID_sha1, NID_sha384,
	    NID_sha512 };
	struct sigwire_req	 q = { 0 };
	struct sigwire_resp	 a;
	struct buf		 body = { 0 }, der = { 0 }, out = { 0 };
	char			 reason[REASON_MAX];
	int			 type;

	if (size < 1 || size > 65536)
		return 0;
	type = data[0] & 7;
	if (type == 0) {
		if (buf_append(&body, data + 1, size - 1) != 0)
			abort();
	} else {
		q.type = type;
		q.role = role_for(type) + ((data[0] >> 5) & 1);
		q.md_nid = mds[(data[0] >> 3) & 3];
		strcpy(q.txid, "fuzz");
		if (!(data[0] & 0x40) || type == SIGWIRE_SIGN_OCSP ||
		    type > SIGWIRE_SIGN_CMS || type == SIGWIRE_DECRYPT)
			q.der = data + 1, q.der_len = size - 1;
		else if ((type == SIGWIRE_SIGN_CERT ? fix_cert(data + 1,
		    size - 1, &der) : type == SIGWIRE_SIGN_CRL ?
		    fix_crl(data + 1, size - 1, &der) : fix_attrs(data + 1,
		    size - 1, q.md_nid, &der)) != 0)
			goto out;
		else
			q.der = der.p, q.der_len = der.len;
		if (sigwire_req_encode(&q, &body) != 0)
			goto out;
	}
	signer_answer(&sg, body.p, body.len, &out);
	if (sigwire_resp_decode(out.p, out.len, &a, reason,
	    sizeof(reason)) != 0)
		abort();
	if (a.status == SIGWIRE_OK && body.len >= SIGWIRE_REQ_HEAD) {
		check_signed(body.p[1], a.data, a.len);
		if (body.p[1] == SIGWIRE_SIGN_CERT ||
		    body.p[1] == SIGWIRE_SIGN_CRL)
			fresh_ledger();
	}
out:
	buf_free(&body);
	buf_free(&der);
	buf_free(&out);
	ERR_clear_error();
	return 0;
}
