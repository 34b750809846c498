/*
 * Shared assembler macros for the test guests (included by guests/*.S).
 *
 * Every test guest reports its verdict on the debug console, port 0xe9,
 * as one line "PASS name" or "FAIL name: why" (the verdict lines tests/guest/run.sh matches).  The
 * macros below are plain text, so the same macro assembles to 16-, 32- or
 * 64-bit code depending on the .codeNN in force where it is used; the
 * caller names the pointer register of that width (%si, %esi or %rsi).
 *
 * Only #defines and .macros live here: nothing emits bytes until used.
 */
#ifndef GUESTS_GUEST_H
#define GUESTS_GUEST_H

#define DEBUGCON_PORT 0xe9

/* A port that no machine claims: reads must return all-ones. */
#define UNCLAIMED_PORT 0x3e0

/*
 * PUTS ptr, msg: write the NUL-terminated string at `msg` to port 0xe9
 * one OUT per byte.  Clobbers %al, %dx and `ptr`; needs DF clear and a data
 * segment with base 0 (true for every way minivmm starts a flat guest).
 */
.macro PUTS ptr, msg
	mov	$\msg, \ptr
	mov	$DEBUGCON_PORT, %dx
.Lputs_loop\@:
	lodsb
	test	%al, %al
	jz	.Lputs_done\@
	outb	%al, %dx
	jmp	.Lputs_loop\@
.Lputs_done\@:
.endm

/* HALT: stop here for good.  On the bare machine HLT ends the run. */
.macro HALT
.Lhalt\@:
	hlt
	jmp	.Lhalt\@
.endm

/* FAIL_IF cond, ptr, msg: print `msg` and halt when the flags say `cond`. */
.macro FAIL_IF cond, ptr, msg
	j\cond	.Lfail\@
	jmp	.Lok\@
.Lfail\@:
	PUTS	\ptr, \msg
	HALT
.Lok\@:
.endm

#endif
