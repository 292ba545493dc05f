#!/usr/bin/env bash
# Module = intune: a certificate reaches the device only once Intune
# acknowledged its successNotification. The stand-in fails that call
# (503, garbage, a dropped connection): the device gets PENDING and
# nothing; the certificate is recorded once, its notice kept in the
# store's outbox across a worker restart and sent again by each CertPoll
# and retransmission; once acknowledged the device gets that certificate.
# mscep-admin intune-notify sends what is owed; approve and deny notify;
# an issuance refused after Intune's yes sends failureNotification.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intune_lib.sh"

intune_standin_start
intune_make_ini
$ADMIN init >/dev/null
start_lighttpd
CLI=$MSCEP_BIN/scepcli
certs() { sql "select count(*) from certificates"; }
owed() { sql "select count(*) from outbox"; }
# enroll KEY OUTDIR scepcli-args...: a PKCSReq with KEY's key, so that the
# same KEY again is a retransmission (same transactionID).
enroll() {
	local key=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	timeout 60 $CLI -u "$URL" -p intune-ok-held --keys "$key" \
	    --subject "/CN=held-$(basename "$key" .pem)" -o "$dir" "$@" enroll
}
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/k1.pem" 2>/dev/null

control '{"notify_fail": 1}'
check "successNotification answered 503: the PKCSReq gets PENDING" \
    enroll "$T/k1.pem" "$T/d1" --expect pending
check "nothing was delivered" test -z "$(ls "$T/d1")"
check "the certificate is recorded once, its notice kept in the outbox" \
    test "$(certs)" = 1 -a "$(owed)" = 1 -a \
    "$(sql "select count(*) from outbox o join certificates c on c.serial = o.serial and c.transaction_id = o.transaction_id where o.action = 'successNotification' and o.tries = 1")" = 1
serial=$(sql "select serial from certificates")
check "the log says PENDING, the serial held and Intune's answer" sh -c "
    mscep_log() { cat '$T/run/mscep.log'; }
    mscep_log | grep 'result=PENDING' | grep 'certificate $serial issued, held' | grep -q 'HTTP 503'"
v=$(count validateRequest)
control '{"notify_fail": 2, "notify_fail_mode": "garbage"}'
check "garbage answers: the retransmission and a CertPoll get PENDING" \
    enroll "$T/k1.pem" "$T/d1" --expect pending --poll 1
check "... nothing delivered, no second certificate, no second validateRequest" \
    test -z "$(ls "$T/d1")" -a "$(certs)" = 1 -a "$(count validateRequest)" = "$v"
check "... the outbox counts three failed tries" \
    test "$(sql "select tries from outbox")" = 3
check "the CertPoll went as CertPoll and got PENDING" \
    grep -q 'msg=CertPoll .*result=PENDING' "$T/run/mscep.log"

# A worker restart in between: the outbox is in the store.
restart_lighttpd
check "after a restart the notice is still owed (intune-notify --list)" sh -c "
    $ADMIN intune-notify --list | grep -P '^\\d+\\tsuccessNotification\\t$serial\\t'"
# Two: a dropped connection is retried once at once (a new discovery).
control '{"notify_fail": 2, "notify_fail_mode": "drop"}'
check "a dropped connection: PENDING; Intune back: the next CertPoll gets SUCCESS" \
    enroll "$T/k1.pem" "$T/d1" --poll 3
check "the certificate delivered is the one recorded first (serial $serial)" \
    test -f "$T/d1/$serial.pem" -a "$(certs)" = 1
check "the poll that released it was a CertPoll" \
    grep -q "msg=CertPoll .*result=SUCCESS serial=$serial" "$T/run/mscep.log"
check "the outbox is empty" test "$(owed)" = 0
CALLS=$T/standin/calls.jsonl
check "the acknowledged successNotification named that certificate: SHA-1 thumbprint, serial, expiry, transactionID" \
    intune_names_cert "$T/d1/$serial.pem"
check "every try sent the same notification" \
    test "$(intune_calls successNotification | sort -u | wc -l)" = 1
n=$(count successNotification)
check "a later retransmission: SUCCESS at once, the same serial" sh -c "
    timeout 60 $CLI -u '$URL' -p intune-ok-held --keys '$T/k1.pem' \
	--subject /CN=again enroll | grep -q 'OK serial=$serial '"
check "... nothing sent again, no second certificate" \
    test "$(count successNotification)" = "$n" -a "$(certs)" = 1

# mscep-admin intune-notify sends what is owed; the device then gets it.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/k2.pem" 2>/dev/null
control '{"notify_fail": 1}'
check "another held certificate" enroll "$T/k2.pem" "$T/d2" --expect pending
check "mscep-admin intune-notify sends it" sh -c "
    $ADMIN intune-notify | grep -q '^1 sent, 0 still owed'"
check "... and the next retransmission gets the certificate" \
    enroll "$T/k2.pem" "$T/d2"
check "... written by the client" test "$(ls "$T/d2" | grep -c '\.pem$')" = 1
check "two certificates in all, nothing owed" \
    test "$(certs)" = 2 -a "$(owed)" = 0
control '{"notify_fail": 1}'
check "intune-notify with nothing owed: 0 sent" sh -c "
    $ADMIN intune-notify | grep -q '^0 sent, 0 still owed'"
