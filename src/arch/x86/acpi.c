// SPDX-License-Identifier: MIT
/*
 * ACPI table builder for the pc machine.  Table layouts follow ACPI 6.4
 * chapter 5 (section numbers below); AML encodings follow chapter 20 and
 * the resource descriptors chapter 6.4.  Choices where the spec leaves
 * room follow what QEMU 7.2 gives its "pc" machine (checked by dumping
 * QEMU's fw_cfg files): RSDP revision 0 with an RSDT only, FACS first in
 * the blob, blob padded to 128 KiB, loader file padded to 4 KiB, the same
 * MADT interrupt source override for the PIT and the SCI, \_S5 = 0.
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

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/cmos.h"
#include "dev/i8042.h"
#include "layout.h"
#include "log.h"

/* Growable byte buffer; the first failure sticks and later writes are no-ops. */
struct abuf {
	uint8_t *data;
	size_t len, cap;
	bool failed;
};

/* Far beyond any table set we build; keeps every offset a valid u32. */
#define ABUF_MAX (16u << 20)

static bool abuf_grow(struct abuf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (b->failed)
		return false;
	if (extra > ABUF_MAX - b->len) {
		b->failed = true;
		return false;
	}
	need = b->len + extra;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 512;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	memset(p + b->cap, 0, cap - b->cap);
	b->data = p;
	b->cap = cap;
	return true;
}

/* Append n bytes (zeros when src is NULL); returns where they went. */
static size_t abuf_put(struct abuf *b, const void *src, size_t n)
{
	size_t off = b->len;

	if (!abuf_grow(b, n))
		return off;
	if (src)
		memcpy(b->data + off, src, n);
	else
		memset(b->data + off, 0, n);
	b->len += n;
	return off;
}

