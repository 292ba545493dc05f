#!/bin/sh
# deploy/demo.sh PORT - the "make run" demo: a local CA under var/ (made on
# first use) served by lighttpd on 127.0.0.1:PORT in the foreground.
set -eu
port=${1:-8080}
top=$(cd "$(dirname "$0")/.." && pwd)
ini=$top/etc/mscep.ini
admin=$top/bin/mscep-admin
run=$top/var/run

if [ ! -f "$top/var/ca.crt" ]; then
	"$admin" -c "$ini" init
fi
# A demo CA made before the OCSP responder existed.
[ -f "$top/var/ocsp.crt" ] || "$admin" -c "$ini" ocsp-cert
"$admin" -c "$ini" check
"$admin" -c "$ini" crl >/dev/null
# The shipped deploy/lighttpd/50-mscep.conf, with local ports and paths.
BIN=$top/bin CONFIG=$ini PORT=$port TLSPORT=0 STATEDIR=$top/var \
    sh "$top/deploy/render.sh" \
    lighttpd "$run"
lighttpd -tt -f "$run/lighttpd.conf"
echo "SCEP URL:  http://127.0.0.1:$port/certsrv/mscep/mscep.dll"
echo "OCSP URL:  http://127.0.0.1:$port/ocsp"
echo "CA certificate: $top/var/ca.crt"
echo "CRL:       http://127.0.0.1:$port/crl/mscep.crl (mscep-admin crl)"
echo "One-time challenge password (valid 60 minutes, one use):"
"$admin" -c "$ini" password || true
echo "More passwords:  bin/mscep-admin -c etc/mscep.ini password"
echo "The password page needs HTTPS and a user list: README, \"Deploying\"."
echo "Stop with Ctrl-C."
exec lighttpd -D -f "$run/lighttpd.conf"
