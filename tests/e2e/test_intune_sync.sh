#!/usr/bin/env bash
# mscep-admin intune-sync against tests/tools/intune_standin.py (Entra ID,
# Graph and Intune's PkiConnectorFEService over HTTPS, its own test CA):
# devices enroll through lighttpd with challenges the stand-in accepts;
# Intune's revocation requests for one of them, one already revoked, an
# unknown serial and a malformed one are answered 0, 4005, 4004 and 4002;
# the certificate is in the published CRL, OCSP answers revoked, an event
# names Intune; a re-run changes nothing, a request whose result was lost
# is answered the same again; pages (--max-requests), empty pages; a 503,
# a 404 (the service looked up again once), garbage JSON, an upload not
# answered {"value":true} and a refused token end in a non-zero exit with
# a message and nothing revoked wrongly; the systemd timer and service
# verify.
. "$(dirname "$0")/lib.sh"

P=$T/pki
S=$T/standin
mkdir -p "$P" "$S"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/ca.key" -out "$P/ca.crt" \
    -days 2 -subj "/CN=Intune stand-in test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$P/tls.key" -out "$P/tls.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$P/ext"
openssl x509 -req -in "$P/tls.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" \
    -CAcreateserial -days 2 -extfile "$P/ext" -out "$P/tls.crt" 2>/dev/null
printf 'sync-secret~%s\n' "$$" > "$T/secret"
chmod 600 "$T/secret"

CLIENT=11111111-2222-3333-4444-555555555555
TENANT=contoso.onmicrosoft.com
python3 "$TOP/tests/tools/intune_standin.py" --dir "$S" \
    --cert "$P/tls.crt" --key "$P/tls.key" --client-id $CLIENT \
    --tenant $TENANT --secret-file "$T/secret" >>"$T/standin.log" 2>&1 &
SPID=$!
for i in $(seq 1 50); do [ -s "$S/port" ] && break; sleep 0.1; done
SURL=https://127.0.0.1:$(cat "$S/port")
control() { printf '%s\n' "$1" > "$S/control.json"; }
count() { python3 -c "import json; print(json.load(open('$S/counts.json')).get('$1', 0))" 2>/dev/null || echo 0; }
# queue CONTEXT:SERIAL...: Intune's pending revocation requests.
queue() {
	python3 - "$S/revocations.json" "$@" <<'PY'
import json, sys
q = [{"requestContext": a.split(":", 1)[0], "serialNumber": a.split(":", 1)[1],
      "issuerName": None, "caConfiguration": None} for a in sys.argv[2:]]
json.dump(q, open(sys.argv[1], "w"))
PY
}
queued() { python3 -c "import json; print(len(json.load(open('$S/revocations.json'))))"; }
# result CONTEXT: "succeeded errorCode" of the last result uploaded for it.
result() {
	python3 - "$S/revocation_results.jsonl" "$1" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["requestContext"] == sys.argv[2]]
print("%s %s" % (str(r[-1]["succeeded"]).lower(), r[-1]["errorCode"]) if r else "none")
PY
}
nresults() { wc -l < "$S/revocation_results.jsonl" 2>/dev/null || echo 0; }
status_of() { sql "select status from certificates where serial = '$1'"; }
control '{}'

make_ini Module=intune TenantId=$TENANT ClientId=$CLIENT \
    ClientSecretFile="$T/secret" AuthorityURL="$SURL" GraphURL="$SURL" \
    CABundle="$P/ca.crt" TimeoutSeconds=3 Target="file:$T/audit.log"
