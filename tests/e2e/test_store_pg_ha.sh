#!/usr/bin/env bash
# Two hosts, one CA, one PostgreSQL (docs/operations.md, "High
# availability"): two mscep pools with separate state folders holding the
# same CA certificate and keys, behind one nginx upstream, share one
# PostgreSQL 15 (pg_lib.sh). 8 clients (two scepcli runs of 4, contending
# for the same one-time passwords) enroll while pool A hangs and is killed
# (SIGSTOP, then SIGKILL, as a host that dies) and then PostgreSQL
# restarts. Afterwards: every
# certificate a client received is in the database as received, no serial
# twice, every password spent by at most one certificate and spent only
# where one was issued, every failure a FAILURE CertRep or nginx's 502/503
# (never a 500), and pool A, started again, answers OCSP and GetCRL as
# pool B does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
CLI=$MSCEP_BIN/scepcli
HA_N=${HA_N:-200}	# requests per scepcli run (each password twice)
HA_PACE=${HA_PACE:-400}	# ms each client pauses after an exchange

make_ini PasswordMax=$((HA_N + 20)) StatementTimeoutSeconds=2
pg_init || { not_ok "PostgreSQL 15 starts"; finish; exit 1; }
store_ini_pg
$ADMIN store migrate >/dev/null && $ADMIN init >/dev/null ||
    { not_ok "store migrate and init"; finish; exit 1; }

# Host B: a copy of the state folder (CA and RA certificates and keys),
# its own INI pointing there; the store is the shared database.
INIB=$T/mscep-b.ini
cp -a "$T/state" "$T/stateB"
sed "s|^StateDir = .*|StateDir = $T/stateB|" "$INI" > "$INIB"
ADMINB="$MSCEP_BIN/mscep-admin -c $INIB"
check "host B has the same CA" cmp "$T/state/ca.crt" "$T/stateB/ca.crt"

# nginx: one upstream of both pools on $PORT, and each pool alone on
# $PORTA and $PORTB (to compare their answers); the shipped locations,
# rendered three times.
render nginx
PORTA=$(free_port)
PORTB=$(free_port)
loc=$T/run/mscep-locations.conf
for p in ha a b; do
	case $p in
	ha) pass=mscep_ha ;;
	*) pass=unix:$T/run/$p.sock ;;
	esac
	sed -e "s|fastcgi_pass[[:space:]]*unix:[^;]*;|fastcgi_pass $pass;|" "$loc" > "$T/run/loc-$p.conf"
done
sed -i "s|$T/state/|$T/stateB/|g" "$T/run/loc-b.conf"
cat > "$T/run/mscep.conf" <<EOF
large_client_header_buffers 4 64k;
upstream mscep_ha {
	server unix:$T/run/a.sock;
	server unix:$T/run/b.sock;
}
server { listen 127.0.0.1:$PORT; include $T/run/loc-ha.conf; }
server { listen 127.0.0.1:$PORTA; include $T/run/loc-a.conf; }
server { listen 127.0.0.1:$PORTB; include $T/run/loc-b.conf; }
EOF
check "nginx -t accepts the two-pool configuration" \
    nginx -t -q -c "$T/run/nginx.conf" -p "$T/run"

# pool NAME INI: mscep -n 2 on $T/run/NAME.sock; POOL_NAME = its PID.
pool() {
	rm -f "$T/run/$1.sock"
	spawn "$MSCEP_BIN/mscep" -c "$2" -n 2 -s "$T/run/$1.sock" ${RUNAS:+-g $RUNAS}
	eval "POOL_$1=$LAST_PID"
	for _ in $(seq 1 100); do
		[ -S "$T/run/$1.sock" ] && return 0
		sleep 0.1
	done
	return 1
}
pool a "$INI"
pool b "$INIB"
spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
NGINX=$LAST_PID
wait_url "$URL?operation=GetCACaps" &&
    wait_url "http://127.0.0.1:$PORTA/certsrv/mscep/mscep.dll?operation=GetCACaps" &&
    wait_url "http://127.0.0.1:$PORTB/certsrv/mscep/mscep.dll?operation=GetCACaps"
check "both pools answer through nginx" test $? = 0

# --- 8 clients, pool A killed, PostgreSQL restarted ---------------------------
# The passwords: two from mscep-admin password, the rest written straight
# into the table as it does (the SHA-256 of the upper-cased password,
# valid for an hour), as 200 admin runs would take most of a minute here.
# $T/pw.hash: index (from 0, as scepcli counts) and hash of each line.
{ $ADMIN password | tail -1; $ADMIN password | tail -1; } > "$T/pws"
python3 - "$T/pws" "$HA_N" "$T/pw.hash" > "$T/pw.sql" <<'EOP'
import hashlib, os, sys, time
path, n, hashes = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pws = open(path).read().split()
pws += [os.urandom(16).hex().upper() for _ in range(n - len(pws))]
open(path, "w").write("".join(p + "\n" for p in pws))
now = int(time.time())
h = [hashlib.sha256(p.upper().encode()).hexdigest().upper() for p in pws]
with open(hashes, "w") as f:
    f.writelines("%d %s\n" % (i, x) for i, x in enumerate(h))
