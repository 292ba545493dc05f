#!/usr/bin/env bash
# tests/e2e/run.sh - runs every tests/e2e/test_*.sh and sums their results;
# then the tests in PG_TESTS once more with the store on PostgreSQL
# (MSCEP_TEST_STORE=postgresql: each its own PostgreSQL 15 cluster, lib.sh
# store_on_pg). MSCEP_E2E_PG=0 skips that second pass.
set -u
cd "$(dirname "$0")"
pass=0
fail=0

# The tests whose checks go through the store (sql, sql_write,
# store_integrity) or whose enrollments depend on what it holds, the
# web-server tests of deploy_suite.sh among them. test_store_pg*.sh choose
# their backends themselves; test_demo.sh and test_debian_package.sh run
# the shipped configuration.
PG_TESTS="test_apache_fcgid.sh test_apache_proxy.sh test_audit.sh
test_concurrency.sh test_crash.sh test_exec_policy.sh test_intune_api.sh
test_intune_notify.sh test_intune_servers.sh test_intune_sync.sh
test_lifecycle.sh test_lighttpd.sh test_mdm_challenge.sh test_metrics.sh
test_nginx.sh test_ocsp.sh test_operations.sh test_pkcs11.sh
test_protocol.sh test_quirks.sh test_rollover.sh test_scepcli.sh
test_scepclient.sh test_signer.sh test_signer_pkcs11.sh test_subca.sh"
PG_SKIP="test_debian_package.sh test_demo.sh test_store_pg.sh
test_store_pg_ha.sh"

# run_test NAME LABEL: one test, its output without its RESULT line, its
# counts added.
run_test() {
	local out rc res
	echo "# $1$2"
	out=$(bash "$1" 2>&1)
	rc=$?
	echo "$out" | grep -v '^RESULT '
	res=$(echo "$out" | grep '^RESULT ' | tail -1)
	if [ -z "$res" ]; then
		echo "not ok - $1$2 ended without a result (exit $rc)"
		fail=$((fail + 1))
		return
	fi
	set -- $res "$1$2"
	pass=$((pass + $2))
	fail=$((fail + $3))
	[ "$rc" -eq 0 ] || [ "$3" -gt 0 ] ||
	    { echo "not ok - $4 exit $rc"; fail=$((fail + 1)); }
}

# Each test in exactly one of the two lists, each name in them a test: a
# new test is never left out of the PostgreSQL pass by mistake.
lists=" $(echo $PG_TESTS $PG_SKIP) "
for t in test_*.sh; do
	case $lists in
	*" $t "*" $t "*) echo "not ok - $t twice in PG_TESTS and PG_SKIP (run.sh)"
	   fail=$((fail + 1)) ;;
	*" $t "*) ;;
	*) echo "not ok - $t in neither PG_TESTS nor PG_SKIP (run.sh)"
	   fail=$((fail + 1)) ;;
	esac
done
for t in $PG_TESTS $PG_SKIP; do
	[ -f "$t" ] || { echo "not ok - $t in run.sh's lists is no test"
	    fail=$((fail + 1)); }
done
for t in test_*.sh; do
	run_test "$t" ""
done
if [ "${MSCEP_E2E_PG:-1}" != 0 ]; then
	for t in $PG_TESTS; do
		MSCEP_TEST_STORE=postgresql run_test "$t" " (store on PostgreSQL)"
	done
fi
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
