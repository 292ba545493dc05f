/*
 * request.h - the pkiMessages scepcli sends (RFC 8894 §3.3): PKCSReq, or
 * RenewalReq with --cert/--key, CertPoll (GetCertInitial) and GetCRL. Each
 * is a SignedData with the SCEP attributes over an EnvelopedData to the
 * CA/RA, ready to go as a POST body or in a GET request-target.
 */
#ifndef SCEPCLI_REQUEST_H
#define SCEPCLI_REQUEST_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cacert.h"
#include "common.h"

/* SCEP signed attributes (RFC 8894 §3.2.1.x, VeriSign arc). */
#define OID_MESSAGE_TYPE    "2.16.840.1.113733.1.9.2"
#define OID_PKI_STATUS      "2.16.840.1.113733.1.9.3"
#define OID_FAIL_INFO       "2.16.840.1.113733.1.9.4"
#define OID_SENDER_NONCE    "2.16.840.1.113733.1.9.5"
#define OID_RECIPIENT_NONCE "2.16.840.1.113733.1.9.6"
#define OID_TRANSACTION_ID  "2.16.840.1.113733.1.9.7"

#define NONCE_LEN       16
#define CT_PKI_MESSAGE  "application/x-pki-message"

/* What every request of a run is built from. A command fills it before
 * the workers fork and frees it with ctx_free(); requests only read it. */
struct ctx {
	struct ca_info ca;
	const EVP_CIPHER *cipher;
	const EVP_MD *md;
	char **challenges;
	size_t nchallenges;
	EVP_PKEY **keys;        /* --keys: request i uses keys[i] */
	size_t nkeys;
	/* Borrowed from main(): --cert/--key, NULL without. RenewalReq and
	 * GetCRL are signed with them. */
	X509 *old_cert;
	EVP_PKEY *old_key;
};

/* One request; its owner frees it with request_free(). */
struct request {
	long idx;
	int ready;              /* fully prepared */
	EVP_PKEY *key;
	X509 *self;             /* self-signed signer cert, same key and name */
	unsigned char nonce[NONCE_LEN];
	int nonce_sent;         /* 0: NONCE_LEN octets; --non-der-attrs sends
				   (and moves to the front) the last
				   NONCE_LEN - 1 */
	char txid[80];
	struct buf msg;         /* DER PKCSReq */
	char *target;
	/* Borrowed: when set, the message is signed with this (RenewalReq,
	 * GetCRL) and the reply is encrypted to it. */
	X509 *sign_cert;
	EVP_PKEY *sign_key;
	const char *msgtype;    /* NULL: "19", PKCSReq */
	/* Owned: --signer-cn's separate self-signed signer (sign_cert and
	 * sign_key point to them). */
	X509 *apart_cert;
	EVP_PKEY *apart_key;
	int want_crl;           /* GetCRL: the reply carries a CRL */
};

/* Frees what cx owns (not old_cert, old_key); cx is zeroed. */
void	 ctx_free(struct ctx *cx);
/* Request idx of the run: a new key (or --keys' idx-th), CSR with
 * challenge idx (-P) or -p, self-signed signer, nonce, transactionID,
 * message and target. PKCSReq, or RenewalReq signed with cx->old_cert.
 * 1 with rq->ready set, or 0 (OpenSSL failures are reported on stderr);
 * request_free() it in both cases. */
int	 prepare_request(const struct ctx *cx, long idx, struct request *rq);
/* GetCRL for cx->old_cert's issuer and serial, signed with it. 1, or 0
 * (the caller reports the failure). */
int	 prepare_getcrl(const struct ctx *cx, struct request *rq);
/* CertPoll for rq: the same transactionID and signer, a new nonce. pr
 * borrows rq's key and certificates: free only pr->msg and pr->target,
 * also when it returns 0. */
int	 make_poll(const struct ctx *cx, const struct request *rq,
	    struct request *pr);
void	 request_free(struct request *rq);

#endif
