/*
 * virtio_blk: a virtio-mmio block device driven by hand, polled (the bare
 * machine has no interrupt controller).  64-bit flat, at 0x100000:
 *
 *   minivmm run --mode long -m 16M --load 0x100000 --entry 0x100000 \
 *     -drive file=IMG,format=raw,if=none,id=d0 \
 *     -device virtio-blk-device,drive=d0,serial=MINIVMM-SERIAL \
 *     build/guests/virtio_blk.bin
 *
 * The steps of virtio 1.2 3.1.1 on the registers of 4.2.2 (slot 0 at
 * PC_VIRTIO_MMIO_BASE), one queue of 8 in guest RAM, then requests:
 * read sector 0 and compare it with the signature the test put there,
 * write sector 1, flush, GET_ID (the serial), a read past the end of the
 * disk (IOERR, and the device goes on), and a last read of sector 1 (the
 * written bytes).  Verdict "PASS virtio-blk" or "FAIL virtio-blk: why" on
 * port 0xe9.  With MALICIOUS defined (virtio_evil.S) it first offers a
 * descriptor loop, expects DEVICE_NEEDS_RESET, resets the device, sets it
 * up again and reads sector 0 to show it works after the reset.
 */
#include "guest.h"

/* Slot 0: PC_VIRTIO_MMIO_BASE in src/arch/x86/layout.h (its ull suffix is C only). */
#define MMIO 0xfe800000
#define QSIZE 8
#define DESC 0x200000
#define AVAIL 0x201000
#define USED 0x202000
#define HDR 0x210000
#define DATA 0x211000
#define STATUS 0x212000
#define SEG 0x213000
/* Polls of the used ring before a request counts as lost. */
#define SPINS 2000000

	.code64
	.text
	.globl _start
_start:
	cli
	cld
	mov	$0x180000, %rsp
	mov	$MMIO, %rbp		/* the registers: above 2 GiB, no disp32 */

	cmpl	$0x74726976, 0x000(%rbp)	/* magic "virt" */
	FAIL_IF	ne, %rsi, no_magic
	cmpl	$2, 0x004(%rbp)		/* version 2 */
	FAIL_IF	ne, %rsi, bad_version
	cmpl	$2, 0x008(%rbp)		/* device id: block */
	FAIL_IF	ne, %rsi, bad_id
	call	setup

#ifdef MALICIOUS
	/* A chain that loops: descriptor 0 -> 1 -> 0. */
	movq	$HDR, DESC
	movl	$16, DESC + 8
	movw	$1, DESC + 12			/* NEXT */
	movw	$1, DESC + 14
	movq	$DATA, DESC + 16
	movl	$512, DESC + 24
	movw	$1, DESC + 28			/* NEXT (both readable: a pure loop) */
	movw	$0, DESC + 30
	call	publish0
	mov	$SPINS, %ecx
1:	testl	$64, 0x070(%rbp)		/* DEVICE_NEEDS_RESET */
	jnz	2f
	pause
	loop	1b
	PUTS	%rsi, no_needs_reset
	HALT
2:	cmpw	$0, USED + 2			/* nothing was answered */
	FAIL_IF	ne, %rsi, answered_loop
	testl	$2, 0x060(%rbp)		/* a config-change interrupt */
	FAIL_IF	z, %rsi, no_config_irq
	PUTS	%rsi, needs_reset_seen
	call	setup				/* writes 0 first: a reset */
