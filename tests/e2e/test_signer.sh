#!/usr/bin/env bash
# The signer (mscep -S, [Signer] Socket): lighttpd's workers, run as the
# web server's user when the test runs as root, cannot read the CA or
# OCSP key and still enroll, answer GetCRL and OCSP, every signature
# asked of the signer over its Unix socket and logged there with the
# transaction ID. The signer refuses a CA certificate, a foreign issuer
# and a malformed frame sent straight to its socket; stopped, the workers
# answer HTTP 503 at once and keep running; hung, they give up after
# TimeoutMs; started again, enrollment works. The RA keys are the
# signer's too: it decrypts each request's envelope and signs CertRep.
# Then Apache (mod_fcgid, mod_proxy_fcgi) and nginx with the pool enroll
# through the same signer, their workers holding no key.
. "$(dirname "$0")/lib.sh"

CLI=$MSCEP_BIN/scepcli
CA=$T/state/ca.crt
SOCK=$T/run/signer.sock
SLOG=$T/run/signer.log
mkdir -p "$T/run"
chmod 755 "$T/run"

make_ini PasswordMax=120 IncludeOCSP=1 Socket="$SOCK" TimeoutMs=1500 \
    ${RUNAS:+Group=$RUNAS}
sed -i "/^\[OCSP\]/,/^\[/ s|^URL *=.*|URL = http://127.0.0.1/ocsp|" "$INI"
$ADMIN init >/dev/null
# Apache's and nginx's shipped sites serve HTTPS too (see the end).
$ADMIN tls-cert --name localhost --name 127.0.0.1 >/dev/null
check "mscep-admin check accepts [Signer] Socket" $ADMIN check

# The workers' user owns the state (the store stays writable); every
# private key stays the signer's (root's, 0600): CA, RA signing, RA
# encryption, OCSP.
KEYS="ca.key ra-sign.key ra-enc.key ocsp.key"
if [ -n "$RUNAS" ]; then
	give_state "$RUNAS"
	for k in $KEYS; do
		chown root:root "$T/state/private/$k"
		chmod 600 "$T/state/private/$k"
	done
	chmod 711 "$T/state/private"
	for k in $KEYS; do
		check "the workers' user cannot read private/$k" \
		    unreadable_by "$RUNAS" "$T/state/private/$k"
	done
	check "... but can read ca.crt (these checks can fail)" \
	    as_user "$RUNAS" cat "$T/state/ca.crt"
	# mscep.service's ExecStartPre, as the workers' user: it checks
	# what a worker loads, the certificates, not the signer's keys.
	check "mscep-admin check as the workers' user, the keys the signer's" \
	    $ADMIN check
else
	echo "# not root: the workers run as this user and could read the keys"
fi

# A key it cannot read: the signer says which and stops before it
# listens, so a socket that exists is a signer that can sign.
sed 's/^CADirect *=.*/CADirect = 1/' "$INI" > "$T/direct.ini"
grep -q '^CADirect = 1' "$T/direct.ini" || echo 'CADirect = 1' >> "$T/direct.ini"
check "mscep -S with CADirect = 1: exits non-zero" \
    sh -c "! timeout 20 '$MSCEP_BIN/mscep' -S -c '$T/direct.ini' -n 1 > '$T/direct.out' 2>&1"
check "... saying why (the CA key a decryption oracle)" \
    grep -q 'signer cannot start: \[Service\] CADirect = 1: .*padding oracle' "$T/direct.out"
mv "$T/state/private/ca.key" "$T/ca.key.away"
check "mscep -S with the CA key missing: exits non-zero" \
    sh -c "! timeout 20 '$MSCEP_BIN/mscep' -S -c '$INI' -n 1 > '$T/nokey.out' 2>&1"
sed 's/^/# /' "$T/nokey.out"
check "... naming the key" grep -q 'signer cannot start: .*ca.key' "$T/nokey.out"
check "... before it listened or started a pool member" sh -c "
    test ! -e '$SOCK' && ! grep -q 'workers on the socket' '$T/nokey.out'"
mv "$T/ca.key.away" "$T/state/private/ca.key"

render lighttpd
# As Debian's lighttpd.conf: lighttpd drops to the web server's user, and
# so do the workers it spawns (their FastCGI socket in run/).
if [ -n "$RUNAS" ]; then
	printf 'server.username = "%s"\nserver.groupname = "%s"\n' \
	    "$RUNAS" "$RUNAS" >> "$T/run/lighttpd.conf"
	chown "$RUNAS" "$T/run"
fi
# The signer reads the templates' CDP and AIA from the INI too: set
# before it starts (or reload it after).
OCSP=http://127.0.0.1:$PORT/ocsp
sed -i "/^\[OCSP\]/,/^\[/ s|^URL *=.*|URL = $OCSP|" "$INI"
start_signer "$SOCK" "$SLOG"
check "mscep -S listens on [Signer] Socket" test -S "$SOCK"
check "... mode 0660" test "$(stat -c %a "$SOCK")" = 660
[ -n "$RUNAS" ] &&
    check "... group $RUNAS" test "$(stat -c %G "$SOCK")" = "$RUNAS"
