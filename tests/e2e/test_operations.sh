#!/usr/bin/env bash
# Operating the separately run pool: syslog output (one line per
# operation), SIGHUP reload, refusal to start on a bad configuration, the
# systemd units as shipped, and `mscep-admin check` on a deployment.
. "$(dirname "$0")/lib.sh"

make_ini PasswordMax=50 Log=syslog LogSocket="$T/log.sock"
$ADMIN init >/dev/null
spawn "$MSCEP_BIN/logsink" "$T/log.sock"
sink=$LAST_PID

TLS=1 render nginx
start_pool 2
spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
wait_url "$URL?operation=GetCACaps"
CLI=$MSCEP_BIN/scepcli

check "enrollment through the pool" $CLI -u "$URL" -p "$($ADMIN password)" enroll
check_not "a refused enrollment (bad password)" \
    $CLI -u "$URL" -p 0000000000000000 enroll
sleep 0.2
# logsink's stdout went to mscep.log with the rest; pick syslog lines.
grep '^<' "$T/run/mscep.log" > "$T/syslog"
check "syslog got the success, facility daemon, info (<30>) with PID" \
    grep -qE '^<30>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} mscep\[[0-9]+\]: op=PKIOperation method=POST msg=PKCSReq txid=[0-9A-F]+ template=IPSECIntermediateOffline result=SUCCESS serial=[0-9A-F]+ ms=' "$T/syslog"
check "syslog got the refusal as a warning (<28>) with its reason" \
    grep -qE '^<28>.*op=PKIOperation .*result=FAILURE failInfo=badRequest .*reason=' "$T/syslog"
check "syslog got GetCACaps" grep -q 'op=GetCACaps result=200' "$T/syslog"
check_not "nothing went to stderr instead" \
    grep -q '^[0-9-]*T.* op=PKIOperation' "$T/run/mscep.log"

# syslog gone: lines fall back to stderr rather than being lost.
kill "$sink"; wait "$sink" 2>/dev/null
check "without a syslog socket the pool still enrolls" \
    $CLI -u "$URL" -p "$($ADMIN password)" enroll
check "... and its log line falls back to stderr" \
    grep -qE '^[0-9-]+T[0-9:]+Z mscep\[[0-9]+\] info: op=PKIOperation .*result=SUCCESS' "$T/run/mscep.log"

# SIGHUP: new workers read the changed configuration.
pool=$(echo $STARTED | cut -d' ' -f2)
before=$(ps -o pid= --ppid "$pool" | sort | tr -d ' \n')
sed -i 's/^ValidityDays = .*/ValidityDays = 7/' "$INI"
kill -HUP "$pool"
sleep 1
after=$(ps -o pid= --ppid "$pool" | sort | tr -d ' \n')
check "SIGHUP replaced the workers" test -n "$after" -a "$before" != "$after"
mkdir -p "$T/hup"
check "after SIGHUP a certificate is issued" \
    $CLI -u "$URL" -p "$($ADMIN password)" -o "$T/hup" enroll
