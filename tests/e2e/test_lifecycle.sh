#!/usr/bin/env bash
# A certificate's later life through real lighttpd and the project's
# client: renewal inside and outside its window, pending -> approve/deny
# -> CertPoll, revocation (one, bulk, idempotent), the published CRL and
# GetCRL. Refused requests change nothing in the store.
. "$(dirname "$0")/lib.sh"
CLI=$MSCEP_BIN/scepcli
T_NAME=IPSECIntermediateOffline

make_ini "Capabilities=AES, DES3, POSTPKIOperation, Renewal, SCEPStandard, SHA-1, SHA-256, SHA-512" \
    AllowRenewal=1 RevokeOnRenewal=1 IncludeCDP=1
# [CRL] URL only ([OCSP] has a URL key too).
sed -i '/^\[CRL\]/,/^\[/ s|^URL =.*|URL = http://127.0.0.1/crl/mscep.crl|' "$INI"
$ADMIN init >/dev/null
start_lighttpd 2
certs() { sql 'select count(*) from certificates'; }
status_of() { sql "select status || ':' || coalesce(cast(revoke_reason as text), '') from certificates where serial = '$1'"; }
pw() { $ADMIN password | tail -1; }
serial_in() { basename "$(ls "$1"/*.pem | head -1)" .pem; }

# --- enrollment, CDP -------------------------------------------------------
check "GetCACaps advertises Renewal (a template allows it)" \
    sh -c "curl -sf '$URL?operation=GetCACaps' | grep -qx Renewal"
check "enroll a certificate with a DNS SAN" \
    "$CLI" -u "$URL" -p "$(pw)" --san-dns dev1.example.test -o "$T/c1" enroll
S1=$(serial_in "$T/c1")
check "the issued certificate names the CRL (CDP)" \
    sh -c "openssl x509 -in '$T/c1/$S1.pem' -noout -ext crlDistributionPoints | grep -q 'URI:http://127.0.0.1/crl/mscep.crl'"
check "scepcli kept the key beside the certificate (0600)" \
    test "$(stat -c %a "$T/c1/$S1.key")" = 600

# --- renewal ---------------------------------------------------------------
n=$(certs)
openssl req -x509 -newkey rsa:2048 -nodes -subj "$(openssl x509 -in "$T/c1/$S1.pem" -noout -subject -nameopt compat | sed 's/^subject=//')" \
    -keyout "$T/self.key" -out "$T/self.pem" -days 2 2>/dev/null
check "RenewalReq signed by a self-signed certificate: badCertId" \
    "$CLI" -u "$URL" --cert "$T/self.pem" --key "$T/self.key" \
    --san-dns dev1.example.test --expect failure --failinfo 4 enroll
check "RenewalReq asking for other SANs: badRequest" \
    "$CLI" -u "$URL" --cert "$T/c1/$S1.pem" --key "$T/c1/$S1.key" \
    --san-dns evil.example.test --expect failure --failinfo 2 enroll
check "the refused renewals stored nothing" test "$(certs)" = "$n"
check "RenewalReq signed with the certificate, no challenge: issued" \
    "$CLI" -u "$URL" --cert "$T/c1/$S1.pem" --key "$T/c1/$S1.key" \
    --san-dns dev1.example.test -o "$T/c2" enroll
S2=$(serial_in "$T/c2")
check "the renewed certificate has the old subject" test \
    "$(openssl x509 -in "$T/c2/$S2.pem" -noout -subject)" = \
    "$(openssl x509 -in "$T/c1/$S1.pem" -noout -subject)"
check "the renewed certificate has a new key" bash -c \
    "! cmp -s <(openssl x509 -in '$T/c1/$S1.pem' -noout -pubkey) <(openssl x509 -in '$T/c2/$S2.pem' -noout -pubkey)"
check "RevokeOnRenewal: the old certificate is revoked as superseded (4)" \
    test "$(status_of "$S1")" = "revoked:4"
