// SPDX-License-Identifier: MIT
/*
 * ACPI table builder for the pc machine.  Table layouts follow ACPI 6.4
 * chapter 5 (section numbers below); AML encodings follow chapter 20 and
 * the resource descriptors chapter 6.4.  Choices where the spec leaves
 * room follow what QEMU 7.2 gives its "pc" machine (checked by dumping
 * QEMU's fw_cfg files): RSDP revision 0 with an RSDT only, FACS first in
 * the blob, blob padded to 128 KiB, loader file padded to 4 KiB, the same
 * MADT interrupt source override for the PIT and the SCI, \_S3 = 1, \_S5 = 0.
 *
 * Where we differ from QEMU's pc machine, on purpose:
 *   - FADT revision 3 (QEMU's pc: revision 1) so it can carry the reset
 *     register (0xcf9 <- 0x06) and the "8042 present" boot flag;
 *   - SMI_CMD = 0: there is no SMM and ACPI mode is always on, so PM1_CNT
 *     reads SCI_EN = 1 from the start and no GPE block is listed;
 *   - the DSDT describes only what minivmm has: the vCPUs, the i8042
 *     keyboard and the RTC (no PCI root bridge, no HPET, no floppy).
 */
#include "acpi.h"
#include "acpi_aml.h"
#include "acpi_loader.h"
#include "byteorder.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/cmos.h"
#include "dev/i8042.h"
#include "layout.h"
#include "log.h"

/* The two files being built (the blob and its loader script), and out. */
struct builder {
	struct abuf blob; /* ACPI_TABLES_FILE */
	struct abuf cmds; /* ACPI_LOADER_FILE */
	struct acpi_tables *out;
};

/*
 * A 32-bit pointer inside the blob to the table at target (a blob offset):
 * store the offset now, let the loader add the blob's address.
 */
static void blob_pointer32(struct builder *bd, size_t field, size_t target)
{
	abuf_set(&bd->blob, field, target, 4);
	acpi_loader_add_pointer(&bd->cmds, ACPI_TABLES_FILE, ACPI_TABLES_FILE,
				field, 4);
}

/* ------------------------------------------------------------------------
 * Table headers (ACPI 6.4 §5.2.6)
 * ------------------------------------------------------------------------ */

#define HDR_LENGTH_OFF 4
#define HDR_CHECKSUM_OFF 9

static size_t table_begin(struct builder *bd, const char *sig, uint8_t rev)
{
	struct abuf *b = &bd->blob;
	size_t start = abuf_put(b, sig, 4);

	abuf_int(b, 0, 4); /* length: table_end() */
	abuf_int(b, rev, 1);
	abuf_int(b, 0, 1); /* checksum: the loader computes it */
	abuf_put(b, ACPI_OEM_ID, 6);
	abuf_put(b, ACPI_OEM_TABLE_PREFIX, 4);
	abuf_put(b, sig, 4);
	abuf_int(b, ACPI_OEM_REVISION, 4);
	abuf_put(b, ACPI_CREATOR_ID, 4);
	abuf_int(b, ACPI_CREATOR_REVISION, 4);
	return start;
}

static void table_record(struct builder *bd, const char *sig, size_t start)
{
	struct acpi_tables *t = bd->out;
	struct acpi_table_info *ti;

	if (t->nr_tables == ACPI_MAX_TABLES) {
		bd->blob.failed = true;
		return;
	}
	ti = &t->info[t->nr_tables++];
	memcpy(ti->sig, sig, 4);
	ti->sig[4] = '\0';
	ti->offset = (uint32_t)start;
	ti->length = (uint32_t)(bd->blob.len - start);
}

static void table_end(struct builder *bd, const char *sig, size_t start)
{
	size_t len = bd->blob.len - start;

	abuf_set(&bd->blob, start + HDR_LENGTH_OFF, len, 4);
	table_record(bd, sig, start);
	acpi_loader_add_checksum(&bd->cmds, ACPI_TABLES_FILE,
				 start + HDR_CHECKSUM_OFF, start, len);
}

