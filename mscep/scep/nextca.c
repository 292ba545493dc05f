/* nextca.c - GetNextCACert's body: next/'s certificates, signed by the RA. */
#include "scep/nextca.h"
#include "ca/rollover.h"
#include "scep/certrep.h"
#include "util/log.h"

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/cms.h>

static int
sign_body(const struct ra *ra, const struct buf *inner, struct buf *out)
{
	CMS_ContentInfo	*cms = NULL;
	CMS_SignerInfo	*si;
	BIO		*in = NULL, *der = NULL;
	BUF_MEM		*m;
	unsigned int	 flags = CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
	int		 rc = -1;

	/* id-data content, signed attributes, the signer's certificate. */
	if ((in = BIO_new_mem_buf(inner->p, (int)inner->len)) == NULL ||
	    (der = BIO_new(BIO_s_mem())) == NULL ||
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    (si = keyop_cms_signer(ra->sign_op, cms, ra->sign_cert, NULL,
	    flags)) == NULL ||
	    keyop_cms_final(ra->sign_op, cms, si, in) != 1 ||
	    i2d_CMS_bio(der, cms) != 1)
		goto out;
	BIO_get_mem_ptr(der, &m);
	rc = buf_append(out, m->data, m->length);
out:
	CMS_ContentInfo_free(cms);
	BIO_free(der);
	BIO_free(in);
	return rc;
}

int
nextca_content(const struct config *cfg, const struct ra *ra,
    struct buf *inner, char *reason, size_t rlen)
{
	X509	*c[3];
	int	 i, have;

	if ((have = rollover_next_certs(cfg, ra, c, reason, rlen)) <= 0)
		return have;
	/* NDES's GetCACert order; CA-direct mode has no RA (section 4.7.1). */
	if ((ra->direct ? certrep_certs_only(&c[2], 1, inner) :
	    certrep_certs_only(c, 3, inner)) != 0) {
		log_openssl_reason(reason, rlen, "cannot build GetNextCACert");
		have = -1;
	}
	for (i = 0; i < 3; i++)
		X509_free(c[i]);
	return have;
}

int
nextca_body(const struct config *cfg, const struct ra *ra, struct buf *out,
    char *reason, size_t rlen)
{
	struct buf	 inner = { 0 };
	int		 rc;

	if ((rc = nextca_content(cfg, ra, &inner, reason, rlen)) <= 0)
		;
	else if (sign_body(ra, &inner, out) != 0) {
		log_openssl_reason(reason, rlen, "cannot build GetNextCACert");
		rc = -1;
	} else
		rc = 0;
	buf_free(&inner);
	return rc;
}
