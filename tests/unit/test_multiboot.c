// SPDX-License-Identifier: MIT
/*
 * Multiboot v1 parser: multiboot_parse() on images built in memory (an
 * a.out-kludge kernel, a 32-bit ELF one), each refusal with the words of
 * its err_msg() and the edges of each check; then QEMU's -initrd module
 * list (multiboot_modules_parse()).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/multiboot.h"
#include "log.h"
#include "unit.h"

#define NAME "test.kernel"
#define IMAGE_SIZE 0x3000
#define HDR 0x40 /* where the header goes in the a.out image */

static uint8_t img[IMAGE_SIZE];
static struct multiboot_image mb;

static void put(size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

/* magic, flags and the checksum that makes them sum to 0, at off. */
static void put_header(size_t off, uint32_t flags)
{
	put(off, MB_HEADER_MAGIC, 4);
	put(off + 4, flags, 4);
	put(off + 8, (uint32_t)-(MB_HEADER_MAGIC + flags), 4);
}

/*
 * The a.out kernel: loaded at 1 MiB from file offset 0 (the header at
 * HDR, so header_addr 1 MiB + HDR), 0x2000 bytes, bss to 1 MiB + 0x5000,
 * entry 1 MiB + 0x100.
 */
static void put_aout(uint32_t header_addr, uint32_t load, uint32_t load_end,
		     uint32_t bss_end, uint32_t entry)
{
	put(HDR + 12, header_addr, 4);
	put(HDR + 16, load, 4);
	put(HDR + 20, load_end, 4);
	put(HDR + 24, bss_end, 4);
	put(HDR + 28, entry, 4);
}

static void build_aout(void)
{
	memset(img, 0, sizeof(img));
	put_header(HDR, MB_FLAG_AOUT_KLUDGE | MB_FLAG_PAGE_ALIGN);
	put_aout(0x100000 + HDR, 0x100000, 0x102000, 0x105000, 0x100100);
}

/* An i386 ELF32: one PT_LOAD linked at 0xc0400000, loaded at 4 MiB. */
static void build_elf(void)
{
	memset(img, 0, sizeof(img));
	memcpy(img, "\177ELF", 4);
	img[4] = 1;
	img[5] = 1;
	img[6] = 1;
	put(16, 2, 2);
	put(18, 3, 2);
	put(20, 1, 4);
	put(24, 0xc040000c, 4); /* e_entry: virtual */
	put(28, 52, 4);
	put(40, 52, 2);
	put(42, 32, 2);
	put(44, 1, 2);
	put(52, 1, 4); /* PT_LOAD */
	put(56, 0x1000, 4); /* p_offset */
	put(60, 0xc0400000, 4); /* p_vaddr */
	put(64, 0x400000, 4); /* p_paddr */
	put(68, 0x1000, 4); /* p_filesz */
	put(72, 0x3000, 4); /* p_memsz */
	put(76, 5, 4); /* R+X */
	put_header(0x1000, MB_FLAG_MEMORY_INFO);
}

static int setup(void **state)
{
	(void)state;
	err_clear();
	build_aout();
	return 0;
}

static void refused(const char *words)
{
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), -1);
	assert_err_contains(NAME);
	assert_err_contains(words);
}

static void test_aout(void **state)
{
	(void)state;
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);
	assert_true(mb.aout_kludge);
	assert_int_equal(mb.header_offset, HDR);
	assert_int_equal(mb.entry, 0x100100);
	assert_int_equal(mb.elf.nr_segs, 1);
	assert_int_equal(mb.elf.segs[0].offset, 0);
	assert_int_equal(mb.elf.segs[0].paddr, 0x100000);
	assert_int_equal(mb.elf.segs[0].filesz, 0x2000);
	assert_int_equal(mb.elf.segs[0].memsz, 0x5000);
	assert_int_equal(mb.elf.load_start, 0x100000);
	assert_int_equal(mb.elf.load_end, 0x105000);

	/* header_addr past load_addr: the file is loaded from an offset. */
	put_aout(0x100000, 0x100000 - HDR, 0x102000, 0, 0x100100);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);
	assert_int_equal(mb.elf.segs[0].offset, HDR - HDR);
	/* load_end_addr 0: to the end of the file; bss_end_addr 0: no bss. */
	put_aout(0x100000 + HDR, 0x100000, 0, 0, 0x100100);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);
	assert_int_equal(mb.elf.segs[0].filesz, IMAGE_SIZE);
	assert_int_equal(mb.elf.segs[0].memsz, IMAGE_SIZE);
	/* Loaded from offset 0x20: header_addr 0x20 above load_addr. */
	put_aout(0x100020, 0x100000, 0, 0, 0x100000);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);
	assert_int_equal(mb.elf.segs[0].offset, HDR - 0x20);
	assert_int_equal(mb.elf.segs[0].filesz, IMAGE_SIZE - (HDR - 0x20));
}

