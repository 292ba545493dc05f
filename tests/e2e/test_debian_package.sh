#!/usr/bin/env bash
# The Debian package, end to end, on this machine: builds it from a copy
# of the tree (dpkg-buildpackage; the unit tests are make check-unit's),
# checks it with lintian, installs it with dpkg -i, initialises a CA with
# the installed mscep-admin as user mscep, runs the installed pool as
# mscep.socket and mscep.service would (the socket made for it, the pool
# as mscep with setpriv: no systemd here), serves it through a private
# nginx that includes the installed site and snippets, enrolls with
# scepcli and finds the enrollment and a refusal in /metrics, in the audit
# stream (the shipped syslog target, to a stand-in socket) and in
# mscep-admin status, then removes and purges the package and checks the
# machine is as it was: no user, no /etc/mscep, no /var/lib/mscep, no
# file left.
# Needs root (dpkg, adduser); skips otherwise.
if [ "$(id -u)" != 0 ]; then
	echo "# SKIP test_debian_package.sh: needs root to install and purge the package (dpkg -i, adduser); CI runs as root"
	echo "RESULT 0 0"
	exit 0
fi
. "$(dirname "$0")/lib.sh"

START=$(date +%s)
CLI=$MSCEP_BIN/scepcli
AS_MSCEP="setpriv --reuid=mscep --regid=mscep --clear-groups"
INSTALLED=

# What the package or its scripts could leave: its files, the user, the
# state and configuration folders, systemd's records of its units.
machine_state() {
	echo "dpkg: $(dpkg-query -W -f='${db:Status-Abbrev}' mscep 2>/dev/null)"
	grep -h '^mscep\(-signer\)\?:' /etc/passwd /etc/group /etc/shadow \
	    /etc/gshadow
	find /etc /var/lib /lib/systemd /usr/sbin /usr/lib /usr/share/mscep \
	    /usr/share/doc /usr/share/man -xdev -name '*mscep*' 2>/dev/null |
	    grep -v '^/var/lib/dpkg/' | sort
	for f in $(dpkg-deb -c "$DEB" | awk '{ print substr($6, 2) }'); do
		[ -e "$f" ] && echo "exists: $f"
	done
}

# An interrupted test does not leave the package installed.
cleanup_pkg() {
	stop_servers
	[ -n "$INSTALLED" ] && dpkg --purge mscep >/dev/null 2>&1
	rm -rf /run/mscep
}
trap cleanup_pkg EXIT

if dpkg-query -W mscep >/dev/null 2>&1 || getent passwd mscep >/dev/null ||
    getent passwd mscep-signer >/dev/null ||
    [ -e /etc/mscep ] || [ -e /var/lib/mscep ] || [ -e /run/mscep ]; then
	not_ok "this machine already has mscep (package, user or folders): not touching it"
	trap - EXIT
	finish
	exit 1
fi

# The build, from a copy: the source tree stays clean.
mkdir -p "$T/src/mscep"
tar -C "$TOP" --exclude=./build --exclude=./bin --exclude=./.git \
    --exclude=./debian/tmp --exclude=./debian/mscep -cf - . |
    tar -C "$T/src/mscep" -xf -
t0=$(date +%s)
# Not the calling make's variables: under make check-asan MAKEFLAGS and
# the environment name build/asan/bin (debian/rules pins its own too).
check "dpkg-buildpackage -us -uc -b builds the package" sh -c "
    cd '$T/src/mscep' && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    -u SAN -u BUILD -u BINDIR \
    DEB_BUILD_OPTIONS='nocheck noautodbgsym' dpkg-buildpackage -us -uc -b \
    > '$T/build.log' 2>&1"
echo "# build: $(($(date +%s) - t0)) s"
DEB=$(ls "$T"/src/mscep_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -1)
if [ -z "$DEB" ]; then
	not_ok "no mscep_<version>_<arch>.deb was built"
	tail -20 "$T/build.log" | sed 's/^/#   /'
	trap - EXIT
	finish
	exit 1
