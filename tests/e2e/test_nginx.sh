#!/usr/bin/env bash
# nginx from Debian in front of mscep's own pre-forked pool (mscep -n 2 -s
# SOCKET, as deploy/systemd/mscep.service runs it), with the shipped
# deploy/nginx files: SCEP over HTTP and HTTPS, the password page over
# HTTPS, 48 KB GETs, a killed worker replaced by the pool.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy_suite.sh"

make_ini PasswordMax=300 Users=alice
$ADMIN init >/dev/null
TLS=1 render nginx
check "nginx -t accepts the shipped configuration" \
    nginx -t -q -c "$T/run/nginx.conf" -p "$T/run"
start_pool 2
spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
wait_url "$URL?operation=GetCACaps"
pool=$(echo $STARTED | cut -d' ' -f1)
deploy_protocol nginx
deploy_crl nginx
deploy_exposure nginx "http://127.0.0.1:$PORT"
deploy_password_page nginx
deploy_kill_worker nginx
check "nginx: the pool is back to 2 workers" sh -c "
    for i in \$(seq 1 30); do
	[ \$(ps -o pid= --ppid $pool | wc -l) -eq 2 ] && exit 0; sleep 0.1
    done; exit 1"
check "nginx: the pool logged the replacement" \
    grep -q 'was killed by signal 9; starting a replacement' "$T/run/mscep.log"
deploy_stop nginx
check "the pool removed its socket on exit" test ! -e "$T/run/mscep.sock"
finish
