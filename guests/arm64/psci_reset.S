/*
 * psci_reset: a guest that asks for a reset (PSCI SYSTEM_RESET).
 *
 *   minivmm run --debugcon-mmio 0x9000000 build-arm64/guests/psci_reset.bin
 * prints "resetting\n" and exits with code 4 (the guest asked for a
 * reset; --reboot=restart would start it again instead).
 */
#include "guest.h"

	.text
	.globl _start
_start:
	PUTS	msg
	PSCI	PSCI_SYSTEM_RESET

	.section .rodata
msg:
	.asciz	"resetting\n"