fi
ok "built $(basename "$DEB")"
check "the package holds mscep and mscep-admin but no test tool" sh -c "
    dpkg-deb -c '$DEB' > '$T/contents' &&
    grep -q ' ./usr/sbin/mscep\$' '$T/contents' &&
    grep -q ' ./usr/sbin/mscep-admin\$' '$T/contents' &&
    ! grep -qE 'scepcli|logsink|unit-tests' '$T/contents'"
check "lintian finds no error in the .deb and .changes" \
    lintian --fail-on error "$DEB" "${DEB%.deb}.changes"

machine_state > "$T/before"
# Folders such as /etc exist before; no file of the package does.
check "before: no mscep package, user, group, file or folder" sh -c "
    ! grep -v -e '^dpkg: \$' -e '^exists: .*/\$' '$T/before'"

# Install.
INSTALLED=1
check "dpkg -i installs it" dpkg -i "$DEB"
check "dpkg knows it as installed" sh -c \
    "dpkg-query -W -f='\${db:Status-Abbrev}' mscep | grep -q '^ii'"
check "postinst made the system user mscep (no login, home /var/lib/mscep)" sh -c "
    getent passwd mscep | awk -F: '\$3 < 1000 && \$6 == \"/var/lib/mscep\" &&
    \$7 ~ /nologin\$/ { ok = 1 } END { exit !ok }'"
check "postinst made /var/lib/mscep, 0711, owned by mscep" \
    test "$(stat -c %a:%U:%G /var/lib/mscep)" = 711:mscep:mscep
check "/etc/mscep/mscep.ini is a conffile" sh -c \
    "dpkg-query -W -f='\${Conffiles}' mscep | grep -q ' /etc/mscep/mscep.ini '"