# Its ledger of serials ([Signer] Ledger, $T/signer/: make_ini): made at
# start, its own.
check "... its ledger made, 0600 in a 0700 folder" test \
    "$(stat -c %a "$T/signer/signed.db"):$(stat -c %a "$T/signer")" \
    = 600:700
[ -n "$RUNAS" ] && check "... which the workers' user cannot read" \
    unreadable_by "$RUNAS" "$T/signer/signed.db"

spawn lighttpd -D -f "$T/run/lighttpd.conf"
wait_url "$URL?operation=GetCACaps"

enroll() {
	mkdir -p "$T/certs/$1"
	$CLI -u "$URL" -p "$($ADMIN password)" -o "$T/certs/$1" enroll \
	    >"$T/$1.out" 2>&1 && ls "$T"/certs/"$1"/*.pem
}

CERT=$(enroll a)
check "enrolled through the signer" test -f "$CERT"
check "... the certificate verifies against the CA" \
    openssl verify -CAfile "$CA" "$CERT"
check "the signer logged the signature with the transaction ID" \
    grep -qE 'op=sign what=cert txid=[0-9A-Fa-f]+ id=[0-9A-F]+ result=signed' "$SLOG"
check "no worker holds a key: the workers never read one" \
    sh -c "! grep -q 'cannot read the private key' '$T/run/mscep.log'"
check "... each request's envelope decrypted by the signer" \
    grep -qE 'op=sign what=decrypt txid=[0-9A-Fa-f]+ id=1 result=decrypted' "$SLOG"
check "... its CertRep signed by the signer" \
    grep -qE 'op=sign what=cms txid=[0-9A-Fa-f]+ id=certrep result=signed' "$SLOG"

# workers: the PIDs of the web server's mscep processes for this test
# (their environment or, for the pool, their command line names this
# INI), the signer's processes (mscep -S) left out.
workers() {
	for p in $(pgrep -x mscep); do
		tr '\0' '\n' < /proc/$p/cmdline 2>/dev/null | grep -qx -- -S &&
		    continue
		{ tr '\0' '\n' < /proc/$p/environ 2>/dev/null |
		    grep -qx "MSCEP_CONFIG=$INI" ||
		    tr '\0' '\n' < /proc/$p/cmdline 2>/dev/null |
		    grep -qx -- "$INI"; } && echo "$p"
	done
}
W=$(workers)
check "lighttpd's workers found ($(echo $W))" test -n "$W"
# No file under private/ open in any worker; a key read once and closed
# would have needed read access, which the workers' user lacks above.
open_keys() {
	for p in $W; do
		ls -l /proc/$p/fd 2>/dev/null | grep -F "$T/state/private"
	done
}
check "no worker has a key file open (/proc/PID/fd)" test -z "$(open_keys)"
users=$(for p in $W; do ps -o user= -p "$p"; done | sort -u | xargs)
[ -n "$RUNAS" ] && check "... the workers run as $RUNAS ($users)" \
    test "$users" = "$RUNAS"

# GetCRL: the published CRL removed, the worker builds it again.
rm -f "$T/state/crl/mscep.crl"
S=$(basename "$CERT" .pem)
check "GetCRL answers" "$CLI" -u "$URL" --cert "$CERT" \
    --key "$T/certs/a/$S.key" --crl-out "$T/getcrl.der" getcrl
check "... a CRL the CA signed" openssl crl -inform DER -in "$T/getcrl.der" \
    -CAfile "$CA" -noout
check "... signed by the signer" grep -q 'op=sign what=crl .*result=signed' "$SLOG"

openssl ocsp -issuer "$CA" -cert "$CERT" -url "$OCSP" -CAfile "$CA" \
    > "$T/ocsp.out" 2>&1
sed 's/^/# ocsp: /' "$T/ocsp.out"
check "OCSP says good" grep -q "^$CERT: good" "$T/ocsp.out"
check "... and the answer verifies" grep -qx "Response verify OK" "$T/ocsp.out"
check "... signed by the signer" grep -q 'op=sign what=ocsp txid=ocsp id=1 result=signed' "$SLOG"

# Straight to the socket, as a worker taken over would.
ask() { python3 "$TOP/tests/tools/sigwire_ask.py" "$SOCK" "$@"; }
openssl x509 -in "$CA" -outform DER -out "$T/ca.der"
ask cert "$T/ca.der" > "$T/forged.out" 2>&1
check "the signer refuses to sign a CA certificate" \
    grep -q '^refused: a CA certificate' "$T/forged.out"
check "... and logs the refusal" grep -q 'what=cert txid=forged.*result=refused' "$SLOG"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other.key" -subj /CN=other -days 1 -outform DER \
    -out "$T/other.der" 2>/dev/null
ask cert "$T/other.der" > "$T/foreign.out" 2>&1
check "... a certificate of another issuer" \
    grep -q '^refused: issuer is not this CA' "$T/foreign.out"
ask crl "$T/ca.der" > "$T/garbage.out" 2>&1
check "... a CRL that is not one" grep -q '^failed: not one DER CRL' "$T/garbage.out"
# Made from a certificate the CA issued, changed as a worker taken over
# would: each refused, each logged with what was wrong.
mkdir -p "$T/forged"
python3 "$TOP/tests/tools/forge_cert.py" "$CERT" "$CA" "$T/forged"
refused() {	# refused DESCRIPTION TYPE FILE PATTERN [ROLE]
	ask "$2" "$T/forged/$3" ${5:-} > "$T/forged/$3.out" 2>&1
	sed 's/^/# /' "$T/forged/$3.out"
	check "$1" grep -qE "$4" "$T/forged/$3.out"
}
refused "... keyUsage keyCertSign" cert keycertsign.der '^refused: keyCertSign'
refused "... an extendedKeyUsage no template grants (codeSigning)" cert \
    eku.der '^refused: keyUsage or extendedKeyUsage of no template'
refused "... a validity past the CA's notAfter" cert beyond.der \
    "^refused: lint: notAfter is after the CA's notAfter"
refused "... Application Policies, which Windows reads for the EKU" cert \
    apppolicy.der '^refused: extension 1.3.6.1.4.1.311.21.10 is not one mscep issues'
refused "... a certificate valid since last week" cert past.der \
    '^refused: notBefore is not now'
# The ledger: CERT again, valid from now, is signed under a new serial
# but refused under its own.
ask cert "$T/forged/fresh.der" > "$T/forged/fresh.der.out" 2>&1
check "the signer signs CERT again under a new serial (these checks can fail)" \
    grep -q '^signed' "$T/forged/fresh.der.out"
SERIAL=$(openssl x509 -in "$CERT" -noout -serial | cut -d= -f2)
refused "... but not under its own serial, which its ledger has" cert \
    reuse.der "^refused: serial $SERIAL already signed \(transaction [^,]+, 20"
# mscep-admin ledger, as root: what the CA key signed that the store
# lacks, fresh.der here (signed straight through the socket).
FRESH=$(openssl x509 -inform DER -in "$T/forged/fresh.der" -noout -serial | cut -d= -f2)
"$MSCEP_BIN/mscep-admin" -c "$INI" ledger > "$T/ledger.out" 2> "$T/ledger.err"
rc=$?
sed 's/^/# /' "$T/ledger.out" "$T/ledger.err"
check "mscep-admin ledger: exit 3, something signed is not in the store ($rc)" \
    test "$rc" = 3
check "... the one signed through the socket, alone" sh -c "
    grep -q '^$FRESH	not-stored	20' '$T/ledger.out' &&
    grep -q ' signed, 1 not in the store as signed' '$T/ledger.err'"
"$MSCEP_BIN/mscep-admin" -c "$INI" ledger --all > "$T/ledger-all.out" 2>&1
check "... --all: the enrolled one stored" grep -q "^$SERIAL	stored	" \
    "$T/ledger-all.out"
# A serial the store has and the ledger does not (one issued before
# there was a ledger: its row taken out here) is signed again, and the
# ledger check tells the two certificates apart.
sqlite3 "$T/signer/signed.db" "DELETE FROM signed WHERE serial = '$SERIAL'"
ask cert "$T/forged/reuse.der" > "$T/forged/reuse2.out" 2>&1
check "a serial from before the ledger is signed again (it cannot know)" \
    grep -q '^signed' "$T/forged/reuse2.out"
"$MSCEP_BIN/mscep-admin" -c "$INI" ledger > "$T/ledger2.out" 2>&1
rc=$?
sed 's/^/# /' "$T/ledger2.out"
check "... mscep-admin ledger: it differs from the stored one (exit $rc)" \
    sh -c "[ $rc = 3 ] && grep -q '^$SERIAL	differs	20' '$T/ledger2.out'"
# ledger import records the store's certificates in the ledger: the
# enrolled one, taken out again, and the web server's (tls-cert signs it
# with the CA key itself); then the enrolled serial is refused, and a
# second import adds nothing.
sqlite3 "$T/signer/signed.db" "DELETE FROM signed WHERE serial = '$SERIAL'"
STORED=$("$MSCEP_BIN/mscep-admin" -c "$INI" status --json 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["store"]["certificates"])' ||
    echo "?")
"$MSCEP_BIN/mscep-admin" -c "$INI" ledger import > "$T/import.out" 2>&1
rc=$?
sed 's/^/# /' "$T/import.out"
check "mscep-admin ledger import: exit 0, the enrolled one and tls-cert's added ($rc)" \
    sh -c "[ $rc = 0 ] && grep -Eq '^[0-9]+ certificates in the store, 2 added to the ledger' '$T/import.out'"
check "... as many certificates as the store has ($STORED)" \
    grep -q "^$STORED certificates in the store" "$T/import.out"
refused "... then its serial is refused, naming the store" cert \
    reuse.der "^refused: serial $SERIAL already signed \(transaction \(store\), 20"
"$MSCEP_BIN/mscep-admin" -c "$INI" ledger import > "$T/import2.out" 2>&1
check "... a second import adds nothing" grep -q ', 0 added to the ledger, ' \
    "$T/import2.out"
check "... the ledger stays 0600, the signer's" test \
    "$(stat -c %a:%U "$T/signer/signed.db")" = "600:$(stat -c %U "$T/signer")"
# A row the workers' store holds that no CA key signed (a worker taken
# over could write one) is left out: the ledger holds what this CA signed.
HEX=$(od -An -v -tx1 "$T/other.der" | tr -d ' \n')
if [ "${MSCEP_TEST_STORE:-sqlite}" = postgresql ]; then DER="decode('$HEX', 'hex')"; else DER="X'$HEX'"; fi
sql_write "INSERT INTO certificates (serial, subject, template, not_before, not_after, der, transaction_id, key_id, issued_at) VALUES ('0F0F', 'CN=other', 'x', 0, 1, $DER, 'planted', 'k', 0)"
"$MSCEP_BIN/mscep-admin" -c "$INI" ledger import > "$T/import-planted.out" 2>&1
rc=$?
sed 's/^/# /' "$T/import-planted.out"
check "... a certificate no CA key signed is left out (exit $rc)" sh -c "
    [ $rc = 0 ] && grep -q 'serial 0F0F: not signed by this CA (current or previous): left out' '$T/import-planted.out' &&
    [ \"\$(sqlite3 '$T/signer/signed.db' \"SELECT count(*) FROM signed WHERE txid = '(store)' AND subject = 'CN=other'\")\" = 0 ]"
sql_write "DELETE FROM certificates WHERE serial = '0F0F'"
if [ -n "$RUNAS" ]; then
	check "... the store's files stay the workers' user's" test -z \
	    "$(find "$T/state" -maxdepth 1 -name 'mscep.db*' ! -user "$RUNAS")"
	$ADMIN ledger > "$T/ledger-user.out" 2>&1
	check "... which cannot read the ledger (exit 1, saying so)" sh -c "
	    [ $? = 1 ] && grep -q 'Ledger .*run as root' '$T/ledger-user.out'"
fi
refused "... garbage as a certificate" cert garbage.der \
    '^failed: not one DER certificate'
refused "... signed attributes that are no CertRep's (signedData)" cms \
    cms-signeddata.der '^refused: signed attributes without contentType id-data'
refused "... a SUCCESS CertRep over the CA's certificates, not an envelope" \
    cms cms-certrep-certs.der '^refused: a SUCCESS CertRep whose content is not one DER EnvelopedData'
refused "... garbage as signed attributes" cms garbage.der \
    '^failed: not one DER SET OF Attribute'
refused "... garbage to decrypt" decrypt garbage.der \
    '^failed: not one DER EnvelopedData'
refused "... the RA encryption key asked to sign CertRep" cms \
    cms-signeddata.der '^refused: request type 4 with key role 2' ra-enc
refused "... the CA key asked to decrypt" decrypt garbage.der \
    '^refused: request type 5 with key role 0' ca
check "... each refusal logged with its reason" test "$(grep -cE \
    'txid=forged id=[^ ]+ result=(refused|error) reason=' "$SLOG")" -ge 14
ask hostile > "$T/hostile.out" 2>&1
check "... a frame announcing 4 GiB: the connection is dropped" \
    grep -q '^closed' "$T/hostile.out"
CERT_B=$(enroll b)
check "the signer still signs after all that" test -f "$CERT_B"

# Stopped: FAILURE at once, the workers live on.
stop_signer
n_c=$(sql "select count(*) from certificates")
enroll c > /dev/null
# The request's own time, as scepcli measures it (its key generation
# left out: a loaded machine makes that slow).
ms=$(sed -n 's/^FAIL .* ms=\([0-9]*\).*/\1/p' "$T/c.out")
check "signer stopped: the enrollment fails with HTTP 503" \
    grep -q 'HTTP status 503' "$T/c.out"
check "... at once, not after TimeoutMs ($ms ms)" test "${ms:-9999}" -lt 1000
check "... the worker logs why" grep -q 'op=signer what=decrypt.*cannot reach the signer' "$T/run/mscep.log"
check "... and stays up (GetCACaps)" curl -sf -o /dev/null "$URL?operation=GetCACaps"
check "... nothing recorded for it" \
    test "$(sql "select count(*) from certificates")" = "$n_c"

# Hung: a socket that accepts and never answers.
python3 - "$SOCK" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(8)
import os; os.chmod(sys.argv[1], 0o666)
conns = []
end = time.time() + 20
s.settimeout(1)
while time.time() < end:
    try: conns.append(s.accept()[0])
    except socket.timeout: pass
EOF
HPID=$!
for i in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
enroll d > /dev/null
ms=$(sed -n 's/^FAIL .* ms=\([0-9]*\).*/\1/p' "$T/d.out")
ms=${ms:-0}
kill $HPID 2>/dev/null; wait $HPID 2>/dev/null
rm -f "$SOCK"
check "signer hung: the enrollment fails with HTTP 503" \
    grep -q 'HTTP status 503' "$T/d.out"
check "... after TimeoutMs (1500), not much later ($ms ms)" \
    sh -c "[ $ms -ge 1400 ] && [ $ms -lt 6000 ]"
check "... timed out, the worker says" grep -q 'op=signer.*timed out' "$T/run/mscep.log"

start_signer "$SOCK" "$SLOG"
CERT=$(enroll e)
check "signer started again: enrollment works" test -f "$CERT"
check "... OCSP too" sh -c "openssl ocsp -issuer '$CA' -cert '$CERT' \
    -url '$OCSP' -CAfile '$CA' 2>&1 | grep -q ': good'"

# Held open by a worker taken over: connections that send nothing, half
# a frame, or most of an 8 MB one, each hold a slot until TimeoutMs at
# most; past 64, the process's oldest is pushed out; large requests being
# read hold 32 MB at most between them, the rest wait unread; the
# signing goes on beside them.
r0=$(grep -c ': signer [0-9]* ready' "$SLOG")
t0=$(grep -c 'reason="request: timed out"' "$SLOG")
python3 - "$SOCK" 100 > "$T/held-conns.out" <<'EOF' &
import socket, sys, threading, time
held, big = [], 8 * 1024 * 1024
def most_of_a_big_one(s):
    try:
        s.settimeout(3)
        s.sendall(big.to_bytes(4, "big") + b"y" * (big - 1))
    except OSError:
        pass
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(1)
    try:
        s.connect(sys.argv[1])
        if i % 4 == 1:
            s.send(b"\x00\x00\x01\x00" + b"x" * 10)
        elif i % 4 == 2:
            threading.Thread(target=most_of_a_big_one, args=(s,),
                             daemon=True).start()
        held.append(s)
    except OSError:
        pass
print(len(held), flush=True)
time.sleep(4)
EOF
HPID=$!
for i in $(seq 1 50); do [ -s "$T/held-conns.out" ] && break; sleep 0.1; done
CERT=$(enroll held)
ms=$(sed -n 's/^OK .* ms=\([0-9]*\).*/\1/p' "$T/held.out")
check "$(cat "$T/held-conns.out") connections held open: enrollment still works" \
    test -f "$CERT"
check "... not after TimeoutMs (1500; $ms ms)" test "${ms:-9999}" -lt 1400
wait $HPID 2>/dev/null
check "... past 64, the oldest of the one process holding them pushed out" \
    grep -qE 'reason="request: pushed out, process [0-9]+ holds another, all 64 connections taken"' "$SLOG"
check "... the rest timed out" \
    test "$(grep -c 'reason="request: timed out"' "$SLOG")" -gt "$t0"
hwm=0
for p in "$SIGNER_PID" $(pgrep -P "$SIGNER_PID"); do
	k=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$p/status" 2>/dev/null)
	[ "${k:-0}" -gt "$hwm" ] && hwm=$k
done
# AddressSanitizer keeps freed memory in quarantine (256 MB): the peak
# then measures it, not the signer; make check measures the signer.
if [ -n "${ASAN_OPTIONS:-}" ]; then
	echo "# the signer's peak memory not checked under AddressSanitizer ($((hwm / 1024)) MB)"
else
	check "... the signer's memory stays bounded (peak $((hwm / 1024)) MB < 80)" \
	    test "$hwm" -gt 0 -a "$hwm" -lt 81920
fi
check "... the same signer process throughout (no restart)" \
    test "$(grep -c ': signer [0-9]* ready' "$SLOG")" = "$r0"

# From 70 processes, a connection each and nothing sent: past 64, the one
# opened first goes once idle a quarter of a second.
python3 - "$SOCK" 70 <<'EOF' &
import os, socket, sys, time
for i in range(int(sys.argv[2])):
    if os.fork() == 0:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(1)
        try:
            s.connect(sys.argv[1])
            time.sleep(3)
        except OSError:
            pass
        os._exit(0)
for i in range(int(sys.argv[2])):
    os.wait()
EOF
HPID=$!
sleep 1
CERT=$(enroll idle)
ms=$(sed -n 's/^OK .* ms=\([0-9]*\).*/\1/p' "$T/idle.out")
check "70 processes holding a connection each: enrollment still works ($ms ms)" \
    test -f "$CERT"
wait $HPID 2>/dev/null
check "... idle ones pushed out past 64, the signer says" \
    grep -q 'reason="request: pushed out, idle or slow, all 64 connections taken"' "$SLOG"

# Large requests waiting for room are read in the order they came, and
# an idle one is pushed out only when that makes room enough: four keep
# 31 MB busy (a byte every 30 ms), an idle one holds 1 MB; W1 and then W2
# (given a lower slot, D's) ask for 8 MB. Pushing the idle one cannot
# make room: it stays (half a second), and is answered. When A1
# finishes, W1 is read, then W2 (their bodies begin "1" and "2", which the signer's log names
# as the protocol version it refuses). Meanwhile the signer waits, not
# spinning: its CPU time is measured.
p0=$(grep -c 'for a [0-9]*-byte request' "$SLOG")
l0=$(wc -l < "$SLOG")
TICKS=$(getconf CLK_TCK)
# The signer's processes' CPU ticks (user and system).
cpu() {
	cat $(for p in "$SIGNER_PID" $(pgrep -P "$SIGNER_PID"); do
	    echo "/proc/$p/stat"; done) 2>/dev/null |
	    awk '{ t += $14 + $15 } END { print t + 0 }'
}
c0=$(cpu)
python3 - "$SOCK" > "$T/order.out" <<'EOF'
import socket, sys, threading, time
MB = 1024 * 1024
t0 = time.monotonic()
done = {}
def conn(n, first=b""):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sys.argv[1])
    s.sendall(n.to_bytes(4, "big") + first)
    return s
