/* num.c - range-checked decimal numbers. */
#include "util/num.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

static int
starts_number(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	return isdigit((unsigned char)*s);
}

static int
refuse(const char **errstr, const char *why, int err)
{
	if (errstr != NULL)
		*errstr = why;
	errno = err;
	return -1;
}

int
num_parse(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	char		*end;
	long long	 v;

	if (s == NULL || min > max || !starts_number(s))
		return refuse(errstr, "not a number", EINVAL);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return refuse(errstr, "not a number", EINVAL);
	/* strtoll clamps an overflow to LLONG_MIN or LLONG_MAX. */
	if (v < min || (errno == ERANGE && v == LLONG_MIN))
		return refuse(errstr, "too small", ERANGE);
	if (v > max || (errno == ERANGE && v == LLONG_MAX))
		return refuse(errstr, "too large", ERANGE);
	if (errstr != NULL)
		*errstr = NULL;
	*out = v;
	return 0;
}

int
num_int(const char *s, int min, int max, int *out, const char **errstr)
{
	long long	 v;

	if (num_parse(s, min, max, &v, errstr) != 0)
		return -1;
	*out = (int)v;
	return 0;
}
