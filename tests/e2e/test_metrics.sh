#!/usr/bin/env bash
# The Prometheus page ([Metrics] Path) behind nginx in front of mscep's
# pre-forked pool: counters summed over the workers move with an
# enrollment and a refusal, the page passes `promtool check metrics`, a
# real Prometheus scrapes it, an address outside [Metrics] AllowFrom gets
# 403; `mscep-admin status` and `status --json` show the same store; the
# shipped Grafana dashboard and alert rules name only what the page has.
. "$(dirname "$0")/lib.sh"

CLI=$MSCEP_BIN/scepcli
# set_metrics KEY VALUE: a key of [Metrics] only ([OCSP] has a Path too).
set_metrics() {
	sed -i "/^\[Metrics\]/,/^\[/ s|^$1 *=.*|$1 = $2|" "$INI"
}
# value FILE SERIES: the sample of SERIES (name and labels exactly as
# written) in FILE, 0 when absent.
value() {
	awk -v s="$2" 'substr($0, 1, length(s) + 1) == s " " { v = $2 }
	    END { print v == "" ? 0 : v }' "$1"
}
scrape() { curl -s -o "$T/$1" -w '%{http_code}' "$M"; }

make_ini PasswordMax=50
set_metrics AllowFrom "127.0.0.1, ::1"
$ADMIN init >/dev/null
check "mscep-admin check accepts [Metrics]" $ADMIN check
TLS=1 render nginx
start_pool 2
pool=$LAST_PID
spawn nginx -c "$T/run/nginx.conf" -p "$T/run"
wait_url "$URL?operation=GetCACaps" || { not_ok "nginx did not start"; finish; exit 1; }
M=http://127.0.0.1:$PORT/metrics

c=$(scrape m0.txt)
check "nginx: GET /metrics from 127.0.0.1 answers 200 (got $c)" test "$c" = 200
check "... in the text format's content type" sh -c "
    curl -s -o /dev/null -w '%{content_type}' '$M' |
    grep -q '^text/plain; version=0.0.4'"
check "promtool check metrics accepts the page" \
    sh -c "promtool check metrics < '$T/m0.txt'"
check "the workers share one slot file, 0600, in the state folder" \
    test "$(stat -c %a "$T/state/metrics-2.slots")" = 600
issued0=$(value "$T/m0.txt" mscep_certificates_issued_total)

mkdir -p "$T/certs"
check "scepcli enrolled a certificate" $CLI -u "$URL" \
    -p "$($ADMIN password)" -o "$T/certs" enroll
check "a wrong password is refused (FAILURE badRequest)" $CLI -u "$URL" \
    -p wrong-password --expect failure --failinfo 2 enroll
c=$(scrape m1.txt)
m1_at=$(date +%s)
check "promtool check metrics accepts the page after enrolling" \
    sh -c "test $c = 200 && promtool check metrics < '$T/m1.txt'"
issued1=$(value "$T/m1.txt" mscep_certificates_issued_total)
check "mscep_certificates_issued_total moved by 1 ($issued0 -> $issued1)" \
    test "$((issued1 - issued0))" = 1
ok_series='mscep_requests_total{operation="PKIOperation",message_type="PKCSReq",result="SUCCESS",fail_info="none"}'
bad_series='mscep_requests_total{operation="PKIOperation",message_type="PKCSReq",result="FAILURE",fail_info="badRequest"}'
check "PKCSReq SUCCESS counted once" test "$(value "$T/m1.txt" "$ok_series")" = 1
check "PKCSReq FAILURE badRequest counted once" \
    test "$(value "$T/m1.txt" "$bad_series")" = 1
tmpl=IPSECIntermediateOffline
enr='mscep_enrollments_total{message_type="PKCSReq",template="'$tmpl'"'
check "the enrollment by template: $tmpl SUCCESS once" test "$(value \
    "$T/m1.txt" "$enr"',result="SUCCESS",reason="none"}')" = 1
check "the refusal by template and reason: PasswordRejected once" test \
    "$(value "$T/m1.txt" "$enr"',result="FAILURE",reason="PasswordRejected"}')" = 1
