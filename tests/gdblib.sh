# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# What the gdb tests share (sourced by tests/guest/gdb.sh,
# tests/nested/gdb.sh, tests/arm64/gdb.sh).
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