/* ------------------------------------------------------------------------
 * FACS (§5.2.10): no sleep states with a waking vector, no global lock
 * users; it exists because a FADT without HW_REDUCED_ACPI must point to it.
 * ------------------------------------------------------------------------ */
#define FACS_SIZE 64

static size_t build_facs(struct builder *bd)
{
	uint8_t f[FACS_SIZE] = { 'F', 'A', 'C', 'S', FACS_SIZE };
	size_t start;

	f[32] = 1; /* version: the ACPI 2.0 layout; all else 0 */
	start = abuf_put(&bd->blob, f, sizeof(f));
	table_record(bd, "FACS", start); /* a FACS has no checksum */
	return start;
}

/* ------------------------------------------------------------------------
 * DSDT contents, in AML (acpi_aml.h)
 * ------------------------------------------------------------------------ */

static void dsdt_cpus(struct abuf *b, unsigned nr_cpus)
{
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
		char name[16];
		size_t dev;

		/* Processor device (§8.4): _UID = MADT processor UID. */
		snprintf(name, sizeof(name), "C%03X", cpu & 0xfff);
		dev = aml_device_open(b, name);
		aml_name_string(b, "_HID", "ACPI0007");
		aml_name_integer(b, "_UID", cpu);
		aml_close(b, dev);
	}
}

static void dsdt_legacy(struct abuf *b)
{
	static const uint8_t kbd_crs[] = {
		RES_IO(I8042_DATA_PORT, 1),
		RES_IO(I8042_CMD_PORT, 1),
		RES_IRQ_NOFLAGS(PC_KBD_IRQ),
		RES_END,
	};
	static const uint8_t rtc_crs[] = {
		RES_IO(PC_CMOS_PORT, PC_CMOS_PORT_LEN),
		RES_IRQ_NOFLAGS(PC_RTC_IRQ),
		RES_END,
	};
	size_t dev;

	/*
	 * SeaBIOS looks for PNP0303 in the DSDT and skips its PS/2 setup when
	 * a DSDT lacks it; Linux's i8042 driver finds its ports through it.
	 * No PNP0F13: minivmm's i8042 has no mouse.
	 */
	dev = aml_device_open(b, "KBD_");
	aml_name_eisaid(b, "_HID", "PNP0303");
	aml_name_crs(b, kbd_crs, sizeof(kbd_crs));
	aml_close(b, dev);

	dev = aml_device_open(b, "RTC_");
	aml_name_eisaid(b, "_HID", "PNP0B00");
	aml_name_crs(b, rtc_crs, sizeof(rtc_crs));
	aml_close(b, dev);
}

/* Word Address Space Descriptor (§6.4.3.5.3): a bus-number or I/O range. */
static size_t res_word(uint8_t *p, uint8_t type, uint8_t type_flags,
		       uint16_t min, uint16_t max)
{
	uint16_t len = (uint16_t)(max - min + 1);
	uint8_t d[16] = { 0x88, 13, 0, type, 0x0c, type_flags };

	le_put(d + 8, min, 2);
	le_put(d + 10, max, 2);
	le_put(d + 14, len, 2);
	memcpy(p, d, sizeof(d));
	return sizeof(d);
}

/* DWord Address Space Descriptor (§6.4.3.5.2): a memory window. */
static size_t res_dword_mem(uint8_t *p, uint32_t min, uint32_t max)
{
	uint8_t d[26] = { 0x87, 23, 0, 0, 0x0c, 0x03 }; /* RW, cacheable */

	le_put(d + 10, min, 4);
	le_put(d + 14, max, 4);
	le_put(d + 22, max - min + 1, 4);
	memcpy(p, d, sizeof(d));
	return sizeof(d);
}

/*
 * _PRT (§6.2.13): INTA# of the first PCI_INTX_SLOTS device slots to its
 * GSI (layout.h pc_pci_intx_gsi), for drivers that do not use MSI-X.
 * Entries: Package { address (slot << 16 | 0xffff), pin 0 (INTA#),
 * source 0 (a GSI, no link device), the GSI }.
 */
