/* challenge.c - the challenge blob: ASN.1 claims, CMS sign then encrypt. */
#include "policy/challenge.h"
#include "util/log.h"
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

/* docs/challenge.md, "ASN.1". */
typedef struct {
	ASN1_INTEGER		*version;
	ASN1_OCTET_STRING	*nonce;
	ASN1_GENERALIZEDTIME	*issued_at;
	ASN1_GENERALIZEDTIME	*expires_at;
	ASN1_UTF8STRING		*device_id;
	ASN1_UTF8STRING		*profile;
	X509_NAME		*subject;
	GENERAL_NAMES		*sans;
	ASN1_BIT_STRING		*key_usage;
	ASN1_UTF8STRING		*sid;
} MSCEP_CHALLENGE;

DECLARE_ASN1_FUNCTIONS(MSCEP_CHALLENGE)

ASN1_SEQUENCE(MSCEP_CHALLENGE) = {
	ASN1_SIMPLE(MSCEP_CHALLENGE, version, ASN1_INTEGER),
	ASN1_SIMPLE(MSCEP_CHALLENGE, nonce, ASN1_OCTET_STRING),
	ASN1_SIMPLE(MSCEP_CHALLENGE, issued_at, ASN1_GENERALIZEDTIME),
	ASN1_SIMPLE(MSCEP_CHALLENGE, expires_at, ASN1_GENERALIZEDTIME),
	ASN1_SIMPLE(MSCEP_CHALLENGE, device_id, ASN1_UTF8STRING),
	ASN1_SIMPLE(MSCEP_CHALLENGE, profile, ASN1_UTF8STRING),
	ASN1_SIMPLE(MSCEP_CHALLENGE, subject, X509_NAME),
	ASN1_SEQUENCE_OF(MSCEP_CHALLENGE, sans, GENERAL_NAME),
	ASN1_IMP_OPT(MSCEP_CHALLENGE, key_usage, ASN1_BIT_STRING, 0),
	ASN1_IMP_OPT(MSCEP_CHALLENGE, sid, ASN1_UTF8STRING, 1),
} ASN1_SEQUENCE_END(MSCEP_CHALLENGE)

IMPLEMENT_ASN1_FUNCTIONS(MSCEP_CHALLENGE)

#define CHALLENGE_VERSION	1

void
challenge_claims_free(struct challenge_claims *c)
{
	X509_NAME_free(c->subject);
	GENERAL_NAMES_free(c->sans);
	OPENSSL_cleanse(c, sizeof(*c));
}

const char *
challenge_err_code(enum challenge_err e)
{
	switch (e) {
	case CHALLENGE_OK:		return "Success";
	case CHALLENGE_DECODING:	return "ChallengeDecodingError";
	case CHALLENGE_DECRYPTION:	return "ChallengeDecryptionError";
	case CHALLENGE_SIGNATURE:	return "SignatureValidationFailed";
	case CHALLENGE_DESERIALIZATION:	return "ChallengeDeserializationError";
	case CHALLENGE_NOT_YET_VALID:	return "ChallengeInvalidTimestamp";
	case CHALLENGE_EXPIRED:		return "ChallengeExpired";
	}
	return "Unknown";
}

static int
set_utf8(ASN1_UTF8STRING *s, const char *v)
{
	return ASN1_STRING_set(s, v, -1);
}

/* KU bits (X509v3_KU_*, as X509_get_key_usage returns) as a BIT STRING. */
static ASN1_BIT_STRING *
ku_bits(int ku)
{
	ASN1_BIT_STRING	*b = ASN1_BIT_STRING_new();
	int		 i;

	/* X509v3_KU_DIGITAL_SIGNATURE is 0x80 = bit 0, ... DECIPHER_ONLY
	 * 0x8000 = bit 8. */
	for (i = 0; b != NULL && i < 9; i++) {
		int	 mask = i < 8 ? 0x80 >> i : 0x8000;

		if ((ku & mask) && !ASN1_BIT_STRING_set_bit(b, i, 1)) {
			ASN1_BIT_STRING_free(b);
			return NULL;
		}
	}
	return b;
}

static int
bits_ku(const ASN1_BIT_STRING *b)
{
	int	 i, ku = 0;

	for (i = 0; i < 9; i++)
		if (ASN1_BIT_STRING_get_bit(b, i))
			ku |= i < 8 ? 0x80 >> i : 0x8000;
	return ku;
}

