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
LAST_PID=
npass=0
nfail=0
AT_EXIT=		# functions run as the test ends (pg_lib.sh: pg_stop)

ok() { npass=$((npass + 1)); echo "ok - $*"; }
not_ok() { nfail=$((nfail + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() { d=$1; shift; if "$@" >>"$T/check.log" 2>&1; then ok "$d"; else not_ok "$d"; tail -5 "$T/check.log" | sed 's/^/#   /'; fi; }
check_not() { d=$1; shift; if "$@" >>"$T/check.log" 2>&1; then not_ok "$d"; else ok "$d"; fi; }

finish() {
	stop_servers
	for h in $AT_EXIT; do $h; done
	# On PostgreSQL nothing may fall back to a SQLite file of its own
	# (as mscep-admin status once did), in any state folder of the test.
	if [ "${MSCEP_TEST_STORE:-sqlite}" = postgresql ] &&
	    ls "$T"/state*/mscep.db >/dev/null 2>&1; then
		not_ok "the store stayed on PostgreSQL (a mscep.db appeared in $(
		    cd "$T" && echo state*/mscep.db))"
	fi
	# mod_fcgid's workers write to Apache's error log.
	if cat "$T/run/mscep.log" "$T/run/error.log" 2>/dev/null |
	    grep -qE 'Sanitizer|runtime error:'; then
		not_ok "sanitizer findings in the workers' log"
		cat "$T/run/mscep.log" "$T/run/error.log" 2>/dev/null |
		    grep -A20 'Sanitizer' | head -40 | sed 's/^/#   /'
	fi
	[ -n "${KEEP:-}" ] && { echo "# kept $T"; echo "RESULT $npass $nfail"; return; }
	rm -rf "$T"
	echo "RESULT $npass $nfail"
	[ "$nfail" -eq 0 ]
}
# A signal ends the test once what it started is stopped and its folder
# removed (exit 130 for INT, 143 for TERM); before, the trap returned and
# the test went on, starting servers again that nothing would stop.
on_signal() {
	trap '' INT TERM
	stop_servers
	for h in $AT_EXIT; do $h; done
	# What else the test left running in the background (clients, a
	# slow request): its own descendants, by PID.
	for p in $(descendants $$); do kill "$p" 2>/dev/null; done
	rm -rf "$T"
	exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# make_ini [Key=Value ...]: the shipped etc/mscep.ini (or INI_TEMPLATE's
# file, the bench's older build) with test overrides.
# Debian 12's scepclient sends DES-CBC only, so tests enable AllowDES;
# the audit stream stays off the host's syslog (test_audit.sh turns it on).
make_ini() {
	# The signer's ledger outside the state, which give_state may hand
	# to the workers' user (a folder they own would be refused).
	sed -e "s|^StateDir = .*|StateDir = $T/state|" \
	    -e "s|^Ledger = .*|Ledger = $T/signer/signed.db|" \
	    -e "s|^AllowDES = .*|AllowDES = 1|" \
	    -e "s|^Target = syslog\$|Target = off|" \
	    "${INI_TEMPLATE:-$TOP/etc/mscep.ini}" > "$INI"
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		sed -i "s|^$k *=.*|$k = $v|" "$INI"
		grep -q "^$k = $v\$" "$INI" || { echo "make_ini: no key $k" >&2; return 1; }
	done
	# Not on SQLite instead when PostgreSQL does not come up: no result,
	# which run.sh counts as a failure.
	if [ "${MSCEP_TEST_STORE:-sqlite}" = postgresql ] && ! store_on_pg; then
		echo "not ok - the test's store could not be put on PostgreSQL"
		exit 1
	fi
	return 0
}

# MSCEP_TEST_STORE=postgresql: make_ini puts the test's store on a
# PostgreSQL of its own (pg_lib.sh), migrated, and sql/sql_write query it.
store_on_pg() {
	if [ -z "${PGPORT:-}" ]; then
		. "$TOP/tests/e2e/pg_lib.sh"
		pg_init || return 1
	fi
	store_ini_pg
	# The test may finish its INI later: migrate through one that loads.
	printf '[Store]\nBackend = postgresql\nConnInfo = %s\n[Audit]\nTarget = off\n[IPSECIntermediateOffline]\n' \
	    "$PG_CONNINFO" > "$T/pg-migrate.ini"
	"$MSCEP_BIN/mscep-admin" -c "$T/pg-migrate.ini" store migrate \
	    >/dev/null || return 1
	sql() { psql_q "$1"; }
	sql_write() { psql_q "$1" >/dev/null; }
	# Every B-tree index of the store checked against its table (amcheck,
	# from the postgresql-15 package): an error when one is not sound.
	store_integrity() {
		psql_q "set client_min_messages = warning;
		    create extension if not exists amcheck" >/dev/null &&
		    psql_q "select count(bt_index_check(c.oid, true))
		    from pg_index i join pg_class c on c.oid = i.indexrelid
		    join pg_am a on a.oid = c.relam join pg_namespace n
		    on n.oid = c.relnamespace where a.amname = 'btree'
		    and n.nspname = 'public'" | grep -qx '[1-9][0-9]*' && echo ok
	}
}

# free_port: a loopback port nothing listens on, below the kernel's
# ephemeral range (ip_local_port_range, 32768 and up by default: a port
# there can be held by an outgoing connection, which no probe sees, and
# the server's bind then fails), and not one this test was given before
# (servers are often started after several ports are picked).
free_port() {
	local lo
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${lo:-0}" -gt 12000 ] 2>/dev/null || lo=32768
	p=$((10000 + ($$ * 7 + RANDOM) % (lo - 10000 - 500)))
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null ||
	    grep -qx "$p" "$T/.ports" 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p" >> "$T/.ports"
	echo "$p"
}

# Servers run as root refuse to serve (Apache) or drop to nobody (nginx);
# as root they run as www-data, which must reach the test folder.
RUNAS=
if [ "$(id -u)" = 0 ]; then
	RUNAS=www-data
	chmod 711 "$T"
fi
STARTED=		# PIDs this test started, oldest first

# spawn CMD...: starts CMD in the background, output to $T/run/mscep.log.
spawn() {
	mkdir -p "$T/run"
	"$@" >>"$T/run/mscep.log" 2>&1 &
	STARTED="$STARTED $!"
	LAST_PID=$!
}

descendants() {
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}

# workers: PIDs of the mscep processes under everything this test started.
workers() {
	for p in $STARTED; do
		for d in $(descendants "$p"); do
			[ "$(ps -o comm= -p "$d" 2>/dev/null)" = mscep ] && echo "$d"
		done
	done
}

# Stops what spawn started, newest first, then waits for their
# descendants (workers exit once their server is gone; a sanitizer build
# writes its leak report first) and insists on those that stay.
# stop_pid PID: stops PID and the processes it started (each given 10 s
# to go by itself once PID has, then killed), and forgets it.
stop_pid() {
	kids=$(descendants "$1")
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for k in $kids; do
		for i in $(seq 1 100); do
			kill -0 "$k" 2>/dev/null || break
			sleep 0.1
		done
		kill "$k" 2>/dev/null
	done
	STARTED=$(echo " $STARTED " | sed "s/ $1 / /; s/^ *//; s/ *\$//")
}

stop_servers() {
	order=
	for p in $STARTED; do order="$p $order"; done
	for p in $order; do
		stop_pid "$p"
	done
	STARTED=
}

# start_signer SOCK LOG: the signer (mscep -S, one pool member) on $INI
# in the background, its PID in SIGNER_PID; back once that member has
# opened every key and said "ready" in LOG (a key moved away after that
# is not needed again); 1, and the log's end, if it did not in 20 s.
start_signer() {
	local ready0
	ready0=$(grep -c ': signer [0-9]* ready' "$2" 2>/dev/null)
	"$MSCEP_BIN/mscep" -S -c "$INI" -n 1 >>"$2" 2>&1 &
	SIGNER_PID=$!
	STARTED="$STARTED $SIGNER_PID"
	for _ in $(seq 1 200); do
		[ -S "$1" ] && [ "$(grep -c ': signer [0-9]* ready' "$2" \
		    2>/dev/null)" -gt "${ready0:-0}" ] && return 0
		kill -0 "$SIGNER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# the signer did not say ready; its log ends:"
	tail -3 "$2" | sed 's/^/#   /'
	return 1
}
stop_signer() { stop_pid "$SIGNER_PID"; }

# wait_url URL [CURL-OPTIONS]: until URL answers, for up to 10 seconds.
wait_url() {
	u=$1
	shift
	for i in $(seq 1 100); do
		curl -sf -o /dev/null "$@" "$u" && return 0
		sleep 0.1
	done
	echo "no answer from $u:" >&2
	cat "$T/run/mscep.log" "$T/run/error.log" >&2 2>/dev/null
	return 1
}

# render SERVER: the shipped configuration for SERVER with test ports and
# paths (deploy/render.sh); sets PORT, URL and, with TLS, TLSPORT, TLSURL.
render() {
	PORT=$(free_port)
	TLSPORT=0
	URL=http://127.0.0.1:$PORT/certsrv/mscep/mscep.dll
	if [ -n "${TLS:-}" ]; then
		TLSPORT=$(free_port)
		TLSURL=https://localhost:$TLSPORT/certsrv/mscep/mscep.dll
		[ -f "$T/state/tls/server.crt" ] ||
		    $ADMIN tls-cert --name localhost --name 127.0.0.1 >/dev/null
	fi
	[ -f "$T/htpasswd" ] || { htpasswd -bcB "$T/htpasswd" alice "$ALICE_PW" 2>/dev/null &&
	    htpasswd -bB "$T/htpasswd" mallory "$ALICE_PW" 2>/dev/null &&
	    chmod 644 "$T/htpasswd"; }
	mkdir -p "$T/run"
	chmod 755 "$T/run"
	BIN=$MSCEP_BIN CONFIG=$INI PORT=$PORT TLSPORT=$TLSPORT \
	    TLSDIR=$T/state/tls HTPASSWD=$T/htpasswd RUNAS=$RUNAS \
	    STATEDIR=$T/state \
	    sh "$TOP/deploy/render.sh" "$1" "$T/run"
}
ALICE_PW=alice-$$-pw

# start_lighttpd: lighttpd spawning the workers (deploy/lighttpd).
start_lighttpd() {
	render lighttpd
	spawn lighttpd -D -f "$T/run/lighttpd.conf"
	LPID=$LAST_PID
	wait_url "$URL?operation=GetCACaps"
}
stop_lighttpd() { stop_servers; }
restart_lighttpd() { stop_servers; start_lighttpd; }

# start_pool: mscep's own pre-forked pool on $T/run/mscep.sock, reachable
# by the web server's user.
start_pool() {
	spawn "$MSCEP_BIN/mscep" -c "$INI" -n "${1:-2}" -s "$T/run/mscep.sock" \
	    ${RUNAS:+-g $RUNAS}
	for i in $(seq 1 100); do
		[ -S "$T/run/mscep.sock" ] && break
		sleep 0.1
	done
}

# sql QUERY: runs a read-only query on the test store.
sql() { sqlite3 -readonly -cmd ".timeout 10000" "$T/state/mscep.db" "$1"; }
# sql_write QUERY: changes the store, waiting for locks like mscep does.
sql_write() { sqlite3 -cmd ".timeout 10000" "$T/state/mscep.db" "$1" >/dev/null; }
# store_integrity: prints ok when the store's file and indexes are sound
# (SQLite's integrity_check; on PostgreSQL, store_on_pg's amcheck).
store_integrity() { sql 'pragma integrity_check'; }

# The responder's log lines (stderr of the pool or of lighttpd's workers;
# mod_fcgid's go to Apache's error log).
mscep_log() { cat "$T/run/mscep.log" "$T/run/error.log" 2>/dev/null; }

# as_user USER CMD...: runs CMD as USER when the test runs as root.
as_user() {
	u=$1
	shift
	if [ -n "$RUNAS" ]; then
		setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$@"
	else
		"$@"
	fi
}

# unreadable_by USER FILE: USER cannot read FILE (a shell function, like
# as_user: call it from check directly, never inside sh -c, where it does
# not exist and "! as_user ..." would pass on "not found").
unreadable_by() { ! as_user "$1" cat "$2" >/dev/null 2>&1; }

# give_state USER: the state folder belongs to USER from now on, and the
# test's admin commands and queries run as USER too, so that SQLite's
# -wal/-shm files stay writable by the workers.
give_state() {
	[ -n "$RUNAS" ] || return 0
	STATE_USER=$1
	chown -R "$1:$(id -g "$1")" "$T/state"
	# A command, not the as_user function: it also works in sh -c.
	ADMIN="setpriv --reuid=$1 --regid=$(id -g "$1") --clear-groups $MSCEP_BIN/mscep-admin -c $INI"
	# On PostgreSQL (store_on_pg) the queries go to the server as before;
	# the workers, now USER, read the passfile.
	if [ "${MSCEP_TEST_STORE:-sqlite}" = postgresql ]; then
		chown "$1" "$T/pgpass"
		return 0
	fi
	sql() { as_user "$STATE_USER" sqlite3 -readonly -cmd ".timeout 10000" "$T/state/mscep.db" "$1"; }
	sql_write() { as_user "$STATE_USER" sqlite3 -cmd ".timeout 10000" "$T/state/mscep.db" "$1" >/dev/null; }
}
