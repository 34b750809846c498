// SPDX-License-Identifier: MIT
/*
 * ELF/PVH parser: elf_parse() on images built in memory.  A good image like
 * a vmlinux (two PT_LOADs, one with bss, a PT_NOTE holding an unrelated note
 * before the Xen PHYS32_ENTRY one), then each refusal with the words of its
 * err_msg(), and the edges of each bounds check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "loader/elf.h"
#include "log.h"
#include "unit.h"

#define NAME "test.vmlinux"
#define IMAGE_SIZE 0x400
#define PHOFF 64
#define NOTE_OFF 0x180
#define PVH_NOTE_OFF (NOTE_OFF + 20) /* after the 20-byte "GNU" note */
#define PVH_DESC_OFF (PVH_NOTE_OFF + 16)
#define NOTE_SIZE (20 + 24) /* GNU note + Xen note with 8-byte desc */

static uint8_t img[IMAGE_SIZE];
static struct elf_info info;

static void put(size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

static size_t ph(unsigned i)
{
	return PHOFF + 56 * i;
}

static void set_phdr(unsigned i, uint32_t type, uint64_t off, uint64_t paddr,
		     uint64_t filesz, uint64_t memsz, uint64_t align)
{
	put(ph(i), type, 4);
	put(ph(i) + 4, 5, 4); /* flags R+X */
	put(ph(i) + 8, off, 8);
	put(ph(i) + 16, 0xffffffff80000000ull + paddr, 8); /* vaddr */
	put(ph(i) + 24, paddr, 8);
	put(ph(i) + 32, filesz, 8);
	put(ph(i) + 40, memsz, 8);
	put(ph(i) + 48, align, 8);
}

/* One note at off: name (with its NUL) and desc, 4-byte aligned. */
static size_t put_note(size_t off, const char *name, uint32_t type,
		       uint64_t desc, unsigned descsz)
{
	size_t namesz = strlen(name) + 1;

	put(off, namesz, 4);
	put(off + 4, descsz, 4);
	put(off + 8, type, 4);
	memcpy(img + off + 12, name, namesz);
	off += 12 + ((namesz + 3) & ~3u);
	put(off, desc, descsz);
	return off + ((descsz + 3) & ~3u);
}

static void build_good(void)
{
	memset(img, 0, sizeof(img));
	memcpy(img, "\177ELF", 4);
	img[4] = 2; /* ELFCLASS64 */
	img[5] = 1; /* little-endian */
	img[6] = 1; /* EV_CURRENT */
	put(16, 2, 2); /* ET_EXEC */
	put(18, 62, 2); /* EM_X86_64 */
	put(20, 1, 4);
	put(24, 0xffffffff81000000ull, 8); /* e_entry */
	put(32, PHOFF, 8);
	put(52, 64, 2); /* e_ehsize */
	put(54, 56, 2);
	put(56, 4, 2); /* phnum */
	set_phdr(0, ELF_PT_LOAD, 0x200, 0x1000000, 0x100, 0x100, 0x200000);
	set_phdr(1, ELF_PT_LOAD, 0x300, 0x2000000, 0x80, 0x1000, 0x200000);
	set_phdr(2, ELF_PT_NOTE, NOTE_OFF, 0x1000080, NOTE_SIZE, NOTE_SIZE, 4);
	set_phdr(3, 0x6474e551, 0, 0, 0, 0, 0x10); /* PT_GNU_STACK: ignored */
	put_note(put_note(NOTE_OFF, "GNU", 3, 0x1234, 4), "Xen",
		 ELF_XEN_ELFNOTE_PHYS32_ENTRY, 0x1000850, 8);
}

static int setup(void **state)
{
	(void)state;
	err_clear();
	build_good();
	return 0;
}

static void refused(const char *words)
{
	assert_int_equal(elf_parse(img, sizeof(img), NAME, &info), -1);
	assert_err_contains(NAME);
	assert_err_contains(words);
}

static void test_good(void **state)
{
	(void)state;
	assert_int_equal(elf_parse(img, sizeof(img), NAME, &info), 0);
	assert_int_equal(info.pvh_entry, 0x1000850);
	assert_true(info.has_pvh_entry);
	assert_int_equal(info.e_entry, 0xffffffff81000000ull);
	assert_int_equal(info.elf_class, 64);
	assert_int_equal(info.nr_segs, 2);
	assert_int_equal(info.segs[0].flags, 5);
	assert_int_equal(info.segs[0].offset, 0x200);
	assert_int_equal(info.segs[0].paddr, 0x1000000);
	assert_int_equal(info.segs[0].filesz, 0x100);
	assert_int_equal(info.segs[0].memsz, 0x100);
	assert_int_equal(info.segs[1].offset, 0x300);
	assert_int_equal(info.segs[1].paddr, 0x2000000);
	assert_int_equal(info.segs[1].filesz, 0x80);
	assert_int_equal(info.segs[1].memsz, 0x1000);
	assert_int_equal(info.load_start, 0x1000000);
	assert_int_equal(info.load_end, 0x2001000);
	assert_true(elf_is_elf(img, sizeof(img)));
}

/* A 4-byte descriptor (QEMU/Firecracker read 32 bits) and 8-byte notes. */
static void test_note_variants(void **state)
{
	(void)state;
	put_note(PVH_NOTE_OFF, "Xen", ELF_XEN_ELFNOTE_PHYS32_ENTRY, 0x100000, 4);
	set_phdr(2, ELF_PT_NOTE, NOTE_OFF, 0, 20 + 20, 20 + 20, 4);
	assert_int_equal(elf_parse(img, sizeof(img), NAME, &info), 0);
	assert_int_equal(info.pvh_entry, 0x100000);

	/*
	 * p_align 8 (gABI 8-byte notes): after a 4-byte descriptor ending at
	 * 20 the next note starts at 24, not 20.
	 */
	build_good();
	memset(img + NOTE_OFF, 0, 64);
	put_note(NOTE_OFF, "GNU", 3, 0x5678, 4);
	put_note(NOTE_OFF + 24, "Xen", ELF_XEN_ELFNOTE_PHYS32_ENTRY, 0x1234000, 8);
	set_phdr(2, ELF_PT_NOTE, NOTE_OFF, 0, 24 + 24, 24 + 24, 8);
	assert_int_equal(elf_parse(img, sizeof(img), NAME, &info), 0);
	assert_int_equal(info.pvh_entry, 0x1234000);
}

static void test_too_short(void **state)
{
	(void)state;
	assert_int_equal(elf_parse(img, 63, NAME, &info), -1);
	assert_err_contains("too short");
	assert_false(elf_is_elf(img, 3));
}

static void test_bad_magic(void **state)
{
	(void)state;
	img[1] = 'e';
	refused("no ELF magic");
	assert_false(elf_is_elf(img, sizeof(img)));
}

static void test_bad_class(void **state)
{
	(void)state;
	img[4] = 3;
	refused("ELF class 3, neither 32-bit (1) nor 64-bit (2)");
	/* ELF32 must be i386, ELF64 x86-64. */
	img[4] = 1;
	refused("ELF machine 62, not i386 (3)");
	build_good();
	put(18, 3, 2);
	refused("ELF machine 3, not x86-64 (62)");
}

/* An i386 ELF32 (a multiboot kernel): one PT_LOAD with bss, p_flags R+X. */
static void build_elf32(void)
{
	memset(img, 0, sizeof(img));
	memcpy(img, "\177ELF", 4);
	img[4] = 1; /* ELFCLASS32 */
	img[5] = 1;
	img[6] = 1;
	put(16, 2, 2); /* ET_EXEC */
	put(18, 3, 2); /* EM_386 */
	put(20, 1, 4);
	put(24, 0x40000c, 4); /* e_entry */
	put(28, 52, 4); /* e_phoff */
	put(40, 52, 2); /* e_ehsize */
	put(42, 32, 2); /* e_phentsize */
	put(44, 2, 2); /* phnum */
	put(52, ELF_PT_LOAD, 4);
	put(52 + 4, 0x100, 4); /* p_offset */
	put(52 + 8, 0xc0400000, 4); /* p_vaddr */
	put(52 + 12, 0x400000, 4); /* p_paddr */
	put(52 + 16, 0x80, 4); /* p_filesz */
	put(52 + 20, 0x2000, 4); /* p_memsz */
	put(52 + 24, 5, 4); /* p_flags */
	put(52 + 28, 0x1000, 4);
	put(84, 0x6474e551, 4); /* PT_GNU_STACK: ignored */
}

static void test_elf32(void **state)
{
	(void)state;
	build_elf32();
	assert_int_equal(elf_parse(img, sizeof(img), NAME, &info), 0);
	assert_int_equal(info.elf_class, 32);
	assert_int_equal(info.e_entry, 0x40000c);
	assert_false(info.has_pvh_entry);
	assert_int_equal(info.nr_segs, 1);
	assert_int_equal(info.segs[0].offset, 0x100);
	assert_int_equal(info.segs[0].vaddr, 0xc0400000);
	assert_int_equal(info.segs[0].paddr, 0x400000);
	assert_int_equal(info.segs[0].filesz, 0x80);
	assert_int_equal(info.segs[0].memsz, 0x2000);
	assert_int_equal(info.segs[0].flags, 5);
	assert_int_equal(info.load_start, 0x400000);
	assert_int_equal(info.load_end, 0x402000);
	/* A 32-bit program header size, file bounds on 32-bit fields. */
	put(42, 56, 2);
	refused("program header size 56, expected 32");
	build_elf32();
	put(52 + 4, 0x3c0, 4);
	refused("outside the 1024-byte file");
	build_elf32();
	assert_int_equal(elf_parse(img, 51, NAME, &info), -1);
	assert_err_contains("too short");
}

static void test_big_endian(void **state)
{
	(void)state;
	img[5] = 2;
	refused("little-endian");
}

static void test_bad_version(void **state)
{
	(void)state;
	put(20, 2, 4);
	refused("ELF version");
}

static void test_not_executable(void **state)
{
	(void)state;
	put(16, 1, 2); /* ET_REL */
	refused("not an executable");
}

static void test_wrong_machine(void **state)
{
	(void)state;
	put(18, 3, 2); /* EM_386 */
	refused("not x86-64");
}

static void test_phoff_beyond_file(void **state)
{
	(void)state;
	put(32, IMAGE_SIZE, 8);
	refused("outside the 1024-byte file");
	/* The headers' last byte one past the end, then just inside. */
	put(32, IMAGE_SIZE - 4 * 56 + 1, 8);
	refused("program headers");
	memmove(img + IMAGE_SIZE - 4 * 56, img + PHOFF, 4 * 56);
	put(32, IMAGE_SIZE - 4 * 56, 8);
	assert_int_equal(elf_parse(img, sizeof(img), NAME, &info), 0);
	/* An offset that wraps when the headers' size is added. */
	put(32, UINT64_MAX - 8, 8);
	refused("program headers");
}

static void test_phnum(void **state)
{
	(void)state;
	put(56, 0xffff, 2);
	refused("65535 program headers");
	put(56, ELF_MAX_PHDRS + 1, 2);
	refused("at most 64");
	put(56, 0, 2);
	refused("no program headers");
	put(56, 4, 2);
	put(54, 64, 2);
	refused("program header size 64");
}

static void test_segment_beyond_file(void **state)
{
	(void)state;
	set_phdr(0, ELF_PT_LOAD, IMAGE_SIZE - 0xff, 0x1000000, 0x100, 0x100, 0);
	refused("segment 0 (file 0x301, 256 bytes) is outside");
	set_phdr(0, ELF_PT_LOAD, IMAGE_SIZE - 0x100, 0x1000000, 0x100, 0x100, 0);
	assert_int_equal(elf_parse(img, sizeof(img), NAME, &info), 0);
	set_phdr(0, ELF_PT_LOAD, UINT64_MAX, 0x1000000, 0x100, 0x100, 0);
	refused("is outside");
	set_phdr(0, ELF_PT_LOAD, 0x10, 0x1000000, UINT64_MAX, UINT64_MAX, 0);
	refused("is outside");
}

static void test_filesz_above_memsz(void **state)
{
	(void)state;
	set_phdr(1, ELF_PT_LOAD, 0x300, 0x2000000, 0x81, 0x80, 0);
	refused("segment 1 has filesz 0x81 > memsz 0x80");
}

static void test_paddr_wraps(void **state)
{
	(void)state;
	set_phdr(1, ELF_PT_LOAD, 0x300, UINT64_MAX - 0xfff, 0x80, 0x1000, 0);
	refused("wraps");
}

static void test_no_load_segment(void **state)
{
	(void)state;
	put(ph(0), 6, 4); /* PT_PHDR */
	set_phdr(1, ELF_PT_LOAD, 0, 0x2000000, 0, 0, 0); /* memsz 0: skipped */
	refused("no loadable segment");
}

/* Without the Xen note the ELF still parses; the PVH loader refuses it. */
static void no_pvh(void)
{
	assert_int_equal(elf_parse(img, sizeof(img), NAME, &info), 0);
	assert_false(info.has_pvh_entry);
	assert_int_equal(info.pvh_entry, 0);
}

static void test_no_pvh_note(void **state)
{
	(void)state;
	put(PVH_NOTE_OFF + 8, 17, 4); /* another Xen note type */
	no_pvh();
	build_good();
	memcpy(img + PVH_NOTE_OFF + 12, "Xem", 4); /* right type, wrong owner */
	no_pvh();
	build_good();
	put(ph(2), ELF_PT_LOAD, 4); /* no PT_NOTE at all */
	no_pvh();
}

static void test_truncated_note(void **state)
{
	(void)state;
	/* The descriptor runs past the segment by one byte. */
	set_phdr(2, ELF_PT_NOTE, NOTE_OFF, 0, NOTE_SIZE - 1, NOTE_SIZE - 1, 4);
	refused("truncated note");
	/* Room for the first note and 8 bytes: a header needs 12. */
	set_phdr(2, ELF_PT_NOTE, NOTE_OFF, 0, 28, 28, 4);
	refused("truncated note header");
	/* descsz near 4 GiB: no wrap, simply too long. */
	build_good();
	put(PVH_NOTE_OFF + 4, 0xffffffff, 4);
	refused("truncated note");
	build_good();
	put(PVH_NOTE_OFF, 0xfffffffd, 4); /* namesz */
	refused("truncated note");
	/* The note segment itself outside the file. */
	build_good();
	set_phdr(2, ELF_PT_NOTE, IMAGE_SIZE - 8, 0, 16, 16, 4);
	refused("note segment 2");
}

static void test_bad_pvh_note(void **state)
{
	(void)state;
	put(PVH_DESC_OFF, 0x100000000ull, 8);
	refused("above 4 GiB");
	build_good();
	put(PVH_NOTE_OFF + 4, 2, 4);
	refused("2 bytes of data");
}

static void test_refusal_then_success(void **state)
{
	(void)state;
	img[4] = 0;
	refused("class");
	build_good();
	assert_int_equal(elf_parse(img, sizeof(img), NAME, &info), 0);
	assert_int_equal(info.pvh_entry, 0x1000850);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_good),
		T(test_note_variants),
		T(test_too_short),
		T(test_bad_magic),
		T(test_bad_class),
		T(test_elf32),
		T(test_big_endian),
		T(test_bad_version),
		T(test_not_executable),
		T(test_wrong_machine),
		T(test_phoff_beyond_file),
		T(test_phnum),
		T(test_segment_beyond_file),
		T(test_filesz_above_memsz),
		T(test_paddr_wraps),
		T(test_no_load_segment),
		T(test_no_pvh_note),
		T(test_truncated_note),
		T(test_bad_pvh_note),
		T(test_refusal_then_success),
	};

	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
