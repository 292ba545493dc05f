#!/usr/bin/env bash
# Module = intune through each shipped web server (lighttpd spawning the
# workers; nginx before mscep's pool; Apache with mod_fcgid, the workers
# as Apache's user): a real client (micromdm's scepclient) enrolls with a
# challenge the Intune stand-in accepts, and the successNotification it
# received names that certificate; a challenge it rejects is refused with
# nothing issued. One enrollment and one refusal per server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intune_lib.sh"

intune_standin_start
intune_make_ini
$ADMIN init >/dev/null
certs() { sql "select count(*) from certificates"; }

# scepclient_run DIR CHALLENGE: scepclient in its own folder (it keeps its
# key and CSR there).
scepclient_run() {
	mkdir -p "$1"
	(cd "$1" && timeout 60 scepclient -server-url "$URL" -challenge "$2" \
	    -cn "$(basename "$1")" -private-key key.pem -certificate cert.pem) \
	    >"$1/out" 2>&1
}

# The workers' log lines refusing with Intune's ChallengeExpired.
refusals() {
	cat "$T/run/mscep.log" "$T/run/error.log" 2>/dev/null |
	    grep -c 'result=FAILURE failInfo=badRequest .*refused: ChallengeExpired'
}
refused_once() {
	grep -q 'failInfo: badRequest' "$1" && test "$(refusals)" -eq $(($2 + 1))
}

server_checks() {
	n=$1
	before=$(certs)
	refused=$(refusals)
	check "$n: scepclient enrolls with a challenge Intune accepts" \
	    scepclient_run "$T/$n-ok" "intune-ok-$n"
	check "$n: its certificate chains to the CA" \
	    openssl verify -CAfile "$T/state/ca.crt" "$T/$n-ok/cert.pem"
	check "$n: the successNotification named it (thumbprint, serial, expiry)" \
	    intune_names_cert "$T/$n-ok/cert.pem"
	check_not "$n: scepclient with a challenge Intune rejects is refused" \
	    scepclient_run "$T/$n-no" intune-code-ChallengeExpired
	check "$n: ... FAILURE badRequest, Intune's code in the log" \
	    refused_once "$T/$n-no/out" "$refused"
	check "$n: ... one certificate issued in all, nothing for the refusal" \
	    test "$(certs)" = $((before + 1))
}

start_lighttpd
server_checks lighttpd
stop_servers

TLS=1 render nginx
start_pool 2
spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
wait_url "$URL?operation=GetCACaps"
server_checks nginx
stop_servers

TLS=1 render apache-fcgid
[ -z "$RUNAS" ] || give_state "$RUNAS"
spawn apache2 -DFOREGROUND -f "$T/run/apache.conf"
wait_url "$URL?operation=GetCACaps"
server_checks apache-fcgid
stop_servers

intune_standin_stop
finish
