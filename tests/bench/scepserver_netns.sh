#!/usr/bin/env bash
# tests/bench/scepserver_netns.sh DEPOT PORT CHALLENGE LOG CLIENT... - run
# by bench.sh under "unshare -n": micromdm's scepserver listens on every
# address and has no option to bind loopback only, so it gets a network
# namespace of its own whose one interface is a loopback, and the load
# client (CLIENT...) runs in the same namespace. Writes the server's log to
# LOG and its memory (VmRSS, VmHWM) and CPU time after the run to LOG.mem; stops the
# server it started, by PID.
set -u
depot=$1 port=$2 challenge=$3 log=$4
shift 4
pid=
stop() {
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}
trap 'stop' EXIT
trap 'stop; exit 130' INT TERM

ip link set lo up || exit 2
scepserver -depot "$depot" -port "$port" -challenge "$challenge" \
    >"$log" 2>&1 &
pid=$!
up=
for _ in $(seq 1 100); do
	if curl -sf -o /dev/null "http://127.0.0.1:$port/scep?operation=GetCACaps"; then
		up=1
		break
	fi
	sleep 0.1
done
if [ -z "$up" ]; then
	echo "scepserver did not answer on 127.0.0.1:$port:" >&2
	tail -5 "$log" >&2
	exit 2
fi
"$@"
rc=$?
{
	grep -E '^Vm(RSS|HWM):' "/proc/$pid/status"
	# CPU time since it started (user + system ticks; see proc(5)).
	awk '{ print "ticks:", $14 + $15 }' "/proc/$pid/stat"
} >"$log.mem" 2>/dev/null
exit $rc
