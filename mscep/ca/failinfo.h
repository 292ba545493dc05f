/*
 * failinfo.h - why a request is refused, in RFC 8894's failInfo values
 * (section 3.2.1.4): the CA layer reports its refusals in them and the
 * SCEP layer puts them in the CertRep.
 */
#ifndef MSCEP_FAILINFO_H
#define MSCEP_FAILINFO_H

enum scep_failinfo {
	FAIL_NONE = -1,
	FAIL_BADALG = 0,
	FAIL_BADMESSAGECHECK = 1,
	FAIL_BADREQUEST = 2,
	FAIL_BADTIME = 3,
	FAIL_BADCERTID = 4,
};

#endif