control '{}'

# Issuance refused after Intune's yes (lint: an RSA public exponent of
# 3, looked at only in the certificate about to be signed):
# failureNotification with a signed HRESULT.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -pkeyopt rsa_keygen_pubexp:3 -out "$T/e3.pem" 2>/dev/null
n=$(certs)
check "an RSA key with exponent 3: FAILURE badRequest after validation" \
    timeout 60 $CLI -u "$URL" -p intune-ok-e3 --keys "$T/e3.pem" \
    --expect failure --failinfo 2 enroll
check "... nothing issued" test "$(certs)" = "$n"
failure_sent() {
	intune_calls failureNotification | tail -1 | python3 -c '
import json, sys
n = json.load(sys.stdin)["notification"]
assert n["hResult"] == -2147467259 and n["transactionId"], n
assert 0 < len(n["errorDescription"]) <= 255 and n["certificateRequest"], n
assert "exponent" in n["errorDescription"], n'
}
check "failureNotification: transactionID, hResult -2147467259, the reason in at most 255 characters" \
    failure_sent

# failureNotification unacknowledged: kept in the outbox, sent by
# mscep-admin intune-notify (once it fails, then it goes).
f=$(count failureNotification)
control '{"failure_fail": 2}'
check "failureNotification answered 503: the device still gets FAILURE badRequest" \
    timeout 60 $CLI -u "$URL" -p intune-ok-e3b --keys "$T/e3.pem" \
    --expect failure --failinfo 2 enroll
check "... the notice is kept in the outbox with its error" \
    test "$(sql "select count(*) from outbox where action = 'failureNotification' and tries = 1 and serial is null and last_error like '%503%'")" = 1
check "... and listed by intune-notify --list" sh -c "
    $ADMIN intune-notify --list | grep -q 'failureNotification'"
check_not "intune-notify while Intune still fails: exit non-zero" \
    $ADMIN intune-notify
check "... the notice still owed, two tries" \
    test "$(sql "select tries from outbox where action = 'failureNotification'")" = 2
check "intune-notify once Intune answers: sent" $ADMIN intune-notify
check "... nothing owed" test "$(owed)" = 0
check "... Intune got it: three calls, the last acknowledged" \
    test "$(count failureNotification)" = $((f + 3))
check "... with the same transactionID and HRESULT" failure_sent

# Held for approval: approve notifies (held while it fails), deny too.
stop_lighttpd
sed -i 's/^RequireApproval = .*/RequireApproval = 1/' "$INI"
start_lighttpd
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/k3.pem" 2>/dev/null
check "RequireApproval: an Intune-validated request is held (PENDING)" \
    enroll "$T/k3.pem" "$T/d3" --expect pending
ID=$($ADMIN pending | awk -F'\t' 'NR == 2 { print $1 }')
control '{"notify_fail": 2}'
check "approve while successNotification fails: recorded, held, says so" sh -c "
    $ADMIN approve $ID > '$T/approve.out' && grep -q 'held until the policy' '$T/approve.out'"
check "... PENDING again, then a CertPoll sends it and gets the certificate" \
    enroll "$T/k3.pem" "$T/d3" --poll 2
check "... after a CertPoll" grep -q 'msg=CertPoll .*result=SUCCESS' "$T/run/mscep.log"
check "... which the notification named" \
    intune_names_cert "$(ls "$T"/d3/*.pem)"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/k4.pem" 2>/dev/null
f=$(count failureNotification)
check "another held request" enroll "$T/k4.pem" "$T/d4" --expect pending
ID=$($ADMIN pending | awk -F'\t' 'NR == 2 { print $1 }')
$ADMIN deny "$ID" >/dev/null 2>&1
check "deny sends failureNotification" test "$(count failureNotification)" = $((f + 1))

# A held request with Intune's SID URI: approve takes the URI the policy
# vouched for when it was held, and the certificate carries it and the
# SID extension.
SID=S-1-5-21-1004336348-1177238915-682003330-1001
SIDURI="tag:microsoft.com,2022-09-14:sid:$SID"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/k5.pem" 2>/dev/null
control '{"notify_fail": 0}'
check "a held request with Intune's SID URI" \
    enroll "$T/k5.pem" "$T/d5" --expect pending --san-uri "$SIDURI"
ID=$($ADMIN pending | awk -F'\t' 'NR == 2 { print $1 }')
check "... approve issues it" sh -c "
    $ADMIN approve $ID > '$T/approve5.out' 2>&1 && grep -q '^approved request $ID' '$T/approve5.out'"
sed 's/^/# /' "$T/approve5.out"
check "... a CertPoll gets it" enroll "$T/k5.pem" "$T/d5" --poll 2 --san-uri "$SIDURI"
sidhex=$(printf '%s' "$SID" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
check "... with the SID URI once and the SID extension naming that SID" sh -c "
    f=\$(ls '$T'/d5/*.pem) &&
    test \$(openssl x509 -in \$f -noout -ext subjectAltName | grep -o 'URI:$SIDURI' | wc -l) = 1 &&
    openssl asn1parse -in \$f | grep -A1 ':1.3.6.1.4.1.311.25.2\$' | tail -1 | grep -q '$sidhex'"

intune_standin_stop
finish
