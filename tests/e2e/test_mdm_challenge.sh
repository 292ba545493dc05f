#!/usr/bin/env bash
# The mdm-challenge policy module through lighttpd: challenge blobs made by
# `mscep-admin challenge` (as an MDM would), enrolled by Debian's
# scepclient and by scepcli; every kind of bad blob refused with its named
# reason and nothing issued; two workers racing one blob; 403 on a plain
# GET; events; a hanging NotifyCommand; the challenge key in the signer.
. "$(dirname "$0")/lib.sh"

make_ini Module=mdm-challenge SidUrlSan=1 NotifyCommand="$T/notify.sh" NotifyTimeoutSeconds=3
cat > "$T/notify.sh" <<EOT
#!/bin/sh
cat >> "$T/notified"
echo \$\$ >> "$T/notify.pids"
exec sleep 60
EOT
chmod 755 "$T/notify.sh"
$ADMIN init >/dev/null
$ADMIN check > "$T/check.out" 2>&1
rc=$?
check "mscep-admin check fails for Module=mdm-challenge before mdm-init, saying so" \
    sh -c "test $rc = 1 && grep -q 'mdm-init' '$T/check.out'"
check "mdm-init writes the MDM's files and trusts its signer" sh -c "
    $ADMIN mdm-init --out '$T/mdm' >/dev/null &&
    test -f '$T/mdm/mdm-sign.key' -a -f '$T/mdm/challenge.crt' &&
    test \$(stat -c %a '$T/mdm/mdm-sign.key') = 600 &&
    grep -q 'BEGIN CERTIFICATE' '$T/state/mdm-signers.pem'"
check "mscep-admin check passes after mdm-init" $ADMIN check
start_lighttpd
CLI=$MSCEP_BIN/scepcli
blob() { $ADMIN challenge --mdm "$T/mdm" "$@"; }
certs() { sql "select count(*) from certificates"; }

check "plain GET of the SCEP URL: 403 Access is denied" sh -c "
    test \$(curl -s -o '$T/body' -w '%{http_code}' '$URL') = 403 &&
    grep -q 'Access is denied' '$T/body'"
check "GetCACaps still answers" curl -sf -o /dev/null "$URL?operation=GetCACaps"
check "GetCACert still answers" curl -sf -o /dev/null "$URL?operation=GetCACert"

# scepclient's subject is C=US, O=scep-client, OU=MDM, CN=<cn>, no SANs.
b=$(blob --subject /C=US/O=scep-client/OU=MDM/CN=dev1 --device dev-1 \
    --sid S-1-5-21-1004336348-1177238915-682003330-1001)
check "a challenge fits a GET URL and a CSR attribute (${#b} chars)" test "${#b}" -lt 2048
mkdir -p "$T/sc1"
check "scepclient enrolls with a valid challenge" sh -c "cd '$T/sc1' &&
    timeout 60 scepclient -server-url '$URL' -challenge '$b' -cn dev1 \
    -private-key k.pem -certificate c.pem >out 2>&1"
check "its subject is the expected one" sh -c "
    openssl x509 -in '$T/sc1/c.pem' -noout -subject -nameopt compat |
    grep -q 'C=US/O=scep-client/OU=MDM/CN=dev1'"