static MSCEP_CHALLENGE *
to_asn1(const struct challenge_claims *c)
{
	MSCEP_CHALLENGE	*a = MSCEP_CHALLENGE_new();
	int		 ok;

	if (a == NULL)
		return NULL;
	ok = ASN1_INTEGER_set(a->version, CHALLENGE_VERSION) &&
	    ASN1_OCTET_STRING_set(a->nonce, c->nonce, CHALLENGE_NONCE_LEN) &&
	    ASN1_GENERALIZEDTIME_set(a->issued_at, (time_t)c->issued_at) &&
	    ASN1_GENERALIZEDTIME_set(a->expires_at, (time_t)c->expires_at) &&
	    set_utf8(a->device_id, c->device_id) &&
	    set_utf8(a->profile, c->profile) &&
	    X509_NAME_set(&a->subject, c->subject);
	if (ok && c->sans != NULL) {
		GENERAL_NAMES_free(a->sans);
		ok = (a->sans = sk_GENERAL_NAME_deep_copy(c->sans,
		    GENERAL_NAME_dup, GENERAL_NAME_free)) != NULL;
	}
	if (ok && c->key_usage >= 0)
		ok = (a->key_usage = ku_bits(c->key_usage)) != NULL;
	if (ok && c->sid[0] != '\0')
		ok = (a->sid = ASN1_UTF8STRING_new()) != NULL &&
		    set_utf8(a->sid, c->sid);
	if (!ok) {
		MSCEP_CHALLENGE_free(a);
		a = NULL;
	}
	return a;
}

/* Copies a UTF8String that must fit and hold no NUL. */
static int
get_utf8(const ASN1_UTF8STRING *s, char *out, size_t size)
{
	int	 n = ASN1_STRING_length(s);

	if (n < 0 || (size_t)n >= size ||
	    memchr(ASN1_STRING_get0_data(s), 0, (size_t)n) != NULL)
		return -1;
	memcpy(out, ASN1_STRING_get0_data(s), (size_t)n);
	out[n] = '\0';
	return 0;
}

static int
from_asn1(const MSCEP_CHALLENGE *a, struct challenge_claims *c)
{
	struct tm	 tm;

	memset(c, 0, sizeof(*c));
	c->key_usage = -1;
	if (ASN1_INTEGER_get(a->version) != CHALLENGE_VERSION ||
	    ASN1_STRING_length(a->nonce) != CHALLENGE_NONCE_LEN ||
	    !ASN1_TIME_to_tm(a->issued_at, &tm) ||
	    (c->issued_at = (int64_t)timegm(&tm)) < 0 ||
	    !ASN1_TIME_to_tm(a->expires_at, &tm) ||
	    (c->expires_at = (int64_t)timegm(&tm)) < 0 ||
	    get_utf8(a->device_id, c->device_id, sizeof(c->device_id)) ||
	    get_utf8(a->profile, c->profile, sizeof(c->profile)) ||
	    (a->sid != NULL && get_utf8(a->sid, c->sid, sizeof(c->sid))) ||
	    (c->subject = X509_NAME_dup(a->subject)) == NULL ||
	    (c->sans = sk_GENERAL_NAME_deep_copy(a->sans, GENERAL_NAME_dup,
	    GENERAL_NAME_free)) == NULL) {
		challenge_claims_free(c);
		return -1;
	}
	memcpy(c->nonce, ASN1_STRING_get0_data(a->nonce), CHALLENGE_NONCE_LEN);
	if (a->key_usage != NULL)
		c->key_usage = bits_ku(a->key_usage);
	return 0;
}

