#!/usr/bin/env bash
# The audit stream through the pool behind nginx: [Audit] Target = file:
# gets one JSON line per issuance, refusal, hold, revocation, approval,
# denial and mscep-admin command, each parsing on its own; Target =
# syslog sends the same lines to the syslog socket. Then mscep-admin ra
# renew: new RA certificates served by GetCACert after a reload, the
# old ones kept, check's warnings, and an expired RA certificate (which
# stops issuance) fixed by the renewal.
. "$(dirname "$0")/lib.sh"
CLI=$MSCEP_BIN/scepcli
AUD=$T/audit.log

make_ini PasswordMax=50 Users=alice Target="file:$AUD"
$ADMIN init >/dev/null
TLS=1 render nginx
start_pool 2
spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
wait_url "$URL?operation=GetCACaps"
pool=$(echo $STARTED | cut -d' ' -f1)

# audit_count EXPR: the lines of the audit file for which the Python
# expression EXPR (over e, one parsed line) holds; fails when any line
# is not one JSON object of schema version 1 with an RFC 3339 UTC time.
audit_count() {
	python3 - "$AUD" "$1" <<'PY'
import json, re, sys
class Event(dict):
    def __missing__(self, key):     # a field a line leaves out
        return None
n = 0
for i, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    e = json.loads(line, object_hook=Event)
    assert isinstance(e, dict) and e["version"] == 1, "line %d" % i
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
        e["time"]), "line %d time %r" % (i, e["time"])
    n += bool(eval("(" + sys.argv[2] + ")", {"re": re}, {"e": e}))
print(n)
PY
}
# audit_is N EXPR: exactly N lines match.
audit_is() { [ "$(audit_count "$2")" = "$1" ]; }
# hold_until_listed PATTERN: a pending request matching PATTERN appears.
hold_until_listed() {
	for i in $(seq 1 50); do
		$ADMIN pending | grep -q "$1" && return 0
		sleep 0.2
	done
	return 1
}

# --- PKIOperations ------------------------------------------------------
check "enrollment through the pool" $CLI -u "$URL" -p "$($ADMIN password)" \
    --cn audited -o "$T/c1" enroll
S1=$(basename "$(ls "$T"/c1/*.pem | head -1)" .pem)
check "one issued line: serial, txid, subject, template, policy, client" \
    audit_is 1 "e['event'] == 'issued' and e['serial'] == '$S1' and
    e['program'] == 'mscep' and e['messageType'] == 'PKCSReq' and
    len(e['transactionId']) > 0 and 'CN=audited' in e['subject'] and
    e['template'] == 'IPSECIntermediateOffline' and
    e['policy'] == 'ndes-password' and e['requester'] == '127.0.0.1' and
    e['actor'] == {'type': 'client', 'address': '127.0.0.1'}"
# Two workers appending at once: whole lines only.
for i in $(seq 1 16); do $ADMIN password; done > "$T/pw16"
check "16 enrollments, 4 at a time" $CLI -u "$URL" -P "$T/pw16" -n 16 -j 4 \
    --cn parallel enroll
check "... 16 issued lines, every line whole" audit_is 16 \
    "e['event'] == 'issued' and 'CN=parallel' in e['subject']"
# A hostile subject: quotes, a backslash, a newline, braces.
EVIL=$'/CN=evil"},{"event":"issued\\\nx/O=mscep-test'
check "a refused enrollment with a hostile subject" $CLI -u "$URL" \
    -p 0000000000000000 --subject "$EVIL" --expect failure --failinfo 2 enroll
check "one refused line with failInfo, code and the policy's reason" \
    audit_is 1 "e['event'] == 'refused' and e['failInfo'] == 'badRequest'
    and len(e['reason']) > 0 and len(e['code']) > 0 and
    'serial' not in e"
# The subject as RFC 4514 writes it: \" \, and \0A (the newline).
check "... its subject kept whole inside one JSON string" \
    audit_is 1 'e["event"] == "refused" and
    r"CN=evil\"}\,{\"event\":\"issued\\\0Ax" in e["subject"]'
check "... on one line" test "$(grep -c 'evil' "$AUD")" = 1
check "... and no line was forged by it" audit_is 17 "e['event'] == 'issued'"
check "the file holds one line per event (no interleaving)" \
    test "$(wc -l < "$AUD")" = "$(audit_count True)"

# --- revocation -----------------------------------------------------------
check "revoke $S1" $ADMIN revoke "$S1" --reason keyCompromise
check "a revoked line with the serial and reason, by the admin" \
    audit_is 1 "e['event'] == 'revoked' and e['serial'] == '$S1' and
    e['revocationReason'] == 'keyCompromise' and
    e['program'] == 'mscep-admin' and e['actor']['type'] == 'admin' and
    e['actor']['uid'] == $(id -u)"
