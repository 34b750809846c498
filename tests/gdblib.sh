# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# What the gdb tests share (sourced by tests/guest/gdb.sh,
# tests/nested/gdb.sh, tests/arm64/gdb.sh, after tests/verdict.sh or the
# tier's lib.sh): gdb_interrupt, gdb_wait_for, gdb_skip_all, gdb_prepare.
#
#   gdb_interrupt PID [LIMIT]  Ctrl-C for a gdb running a batch file in the
#                              background: SIGINT, as a terminal sends it,
#                              then up to LIMIT seconds (default 60) for gdb
#                              to finish its commands; killed after that.
#                              Start such a gdb directly, not under
#                              timeout(1), which passes it a second SIGINT
#                              (gdb then gives up on the target).
gdb_interrupt() {
	local pid=$1 limit=${2:-60} i
	kill -INT "$pid" 2>/dev/null
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid"
}

# gdb_skip_all WHY: every case of $CASES is a SKIP with WHY; the tier ends.
gdb_skip_all() {
	local c
	for c in $CASES; do skip "$c" "$1"; done
	closing
}

# gdb_prepare SCRIPT NAME: run a nested tier's prepare.sh -q; when it
# cannot get its packages (exit 3) every case is a SKIP, when it fails
# otherwise NAME is a FAIL; either way with its last line, and the tier ends.
gdb_prepare() {
	local perr prc why
	perr=$(mktemp) || exit 2
	"$1" -q 2>"$perr"
	prc=$?
	why=$(tail -n 1 "$perr")
	rm -f "$perr"
	why=${why#*: }
	[ "$prc" = 3 ] && gdb_skip_all "$why"
	if [ "$prc" != 0 ]; then
		fail "$2" "$why"
		closing
	fi
}

# gdb_wait_for PID FILE PATTERN SECONDS: until FILE has a line matching
# PATTERN (grep), the gdb PID ends, or SECONDS pass.
gdb_wait_for() {
	local i
	for ((i = 0; i < $4 * 2; i++)); do
		grep -q -- "$3" "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}
