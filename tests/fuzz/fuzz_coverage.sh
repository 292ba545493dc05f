#!/usr/bin/env bash
# fuzz_coverage.sh - line coverage of the parsers from replaying the corpora.
#
#   bash tests/fuzz/fuzz_coverage.sh [FILE...]     (make fuzz-coverage)
#
# Needs the targets built with clang's source-based coverage into
# FUZZ_COV_BUILD (default build/fuzz-cov; make fuzz-coverage does it).
# Each target runs every input once (-runs=0) of its seeds
# (tests/fuzz/corpus/<target>), of what the long runs kept
# ($FUZZ_BUILD/long/<target>/corpus, when there) and of its regressions;
# the profiles are merged and llvm-cov prints, per source file, the lines
# the replay executed out of the lines that hold code. Without FILE
# arguments the table lists the request parsers and what they feed.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
cov=${FUZZ_COV_BUILD:-build/fuzz-cov}
long=${FUZZ_BUILD:-build/fuzz}/long
targets=${FUZZ_TARGETS:-pkiop worker query challenge config csr ocsp lint intune signer}
profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata)
llvmcov=$(command -v llvm-cov-14 || command -v llvm-cov)

die() {
	echo "fuzz_coverage: $*" >&2
	exit 2
}

[ -n "$profdata" ] && [ -n "$llvmcov" ] ||
    die "llvm-profdata and llvm-cov are needed (Debian llvm-14)"
if [ $# -eq 0 ]; then
	set -- mscep/scep/message.c mscep/scep/scep_attr.c \
	    mscep/responder/pkiop.c mscep/responder/lifecycle.c \
	    mscep/responder/route.c mscep/responder/ocsp.c mscep/ca/crl.c \
	    mscep/ca/lint.c mscep/ca/issue.c mscep/config/config.c \
	    mscep/ca/sigwire.c mscep/signer/signer.c mscep/signer/sigcheck.c \
	    policy/challenge.c $(ls policy/intune*.c 2>/dev/null)
fi

rm -rf "$cov/prof" && mkdir -p "$cov/prof" || die "cannot create $cov/prof"
objects=()
for t in $targets; do
	bin=$cov/bin/fuzz_$t
	[ -x "$bin" ] || die "no $bin: make fuzz-coverage builds it"
	dirs=()
	for d in tests/fuzz/corpus/$t "$long/$t/corpus" tests/fuzz/regressions/$t; do
		[ -d "$d" ] && dirs+=("$d")
	done
	[ "${#dirs[@]}" -gt 0 ] || continue
	n=$(find "${dirs[@]}" -type f | wc -l)
	echo "# $t: replaying $n inputs" >&2
	LLVM_PROFILE_FILE="$top/$cov/prof/$t-%p.profraw" \
	    "$bin" -runs=0 -timeout=30 "${dirs[@]}" >"$cov/prof/$t.log" 2>&1 ||
	    { tail -20 "$cov/prof/$t.log" >&2; die "$t failed while replaying"; }
	if [ "${#objects[@]}" -eq 0 ]; then
		objects=("$bin")
	else
		objects+=(-object "$bin")
	fi
done
"$profdata" merge -sparse -o "$cov/merged.profdata" "$cov"/prof/*.profraw ||
    die "llvm-profdata merge failed"
# llvm-cov's report: Filename, then Regions/Missed/Cover, Functions/
# Missed/Executed, Lines/Missed/Cover, Branches...: keep the lines.
"$llvmcov" report "${objects[@]}" -instr-profile="$cov/merged.profdata" \
    "$@" | awk 'NR > 2 && NF >= 10 && $1 !~ /^-/ {
	lines = $8; missed = $9
	printf "%-36s %6d of %6d lines  %6s\n", $1, lines - missed, lines, $10 }
    BEGIN { printf "%-36s %-22s %s\n", "file", "executed", "cover" }'