check "revoke --device: one line with the selection and the count" \
    sh -c "$ADMIN revoke --device no-such-device >/dev/null"
check "... selector device=no-such-device, count 0" audit_is 1 \
    "e['event'] == 'revoked' and e['selector'] == 'device=no-such-device'
    and e['count'] == 0"

# --- approval -------------------------------------------------------------
sed -i 's/^RequireApproval = .*/RequireApproval = 1/' "$INI"
kill -HUP "$pool"
sleep 1
"$CLI" -u "$URL" -p "$($ADMIN password)" --cn approveme --poll 60 \
    -o "$T/c2" enroll > "$T/approve.out" 2>&1 &
poller=$!
hold_until_listed CN=approveme
ID=$($ADMIN pending | awk -F'\t' '/CN=approveme/ { print $1 }')
check "a held line for the request" audit_is 1 "e['event'] == 'held' and
    'CN=approveme' in e['subject'] and e['messageType'] == 'PKCSReq'"
check "approve $ID" $ADMIN approve "$ID"
wait "$poller"
AS=$(sed -n 's/^OK serial=\([0-9A-F]*\) .*/\1/p' "$T/approve.out")
check "the client got the approved certificate" test -n "$AS"
check "an approved line: request id, serial, subject, requester" \
    audit_is 1 "e['event'] == 'approved' and e['requestId'] == $ID and
    e['serial'] == '$AS' and 'CN=approveme' in e['subject'] and
    e['requester'] == '127.0.0.1' and e['actor']['type'] == 'admin'"
check "the CertPoll that fetched it is no second issuance" \
    audit_is 0 "e['event'] == 'issued' and e.get('serial') == '$AS'"
check "a pending request" $CLI -u "$URL" -p "$($ADMIN password)" \
    --cn denyme --expect pending enroll
ID=$($ADMIN pending | awk -F'\t' '/CN=denyme/ { print $1 }')
check "deny $ID" $ADMIN deny "$ID"
check "a denied line with the request id and transaction" \
    audit_is 1 "e['event'] == 'denied' and e['requestId'] == $ID and
    'CN=denyme' in e['subject'] and len(e['transactionId']) > 0"
sed -i 's/^RequireApproval = .*/RequireApproval = 0/' "$INI"
kill -HUP "$pool"
sleep 1

# --- the password page ----------------------------------------------------
page() {
	curl -s -o "$T/pwbody" -w '%{http_code}' --cacert "$T/state/ca.crt" \
	    -u "$1:$ALICE_PW" "${TLSURL%%/mscep/mscep.dll}/mscep_admin/"
}
check "the password page hands alice a password" test "$(page alice)" = 200
check "... a password line: the web user and address" audit_is 1 \
    "e['event'] == 'password' and e['program'] == 'mscep' and
    e['actor'] == {'type': 'web', 'user': 'alice', 'address': '127.0.0.1'}"
check "mallory (not in [PasswordPage] Users) is refused" test "$(page mallory)" = 403
check "... a password-refused line with the reason" audit_is 1 \
    "e['event'] == 'password-refused' and e['actor']['user'] == 'mallory'
    and 'Users' in e['reason']"
page alice > /dev/null
PW=$(iconv -f utf-16le -t utf-8 "$T/pwbody" | sed -n 's/.*password is: <B> \([0-9A-Fa-f]*\) <\/B>.*/\1/p')
check "the password handed out ($PW) is not in the audit file" \
    sh -c "[ -n '$PW' ] && ! grep -qi '$PW' '$AUD'"

# --- mscep-admin commands ------------------------------------------------
check "init was audited" audit_is 1 "e['event'] == 'command' and
    e['command'] == 'init' and e['exit'] == 0"
check "every admin line names the Unix user" audit_is 0 \
    "e['program'] == 'mscep-admin' and e['actor'].get('user') != '$(id -un)'"
check "a failed command: its arguments and exit status" \
    sh -c "! $ADMIN revoke ZZZ --reason keyCompromise 2>/dev/null"
check "... audited as revoke [ZZZ, --reason, keyCompromise], exit 2" \
    audit_is 1 "e['event'] == 'command' and e['command'] == 'revoke' and
    e['argv'] == ['ZZZ', '--reason', 'keyCompromise'] and e['exit'] == 2"
check "under sudo: SUDO_USER is recorded" env SUDO_USER=alice $ADMIN list
check "... as actor.sudoUser" audit_is 1 "e['command'] == 'list' and
    e['actor'].get('sudoUser') == 'alice'"
check "a --password-like option's value never reaches the line" \
    sh -c "! $ADMIN list --token=s3cr3t --client-secret hunter2 2>/dev/null"