/* Append a little-endian integer of size bytes. */
static size_t abuf_int(struct abuf *b, uint64_t v, unsigned size)
{
	uint8_t le[8];

	for (unsigned i = 0; i < size; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	return abuf_put(b, le, size);
}

/* Overwrite size bytes at off with v, little-endian. */
static void abuf_set(struct abuf *b, size_t off, uint64_t v, unsigned size)
{
	if (b->failed || off > b->len || size > b->len - off) {
		b->failed = true;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		b->data[off + i] = (uint8_t)(v >> (8 * i));
}

/* Insert n bytes at position at, moving what follows. */
static void abuf_insert(struct abuf *b, size_t at, const uint8_t *src,
			size_t n)
{
	if (b->failed || at > b->len || !abuf_grow(b, n))
		return;
	memmove(b->data + at + n, b->data + at, b->len - at);
	memcpy(b->data + at, src, n);
	b->len += n;
}

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

/* ------------------------------------------------------------------------
 * Linker/loader commands (QEMU's etc/table-loader format)
 * ------------------------------------------------------------------------ */

struct builder {
	struct abuf blob; /* ACPI_TABLES_FILE */
	struct abuf cmds; /* ACPI_LOADER_FILE */
	struct acpi_tables *out;
};

static void put_le(uint8_t *p, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_name(uint8_t *field, const char *name)
{
	size_t n = strlen(name);

	assert(n < ACPI_LOADER_FILESZ);
	memcpy(field, name, n);
}

static void loader_emit(struct builder *bd, const uint8_t *e)
{
	abuf_put(&bd->cmds, e, ACPI_LOADER_ENTRY_SIZE);
}

static void loader_allocate(struct builder *bd, const char *file,
			    uint32_t align, uint8_t zone)
{
	uint8_t e[ACPI_LOADER_ENTRY_SIZE] = { 0 };

	put_le(e, ACPI_LOADER_ALLOCATE, 4);
	put_name(e + 4, file);
	put_le(e + ACPI_LOADER_ALLOC_ALIGN_OFF, align, 4);
	e[ACPI_LOADER_ALLOC_ZONE_OFF] = zone;
	loader_emit(bd, e);
}

static void loader_add_pointer(struct builder *bd, const char *dest,
			       const char *src, size_t offset, uint8_t size)
{
	uint8_t e[ACPI_LOADER_ENTRY_SIZE] = { 0 };

	put_le(e, ACPI_LOADER_ADD_POINTER, 4);
	put_name(e + 4, dest);
	put_name(e + ACPI_LOADER_PTR_SRC_OFF, src);
	put_le(e + ACPI_LOADER_PTR_OFFSET_OFF, offset, 4);
	e[ACPI_LOADER_PTR_SIZE_OFF] = size;
	loader_emit(bd, e);
}

static void loader_add_checksum(struct builder *bd, const char *file,
				size_t offset, size_t start, size_t len)
{
	uint8_t e[ACPI_LOADER_ENTRY_SIZE] = { 0 };

	put_le(e, ACPI_LOADER_ADD_CHECKSUM, 4);
	put_name(e + 4, file);
	put_le(e + ACPI_LOADER_CKSUM_OFFSET_OFF, offset, 4);
	put_le(e + ACPI_LOADER_CKSUM_START_OFF, start, 4);
	put_le(e + ACPI_LOADER_CKSUM_LEN_OFF, len, 4);
	loader_emit(bd, e);
}

/*
 * A 32-bit pointer inside the blob to the table at target (a blob offset):
 * store the offset now, let the loader add the blob's address.
 */
static void blob_pointer32(struct builder *bd, size_t field, size_t target)
{
	abuf_set(&bd->blob, field, target, 4);
	loader_add_pointer(bd, ACPI_TABLES_FILE, ACPI_TABLES_FILE, field, 4);
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
	loader_add_checksum(bd, ACPI_TABLES_FILE, start + HDR_CHECKSUM_OFF,
			    start, len);
}

/* ------------------------------------------------------------------------
 * FACS (§5.2.10): no sleep states with a waking vector, no global lock
 * users; it exists because a FADT without HW_REDUCED_ACPI must point to it.
 * ------------------------------------------------------------------------ */
#define FACS_SIZE 64

static size_t build_facs(struct builder *bd)
{
	struct abuf *b = &bd->blob;
	size_t start = abuf_put(b, "FACS", 4);

	abuf_int(b, FACS_SIZE, 4);
	abuf_int(b, 0, 4); /* hardware signature */
	abuf_int(b, 0, 4); /* firmware waking vector */
	abuf_int(b, 0, 4); /* global lock */
	abuf_int(b, 0, 4); /* flags */
	abuf_int(b, 0, 8); /* X firmware waking vector */
	abuf_int(b, 1, 1); /* version (ACPI 2.0 layout) */
	abuf_put(b, NULL, FACS_SIZE - 33); /* reserved, OSPM flags */
	table_record(bd, "FACS", start); /* no checksum in a FACS */
	return start;
}

/* ------------------------------------------------------------------------
 * AML (§20.2), just what our DSDT needs
 * ------------------------------------------------------------------------ */
#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_STRING 0x0d
#define AML_QWORD 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT 0x5b
#define AML_EXT_DEVICE 0x82

/*
 * Names are given as their encoded bytes: a 4-character NameSeg padded with
 * '_' ("KBD_"), optionally after the root prefix '\\'.
 */
static void aml_name(struct abuf *b, const char *name)
{
	abuf_put(b, name, strlen(name));
}

/* The shortest integer encoding (§20.2.3 ComputationalData). */
static void aml_integer(struct abuf *b, uint64_t v)
{
	if (v == 0) {
		abuf_int(b, AML_ZERO, 1);
	} else if (v == 1) {
		abuf_int(b, AML_ONE, 1);
	} else if (v <= 0xff) {
		abuf_int(b, AML_BYTE, 1);
		abuf_int(b, v, 1);
	} else if (v <= 0xffff) {
		abuf_int(b, AML_WORD, 1);
		abuf_int(b, v, 2);
	} else if (v <= 0xffffffff) {
		abuf_int(b, AML_DWORD, 1);
		abuf_int(b, v, 4);
	} else {
		abuf_int(b, AML_QWORD, 1);
		abuf_int(b, v, 8);
	}
}

/*
 * Opcodes with a PkgLength (Scope, Device, Buffer, Package): aml_open()
 * writes the opcode and returns where the PkgLength goes; aml_close()
 * measures what was written since and inserts the encoded length there.
 */
static size_t aml_open(struct abuf *b, const uint8_t *op, size_t oplen)
{
	abuf_put(b, op, oplen);
	return b->len;
}

/*
 * PkgLength (§20.2.4) counts its own bytes: one byte up to 63, otherwise a
 * lead byte with the count of following bytes in bits 6-7 and the low
 * nibble of the length, then the rest of the length 8 bits at a time.
 */
static void aml_close(struct abuf *b, size_t at)
{
	size_t body = b->len - at;
	uint8_t enc[4];
	size_t n;

	if (b->failed)
		return;
	if (body + 1 <= 0x3f) {
		enc[0] = (uint8_t)(body + 1);
		abuf_insert(b, at, enc, 1);
		return;
	}
	for (n = 2; n <= 4; n++) {
		size_t total = body + n;

		if (total >> (4 + 8 * (n - 1)))
			continue;
		enc[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
		for (size_t i = 1; i < n; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
		abuf_insert(b, at, enc, n);
		return;
	}
	b->failed = true; /* 2^28 bytes: cannot happen under ABUF_MAX */
}

static size_t aml_scope(struct abuf *b, const char *name)
{
	static const uint8_t op[] = { AML_SCOPE };
	size_t at = aml_open(b, op, sizeof(op));

	aml_name(b, name);
	return at;
}

static size_t aml_device(struct abuf *b, const char *name)
{
	static const uint8_t op[] = { AML_EXT, AML_EXT_DEVICE };
	size_t at = aml_open(b, op, sizeof(op));

	aml_name(b, name);
	return at;
}

static void aml_name_integer(struct abuf *b, const char *name, uint64_t v)
{
	abuf_int(b, AML_NAME, 1);
	aml_name(b, name);
	aml_integer(b, v);
}

static void aml_name_string(struct abuf *b, const char *name, const char *s)
{
	abuf_int(b, AML_NAME, 1);
	aml_name(b, name);
	abuf_int(b, AML_STRING, 1);
	abuf_put(b, s, strlen(s) + 1);
}

/*
 * EISAID("PNP0303") (§19.6.35): three letters compressed to 5 bits each,
 * big-endian, then four hex digits; stored as a DWord.
 */
static void aml_name_eisaid(struct abuf *b, const char *name, const char *id)
{
	uint8_t v[4];
	unsigned c1 = (unsigned)(id[0] - '@') & 0x1f;
	unsigned c2 = (unsigned)(id[1] - '@') & 0x1f;
	unsigned c3 = (unsigned)(id[2] - '@') & 0x1f;
	unsigned d[4];

	assert(strlen(id) == 7);
	for (int i = 0; i < 4; i++) {
		char c = id[3 + i];

		d[i] = (unsigned)(c <= '9' ? c - '0' : c - 'A' + 10) & 0xf;
	}
	v[0] = (uint8_t)((c1 << 2) | (c2 >> 3));
	v[1] = (uint8_t)(((c2 & 7) << 5) | c3);
	v[2] = (uint8_t)((d[0] << 4) | d[1]);
	v[3] = (uint8_t)((d[2] << 4) | d[3]);
	abuf_int(b, AML_NAME, 1);
	aml_name(b, name);
	abuf_int(b, AML_DWORD, 1);
	abuf_put(b, v, 4);
}

/* Name(_CRS, ResourceTemplate() { bytes }) */
static void aml_name_crs(struct abuf *b, const uint8_t *res, size_t len)
{
	static const uint8_t op[] = { AML_BUFFER };
	size_t at;

	abuf_int(b, AML_NAME, 1);
	aml_name(b, "_CRS");
	at = aml_open(b, op, sizeof(op));
	aml_integer(b, len);
	abuf_put(b, res, len);
	aml_close(b, at);
}

/* Resource descriptors (§6.4.2): small items only. */
#define RES_IO(port, len) \
	0x47, 0x01, (port)&0xff, (port) >> 8, (port)&0xff, (port) >> 8, 0x01, (len)
#define RES_IRQ_NOFLAGS(irq) 0x22, (1u << (irq)) & 0xff, (1u << (irq)) >> 8
#define RES_END 0x79, 0x00 /* checksum 0: "treat as valid" */

static void dsdt_cpus(struct abuf *b, unsigned nr_cpus)
{
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
		char name[16];
		size_t dev;

		/* Processor device (§8.4): _UID = the MADT's ACPI processor UID. */
		snprintf(name, sizeof(name), "C%03X", cpu & 0xfff);
		dev = aml_device(b, name);
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
	dev = aml_device(b, "KBD_");
	aml_name_eisaid(b, "_HID", "PNP0303");
	aml_name_crs(b, kbd_crs, sizeof(kbd_crs));
	aml_close(b, dev);

	dev = aml_device(b, "RTC_");
	aml_name_eisaid(b, "_HID", "PNP0B00");
	aml_name_crs(b, rtc_crs, sizeof(rtc_crs));
	aml_close(b, dev);
}

/*
 * DSDT (§5.2.11.1).  \_S5 (§7.4.2) is a package of SLP_TYPa, SLP_TYPb and
 * two reserved values; the OS writes SLP_TYPa | SLP_EN to PM1a_CNT.
 */
static size_t build_dsdt(struct builder *bd, unsigned nr_cpus)
{
	static const uint8_t pkg_op[] = { AML_PACKAGE };
	struct abuf *b = &bd->blob;
	size_t start = table_begin(bd, "DSDT", 1);
	size_t scope, pkg;

	scope = aml_scope(b, "\\_SB_");
	dsdt_cpus(b, nr_cpus);
	dsdt_legacy(b);
	aml_close(b, scope);

	abuf_int(b, AML_NAME, 1);
	aml_name(b, "\\_S5_");
	pkg = aml_open(b, pkg_op, sizeof(pkg_op));
	abuf_int(b, 4, 1); /* NumElements */
	aml_integer(b, PC_ACPI_S5_SLP_TYP);
	aml_integer(b, PC_ACPI_S5_SLP_TYP);
	aml_integer(b, 0);
	aml_integer(b, 0);
	aml_close(b, pkg);

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

/* Generic Address Structure (§5.2.3.2). */
static void abuf_gas(struct abuf *b, uint8_t space, uint8_t bits,
		     uint8_t access, uint64_t addr)
{
	abuf_int(b, space, 1);
	abuf_int(b, bits, 1);
	abuf_int(b, 0, 1); /* bit offset */
	abuf_int(b, access, 1);
	abuf_int(b, addr, 8);
}

static void abuf_gas_io(struct abuf *b, uint8_t bytes, uint64_t port)
{
	abuf_gas(b, GAS_SYSTEM_IO, (uint8_t)(bytes * 8), 0, port);
}

static void abuf_gas_none(struct abuf *b)
{
	abuf_put(b, NULL, 12);
}

static size_t build_fadt(struct builder *bd, size_t facs, size_t dsdt,
			 unsigned nr_cpus)
{
	struct abuf *b = &bd->blob;
	size_t start = table_begin(bd, "FACP", FADT_REV);
	uint32_t flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON |
			 FADT_F_FIX_RTC | FADT_F_RESET_REG_SUP |
			 FADT_F_USE_PLATFORM_CLOCK;

	/* Flat logical APIC destinations reach 8 CPUs at most (as QEMU). */
	if (nr_cpus > 8)
		flags |= FADT_F_APIC_CLUSTER;

	abuf_int(b, 0, 4); /* FIRMWARE_CTRL: set below */
	abuf_int(b, 0, 4); /* DSDT: set below */
	abuf_int(b, 1, 1); /* ACPI 1.0 INT_MODEL: APIC (reserved since 2.0) */
	abuf_int(b, 0, 1); /* preferred PM profile: unspecified */
	abuf_int(b, PC_ACPI_SCI_IRQ, 2);
	abuf_int(b, 0, 4); /* SMI_CMD: none, ACPI mode is fixed on */
	abuf_int(b, 0, 4); /* ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT */
	abuf_int(b, PC_ACPI_PM1_EVT_PORT, 4); /* PM1a_EVT_BLK */
	abuf_int(b, 0, 4); /* PM1b_EVT_BLK */
	abuf_int(b, PC_ACPI_PM1_CNT_PORT, 4); /* PM1a_CNT_BLK */
	abuf_int(b, 0, 4); /* PM1b_CNT_BLK */
	abuf_int(b, 0, 4); /* PM2_CNT_BLK */
	abuf_int(b, PC_ACPI_PM_TMR_PORT, 4); /* PM_TMR_BLK */
	abuf_int(b, 0, 4); /* GPE0_BLK: none */
	abuf_int(b, 0, 4); /* GPE1_BLK */
	abuf_int(b, PC_ACPI_PM1_EVT_LEN, 1);
	abuf_int(b, PC_ACPI_PM1_CNT_LEN, 1);
	abuf_int(b, 0, 1); /* PM2_CNT_LEN */
	abuf_int(b, PC_ACPI_PM_TMR_LEN, 1);
	abuf_int(b, 0, 1); /* GPE0_BLK_LEN */
	abuf_int(b, 0, 1); /* GPE1_BLK_LEN */
	abuf_int(b, 0, 1); /* GPE1_BASE */
	abuf_int(b, 0, 1); /* CST_CNT */
	abuf_int(b, 0x0fff, 2); /* P_LVL2_LAT > 100: no C2 */
	abuf_int(b, 0x0fff, 2); /* P_LVL3_LAT > 1000: no C3 */
	abuf_int(b, 0, 2); /* FLUSH_SIZE */
	abuf_int(b, 0, 2); /* FLUSH_STRIDE */
	abuf_int(b, 0, 1); /* DUTY_OFFSET */
	abuf_int(b, 0, 1); /* DUTY_WIDTH */
	abuf_int(b, 0, 1); /* DAY_ALRM */
	abuf_int(b, 0, 1); /* MON_ALRM */
	abuf_int(b, CMOS_CENTURY, 1); /* CENTURY: CMOS index */
	abuf_int(b, FADT_BOOT_8042, 2); /* IAPC_BOOT_ARCH */
	abuf_int(b, 0, 1); /* reserved */
	abuf_int(b, flags, 4);
	abuf_gas(b, GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE, PC_ACPI_RESET_PORT);
	abuf_int(b, PC_ACPI_RESET_VALUE, 1);
	abuf_put(b, NULL, 3); /* reserved */
	abuf_int(b, 0, 8); /* X_FIRMWARE_CTRL: the 32-bit field is used */
	abuf_int(b, 0, 8); /* X_DSDT: likewise */
	abuf_gas_io(b, PC_ACPI_PM1_EVT_LEN, PC_ACPI_PM1_EVT_PORT);
	abuf_gas_none(b); /* X_PM1b_EVT_BLK */
	abuf_gas_io(b, PC_ACPI_PM1_CNT_LEN, PC_ACPI_PM1_CNT_PORT);
	abuf_gas_none(b); /* X_PM1b_CNT_BLK */
	abuf_gas_none(b); /* X_PM2_CNT_BLK */
	abuf_gas_io(b, PC_ACPI_PM_TMR_LEN, PC_ACPI_PM_TMR_PORT);
	abuf_gas_none(b); /* X_GPE0_BLK */
	abuf_gas_none(b); /* X_GPE1_BLK */
	assert(b->failed || b->len - start == FADT_SIZE);

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
	abuf_int(b, MADT_ISO, 1);
	abuf_int(b, 10, 1);
	abuf_int(b, 0, 1); /* bus: ISA */
	abuf_int(b, irq, 1);
	abuf_int(b, gsi, 4);
	abuf_int(b, flags, 2);
}

static size_t build_madt(struct builder *bd, unsigned nr_cpus)
{
	struct abuf *b = &bd->blob;
	size_t start = table_begin(bd, "APIC", 1);

	abuf_int(b, PC_LAPIC_ADDR, 4);
	abuf_int(b, MADT_PCAT_COMPAT, 4);
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
		/* Processor Local APIC (§5.2.12.2): UID = APIC ID = index. */
		abuf_int(b, MADT_LAPIC, 1);
		abuf_int(b, 8, 1);
		abuf_int(b, cpu, 1);
		abuf_int(b, cpu, 1);
		abuf_int(b, MADT_ENABLED, 4);
	}
	/* I/O APIC (§5.2.12.3) */
	abuf_int(b, MADT_IOAPIC, 1);
	abuf_int(b, 12, 1);
	abuf_int(b, PC_IOAPIC_ID, 1);
	abuf_int(b, 0, 1);
	abuf_int(b, PC_IOAPIC_ADDR, 4);
	abuf_int(b, PC_IOAPIC_GSI_BASE, 4);
	/*
	 * Interrupt Source Overrides (§5.2.12.5): the PIT reaches IOAPIC pin
	 * 2; the SCI is level-triggered, active high (QEMU says the same).
	 */
	madt_iso(b, PC_PIT_IRQ, PC_PIT_GSI, MPS_INTI_CONFORMS);
	madt_iso(b, PC_ACPI_SCI_IRQ, PC_ACPI_SCI_IRQ, MPS_INTI_HIGH_LEVEL);
	/* Local APIC NMI (§5.2.12.7): LINT1 of every processor. */
	abuf_int(b, MADT_LAPIC_NMI, 1);
	abuf_int(b, 6, 1);
	abuf_int(b, 0xff, 1); /* all processors */
	abuf_int(b, MPS_INTI_CONFORMS, 2);
	abuf_int(b, 1, 1); /* LINT1 */
	table_end(bd, "APIC", start);
	return start;
}

/* ------------------------------------------------------------------------
 * SRAT (§5.2.16)
 * ------------------------------------------------------------------------ */
#define SRAT_CPU 0
#define SRAT_MEM 1
#define SRAT_ENABLED 1u

static void srat_memory(struct abuf *b, uint32_t node, uint64_t base,
			uint64_t len)
{
	if (!len)
		return;
	abuf_int(b, SRAT_MEM, 1);
	abuf_int(b, 40, 1);
	abuf_int(b, node, 4);
	abuf_int(b, 0, 2);
	abuf_int(b, base, 8);
	abuf_int(b, len, 8);
	abuf_int(b, 0, 4);
	abuf_int(b, SRAT_ENABLED, 4);
	abuf_int(b, 0, 8);
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

		abuf_int(b, SRAT_CPU, 1);
		abuf_int(b, 16, 1);
		abuf_int(b, node & 0xff, 1);
		abuf_int(b, cpu, 1); /* APIC ID */
		abuf_int(b, SRAT_ENABLED, 4);
		abuf_int(b, 0, 1); /* local SAPIC EID */
		abuf_int(b, node >> 8, 3);
		abuf_int(b, 0, 4); /* clock domain */
	}
	/*
	 * Memory Affinity (§5.2.16.2) for each RAM range of each node, with
	 * the legacy hole 640 KiB-1 MiB left out, as QEMU does.
	 */
	for (size_t n = 0; n < layout->nr_nodes; n++) {
		const struct pc_numa_node *nd = &layout->nodes[n];

		for (size_t r = 0; r < nd->nr_ranges; r++) {
			uint64_t s = nd->ranges[r].gpa;
			uint64_t e = s + nd->ranges[r].size;

			if (s < PC_BASE_MEMORY_END)
				srat_memory(b, nd->nodeid, s,
					    (e < PC_BASE_MEMORY_END ?
						     e :
						     PC_BASE_MEMORY_END) -
						    s);
			if (e > PC_ISA_BIOS_END) {
				uint64_t s1 = s > PC_ISA_BIOS_END ?
						      s :
						      PC_ISA_BIOS_END;

				srat_memory(b, nd->nodeid, s1, e - s1);
			}
		}
	}
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
	put_le(p + RSDP_RSDT_OFF, rsdt, 4);
	loader_add_pointer(bd, ACPI_RSDP_FILE, ACPI_TABLES_FILE, RSDP_RSDT_OFF,
			   4);
	loader_add_checksum(bd, ACPI_RSDP_FILE, RSDP_CHECKSUM_OFF, 0,
			    ACPI_RSDP_SIZE);
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
	loader_allocate(&bd, ACPI_RSDP_FILE, ACPI_RSDP_ALIGN,
			ACPI_LOADER_ZONE_FSEG);
	loader_allocate(&bd, ACPI_TABLES_FILE, ACPI_FACS_ALIGN,
			ACPI_LOADER_ZONE_HIGH);

	facs = build_facs(&bd);
	dsdt = build_dsdt(&bd, layout->nr_cpus);
	listed[nr++] = build_fadt(&bd, facs, dsdt, layout->nr_cpus);
	listed[nr++] = build_madt(&bd, layout->nr_cpus);
	if (layout->nr_nodes)
		listed[nr++] = build_srat(&bd, layout);
	rsdt = build_rsdt(&bd, listed, nr);
	build_rsdp(&bd, rsdt);

	if (bd.blob.failed || bd.cmds.failed)
		goto oom;
	used = (uint32_t)bd.blob.len;
	size = round_up(used, PC_ACPI_TABLES_ALIGN);
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

/* ------------------------------------------------------------------------
 * Host-side loader: what SeaBIOS's romfile_loader_execute() does
 * ------------------------------------------------------------------------ */

struct lfile {
	const char *name;
	uint8_t *data;
	uint32_t size;
	uint64_t gpa;
	bool placed;
};

static struct lfile *lfile_find(struct lfile *files, size_t n,
				const uint8_t *field)
{
	if (!memchr(field, 0, ACPI_LOADER_FILESZ))
		return NULL; /* unterminated name */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(files[i].name, (const char *)field))
			return &files[i];
	return NULL;
}

static int loader_one(struct lfile *files, size_t nfiles, const uint8_t *e,
		      size_t idx)
{
	uint32_t cmd = (uint32_t)get_le(e, 4);
	struct lfile *f = lfile_find(files, nfiles, e + 4);

	if (cmd == 0)
		return 0; /* padding */
	if (!f)
		return err_set("acpi loader: command %zu names an unknown file",
			       idx);
	switch (cmd) {
	case ACPI_LOADER_ALLOCATE: {
		uint32_t align = (uint32_t)get_le(e + ACPI_LOADER_ALLOC_ALIGN_OFF, 4);
		uint8_t zone = e[ACPI_LOADER_ALLOC_ZONE_OFF];
		uint64_t end = f->gpa + f->size;

		if (!align || (align & (align - 1)) || f->gpa % align)
			return err_set("acpi loader: %s at 0x%llx breaks its alignment %u",
				       f->name, (unsigned long long)f->gpa,
				       align);
		if (zone == ACPI_LOADER_ZONE_FSEG ?
			    f->gpa < 0xe0000 || end > PC_ISA_BIOS_END :
			    zone != ACPI_LOADER_ZONE_HIGH || end > X86_4G)
			return err_set("acpi loader: %s at 0x%llx is outside zone %u",
				       f->name, (unsigned long long)f->gpa,
				       zone);
		f->placed = true;
		return 0;
	}
	case ACPI_LOADER_ADD_POINTER: {
		struct lfile *src = lfile_find(files, nfiles,
					       e + ACPI_LOADER_PTR_SRC_OFF);
		uint32_t off = (uint32_t)get_le(e + ACPI_LOADER_PTR_OFFSET_OFF, 4);
		uint8_t size = e[ACPI_LOADER_PTR_SIZE_OFF];
		uint64_t v;

		if (!src || !f->placed || !src->placed)
			return err_set("acpi loader: pointer %zu uses a file not placed",
				       idx);
		if ((size != 1 && size != 2 && size != 4 && size != 8) ||
		    off > f->size || size > f->size - off)
			return err_set("acpi loader: pointer %zu (offset %u, size %u) outside %s",
				       idx, off, size, f->name);
		v = get_le(f->data + off, size) + src->gpa;
		if (size < 8 && v >> (8 * size))
			return err_set("acpi loader: pointer %zu overflows %u bytes",
				       idx, size);
		put_le(f->data + off, v, size);
		return 0;
	}
	case ACPI_LOADER_ADD_CHECKSUM: {
		uint32_t off = (uint32_t)get_le(e + ACPI_LOADER_CKSUM_OFFSET_OFF, 4);
		uint32_t start = (uint32_t)get_le(e + ACPI_LOADER_CKSUM_START_OFF, 4);
		uint32_t len = (uint32_t)get_le(e + ACPI_LOADER_CKSUM_LEN_OFF, 4);

		if (!f->placed || off >= f->size || start > f->size ||
		    len > f->size - start)
			return err_set("acpi loader: checksum %zu outside %s",
				       idx, f->name);
		f->data[off] =
			(uint8_t)(f->data[off] - acpi_checksum(f->data + start, len));
		return 0;
	}
	default:
		return err_set("acpi loader: command %zu: unknown command %u",
			       idx, cmd);
	}
}

int acpi_loader_execute(const struct acpi_tables *t, uint64_t tables_gpa,
			uint64_t rsdp_gpa, uint8_t *tables_out,
			uint8_t *rsdp_out)
{
	struct lfile files[] = {
		{ ACPI_TABLES_FILE, tables_out, t->tables_size, tables_gpa,
		  false },
		{ ACPI_RSDP_FILE, rsdp_out, ACPI_RSDP_SIZE, rsdp_gpa, false },
	};

	if (!t->tables || !t->loader ||
	    t->loader_size % ACPI_LOADER_ENTRY_SIZE)
		return err_set("acpi loader: no tables or a truncated command list");
	memcpy(tables_out, t->tables, t->tables_size);
	memcpy(rsdp_out, t->rsdp, ACPI_RSDP_SIZE);
	for (size_t i = 0; i < t->loader_size / ACPI_LOADER_ENTRY_SIZE; i++)
		if (loader_one(files, 2, t->loader + i * ACPI_LOADER_ENTRY_SIZE,
			       i) < 0)
			return -1;
	return 0;
}
