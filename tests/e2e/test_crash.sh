#!/usr/bin/env bash
# Crash consistency: workers killed with SIGKILL at random while 8 clients
# enroll. Afterwards the database is intact, every certificate a client
# received is recorded, no serial is reused, and every consumed password
# has exactly one certificate (a password and its certificate are one
# transaction).
. "$(dirname "$0")/lib.sh"
N=${MSCEP_CRASH_N:-300}

make_ini PasswordMax=$((N + 10))
$ADMIN init >/dev/null
for i in $(seq 1 "$N"); do $ADMIN password; done > "$T/passwords"
TLS=1 render nginx
start_pool 4
spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
wait_url "$URL?operation=GetCACaps"

# Paced lightly (5 ms after each exchange) so the run outlasts several
# kills however fast this machine is, while the workers stay busy.
$MSCEP_BIN/scepcli -u "$URL" -n "$N" -j 8 --pace 5 -P "$T/passwords" enroll \
    > "$T/out" 2>&1 &
cli=$!
kills=0
pool=$(echo $STARTED | cut -d' ' -f1)
# Keys are made first; kill only while requests flow (the client then
# verifies the replies on its own), one of the pool's workers every
# 10-30 ms, at most KILLS times: workers that start slowly (ASan) would
# otherwise die before serving anything and the run would be all kills.
KILLS=${MSCEP_CRASH_KILLS:-20}
while kill -0 "$cli" 2>/dev/null && ! grep -q '^scepcli: prepared' "$T/out"; do
	sleep 0.05
done
while [ "$kills" -lt "$KILLS" ] && kill -0 "$cli" 2>/dev/null &&
    ! grep -q '^scepcli: sent in' "$T/out"; do
	sleep 0.0$((RANDOM % 3 + 1))
	v=$(ps -o pid= --ppid "$pool" | shuf -n 1)
	[ -n "$v" ] && kill -9 $v 2>/dev/null && kills=$((kills + 1))
done
wait "$cli"
tail -2 "$T/out" | sed 's/^/# /'
echo "# $kills workers killed with SIGKILL during the run;" \
    "$(grep -c '^FAIL' "$T/out") enrollments failed"
check "workers were killed during the run ($kills)" test "$kills" -ge 3
grep -o 'serial=[0-9A-F]*' "$T/out" | cut -d= -f2 | sort > "$T/got"
sql "select serial from certificates" | sort > "$T/stored"
check "most enrollments still succeeded ($(wc -l < "$T/got") of $N)" \
    test "$(wc -l < "$T/got")" -ge $((N / 2))
check "database integrity" test "$(store_integrity)" = ok
check "every certificate a client received is recorded" \
    test -z "$(comm -23 "$T/got" "$T/stored")"
check "no serial was issued twice" test -z "$(uniq -d "$T/stored")"
left=$(sql "select count(*) from passwords")
# The site's TLS certificate (TLSServer) is in the store too.
certs=$(sql "select count(*) from certificates where template != 'TLSServer'")
check "each consumed password has exactly one certificate ($certs + $left unused = $N)" \
    test $((certs + left)) -eq "$N"
check "each certificate has its transaction" \
    test "$(sql "select count(*) from transactions t join certificates c on c.serial = t.serial where c.template != 'TLSServer'")" = "$certs"
check "the pool replaced the killed workers (4 running)" sh -c "
    for i in \$(seq 1 30); do
	[ \$(ps -o pid= --ppid $pool | wc -l) -eq 4 ] && exit 0; sleep 0.1
    done; exit 1"
finish
