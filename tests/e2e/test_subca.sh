#!/usr/bin/env bash
# mscep as an issuing CA under an organisation's root: an offline root
# and a policy CA made with openssl, `mscep-admin init --csr`, the policy
# CA signs, `ca install --chain`; enrollment through lighttpd with
# scepcli, `openssl verify` trusting the root alone, the CRL and OCSP
# verified against the chain. A CA certificate without
# subjectKeyIdentifier (`ca import`) issues, publishes its CRL and
# answers OCSP; an expired CA certificate is refused by check and by the
# workers, with its reason.
. "$(dirname "$0")/lib.sh"
CLI=$MSCEP_BIN/scepcli
R=$T/root
mkdir -p "$R"

# sign NAME ISSUER EXTS [x509 -req options]: NAME.crt from NAME.csr.
# refused DESCRIPTION PATTERN COMMAND...: COMMAND fails, saying PATTERN.
refused() {
	d=$1 pat=$2
	shift 2
	if "$@" > "$T/refused.out" 2>&1; then
		not_ok "$d (it succeeded)"
	elif grep -q -- "$pat" "$T/refused.out"; then
		ok "$d"
	else
		not_ok "$d"
		sed 's/^/#   /' "$T/refused.out"
	fi
}
sign() {
	n=$1 iss=$2 ext=$3
	shift 3
	printf '%b' "$ext" > "$R/$n.ext"
	openssl x509 -req -in "$R/$n.csr" -CA "$R/$iss.crt" -CAkey "$R/$iss.key" \
	    -set_serial "0x$(openssl rand -hex 8)" -extfile "$R/$n.ext" \
	    -out "$R/$n.crt" "$@" 2>/dev/null
}
CAEXT='basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature,keyEncipherment\n'
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$R/root.key" \
    -out "$R/root.crt" -subj "/CN=Test Offline Root" -days 60 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout "$R/policy.key" \
    -out "$R/policy.csr" -subj "/CN=Test Policy CA" 2>/dev/null
sign policy root "$CAEXT" -days 50
cat "$R/policy.crt" "$R/root.crt" > "$R/chain.pem"

make_ini PasswordMax=50 IncludeOCSP=1
sed -i "/^\[OCSP\]/,/^\[/ s|^URL *=.*|URL = http://127.0.0.1/ocsp|" "$INI"
check "init --csr writes the CA key and a request" \
    $ADMIN init --csr "$R/sub.csr" --key ec:P-256 --ca-name "Test SCEP CA"
check "... for the name asked" sh -c \
    "openssl req -in '$R/sub.csr' -noout -subject | grep -q 'CN = Test SCEP CA'"
check "... and the key type asked" sh -c \
    "openssl req -in '$R/sub.csr' -noout -text | grep -q 'id-ecPublicKey'"
check "... a request its key signed" openssl req -in "$R/sub.csr" -noout -verify
check_not "... and no CA yet: check fails" $ADMIN check
cp "$R/sub.csr" "$R/first.csr"
refused "a second init --csr refuses, keeping the key" 'private/ca.key exists' \
    $ADMIN init --csr "$R/sub.csr"
check "... and the first request" cmp -s "$R/sub.csr" "$R/first.csr"

# Refusals before the right certificate.
cp "$R/sub.csr" "$R/notca.csr"
sign notca policy 'basicConstraints=critical,CA:FALSE\n' -days 30
refused "ca install refuses a certificate that is not a CA" 'not a CA' \
    $ADMIN ca install "$R/notca.crt" --chain "$R/chain.pem"
cp "$R/sub.csr" "$R/nosign.csr"
sign nosign policy 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\n' -days 30
refused "ca install refuses a CA certificate without keyCertSign" \
    'lacks keyCertSign' \
    $ADMIN ca install "$R/nosign.crt" --chain "$R/chain.pem"
openssl req -new -newkey rsa:2048 -nodes -keyout "$R/other.key" \
    -out "$R/other.csr" -subj "/CN=Other" 2>/dev/null
