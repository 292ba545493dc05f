/* main.c - runs every CUnit suite; exit status is the failure count. */
#include <CUnit/Basic.h>
#include <stdio.h>

#include "suites.h"

int
main(void)
{
	unsigned	 failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (register_util() || register_http() || register_config() ||
	    register_template() || register_password() || register_message() ||
	    register_pkiop() || register_pwpage() || register_challenge() ||
	    register_intune() || register_hostile() || register_lint() ||
	    register_store() || register_keyops() || register_pkcs11() ||
	    register_rollover() || register_ndes_reg()) {
		fprintf(stderr, "cannot register suites: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	if (register_intune_revocation()) {
		fprintf(stderr, "cannot register the intune_revocation suite: "
		    "%s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	/* Apart from the list above, which other suites extend. */
	if (register_ocsp() || register_audit() || register_metrics()) {
		fprintf(stderr, "cannot register the ocsp, audit or metrics "
		    "suite: %s\n",
		    CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	if (register_signer()) {
		fprintf(stderr, "cannot register the signer suite: %s\n",
		    CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() +
	    CU_get_number_of_tests_failed();
	printf("unit: %u passed, %u failed\n",
	    CU_get_number_of_tests_run() - CU_get_number_of_tests_failed(),
	    CU_get_number_of_tests_failed());
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
