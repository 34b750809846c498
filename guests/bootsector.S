/*
 * bootsector: a disk's boot sector (sector 0, 512 bytes with 0x55 0xAA at
 * its end) for the firmware to find and run: SeaBIOS reads it from a
 * virtio-blk-pci disk into 0x7c00 and jumps to it in real mode, DL = the
 * BIOS drive number.  It prints "PASS seabios-virtio-boot" on port 0xe9
 * and powers the machine off through ACPI S5 (PM1a_CNT at 0x604, SLP_TYP 0
 * with SLP_EN; README, "ACPI and power"), so minivmm exits 0.
 */
#include "guest.h"

	.code16
	.text
	.globl _start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$0x7c00, %sp
	cld
	cmp	$0x80, %dl		/* booted from the first hard disk */
	jne	1f
	PUTS	%si, pass
	mov	$0x604, %dx
	mov	$0x2000, %ax		/* SLP_EN, SLP_TYP 0 (S5) */
	out	%ax, %dx
1:	PUTS	%si, fail
	HALT

pass:	.asciz "PASS seabios-virtio-boot\n"
fail:	.asciz "FAIL seabios-virtio-boot: not drive 0x80, or no power-off\n"
	.org	510
	.byte	0x55, 0xaa
