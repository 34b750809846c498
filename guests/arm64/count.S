/*
 * count: the counting guest of the arm64 snapshot tests
 * (tests/arm64/lifecycle.c), on the virt machine (its GICv3).
 *
 * Run with --reg x2=N.  First it leaves state a restore must bring back:
 * a GIC distributor priority, enable and control bit, a redistributor
 * priority and enable, the CPU interface's priority mask and group
 * enable, TPIDR_EL1, the virtual timer's compare value and control, and
 * an FP/SIMD register that counts beside x20.  Then it stores 0, 1, ...
 * N-1 as 32-bit words to REC (each an MMIO exit: the test records them)
 * and measures the largest step of the virtual counter between two
 * values.  At the end it checks each piece of state and stores to REC+4
 * a bit mask of what did not hold (0: all did), the largest counter step
 * to REC+8 (low word) and REC+12 (high word) and CNTFRQ_EL0 to REC+16,
 * then PSCI SYSTEM_OFF (exit 0).
 *
 * Interrupts stay masked (DAIF), the timer is masked (IMASK): nothing is
 * ever delivered, the state is only kept.
 */
#include "guest.h"

#define REC 0x0c000000 /* nothing of the virt board is there */
#define GICD 0x08000000
#define GICR_SGI (0x080a0000 + 0x10000) /* vCPU 0's SGI_base frame */

#define GICD_PRIO_WORD 0x428 /* GICD_IPRIORITYR10: INTIDs 40-43 */
#define GICD_ENABLE_WORD 0x104 /* GICD_ISENABLER1: INTIDs 32-63 */
#define GICR_PRIO_WORD 0x418 /* GICR_IPRIORITYR6: INTIDs 24-27 */
#define GICR_ENABLE_WORD 0x100 /* GICR_ISENABLER0 */
/* Priorities with their low 3 bits clear: KVM keeps 5 bits. */
#define GICD_PRIO 0xa0b0c0d0
#define GICR_PRIO 0x90889098
#define TPIDR_MAGIC 0x5a17c0de600df00d

#define ICC_PMR_EL1 s3_0_c4_c6_0
#define ICC_IGRPEN1_EL1 s3_0_c12_c12_7

	.text
	.globl _start
_start:
	mov	x19, x2			/* N */
	mov	x20, #0			/* the next value */
	mov	x10, #(3 << 20)		/* CPACR_EL1.FPEN: no FP/SIMD trap */
	msr	cpacr_el1, x10
	isb

	ldr	x9, =GICD
	ldr	w10, =GICD_PRIO
	str	w10, [x9, #GICD_PRIO_WORD]
	mov	w10, #(1 << 8)		/* INTID 40 */
	str	w10, [x9, #GICD_ENABLE_WORD]
	mov	w10, #2			/* GICD_CTLR.EnableGrp1 */
	str	w10, [x9]
	ldr	x9, =GICR_SGI
	ldr	w10, =GICR_PRIO
	str	w10, [x9, #GICR_PRIO_WORD]
	mov	w10, #(1 << 27)		/* INTID 27, the virtual timer */
	str	w10, [x9, #GICR_ENABLE_WORD]
	mov	x10, #0xf0
	msr	ICC_PMR_EL1, x10
	mov	x10, #1
	msr	ICC_IGRPEN1_EL1, x10

	ldr	x10, =TPIDR_MAGIC
	msr	tpidr_el1, x10
	mrs	x24, cntvct_el0		/* a compare value far ahead */
	mov	x10, #(1 << 40)
	add	x24, x24, x10
	msr	cntv_cval_el0, x24
	mov	x10, #3			/* ENABLE | IMASK */
	msr	cntv_ctl_el0, x10
	isb
	fmov	d8, xzr			/* counts beside x20 */

	mrs	x21, cntvct_el0		/* the previous reading */
	mov	x22, #0			/* the largest step */
	cbz	x19, 2f
1:	ldr	x9, =REC
	str	w20, [x9]
	isb
	mrs	x10, cntvct_el0
	sub	x11, x10, x21		/* a step back is a huge one */
	cmp	x11, x22
	csel	x22, x11, x22, hi
	mov	x21, x10
	fmov	x12, d8
	add	x12, x12, #1
	fmov	d8, x12
	add	x20, x20, #1
	cmp	x20, x19
	b.lo	1b

2:	mov	x23, #0			/* what did not hold */
	fmov	x12, d8
	cmp	x12, x20
	cset	x10, ne
	orr	x23, x23, x10		/* bit 0: the FP register */
	mrs	x10, tpidr_el1
	ldr	x11, =TPIDR_MAGIC
	cmp	x10, x11
	cset	x10, ne
	orr	x23, x23, x10, lsl #1	/* bit 1: TPIDR_EL1 */
	ldr	x9, =GICD
	ldr	w10, [x9, #GICD_PRIO_WORD]
	ldr	w11, =GICD_PRIO
	cmp	w10, w11
	cset	x10, ne
	orr	x23, x23, x10, lsl #2	/* bit 2: distributor priority */
	ldr	w10, [x9, #GICD_ENABLE_WORD]
	tst	w10, #(1 << 8)
	cset	x10, eq
	orr	x23, x23, x10, lsl #3	/* bit 3: distributor enable */
	ldr	w10, [x9]
	tst	w10, #2
	cset	x10, eq
	orr	x23, x23, x10, lsl #4	/* bit 4: GICD_CTLR */
	ldr	x9, =GICR_SGI
	ldr	w10, [x9, #GICR_PRIO_WORD]
	ldr	w11, =GICR_PRIO
	cmp	w10, w11
	cset	x10, ne
	orr	x23, x23, x10, lsl #5	/* bit 5: redistributor priority */
	ldr	w10, [x9, #GICR_ENABLE_WORD]
	tst	w10, #(1 << 27)
	cset	x10, eq
	orr	x23, x23, x10, lsl #6	/* bit 6: redistributor enable */
	mrs	x10, ICC_PMR_EL1
	cmp	x10, #0xf0
	cset	x10, ne
	orr	x23, x23, x10, lsl #7	/* bit 7: ICC_PMR_EL1 */
	mrs	x10, ICC_IGRPEN1_EL1
	cmp	x10, #1
	cset	x10, ne
	orr	x23, x23, x10, lsl #8	/* bit 8: ICC_IGRPEN1_EL1 */
	mrs	x10, cntv_cval_el0
	cmp	x10, x24
	cset	x10, ne
	orr	x23, x23, x10, lsl #9	/* bit 9: CNTV_CVAL_EL0 */
	mrs	x10, cntv_ctl_el0
	and	x10, x10, #3
	cmp	x10, #3
	cset	x10, ne
	orr	x23, x23, x10, lsl #10	/* bit 10: CNTV_CTL_EL0 */

	ldr	x9, =REC
	str	w23, [x9, #4]
	str	w22, [x9, #8]
	lsr	x10, x22, #32
	str	w10, [x9, #12]
	mrs	x10, cntfrq_el0
	str	w10, [x9, #16]
	PSCI	PSCI_SYSTEM_OFF
