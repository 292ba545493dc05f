#!/usr/bin/env bash
# The OCSP responder (RFC 6960) at [OCSP] Path through the shipped web
# server configurations (lighttpd spawning the workers, nginx and Apache
# mod_proxy_fcgi in front of the pool, Apache mod_fcgid), checked with
# `openssl ocsp`: a certificate enrolled with scepcli is good, revoked in
# the store it is revoked with its reason, an unknown serial is unknown,
# another CA's is unauthorized, a tampered request is malformedRequest;
# answers verify against the CA alone (the delegated responder travels
# with them); the AIA URL in the certificate is where openssl asks; GET
# (RFC 6960 A.1) with and without escaped base64; the responder
# certificate reissued by `mscep-admin ocsp-cert`, and reported missing.
. "$(dirname "$0")/lib.sh"

CLI=$MSCEP_BIN/scepcli
CA=$T/state/ca.crt
# set_ocsp_url URL: [OCSP] URL (make_ini would also change [CRL] URL).
set_ocsp_url() {
	sed -i "/^\[OCSP\]/,/^\[/ s|^URL *=.*|URL = $1|" "$INI"
}

make_ini PasswordMax=50 IncludeOCSP=1
# IncludeOCSP needs a URL; the real one once the port is known.
set_ocsp_url http://127.0.0.1/ocsp
$ADMIN init >/dev/null

# The responder identity init made.
check "init made the OCSP responder certificate, issued by the CA" \
    openssl verify -CAfile "$CA" -purpose ocsphelper "$T/state/ocsp.crt"
openssl x509 -in "$T/state/ocsp.crt" -noout -text > "$T/ocsp.txt"
check "... with EKU OCSPSigning" grep -q 'OCSP Signing' "$T/ocsp.txt"
check "... and id-pkix-ocsp-nocheck" grep -q 'OCSP No Check' "$T/ocsp.txt"
check "... named after the CA" \
    grep -q 'Subject: CN = mscep Issuing CA OCSP Responder' "$T/ocsp.txt"
check "... its key 0600 in private/" \
    test "$(stat -c %a "$T/state/private/ocsp.key")" = 600

# ocsp_ask NAME URL CERT [openssl ocsp options]: asks about CERT, output in
# $T/NAME.out (shown in the test output), answer in $T/NAME.der.
ocsp_ask() {
	n=$1 u=$2 c=$3
	shift 3
	openssl ocsp -issuer "$CA" -cert "$c" -url "$u" -CAfile "$CA" \
	    -respout "$T/$n.der" "$@" > "$T/$n.out" 2>&1
	sed "s/^/# $n: /" "$T/$n.out"
}

