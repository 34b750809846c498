/*
 * hello: the smallest arm64 guest (README, "arm64").
 *
 * Flat image at 0x40000000, entered in EL1h with the MMU off.  Writes
 * "Hello, world\n" one byte at a time to the MMIO debug console and
 * powers off through PSCI SYSTEM_OFF:
 *   minivmm run --debugcon-mmio 0x9000000 build-arm64/guests/hello.bin
 * must print exactly that line on stdout and exit 0.
 */
#include "guest.h"

	.text
	.globl _start
_start:
	PUTS	greeting
	PSCI	PSCI_SYSTEM_OFF

	.section .rodata
greeting:
	.asciz	"Hello, world\n"
