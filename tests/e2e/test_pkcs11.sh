#!/usr/bin/env bash
# The CA key in a PKCS#11 token (SoftHSM2, a token this test makes in its
# folder): mscep-admin init --in-token leaves no CA key file, only the
# pkcs11: URI; the pool behind nginx enrolls with scepcli and the issued
# certificate chains to the CA whose key is in the token; the CRL (and
# GetCRL's answer) is signed by it; ca rollover --in-token makes the next
# key in the token and after ca switch new certificates chain to it; a
# the token decrypts requests in CA-direct mode (PKCS#1 v1.5 and OAEP);
# a wrong PIN stops the admin commands and the pool with a named reason.
. "$(dirname "$0")/lib.sh"
CLI=$MSCEP_BIN/scepcli
MODULE=/usr/lib/softhsm/libsofthsm2.so

# --- a token of our own -----------------------------------------------
mkdir -p "$T/softhsm/tokens"
cat > "$T/softhsm/softhsm2.conf" <<EOF
directories.tokendir = $T/softhsm/tokens
objectstore.backend = file
log.level = ERROR
EOF
export SOFTHSM2_CONF=$T/softhsm/softhsm2.conf
softhsm2-util --init-token --free --label mscep-test --pin 1234 \
    --so-pin 5678 >/dev/null
printf '1234\n' > "$T/softhsm/pin"
chmod 600 "$T/softhsm/pin"
uri() { echo "pkcs11:token=mscep-test;object=$1?module-path=$MODULE&pin-source=file:$T/softhsm/pin"; }
# tokenpub LABEL: the public key the token holds under LABEL, DER.
tokenpub() { pkcs11-tool --module "$MODULE" --token-label mscep-test \
    --read-object --type pubkey --label "$1" 2>/dev/null; }
certpub() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER; }
# fails_with TEXT CMD...: CMD exits 1 and its stderr says TEXT.
fails_with() { t=$1; shift; "$@" 2>"$T/err" >/dev/null; rc=$?; cat "$T/err";
    [ "$rc" = 1 ] && grep -q "$t" "$T/err"; }
same_key() { a=$(tokenpub "$1" | base64 -w0); [ -n "$a" ] && [ "$a" = "$(certpub "$2" | base64 -w0)" ]; }

make_ini PasswordMax=50
S=$T/state
check "init --in-token with a path instead of a URI: usage error (2)" \
    sh -c "$ADMIN init --in-token /tmp/ca.key 2>/dev/null; test \$? = 2"
check "init --in-token with an EC key: refused (RSA only in a token)" \
    fails_with 'a key made in a token is RSA' \
    $ADMIN init --in-token "$(uri ca-ec)" --key ec:P-256
check "mscep-admin init --in-token: the CA key made in the token" \
    $ADMIN init --in-token "$(uri ca-1)" --key rsa:2048
check "private/ca.key holds the URI, no key" \
    sh -c "head -1 '$S/private/ca.key' | grep -qx '$(uri ca-1)' && ! grep -q 'PRIVATE KEY' '$S/private/ca.key'"
check "the CA certificate's key is the token's ca-1" same_key ca-1 "$S/ca.crt"
check "the RA certificates verify with that CA" \
    openssl verify -CAfile "$S/ca.crt" "$S/ra-sign.crt" "$S/ra-enc.crt"
check "mscep-admin check loads the key from the token" $ADMIN check

# --- enroll through the pool -------------------------------------------
TLS=1 render nginx
start_pool 2
spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
wait_url "$URL?operation=GetCACaps"
mkdir -p "$T/c1"
check "scepcli enrolls through nginx and the pool" \
    "$CLI" -u "$URL" -p "$($ADMIN password)" -o "$T/c1" enroll
