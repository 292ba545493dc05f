#!/usr/bin/env bash
# fuzz_long.sh - long fuzzing runs that add up, and their corpora merged back.
#
#   bash tests/fuzz/fuzz_long.sh run [SECONDS [JOBS]]   fuzz every target
#   bash tests/fuzz/fuzz_long.sh status                 the table only
#   bash tests/fuzz/fuzz_long.sh merge                  minimise into the seeds
#   bash tests/fuzz/fuzz_long.sh replay                 each finding, run again
#
# The targets (FUZZ_TARGETS, default all ten) must be built first (make
# fuzz-build, into FUZZ_BUILD, default build/fuzz). Everything a target
# accumulates lives in $FUZZ_BUILD/long/<target>/ and is kept between runs:
#   corpus/     what libFuzzer found (it also reads tests/fuzz/corpus/<target>,
#               which it never writes);
#   artifacts/  findings: crash-*, leak-*, timeout-*, oom-* (slow-unit-* too,
#               which are not counted as findings), each with the libFuzzer
#               output that reported it (NAME.log) and what the last
#               replay printed (NAME.replay);
#   total       running totals: runs, seconds, executions;
#   last.log    the last run's libFuzzer output; runs.log one line per run.
#
# run: each target fuzzes for SECONDS (default FUZZ_SECONDS, else 600) on
# one core, JOBS targets at a time (default FUZZ_JOBS, else 1), so a run
# takes about ceil(10 / JOBS) * SECONDS. A target that stops on a finding
# starts again (at most 5 times a run) until its SECONDS are spent. At the
# end a table per target: runs, seconds and executions added up over every
# run, the last run's exec/s, coverage (libFuzzer's cov: and ft:), corpus
# size and findings, as open/all: all the inputs in artifacts/, open the
# ones that still fail when replayed with the current build (a fixed one
# passes; so does a timeout that came from the machine rather than the
# input: a fuzzer paused with SIGSTOP, say around a benchmark, times out
# on the input it was running when it resumes). The exit status is 1 when
# this run found something.
#
# replay: each finding run once more by its target (-runs=1, the same
# 30 s timeout), one line each: "open" (fails still) or "passes now".
#
# merge: for each target, libFuzzer -merge=1 adds to tests/fuzz/corpus/<target>
# the fewest inputs of $FUZZ_BUILD/long/<target>/corpus that add coverage to
# what the seeds already reach (the named seeds stay as they are); review
# and commit them. make fuzz-corpus empties those folders and rebuilds the
# named seeds only: merge again afterwards.
#
# For hours, in the background (JOBS 2 takes both cores of a 2-core
# machine; fuzz_worker, the slowest at about 700 exec/s on a free core,
# needs about 4 h for 10 million executions):
#   make fuzz-build
#   nohup bash tests/fuzz/fuzz_long.sh run 14400 2 \
#       > build/fuzz/long.out 2>&1 &
#   tail -f build/fuzz/long.out               # progress, then the table
#   bash tests/fuzz/fuzz_long.sh status       # the table, any time
# Stopping it (kill PID of the script, or Ctrl-C) stops the fuzzers, which
# print their counts; the executions so far are added up all the same.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-build/fuzz}
case $build in /*) ;; *) build=$top/$build ;; esac
long=$build/long
targets=${FUZZ_TARGETS:-pkiop worker query challenge config csr ocsp lint intune signer}
seeds=$top/tests/fuzz/corpus
restarts_max=5

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

die() {
	echo "fuzz_long: $*" >&2
	exit 2
}

usage() {
	sed -n '3,6p' "$0" | sed 's/^# *//' >&2
	exit 2
}

bin_of() {
	echo "$build/bin/fuzz_$1"
}

# runs seconds executions, from $long/<t>/total (zeros when new).
read_total() {
	if [ -f "$long/$1/total" ]; then
		cat "$long/$1/total"
	else
		echo "0 0 0"
	fi
}

# Findings: what libFuzzer writes when it stops on an input.
count_findings() {
	find "$long/$1/artifacts" -maxdepth 1 -type f \( -name 'crash-*' \
	    -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) \
	    ! -name '*.log' ! -name '*.replay' 2>/dev/null | wc -l
}