check "... and no other enrollment series" \
    test "$(grep -c '^mscep_enrollments_total{' "$T/m1.txt")" = 2
check "GetCACert counted" test "$(value "$T/m1.txt" \
    'mscep_requests_total{operation="GetCACert",message_type="none",result="ok",fail_info="none"}')" -ge 2
check "the latency histogram counted both PKIOperations" test "$(value \
    "$T/m1.txt" 'mscep_request_duration_seconds_count{operation="PKIOperation"}')" = 2
check "... and its +Inf bucket agrees" test "$(value "$T/m1.txt" \
    'mscep_request_duration_seconds_bucket{operation="PKIOperation",le="+Inf"}')" = 2
# expiry KEY: seconds to the expiry of certificate KEY, from the page.
expiry() {
	awk -v k="$1" '$1 == "mscep_certificate_expiry_seconds{certificate=\"" k "\"}" {
	    printf "%d\n", $2 }' "$T/m1.txt"
}
# expiry_ok KEY FILE: the page's value is FILE's notAfter less the time of
# the scrape (give or take 5 s), and prints it in days for the check name.
expiry_ok() {
	local na got off
	na=$(date -d "$(openssl x509 -in "$T/state/$2" -noout -enddate | cut -d= -f2)" +%s)
	got=$(expiry "$1")
	[ -n "$got" ] && off=$((na - m1_at - got)) && [ "${off#-}" -le 5 ]
}
days() { echo $(($(expiry "$1") / 86400)); }
check "seconds to the CA's expiry: $(days ca) days (init: 10 years)" \
    expiry_ok ca ca.crt
check "... to the RA's signing certificate: $(days ra_sign) days" \
    expiry_ok ra_sign ra-sign.crt
check "... to the RA's encryption certificate: $(days ra_enc) days" \
    expiry_ok ra_enc ra-enc.crt
check "... to the OCSP responder's: $(days ocsp) days" expiry_ok ocsp ocsp.crt
check "... to the TLS certificate's: $(days tls) days" expiry_ok tls tls/server.crt
# up KEY: the page's seconds rounded up to days: the certificate's length
# in days while it is less than a day old.
up() { echo $((($(expiry "$1") + 86399) / 86400)); }
check "... which are the lengths init and tls-cert give (3650/730/730/365/397 days)" \
    test "$(up ca)/$(up ra_sign)/$(up ra_enc)/$(up ocsp)/$(up tls)" = 3650/730/730/365/397
check "the CRL the workers published: its age and nextUpdate" sh -c "
    grep -q '^mscep_crl_age_seconds ' '$T/m1.txt' &&
    grep -q '^mscep_crl_next_update_seconds ' '$T/m1.txt'"
check "the password cache: 0 of PasswordMax 50 left" sh -c "
    grep -qx 'mscep_password_cache_entries 0' '$T/m1.txt' &&
    grep -qx 'mscep_password_cache_size 50' '$T/m1.txt'"
check "no store errors" grep -qx 'mscep_store_errors_total 0' "$T/m1.txt"

# --- a real Prometheus scraping the page ---
PPORT=$(free_port)
mkdir -p "$T/prom"
cat > "$T/prometheus.yml" <<EOT
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: mscep
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOT
check "promtool check config accepts the scrape configuration" \
    promtool check config "$T/prometheus.yml"
spawn prometheus --config.file="$T/prometheus.yml" \
    --storage.tsdb.path="$T/prom" --web.listen-address="127.0.0.1:$PPORT"
prom=$LAST_PID
P=http://127.0.0.1:$PPORT/api/v1/query
# query EXPR: Prometheus's answer, until its value is not empty (15 s).
query() {
	for i in $(seq 1 75); do
		curl -s -G --data-urlencode "query=$1" "$P" > "$T/q.json" 2>/dev/null &&
		    python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["data"]["result"]
sys.exit(0 if r else 1)' "$T/q.json" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
query_value() {
	python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["data"]["result"][0]["value"][1])' "$T/q.json"
}
check "Prometheus answers up{job=\"mscep\"}" query 'up{job="mscep"} == 1'
check "... 1: it scraped the page" test "$(query_value)" = 1
check "Prometheus has mscep_certificates_issued_total = $issued1" sh -c "
    $(declare -f query query_value); P='$P' T='$T'
    query mscep_certificates_issued_total && test \"\$(query_value)\" = $issued1"
