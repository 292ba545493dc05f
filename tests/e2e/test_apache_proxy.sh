#!/usr/bin/env bash
# Apache 2.4 from Debian with mod_proxy_fcgi (shipped
# deploy/apache/mscep-proxy-fcgi.conf and mscep-ssl.conf) in front of a
# separately run pool started by spawn-fcgi, as hosts without systemd do
# (deploy/spawn-fcgi/mscep-spawn). The pool runs as its own user, so
# Apache's user cannot read the CA key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy_suite.sh"

POOL_USER=nobody
make_ini PasswordMax=300 Users=alice
$ADMIN init >/dev/null
TLS=1 render apache-proxy-fcgi
if [ -n "$RUNAS" ]; then
	give_state "$POOL_USER"
	check "the web server user cannot read the CA key" \
	    sh -c "! setpriv --reuid=$RUNAS --regid=$RUNAS --clear-groups cat '$T/state/private/ca.key' 2>/dev/null"
	owner="-u $POOL_USER -g nogroup -U $RUNAS -G $RUNAS"
else
	owner=
fi
check "apache2 -t accepts the shipped configuration" \
    apache2 -t -f "$T/run/apache.conf"
# -n: spawn-fcgi execs mscep in place, so the PID is the pool's.
spawn spawn-fcgi -n -s "$T/run/mscep.sock" -M 0660 $owner -- \
    "$MSCEP_BIN/mscep" -c "$INI" -n 2
spawn apache2 -DFOREGROUND -f "$T/run/apache.conf"
wait_url "$URL?operation=GetCACaps"
deploy_suite apache-proxy-fcgi
finish
