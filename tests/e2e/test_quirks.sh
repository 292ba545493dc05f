#!/usr/bin/env bash
# What deployed clients send that RFC 8894 does not ask for, through real
# lighttpd and the project's client building each quirk itself: Apple's
# separate self-signed signer (RequireSignerIsCSRKey), MD5 (AllowMD5),
# signed attributes not in DER, BER indefinite lengths, and renewal by a
# PKCSReq signed with the old certificate (sscep -O). Every refusal names
# its reason and stores nothing.
. "$(dirname "$0")/lib.sh"
CLI=$MSCEP_BIN/scepcli

make_ini AllowRenewal=1 RevokeOnRenewal=1
$ADMIN init >/dev/null
start_lighttpd 2
certs() { sql 'select count(*) from certificates'; }
status_of() { sql "select status || ':' || coalesce(cast(revoke_reason as text), '') from certificates where serial = '$1'"; }
pw() { $ADMIN password | tail -1; }
serial_in() { basename "$(ls "$1"/*.pem | head -1)" .pem; }
restart_with() {
	stop_lighttpd
	sed -i "s|^$1 = .*|$1 = $2|" "$INI"
	start_lighttpd 2
}

# --- Apple: a separate self-signed signer ---------------------------------
check "PKCSReq signed by a separate self-signed key (MDM SCEP SIGNER): issued" \
    "$CLI" -u "$URL" -p "$(pw)" --signer-cn "MDM SCEP SIGNER" --cn apple \
    --exact-cn -o "$T/apple" enroll
SA=$(serial_in "$T/apple")
check "the certificate has the CSR's subject, not the signer's" \
    sh -c "openssl x509 -in '$T/apple/$SA.pem' -noout -subject | grep -q 'CN *= *apple'"
check "the certificate certifies the CSR's key (the key scepcli kept)" \
    sh -c "test \"\$(openssl x509 -in '$T/apple/$SA.pem' -noout -pubkey)\" = \"\$(openssl pkey -in '$T/apple/$SA.key' -pubout)\""
restart_with RequireSignerIsCSRKey 1
n=$(certs)
check "RequireSignerIsCSRKey = 1: badMessageCheck" \
    "$CLI" -u "$URL" -p "$(pw)" --signer-cn "MDM SCEP SIGNER" \
    --expect failure --failinfo 1 enroll
check "the log names it" grep -q "message signer key is not the CSR's key" "$T/run/mscep.log"
check "and it stored nothing" test "$(certs)" = "$n"
check "the CSR's own key still enrolls" "$CLI" -u "$URL" -p "$(pw)" enroll

# --- MD5 --------------------------------------------------------------------
n=$(certs)
check "MD5 digest by default: badAlg" \
    "$CLI" -u "$URL" -p "$(pw)" -d md5 --expect failure --failinfo 0 enroll
check "the log names it" grep -q "MD5 message digest refused" "$T/run/mscep.log"
check "and it stored nothing" test "$(certs)" = "$n"
sed -i 's/^RequireSignerIsCSRKey = .*/RequireSignerIsCSRKey = 0/' "$INI"
restart_with AllowMD5 1
check "AllowMD5 = 1: an MD5-signed PKCSReq is issued (SHA-256 reply)" \
    "$CLI" -u "$URL" -p "$(pw)" -d md5 enroll
check "AllowMD5 = 1: by GET, from a separate signer too" \
    "$CLI" -u "$URL" -p "$(pw)" -d md5 -m get --signer-cn "Cisco" enroll
restart_with AllowMD5 2
check "AllowMD5 = 2: issued, scepcli verifies the MD5-signed reply" \
    "$CLI" -u "$URL" -p "$(pw)" -d md5 enroll

# --- encodings ------------------------------------------------------------
check "signed attributes not in DER, signed as sent: issued" \
    "$CLI" -u "$URL" -p "$(pw)" --non-der-attrs enroll
