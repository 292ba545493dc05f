#!/usr/bin/env bash
# tests/bench/bench.sh - "make bench". On this machine, with one
# load tool (bin/scepcli), the same requester keys, the same RSA key size
# everywhere and the same concurrency, it measures PKCSReq enrollments/s of
#   - mscep behind lighttpd, which spawns W workers (deploy/lighttpd),
#   - mscep behind nginx, with mscep's own pool of W workers (mscep -n W),
#   - micromdm's scepserver (Debian's scep package), alone in a network
#     namespace because it cannot bind loopback only,
# and prints them side by side with this machine's RSA ceiling, the
# workers' memory, the store's size per 10,000 certificates and the rate
# with 1,000,000 certificates in the store. The performance targets are
# reported, never asserted: the exit status is non-zero only when a
# measurement could not be made.
#
# Knobs (environment):
#   BENCH_N        enrollments per run (1000)
#   BENCH_J        client connections, one scepcli process each (8)
#   BENCH_W        mscep workers (4: two per core, see deploy/lighttpd)
#   BENCH_BITS     RSA size of CA, RA, scepserver CA and requesters (2048)
#   BENCH_METHOD   post or get (post)
#   BENCH_FILL     certificates in the large-store run (1000000)
#   BENCH_SPEED_SECONDS  openssl speed time per operation (3)
#   BENCH_KEYS     requester key cache (build/bench/keys-rsa<BITS>.pem);
#                  keys are made once (RSA key generation costs ~0.2 s a
#                  key here) and reused by every run and every bench
#   BENCH_ROUNDS   runs of each server, taking turns; the median counts (3)
#   BENCH_PARTS    parts to run (all: speed lighttpd nginx scepserver
#                  million crl longget intune metrics; baseline, signer
#                  and pg only when asked)
#   BENCH_PG_FILL  certificates in the pg part's prefilled PostgreSQL
#                  database (BENCH_FILL)
#   BENCH_PG_CONF  postgresql.conf lines for the pg part's cluster, one a
#                  line (say "shared_buffers = 1GB"; default: PostgreSQL's)
#   BENCH_LONGGET_N  enrollments per run of the longget part (200)
#   BENCH_SIGNER   the signer part's variants, in this order (inproc remote
#                  hsm); the ratios need inproc
#   BENCH_INTUNE_DELAY_MS  the intune part: the Intune stand-in answers
#                  validateRequest and notifications after this (20)
#   BENCH_BASELINE the bin folder of another build (mscep, mscep-admin) for
#                  the baseline part: that build and this one take turns
#                  behind nginx, with the same keys and this scepcli;
#                  its configuration is BENCH_BASELINE/../etc/mscep.ini
#   KEEP=1         keep the temporary folder
#
# Adding a measurement: write part_NAME, which sets results or calls
# extra_row "label" "value", and add NAME to PARTS.
#
# Not "set -e": the helpers from tests/e2e/lib.sh (stop_servers and
# friends) rely on commands that may fail; every step that must succeed
# is checked and ends the run through die.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/pg_lib.sh"	# the pg part's PostgreSQL

N=${BENCH_N:-1000}
J=${BENCH_J:-8}
W=${BENCH_W:-4}
BITS=${BENCH_BITS:-2048}
METHOD=${BENCH_METHOD:-post}
FILL=${BENCH_FILL:-1000000}
SPEED_SECONDS=${BENCH_SPEED_SECONDS:-3}
KEYS=${BENCH_KEYS:-$TOP/build/bench/keys-rsa$BITS.pem}
PARTS=${BENCH_PARTS:-speed lighttpd nginx scepserver million crl longget intune metrics}
ROUNDS=${BENCH_ROUNDS:-3}
SIGNER_MODES=${BENCH_SIGNER:-inproc remote hsm}
CORES=$(nproc)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
CHALLENGE=bench-$$-challenge
SCEPCLI=$MSCEP_BIN/scepcli	# the load tool stays this build's in every part

