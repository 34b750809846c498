/* SPDX-License-Identifier: MIT */
/*
 * Multiboot v1 kernels (Multiboot Specification 0.6.96): the header in the
 * first 8 KiB, the load plan it gives (the a.out-kludge address fields, or
 * a 32-bit ELF's PT_LOAD segments at their physical addresses), and
 * QEMU's -initrd module list ("file args,file args", ",," a literal comma).
 *
 * Pure parser over a buffer: no guest memory, no KVM, never exits.  Every
 * field read from the file is checked against the file and against 4 GiB
 * (the kernel runs in 32-bit protected mode, paging off); refusals return
 * -1 with err_msg() set.  src/arch/x86/multiboot.c boots the result.
 */
#ifndef MINIVMM_LOADER_MULTIBOOT_H
#define MINIVMM_LOADER_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/elf.h"

#define MB_HEADER_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u /* EAX at the kernel's entry */
#define MB_SEARCH_BYTES 8192 /* the header lies in the first 8 KiB */
#define MB_HEADER_SIZE 12 /* magic, flags, checksum */
#define MB_AOUT_HEADER_SIZE 32 /* + header/load/load_end/bss_end/entry */

/* Header flags (§3.1.2).  Bits 0-15 are requirements a loader must meet. */
#define MB_FLAG_PAGE_ALIGN (1u << 0) /* modules on 4 KiB boundaries */
#define MB_FLAG_MEMORY_INFO (1u << 1) /* mem_* and the memory map */
#define MB_FLAG_VIDEO_MODE (1u << 2) /* a video mode (not offered) */
#define MB_FLAG_AOUT_KLUDGE (1u << 16) /* the address fields are valid */
#define MB_FLAGS_REQUIRED_MASK 0xffffu
#define MB_FLAGS_REQUIRED_KNOWN \
	(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE)

struct multiboot_image {
	uint32_t header_offset; /* in the file */
	uint32_t flags;
	bool aout_kludge; /* loaded by the address fields, not as an ELF */
	uint32_t entry; /* physical address of the first instruction */
	/*
	 * What to copy where: the ELF's PT_LOAD segments, or the a.out
	 * kludge's one range; load_start/load_end span them (end exclusive,
	 * bss included) and never pass 4 GiB.
	 */
	struct elf_info elf;
};

/*
 * Look for a multiboot header in the first 8 KiB of the `len`-byte file:
 * at a 4-byte boundary, the magic with flags and a checksum that sum to 0
 * (a magic whose checksum does not match is not a header, as QEMU treats
 * it).  Returns 0 when there is none; 1 with *out filled when there is one
 * and the kernel can be loaded; -1 (err_msg() prefixed with `name`) for a
 * header that is there but unusable: required flags this loader does not
 * know, a.out-kludge fields that are truncated, inconsistent (header_addr
 * below load_addr or past the header, load_end_addr below load_addr or
 * past the file, bss_end_addr below load_end_addr), an image past 4 GiB or
 * an entry outside the loaded bytes; without the kludge, a file that is not
 * an ELF, a 64-bit ELF, what elf_parse() refuses, a segment past 4 GiB,
 * and an entry (after QEMU's virtual-to-physical adjustment) outside every
 * loaded segment.
 */
int multiboot_parse(const uint8_t *buf, size_t len, const char *name,
		    struct multiboot_image *out);

#define MB_MAX_MODULES 64

struct multiboot_module_spec {
	char *cmdline; /* the whole entry: file name, a space, arguments */
	size_t name_len; /* the file name: cmdline[0, name_len) */
};

/*
 * Split QEMU's -initrd value for a multiboot kernel into modules: entries
 * separated by ',' (",," is a comma inside an entry); an entry's first
 * space ends its file name, and the whole entry is the module's command
 * line.  Fills mods[0..*n) with malloc'd strings (multiboot_modules_free).
 * Refuses (-1, err_msg()) an empty entry or file name, and more than
 * MB_MAX_MODULES entries.
 */
int multiboot_modules_parse(const char *spec,
			    struct multiboot_module_spec *mods, size_t *n);
void multiboot_modules_free(struct multiboot_module_spec *mods, size_t n);

#endif
