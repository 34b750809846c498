/*
 * runaway: a guest that never ends and never exits to the monitor.
 *
 *   minivmm run --timeout 1 build-arm64/guests/runaway.bin
 * must stop it and exit with code 3 (so must SIGTERM or SIGINT).
 */
	.text
	.globl _start
_start:
	b	_start