static void dsdt_pci_prt(struct abuf *b, const struct pc_memory_layout *l)
{
	unsigned n = l->nr_virtio_pci < PC_PCI_INTX_SLOTS ? l->nr_virtio_pci :
							    PC_PCI_INTX_SLOTS;
	size_t prt;

	if (!n)
		return;
	abuf_int(b, AML_NAME, 1);
	aml_name(b, "_PRT");
	prt = aml_package_open(b, (uint8_t)n);
	for (unsigned i = 0; i < n; i++) {
		unsigned slot = 2 + i;
		size_t e = aml_package_open(b, 4);

		aml_integer(b, (uint64_t)slot << 16 | 0xffff);
		aml_integer(b, 0);
		aml_integer(b, 0);
		aml_integer(b, (uint64_t)pc_pci_intx_gsi(slot));
		aml_close(b, e);
	}
	aml_close(b, prt);
}

/*
 * The PCI root bridge (HID PNP0A03), with the windows of the pc machine's
 * PCI hole (layout.h) in _CRS as QEMU's DSDT has them: bus 0-255, the
 * configuration ports, the I/O ranges around them, the VGA window and the
 * 32-bit memory windows.  Linux scans the bus through it.
 */
static void dsdt_pci_root(struct abuf *b, const struct pc_memory_layout *l)
{
	uint8_t crs[160];
	static const uint8_t cf8[] = { RES_IO(0xcf8, 8) };
	size_t n = 0, dev;

	n += res_word(crs + n, 2, 0, 0, 0xff); /* bus numbers */
	memcpy(crs + n, cf8, sizeof(cf8));
	n += sizeof(cf8);
	n += res_word(crs + n, 1, 0x03, 0x0000, 0x0cf7);
	n += res_word(crs + n, 1, 0x03, 0x0d00, 0xffff);
	n += res_dword_mem(crs + n, 0xa0000, 0xbffff);
	if (l->below_4g < PC_PCI_WINDOW_END)
		n += res_dword_mem(crs + n, (uint32_t)l->below_4g,
				   (uint32_t)(PC_PCI_WINDOW_END - 1));
	n += res_dword_mem(crs + n,
			   (uint32_t)(l->below_4g > PC_PCI_UPPER_START ?
					      l->below_4g :
					      PC_PCI_UPPER_START),
			   (uint32_t)(PC_IOAPIC_ADDR - 1));
	crs[n++] = 0x79; /* RES_END */
	crs[n++] = 0x00;
	dev = aml_device_open(b, "PCI0");
	aml_name_eisaid(b, "_HID", "PNP0A03");
	aml_name_integer(b, "_ADR", 0);
	aml_name_integer(b, "_UID", 0);
	aml_name_crs(b, crs, n);
	dsdt_pci_prt(b, l);
	aml_close(b, dev);
}

/*
 * virtio-mmio devices, as QEMU's microvm describes them and Linux's
 * virtio_mmio driver matches them (HID LNRO0005): the register window
 * (Memory32Fixed, §6.4.3.4) and the interrupt, an IOAPIC pin above the
 * ISA ones, edge-triggered and active high (Extended Interrupt, §6.4.3.6).
 */
static void dsdt_virtio_mmio(struct abuf *b, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		uint64_t base = PC_VIRTIO_MMIO_BASE + i * PC_VIRTIO_MMIO_STRIDE;
		uint32_t gsi = PC_VIRTIO_MMIO_FIRST_GSI + i;
		uint8_t crs[] = {
			0x86, 9, 0, 1, /* Memory32Fixed, read/write */
			(uint8_t)base, (uint8_t)(base >> 8), (uint8_t)(base >> 16),
			(uint8_t)(base >> 24),
			(uint8_t)PC_VIRTIO_MMIO_STRIDE,
			(uint8_t)(PC_VIRTIO_MMIO_STRIDE >> 8), 0, 0,
			0x89, 6, 0, 0x03, 1, /* consumer, edge, high, exclusive */
			(uint8_t)gsi, (uint8_t)(gsi >> 8), (uint8_t)(gsi >> 16),
			(uint8_t)(gsi >> 24),
			RES_END,
		};
		char name[5];
		size_t dev;

		snprintf(name, sizeof(name), "VR%02u", i % 100);
		dev = aml_device_open(b, name);
		aml_name_string(b, "_HID", "LNRO0005");
		aml_name_integer(b, "_UID", i);
		aml_name_crs(b, crs, sizeof(crs));
		aml_close(b, dev);
	}
}