C1=$(ls "$T"/c1/*.pem 2>/dev/null | head -1)
check "the issued certificate chains to the CA whose key is in the token" \
    openssl verify -CAfile "$S/ca.crt" "$C1"

# --- CRL and GetCRL, signed in the token -------------------------------
mkdir -p "$T/c2"
"$CLI" -u "$URL" -p "$($ADMIN password)" -o "$T/c2" enroll >/dev/null 2>&1
C2=$(ls "$T"/c2/*.pem 2>/dev/null | head -1)
S2=$(basename "$C2" .pem)
check "mscep-admin revoke signs the CRL with the token's key" $ADMIN revoke "$S2"
curl -sf -o "$T/published.crl" "http://127.0.0.1:$PORT/crl/mscep.crl"
check "the published CRL verifies with the CA and lists $S2" \
    sh -c "openssl crl -inform DER -in '$T/published.crl' -CAfile '$S/ca.crt' -noout &&
        openssl crl -inform DER -in '$T/published.crl' -noout -text | grep -q 'Serial Number: $S2'"
check "GetCRL answers that CRL" \
    "$CLI" -u "$URL" --cert "$C1" --key "${C1%.pem}.key" \
    --crl-out "$T/getcrl.der" getcrl
check "... signed by the CA in the token" \
    openssl crl -inform DER -in "$T/getcrl.der" -CAfile "$S/ca.crt" -noout

ocsp() { openssl ocsp -issuer "$S/ca.crt" -cert "$1" \
    -url "http://127.0.0.1:$PORT/ocsp" -CAfile "$S/ca.crt" 2>&1; }
ocsp_says() { o=$(ocsp "$1"); echo "$o" | grep -q 'Response verify OK' &&
    echo "$o" | grep -q "$2"; }
check "OCSP (a responder the token's CA certified): $S2 revoked" \
    ocsp_says "$C2" ': revoked'
check "... and the first certificate good" ocsp_says "$C1" ': good'

# --- rollover into the token --------------------------------------------
check "ca rollover --in-token naming the current key: refused" \
    fails_with 'holds a key labelled ca-1 (or with that id) already' \
    $ADMIN ca rollover --in-token "$(uri ca-1)"
check_not "... and leaves no next/" test -e "$S/next"
check "ca rollover --in-token: the next CA key made in the token" \
    $ADMIN ca rollover --in-token "$(uri ca-2)"
check "next/private/ca.key holds the URI of ca-2" \
    sh -c "head -1 '$S/next/private/ca.key' | grep -qx '$(uri ca-2)'"
check "the next CA certificate's key is the token's ca-2" \
    same_key ca-2 "$S/next/ca.crt"
check "the cross certificate verifies with the current CA" \
    openssl verify -partial_chain -CAfile "$S/ca.crt" "$S/next/ca-cross.crt"
cp "$S/ca.crt" "$T/old-ca.pem"
check "ca switch --now" $ADMIN ca switch --now
check "the switched CA is the token's ca-2" same_key ca-2 "$S/ca.crt"
stop_servers
start_pool 2
spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
wait_url "$URL?operation=GetCACaps"
mkdir -p "$T/c3"
check "after the switch scepcli enrolls" \
    "$CLI" -u "$URL" -p "$($ADMIN password)" -o "$T/c3" enroll
C3=$(ls "$T"/c3/*.pem 2>/dev/null | head -1)
check "... a certificate chaining to the new CA" \
    openssl verify -CAfile "$S/ca.crt" "$C3"
check_not "... not to the old one" openssl verify -CAfile "$T/old-ca.pem" "$C3"
# SIGHUP: the pool checks the configuration (opening the token) before it
# forks new workers, which open it again for themselves.
pool=$(echo $STARTED | cut -d' ' -f1)
kill -HUP "$pool"
sleep 1
mkdir -p "$T/c4"
check "after the pool's SIGHUP scepcli enrolls again" \
    "$CLI" -u "$URL" -p "$($ADMIN password)" -o "$T/c4" enroll
check "... from workers the reload started" \
    grep -q 'SIGHUP: replacing workers' "$T/run/mscep.log"
check "the old key (in the token) still signs its CRL" \
    sh -c "$ADMIN crl --force >/dev/null &&
        curl -sf -o '$T/old.crl' 'http://127.0.0.1:$PORT/crl/mscep.crl' &&
        openssl crl -inform DER -in '$T/old.crl' -CAfile '$T/old-ca.pem' -noout"

# --- ca import of a CA whose key is in the token ------------------------
sed "s|^StateDir = .*|StateDir = $T/state2|" "$INI" > "$T/import.ini"
IMPORT="$MSCEP_BIN/mscep-admin -c $T/import.ini"
check "ca import with another token key than the certificate's: refused" \
    fails_with 'is not for the CA key' $IMPORT ca import "$S/ca.crt" "$(uri ca-1)"
check "ca import CERT pkcs11:URI: the CA's key stays in the token" \
    $IMPORT ca import "$S/ca.crt" "$(uri ca-2)"
check "... private/ca.key holds the URI, and check loads it" \
    sh -c "head -1 '$T/state2/private/ca.key' | grep -qx '$(uri ca-2)' && $IMPORT check"

# --- CA-direct: the token's key decrypts the requests --------------------
stop_servers
sed -i -e "s|^StateDir = .*|StateDir = $T/state3|" \
    -e "s|^CADirect = .*|CADirect = 1|" "$INI"
check "CADirect = 1: init --in-token" $ADMIN init --in-token "$(uri ca-direct)"
start_pool 2
spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
wait_url "$URL?operation=GetCACaps"
mkdir -p "$T/c5"
check "CA-direct: the token decrypts a PKCS#1 v1.5 key transport" \
    "$CLI" -u "$URL" -p "$($ADMIN password)" -o "$T/c5" enroll
check "... and an RSAES-OAEP one" \
    "$CLI" -u "$URL" -p "$($ADMIN password)" --oaep -e aes256 -o "$T/c5" enroll
check "... both certificates chaining to that CA" \
    sh -c "test \$(ls '$T'/c5/*.pem | wc -l) = 2 &&
        openssl verify -CAfile '$T/state3/ca.crt' '$T'/c5/*.pem"
stop_servers

# --- a wrong PIN: named, never a crash -----------------------------------
stop_servers
printf '0000\n' > "$T/softhsm/pin"
check "wrong PIN: mscep-admin check fails naming it" \
    fails_with 'token mscep-test refused: wrong PIN' $ADMIN check
start_pool 2
pool=$LAST_PID
check "wrong PIN: the pool stops, its workers refusing to start" sh -c "
    for i in \$(seq 1 50); do kill -0 $pool 2>/dev/null || exit 0; sleep 0.1; done; exit 1"
check "... and the log names the reason" \
    grep -q 'cannot start: login to the PKCS#11 token mscep-test refused: wrong PIN' "$T/run/mscep.log"
chmod 644 "$T/softhsm/pin"
printf '1234\n' > "$T/softhsm/pin"
check "a PIN file others may read is refused" \
    fails_with 'may be read by others' $ADMIN check
chmod 600 "$T/softhsm/pin"
check_not "no worker crashed" grep -qE 'signal (6|11)|Sanitizer' "$T/run/mscep.log"
finish
