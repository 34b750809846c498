#!/usr/bin/env bash
# The kvm-unit-tests tier: run a kvm-unit-tests tree's suite unchanged (its
# own run_tests.sh) under minivmm's QEMU front end and under QEMU, side by
# side, and print both verdicts per test.
#
#   make check-kut KUT_DIR=/path/to/kvm-unit-tests [KUT_ARM64_DIR=...]
#   tests/kut/run.sh [KUT_DIR]            on this host (needs /dev/kvm)
#   tests/kut/run.sh --nested [KUT_DIR]   in the x86 nested tier's L1, under
#                                         its real KVM (tests/nested)
#   tests/kut/run.sh --arm64 [KUT_DIR]    an arm64 build of the suite in the
#                                         arm64 tier's L1 (tests/arm64)
#
# kvm-unit-tests is not a Debian package: fetch and build it yourself
#   git clone https://gitlab.com/kvm-unit-tests/kvm-unit-tests.git
#   cd kvm-unit-tests && ./configure && make
#   (arm64, in a second copy: ./configure --arch=arm64
#    --cross-prefix=aarch64-linux-gnu- && make)
# Without a tree (or without its built tests), the tier is one SKIP.
#
# On this host: QEMU=build/bin/qemu-system-x86_64 (MINIVMM_QEMU) and then
# QEMU=qemu-system-x86_64 on PATH (REF_QEMU), both with ACCEL=kvm.
# Nested (--nested, --arm64): one L1 boot (tests/nested/run-l1.sh --qemu,
# tests/arm64/run-l1.sh --qemu) gets minivmm (./minivmm;
# build-arm64/minivmm, static), bash and the few programs the harness needs
# that busybox lacks, the part of the tree run_tests.sh reads (run_tests.sh,
# config.mak, scripts/*.bash, TEST_DIR's run, unittests.cfg and *.flat,
# errata.txt, build-head), put at the tree's own path in L1 (config.mak
# names absolute paths); tests/kut/l1-kut.sh runs the suite there with
# QEMU=minivmm's QEMU-named link, then with QEMU= L1's QEMU (Debian's 7.2).
# In L1, config.mak gets PRETTY_PRINT_STACKS=no: there is no python3 for
# the stack-trace pretty printer, which only rewrites logs.
#
# Environment: KUT_DIR (KUT_ARM64_DIR for --arm64), MINIVMM_QEMU and
# REF_QEMU (host), MINIVMM (the binary copied into L1), KUT_TIMEOUT (the
# harness's TIMEOUT for every test; default 15s on the host, the suite's own
# per-test limits nested), KUT_JOBS (default 2 on the host, 1 nested: L1
# has one vCPU), KUT_TESTS (a space-separated list of test names; default
# all), KUT_LOGS (nested: "all" brings every test's whole log back from L1;
# default the last 40 lines of each test's log that did not pass),
# KUT_KEEP=DIR (nested: keep L1's console and the parsed output there),
# KUT_L1_TIMEOUT (nested: bound on each L1 run, default 5400 s),
# KUT_L1_BOOTS (nested: at most that many L1 boots, default 4: when an L1
# dies, the test it was running gets the verdict L1-DIED and a new L1 runs
# the tests that have no verdict yet).
#
# Output: the table "TEST  MINIVMM  QEMU", then one verdict per test QEMU
# passes: PASS when minivmm passes it too, FAIL when not, SKIP for tests
# that need a machine minivmm does not model (q35: intel_iommu); tests QEMU
# does not pass are in the table only.  Closes with "kut: N passed, N
# failed, N skipped" (kut-nested, kut-arm64); exits 1 if any failed.

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2

where=host
case ${1:-} in
--nested) where=nested; shift ;;
--arm64) where=arm64; shift ;;
esac
TIER_NAME=kut
[ "$where" != host ] && TIER_NAME=kut-$where
. tests/verdict.sh

if [ "$where" = arm64 ]; then
	KUT_DIR=${1:-${KUT_ARM64_DIR:-}}
	want_arch=arm64 qemu_name=qemu-system-aarch64 make_hint="make arm64"
	configure="./configure --arch=arm64 --cross-prefix=aarch64-linux-gnu-"
	MINIVMM=${MINIVMM:-$ROOT/build-arm64/minivmm}
	MQ_LINK=$ROOT/build-arm64/bin/$qemu_name
else
	KUT_DIR=${1:-${KUT_DIR:-}}
	want_arch=x86_64 qemu_name=qemu-system-x86_64 make_hint=make configure=./configure
	MINIVMM=${MINIVMM:-$ROOT/minivmm}
	MQ_LINK=${MINIVMM_QEMU:-$ROOT/build/bin/$qemu_name}