check "BER indefinite lengths, as iOS sends: issued (POST)" \
    "$CLI" -u "$URL" -p "$(pw)" --ber enroll
check "BER and non-DER attributes by GET: issued" \
    "$CLI" -u "$URL" -p "$(pw)" --ber --non-der-attrs -m get enroll

# --- renewal by PKCSReq signed with the old certificate (sscep -O) --------
check "enroll a certificate to renew" \
    "$CLI" -u "$URL" -p "$(pw)" --san-dns old.example.test -o "$T/c1" enroll
S1=$(serial_in "$T/c1")
n=$(certs)
check "PKCSReq renewal asking for other SANs: badRequest" \
    "$CLI" -u "$URL" --cert "$T/c1/$S1.pem" --key "$T/c1/$S1.key" \
    --renew-pkcsreq --san-dns evil.example.test --expect failure --failinfo 2 enroll
check "the log says why" grep -q "renewal must keep the subject alternative names" "$T/run/mscep.log"
check "and it stored nothing" test "$(certs)" = "$n"
check "PKCSReq signed with the old certificate, no challenge: renewed" \
    "$CLI" -u "$URL" --cert "$T/c1/$S1.pem" --key "$T/c1/$S1.key" \
    --renew-pkcsreq --san-dns old.example.test -o "$T/c2" enroll
S2=$(serial_in "$T/c2")
check "the renewed certificate certifies the new key" \
    sh -c "test \"\$(openssl x509 -in '$T/c2/$S2.pem' -noout -pubkey)\" = \"\$(openssl pkey -in '$T/c2/$S2.key' -pubout)\""
check "and not the old one" bash -c \
    "! cmp -s <(openssl x509 -in '$T/c1/$S1.pem' -noout -pubkey) <(openssl x509 -in '$T/c2/$S2.pem' -noout -pubkey)"
check "RevokeOnRenewal: the old certificate is revoked as superseded (4)" \
    test "$(status_of "$S1")" = "revoked:4"
n=$(certs)
check "a PKCSReq from the revoked certificate: badCertId" \
    "$CLI" -u "$URL" --cert "$T/c1/$S1.pem" --key "$T/c1/$S1.key" \
    --renew-pkcsreq --san-dns old.example.test --expect failure --failinfo 4 enroll
check "the log names it" grep -q "PKCSReq renewal signer certificate $S1 is revoked" "$T/run/mscep.log"
check "and it stored nothing" test "$(certs)" = "$n"
# A certificate another CA issued for the same subject and key.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=Foreign-CA \
    -keyout "$T/fca.key" -out "$T/fca.pem" -days 2 2>/dev/null
openssl x509 -in "$T/c2/$S2.pem" -x509toreq -signkey "$T/c2/$S2.key" \
    -out "$T/f.csr" 2>/dev/null
openssl x509 -req -in "$T/f.csr" -CA "$T/fca.pem" -CAkey "$T/fca.key" \
    -CAcreateserial -days 2 -out "$T/foreign.pem" 2>/dev/null
check "a PKCSReq signed by another CA's certificate: badCertId" \
    "$CLI" -u "$URL" --cert "$T/foreign.pem" --key "$T/c2/$S2.key" \
    --renew-pkcsreq --san-dns old.example.test --expect failure --failinfo 4 enroll
check "the log names it" grep -q "neither self-signed nor issued by this CA" "$T/run/mscep.log"
check "and it stored nothing" test "$(certs)" = "$n"
restart_with AllowRenewal 0
check "AllowRenewal = 0: the PKCSReq renewal is refused badRequest" \
    "$CLI" -u "$URL" --cert "$T/c2/$S2.pem" --key "$T/c2/$S2.key" \
    --renew-pkcsreq --san-dns old.example.test --expect failure --failinfo 2 enroll
check "the log names it" grep -q "does not allow renewal" "$T/run/mscep.log"
check "database integrity" test "$(store_integrity)" = ok
finish
