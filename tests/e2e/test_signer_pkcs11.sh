#!/usr/bin/env bash
# The signer with the CA key in a PKCS#11 token (SoftHSM2, a token this
# test makes in its folder): mscep-admin init --in-token, mscep -S reading
# the key through its pkcs11: URI and the PIN file, lighttpd's workers
# (the web server's user when the test runs as root) holding no key and
# unable to read the PIN; one enrollment, its certificate signed in the
# token, GetCRL's CRL too.
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
if [ -n "$RUNAS" ]; then
	give_state "$RUNAS"
	for k in ca.key ra-sign.key ra-enc.key; do
		chown root:root "$S/private/$k"
		chmod 600 "$S/private/$k"
	done
	chmod 711 "$S/private"
	chmod 700 "$T/softhsm"
	check "the workers' user cannot read the PIN file" \
	    sh -c "! as_user $RUNAS cat '$T/softhsm/pin' >/dev/null 2>&1"
	check "... nor the reference to the token key" \
	    sh -c "! as_user $RUNAS cat '$S/private/ca.key' >/dev/null 2>&1"
fi

"$MSCEP_BIN/mscep" -S -c "$INI" -n 1 >>"$SLOG" 2>&1 &
STARTED="$STARTED $!"
for i in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
check "mscep -S started with the token's key" test -S "$SOCK"

render lighttpd
if [ -n "$RUNAS" ]; then
	printf 'server.username = "%s"\nserver.groupname = "%s"\n' \
	    "$RUNAS" "$RUNAS" >> "$T/run/lighttpd.conf"
	chown "$RUNAS" "$T/run"
fi
# The workers get no SOFTHSM2_CONF: they have no token to open.
env -u SOFTHSM2_CONF lighttpd -D -f "$T/run/lighttpd.conf" \
    >>"$T/run/mscep.log" 2>&1 &
STARTED="$STARTED $!"
wait_url "$URL?operation=GetCACaps"

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
check "no worker read a key or the PIN" \
    sh -c "! grep -qi 'cannot read the private key\|PIN' '$T/run/mscep.log'"
check "no worker crashed" sh -c "! grep -qE 'Sanitizer|signal 11|was killed' '$T/run/mscep.log'"
finish