fi
if [ "$where" = host ]; then
	TIMEOUT_EACH=${KUT_TIMEOUT:-15s} JOBS=${KUT_JOBS:-2}
else
	TIMEOUT_EACH=${KUT_TIMEOUT:-} JOBS=${KUT_JOBS:-1}
fi
# Tests of a machine minivmm does not model: name and why.
declare -A OUT_OF_SCOPE=([intel_iommu]="needs the q35 machine with VT-d (minivmm models pc)")

# mak VAR: VAR's value in the tree's config.mak.
mak() { sed -n "s/^$1=//p" "$KUT_DIR/config.mak" | tail -n 1; }

if [ -z "$KUT_DIR" ]; then
	var=KUT_DIR
	[ "$where" = arm64 ] && var=KUT_ARM64_DIR
	skip "$TIER_NAME" "no kvm-unit-tests tree given (make check-kut $var=DIR; it is not a Debian package: clone it, $configure && make)"
	closing
fi
KUT_DIR=$(cd "$KUT_DIR" 2>/dev/null && pwd) || {
	skip "$TIER_NAME" "no directory ${1:-$KUT_DIR}"
	closing
}
TEST_DIR=
[ -f "$KUT_DIR/config.mak" ] && TEST_DIR=$(mak TEST_DIR)
if [ -z "$TEST_DIR" ] || ! ls "$KUT_DIR/$TEST_DIR"/*.flat >/dev/null 2>&1 || [ ! -x "$KUT_DIR/run_tests.sh" ]; then
	skip "$TIER_NAME" "$KUT_DIR has no built tests (${TEST_DIR:-TEST_DIR}/*.flat): $configure && make there"
	closing
fi
if [ "$(mak ARCH)" != "$want_arch" ]; then
	skip "$TIER_NAME" "$KUT_DIR is built for $(mak ARCH), not $want_arch ($configure)"
	closing
fi
for f in "$MINIVMM" "$MQ_LINK"; do
	if [ ! -e "$f" ]; then
		fail "$TIER_NAME" "$f is missing (run $make_hint)"
		closing
	fi
done
if [ "$where" = host ] && [ -n "$kvm_missing" ]; then
	skip "$TIER_NAME" "$kvm_missing (tests/kut/run.sh --nested runs the suite under the nested tier's real KVM)"
	closing
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-kut.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/minivmm.logs" "$WORK/qemu.logs"
TESTS=()
# shellcheck disable=SC2206 # a list of names
[ -n "${KUT_TESTS:-}" ] && TESTS=(${KUT_TESTS})

# verdicts: run_tests.sh's output (stdin) to sorted "NAME VERDICT" lines.
verdicts() {
	sed 's/\x1b\[[0-9;]*m//g' | awk '$1 ~ /^(PASS|FAIL|SKIP)$/ { print $2, $1 }' | sort
}

# host_suite VMM OUT: run_tests.sh with QEMU=VMM on this host.
host_suite() {
	(cd "$KUT_DIR" && QEMU=$1 ACCEL=kvm TIMEOUT=$TIMEOUT_EACH ./run_tests.sh -j "$JOBS" "${TESTS[@]}") 2>&1 |
		verdicts >"$2"
	cp -r "$KUT_DIR/logs/." "$2.logs" 2>/dev/null
}

# arm64_tools: what run_tests.sh needs in the arm64 L1 that busybox lacks
# (bash, a timeout that knows --foreground, getconf), from Debian's arm64
# packages, downloaded and unpacked (never installed) into $A64_TOOLS.
A64_TOOLS=$ROOT/tests/arm64/cache/kut-tools
A64_TOOL_PACKAGES="bash-static coreutils libc-bin"
arm64_tools() {
	local p dl=$A64_TOOLS.deb
	[ -x "$A64_TOOLS/bin/bash-static" ] && [ -x "$A64_TOOLS/usr/bin/timeout" ] &&
		[ -x "$A64_TOOLS/usr/bin/getconf" ] && return 0
	rm -rf "$dl" "$A64_TOOLS" && mkdir -p "$dl" || return 1
	for p in $A64_TOOL_PACKAGES; do
		if ! (cd "$dl" && apt-get download "$p:arm64") >"$dl/log" 2>&1; then
			echo "cannot download $p:arm64 ($(tail -n 1 "$dl/log"))" >"$WORK/err"
			return 1
		fi
	done
	for p in "$dl"/*.deb; do
		dpkg-deb -x "$p" "$A64_TOOLS" || return 1
	done
	rm -rf "$dl"
}

# nested_suites: both suites in L1 (one boot, more when an L1 dies);
# fills $WORK/{minivmm,qemu} and their .logs, sets QVER.  Returns 3 when
# the tier cannot run here, 2 when the tree cannot be staged.
nested_suites() {
	local tree=$WORK/tree f runner exes=() files=() l1rc
	mkdir -p "$tree/scripts" "$tree/$TEST_DIR" "$tree/$(mak TEST_SUBDIR)"
	cp "$KUT_DIR/run_tests.sh" "$KUT_DIR/config.mak" "$tree/" &&
		cp "$KUT_DIR"/scripts/*.bash "$tree/scripts/" &&
		cp "$KUT_DIR/$(mak TEST_SUBDIR)/run" "$tree/$(mak TEST_SUBDIR)/" &&
		cp "$KUT_DIR/$TEST_DIR"/unittests.cfg "$KUT_DIR/$TEST_DIR"/*.flat "$tree/$TEST_DIR/" || return 2
	[ -d "$KUT_DIR/scripts/$want_arch" ] && cp -r "$KUT_DIR/scripts/$want_arch" "$tree/scripts/"
	for f in build-head errata.txt; do
		[ -f "$KUT_DIR/$f" ] && cp "$KUT_DIR/$f" "$tree/"
	done
	[ -f "$tree/errata.txt" ] || { [ -f "$(mak ERRATATXT)" ] && cp "$(mak ERRATATXT)" "$tree/errata.txt"; }
	if [ "$where" = arm64 ]; then
		runner=tests/arm64/run-l1.sh
		arm64_tools || return 3
		# bash-static as bash; timeout and getconf are dynamic: they run
		# on the arm64 glibc that the QEMU bundle (--qemu) brings.
		exes=(--exe "$A64_TOOLS/bin/bash-static=/payload/bin/bash" --exe "$MINIVMM=/payload/bin/minivmm")
		files=("$A64_TOOLS/usr/bin/timeout=/payload/bin/timeout" "$A64_TOOLS/usr/bin/getconf=/payload/bin/getconf")
		ref=/usr/bin/qemu-system-aarch64
	else
		runner=tests/nested/run-l1.sh
		# What run_tests.sh needs that L1's busybox lacks: bash, a
		# timeout that knows --foreground, getconf (MAX_SMP).
		for f in bash timeout getconf; do
			command -v "$f" >/dev/null || { echo "no $f on this host" >"$WORK/err"; return 3; }
			exes+=(--exe "$(command -v "$f")=/payload/bin/$f")
		done
		exes+=(--exe "$MINIVMM=/payload/bin/minivmm")
		ref=/usr/bin/qemu-system-x86_64
	fi
	# The suite's tests in its own order (run_tests.sh -l), KUT_TESTS only.
	local all=() t
	for t in $(cd "$KUT_DIR" && ./run_tests.sh -l 2>/dev/null); do
		if [ ${#TESTS[@]} = 0 ] || [[ " ${TESTS[*]} " == *" $t "* ]]; then
			all+=("$t")
		fi
	done
	[ ${#all[@]} -gt 0 ] || { echo "run_tests.sh -l lists no tests" >"$WORK/err"; return 2; }
	: >"$WORK/M.raw"
	: >"$WORK/Q.raw"
	# pending TAG: the tests without a verdict yet in that suite.
	pending() {
		for t in "${all[@]}"; do
			grep -q "^$t " "$WORK/$1.raw" || printf '%s ' "$t"
		done
	}
	# L1 boots until both suites have a verdict for every test: an L1
	# that dies (QEMU 7.2's TCG has aborted under the emulated SVM) or
	# wedges (no ALIVE line, which l1-kut.sh prints every 30 s, for 150 s)
	# loses only the test that was running, which gets "L1-DIED", and a
	# new L1 runs the rest.
	local boot=0 out mt qt tag culprit
	while :; do
		mt=$(pending M) qt=$(pending Q)
		[ -n "$mt$qt" ] || break
		if [ $((boot += 1)) -gt "${KUT_L1_BOOTS:-4}" ]; then
			fail "$TIER_NAME-l1" "gave up after $((boot - 1)) L1 boots; no verdict for: ${mt:+minivmm: $mt}${qt:+QEMU: $qt}"
			break
		fi
		printf '%s=%q\n' KUT_TREE "$KUT_DIR" ERRATA "$(mak ERRATATXT)" QEMU_NAME "$qemu_name" \
			REF_QEMU "$ref" M_TESTS "$mt" Q_TESTS "$qt" KUT_JOBS "$JOBS" \
			KUT_TIMEOUT "$TIMEOUT_EACH" KUT_LOGS "${KUT_LOGS:-40}" >"$WORK/kut.env"
		out=$WORK/out.$boot
		"$runner" --qemu --timeout "${KUT_L1_TIMEOUT:-5400}" --stall 150 --log "$WORK/l1.log.$boot" \
			"${exes[@]}" tests/kut/l1-kut.sh "$tree=/payload/kut" "$WORK/kut.env=/payload/kut.env" "${files[@]}" \
			>"$out" 2>"$WORK/err.$boot"
		l1rc=$?
		if [ -n "${KUT_KEEP:-}" ]; then
			mkdir -p "$KUT_KEEP" && cp "$out" "$WORK/err.$boot" "$WORK/l1.log.$boot" "$WORK/kut.env" "$KUT_KEEP/"
		fi
		if [ "$l1rc" = 3 ]; then
			cp "$WORK/err.$boot" "$WORK/err"
			return 3
		fi
		sed -n 's/^M //p' "$out" | verdicts >>"$WORK/M.raw"
		sed -n 's/^Q //p' "$out" | verdicts >>"$WORK/Q.raw"
		awk -v d="$WORK" '$1 == "M-LOG" || $1 == "Q-LOG" {
			f = d "/" ($1 == "M-LOG" ? "minivmm" : "qemu") ".logs/" $2 ".log"
			line = $0; sub(/^[MQ]-LOG [^ ]+ ?/, "", line); print line > f
		}' "$out"
		[ -n "${QVER:-}" ] || QVER=$(sed -n 's/^QVER //p' "$out" | head -n 1)
		echo "L1 boot $boot: exit $l1rc; minivmm's suite $(sed -n 's/^M-TIME //p' "$out") s, QEMU's $(sed -n 's/^Q-TIME //p' "$out") s"
		[ "$l1rc" = 0 ] && break
		echo "L1 boot $boot: $(grep -v -e '^  |' "$WORK/err.$boot" | head -n 3 | tr '\n' ' ')"
		grep -q '^QVER ' "$out" || { fail "$TIER_NAME-l1" "L1 ended with $l1rc before the suites began"; break; }
		# The suite that was running: minivmm's, if it ran this time and
		# did not end; the test: its first one still without a verdict.
		tag=Q
		[ -n "$mt" ] && ! grep -q '^M-TIME ' "$out" && tag=M
		culprit=$(pending $tag)
		culprit=${culprit%% *}
		[ -n "$culprit" ] || continue
		echo "$culprit L1-DIED" >>"$WORK/$tag.raw"
		echo "L1 died while this test ran (boot $boot, exit $l1rc): $(grep -v -e '^  |' "$WORK/err.$boot" | head -n 2 | tr '\n' ' ')" \
			>>"$WORK/$([ $tag = M ] && echo minivmm || echo qemu).logs/$culprit.log"
	done
	sort "$WORK/M.raw" >"$WORK/minivmm"
	sort "$WORK/Q.raw" >"$WORK/qemu"
	return 0
}

if [ "$where" = host ]; then
	RQ=${REF_QEMU:-$(command -v qemu-system-x86_64)}
	host_suite "$MQ_LINK" "$WORK/minivmm"
	if [ -n "$RQ" ]; then
		host_suite "$RQ" "$WORK/qemu"
		QVER=$("$RQ" -version 2>/dev/null | head -n 1)
	else
		: >"$WORK/qemu"
		QVER=
	fi
else
	nested_suites
	case $? in
	3)
		skip "$TIER_NAME" "the nested tier cannot run here: $(tail -n 1 "$WORK/err")"
		closing ;;
	2)
		fail "$TIER_NAME" "could not stage the tree from $KUT_DIR"
		closing ;;
	esac
fi
if [ ! -s "$WORK/minivmm" ]; then
	fail "$TIER_NAME" "run_tests.sh printed no verdicts under minivmm"
	closing
fi

printf '%-44s %-8s %s\n' TEST MINIVMM "QEMU ($(echo "$QVER" | awk '{ print $4 }'))"
join -a 1 -a 2 -e - -o 0,1.2,2.2 "$WORK/minivmm" "$WORK/qemu" | while read -r name m q; do
	printf '%-44s %-8s %s\n' "$name" "$m" "$q"
done
echo "minivmm passes $(awk '$2 == "PASS"' "$WORK/minivmm" | wc -l), QEMU $(awk '$2 == "PASS"' "$WORK/qemu" | wc -l)"

while read -r name q; do
	[ "$q" = PASS ] || continue
	m=$(awk -v n="$name" '$1 == n { print $2 }' "$WORK/minivmm")
	if [ -n "${OUT_OF_SCOPE[$name]:-}" ]; then
		skip "$TIER_NAME-$name" "${OUT_OF_SCOPE[$name]}"
	elif [ "$m" = PASS ]; then
		pass "$TIER_NAME-$name"
	else
		why=$(grep -v -e '^timeout ' -e '^$' "$WORK/minivmm.logs/$name.log" 2>/dev/null | tail -n 1 | cut -c1-160)
		fail "$TIER_NAME-$name" "QEMU passes it, minivmm: ${m:-no verdict}${why:+ ($why)}"
	fi
done <"$WORK/qemu"
closing
