/*
 * mmio: defined answers for unclaimed accesses (README, "Unclaimed accesses") on arm64.
 *
 * Run with -m 16M so that RAM is 0x40000000-0x40ffffff and none of these
 * is claimed by anything: 0x20000000 (a hole below RAM), 0x41000000 (the
 * first byte past RAM), 0xfffffff0 (just below 4 GiB):
 *   minivmm run --debugcon-mmio 0x9000000 -m 16M build-arm64/guests/mmio.bin
 * For each address the guest reads 8, 4, 2 and 1 bytes and checks
 * all-ones, writes 4 bytes and then 1 byte at +1 (both must be dropped,
 * not crash the VM) and reads 4 bytes again.  Verdict "PASS mmio" or
 * "FAIL mmio: why" on the debug console, then PSCI SYSTEM_OFF (exit 0).
 * As `--trace mmio` shows it, per address A:
 *   read A size=8, read A size=4, read A size=2, read A size=1,
 *   write A size=4 data=0x12345678, write A+1 size=1 data=0x00, read A size=4
 */
#include "guest.h"

	.text
	.globl _start
_start:
	adr	x19, mmio_addrs
1:	ldr	x20, [x19], #8		/* next address (RAM) */
	cbz	x20, 2f
	ldr	x0, [x20]
	cmn	x0, #1			/* x0 == 0xffffffffffffffff ? */
	FAIL_IF	ne, bad_mmio64
	ldr	w0, [x20]
	cmn	w0, #1
	FAIL_IF	ne, bad_mmio32
	ldrh	w0, [x20]
	mov	w1, #0xffff
	cmp	w0, w1
	FAIL_IF	ne, bad_mmio16
	ldrb	w0, [x20]
	cmp	w0, #0xff
	FAIL_IF	ne, bad_mmio8
	ldr	w0, =0x12345678
	str	w0, [x20]		/* dropped */
	add	x21, x20, #1
	strb	wzr, [x21]		/* dropped */
	ldr	w0, [x20]
	cmn	w0, #1
	FAIL_IF	ne, bad_after_write
	b	1b
2:	PUTS	pass
	PSCI	PSCI_SYSTEM_OFF

	.section .rodata
	.balign	8
mmio_addrs:
	.quad	0x20000000, 0x41000000, 0xfffffff0, 0

pass:		.asciz	"PASS mmio\n"
bad_mmio64:	.asciz	"FAIL mmio: 64-bit read of unclaimed MMIO is not all-ones\n"
bad_mmio32:	.asciz	"FAIL mmio: 32-bit read of unclaimed MMIO is not 0xffffffff\n"
bad_mmio16:	.asciz	"FAIL mmio: 16-bit read of unclaimed MMIO is not 0xffff\n"
bad_mmio8:	.asciz	"FAIL mmio: 8-bit read of unclaimed MMIO is not 0xff\n"
bad_after_write: .asciz	"FAIL mmio: a write to unclaimed MMIO was not dropped\n"
