#!/usr/bin/env bash
# Module = intune against tests/tools/intune_standin.py, a stand-in for
# Entra ID, Graph and Intune's SCEP validation service over HTTPS with its
# own test CA: check --online; scepcli enrolls through lighttpd with a
# challenge the stand-in accepts and is refused with ones it rejects,
# nothing issued; client secret and certificate (client assertion)
# authentication; tokens reused and refreshed once after a 401; discovery
# failure; a 503, garbage JSON and a hanging service refused within
# TimeoutSeconds.
. "$(dirname "$0")/lib.sh"

P=$T/pki
mkdir -p "$P" "$T/standin"
# The stand-in's TLS: a test CA and a certificate for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/ca.key" -out "$P/ca.crt" \
    -days 2 -subj "/CN=Intune stand-in test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$P/tls.key" -out "$P/tls.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$P/ext"
openssl x509 -req -in "$P/tls.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" \
    -CAcreateserial -days 2 -extfile "$P/ext" -out "$P/tls.crt" 2>/dev/null
# What the app registration knows: a secret and a certificate.
printf 'test-secret~%s\n' "$$" > "$T/secret"
chmod 600 "$T/secret"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/app.key" -out "$P/app.crt" \
    -days 2 -subj "/CN=mscep app" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/other.key" -out "$P/other.crt" \
    -days 2 -subj "/CN=not registered" 2>/dev/null

CLIENT=11111111-2222-3333-4444-555555555555
TENANT=contoso.onmicrosoft.com
python3 "$TOP/tests/tools/intune_standin.py" --dir "$T/standin" \
    --cert "$P/tls.crt" --key "$P/tls.key" --client-id $CLIENT \
    --tenant $TENANT --secret-file "$T/secret" --client-cert "$P/app.crt" \
    >>"$T/standin.log" 2>&1 &
SPID=$!
for i in $(seq 1 50); do [ -s "$T/standin/port" ] && break; sleep 0.1; done
SURL=https://127.0.0.1:$(cat "$T/standin/port")
control() { printf '%s\n' "$1" > "$T/standin/control.json"; }
count() { python3 -c "import json,sys; print(json.load(open('$T/standin/counts.json')).get('$1', 0))" 2>/dev/null || echo 0; }
control '{}'

make_ini Module=intune TenantId=$TENANT ClientId=$CLIENT \
    ClientSecretFile="$T/secret" AuthorityURL="$SURL" GraphURL="$SURL" \
    CABundle="$P/ca.crt" TimeoutSeconds=3 SidUrlSan=1
$ADMIN init >/dev/null
check "mscep-admin check accepts the [Intune] section" $ADMIN check
check_not "... without a warning" sh -c "$ADMIN check 2>&1 | grep warning"
# A template that renews under Module = intune: issued without Intune.
sed 's/^AllowRenewal = .*/AllowRenewal = 1/' "$INI" > "$T/renew.ini"
check "check warns of AllowRenewal = 1 under Module = intune" sh -c "
    $MSCEP_BIN/mscep-admin -c '$T/renew.ini' check 2>&1 >/dev/null |
    grep -q 'warning: \[IPSECIntermediateOffline\] AllowRenewal = 1 under Module = intune'"
check "check --online gets both tokens and prints the discovered endpoints" sh -c "
    $ADMIN check --online > '$T/online' 2>&1 &&
    grep -q '^Graph token: ok' '$T/online' && grep -q '^Intune token: ok' '$T/online' &&
    grep -q '^ScepRequestValidationFEService: $SURL/RACerts/ScepRequestValidationFEService/Gateway/StatelessScepRequestValidationService\$' '$T/online' &&
    grep -q '^PkiConnectorFEService: $SURL/RACerts/PkiConnectorFEService/' '$T/online'"

start_lighttpd
CLI=$MSCEP_BIN/scepcli
certs() { sql "select count(*) from certificates"; }
refused() { # refused CODE-IN-LOG scepcli-args...
	code=$1; shift
	before=$(certs)
	timeout 60 $CLI -u "$URL" --expect failure --failinfo 2 "$@" enroll >/dev/null &&
	    test "$(certs)" = "$before" &&
	    tail -3 "$T/run/mscep.log" | grep -q "result=FAILURE failInfo=badRequest .*$code"
}

check "plain GET of the SCEP URL: 403 Access is denied" sh -c "
    test \$(curl -s -o /dev/null -w '%{http_code}' '$URL') = 403"
check "scepcli enrolls with a challenge Intune accepts" \
    timeout 60 $CLI -u "$URL" -p intune-ok-1 -o "$T/ok" enroll