n=$(certs)
check "a second renewal from the superseded certificate: badCertId" \
    "$CLI" -u "$URL" --cert "$T/c1/$S1.pem" --key "$T/c1/$S1.key" \
    --san-dns dev1.example.test --expect failure --failinfo 4 enroll
check "and it stored nothing" test "$(certs)" = "$n"
check "the log says why" grep -q "signer certificate $S1 is revoked" "$T/run/mscep.log"

# Outside the window: a 365-day certificate, renewal only in the last 30.
stop_lighttpd
sed -i 's/^RenewalWindowDays = .*/RenewalWindowDays = 30/' "$INI"
start_lighttpd 2
check "RenewalReq 335 days before the window opens: badRequest" \
    "$CLI" -u "$URL" --cert "$T/c2/$S2.pem" --key "$T/c2/$S2.key" \
    --san-dns dev1.example.test --expect failure --failinfo 2 enroll
check "the log names the window" grep -q "renewal too early" "$T/run/mscep.log"
check "and the certificate is still valid" test "$(status_of "$S2")" = "issued:"
# Inside the window: a certificate expiring in 20 days.
stop_lighttpd
sed -i 's/^ValidityDays = .*/ValidityDays = 20/; s/^MaxValidityDays = .*/MaxValidityDays = 20/' "$INI"
start_lighttpd 2
check "enroll a 20-day certificate" \
    "$CLI" -u "$URL" -p "$(pw)" --san-dns dev2.example.test -o "$T/c3" enroll
S3=$(serial_in "$T/c3")
check "RenewalReq inside the 30-day window: issued" \
    "$CLI" -u "$URL" --cert "$T/c3/$S3.pem" --key "$T/c3/$S3.key" \
    --san-dns dev2.example.test -o "$T/c4" enroll

# --- approval --------------------------------------------------------------
stop_lighttpd
sed -i 's/^RequireApproval = .*/RequireApproval = 1/; s/^PendingExpiryHours = .*/PendingExpiryHours = 2/' "$INI"
start_lighttpd 2
n=$(certs)
"$CLI" -u "$URL" -p "$(pw)" --cn approved --san-dns ok.example.test \
    --poll 60 -o "$T/c5" enroll > "$T/approve.out" 2>&1 &
APID=$!
for i in $(seq 1 50); do
	$ADMIN pending | grep -q ok.example.test && break
	sleep 0.2
done
$ADMIN pending > "$T/pending.out"
check "mscep-admin pending lists the request with its SANs" \
    grep -q "SANs: dns:ok.example.test" "$T/pending.out"
check "... its subject, template and requester address" \
    sh -c "grep -P '^\\d+\\t$T_NAME\\taddr=127.0.0.1\\t0m\\t1[12]\\dm\\t.*CN=approved' '$T/pending.out'"
check "a held request issues nothing" test "$(certs)" = "$n"
ID=$(awk -F'\t' 'NR == 2 { print $1 }' "$T/pending.out")
check "mscep-admin approve $ID" sh -c "$ADMIN approve $ID | grep -q 'approved request $ID: certificate'"
wait $APID
check "the polling client gets its certificate after approval" \
    sh -c "grep -q '^OK serial=' '$T/approve.out' && ls '$T/c5'/*.pem"
check "approve the same request again: refused" sh -c "! $ADMIN approve $ID"
AS=$(sed -n 's/^OK serial=\([0-9A-F]*\) .*/\1/p' "$T/approve.out")
check "the approval is one success event with its serial" \
    test "$($ADMIN events | grep -c "\"result\":\"success\".*\"serial\":\"$AS\"")" = 1

"$CLI" -u "$URL" -p "$(pw)" --cn denied --poll 60 --expect failure \
    --failinfo 2 enroll > "$T/deny.out" 2>&1 &
DPID=$!
for i in $(seq 1 50); do
	$ADMIN pending | grep -q CN=denied && break
	sleep 0.2
