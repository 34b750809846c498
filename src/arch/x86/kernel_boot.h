/* SPDX-License-Identifier: MIT */
/*
 * -kernel on the pc machine: what every x86 kernel boot needs, whichever
 * entry protocol the image speaks.
 *
 * kernel_boot_setup() reads the -kernel file and hands it to the loader
 * for its format: a bzImage to linux_boot.c (the x86 boot protocol, the
 * zero page), an ELF vmlinux to pvh.c (the PVH entry, hvm_start_info).
 * Both loaders use the pieces below and nothing of each other:
 *
 *   - kernel_boot_e820(): the memory map the OS gets (either table format);
 *   - kernel_boot_place_tables(): the MP table and the ACPI tables, placed
 *     and linked without firmware;
 *   - kernel_boot_load_initrd(): -initrd, as high as the kernel allows;
 *   - kernel_boot_load_elf(): an ELF kernel's PT_LOAD segments;
 *   - kernel_boot_cmdline(): -append at LINUX_CMDLINE.
 *
 * Addresses are in layout.h (LINUX_*, PVH_*).  Every refusal is -1 with
 * err_msg() naming the option.
 */
#ifndef MINIVMM_X86_KERNEL_BOOT_H
#define MINIVMM_X86_KERNEL_BOOT_H

#include <stdint.h>

#include "e820.h"
#include "pc_memory.h"

struct vm;
struct elf_info;

/* Read -kernel and boot it by its own protocol (bzImage, multiboot or PVH ELF). */
int kernel_boot_setup(struct vm *vm, const struct pc_memory_layout *layout);

/*
 * The E820 map the OS gets: the machine's table with the low megabyte
 * described as firmware would (RAM to the EBDA, the EBDA and BIOS area
 * reserved), and [acpi_base, end of low RAM) as ACPI data (the tables;
 * acpi_base = end of low RAM when there are none).
 */
int kernel_boot_e820(const struct pc_memory_layout *layout, uint64_t acpi_base,
		     struct e820_table *out);

/* The same, with the ACPI tables where kernel_boot_place_tables() puts them. */
int kernel_boot_table(const struct pc_memory_layout *layout,
		      struct e820_table *out);

struct kernel_boot_tables {
	uint64_t acpi_base; /* the ACPI blob; the end of low RAM if none */
	uint64_t rsdp; /* the RSDP; 0 when the machine type has no tables */
};

/*
 * The MP tables (MP spec 1.4) at LINUX_MPTABLE_ADDR, for kernels told
 * acpi=off; the ACPI tables, when the machine type has them, at the top of
 * low RAM (where SeaBIOS would put them) with the RSDP at LINUX_RSDP_ADDR
 * in the BIOS area the OS scans, linked by the table-loader script.
 */
int kernel_boot_place_tables(struct vm *vm,
			     const struct pc_memory_layout *layout,
			     struct kernel_boot_tables *out);

struct kernel_boot_initrd {
	uint64_t addr;
	uint64_t size;
};

/*
 * Read -initrd and put it page-aligned as high as it goes below both
 * addr_max + 1 (the kernel's highest initrd address) and low_end, and
 * above kernel_end (Documentation/arch/x86/boot.rst).  A file larger than
 * low_end, or one that does not fit, is refused.
 */
int kernel_boot_load_initrd(struct vm *vm, uint64_t addr_max, uint64_t low_end,
			    uint64_t kernel_end,
			    struct kernel_boot_initrd *out);

/*
 * Copy the PT_LOAD segments of the ELF kernel in image (the -kernel name
 * is for messages) to their physical addresses, zeroing each one's bss.
 */
int kernel_boot_load_elf(struct vm *vm, const char *name,
			 const struct elf_info *info, const uint8_t *image);

/* A whole regular file of 1 to max bytes, malloc'd; opt names the option. */
uint8_t *kernel_boot_read_file(const char *opt, const char *path, uint64_t max,
			       uint64_t *len);

/* No limit of the kernel's own: only the room at LINUX_CMDLINE counts. */
#define KERNEL_CMDLINE_ANY UINT64_MAX

/*
 * Copy -append ("" without one) with its NUL to LINUX_CMDLINE.  Refused
 * when longer than kernel_max bytes (the kernel's limit, without the NUL)
 * or than the room there (LINUX_CMDLINE_MAX with the NUL).
 */
int kernel_boot_cmdline(struct vm *vm, uint64_t kernel_max);

#endif
