/* SPDX-License-Identifier: MIT */
/*
 * Loading Linux directly on the pc machine (-kernel/-initrd/-append), by the
 * x86 boot protocol (Documentation/arch/x86/boot.rst): the kernel, the
 * initrd, the command line and the zero page with the E820 map, then the
 * boot vCPU in long mode at the 64-bit entry (or protected mode at the
 * 32-bit one) with RSI pointing at the zero page.
 */
#ifndef MINIVMM_X86_LINUX_BOOT_H
#define MINIVMM_X86_LINUX_BOOT_H

#include "e820.h"
#include "pc_memory.h"

struct vm;

/*
 * The E820 map Linux gets in the zero page: the machine's table with the
 * low megabyte described as firmware would (RAM to the EBDA, the EBDA and
 * BIOS area reserved), and [acpi_base, end of low RAM) as ACPI data (the
 * tables; acpi_base = end of low RAM when there are none).
 */
int linux_boot_e820(const struct pc_memory_layout *layout,
		    uint64_t acpi_base, struct e820_table *out);

/* The same, with the ACPI tables where linux_boot_setup() puts them. */
int linux_boot_table(const struct pc_memory_layout *layout,
		     struct e820_table *out);

int linux_boot_setup(struct vm *vm, const struct pc_memory_layout *layout);

/*
 * Shared with the PVH loader (pvh.c).  Both also record what they did in the
 * zero page zp (4 KiB): place_acpi the RSDP address (when there are tables),
 * load_initrd the initrd's address and size (BZ_RAMDISK_IMAGE/SIZE).
 * place_acpi puts the ACPI tables at the top of low RAM and the RSDP at
 * LINUX_RSDP_ADDR; *acpi_base is where the tables start (the end of low RAM
 * when there are none).  load_initrd reads -initrd and puts it as high as
 * k allows below low_end and above kernel_end.
 */
struct bzimage_info;
int place_acpi(struct vm *vm, const struct pc_memory_layout *layout,
	       uint64_t *acpi_base, uint8_t *zp);
int load_initrd(struct vm *vm, const struct bzimage_info *k,
		uint64_t low_end, uint64_t kernel_end, uint8_t *zp);

/* Copy an ELF kernel's PT_LOAD segments to their physical addresses. */
struct elf_info;
int linux_load_elf(struct vm *vm, const char *name, const struct elf_info *info,
		   const uint8_t *image);

#endif
