/*
 * s3: ACPI S3 (suspend to RAM) and the wake on the RTC alarm, the way
 * kvm-unit-tests' x86/s3.c does it (tests/guest/run.sh):
 *   minivmm run -M pc -m 64M -kernel build/guests/s3.bin -device isa-debug-exit
 *
 * A multiboot kernel (a.out kludge, at 1 MiB) in 32-bit protected mode:
 * it finds the FACS through the RSDP at 0xf0000, the RSDT and the FADT,
 * puts 16-bit resume code at 0x1000 and its address in the FACS's
 * firmware_waking_vector, clears a flag at 0x600, enables the RTC wake
 * (PM1_EN RTC_EN) and an alarm every second (all alarm fields "don't care",
 * AIE), then writes SLP_TYP 1 | SLP_EN to PM1a_CNT.  Had the machine run on
 * past that write, the flag would be 1.
 * The resume code runs in real mode at 0100:0000 with DS = 0 and reports
 * on port 0xe9: PASS/FAIL s3-resume (the flag is still 0: nothing ran
 * between the sleep and the wake), PASS/FAIL s3-wak-sts (PM1_STS has
 * WAK_STS and RTC_STS); then it writes 0x20 to isa-debug-exit (0x501):
 * exit status 65.  A failure before the sleep prints FAIL s3: WHY and
 * writes 2 (exit status 5).
 */
#include "guest.h"

#define BASE 0x100000
#define PHYS(label) (BASE + (label))
#define RESUME 0x1000
#define FLAG 0x600
#define PM1_STS 0x600
#define PM1_EN 0x602
#define PM1_CNT 0x604
#define DEBUG_EXIT 0x501
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00010000

	.text
	.code32
	.globl	_start
_start:
mbh:
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	.long	PHYS(mbh), BASE, 0, 0, PHYS(entry)

/* FAIL_AT msg: print "FAIL s3: msg" and end with exit status 5. */
.macro FAIL_AT msg
	.pushsection .rodata
.Lmsg\@: .asciz "FAIL s3: \msg\n"
	.popsection
	PUTS	%esi, PHYS(.Lmsg\@)
	mov	$2, %al
	mov	$DEBUG_EXIT, %dx
	outb	%al, %dx
	HALT
.endm

entry:
	mov	$0xf0000, %esi
	cmpl	$0x20445352, 0(%esi)		/* "RSD PTR " */
	jne	no_rsdp
	mov	16(%esi), %esi			/* the RSDT */
	cmpl	$0x54445352, 0(%esi)		/* "RSDT" */
	jne	no_rsdp
	mov	4(%esi), %ecx
	sub	$36, %ecx
	shr	$2, %ecx			/* its entries */
	lea	36(%esi), %ebx
1:	test	%ecx, %ecx
	jz	no_fadt
	mov	(%ebx), %edi
	cmpl	$0x50434146, 0(%edi)		/* "FACP" */
	je	2f
	add	$4, %ebx
	dec	%ecx
	jmp	1b
2:	mov	36(%edi), %edi			/* FIRMWARE_CTRL: the FACS */
	cmpl	$0x53434146, 0(%edi)		/* "FACS" */
	jne	no_facs
	movl	$RESUME, 12(%edi)		/* firmware_waking_vector */

	mov	$PHYS(resume_start), %esi	/* the resume code to 0x1000 */
	mov	$RESUME, %edi
	mov	$(resume_end - resume_start), %ecx
	cld
	rep movsb

	mov	$0x400, %ax			/* RTC_EN */
	mov	$PM1_EN, %dx
	outw	%ax, %dx
	mov	$0x0c, %al			/* read C: no stale flags */
	outb	%al, $0x70
	inb	$0x71, %al
	mov	$0xc0, %ah			/* alarm: every second */
	mov	$0x01, %al
	outb	%al, $0x70
	mov	%ah, %al
	outb	%al, $0x71
	mov	$0x03, %al
	outb	%al, $0x70
	mov	%ah, %al
	outb	%al, $0x71
	mov	$0x05, %al
	outb	%al, $0x70
	mov	%ah, %al
	outb	%al, $0x71
	mov	$0x0b, %al			/* register B: AIE */
	outb	%al, $0x70
	inb	$0x71, %al
	or	$0x20, %al
	mov	%al, %ah
	mov	$0x0b, %al
	outb	%al, $0x70
	mov	%ah, %al
	outb	%al, $0x71

	movl	$0, FLAG
	mov	$0x2400, %ax			/* SLP_TYP 1 (\_S3) | SLP_EN */
	mov	$PM1_CNT, %dx
	outw	%ax, %dx
	movl	$1, FLAG			/* only if the guest ran on */
	mov	$100000000, %ecx
3:	dec	%ecx
	jnz	3b
	FAIL_AT	"the machine did not suspend"
no_rsdp:
	FAIL_AT	"no RSDP at 0xf0000 or no RSDT behind it"
no_fadt:
	FAIL_AT	"no FADT in the RSDT"
no_facs:
	FAIL_AT	"no FACS behind the FADT"

/* Copied to 0x1000 and entered there in real mode (CS 0x100, DS 0). */
	.code16
resume_start:
	cmpl	$0, FLAG
	jne	1f
	PUTS	%si, (RESUME + pass_resume - resume_start)
	jmp	2f
1:	PUTS	%si, (RESUME + fail_resume - resume_start)
2:	mov	$PM1_STS, %dx
	inw	%dx, %ax
	and	$0x8400, %ax			/* WAK_STS | RTC_STS */
	cmp	$0x8400, %ax
	jne	3f
	PUTS	%si, (RESUME + pass_wak - resume_start)
	jmp	4f
3:	PUTS	%si, (RESUME + fail_wak - resume_start)
4:	mov	$0x20, %al
	mov	$DEBUG_EXIT, %dx
	outb	%al, %dx
5:	hlt
	jmp	5b
pass_resume:	.asciz "PASS s3-resume\n"
fail_resume:	.asciz "FAIL s3-resume: the guest ran on past its sleep write\n"
pass_wak:	.asciz "PASS s3-wak-sts\n"
fail_wak:	.asciz "FAIL s3-wak-sts: PM1_STS lacks WAK_STS or RTC_STS\n"
resume_end:
	.code32

