#!/bin/bash
# The fuzz tier: build every libFuzzer harness (make fuzz, clang) and run
# each for FUZZ_SECONDS (default 10) from an empty corpus.  A crash, a
# sanitizer report or a leak fails the harness; the input that did it is
# kept in build-fuzz/crashes/.  Without clang (or its fuzzer runtime) the
# tier says SKIP.
#
# Output: PASS/FAIL/SKIP lines, then "fuzz: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
TIER_NAME=fuzz
. tests/verdict.sh
SECONDS_EACH=${FUZZ_SECONDS:-10}

if ! command -v clang >/dev/null; then
	skip fuzz "clang is not installed (Debian packages clang libclang-rt-14-dev)"
	closing
fi
if ! make -s fuzz >build-fuzz.log 2>&1; then
	if grep -q 'libclang_rt.fuzzer\|fuzzer.*not found\|cannot find' build-fuzz.log; then
		skip fuzz "clang has no libFuzzer runtime here (Debian package libclang-rt-14-dev)"
	else
		fail fuzz-build "make fuzz failed: $(grep -m1 -i error build-fuzz.log)"
	fi
	rm -f build-fuzz.log
	closing
fi
rm -f build-fuzz.log
mkdir -p build-fuzz/crashes
for bin in build-fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus=$(mktemp -d)
	log=$(mktemp)
	if "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-artifact_prefix=build-fuzz/crashes/"$name"- "$corpus" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		pass "$name" "${runs:-?} inputs in ${SECONDS_EACH} s"
	else
		fail "$name" "$(grep -m1 -E 'ERROR|SUMMARY|deadly' "$log")"
		grep -E 'ERROR|SUMMARY|#[0-9]+ 0x' "$log" | head -12 | sed 's/^/    /'
	fi
	rm -rf "$corpus" "$log"
done
closing