def answer(name, s):
    try:
        h = b""
        while len(h) < 4:
            b = s.recv(4 - len(h))
            if not b:
                raise OSError("closed")
            h += b
        left = int.from_bytes(h, "big")
        while left > 0:
            b = s.recv(min(left, 65536))
            if not b:
                raise OSError("closed")
            left -= len(b)
        done[name] = time.monotonic() - t0
    except OSError as e:
        done[name] = "no answer: %s" % e
def trickle(s, stop, sent):
    while not stop.is_set():
        try:
            sent[0] += s.send(b"t")
        except OSError:
            return
        time.sleep(0.03)
def send_rest(name, s, n, fill=b"w"):
    try:
        s.sendall(fill * n)
    except OSError:
        pass
    answer(name, s)
stops = [threading.Event() for _ in range(4)]
# A frame counts with its 4-byte length: 32 MB less 44 bytes in all.
busy = [conn(8 * MB, b"a") for _ in range(3)] + [conn(7 * MB - 64, b"a")]
counts = [[1] for _ in busy]
trickles = [threading.Thread(target=trickle, args=(s, e, c), daemon=True)
            for s, e, c in zip(busy, stops, counts)]
for t in trickles:
    t.start()
idle = conn(MB, b"i" * 10)
time.sleep(0.3)
d = conn(16)
w1 = conn(8 * MB)
time.sleep(0.05)
d.close()
time.sleep(0.1)
w2 = conn(8 * MB)
ws = [threading.Thread(target=send_rest, args=(n, s, 8 * MB, f))
      for n, s, f in (("W1", w1, b"1"), ("W2", w2, b"2"))]