print("insert into passwords (hash, single, created_at, expires_at) values " +
      ", ".join("('%s', 0, %d, %d)" % (x, now, now + 3600) for x in h[2:]) + ";")
EOP
psql_q "$(cat "$T/pw.sql")" >/dev/null
check "$HA_N passwords handed out" \
    test "$(psql_q "select count(*) from passwords")" = "$HA_N"
n_before=$(psql_q "select count(*) from certificates")
t_start=$(date +%s)
for c in 1 2; do
	"$CLI" -u "$URL" -P "$T/pws" -n "$HA_N" -j 4 -k ec:P-256 --cn "ha$c" \
	    --pace "$HA_PACE" --timeout 30 -o "$T/certs$c" enroll \
	    > "$T/client$c.out" 2> "$T/client$c.err" &
	eval "CLIENT$c=\$!"
done
# The clients prepare their requests first (seconds under ASan): the
# events begin once certificates are being issued through both pools.
for _ in $(seq 1 600); do
	[ "$(psql_q "select count(*) from certificates")" -ge $((n_before + 8)) ] &&
	    break
	sleep 0.1
done
sleep 2
# Pool A hangs for a second (SIGSTOP: nginx's requests wait in its
# socket's queue), then dies (SIGKILL), as a host that fails: those
# requests were sent, so nginx answers them 502 rather than resend a POST.
a_procs="$POOL_a $(descendants "$POOL_a")"
kill -STOP $a_procs
sleep 1
{ kill -KILL $a_procs; wait "$POOL_a"; } 2>/dev/null
t_kill=$(date +%s)
sleep 3
pg_stop INT
sleep 1
pg_start
t_pg=$(date +%s)
wait "$CLIENT1" "$CLIENT2"
t_end=$(date +%s)
cat "$T/client1.out" "$T/client2.out" > "$T/clients.out"
n_ok=$(grep -c '^OK ' "$T/clients.out")
n_ref=$(grep -c '^FAIL reason=expected SUCCESS, got FAILURE' "$T/clients.out")
n_http=$(grep -cE '^FAIL reason=HTTP status 50[23] ' "$T/clients.out")
echo "# $((t_end - t_start)) s: $n_ok certificates, $n_ref FAILURE CertReps," \
    "$n_http HTTP 502/503 of $((2 * HA_N)) requests; pool A killed at" \
    "$((t_kill - t_start)) s, PostgreSQL back at $((t_pg - t_start)) s"
grep '^FAIL' "$T/clients.out" | sed -e 's/ txid=.*//' | sort | uniq -c | sed 's/^/#   /'
check "every request got an answer the client could read" \
    test "$(grep -cE '^(OK|FAIL) ' "$T/clients.out")" = $((2 * HA_N))
check "every failure is a FAILURE CertRep or nginx's 502/503" \
    test "$((n_ok + n_ref + n_http))" = $((2 * HA_N))
check_not "... never an HTTP 500" grep -q 'HTTP status 500' "$T/clients.out"
check "the requests pool A held when it died got nginx's 502" test "$n_http" -gt 0
check "certificates were issued (at least a third of the passwords)" \
    test "$n_ok" -ge $((HA_N / 3))
# What the database holds of this run: serial, the request index from
# CN=haC-PID-INDEX, SHA-256 of the DER.
psql_q "select serial || ' ' || substring(subject from 'CN=ha[12]-[0-9]+-([0-9]+)') || ' ' ||
    encode(sha256(der), 'hex') from certificates where subject like '%CN=ha_-%'" |
    sort > "$T/db.certs"
check "enrollments went on after PostgreSQL came back" \
    test "$(psql_q "select count(*) from certificates where issued_at > $t_pg")" -gt 0
check "... and pool B issued after pool A died" \
    test "$(psql_q "select count(*) from certificates where issued_at > $t_kill")" -gt 0

# Every certificate a client received is in the database, as received.
python3 - "$T"/certs1/*.pem "$T"/certs2/*.pem > "$T/client.certs" <<'EOP'
import base64, hashlib, os, sys
for f in sys.argv[1:]:
    if not os.path.exists(f):
        continue
    b64 = "".join(l for l in open(f).read().split("\n") if l and "-----" not in l)
    print(os.path.basename(f)[:-4], hashlib.sha256(base64.b64decode(b64)).hexdigest())
EOP
sort -o "$T/client.certs" "$T/client.certs"
check "the clients wrote the $n_ok certificates they received" \
    test "$(wc -l < "$T/client.certs")" = "$n_ok"
check "every certificate a client received is in PostgreSQL, byte for byte" \
    sh -c "awk '{ print \$1, \$3 }' '$T/db.certs' | join - '$T/client.certs' | wc -l | grep -qx $n_ok"
check "no serial issued twice (clients)" \
    test -z "$(grep '^OK ' "$T/clients.out" | sed 's/ txid.*//' | sort | uniq -d)"
