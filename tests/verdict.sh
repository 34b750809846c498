# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# The verdict lines every test tier prints and tests/run.sh adds up
# (sourced by tests/guest/*.sh and tests/nested/lib.sh):
#
#   pass NAME [DETAIL]   PASS NAME (DETAIL)
#   fail NAME WHY        FAIL NAME: WHY, and with FAIL_STDERR=FILE set (a
#                        run's stderr) also "(exit $rc; stderr: FIRST LINE)"
#   skip NAME WHY        SKIP NAME: WHY (never counted as passed)
#   closing              "$TIER_NAME: N passed, N failed, N skipped", then
#                        exits, with status 1 when a case failed
passed=0 failed=0 skipped=0
pass() { echo "PASS $1${2:+ ($2)}"; passed=$((passed + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }
fail() {
	local first
	if [ -n "${FAIL_STDERR:-}" ]; then
		first=$(head -n 1 "$FAIL_STDERR" 2>/dev/null)
		echo "FAIL $1: $2 (exit ${rc:--}; stderr: ${first:-<empty>})"
	else
		echo "FAIL $1: $2"
	fi
	failed=$((failed + 1))
}
closing() {
	echo "${TIER_NAME:?}: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

# Why cases that need KVM cannot run here; empty when they can.
kvm_missing=
if [ ! -e /dev/kvm ]; then
	kvm_missing="no /dev/kvm on this host"
elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	kvm_missing="/dev/kvm is not readable and writable"
fi
