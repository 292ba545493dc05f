#!/usr/bin/env bash
# Apache 2.4 from Debian spawning the mscep workers with mod_fcgid, from
# the shipped deploy/apache/mscep-fcgid.conf and mscep-ssl.conf: SCEP over
# HTTP and HTTPS, the password page, 48 KB GETs, a killed worker replaced.
# mod_fcgid runs the workers as Apache's user, who then owns the state.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy_suite.sh"

make_ini PasswordMax=300 Users=alice
$ADMIN init >/dev/null
TLS=1 render apache-fcgid
[ -z "$RUNAS" ] || give_state "$RUNAS"
check "apache2 -t accepts the shipped configuration" \
    apache2 -t -f "$T/run/apache.conf"
spawn apache2 -DFOREGROUND -f "$T/run/apache.conf"
wait_url "$URL?operation=GetCACaps"
deploy_suite apache-fcgid
finish
