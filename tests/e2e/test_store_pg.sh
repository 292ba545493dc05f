#!/usr/bin/env bash
# [Store] Backend = postgresql on a real PostgreSQL 15 (pg_lib.sh), through
# real lighttpd and scepcli: store migrate (workers refuse a missing or
# unknown schema), enrollment, transactionID idempotence, a password spent
# once across parallel clients, renewal, revocation + CRL + OCSP, the CRL
# number sequence, store copy round trip (PostgreSQL -> SQLite ->
# PostgreSQL -> SQLite with generated rows, counts and checksums),
# PostgreSQL stopped mid-run: PKIOperation FAILURE within seconds while
# GetCACert answers 200, enrollment again once it is back, and TLS to
# PostgreSQL with sslmode=verify-full (a server certificate from another
# CA refused, saying so).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
CLI=$MSCEP_BIN/scepcli
COPY_N=${COPY_N:-100000}

make_ini "Capabilities=AES, DES3, POSTPKIOperation, Renewal, SCEPStandard, SHA-1, SHA-256, SHA-512" \
    AllowRenewal=1 RevokeOnRenewal=1 PasswordMax=200 StatementTimeoutSeconds=2
pg_init || { not_ok "PostgreSQL 15 starts"; finish; exit 1; }
ok "PostgreSQL 15 runs as $PG_USER on 127.0.0.1:$PGPORT (pid $PGPID)"
store_ini_pg
pw() { $ADMIN password | tail -1; }
serial_in() { basename "$(ls "$1"/*.pem | head -1)" .pem; }

# --- schema versions ---------------------------------------------------------
check "without a schema the store is refused: run store migrate" \
    sh -c "$ADMIN list 2>&1 | grep -q 'no mscep schema: run mscep-admin store migrate'"
check "store migrate creates version 4" \
    sh -c "$ADMIN store migrate | grep -qx 'store migrate: PostgreSQL schema version 4 (created)'"
check "store migrate again: already there" \
    sh -c "$ADMIN store migrate | grep -q '(already)'"
psql_q "insert into mscep_schema values (99)" >/dev/null
check "a newer schema is refused with a clear message" \
    sh -c "$ADMIN list 2>&1 | grep -q 'schema is version 99, this mscep knows version 4 only: upgrade mscep'"
check "... and store migrate will not touch it" \
    sh -c "$ADMIN store migrate 2>&1 | grep -q 'newer than this'"
psql_q "delete from mscep_schema where version = 99" >/dev/null
check "ConnInfo with a password is refused" sh -c "
    sed 's|^ConnInfo = .*|ConnInfo = $PG_CONNINFO password=x|' '$INI' > '$T/pw.ini'
    $MSCEP_BIN/mscep-admin -c '$T/pw.ini' check 2>&1 | grep -q 'holds a password'"

$ADMIN init >/dev/null
check "init recorded nothing in SQLite" test ! -e "$T/state/mscep.db"
check "mscep-admin check accepts [Store] Backend = postgresql" $ADMIN check
start_lighttpd
pgc() { psql_q "select count(*) from certificates"; }

# --- enrollment --------------------------------------------------------------
check "enroll through lighttpd on PostgreSQL, each message sent twice" \
    "$CLI" -u "$URL" -p "$(pw)" --resubmit -o "$T/c1" enroll
S1=$(serial_in "$T/c1")
check "the certificate is in PostgreSQL" \
    test "$(psql_q "select count(*) from certificates where serial = '$S1'")" = 1
check "... with its transaction" \
    test "$(psql_q "select count(*) from transactions where serial = '$S1'")" = 1
check "mscep-admin list reads it from PostgreSQL" \
    sh -c "$ADMIN list | grep -q $S1"
check "mscep-admin status counts it from PostgreSQL" \
    sh -c "$ADMIN status | grep -q '^store  *$(pgc) certificates issued'"
check "no SQLite store appeared" test ! -e "$T/state/mscep.db"

