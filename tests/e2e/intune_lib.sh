# tests/e2e/intune_lib.sh - sourced after lib.sh by the Intune scripts:
# tests/tools/intune_standin.py (Entra ID, Graph and Intune's SCEP
# validation service) over HTTPS with a test CA of its own, and an INI
# whose [Intune] section points at it.
#   intune_standin_start   starts it; sets P, SURL, SPID, CLIENT, TENANT
#   intune_make_ini [K=V...]   make_ini with Module = intune and the keys
#   control JSON    writes the stand-in's control.json (faults)
#   count NAME      how often the stand-in saw NAME (counts.json)
#   intune_calls ACTION   the bodies of the ACTION calls, one JSON a line
#   intune_standin_stop

CLIENT=11111111-2222-3333-4444-555555555555
TENANT=contoso.onmicrosoft.com

intune_standin_start() {
	P=$T/pki
	mkdir -p "$P" "$T/standin"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/ca.key" \
	    -out "$P/ca.crt" -days 2 -subj "/CN=Intune stand-in test CA" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout "$P/tls.key" \
	    -out "$P/tls.csr" -subj "/CN=127.0.0.1" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' > "$P/ext"
	openssl x509 -req -in "$P/tls.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" \
	    -CAcreateserial -days 2 -extfile "$P/ext" -out "$P/tls.crt" 2>/dev/null
	chmod 644 "$P/ca.crt"
	printf 'test-secret~%s\n' "$$" > "$T/secret"
	chmod 600 "$T/secret"
	# Workers that run as the web server's user read the secret.
	[ -z "$RUNAS" ] || chown "$RUNAS" "$T/secret"
	python3 "$TOP/tests/tools/intune_standin.py" --dir "$T/standin" \
	    --cert "$P/tls.crt" --key "$P/tls.key" --client-id $CLIENT \
	    --tenant $TENANT --secret-file "$T/secret" >>"$T/standin.log" 2>&1 &
	SPID=$!
	for i in $(seq 1 50); do [ -s "$T/standin/port" ] && break; sleep 0.1; done
	SURL=https://127.0.0.1:$(cat "$T/standin/port")
	control '{}'
}

intune_standin_stop() {
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
}

intune_make_ini() {
	make_ini Module=intune TenantId=$TENANT ClientId=$CLIENT \
	    ClientSecretFile="$T/secret" AuthorityURL="$SURL" GraphURL="$SURL" \
	    CABundle="$P/ca.crt" TimeoutSeconds=3 "$@"
}

control() { printf '%s\n' "$1" > "$T/standin/control.json"; }
count() {
	python3 -c "import json; print(json.load(open('$T/standin/counts.json')).get('$1', 0))" \
	    2>/dev/null || echo 0
}
intune_calls() {
	python3 -c "
import json, sys
for l in open('$T/standin/calls.jsonl'):
    c = json.loads(l)
    if c['action'] == sys.argv[1]:
        print(c['body'])" "$1" 2>/dev/null
}

# intune_names_cert PEM: the last successNotification names PEM's SHA-1
# thumbprint, serial and expiry, under the transactionID it was issued
# with (the store's).
intune_names_cert() {
	s=$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)
	python3 - "$1" "$(sql "select transaction_id from certificates where serial = '$s'")" \
	    "$T/standin/calls.jsonl" <<'PY'
import datetime, json, subprocess, sys
pem, txid = sys.argv[1], sys.argv[2]
calls = [json.loads(l) for l in open(sys.argv[3])]
n = [json.loads(c["body"])["notification"] for c in calls
     if c["action"] == "successNotification"][-1]
x = lambda *a: subprocess.run(["openssl", "x509", "-in", pem, "-noout", *a],
                              capture_output=True, text=True).stdout.strip().split("=", 1)[1]
assert n["certificateThumbprint"] == x("-fingerprint", "-sha1").replace(":", ""), n
assert int(n["certificateSerialNumber"], 16) == int(x("-serial"), 16), n
exp = datetime.datetime.strptime(x("-enddate"), "%b %d %H:%M:%S %Y GMT")
assert n["certificateExpirationDateUtc"] == exp.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"), n
assert txid and n["transactionId"] == txid, (n, txid)
PY
}