for t in ws:
    t.start()
time.sleep(0.4)
send_rest("I1", idle, MB - 10)
stops[0].set()
trickles[0].join()
threading.Thread(target=send_rest, args=("A1", busy[0], 8 * MB - counts[0][0]),
                 daemon=True).start()
for t in ws:
    t.join(6)
for e in stops:
    e.set()
for k in sorted(done):
    print(k, done[k])
EOF
c1=$(cpu)
sed 's/^/# /' "$T/order.out"
check "large requests waiting: an idle one that could not make room stays, and is answered" \
    grep -qE '^I1 [0-9.]+$' "$T/order.out"
check "... the signer pushed out none for them" \
    test "$(grep -c 'for a [0-9]*-byte request' "$SLOG")" = "$p0"
check "... both answered, the one waiting first read first, whatever its slot" sh -c "
    grep -qE '^W1 [0-9.]+\$' '$T/order.out' && grep -qE '^W2 [0-9.]+\$' '$T/order.out' &&
    tail -n +$((l0 + 1)) '$SLOG' | grep -oE 'protocol version (49|50)' | tr '\n' ' ' |
    grep -qx 'protocol version 49 protocol version 50 '"
check "... the signer waiting, not spinning ($(( (c1 - c0) * 1000 / TICKS )) ms of CPU)" \
    test $(( (c1 - c0) * 1000 / TICKS )) -lt 300

