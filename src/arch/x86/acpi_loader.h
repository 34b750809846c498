/* SPDX-License-Identifier: MIT */
/*
 * Writing the fw_cfg table-loader script ACPI_LOADER_FILE (QEMU
 * hw/acpi/bios-linker-loader.c; the format is in acpi.h): one 128-byte
 * command per call, appended to cmds.  The files are named by their
 * fw_cfg names (ACPI_TABLES_FILE, ACPI_RSDP_FILE).  Running a script on
 * the host is acpi_loader_execute() in acpi.h.
 */
#ifndef MINIVMM_X86_ACPI_LOADER_H
#define MINIVMM_X86_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "acpi_aml.h"

/* ALLOCATE: place file at an align-aligned address in zone (ZONE_*). */
void acpi_loader_allocate(struct abuf *cmds, const char *file, uint32_t align,
			  uint8_t zone);

/*
 * ADD_POINTER: add the address of src to the size-byte little-endian
 * value at offset in dest.
 */
void acpi_loader_add_pointer(struct abuf *cmds, const char *dest,
			     const char *src, size_t offset, uint8_t size);

/*
 * ADD_CHECKSUM: set the byte at offset in file so that [start, start +
 * len) sums to 0.
 */
void acpi_loader_add_checksum(struct abuf *cmds, const char *file,
			      size_t offset, size_t start, size_t len);

#endif
