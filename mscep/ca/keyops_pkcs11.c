/*
 * keyops_pkcs11.c - private keys in a PKCS#11 token (keyops_pkcs11.h),
 * through Debian's libp11: the token signs and decrypts, the EVP_PKEY
 * libp11 hands back works with the in-process operations of
 * keyops_inproc.c (keyops.c's keyop_pkcs11 and keyop_open_ref). One
 * module per process, loaded with the first key and unloaded when the
 * last of its keys is freed, so a supervisor that checks a configuration
 * and then forks leaves its workers nothing open.
 */
#include "ca/keyops_pkcs11.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <libp11.h>

#define DEFAULT_MODULE	"p11-kit-proxy.so"
#define PIN_MAX		256
/* A token not found is looked for this many times, this far apart. */
#define FIND_TRIES	5
#define FIND_PAUSE_MS	200
/* A login that failed for a passing reason: tried once more. */
#define LOGIN_TRIES	2
/* CKR_PIN_INCORRECT .. CKR_PIN_LOCKED, as libp11 reports them. */
#define P11_PIN_INCORRECT	0xa0
#define P11_PIN_LOCKED		0xa4

static struct {
	PKCS11_CTX	*ctx;
	PKCS11_SLOT	*slots;
	unsigned int	 nslots;
	char		 module[PATH_MAX];
	int		 keys;		/* EVP_PKEYs handed out, not freed */
	int		 exidx;
} mod = { .exidx = -1 };