restart_lighttpd_only() {
	stop_pid "$(pgrep -f "lighttpd -D -f $T/run/lighttpd.conf" | head -1)"
	spawn lighttpd -D -f "$T/run/lighttpd.conf"
	wait_url "$URL?operation=GetCACaps"
}

# GetNextCACert's attributes are signed for next/'s certificates only,
# which the signer builds again: a worker taken over cannot pass another
# CA off as the next one.
refused "GetNextCACert's attributes with no next CA prepared: refused" cms \
    cms-nextca.der "^refused: GetNextCACert's attributes, and no next CA prepared"
# As root, as the keys are (the workers' user's mscep-admin reads none).
check "ca rollover (the next CA 30 days ahead)" \
    "$MSCEP_BIN/mscep-admin" -c "$INI" ca rollover
refused "... and with one, for a content other than its certificates" cms \
    cms-nextca.der "^refused: GetNextCACert's attributes for a content other than next/'s"
restart_lighttpd_only
code=$(curl -s -o "$T/next.der" -w '%{http_code}' "$URL?operation=GetNextCACert")
check "GetNextCACert through the signer: 200 ($code)" test "$code" = 200
check "... its SignedData verifies against the current CA" \
    openssl cms -verify -inform DER -in "$T/next.der" -CAfile "$CA" \
    -purpose any -binary -out /dev/null