# A password spent once, even by 8 clients at once.
P=$(pw)
for i in 1 2 3 4 5 6 7 8; do echo "$P"; done > "$T/same.pw"
n0=$(pgc)
"$CLI" -u "$URL" -P "$T/same.pw" -n 8 -j 8 --expect success \
    -o "$T/race" enroll > "$T/race.out" 2>&1
check "8 parallel clients with one password: exactly one certificate" \
    test "$(($(pgc) - n0))" = 1
check "... and every password handed out so far is spent" \
    test "$(psql_q "select count(*) from passwords")" = 0
for i in $(seq 1 20); do pw; done > "$T/pws"
check "20 enrollments, 4 at a time, 20 passwords" \
    "$CLI" -u "$URL" -P "$T/pws" -n 20 -j 4 -o "$T/many" enroll
check "... 20 more certificates" test "$(($(pgc) - n0))" = 21
check "the same 20 passwords again: all refused" \
    "$CLI" -u "$URL" -P "$T/pws" -n 20 -j 4 --expect failure enroll
check "... nothing issued" test "$(($(pgc) - n0))" = 21
check "no serial twice" \
    test "$(psql_q "select count(distinct serial) from certificates")" = "$(pgc)"

# --- renewal, revocation, CRL, OCSP -----------------------------------------
check "renewal signed by the old certificate" \
    "$CLI" -u "$URL" --cert "$T/c1/$S1.pem" --key "$T/c1/$S1.key" -o "$T/c2" enroll
S2=$(serial_in "$T/c2")
check "RevokeOnRenewal: the old one is superseded in PostgreSQL" \
    test "$(psql_q "select status || ':' || revoke_reason from certificates where serial = '$S1'")" = revoked:4
check "mscep-admin revoke $S2 --reason keyCompromise" \
    sh -c "$ADMIN revoke $S2 --reason keyCompromise | grep -qx 'revoked $S2 (keyCompromise)'"
check "revoking it again: already revoked" \
    sh -c "$ADMIN revoke $S2 | grep -q 'already revoked'"
check "mscep-admin crl --force publishes" $ADMIN crl --force
openssl crl -inform DER -in "$T/state/crl/mscep.crl" -noout -text > "$T/crl.txt" 2>&1
check "the CRL lists $S2 (keyCompromise)" \
    sh -c "grep -A4 'Serial Number: $S2' '$T/crl.txt' | grep -q 'Key Compromise'"
check "the CRL lists $S1 (superseded)" \
    sh -c "grep -A4 'Serial Number: $S1' '$T/crl.txt' | grep -q Superseded"
ocsp_says() { openssl ocsp -issuer "$T/state/ca.crt" -cert "$1" \
    -url "http://127.0.0.1:$PORT/ocsp" -CAfile "$T/state/ca.crt" 2>&1 |
    grep -q "$2"; }
check "OCSP says $S2 is revoked (keyCompromise)" \
    ocsp_says "$T/c2/$S2.pem" 'Reason: keyCompromise'
check "OCSP says $S1 is revoked (superseded)" \
    ocsp_says "$T/c1/$S1.pem" 'Reason: superseded'
check "OCSP says a certificate of the parallel run is good" \
    ocsp_says "$(ls "$T"/many/*.pem | head -1)" ': good'
n1=$(psql_q "select value from meta where name = 'crl_number'")
( $ADMIN crl --force & $ADMIN crl --force & $ADMIN crl --force & wait ) >/dev/null 2>&1
check "three CRLs built at once take three numbers of the one sequence" \
    test "$(psql_q "select value from meta where name = 'crl_number'")" = $((n1 + 3))

# --- PostgreSQL down ---------------------------------------------------------
pg_stop INT
P=$(pw 2>/dev/null)
check "with PostgreSQL down, mscep-admin password hands out nothing" \
    test -z "$P"
t0=$(date +%s%N)
"$CLI" -u "$URL" -p deadbeefdeadbeef --expect failure enroll > "$T/down.out" 2>&1
rc=$?
t1=$(date +%s%N)
check "PKIOperation answers FAILURE (a CertRep, not HTTP 500)" test "$rc" = 0
check "... within 5 seconds ($(( (t1 - t0) / 1000000 )) ms)" \
    test $(( (t1 - t0) / 1000000 )) -lt 5000
