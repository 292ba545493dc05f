/* test_util.c - base64 and hex as SCEP GET clients need them; files
 * written whole or not at all; paths that fit or fail; numbers in their
 * range; serials led by the time. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suites.h"
#include "util/cert.h"
#include "util/file.h"
#include "util/log.h"
#include "util/num.h"
#include "util/util.h"

static void
test_base64_roundtrip(void)
{
	unsigned char	 in[256], out[300];
	char		 txt[400];
	size_t		 n, i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7);
	for (n = 0; n < 10; n++) {
		util_base64_encode(in, sizeof(in) - n, txt, sizeof(txt));
		CU_ASSERT_EQUAL(util_base64_decode(txt, strlen(txt), out,
		    sizeof(out)), (long)(sizeof(in) - n));
		CU_ASSERT(memcmp(in, out, sizeof(in) - n) == 0);
	}
}

static void
test_base64_tolerance(void)
{
	unsigned char	 out[16];

	/* "+/8=" decodes to fb ff; as base64url and with a space for '+'. */
	CU_ASSERT_EQUAL(util_base64_decode("+/8=", 4, out, sizeof(out)), 2);
	CU_ASSERT(out[0] == 0xfb && out[1] == 0xff);
	CU_ASSERT_EQUAL(util_base64_decode("-_8=", 4, out, sizeof(out)), 2);
	CU_ASSERT(out[0] == 0xfb && out[1] == 0xff);
	CU_ASSERT_EQUAL(util_base64_decode(" /8=", 4, out, sizeof(out)), 2);
	CU_ASSERT(out[0] == 0xfb);
	/* Cisco wraps lines with %0A. */
	CU_ASSERT_EQUAL(util_base64_decode("QU\nJD\r\n", 7, out, sizeof(out)), 3);
	CU_ASSERT(memcmp(out, "ABC", 3) == 0);
}