check "one certificate was issued" test "$(certs)" = 1
check "validateRequest got the transactionID, the DER CSR with its challengePassword, callerInfo, api-version 2018-02-20" python3 - "$T/standin/calls.jsonl" <<'PY'
import base64, json, subprocess, sys
c = [json.loads(l) for l in open(sys.argv[1]) if '"validateRequest"' in l][-1]
b = json.loads(c["body"])["request"]
assert c["action"] == "validateRequest" and c["api-version"] == "2018-02-20"
assert c["content-type"].startswith("application/json") and len(c["client-request-id"]) == 36
assert len(b["transactionId"]) == 64 and b["callerInfo"].startswith("mscep")
der = base64.b64decode(b["certificateRequest"], validate=True)
out = subprocess.run(["openssl", "req", "-inform", "DER", "-noout", "-text"],
                     input=der, capture_output=True).stdout.decode()
assert "intune-ok-1" in out, out
PY
check "successNotification names that certificate: SHA-1 thumbprint, serial, expiry, issuer, same transactionID and CSR" python3 - "$T/standin/calls.jsonl" "$(ls "$T"/ok/*.pem)" <<'PY'
import json, subprocess, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
v = json.loads([c for c in calls if c["action"] == "validateRequest"][0]["body"])["request"]
s = [json.loads(c["body"])["notification"] for c in calls if c["action"] == "successNotification"]
assert len(s) == 1, s
n = s[0]
x = lambda *a: subprocess.run(["openssl", "x509", "-in", sys.argv[2], "-noout", *a],
                              capture_output=True, text=True).stdout.strip().split("=", 1)[1]
assert n["certificateThumbprint"] == x("-fingerprint", "-sha1").replace(":", ""), n
assert int(n["certificateSerialNumber"], 16) == int(x("-serial"), 16), n
import datetime
exp = datetime.datetime.strptime(x("-enddate"), "%b %d %H:%M:%S %Y GMT")
assert n["certificateExpirationDateUtc"].startswith(exp.strftime("%Y-%m-%dT%H:%M:%S")), n
assert n["certificateExpirationDateUtc"].endswith("Z") and n["issuingCertificateAuthority"]
assert n["transactionId"] == v["transactionId"] and n["certificateRequest"] == v["certificateRequest"]
PY
check "a challenge Intune rejects: FAILURE badRequest, its code in the log, nothing issued" \
    refused 'refused: ChallengeExpired' -p intune-code-ChallengeExpired
check "the refusal names Intune's client-request-id" sh -c "
    tail -3 '$T/run/mscep.log' | grep -q 'client-request-id [0-9a-f-]\{36\}'"
check "an unknown challenge: ChallengeDecryptionError" \
    refused 'refused: ChallengeDecryptionError' -p something-else
check "a CSR without challengePassword: ChallengePasswordMissing" \
    refused 'refused: ChallengePasswordMissing'
# Strong mapping: Intune validated the CSR's SID URI; it is kept once and
# the certificate gets the SID extension.
SID=S-1-5-21-1004336348-1177238915-682003330-1001
check "a CSR with Intune's SID URI enrolls" timeout 60 $CLI -u "$URL" \
    -p intune-ok-sid --san-uri "tag:microsoft.com,2022-09-14:sid:$SID" -o "$T/sid" enroll