done
ID=$($ADMIN pending | awk -F'\t' '/CN=denied/ { print $1 }')
n=$(certs)
check "mscep-admin deny $ID" sh -c "$ADMIN deny $ID | grep -q 'denied request $ID'"
wait $DPID
check "the polling client gets FAILURE badRequest after the denial" \
    grep -q '^REFUSED failInfo=2' "$T/deny.out"
check "a denial stores no certificate" test "$(certs)" = "$n"
check "and is one event with its reason" \
    test "$($ADMIN events | grep -c '"code":"CertificateRequestDenied"')" = 1

check "a third request is PENDING" \
    "$CLI" -u "$URL" -p "$(pw)" --cn expires --expect pending enroll
ID=$($ADMIN pending | awk -F'\t' '/CN=expires/ { print $1 }')
sql_write "update pending set expires_at = 1 where id = $ID"
check "an expired request is no longer listed" sh -c "! $ADMIN pending | grep -q CN=expires"
check "an expired request cannot be approved" sh -c "! $ADMIN approve $ID 2>&1 | grep -q approved"
# The approver sees what gets signed: ten long OUs ahead of CN=administrator,
# a printer's DNS name ahead of an administrator's UPN and an IP (in the
# CSR's order, which the certificate keeps).
OU=$(printf 'o%.0s' $(seq 1 60))
HIDDEN=""
for i in 0 1 2 3 4 5 6 7 8 9; do HIDDEN="$HIDDEN/OU=$i$OU"; done
HIDDEN="$HIDDEN/CN=administrator"
WHOLE="CN=administrator"
for i in 9 8 7 6 5 4 3 2 1 0; do WHOLE="$WHOLE,OU=$i$OU"; done
n=$(certs)
check "a CSR hiding CN=administrator and a UPN behind long OUs is held" \
    "$CLI" -u "$URL" -p "$(pw)" --subject "$HIDDEN" \
    --san-dns printer-8.example.com --san-ip 10.0.0.8 \
    --san-upn administrator@corp.local --expect pending enroll
$ADMIN pending > "$T/pending2.out"
check "pending shows the whole subject (RFC 4514, ${#WHOLE} characters)" \
    grep -qF "	$WHOLE" "$T/pending2.out"
check "... and every SAN: the DNS name, the IP and the UPN" \
    grep -qxF "		SANs: dns:printer-8.example.com,upn:administrator@corp.local,ip:10.0.0.8" "$T/pending2.out"
ID=$(awk -F'\t' '/CN=administrator/ { print $1 }' "$T/pending2.out")
check "approve $ID issues exactly that" sh -c "$ADMIN approve $ID | grep -q 'approved request $ID'"
check "list --subject with the whole DN finds it" \
    test "$($ADMIN list --subject "$WHOLE" | grep -c '^[0-9A-F]')" = 1
check "... and so does the slash form" \
    test "$($ADMIN list --subject "$HIDDEN" | grep -c '^[0-9A-F]')" = 1
check "list shows its UPN and IP" \
    sh -c "$ADMIN list --subject '$WHOLE' | grep -qxF '		SANs: dns:printer-8.example.com,upn:administrator@corp.local,ip:10.0.0.8'"
# Linted before it is held, and again when approved.
n=$(certs)
p=$($ADMIN pending | grep -c '^[0-9]')
check "a wildcard the template does not allow is refused, not held" \
    "$CLI" -u "$URL" -p "$(pw)" --cn wild --san-dns '*.wild.example.test' \
    --expect failure --failinfo 2 enroll
check "the log names the lint rule" \
    grep -q "reason=\"lint: DNS name '\*.wild.example.test': template does not allow wildcards" "$T/run/mscep.log"
check "nothing was held or stored" \
    sh -c "test '$(certs)' = '$n' && test \"\$($ADMIN pending | grep -c '^[0-9]')\" = '$p'"
stop_lighttpd
sed -i 's/^AllowWildcard = .*/AllowWildcard = 1/' "$INI"
start_lighttpd 2
check "with AllowWildcard = 1 it is held" \
    "$CLI" -u "$URL" -p "$(pw)" --cn wild --san-dns '*.wild.example.test' \
    --expect pending enroll