int
keyop_pkcs11_is_uri(const char *ref)
{
	return ref != NULL && strncmp(ref, KEYOP_PKCS11_SCHEME,
	    sizeof(KEYOP_PKCS11_SCHEME) - 1) == 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into out (max bytes); -1 when malformed. */
static int
pct_decode(const char *s, size_t n, unsigned char *out, size_t max,
    size_t *olen)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (o == max)
			return -1;
		if (s[i] != '%') {
			out[o++] = (unsigned char)s[i];
			continue;
		}
		if (i + 2 >= n ||
		    (hi = hexval(s[i + 1])) < 0 ||
		    (lo = hexval(s[i + 2])) < 0)
			return -1;
		out[o++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	*olen = o;
	return 0;
}

/* A text attribute: decoded, no NUL inside, NUL-terminated. */
static int
set_text(char *dst, size_t size, const char *v, size_t n)
{
	size_t	 len;

	if (dst[0] != '\0' || pct_decode(v, n, (unsigned char *)dst,
	    size - 1, &len) != 0 || len == 0 || memchr(dst, '\0', len) != NULL)
		return -1;
	dst[len] = '\0';
	return 0;
}

static int
set_attr(struct keyop_pkcs11_uri *u, int query, const char *name,
    size_t nlen, const char *v, size_t vlen)
{
#define IS(s)	(nlen == sizeof(s) - 1 && memcmp(name, s, nlen) == 0)
	if (!query && IS("token"))
		return set_text(u->token, sizeof(u->token), v, vlen);
	if (!query && IS("serial"))
		return set_text(u->serial, sizeof(u->serial), v, vlen);
	if (!query && IS("manufacturer"))
		return set_text(u->manufacturer, sizeof(u->manufacturer), v,
		    vlen);
	if (!query && IS("model"))
		return set_text(u->model, sizeof(u->model), v, vlen);
	if (!query && IS("object"))
		return set_text(u->object, sizeof(u->object), v, vlen);
	if (!query && IS("type"))
		return vlen == 7 && memcmp(v, "private", 7) == 0 ? 0 : -1;
	if (!query && IS("id"))
		return u->id_len != 0 || pct_decode(v, vlen, u->id,
		    sizeof(u->id), &u->id_len) != 0 || u->id_len == 0 ? -1 : 0;
	if (query && IS("module-path"))
		return set_text(u->module, sizeof(u->module), v, vlen);
	if (query && IS("pin-source")) {
		if (vlen > 5 && memcmp(v, "file:", 5) == 0) {
			v += 5;
			vlen -= 5;
		}
		return set_text(u->pin_file, sizeof(u->pin_file), v, vlen) ||
		    u->pin_file[0] != '/' ? -1 : 0;
	}
	/* RFC 7512: vendor attributes ("x-...") may be ignored. */
	return nlen > 2 && memcmp(name, "x-", 2) == 0 ? 0 : -1;
#undef IS
}

/* Each name=value of s[0..n), separated by sep. */
static int
parse_part(struct keyop_pkcs11_uri *u, int query, const char *s, size_t n,
    int sep, char *reason, size_t rlen)
{
	const char	*end = s + n, *next, *eq;

	for (; s < end; s = next + 1) {
		if ((next = memchr(s, sep, (size_t)(end - s))) == NULL)
			next = end;
		if (next == s)
			continue;
		if ((eq = memchr(s, '=', (size_t)(next - s))) == NULL ||
		    set_attr(u, query, s, (size_t)(eq - s), eq + 1,
		    (size_t)(next - eq - 1)) != 0) {
			snprintf(reason, rlen, "PKCS#11 URI: attribute \"%.*s\" "
			    "unknown, repeated, too long or malformed "
			    "(RFC 7512)", (int)(next - s) > 64 ? 64 :
			    (int)(next - s), s);
			return -1;
		}
	}
	return 0;
}

int
keyop_pkcs11_parse(const char *uri, struct keyop_pkcs11_uri *u,
    char *reason, size_t rlen)
{
	const char	*path, *q;
	size_t		 plen;

	memset(u, 0, sizeof(*u));
	if (!keyop_pkcs11_is_uri(uri)) {
		snprintf(reason, rlen, "not a pkcs11: URI");
		return -1;
	}
	path = uri + sizeof(KEYOP_PKCS11_SCHEME) - 1;
	q = strchr(path, '?');
	plen = q != NULL ? (size_t)(q - path) : strlen(path);
	if (parse_part(u, 0, path, plen, ';', reason, rlen) != 0 ||
	    (q != NULL && parse_part(u, 1, q + 1, strlen(q + 1), '&', reason,
	    rlen) != 0))
		return -1;
	if (u->object[0] == '\0' && u->id_len == 0) {
		snprintf(reason, rlen, "PKCS#11 URI names no key: give "
		    "object= (its label) or id=");
		return -1;
	}
	if (u->pin_file[0] == '\0') {
		snprintf(reason, rlen, "PKCS#11 URI has no pin-source=file:"
		    "/PATH (pin-value is refused: the URI is not a secret)");
		return -1;
	}
	if (u->module[0] == '\0')
		snprintf(u->module, sizeof(u->module), "%s", DEFAULT_MODULE);
	return 0;
}

/* The user PIN: a regular file only its owner may read or write. */
static int
read_pin(const char *path, char *pin, size_t size, char *reason,
    size_t rlen)
{
	struct stat	 st;
	ssize_t		 n = -1;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(reason, rlen, "cannot read the PIN file %s: %s",
		    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		snprintf(reason, rlen, "the PIN file %s is not a regular file",
		    path);
	else if ((st.st_mode & 077) != 0)
		snprintf(reason, rlen, "the PIN file %s may be read by others "
		    "than its owner: chmod 600 it", path);
	else if ((n = read(fd, pin, size - 1)) <= 0)
		snprintf(reason, rlen, "the PIN file %s is empty", path);
	close(fd);
	if (n <= 0 || (st.st_mode & 077) != 0)
		return -1;
	pin[n] = '\0';
	pin[strcspn(pin, "\r\n")] = '\0';
	if (pin[0] == '\0') {
		snprintf(reason, rlen, "the PIN file %s is empty", path);
		return -1;
	}
	return 0;
}

static void
module_unload_unused(void)
{
	if (mod.ctx == NULL || mod.keys > 0)
		return;
	if (mod.slots != NULL)
		PKCS11_release_all_slots(mod.ctx, mod.slots, mod.nslots);
	PKCS11_CTX_unload(mod.ctx);
	PKCS11_CTX_free(mod.ctx);
	mod.ctx = NULL;
	mod.slots = NULL;
	mod.nslots = 0;
	mod.module[0] = '\0';
}

/* ex_data free of a key handed out: the module goes with its last key. */
static void
on_key_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	if (ptr == NULL)
		return;
	mod.keys--;
	module_unload_unused();
}

static int
module_load(const char *module, char *reason, size_t rlen)
{
	if (mod.exidx < 0 && (mod.exidx = EVP_PKEY_get_ex_new_index(0, NULL,
	    NULL, NULL, on_key_free)) < 0) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	if (mod.ctx != NULL) {
		if (strcmp(mod.module, module) == 0)
			return 0;
		snprintf(reason, rlen, "PKCS#11 module %s: this process uses "
		    "%s already (one module per process)", module, mod.module);
		return -1;
	}
	if ((mod.ctx = PKCS11_CTX_new()) == NULL ||
	    PKCS11_CTX_load(mod.ctx, module) != 0) {
		snprintf(reason, rlen, "cannot load the PKCS#11 module %s "
		    "(module-path in the URI)", module);
		PKCS11_CTX_free(mod.ctx);
		mod.ctx = NULL;
		return -1;
	}
	snprintf(mod.module, sizeof(mod.module), "%s", module);
	if (PKCS11_enumerate_slots(mod.ctx, &mod.slots, &mod.nslots) != 0) {
		snprintf(reason, rlen, "PKCS#11 module %s lists no slots",
		    module);
		mod.slots = NULL;
		module_unload_unused();
		return -1;
	}
	return 0;
}

static int
field_ok(const char *want, const char *have)
{
	return want[0] == '\0' || (have != NULL && strcmp(want, have) == 0);
}

static PKCS11_SLOT *
find_slot(const struct keyop_pkcs11_uri *u, char *reason, size_t rlen)
{
	PKCS11_TOKEN	*t;
	unsigned int	 i;

	for (i = 0; i < mod.nslots; i++) {
		if ((t = mod.slots[i].token) == NULL || !t->initialized)
			continue;
		if (field_ok(u->token, t->label) &&
		    field_ok(u->serial, t->serialnr) &&
		    field_ok(u->manufacturer, t->manufacturer) &&
		    field_ok(u->model, t->model))
			return &mod.slots[i];
	}
	snprintf(reason, rlen, "no PKCS#11 token%s%s in module %s",
	    u->token[0] != '\0' ? " labelled " : "", u->token, mod.module);
	return NULL;
}

/* A login that failed for a passing reason is tried once more: SoftHSM
 * can fail one while another process writes the token. Only the codes
 * PKCS#11 gives for such failures (or none, libp11 failing before the
 * token), and only once: each try may count towards locking the token,
 * and libp11's error keeps only a code's low 23 bits, so a vendor's own
 * code (0x80000000 and up) can read as one of these. */
static int
login_passing(unsigned long e)
{
	switch (e) {
	case 0x000:	/* no code: libp11 failed before C_Login */
	case 0x002:	/* CKR_HOST_MEMORY */
	case 0x005:	/* CKR_GENERAL_ERROR */
	case 0x006:	/* CKR_FUNCTION_FAILED */
	case 0x030:	/* CKR_DEVICE_ERROR */
	case 0x031:	/* CKR_DEVICE_MEMORY */
	case 0x0b0:	/* CKR_SESSION_CLOSED */
	case 0x0b3:	/* CKR_SESSION_HANDLE_INVALID */
		return 1;
	default:
		return 0;
	}
}

/* CKR_PIN_INCORRECT .. CKR_PIN_LOCKED */
static const char *const pin_names[] = {
	"wrong PIN",
	"the PIN is not valid",
	"the PIN's length is out of range",
	"the PIN has expired",
	"the PIN is locked",
};

static int
pin_refused(unsigned long e)
{
	return e >= P11_PIN_INCORRECT && e <= P11_PIN_LOCKED;
}

static int
login(PKCS11_SLOT *slot, const struct keyop_pkcs11_uri *u, char *reason,
    size_t rlen)
{
	char		 pin[PIN_MAX];
	unsigned long	 e = 0;
	int		 in = 0, rc = -1, tries;

	if (PKCS11_is_logged_in(slot, 0, &in) == 0 && in)
		return 0;
	if (read_pin(u->pin_file, pin, sizeof(pin), reason, rlen) != 0)
		goto out;
	/* Read-write for key generation; a read-only token still signs. */
	if (PKCS11_open_session(slot, 1) != 0 &&
	    PKCS11_open_session(slot, 0) != 0) {
		snprintf(reason, rlen, "cannot open a session with the token "
		    "%s", slot->token->label);
		goto out;
	}
	for (tries = LOGIN_TRIES; tries > 0; tries--) {
		ERR_clear_error();
		if (PKCS11_login(slot, 0, pin) == 0) {
			rc = 0;
			goto out;
		}
		e = (unsigned long)ERR_GET_REASON(ERR_peek_last_error());
		if (!login_passing(e))
			break;
		if (tries > 1)
			usleep(FIND_PAUSE_MS * 1000);
	}
	if (pin_refused(e))
		snprintf(reason, rlen, "login to the PKCS#11 token %s refused: "
		    "%s (CKR 0x%lx; PIN file %s)", slot->token->label,
		    pin_names[e - P11_PIN_INCORRECT], e, u->pin_file);
	else if (login_passing(e))
		snprintf(reason, rlen, "login to the PKCS#11 token %s failed "
		    "%d times: CKR 0x%lx (PIN file %s)", slot->token->label,
		    LOGIN_TRIES, e, u->pin_file);
	else
		snprintf(reason, rlen, "login to the PKCS#11 token %s refused: "
		    "CKR 0x%lx (PIN file %s)", slot->token->label, e,
		    u->pin_file);
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	return rc;
}

static PKCS11_KEY *
find_key(PKCS11_TOKEN *t, const struct keyop_pkcs11_uri *u)
{
	PKCS11_KEY	*keys;
	unsigned int	 i, n;

	if (PKCS11_enumerate_keys(t, &keys, &n) != 0)
		return NULL;
	for (i = 0; i < n; i++) {
		if (u->object[0] != '\0' && (keys[i].label == NULL ||
		    strcmp(keys[i].label, u->object) != 0))
			continue;
		if (u->id_len != 0 && (keys[i].id_len != u->id_len ||
		    memcmp(keys[i].id, u->id, u->id_len) != 0))
			continue;
		return &keys[i];
	}
	return NULL;
}

/* The token of u, logged in; loads the module as needed. */
static PKCS11_SLOT *
open_token(const char *uri, struct keyop_pkcs11_uri *u, char *reason,
    size_t rlen)
{
	PKCS11_SLOT	*slot;

	int		 tries = FIND_TRIES;

	if (keyop_pkcs11_parse(uri, u, reason, rlen) != 0)
		return NULL;
	/* SoftHSM's file store can show no slot, or a token another
	 * process is writing as absent, for a moment: the module is loaded
	 * and asked again. */
	for (;;) {
		if (module_load(u->module, reason, rlen) == 0 &&
		    (slot = find_slot(u, reason, rlen)) != NULL)
			break;
		module_unload_unused();
		if (--tries == 0)
			return NULL;
		usleep(FIND_PAUSE_MS * 1000);
	}
	if (login(slot, u, reason, rlen) != 0) {
		module_unload_unused();
		return NULL;
	}
	return slot;
}

/*
 * An EVP_PKEY of our own on libp11's key (which libp11 keeps until its
 * slots are released): the count of ours decides when the module goes.
 * libp11 0.4 makes keys of the legacy RSA and EC_KEY types.
 */
static EVP_PKEY *
own_copy(EVP_PKEY *cached)
{
	EVP_PKEY	*pk = EVP_PKEY_new();
	int		 ok = 0;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	if (pk != NULL && EVP_PKEY_get_base_id(cached) == EVP_PKEY_RSA)
		ok = EVP_PKEY_set1_RSA(pk,
		    (RSA *)EVP_PKEY_get0_RSA(cached));
	else if (pk != NULL && EVP_PKEY_get_base_id(cached) == EVP_PKEY_EC)
		ok = EVP_PKEY_set1_EC_KEY(pk,
		    (EC_KEY *)EVP_PKEY_get0_EC_KEY(cached));
#pragma GCC diagnostic pop
	if (ok != 1 || EVP_PKEY_set_ex_data(pk, mod.exidx, &mod) != 1) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	mod.keys++;
	return pk;
}

/* key's EVP_PKEY, counted so that the module stays while it lives. */
static EVP_PKEY *
hand_out(PKCS11_KEY *key, const struct keyop_pkcs11_uri *u, char *reason,
    size_t rlen)
{
	EVP_PKEY	*pk, *own;

	if (key == NULL) {
		snprintf(reason, rlen, "no private key%s%s in the PKCS#11 "
		    "token %s", u->object[0] != '\0' ? " labelled " : " with "
		    "that id", u->object, u->token);
		return NULL;
	}
	if ((pk = PKCS11_get_private_key(key)) == NULL) {
		snprintf(reason, rlen, "cannot use the private key %s of the "
		    "PKCS#11 token %s", u->object, u->token);
		return NULL;
	}
	if ((own = own_copy(pk)) == NULL)
		snprintf(reason, rlen, "the key %s of the PKCS#11 token %s is "
		    "neither RSA nor EC", u->object, u->token);
	EVP_PKEY_free(pk);
	return own;
}

EVP_PKEY *
keyop_pkcs11_load(const char *uri, char *reason, size_t rlen)
{
	struct keyop_pkcs11_uri	 u;
	PKCS11_SLOT		*slot;
	EVP_PKEY		*pk;

	if ((slot = open_token(uri, &u, reason, rlen)) == NULL)
		return NULL;
	pk = hand_out(find_key(slot->token, &u), &u, reason, rlen);
	module_unload_unused();
	ERR_clear_error();
	return pk;
}

/* libp11 0.4's key generation (RSA); 0.5 renames it PKCS11_keygen. */
static int
generate(PKCS11_TOKEN *t, int bits, char *label, unsigned char *id,
    size_t idlen)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	return PKCS11_generate_key(t, 0, (unsigned int)bits, label, id, idlen);
#pragma GCC diagnostic pop
}

EVP_PKEY *
keyop_pkcs11_generate(const char *uri, int bits, char *reason, size_t rlen)
{
	struct keyop_pkcs11_uri	 u;
	PKCS11_SLOT		*slot;
	EVP_PKEY		*pk = NULL;

	if ((slot = open_token(uri, &u, reason, rlen)) == NULL)
		return NULL;
	if (find_key(slot->token, &u) != NULL) {
		snprintf(reason, rlen, "the PKCS#11 token %s holds a key "
		    "labelled %s (or with that id) already: name another",
		    slot->token->label, u.object);
		goto out;
	}
	if (u.id_len == 0 && RAND_bytes(u.id, 16) == 1)
		u.id_len = 16;
	if (u.id_len == 0 || generate(slot->token, bits, u.object[0] != '\0' ?
	    u.object : NULL, u.id, u.id_len) != 0) {
		snprintf(reason, rlen, "the PKCS#11 token %s cannot generate "
		    "an RSA %d key", slot->token->label, bits);
		goto out;
	}
	pk = hand_out(find_key(slot->token, &u), &u, reason, rlen);
out:
	module_unload_unused();
	ERR_clear_error();
	return pk;
}

int
keyop_pkcs11_open_keys(void)
{
	return mod.keys;
}