sidhex=$(printf '%s' $SID | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
check "it carries the SID extension 1.3.6.1.4.1.311.25.2" sh -c "
    openssl asn1parse -in \$(ls '$T'/sid/*.pem) | grep -A1 ':1.3.6.1.4.1.311.25.2\$' | tail -1 |
    grep -q '$sidhex'"
check "and the SID URI exactly once (SidUrlSan = 1 adds no second)" sh -c "
    test \$(openssl x509 -in \$(ls '$T'/sid/*.pem) -noout -ext subjectAltName |
    grep -o 'URI:tag:microsoft.com,2022-09-14:sid:$SID' | wc -l) = 1"
check "a malformed SID in the URI is refused, nothing issued" refused 'refused: SidMalformed' \
    -p intune-ok-sid2 --san-uri "tag:microsoft.com,2022-09-14:sid:S-1-5-x"
check "... and one too long for any SID (200 digits)" refused 'refused: SidMalformed' \
    -p intune-ok-sid3 --san-uri "tag:microsoft.com,2022-09-14:sid:S-1-5-21-$(printf '1%.0s' $(seq 200))"
for code in SubjectNameMismatch ScepProfileNoLongerTargetedToTheClient; do
	check "refusal code $code passed on" refused "refused: $code" -p intune-code-$code
done
check "refusals notify nothing (one successNotification per certificate)" sh -c "
    test \$(grep -c successNotification '$T/standin/calls.jsonl') = 2 &&
    ! grep -q failureNotification '$T/standin/calls.jsonl'"

t0=$(count token_intune)
v0=$(count validateRequest)
check "eight more enrollments" timeout 120 $CLI -u "$URL" -p intune-ok-2 -n 8 -j 2 enroll
check "tokens are reused: at most one Intune token per worker ($(count token_intune) for $(count validateRequest) calls)" \
    sh -c "test $(count validateRequest) -ge $((v0 + 8)) && test $(count token_intune) -le 4 && test $(count token_graph) -le 4"
t0=$(count token_intune)
control '{"expire_once": true}'
check "an Intune token refused (401) is fetched again once and the enrollment succeeds" \
    timeout 60 $CLI -u "$URL" -p intune-ok-3 enroll
check "exactly one new token was fetched" test "$(count token_intune)" = $((t0 + 1))

n=$(certs)
control '{"validate": "503"}'
check "Intune answering 503: FAILURE badRequest, HTTP 503 named, nothing issued" \
    refused 'HTTP 503' -p intune-ok-4
control '{"validate": "garbage"}'
check "garbage JSON: FAILURE badRequest, nothing issued" \
    refused 'not JSON' -p intune-ok-4
control '{"validate": "hang"}'
s=$(date +%s)
check "a hanging service: FAILURE badRequest with IntuneTimeout, nothing issued" \
    refused 'refused: IntuneTimeout' -p intune-ok-4
e=$(( $(date +%s) - s ))
check "and within TimeoutSeconds (3 s, retries included; took ${e} s)" test "$e" -le 8
check "no certificate was issued while the service failed" test "$(certs)" = "$n"
control '{}'

# Every call through a real HTTP proxy (Debian's tinyproxy), then the
# proxy gone: a clear refusal.
if command -v tinyproxy >/dev/null; then
	PPORT=$(free_port)
	printf 'Port %s\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nLogFile "%s"\nLogLevel Connect\nMaxClients 20\n' \
	    "$PPORT" "$T/proxy.log" > "$T/tinyproxy.conf"
	[ "$(id -u)" = 0 ] && printf 'User nobody\nGroup nogroup\n' >> "$T/tinyproxy.conf" && touch "$T/proxy.log" && chmod 666 "$T/proxy.log"
	tinyproxy -d -c "$T/tinyproxy.conf" >>"$T/standin.log" 2>&1 &
	PRPID=$!
	for i in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PPORT") 2>/dev/null && break; sleep 0.1; done
	sed -i "s|^Proxy *=.*|Proxy = http://127.0.0.1:$PPORT|" "$INI"
	restart_lighttpd
	t0=$(count token)
	check "through tinyproxy (Proxy key): enrollment succeeds" \
	    timeout 60 $CLI -u "$URL" -p intune-ok-proxy enroll
	check "the token, Graph and Intune calls went through the proxy" sh -c "
	    grep -q 'CONNECT.*127.0.0.1:$(cat "$T/standin/port")' '$T/proxy.log'"
	kill "$PRPID"; wait "$PRPID" 2>/dev/null
	check "the proxy gone: FAILURE badRequest, IntuneUnreachable, nothing issued" \
	    refused 'refused: IntuneUnreachable' -p intune-ok-proxy2
	sed -i "s|^Proxy *=.*|Proxy =|" "$INI"
else
	not_ok "tinyproxy is not installed (deploy/install-deps.sh)"
fi

# Discovery fails on fresh workers: no endpoint, a clear refusal.
control '{"discovery_404": true}'
restart_lighttpd
check "Graph discovery 404: FAILURE badRequest naming the discovery, nothing issued" \
    refused 'discovery answered HTTP 404' -p intune-ok-5
control '{}'
check "once Graph answers again, the next request discovers and enrolls" \
    timeout 60 $CLI -u "$URL" -p intune-ok-5 enroll

# A wrong secret: Entra ID's error in the refusal.
control '{"token_401": true}'
restart_lighttpd
check "a refused client secret: FAILURE badRequest with Entra ID's AADSTS error" \
    refused 'AADSTS7000215' -p intune-ok-6
check "check --online prints the exact failure" sh -c "
    ! $ADMIN check --online > '$T/online' 2>&1 && grep -q 'AADSTS7000215' '$T/online'"
control '{}'

# Certificate authentication: a client assertion signed with ClientKey.
sed -i -e "s|^ClientSecretFile *=.*|ClientSecretFile =|" \
    -e "s|^ClientCertificate *=.*|ClientCertificate = $P/app.crt|" \
    -e "s|^ClientKey *=.*|ClientKey = $P/app.key|" "$INI"
g0=$(count token)
check "check --online with a client certificate" $ADMIN check --online
restart_lighttpd
check "enrollment with certificate authentication" \
    timeout 60 $CLI -u "$URL" -p intune-ok-7 enroll
check "the stand-in verified the assertions (tokens issued)" test "$(count token)" -gt "$g0"

# The same with [Signer] Socket: the client key is the signer's alone.
# The signer reads app.key when it starts; then the key is moved away
# before the workers start, so a worker that opened it could not start.
sed -i "s|^Socket *=.*|Socket = $T/signer.sock|" "$INI"
g0=$(count token)
stop_servers
check "the signer starts, app.key open" start_signer "$T/signer.sock" "$T/signer.log"
mv "$P/app.key" "$P/app.key.signer-only"
start_lighttpd
check "[Signer] Socket: enrollment with the assertion signed by the signer" \
    timeout 60 $CLI -u "$URL" -p intune-ok-8 enroll
check "... the stand-in issued a token for it" test "$(count token)" -gt "$g0"
check "... the signer logged what it signed (what=jwt, the client ID)" \
    grep -q "op=sign what=jwt txid=.* id=$CLIENT result=signed" "$T/signer.log"
check "... check --online through the signer" $ADMIN check --online
# As a worker taken over would ask: a token for Graph's audience, one
# lasting a day, and garbage; each refused, each logged.
AUD="$(sed -n 's/^AuthorityURL *= *//p' "$INI" | sed 's|/$||')/$TENANT/oauth2/v2.0/token"
python3 - "$P/app.crt" "$T" "$CLIENT" "$AUD" <<'EOF'
import base64, hashlib, json, ssl, sys, time, uuid
der = ssl.PEM_cert_to_DER_cert(open(sys.argv[1]).read())
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "RS256", "typ": "JWT",
                       "x5t": b64(hashlib.sha1(der).digest())}).encode())
