# tests/e2e/deploy_suite.sh - sourced by test_apache_*.sh, test_lighttpd.sh
# and test_nginx.sh: what every shipped deployment must do, checked through
# the real server started from its shipped configuration. Expects URL and
# TLSURL (render with TLS=1), a store with PasswordMax >= 60, and the
# server's access log in $T/run/access.log.

CLI=$MSCEP_BIN/scepcli

# code URL [CURL-OPTIONS]: the HTTP status of a GET.
code() { u=$1; shift; curl -s -o "$T/body" -w '%{http_code}' "$@" "$u"; }

deploy_protocol() {
	n=$1
	check "$n: GetCACaps over HTTP" \
	    sh -c "curl -sf '$URL?operation=GetCACaps' | grep -qx POSTPKIOperation"
	check "$n: the path matches without case, as IIS (/CertSrv/...)" \
	    curl -sf -o /dev/null "${URL%%/certsrv/*}/CertSrv/mscep/mscep.dll?operation=GetCACaps"
	check "$n: GetCACert gives RA signing, RA encryption and CA" sh -c "
	    curl -sf -D '$T/h' -o '$T/ca.p7' '$URL?operation=GetCACert&message=ca' &&
	    grep -qi '^content-type: application/x-x509-ca-ra-cert' '$T/h' &&
	    openssl pkcs7 -inform DER -in '$T/ca.p7' -print_certs | grep -c BEGIN | grep -qx 3"
	check "$n: GetCACaps over HTTPS, trusting only the CA" \
	    curl -sf --cacert "$T/state/ca.crt" -o /dev/null "$TLSURL?operation=GetCACaps"
	echo | openssl s_client -connect "127.0.0.1:$TLSPORT" -servername localhost \
	    2>/dev/null | openssl x509 -noout -ext subjectAltName,extendedKeyUsage \
	    > "$T/tls-ext" 2>&1
	check "$n: the TLS certificate names every name served (SAN)" \
	    grep -q 'DNS:localhost, IP Address:127.0.0.1' "$T/tls-ext"
	check "$n: the TLS certificate is for serverAuth" \
	    grep -q 'TLS Web Server Authentication' "$T/tls-ext"

	mkdir -p "$T/$n-sc"
	pw=$($ADMIN password)
	check "$n: scepclient enrolls by POST" sh -c "cd '$T/$n-sc' &&
	    timeout 60 scepclient -server-url '$URL' -challenge '$pw' -cn '$n-device' \
	    -private-key key.pem -certificate cert.pem >out 2>&1"
	check "$n: its certificate chains to the CA" \
	    openssl verify -CAfile "$T/state/ca.crt" "$T/$n-sc/cert.pem"
	# scepclient keeps its CSR and self-signed certificate in the
	# current folder: a second identity needs a folder of its own.
	mkdir -p "$T/$n-tls"
	check "$n: scepclient over HTTPS, trusting the CA (SSL_CERT_FILE)" sh -c "
	    cd '$T/$n-tls' && SSL_CERT_FILE='$T/state/ca.crt' timeout 60 scepclient \
	    -server-url '$TLSURL' -challenge '$($ADMIN password)' -cn '$n-tls' \
	    -private-key key.pem -certificate cert.pem >out 2>&1"

	# 700 DNS names make the GET's URL about 50 KB (NDES allows 40 KB).
	check "$n: PKIOperation by GET with 700 SANs" \
	    $CLI -u "$URL" -m get -s 700 -p "$($ADMIN password)" -o "$T/$n-big" enroll
	len=$(awk '/operation=PKIOperation&message=/ { print length($7) }' \
	    "$T/run/access.log" | sort -n | tail -1)
	check "$n: that URL was over 48 KB ($len bytes)" test "${len:-0}" -gt 49152
	check "$n: a 30 KB GET to NDES's spelling /CertSrv/mscep/mscep.dll" \
	    $CLI -u "${URL%%/certsrv/*}/CertSrv/mscep/mscep.dll" -m get -s 400 \
	    -p "$($ADMIN password)" enroll
	check "$n: all 700 names are in the certificate" sh -c "
	    openssl x509 -in \$(ls '$T/$n-big'/*.pem | head -1) -noout -ext subjectAltName |
	    tr ',' '\n' | grep -c DNS: | grep -qx 700"
}

# deploy_metrics NAME: the shipped configuration routes /metrics ([Metrics]
# Path) to mscep, which answers loopback ([Metrics] AllowFrom) with the
# text format promtool accepts, counting the enrollments deploy_protocol
# made (every certificate in the store but the TLS one mscep-admin made),
# whichever worker or CGI process answered them.
deploy_metrics() {
	n=$1
	c=$(curl -s -D "$T/$n-metrics.h" -o "$T/$n-metrics.txt" -w '%{http_code}' \
	    "http://127.0.0.1:$PORT/metrics")
	check "$n: GET /metrics from 127.0.0.1 answers 200 (got $c)" test "$c" = 200
	check "$n: ... in the text format's content type" \
	    grep -qi '^content-type: text/plain; version=0.0.4' "$T/$n-metrics.h"
	check "$n: promtool check metrics accepts it" \
	    sh -c "promtool check metrics < '$T/$n-metrics.txt'"
	issued=$(awk '$1 == "mscep_certificates_issued_total" { print $2 }' \
	    "$T/$n-metrics.txt")
	counted=$(awk '/^mscep_enrollments_total\{message_type="PKCSReq",.*result="SUCCESS"/ {
	    s += $2 } END { print s + 0 }' "$T/$n-metrics.txt")
	check "$n: the page counts the $((${issued:-1} - 1)) enrollments made ($counted PKCSReq SUCCESS, at least 4)" \
	    test "$counted" = "$((${issued:-1} - 1))" -a "$counted" -ge 4
	check "$n: ... and the PKIOperations among the requests by operation" \
	    sh -c "grep -q '^mscep_requests_total{operation=\"PKIOperation\",message_type=\"PKCSReq\",result=\"SUCCESS\"' '$T/$n-metrics.txt'"
}

# deploy_crl NAME: the shipped configuration serves the published CRL.
deploy_crl() {
	n=$1
	$ADMIN crl --force >/dev/null
	check "$n: the CRL is served at /crl/mscep.crl as application/pkix-crl" \
	    sh -c "curl -sf -D '$T/$n-crl.h' -o '$T/$n.crl' 'http://127.0.0.1:$PORT/crl/mscep.crl' &&
	    grep -qi '^Content-Type: application/pkix-crl' '$T/$n-crl.h'"
	check "$n: that CRL verifies with the CA" \
	    openssl crl -inform DER -in "$T/$n.crl" -CAfile "$T/state/ca.crt" -noout
}

# deploy_exposure NAME BASE: the server answers nothing but mscep's paths
# at BASE (http://HOST:PORT): its logs, configurations, the document root,
# the state folder and the files beside them answer 403 or 404, also when
# reached by "..", encoded or not, from the paths it does serve (400: the
# server refuses a path that climbs above its root).
deploy_exposure() {
	n=$1
	base=$2
	for p in /access.log /error.log /mscep.log /lighttpd.conf /nginx.conf \
	    /apache.conf /50-mscep.conf /mscep-locations.conf \
	    /mscep-fcgid.conf /mscep-proxy-fcgi.conf /mscep-bridge /mscep.sock \
	    /htpasswd / /etc/ /etc/passwd /index.html /htdocs/ /run/ /var/ \
	    /crl/ /crl/../access.log /crl/..%2faccess.log /crl/..%2fmscep.db \
	    /crl/%2e%2e/mscep.db /crl/..%2f..%2frun%2faccess.log \
	    /crl/..%2fprivate%2fca.key /crl/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd \
	    /crl/../../../../etc/passwd /certsrv/mscep/mscep.dll/../../../access.log \
	    /certsrv/mscep/../../error.log /ocsp/../access.log \
	    /mscep.db \
	    /private/ca.key /state/mscep.db; do
		c=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' "$base$p")
		check "$n: GET $p answers 400, 403 or 404 (got $c)" \
		    sh -c "test '$c' = 400 -o '$c' = 403 -o '$c' = 404"
	done
	# Apache keeps %2F encoded (AllowEncodedSlashes NoDecode): this one
	# reaches mscep, which answers its own page, never the log.
	curl -s --path-as-is -o "$T/body" \
	    "$base/certsrv/mscep/mscep.dll/..%2f..%2f..%2faccess.log"
	check_not "$n: no log through /certsrv/mscep/mscep.dll/..%2f..%2f..%2faccess.log" \
	    grep -q 'operation=GetCACaps' "$T/body"
	check "$n: ... and the SCEP path still answers" \
	    sh -c "curl -sf '$base/certsrv/mscep/mscep.dll?operation=GetCACaps' |
	    grep -qx POSTPKIOperation"
}

# deploy_cgi_cap NAME DIR HOLD BURST pool|-: GETs too long for FastCGI run as a
# CGI (mscep itself, or mscep-bridge), each holding one of the lock files
# in DIR: with all HOLD slots held the next answers 503 with Retry-After
# at once; 4 times as many GETs at once as BURST slots (at least 16) get
# 503s and none hangs or fails otherwise; then a long GET enrolls. mscep's
# slot count is [Service] MaxCGIProcesses, set here in the INI; the
# bridge's is MSCEP_BRIDGE_SLOTS (8), fixed ("pool": the bridge, whose
# burst need not show a 503).
deploy_cgi_cap() {
	n=$1 dir=$2 hold=$3 slots=$4
	# 30,000 characters of base64 zeros: past the CGI threshold of every
	# shipped configuration; mscep answers 400 (not DER) once admitted.
	long="$URL?operation=PKIOperation&message=$(head -c 30000 /dev/zero | tr '\0' A)"
	sed -i "s/^MaxCGIProcesses = .*/MaxCGIProcesses = $hold/" "$INI"
	# The first CGI request makes StateDir/cgi/ as the workers' user.
	curl -s -m 30 -o /dev/null "$long"
	# The holder runs as the lock folder's owner: its signals live in a
	# folder it may write.
	h=$T/$n-hold
	mkdir -p "$h" && chmod 777 "$h"
	mkfifo "$h/release" && chmod 666 "$h/release"
	cmd="sh -c \": > '$h/held'; read x < '$h/release'\""
	for i in $(seq 0 $((hold - 1))); do cmd="flock '$dir/slot-$i' $cmd"; done
	as_user "$(stat -c %U "$dir")" sh -c "$cmd" &
	holder=$!
	for i in $(seq 1 100); do [ -e "$h/held" ] && break; sleep 0.1; done
	t0=$(date +%s)
	c=$(curl -s -m 30 -D "$T/$n-cap.h" -o "$T/body" -w '%{http_code}' "$long")
	t1=$(date +%s)
	check "$n: all $hold CGI slots held: a long GET answers 503 (got $c)" test "$c" = 503
	check "$n: ... with Retry-After" grep -qi '^Retry-After: [0-9]' "$T/$n-cap.h"
	check "$n: ... at once ($((t1 - t0)) s)" test $((t1 - t0)) -le 3
	check "$n: ... and logs why" sh -c "cat '$T/run/mscep.log' '$T/run/error.log' \
	    2>/dev/null | grep -qE 'op=CGI result=503|mscep-bridge: 503: all'"
	timeout 10 sh -c "echo > '$h/release'"
	wait "$holder"
	c=$(curl -s -m 30 -o "$T/body" -w '%{http_code}' "$long")
	check "$n: slots free again: mscep answers the long GET (400, got $c)" test "$c" = 400

	sed -i "s/^MaxCGIProcesses = .*/MaxCGIProcesses = $slots/" "$INI"
	many=$((slots * 4 < 16 ? 16 : slots * 4))
	burst=
	for i in $(seq 1 $many); do
		curl -s -m 60 -o /dev/null -w '%{http_code}\n' "$long" > "$T/$n-burst.$i" &
		burst="$burst $!"
	done
	wait $burst
	cat "$T/$n-burst".* | sort | uniq -c | sed 's/^/# burst: /'
	# Through mod_proxy_fcgi's bridge the burst has not been seen to
	# overlap 8 deep (even with the pool's workers paused), so there
	# only the held slots above show the 503.
	[ "$5" = pool ] ||
	    check "$n: $many long GETs at once against $slots slots: some get 503" \
	    grep -qx 503 $T/$n-burst.*
	check "$n: ... some are answered by mscep (400)" grep -qx 400 $T/$n-burst.*
	check "$n: ... and none hangs or fails otherwise" \
	    sh -c "! cat $T/$n-burst.* | grep -vqxE '400|503'"
	sed -i 's/^MaxCGIProcesses = .*/MaxCGIProcesses = 4/' "$INI"
	check "$n: after the burst a 30 KB GET enrolls" \
	    $CLI -u "$URL" -m get -s 400 -p "$($ADMIN password)" enroll
}

deploy_password_page() {
	n=$1
	a=${TLSURL%%/mscep/mscep.dll}/mscep_admin/
	c="--cacert $T/state/ca.crt"
	check "$n: password page without credentials: 401" \
	    test "$(code "$a" $c)" = 401
	check "$n: password page with a wrong password: 401" \
	    test "$(code "$a" $c -u alice:wrong)" = 401
	check "$n: password page for a user not in [PasswordPage] Users: 403" \
	    test "$(code "$a" $c -u "mallory:$ALICE_PW")" = 403
	check_not "$n: ... and no password in that page" \
	    sh -c "iconv -f utf-16le -t utf-8 '$T/body' | grep -q 'password is'"
	check "$n: password page over plain HTTP: 403" \
	    test "$(code "${URL%%/mscep/mscep.dll}/mscep_admin/" -u "alice:$ALICE_PW")" = 403
	# Path tricks and spoofed users never yield a password.
	base=${TLSURL%%/certsrv/*}
	for v in "/certsrv/mscep/mscep.dll -u alice:$ALICE_PW" \
	    "/certsrv/mscep_admin/ -H Remote-User:alice" \
	    "/certsrv/mscep_admin/ -H X-Remote-User:alice" \
	    "/certsrv/mscep/../mscep_admin/ -H Remote-User:alice" \
	    "/certsrv//mscep_admin/ -H Remote-User:alice" \
	    "/certsrv/mscep_admin/%2e%2e/mscep/mscep.dll -H Remote-User:alice" \
	    "/certsrv/%6dscep_admin/ -H Remote-User:alice" \
	    "/CERTSRV/MSCEP_ADMIN/mscep.dll -H Remote-User:alice"; do
		set -- $v
		p=$1
		shift
		curl -s $c --path-as-is -o "$T/body" "$@" "$base$p"
		check_not "$n: no password for $p $*" \
		    sh -c "iconv -f utf-16le -t utf-8 '$T/body' 2>/dev/null | grep -q 'password is:'"
	done
	check "$n: password page for alice: 200" \
	    test "$(code "$a" $c -u "alice:$ALICE_PW")" = 200
	pw=$(iconv -f utf-16le -t utf-8 "$T/body" |
	    sed -n 's/.*The enrollment challenge password is: <B> \([0-9A-F]*\) .*/\1/p')
	check "$n: the page shows a 16-hex-digit password, as NDES" \
	    sh -c "echo '$pw' | grep -qxE '[0-9A-F]{16}'"
	check "$n: that password enrolls" $CLI -u "$URL" -p "$pw" enroll
	check "$n: the page is logged with the user, never the password" sh -c "
	    mscep_log() { cat '$T/run/mscep.log' '$T/run/error.log' 2>/dev/null; }
	    mscep_log | grep -q 'op=PasswordPage user=\"alice\" result=200' &&
	    ! mscep_log | grep -q '$pw'"
}

# A worker killed with SIGKILL in the middle of a run: its supervisor
# (the web server, or mscep's pool) replaces it and service goes on.
deploy_kill_worker() {
	n=$1
	for i in $(seq 1 100); do $ADMIN password; done > "$T/$n-pws"
	before=$(sql "select count(*) from certificates")
	# Paced (20 ms after each exchange, at least a second in all) so the
	# kill lands inside the run however fast this machine is.
	$CLI -u "$URL" -n 100 -j 2 --pace 20 -P "$T/$n-pws" enroll \
	    > "$T/$n-load" 2>&1 &
	cli=$!
	# The client reports only after its last exchange; the store shows
	# progress. Kill once enrollments are flowing (key generation first
	# takes a while).
	stored=0
	for i in $(seq 1 600); do
		stored=$(($(sql "select count(*) from certificates") - before))
		[ "$stored" -ge 5 ] && break
		kill -0 "$cli" 2>/dev/null || break
		sleep 0.05
	done
	victim=$(workers | head -1)
	check "$n: a worker to kill is running" test -n "$victim"
	kill -9 $victim 2>/dev/null
	stored=$(($(sql "select count(*) from certificates") - before))
	check "$n: the worker is killed mid-run ($stored of 100 stored)" \
	    test "$stored" -ge 5 -a "$stored" -lt 100
	wait $cli
	sed -n '$p' "$T/$n-load" | sed 's/^/# /'
	check "$n: the next enrollment after the kill succeeds" \
	    $CLI -u "$URL" -p "$($ADMIN password)" enroll
	# Gone, or a zombie its supervisor has yet to reap (mod_fcgid scans
	# every few seconds).
	check "$n: the killed worker is gone" \
	    sh -c "! ps -o stat= -p '$victim' | grep -qv Z"
	grep -o 'serial=[0-9A-F]*' "$T/$n-load" | cut -d= -f2 | sort > "$T/$n-got"
	check "$n: most of the run's enrollments succeeded ($(wc -l < "$T/$n-got") of 100)" \
	    test "$(wc -l < "$T/$n-got")" -ge 90
	sql "select serial from certificates" | sort > "$T/$n-stored"
	check "$n: every certificate a client received is in the store" \
	    test -z "$(comm -23 "$T/$n-got" "$T/$n-stored")"
	check "$n: database integrity after the kill" \
	    test "$(store_integrity)" = ok
}

# Stops the servers; nothing they started may survive.
deploy_stop() {
	n=$1
	all="$STARTED $(for p in $STARTED; do descendants "$p"; done)"
	stop_servers
	left=
	for p in $all; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
	check "$n: every process started is gone after stopping" test -z "$left"
}

deploy_suite() {
	deploy_protocol "$1"
	deploy_metrics "$1"
	deploy_crl "$1"
	deploy_exposure "$1" "http://127.0.0.1:$PORT"
	# mod_proxy_fcgi's long GETs go through mscep-bridge to the pool.
	if [ "$1" = apache-proxy-fcgi ]; then
		deploy_cgi_cap "$1" "$T/run/bridge" 8 8 pool
	else
		deploy_cgi_cap "$1" "$T/state/cgi" 2 1 -
	fi
	deploy_password_page "$1"
	deploy_kill_worker "$1"
	deploy_stop "$1"
}