sign other policy "$CAEXT" -days 30
refused "ca install refuses a certificate for another key" \
    'not for the CA key' \
    $ADMIN ca install "$R/other.crt" --chain "$R/chain.pem"
sign sub policy "$CAEXT" -days 40
refused "ca install without the root refuses" 'give the root' \
    $ADMIN ca install "$R/sub.crt"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$R/stranger.key" \
    -out "$R/stranger.crt" -subj "/CN=Stranger Root" -days 30 2>/dev/null
refused "ca install refuses a chain to another root" 'does not chain' \
    $ADMIN ca install "$R/sub.crt" --chain "$R/stranger.crt"
check "refusals installed nothing" test ! -e "$T/state/ca.crt"
check "ca install with the root and the policy CA" \
    $ADMIN ca install "$R/sub.crt" --chain "$R/chain.pem"
check "... made the RA and OCSP certificates under the CA" \
    openssl verify -CAfile "$R/root.crt" -untrusted "$R/policy.crt" \
    -untrusted "$T/state/ca.crt" "$T/state/ra-sign.crt" \
    "$T/state/ra-enc.crt" "$T/state/ocsp.crt"
check "... and ca-chain.crt holds the policy CA, then the root" bash -c \
    "[ \$(grep -c 'BEGIN CERT' '$T/state/ca-chain.crt') = 2 ] &&
     openssl crl2pkcs7 -nocrl -certfile '$T/state/ca-chain.crt' | openssl pkcs7 -print_certs |
     grep '^subject' | tr '\n' '|' | grep -q 'Policy CA.*|.*Offline Root'"
check "mscep-admin check accepts it" $ADMIN check

render lighttpd
OCSP=http://127.0.0.1:$PORT/ocsp
sed -i "/^\[OCSP\]/,/^\[/ s|^URL *=.*|URL = $OCSP|" "$INI"
spawn lighttpd -D -f "$T/run/lighttpd.conf"
wait_url "$URL?operation=GetCACaps"

curl -sf "$URL?operation=GetCACert" -o "$T/getca.der"
openssl pkcs7 -inform DER -in "$T/getca.der" -print_certs > "$T/getca.pem"
check "GetCACert serves RA, RA, CA and the policy CA, not the root" bash -c \
    "[ \$(grep -c 'BEGIN CERT' '$T/getca.pem') = 4 ] &&
     ! grep -q 'Test Offline Root' <(grep '^subject' '$T/getca.pem') &&
     grep -q 'Test Policy CA' <(grep '^subject' '$T/getca.pem')"
mkdir -p "$T/certs"
check "scepcli enrolls through lighttpd" \
    $CLI -u "$URL" -p "$($ADMIN password)" -o "$T/certs" enroll
