/*
 * runaway: a guest that never exits to the monitor (no I/O, no HLT).
 *
 * Serves the "stoppable" half of the endless-guest case (README, "Flat images on the bare machine"): --timeout, SIGINT
 * and SIGTERM must end the run with exit code 3 even though the vCPU never
 * comes back from KVM_RUN on its own.
 */
	.code16
	.text
	.globl _start
_start:
1:	jmp	1b
