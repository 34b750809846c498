// SPDX-License-Identifier: MIT
#include "elf.h"
#include "byteorder.h"

#include <string.h>

#include "log.h"

/* ELF header and program header field offsets (System V gABI). */
struct elf_layout {
	unsigned ehdr_size, entry, phoff, phentsize, phnum, word;
	unsigned phdr_size, ph_offset, ph_vaddr, ph_paddr, ph_filesz, ph_memsz,
		ph_flags, ph_align;
};

static const struct elf_layout elf64_layout = {
	.ehdr_size = 64, .entry = 24, .phoff = 32, .phentsize = 54,
	.phnum = 56, .word = 8, .phdr_size = 56, .ph_offset = 8,
	.ph_vaddr = 16, .ph_paddr = 24, .ph_filesz = 32, .ph_memsz = 40,
	.ph_flags = 4, .ph_align = 48,
};

static const struct elf_layout elf32_layout = {
	.ehdr_size = 52, .entry = 24, .phoff = 28, .phentsize = 42,
	.phnum = 44, .word = 4, .phdr_size = 32, .ph_offset = 4,
	.ph_vaddr = 8, .ph_paddr = 12, .ph_filesz = 16, .ph_memsz = 20,
	.ph_flags = 24, .ph_align = 28,
};

#define EH_CLASS 4
#define EH_DATA 5
#define EH_VERSION_ID 6
#define EH_TYPE 16
#define EH_MACHINE 18
#define EH_VERSION 20
#define PH_TYPE 0

#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define ET_DYN 3

#define NOTE_HDR_SIZE 12 /* namesz, descsz, type: 32 bits each */

/* [off, off + size) lies inside a buffer of len bytes (no wrap). */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

bool elf_is_elf(const uint8_t *buf, size_t len)
{
	return len >= 4 && memcmp(buf, "\177ELF", 4) == 0;
}

/*
 * Walk the notes of one PT_NOTE segment, [off, off + size) of the file,
 * already checked to lie inside it.  *found is set when the PVH note is
 * there.
 */
static int walk_notes(const uint8_t *buf, uint64_t off, uint64_t size,
		      uint64_t align, const char *name, struct elf_info *info,
		      bool *found)
{
	uint64_t pos = 0;

	while (pos < size) {
		uint64_t namesz, descsz, type, name_end, desc_off, desc_end;
		const uint8_t *n;

		if (size - pos < NOTE_HDR_SIZE)
			return err_set("%s: truncated note header at file offset 0x%llx",
				       name, (unsigned long long)(off + pos));
		n = buf + off + pos;
		namesz = le_get(n, 4);
		descsz = le_get(n + 4, 4);
		type = le_get(n + 8, 4);
		/* 32-bit sizes in 64-bit arithmetic: no overflow here. */
		name_end = pos + NOTE_HDR_SIZE + namesz;
		desc_off = align_up(name_end, align);
		desc_end = desc_off + descsz;
		if (desc_end > size)
			return err_set("%s: truncated note at file offset 0x%llx (name %llu bytes, desc %llu bytes, %llu left in the segment)",
				       name, (unsigned long long)(off + pos),
				       (unsigned long long)namesz,
				       (unsigned long long)descsz,
				       (unsigned long long)(size - pos));
		if (type == ELF_XEN_ELFNOTE_PHYS32_ENTRY &&
		    namesz == sizeof(ELF_NOTE_XEN) &&
		    memcmp(n + NOTE_HDR_SIZE, ELF_NOTE_XEN,
			   sizeof(ELF_NOTE_XEN)) == 0) {
			const uint8_t *d = buf + off + desc_off;
			uint64_t entry;

			/* Linux stores a pointer-sized value; others 32 bits. */
			if (descsz != 4 && descsz != 8)
				return err_set("%s: PVH entry note has %llu bytes of data, expected 4 or 8",
					       name, (unsigned long long)descsz);
			entry = le_get(d, (unsigned)descsz);
			if (entry > UINT32_MAX)
				return err_set("%s: PVH entry 0x%llx is above 4 GiB",
					       name, (unsigned long long)entry);
			info->pvh_entry = (uint32_t)entry;
			*found = true;
		}
		pos = align_up(desc_end, align);
	}
	return 0;
}

int elf_parse(const uint8_t *buf, size_t len, const char *name,
	      struct elf_info *info)
{
	const struct elf_layout *l;
	uint64_t phoff, phentsize, phnum, type, machine;
	bool found = false;

