#!/usr/bin/env bash
# CA rollover (RFC 8894 §4.7) through lighttpd and the pool: no
# GetNextCACert before `mscep-admin ca rollover`; after it and a reload,
# GetCACaps offers it and its SignedData verifies against the current CA
# and holds the next CA and RA certificates; `ca switch` waits for its
# date (or --now); after a reload GetCACert serves the new chain, new
# certificates chain to the new CA (and to the old one through the cross
# certificate), and those issued before still verify against previous/;
# the pool's SIGHUP does the same; an MDM signer from before a switch
# still signs challenges that enroll (Module = mdm-challenge).
. "$(dirname "$0")/lib.sh"
CLI=$MSCEP_BIN/scepcli

make_ini PasswordMax=50 AllowRenewal=1 IncludeCDP=1 \
    "Capabilities=AES, DES3, POSTPKIOperation, Renewal, SCEPStandard, SHA-1, SHA-256, SHA-512"
sed -i '/^\[CRL\]/,/^\[/ s|^URL =.*|URL = http://pki.example.test/crl/mscep.crl|' "$INI"
$ADMIN init >/dev/null
S=$T/state
start_lighttpd
cp "$S/ca.crt" "$T/old-ca.pem"

caps_have_next() { curl -sf "$URL?operation=GetCACaps" | grep -qx GetNextCACert; }
status_of() { curl -s -o "$T/body" -w '%{http_code}' "$URL?operation=$1"; }
subject() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253; }
keyhash() { openssl x509 -in "$1" -noout -pubkey | sha256sum; }
# split_pem FILE DIR: DIR/c1.pem, DIR/c2.pem, ... in the file's order.
split_pem() {
	mkdir -p "$2"
	awk -v d="$2" '/-----BEGIN CERTIFICATE-----/ { n++; on = 1 }
	    on { print > (d "/c" n ".pem") }
	    /-----END CERTIFICATE-----/ { on = 0 }' "$1"
}

check_not "before a rollover GetCACaps does not list GetNextCACert" caps_have_next
code=$(status_of GetNextCACert)
check "... and GetNextCACert answers 404 ($code)" test "$code" = 404
mkdir -p "$T/old"
check "a certificate from the current CA" \
    $CLI -u "$URL" -p "$($ADMIN password)" -o "$T/old" enroll