ID=$($ADMIN pending | awk -F'\t' '/CN=wild/ { print $1 }')
sed -i 's/^AllowWildcard = .*/AllowWildcard = 0/' "$INI"
check "approve lints again: AllowWildcard went back to 0, refused with the rule" \
    sh -c "! $ADMIN approve $ID 2>'$T/wild.err' && grep -q \"lint: DNS name '\\*.wild.example.test'\" '$T/wild.err'"
check "... storing nothing" test "$(certs)" = "$n"
$ADMIN deny "$ID" >/dev/null

S4=$(serial_in "$T/c4")
n=$(certs)
check "a RenewalReq under a template that needs approval is held too" \
    "$CLI" -u "$URL" --cert "$T/c4/$S4.pem" --key "$T/c4/$S4.key" \
    --san-dns dev2.example.test --expect pending enroll
check "... issuing nothing, the certificate it renews still valid" \
    test "$(certs):$(sql "select status from certificates where serial = '$S4'")" = "$n:issued"
check "a request id that is not a number: usage error" sh -c "$ADMIN approve 12x; test \$? = 2"

# --- revocation, CRL, GetCRL ----------------------------------------------
stop_lighttpd
sed -i 's/^RequireApproval = .*/RequireApproval = 0/' "$INI"
start_lighttpd 2
check "mscep-admin revoke $S2 --reason keyCompromise" \
    sh -c "$ADMIN revoke $S2 --reason keyCompromise | grep -qx 'revoked $S2 (keyCompromise)'"
check "revoking it again changes nothing" \
    sh -c "$ADMIN revoke $S2 --reason superseded | grep -q 'already revoked.*(keyCompromise); unchanged'"
check "serials are read in any common spelling (lower case, colons)" \
    sh -c "$ADMIN revoke \$(echo $S2 | tr A-F a-f | sed 's/../&:/g; s/:\$//') | grep -q 'already revoked'"
check "revoking an unknown serial: exit 1" sh -c "$ADMIN revoke DEADBEEF; test \$? = 1"
check "an unknown reason: exit 2" sh -c "$ADMIN revoke $S2 --reason cACompromise; test \$? = 2"
check "revoke without a serial or selector: exit 2" sh -c "$ADMIN revoke; test \$? = 2"
curl -sf -o "$T/published.crl" "http://127.0.0.1:$PORT/crl/mscep.crl"
check "the web server serves the published CRL" test -s "$T/published.crl"
check "the CRL verifies with the CA" \
    openssl crl -inform DER -in "$T/published.crl" -CAfile "$T/state/ca.crt" -noout
openssl crl -inform DER -in "$T/published.crl" -noout -text > "$T/crl.txt"
check "the CRL lists $S2 with reason Key Compromise" \
    sh -c "grep -A4 'Serial Number: $S2' '$T/crl.txt' | grep -q 'Key Compromise'"
check "the CRL lists the superseded $S1" \
    sh -c "grep -A4 'Serial Number: $S1' '$T/crl.txt' | grep -q Superseded"
check "the CRL has a CRL number" grep -q 'X509v3 CRL Number' "$T/crl.txt"
check "nextUpdate is ValidityHours (168) after thisUpdate" sh -c \
    "l=\$(date -d \"\$(openssl crl -inform DER -in '$T/published.crl' -noout -lastupdate | cut -d= -f2)\" +%s); \
     u=\$(date -d \"\$(openssl crl -inform DER -in '$T/published.crl' -noout -nextupdate | cut -d= -f2)\" +%s); \
     test \$((u - l)) = 604800"
ocsp() { openssl ocsp -issuer "$T/state/ca.crt" -cert "$1" \
    -url "http://127.0.0.1:$PORT/ocsp" -CAfile "$T/state/ca.crt" 2>&1; }