/*
 * A sleep state object (§7.4.2): a package of SLP_TYPa, SLP_TYPb and two
 * reserved values; the OS writes SLP_TYPa | SLP_EN to PM1a_CNT.
 */
static void dsdt_sleep_state(struct abuf *b, const char *name, unsigned typ)
{
	size_t pkg;

	abuf_int(b, AML_NAME, 1);
	aml_name(b, name);
	pkg = aml_package_open(b, 4);
	aml_integer(b, typ);
	aml_integer(b, typ);
	aml_integer(b, 0);
	aml_integer(b, 0);
	aml_close(b, pkg);
}

/*
 * DSDT (§5.2.11.1), with \_S3 (suspend to RAM) and \_S5 (soft off) at
 * QEMU's values.
 */
static size_t build_dsdt(struct builder *bd,
			 const struct pc_memory_layout *layout)
{
	struct abuf *b = &bd->blob;
	size_t start = table_begin(bd, "DSDT", 1);
	size_t scope;

	scope = aml_scope_open(b, "\\_SB_");
	dsdt_cpus(b, layout->nr_cpus);
	dsdt_legacy(b);
	dsdt_pci_root(b, layout);
	dsdt_virtio_mmio(b, layout->nr_virtio_mmio);
	aml_close(b, scope);

	dsdt_sleep_state(b, "\\_S3_", PC_ACPI_S3_SLP_TYP);
	dsdt_sleep_state(b, "\\_S5_", PC_ACPI_S5_SLP_TYP);

	table_end(bd, "DSDT", start);
	return start;
}

/* ------------------------------------------------------------------------
 * FADT (§5.2.9), revision 3: the ACPI 2.0 layout, 244 bytes
 * ------------------------------------------------------------------------ */
#define FADT_REV 3
#define FADT_SIZE 244
#define FADT_FACS_OFF 36
#define FADT_DSDT_OFF 40

/* Fixed feature flags (§5.2.9, Table 5.10). */
#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PROC_C1 (1u << 2)
#define FADT_F_SLP_BUTTON (1u << 5) /* no fixed sleep button */
#define FADT_F_FIX_RTC (1u << 6) /* no RTC wake status in PM1 */
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_USE_PLATFORM_CLOCK (1u << 15)
#define FADT_F_APIC_CLUSTER (1u << 18)

/* IA-PC boot architecture flags (§5.2.9.3). */
#define FADT_BOOT_8042 (1u << 1)

#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

/* Generic Address Structure (§5.2.3.2) for an I/O port block. */
static void put_gas_io(uint8_t *p, unsigned bytes, uint8_t access,
		       uint16_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = (uint8_t)(bytes * 8);
	p[3] = access; /* p[2]: bit offset 0 */
	le_put(p + 4, port, 8);
}

/*
 * Fields are set at the byte offsets of Table 5.9; everything not set is
 * 0 (no PM1b/PM2/GPE blocks, no SMI_CMD, no duty cycle or RTC alarms).
 */
#define F(off) (body + (off) - ACPI_HEADER_SIZE) /* byte off of the table */