check "... signed by the signer" grep -q 'op=sign what=cms .*id=nextca result=signed' "$SLOG"

# mscep-admin signs through the signer too: with the CA key out of its
# reach (moved away once the signer has read it), it revokes and
# republishes the CRL, publishes it, and approves a held request, each
# signature in the signer's log.
sed -i 's/^RequireApproval = .*/RequireApproval = 1/' "$INI"
restart_lighttpd_only
mv "$T/state/private/ca.key" "$T/ca.key.signer-only"
crls=$(grep -c 'what=crl .*result=signed' "$SLOG")
SERIAL_E=$(openssl x509 -in "$CERT" -noout -serial | cut -d= -f2)
revoke_to() { $ADMIN revoke "$1" > "$2" 2>&1; }
check "mscep-admin revoke, the CA key out of its reach" \
    revoke_to "$SERIAL_E" "$T/revoke.out"
sed 's/^/# /' "$T/revoke.out"
check "... its CRL republished" grep -q '^CRL published' "$T/revoke.out"
check "mscep-admin crl --force" $ADMIN crl --force
check "... both CRLs signed by the signer" \
    test "$(grep -c 'what=crl .*result=signed' "$SLOG")" -ge $((crls + 2))
# What a CRL the signer signed revoked stays revoked: a worker taken over
# (here, the store's row set back to issued) can have neither OCSP call
# it good nor a CRL leave it out.
ocsp_e() { openssl ocsp -issuer "$CA" -cert "$CERT" -url "$OCSP" -CAfile "$CA" 2>&1; }
ocsp_e > "$T/ocsp-revoked.out"
check "OCSP says revoked" grep -q "^$CERT: revoked" "$T/ocsp-revoked.out"
RAT=$(sql "SELECT revoked_at FROM certificates WHERE serial = '$SERIAL_E'")
RR=$(sql "SELECT revoke_reason FROM certificates WHERE serial = '$SERIAL_E'")
revoke_back() {
	sql_write "UPDATE certificates SET status = 'revoked', revoked_at = $1, revoke_reason = $RR WHERE serial = '$SERIAL_E'"
}
sql_write "UPDATE certificates SET status = 'issued', revoked_at = NULL, revoke_reason = NULL WHERE serial = '$SERIAL_E'"
ocsp_e > "$T/ocsp-unrevoked.out"
sed 's/^/# ocsp: /' "$T/ocsp-unrevoked.out"
check "the store's row unrevoked: OCSP does not say good" \
    sh -c "! grep -q ': good' '$T/ocsp-unrevoked.out'"
