// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the multiboot v1 parser (loader/multiboot.h): the
 * -kernel file and the -initrd module list, both from the user and never
 * trusted.
 *
 * The input is a kernel file: multiboot_parse() must refuse it, find no
 * header, or give a load plan that holds together (each range inside the
 * file, filesz <= memsz, the image below 4 GiB, the entry in a loaded
 * byte).  elf_parse() sees the same bytes.  Its first line (up to a NUL or
 * newline) is also an -initrd value for multiboot_modules_parse(), whose
 * entries must have a file name that is a prefix of their command line.
 *
 *   make fuzz && build-fuzz/fuzz_multiboot -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader/elf.h"
#include "loader/multiboot.h"

static struct multiboot_image mb;
static struct elf_info elf;
static struct multiboot_module_spec mods[MB_MAX_MODULES];

static void check_plan(size_t len)
{
	const struct elf_info *e = &mb.elf;
	int entry_loaded = 0;

	if (e->nr_segs == 0 || e->nr_segs > ELF_MAX_PHDRS)
		abort();
	if (e->load_end > (1ull << 32) || e->load_start >= e->load_end)
		abort();
	for (size_t i = 0; i < e->nr_segs; i++) {
		const struct elf_segment *s = &e->segs[i];

		if (s->filesz > s->memsz || s->offset > len ||
		    s->filesz > len - s->offset)
			abort();
		if (s->paddr < e->load_start || s->paddr + s->memsz > e->load_end)
			abort();
		if (mb.entry >= s->paddr && mb.entry - s->paddr < s->filesz)
			entry_loaded = 1;
	}
	if (!entry_loaded)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t line = 0, n;
	char *spec;
	int r;

	r = multiboot_parse(data, size, "fuzz", &mb);
	if (r == 1)
		check_plan(size);
	else if (r != 0 && r != -1)
		abort();
	(void)elf_parse(data, size, "fuzz", &elf);

	while (line < size && line < 4096 && data[line] && data[line] != '\n')
		line++;
	spec = malloc(line + 1);
	if (!spec)
		abort();
	memcpy(spec, data, line);
	spec[line] = '\0';
	if (multiboot_modules_parse(spec, mods, &n) == 0) {
		if (n == 0 || n > MB_MAX_MODULES)
			abort();
		for (size_t i = 0; i < n; i++) {
			size_t cl = strlen(mods[i].cmdline);

			if (mods[i].name_len == 0 || mods[i].name_len > cl ||
			    cl > line)
				abort();
		}
		multiboot_modules_free(mods, n);
	}
	free(spec);
	return 0;
}
