#!/usr/bin/env bash
# [Policy] Module = exec: an administrator's program decides, given the
# CSR (PEM) and challenge on stdin; exit 0 allows, anything else and the
# timeout refuse, and nothing is issued.
. "$(dirname "$0")/lib.sh"

make_ini Module=exec VerifierCommand="$T/verify.sh" VerifierTimeoutSeconds=2
cat > "$T/verify.sh" <<EOT
#!/bin/sh
echo \$\$ >> "$T/verify.pids"
cat > "$T/verify.in"
env | grep '^MSCEP_' > "$T/verify.env"
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

check "the verifier's yes enrolls" $CLI -u "$URL" -p let-me-in enroll
check "it got the CSR in PEM" grep -q 'BEGIN CERTIFICATE REQUEST' "$T/verify.in"
check "it got the transactionID and template in its environment" sh -c "
    grep -q '^MSCEP_TRANSACTION_ID=[0-9A-F]\{64\}\$' '$T/verify.env' &&
    grep -q '^MSCEP_TEMPLATE=IPSECIntermediateOffline\$' '$T/verify.env'"
check "plain GETs of the SCEP URL still get NDES's page (only intune hides it)" \
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
