#!/usr/bin/env bash
# The signer with the CA key in a PKCS#11 token (SoftHSM2, a token this
# test makes in its folder): mscep-admin init --in-token, mscep -S reading
# the key through its pkcs11: URI and the PIN file, lighttpd's workers
# (the web server's user when the test runs as root) holding no key and
# unable to read the PIN; one enrollment, its certificate signed in the
# token, GetCRL's CRL and an OCSP answer too; then ca rollover
# --in-token (the next CA key made in the token), ca switch, the workers
# reloaded before the signer (their enrollments fail cleanly), then the
# signer: an enrollment from the new CA, signed with the token's new key,
# both CAs' CRLs and OCSP answers, the previous CA's signed by its key in
# the token through the signer.
. "$(dirname "$0")/lib.sh"
CLI=$MSCEP_BIN/scepcli
MODULE=/usr/lib/softhsm/libsofthsm2.so
SOCK=$T/run/signer.sock
SLOG=$T/run/signer.log
S=$T/state

mkdir -p "$T/softhsm/tokens" "$T/run"
chmod 755 "$T/run"
cat > "$T/softhsm/softhsm2.conf" <<EOT
directories.tokendir = $T/softhsm/tokens
objectstore.backend = file
log.level = ERROR
EOT
export SOFTHSM2_CONF=$T/softhsm/softhsm2.conf
softhsm2-util --init-token --free --label mscep-signer --pin 1234 \
    --so-pin 5678 >/dev/null
printf '1234\n' > "$T/softhsm/pin"
chmod 600 "$T/softhsm/pin"
URI="pkcs11:token=mscep-signer;object=ca-1?module-path=$MODULE&pin-source=file:$T/softhsm/pin"

make_ini PasswordMax=20 Socket="$SOCK" TimeoutMs=5000 ${RUNAS:+Group=$RUNAS}
check "mscep-admin init --in-token: the CA key in the token" \
    $ADMIN init --in-token "$URI" --key rsa:2048
check "private/ca.key holds the URI, no key" \
    sh -c "! grep -q 'PRIVATE KEY' '$S/private/ca.key'"