OLDCERT=$(ls "$T"/old/*.pem | head -1)

# --- rollover: next/ appears whole, served after a reload -------------
check "mscep-admin ca rollover" sh -c "$ADMIN ca rollover > '$T/rollover.out'"
check "... next/private is 0700, its keys 0600" \
    test "$(stat -c %a "$S/next/private") $(stat -c %a "$S/next/private/ca.key")" = "700 600"
check "... the switch date is 30 days ahead" \
    test "$(( ($(cat "$S/next/switch-at") - $(date +%s) + 60) / 86400 ))" = 30
check_not "... and a second rollover is refused" $ADMIN ca rollover
check "ca status shows the next CA and its switch date" \
    sh -c "$ADMIN ca status | grep -q '^  switch at .*(in 30 days)'"
check_not "running workers do not offer it before a reload" caps_have_next
restart_lighttpd
check "after a reload GetCACaps lists GetNextCACert" caps_have_next
curl -s -D "$T/next.hdr" -o "$T/next.der" "$URL?operation=GetNextCACert"
check "GetNextCACert: 200 with application/x-x509-next-ca-cert" \
    sh -c "grep -q '^HTTP/1.1 200' '$T/next.hdr' && grep -qi '^content-type: application/x-x509-next-ca-cert' '$T/next.hdr'"
check "its SignedData verifies against the current CA (openssl cms -verify)" \
    openssl cms -verify -inform DER -in "$T/next.der" -CAfile "$T/old-ca.pem" \
    -purpose any -binary -out "$T/inner.der"
check_not "... and not against the next CA" \
    openssl cms -verify -inform DER -in "$T/next.der" -CAfile "$S/next/ca.crt" \
    -purpose any -binary -out /dev/null
check "its content is a certs-only PKCS#7" \
    openssl pkcs7 -inform DER -in "$T/inner.der" -print_certs -out "$T/inner.pem"
split_pem "$T/inner.pem" "$T/inner"
N=$T/inner
check "three certificates: RA signing, RA encryption, the next CA" \
    test -f "$N/c3.pem" -a ! -f "$N/c4.pem"
check "the next CA has the current CA's name" \
    test "$(subject "$N/c3.pem")" = "$(subject "$T/old-ca.pem")"
check "... another key" test "$(keyhash "$N/c3.pem")" != "$(keyhash "$T/old-ca.pem")"
check "... and is self-signed" openssl verify -CAfile "$N/c3.pem" "$N/c3.pem"
check "the RA certificates verify against the next CA" \
    openssl verify -CAfile "$N/c3.pem" "$N/c1.pem" "$N/c2.pem"
check_not "... not against the current CA" \
    openssl verify -CAfile "$T/old-ca.pem" "$N/c1.pem"
check "RA signing first (digitalSignature), then encryption (keyEncipherment)" \
    sh -c "openssl x509 -in '$N/c1.pem' -noout -ext keyUsage | grep -qx '    Digital Signature' &&
        openssl x509 -in '$N/c2.pem' -noout -ext keyUsage | grep -qx '    Key Encipherment'"
check "the cross certificate (next CA key, current CA signature) verifies with the old CA" \
    openssl verify -CAfile "$T/old-ca.pem" "$S/next/ca-cross.crt"
check "... and certifies the next CA's key" \
    test "$(keyhash "$S/next/ca-cross.crt")" = "$(keyhash "$N/c3.pem")"
cp "$N/c3.pem" "$T/new-ca.pem"
cp "$S/next/ca-cross.crt" "$T/cross.pem"

# --- switch: not before its date; workers keep the old CA until reload --
check_not "ca switch before the switch date is refused" $ADMIN ca switch
check "... saying when" grep -q 'the switch date is .*--now switches before it' "$T/check.log"
check "ca switch --now" sh -c "$ADMIN ca switch --now > '$T/switch.out'"
check "... tells to reload the workers" grep -q 'reload the workers' "$T/switch.out"
check "... and kept the old CA in previous/" cmp "$T/old-ca.pem" "$S"/previous/*/ca.crt
check "the new CA is current and the cross certificate stays" \
    sh -c "cmp '$T/new-ca.pem' '$S/ca.crt' && cmp '$T/cross.pem' '$S/ca-cross.crt'"
curl -s -o "$T/cacert.der" "$URL?operation=GetCACert"
openssl pkcs7 -inform DER -in "$T/cacert.der" -print_certs -out "$T/cacert.pem"
split_pem "$T/cacert.pem" "$T/before"
check "until a reload the running workers serve the old chain" \
    test "$(keyhash "$T/before/c3.pem")" = "$(keyhash "$T/old-ca.pem")"
restart_lighttpd
curl -s -o "$T/cacert2.der" "$URL?operation=GetCACert"
openssl pkcs7 -inform DER -in "$T/cacert2.der" -print_certs -out "$T/cacert2.pem"
split_pem "$T/cacert2.pem" "$T/after"
check "after a reload GetCACert serves the new chain" \
    sh -c "cmp '$T/after/c3.pem' '$T/new-ca.pem' && openssl verify -CAfile '$T/new-ca.pem' '$T/after/c1.pem' '$T/after/c2.pem'"
check_not "GetCACaps no longer lists GetNextCACert" caps_have_next
code=$(status_of GetNextCACert)
check "... and GetNextCACert answers 404 again ($code)" test "$code" = 404
mkdir -p "$T/new"
check "an enrollment after the switch" \
    $CLI -u "$URL" -p "$($ADMIN password)" -o "$T/new" enroll
NEWCERT=$(ls "$T"/new/*.pem | head -1)
check "the new certificate verifies against the new CA" \
    openssl verify -CAfile "$T/new-ca.pem" "$NEWCERT"
check_not "... not against the old CA alone" \
    openssl verify -CAfile "$T/old-ca.pem" "$NEWCERT"
check "... and against the old CA through the cross certificate" \
    openssl verify -CAfile "$T/old-ca.pem" -untrusted "$T/cross.pem" "$NEWCERT"
check "the certificate issued before the switch verifies against previous/" \
    openssl verify -CAfile "$(ls "$S"/previous/*/ca.crt)" "$OLDCERT"
check "a certificate of the previous CA renews after the switch (RenewalReq)" \
    $CLI -u "$URL" --cert "$OLDCERT" --key "${OLDCERT%.pem}.key" \
    -o "$T/renewed" enroll
check "... and the renewed certificate verifies against the new CA" \
    sh -c "openssl verify -CAfile '$T/new-ca.pem' \$(ls '$T/renewed'/*.pem)"
check "OCSP after the switch: the new CA's responder says good" \
    sh -c "openssl ocsp -issuer '$T/new-ca.pem' -cert '$NEWCERT' -url 'http://127.0.0.1:$PORT/ocsp' -CAfile '$T/new-ca.pem' 2>&1 | grep -q ': good'"
# ocsp_says NAME ISSUER CERT [ISSUER CERT]: asks; the answer is kept in
# NAME.der (verified below) and NAME.out.
ocsp_says() {
	n=$1
	shift
	a=
	while [ $# -ge 2 ]; do a="$a -issuer $1 -cert $2"; shift 2; done
	openssl ocsp $a -url "http://127.0.0.1:$PORT/ocsp" -noverify \
	    -respout "$T/$n.der" > "$T/$n.out" 2>&1
	cat "$T/$n.out"
}
OLDSERIAL=$(openssl x509 -in "$OLDCERT" -noout -serial | cut -d= -f2)
$ADMIN revoke "$OLDSERIAL" --reason keyCompromise > /dev/null
ocsp_says old "$T/old-ca.pem" "$OLDCERT" > /dev/null
check "OCSP for the previous CA's certificate: revoked (keyCompromise)" \
    sh -c "grep -q ': revoked' '$T/old.out' && grep -q 'Reason: keyCompromise' '$T/old.out'"
# Both CAs have one name: only the key tells the responders apart.
check "... signed by the previous CA's responder (verifies with the old CA alone)" \
    sh -c "openssl ocsp -respin '$T/old.der' -issuer '$T/old-ca.pem' \
        -cert '$OLDCERT' -CAfile '$T/old-ca.pem' -no_nonce 2>&1 | grep -qx 'Response verify OK'"
check_not "... not with the new CA alone" \
    sh -c "openssl ocsp -respin '$T/old.der' -issuer '$T/old-ca.pem' \
        -cert '$OLDCERT' -CAfile '$T/new-ca.pem' -no_nonce 2>&1 | grep -qx 'Response verify OK'"
ocsp_says cross "$T/new-ca.pem" "$OLDCERT" > /dev/null
check "the old certificate's serial asked as the new CA's: unknown" \
    grep -q ': unknown' "$T/cross.out"
ocsp_says mixed "$T/old-ca.pem" "$OLDCERT" "$T/new-ca.pem" "$NEWCERT" > /dev/null
check "one request naming both CA generations: unauthorized" \
    grep -qi 'unauthorized' "$T/mixed.out"
# --- CRLs: one per CA key, named as AD CS names them ---------------------
cdp() { openssl x509 -in "$1" -noout -ext crlDistributionPoints | sed -n 's/^ *URI://p'; }
check "the certificate from before the switch names mscep.crl (CDP)" \
    test "$(cdp "$OLDCERT")" = http://pki.example.test/crl/mscep.crl
check "the new CA key's certificates name mscep(1).crl" \
    test "$(cdp "$NEWCERT")" = "http://pki.example.test/crl/mscep(1).crl"
check "mscep-admin crl --force publishes the new key's CRL" \
    sh -c "$ADMIN crl --force | grep -q 'CRL published: .*/crl/mscep(1).crl (entries: 0,'"
getcrl() { curl -sf -o "$T/$2.der" "http://127.0.0.1:$PORT/crl/$1" &&
    openssl crl -inform DER -in "$T/$2.der" -out "$T/$2.pem"; }
check "the old key's CRL is still served at /crl/mscep.crl" getcrl mscep.crl old-crl
check "... signed by the old CA key (verifies with the old CA alone)" \
    sh -c "openssl crl -in '$T/old-crl.pem' -noout -CAfile '$T/old-ca.pem' 2>&1 | grep -qx 'verify OK'"
check "... and lists the revoked certificate of the old CA" \
    sh -c "openssl verify -crl_check -CAfile '$T/old-ca.pem' -CRLfile '$T/old-crl.pem' '$OLDCERT' 2>&1 | grep -q 'certificate revoked'"
check "the new key's CRL at /crl/mscep(1).crl verifies with the new CA" getcrl \
    'mscep(1).crl' new-crl
check "... and passes the new certificate" \
    openssl verify -crl_check -CAfile "$T/new-ca.pem" -CRLfile "$T/new-crl.pem" "$NEWCERT"
check_not "... not the old CA's (another key)" \
    sh -c "openssl crl -in '$T/new-crl.pem' -noout -CAfile '$T/old-ca.pem' 2>&1 | grep -qx 'verify OK'"
REN=$(ls "$T"/renewed/*.pem | head -1)
check "GetCRL naming a certificate of the new key returns mscep(1).crl" \
    sh -c "$CLI -u '$URL' --cert '$REN' --key '${REN%.pem}.key' --crl-out '$T/getcrl-new.der' getcrl &&
        cmp -s '$T/getcrl-new.der' '$T/new-crl.der'"
check "GetCRL naming the old key's (revoked) certificate returns mscep.crl" \
    sh -c "$CLI -u '$URL' --cert '$OLDCERT' --key '${OLDCERT%.pem}.key' --crl-ca '$T/old-ca.pem' --crl-out '$T/getcrl-old.der' getcrl &&
        cmp -s '$T/getcrl-old.der' '$T/old-crl.der'"
PREV=$(ls -d "$S"/previous/*/)
old_resp=$(openssl x509 -in "$PREV/ocsp.crt" -noout -serial)
check "ocsp-cert --previous reissues the previous CA's responder" \
    sh -c "$ADMIN ocsp-cert --previous --days 30 --key ec:P-256 | grep -q 'previous/.*/ocsp.crt'"
check "... a new one, issued by the old CA" sh -c "
    test \"\$(openssl x509 -in '$PREV/ocsp.crt' -noout -serial)\" != '$old_resp' &&
    openssl verify -CAfile '$T/old-ca.pem' '$PREV/ocsp.crt'"
check "mscep-admin check warns that it expires within 30 days, naming --previous" \
    sh -c "$ADMIN check 2>&1 | grep -q 'previous/.*/ocsp.crt expires within 30 days.*ocsp-cert --previous'"
restart_lighttpd
ocsp_says old2 "$T/old-ca.pem" "$OLDCERT" > /dev/null
check "after a restart the old CA's certificates are answered by it (ECDSA)" \
    sh -c "grep -q ': revoked' '$T/old2.out' &&
        openssl ocsp -respin '$T/old2.der' -issuer '$T/old-ca.pem' -cert '$OLDCERT' \
        -CAfile '$T/old-ca.pem' -no_nonce 2>&1 | grep -qx 'Response verify OK' &&
        openssl ocsp -respin '$T/old2.der' -resp_text -noverify | grep -q 'ecdsa-with-SHA256'"
check "mscep-admin check accepts the switched state" $ADMIN check
check "ca status lists the previous CA" \
    sh -c "$ADMIN ca status | grep -q '^previous CA'"
stop_servers

# --- the pool: SIGHUP loads next/, a switch on its date, SIGHUP again ---
pool_caps() {
	env -i REQUEST_METHOD=GET QUERY_STRING=operation=GetCACaps \
	    REQUEST_URI=/certsrv/mscep/mscep.dll cgi-fcgi -bind \
	    -connect "$T/run/mscep.sock" 2>/dev/null | tr -d '\r'
}
reload_pool() {
	before=$(ps -o pid= --ppid "$pool" | sort | tr -d ' \n')
	kill -HUP "$pool"
	for i in $(seq 1 50); do
		after=$(ps -o pid= --ppid "$pool" | sort | tr -d ' \n')
		[ -n "$after" ] && [ "$after" != "$before" ] &&
		    [ "$(ps -o pid= --ppid "$pool" | wc -l)" -eq 2 ] && break
		sleep 0.1
	done
}
start_pool 2
pool=$LAST_PID
pool_caps > "$T/pool-caps1"
check "pool: GetCACaps without GetNextCACert after the switch" \
    sh -c "grep -qx SCEPStandard '$T/pool-caps1' && ! grep -qx GetNextCACert '$T/pool-caps1'"
check "a rollover that may switch at once (--switch-in 0)" \
    $ADMIN ca rollover --switch-in 0 --key rsa:3072
reload_pool
pool_caps > "$T/pool-caps2"
check "pool: after SIGHUP GetCACaps lists GetNextCACert" grep -qx GetNextCACert "$T/pool-caps2"
check "ca switch on the switch date needs no --now" $ADMIN ca switch
check "... the new CA has the requested 3072-bit key" \
    sh -c "openssl x509 -in '$S/ca.crt' -noout -text | grep -q 'Public-Key: (3072 bit)'"
reload_pool
pool_caps > "$T/pool-caps3"
check "pool: after SIGHUP GetNextCACert is gone again" \
    sh -c "grep -qx SCEPStandard '$T/pool-caps3' && ! grep -qx GetNextCACert '$T/pool-caps3'"
check "previous/ holds both replaced CAs" test "$(ls "$S/previous" | wc -l)" = 2
check_not "no temporary folders are left in the state folder" \
    sh -c "ls -a '$S' '$S/previous' | grep -E '^\.(next|switched)|\.tmp$'"
stop_servers

# --- mdm-challenge: an MDM signer the previous CA issued stays trusted ---------
sed -i 's/^Module = .*/Module = mdm-challenge/' "$INI"
check "mdm-init: an MDM signer from the current CA" \
    sh -c "$ADMIN mdm-init --out '$T/mdm' >/dev/null"
sleep 1		# previous/<time> has one-second resolution
check "another rollover and switch" \
    sh -c "$ADMIN ca rollover --switch-in 0 >/dev/null && $ADMIN ca switch >/dev/null"
check_not "the MDM signer does not chain to the new CA" \
    openssl verify -CAfile "$S/ca.crt" "$T/mdm/mdm-sign.crt"
check "mscep-admin check accepts Module=mdm-challenge after the switch" $ADMIN check
start_lighttpd
b=$($ADMIN challenge --mdm "$T/mdm" --subject /O=mscep-test/CN=mdm-1 \
    --device dev-1 --key-usage both)
check "a challenge from that MDM signer still enrolls" \
    $CLI -u "$URL" --cn mdm-1 --exact-cn -p "$b" enroll
finish
