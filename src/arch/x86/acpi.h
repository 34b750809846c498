/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for the pc machine, delivered the way QEMU delivers them.
 *
 * The builder turns the machine's vCPU count and NUMA layout into a set of
 * tables (ACPI 6.4 chapter 5) laid out in one blob, as QEMU 7.2 does for
 * its i440fx "pc" machine:
 *
 *   blob offset 0 ... FACS (64 bytes, 64-byte aligned)
 *               64 .. DSDT: \_S5 and \_SB with the vCPUs (ACPI0007), the
 *                     keyboard controller (PNP0303) and the RTC (PNP0B00)
 *               ..... FACP (FADT revision 3), APIC (MADT), SRAT when the
 *                     machine has NUMA nodes, RSDT last
 *   zero padding to a multiple of PC_ACPI_TABLES_ALIGN (128 KiB); for
 *   pc-i440fx-1.7 and -2.0 to the size QEMU 7.2 gives those (4 KiB steps)
 *
 * plus a 20-byte RSDP (revision 0: RSDT only, as QEMU's pc machine) and a
 * linker/loader command list (QEMU hw/acpi/bios-linker-loader.c; SeaBIOS
 * src/fw/romfile_loader.c executes it).  Pointers between tables hold
 * offsets into the blob and every checksum byte is 0; the firmware places
 * the files, adds their addresses to the pointers and computes the
 * checksums.  acpi_loader_execute() does the same on the host, for a
 * monitor that places the tables itself and for the tests.
 *
 * fw_cfg file names: ACPI_TABLES_FILE, ACPI_RSDP_FILE, ACPI_LOADER_FILE.
 * Pure computation: no KVM, no globals; refusals are err_set() messages.
 */
#ifndef MINIVMM_X86_ACPI_H
#define MINIVMM_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_memory.h"

#define ACPI_TABLES_FILE "etc/acpi/tables"
#define ACPI_RSDP_FILE "etc/acpi/rsdp"
#define ACPI_LOADER_FILE "etc/table-loader"

/* Linker/loader command entries: little-endian, 128 bytes each. */
#define ACPI_LOADER_ENTRY_SIZE 128
#define ACPI_LOADER_FILESZ 56 /* file names, NUL included */
#define ACPI_LOADER_ALLOCATE 1
#define ACPI_LOADER_ADD_POINTER 2
#define ACPI_LOADER_ADD_CHECKSUM 3
#define ACPI_LOADER_ZONE_HIGH 1 /* anywhere in RAM below 4 GiB */
#define ACPI_LOADER_ZONE_FSEG 2 /* 0xe0000-0xfffff, where an OS scans */

/*
 * Field offsets inside an entry (after the u32 command at 0):
 *   ALLOCATE      file[56] @4, u32 align @60, u8 zone @64
 *   ADD_POINTER   dest[56] @4, src[56] @60, u32 offset @116, u8 size @120
 *   ADD_CHECKSUM  file[56] @4, u32 offset @60, u32 start @64, u32 len @68
 */
#define ACPI_LOADER_ALLOC_ALIGN_OFF 60
#define ACPI_LOADER_ALLOC_ZONE_OFF 64
#define ACPI_LOADER_PTR_SRC_OFF 60
#define ACPI_LOADER_PTR_OFFSET_OFF 116
#define ACPI_LOADER_PTR_SIZE_OFF 120
#define ACPI_LOADER_CKSUM_OFFSET_OFF 60
#define ACPI_LOADER_CKSUM_START_OFF 64
#define ACPI_LOADER_CKSUM_LEN_OFF 68

#define ACPI_RSDP_SIZE 20 /* revision 0 (ACPI 1.0) RSDP */
#define ACPI_HEADER_SIZE 36 /* common table header, ACPI 6.4 §5.2.6 */
#define ACPI_FACS_ALIGN 64
#define ACPI_RSDP_ALIGN 16

/* OEM fields of every table. */
#define ACPI_OEM_ID "MVMM  " /* 6 bytes */
#define ACPI_OEM_TABLE_PREFIX "MVMM" /* + the signature: "MVMMFACP" */
#define ACPI_CREATOR_ID "MVMM"
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_REVISION 1

/* At most 255 vCPUs: xAPIC MADT entries carry 8-bit IDs (0xff = all). */
#define ACPI_MAX_CPUS 255
#define ACPI_MAX_TABLES 8

struct acpi_table_info {
	char sig[5];
	uint32_t offset; /* in the tables blob */
	uint32_t length;
};

struct acpi_tables {
	uint8_t *tables; /* ACPI_TABLES_FILE, tables_size bytes */
	uint32_t tables_size; /* padded as QEMU pads it (see blob_size()) */
	uint32_t tables_used; /* bytes before the padding */
	uint8_t rsdp[ACPI_RSDP_SIZE]; /* ACPI_RSDP_FILE */
	uint8_t *loader; /* ACPI_LOADER_FILE, loader_size bytes */
	uint32_t loader_size; /* padded to a multiple of PC_ACPI_LOADER_ALIGN */
	uint32_t loader_cmds; /* entries before the padding */
	struct acpi_table_info info[ACPI_MAX_TABLES]; /* in blob order */
	size_t nr_tables;
};

/*
 * Build the tables for layout->nr_cpus vCPUs (APIC IDs 0..n-1, all
 * enabled) and, when layout->nr_nodes > 0, an SRAT from layout->nodes[]
 * and layout->cpu_node[].  Refused (-1, err_msg()): no vCPU or more than
 * ACPI_MAX_CPUS, a node id out of range, a node with more than two ranges,
 * and running out of memory.  On success the caller frees with
 * acpi_tables_free(); on failure nothing is left allocated.
 */
int acpi_build(const struct pc_memory_layout *layout, struct acpi_tables *out);

/*
 * Whether the machine type gets tables through fw_cfg at all: QEMU builds
 * them for pc-i440fx-1.7 and later (1.4-1.6 leave ACPI to the firmware).
 */
bool acpi_machine_has_tables(const struct pc_compat *compat);
void acpi_tables_free(struct acpi_tables *t);

/* The table with signature sig ("DSDT", "FACP", ...), or NULL. */
const struct acpi_table_info *acpi_find_table(const struct acpi_tables *t,
					      const char *sig);

/*
 * Run t's loader commands the way firmware does, on host copies: the blob
 * is taken to live at guest-physical tables_gpa and the RSDP at rsdp_gpa.
 * Copies the files to tables_out (t->tables_size bytes) and rsdp_out
 * (ACPI_RSDP_SIZE bytes), then patches pointers and checksums there.
 * Every command is checked (known file, alignment of the placement, ranges
 * inside the file, pointer sizes 1/2/4/8, no pointer overflow); -1 with
 * err_msg() on the first bad one.
 */
int acpi_loader_execute(const struct acpi_tables *t, uint64_t tables_gpa,
			uint64_t rsdp_gpa, uint8_t *tables_out,
			uint8_t *rsdp_out);

/* Sum of len bytes modulo 256: a table is valid when it is 0. */
uint8_t acpi_checksum(const uint8_t *p, size_t len);

#endif
