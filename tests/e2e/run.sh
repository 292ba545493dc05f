#!/usr/bin/env bash
# tests/e2e/run.sh - runs every tests/e2e/test_*.sh and sums their results.
set -u
cd "$(dirname "$0")"
pass=0
fail=0
for t in test_*.sh; do
	echo "# $t"
	out=$(bash "$t" 2>&1)
	rc=$?
	echo "$out" | grep -v '^RESULT '
	res=$(echo "$out" | grep '^RESULT ' | tail -1)
	if [ -z "$res" ]; then
		echo "not ok - $t ended without a result (exit $rc)"
		fail=$((fail + 1))
		continue
	fi
	set -- $res
	pass=$((pass + $2))
	fail=$((fail + $3))
	[ "$rc" -eq 0 ] || [ "$3" -gt 0 ] || { echo "not ok - $t exit $rc"; fail=$((fail + 1)); }
done
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