static int
all_zero(const unsigned char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Sign (signer named by key identifier, no certificates: the blob must
 * fit a URL), then encrypt with AES-256-GCM to the recipient. */
static CMS_ContentInfo *
seal(const unsigned char *der, int len, EVP_PKEY *key, X509 *cert,
    X509 *recipient)
{
	CMS_ContentInfo		*signed_ci = NULL, *env = NULL;
	CMS_RecipientInfo	*ri;
	STACK_OF(X509)		*rcpts = sk_X509_new_null();
	unsigned char		*sd = NULL;
	BIO			*in = NULL, *in2 = NULL;
	EVP_PKEY_CTX		*pctx;
	int			 sdlen, ok = 0;
	unsigned int		 f = CMS_BINARY | CMS_NOCERTS | CMS_NOSMIMECAP |
				    CMS_USE_KEYID;

	if (rcpts == NULL || !sk_X509_push(rcpts, recipient) ||
	    (in = BIO_new_mem_buf(der, len)) == NULL ||
	    (signed_ci = CMS_sign(cert, key, NULL, in, f)) == NULL ||
	    (sdlen = i2d_CMS_ContentInfo(signed_ci, &sd)) <= 0 ||
	    (in2 = BIO_new_mem_buf(sd, sdlen)) == NULL ||
	    (env = CMS_encrypt(NULL, NULL, EVP_aes_256_gcm(),
	    CMS_BINARY | CMS_PARTIAL)) == NULL)
		goto out;
	f = CMS_USE_KEYID;
	if (EVP_PKEY_get_base_id(X509_get0_pubkey(recipient)) == EVP_PKEY_RSA)
		f |= CMS_KEY_PARAM;
	if ((ri = CMS_add1_recipient_cert(env, recipient, f)) == NULL)
		goto out;
	/* RSA key transport with OAEP, never PKCS#1 v1.5. */
	if ((f & CMS_KEY_PARAM) &&
	    ((pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0))
		goto out;
	ok = CMS_final(env, in2, NULL, CMS_BINARY);
out:
	if (!ok) {
		CMS_ContentInfo_free(env);
		env = NULL;
	}
	sk_X509_free(rcpts);
	OPENSSL_free(sd);
	BIO_free(in);
	BIO_free(in2);
	CMS_ContentInfo_free(signed_ci);
	return env;
}

int
challenge_issue(struct challenge_claims *c, EVP_PKEY *key, X509 *cert,
    X509 *recipient, char **out, char *reason, size_t rlen)
{
	MSCEP_CHALLENGE	*a = NULL;
	CMS_ContentInfo	*env = NULL;
	unsigned char	*der = NULL, *blob = NULL;
	int		 len = 0, blen, rc = -1;
	size_t		 b64len;

	*out = NULL;
	if (all_zero(c->nonce, CHALLENGE_NONCE_LEN) &&
	    RAND_bytes(c->nonce, CHALLENGE_NONCE_LEN) != 1)
		goto fail;
	if ((a = to_asn1(c)) == NULL ||
	    (len = i2d_MSCEP_CHALLENGE(a, &der)) <= 0 ||
	    (env = seal(der, len, key, cert, recipient)) == NULL ||
	    (blen = i2d_CMS_ContentInfo(env, &blob)) <= 0)
		goto fail;
	b64len = 4 * (((size_t)blen + 2) / 3) + 1;
	if (b64len > CHALLENGE_B64_MAX) {
		snprintf(reason, rlen, "challenge of %zu characters is over "
		    "the %d mscep reads", b64len, CHALLENGE_B64_MAX);
		goto out;
	}
	if ((*out = OPENSSL_malloc(b64len)) == NULL)
		goto fail;
	util_base64_encode(blob, (size_t)blen, *out, b64len);
	rc = 0;
	goto out;
fail:
	log_openssl_reason(reason, rlen, "cannot build the challenge");
out:
	MSCEP_CHALLENGE_free(a);
	OPENSSL_clear_free(der, der ? (size_t)len : 0);
	OPENSSL_free(blob);
	CMS_ContentInfo_free(env);
	return rc;
}

/* RSA key transport must be OAEP: PKCS#1 v1.5 would offer a padding
 * oracle (Bleichenbacher) to anyone who can submit CSRs. */
static int
ktri_oaep_only(CMS_ContentInfo *env)
{
	STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(env);
	CMS_RecipientInfo	*ri;
	X509_ALGOR		*alg;
	const ASN1_OBJECT	*obj;
	int			 i;

	for (i = 0; i < sk_CMS_RecipientInfo_num(ris); i++) {
		ri = sk_CMS_RecipientInfo_value(ris, i);
		if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_TRANS)
			continue;
		if (!CMS_RecipientInfo_ktri_get0_algs(ri, NULL, NULL, &alg))
			return 0;
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
		if (OBJ_obj2nid(obj) != NID_rsaesOaep)
			return 0;
	}
	return ris != NULL;
}

/* AuthEnvelopedData only: an unauthenticated cipher could be tampered. */
static BIO *
unseal(const unsigned char *der, long len, EVP_PKEY *key, X509 *cert)
{
	const unsigned char	*p = der;
	CMS_ContentInfo		*env = d2i_CMS_ContentInfo(NULL, &p, len);
	BIO			*out = BIO_new(BIO_s_mem());

	if (env == NULL || out == NULL || p != der + len ||
	    OBJ_obj2nid(CMS_get0_type(env)) != NID_id_smime_ct_authEnvelopedData ||
	    !ktri_oaep_only(env) ||
	    !CMS_decrypt(env, key, cert, NULL, out, CMS_BINARY)) {
		BIO_free(out);
		out = NULL;
	}
	CMS_ContentInfo_free(env);
	return out;
}

static enum challenge_err
verify(BIO *sd, STACK_OF(X509) *signers, X509_STORE *trust,
    MSCEP_CHALLENGE **claims)
{
	CMS_ContentInfo		*ci = d2i_CMS_bio(sd, NULL);
	BIO			*out = BIO_new(BIO_s_mem());
	const unsigned char	*p;
	long			 n;
	enum challenge_err	 e = CHALLENGE_SIGNATURE;

	*claims = NULL;
	/* Only the configured MDM signers, never certificates it carries. */
	if (ci != NULL && out != NULL && CMS_verify(ci, signers, trust, NULL,
	    out, CMS_BINARY | CMS_NOINTERN)) {
		e = CHALLENGE_DESERIALIZATION;
		n = BIO_get_mem_data(out, (char **)&p);
		if ((*claims = d2i_MSCEP_CHALLENGE(NULL, &p, n)) != NULL)
			e = CHALLENGE_OK;
	}
	CMS_ContentInfo_free(ci);
	BIO_free(out);
	return e;
}

enum challenge_err
challenge_open(const char *b64, EVP_PKEY *key, X509 *cert,
    STACK_OF(X509) *signers, X509_STORE *trust, int64_t now, int skew,
    struct challenge_claims *c, char *reason, size_t rlen)
{
	unsigned char		*der = NULL;
	MSCEP_CHALLENGE		*a = NULL;
	BIO			*sd = NULL;
	size_t			 n = b64 != NULL ? strlen(b64) : 0;
	long			 len;
	enum challenge_err	 e = CHALLENGE_DECODING;

	memset(c, 0, sizeof(*c));
	if (n == 0 || n > CHALLENGE_B64_MAX || (der = malloc(n)) == NULL ||
	    (len = util_base64_decode(b64, n, der, n)) <= 0) {
		snprintf(reason, rlen, "challenge is not base64");
		goto out;
	}
	e = CHALLENGE_DECRYPTION;
	if ((sd = unseal(der, len, key, cert)) == NULL) {
		log_openssl_reason(reason, rlen,
		    "challenge cannot be decrypted");
		goto out;
	}
	if ((e = verify(sd, signers, trust, &a)) != CHALLENGE_OK ||
	    from_asn1(a, c) != 0) {
		if (e == CHALLENGE_OK)
			e = CHALLENGE_DESERIALIZATION;
		log_openssl_reason(reason, rlen, e == CHALLENGE_SIGNATURE ?
		    "challenge signature invalid or signer not trusted" :
		    "challenge content is malformed");
		goto out;
	}
	if (now + skew < c->issued_at) {
		e = CHALLENGE_NOT_YET_VALID;
		snprintf(reason, rlen, "challenge issued %lld s in the future",
		    (long long)(c->issued_at - now));
	} else if (now - skew > c->expires_at) {
		e = CHALLENGE_EXPIRED;
		snprintf(reason, rlen, "challenge expired %lld s ago",
		    (long long)(now - c->expires_at));
	}
	if (e != CHALLENGE_OK)
		challenge_claims_free(c);
out:
	ERR_clear_error();
	MSCEP_CHALLENGE_free(a);
	BIO_free(sd);
	free(der);
	return e;
}

GENERAL_NAME *
challenge_san_parse(const char *s)
{
	static const struct { const char *prefix, *conf; } types[] = {
		{ "dns:", "DNS" }, { "email:", "email" },
		{ "upn:", "otherName" }, { "uri:", "URI" }, { "ip:", "IP" },
	};
	char	 value[1100];
	size_t	 i, n;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = strlen(types[i].prefix);
		if (strncasecmp(s, types[i].prefix, n) != 0)
			continue;
		/* UPN: otherName 1.3.6.1.4.1.311.20.2.3, UTF8String. */
		if (i == 2)
			snprintf(value, sizeof(value), "1.3.6.1.4.1.311.20.2.3;"
			    "UTF8:%s", s + n);
		else
			snprintf(value, sizeof(value), "%s", s + n);
		return a2i_GENERAL_NAME(NULL, NULL, NULL, i == 2 ? GEN_OTHERNAME :
		    i == 0 ? GEN_DNS : i == 1 ? GEN_EMAIL : i == 3 ? GEN_URI :
		    GEN_IPADD, value, 0);
	}
	return NULL;
}
