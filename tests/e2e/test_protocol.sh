#!/usr/bin/env bash
# GetCACaps, GetCACert (RA and CA-direct), URL forms, HTTP errors.
. "$(dirname "$0")/lib.sh"

make_ini
$ADMIN init --key rsa:2048 >/dev/null
start_lighttpd 2

caps=$(curl -sf "$URL?operation=GetCACaps")
check "GetCACaps advertises POSTPKIOperation and SHA-256" \
    sh -c "echo '$caps' | grep -qx POSTPKIOperation && echo '$caps' | grep -qx SHA-256"
check_not "GetCACaps does not advertise Renewal by default (no template allows it)" \
    sh -c "echo '$caps' | grep -qx Renewal"
check "operation= is matched case-insensitively (getcacaps)" \
    sh -c "curl -sf '$URL?OPERATION=getcacaps' | grep -qx AES"
check "Cisco/Windows suffix path pkiclient.exe is served" \
    sh -c "curl -sf '$URL/pkiclient.exe?operation=GetCACaps' | grep -qx AES"
check "tolerates a doubled '??' before the query" \
    sh -c "curl -sf '$URL??operation=GetCACaps' | grep -qx AES"

curl -sf -D "$T/h" -o "$T/cacert.der" "$URL?operation=GetCACert&message=default"
check "GetCACert type is application/x-x509-ca-ra-cert" \
    grep -qi '^Content-Type: application/x-x509-ca-ra-cert' "$T/h"
openssl pkcs7 -inform DER -in "$T/cacert.der" -print_certs -out "$T/chain.pem"
check "GetCACert carries RA signing, RA encryption and CA certificates" \
    test "$(grep -c 'BEGIN CERTIFICATE' "$T/chain.pem")" -eq 3
check "every certificate in GetCACert chains to the CA" \
    openssl verify -CAfile "$T/state/ca.crt" "$T/state/ra-sign.crt" "$T/state/ra-enc.crt"
check "RA encryption certificate has keyEncipherment only" \
    sh -c "openssl x509 -in '$T/state/ra-enc.crt' -noout -ext keyUsage | grep -qx '    Key Encipherment'"
check "RA signing certificate has digitalSignature only" \
    sh -c "openssl x509 -in '$T/state/ra-sign.crt' -noout -ext keyUsage | grep -qx '    Digital Signature'"
check "private keys are mode 0600" \
    sh -c "test \"\$(stat -c %a '$T/state/private/ca.key')\" = 600"

check "plain browser GET shows the NDES page" \
    sh -c "curl -sf '$URL' | grep -q 'Network Device Enrollment Service'"
check "unknown operation answers 400" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=Frobnicate")" = 400
check "PKIOperation GET with bad base64 answers 400" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=PKIOperation&message=@@@@")" = 400
check "PKIOperation GET without message answers 400" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL?operation=PKIOperation")" = 400
head -c 3000 /dev/urandom > "$T/garbage"
check "PKIOperation POST of non-CMS bytes answers 400" \
    test "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/garbage" \
    -H 'Content-Type: application/x-pki-message' "$URL?operation=PKIOperation")" = 400
head -c 300000 /dev/zero > "$T/big"
check "PKIOperation POST over MaxMessageSize answers 413" \
    test "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/big" \
    "$URL?operation=PKIOperation")" = 413
check "errors are logged with their cause" \
    sh -c "grep -q 'reason=\"message is not DER/BER CMS' '$T/run/mscep.log'"
check "nothing was stored by the bad requests" test "$(sql 'select count(*) from certificates')" = 0

# CA-direct mode: no RA, the CA certificate alone (RFC 8894 §4.2.1.1).
stop_lighttpd
sed -i 's/^CADirect = .*/CADirect = 1/' "$INI"
start_lighttpd 1
curl -sf -D "$T/h2" -o "$T/ca.der" "$URL?operation=GetCACert"
check "CA-direct GetCACert type is application/x-x509-ca-cert" \
    grep -qi '^Content-Type: application/x-x509-ca-cert' "$T/h2"
check "CA-direct GetCACert is the CA certificate itself" \
    cmp -s "$T/ca.der" <(openssl x509 -in "$T/state/ca.crt" -outform DER)
finish
