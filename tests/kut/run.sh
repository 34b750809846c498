#!/usr/bin/env bash
# The kvm-unit-tests tier: run a kvm-unit-tests tree's x86 suite unchanged
# (its own run_tests.sh) under minivmm's QEMU front end and under QEMU, side
# by side on this host, and print both verdicts per test.
#
#   make check-kut KUT_DIR=/path/to/kvm-unit-tests
#   tests/kut/run.sh [KUT_DIR]
#
# kvm-unit-tests is not a Debian package: fetch and build it yourself
#   git clone https://gitlab.com/kvm-unit-tests/kvm-unit-tests.git
#   cd kvm-unit-tests && ./configure && make
# Without a tree (or without its x86/*.flat), the tier is one SKIP.
#
# Environment: KUT_DIR (the tree), MINIVMM_QEMU (default
# build/bin/qemu-system-x86_64), REF_QEMU (default qemu-system-x86_64 on
# PATH), KUT_TIMEOUT (per test, default 15s), KUT_JOBS (default 2),
# KUT_TESTS (a space-separated list of test names; default all).
#
# Output: the table "TEST  MINIVMM  QEMU", then one verdict per test QEMU
# passes: PASS when minivmm passes it too, FAIL when not, SKIP for tests
# that need a machine minivmm does not model (q35: intel_iommu); tests QEMU
# does not pass are in the table only.  Closes with "kut: N passed, N
# failed, N skipped"; exits 1 if any failed.

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
TIER_NAME=kut
. tests/verdict.sh

KUT_DIR=${1:-${KUT_DIR:-}}
MQ=${MINIVMM_QEMU:-$ROOT/build/bin/qemu-system-x86_64}
RQ=${REF_QEMU:-$(command -v qemu-system-x86_64)}
TIMEOUT_EACH=${KUT_TIMEOUT:-15s}
JOBS=${KUT_JOBS:-2}
# Tests of a machine minivmm does not model: name and why.
declare -A OUT_OF_SCOPE=([intel_iommu]="needs the q35 machine with VT-d (minivmm models pc)")

if [ -z "$KUT_DIR" ]; then
	skip kut "no kvm-unit-tests tree given (make check-kut KUT_DIR=DIR; it is not a Debian package: clone it, ./configure && make)"
	closing
fi
if ! ls "$KUT_DIR"/x86/*.flat >/dev/null 2>&1 || [ ! -x "$KUT_DIR/run_tests.sh" ]; then
	skip kut "$KUT_DIR has no built x86 tests (x86/*.flat): ./configure && make there"
	closing
fi
if [ ! -e "$MQ" ]; then
	fail kut "$MQ is missing (run make)"
	closing
fi
if [ -n "$kvm_missing" ]; then
	skip kut "$kvm_missing"
	closing
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-kut.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT

# suite VMM OUT: run_tests.sh with QEMU=VMM; "NAME VERDICT" lines in OUT.
suite() {
	local tests=()
	# shellcheck disable=SC2206 # a list of names
	[ -n "${KUT_TESTS:-}" ] && tests=(${KUT_TESTS})
	(cd "$KUT_DIR" && QEMU=$1 ACCEL=kvm TIMEOUT=$TIMEOUT_EACH ./run_tests.sh -j "$JOBS" "${tests[@]}") 2>&1 |
		sed 's/\x1b\[[0-9;]*m//g' | awk '$1 ~ /^(PASS|FAIL|SKIP)$/ { print $2, $1 }' | sort >"$2"
	cp -r "$KUT_DIR/logs" "$2.logs" 2>/dev/null
}

suite "$MQ" "$WORK/minivmm"
if [ -n "$RQ" ]; then
	suite "$RQ" "$WORK/qemu"
else
	: >"$WORK/qemu"
fi
if [ ! -s "$WORK/minivmm" ]; then
	fail kut "run_tests.sh printed no verdicts under minivmm"
	closing
fi

printf '%-44s %-8s %s\n' TEST MINIVMM "QEMU ($($RQ -version 2>/dev/null | head -n 1 | awk '{ print $4 }'))"
join -a 1 -e - -o 0,1.2,2.2 "$WORK/minivmm" "$WORK/qemu" | while read -r name m q; do
	printf '%-44s %-8s %s\n' "$name" "$m" "$q"
done
both=$(awk '$2 == "PASS"' "$WORK/minivmm" | wc -l)
echo "minivmm passes $both, QEMU $(awk '$2 == "PASS"' "$WORK/qemu" | wc -l)"

while read -r name q; do
	[ "$q" = PASS ] || continue
	m=$(awk -v n="$name" '$1 == n { print $2 }' "$WORK/minivmm")
	if [ -n "${OUT_OF_SCOPE[$name]:-}" ]; then
		skip "kut-$name" "${OUT_OF_SCOPE[$name]}"
	elif [ "$m" = PASS ]; then
		pass "kut-$name"
	else
		why=$(grep -v -e '^timeout ' -e '^$' "$WORK/minivmm.logs/$name.log" 2>/dev/null | tail -n 1 | cut -c1-160)
		fail "kut-$name" "QEMU passes it, minivmm: ${m:-no verdict}${why:+ ($why)}"
	fi
done <"$WORK/qemu"
closing