days=$(( ($(date -d "$(openssl x509 -in "$(ls "$T"/hup/*.pem | head -1)" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
check "... with the reloaded 7-day validity ($days days left)" test "$days" -le 7 -a "$days" -ge 6
check_not "a replacement on SIGHUP is not reported as a crash" \
    grep -q 'starting a replacement' "$T/run/mscep.log"
check "the pool is back to 2 workers" \
    test "$(ps -o pid= --ppid "$pool" | wc -l)" -eq 2

# A reload with a broken mscep.ini keeps the running workers.
before=$(ps -o pid= --ppid "$pool" | sort | tr -d ' \n')
sed -i 's/^ValidityDays = .*/ValidityDays = often/' "$INI"
kill -HUP "$pool"
sleep 1
check "SIGHUP with a bad mscep.ini keeps the workers it has" \
    test "$before" = "$(ps -o pid= --ppid "$pool" | sort | tr -d ' \n')"
check "... says why" grep -q 'reload refused, the running workers stay' "$T/run/mscep.log"
sed -i 's/^ValidityDays = .*/ValidityDays = 7/' "$INI"
check "... and still enrolls" $CLI -u "$URL" -p "$($ADMIN password)" enroll

# SIGTERM to a busy worker: it finishes the request it is reading.
# Straight to the pool's socket (cgi-fcgi), a POST whose body arrives in
# two parts; the worker gets SIGTERM in between. Reading the whole body
# shows as "bad PKIOperation" (it is not CMS), a broken read as "cannot
# read request body".
(printf 'x'; sleep 1; printf 'y') | env -i REQUEST_METHOD=POST CONTENT_LENGTH=2 \
    QUERY_STRING=operation=PKIOperation REQUEST_URI=/certsrv/mscep/mscep.dll \
    cgi-fcgi -bind -connect "$T/run/mscep.sock" > "$T/slow.out" 2>&1 &
slow=$!
sleep 0.4
for k in $(ps -o pid= --ppid "$pool"); do kill -TERM "$k"; done
wait "$slow"
check "a worker stopped mid-request still reads and answers it" \
    grep -q 'bad PKIOperation' "$T/slow.out"
check "... and then exits, replaced by the pool" sh -c "sleep 1;
    test \$(ps -o pid= --ppid $pool | wc -l) -eq 2"
stop_servers

# A configuration error stops the pool at once, with the line at fault.
sed -i 's/^ValidityDays = .*/ValidityDays = often/' "$INI"
timeout 10 "$MSCEP_BIN/mscep" -c "$INI" -n 2 -s "$T/run/bad.sock" > "$T/bad.out" 2>&1
rc=$?
check "a bad mscep.ini stops the pool before it forks (exit 1)" test "$rc" = 1
check "... saying file, line and key" \
    grep -qE 'mscep.ini:[0-9]+: \[IPSECIntermediateOffline\] ValidityDays: ' "$T/bad.out"
sed -i 's/^ValidityDays = .*/ValidityDays = 365/' "$INI"
mv "$T/state/private/ra-enc.key" "$T/state/private/ra-enc.key.gone"
timeout 20 "$MSCEP_BIN/mscep" -c "$INI" -n 2 -s "$T/run/bad.sock" > "$T/bad2.out" 2>&1
rc=$?
check "a worker that cannot load its keys stops the pool (no respawn loop)" \
    test "$rc" = 1
check "... with the reason" grep -q 'cannot start: .*ra-enc.key' "$T/bad2.out"
check "... after one try per worker" \
    test "$(grep -c 'cannot start' "$T/bad2.out")" -le 3
mv "$T/state/private/ra-enc.key.gone" "$T/state/private/ra-enc.key"
timeout 10 "$MSCEP_BIN/mscep" -c "$INI" -n 1 -s :9999 > "$T/any.out" 2>&1
rc=$?
check "-s :PORT (all interfaces) is refused: FastCGI has no authentication" \
    sh -c "test $rc = 1 && grep -q 'a host is required' '$T/any.out'"
check "mscep-admin check passes on the deployment" $ADMIN check

# systemd socket activation (mscep.socket): the pool takes fd 3.
if command -v systemd-socket-activate >/dev/null; then
	spawn systemd-socket-activate -l "$T/run/act.sock" \
	    "$MSCEP_BIN/mscep" -c "$INI" -n 2
	for i in $(seq 1 50); do [ -S "$T/run/act.sock" ] && break; sleep 0.1; done
	env -i REQUEST_METHOD=GET QUERY_STRING=operation=GetCACaps \
	    REQUEST_URI=/certsrv/mscep/mscep.dll \
	    cgi-fcgi -bind -connect "$T/run/act.sock" > "$T/act.out" 2>&1
	check "socket activation (LISTEN_FDS): the pool answers on systemd's socket" \
	    grep -q POSTPKIOperation "$T/act.out"
	act=$(echo $STARTED | awk '{ print $NF }')
	check "... with 2 workers" test "$(ps -o pid= --ppid "$act" | wc -l)" -eq 2
	stop_servers
else
	not_ok "systemd-socket-activate is not installed (package systemd)"
fi

# The shipped units, with this build's paths.
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/local/sbin|$MSCEP_BIN|g" "$TOP/deploy/systemd/mscep.service" > "$T/mscep.service"
	cp "$TOP/deploy/systemd/mscep.socket" "$T/mscep.socket"
	check "systemd-analyze verify accepts mscep.socket and mscep.service" \
	    systemd-analyze verify "$T/mscep.socket" "$T/mscep.service"
else
	not_ok "systemd-analyze is not installed (package systemd)"
fi
check "mscep-spawn is valid sh" sh -n "$TOP/deploy/spawn-fcgi/mscep-spawn"
finish
