#!/usr/bin/env bash
# lighttpd from Debian spawning the mscep workers (mod_fastcgi), from the
# shipped deploy/lighttpd/50-mscep.conf and 51-mscep-tls.conf: SCEP over
# HTTP and HTTPS, the password page, 48 KB GETs (through the CGI route), a
# killed worker replaced by lighttpd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy_suite.sh"

make_ini PasswordMax=300 Users=alice
$ADMIN init >/dev/null
TLS=1 render lighttpd
check "lighttpd -tt accepts the shipped configuration" \
    lighttpd -tt -f "$T/run/lighttpd.conf"
spawn lighttpd -D -f "$T/run/lighttpd.conf"
wait_url "$URL?operation=GetCACaps"
deploy_suite lighttpd
finish