# The findings of target $1, one path a line.
findings_of() {
	find "$long/$1/artifacts" -maxdepth 1 -type f \( -name 'crash-*' \
	    -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) \
	    ! -name '*.log' ! -name '*.replay' 2>/dev/null | sort
}

# 0 when finding $2 of target $1 fails again with the current build
# (libFuzzer's copy of a failing input goes to the temporary folder, not
# to the working directory nor among the findings).
reproduces() {
	! timeout 300 "$(bin_of "$1")" -runs=1 -timeout=30 \
	    -artifact_prefix="${TMPDIR:-/tmp}/fuzz-replay-" "$2" \
	    > "$2.replay" 2>&1
}

# open/all findings of target $1.
open_findings() {
	local f all=0 open=0

	while read -r f; do
		[ -n "$f" ] || continue
		all=$((all + 1))
		reproduces "$1" "$f" && open=$((open + 1))
	done < <(findings_of "$1")
	echo "$open/$all"
}

replay() {
	local t f

	for t in $targets; do
		while read -r f; do
			[ -n "$f" ] || continue
			if reproduces "$t" "$f"; then
				echo "  OPEN    $t: $f (see $f.replay)"
			else
				echo "  PASSES  $t: $f (now)"
			fi
		done < <(findings_of "$t")
	done
}

# stat::NAME of a libFuzzer log (-print_final_stats=1), 0 when absent.
stat_of() {
	awk -v k="stat::$2:" '$1 == k { v = $2 } END { print v + 0 }' "$1"
}

# One libFuzzer process on target $1 for $2 seconds; adds its executions.
fuzz_once() {
	local t=$1 secs=$2 dir=$long/$1 log=$long/$1/last.log
	local rc execs start end runs total_secs total_execs

	start=$(date +%s)
	"$(bin_of "$t")" -max_total_time="$secs" -timeout=30 \
	    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
	    "$dir/corpus" "$seeds/$t" > "$log" 2>&1 &
	child=$!
	# A trapped signal ends wait early: wait again until it has exited.
	while :; do
		wait "$child"
		rc=$?
		kill -0 "$child" 2>/dev/null || break
	done
	child=
	end=$(date +%s)
	execs=$(stat_of "$log" number_of_executed_units)
	read -r runs total_secs total_execs < <(read_total "$t")
	echo "$((runs + 1)) $((total_secs + end - start)) \
$((total_execs + execs))" > "$dir/total.new" &&
	    mv "$dir/total.new" "$dir/total"
	printf '%s rc=%s seconds=%s executions=%s %s\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$rc" "$((end - start))" \
	    "$execs" "$(last_cov "$log")" >> "$dir/runs.log"
	return "$rc"
}

# The last "cov: N ft: N corp: N/S" libFuzzer printed.
last_cov() {
	grep -aE '^#[0-9]+' "$1" 2>/dev/null | grep -a 'cov:' | tail -1 |
	    grep -aoE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+'
}

# A target for $2 seconds, started again after a finding.
fuzz_target() {
	local t=$1 left=$2 restarts=0 before after t0
	local dir=$long/$1

	child=
	trap '[ -n "$child" ] && kill -INT "$child" 2>/dev/null' INT TERM
	mkdir -p "$dir/corpus" "$dir/artifacts"
	before=$(count_findings "$t")
	while [ "$left" -ge 10 ]; do
		t0=$(date +%s)
		if fuzz_once "$t" "$left"; then
			break
		fi
		after=$(count_findings "$t")
		if [ "$after" -le "$before" ]; then
			# Stopped without an input to show: interrupted, or
			# broken before fuzzing (init, a missing binary).
			grep -aq 'run interrupted' "$dir/last.log" ||
			    { echo "  ERROR   $t: stopped without a finding" \
			    "(see $dir/last.log)"; tail -5 "$dir/last.log"; }
			break
		fi
		before=$after
		unit=$(grep -ao "Test unit written to [^ ]*" "$dir/last.log" |
		    tail -1 | sed 's/.* //')
		# The report (the stack of a crash or of a timeout's main
		# thread) beside the input: the next run overwrites last.log.
		[ -n "$unit" ] && cp "$dir/last.log" "$unit.log"
		echo "  FOUND   $t: $unit (report: $unit.log)"
		restarts=$((restarts + 1))
		[ "$restarts" -gt "$restarts_max" ] && break
		left=$((left - ($(date +%s) - t0)))
	done
}