cleanup() {
	stop_servers
	[ -z "${STANDIN_PID:-}" ] || kill "$STANDIN_PID" 2>/dev/null
	stop_strays
	[ -z "${PGPID:-}" ] || pg_stop
	if [ -n "${KEEP:-}" ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}
# stop_strays: mscep processes of this run that stop_servers could not
# see: workers lighttpd had just spawned when Ctrl-C (sent to the whole
# process group) ended lighttpd first are no longer its children. They
# are found by this run's folder in their command line or environment.
stop_strays() {
	local p
	for p in $(pgrep -x mscep); do
		if tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline" | grep -qx -- "$INI" ||
		    tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" |
		    grep -qx -- "MSCEP_CONFIG=$INI"; then
			kill "$p" 2>/dev/null
		fi
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

note() { echo "# $*" >&2; }
die() {
	echo "bench: $*" >&2
	exit 1
}

declare -A RATE P50 P95 P99 PASSED FAILED MEM CPUMS RUNS SPREAD
TICKS=$(getconf CLK_TCK)
EXTRA=()		# "label|value" rows after the table
SIGN_PER_CORE=
CEILING=
RSS_MAX_MB=
MILLION_RATIO=

extra_row() { EXTRA+=("$1|$2"); }

# ---------------------------------------------------------------- helpers

nkeys() { grep -c -- '-----BEGIN PRIVATE KEY-----' "$@" 2>/dev/null; }

ensure_keys() {
	local need round
	mkdir -p "$(dirname "$KEYS")" || die "cannot create $(dirname "$KEYS")"
	for round in 1 2 3 4; do
		need=$((N - $(nkeys "$KEYS" || echo 0)))
		[ "$need" -gt 0 ] || return 0
		[ "$round" -lt 4 ] || break
		note "making $need RSA-$BITS requester keys in $KEYS (once; reused by later runs)"
		rm -rf "$T/keys" && mkdir -p "$T/keys" || die "cannot create $T/keys"
		seq 1 "$need" | xargs -P "$CORES" -I{} openssl genpkey \
		    -algorithm RSA -pkeyopt "rsa_keygen_bits:$BITS" \
		    -out "$T/keys/{}.pem" 2>>"$T/genpkey.log"
		# Only whole keys go into the cache.
		for f in "$T"/keys/*.pem; do
			[ "$(nkeys "$f")" = 1 ] && cat "$f"
		done >> "$KEYS"
	done
	die "openssl genpkey did not make $need keys: $(tail -3 "$T/genpkey.log")"
}

# fresh_store [COUNT]: a new CA and store in $T/state with COUNT (N)
# one-time passwords (mscep's default policy, NDES passwords); with
# INIT_TOKEN (a pkcs11: URI) the CA key is made in that token.
fresh_store() {
	rm -rf "$T/state" "$T/run"
	make_ini PasswordMax=$((N + 10)) AllowDES=0 || die "make_ini"
	$ADMIN init --key "rsa:$BITS" --ra-key "rsa:$BITS" \
	    ${INIT_TOKEN:+--in-token "$INIT_TOKEN"} >/dev/null ||
	    die "mscep-admin init${INIT_TOKEN:+ --in-token}"
	EMPTY_BYTES=$(store_bytes)
	add_passwords "${1:-$N}"
}

# add_passwords COUNT: that many new passwords in $T/passwords.
add_passwords() {
	for _ in $(seq 1 "$1"); do
		$ADMIN password || die "mscep-admin password"
	done > "$T/passwords"
}

# store_bytes: size of the store as it would be written afresh (VACUUM
# INTO a copy), so that freed password pages do not count.
store_bytes() {
	rm -f "$T/vacuum.db"
	sqlite3 "$T/state/mscep.db" "VACUUM INTO '$T/vacuum.db'" || die "VACUUM"
	stat -c %s "$T/vacuum.db"
	rm -f "$T/vacuum.db"
}

# load NAME URL [scepcli options]: one run of N enrollments over J
# connections; every reply is verified after the clock stops (scepcli),
# issued certificates go to $T/NAME.RUN.certs (a serial issued twice fails
# there).
load() {
	local name=$1 url=$2 cpu0 stem n=${LOAD_N:-$N}
	shift 2
	RUNS[$name]=$((${RUNS[$name]:-0} + 1))
	stem=$T/$name.${RUNS[$name]}
	note "$name, run ${RUNS[$name]}: $n enrollments, $J connections"
	cpu0=$(($(worker_ticks) + $(reaped_ticks) + $(db_ticks)))
	sig0=$(signer_ticks)
	"$SCEPCLI" -u "$url" -m "$METHOD" -n "$n" -j "$J" \
	    --keys "${LOAD_KEYS:-$KEYS}" -o "$stem.certs" "$@" enroll \
	    >"$stem.out" 2>"$stem.err"
	awk -v a="$sig0" -v b="$(signer_ticks)" -v t="$TICKS" -v n="$n" \
	    'BEGIN { printf "%.2f\n", (b - a) * 1000 / t / n }' >> "$T/$name.signer"
	record_run "$name" "$stem" "$(awk -v a="$cpu0" \
	    -v b="$(($(worker_ticks) + $(reaped_ticks) + $(db_ticks)))" \
	    -v t="$TICKS" -v n="$n" 'BEGIN { printf "%.2f", (b - a) * 1000 / t / n }')"
}

# signer_ticks: the part of worker_ticks that is the signer's (mscep -S
# and its processes), so the signer part can say where the CPU went.
signer_ticks() {
	local p sum=0 t
	for p in $(workers); do
		tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- ' -S ' ||
		    continue
		t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null)
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

# median_of FILE: the median of the numbers in FILE, one a line.
median_of() {
	sort -n "$1" 2>/dev/null | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}

# worker_ticks: CPU time (user + system, in clock ticks) of the mscep
# workers so far; with other load on the machine this stays comparable
# where enrollments/s does not.
worker_ticks() {
	local p sum=0 t
	for p in $(workers); do
		# Fields 14 and 15 of /proc/PID/stat; comm ("mscep") has no spaces.
		t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null)
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

# reaped_ticks: CPU time of the children the started servers have reaped
# (fields 16 and 17: cutime, cstime), such as the mscep processes lighttpd
# runs as a CGI, which worker_ticks never sees alive.
reaped_ticks() {
	local p sum=0 t
	for p in $STARTED; do
		t=$(awk '{ print $16 + $17 }' "/proc/$p/stat" 2>/dev/null)
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

# db_ticks: with DB_TICKS=1 (the pg part's PostgreSQL runs), the CPU time
# of the PostgreSQL server: the postmaster, its live processes and those
# it has reaped (a backend ends with its worker's connection).
DB_TICKS=
db_ticks() {
	local p sum t
	[ -n "$DB_TICKS" ] && [ -n "${PGPID:-}" ] || { echo 0; return; }
	t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PGPID/stat" 2>/dev/null)
	sum=${t:-0}
	for p in $(descendants "$PGPID"); do
		t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null)
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

# record_run NAME STEM CPUMS: one line for the run's results in
# $T/NAME.runs: rate p50 p95 p99 passed failed cpu-ms-per-request.
record_run() {
	local line res
	res=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$2.out" | tail -1)
	line=$(grep '^enrollments/s=' "$2.out" | tail -1)
	if [ -z "$res" ] || [ -z "$line" ]; then
		cat "$2.err" >&2
		die "$1: the load tool printed no result"
	fi
	echo "$line $res ${3:--}" | sed -e 's/enrollments\/s=//' \
	    -e 's/ p[0-9]*_ms=/ /g' -e 's/ passed, / /' -e 's/ failed / /' \
	    >> "$T/$1.runs"
	note "$1: $(tail -1 "$T/$1.runs" | awk '{ print $1 " enrollments/s, " $6 " failed" }')"
}

# summarize NAME: the median run by rate gives the rate, latencies and CPU;
# errors are summed over every run.
summarize() {
	local f=$T/$1.runs line
	[ -s "$f" ] || return 0
	line=$(sort -n -k1,1 "$f" | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }')
	set -- "$1" $line
	RATE[$1]=$2
	P50[$1]=$3
	P95[$1]=$4
	P99[$1]=$5
	CPUMS[$1]=$8
	PASSED[$1]=$(awk '{ s += $5 } END { print s }' "$f")
	FAILED[$1]=$(awk '{ s += $6 } END { print s }' "$f")
	SPREAD[$1]=$(sort -n -k1,1 "$f" | awk 'NR == 1 { lo = $1 } { hi = $1 }
	    END { if (NR > 1) printf "%.0f-%.0f", lo, hi; else print "-" }')
}

# worker_memory NAME: VmRSS and VmHWM of the mscep workers now running.
worker_memory() {
	local p rss hwm n=0 rmax=0 hmax=0
	for p in $(workers); do
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ -n "$rss" ] || continue
		n=$((n + 1))
		[ "$rss" -gt "$rmax" ] && rmax=$rss
		[ "$hwm" -gt "$hmax" ] && hmax=$hwm
	done
	MEM[$1]=$(awk -v r="$rmax" -v h="$hmax" -v n="$n" 'BEGIN {
	    printf "VmRSS max %.1f MB, VmHWM max %.1f MB (%d processes)",
	    r / 1024, h / 1024, n }')
	[ "$hmax" -gt "${HWM_MAX_KB:-0}" ] && HWM_MAX_KB=$hmax
	[ "$rmax" -gt "${RSS_MAX_KB:-0}" ] && RSS_MAX_KB=$rmax
}

# ------------------------------------------------------------------ parts

part_speed() {
	local line
	note "openssl speed -seconds $SPEED_SECONDS rsa$BITS (one process)"
	line=$(openssl speed -seconds "$SPEED_SECONDS" "rsa$BITS" 2>/dev/null |
	    grep "^rsa $BITS bits")
	SIGN_PER_CORE=$(echo "$line" | awk '{ print $6 }')
	[ -n "$SIGN_PER_CORE" ] || die "cannot read openssl speed's rsa$BITS line"
	CEILING=$(awk -v s="$SIGN_PER_CORE" -v c="$CORES" \
	    'BEGIN { printf "%.1f", c * s / 3 }')
}

part_lighttpd() {
	fresh_store
	render lighttpd
	# The shipped file starts 4 SCEP workers; the bench starts W.
	sed -i "0,/\"max-procs\"\([[:space:]]*\)=> 4,/s//\"max-procs\"\1=> $W,/" \
	    "$T/run/50-mscep.conf"
	grep -q "\"max-procs\"[[:space:]]*=> $W," "$T/run/50-mscep.conf" ||
	    die "cannot set max-procs in the rendered lighttpd configuration"
	spawn lighttpd -D -f "$T/run/lighttpd.conf"
	wait_url "$URL?operation=GetCACaps" || die "lighttpd did not start"
	load lighttpd "$URL" -P "$T/passwords"
	worker_memory lighttpd
	stop_servers
	[ "${RUNS[lighttpd]}" = 1 ] || return 0
	CERTS=$(sql "select count(*) from certificates")
	DER_LEN=$(sql "select cast(avg(length(der)) as int) from certificates")
	STORE_PER_10K=$(awk -v a="$(store_bytes)" -v e="$EMPTY_BYTES" \
	    -v n="$CERTS" 'BEGIN { if (n > 0) printf "%.2f MB", (a - e) / n * 10000 / 1048576 }')
	extra_row "store size per 10,000 certificates" \
	    "$STORE_PER_10K (after $CERTS real enrollments: certificate, transaction, event rows)"
}

# nginx_pool NAME: nginx in front of "mscep -n W", then the load.
nginx_pool() {
	# The shipped site has an HTTPS server too: it needs a certificate.
	TLS=1 render nginx
	start_pool "$W"
	[ -S "$T/run/mscep.sock" ] || die "the mscep pool did not start"
	spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
	wait_url "$URL?operation=GetCACaps" || die "nginx did not start"
	load "$1" "$URL" -P "$T/passwords"
	worker_memory "$1"
	stop_servers
}

part_nginx() {
	fresh_store
	nginx_pool nginx
}

part_scepserver() {
	local depot=$T/depot port stem ns=(unshare -n)
	[ "$(id -u)" = 0 ] || ns=(unshare -rn)
	rm -rf "$depot"
	scepserver ca -init -keySize "$BITS" -depot "$depot" >/dev/null 2>&1 ||
	    die "scepserver ca -init failed"
	port=$(free_port)
	RUNS[scepserver]=$((${RUNS[scepserver]:-0} + 1))
	stem=$T/scepserver.${RUNS[scepserver]}
	note "scepserver, run ${RUNS[scepserver]}: $N enrollments, $J connections (own network namespace)"
	"${ns[@]}" "$TOP/tests/bench/scepserver_netns.sh" "$depot" "$port" \
	    "$CHALLENGE" "$stem.log" \
	    "$MSCEP_BIN/scepcli" -u "http://127.0.0.1:$port/scep" -m "$METHOD" \
	    -n "$N" -j "$J" --keys "$KEYS" -o "$stem.certs" \
	    -p "$CHALLENGE" enroll >"$stem.out" 2>"$stem.err" &
	STARTED="$STARTED $!"	# cleanup stops it (and so the server) by PID
	wait "$!"
	STARTED=
	record_run scepserver "$stem" "$(awk -v t="$TICKS" -v n="$N" \
	    '/^ticks:/ { printf "%.2f", $2 * 1000 / t / n }' "$stem.log.mem" 2>/dev/null)"
	MEM[scepserver]=$(awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END {
	    if (r) printf "VmRSS %.1f MB, VmHWM %.1f MB (one Go process)",
	    r / 1024, h / 1024 }' "$stem.log.mem" 2>/dev/null)
}

# fill_store ROWS: ROWS synthetic certificates, each with its transaction
# and its success event, as mscep writes them: serials of 0x40, the time
# and 88 random bits (cert_new_serial), SHA-256 transactionIDs, random DER
# of the size of a real certificate, issued over the last 90 days; one
# transaction, sorted inserts.
fill_store() {
	local now
	now=$(date +%s)
	sqlite3 "$T/state/mscep.db" <<EOF >/dev/null || die "filling the store failed"
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;
PRAGMA cache_size=-1048576;
PRAGMA temp_store=MEMORY;
BEGIN;
CREATE TEMP TABLE fill AS
 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
 SELECT i, printf('40%08X', t) || upper(hex(randomblob(11))) AS serial,
	upper(hex(randomblob(32))) AS txid, upper(hex(randomblob(20))) AS key_id,
	t FROM (SELECT i, $now - 600 - (i * 7) % 7776000 AS t FROM n);
INSERT INTO certificates (serial, subject, sans, template, not_before,
	not_after, der, transaction_id, key_id, issued_at)
 SELECT serial, '/O=mscep-test/CN=device-' || i, '', 'IPSECIntermediateOffline',
	t - 600, t + 31536000, randomblob(${DER_LEN:-873}), txid, key_id, t
 FROM fill ORDER BY serial;
INSERT INTO transactions (transaction_id, key_id, message_type, status,
	serial, created_at)
 SELECT txid, key_id, 19, 'issued', serial, t FROM fill ORDER BY txid;
INSERT INTO events (at, kind, transaction_id, serial, thumbprint, not_after,
	issuer, device_id, code, description)
 SELECT t, 'success', txid, serial, upper(hex(randomblob(20))),
	t + 31536000, '/CN=mscep Issuing CA/O=mscep', NULL, 'Success', NULL
 FROM fill ORDER BY t;
COMMIT;
PRAGMA journal_mode=WAL;
EOF
}

# split_keys PER: the key cache in slices of PER keys, $T/keys-R.pem.
split_keys() {
	awk -v per="$1" -v dir="$T" '/-----BEGIN PRIVATE KEY-----/ { k++ }
	    { print > (dir "/keys-" int((k - 1) / per) + 1 ".pem") }' "$KEYS"
}

# An empty store and one with FILL certificates take turns behind nginx,
# ROUNDS times; in each round both get the same slice of the requester
# keys (no store sees a key twice), so that load from elsewhere falls on
# both alike.
part_million() {
	local t0 t1 bytes r s per=$((N / ROUNDS)) ratio_cpu
	[ "$per" -gt 0 ] || die "BENCH_N must be at least BENCH_ROUNDS"
	split_keys "$per"
	fresh_store 0
	mv "$T/state" "$T/state-empty"
	fresh_store 0
	note "million: filling a store with $FILL certificates"
	t0=$(date +%s)
	fill_store "$FILL"
	t1=$(date +%s)
	bytes=$(stat -c %s "$T/state/mscep.db")
	note "million: $FILL rows in $((t1 - t0)) s, $((bytes / 1048576)) MB"
	mv "$T/state" "$T/state-full"
	for r in $(seq 1 "$ROUNDS"); do
		for s in empty full; do
			mv "$T/state-$s" "$T/state" || die "mv state-$s"
			add_passwords "$per"
			LOAD_N=$per LOAD_KEYS=$T/keys-$r.pem nginx_pool "store-$s"
			mv "$T/state" "$T/state-$s" || die "mv state-$s"
		done
	done
	summarize store-empty
	summarize store-full
	MILLION_RATIO=$(awk -v a="${RATE[store-full]}" -v b="${RATE[store-empty]}" \
	    'BEGIN { printf "%.2f", a / b }')
	ratio_cpu=$(awk -v a="${CPUMS[store-full]}" -v b="${CPUMS[store-empty]}" \
	    'BEGIN { printf "%.2f", b / a }')
	extra_row "rate with $FILL certificates in the store" \
	    "${RATE[store-full]}/s vs ${RATE[store-empty]}/s with an empty one: ratio $MILLION_RATIO (nginx + pool, median of $ROUNDS paired runs of $per; range ${SPREAD[store-full]} vs ${SPREAD[store-empty]})"
	extra_row " server CPU, full vs empty store" \
	    "${CPUMS[store-full]} vs ${CPUMS[store-empty]} ms/request: ratio $ratio_cpu; errors ${FAILED[store-full]} and ${FAILED[store-empty]}"
	extra_row "synthetic store of $FILL certificates" \
	    "$(awk -v b="$bytes" -v n="$FILL" 'BEGIN { printf "%.2f MB per 10,000", b / n * 10000 / 1048576 }') (filled in $((t1 - t0)) s)"
}

# [Store] Backend = postgresql (tests/e2e/pg_lib.sh's PostgreSQL 15 on
# loopback, fsync off, on this machine): behind nginx, four stores take
# turns ROUNDS times with the same slice of the requester keys each round:
#   sqlite  SQLite, one pool of W workers;
#   pg      PostgreSQL, one pool of W workers;
#   pg2     two pools of W/2 workers (state folders with the same CA, one
#           nginx upstream) sharing one PostgreSQL database, as two hosts;
#   pgfull  one pool of W on a database prefilled with BENCH_PG_FILL
#           certificates (each with its transaction and event).
# Each store keeps its rows from round to round; the four share one
# nginx configuration shape (an upstream of one or two pools). Server CPU
# per enrollment counts PostgreSQL's processes with mscep's workers.
PG_FILL=${BENCH_PG_FILL:-$FILL}

# pg_store NAME [DATABASE]: a CA in $T/state-NAME and its INI $T/NAME.ini,
# on SQLite or, with DATABASE, on that new PostgreSQL database (migrated).
pg_store() {
	use_store "$1"
	make_ini PasswordMax=$((N + 10)) AllowDES=0 || die "make_ini"
	sed -i "s|^StateDir = .*|StateDir = $T/state-$1|" "$INI"
	if [ -n "${2:-}" ]; then
		PGPASSFILE=$T/pgpass "$PG_BIN/createdb" -h 127.0.0.1 \
		    -p "$PGPORT" -U mscep "$2" || die "createdb $2"
		PG_CONNINFO=${PG_CONNINFO/dbname=mscep /dbname=$2 } store_ini_pg
		$ADMIN store migrate >/dev/null || die "store migrate ($1)"
	fi
	$ADMIN init --key "rsa:$BITS" --ra-key "rsa:$BITS" >/dev/null ||
	    die "mscep-admin init ($1)"
}

# use_store NAME: INI and ADMIN of that store.
use_store() {
	INI=$T/$1.ini
	ADMIN="$MSCEP_BIN/mscep-admin -c $INI"
}

# pw_sql COUNT: COUNT new passwords in $T/passwords, and on stdout the
# INSERT that stores them as mscep-admin password does (the SHA-256 of the
# upper-cased password, valid for an hour); COUNT admin runs would take
# minutes here.
pw_sql() {
	python3 - "$1" "$T/passwords" <<'EOP'
import hashlib, os, sys, time
n, path = int(sys.argv[1]), sys.argv[2]
pws = [os.urandom(16).hex().upper() for _ in range(n)]
open(path, "w").write("".join(p + "\n" for p in pws))
now = int(time.time())
print("INSERT INTO passwords (hash, single, created_at, expires_at) VALUES " +
      ", ".join("('%s', 0, %d, %d)" % (hashlib.sha256(p.encode()).hexdigest().upper(),
                now, now + 3600) for p in pws) + ";")
EOP
}

# pg_passwords NAME COUNT: COUNT passwords for that store in $T/passwords.
pg_passwords() {
	local db
	db=$(sed -n 's/^ConnInfo = .*dbname=\([^ ]*\) .*/\1/p' "$T/$1.ini")
	if ! grep -q '^Backend = postgresql' "$T/$1.ini"; then
		pw_sql "$2" | sqlite3 -cmd ".timeout 10000" "$T/state-$1/mscep.db" ||
		    die "passwords for $1"
	else
		pw_sql "$2" | PGPASSFILE=$T/pgpass psql -X -q -h 127.0.0.1 \
		    -p "$PGPORT" -U mscep -d "$db" >/dev/null || die "passwords for $1"
	fi
}

# nginx_pools NAME INI...: nginx with one upstream of one pool per INI
# (the W workers shared among them), then the load.
nginx_pools() {
	local name=$1 i=0 ini up=
	shift
	render nginx
	sed -i "s|fastcgi_pass[[:space:]]*unix:[^;]*;|fastcgi_pass bench_pools;|" \
	    "$T/run/mscep-locations.conf"
	for ini in "$@"; do
		i=$((i + 1))
		rm -f "$T/run/pool$i.sock"
		spawn "$MSCEP_BIN/mscep" -c "$ini" -n $((W / $#)) \
		    -s "$T/run/pool$i.sock" ${RUNAS:+-g $RUNAS}
		up="$up server unix:$T/run/pool$i.sock;"
	done
	cat > "$T/run/mscep.conf" <<-EOC
	large_client_header_buffers 4 64k;
	upstream bench_pools {$up }
	server { listen 127.0.0.1:$PORT; include $T/run/mscep-locations.conf; }
	EOC
	for i in $(seq 1 100); do
		[ "$(ls "$T"/run/pool*.sock 2>/dev/null | wc -l)" = $# ] && break
		sleep 0.1
	done
	spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
	wait_url "$URL?operation=GetCACaps" || die "nginx did not start"
	load "$name" "$URL" -P "$T/passwords"
	worker_memory "$name"
	stop_servers
}

# pg_counters [NAME COUNT]: without arguments, notes the cluster's
# counters; with them, adds what the run of COUNT enrollments since cost
# to PGWORK[NAME]: blocks read from outside shared_buffers and found in
# them, blocks the backends had to write themselves to make room, and WAL
# written, each per enrollment over every round so far. The whole
# cluster's, so one run at a time.
declare -A PGSUM PGWORK
pg_counters() {
	local now
	now=$(psql_q "SELECT (SELECT sum(blks_read) || ' ' || sum(blks_hit)
	    FROM pg_stat_database) || ' ' || (SELECT buffers_backend FROM
	    pg_stat_bgwriter) || ' ' || pg_wal_lsn_diff(pg_current_wal_lsn(),
	    '0/0')::bigint") || die "cannot read PostgreSQL's counters"
	if [ $# = 0 ]; then
		PGBEFORE=$now
		return 0
	fi
	PGSUM[$1]=$(echo "${PGSUM[$1]:-0 0 0 0 0}" "$PGBEFORE" "$now" "$2" |
	    awk '{ for (i = 1; i <= 4; i++) $i += $(i + 9) - $(i + 5)
	    printf "%.0f %.0f %.0f %.0f %.0f\n", $1, $2, $3, $4, $5 + $14 }')
	PGWORK[$1]=$(echo "${PGSUM[$1]}" | awk '{ n = $5
	    printf "%.1f blocks read, %.1f hit, %.2f written by the backend, %.1f KB WAL",
	    $1 / n, $2 / n, $3 / n, $4 / n / 1024 }')
}

# pg_fill DATABASE ROWS: ROWS synthetic certificates with their
# transactions and success events, as fill_store writes them to SQLite:
# serials led by the time, SHA-256-sized transactionIDs, DER of a real
# certificate's size, issued over the last 90 days.
pg_fill() {
	PGPASSFILE=$T/pgpass psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
	    -p "$PGPORT" -U mscep -d "$1" <<EOSQL >/dev/null || die "filling $1 failed"
SET maintenance_work_mem = '256MB';
CREATE TEMP TABLE fill AS
 SELECT i, '40' || lpad(upper(to_hex(t)), 8, '0') ||
	upper(substr(md5(i || 's' || r), 1, 22)) AS serial,
	upper(md5(i || 't' || r) || md5(i || 'u' || r)) AS txid,
	upper(substr(md5(i || 'k' || r) || md5(i || 'l' || r), 1, 40)) AS key_id, t
 FROM (SELECT i, $(date +%s) - 600 - (i * 7) % 7776000 AS t
	FROM generate_series(1, $2) i) g, (SELECT random()::text AS r) x;
INSERT INTO certificates (serial, subject, sans, template, not_before,
	not_after, der, transaction_id, key_id, issued_at)
 SELECT serial, '/O=mscep-test/CN=device-' || i, '', 'IPSECIntermediateOffline',
	t - 600, t + 31536000,
	substr(decode(repeat(md5(serial), ${DER_LEN:-873} / 16 + 1), 'hex'),
	1, ${DER_LEN:-873}), txid, key_id, t
 FROM fill ORDER BY serial;
INSERT INTO transactions (transaction_id, key_id, message_type, status,
	serial, created_at)
 SELECT txid, key_id, 19, 'issued', serial, t FROM fill ORDER BY txid;
INSERT INTO events (at, kind, transaction_id, serial, thumbprint, not_after,
	issuer, device_id, code, description)
 SELECT t, 'success', txid, serial, upper(substr(md5(txid), 1, 40)),
	t + 31536000, '/CN=mscep Issuing CA/O=mscep', NULL, 'Success', NULL
 FROM fill ORDER BY t;
VACUUM ANALYZE;
EOSQL
}

# ratio A B: RATE of store-A over store-B.
ratio() {
	awk -v a="${RATE[store-$1]}" -v b="${RATE[store-$2]}" \
	    'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

part_pg() {
	local r s per=$((N / ROUNDS)) t0 t1 bytes
	[ "$per" -gt 0 ] || die "BENCH_N must be at least BENCH_ROUNDS"
	[ -x "$PG_BIN/initdb" ] || die "the pg part needs PostgreSQL 15 in $PG_BIN"
	split_keys "$per"
	PG_EXTRA_CONF=${BENCH_PG_CONF:-} pg_init || die "PostgreSQL did not start"
	pg_store sqlite
	pg_store pg mscep_pg
	pg_store pg2 mscep_pg2
	cp -a "$T/state-pg2" "$T/state-pg2b"
	sed "s|^StateDir = .*|StateDir = $T/state-pg2b|" "$T/pg2.ini" > "$T/pg2b.ini"
	pg_store pgfull mscep_full
	note "pg: filling a PostgreSQL database with $PG_FILL certificates"
	t0=$(date +%s)
	pg_fill mscep_full "$PG_FILL"
	t1=$(date +%s)
	bytes=$(psql_q "SELECT pg_database_size('mscep_full') - pg_database_size('mscep_pg')")
	note "pg: $PG_FILL rows in $((t1 - t0)) s, $((bytes / 1048576)) MB"
	for r in $(seq 1 "$ROUNDS"); do
		for s in sqlite pg pg2 pgfull; do
			use_store "$s"
			pg_passwords "$s" "$per"
			[ "$s" = sqlite ] || DB_TICKS=1
			[ "$s" = sqlite ] || pg_counters
			if [ "$s" = pg2 ]; then
				LOAD_N=$per LOAD_KEYS=$T/keys-$r.pem \
				    nginx_pools "store-$s" "$T/pg2.ini" "$T/pg2b.ini"
			else
				LOAD_N=$per LOAD_KEYS=$T/keys-$r.pem \
				    nginx_pools "store-$s" "$INI"
			fi
			[ "$s" = sqlite ] || pg_counters "$s" "$per"
			DB_TICKS=
		done
	done
	for s in sqlite pg pg2 pgfull; do summarize "store-$s"; done
	extra_row "PostgreSQL vs SQLite, one host" \
	    "${RATE[store-pg]}/s vs ${RATE[store-sqlite]}/s: ratio $(ratio pg sqlite) (nginx + pool of $W, median of $ROUNDS paired runs of $per; range ${SPREAD[store-pg]} vs ${SPREAD[store-sqlite]})"
	extra_row " server CPU, PostgreSQL vs SQLite" \
	    "${CPUMS[store-pg]} (mscep + PostgreSQL) vs ${CPUMS[store-sqlite]} ms/request; errors ${FAILED[store-pg]} and ${FAILED[store-sqlite]}"
	extra_row "two pools of $((W / 2)) sharing one PostgreSQL" \
	    "${RATE[store-pg2]}/s vs ${RATE[store-pg]}/s for one pool of $W: ratio $(ratio pg2 pg) (range ${SPREAD[store-pg2]}; both pools on this one machine)"
	extra_row " server CPU, two pools vs one" \
	    "${CPUMS[store-pg2]} vs ${CPUMS[store-pg]} ms/request (mscep + PostgreSQL); errors ${FAILED[store-pg2]}"
	extra_row "PostgreSQL with $PG_FILL certificates" \
	    "${RATE[store-pgfull]}/s vs ${RATE[store-pg]}/s with an empty one: ratio $(ratio pgfull pg) (range ${SPREAD[store-pgfull]} vs ${SPREAD[store-pg]})"
	extra_row " server CPU, full vs empty PostgreSQL" \
	    "${CPUMS[store-pgfull]} vs ${CPUMS[store-pg]} ms/request; errors ${FAILED[store-pgfull]}; filled in $((t1 - t0)) s, $(awk -v b="$bytes" -v n="$PG_FILL" 'BEGIN { printf "%.2f MB per 10,000", b / n * 10000 / 1048576 }')"
	extra_row " PostgreSQL's work per enrollment, full vs empty" \
	    "${PGWORK[pgfull]} vs ${PGWORK[pg]} (all rounds; shared_buffers $(psql_q 'show shared_buffers'))"
	pg_stop
}

# CRL build: 100,000 of the store's certificates revoked (keyCompromise,
# so every entry carries a reason extension), then `mscep-admin crl
# --force` signs and publishes the CRL; the admin command reports the
# time of the build itself (number, read, sign, encode, atomic write),
# measured BENCH_ROUNDS times.
CRL_N=${BENCH_CRL_N:-100000}
part_crl() {
	local r ms times=() bytes
	fresh_store 0
	fill_store "$CRL_N"
	sqlite3 "$T/state/mscep.db" "UPDATE certificates SET status = 'revoked',
	    revoked_at = issued_at + 60, revoke_reason = 1;
	    UPDATE meta SET value = 1 WHERE name = 'crl_dirty'" >/dev/null ||
	    die "revoking the synthetic certificates failed"
	for r in $(seq 1 "$ROUNDS"); do
		ms=$($ADMIN crl --force 2>/dev/null |
		    sed -n 's/.*entries: \([0-9]*\), \([0-9]*\) ms.*/\1 \2/p')
		[ "${ms%% *}" = "$CRL_N" ] || die "mscep-admin crl --force: no $CRL_N-entry CRL ($ms)"
		times+=("${ms#* }")
	done
	bytes=$(stat -c %s "$T/state/crl/mscep.crl")
	openssl crl -inform DER -in "$T/state/crl/mscep.crl" \
	    -CAfile "$T/state/ca.crt" -noout 2>/dev/null ||
	    die "the 100,000-entry CRL does not verify"
	extra_row "CRL build for $CRL_N revoked" \
	    "$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%d ms median of %d (range %d-%d ms)", v[int((NR + 1) / 2)], NR, v[1], v[NR] }'), $((bytes / 1024)) KB DER, verified with openssl crl"
}

# This build against another one (BENCH_BASELINE, say the bin folder of a
# clone at an older commit): each takes its turn behind nginx with a pool of
# W workers, a fresh store and the same slice of the requester keys, ROUNDS
# times; the medians and their ratio, rate and server CPU per request.
part_baseline() {
	local r s per=$((N / ROUNDS)) here=$MSCEP_BIN here_admin=$ADMIN
	[ -n "${BENCH_BASELINE:-}" ] || die "the baseline part needs BENCH_BASELINE=DIR"
	[ -x "$BENCH_BASELINE/mscep" ] && [ -x "$BENCH_BASELINE/mscep-admin" ] ||
	    die "BENCH_BASELINE=$BENCH_BASELINE holds no mscep and mscep-admin"
	[ "$per" -gt 0 ] || die "BENCH_N must be at least BENCH_ROUNDS"
	split_keys "$per"
	for r in $(seq 1 "$ROUNDS"); do
		for s in baseline current; do
			if [ "$s" = baseline ]; then
				MSCEP_BIN=$BENCH_BASELINE
				ADMIN="$BENCH_BASELINE/mscep-admin -c $INI"
				INI_TEMPLATE=$BENCH_BASELINE/../etc/mscep.ini
			fi
			fresh_store "$per"
			LOAD_N=$per LOAD_KEYS=$T/keys-$r.pem nginx_pool "build-$s"
			MSCEP_BIN=$here
			ADMIN=$here_admin
			unset INI_TEMPLATE
		done
	done
	summarize build-baseline
	summarize build-current
	extra_row "this build vs $BENCH_BASELINE" \
	    "${RATE[build-current]}/s vs ${RATE[build-baseline]}/s: ratio $(awk -v a="${RATE[build-current]}" -v b="${RATE[build-baseline]}" 'BEGIN { printf "%.2f", a / b }') (nginx + pool of $W, median of $ROUNDS paired runs of $per; range ${SPREAD[build-current]} vs ${SPREAD[build-baseline]})"
	extra_row " server CPU, this build vs baseline" \
	    "${CPUMS[build-current]} vs ${CPUMS[build-baseline]} ms/request; errors ${FAILED[build-current]} and ${FAILED[build-baseline]}; memory: ${MEM[build-current]} vs ${MEM[build-baseline]}"
}

# The metrics page's cost: the same load behind nginx with [Metrics] Path
# set (each worker counts in its shared slot) and empty (no counting),
# taking turns ROUNDS times with the same keys.
part_metrics() {
	local r s per=$((N / ROUNDS))
	[ "$per" -gt 0 ] || die "BENCH_N must be at least BENCH_ROUNDS"
	split_keys "$per"
	for r in $(seq 1 "$ROUNDS"); do
		for s in on off; do
			fresh_store "$per"
			[ "$s" = on ] || sed -i '/^\[Metrics\]/,/^\[/ s|^Path *=.*|Path =|' "$INI"
			LOAD_N=$per LOAD_KEYS=$T/keys-$r.pem nginx_pool "metrics-$s"
		done
	done
	summarize metrics-on
	summarize metrics-off
	extra_row "metrics on vs off" \
	    "${RATE[metrics-on]}/s vs ${RATE[metrics-off]}/s: ratio $(awk -v a="${RATE[metrics-on]}" -v b="${RATE[metrics-off]}" 'BEGIN { printf "%.2f", a / b }') (nginx + pool of $W, median of $ROUNDS paired runs of $per; range ${SPREAD[metrics-on]} vs ${SPREAD[metrics-off]})"
	extra_row " server CPU, metrics on vs off" \
	    "${CPUMS[metrics-on]} vs ${CPUMS[metrics-off]} ms/request; errors ${FAILED[metrics-on]} and ${FAILED[metrics-off]}"
}

# hsm_token: a new SoftHSM2 token in $T/softhsm (SOFTHSM2_CONF exported,
# the PIN in a 0600 file); INIT_TOKEN gets the URI of the CA key that
# init makes there.
hsm_token() {
	local m=/usr/lib/softhsm/libsofthsm2.so
	[ -r "$m" ] || die "the signer part needs SoftHSM2 ($m; make deps)"
	rm -rf "$T/softhsm" && mkdir -p "$T/softhsm/tokens" ||
	    die "cannot create $T/softhsm"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	    "$T/softhsm/tokens" > "$T/softhsm/softhsm2.conf"
	export SOFTHSM2_CONF=$T/softhsm/softhsm2.conf
	softhsm2-util --init-token --free --label mscep-bench --pin 1234 \
	    --so-pin 5678 >/dev/null || die "softhsm2-util --init-token failed"
	(umask 077 && printf '1234\n' > "$T/softhsm/pin")
	INIT_TOKEN="pkcs11:token=mscep-bench;object=ca-1?module-path=$m&pin-source=file:$T/softhsm/pin"
}

# Every key in each worker against every key in the signer (mscep -S,
# [Signer] Socket: four round trips per PKCSReq, decrypt, certificate,
# CertRep, and the CRL's now and then), keys in files, and the signer
# with the CA key in a SoftHSM2 token (the RA keys in files): each takes
# its turn behind nginx with a pool of W workers, a fresh store and the
# same slice of the requester keys, ROUNDS times; medians of rate and of
# server CPU per request, the signer's processes counted with the
# workers' (SoftHSM runs inside the signer).
part_signer() {
	local r s per=$((N / ROUNDS)) x label
	[ "$per" -gt 0 ] || die "BENCH_N must be at least BENCH_ROUNDS"
	split_keys "$per"
	for r in $(seq 1 "$ROUNDS"); do
		for s in $SIGNER_MODES; do
			INIT_TOKEN=
			[ "$s" = hsm ] && hsm_token
			fresh_store "$per"
			INIT_TOKEN=
			if [ "$s" != inproc ]; then
				sed -i "s|^Socket *=.*|Socket = $T/run/signer.sock|" \
				    "$INI" || die "cannot set [Signer] Socket"
				mkdir -p "$T/run"
				spawn "$MSCEP_BIN/mscep" -S -c "$INI" -n "$CORES"
				for _ in $(seq 1 100); do
					[ -S "$T/run/signer.sock" ] && break
					sleep 0.1
				done
				[ -S "$T/run/signer.sock" ] || die "the signer did not start"
			fi
			LOAD_N=$per LOAD_KEYS=$T/keys-$r.pem nginx_pool "signer-$s"
		done
	done
	for s in $SIGNER_MODES; do
		summarize "signer-$s"
	done
	case " $SIGNER_MODES " in *" inproc "*) ;; *) return 0 ;; esac
	for s in $SIGNER_MODES; do
		[ "$s" != inproc ] || continue
		case $s in
		remote) label="keys in the workers vs in the signer (files)" ;;
		hsm) label="keys in the workers vs CA key in SoftHSM (signer)" ;;
		esac
		x=$(awk -v a="${RATE[signer-$s]}" -v b="${RATE[signer-inproc]}" \
		    'BEGIN { printf "%.2f", a / b }')
		extra_row "$label" \
		    "${RATE[signer-inproc]}/s vs ${RATE[signer-$s]}/s: ratio $x, target >= 0.90 $(verdict "$(awk -v x="$x" 'BEGIN { print (x >= 0.9) }')") (nginx + pool of $W, median of $ROUNDS paired runs of $per; range ${SPREAD[signer-inproc]} vs ${SPREAD[signer-$s]})"
		extra_row " server CPU, in the workers vs signer" \
		    "${CPUMS[signer-inproc]} vs ${CPUMS[signer-$s]} ms/request (signer included: $(median_of "$T/signer-$s.signer") ms, median of its runs); errors ${FAILED[signer-inproc]} and ${FAILED[signer-$s]}"
	done
}

# Long GETs: a query of about 30 KB (400 SANs) is over the FastCGI
# parameter limit, so the shipped lighttpd configuration runs mscep as a
# CGI, a new process per request (at most MaxCGIProcesses, set to W here,
# with W connections). Beside it, short GETs through the FastCGI workers,
# the same way; the two take turns ROUNDS times.
LONGGET_N=${BENCH_LONGGET_N:-200}
longget_run() {
	local name=$1
	shift
	fresh_store "$LONGGET_N"
	sed -i "s/^MaxCGIProcesses = .*/MaxCGIProcesses = $W/" "$INI"
	render lighttpd
	spawn lighttpd -D -f "$T/run/lighttpd.conf"
	wait_url "$URL?operation=GetCACaps" || die "lighttpd did not start"
	METHOD=get J=$W LOAD_N=$LONGGET_N load "$name" "$URL" \
	    -P "$T/passwords" "$@"
	stop_servers
}

part_longget() {
	local r len
	for r in $(seq 1 "$ROUNDS"); do
		longget_run shortget
		longget_run longget -s 400
	done
	summarize shortget
	summarize longget
	len=$(awk '/operation=PKIOperation&message=/ { print length($7) }' \
	    "$T/run/access.log" 2>/dev/null | sort -n | tail -1)
	extra_row "long GET, ${len:-?}-byte URL (CGI fallback)" \
	    "${RATE[longget]} enrollments/s, ${CPUMS[longget]} server CPU ms/request, p50/p95 ${P50[longget]}/${P95[longget]} ms, errors ${FAILED[longget]}/$((LONGGET_N * ROUNDS)) (lighttpd, $W connections, MaxCGIProcesses $W, median of $ROUNDS runs of $LONGGET_N)"
	extra_row " short GET through FastCGI" \
	    "${RATE[shortget]} enrollments/s, ${CPUMS[shortget]} server CPU ms/request, errors ${FAILED[shortget]}/$((LONGGET_N * ROUNDS)); long GET CPU $(awk -v a="${CPUMS[longget]}" -v b="${CPUMS[shortget]}" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }') of it"
}

# Module = intune: tests/tools/intune_standin.py (Entra ID, Graph and
# Intune over HTTPS, its own test CA) answers Intune's calls after
# BENCH_INTUNE_DELAY_MS; nginx and a pool of W workers, a fresh CA each
# of ROUNDS runs of N. Token requests and TLS handshakes are what the
# stand-in counted: reused, they stay at about one per worker (a Graph
# and an Intune token each; the three services share one host here).
INTUNE_DELAY_MS=${BENCH_INTUNE_DELAY_MS:-20}
STANDIN_PID=
standin_start() {
	local d=$T/intune i
	mkdir -p "$d/standin" || die "cannot create $d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" \
	    -out "$d/ca.crt" -days 2 -subj "/CN=bench Intune stand-in CA" 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -keyout "$d/tls.key" -out "$d/tls.csr" \
	    -subj "/CN=127.0.0.1" 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1\n' > "$d/ext" &&
	openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
	    -CAcreateserial -days 2 -extfile "$d/ext" -out "$d/tls.crt" 2>/dev/null &&
	printf 'bench-secret-%s\n' "$$" > "$d/secret" && chmod 644 "$d/secret" ||
	    die "cannot make the stand-in's certificates"
	python3 "$TOP/tests/tools/intune_standin.py" --dir "$d/standin" \
	    --cert "$d/tls.crt" --key "$d/tls.key" --client-id bench-client \
	    --tenant bench.onmicrosoft.com --secret-file "$d/secret" \
	    --delay-ms "$INTUNE_DELAY_MS" >>"$d/standin.log" 2>&1 &
	STANDIN_PID=$!
	for i in $(seq 1 100); do [ -s "$d/standin/port" ] && return 0; sleep 0.1; done
	die "the Intune stand-in did not start: $(tail -3 "$d/standin.log")"
}

# standin_count NAME: what the stand-in counted so far.
standin_count() {
	python3 -c "import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))" \
	    "$T/intune/standin/counts.json" "$1" 2>/dev/null || echo 0
}

part_intune() {
	local d=$T/intune url r t0 g0 i0 h0 tok=0 gr=0 it=0 hs=0 n
	standin_start
	url=https://127.0.0.1:$(cat "$d/standin/port")
	for r in $(seq 1 "$ROUNDS"); do
		rm -rf "$T/state" "$T/run"
		make_ini Module=intune TenantId=bench.onmicrosoft.com \
		    ClientId=bench-client ClientSecretFile="$d/secret" \
		    AuthorityURL="$url" GraphURL="$url" CABundle="$d/ca.crt" \
		    AllowDES=0 || die "make_ini"
		$ADMIN init --key "rsa:$BITS" --ra-key "rsa:$BITS" >/dev/null ||
		    die "mscep-admin init"
		TLS=1 render nginx
		start_pool "$W"
		[ -S "$T/run/mscep.sock" ] || die "the mscep pool did not start"
		spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
		wait_url "$URL?operation=GetCACaps" || die "nginx did not start"
		t0=$(standin_count token) g0=$(standin_count token_graph)
		i0=$(standin_count token_intune) h0=$(standin_count tls_connection)
		load intune "$URL" -p intune-ok-bench
		worker_memory intune
		stop_servers
		tok=$((tok + $(standin_count token) - t0))
		gr=$((gr + $(standin_count token_graph) - g0))
		it=$((it + $(standin_count token_intune) - i0))
		hs=$((hs + $(standin_count tls_connection) - h0))
	done
	kill "$STANDIN_PID" 2>/dev/null
	wait "$STANDIN_PID" 2>/dev/null
	STANDIN_PID=
	summarize intune
	n=$((N * ROUNDS))
	extra_row "Intune module, the stand-in answering after $INTUNE_DELAY_MS ms" \
	    "${RATE[intune]} enrollments/s, ${CPUMS[intune]} server CPU ms/request, p50/p95 ${P50[intune]}/${P95[intune]} ms, errors ${FAILED[intune]}/$n (nginx + pool of $W, $J connections, median of $ROUNDS runs of $N)"
	extra_row " per 1,000 Intune enrollments" \
	    "$(awk -v t="$tok" -v h="$hs" -v n="$n" 'BEGIN { printf "%.1f token requests, %.1f TLS handshakes", t * 1000 / n, h * 1000 / n }') (in all: $tok tokens = $gr Graph + $it Intune, $hs handshakes, for $((W * ROUNDS)) workers over $ROUNDS runs: $(awk -v t="$it" -v h="$hs" -v w="$((W * ROUNDS))" 'BEGIN { printf "%.2f Intune tokens and %.2f handshakes per worker", t / w, h / w }'))"
}

# ----------------------------------------------------------------- report

cell() { printf '%16s' "$1"; }

# server_table NAME...: the servers side by side.
server_table() {
	local names=("$@") base=${RATE[scepserver]:-} s
	printf '%-24s' ""
	for s in "${names[@]}"; do
		case $s in
		lighttpd) cell "mscep+lighttpd" ;;
		nginx) cell "mscep+nginx" ;;
		*) cell "$s" ;;
		esac
	done
	echo
	printf '%-24s' "enrollments/s"
	for s in "${names[@]}"; do cell "${RATE[$s]}"; done
	echo
	printf '%-24s' " range of the runs"
	for s in "${names[@]}"; do cell "${SPREAD[$s]}"; done
	echo
	printf '%-24s' " of which successful"
	for s in "${names[@]}"; do cell "$(good_rate "$s")"; done
	echo
	if [ -n "$base" ]; then
		printf '%-24s' "vs scepserver"
		for s in "${names[@]}"; do
			cell "$(awk -v a="${RATE[$s]}" -v b="$base" \
			    'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')"
		done
		echo
	fi
	if [ -n "$base" ]; then
		printf '%-24s' " successful vs scepsrv"
		for s in "${names[@]}"; do
			cell "$(awk -v a="$(good_rate "$s")" -v b="$(good_rate scepserver)" \
			    'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')"
		done
		echo
	fi
	printf '%-24s' "p50/p95/p99 ms"
	for s in "${names[@]}"; do cell "${P50[$s]}/${P95[$s]}/${P99[$s]}"; done
	echo
	printf '%-24s' "errors (all runs)"
	for s in "${names[@]}"; do cell "${FAILED[$s]}/$((N * RUNS[$s]))"; done
	echo
	printf '%-24s' "server CPU ms/request"
	for s in "${names[@]}"; do cell "${CPUMS[$s]:--}"; done
	echo
	if [ -n "$CEILING" ]; then
		printf '%-24s' "of the crypto ceiling"
		for s in "${names[@]}"; do
			cell "$(awk -v a="${RATE[$s]}" -v c="$CEILING" \
			    'BEGIN { printf "%.1f%%", 100 * a / c }')"
		done
		echo
	fi
	echo
}