check "no serial twice (PostgreSQL)" \
    test "$(psql_q "select count(distinct serial) from certificates")" = \
    "$(psql_q "select count(*) from certificates")"
check "each password is in at most one certificate" \
    test -z "$(awk '{ print $2 }' "$T/db.certs" | sort | uniq -d)"
# A password is spent (gone from the table) exactly where a certificate
# was issued for it: none spent by a request that failed.
psql_q "select hash from passwords" | tr a-f A-F | sort > "$T/db.unspent"
awk '{ print $2 }' "$T/db.certs" | sort -u > "$T/issued.idx"
check "every password with a certificate is spent" sh -c "
    awk 'NR == FNR { i[\$1] = 1; next } (\$1 in i) { print \$2 }' '$T/issued.idx' '$T/pw.hash' |
    sort | comm -12 - '$T/db.unspent' | wc -l | grep -qx 0"
check "every password without a certificate is unspent" sh -c "
    awk 'NR == FNR { i[\$1] = 1; next } !(\$1 in i) { print \$2 }' '$T/issued.idx' '$T/pw.hash' |
    sort | comm -23 - '$T/db.unspent' | wc -l | grep -qx 0"
check "the clients' certificates are from $(wc -l < "$T/issued.idx") passwords, the database's too" \
    test "$(wc -l < "$T/db.certs")" = "$(wc -l < "$T/issued.idx")"

# --- pool A back: CRL and OCSP agree --------------------------------------------
pool a "$INI"
check "pool A starts again" wait_url \
    "http://127.0.0.1:$PORTA/certsrv/mscep/mscep.dll?operation=GetCACaps"
S_REV=$(awk 'NR == 1 { print $1 }' "$T/client.certs")
S_GOOD=$(awk 'NR == 2 { print $1 }' "$T/client.certs")
cert_of() { ls "$T"/certs*/"$1.pem"; }
key_of() { ls "$T"/certs*/"$1.key"; }
check "mscep-admin revoke on host B" \
    sh -c "$ADMINB revoke $S_REV --reason keyCompromise | grep -q 'revoked $S_REV'"
ocsp_at() { openssl ocsp -issuer "$T/state/ca.crt" -cert "$(cert_of "$2")" \
    -url "http://127.0.0.1:$1/ocsp" -CAfile "$T/state/ca.crt" 2>&1 |
    grep -E ': (good|revoked|unknown)|Reason'; }
for s in "$S_REV" "$S_GOOD"; do
	ocsp_at "$PORTA" "$s" > "$T/ocsp-a.$s"
	ocsp_at "$PORTB" "$s" > "$T/ocsp-b.$s"
done
check "OCSP at pool A: $S_REV revoked (keyCompromise)" \
    grep -q 'Reason: keyCompromise' "$T/ocsp-a.$S_REV"
check "OCSP at pool A: $S_GOOD good" grep -q ': good' "$T/ocsp-a.$S_GOOD"
check "OCSP: pool B answers as pool A" sh -c "
    cmp '$T/ocsp-a.$S_REV' '$T/ocsp-b.$S_REV' && cmp '$T/ocsp-a.$S_GOOD' '$T/ocsp-b.$S_GOOD'"
# getcrl_at PORT: the revoked serials of the CRL that pool's GetCRL gives.
getcrl_at() {
	"$CLI" -u "http://127.0.0.1:$1/certsrv/mscep/mscep.dll" \
	    --cert "$(cert_of "$S_GOOD")" --key "$(key_of "$S_GOOD")" \
	    getcrl --crl-out "$T/crl.$1" >/dev/null 2>&1 &&
	openssl crl -inform DER -in "$T/crl.$1" -noout -text |
	    sed -n 's/.*Serial Number: //p' | sort
}
getcrl_at "$PORTB" > "$T/crl-b.serials"
check "GetCRL at pool B (where it was revoked) lists $S_REV" \
    grep -qx "$S_REV" "$T/crl-b.serials"
# Host B built its CRL and cleared the database's dirty mark; the
# revocation also asked every host for a CRL numbered at least as high
# (crl_wanted): pool A's GetCRL builds again rather than serve its older one.
cp "$T/crl.$PORTB" "$T/crl-b.der"
getcrl_at "$PORTA" > "$T/crl-a.serials"
check "GetCRL at pool A lists $S_REV too (no crl --force there)" \
    grep -qx "$S_REV" "$T/crl-a.serials"
check "... the two CRLs list the same serials" cmp "$T/crl-a.serials" "$T/crl-b.serials"
crlno() { openssl crl -inform DER -in "$1" -noout -crlnumber | sed 's/.*=\(0x\)*//'; }
check "... and their numbers come from one sequence (B $(crlno "$T/crl-b.der"), A $(crlno "$T/crl.$PORTA"))" \
    test "$((16#$(crlno "$T/crl.$PORTA")))" -gt "$((16#$(crlno "$T/crl-b.der")))"
getcrl_at "$PORTB" > /dev/null
check "... and B does not build again for A's newer one (no ping-pong)" \
    cmp "$T/crl-b.der" "$T/crl.$PORTB"
finish