static size_t build_fadt(struct builder *bd, size_t facs, size_t dsdt,
			 unsigned nr_cpus)
{
	uint8_t body[FADT_SIZE - ACPI_HEADER_SIZE] = { 0 };
	size_t start = table_begin(bd, "FACP", FADT_REV);
	uint32_t flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON |
			 FADT_F_FIX_RTC | FADT_F_RESET_REG_SUP |
			 FADT_F_USE_PLATFORM_CLOCK;

	/* Flat logical APIC destinations reach 8 CPUs at most (as QEMU). */
	if (nr_cpus > 8)
		flags |= FADT_F_APIC_CLUSTER;
	/* 36 FIRMWARE_CTRL, 40 DSDT: blob_pointer32() below */
	*F(44) = 1; /* ACPI 1.0 INT_MODEL: APIC (reserved since 2.0) */
	le_put(F(46), PC_ACPI_SCI_IRQ, 2);
	/* 48 SMI_CMD = 0: ACPI mode is on from reset */
	le_put(F(56), PC_ACPI_PM1_EVT_PORT, 4); /* PM1a_EVT_BLK */
	le_put(F(64), PC_ACPI_PM1_CNT_PORT, 4); /* PM1a_CNT_BLK */
	le_put(F(76), PC_ACPI_PM_TMR_PORT, 4); /* PM_TMR_BLK */
	*F(88) = PC_ACPI_PM1_EVT_LEN;
	*F(89) = PC_ACPI_PM1_CNT_LEN;
	*F(91) = PC_ACPI_PM_TMR_LEN;
	le_put(F(96), 0x0fff, 2); /* P_LVL2_LAT > 100: no C2 */
	le_put(F(98), 0x0fff, 2); /* P_LVL3_LAT > 1000: no C3 */
	*F(108) = CMOS_CENTURY; /* CENTURY: its CMOS index */
	le_put(F(109), FADT_BOOT_8042, 2); /* IAPC_BOOT_ARCH */
	le_put(F(112), flags, 4);
	put_gas_io(F(116), 1, GAS_ACCESS_BYTE, PC_ACPI_RESET_PORT);
	*F(128) = PC_ACPI_RESET_VALUE;
	/* 132 X_FIRMWARE_CTRL, 140 X_DSDT = 0: the 32-bit fields are used */
	put_gas_io(F(148), PC_ACPI_PM1_EVT_LEN, 0, PC_ACPI_PM1_EVT_PORT);
	put_gas_io(F(172), PC_ACPI_PM1_CNT_LEN, 0, PC_ACPI_PM1_CNT_PORT);
	put_gas_io(F(208), PC_ACPI_PM_TMR_LEN, 0, PC_ACPI_PM_TMR_PORT);
	abuf_put(&bd->blob, body, sizeof(body));
#undef F

	blob_pointer32(bd, start + FADT_FACS_OFF, facs);
	blob_pointer32(bd, start + FADT_DSDT_OFF, dsdt);
	table_end(bd, "FACP", start);
	return start;
}

/* ------------------------------------------------------------------------
 * MADT (§5.2.12)
 * ------------------------------------------------------------------------ */
#define MADT_PCAT_COMPAT 1u /* dual 8259s present (Table 5.20) */
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISO 2
#define MADT_LAPIC_NMI 4
#define MADT_ENABLED 1u
/* MPS INTI flags (Table 5.26): bits 0-1 polarity, 2-3 trigger mode. */
#define MPS_INTI_CONFORMS 0x0
#define MPS_INTI_HIGH_LEVEL 0xd /* active high (01), level (11) */

static void madt_iso(struct abuf *b, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	uint8_t e[10] = { MADT_ISO, sizeof(e), 0 /* ISA */, irq };

	le_put(e + 4, gsi, 4);
	le_put(e + 8, flags, 2);
	abuf_put(b, e, sizeof(e));
}

