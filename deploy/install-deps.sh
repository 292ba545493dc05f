#!/bin/sh
# deploy/install-deps.sh - installs the Debian 12 packages mscep needs to
# build, run and be tested, when any is missing. Idempotent and quiet when
# everything is there; needs root (or sudo) only when it must install.
set -eu
# build and run: compiler, OpenSSL, SQLite, libfcgi, iniparser, CUnit,
# libcurl and jansson (Module = intune), libp11 (keys in a PKCS#11 token),
# libpq ([Store] Backend = postgresql) and PostgreSQL 15 for its tests;
# the three web servers and their modules (mod_fcgid, TLS for lighttpd),
# htpasswd, spawn-fcgi and cgi-fcgi (libfcgi-bin) from deploy/; the real
# SCEP clients (scep's scepclient, certmonger's scep-submit), curl, procps,
# tinyproxy (an HTTP proxy for the Intune test),
# util-linux (setpriv) and systemd (systemd-analyze, systemd-socket-activate)
# for the tests; cppcheck for make lint; clang and its fuzzer runtime for
# make fuzz; iproute2 (ip, for scepserver's network namespace) for make
# bench; mandoc and groff for make man-lint; softhsm2 and opensc (a PKCS#11
# token and pkcs11-tool for the tests); debhelper, dpkg-dev, fakeroot and
# lintian to build and check the Debian package (debian/); python3 to parse
# JSON in the tests; prometheus (promtool and a real Prometheus for the
# metrics tests; its service is not started).
pkgs="build-essential pkg-config libssl-dev openssl libsqlite3-dev sqlite3
libfcgi-dev libfcgi-bin libiniparser-dev libcunit1-dev
libcurl4-openssl-dev libjansson-dev libp11-dev libpq-dev postgresql-15
postgresql-client-15 softhsm2 opensc
lighttpd lighttpd-mod-openssl apache2 libapache2-mod-fcgid apache2-utils
nginx spawn-fcgi
curl scep certmonger procps util-linux systemd cppcheck clang tinyproxy-bin
libclang-rt-14-dev iproute2 mandoc groff-base python3 prometheus
debhelper dpkg-dev fakeroot lintian"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
# Debian starts Apache, nginx and lighttpd on port 80 as they are installed;
# the second one then fails and leaves its package half-configured. mscep's
# demo and tests run their own instances on other ports and need none, so
# services are not started during this install (policy-rc.d, as in Docker).
policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
	$sudo chmod 755 "$policy"
	trap '$sudo rm -f "$policy"' EXIT INT TERM
fi
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
for s in lighttpd apache2 nginx; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q "$s" 2>/dev/null; then
		$sudo systemctl stop "$s" || true
	fi
done
