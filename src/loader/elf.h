/* SPDX-License-Identifier: MIT */
/*
 * x86 ELF executables: an uncompressed Linux vmlinux (booted through its
 * PVH entry point, the Xen XEN_ELFNOTE_PHYS32_ENTRY note, when it has one),
 * the vmlinux inside a bzImage (entered at its 64-bit entry), or a 32-bit
 * multiboot kernel (loaded at its segments' physical addresses).
 *
 * Pure parser over a buffer: no guest memory, no KVM, never exits.  Every
 * offset and size read from the file is checked against the buffer (with
 * overflow checks) before use; refusals return -1 with err_msg() set.
 */
#ifndef MINIVMM_LOADER_ELF_H
#define MINIVMM_LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_EHDR_SIZE 64 /* Elf64_Ehdr */
#define ELF_EHDR_SIZE32 52 /* Elf32_Ehdr */
#define ELF_PHDR_SIZE 56 /* Elf64_Phdr */
#define ELF_MAX_PHDRS 64 /* more program headers than this are refused */

#define ELF_PT_LOAD 1
#define ELF_PT_NOTE 4
#define ELF_EM_386 3
#define ELF_EM_X86_64 62
#define ELF_PF_X 1 /* p_flags: executable */

/* xen/include/public/elfnote.h: owner "Xen", 32-bit physical entry. */
#define ELF_NOTE_XEN "Xen"
#define ELF_XEN_ELFNOTE_PHYS32_ENTRY 18

struct elf_segment {
	uint64_t offset; /* in the file */
	uint64_t vaddr; /* where the program runs it (a vmlinux: the kernel map) */
	uint64_t paddr; /* where it is loaded */
	uint64_t filesz; /* bytes copied from the file */
	uint64_t memsz; /* bytes in memory; the rest is zeroed */
	uint32_t flags; /* p_flags (ELF_PF_X, ...) */
};

struct elf_info {
	unsigned elf_class; /* 32 or 64 */
	uint64_t e_entry; /* the ELF entry (a vmlinux: physical startup_64) */
	uint32_t pvh_entry; /* physical 32-bit entry from the Xen note */
	bool has_pvh_entry; /* that note was there */
	struct elf_segment segs[ELF_MAX_PHDRS]; /* PT_LOAD, memsz > 0 */
	size_t nr_segs;
	uint64_t load_start; /* lowest p_paddr of the segments */
	uint64_t load_end; /* highest p_paddr + p_memsz (exclusive) */
};

/* True when buf starts with the ELF magic (0x7f 'E' 'L' 'F'). */
bool elf_is_elf(const uint8_t *buf, size_t len);

/*
 * Parse a little-endian x86 executable of `len` bytes: ELF64 for x86-64 or
 * ELF32 for i386.  Refuses
 * (-1, err_msg() prefixed with `name`) a bad magic, class, byte order,
 * version, type or machine; program headers outside the file, of the wrong
 * size or more than ELF_MAX_PHDRS; a PT_LOAD whose file range is outside the
 * file, whose filesz exceeds memsz or whose paddr + memsz wraps; no PT_LOAD;
 * and a truncated or malformed note (or a PVH entry note whose address does
 * not fit in 32 bits).  has_pvh_entry tells whether that note was there.
 */
int elf_parse(const uint8_t *buf, size_t len, const char *name,
	      struct elf_info *info);

#endif