check "... the signer refused it, naming the serial" grep -q \
    "what=ocsp .*result=refused reason=\"OCSP answer good for serial $SERIAL_E, which a CRL this signer signed revoked" "$SLOG"
$ADMIN crl --force > "$T/crl-unrevoked.out" 2>&1
rc=$?
sed 's/^/# /' "$T/crl-unrevoked.out"
check "... mscep-admin crl --force fails ($rc), a CRL without it refused" \
    sh -c "[ $rc != 0 ] && grep -q 'a CRL without serial $SERIAL_E, which a CRL this signer signed revoked' '$T/crl-unrevoked.out'"
# Revoked again at another time (an hour earlier here; a later one, which
# would let what was signed in between pass a checker of a point in time,
# is also after this CRL's thisUpdate, refused on that alone).
revoke_back $((RAT - 3600))
$ADMIN crl --force > "$T/crl-later.out" 2>&1
sed 's/^/# /' "$T/crl-later.out"
check "... revoked again at another time in the store: the CRL refused" \
    grep -q "a CRL whose entry for serial $SERIAL_E has another revocationDate or reason" "$T/crl-later.out"
revoke_back "$RAT"
check "... revoked again as it was, the CRL is signed" $ADMIN crl --force
# ledger import does not take the store's revocations (the workers'
# store could make the signer insist on any serial): the signer learns
# them from the CRLs it signs.
sqlite3 "$T/signer/signed.db" "DELETE FROM revoked"
"$MSCEP_BIN/mscep-admin" -c "$INI" ledger import > "$T/import3.out" 2>&1
check "mscep-admin ledger import records no revocation" \
    test "$(sqlite3 "$T/signer/signed.db" "SELECT count(*) FROM revoked")" = 0
check "... the next CRL signed does" $ADMIN crl --force
check "... with its revocationDate" test "$(sqlite3 "$T/signer/signed.db" \
    "SELECT revoked_at FROM revoked WHERE serial = '$SERIAL_E'")" = "$RAT"
sql_write "UPDATE certificates SET status = 'issued', revoked_at = NULL, revoke_reason = NULL WHERE serial = '$SERIAL_E'"
# Its row gone, the worker would answer unknown, which many clients take
# for not revoked: refused too.
sql_write "CREATE TABLE keep_t AS SELECT * FROM transactions WHERE serial = '$SERIAL_E'; DELETE FROM transactions WHERE serial = '$SERIAL_E'; CREATE TABLE keep AS SELECT * FROM certificates WHERE serial = '$SERIAL_E'; DELETE FROM certificates WHERE serial = '$SERIAL_E'"
ocsp_e > "$T/ocsp-gone.out"
sed 's/^/# ocsp: /' "$T/ocsp-gone.out"
check "... nor unknown, its row gone from the store" grep -q \
    "what=ocsp .*result=refused reason=\"OCSP answer unknown for serial $SERIAL_E, which a CRL this signer signed revoked" "$SLOG"
sql_write "INSERT INTO certificates SELECT * FROM keep; DROP TABLE keep; INSERT INTO transactions SELECT * FROM keep_t; DROP TABLE keep_t"
check "... its row back" test "$(sql "SELECT count(*) FROM certificates WHERE serial = '$SERIAL_E'")" = 1
revoke_back "$RAT"
check "a request held for approval" $CLI -u "$URL" -p "$($ADMIN password)" \
    --cn approveme --expect pending enroll
ID=$($ADMIN pending | awk -F'\t' '/CN=approveme/ { print $1 }')
check "mscep-admin approve $ID, the CA key out of its reach" $ADMIN approve "$ID"
AS=$(sql "select serial from certificates where subject like '%approveme%'")
check "... the certificate recorded" test -n "$AS"
check "... signed by the signer" grep -q "what=cert .*id=$AS result=signed" "$SLOG"
mv "$T/ca.key.signer-only" "$T/state/private/ca.key"
sed -i 's/^RequireApproval = .*/RequireApproval = 0/' "$INI"
restart_lighttpd_only
W=$(workers)