enroll() {
	mkdir -p "$T/certs/$1"
	$CLI -u "$URL" -p "$($ADMIN password)" -o "$T/certs/$1" enroll \
	    >/dev/null && ls "$T"/certs/"$1"/*.pem
}

# --- lighttpd, spawning the workers (deploy/lighttpd/50-mscep.conf) ---
render lighttpd
OCSP=http://127.0.0.1:$PORT/ocsp
set_ocsp_url "$OCSP"
check "mscep-admin check with [OCSP] Path and URL" $ADMIN check
spawn lighttpd -D -f "$T/run/lighttpd.conf"
wait_url "$URL?operation=GetCACaps"

CERT=$(enroll a)
check "scepcli enrolled a certificate" test -f "$CERT"
serial=$(basename "$CERT" .pem)
aia=$(openssl x509 -in "$CERT" -noout -ocsp_uri)
check "the certificate names the responder in its AIA ($aia)" \
    test "$aia" = "$OCSP"

ocsp_ask good "$aia" "$CERT"
check "lighttpd: openssl ocsp at the AIA URL says good" \
    grep -q "^$CERT: good" "$T/good.out"
check "... and the answer verifies against the CA alone (no -VAfile)" \
    grep -qx "Response verify OK" "$T/good.out"
check "... signed with SHA-256 by the responder, which it carries" sh -c "
    openssl ocsp -respin '$T/good.der' -resp_text -noverify > '$T/good.txt' &&
    grep -q 'Signature Algorithm: sha256WithRSAEncryption' '$T/good.txt' &&
    openssl x509 -in '$T/good.txt' -noout -subject | grep -q 'OCSP Responder'"
check "... with thisUpdate and a nextUpdate 60 minutes later" sh -c "
    t=\$(date -d \"\$(sed -n 's/^ *This Update: //p' '$T/good.txt')\" +%s) &&
    n=\$(date -d \"\$(sed -n 's/^ *Next Update: //p' '$T/good.txt')\" +%s) &&
    [ \$((n - t)) -eq 3600 ] && [ \$((t - \$(date +%s))) -le 5 ]"
check_not "an answer does not verify against another trust anchor" \
    openssl ocsp -respin "$T/good.der" -CAfile "$T/state/ra-sign.crt" \
    -issuer "$CA" -cert "$CERT" -no_nonce
ocsp_ask nonce "$aia" "$CERT"
check "the nonce is echoed (openssl checks it; no 'Nonce Verify error')" \
    sh -c "! grep -qi 'nonce' '$T/nonce.out' && grep -q ': good' '$T/nonce.out'"

# Revoked in the store, as mscep-admin revoke will record it.
sql_write "UPDATE certificates SET status='revoked', revoked_at=$(date +%s), revoke_reason=1 WHERE serial='$serial'"
ocsp_ask revoked "$aia" "$CERT"
check "revoked in the store: openssl ocsp says revoked" \
    grep -q "^$CERT: revoked" "$T/revoked.out"
check "... with reason keyCompromise" grep -q "Reason: keyCompromise" \
    "$T/revoked.out"
check "... and the revocation time" grep -q "Revocation Time: " \
    "$T/revoked.out"
check "... verified against the CA" grep -qx "Response verify OK" \
    "$T/revoked.out"

openssl ocsp -issuer "$CA" -serial 0x0123456789ABCDEF -url "$OCSP" \
    -CAfile "$CA" > "$T/unknown.out" 2>&1
sed 's/^/# unknown: /' "$T/unknown.out"
check "an unknown serial is unknown" \
    grep -q "^0x0123456789ABCDEF: unknown" "$T/unknown.out"
check "... in a verified answer" grep -qx "Response verify OK" \
    "$T/unknown.out"

openssl ocsp -issuer "$T/state/ra-sign.crt" -serial 0x01 -url "$OCSP" \
    -CAfile "$CA" > "$T/other.out" 2>&1
sed 's/^/# other CA: /' "$T/other.out"
check "a certificate of another CA: unauthorized" \
    grep -q "Responder Error: unauthorized" "$T/other.out"

# A tampered request: its outer tag is no longer a SEQUENCE.
openssl ocsp -issuer "$CA" -cert "$CERT" -reqout "$T/req.der" >/dev/null
cp "$T/req.der" "$T/tampered.der"
printf '\061' | dd of="$T/tampered.der" bs=1 seek=0 conv=notrunc 2>/dev/null
check "a tampered request gets HTTP 200, application/ocsp-response" sh -c "
    curl -s -o '$T/tampered.rsp' -w '%{http_code} %{content_type}' \
    -H 'Content-Type: application/ocsp-request' \
    --data-binary @'$T/tampered.der' '$OCSP' | grep -qx '200 application/ocsp-response'"
openssl ocsp -respin "$T/tampered.rsp" -resp_text > "$T/tampered.out" 2>&1
sed 's/^/# tampered: /' "$T/tampered.out"
check "... with responseStatus malformedRequest" \
    grep -qi "malformedrequest" "$T/tampered.out"
# The same request untampered, POSTed by curl, as a cross-check.
# revoked_answer RESPONSE: verifies against the CA (and the nonce of
# $T/req.der) and says revoked.
revoked_answer() {
	openssl ocsp -respin "$1" -reqin "$T/req.der" -CAfile "$CA" \
	    -resp_text > "$1.txt" 2> "$1.err" &&
	    grep -qx "Response verify OK" "$1.err" &&
	    grep -q "Cert Status: revoked" "$1.txt"
}
check "the untampered request by curl: revoked, verified" sh -c "
    curl -sf -o '$T/plain.rsp' -H 'Content-Type: application/ocsp-request' \
    --data-binary @'$T/req.der' '$OCSP'"
check "... (its answer)" revoked_answer "$T/plain.rsp"

# ocsp_get NAME BASEURL [escape]: the request of $T/req.der by GET.
ocsp_get() {
	b64=$(base64 -w0 < "$T/req.der")
	[ -n "${3:-}" ] && b64=$(printf %s "$b64" | sed 's|/|%2F|g; s|+|%2B|g; s|=|%3D|g')
	curl -sf -o "$T/$1.rsp" "$2/$b64" && revoked_answer "$T/$1.rsp"
}
# Requests until one's base64 holds a '/', so that escaping matters.
for i in $(seq 1 40); do
	openssl ocsp -issuer "$CA" -cert "$CERT" -reqout "$T/req.der" >/dev/null
	base64 -w0 < "$T/req.der" | grep -q / && break
done
check "lighttpd: GET with escaped base64 (%2F)" ocsp_get get-esc "$OCSP" esc
check "lighttpd: GET with base64 as is" ocsp_get get-raw "$OCSP"
check "the workers logged each answer" grep -qE \
    "op=OCSP method=POST result=successful good=0 revoked=1 unknown=0 certs=\"$serial:revoked\"" \
    "$T/run/mscep.log"
check "... and the refusals with a reason" grep -qE \
    'op=OCSP method=POST result=malformedRequest .*reason="not an OCSPRequest' \
    "$T/run/mscep.log"
check "SCEP still answers next to it" \
    curl -sf -o /dev/null "$URL?operation=GetCACaps"
stop_servers

# --- nginx in front of the pool (deploy/nginx) ---
TLS=1 render nginx
OCSP=http://127.0.0.1:$PORT/ocsp
set_ocsp_url "$OCSP"
start_pool 2
spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
pool=$(echo $STARTED | cut -d' ' -f1)
wait_url "$URL?operation=GetCACaps"
CERT2=$(enroll b)
check "nginx: enrolled a second certificate" test -f "$CERT2"
check "nginx: its AIA names the new port" \
    test "$(openssl x509 -in "$CERT2" -noout -ocsp_uri)" = "$OCSP"
ocsp_ask nginx-good "$OCSP" "$CERT2"
check "nginx: openssl ocsp says good" grep -q "^$CERT2: good" \
    "$T/nginx-good.out"
check "... verified" grep -qx "Response verify OK" "$T/nginx-good.out"
ocsp_ask nginx-revoked "$OCSP" "$CERT"
check "nginx: the first one is still revoked (keyCompromise)" sh -c "
    grep -q '^$CERT: revoked' '$T/nginx-revoked.out' &&
    grep -q 'Reason: keyCompromise' '$T/nginx-revoked.out'"
check "nginx: GET with escaped base64 (%2F)" ocsp_get nginx-get "$OCSP" esc
check "nginx: GET with base64 as is (a '//' would be merged by \$uri)" \
    ocsp_get nginx-get-raw "$OCSP"

# A new responder certificate; the pool's workers take it on SIGHUP.
old=$(openssl x509 -in "$T/state/ocsp.crt" -noout -serial)
check "mscep-admin ocsp-cert --days 30 --key ec:P-256" \
    $ADMIN ocsp-cert --days 30 --key ec:P-256
new=$(openssl x509 -in "$T/state/ocsp.crt" -noout -serial)
check "... replaced the responder certificate" test "$old" != "$new"
check "... and left no temporary files" sh -c "
    ! ls -a '$T/state' '$T/state/private' | grep -q '^\.ocsp\.'"
# check_says TEXT: mscep-admin check prints TEXT.
check_says() { $ADMIN check 2>&1 | grep -q "$1"; }
check "mscep-admin check warns that it expires within 30 days" \
    check_says 'warning: the OCSP responder certificate'
kill -HUP "$pool"
sleep 1.5
ocsp_ask reissued "$OCSP" "$CERT2"
check "after SIGHUP the answer is signed by the new responder (ECDSA)" sh -c "
    grep -qx 'Response verify OK' '$T/reissued.out' &&
    openssl ocsp -respin '$T/reissued.der' -resp_text -noverify > '$T/reissued.txt' &&
    grep -q 'Signature Algorithm: ecdsa-with-SHA256' '$T/reissued.txt' &&
    test \"\$(openssl x509 -in '$T/reissued.txt' -noout -serial)\" = '$new'"

# Apache mod_proxy_fcgi in front of the same pool.
TLS=1 render apache-proxy-fcgi
OCSP=http://127.0.0.1:$PORT/ocsp
check "apache2 -t accepts the shipped mod_proxy_fcgi configuration" \
    apache2 -t -f "$T/run/apache.conf"
spawn apache2 -DFOREGROUND -f "$T/run/apache.conf"
wait_url "$URL?operation=GetCACaps"
ocsp_ask proxy-good "$OCSP" "$CERT2"
check "apache mod_proxy_fcgi: openssl ocsp says good, verified" sh -c "
    grep -q '^$CERT2: good' '$T/proxy-good.out' &&
    grep -qx 'Response verify OK' '$T/proxy-good.out'"
check "apache mod_proxy_fcgi: GET with escaped base64 (%2F)" \
    ocsp_get proxy-get "$OCSP" esc
check "apache mod_proxy_fcgi: GET with base64 as is" \
    ocsp_get proxy-get-raw "$OCSP"
stop_servers

# Apache mod_fcgid, spawning the workers as its user.
TLS=1 render apache-fcgid
OCSP=http://127.0.0.1:$PORT/ocsp
[ -z "$RUNAS" ] || give_state "$RUNAS"
check "apache2 -t accepts the shipped mod_fcgid configuration" \
    apache2 -t -f "$T/run/apache.conf"
spawn apache2 -DFOREGROUND -f "$T/run/apache.conf"
wait_url "$URL?operation=GetCACaps"
ocsp_ask fcgid-revoked "$OCSP" "$CERT"
check "apache mod_fcgid: openssl ocsp says revoked, verified" sh -c "
    grep -q '^$CERT: revoked' '$T/fcgid-revoked.out' &&
    grep -qx 'Response verify OK' '$T/fcgid-revoked.out'"
check "apache mod_fcgid: GET with escaped base64 (%2F)" \
    ocsp_get fcgid-get "$OCSP" esc
check "apache mod_fcgid: GET with base64 as is" \
    ocsp_get fcgid-get-raw "$OCSP"
stop_servers

# Without its responder certificate a worker does not start.
mv "$T/state/ocsp.crt" "$T/ocsp.crt.away"
check_not "mscep-admin check fails without ocsp.crt" $ADMIN check
check "... and says to run mscep-admin ocsp-cert" \
    check_says 'run mscep-admin ocsp-cert'
check "mscep refuses to start, saying the same" sh -c "
    echo | env REQUEST_METHOD=GET REQUEST_URI=/ocsp MSCEP_CONFIG='$INI' \
    '$MSCEP_BIN/mscep' 2>&1 | grep -q 'run mscep-admin ocsp-cert'"
check "mscep-admin ocsp-cert makes a new one" $ADMIN ocsp-cert
check "... and check passes again" $ADMIN check
finish
