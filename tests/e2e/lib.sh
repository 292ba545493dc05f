# tests/e2e/lib.sh - sourced by every end-to-end test. Starts real lighttpd
# with real mscep workers on a loopback port, in a private temporary folder;
# stops exactly the processes it started (by PID) and removes the folder.
set -u

: "${MSCEP_BIN:?set MSCEP_BIN to the folder holding mscep, mscep-admin, scepcli}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/mscep-e2e.XXXXXX)
INI=$T/mscep.ini
ADMIN="$MSCEP_BIN/mscep-admin -c $INI"
LPID=
npass=0
nfail=0

ok() { npass=$((npass + 1)); echo "ok - $*"; }
not_ok() { nfail=$((nfail + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() { d=$1; shift; if "$@" >>"$T/check.log" 2>&1; then ok "$d"; else not_ok "$d"; tail -5 "$T/check.log" | sed 's/^/#   /'; fi; }
check_not() { d=$1; shift; if "$@" >>"$T/check.log" 2>&1; then not_ok "$d"; else ok "$d"; fi; }

finish() {
	if grep -qE 'Sanitizer|runtime error:' "$T/run/mscep.log" 2>/dev/null; then
		not_ok "sanitizer findings in the workers' log"
		grep -A20 'Sanitizer' "$T/run/mscep.log" | head -40 | sed 's/^/#   /'
	fi
	[ -n "${KEEP:-}" ] && { echo "# kept $T"; stop_lighttpd; echo "RESULT $npass $nfail"; return; }
	stop_lighttpd
	rm -rf "$T"
	echo "RESULT $npass $nfail"
	[ "$nfail" -eq 0 ]
}
trap 'stop_lighttpd; rm -rf "$T"' INT TERM

# make_ini [Key=Value ...]: the shipped etc/mscep.ini with test overrides.
# Debian 12's scepclient sends DES-CBC only, so tests enable AllowDES.
make_ini() {
	sed -e "s|^StateDir = .*|StateDir = $T/state|" \
	    -e "s|^AllowDES = .*|AllowDES = 1|" "$TOP/etc/mscep.ini" > "$INI"
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		sed -i "s|^$k *=.*|$k = $v|" "$INI"
		grep -q "^$k = $v\$" "$INI" || { echo "make_ini: no key $k" >&2; return 1; }
	done
}

free_port() {
	p=$((20000 + ($$ * 7 + RANDOM) % 20000))
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

# start_lighttpd WORKERS: serves $INI; sets PORT and URL.
start_lighttpd() {
	PORT=$(free_port)
	URL=http://127.0.0.1:$PORT/certsrv/mscep/mscep.dll
	mkdir -p "$T/run"
	sed -e "s|@PORT@|$PORT|" -e "s|@RUNDIR@|$T/run|g" \
	    -e "s|@BIN@|$MSCEP_BIN|" -e "s|@CONFIG@|$INI|" \
	    -e "s|@WORKERS@|${1:-2}|" -e "s|@ERRORLOG@|$T/run/error.log|" \
	    -e "s|@ACCESSLOG@|$T/run/access.log|" \
	    "$TOP/deploy/lighttpd/mscep-demo.conf.in" > "$T/run/lighttpd.conf"
	lighttpd -D -f "$T/run/lighttpd.conf" >>"$T/run/mscep.log" 2>&1 &
	LPID=$!
	for i in $(seq 1 50); do
		curl -sf -o /dev/null "$URL?operation=GetCACaps" && return 0
		sleep 0.1
	done
	echo "lighttpd did not start:" >&2
	cat "$T/run/mscep.log" "$T/run/error.log" >&2 2>/dev/null
	return 1
}

# Stops lighttpd and then any worker it spawned that outlived it.
stop_lighttpd() {
	[ -n "$LPID" ] || return 0
	kids=$(ps -o pid= --ppid "$LPID" 2>/dev/null)
	kill "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	# Workers exit on their own once lighttpd is gone (a sanitizer build
	# writes its leak report first); wait for them, then insist.
	for k in $kids; do
		for i in $(seq 1 100); do
			kill -0 "$k" 2>/dev/null || break
			sleep 0.1
		done
		kill "$k" 2>/dev/null
	done
	LPID=
}

restart_lighttpd() { stop_lighttpd; start_lighttpd "${1:-2}"; }

# sql QUERY: runs a read-only query on the test store.
sql() { sqlite3 -readonly -cmd ".timeout 10000" "$T/state/mscep.db" "$1"; }
# sql_write QUERY: changes the store, waiting for locks like mscep does.
sql_write() { sqlite3 -cmd ".timeout 10000" "$T/state/mscep.db" "$1" >/dev/null; }

# The responder's log lines (workers write to lighttpd's stderr).
mscep_log() { cat "$T/run/mscep.log"; }