static size_t build_madt(struct builder *bd, unsigned nr_cpus)
{
	struct abuf *b = &bd->blob;
	size_t start = table_begin(bd, "APIC", 1);
	uint8_t io[12] = { MADT_IOAPIC, sizeof(io), PC_IOAPIC_ID };
	/* Local APIC NMI (§5.2.12.7): LINT1 of all processors (0xff). */
	static const uint8_t nmi[6] = { MADT_LAPIC_NMI, sizeof(nmi), 0xff,
					MPS_INTI_CONFORMS, 0, 1 };

	abuf_int(b, PC_LAPIC_ADDR, 4);
	abuf_int(b, MADT_PCAT_COMPAT, 4);
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
		/* Processor Local APIC (§5.2.12.2): UID = APIC ID = index. */
		uint8_t e[8] = { MADT_LAPIC, sizeof(e), (uint8_t)cpu,
				 (uint8_t)cpu, MADT_ENABLED };

		abuf_put(b, e, sizeof(e));
	}
	/* I/O APIC (§5.2.12.3) */
	le_put(io + 4, PC_IOAPIC_ADDR, 4);
	le_put(io + 8, PC_IOAPIC_GSI_BASE, 4);
	abuf_put(b, io, sizeof(io));
	/*
	 * Interrupt Source Overrides (§5.2.12.5): the PIT reaches IOAPIC pin
	 * 2; the SCI is level-triggered, active high (QEMU says the same).
	 */
	madt_iso(b, PC_PIT_IRQ, PC_PIT_GSI, MPS_INTI_CONFORMS);
	madt_iso(b, PC_ACPI_SCI_IRQ, PC_ACPI_SCI_IRQ, MPS_INTI_HIGH_LEVEL);
	abuf_put(b, nmi, sizeof(nmi));
	table_end(bd, "APIC", start);
	return start;
}

/* ------------------------------------------------------------------------
 * SRAT (§5.2.16)
 * ------------------------------------------------------------------------ */
#define SRAT_CPU 0
#define SRAT_MEM 1
#define SRAT_ENABLED 1u

/* One Memory Affinity structure (§5.2.16.2); b NULL: only count it. */
static size_t srat_memory(struct abuf *b, uint32_t node, uint64_t base,
			  uint64_t len)
{
	uint8_t e[40] = { SRAT_MEM, sizeof(e) };

	if (!len)
		return 0;
	le_put(e + 2, node, 4);
	le_put(e + 8, base, 8);
	le_put(e + 16, len, 8);
	le_put(e + 28, SRAT_ENABLED, 4);
	if (b)
		abuf_put(b, e, sizeof(e));
	return 1;
}

/*
 * The memory entries: each RAM range of each node, with the legacy hole
 * 640 KiB-1 MiB left out, as QEMU does.  Returns how many there are.
 */
static size_t srat_memories(struct abuf *b,
			    const struct pc_memory_layout *layout)
{
	size_t count = 0;

	for (size_t n = 0; n < layout->nr_nodes; n++) {
		const struct pc_numa_node *nd = &layout->nodes[n];

		for (size_t r = 0; r < nd->nr_ranges; r++) {
			uint64_t s = nd->ranges[r].gpa;
			uint64_t e = s + nd->ranges[r].size;
			uint64_t lo_end = e < PC_BASE_MEMORY_END ?
						  e :
						  PC_BASE_MEMORY_END;
			uint64_t hi = s > PC_ISA_BIOS_END ? s : PC_ISA_BIOS_END;

			if (s < lo_end)
				count += srat_memory(b, nd->nodeid, s,
						     lo_end - s);
			if (e > hi)
				count += srat_memory(b, nd->nodeid, hi, e - hi);
		}
	}
	return count;
}

static size_t build_srat(struct builder *bd,
			 const struct pc_memory_layout *layout)
{
	struct abuf *b = &bd->blob;
	size_t start = table_begin(bd, "SRAT", 1);

	abuf_int(b, 1, 4); /* reserved, 1 for compatibility */
	abuf_int(b, 0, 8);
	for (unsigned cpu = 0; cpu < layout->nr_cpus; cpu++) {
		/* Processor Local APIC Affinity (§5.2.16.1) */
		uint32_t node = layout->cpu_node[cpu] < 0 ?
					0 :
					(uint32_t)layout->cpu_node[cpu];
		uint8_t e[16] = { SRAT_CPU, sizeof(e), (uint8_t)node,
				  (uint8_t)cpu, SRAT_ENABLED };

		le_put(e + 9, node >> 8, 3); /* proximity domain, high bits */
		abuf_put(b, e, sizeof(e));
	}
	srat_memories(b, layout);
	table_end(bd, "SRAT", start);
	return start;
}

