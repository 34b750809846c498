// SPDX-License-Identifier: MIT
/* Layouts follow the MultiProcessor Specification 1.4, chapter 4. */
#include "mptable.h"
#include "byteorder.h"

#include <string.h>

#include "layout.h"
#include "log.h"

#define MPF_SIZE 16 /* floating pointer structure */
#define MPC_HEADER_SIZE 44
#define MP_PROC_SIZE 20
#define MP_BUS_SIZE 8
#define MP_IOAPIC_SIZE 8
#define MP_INTSRC_SIZE 8
#define MP_ISA_IRQS 16
#define MP_LOCAL_INTS 2

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT }; /* interrupt types */

#define MP_APIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11
#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

size_t mptable_size(unsigned ncpus)
{
	return MPF_SIZE + MPC_HEADER_SIZE + (size_t)ncpus * MP_PROC_SIZE +
	       MP_BUS_SIZE + MP_IOAPIC_SIZE +
	       (MP_ISA_IRQS + MP_LOCAL_INTS) * MP_INTSRC_SIZE;
}

static uint8_t *intsrc(uint8_t *p, uint8_t type, uint8_t kind, uint8_t irq,
		       uint8_t dst_id, uint8_t pin)
{
	p[0] = type;
	p[1] = kind;
	le_put(p + 2, 0, 2); /* flags: conforms to the bus */
	p[4] = 0; /* source bus: ISA */
	p[5] = irq;
	p[6] = dst_id;
	p[7] = pin;
	return p + MP_INTSRC_SIZE;
}

size_t mptable_build(uint8_t *buf, size_t cap, uint64_t gpa, unsigned ncpus)
{
	size_t size = mptable_size(ncpus), entries = 0;
	uint8_t *mpf = buf, *mpc = buf + MPF_SIZE, *p;
	uint8_t ioapic_id = 0; /* as in the MADT and the in-kernel IOAPIC */

	if (ncpus == 0 || ncpus > 254)
		return err_set("MP table: %u CPUs (1-254 fit)", ncpus), 0;
	if (cap < size || gpa + MPF_SIZE > 0xffffffffull)
		return err_set("MP table: no room"), 0;
	memset(buf, 0, size);

	/* 4.1: floating pointer, 16-byte aligned, checksum over 16 bytes. */
	memcpy(mpf, "_MP_", 4);
	le_put(mpf + 4, gpa + MPF_SIZE, 4);
	mpf[8] = 1; /* length in 16-byte units */
	mpf[9] = 4; /* spec revision 1.4 */

	/* 4.2: configuration table header. */
	memcpy(mpc, "PCMP", 4);
	mpc[6] = 4;
	memcpy(mpc + 8, "MINIVMM ", 8);
	memcpy(mpc + 16, "PC          ", 12);
	le_put(mpc + 36, PC_LAPIC_ADDR, 4);
	p = mpc + MPC_HEADER_SIZE;

	for (unsigned cpu = 0; cpu < ncpus; cpu++, entries++) {
		p[0] = MP_PROCESSOR;
		p[1] = (uint8_t)cpu; /* local APIC ID = vCPU index */
		p[2] = MP_APIC_VERSION;
		p[3] = MP_CPU_ENABLED | (cpu == 0 ? MP_CPU_BSP : 0);
		le_put(p + 4, 0x600, 4); /* family 6 signature */
		le_put(p + 8, 0x201, 4); /* features: FPU, APIC */
		p += MP_PROC_SIZE;
	}
	p[0] = MP_BUS;
	p[1] = 0;
	memcpy(p + 2, "ISA   ", 6);
	p += MP_BUS_SIZE;
	entries++;
	p[0] = MP_IOAPIC;
	p[1] = ioapic_id;
	p[2] = MP_IOAPIC_VERSION;
	p[3] = 1; /* enabled */
	le_put(p + 4, PC_IOAPIC_ADDR, 4);
	p += MP_IOAPIC_SIZE;
	entries++;
	/* ISA IRQs to IOAPIC pins 1:1, except the timer on pin 2 (as the MADT). */
	for (uint8_t irq = 0; irq < MP_ISA_IRQS; irq++, entries++)
		p = intsrc(p, MP_INTSRC, MP_INT, irq, ioapic_id,
			   irq == 0 ? 2 : irq);
	/* Local interrupts: ExtINT on LINT0, NMI on LINT1, to every CPU. */
	p = intsrc(p, MP_LINTSRC, MP_EXTINT, 0, 0xff, 0);
	p = intsrc(p, MP_LINTSRC, MP_NMI, 0, 0xff, 1);
	entries += 2;

	le_put(mpc + 4, (uint64_t)(p - mpc), 2); /* base table length */
	le_put(mpc + 34, entries, 2);
	mpc[7] = (uint8_t)-sum8(mpc, (size_t)(p - mpc));
	mpf[10] = (uint8_t)-sum8(mpf, MPF_SIZE);
	return size;
}