report() {
	local s names=() v
	for s in lighttpd nginx scepserver; do
		[ -n "${RATE[$s]:-}" ] && names+=("$s")
	done
	echo
	echo "mscep benchmark: $N PKCSReq per run, median of $ROUNDS runs, $J connections, $METHOD, RSA-$BITS"
	echo "(CA, RA, scepserver CA, requesters), $W mscep workers, $CORES cores;"
	echo "mscep with one-time passwords, scepserver with a static challenge;"
	echo "load average at the start $LOAD_START, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	[ "${#names[@]}" -gt 0 ] && server_table "${names[@]}"
	if [ -n "$SIGN_PER_CORE" ]; then
		echo "RSA-$BITS private-key ops/s, one core (openssl speed): $SIGN_PER_CORE"
		echo "crypto ceiling: $CORES cores x $SIGN_PER_CORE / 3 ops per PKCSReq = $CEILING enrollments/s"
		echo "  (3 private-key ops = $(awk -v s="$SIGN_PER_CORE" 'BEGIN { printf "%.2f", 3000 / s }') CPU ms per enrollment)"
	fi
	for s in lighttpd nginx store-full scepserver intune; do
		[ -n "${MEM[$s]:-}" ] && printf '%-24s%s\n' "memory $s" "${MEM[$s]}"
	done
	for v in "${EXTRA[@]}"; do
		echo "${v%%|*}: ${v#*|}"
	done
	for s in "${names[@]}" store-empty store-full store-sqlite store-pg \
	    store-pg2 store-pgfull build-baseline build-current \
	    signer-inproc signer-remote signer-hsm metrics-on metrics-off intune; do
		[ "${FAILED[$s]:-0}" -gt 0 ] || continue
		echo "errors of $s, by reason (the load tool's words):"
		cat "$T/$s".*.out | grep '^FAIL reason=' | sed -e 's/^FAIL reason=//' \
		    -e 's/ txid=.*//' -e 's|: [^ ]*\.certs/[^ ]*\.pem exists| (a serial issued twice)|' |
		    sort | uniq -c | sort -rn | head -5 | sed 's/^/  /'
	done
	targets
}

# good_rate NAME: the load tool's rate counts every reply; this counts
# only the enrollments that passed every check.
good_rate() {
	awk -v r="${RATE[$1]}" -v p="${PASSED[$1]}" -v n="$((N * RUNS[$1]))" \
	    'BEGIN { printf "%.2f", r * p / n }'
}

# verdict OK?: "met" or "NOT met".
verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "NOT met"; fi; }