static void test_no_header(void **state)
{
	(void)state;
	memset(img, 0, sizeof(img));
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 0);
	/* A magic with a wrong checksum is not a header. */
	build_aout();
	put(HDR + 8, 0, 4);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 0);
	/* Not at a 4-byte boundary. */
	memset(img, 0, sizeof(img));
	put_header(HDR + 2, MB_FLAG_AOUT_KLUDGE);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 0);
	/* Past the first 8 KiB: the last place is 8192 - 12. */
	memset(img, 0, sizeof(img));
	put_header(MB_SEARCH_BYTES - 8, MB_FLAG_MEMORY_INFO);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 0);
	memset(img, 0, sizeof(img));
	put_header(MB_SEARCH_BYTES - 12, MB_FLAG_AOUT_KLUDGE);
	put(MB_SEARCH_BYTES - 12 + 12, 0x100000 + MB_SEARCH_BYTES - 12, 4);
	put(MB_SEARCH_BYTES - 12 + 16, 0x100000, 4);
	put(MB_SEARCH_BYTES - 12 + 28, 0x100000, 4);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);
	/* Files shorter than a header. */
	assert_int_equal(multiboot_parse(img, 0, NAME, &mb), 0);
	assert_int_equal(multiboot_parse(img, 11, NAME, &mb), 0);
}

static void test_flags(void **state)
{
	(void)state;
	/* Required bits 3-15 are refused; the optional bits 17-31 are not. */
	put_header(HDR, MB_FLAG_AOUT_KLUDGE | (1u << 3));
	refused("requires features 0x8 that no loader knows");
	put_header(HDR, MB_FLAG_AOUT_KLUDGE | (1u << 15) | (1u << 4));
	refused("requires features 0x8010");
	put_header(HDR, MB_FLAG_AOUT_KLUDGE | (1u << 31) | MB_FLAG_VIDEO_MODE);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);
	assert_int_equal(mb.flags, MB_FLAG_AOUT_KLUDGE | (1u << 31) | MB_FLAG_VIDEO_MODE);
}

static void test_aout_refusals(void **state)
{
	(void)state;
	/* The address fields cut off by the end of the file, or just not. */
	put_aout(0x100000 + HDR, 0x100000, 0, 0, 0x100000);
	assert_int_equal(multiboot_parse(img, HDR + 31, NAME, &mb), -1);
	assert_err_contains("cut off by the end of the file");
	assert_int_equal(multiboot_parse(img, HDR + 32, NAME, &mb), 1);

	put_aout(0x100000 + HDR, 0x100000 + HDR + 1, 0, 0, 0x100100);
	refused("header_addr 0x100040 does not fit load_addr 0x100041");
	put_aout(0x100000 + HDR + 1, 0x100000, 0, 0, 0x100100);
	refused("header_addr 0x100041 does not fit load_addr 0x100000");

	put_aout(0x100000 + HDR, 0x100000, 0xfffff, 0, 0x100100);
	refused("load_end_addr 0xfffff is below load_addr 0x100000");
	put_aout(0x100000 + HDR, 0x100000, 0x100000 + IMAGE_SIZE + 1, 0, 0x100100);
	refused("load_end_addr 0x103001 asks for 0x3001 bytes; the file has 0x3000");
	put_aout(0x100000 + HDR, 0x100000, 0x100000 + IMAGE_SIZE, 0, 0x100100);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);
	put_aout(0x100000 + HDR, 0x100000, 0x100000, 0, 0x100000);
	refused("loads no bytes");

	put_aout(0x100000 + HDR, 0x100000, 0x102000, 0x101fff, 0x100100);
	refused("bss_end_addr 0x101fff is below the end of the loaded bytes 0x102000");
	put_aout(0x100000 + HDR, 0x100000, 0x102000, 0x102000, 0x100100);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);

	/* The image ends exactly at 4 GiB (the whole 4 KiB file): that fits. */
	put_aout(0xfffff000 + HDR, 0xfffff000, 0, 0, 0xfffff000);
	assert_int_equal(multiboot_parse(img, 0x1000, NAME, &mb), 1);
	assert_int_equal(mb.elf.load_end, 1ull << 32);
	put_aout(0xfffff000 + HDR, 0xfffff000, 0, 0, 0xfffff000);
	refused("passes 4 GiB");
	put_aout(0xfffff000 + HDR, 0xfffff000, 0xfffff800, 0xffffffff, 0xfffff000);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);
	assert_int_equal(mb.elf.load_end, 0xffffffff);

	put_aout(0x100000 + HDR, 0x100000, 0x102000, 0x105000, 0x102000);
	refused("entry_addr 0x102000 is outside the loaded bytes 0x100000-0x102000");
	put_aout(0x100000 + HDR, 0x100000, 0x102000, 0x105000, 0xfffff);
	refused("entry_addr 0xfffff is outside");
	put_aout(0x100000 + HDR, 0x100000, 0x102000, 0x105000, 0x101fff);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);
}