table() {
	local t runs secs execs eps cov ft files findings log
	printf '%-10s %5s %9s %14s %7s %6s %7s %8s %9s\n' target runs \
	    seconds executions exec/s cov ft corpus findings
	for t in $targets; do
		read -r runs secs execs < <(read_total "$t")
		log=$long/$t/last.log
		eps=0 cov=- ft=- files=0
		if [ -f "$log" ]; then
			eps=$(stat_of "$log" average_exec_per_sec)
			# "cov: N ft: N corp: N/S": words 2 and 4.
			# shellcheck disable=SC2046
			set -- $(last_cov "$log")
			[ $# -ge 4 ] && cov=$2 ft=$4
		fi
		[ -d "$long/$t/corpus" ] &&
		    files=$(find "$long/$t/corpus" -type f | wc -l)
		findings=$(open_findings "$t")
		printf '%-10s %5s %9s %14s %7s %6s %7s %8s %9s\n' "$t" "$runs" \
		    "$secs" "$execs" "$eps" "$cov" "$ft" "$files" "$findings"
	done
	echo "(seconds and executions: every run added up; exec/s, cov and" \
	    "ft: the last run; corpus: $long/<target>/corpus; findings:" \
	    "open (failing still when replayed) / all, in" \
	    "$long/<target>/artifacts)"
}

run() {
	local secs=${1:-${FUZZ_SECONDS:-600}} jobs=${2:-${FUZZ_JOBS:-1}}
	local t running=0 before=0 after=0 pids=

	case $secs$jobs in *[!0-9]*) usage ;; esac
	[ "$jobs" -ge 1 ] || usage
	for t in $targets; do
		[ -x "$(bin_of "$t")" ] ||
		    die "no $(bin_of "$t"): make fuzz-build first"
		before=$((before + $(count_findings "$t")))
	done
	trap 'kill -TERM $pids 2>/dev/null; wait; trap - INT TERM; table; exit 130' \
	    INT TERM
	echo "fuzz_long: $secs s a target, $jobs at a time: $targets"
	for t in $targets; do
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
		echo "  FUZZ    $t for $secs s (log: $long/$t/last.log)"
		fuzz_target "$t" "$secs" &
		pids="$pids $!"
		running=$((running + 1))
	done
	wait
	trap - INT TERM
	table
	for t in $targets; do
		after=$((after + $(count_findings "$t")))
	done
	if [ "$after" -gt "$before" ]; then
		echo "fuzz_long: $((after - before)) new finding(s)"
		return 1
	fi
}

merge() {
	local t n0 n1 failed=

	for t in $targets; do
		[ -x "$(bin_of "$t")" ] ||
		    die "no $(bin_of "$t"): make fuzz-build first"
		if [ ! -d "$long/$t/corpus" ]; then
			echo "  MERGE   $t: nothing found yet"
			continue
		fi
		mkdir -p "$seeds/$t"
		n0=$(find "$seeds/$t" -type f | wc -l)
		if "$(bin_of "$t")" -merge=1 -timeout=30 \
		    -artifact_prefix="$long/$t/artifacts/" "$seeds/$t" \
		    "$long/$t/corpus" > "$long/$t/merge.log" 2>&1; then
			n1=$(find "$seeds/$t" -type f | wc -l)
			echo "  MERGE   $t: $((n1 - n0)) input(s) added to" \
			    "tests/fuzz/corpus/$t ($n1 now)"
		else
			echo "  MERGE   $t: FAILED (see $long/$t/merge.log)"
			tail -20 "$long/$t/merge.log"
			failed="$failed $t"
		fi
	done
	[ -z "$failed" ]
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
run)	run "$@" ;;
status)	table ;;
merge)	merge ;;
replay)	replay ;;
*)	usage ;;
esac