# floor_target: the 3 private-key operations of a PKCSReq (openssl speed,
# one core) against the server CPU per enrollment of the run with the
# least (every mscep process counted): how much of the work is the
# cryptography that cannot be avoided.
floor_target() {
	local s best= floor x
	[ -n "$SIGN_PER_CORE" ] || return 0
	for s in lighttpd nginx signer-inproc signer-remote; do
		[ -n "${CPUMS[$s]:-}" ] && [ "${CPUMS[$s]}" != - ] || continue
		[ -z "$best" ] || awk -v a="${CPUMS[$s]}" -v b="${CPUMS[$best]}" \
		    'BEGIN { exit !(a < b) }' && best=$s
	done
	[ -n "$best" ] || return 0
	floor=$(awk -v s="$SIGN_PER_CORE" 'BEGIN { printf "%.2f", 3000 / s }')
	x=$(awk -v f="$floor" -v c="${CPUMS[$best]}" 'BEGIN { printf "%.0f", 100 * f / c }')
	printf '  %-42s %-24s %s\n' ">= 60% of server CPU is the crypto floor" \
	    "$x% ($floor of ${CPUMS[$best]} ms, $best)" \
	    "$(verdict "$(awk -v x="$x" 'BEGIN { print (x >= 60) }')")"
}