check "the installed files name /usr/sbin, not /usr/local" sh -c "
    grep -q 'ExecStart=/usr/sbin/mscep ' /lib/systemd/system/mscep.service &&
    ! grep -rl /usr/local /lib/systemd/system/mscep.* /etc/nginx/snippets/mscep-* \
    /etc/apache2/conf-available/mscep-* /etc/lighttpd/conf-available/*mscep*"
check "the man pages are installed" test -f /usr/share/man/man8/mscep.8.gz \
    -a -f /usr/share/man/man8/mscep-admin.8.gz -a -f /usr/share/man/man5/mscep.ini.5.gz
check "postinst made the system user mscep-signer, in group mscep" sh -c "
    getent passwd mscep-signer | awk -F: '\$3 < 1000 && \$7 ~ /nologin\$/ { ok = 1 }
    END { exit !ok }' && id -nG mscep-signer | grep -qw mscep"
check "systemd-analyze verify accepts the installed units" \
    systemd-analyze verify /lib/systemd/system/mscep.socket /lib/systemd/system/mscep.service \
    /lib/systemd/system/mscep-intune-sync.service /lib/systemd/system/mscep-intune-sync.timer \
    /lib/systemd/system/mscep-signer.socket /lib/systemd/system/mscep-signer.service
check "intune-sync's timer runs mscep-admin from /usr/sbin" \
    grep -q 'ExecStart=/usr/sbin/mscep-admin .* intune-sync' \
    /lib/systemd/system/mscep-intune-sync.service
check_not "nothing is enabled: no web server configuration, no unit" sh -c \
    "ls /etc/nginx/sites-enabled /etc/apache2/conf-enabled /etc/apache2/sites-enabled \
    /etc/lighttpd/conf-enabled /etc/systemd/system/*.wants 2>/dev/null | grep mscep"

# The README's steps, as user mscep.
check "mscep-admin init as mscep, with the installed configuration" \
    $AS_MSCEP /usr/sbin/mscep-admin init --ca-name "Package Test CA"
check "the CA key is in /var/lib/mscep/private, mscep's only" \
    test "$(stat -c %U:%a /var/lib/mscep/private/ca.key)" = mscep:600
install -d -o mscep -g mscep -m 0700 /etc/mscep/tls
check "mscep-admin tls-cert --out /etc/mscep/tls as mscep" \
    $AS_MSCEP /usr/sbin/mscep-admin tls-cert --name localhost --out /etc/mscep/tls
check "mscep-admin check as mscep (the unit's ExecStartPre)" \
    $AS_MSCEP /usr/sbin/mscep-admin -c /etc/mscep/mscep.ini check

# The pool as the units run it: mscep.socket's socket (mscep:www-data
# 0660 in /run/mscep), mscep.service's command as mscep, umask 0077.
# systemd-socket-activate stands in for systemd: it holds the socket and
# execs the pool, with LISTEN_FDS, at the first connection.
install -d -m 0755 /run/mscep
# The audit stream as shipped ([Audit] Target = syslog, authpriv) reaches
# a stand-in syslog daemon: the one line changed is [Service] LogSocket.
spawn "$MSCEP_BIN/logsink" /run/mscep/log.sock
for i in $(seq 1 50); do [ -S /run/mscep/log.sock ] && break; sleep 0.1; done
chmod 0666 /run/mscep/log.sock
sed -i "s|^LogSocket = .*|LogSocket = /run/mscep/log.sock|" /etc/mscep/mscep.ini
spawn systemd-socket-activate -l /run/mscep/mscep.sock \
    /bin/sh -c "umask 077 && exec $AS_MSCEP --no-new-privs /usr/sbin/mscep -c /etc/mscep/mscep.ini -n 2"
POOL=$LAST_PID
for i in $(seq 1 50); do [ -S /run/mscep/mscep.sock ] && break; sleep 0.1; done
chown mscep:www-data /run/mscep/mscep.sock && chmod 0660 /run/mscep/mscep.sock
# The installed nginx site, enabled in a private nginx: only its ports
# change; it includes the installed snippets as they are.
PORT=$(free_port)
TLSPORT=$(free_port)
sed -e '/listen[[:space:]]*\[::\]/d' \
    -e "s|listen[[:space:]]*80;|listen 127.0.0.1:$PORT;|" \
    -e "s|listen[[:space:]]*443 ssl;|listen 127.0.0.1:$TLSPORT ssl;|" \
    /etc/nginx/sites-available/mscep.conf > "$T/mscep-site.conf"
cat > "$T/nginx.conf" <<EOT
daemon off;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/error.log info;
user www-data;
events { worker_connections 64; }
http {
	access_log $T/access.log;
	client_body_temp_path $T/nginx-body;
	fastcgi_temp_path $T/nginx-fastcgi;
	proxy_temp_path $T/nginx-proxy;
	uwsgi_temp_path $T/nginx-uwsgi;
	scgi_temp_path $T/nginx-scgi;
	include $T/mscep-site.conf;
}
EOT
check "nginx -t accepts the installed site and snippets" \
    nginx -t -q -c "$T/nginx.conf" -p "$T"
spawn nginx -c "$T/nginx.conf" -p "$T"
URL=http://127.0.0.1:$PORT/certsrv/mscep/mscep.dll
wait_url "$URL?operation=GetCACaps"
check "GetCACaps through nginx" \
    sh -c "curl -sf '$URL?operation=GetCACaps' | grep -qx POSTPKIOperation"
check "GetCACaps over HTTPS with the TLS certificate from tls-cert" \
    curl -sf --cacert /var/lib/mscep/ca.crt -o /dev/null \
    "https://localhost:$TLSPORT/certsrv/mscep/mscep.dll?operation=GetCACaps"
pw=$($AS_MSCEP /usr/sbin/mscep-admin password)
check "scepcli enrolls through nginx with a one-time password" \
    "$CLI" -u "$URL" -p "$pw" -o "$T/issued" enroll
check "the certificate chains to the installed CA" sh -c "
    openssl verify -CAfile /var/lib/mscep/ca.crt \$(ls '$T'/issued/*.pem | head -1)"
check "the same password is refused the second time" \
    sh -c "! '$CLI' -u '$URL' -p '$pw' enroll"
# The CRL, published by mscep-admin as its cron would, served by nginx's
# workers (www-data) from /var/lib/mscep/crl/ through the installed site.
$AS_MSCEP /usr/sbin/mscep-admin crl --force > /dev/null
check "/crl/mscep.crl through the installed site (www-data reaches crl/)" \
    sh -c "curl -sf -o '$T/site.crl' 'http://127.0.0.1:$PORT/crl/mscep.crl' &&
    openssl crl -inform DER -in '$T/site.crl' -CAfile /var/lib/mscep/ca.crt -noout"
check "... but not the store or the keys" sh -c "
    ! setpriv --reuid=www-data --regid=www-data --clear-groups cat /var/lib/mscep/mscep.db >/dev/null 2>&1 &&
    ! setpriv --reuid=www-data --regid=www-data --clear-groups ls /var/lib/mscep/private >/dev/null 2>&1 &&
    ! setpriv --reuid=www-data --regid=www-data --clear-groups ls /var/lib/mscep >/dev/null 2>&1"
# What the newcomer then sees: the enrollment and the refusal in the
# metrics (through the installed site), in the audit stream and in
# mscep-admin status.
curl -s -o "$T/metrics.txt" "http://127.0.0.1:$PORT/metrics"
enr='^mscep_enrollments_total{message_type="PKCSReq",template="[^"]+"'
check "/metrics through the installed site: the PKCSReq SUCCESS" \
    grep -qE "$enr,result=\"SUCCESS\",reason=\"none\"} 1\$" "$T/metrics.txt"
check "... and the reused password's FAILURE with its reason" \
    grep -qE "$enr,result=\"FAILURE\",reason=\"[A-Za-z]+\"} 1\$" "$T/metrics.txt"
sleep 0.3
grep 'mscep-audit\[' "$T/run/mscep.log" > "$T/audit.txt"
check "the audit stream: the issuance, authpriv.info (<86>), tag mscep-audit" \
    grep -qE '^<86>.* mscep-audit\[[0-9]+\]: \{"version":1,.*"event":"issued"' "$T/audit.txt"
check "... the refusal with its reason" \
    grep -qE '"event":"refused".*"reason":"[^"]+' "$T/audit.txt"
check "... and mscep-admin password with the Unix user who ran it (mscep)" \
    grep -qE '"event":"command".*"user":"mscep".*"command":"password"' "$T/audit.txt"
$AS_MSCEP /usr/sbin/mscep-admin -c /etc/mscep/mscep.ini status > "$T/status.txt"
sed 's/^/# status: /' "$T/status.txt"
check "mscep-admin status: 2 certificates (tls-cert's and scepcli's), the refusal" sh -c "
    grep -q '^store  *2 certificates issued (2 valid), 0 revoked' '$T/status.txt' &&
    grep -q '^refusals    1 in the last 7 days' '$T/status.txt'"
check "... and the TLS certificate tls-cert wrote to /etc/mscep/tls (the installed TlsCertificate)" \
    grep -q '^tls  *20[0-9-]*T' "$T/status.txt"
check "/metrics: that certificate's expiry" \
    grep -q '^mscep_certificate_expiry_seconds{certificate="tls"} ' "$T/metrics.txt"
# systemd-socket-activate, like systemd, started the pool at the first
# connection, in its own process.
for i in $(seq 1 50); do
	[ "$(ps -o pid= --ppid "$POOL" | wc -l)" -eq 2 ] && break
	sleep 0.1
done
check "the pool and its 2 workers run as mscep" sh -c "
    test \"\$(ps -o user= -p $POOL)\" = mscep &&
    test \"\$(ps -o user= --ppid $POOL | sort -u)\" = mscep &&
    test \$(ps -o pid= --ppid $POOL | wc -l) -eq 2"
stop_servers

# Remove keeps the user's data; purge removes it and the user.
check "dpkg -r mscep" dpkg -r mscep
check "after remove: the programs are gone" test ! -e /usr/sbin/mscep
check "after remove: the CA, the configuration and the user stay" sh -c "
    test -f /var/lib/mscep/private/ca.key && test -f /etc/mscep/mscep.ini &&
    getent passwd mscep >/dev/null && getent passwd mscep-signer >/dev/null"
check "dpkg --purge mscep" dpkg --purge mscep
INSTALLED=
rm -rf /run/mscep
machine_state > "$T/after"
check "after purge: the machine is as before" diff "$T/before" "$T/after"
echo "# total: $(($(date +%s) - START)) s"
trap - EXIT
finish