static void
test_base64_rejects(void)
{
	unsigned char	 out[16];

	CU_ASSERT_EQUAL(util_base64_decode("QU*D", 4, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(util_base64_decode("QQ==QQ", 6, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(util_base64_decode("Q", 1, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(util_base64_decode("QUJDREVG", 8, out, 2), -1);
}

static void
test_hex(void)
{
	const unsigned char in[] = { 0x00, 0xab, 0x1f };
	char		 out[7];

	util_hex_encode(in, 3, out);
	CU_ASSERT_STRING_EQUAL(out, "00AB1F");
}

/* AD CS's CRL names: "(n)" before the last part's extension. */
static void
test_key_index_name(void)
{
	char	 out[64];

	CU_ASSERT_EQUAL(util_key_index_name("/s/crl/mscep.crl", 0, out,
	    sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "/s/crl/mscep.crl");
	CU_ASSERT_EQUAL(util_key_index_name("/s/crl/mscep.crl", 12, out,
	    sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "/s/crl/mscep(12).crl");
	/* A dot in a folder or host name is not an extension. */
	CU_ASSERT_EQUAL(util_key_index_name("http://pki.example/crl/ca", 1,
	    out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "http://pki.example/crl/ca(1)");
	CU_ASSERT_EQUAL(util_key_index_name("a.b/c.d.crl", 2, out,
	    sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "a.b/c.d(2).crl");
	CU_ASSERT_EQUAL(util_key_index_name("/s/mscep.crl", 1, out, 12), -1);
}

static void
test_file_path(void)
{
	char	 out[8];

	CU_ASSERT_EQUAL(file_path(out, sizeof(out), "%s/%s", "ab", "cd"), 0);
	CU_ASSERT_STRING_EQUAL(out, "ab/cd");
	/* Seven characters fit in eight bytes, eight do not. */
	CU_ASSERT_EQUAL(file_path(out, sizeof(out), "%s", "1234567"), 0);
	errno = 0;
	CU_ASSERT_EQUAL(file_path(out, sizeof(out), "%s/%s", "abcd", "efg"),
	    -1);
	CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(file_path(out, 0, "x"), -1);
}

/* Entries of dir whose names start with a dot: temporary files left. */
static int
dot_files(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* 1 when path holds exactly text. */
static int
holds(const char *path, const char *text)
{
	struct buf	 b = { 0 };
	int		 ok;

	ok = file_read(path, &b, 1 << 20) == 0 && b.len == strlen(text) &&
	    (b.len == 0 || memcmp(b.p, text, b.len) == 0);
	buf_free(&b);
	return ok;
}

static int
mode_of(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void
test_file_write(void)
{
	char	 dir[] = "/tmp/mscep-file.XXXXXX", path[64];
	mode_t	 old;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a.crl", dir);
	/* The mode given, whatever the umask: narrower or wider. */
	old = umask(077);
	CU_ASSERT_EQUAL(file_write(path, "one", 3, 0644, 0), 0);
	CU_ASSERT_EQUAL(mode_of(path), 0644);
	umask(0);
	CU_ASSERT_EQUAL(file_write(path, "two", 3, 0600, 0), 0);
	CU_ASSERT_EQUAL(mode_of(path), 0600);
	umask(old);
	CU_ASSERT(holds(path, "two"));
	CU_ASSERT_EQUAL(file_write(path, "", 0, 0644, 0), 0);
	CU_ASSERT(holds(path, ""));
	CU_ASSERT_EQUAL(dot_files(dir), 0);
	/* A folder that does not exist: nothing made. */
	snprintf(path, sizeof(path), "%s/none/a.crl", dir);
	CU_ASSERT_EQUAL(file_write(path, "x", 1, 0644, 0), -1);
	CU_ASSERT_EQUAL(errno, ENOENT);
	snprintf(path, sizeof(path), "%s/a.crl", dir);
	unlink(path);
	rmdir(dir);
}

/* Staged: a hidden, unpredictable name next to the file, already with
 * its mode; the destination untouched until the commit. */
static void
test_file_stage(void)
{
	struct file_stage	 a, b;
	char			 dir[] = "/tmp/mscep-file.XXXXXX", path[64];
	char			 prefix[80];

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/server.key", dir);
	snprintf(prefix, sizeof(prefix), "%s/.server.key.", dir);
	CU_ASSERT_FATAL(file_stage(&a, path, "k1", 2, 0600) == 0);
	CU_ASSERT_FATAL(file_stage(&b, path, "k2", 2, 0400) == 0);
	CU_ASSERT(strncmp(a.tmp, prefix, strlen(prefix)) == 0);
	CU_ASSERT(strcmp(a.tmp, b.tmp) != 0);
	CU_ASSERT_EQUAL(mode_of(a.tmp), 0600);
	CU_ASSERT_EQUAL(mode_of(b.tmp), 0400);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	file_discard(&b);
	CU_ASSERT_NOT_EQUAL(access(b.tmp, F_OK), 0);
	file_discard(&b);
	CU_ASSERT_EQUAL(file_commit(&a, 0), 0);
	CU_ASSERT(holds(path, "k1"));
	CU_ASSERT_EQUAL(mode_of(path), 0600);
	/* Committed: nothing left to discard or commit again. */
	file_discard(&a);
	CU_ASSERT(holds(path, "k1"));
	CU_ASSERT_EQUAL(file_commit(&a, 0), -1);
	CU_ASSERT_EQUAL(dot_files(dir), 0);
	unlink(path);
	rmdir(dir);
}

/* A rename that fails leaves the old file as it was and no temporary
 * file behind. */
static void
test_file_rename_fails(void)
{
	struct file_stage	 f;
	char			 dir[] = "/tmp/mscep-file.XXXXXX", path[64];
	char			 sub[64];

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	CU_ASSERT_EQUAL(file_write(path, "old", 3, 0600, FILE_NOREPLACE), 0);
	CU_ASSERT_FATAL(file_stage(&f, path, "new", 3, 0600) == 0);
	errno = 0;
	CU_ASSERT_EQUAL(file_commit(&f, FILE_NOREPLACE), -1);
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT(holds(path, "old"));
	CU_ASSERT_EQUAL(dot_files(dir), 0);
	/* A folder where the file should be: rename(2) refuses. */
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CU_ASSERT_FATAL(mkdir(sub, 0755) == 0);
	CU_ASSERT_FATAL(file_path(path, sizeof(path), "%s/x", sub) == 0);
	CU_ASSERT_EQUAL(file_write(path, "x", 1, 0644, 0), 0);
	CU_ASSERT_EQUAL(file_write(sub, "new", 3, 0644, 0), -1);
	CU_ASSERT(holds(path, "x"));
	CU_ASSERT_EQUAL(dot_files(dir), 0);
	unlink(path);
	rmdir(sub);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	unlink(path);
	rmdir(dir);
}

/* A write that fails half-way (the file size limit standing in for a
 * full disk) leaves the old file whole. */
static void
test_file_write_fails(void)
{
	char		 dir[] = "/tmp/mscep-file.XXXXXX", path[64];
	char		 big[8192];
	struct rlimit	 old, small;
	void		(*sig)(int);

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/mscep.crl", dir);
	CU_ASSERT_EQUAL(file_write(path, "old", 3, 0644, 0), 0);
	memset(big, 'x', sizeof(big));
	CU_ASSERT_FATAL(getrlimit(RLIMIT_FSIZE, &old) == 0);
	small = old;
	small.rlim_cur = 1024;
	sig = signal(SIGXFSZ, SIG_IGN);
	CU_ASSERT_FATAL(setrlimit(RLIMIT_FSIZE, &small) == 0);
	errno = 0;
	CU_ASSERT_EQUAL(file_write(path, big, sizeof(big), 0644, 0), -1);
	CU_ASSERT_EQUAL(errno, EFBIG);
	CU_ASSERT_FATAL(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, sig);
	CU_ASSERT(holds(path, "old"));
	CU_ASSERT_EQUAL(dot_files(dir), 0);
	unlink(path);
	rmdir(dir);
}

static void
test_file_read(void)
{
	char		 dir[] = "/tmp/mscep-file.XXXXXX", path[64];
	struct buf	 b = { 0 };

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/signers.pem", dir);
	CU_ASSERT_EQUAL(file_read(path, &b, 100), -1);
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_EQUAL(file_write(path, "0123456789", 10, 0644, 0), 0);
	CU_ASSERT_EQUAL(file_read(path, &b, 9), -1);
	CU_ASSERT_EQUAL(errno, EFBIG);
	buf_free(&b);
	CU_ASSERT_EQUAL(file_read(path, &b, 10), 0);
	CU_ASSERT(b.len == 10 && memcmp(b.p, "0123456789", 10) == 0);
	buf_free(&b);
	unlink(path);
	rmdir(dir);
}

/* errstr after num_parse(s, min, max), or "ok" with *v set. */
static const char *
parse(const char *s, long long min, long long max, long long *v)
{
	const char	*why = "unset";

	if (num_parse(s, min, max, v, &why) == 0)
		return why == NULL ? "ok" : "ok but errstr set";
	return why;
}

static void
test_num_parse(void)
{
	long long	 v = 0;

	CU_ASSERT_STRING_EQUAL(parse("0", 0, 10, &v), "ok");
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_STRING_EQUAL(parse("-7200", -86400, 86400, &v), "ok");
	CU_ASSERT_EQUAL(v, -7200);
	CU_ASSERT_STRING_EQUAL(parse("+5", 0, 10, &v), "ok");
	CU_ASSERT_EQUAL(v, 5);
	CU_ASSERT_STRING_EQUAL(parse("9223372036854775807", 0, LLONG_MAX,
	    &v), "ok");
	CU_ASSERT_EQUAL(v, LLONG_MAX);
	CU_ASSERT_STRING_EQUAL(parse("-9223372036854775808", LLONG_MIN, 0,
	    &v), "ok");
	CU_ASSERT_EQUAL(v, LLONG_MIN);
	/* The bounds are in the range, one past them is not. */
	CU_ASSERT_STRING_EQUAL(parse("1", 1, 825, &v), "ok");
	CU_ASSERT_STRING_EQUAL(parse("825", 1, 825, &v), "ok");
	v = 42;
	errno = 0;
	CU_ASSERT_STRING_EQUAL(parse("0", 1, 825, &v), "too small");
	CU_ASSERT_EQUAL(errno, ERANGE);
	CU_ASSERT_STRING_EQUAL(parse("826", 1, 825, &v), "too large");
	CU_ASSERT_EQUAL(errno, ERANGE);
	CU_ASSERT_EQUAL(v, 42);		/* untouched on failure */
}

static void
test_num_rejects(void)
{
	const char	*bad[] = { "", " 5", "5 ", "5x", "0x10", "1e3", "--5",
			    "-", "+", "1.5", "\xd9\xa3" };
	long long	 v = 42;
	int		 x = 42;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		CU_ASSERT_STRING_EQUAL(parse(bad[i], LLONG_MIN, LLONG_MAX, &v),
		    "not a number");
		CU_ASSERT_EQUAL(errno, EINVAL);
	}
	CU_ASSERT_STRING_EQUAL(parse(NULL, 0, 1, &v), "not a number");
	/* An empty range accepts nothing. */
	CU_ASSERT_STRING_EQUAL(parse("5", 10, 1, &v), "not a number");
	/* Past what a long long holds: the side it overflows on. */
	CU_ASSERT_STRING_EQUAL(parse("9223372036854775808", LLONG_MIN,
	    LLONG_MAX, &v), "too large");
	CU_ASSERT_STRING_EQUAL(parse("-99999999999999999999", LLONG_MIN,
	    LLONG_MAX, &v), "too small");
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_EQUAL(num_parse("5", 0, 1, &v, NULL), -1);
	/* An int: its own limits as the range. */
	CU_ASSERT_EQUAL(num_int("2147483647", INT_MIN, INT_MAX, &x, NULL), 0);
	CU_ASSERT_EQUAL(x, INT_MAX);
	CU_ASSERT_EQUAL(num_int("2147483648", INT_MIN, INT_MAX, &x, NULL), -1);
	CU_ASSERT_EQUAL(x, INT_MAX);
}

/* A message with a newline, a tab and a CR (libpq's, say) is one line. */
static void
test_log_one_line(void)
{
	char	 path[] = "/tmp/mscep-log-XXXXXX", text[512] = "";
	int	 fd, saved, n, lines = 0;

	CU_ASSERT_FATAL((fd = mkstemp(path)) >= 0);
	CU_ASSERT_FATAL((saved = dup(STDERR_FILENO)) >= 0);
	CU_ASSERT_FATAL(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	log_warnx("op=CRL result=error reason=\"%s\"",
	    "connection failed\n\tIs the server running?\r");
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = (int)pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	unlink(path);
	CU_ASSERT_FATAL(n > 0);
	for (int i = 0; i < n; i++)
		lines += text[i] == '\n';
	CU_ASSERT_EQUAL(lines, 1);
	CU_ASSERT_EQUAL(text[n - 1], '\n');
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "connection failed??Is the server "
	    "running??\"\n"));
}

/* Serials: 16 octets, 0x40 and the time first, 88 random bits after;
 * two alike never, and in the order they were made across seconds. */
static void
test_new_serial(void)
{
	X509		*a = X509_new(), *b = X509_new();
	unsigned char	 oa[32], ob[32];
	char		 ha[64], hb[64];
	int64_t		 before = util_now(), t;
	int		 na, nb, diff = 0;

	CU_ASSERT_FATAL(a != NULL && b != NULL);
	CU_ASSERT_FATAL(cert_new_serial(a) == 0 && cert_new_serial(b) == 0);
	na = ASN1_STRING_length(X509_get0_serialNumber(a));
	nb = ASN1_STRING_length(X509_get0_serialNumber(b));
	CU_ASSERT_EQUAL(na, 16);
	CU_ASSERT_EQUAL(nb, 16);
	CU_ASSERT_EQUAL(ASN1_STRING_type(X509_get0_serialNumber(a)),
	    V_ASN1_INTEGER);	/* positive */
	memcpy(oa, ASN1_STRING_get0_data(X509_get0_serialNumber(a)), 16);
	memcpy(ob, ASN1_STRING_get0_data(X509_get0_serialNumber(b)), 16);
	CU_ASSERT_EQUAL(oa[0], 0x40);
	t = (int64_t)oa[1] << 24 | oa[2] << 16 | oa[3] << 8 | oa[4];
	CU_ASSERT(t >= before && t <= util_now());
	for (int i = 5; i < 16; i++)
		diff += oa[i] != ob[i];
	CU_ASSERT(diff > 0);
	CU_ASSERT_EQUAL(cert_serial_hex(X509_get0_serialNumber(a), ha,
	    sizeof(ha)), 0);
	CU_ASSERT_EQUAL(strlen(ha), 32);
	CU_ASSERT_EQUAL(strncmp(ha, "40", 2), 0);
	/* A second later: after, as text too (the store's index). */
	sleep(1);
	CU_ASSERT_FATAL(cert_new_serial(b) == 0);
	CU_ASSERT_EQUAL(cert_serial_hex(X509_get0_serialNumber(b), hb,
	    sizeof(hb)), 0);
	CU_ASSERT(strcmp(ha, hb) < 0);
	X509_free(a);
	X509_free(b);
}

int
register_util(void)
{
	CU_pSuite s = CU_add_suite("util", NULL, NULL);

	if (s == NULL ||
	    !CU_add_test(s, "base64 round trip", test_base64_roundtrip) ||
	    !CU_add_test(s, "base64 client quirks", test_base64_tolerance) ||
	    !CU_add_test(s, "base64 rejects garbage", test_base64_rejects) ||
	    !CU_add_test(s, "hex", test_hex) ||
	    !CU_add_test(s, "CRL name for a CA key index",
	    test_key_index_name) ||
	    !CU_add_test(s, "paths that do not fit fail", test_file_path) ||
	    !CU_add_test(s, "files written whole, with their mode",
	    test_file_write) ||
	    !CU_add_test(s, "staged files: hidden, unpredictable, private",
	    test_file_stage) ||
	    !CU_add_test(s, "a failed rename keeps the old file",
	    test_file_rename_fails) ||
	    !CU_add_test(s, "a failed write keeps the old file",
	    test_file_write_fails) ||
	    !CU_add_test(s, "whole-file reads with a limit", test_file_read) ||
	    !CU_add_test(s, "numbers in their range", test_num_parse) ||
	    !CU_add_test(s, "numbers refused", test_num_rejects) ||
	    !CU_add_test(s, "a log message is one line", test_log_one_line) ||
	    !CU_add_test(s, "serials: led by the time, 88 random bits",
	    test_new_serial))
		return -1;
	return 0;
}
