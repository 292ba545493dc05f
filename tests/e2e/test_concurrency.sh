#!/usr/bin/env bash
# 4 lighttpd-spawned workers, 1,000 enrollments from 8 parallel clients,
# each with its own one-time password: no duplicate serial, every
# certificate a client received is in the store, every password used once.
. "$(dirname "$0")/lib.sh"
N=${MSCEP_CONCURRENCY_N:-1000}

make_ini PasswordMax=$((N + 10))
$ADMIN init >/dev/null
for i in $(seq 1 "$N"); do $ADMIN password; done > "$T/passwords"
start_lighttpd 4
check "4 workers are running (and one for the password page)" test "$(workers | wc -l)" -eq 5

$MSCEP_BIN/scepcli -u "$URL" -m post -n "$N" -j 8 -P "$T/passwords" enroll \
    > "$T/out" 2>&1
tail -2 "$T/out" | sed 's/^/# /'
check "all $N enrollments succeeded" grep -qx "$N passed, 0 failed" "$T/out"
grep -o 'serial=[0-9A-F]*' "$T/out" | cut -d= -f2 | sort > "$T/serials"
check "$N serials received" test "$(wc -l < "$T/serials")" -eq "$N"
check "no serial was issued twice" test -z "$(uniq -d "$T/serials")"
sql "select serial from certificates" | sort > "$T/stored"
check "every certificate received is in the store" \
    test -z "$(comm -23 "$T/serials" "$T/stored")"
check "the store holds exactly $N certificates" test "$(wc -l < "$T/stored")" -eq "$N"
check "every password was consumed" test "$(sql 'select count(*) from passwords')" = 0
check "database integrity" test "$(store_integrity)" = ok
finish
