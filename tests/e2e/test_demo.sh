#!/usr/bin/env bash
# The "make run" demo (deploy/demo.sh), run from a copy of the tree on a
# free loopback port and stopped by its PID: it serves mscep's paths and
# nothing of var/run, where its logs and rendered configuration live.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy_suite.sh"

D=$T/demo
mkdir -p "$D/etc"
cp -r "$TOP/deploy" "$D/deploy"
cp "$TOP/etc/mscep.ini" "$D/etc/mscep.ini"
ln -s "$MSCEP_BIN" "$D/bin"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT/certsrv/mscep/mscep.dll
# demo.sh makes the CA on first use, then execs lighttpd: the PID spawn
# records is lighttpd's.
spawn sh "$D/deploy/demo.sh" "$PORT"
for i in $(seq 1 600); do
	curl -sf -o /dev/null "$URL?operation=GetCACaps" && break
	kill -0 "$LAST_PID" 2>/dev/null || break
	sleep 0.1
done
check "make run's demo answers GetCACaps" \
    curl -sf -o /dev/null "$URL?operation=GetCACaps"
# When it does not: what demo.sh said.
curl -sf -o /dev/null "$URL?operation=GetCACaps" ||
    tail -8 "$T/run/mscep.log" | sed 's/^/#   demo: /'
check "the demo's access log is in var/run and holds the requests" \
    grep -q 'operation=GetCACaps' "$D/var/run/access.log"
check "the demo's document root is not var/run" \
    sh -c "! grep -q 'document-root = \"$D/var/run\"' '$D/var/run/lighttpd.conf'"
deploy_exposure demo "http://127.0.0.1:$PORT"
check "demo: the CRL is served at /crl/mscep.crl" \
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/crl/mscep.crl"
deploy_stop demo
finish