$ADMIN init >/dev/null
start_lighttpd
CLI=$MSCEP_BIN/scepcli
CA=$T/state/ca.crt
OCSP=http://127.0.0.1:$PORT/ocsp
enroll() { # enroll NAME: prints the serial as the store writes it
	mkdir -p "$T/certs/$1"
	timeout 60 $CLI -u "$URL" -p "intune-ok-$1" -o "$T/certs/$1" enroll >/dev/null &&
	    openssl x509 -in "$T"/certs/"$1"/*.pem -noout -serial | sed 's/^serial=//'
}
cert() { ls "$T"/certs/"$1"/*.pem; }
ocsp() { # ocsp NAME: openssl ocsp's word for that certificate
	openssl ocsp -issuer "$CA" -cert "$(cert "$1")" -url "$OCSP" -CAfile "$CA" \
	    2>/dev/null | sed -n "s|^$(cert "$1"): ||p"
}
A=$(enroll a) B=$(enroll b) C=$(enroll c) D=$(enroll d)
check "four devices enrolled through Intune's validation" sh -c "
    test -n '$A' && test -n '$B' && test -n '$C' && test -n '$D' &&
    test \$(grep -c successNotification '$S/calls.jsonl') = 4"
check "OCSP says good for the first one before" test "$(ocsp a)" = good
$ADMIN revoke "$B" >/dev/null

# The round trip: A by Intune (its serial in lower case with colons, as a
# Windows console may show it), B already revoked, an unknown and a
# malformed serial.
lower=$(echo "$A" | tr A-F a-f | sed 's/../&:/g; s/:$//')
queue "ctx-a:$lower" "ctx-b:$B" "ctx-x:0123456789ABCDEF0123" "ctx-bad:zz-not-hex"
check "intune-sync answers every request (exit 0)" sh -c "
    $ADMIN intune-sync > '$T/sync.out' 2>&1"
sed 's/^/# /' "$T/sync.out"
check "it names the discovered PkiConnectorFEService" \
    grep -q "^PkiConnectorFEService: $SURL/RACerts/PkiConnectorFEService/" "$T/sync.out"
check "A is revoked in the store" test "$(status_of "$A")" = revoked
check "uploaded for A: succeeded, errorCode \"0\"" test "$(result ctx-a)" = "true 0"
check "for B, revoked before: ConflictError 4005" test "$(result ctx-b)" = "false 4005"
check "for an unknown serial: CertificateNotFoundError 4004" test "$(result ctx-x)" = "false 4004"
check "for a malformed serial: ParameterDataInvalidError 4002" test "$(result ctx-bad)" = "false 4002"
check "one upload of four results, with messages for the three refusals" python3 - "$S/revocation_results.jsonl" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert len(r) == 4, r
assert all(isinstance(x["errorCode"], str) for x in r)
assert [x["errorMessage"] for x in r if x["succeeded"]] == [None], r
assert all(x["errorMessage"] for x in r if not x["succeeded"]), r
PY
check "Intune's queue is empty" test "$(queued)" = 0
check "the published CRL lists A, and B" sh -c "
    openssl crl -inform DER -in '$T/state/crl/mscep.crl' -CAfile '$CA' -noout -text > '$T/crl.txt' 2>&1 &&
    grep -q 'Serial Number: $A\$' '$T/crl.txt' && grep -q 'Serial Number: $B\$' '$T/crl.txt'"
check "... verified against the CA" grep -q "verify OK" "$T/crl.txt"
check "OCSP answers revoked for A" test "$(ocsp a)" = revoked
check "OCSP still answers good for C" test "$(ocsp c)" = good
check "the revocation is an event naming Intune and the requestContext" sh -c "
    $ADMIN events | grep '\"code\":\"Revoked\"' | grep '\"serial\":\"$A\"' |
    grep -q 'request of Intune (requestContext ctx-a)'"
check "the audit stream has A's revocation, naming the requestContext" \
    python3 - "$T/audit.log" "$A" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
a = [e for e in r if e["event"] == "revoked" and e.get("serial") == sys.argv[2]]
assert len(a) == 1 and "requestContext ctx-a" in a[0]["reason"], a
assert a[0]["actor"]["type"] == "admin", a
assert [e["exit"] for e in r if e.get("command") == "intune-sync"] == [0], r
PY
check "the summary line counts each kind" grep -q \
    "^intune-sync: 1 revoked, 1 already revoked, 1 not found, 1 other errors" "$T/sync.out"

# Idempotent: nothing queued, nothing done; a request whose result was
# lost (Intune sends it again) gets the same answer, not a conflict.
n=$(nresults)
$ADMIN intune-sync >/dev/null 2>&1; rc=$?
check "a second run with nothing queued: exit 0, nothing uploaded" sh -c "
    test $rc = 0 && test $(nresults) = $n"
queue "ctx-a:$A"
$ADMIN intune-sync >/dev/null 2>&1
check "A's request again (its result lost): succeeded again, not a conflict" \
    test "$(result ctx-a)" = "true 0"
check "still one Revoked event for A" test "$($ADMIN events | grep -c "\"code\":\"Revoked\".*\"serial\":\"$A\"")" = 1

# Pages: five requests two at a time.
d0=$(count downloadRevocationRequests)
queue u1:0A01 u2:0A02 u3:0A03 u4:0A04 u5:0A05
check "--max-requests 2: five requests over three pages, all answered" \
    $ADMIN intune-sync --max-requests 2
check "... none left, each answered 4004" sh -c "
    test $(queued) = 0 && test '$(result u1) $(result u5)' = 'false 4004 false 4004'"
check "... in at least three downloads" \
    test "$(( $(count downloadRevocationRequests) - d0 ))" -ge 3
check "[Intune] RevocationMaxRequests = 501 is refused by check" sh -c "
    sed -i 's/^RevocationMaxRequests *=.*/RevocationMaxRequests = 501/' '$INI' &&
    ! $ADMIN check >'$T/check.out' 2>&1 && grep -q RevocationMaxRequests '$T/check.out'"
sed -i 's/^RevocationMaxRequests *=.*/RevocationMaxRequests = 500/' "$INI"
check "--max-requests 0 and 501: exit 2 with a message" sh -c "
    $ADMIN intune-sync --max-requests 0 2>'$T/e1'; test \$? = 2 &&
    $ADMIN intune-sync --max-requests 501 2>'$T/e2'; test \$? = 2 &&
    grep -q max-requests '$T/e1' && grep -q max-requests '$T/e2'"

# Empty pages although requests wait (the service cuts before filtering).
queue "ctx-c:$C"
control '{"empty_pages": 2}'
d0=$(count downloadRevocationRequests)
run_sync() { $ADMIN intune-sync "$@" > "$T/f.out" 2>&1; rc=$?; sed 's/^/#   /' "$T/f.out" | tail -3; }
run_sync
check "two empty pages, then the request: exit 0" test $rc = 0
check "... C revoked and its result uploaded" sh -c "
    test '$(status_of "$C")' = revoked && test '$(result ctx-c)' = 'true 0'"
check "... after more than two downloads" test $(( $(count downloadRevocationRequests) - d0 )) -ge 3
queue "ctx-late:0B01"
control '{"empty_pages": 3}'
run_sync
check "three empty pages in a row end the run: exit 0, the request waits" sh -c "
    test $rc = 0 && test $(queued) = 1"
run_sync
check "the next run answers it" test "$(result ctx-late)" = "false 4004"

# Failures: a message, a non-zero exit, nothing revoked wrongly.
queue "ctx-d:$D"
control '{"revocation": "503"}'
run_sync
check "Intune answering 503: exit 1 naming HTTP 503, D not revoked" sh -c "
    test $rc = 1 && grep -q 'downloading.*HTTP 503' '$T/f.out' && test '$(status_of "$D")' = issued"
control '{"revocation": "404"}'
g0=$(count discovery)
run_sync
check "the service answering 404: looked up again once, then exit 1 naming HTTP 404" sh -c "
    test $rc = 1 && grep -q 'downloading.*HTTP 404' '$T/f.out' &&
    test $(( $(count discovery) - g0 )) = 2 && test '$(status_of "$D")' = issued"
control '{"revocation": "garbage"}'
run_sync
check "garbage JSON: exit 1 saying not JSON, D not revoked" sh -c "
    test $rc = 1 && grep -q 'not JSON' '$T/f.out' && test '$(status_of "$D")' = issued"
control '{"token_401": true}'
run_sync
check "a refused client secret: exit 1 with Entra ID's AADSTS error, D not revoked" sh -c "
    test $rc = 1 && grep -q AADSTS7000215 '$T/f.out' && test '$(status_of "$D")' = issued"
n=$(nresults)
control '{"revocation": "upload_false"}'
run_sync
check "an upload answered {\"value\":false}: exit 1 saying so" sh -c "
    test $rc = 1 && grep -q 'not {\"value\":true}' '$T/f.out'"
check "... D revoked (as asked), the request still queued, no result kept" sh -c "
    test '$(status_of "$D")' = revoked && test $(queued) = 1 && test $(nresults) = $n"
control '{"revocation": "upload_503"}'
run_sync
check "an upload answered 503: exit 1 naming it" sh -c "
    test $rc = 1 && grep -q 'uploading.*HTTP 503' '$T/f.out'"
control '{}'
run_sync
check "the next run sends D's result: succeeded, not a conflict" sh -c "
    test $rc = 0 && test '$(result ctx-d)' = 'true 0'"
sed 's/^TenantId *=.*/TenantId =/' "$INI" > "$T/bad.ini"
$MSCEP_BIN/mscep-admin -c "$T/bad.ini" intune-sync > "$T/f.out" 2>&1; rc=$?
check "no [Intune] TenantId: exit 1 naming it" sh -c "
    test $rc = 1 && grep -q TenantId '$T/f.out'"

# The shipped timer and service.
if command -v systemd-analyze >/dev/null; then
	for u in mscep-intune-sync.service mscep-intune-sync.timer; do
		sed "s|/usr/local/sbin|$MSCEP_BIN|g" "$TOP/deploy/systemd/$u" > "$T/$u"
	done
	check "systemd-analyze verify accepts mscep-intune-sync.service and .timer" \
	    systemd-analyze verify "$T/mscep-intune-sync.timer" "$T/mscep-intune-sync.service"
	check "the timer runs every 15 minutes (OnCalendar *:0/15)" \
	    grep -q '^OnCalendar=\*:0/15$' "$T/mscep-intune-sync.timer"
else
	not_ok "systemd-analyze is not installed (package systemd)"
fi

kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
finish