/* ------------------------------------------------------------------------
 * RSDT (§5.2.7) and RSDP (§5.2.5.3, revision 0: the first 20 bytes)
 * ------------------------------------------------------------------------ */
static size_t build_rsdt(struct builder *bd, const size_t *tables, size_t n)
{
	struct abuf *b = &bd->blob;
	size_t start = table_begin(bd, "RSDT", 1);

	for (size_t i = 0; i < n; i++)
		blob_pointer32(bd, abuf_int(b, 0, 4), tables[i]);
	table_end(bd, "RSDT", start);
	return start;
}

#define RSDP_CHECKSUM_OFF 8
#define RSDP_RSDT_OFF 16

static void build_rsdp(struct builder *bd, size_t rsdt)
{
	uint8_t *p = bd->out->rsdp;

	memset(p, 0, ACPI_RSDP_SIZE);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, ACPI_OEM_ID, 6);
	p[15] = 0; /* revision 0: ACPI 1.0, RSDT only */
	le_put(p + RSDP_RSDT_OFF, rsdt, 4);
	acpi_loader_add_pointer(&bd->cmds, ACPI_RSDP_FILE, ACPI_TABLES_FILE,
				RSDP_RSDT_OFF, 4);
	acpi_loader_add_checksum(&bd->cmds, ACPI_RSDP_FILE, RSDP_CHECKSUM_OFF,
				 0, ACPI_RSDP_SIZE);
}

/* ------------------------------------------------------------------------ */

static int check_layout(const struct pc_memory_layout *layout)
{
	/* xAPIC MADT entries hold 8-bit IDs; cpu_node[] has CONFIG_MAX_CPUS. */
	unsigned max = ACPI_MAX_CPUS < CONFIG_MAX_CPUS ? ACPI_MAX_CPUS :
							 CONFIG_MAX_CPUS;

	if (layout->nr_cpus < 1 || layout->nr_cpus > max)
		return err_set("acpi: %u vCPUs; the tables describe 1 to %u",
			       layout->nr_cpus, max);
	if (layout->nr_nodes > CONFIG_MAX_NUMA)
		return err_set("acpi: %zu NUMA nodes; at most %d",
			       layout->nr_nodes, CONFIG_MAX_NUMA);
	for (size_t n = 0; n < layout->nr_nodes; n++)
		if (layout->nodes[n].nr_ranges > 2)
			return err_set("acpi: NUMA node %u has %zu ranges",
				       layout->nodes[n].nodeid,
				       layout->nodes[n].nr_ranges);
	for (unsigned cpu = 0; layout->nr_nodes && cpu < layout->nr_cpus; cpu++)
		if (layout->cpu_node[cpu] >= (int)layout->nr_nodes)
			return err_set("acpi: vCPU %u in NUMA node %d of %zu",
				       cpu, layout->cpu_node[cpu],
				       layout->nr_nodes);
	return 0;
}

static uint32_t round_up(uint32_t v, uint32_t align)
{
	return (v + align - 1) / align * align;
}

bool acpi_machine_has_tables(const struct pc_compat *compat)
{
	return compat->major > 1 || (compat->major == 1 && compat->minor >= 7);
}

/*
 * The blob size firmware reserves.  Since QEMU 2.1 it is a multiple of
 * 128 KiB.  pc-i440fx-1.7 and -2.0 keep the size QEMU 1.7/2.0 had, for
 * migration: QEMU 7.2 takes the bytes of its tables that are not AML, adds
 * the AML size of the old QEMU (6414 or 6652 bytes, plus 97 per APIC ID)
 * and rounds up to 4 KiB (acpi-build.c, legacy_acpi_table_size).  Those
 * non-AML bytes are QEMU's own: FACS, FADT revision 1, its MADT (with
 * overrides for IRQs 0, 5, 9, 10 and 11), HPET, WAET, an SRAT padded to
 * nodes + 2 memory entries, and the RSDT; modelled here so that SeaBIOS
 * reserves exactly what it reserves under QEMU.  Never below our own size.
 */
