/*
 * Shared assembler macros for the arm64 test guests (guests/arm64/*.S).
 *
 * A flat guest starts at the start of RAM (0x40000000) in EL1h with the MMU
 * and caches off and DAIF masked.  It reports on the MMIO debug console
 * (`minivmm run --debugcon-mmio 0x9000000`): every byte stored at
 * DEBUGCON_MMIO is one byte of output; a verdict is one line "PASS name"
 * or "FAIL name: why" (the verdict lines tests/arm64/run.sh matches).  It ends itself with a PSCI
 * call (hvc #0, SMC calling convention, PSCI 0.2 function IDs): SYSTEM_OFF
 * ends minivmm with exit code 0, SYSTEM_RESET with 4.
 *
 * MMIO accesses use a plain register address (no writeback, no pair):
 * only then does the data abort carry a valid syndrome (ISV) that KVM can
 * turn into KVM_EXIT_MMIO.  With the MMU off, data accesses are Device
 * memory, so every access, to RAM too, must be aligned to its size.
 *
 * Only #defines and .macros live here: nothing emits bytes until used.
 * Registers x9-x11 are the macros' scratch registers.
 */
#ifndef GUESTS_ARM64_GUEST_H
#define GUESTS_ARM64_GUEST_H

#define DEBUGCON_MMIO 0x09000000

/* PSCI 0.2 function IDs (ARM DEN 0022, SMC32). */
#define PSCI_SYSTEM_OFF 0x84000008
#define PSCI_SYSTEM_RESET 0x84000009

/*
 * PUTS msg: write the NUL-terminated string at `msg` to DEBUGCON_MMIO, one
 * byte store per character.  Clobbers x9-x11.
 */
.macro PUTS msg
	adr	x9, \msg
	ldr	x10, =DEBUGCON_MMIO
.Lputs_loop\@:
	ldrb	w11, [x9], #1		/* RAM: writeback is fine */
	cbz	w11, .Lputs_done\@
	strb	w11, [x10]		/* MMIO: plain address */
	b	.Lputs_loop\@
.Lputs_done\@:
.endm

/*
 * PSCI fn: call PSCI function `fn`; SYSTEM_OFF and SYSTEM_RESET do not
 * return.  If the call returns anyway, say so and wait forever (a test
 * bounds the run with --timeout).
 */
.macro PSCI fn
	ldr	x0, =\fn
	hvc	#0
	PUTS	.Lpsci_returned\@
.Lpsci_hang\@:
	wfi
	b	.Lpsci_hang\@
	.section .rodata
.Lpsci_returned\@:
	.asciz	"FAIL psci: the PSCI call returned\n"
	.text
.endm

/* FAIL_IF cond, msg: print `msg` and power off when the flags say `cond`. */
.macro FAIL_IF cond, msg
	b.\cond	.Lfail\@
	b	.Lok\@
.Lfail\@:
	PUTS	\msg
	PSCI	PSCI_SYSTEM_OFF
.Lok\@:
.endm

#endif
