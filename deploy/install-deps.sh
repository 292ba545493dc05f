#!/bin/sh
# deploy/install-deps.sh - installs the Debian 12 packages mscep needs to
# build, run and be tested, when any is missing. Idempotent and quiet when
# everything is there; needs root (or sudo) only when it must install.
set -eu
pkgs="build-essential pkg-config libssl-dev openssl libsqlite3-dev sqlite3
libfcgi-dev libiniparser-dev libcunit1-dev lighttpd curl scep certmonger
procps"
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
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Debian starts lighttpd on port 80 when it is installed; mscep's demo and
# tests run their own instances and need none.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q lighttpd 2>/dev/null; then
	$sudo systemctl stop lighttpd || true
fi