static uint32_t blob_size(const struct pc_memory_layout *layout,
			  uint32_t used)
{
	const struct pc_compat *c = &layout->compat;
	uint32_t n = layout->nr_cpus, fixed, aml, rsdt_entries = 4;

	if (c->major > 2 || (c->major == 2 && c->minor >= 1))
		return round_up(used, PC_ACPI_TABLES_ALIGN);
	aml = (c->major == 1 ? 6414 : 6652) + 97 * n;
	fixed = 64 + 116 + (44 + 8 * n + 12 + 5 * 10 + 6) + 56 + 40;
	if (layout->nr_nodes) {
		size_t mem = srat_memories(NULL, layout);

		if (mem < layout->nr_nodes + 2)
			mem = layout->nr_nodes + 2;
		fixed += 48 + 16 * n + 40 * (uint32_t)mem;
		rsdt_entries++;
	}
	fixed += ACPI_HEADER_SIZE + 4 * rsdt_entries;
	if (used > fixed + aml)
		return round_up(used, PC_ACPI_LOADER_ALIGN);
	return round_up(fixed + aml, PC_ACPI_LOADER_ALIGN);
}

int acpi_build(const struct pc_memory_layout *layout, struct acpi_tables *out)
{
	struct builder bd = { .out = out };
	size_t facs, dsdt, rsdt, listed[ACPI_MAX_TABLES], nr = 0;
	uint32_t used, size, cmds;

	memset(out, 0, sizeof(*out));
	if (check_layout(layout) < 0)
		return -1;

	/*
	 * The RSDP goes where an OS searches for it (the F segment); the
	 * blob anywhere in RAM below 4 GiB, 64-byte aligned for the FACS.
	 */
	acpi_loader_allocate(&bd.cmds, ACPI_RSDP_FILE, ACPI_RSDP_ALIGN,
			     ACPI_LOADER_ZONE_FSEG);
	acpi_loader_allocate(&bd.cmds, ACPI_TABLES_FILE, ACPI_FACS_ALIGN,
			     ACPI_LOADER_ZONE_HIGH);

	facs = build_facs(&bd);
	dsdt = build_dsdt(&bd, layout);
	listed[nr++] = build_fadt(&bd, facs, dsdt, layout->nr_cpus);
	listed[nr++] = build_madt(&bd, layout->nr_cpus);
	if (layout->nr_nodes)
		listed[nr++] = build_srat(&bd, layout);
	rsdt = build_rsdt(&bd, listed, nr);
	build_rsdp(&bd, rsdt);

	if (bd.blob.failed || bd.cmds.failed)
		goto oom;
	used = (uint32_t)bd.blob.len;
	size = blob_size(layout, used);
	cmds = (uint32_t)(bd.cmds.len / ACPI_LOADER_ENTRY_SIZE);
	/* Zero padding: abuf_grow() clears what it adds. */
	if (!abuf_grow(&bd.blob, size - used))
		goto oom;
	bd.blob.len = size;
	if (!abuf_grow(&bd.cmds, round_up((uint32_t)bd.cmds.len,
					  PC_ACPI_LOADER_ALIGN) -
					 bd.cmds.len))
		goto oom;
	bd.cmds.len = round_up((uint32_t)bd.cmds.len, PC_ACPI_LOADER_ALIGN);

	out->tables = bd.blob.data;
	out->tables_size = size;
	out->tables_used = used;
	out->loader = bd.cmds.data;
	out->loader_size = (uint32_t)bd.cmds.len;
	out->loader_cmds = cmds;
	return 0;
oom:
	free(bd.blob.data);
	free(bd.cmds.data);
	memset(out, 0, sizeof(*out));
	return err_set("acpi: out of memory building the tables");
}

void acpi_tables_free(struct acpi_tables *t)
{
	free(t->tables);
	free(t->loader);
	memset(t, 0, sizeof(*t));
}

const struct acpi_table_info *acpi_find_table(const struct acpi_tables *t,
					      const char *sig)
{
	for (size_t i = 0; i < t->nr_tables; i++)
		if (!strncmp(t->info[i].sig, sig, 4))
			return &t->info[i];
	return NULL;
}
