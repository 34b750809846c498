#!/bin/sh
# The L1 payload of tests/kut/run.sh --nested and --arm64 (busybox sh in
# L1, see tests/nested/run-l1.sh and tests/arm64/run-l1.sh): runs a
# kvm-unit-tests tree's own run_tests.sh twice under L1's real KVM, once
# with QEMU= minivmm's QEMU-named link and once with QEMU= L1's QEMU, and
# reports each line it prints, and the end of the logs of the tests that
# did not pass, to the host.
#
# /payload/kut.env (written by run.sh) sets:
#   KUT_TREE    the tree's absolute path on the host; the copy of it in
#               /payload/kut goes there, since config.mak names absolute
#               paths (SRCDIR, ERRATATXT)
#   ERRATA      config.mak's ERRATATXT (where errata.txt must be)
#   QEMU_NAME   the QEMU program name the harness looks for
#               (qemu-system-x86_64, qemu-system-aarch64)
#   REF_QEMU    L1's QEMU
#   M_TESTS, Q_TESTS  the names of the tests to run under minivmm and
#               under QEMU (empty: that suite is not run this time); KUT_JOBS;
#               KUT_TIMEOUT (the harness's TIMEOUT, overriding
#               unittests.cfg; empty: its own)
#   KUT_LOGS    "all": every test's whole log; else the last N lines of the
#               log of each test that did not pass
#
# Lines for the host, all "NESTED: " + one of:
#   QVER LINE            REF_QEMU -version's first line
#   TAG LINE             a line run_tests.sh printed (TAG M: minivmm, Q: QEMU)
#   TAG-LOG NAME LINE    a line of logs/NAME.log
#   TAG-TIME SECONDS     how long the suite ran
#   ALIVE UPTIME         every 30 s, so that a wedged L1 is told apart from
#                        a long test (run-l1.sh --stall)
# Exit status 0 when both suites ran (whatever their verdicts), 2 when the
# tree could not be set up.

# shellcheck source=/dev/null # written by run.sh
. /payload/kut.env
say() { echo "NESTED: $*"; }

# bash's process substitution and the harness's /dev/fd/N, /dev/stderr:
# devtmpfs has no such links (udev makes them elsewhere).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
# The harness's scripts start with #!/usr/bin/env bash; L1's busybox has
# its env in /bin only.
[ -e /usr/bin/env ] || { mkdir -p /usr/bin && ln -s /bin/env /usr/bin/env; }

if ! mkdir -p "$KUT_TREE" || ! cp -a /payload/kut/. "$KUT_TREE/"; then
	say "ERROR cannot put the tree at $KUT_TREE"
	exit 2
fi
if [ -n "$ERRATA" ] && [ ! -e "$ERRATA" ]; then
	mkdir -p "$(dirname "$ERRATA")" && cp /payload/kut/errata.txt "$ERRATA"
fi
# L1 has no python3 for scripts/pretty_print_stacks.py (it only turns the
# addresses of a stack trace in a log into source lines).  A tree cross-built for arm64 on an x86 host says HOST=x86_64, and the
# harness then finds no KVM for its ARCH: HOST as ./configure would have
# found it here.
printf 'PRETTY_PRINT_STACKS=no\nHOST=%s\n' "$(uname -m)" >>"$KUT_TREE/config.mak"

export PATH="/payload/bin:$PATH"
mkdir -p /payload/mq && ln -sf /payload/bin/minivmm "/payload/mq/$QEMU_NAME"
say "QVER $("$REF_QEMU" -version 2>&1 | head -n 1)"

(while sleep 30; do say "ALIVE $(cut -d' ' -f1 /proc/uptime)"; done) &
alive=$!

# (tee passes each line on at once: a pipe into sed would hold them in its
# buffer until the suite ends.)
esc=$(printf '\033') # the harness colours its verdicts
# suite TAG QEMU TESTS
suite() {
	tag=$1
	[ -n "$3" ] || return 0
	cd "$KUT_TREE" || return
	rm -rf logs logs.old
	start=$(cut -d' ' -f1 /proc/uptime)
	# shellcheck disable=SC2086 # $3: a list of names
	env QEMU="$2" ACCEL=kvm ${KUT_TIMEOUT:+TIMEOUT=$KUT_TIMEOUT} \
		bash ./run_tests.sh -j "$KUT_JOBS" $3 </dev/null 2>&1 |
		tee "/tmp/kut-$tag.out" | sed "s/^/NESTED: $tag /"
	say "$tag-TIME $(awk -v s="$start" -v e="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", e - s }')"
	for log in logs/*.log; do
		[ -f "$log" ] || continue
		name=$(basename "$log" .log)
		if [ "$KUT_LOGS" = all ]; then
			cat "$log"
		elif ! sed "s/$esc\[[0-9;]*m//g" "/tmp/kut-$tag.out" | grep -q "^PASS $name "; then
			tail -n "$KUT_LOGS" "$log"
		fi | sed "s/^/NESTED: $tag-LOG $name /"
	done
}

suite M "/payload/mq/$QEMU_NAME" "$M_TESTS"
suite Q "$REF_QEMU" "$Q_TESTS"
kill "$alive" 2>/dev/null
exit 0