check "... it is redacted" sh -c "! grep -q 's3cr3t\|hunter2' '$AUD' &&
    grep -q '\"--token=(redacted)\",\"--client-secret\",\"(redacted)\"' '$AUD'"
refused() {
	d=$1 pat=$2
	shift 2
	if "$@" > "$T/refused.out" 2>&1; then
		not_ok "$d (it succeeded)"
	elif grep -q -- "$pat" "$T/refused.out"; then
		ok "$d"
	else
		not_ok "$d"
		sed 's/^/#   /' "$T/refused.out" | head -5
	fi
}
sed "s|^Target = .*|Target = file:audit.log|" "$INI" > "$T/bad.ini"
refused "Target = file: with a relative path is a configuration error" \
    'use syslog, off or file:/absolute/path' \
    "$MSCEP_BIN/mscep-admin" -c "$T/bad.ini" check
sed "s|^Target = .*|Target = file:$T/no/such/dir/audit.log|" "$INI" > "$T/bad.ini"
refused "check: an audit file that cannot be opened" \
    "\[Audit\] Target: cannot open $T/no/such/dir/audit.log" \
    "$MSCEP_BIN/mscep-admin" -c "$T/bad.ini" check

# --- syslog target -------------------------------------------------------
spawn "$MSCEP_BIN/logsink" "$T/log.sock"
sink=$LAST_PID
for i in $(seq 1 50); do [ -S "$T/log.sock" ] && break; sleep 0.1; done
sed -i "s|^Target = .*|Target = syslog|; s|^Facility = .*|Facility = local3|; s|^LogSocket = .*|LogSocket = $T/log.sock|" "$INI"
kill -HUP "$pool"
sleep 1
check "Target = syslog: enrollment" $CLI -u "$URL" -p "$($ADMIN password)" \
    --cn syslogged enroll
sleep 0.3
grep 'mscep-audit\[' "$T/run/mscep.log" > "$T/syslog"
check "the issued line went to syslog: local3.info (<158>), tag mscep-audit" \
    grep -qE '^<158>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} mscep-audit\[[0-9]+\]: \{"version":1,.*"event":"issued".*CN=syslogged' "$T/syslog"
check "... and the admin commands' lines too" \
    grep -qE '^<158>.* mscep-audit\[[0-9]+\]: \{.*"event":"command","actor":\{"type":"admin".*"command":"password"' "$T/syslog"
check "each syslog line's message is one JSON object" sh -c \
    "sed 's/^[^{]*//' '$T/syslog' | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'"
kill "$sink"; wait "$sink" 2>/dev/null
check "syslog gone: the admin's line falls back to stderr, whole" sh -c \
    "$ADMIN list 2>&1 >/dev/null | grep -q 'audit line not delivered (cannot send to the syslog socket .*): {\"version\":1'"
sed -i "s|^Target = .*|Target = file:$AUD|" "$INI"
kill -HUP "$pool"
sleep 1

# --- ra renew -------------------------------------------------------------
# ra_serials: the serials of GetCACert's certificates other than the CA.
ca_serial=$(openssl x509 -in "$T/state/ca.crt" -noout -serial | cut -d= -f2)
ra_serials() {
	curl -sf "$URL?operation=GetCACert&message=x" |
	    openssl pkcs7 -inform DER -print_certs 2>/dev/null |
	    awk '/BEGIN CERT/ { c = "" } { c = c $0 "\n" }
	        /END CERT/ { printf "%s", c | "openssl x509 -noout -serial"; close("openssl x509 -noout -serial") }' |
	    cut -d= -f2 | grep -vx "$ca_serial" | sort | tr '\n' ' '
}
file_serial() { openssl x509 -in "$T/state/$1" -noout -serial | cut -d= -f2; }
before=$(ra_serials)
old_sign=$(file_serial ra-sign.crt)
old_enc=$(file_serial ra-enc.crt)
check "GetCACert serves the RA pair ($before)" sh -c \
    "echo '$before' | grep -q '$old_sign' && echo '$before' | grep -q '$old_enc'"