CERT=$(ls "$T"/certs/*.pem | head -1)
check "openssl verify trusting only the root (-untrusted GetCACert)" \
    openssl verify -CAfile "$R/root.crt" -untrusted "$T/getca.pem" "$CERT"
cat "$R/root.crt" "$R/policy.crt" "$T/state/ca.crt" > "$T/trust.pem"
check "mscep-admin crl publishes" $ADMIN crl --force
check "the CRL verifies against the chain" sh -c \
    "openssl crl -in \$(ls '$T'/state/crl/*.crl | head -1) -inform DER -CAfile '$T/trust.pem' -noout 2>&1 | grep -q 'verify OK' ||
     openssl crl -in \$(ls '$T'/state/crl/*.crl | head -1) -CAfile '$T/trust.pem' -noout 2>&1 | grep -q 'verify OK'"
check "OCSP says good, verified with the root alone" sh -c \
    "openssl ocsp -issuer '$T/state/ca.crt' -cert '$CERT' -url '$OCSP' \
     -CAfile '$R/root.crt' -verify_other '$T/getca.pem' 2>&1 | tee /dev/stderr |
     grep -q ': good' "
stop_servers

# GetCACertIncludeRoot = 1: the root too.
sed -i 's/^GetCACertIncludeRoot = .*/GetCACertIncludeRoot = 1/' "$INI"
spawn lighttpd -D -f "$T/run/lighttpd.conf"
wait_url "$URL?operation=GetCACaps"
check "GetCACertIncludeRoot = 1: GetCACert serves the root as well" bash -c \
    "curl -sf '$URL?operation=GetCACert' | openssl pkcs7 -inform DER -print_certs |
     grep '^subject' | grep -q 'Test Offline Root'"
stop_servers
sed -i 's/^GetCACertIncludeRoot = .*/GetCACertIncludeRoot = 0/' "$INI"

# Issued by this CA, nothing outlives it: tls-cert and ocsp-cert clamp.
canot=$(openssl x509 -in "$T/state/ca.crt" -noout -enddate)
check "tls-cert --days 825 ends with the CA (40 days)" bash -c \
    "$ADMIN tls-cert --name scep.example.test --days 825 --out '$T/tls' >/dev/null &&
     [ \"\$(openssl x509 -in '$T/tls/server.crt' -noout -enddate)\" = '$canot' ]"
check "ocsp-cert --days 3650 ends with the CA" bash -c \
    "$ADMIN ocsp-cert --days 3650 >/dev/null &&
     [ \"\$(openssl x509 -in '$T/state/ocsp.crt' -noout -enddate)\" = '$canot' ]"
check "an enrolled certificate ends no later than the CA" bash -c \
    "[ \$(date -d \"\$(openssl x509 -in '$CERT' -noout -enddate | cut -d= -f2)\" +%s) -le \
       \$(date -d \"\$(openssl x509 -in '$T/state/ca.crt' -noout -enddate | cut -d= -f2)\" +%s) ]"

# An expired CA certificate for the same key: refused, with its reason.
cp "$T/state/ca.crt" "$T/good-ca.crt"
cat > "$R/expired.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $R/index.txt
new_certs_dir = $R
serial = $R/serial
default_md = sha256
policy = p
copy_extensions = none
[p]
commonName = supplied
organizationName = optional
[x]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
CNF
: > "$R/index.txt"
echo 1000 > "$R/serial"
openssl ca -batch -config "$R/expired.cnf" -cert "$R/policy.crt" \
    -keyfile "$R/policy.key" -extensions x -in "$R/sub.csr" \
    -startdate 20200101000000Z -enddate 20200201000000Z \
    -out "$R/expired.crt" -notext 2>/dev/null
cp "$R/expired.crt" "$T/state/ca.crt"
refused "check refuses an expired CA certificate, saying so" \
    'ca.crt expired on 2020-02-01' $ADMIN check
start_lighttpd
n=$(sql "select count(*) from certificates")
check "a worker answers FAILURE (badRequest) under an expired CA" \
    $CLI -u "$URL" -p "$($ADMIN password)" --expect failure --failinfo 2 enroll
check "... and logs it as the server's error" sh -c \
    "cat '$T'/run/*.log | grep -q 'server error, not the request.*expired on 2020-02-01'"
check "... storing nothing" test "$(sql "select count(*) from certificates")" = "$n"
refused "ocsp-cert refuses to issue from it" 'expired or not yet valid' \
    $ADMIN ocsp-cert
stop_servers

# Rollover under the root: a new key, a request, the policy CA signs.
cp "$T/good-ca.crt" "$T/state/ca.crt"
check "ca rollover --csr writes the next CA's request" \
    $ADMIN ca rollover --csr "$R/next.csr"
check "... under the current CA's name" bash -c \
    "[ \"\$(openssl req -in '$R/next.csr' -noout -subject)\" = \
       \"\$(openssl x509 -in '$T/state/ca.crt' -noout -subject)\" ]"
refused "ca rollover --cert refuses a certificate for another key" \
    'not for the CA key' \
    $ADMIN ca rollover --cert "$R/sub.crt" --chain "$R/chain.pem"
sign next policy "$CAEXT" -days 45
check "ca rollover --cert prepares next/ from the root-signed CA" \
    $ADMIN ca rollover --cert "$R/next.crt" --chain "$R/chain.pem" --switch-in 0
check "... its RA certificates under the next CA, verified up to the root" \
    openssl verify -CAfile "$R/root.crt" -untrusted "$R/policy.crt" \
    -untrusted "$T/state/next/ca.crt" "$T/state/next/ra-sign.crt" \
    "$T/state/next/ra-enc.crt" "$T/state/next/ocsp.crt"
check "... with its chain" test -s "$T/state/next/ca-chain.crt"
check "ca switch --now" $ADMIN ca switch --now
check "mscep-admin check accepts the switched CA" $ADMIN check
start_lighttpd
mkdir -p "$T/next"
check "the switched CA issues through lighttpd" \
    $CLI -u "$URL" -p "$($ADMIN password)" -o "$T/next" enroll
curl -sf "$URL?operation=GetCACert" | openssl pkcs7 -inform DER -print_certs > "$T/getca2.pem"
check "... certificates that verify with only the root trusted" \
    openssl verify -CAfile "$R/root.crt" -untrusted "$T/getca2.pem" \
    "$(ls "$T"/next/*.pem | head -1)"
stop_servers

# ca import: an existing CA whose certificate has no subjectKeyIdentifier.
rm -rf "$T/state"
openssl req -new -newkey rsa:2048 -nodes -keyout "$R/noski.key" \
    -out "$R/noski.csr" -subj "/CN=No SKI CA" 2>/dev/null
sign noski root 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=none\nauthorityKeyIdentifier=none\n' -days 30
check "the imported CA certificate has no subjectKeyIdentifier" sh -c \
    "! openssl x509 -in '$R/noski.crt' -noout -text | grep -q 'Subject Key Identifier'"
check "ca import brings the CA key pair" \
    $ADMIN ca import "$R/noski.crt" "$R/noski.key" --chain "$R/root.crt"
check "... and writes the key 0600" \
    test "$(stat -c %a "$T/state/private/ca.key")" = 600
check "mscep-admin check accepts it" $ADMIN check
start_lighttpd
mkdir -p "$T/noski"
check "a CA without SKI issues through lighttpd" \
    $CLI -u "$URL" -p "$($ADMIN password)" -o "$T/noski" enroll
C2=$(ls "$T"/noski/*.pem | head -1)
check "... a certificate that verifies up to the root" \
    openssl verify -CAfile "$R/root.crt" -untrusted "$R/noski.crt" "$C2"
# RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
want=$(openssl x509 -in "$R/noski.crt" -noout -pubkey |
    openssl asn1parse -strparse 19 -noout -out /dev/stdout |
    openssl dgst -sha1 -r | cut -c1-40 | tr a-f A-F)
got=$(openssl x509 -in "$C2" -noout -ext authorityKeyIdentifier |
    sed -n 's/^ *\(keyid:\)\{0,1\}\([0-9A-F:]\{59\}\)$/\2/p' | tr -d :)
check "... whose authorityKeyIdentifier is the CA key's SHA-1 ($got)" \
    test -n "$want" -a "$want" = "$got"
check "mscep-admin crl publishes for it" $ADMIN crl --force
check "... a CRL that verifies" bash -c \
    "openssl crl -in \$(ls '$T'/state/crl/*.crl | head -1) -inform DER -CAfile <(cat '$R/root.crt' '$R/noski.crt') -noout 2>&1 | grep -q 'verify OK'"
check "mscep-admin ocsp-cert issues a responder for it" $ADMIN ocsp-cert
stop_servers

# A self-signed rollover of a CA that was under a root: after the switch
# the old chain goes with the old CA, and is not served with the new one.
check "ca rollover of the imported CA" \
    $ADMIN ca rollover --days 20 --ra-days 10 --switch-in 0
check "ca switch" $ADMIN ca switch --now
check "... the old chain went to previous/ with the old CA" \
    sh -c "ls '$T'/state/previous/*/ca-chain.crt"
check "... and is not the new CA's" test ! -e "$T/state/ca-chain.crt"
check "mscep-admin check accepts the new CA" $ADMIN check
finish
