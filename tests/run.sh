#!/bin/bash
# Run the test tiers and print one closing line: "N passed, N failed, N skipped".
#
#   tests/run.sh --unit DIR     every cmocka binary in DIR (built from tests/unit)
#   tests/run.sh --fuzz         tests/fuzz/run.sh: each libFuzzer harness briefly
#   tests/run.sh --guest        tests/guest/run.sh: our guests on host KVM
#   tests/run.sh --nested       tests/nested/run.sh, gdb.sh and api.sh: Linux under
#                               real KVM (slow), the gdb stub and the API there
#   tests/run.sh --arm64        tests/arm64/run.sh, gdb.sh and api.sh --arm64: the
#                               arm64 monitor under real arm64 KVM (QEMU aarch64 in
#                               software; slow), the gdb stub and the API there
#
# Each tier prints its own lines; this script adds up their totals.  A tier
# that cannot run here says SKIP with the reason and is not counted as passed.
set -u
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0

add_totals() { # "<line with N passed, N failed[, N skipped]>"
	local line=$1 p f s
	p=$(sed -n 's/.*\b\([0-9][0-9]*\) passed.*/\1/p' <<<"$line")
	f=$(sed -n 's/.*\b\([0-9][0-9]*\) failed.*/\1/p' <<<"$line")
	s=$(sed -n 's/.*\b\([0-9][0-9]*\) skipped.*/\1/p' <<<"$line")
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	skipped=$((skipped + ${s:-0}))
}

run_unit() {
	local dir=$1 bin out rc p f
	for bin in "$dir"/test_*; do
		[ -x "$bin" ] || continue
		out=$("$bin" 2>&1)
		rc=$?
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
		p=${p:-0} f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1 # crashed before cmocka could count (e.g. a sanitizer)
		fi
		if [ "$f" -ne 0 ]; then
			echo "$out" | grep -v '^\[ *\(RUN\|OK\) *\]'
		fi
		echo "unit $(basename "$bin"): $p passed, $f failed"
		passed=$((passed + p))
		failed=$((failed + f))
	done
}

# Show the tier's lines as they come (on stderr, which stays the caller's
# descriptor: `tee /dev/stderr` would reopen it and truncate a log file) and
# keep its last line, the totals.
run_tier() { # script
	local out
	out=$("$@" 2>&1 | {
		last=
		while IFS= read -r line; do
			printf '%s
' "$line" >&2
			last=$line
		done
		printf '%s
' "$last"
	})
	add_totals "$out"
}

while [ $# -gt 0 ]; do
	case $1 in
	--unit) run_unit "$2"; shift 2 ;;
	--guest)
		run_tier tests/guest/run.sh
		run_tier build/tests/guest-lifecycle build/guests
		run_tier tests/guest/virtio.sh
		run_tier tests/guest/fwprobe.sh
		run_tier tests/guest/linuxboot.sh
		run_tier tests/guest/qemu.sh
		run_tier tests/guest/seabios.sh
		run_tier tests/guest/gdb.sh
		run_tier tests/guest/api.sh
		shift ;;
	--fuzz) run_tier tests/fuzz/run.sh; shift ;;
	--nested)
		run_tier tests/nested/run.sh
		run_tier tests/nested/gdb.sh
		run_tier tests/nested/api.sh
		shift ;;
	--arm64)
		run_tier tests/arm64/run.sh
		run_tier tests/arm64/gdb.sh
		run_tier tests/nested/api.sh --arm64
		shift ;;
	*) echo "tests/run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
