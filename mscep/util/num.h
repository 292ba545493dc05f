/*
 * num.h - numbers from the command line and the environment, each with
 * the range it may take (as OpenBSD's strtonum(3)).
 */
#ifndef MSCEP_NUM_H
#define MSCEP_NUM_H

/*
 * s as a decimal integer in min..max: an optional sign, digits and
 * nothing else (no spaces, no "0x", no trailing text). 0 with *out set,
 * or -1 with *out untouched, errno EINVAL or ERANGE, and *errstr (unless
 * errstr is NULL) "not a number", "too small" or "too large"; NULL on
 * success.
 */
int	 num_parse(const char *s, long long min, long long max,
	    long long *out, const char **errstr);
/* The same for an int. */
int	 num_int(const char *s, int min, int max, int *out,
	    const char **errstr);

#endif
