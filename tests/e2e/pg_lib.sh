# tests/e2e/pg_lib.sh - a real PostgreSQL 15 for the tests, sourced after
# lib.sh: its own cluster in $T/pg, on a loopback port from free_port and
# a unix socket in the same folder, run as the current user (as root: as
# the unprivileged user postgres), stopped by PID when the test ends.
# The store connects as "mscep" with a password from a passfile (never in
# the INI), as a deployment would.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PGDIR=$T/pg
PGPID=
PG_PW=mscep-$$-pg
PG_USER=$(id -un)
[ "$(id -u)" = 0 ] && PG_USER=postgres

# pg_as CMD...: CMD as the cluster's owner.
pg_as() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=postgres --regid="$(id -g postgres)" \
		    --clear-groups "$@"
	else
		"$@"
	fi
}

# pg_init: a new cluster with database mscep, started; sets PGPORT and
# PG_CONNINFO (for [Store] ConnInfo) with its passfile in $T/pgpass.
pg_init() {
	PGPORT=$(free_port)
	mkdir -p "$PGDIR"
	echo "$PG_PW" > "$PGDIR/pwfile"
	[ "$(id -u)" = 0 ] && chown -R postgres "$PGDIR"
	pg_as "$PG_BIN/initdb" -D "$PGDIR/data" -U mscep -A scram-sha-256 \
	    --pwfile="$PGDIR/pwfile" --locale=C -E UTF8 >"$PGDIR/initdb.log" 2>&1 ||
	    { cat "$PGDIR/initdb.log" >&2; return 1; }
	cat >> "$PGDIR/data/postgresql.conf" <<-EOC
	listen_addresses = '127.0.0.1'
	port = $PGPORT
	unix_socket_directories = '$PGDIR'
	fsync = off
	max_connections = 200
	EOC
	# Settings of the caller's (the bench's BENCH_PG_CONF), one a line.
	[ -z "${PG_EXTRA_CONF:-}" ] ||
	    printf '%s\n' "$PG_EXTRA_CONF" >> "$PGDIR/data/postgresql.conf"
	echo "127.0.0.1:$PGPORT:*:mscep:$PG_PW" > "$T/pgpass"
	chmod 600 "$T/pgpass"
	[ -n "$RUNAS" ] && chown "$RUNAS" "$T/pgpass"
	PG_CONNINFO="host=127.0.0.1 port=$PGPORT dbname=mscep user=mscep passfile=$T/pgpass connect_timeout=3"
	pg_start || return 1
	PGPASSFILE=$T/pgpass "$PG_BIN/createdb" -h 127.0.0.1 -p "$PGPORT" \
	    -U mscep mscep
}

pg_start() {
	pg_as "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
	    -t 30 start >/dev/null || { cat "$PGDIR/server.log" >&2; return 1; }
	PGPID=$(head -1 "$PGDIR/data/postmaster.pid")
}

# pg_tls: from the next pg_start the cluster takes TLS connections only
# (hostssl), with a server certificate for localhost and 127.0.0.1 issued
# by a test CA, $PGDIR/tls/ca.crt; $PGDIR/tls/other-ca.crt is a CA that
# issued nothing here.
pg_tls() {
	d=$PGDIR/tls
	mkdir -p "$d"
	ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
	openssl req -x509 $ec -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
	    -subj "/CN=mscep test PostgreSQL CA" 2>/dev/null &&
	openssl req -x509 $ec -keyout "$d/other-ca.key" -out "$d/other-ca.crt" \
	    -days 2 -subj "/CN=mscep test PostgreSQL CA" 2>/dev/null &&
	openssl req $ec -keyout "$d/server.key" -out "$d/server.csr" \
	    -subj "/CN=localhost" 2>/dev/null &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$d/ext" &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
	    -CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.crt" \
	    2>/dev/null || return 1
	chmod 600 "$d/server.key"
	chmod 644 "$d/ca.crt" "$d/other-ca.crt"
	[ "$(id -u)" = 0 ] && chown postgres "$d/server.key"
	cat >> "$PGDIR/data/postgresql.conf" <<-EOC
	ssl = on
	ssl_cert_file = '$d/server.crt'
	ssl_key_file = '$d/server.key'
	EOC
	sed -i 's/^host\([[:space:]]\)/hostssl\1/' "$PGDIR/data/pg_hba.conf"
}

# pg_stop [SIGNAL]: stops the postmaster by PID (INT: fast shutdown,
# QUIT: immediate, as a crash), waiting for it to go.
pg_stop() {
	[ -n "$PGPID" ] || return 0
	kill -"${1:-INT}" "$PGPID" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$PGPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$PGPID" 2>/dev/null
	PGPID=
}

# psql_q QUERY: one value per line from the test database.
psql_q() {
	PGPASSFILE=$T/pgpass psql -X -q -A -t -h 127.0.0.1 -p "$PGPORT" \
	    -U mscep -d mscep -c "$1"
}

# store_ini_pg: the test INI's [Store] on this cluster.
store_ini_pg() {
	sed -i -e "/^\[Store\]/,/^\[/ s|^Backend *=.*|Backend = postgresql|" \
	    -e "/^\[Store\]/,/^\[/ s|^ConnInfo *=.*|ConnInfo = $PG_CONNINFO|" \
	    "$INI"
}
AT_EXIT="$AT_EXIT pg_stop"