#endif

	/* Read sector 0: the signature. */
	xor	%eax, %eax			/* VIRTIO_BLK_T_IN */
	xor	%edx, %edx			/* sector 0 */
	mov	$3, %r8d			/* the data buffer is WRITE */
	call	request
	cmpb	$0, STATUS
	FAIL_IF	ne, %rsi, read_failed
	cmpl	$513, USED + 8			/* used len: 512 + status */
	FAIL_IF	ne, %rsi, bad_used_len
	mov	$DATA, %rsi
	mov	$signature, %rdi
	mov	$16, %ecx
	repe	cmpsb
	FAIL_IF	ne, %rsi, bad_signature

	/* Write sector 1. */
	mov	$DATA, %rdi
	mov	$pattern, %rsi
	mov	$24, %ecx
	rep	movsb
	mov	$1, %eax			/* VIRTIO_BLK_T_OUT */
	mov	$1, %edx
	mov	$1, %r8d			/* the data buffer is read by the device */
	call	request
	cmpb	$0, STATUS
	FAIL_IF	ne, %rsi, write_failed

	/* Flush: header and status only. */
	mov	$4, %eax
	xor	%edx, %edx
	call	request_nodata
	cmpb	$0, STATUS
	FAIL_IF	ne, %rsi, flush_failed

	/* GET_ID into the data buffer (20 bytes). */
	movl	$0, DATA
	mov	$8, %eax
	xor	%edx, %edx
	mov	$3, %r8d
	call	request
	cmpb	$0, STATUS
	FAIL_IF	ne, %rsi, getid_failed
	mov	$DATA, %rsi
	mov	$serial, %rdi
	mov	$14, %ecx
	repe	cmpsb
	FAIL_IF	ne, %rsi, bad_serial

	/* Past the end of the disk: IOERR, and the device goes on. */
	xor	%eax, %eax
	mov	$0x10000000, %edx
	mov	$3, %r8d
	call	request
	cmpb	$1, STATUS
	FAIL_IF	ne, %rsi, no_ioerr

	/* Sector 1 reads back what was written. */
	movl	$0, DATA
	xor	%eax, %eax
	mov	$1, %edx
	mov	$3, %r8d
	call	request
	cmpb	$0, STATUS
	FAIL_IF	ne, %rsi, read_failed
	mov	$DATA, %rsi
	mov	$pattern, %rdi
	mov	$24, %ecx
	repe	cmpsb
	FAIL_IF	ne, %rsi, bad_readback

	PUTS	%rsi, pass
	HALT

/* Reset, negotiate VERSION_1 only, queue 0 of QSIZE, DRIVER_OK. */
setup:
	movl	$0, 0x070(%rbp)		/* reset */
	cmpl	$0, 0x070(%rbp)
	FAIL_IF	ne, %rsi, no_reset
	movl	$1, 0x070(%rbp)		/* ACKNOWLEDGE */
	movl	$3, 0x070(%rbp)		/* DRIVER */
	movl	$1, 0x014(%rbp)
	testl	$1, 0x010(%rbp)		/* VERSION_1 offered */
	FAIL_IF	z, %rsi, no_version1
	movl	$1, 0x024(%rbp)
	movl	$1, 0x020(%rbp)
	movl	$0, 0x024(%rbp)
	movl	$0, 0x020(%rbp)
	movl	$0xb, 0x070(%rbp)		/* FEATURES_OK */
	testl	$8, 0x070(%rbp)
	FAIL_IF	z, %rsi, features_refused
	movl	$0, 0x030(%rbp)		/* queue 0 */
	cmpl	$QSIZE, 0x034(%rbp)
	FAIL_IF	b, %rsi, queue_too_small
	movl	$QSIZE, 0x038(%rbp)
	/* Clean rings. */
	mov	$DESC, %rdi
	xor	%eax, %eax
	mov	$0x3000, %ecx
	rep	stosb
	movl	$DESC, 0x080(%rbp)
	movl	$0, 0x084(%rbp)
	movl	$AVAIL, 0x090(%rbp)
	movl	$0, 0x094(%rbp)
	movl	$USED, 0x0a0(%rbp)
	movl	$0, 0x0a4(%rbp)
	movl	$1, 0x044(%rbp)		/* QueueReady */
	cmpl	$1, 0x044(%rbp)
	FAIL_IF	ne, %rsi, queue_refused
	movl	$0xf, 0x070(%rbp)		/* DRIVER_OK */
	movw	$0, avail_idx
	ret

/* Put descriptor 0 in the avail ring, notify, wait for the used idx. */
publish0:
	movzwl	avail_idx, %eax
	mov	%eax, %ebx
	and	$(QSIZE - 1), %ebx
	movw	$0, AVAIL + 4(,%rbx,2)		/* ring[idx % size] = head 0 */
	inc	%eax
	mov	%ax, avail_idx
	sfence
	movw	%ax, AVAIL + 2			/* idx */
	mfence
	movl	$0, 0x050(%rbp)		/* QueueNotify */
	ret

