/* suites.h - each tests/unit/test_*.c registers its CUnit suite. */
#ifndef MSCEP_TEST_SUITES_H
#define MSCEP_TEST_SUITES_H

/* The OCSP responder. */
int	 register_ocsp(void);

int	 register_util(void);
int	 register_http(void);
int	 register_config(void);
int	 register_template(void);
int	 register_password(void);
int	 register_message(void);
int	 register_pkiop(void);
int	 register_pwpage(void);
int	 register_challenge(void);
int	 register_intune(void);
int	 register_intune_revocation(void);
int	 register_hostile(void);
/* The lint before every signature. */
int	 register_lint(void);
int	 register_store(void);
int	 register_keyops(void);
/* The signer (mscep -S): frames, refusals, the remote backend. */
int	 register_signer(void);
/* Keys in a PKCS#11 token (SoftHSM2). */
int	 register_pkcs11(void);
/* CA rollover. */
int	 register_rollover(void);
/* import-ndes. */
int	 register_ndes_reg(void);
/* The audit stream's lines. */
int	 register_audit(void);
/* The Prometheus counters and page. */
int	 register_metrics(void);

#endif