check "Prometheus has the PKCSReq SUCCESS series" query \
    'mscep_requests_total{message_type="PKCSReq",result="SUCCESS"}'
# The shipped dashboard and alert rules against this page and this
# Prometheus (Grafana is not in Debian: its import is not run here).
DASH=$TOP/deploy/grafana/mscep-dashboard.json
RULES=$TOP/deploy/prometheus/mscep-rules.yml
check "promtool check rules accepts the shipped alert rules" \
    promtool check rules "$RULES"
check "the dashboard is Grafana's JSON; its PromQL and the rules name only series and labels on the page" \
    sh -c "python3 '$TOP/tests/tools/dashboard_check.py' '$DASH' '$T/m1.txt' \
    '$RULES' > '$T/exprs.txt'"
n=0
bad=
while IFS= read -r e; do
	n=$((n + 1))
	query "$e" || bad="$bad [$e]"
done < "$T/exprs.txt"
check "Prometheus has data for each of the dashboard's $n queries${bad:+; none for$bad}" \
    test -z "$bad" -a "$n" -ge 12
kill "$prom" && wait "$prom" 2>/dev/null
check "Prometheus stopped by its PID" sh -c "! kill -0 $prom 2>/dev/null"

# --- mscep-admin status ---
$ADMIN status > "$T/status.txt"
sed 's/^/# status: /' "$T/status.txt"
check "status: $issued1 certificates issued (the TLS one and scepcli's)" \
    grep -q "^store  *$issued1 certificates issued ($issued1 valid), 0 revoked" "$T/status.txt"
check "status: the CA's expiry" grep -q '^ca  *20[0-9-]*T' "$T/status.txt"
check "status: the TLS certificate tls-cert made" grep -q "^tls  *20[0-9-]*T" "$T/status.txt"
check "status: the CRL" grep -q '^CRL .*thisUpdate' "$T/status.txt"
check "status: the refusal, newest first" \
    grep -q '^refusals    1 in the last 7 days, newest first:' "$T/status.txt"
$ADMIN status --json > "$T/status.json"
check "status --json is valid JSON with the same counts" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["store"]["ok"] is True
assert s["store"]["certificates"] == int(sys.argv[2])
assert s["store"]["revoked"] == 0
assert s["store"]["refusals"] == 1 and len(s["store"]["last_refusals"]) == 1
assert s["store"]["password_max"] == 50
assert s["certificates"]["ca"]["days"] > 3600
assert s["certificates"]["ra_enc"]["days"] > 700
assert 300 < s["certificates"]["tls"]["days"] < 400
assert s["crl"]["next_update"] > s["crl"]["this_update"]
' "$T/status.json" "$issued1"
check_not "status --bogus is a usage error" $ADMIN status --bogus

# --- AllowFrom: an address that is not 127.0.0.1 ---
set_metrics AllowFrom 192.0.2.1
kill -HUP "$pool"
for i in $(seq 1 100); do
	c=$(scrape m403.txt)
	[ "$c" = 403 ] && break
	sleep 0.1
done
check "outside AllowFrom (192.0.2.1 only): 403 (got $c)" test "$c" = 403
check_not "... without a series" grep -q mscep_ "$T/m403.txt"
check "SCEP still answers" sh -c "curl -sf '$URL?operation=GetCACaps' |
    grep -qx POSTPKIOperation"
set_metrics AllowFrom 127.0.0.1/33
check_not "mscep-admin check refuses AllowFrom 127.0.0.1/33" $ADMIN check
check "... saying why" sh -c "$ADMIN check 2>&1 |
    grep -q 'AllowFrom.*prefix length too large'"
finish