wait_used:
	movzwl	avail_idx, %ebx
	mov	$SPINS, %ecx
1:	cmpw	%bx, USED + 2
	je	2f
	pause
	loop	1b
	PUTS	%rsi, lost
	HALT
2:	ret

/*
 * request: type %eax, sector %edx, data buffer flags %r8d (1 NEXT or
 * 3 NEXT|WRITE), 512 bytes at DATA; status at STATUS.  Uses descriptors
 * 0, 1, 2 (the previous request is done by then).
 */
request:
	movl	%eax, HDR
	movl	$0, HDR + 4
	movq	%rdx, HDR + 8
	movb	$0xff, STATUS
	movq	$HDR, DESC
	movl	$16, DESC + 8
	movw	$1, DESC + 12
	movw	$1, DESC + 14
	movq	$DATA, DESC + 16
	movl	$512, DESC + 24
	movw	%r8w, DESC + 28
	movw	$2, DESC + 30
	movq	$STATUS, DESC + 32
	movl	$1, DESC + 40
	movw	$2, DESC + 44			/* WRITE */
	movw	$0, DESC + 46
	call	publish0
	jmp	wait_used

request_nodata:
	movl	%eax, HDR
	movl	$0, HDR + 4
	movq	%rdx, HDR + 8
	movb	$0xff, STATUS
	movq	$HDR, DESC
	movl	$16, DESC + 8
	movw	$1, DESC + 12
	movw	$1, DESC + 14
	movq	$STATUS, DESC + 16
	movl	$1, DESC + 24
	movw	$2, DESC + 28
	movw	$0, DESC + 30
	call	publish0
	jmp	wait_used

	.data
avail_idx:	.word 0
signature:	.ascii "MINIVMM-DISK-SIG"
pattern:	.ascii "WRITTEN-BY-VIRTIO-GUEST!"
serial:		.ascii "MINIVMM-SERIAL"
pass:		.asciz "PASS virtio-blk\n"
needs_reset_seen: .asciz "NEEDS_RESET after a descriptor loop; resetting\n"
no_magic:	.asciz "FAIL virtio-blk: no virtio-mmio magic at the slot\n"
bad_version:	.asciz "FAIL virtio-blk: not version 2\n"
bad_id:		.asciz "FAIL virtio-blk: not a block device\n"
no_reset:	.asciz "FAIL virtio-blk: status not 0 after reset\n"
no_version1:	.asciz "FAIL virtio-blk: VERSION_1 not offered\n"
features_refused: .asciz "FAIL virtio-blk: FEATURES_OK refused\n"
queue_too_small: .asciz "FAIL virtio-blk: QueueNumMax below 8\n"
queue_refused:	.asciz "FAIL virtio-blk: QueueReady did not stick\n"
lost:		.asciz "FAIL virtio-blk: a request was never answered\n"
read_failed:	.asciz "FAIL virtio-blk: read status not OK\n"
bad_used_len:	.asciz "FAIL virtio-blk: used length of a read is not 513\n"
bad_signature:	.asciz "FAIL virtio-blk: sector 0 is not the signature\n"
write_failed:	.asciz "FAIL virtio-blk: write status not OK\n"
flush_failed:	.asciz "FAIL virtio-blk: flush status not OK\n"
getid_failed:	.asciz "FAIL virtio-blk: GET_ID status not OK\n"
bad_serial:	.asciz "FAIL virtio-blk: GET_ID is not the serial\n"
no_ioerr:	.asciz "FAIL virtio-blk: a read past the end did not answer IOERR\n"
bad_readback:	.asciz "FAIL virtio-blk: sector 1 does not read back\n"
no_needs_reset:	.asciz "FAIL virtio-blk: a descriptor loop did not set DEVICE_NEEDS_RESET\n"
answered_loop:	.asciz "FAIL virtio-blk: a descriptor loop was answered\n"
no_config_irq:	.asciz "FAIL virtio-blk: no config-change interrupt status\n"