check "GetCACert still answers 200" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetCACert")" = 200
check "GetCACaps still answers 200" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetCACaps")" = 200
check "the log says why" grep -q \
    'result=FAILURE.*store lookup failed: .*cannot connect to PostgreSQL' "$T/run/mscep.log"
check "... on one line (libpq's newlines replaced)" sh -c "
    ! grep -v '^20[0-9-]*T[0-9:]*Z ' '$T/run/mscep.log' | grep -q 'Is the server running'"
# check warns, and passes: the workers start and answer GetCACert without it.
check "mscep-admin check with PostgreSQL down: passes" \
    sh -c "$ADMIN check > '$T/check-down.out' 2> '$T/check-down.err'"
check "... warning that the store does not answer" sh -c "
    grep -q 'warning: the store does not answer: .*PostgreSQL' '$T/check-down.err' &&
    grep -q 'configuration OK (.*the store not reachable' '$T/check-down.out'"
pg_start
P=$(pw)
ok_again=1
for i in $(seq 1 20); do
	"$CLI" -u "$URL" -p "$P" -o "$T/back" enroll >/dev/null 2>&1 && { ok_again=0; break; }
	sleep 0.5
done
check "PostgreSQL back: enrollment works again (try $i)" test "$ok_again" = 0

# Workers started while PostgreSQL is down serve GetCACert, fail
# PKIOperation, and use the database once it is back.
pg_stop INT
restart_lighttpd
check "workers start with PostgreSQL down: GetCACert 200" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=GetCACert")" = 200
check "... and PKIOperation answers FAILURE" \
    "$CLI" -u "$URL" -p deadbeefdeadbeef --expect failure enroll
pg_start
P=$(pw)
ok_again=1
for i in $(seq 1 20); do
	"$CLI" -u "$URL" -p "$P" -o "$T/back2" enroll >/dev/null 2>&1 && { ok_again=0; break; }
	sleep 0.5
done
check "... then enroll once it is back (try $i)" test "$ok_again" = 0

# A server that stops answering (frozen, or a network partition): the
# request fails after StatementTimeoutSeconds and a connect timeout, not
# never.
P=$(pw)
pg_procs="$PGPID $(descendants "$PGPID")"
kill -STOP $pg_procs
t0=$(date +%s%N)
"$CLI" -u "$URL" -p "$P" --expect failure enroll > "$T/frozen.out" 2>&1
rc=$?
t1=$(date +%s%N)
kill -CONT $pg_procs
check "PostgreSQL frozen: PKIOperation FAILURE in $(( (t1 - t0) / 1000000 )) ms (< 12 s)" \
    test "$rc" = 0 -a $(( (t1 - t0) / 1000000 )) -lt 12000
check "... the log says why (no answer, then a connect timeout)" \
    grep -q 'result=FAILURE.*store lookup failed: cannot connect to PostgreSQL.*timeout expired' "$T/run/mscep.log"
ok_again=1
for i in $(seq 1 20); do
	"$CLI" -u "$URL" -p "$P" -o "$T/back3" enroll >/dev/null 2>&1 && { ok_again=0; break; }
	sleep 0.5
done
check "... and the same password enrolls once it answers again (try $i)" \
    test "$ok_again" = 0

# --- store copy ----------------------------------------------------------------
stop_servers
psql_q "insert into certificates (serial, subject, sans, template, not_before,
    not_after, status, der, transaction_id, key_id, issued_at, device_id, ca_key)
    select 'GEN' || lpad(to_hex(i), 8, '0'), '/CN=gen-' || i, '', 'T', 1, 2 + i,
    'issued', decode(md5(i::text) || md5((i * 7)::text), 'hex'), 'gen-' || i,
    'k', i, case when i % 3 = 0 then null else 'dev' || i end, ''
    from generate_series(1, $COPY_N) i;
    insert into events (at, kind, transaction_id, code, description)
    select i, 'failure', 'gen-' || i, 'x', 'line ' || i || ' é'
    from generate_series(1, 100) i" >/dev/null
