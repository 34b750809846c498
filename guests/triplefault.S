/*
 * triplefault: a negative guest that crashes the CPU.
 *
 * 32-bit protected mode (--mode protected).  Loads an IDT with limit 0,
 * then executes UD2: the #UD cannot be delivered (#GP), nor can the #GP
 * (#DF), nor the #DF: a triple fault.  Real KVM reports KVM_EXIT_SHUTDOWN;
 * kvm-pvm reports an internal error (PLATFORM.md).  Either way minivmm must
 * say the guest crashed and exit 1.  Prints "FAIL triplefault" only if the
 * CPU somehow continues.
 */
#include "guest.h"

	.code32
	.text
	.globl _start
_start:
	cli
	lidt	empty_idt
	ud2
	PUTS	%esi, survived
	HALT

	.balign	8
empty_idt:
	.word	0		/* limit: no vector fits */
	.long	0		/* base */

survived:	.asciz	"FAIL triplefault: execution continued after UD2\n"
