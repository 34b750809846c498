// SPDX-License-Identifier: MIT
#include "multiboot.h"
#include "byteorder.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

#define FOUR_GIB (1ull << 32)

/* a.out-kludge fields, after magic, flags and checksum (§3.1.3). */
#define MB_HEADER_ADDR 12
#define MB_LOAD_ADDR 16
#define MB_LOAD_END_ADDR 20
#define MB_BSS_END_ADDR 24
#define MB_ENTRY_ADDR 28

/* The header's offset in the file, or -1 when there is none. */
static long find_header(const uint8_t *buf, size_t len)
{
	size_t end = len < MB_SEARCH_BYTES ? len : MB_SEARCH_BYTES;

	for (size_t off = 0; off + MB_HEADER_SIZE <= end; off += 4) {
		uint32_t magic = (uint32_t)le_get(buf + off, 4);
		uint32_t flags = (uint32_t)le_get(buf + off + 4, 4);
		uint32_t sum = (uint32_t)le_get(buf + off + 8, 4);

		if (magic == MB_HEADER_MAGIC && (uint32_t)(magic + flags + sum) == 0)
			return (long)off;
	}
	return -1;
}

/* The a.out kludge: one range of the file at load_addr, then bss. */
static int parse_aout(const uint8_t *buf, size_t len, const char *name,
		      struct multiboot_image *out)
{
	const uint8_t *h = buf + out->header_offset;
	uint64_t header_addr, load_addr, load_end, bss_end, entry, text_off;
	uint64_t load_size, mem_size;

	if (len - out->header_offset < MB_AOUT_HEADER_SIZE)
		return err_set("%s: multiboot header at 0x%x: the address fields are cut off by the end of the file",
			       name, out->header_offset);
	header_addr = le_get(h + MB_HEADER_ADDR, 4);
	load_addr = le_get(h + MB_LOAD_ADDR, 4);
	load_end = le_get(h + MB_LOAD_END_ADDR, 4);
	bss_end = le_get(h + MB_BSS_END_ADDR, 4);
	entry = le_get(h + MB_ENTRY_ADDR, 4);

	if (header_addr < load_addr || header_addr - load_addr > out->header_offset)
		return err_set("%s: multiboot header_addr 0x%llx does not fit load_addr 0x%llx with the header at file offset 0x%x",
			       name, (unsigned long long)header_addr,
			       (unsigned long long)load_addr, out->header_offset);
	/* The file offset that goes to load_addr. */
	text_off = out->header_offset - (header_addr - load_addr);
	if (load_end == 0) {
		load_size = len - text_off;
	} else {
		if (load_end < load_addr)
			return err_set("%s: multiboot load_end_addr 0x%llx is below load_addr 0x%llx",
				       name, (unsigned long long)load_end,
				       (unsigned long long)load_addr);
		load_size = load_end - load_addr;
		if (load_size > len - text_off)
			return err_set("%s: multiboot load_end_addr 0x%llx asks for 0x%llx bytes; the file has 0x%llx from the load offset",
				       name, (unsigned long long)load_end,
				       (unsigned long long)load_size,
				       (unsigned long long)(len - text_off));
	}
	mem_size = load_size;
	if (bss_end != 0) {
		if (bss_end < load_addr + load_size)
			return err_set("%s: multiboot bss_end_addr 0x%llx is below the end of the loaded bytes 0x%llx",
				       name, (unsigned long long)bss_end,
				       (unsigned long long)(load_addr + load_size));
		mem_size = bss_end - load_addr;
	}
	if (load_size == 0)
		return err_set("%s: multiboot a.out kludge loads no bytes", name);
	if (load_addr + mem_size > FOUR_GIB)
		return err_set("%s: multiboot image 0x%llx-0x%llx passes 4 GiB",
			       name, (unsigned long long)load_addr,
			       (unsigned long long)(load_addr + mem_size));
	if (entry < load_addr || entry - load_addr >= load_size)
		return err_set("%s: multiboot entry_addr 0x%llx is outside the loaded bytes 0x%llx-0x%llx",
			       name, (unsigned long long)entry,
			       (unsigned long long)load_addr,
			       (unsigned long long)(load_addr + load_size));
	out->entry = (uint32_t)entry;
	out->elf.segs[0] = (struct elf_segment){
		.offset = text_off,
		.vaddr = load_addr,
		.paddr = load_addr,
		.filesz = load_size,
		.memsz = mem_size,
		.flags = ELF_PF_X,
	};
	out->elf.nr_segs = 1;
	out->elf.elf_class = 32;
	out->elf.e_entry = entry;
	out->elf.load_start = load_addr;
	out->elf.load_end = load_addr + mem_size;
	return 0;
}