static void test_elf(void **state)
{
	(void)state;
	build_elf();
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);
	assert_false(mb.aout_kludge);
	assert_int_equal(mb.header_offset, 0x1000);
	/* The virtual entry, made physical through its executable segment. */
	assert_int_equal(mb.entry, 0x40000c);
	assert_int_equal(mb.elf.nr_segs, 1);
	assert_int_equal(mb.elf.load_start, 0x400000);
	assert_int_equal(mb.elf.load_end, 0x403000);

	/* A physical e_entry stays as it is. */
	put(24, 0x400010, 4);
	assert_int_equal(multiboot_parse(img, sizeof(img), NAME, &mb), 1);
	assert_int_equal(mb.entry, 0x400010);
	/* Not in an executable segment: not translated, and not loaded. */
	put(24, 0xc040000c, 4);
	put(76, 6, 4);
	refused("entry 0xc040000c is not in a loaded segment");
	/* In the segment's bss: not in a loaded byte. */
	build_elf();
	put(24, 0xc0401000, 4);
	refused("entry 0xc0401000 is not in a loaded segment");
}

static void test_elf_refusals(void **state)
{
	(void)state;
	/* No kludge and no ELF. */
	memset(img, 0, sizeof(img));
	put_header(HDR, MB_FLAG_MEMORY_INFO);
	refused("not an ELF");
	/* 64-bit ELF: refused as QEMU does. */
	build_elf();
	img[4] = 2;
	put(18, 62, 2);
	put(24, 0x400000, 8); /* e_entry */
	put(32, 64, 8); /* e_phoff */
	put(40, 0, 8);
	put(52, 64, 2); /* e_ehsize */
	put(54, 56, 2);
	put(56, 1, 2);
	memset(img + 64, 0, 56);
	put(64, 1, 4); /* PT_LOAD */
	put(68, 5, 4);
	put(72, 0x1000, 8); /* p_offset */
	put(80, 0x400000, 8); /* p_vaddr */
	put(88, 0x400000, 8); /* p_paddr */
	put(96, 0x1000, 8); /* p_filesz */
	put(104, 0x1000, 8); /* p_memsz */
	refused("64-bit ELF; a multiboot kernel must be a 32-bit ELF");
	/* What elf_parse refuses. */
	build_elf();
	put(44, 0, 2);
	refused("no program headers");
	/* A segment past 4 GiB. */
	build_elf();
	put(64, 0xfffff000, 4);
	put(60, 0xfffff000, 4);
	put(24, 0xfffff000, 4);
	refused("segments end at 0x100002000, past 4 GiB");
}

static void test_modules(void **state)
{
	struct multiboot_module_spec m[MB_MAX_MODULES];
	char big[MB_MAX_MODULES * 3 + 8];
	size_t n;

	(void)state;
	assert_int_equal(multiboot_modules_parse("a.bin x y,b.bin", m, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].cmdline, "a.bin x y");
	assert_int_equal(m[0].name_len, 5);
	assert_string_equal(m[1].cmdline, "b.bin");
	assert_int_equal(m[1].name_len, 5);
	multiboot_modules_free(m, n);

	/* ",," is a comma in the entry (its name or its arguments). */
	assert_int_equal(multiboot_modules_parse("a,,b c,,d,e", m, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].cmdline, "a,b c,d");
	assert_int_equal(m[0].name_len, 3);
	assert_string_equal(m[1].cmdline, "e");
	multiboot_modules_free(m, n);
	assert_int_equal(multiboot_modules_parse("a,,,b", m, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].cmdline, "a,");
	assert_string_equal(m[1].cmdline, "b");
	multiboot_modules_free(m, n);

	/* Empty entries and names. */
	err_clear();
	assert_int_equal(multiboot_modules_parse("", m, &n), -1);
	assert_err_contains("module 1 has no file name");
	assert_int_equal(multiboot_modules_parse("a,", m, &n), -1);
	assert_err_contains("module 2 has no file name");
	assert_int_equal(multiboot_modules_parse("a, b", m, &n), -1);
	assert_err_contains("module 2 has no file name");
	assert_int_equal(multiboot_modules_parse(",a", m, &n), -1);
	assert_err_contains("module 1 has no file name");

	/* MB_MAX_MODULES entries, then one more. */
	big[0] = '\0';
	for (int i = 0; i < MB_MAX_MODULES; i++)
		strcat(big, i ? ",m" : "m");
	assert_int_equal(multiboot_modules_parse(big, m, &n), 0);
	assert_int_equal(n, MB_MAX_MODULES);
	multiboot_modules_free(m, n);
	strcat(big, ",m");
	assert_int_equal(multiboot_modules_parse(big, m, &n), -1);
	assert_err_contains("more than 64 multiboot modules");
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_aout),
		T(test_no_header),
		T(test_flags),
		T(test_aout_refusals),
		T(test_elf),
		T(test_elf_refusals),
		T(test_modules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
