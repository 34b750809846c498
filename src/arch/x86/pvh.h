/* SPDX-License-Identifier: MIT */
/*
 * Booting an ELF kernel (vmlinux) by its PVH entry point, the way QEMU and
 * Firecracker do: the PT_LOAD segments at their physical addresses, then
 * struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h) with
 * the command line, the initrd as module 0, the RSDP and the memory map, and
 * the boot vCPU in 32-bit protected mode, paging off, at the address of the
 * XEN_ELFNOTE_PHYS32_ENTRY note with EBX = the start_info address.
 */
#ifndef MINIVMM_X86_PVH_H
#define MINIVMM_X86_PVH_H

#include <stddef.h>
#include <stdint.h>

#include "pc_memory.h"

struct vm;

#define PVH_START_MAGIC 0x336ec578u /* "xEn3" with the 0x80 bit of 'E' */
#define PVH_START_VERSION 1 /* version 1 adds the memory map */

/* Sizes and field offsets of the start-of-day structures (little-endian). */
#define PVH_START_INFO_SIZE 56
#define PVH_SI_MAGIC 0
#define PVH_SI_VERSION 4
#define PVH_SI_FLAGS 8
#define PVH_SI_NR_MODULES 12
#define PVH_SI_MODLIST_PADDR 16
#define PVH_SI_CMDLINE_PADDR 24
#define PVH_SI_RSDP_PADDR 32
#define PVH_SI_MEMMAP_PADDR 40
#define PVH_SI_MEMMAP_ENTRIES 48
#define PVH_MODLIST_ENTRY_SIZE 32 /* paddr, size, cmdline_paddr, reserved */
#define PVH_MEMMAP_ENTRY_SIZE 24 /* addr, size, type (E820 type), reserved */

/*
 * Load the ELF kernel in image[0, len) (already read from -kernel) and set
 * up the PVH boot.  Refuses (-1, err_msg()) what elf_parse() refuses, a
 * kernel below 1 MiB or reaching the ACPI tables / end of low RAM, an initrd
 * that does not fit, and a command line longer than LINUX_CMDLINE_MAX.
 */
int pvh_boot_setup(struct vm *vm, const struct pc_memory_layout *layout,
		   const uint8_t *image, size_t len);

#endif