targets() {
	local best=0 s x
	for s in lighttpd nginx; do
		[ -n "${RATE[$s]:-}" ] || continue
		best=$(awk -v a="${RATE[$s]}" -v b="$best" 'BEGIN { print (a > b) ? a : b }')
	done
	echo
	echo "performance targets (reported, not asserted):"
	if [ -n "${RATE[scepserver]:-}" ] && [ "$best" != 0 ]; then
		x=$(awk -v a="$best" -v b="${RATE[scepserver]}" 'BEGIN { printf "%.2f", a / b }')
		printf '  %-42s %-24s %s\n' ">= 3x scepserver's throughput" "${x}x (all replies)" \
		    "$(verdict "$(awk -v x="$x" 'BEGIN { print (x >= 3) }')")"
	fi
	if [ -n "$CEILING" ] && [ "$best" != 0 ]; then
		x=$(awk -v a="$best" -v c="$CEILING" 'BEGIN { printf "%.1f", 100 * a / c }')
		printf '  %-42s %-24s %s\n' ">= 60% of the crypto ceiling" "$x% (best mscep)" \
		    "$(verdict "$(awk -v x="$x" 'BEGIN { print (x >= 60) }')")"
	fi
	floor_target
	if [ -n "${HWM_MAX_KB:-}" ]; then
		x=$(awk -v h="$HWM_MAX_KB" 'BEGIN { printf "%.1f", h / 1024 }')
		printf '  %-42s %-24s %s\n' "worker RSS <= 10 MB" "$x MB (largest VmHWM)" \
		    "$(verdict "$(awk -v x="$x" 'BEGIN { print (x <= 10) }')")"
	fi
	if [ -n "$MILLION_RATIO" ]; then
		printf '  %-42s %-24s %s\n' ">= 0.9 rate ratio at $FILL certificates" \
		    "$MILLION_RATIO" \
		    "$(verdict "$(awk -v x="$MILLION_RATIO" 'BEGIN { print (x >= 0.9) }')")"
	fi
}

# ------------------------------------------------------------------- main

for p in $PARTS; do
	declare -F "part_$p" >/dev/null || die "unknown part '$p' (BENCH_PARTS)"
done
case " $PARTS " in
*" lighttpd "* | *" nginx "* | *" scepserver "* | *" million "* | *" longget "* | *" baseline "* | *" signer "* | *" intune "* | *" pg "* | *" metrics "*)
	ensure_keys ;;
esac
# speed first; the three servers take turns, ROUNDS times, so that load
# from elsewhere on the machine falls on all of them; then the rest.
for p in $PARTS; do
	[ "$p" = speed ] && part_speed
done
for _ in $(seq 1 "$ROUNDS"); do
	for p in $PARTS; do
		case $p in lighttpd | nginx | scepserver) "part_$p" ;; esac
	done
done
for p in lighttpd nginx scepserver; do
	summarize "$p"
done
for p in $PARTS; do
	case $p in speed | lighttpd | nginx | scepserver) ;; *) "part_$p" ;; esac
done
report