	memset(info, 0, sizeof(*info));
	if (len < ELF_EHDR_SIZE32)
		return err_set("%s: %zu bytes, too short for an ELF header",
			       name, len);
	if (!elf_is_elf(buf, len))
		return err_set("%s: no ELF magic", name);
	if (buf[EH_CLASS] == ELFCLASS64) {
		l = &elf64_layout;
		info->elf_class = 64;
		machine = ELF_EM_X86_64;
	} else if (buf[EH_CLASS] == ELFCLASS32) {
		l = &elf32_layout;
		info->elf_class = 32;
		machine = ELF_EM_386;
	} else {
		return err_set("%s: ELF class %u, neither 32-bit (1) nor 64-bit (2)",
			       name, buf[EH_CLASS]);
	}
	if (len < l->ehdr_size)
		return err_set("%s: %zu bytes, too short for an ELF header",
			       name, len);
	if (buf[EH_DATA] != ELFDATA2LSB)
		return err_set("%s: ELF data encoding %u, only little-endian (1) is supported",
			       name, buf[EH_DATA]);
	if (buf[EH_VERSION_ID] != EV_CURRENT ||
	    le_get(buf + EH_VERSION, 4) != EV_CURRENT)
		return err_set("%s: unknown ELF version", name);
	type = le_get(buf + EH_TYPE, 2);
	if (type != ET_EXEC && type != ET_DYN)
		return err_set("%s: ELF type %llu is not an executable", name,
			       (unsigned long long)type);
	if (le_get(buf + EH_MACHINE, 2) != machine)
		return err_set("%s: ELF machine %llu, not %s (%llu)", name,
			       (unsigned long long)le_get(buf + EH_MACHINE, 2),
			       info->elf_class == 64 ? "x86-64" : "i386",
			       (unsigned long long)machine);
	info->e_entry = le_get(buf + l->entry, l->word);

	phoff = le_get(buf + l->phoff, l->word);
	phentsize = le_get(buf + l->phentsize, 2);
	phnum = le_get(buf + l->phnum, 2);
	if (phnum == 0)
		return err_set("%s: no program headers", name);
	if (phnum > ELF_MAX_PHDRS)
		return err_set("%s: %llu program headers, at most %d are accepted",
			       name, (unsigned long long)phnum, ELF_MAX_PHDRS);
	if (phentsize != l->phdr_size)
		return err_set("%s: program header size %llu, expected %u",
			       name, (unsigned long long)phentsize,
			       l->phdr_size);
	/* phnum <= 64 and phentsize <= 56: the product cannot overflow. */
	if (!in_file(phoff, phnum * phentsize, len))
		return err_set("%s: program headers at 0x%llx (%llu bytes) are outside the %zu-byte file",
			       name, (unsigned long long)phoff,
			       (unsigned long long)(phnum * phentsize), len);

	info->load_start = UINT64_MAX;
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = buf + phoff + i * phentsize;
		uint64_t ptype = le_get(ph + PH_TYPE, 4);
		uint64_t off = le_get(ph + l->ph_offset, l->word);
		uint64_t vaddr = le_get(ph + l->ph_vaddr, l->word);
		uint64_t paddr = le_get(ph + l->ph_paddr, l->word);
		uint64_t filesz = le_get(ph + l->ph_filesz, l->word);
		uint64_t memsz = le_get(ph + l->ph_memsz, l->word);
		uint64_t palign = le_get(ph + l->ph_align, l->word);

		if (ptype == ELF_PT_NOTE) {
			if (!in_file(off, filesz, len))
				return err_set("%s: note segment %llu (0x%llx, %llu bytes) is outside the %zu-byte file",
					       name, (unsigned long long)i,
					       (unsigned long long)off,
					       (unsigned long long)filesz, len);
			if (walk_notes(buf, off, filesz, palign == 8 ? 8 : 4,
				       name, info, &found) < 0)
				return -1;
			continue;
		}
		if (ptype != ELF_PT_LOAD || memsz == 0)
			continue;
		if (filesz > memsz)
			return err_set("%s: segment %llu has filesz 0x%llx > memsz 0x%llx",
				       name, (unsigned long long)i,
				       (unsigned long long)filesz,
				       (unsigned long long)memsz);
		if (!in_file(off, filesz, len))
			return err_set("%s: segment %llu (file 0x%llx, %llu bytes) is outside the %zu-byte file",
				       name, (unsigned long long)i,
				       (unsigned long long)off,
				       (unsigned long long)filesz, len);
		if (paddr + memsz < paddr)
			return err_set("%s: segment %llu at 0x%llx + 0x%llx wraps the address space",
				       name, (unsigned long long)i,
				       (unsigned long long)paddr,
				       (unsigned long long)memsz);
		info->segs[info->nr_segs++] = (struct elf_segment){
			.offset = off,
			.vaddr = vaddr,
			.paddr = paddr,
			.filesz = filesz,
			.memsz = memsz,
			.flags = (uint32_t)le_get(ph + l->ph_flags, 4),
		};
		if (paddr < info->load_start)
			info->load_start = paddr;
		if (paddr + memsz > info->load_end)
			info->load_end = paddr + memsz;
	}
	if (info->nr_segs == 0)
		return err_set("%s: no loadable segment", name);
	info->has_pvh_entry = found;
	return 0;
}
