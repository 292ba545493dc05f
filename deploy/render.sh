#!/bin/sh
# deploy/render.sh SERVER RUNDIR - renders the shipped configuration for
# SERVER (lighttpd, nginx, apache-fcgid, apache-proxy-fcgi) to run from a
# local folder, as "make run" and the end-to-end tests do. Only ports and
# paths change: every directive is the shipped one. Writes RUNDIR/SERVER.conf
# (the part Debian keeps in /etc/SERVER) and the rendered shipped files.
#
# Environment: BIN (folder with mscep), CONFIG (mscep.ini), PORT, TLSPORT
# (0: no HTTPS), TLSDIR (server.crt/key), HTPASSWD, RUNAS (user for
# servers that refuse to run as root; empty when not root), STATEDIR
# (mscep's StateDir, where the CRL is published). The document root is
# the empty RUNDIR/htdocs: RUNDIR's logs and configurations are never
# served.
set -eu
server=$1
run=$2
top=$(cd "$(dirname "$0")" && pwd)
: "${BIN:?}" "${CONFIG:?}" "${PORT:?}" "${TLSPORT:=0}" "${TLSDIR:=$run/tls}"
: "${HTPASSWD:=$run/htpasswd}" "${RUNAS:=}" "${STATEDIR:=/var/lib/mscep}"

render() {
	sed -e "s|/usr/local/sbin|$BIN|g" -e "s|/usr/local/lib/mscep|$run|g" \
	    -e "s|/etc/mscep/mscep.ini|$CONFIG|g" \
	    -e "s|/etc/mscep/htpasswd|$HTPASSWD|g" \
	    -e "s|/etc/mscep/tls|$TLSDIR|g" -e "s|/var/lib/mscep|$STATEDIR|g" \
	    -e "s|/run/mscep/|$run/|g" -e "s|/run/lighttpd/|$run/|g" \
	    -e "s|/etc/nginx/snippets/|$run/|g" \
	    -e "s|/tmp/mscep-bridge|$run/bridge|g" \
	    -e "/listen[[:space:]]*\[::\]/d" \
	    -e "s|listen[[:space:]]*80;|listen 127.0.0.1:$PORT;|" \
	    -e "s|listen[[:space:]]*443 ssl;|listen 127.0.0.1:$TLSPORT ssl;|" \
	    -e "s|<VirtualHost \*:443>|<VirtualHost 127.0.0.1:$TLSPORT>|" \
	    -e "s|\"socket\"\] == \":443\"|\"socket\"] == \"127.0.0.1:$TLSPORT\"|" \
	    "$top/$1" > "$run/$(basename "$1")"
}

lighttpd_main() {
	render lighttpd/50-mscep.conf
	cat > "$run/lighttpd.conf" <<EOT
# Debian's /etc/lighttpd/lighttpd.conf, the parts that matter here.
server.modules = ( "mod_access", "mod_alias", "mod_accesslog" )
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$run/htdocs"
server.errorlog = "$run/error.log"
accesslog.filename = "$run/access.log"
include "$run/50-mscep.conf"
EOT
	if [ "$TLSPORT" != 0 ]; then
		render lighttpd/51-mscep-tls.conf
		echo "include \"$run/51-mscep-tls.conf\"" >> "$run/lighttpd.conf"
	fi
}

nginx_main() {
	render nginx/mscep.conf
	render nginx/mscep-locations.conf
	render nginx/mscep-fastcgi-params.conf
	cat > "$run/nginx.conf" <<EOT
# Debian's /etc/nginx/nginx.conf, the parts that matter here.
daemon off;
worker_processes 1;
pid $run/nginx.pid;
error_log $run/error.log info;
${RUNAS:+user $RUNAS;}
events { worker_connections 256; }
http {
	access_log $run/access.log;
	client_body_temp_path $run/nginx-body;
	fastcgi_temp_path $run/nginx-fastcgi;
	proxy_temp_path $run/nginx-proxy;
	uwsgi_temp_path $run/nginx-uwsgi;
	scgi_temp_path $run/nginx-scgi;
	include $run/mscep.conf;
}
EOT
}

apache_main() {
	mods=/usr/lib/apache2/modules
	cat > "$run/apache.conf" <<EOT
# Debian's /etc/apache2/apache2.conf and enabled modules, in short.
ServerRoot /etc/apache2
ServerName localhost
Listen 127.0.0.1:$PORT
PidFile $run/apache.pid
DefaultRuntimeDir $run
Mutex file:$run default
ErrorLog $run/error.log
LogLevel warn
LogFormat "%h %l %u %t \"%r\" %>s %b" common
CustomLog $run/access.log common
${RUNAS:+User $RUNAS}
${RUNAS:+Group $RUNAS}
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule authz_user_module $mods/mod_authz_user.so
LoadModule authn_core_module $mods/mod_authn_core.so
LoadModule authn_file_module $mods/mod_authn_file.so
LoadModule auth_basic_module $mods/mod_auth_basic.so
LoadModule alias_module $mods/mod_alias.so
LoadModule mime_module $mods/mod_mime.so
TypesConfig /etc/mime.types
DocumentRoot $run/htdocs
<Directory />
	Require all denied
</Directory>
EOT
	if [ "$TLSPORT" != 0 ]; then
		cat >> "$run/apache.conf" <<EOT
LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so
LoadModule ssl_module $mods/mod_ssl.so
Listen 127.0.0.1:$TLSPORT
EOT
	fi
	if [ "$1" = fcgid ]; then
		render apache/mscep-fcgid.conf
		cat >> "$run/apache.conf" <<EOT
LoadModule fcgid_module $mods/mod_fcgid.so
LoadModule cgid_module $mods/mod_cgid.so
LoadModule env_module $mods/mod_env.so
ScriptSock $run/cgid.sock
FcgidIPCDir $run/fcgid
FcgidProcessTableFile $run/fcgid_shm
Include $run/mscep-fcgid.conf
EOT
	else
		render apache/mscep-proxy-fcgi.conf
		render cgi/mscep-bridge
		chmod 755 "$run/mscep-bridge"
		# The bridge's lock folder, which it would make in /tmp.
		mkdir -p -m 0700 "$run/bridge"
		[ -z "$RUNAS" ] || chown "$RUNAS" "$run/bridge"
		cat >> "$run/apache.conf" <<EOT
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_fcgi_module $mods/mod_proxy_fcgi.so
LoadModule cgid_module $mods/mod_cgid.so
ScriptSock $run/cgid.sock
Include $run/mscep-proxy-fcgi.conf
EOT
	fi
	if [ "$TLSPORT" != 0 ]; then
		render apache/mscep-ssl.conf
		echo "Include $run/mscep-ssl.conf" >> "$run/apache.conf"
	fi
}

# An empty document root: logs and configurations stay outside it.
mkdir -p "$run/htdocs"
case $server in
lighttpd)		lighttpd_main ;;
nginx)			nginx_main ;;
apache-fcgid)		apache_main fcgid ;;
apache-proxy-fcgi)	apache_main proxy ;;
*)	echo "render.sh: unknown server $server" >&2; exit 2 ;;
esac
