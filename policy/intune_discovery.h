/*
 * intune_discovery.h - where Intune's services are: Graph lists the
 * endpoints of Intune's service principal (appId 0000000a-...); kept until
 * a call to one fails to connect or answers 404, then looked up again.
 */
#ifndef MSCEP_INTUNE_DISCOVERY_H
#define MSCEP_INTUNE_DISCOVERY_H

#include <stddef.h>

#include <jansson.h>

#include "policy/intune_auth.h"
#include "policy/intune_http.h"

#define INTUNE_SCEP_SERVICE	"ScepRequestValidationFEService"
#define INTUNE_PKI_SERVICE	"PkiConnectorFEService"

struct intune_endpoints {
	char	 scep[1024];	/* "" : not known (yet) */
	char	 pki[1024];
};

/* Reads Graph's answer into e; -1 with reason when the SCEP service is
 * not listed (missing permission or consent) or the answer is malformed. */
int	 intune_endpoints_parse(const json_t *, struct intune_endpoints *,
	    char *reason, size_t);
/* Fetches e when it is empty. */
int	 intune_discover(struct intune_endpoints *, struct intune_auth *,
	    struct intune_http *, char *reason, size_t);

#endif