# KB5014754: SEQUENCE { [0] { OID 1.3.6.1.4.1.311.25.2.1, [0] { OCTET
# STRING "S-1-5-..." } } }, the SID as text.
sidhex=$(printf 'S-1-5-21-1004336348-1177238915-682003330-1001' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
check "it carries the SID extension 1.3.6.1.4.1.311.25.2, encoded as AD CS does" sh -c "
    openssl asn1parse -in '$T/sc1/c.pem' | grep -A1 ':1.3.6.1.4.1.311.25.2\$' | tail -1 |
    grep -q 'HEX DUMP\]:303FA03D060A2B060104018237190201A02F042D$sidhex\$'"
check "and the SAN URI tag:microsoft.com,2022-09-14:sid:... (SidUrlSan=1)" sh -c "
    openssl x509 -in '$T/sc1/c.pem' -noout -ext subjectAltName |
    grep -q 'URI:tag:microsoft.com,2022-09-14:sid:S-1-5-21-1004336348-1177238915-682003330-1001'"
check "the enrollment is logged with the policy's result" \
    grep -q 'op=PKIOperation method=POST msg=PKCSReq .*result=SUCCESS' "$T/run/mscep.log"

# scepcli: exact subject O=mscep-test, CN=laptop-42 and chosen SANs.
S=/O=mscep-test/CN=laptop-42
sans="--san dns:laptop-42.example --san email:alice@example.com --san upn:alice@example.com"
cli_sans="--san-dns laptop-42.example --san-email alice@example.com --san-upn alice@example.com"
good=$(blob --subject $S --device dev-42 $sans --key-usage both)
mkdir -p "$T/ok"
check "scepcli enrolls with subject and three SANs as expected" \
    $CLI -u "$URL" --cn laptop-42 --exact-cn $cli_sans -p "$good" -o "$T/ok" enroll
check "the certificate has exactly those SANs" sh -c "
    openssl x509 -in \$(ls '$T'/ok/*.pem) -noout -ext subjectAltName | tr -d ' ' |
    grep -qx 'DNS:laptop-42.example,email:alice@example.com,othername:UPN::alice@example.com' ||
    openssl x509 -in \$(ls '$T'/ok/*.pem) -noout -ext subjectAltName | tr -d ' ' |
    grep -qx 'DNS:laptop-42.example,email:alice@example.com,othername:UserPrincipalName::alice@example.com'"
check "no SID given, no SID extension" sh -c "
    ! openssl x509 -in \$(ls '$T'/ok/*.pem) -noout -text | grep -q '1.3.6.1.4.1.311.25.2'"

# A SID with SANs: the SID URI joins the SANs the blob expects.
sidb=$(blob --subject $S --device dev-42 $sans --sid S-1-5-21-7-8-9-1104)
mkdir -p "$T/sid"
check "a blob with SANs and a SID enrolls" \
    $CLI -u "$URL" --cn laptop-42 --exact-cn $cli_sans -p "$sidb" -o "$T/sid" enroll
check "its certificate keeps all three SANs and adds the SID URI" sh -c "
    openssl x509 -in \$(ls '$T'/sid/*.pem) -noout -ext subjectAltName > '$T/sid.san' &&
    grep -q 'DNS:laptop-42.example' '$T/sid.san' && grep -q 'email:alice@example.com' '$T/sid.san' &&
    grep -q 'alice@example.com.*URI:tag:microsoft.com,2022-09-14:sid:S-1-5-21-7-8-9-1104' '$T/sid.san'"

# Subject compared as X.500 does (case folded), issued as the MDM wrote it.
low=$(blob --subject $S --device dev-42 $sans)
mkdir -p "$T/case"
check "a CSR subject differing only in case is accepted" \
    $CLI -u "$URL" --cn LAPTOP-42 --exact-cn $cli_sans -p "$low" -o "$T/case" enroll
check "... and the certificate carries the blob's subject, not the CSR's" sh -c "
    openssl x509 -in \$(ls '$T'/case/*.pem) -noout -subject | grep -q 'CN = laptop-42\$'"

# No requester may supply the strong-mapping URI itself.
u=$(blob --subject $S --device dev-42 $sans --san uri:tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-500)
n=$(certs)
check "a CSR carrying its own SID URI is refused, even when the blob lists it" \
    $CLI -u "$URL" --cn laptop-42 --exact-cn $cli_sans \
    --san-uri tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-500 -p "$u" \
    --expect failure --failinfo 2 enroll
check "... with the reason logged" grep -q 'strong-mapping SID URI' "$T/run/mscep.log"
check "... and nothing issued" test "$(certs)" = "$n"

# refused NAME CODE CLI-ARGS...: a FAILURE badRequest (failInfo 2), the
# code in the log line, and no certificate.
refused() {
	name=$1 code=$2
	shift 2
	n=$(certs)
	check "$name: refused with failInfo badRequest" \
	    $CLI -u "$URL" --expect failure --failinfo 2 "$@" enroll
	check "$name: logged as $code" \
	    grep -q "result=FAILURE failInfo=badRequest .*policy mdm-challenge refused: $code" "$T/run/mscep.log"
	check "$name: nothing issued" test "$(certs)" = "$n"
}
refused "replayed blob" ChallengeReplayed \
    --cn laptop-42 --exact-cn $cli_sans -p "$good"
# Tampered in the last bytes: the ciphertext and GCM tag, not the
# recipient identifier (the same in every blob).
t=$(blob --subject $S --device dev-42 $sans)
c=${t:${#t}-30:1}
[ "$c" = A ] && r=B || r=A
t="${t:0:${#t}-30}$r${t:${#t}-29}"
refused "tampered blob" ChallengeDecryptionError --cn laptop-42 --exact-cn $cli_sans -p "$t"
# A signer mscep does not trust: a self-made key and certificate.
mkdir -p "$T/rogue" && cp "$T/mdm/challenge.crt" "$T/rogue/"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=rogue -keyout "$T/rogue/mdm-sign.key" -out "$T/rogue/mdm-sign.crt" 2>/dev/null
r=$($ADMIN challenge --mdm "$T/rogue" --subject $S --device dev-42 $sans)
refused "blob from an untrusted signer" SignatureValidationFailed \
    --cn laptop-42 --exact-cn $cli_sans -p "$r"
e=$(blob --subject $S --device dev-42 $sans --not-before -7200 --ttl 600)
refused "expired blob" ChallengeExpired --cn laptop-42 --exact-cn $cli_sans -p "$e"
f=$(blob --subject $S --device dev-42 $sans --not-before 7200)
refused "blob from the future" ChallengeInvalidTimestamp --cn laptop-42 --exact-cn $cli_sans -p "$f"
m=$(blob --subject /O=mscep-test/CN=laptop-43 --device dev-42 $sans)
refused "subject mismatch" SubjectNameMismatch --cn laptop-42 --exact-cn $cli_sans -p "$m"
x=$(blob --subject $S --device dev-42 --san dns:laptop-42.example --san email:alice@example.com)
refused "extra SAN in the CSR" SubjectAltNameMismatch --cn laptop-42 --exact-cn $cli_sans -p "$x"
y=$(blob --subject $S --device dev-42 $sans --san uri:urn:device:42)
refused "SAN missing from the CSR" SubjectAltNameMissing --cn laptop-42 --exact-cn $cli_sans -p "$y"
k=$(blob --subject $S --device dev-42 $sans --key-usage sig)
refused "key usage other than the blob's" KeyUsageMismatch --cn laptop-42 --exact-cn $cli_sans -p "$k"
p=$(blob --subject $S --device dev-42 $sans --profile SomeOtherTemplate)
refused "blob for another template" ScepProfileMismatch --cn laptop-42 --exact-cn $cli_sans -p "$p"
refused "a one-time password instead of a blob" ChallengeDecryptionError \
    --cn laptop-42 --exact-cn $cli_sans -p 1ED0DD50F7459D6E
refused "no challenge at all" ChallengePasswordMissing --cn laptop-42 --exact-cn $cli_sans

# Two workers race one blob: at most one certificate.
race=$(blob --subject $S --device dev-race $sans)
printf '%s\n%s\n%s\n%s\n' "$race" "$race" "$race" "$race" > "$T/race"
n=$(certs)
$CLI -u "$URL" --cn laptop-42 --exact-cn $cli_sans -n 4 -j 4 -P "$T/race" \
    --expect success enroll > "$T/race.out" 2>&1
check "four parallel requests with one blob: exactly one certificate" \
    test "$(( $(certs) - n ))" = 1
check "... and three refusals" test "$(grep -c '^REFUSED\|^FAIL' "$T/race.out")" = 3

# Events: success and failure, as the connector reports them.
check "mscep-admin events runs" sh -c "$ADMIN events > '$T/events'"
check "events lists successes with serial, thumbprint, expiry, issuer, device" \
    grep -q '"result":"success",.*"code":"Success","deviceId":"dev-42","serial":"[0-9A-F]*","thumbprint":"[0-9A-F]\{40\}","expires":"20[0-9-]*T[0-9:]*Z","issuer":' "$T/events"
check "events lists failures with their reason code" \
    grep -q '"result":"failure",.*"code":"SubjectAltNameMismatch",.*"description":' "$T/events"
check "events --since a future time lists nothing" \
    test -z "$($ADMIN events --since $(( $(date +%s) + 100 )))"
check "the NotifyCommand got the events as JSON lines" \
    grep -q '"code":"ChallengeExpired"' "$T/notified"
ms=$(grep -o 'p99_ms=[0-9.]*' "$T/race.out" | cut -d= -f2)
check "a NotifyCommand that hangs (sleep 60) did not hold up responses (p99 ${ms} ms)" \
    sh -c "test -n '$ms' && awk -v m='$ms' 'BEGIN { exit !(m + 0 < 3000) }'"
sleep 4
check "NotifyCommand ran for the events ($(wc -l < "$T/notify.pids") times)" \
    test "$(wc -l < "$T/notify.pids")" -ge 10
left=
for p in $(cat "$T/notify.pids"); do kill -0 "$p" 2>/dev/null && left="$left $p"; done
check "each hanging NotifyCommand was killed after NotifyTimeoutSeconds (3 s)" test -z "$left"

# Through the signer ([Signer] Socket): it opens the challenges with the
# challenge key, and the workers get no key at all.
stop_servers
SOCK=$T/run/signer.sock
sed -i "s|^Socket *=.*|Socket = $SOCK|" "$INI"
check "the signer starts with the challenge key" start_signer "$SOCK" "$T/run/signer.log"
start_lighttpd
good=$(blob --subject $S --device dev-43 $sans --key-usage both)
mkdir -p "$T/signer"
check "through the signer: a challenge enrolls" \
    $CLI -u "$URL" --cn laptop-42 --exact-cn $cli_sans -p "$good" -o "$T/signer" enroll
check "... the signer opened it with the challenge key (two decryptions)" \
    test "$(grep -c 'op=sign what=decrypt .*result=decrypted' "$T/run/signer.log")" -ge 2
check "... a challenge for another subject still refused" \
    $CLI -u "$URL" --cn laptop-43 --exact-cn $cli_sans -p "$good" \
    --expect failure enroll
check "... no worker read the challenge key" \
    sh -c "! grep -q 'cannot read the private key' '$T/run/mscep.log'"
finish
