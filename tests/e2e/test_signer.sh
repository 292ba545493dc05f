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
. "$(dirname "$0")/lib.sh"

CLI=$MSCEP_BIN/scepcli
CA=$T/state/ca.crt
SOCK=$T/run/signer.sock
SLOG=$T/run/signer.log
mkdir -p "$T/run"
chmod 755 "$T/run"

make_ini PasswordMax=50 IncludeOCSP=1 Socket="$SOCK" TimeoutMs=1500 \
    ${RUNAS:+Group=$RUNAS}
sed -i "/^\[OCSP\]/,/^\[/ s|^URL *=.*|URL = http://127.0.0.1/ocsp|" "$INI"
$ADMIN init >/dev/null
check "mscep-admin check accepts [Signer] Socket" $ADMIN check

# The workers' user owns the state (the store stays writable); the CA and
# OCSP keys stay the signer's (root's, 0600).
if [ -n "$RUNAS" ]; then
	give_state "$RUNAS"
	chown root:root "$T/state/private/ca.key" "$T/state/private/ocsp.key"
	chmod 711 "$T/state/private"
	check "the workers' user cannot read the CA key" \
	    sh -c "! as_user $RUNAS cat '$T/state/private/ca.key' >/dev/null 2>&1"
	check "... nor the OCSP key" \
	    sh -c "! as_user $RUNAS cat '$T/state/private/ocsp.key' >/dev/null 2>&1"
else
	echo "# not root: the workers run as this user and could read the keys"
fi

# start_signer: mscep -S in the background, its log in $SLOG.
start_signer() {
	"$MSCEP_BIN/mscep" -S -c "$INI" -n 1 >>"$SLOG" 2>&1 &
	SPID=$!
	STARTED="$STARTED $SPID"
	for i in $(seq 1 100); do
		[ -S "$SOCK" ] && break
		sleep 0.1
	done
}
stop_signer() {
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	STARTED=$(echo "$STARTED" | sed "s/ $SPID\b//")
}

start_signer
check "mscep -S listens on [Signer] Socket" test -S "$SOCK"
check "... mode 0660" test "$(stat -c %a "$SOCK")" = 660
[ -n "$RUNAS" ] &&
    check "... group $RUNAS" test "$(stat -c %G "$SOCK")" = "$RUNAS"

render lighttpd
OCSP=http://127.0.0.1:$PORT/ocsp
sed -i "/^\[OCSP\]/,/^\[/ s|^URL *=.*|URL = $OCSP|" "$INI"
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
check "no worker holds the CA key: the workers never read it" \
    sh -c "! grep -q 'cannot read the private key' '$T/run/mscep.log'"

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
ask hostile > "$T/hostile.out" 2>&1
check "... a frame announcing 4 GiB: the connection is dropped" \
    grep -q '^closed' "$T/hostile.out"
CERT_B=$(enroll b)
check "the signer still signs after all that" test -f "$CERT_B"

# Stopped: FAILURE at once, the workers live on.
stop_signer
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
    test "$(sql "select count(*) from certificates")" = 2

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

start_signer
CERT=$(enroll e)
check "signer started again: enrollment works" test -f "$CERT"
check "... OCSP too" sh -c "openssl ocsp -issuer '$CA' -cert '$CERT' \
    -url '$OCSP' -CAfile '$CA' 2>&1 | grep -q ': good'"
check "no worker crashed" sh -c "! grep -qE 'Sanitizer|signal 11|was killed' '$T/run/mscep.log'"
finish