now = int(time.time())
def claims(aud, exp):
    return b64(json.dumps({"aud": aud, "iss": sys.argv[3], "sub": sys.argv[3],
                           "jti": str(uuid.uuid4()), "nbf": now, "iat": now,
                           "exp": exp}).encode())
open(sys.argv[2] + "/jwt-graph", "w").write(
    head + "." + claims("https://graph.microsoft.com", now + 600))
open(sys.argv[2] + "/jwt-day", "w").write(
    head + "." + claims(sys.argv[4], now + 86400))
open(sys.argv[2] + "/jwt-garbage", "w").write("not.a-jwt")
EOF
for f in graph day garbage; do
	python3 "$TOP/tests/tools/sigwire_ask.py" "$T/signer.sock" jwt \
	    "$T/jwt-$f" > "$T/jwt-$f.out" 2>&1
	sed 's/^/# /' "$T/jwt-$f.out"
done
check "... refuses an assertion for another audience" \
    grep -q '^refused: the claims are not the client assertion' "$T/jwt-graph.out"
check "... refuses one lasting a day" grep -q '^refused: .*not made now for at most 600 s' "$T/jwt-day.out"
check "... refuses garbage" grep -q '^refused: not a JWT signing input' "$T/jwt-garbage.out"
check "... each refusal logged" test "$(grep -c 'what=jwt txid=forged.*result=refused' "$T/signer.log")" -eq 3
stop_servers	# the signer too
mv "$P/app.key.signer-only" "$P/app.key"
sed -i "s|^Socket *=.*|Socket =|" "$INI"

sed -i -e "s|^ClientCertificate *=.*|ClientCertificate = $P/other.crt|" \
    -e "s|^ClientKey *=.*|ClientKey = $P/other.key|" "$INI"
check "an unregistered certificate: check --online names the x5t refusal" sh -c "
    ! $ADMIN check --online > '$T/online' 2>&1 && grep -q 'AADSTS700027' '$T/online'"
check "ClientKey not matching ClientCertificate: check fails, saying so" sh -c "
    sed -i 's|^ClientKey *=.*|ClientKey = $P/app.key|' '$INI' &&
    ! $ADMIN check > '$T/check.out' 2>&1 && grep -q 'ClientKey' '$T/check.out'"
check "no secret and no certificate: check names the missing key" sh -c "
    sed -i -e 's|^ClientCertificate *=.*|ClientCertificate =|' -e 's|^ClientKey *=.*|ClientKey =|' '$INI' &&
    ! $ADMIN check > '$T/check.out' 2>&1 && grep -q 'ClientSecretFile' '$T/check.out'"

kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
finish