# As root: the state to the workers' user, every key file (and token
# reference) under private/ folders to root alone, as the signer's own.
# Key operations of mscep-admin then run as root ($ROOT_ADMIN).
ROOT_ADMIN="$MSCEP_BIN/mscep-admin -c $INI"
protect_keys() {
	[ -n "$RUNAS" ] || return 0
	give_state "$RUNAS"
	for d in $(find "$S" -type d -name private); do
		chown root:root "$d"/*
		chmod 600 "$d"/*
		chmod 711 "$d"
	done
	chmod 700 "$T/softhsm"
}
if [ -n "$RUNAS" ]; then
	protect_keys
	check "the workers' user cannot read the PIN file" \
	    unreadable_by "$RUNAS" "$T/softhsm/pin"
	check "... nor the reference to the token key" \
	    unreadable_by "$RUNAS" "$S/private/ca.key"
	check "... but can read the CA certificate (the check can fail)" \
	    as_user "$RUNAS" cat "$S/ca.crt"
fi

start_signer "$SOCK" "$SLOG"
check "mscep -S started with the token's key" test -S "$SOCK"

render lighttpd
if [ -n "$RUNAS" ]; then
	printf 'server.username = "%s"\nserver.groupname = "%s"\n' \
	    "$RUNAS" "$RUNAS" >> "$T/run/lighttpd.conf"
	chown "$RUNAS" "$T/run"
fi
# start_lighttpd: with the workers given no SOFTHSM2_CONF (they have no
# token to open); stop_lighttpd stops it and the workers it spawned.
start_lighttpd() {
	env -u SOFTHSM2_CONF lighttpd -D -f "$T/run/lighttpd.conf" \
	    >>"$T/run/mscep.log" 2>&1 &
	LPID=$!
	STARTED="$STARTED $LPID"
	wait_url "$URL?operation=GetCACaps"
}
stop_lighttpd() { stop_pid "$LPID"; }
start_lighttpd

mkdir -p "$T/c1"
check "scepcli enrolls through the signer" \
    "$CLI" -u "$URL" -p "$($ADMIN password)" -o "$T/c1" enroll
C1=$(ls "$T"/c1/*.pem 2>/dev/null | head -1)
check "... the certificate chains to the CA" \
    openssl verify -CAfile "$S/ca.crt" "${C1:-/nonexistent}"
check "... signed in the token by the signer" \
    grep -qE 'op=sign what=cert txid=[0-9A-F]+ id=[0-9A-F]+ result=signed' "$SLOG"
check "... the envelope decrypted and CertRep signed there too" sh -c "
    grep -q 'what=decrypt .*result=decrypted' '$SLOG' &&
    grep -q 'what=cms .*id=certrep result=signed' '$SLOG'"
rm -f "$S/crl/mscep.crl"
K1=${C1%.pem}.key
check "GetCRL answers with a CRL the token's key signed" sh -c "
    '$CLI' -u '$URL' --cert '$C1' --key '$K1' --crl-out '$T/crl.der' getcrl &&
    openssl crl -inform DER -in '$T/crl.der' -CAfile '$S/ca.crt' -noout"
CA=$S/ca.crt
OCSP=http://127.0.0.1:$PORT/ocsp
# ocsp_good NAME CERT ISSUER: openssl ocsp says good, the answer verified
# against ISSUER (the responder certificate travels with it).
ocsp_good() {
	openssl ocsp -issuer "$3" -cert "$2" -url "$OCSP" -CAfile "$3" \
	    > "$T/$1.out" 2>&1
	sed "s/^/# $1: /" "$T/$1.out"
	grep -q "^$2: good" "$T/$1.out" &&
	    grep -q '^Response verify OK' "$T/$1.out"
}
check "OCSP: good, an answer verified against the CA" ocsp_good ocsp1 "$C1" "$CA"
check "... signed by the signer" grep -q 'what=ocsp .*result=signed' "$SLOG"

# --- rollover and switch, the next CA key made in the token ---
cp "$CA" "$T/old-ca.pem"
URI2="pkcs11:token=mscep-signer;object=ca-2?module-path=$MODULE&pin-source=file:$T/softhsm/pin"
check "ca rollover --in-token: the next CA key in the token" \
    $ROOT_ADMIN ca rollover --switch-in 0 --in-token "$URI2" --key rsa:2048
check "... next/private/ca.key holds its URI, no key" sh -c "
    grep -q 'object=ca-2' '$S/next/private/ca.key' &&
    ! grep -q 'PRIVATE KEY' '$S/next/private/ca.key'"
check "ca switch" sh -c "$ROOT_ADMIN ca switch > '$T/switch.out'"
check "... says to reload the signer, then the workers" \
    grep -q 'reload the signer .*then the workers' "$T/switch.out"
protect_keys
[ -n "$RUNAS" ] && check "the workers' user cannot read the new key reference" \
    unreadable_by "$RUNAS" "$S/private/ca.key"
# The workers first: the signer still holds the previous CA's key only.
stop_lighttpd
start_lighttpd
mkdir -p "$T/c2"
check_not "workers reloaded before the signer: the enrollment fails" \
    "$CLI" -u "$URL" -p "$($ADMIN password)" -o "$T/c2" enroll
check "... HTTP 503, retry later: the signer holds the previous keys" \
    sh -c "grep -q 'op=PKIOperation result=503' '$T/run/mscep.log' &&
    grep -q 'op=signer .*a signer holding another key' '$T/run/mscep.log'"
check "... no HTTP 500" sh -c "! grep -q 'result=500' '$T/run/mscep.log'"
check "... nothing recorded for it" \
    test "$(sql 'SELECT count(*) FROM certificates')" = 1
kill -HUP "$SIGNER_PID"
for i in $(seq 1 100); do
	grep -q 'SIGHUP: replacing' "$SLOG" && break
	sleep 0.1
done
sleep 1
check "after the signer's reload: an enrollment from the new CA" \
    "$CLI" -u "$URL" -p "$($ADMIN password)" -o "$T/c2" enroll
C2=$(ls "$T"/c2/*.pem 2>/dev/null | head -1)
check "... verifies against the new CA, not the old one alone" sh -c "
    openssl verify -CAfile '$CA' '${C2:-/nonexistent}' &&
    ! openssl verify -CAfile '$T/old-ca.pem' '${C2:-/nonexistent}'"
check "... the new CA key is the token's ca-2" \
    grep -q 'object=ca-2' "$S/private/ca.key"
rm -f "$S"/crl/*.crl
K2=${C2%.pem}.key
check "GetCRL after the switch: the new CA's CRL" sh -c "
    '$CLI' -u '$URL' --cert '$C2' --key '$K2' --crl-out '$T/crl2.der' getcrl &&
    openssl crl -inform DER -in '$T/crl2.der' -CAfile '$CA' -noout"
check "... and the previous CA's, signed by its key in the token" sh -c "
    openssl crl -in '$S/crl/mscep.crl' -inform DER -CAfile '$T/old-ca.pem' -noout ||
    openssl crl -in '$S/crl/mscep.crl' -CAfile '$T/old-ca.pem' -noout"
check "... both through the signer" \
    test "$(grep -c 'what=crl .*result=signed' "$SLOG")" -ge 3
check "OCSP: the new CA's certificate good" ocsp_good ocsp2 "$C2" "$CA"
check "OCSP: the previous CA's certificate still good" \
    ocsp_good ocsp3 "$C1" "$T/old-ca.pem"
check "no worker read a key or the PIN" \
    sh -c "! grep -qi 'cannot read the private key\|PIN' '$T/run/mscep.log'"
check "no worker crashed" sh -c "! grep -qE 'Sanitizer|signal 11|was killed' '$T/run/mscep.log'"
finish
