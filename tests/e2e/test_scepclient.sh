#!/usr/bin/env bash
# Real clients from Debian packages through lighttpd: micromdm's scepclient
# (package scep) enrolling with NDES one-time passwords by POST and GET,
# and certmonger's scep-submit fetching capabilities and certificates.
. "$(dirname "$0")/lib.sh"

make_ini
$ADMIN init --key rsa:3072 >/dev/null
start_lighttpd 2

# enroll NAME PASSWORD: runs scepclient in its own folder $T/NAME.
enroll() {
	mkdir -p "$T/$1"
	(cd "$T/$1" && timeout 60 scepclient -server-url "$URL" -challenge "$2" \
	    -cn "$1" -private-key key.pem -certificate cert.pem) >"$T/$1/out" 2>&1
}
certs() { sql "select count(*) from certificates"; }

pw=$($ADMIN password)
check "mscep-admin password prints 16 hex digits (PasswordLength=8 bytes)" \
    sh -c "echo '$pw' | grep -qxE '[0-9A-F]{16}'"
check "scepclient enrolls by POST with a one-time password" enroll dev1 "$pw"
check "the certificate chains to the CA" \
    openssl verify -CAfile "$T/state/ca.crt" "$T/dev1/cert.pem"
check "the subject is the one requested" \
    sh -c "openssl x509 -in '$T/dev1/cert.pem' -noout -subject | grep -q 'CN = dev1'"
check "EKU comes from the template (clientAuth + IKE intermediate)" \
    sh -c "openssl x509 -in '$T/dev1/cert.pem' -noout -ext extendedKeyUsage | grep -q 'TLS Web Client Authentication, 1.3.6.1.5.5.8.2.2'"
check "the PKIOperation went by POST" \
    grep -q 'op=PKIOperation method=POST msg=PKCSReq .* result=SUCCESS' "$T/run/mscep.log"
serial=$(openssl x509 -in "$T/dev1/cert.pem" -noout -serial | cut -d= -f2)
check "the certificate is in the store with its transaction" \
    test "$(sql "select count(*) from certificates c join transactions t on t.serial = c.serial where c.serial = '$serial'")" = 1
check "the serial carries at least 64 bits" test "${#serial}" -ge 16

n=$(certs)
check_not "a reused one-time password is refused" enroll dev2 "$pw"
check "the refusal is a FAILURE with failInfo badRequest" \
    grep -q 'failInfo: badRequest' "$T/dev2/out"
check "the refusal is logged with its reason" \
    grep -q 'result=FAILURE failInfo=badRequest .*password wrong, already used or expired' "$T/run/mscep.log"
check_not "a wrong password is refused" enroll dev3 0123456789ABCDEF
check_not "a request without a password is refused" enroll dev4 ""
pw=$($ADMIN password)
sql_write "update passwords set expires_at = 1"
check_not "an expired password is refused" enroll dev5 "$pw"
check "refused requests stored nothing" test "$(certs)" = "$n"
check_not "no password appears in the log" grep -q "$pw" "$T/run/mscep.log"

for i in 1 2 3 4 5; do $ADMIN password >/dev/null; done
check_not "a sixth outstanding password is refused (PasswordMax=5)" $ADMIN password
check "and says the cache is full, as NDES does" \
    sh -c "$ADMIN password 2>&1 | grep -q 'The password cache is full.'"

# GET: without POSTPKIOperation clients must send the message in the URL.
stop_lighttpd
sql_write "delete from passwords"
sed -i 's/^Capabilities = .*/Capabilities = AES, DES3, SHA-1, SHA-256, SHA-512/' "$INI"
start_lighttpd 2
check "scepclient enrolls by GET when POST is not advertised" enroll dev6 "$($ADMIN password)"
check "the PKIOperation went by GET" \
    grep -q 'op=PKIOperation method=GET msg=PKCSReq .* result=SUCCESS' "$T/run/mscep.log"

# A template change in the INI changes what is issued.
stop_lighttpd
sed -i -e 's/^ValidityDays = .*/ValidityDays = 30/' \
    -e 's/^ExtendedKeyUsage = .*/ExtendedKeyUsage = serverAuth/' "$INI"
start_lighttpd 2
check "scepclient enrolls under the changed template" enroll dev7 "$($ADMIN password)"
check "the changed template's EKU is issued (serverAuth only)" \
    sh -c "openssl x509 -in '$T/dev7/cert.pem' -noout -ext extendedKeyUsage | grep -qx '    TLS Web Server Authentication'"
check "the changed template's validity is issued (30 days)" \
    sh -c "openssl x509 -in '$T/dev7/cert.pem' -checkend $((29 * 86400)) >/dev/null && ! openssl x509 -in '$T/dev7/cert.pem' -checkend $((31 * 86400)) >/dev/null"

# Renewal: scepclient run again with its issued certificate and key sends a
# RenewalReq signed by that certificate, without a challenge, under the
# same key-derived transactionID.
stop_lighttpd
sed -i -e 's/^Capabilities = .*/Capabilities = AES, DES3, POSTPKIOperation, Renewal, SCEPStandard, SHA-1, SHA-256, SHA-512/' \
    -e 's/^AllowRenewal = .*/AllowRenewal = 1/' \
    -e 's/^RevokeOnRenewal = .*/RevokeOnRenewal = 1/' "$INI"
start_lighttpd 2
old=$(openssl x509 -in "$T/dev1/cert.pem" -noout -serial | cut -d= -f2)
n=$(certs)
check "scepclient renews with its certificate, no challenge" \
    sh -c "cd '$T/dev1' && timeout 60 scepclient -server-url '$URL' -cn dev1 -private-key key.pem -certificate cert.pem >renew.out 2>&1"
new=$(openssl x509 -in "$T/dev1/cert.pem" -noout -serial | cut -d= -f2)
check "the renewal went as RenewalReq and issued a new certificate" \
    sh -c "test '$new' != '$old' && grep -q 'msg=RenewalReq .* result=SUCCESS serial=$new' '$T/run/mscep.log'"
check "one certificate more in the store" test "$(certs)" = $((n + 1))
check "the renewed certificate was revoked as superseded" \
    test "$(sql "select status || revoke_reason from certificates where serial = '$old'")" = revoked4
check "a renewal without a certificate of this CA needs a challenge" \
    sh -c "mkdir -p '$T/dev9' && cd '$T/dev9' && ! timeout 60 scepclient -server-url '$URL' -cn dev9 -private-key key.pem -certificate cert.pem >out 2>&1"

# certmonger's SCEP helper.
check "certmonger scep-submit -c reads GetCACaps" \
    sh -c "/usr/lib/certmonger/scep-submit -u '$URL' -c | grep -qx SHA-256"
/usr/lib/certmonger/scep-submit -u "$URL" -C > "$T/cm-certs.pem"
check "certmonger scep-submit -C reads the RA and CA certificates" \
    test "$(grep -c 'BEGIN CERTIFICATE' "$T/cm-certs.pem")" -eq 3
finish