ocsp_says() { ocsp "$1" | grep -q "$2"; }
check "OCSP agrees: $S2 revoked, keyCompromise" \
    ocsp_says "$T/c2/$S2.pem" 'Reason: keyCompromise'
check "OCSP: the renewed 20-day certificate is good" \
    ocsp_says "$T/c4/$S4.pem" ': good'
num1=$(openssl crl -inform DER -in "$T/published.crl" -noout -crlnumber | cut -d= -f2)
num1=${num1#0x}
check "GetCRL signed with a valid certificate returns the CRL" \
    "$CLI" -u "$URL" --cert "$T/c4/$(serial_in "$T/c4").pem" \
    --key "$T/c4/$(serial_in "$T/c4").key" --crl-out "$T/getcrl.der" getcrl
check "GetCRL's CRL is the published one" cmp -s "$T/getcrl.der" "$T/published.crl"

for i in 1 2; do
	"$CLI" -u "$URL" -p "$(pw)" --cn bulk --exact-cn -o "$T/bulk" enroll >/dev/null
done
check "two certificates for O=mscep-test/CN=bulk" \
    test "$($ADMIN list --status issued --subject /O=mscep-test/CN=bulk | grep -c '^[0-9A-F]')" = 2
check "bulk revocation by subject revokes both" \
    sh -c "$ADMIN revoke --subject /O=mscep-test/CN=bulk --reason cessationOfOperation | grep -q 'revoked 2 certificate'"
check "list --status revoked shows them" \
    test "$($ADMIN list --status revoked --subject /O=mscep-test/CN=bulk | grep -c cessationOfOperation)" = 2
check "bulk revocation again revokes 0" \
    sh -c "$ADMIN revoke --subject /O=mscep-test/CN=bulk | grep -q 'revoked 0 certificate'"
crl_number() { openssl crl -inform DER -in "$1" -noout -crlnumber | cut -d= -f2 | sed 's/^0x//'; }
num2=$(crl_number "$T/state/crl/mscep.crl")
check "the CRL was republished with a higher number ($num1 -> $num2)" \
    test "$((16#$num2))" -gt "$((16#$num1))"
# lighttpd may answer from its stat cache (server.stat-cache-engine) for
# about a second after the rename: give it two.
for i in $(seq 1 20); do
	curl -sf -o "$T/published2.crl" "http://127.0.0.1:$PORT/crl/mscep.crl"
	[ "$(crl_number "$T/published2.crl")" = "$num2" ] && break
	sleep 0.1
done
check "... and the web server serves it within 2 s" \
    cmp -s "$T/published2.crl" "$T/state/crl/mscep.crl"
check "list --expires-within 30 shows the 20-day certificates only" \
    sh -c "$ADMIN list --expires-within 30 | grep -q $S3 && ! $ADMIN list --expires-within 30 | grep -q $S1"
check "list rejects an unknown status" sh -c "$ADMIN list --status gone; test \$? = 2"
check "list rejects a number of days out of range, naming the option" \
    sh -c "$ADMIN list --expires-within 36501 2>'$T/range.err'; test \$? = 2 &&
    grep -q -- '--expires-within 36501: too large' '$T/range.err'"
check "... and one that is not a number" sh -c "$ADMIN list --expires-within 3x; test \$? = 2"
# Help reads no configuration, and SUBCOMMAND -h runs nothing.
check "mscep-admin -h without a configuration" \
    sh -c "'$MSCEP_BIN/mscep-admin' -c /nonexistent -h | grep -q '^  approve ID'"
check "mscep-admin help revoke" sh -c "
    '$MSCEP_BIN/mscep-admin' -c /nonexistent help revoke | grep -q '^  revoke SERIAL'"
n=$(sql 'select count(*) from passwords')
check "mscep-admin password -h prints its usage" sh -c "
    $ADMIN password -h | grep -q '^  password'"
check "... and makes no password" test "$(sql 'select count(*) from passwords')" = "$n"
check "database integrity" test "$(store_integrity)" = ok
finish
