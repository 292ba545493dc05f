#!/usr/bin/env bash
# [Policy] Module = exec: an administrator's program decides, given the
# CSR (PEM) and challenge on stdin; exit 0 allows, anything else and the
# timeout refuse, and nothing is issued.
. "$(dirname "$0")/lib.sh"

make_ini Module=exec VerifierCommand="$T/verify.sh" VerifierTimeoutSeconds=2 \
    AllowRenewal=1 \
    "Capabilities=AES, DES3, POSTPKIOperation, Renewal, SCEPStandard, SHA-1, SHA-256, SHA-512"
cat > "$T/verify.sh" <<EOT
#!/bin/sh
echo \$\$ >> "$T/verify.pids"
cat > "$T/verify.in"
env | grep '^MSCEP_' > "$T/verify.env"
if [ "\$MSCEP_MESSAGE_TYPE" = RenewalReq ]; then
	cp "$T/verify.env" "$T/renew.env"
	test -f "$T/deny-renewals" && exit 4
	exit 0
fi
if grep -q '^Challenge: slow\$' "$T/verify.in"; then
	sleep 30 &
	echo \$! > "$T/verify.bg"
	exec sleep 30
fi
grep -q '^Challenge: let-me-in\$' "$T/verify.in" || exit 1
openssl req -noout -in "$T/verify.in" 2>/dev/null || exit 3
exit 0
EOT
chmod 755 "$T/verify.sh"
$ADMIN init >/dev/null
start_lighttpd
CLI=$MSCEP_BIN/scepcli
certs() { sql "select count(*) from certificates"; }

check "the verifier's yes enrolls" $CLI -u "$URL" -p let-me-in -o "$T/c1" enroll
check "it got the CSR in PEM" grep -q 'BEGIN CERTIFICATE REQUEST' "$T/verify.in"
check "it got the transactionID, template and message type in its environment" sh -c "
    grep -q '^MSCEP_TRANSACTION_ID=[0-9A-F]\{64\}\$' '$T/verify.env' &&
    grep -q '^MSCEP_TEMPLATE=IPSECIntermediateOffline\$' '$T/verify.env' &&
    grep -qx 'MSCEP_MESSAGE_TYPE=PKCSReq' '$T/verify.env' &&
    ! grep -q '^MSCEP_RENEWS_SERIAL=' '$T/verify.env'"

# A renewal needs no challenge, but the verifier is asked too.
C1=$(ls "$T"/c1/*.pem | head -1)
S1=$(basename "$C1" .pem)
check "a renewal the verifier allows is issued" \
    $CLI -u "$URL" --cert "$C1" --key "${C1%.pem}.key" -o "$T/c2" enroll
check "... the verifier was told RenewalReq and the serial renewed" sh -c "
    grep -qx 'MSCEP_MESSAGE_TYPE=RenewalReq' '$T/renew.env' &&
    grep -qx 'MSCEP_RENEWS_SERIAL=$S1' '$T/renew.env'"
touch "$T/deny-renewals"
n=$(certs)
C2=$(ls "$T"/c2/*.pem | head -1)
check "a renewal the verifier refuses gets badRequest" \
    $CLI -u "$URL" --cert "$C2" --key "${C2%.pem}.key" --expect failure \
    --failinfo 2 enroll
check "... logged with the verifier's exit status" grep -q \
    'policy exec refused the renewal: VerifierRefused: verifier exited with 4' \
    "$T/run/mscep.log"
check "... and nothing issued" test "$(certs)" = "$n"
check "plain GETs of the SCEP URL still get NDES's page (only intune and mdm-challenge hide it)" \
    sh -c "curl -s '$URL' | grep -q 'Network Device Enrollment Service'"
n=$(certs)
check "the verifier's no (exit 1) refuses with badRequest" \
    $CLI -u "$URL" -p wrong --expect failure --failinfo 2 enroll
check "... logged as VerifierRefused with the exit status" \
    grep -q 'policy exec refused: VerifierRefused: verifier exited with 1' "$T/run/mscep.log"
start=$(date +%s%N)
check "a verifier that hangs is refused" \
    $CLI -u "$URL" -p slow --expect failure --failinfo 2 enroll
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "... after VerifierTimeoutSeconds (2 s), not later ($ms ms)" \
    test "$ms" -ge 1900 -a "$ms" -lt 4000
check "... logged as VerifierTimeout" \
    grep -q 'policy exec refused: VerifierTimeout' "$T/run/mscep.log"
check "... and the hanging verifier was killed" \
    sh -c "p=\$(tail -1 '$T/verify.pids'); test -n \"\$p\" && ! kill -0 \$p 2>/dev/null"
# Killed with the process group; gone, or a zombie not yet reaped by init.
check "... and so was the child it started in the background" \
    sh -c "p=\$(cat '$T/verify.bg'); test -n \"\$p\" || exit 1
    for i in \$(seq 1 20); do
	ps -o stat= -p \$p | grep -qv Z || exit 0; sleep 0.1
    done; exit 1"
check "refusals issued nothing" test "$(certs)" = "$n"
check "events record the refusals with their codes" sh -c "
    $ADMIN events | grep -q '\"code\":\"VerifierTimeout\"' &&
    $ADMIN events | grep -q '\"code\":\"VerifierRefused\"'"
finish