/* A 32-bit ELF at its physical addresses, its entry made physical. */
static int parse_elf(const uint8_t *buf, size_t len, const char *name,
		     struct multiboot_image *out)
{
	struct elf_info *e = &out->elf;
	uint64_t entry;

	if (!elf_is_elf(buf, len))
		return err_set("%s: multiboot header without the a.out kludge (flag 16) in a file that is not an ELF",
			       name);
	if (elf_parse(buf, len, name, e) < 0)
		return -1;
	if (e->elf_class != 32)
		return err_set("%s: a 64-bit ELF; a multiboot kernel must be a 32-bit ELF",
			       name);
	if (e->load_end > FOUR_GIB)
		return err_set("%s: segments end at 0x%llx, past 4 GiB", name,
			       (unsigned long long)e->load_end);
	/*
	 * e_entry is a virtual address.  As QEMU does, an executable
	 * segment linked at a virtual address other than its physical one
	 * that holds it turns it into the physical address.
	 */
	entry = e->e_entry;
	for (size_t i = 0; i < e->nr_segs; i++) {
		const struct elf_segment *s = &e->segs[i];

		if ((s->flags & ELF_PF_X) && s->vaddr != s->paddr &&
		    e->e_entry >= s->vaddr && e->e_entry - s->vaddr < s->filesz) {
			entry = e->e_entry - s->vaddr + s->paddr;
			break;
		}
	}
	for (size_t i = 0; i < e->nr_segs; i++) {
		const struct elf_segment *s = &e->segs[i];

		if (entry >= s->paddr && entry - s->paddr < s->filesz) {
			out->entry = (uint32_t)entry;
			return 0;
		}
	}
	return err_set("%s: entry 0x%llx is not in a loaded segment", name,
		       (unsigned long long)e->e_entry);
}

int multiboot_parse(const uint8_t *buf, size_t len, const char *name,
		    struct multiboot_image *out)
{
	long off = find_header(buf, len);
	uint32_t unknown;

	memset(out, 0, sizeof(*out));
	if (off < 0)
		return 0;
	out->header_offset = (uint32_t)off;
	out->flags = (uint32_t)le_get(buf + off + 4, 4);
	unknown = out->flags & MB_FLAGS_REQUIRED_MASK & ~MB_FLAGS_REQUIRED_KNOWN;
	if (unknown)
		return err_set("%s: multiboot header (flags 0x%x) requires features 0x%x that no loader knows",
			       name, out->flags, unknown);
	out->aout_kludge = out->flags & MB_FLAG_AOUT_KLUDGE;
	if ((out->aout_kludge ? parse_aout : parse_elf)(buf, len, name, out) < 0)
		return -1;
	return 1;
}

void multiboot_modules_free(struct multiboot_module_spec *mods, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(mods[i].cmdline);
		mods[i].cmdline = NULL;
	}
}

int multiboot_modules_parse(const char *spec,
			    struct multiboot_module_spec *mods, size_t *n)
{
	const char *p = spec;

	*n = 0;
	for (;;) {
		size_t len = 0, name_len;
		const char *q;
		char *s;

		/* One entry: up to a ',' that is not ",,". */
		for (q = p; *q; q++) {
			if (*q == ',' && q[1] == ',')
				q++;
			else if (*q == ',')
				break;
			len++;
		}
		if (*n == MB_MAX_MODULES) {
			multiboot_modules_free(mods, *n);
			return err_set("-initrd: more than %d multiboot modules",
				       MB_MAX_MODULES);
		}
		s = malloc(len + 1);
		if (!s) {
			multiboot_modules_free(mods, *n);
			return err_set("out of memory");
		}
		len = 0;
		for (const char *r = p; r < q; r++) {
			s[len++] = *r;
			if (*r == ',')
				r++; /* the second comma of ",," */
		}
		s[len] = '\0';
		name_len = strcspn(s, " ");
		mods[(*n)++] = (struct multiboot_module_spec){ s, name_len };
		if (name_len == 0) {
			multiboot_modules_free(mods, *n);
			return err_set("-initrd: module %zu has no file name ('%s')",
				       *n, spec);
		}
		if (!*q)
			return 0;
		p = q + 1;
	}
}
