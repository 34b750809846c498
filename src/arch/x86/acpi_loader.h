/* SPDX-License-Identifier: MIT */
/*
 * Running QEMU's ACPI "linker/loader" script ourselves, for guests booted
 * without firmware (-kernel).  With firmware, SeaBIOS reads the same script
 * from fw_cfg "etc/table-loader" and does this; here minivmm places the
 * files in guest memory, patches the pointers between them and fixes the
 * checksums, so a Linux booted directly gets the same tables.
 *
 * Format (QEMU hw/acpi/bios-linker-loader.c): 128-byte little-endian
 * entries, u32 command then:
 *   1 ALLOCATE      char file[56]; u32 align; u8 zone (1 high, 2 FSEG)
 *   2 ADD_POINTER   char dest[56]; char src[56]; u32 offset; u8 size
 *   3 ADD_CHECKSUM  char file[56]; u32 offset; u32 start; u32 length
 *   4 WRITE_POINTER (not needed for ACPI tables; refused)
 * Every offset, size and address is bounds-checked; the script is data
 * from our own builder, but it is treated as untrusted all the same.
 */
#ifndef MINIVMM_X86_ACPI_LOADER_H
#define MINIVMM_X86_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

#define ACPI_LOADER_ENTRY_SIZE 128
#define ACPI_LOADER_NAME_MAX 56
#define ACPI_LOADER_MAX_FILES 8

struct acpi_loader_file {
	const char *name;
	const uint8_t *data;
	uint32_t len;
	uint64_t gpa; /* filled in by ALLOCATE */
};

/* A window of guest RAM the allocator may use, filled from its base up. */
struct acpi_loader_zone {
	uint64_t base;
	uint64_t size;
	uint64_t used;
};

/*
 * Run `script` over `files`: HIGH allocations go to `high`, FSEG ones to
 * `fseg`.  Returns 0 with every allocated file's gpa set, or -1 with
 * err_msg() naming the offending entry.
 */
int acpi_loader_run(struct guest_mem *mem, const uint8_t *script, size_t len,
		    struct acpi_loader_file *files, size_t nr_files,
		    struct acpi_loader_zone *high, struct acpi_loader_zone *fseg);

#endif