# Stopped and started again while clients enroll, two at a time: what a
# client received is in the store, what failed failed cleanly (503, or a
# FAILURE CertRep), and the workers lived through it.
N=60
for i in $(seq 1 $N); do $ADMIN password; done > "$T/pws"
before=$(sql "select count(*) from certificates")
$CLI -u "$URL" -P "$T/pws" -n $N -j 2 --pace 80 -o "$T/run-certs" enroll \
    > "$T/run.out" 2>&1 &
cli=$!
while kill -0 $cli 2>/dev/null && ! grep -q '^scepcli: prepared' "$T/run.out"; do
	sleep 0.05
done
sleep 0.3
running=0; kill -0 $cli 2>/dev/null && running=1
stop_signer
rm -f "$SOCK"
sleep 1
start_signer "$SOCK" "$SLOG"
wait $cli
tail -2 "$T/run.out" | sed 's/^/# /'
got=$(grep '^OK' "$T/run.out" | grep -o 'serial=[0-9A-F]*' | cut -d= -f2 | sort)
nfailed=$(grep -c '^FAIL' "$T/run.out")
echo "# $(echo "$got" | grep -c .) enrolled, $nfailed failed; $before certificates before, $(sql "select count(*) from certificates") after"
check "the signer was stopped while clients enrolled" test $running = 1
check "... every request answered: enrolled or failed ($N)" \
    test $(( $(echo "$got" | grep -c .) + nfailed )) -eq $N
check "... some failed while it was away" test "$nfailed" -ge 1
check "... each failure clean: HTTP 503 or a FAILURE CertRep" \
    sh -c "! grep '^FAIL' '$T/run.out' | grep -v 'HTTP status 503\|FAILURE'"
sql "select serial from certificates" | sort > "$T/stored"
check "... every certificate a client received is in the store" \
    test -z "$(echo "$got" | grep . | comm -23 - "$T/stored")"
check "... and nothing more was recorded" test \
    "$(sql "select count(*) from certificates")" -eq \
    $(( before + $(echo "$got" | grep -c .) ))
check "... no worker answered 500" sh -c "! grep -q 'result=500' '$T/run/mscep.log'"
check "... the same workers still serve ($(echo $W))" \
    test "$(echo $(workers))" = "$(echo $W)"
CERT=$(enroll f)
check "... and enrollment works after it" test -f "$CERT"
check "no worker crashed" sh -c "! grep -qE 'Sanitizer|signal 11|was killed' '$T/run/mscep.log'"

# --- the other shipped configurations, with the same signer --------------
# Apache spawning the workers with mod_fcgid (as its user, like lighttpd),
# Apache's mod_proxy_fcgi and nginx in front of mscep's own pool: each
# enrolls, its workers hold no key file and run as the web server's user.
# The signer (root's here) stays up; only the web server changes.
stop_web() {
	for p in $WEB; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	STARTED=$(echo "$STARTED" | tr ' ' '\n' | grep -vxF "$(echo $WEB | tr ' ' '\n')" | xargs)
	WEB=
	sleep 0.5
}
# server_leg NAME: NAME's workers enroll through the signer, holding no key.
server_leg() {
	W=$(workers)
	CERT=$(enroll "$1")
	check "$1: enrolled through the signer" test -f "$CERT"
	check "$1: ... the signer signed its certificate" sh -c "
	    grep -qE 'op=sign what=cert txid=[0-9A-Fa-f]+ id=$(basename "$CERT" .pem) result=signed' '$SLOG'"
	W=$(workers)
	check "$1: workers found ($(echo $W))" test -n "$W"
	check "$1: no worker has a key file open" test -z "$(open_keys)"
	users=$(for p in $W; do ps -o user= -p "$p"; done | sort -u | xargs)
	[ -n "$RUNAS" ] && check "$1: the workers run as $RUNAS ($users)" \
	    test "$users" = "$RUNAS"
}
WEB=$(echo "$STARTED" | tr ' ' '\n' | grep -vx "$SIGNER_PID" | xargs)
stop_web
for server in apache-fcgid apache-proxy-fcgi nginx; do
	TLS=1 render "$server"
	pool=
	# The pool as the workers' user (mscep.service's User=), its
	# socket the web server's to reach.
	if [ "$server" != apache-fcgid ]; then
		rm -f "$T/run/mscep.sock"
		spawn ${RUNAS:+setpriv --reuid="$RUNAS" --regid="$(id -g "$RUNAS")" --clear-groups} \
		    "$MSCEP_BIN/mscep" -c "$INI" -n 2 -s "$T/run/mscep.sock"
		pool=$LAST_PID
		for _ in $(seq 1 100); do
			[ -S "$T/run/mscep.sock" ] && break
			sleep 0.1
		done
	fi
	case $server in
	apache-*) spawn apache2 -DFOREGROUND -f "$T/run/apache.conf" ;;
	nginx) spawn nginx -c "$T/run/nginx.conf" -p "$T/run" ;;
	esac
	WEB="$pool $LAST_PID"
	if wait_url "$URL?operation=GetCACaps"; then
		server_leg "$server"
	else
		not_ok "$server did not start with the signer"
	fi
	stop_web
done
finish