total=$(pgc)
t0=$(date +%s)
# Without -c: the INI named as FROM is the configuration.
check "store copy postgresql -> sqlite ($total certificates)" \
    sh -c "${ADMIN% -c *} store copy '$INI' 'sqlite:$T/a.db' > '$T/copy1.out'"
PGPASSFILE=$T/pgpass "$PG_BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U mscep mscep2
PG2=${PG_CONNINFO/dbname=mscep/dbname=mscep2}
check "store copy sqlite -> postgresql (a new database)" \
    sh -c "$ADMIN store copy 'sqlite:$T/a.db' 'postgresql:$PG2' > '$T/copy2.out'"
check "store copy postgresql -> sqlite again" \
    sh -c "$ADMIN store copy 'postgresql:$PG2' 'sqlite:$T/b.db' > '$T/copy3.out'"
t1=$(date +%s)
sed 's/^/# /' "$T/copy1.out"
check "the three copies report the same rows and checksums ($((t1 - t0)) s)" \
    sh -c "grep -v '^store' '$T/copy1.out' > '$T/s1'; grep -v '^store' '$T/copy2.out' > '$T/s2';
      grep -v '^store' '$T/copy3.out' > '$T/s3'; cmp '$T/s1' '$T/s2' && cmp '$T/s1' '$T/s3'"
check "... with $total certificates" grep -qx "certificates $total [0-9a-f]*" "$T/s1"
check "the round trip's SQLite files hold the same rows" \
    test "$(sqlite3 "$T/a.db" .dump | grep INSERT | md5sum)" = "$(sqlite3 "$T/b.db" .dump | grep INSERT | md5sum)"
check "copying into a non-empty store is refused" \
    sh -c "$ADMIN store copy '$INI' 'sqlite:$T/a.db' 2>&1 | grep -q 'target is not empty: certificates has'"
check "... and left it as it was" \
    test "$(sqlite3 "$T/a.db" 'select count(*) from certificates')" = "$total"

# --- sslmode=verify-full ---------------------------------------------------------
pg_stop INT
if pg_tls && pg_start; then
	ok "PostgreSQL restarts taking TLS connections only"
else
	not_ok "PostgreSQL restarts taking TLS connections only"
fi
check_not "... a connection without TLS is refused" \
    psql -X -q -t -c 'select 1' "$PG_CONNINFO sslmode=disable"
PLAIN=$PG_CONNINFO
PG_CONNINFO="$PLAIN sslmode=verify-full sslrootcert=$PGDIR/tls/ca.crt"
store_ini_pg
check "ConnInfo with sslmode=verify-full and the server's CA: mscep-admin list" \
    sh -c "$ADMIN list | grep -q $S1"
start_lighttpd
check "... and enrollment through lighttpd" "$CLI" -u "$URL" -p "$(pw)" -o "$T/tls" enroll
check "... whose workers' connections use TLS" test "$(psql_q "select count(*)
    from pg_stat_ssl join pg_stat_activity using (pid) where ssl and
    usename = 'mscep' and pid <> pg_backend_pid()")" -gt 0
stop_servers
PG_CONNINFO="$PLAIN sslmode=verify-full sslrootcert=$PGDIR/tls/other-ca.crt"
store_ini_pg
$ADMIN list > "$T/wrongroot.out" 2>&1
grep '^mscep-admin' "$T/wrongroot.out" | sed 's/^/# /'
check "a server certificate from another CA is refused: mscep-admin list says so" \
    grep -q '^mscep-admin: list: cannot connect to PostgreSQL.*certificate verify failed' "$T/wrongroot.out"
check "... mscep-admin password too" sh -c "$ADMIN password 2>&1 |
    grep -q '^mscep-admin: cannot store the password: cannot connect to PostgreSQL.*certificate verify failed'"
start_lighttpd
check "... PKIOperation answers FAILURE" \
    "$CLI" -u "$URL" -p deadbeefdeadbeef --expect failure enroll
check "... and the log says why" grep -q \
    'result=FAILURE.*cannot connect to PostgreSQL.*certificate verify failed' "$T/run/mscep.log"
finish