check "ra renew" sh -c "$ADMIN ra renew > '$T/renew.out'"
check "... says to reload the workers" grep -q 'reload the workers' "$T/renew.out"
new_sign=$(file_serial ra-sign.crt)
new_enc=$(file_serial ra-enc.crt)
check "new RA certificates with new keys, the same names" sh -c "
    [ '$new_sign' != '$old_sign' ] && [ '$new_enc' != '$old_enc' ] &&
    [ \"\$(openssl x509 -in '$T/state/ra-sign.crt' -noout -subject)\" = \
      \"\$(openssl x509 -in '$(ls -d "$T"/state/ra-previous/*/)ra-sign.crt' -noout -subject)\" ] &&
    openssl x509 -in '$T/state/ra-sign.crt' -noout -pubkey > '$T/k1' &&
    openssl x509 -in '$(ls -d "$T"/state/ra-previous/*/)ra-sign.crt' -noout -pubkey > '$T/k2' &&
    ! cmp -s '$T/k1' '$T/k2'"
check "the old pairs are kept in ra-previous/<time>/" sh -c "
    d=\$(ls -d '$T'/state/ra-previous/*/) &&
    [ \"\$(openssl x509 -in \$d/ra-enc.crt -noout -serial | cut -d= -f2)\" = '$old_enc' ] &&
    openssl rsa -in \$d/private/ra-sign.key -noout 2>/dev/null"
check "the new certificates verify under the CA" openssl verify \
    -CAfile "$T/state/ca.crt" "$T/state/ra-sign.crt" "$T/state/ra-enc.crt"
check "running workers still serve the old pair" test "$(ra_serials)" = "$before"
kill -HUP "$pool"
sleep 1
after=$(ra_serials)
check "after SIGHUP GetCACert serves the new pair ($after)" sh -c \
    "echo '$after' | grep -q '$new_sign' && echo '$after' | grep -q '$new_enc' &&
    ! echo '$after' | grep -q '$old_sign'"
# scepcli checks that the CertRep's signer is a GetCACert certificate:
# only the new RA signing certificate can be.
check "an enrollment after the renewal works (CertRep by the new RA)" \
    $CLI -u "$URL" -p "$($ADMIN password)" enroll
check "the renewal was audited" audit_is 1 "e['event'] == 'command' and
    e['command'] == 'ra' and e['argv'] == ['renew'] and e['exit'] == 0"

check "ra renew --days 10: an RA certificate about to expire" \
    sh -c "$ADMIN ra renew --days 10 >/dev/null"
refused "... check warns and names ra renew" \
    'RA signing certificate ra-sign.crt expires on .*within 30 days (mscep-admin ra renew' \
    sh -c "$ADMIN check && false"
check "ra renew again: check has no warning left" sh -c \
    "$ADMIN ra renew >/dev/null && $ADMIN check > '$T/chk' 2>&1 &&
    ! grep -q warning '$T/chk'"
check "two renewals in a row keep both old pairs (the same second: <time>-2)" sh -c "
    n=\$(ls '$T/state/ra-previous' | wc -l) &&
    $ADMIN ra renew >/dev/null && $ADMIN ra renew >/dev/null &&
    [ \$(ls '$T/state/ra-previous' | grep -vc '\\.tmp\$') -eq \$((n + 2)) ] &&
    $ADMIN check >/dev/null"
sed 's/^CADirect = .*/CADirect = 1/' "$INI" > "$T/direct.ini"
refused "ra renew with CADirect = 1: there is no RA" 'CADirect = 1: there are no RA' \
    "$MSCEP_BIN/mscep-admin" -c "$T/direct.ini" ra renew
refused "ra renew with an RSA-less key spec" 'RA keys must be RSA' \
    $ADMIN ra renew --key ec:P-256
refused "ra with no known subcommand" 'usage: mscep-admin ra renew' $ADMIN ra

# An expired RA signing certificate (same key, the CA's signature).
R=$T/expired
mkdir -p "$R"
cat > "$R/x.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $R/index.txt
new_certs_dir = $R
serial = $R/serial
default_md = sha256
policy = p
[p]
commonName = supplied
organizationName = optional
[x]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
CNF
: > "$R/index.txt"
echo 1000 > "$R/serial"
openssl x509 -x509toreq -in "$T/state/ra-sign.crt" \
    -signkey "$T/state/private/ra-sign.key" -out "$R/ra.csr" 2>/dev/null
openssl ca -batch -config "$R/x.cnf" -cert "$T/state/ca.crt" \
    -keyfile "$T/state/private/ca.key" -extensions x -in "$R/ra.csr" \
    -startdate 20200101000000Z -enddate 20200201000000Z \
    -out "$T/state/ra-sign.crt" -notext 2>/dev/null
kill -HUP "$pool"
sleep 1
check "an expired RA certificate stops issuance (FAILURE, badRequest)" \
    $CLI -u "$URL" -p "$($ADMIN password)" --expect failure --failinfo 2 enroll
check "... the log names the fix" grep -q \
    'ra-sign.crt expired on 2020-02-01.*mscep-admin ra renew' "$T/run/mscep.log"
refused "... check refuses it, naming ra renew" \
    'expired on 2020-02-01.*mscep-admin ra renew' $ADMIN check
check "ra renew from the expired pair" sh -c "$ADMIN ra renew >/dev/null"
kill -HUP "$pool"
sleep 1
check "after the renewal and a reload, enrollment works again" \
    $CLI -u "$URL" -p "$($ADMIN password)" enroll
check "and check is clean" $ADMIN check

finish
