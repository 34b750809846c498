// SPDX-License-Identifier: MIT
/*
 * pc machine memory layout tests.  Every expected E820 table and CMOS byte
 * below was read back from QEMU 7.2 (qemu-system-x86_64 -accel kvm, the
 * same options, a probe firmware dumping fw_cfg "etc/e820" and CMOS 0-127
 * to the debug console), unless a comment says it is derived from the
 * formulas in pc_memory.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dev/cmos.h"
#include "e820.h"
#include "layout.h"
#include "log.h"
#include "pc_memory.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

#define R E820_RESERVED
#define RAM E820_RAM
#define IDMAP { 0xfeffc000, 0x4000, R }
#define HT { 0xfd00000000ull, 0x300000000ull, R }

static struct vm_config cfg;
static struct pc_memory_opts opts;
static struct pc_memory_layout lay;

struct byte {
	unsigned addr;
	uint8_t val;
};

static int setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine = MACHINE_PC;
	snprintf(cfg.machine_name, sizeof(cfg.machine_name), "pc");
	cfg.ram_size = 128 * MiB;
	cfg.ram_size_set = true;
	cfg.smp = 1;
	pc_memory_opts_qemu_default(&opts);
	/* The tables below are QEMU's with AMD vCPUs (an AMD host). */
	opts.cpu_amd = true;
	err_clear();
	return 0;
}

static void machine(const char *name)
{
	unsigned major, minor;

	snprintf(cfg.machine_name, sizeof(cfg.machine_name), "%s", name);
	/* What config.c records for -M pc-i440fx-1.7 and older. */
	cfg.machine_legacy_split =
		sscanf(name, "pc-i440fx-%u.%u", &major, &minor) == 2 &&
		major == 1 && minor <= 7;
}

static void max_below(uint64_t v)
{
	cfg.max_ram_below_4g = v;
	cfg.max_ram_below_4g_set = true;
}

static int add_object(const char *id, uint64_t size)
{
	struct mem_object *o = &cfg.objects[cfg.nr_objects];

	snprintf(o->id, sizeof(o->id), "%s", id);
	o->size = size;
	return (int)cfg.nr_objects++;
}

/* cpus first..last (first < 0: no cpus=). */
static void add_node(unsigned nodeid, const char *memdev, int first, int last)
{
	struct numa_node *n = &cfg.numa[cfg.nr_numa++];

	memset(n, 0, sizeof(*n));
	n->nodeid = nodeid;
	n->memdev = -1; /* resolved by name, as before config_finish() */
	snprintf(n->memdev_id, sizeof(n->memdev_id), "%s", memdev);
	for (int c = first; first >= 0 && c <= last; c++) {
		n->cpus[c / 64] |= 1ull << (c % 64);
		n->has_cpus = true;
	}
}

static void layout_ok(void)
{
	int r = pc_memory_layout(&cfg, &opts, &lay);

	if (r)
		print_error("unexpected refusal: %s\n", err_msg());
	assert_int_equal(r, 0);
}

static void layout_refused(const char *needle)
{
	err_clear();
	assert_int_equal(pc_memory_layout(&cfg, &opts, &lay), -1);
	if (!strstr(err_msg(), needle))
		print_error("message '%s' lacks '%s'\n", err_msg(), needle);
	assert_non_null(strstr(err_msg(), needle));
}

static void check_e820(const struct e820_entry *exp, size_t n)
{
	if (lay.e820.nr != n) {
		char buf[2048];

		e820_format(&lay.e820, buf, sizeof(buf));
		print_error("got:\n%s", buf);
	}
	assert_int_equal(lay.e820.nr, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(lay.e820.entries[i].addr, exp[i].addr);
		assert_int_equal(lay.e820.entries[i].size, exp[i].size);
		assert_int_equal(lay.e820.entries[i].type, exp[i].type);
	}
}

static struct timespec fixed_clock(void *ctx)
{
	(void)ctx;
	/* 2026-11-23 21:05:09 UTC */
	return (struct timespec){ .tv_sec = 1795467909, .tv_nsec = 0 };
}

/*
 * Fill a CMOS the way minivmm's pc machine does, plus QEMU's empty floppy
 * drive A, so the result is comparable byte for byte with QEMU's CMOS.
 */
static void check_cmos_like_qemu(const struct byte *exp, size_t n)
{
	static const unsigned written[] = { 0x10, 0x12, 0x14, 0x15, 0x16,
					    0x17, 0x18, 0x30, 0x31, 0x34,
					    0x35, 0x38, 0x39, 0x3d, 0x5b,
					    0x5c, 0x5d, 0x5f };
	struct cmos *cmos;

	cmos = cmos_create(fixed_clock, NULL);
	assert_non_null(cmos);
	assert_int_equal(pc_cmos_init_memory(cmos, &lay), 0);
	assert_int_equal(
		pc_cmos_set_floppy(cmos, lay.compat.floppy_fallback_type, 0),
		0);
	for (size_t i = 0; i < n; i++) {
		if (cmos_get_byte(cmos, exp[i].addr) != exp[i].val)
			print_error("CMOS 0x%02x: got 0x%02x, want 0x%02x\n",
				    exp[i].addr,
				    cmos_get_byte(cmos, exp[i].addr),
				    exp[i].val);
		assert_int_equal(cmos_get_byte(cmos, exp[i].addr),
				 exp[i].val);
	}
	/* QEMU leaves every other NVRAM byte from 0x0e up zero (0x32 is the
	 * century, a clock register). */
	for (unsigned a = 0x0e; a < CMOS_SIZE; a++) {
		bool listed = a == CMOS_CENTURY;

		for (size_t i = 0; i < sizeof(written) / sizeof(written[0]);
		     i++)
			listed |= written[i] == a;
		if (!listed)
			assert_int_equal(cmos_get_byte(cmos, a), 0);
	}
	cmos_device_ops.destroy(cmos);
}

/* The bytes every default QEMU pc CMOS has, plus per-test memory bytes. */
#define QEMU_CMOS_COMMON(fd)                                                \
	{ 0x10, fd }, { 0x12, 0x00 }, { 0x14, 0x07 }, { 0x15, 0x80 },       \
		{ 0x16, 0x02 }, { 0x38, 0x30 }, { 0x39, 0x00 },             \
	{                                                                   \
		0x3d, 0x12                                                  \
	}
#define EXT_FULL { 0x17, 0xff }, { 0x18, 0xff }, { 0x30, 0xff }, { 0x31, 0xff }

/* ---- low and high RAM as QEMU's pc machines split them ------------------ */

static void test_pc_4g(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP, HT, { 0, 0xc0000000, RAM },
		{ 0x100000000ull, 0x40000000, RAM },
	};
	static const struct byte cm[] = {
		QEMU_CMOS_COMMON(0x50), EXT_FULL,   { 0x34, 0x00 },
		{ 0x35, 0xbf },		{ 0x5b, 0x00 }, { 0x5c, 0x40 },
		{ 0x5d, 0x00 },		{ 0x5f, 0x00 },
	};

	(void)state;
	cfg.ram_size = 4 * GiB;
	layout_ok();
	assert_int_equal(lay.below_4g, 3072 * MiB);
	assert_int_equal(lay.above_4g, 1024 * MiB);
	assert_int_equal(lay.above_4g_start, 4 * GiB);
	assert_int_equal(lay.max_ram_below_4g, 0xe0000000);
	assert_true(lay.amd_ht_reserved);
	assert_int_equal(lay.nr_warnings, 0);
	check_e820(exp, 4);
	check_cmos_like_qemu(cm, sizeof(cm) / sizeof(cm[0]));
	/* One backend, two memslots. */
	assert_int_equal(lay.nr_pieces, 2);
	assert_int_equal(lay.pieces[0].gpa, 0);
	assert_int_equal(lay.pieces[0].size, 3 * GiB);
	assert_int_equal(lay.pieces[0].backend, PC_RAM_BACKEND_MAIN);
	assert_int_equal(lay.pieces[0].offset, 0);
	assert_int_equal(lay.pieces[0].node, -1);
	assert_int_equal(lay.pieces[1].gpa, 4 * GiB);
	assert_int_equal(lay.pieces[1].size, 1 * GiB);
	assert_int_equal(lay.pieces[1].backend, PC_RAM_BACKEND_MAIN);
	assert_int_equal(lay.pieces[1].offset, 3 * GiB);
	assert_int_equal(lay.nr_nodes, 0);
	assert_int_equal(lay.cpu_node[0], -1);
}

static void test_pc_i440fx_1_7_4g(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP,
		{ 0, 0xe0000000, RAM },
		{ 0x100000000ull, 0x20000000, RAM },
	};
	static const struct byte cm[] = {
		QEMU_CMOS_COMMON(0x40), EXT_FULL,   { 0x34, 0x00 },
		{ 0x35, 0xdf },		{ 0x5b, 0x00 }, { 0x5c, 0x20 },
		{ 0x5d, 0x00 },		{ 0x5f, 0x00 },
	};

	(void)state;
	machine("pc-i440fx-1.7");
	cfg.ram_size = 4 * GiB;
	layout_ok();
	assert_int_equal(lay.below_4g, 3584 * MiB);
	assert_int_equal(lay.above_4g, 512 * MiB);
	assert_false(lay.compat.gigabyte_align);
	assert_false(lay.compat.amd_1tb_hole);
	check_e820(exp, 3);
	check_cmos_like_qemu(cm, sizeof(cm) / sizeof(cm[0]));
}

static void test_max_below_2g(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP, HT, { 0, 0x80000000, RAM },
		{ 0x100000000ull, 0x80000000, RAM },
	};
	static const struct byte cm[] = {
		QEMU_CMOS_COMMON(0x50), EXT_FULL,   { 0x34, 0x00 },
		{ 0x35, 0x7f },		{ 0x5b, 0x00 }, { 0x5c, 0x80 },
		{ 0x5d, 0x00 },		{ 0x5f, 0x00 },
	};

	(void)state;
	cfg.ram_size = 4 * GiB;
	max_below(2 * GiB);
	layout_ok();
	assert_int_equal(lay.below_4g, 2048 * MiB);
	assert_int_equal(lay.above_4g, 2048 * MiB);
	check_e820(exp, 4);
	check_cmos_like_qemu(cm, sizeof(cm) / sizeof(cm[0]));
}

static void test_max_below_4g_3968m(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP,
		HT,
		{ 0, 0xf8000000, RAM },
	};
	static const struct byte cm[] = {
		QEMU_CMOS_COMMON(0x50), EXT_FULL,   { 0x34, 0x00 },
		{ 0x35, 0xf7 },		{ 0x5b, 0x00 }, { 0x5c, 0x00 },
		{ 0x5d, 0x00 },		{ 0x5f, 0x00 },
	};

	(void)state;
	cfg.ram_size = 3968 * MiB;
	max_below(4 * GiB);
	layout_ok();
	assert_int_equal(lay.below_4g, 3968 * MiB);
	assert_int_equal(lay.above_4g, 0);
	assert_int_equal(lay.nr_pieces, 1);
	check_e820(exp, 3);
	check_cmos_like_qemu(cm, sizeof(cm) / sizeof(cm[0]));
}

static void test_pc_1g(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP,
		HT,
		{ 0, 0x40000000, RAM },
	};
	static const struct byte cm[] = {
		QEMU_CMOS_COMMON(0x50), EXT_FULL,   { 0x34, 0x00 },
		{ 0x35, 0x3f },		{ 0x5b, 0x00 }, { 0x5c, 0x00 },
		{ 0x5d, 0x00 },		{ 0x5f, 0x00 },
	};

	(void)state;
	cfg.ram_size = 1 * GiB;
	layout_ok();
	assert_int_equal(lay.below_4g, 1 * GiB);
	check_e820(exp, 3);
	check_cmos_like_qemu(cm, sizeof(cm) / sizeof(cm[0]));
}

/*
 * -m 1G -smp 2 -object memory-backend-ram,id=m0,size=512M
 * -object memory-backend-ram,id=m1,size=512M
 * -numa node,memdev=m0,cpus=0,nodeid=0 -numa node,memdev=m1,cpus=1,nodeid=1
 */
static void test_numa_2x512m(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP,
		HT,
		{ 0, 0x40000000, RAM },
	};
	static const struct byte cm[] = {
		QEMU_CMOS_COMMON(0x50), EXT_FULL,   { 0x34, 0x00 },
		{ 0x35, 0x3f },		{ 0x5b, 0x00 }, { 0x5c, 0x00 },
		{ 0x5d, 0x00 },		{ 0x5f, 0x01 },
	};

	(void)state;
	cfg.ram_size = 1 * GiB;
	cfg.smp = 2;
	add_object("m0", 512 * MiB);
	add_object("m1", 512 * MiB);
	add_node(0, "m0", 0, 0);
	add_node(1, "m1", 1, 1);
	layout_ok();
	check_e820(exp, 3);
	check_cmos_like_qemu(cm, sizeof(cm) / sizeof(cm[0]));

	assert_int_equal(lay.nr_pieces, 2);
	assert_int_equal(lay.pieces[0].gpa, 0);
	assert_int_equal(lay.pieces[0].size, 512 * MiB);
	assert_int_equal(lay.pieces[0].backend, 0);
	assert_int_equal(lay.pieces[0].offset, 0);
	assert_int_equal(lay.pieces[0].node, 0);
	assert_int_equal(lay.pieces[1].gpa, 512 * MiB);
	assert_int_equal(lay.pieces[1].size, 512 * MiB);
	assert_int_equal(lay.pieces[1].backend, 1);
	assert_int_equal(lay.pieces[1].offset, 0);
	assert_int_equal(lay.pieces[1].node, 1);

	assert_int_equal(lay.nr_nodes, 2);
	assert_int_equal(lay.nodes[0].nodeid, 0);
	assert_int_equal(lay.nodes[0].memdev, 0);
	assert_int_equal(lay.nodes[0].nr_ranges, 1);
	assert_int_equal(lay.nodes[0].ranges[0].gpa, 0);
	assert_int_equal(lay.nodes[0].ranges[0].size, 512 * MiB);
	assert_int_equal(lay.nodes[1].nr_ranges, 1);
	assert_int_equal(lay.nodes[1].ranges[0].gpa, 512 * MiB);
	assert_int_equal(lay.cpu_node[0], 0);
	assert_int_equal(lay.cpu_node[1], 1);
	assert_int_equal(lay.nr_warnings, 0);
}

/* ---- more splits, all checked against QEMU ------------------------------ */

static void test_just_below_default_split(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP,
		HT,
		{ 0, 0xdff00000, RAM },
	};
	static const struct byte cm[] = {
		QEMU_CMOS_COMMON(0x50), EXT_FULL,   { 0x34, 0xf0 },
		{ 0x35, 0xde },		{ 0x5b, 0x00 }, { 0x5c, 0x00 },
		{ 0x5d, 0x00 },		{ 0x5f, 0x00 },
	};

	(void)state;
	cfg.ram_size = 3583 * MiB; /* one MiB short of 3.5 GiB: all low */
	layout_ok();
	check_e820(exp, 3);
	check_cmos_like_qemu(cm, sizeof(cm) / sizeof(cm[0]));
}

static void test_at_default_split(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP, HT, { 0, 0xc0000000, RAM },
		{ 0x100000000ull, 0x20000000, RAM },
	};
	static const struct byte cm[] = {
		QEMU_CMOS_COMMON(0x50), EXT_FULL,   { 0x34, 0x00 },
		{ 0x35, 0xbf },		{ 0x5b, 0x00 }, { 0x5c, 0x20 },
		{ 0x5d, 0x00 },		{ 0x5f, 0x00 },
	};

	(void)state;
	cfg.ram_size = 3584 * MiB; /* exactly 3.5 GiB: split at 3 GiB */
	layout_ok();
	check_e820(exp, 4);
	check_cmos_like_qemu(cm, sizeof(cm) / sizeof(cm[0]));
}

static void test_max_below_not_gb_aligned(void **state)
{
	static const struct e820_entry split3g[] = {
		IDMAP, HT, { 0, 0xc0000000, RAM },
		{ 0x100000000ull, 0x40000000, RAM },
	};
	static const struct e820_entry low3g[] = {
		IDMAP,
		HT,
		{ 0, 0xc0000000, RAM },
	};

	(void)state;
	/* 3200M with -m 4G: lowered to 3 GiB, aligned, no warning. */
	cfg.ram_size = 4 * GiB;
	max_below(3200 * MiB);
	layout_ok();
	check_e820(split3g, 4);
	assert_int_equal(lay.nr_warnings, 0);
	/* 3200M with -m 3G: RAM below the cap, all low. */
	cfg.ram_size = 3 * GiB;
	layout_ok();
	check_e820(low3g, 3);
	/* 3000M with -m 4G: kept, QEMU warns (derived from pc_init1). */
	cfg.ram_size = 4 * GiB;
	max_below(3000 * MiB);
	layout_ok();
	assert_int_equal(lay.below_4g, 3000 * MiB);
	assert_int_equal(lay.above_4g, 1096 * MiB);
	assert_int_equal(lay.nr_warnings, 1);
	assert_non_null(strstr(lay.warnings[0], "not a multiple of 1G"));
	/* 0 means the default. */
	max_below(0);
	layout_ok();
	assert_int_equal(lay.max_ram_below_4g, 0xe0000000);
	assert_int_equal(lay.below_4g, 3 * GiB);
}

static void test_max_below_under_1m_warns(void **state)
{
	(void)state;
	cfg.ram_size = 1 * GiB;
	max_below(512 * 1024);
	layout_ok();
	assert_int_equal(lay.below_4g, 512 * 1024);
	assert_int_equal(lay.above_4g, 1 * GiB - 512 * 1024);
	assert_int_equal(lay.nr_warnings, 2);
	assert_non_null(strstr(lay.warnings[0], "less than 1MiB"));
}

static void test_largest_low_ram(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP,
		HT,
		{ 0, 0xfeb00000, RAM },
	};

	(void)state;
	cfg.ram_size = 4075 * MiB;
	max_below(4 * GiB);
	layout_ok();
	check_e820(exp, 3);
	/* One MiB more reaches the IOAPIC; QEMU 7.2 aborts. */
	cfg.ram_size = 4076 * MiB;
	layout_refused("IOAPIC at 0xfec00000");
	cfg.ram_size = 4080 * MiB;
	layout_refused("QEMU 7.2 aborts");
}

static void test_small_ram_cmos(void **state)
{
	static const struct byte cm16[] = {
		QEMU_CMOS_COMMON(0x50), { 0x17, 0x00 }, { 0x18, 0x3c },
		{ 0x30, 0x00 },		{ 0x31, 0x3c }, { 0x34, 0x00 },
		{ 0x35, 0x00 },		{ 0x5b, 0x00 }, { 0x5c, 0x00 },
		{ 0x5d, 0x00 },		{ 0x5f, 0x00 },
	};
	static const struct byte cm8[] = {
		{ 0x17, 0x00 }, { 0x18, 0x1c }, { 0x30, 0x00 },
		{ 0x31, 0x1c }, { 0x34, 0x00 }, { 0x35, 0x00 },
	};
	/* Derived: 512 KiB of RAM is below the 640 KiB base memory. */
	static const struct byte cm512k[] = {
		{ 0x15, 0x00 }, { 0x16, 0x02 }, { 0x17, 0x00 }, { 0x18, 0x00 },
		{ 0x30, 0x00 }, { 0x31, 0x00 }, { 0x34, 0x00 }, { 0x35, 0x00 },
	};

	(void)state;
	cfg.ram_size = 16 * MiB;
	layout_ok();
	check_cmos_like_qemu(cm16, sizeof(cm16) / sizeof(cm16[0]));
	cfg.ram_size = 8 * MiB;
	layout_ok();
	check_cmos_like_qemu(cm8, sizeof(cm8) / sizeof(cm8[0]));
	cfg.ram_size = 512 * 1024;
	layout_ok();
	check_cmos_like_qemu(cm512k, sizeof(cm512k) / sizeof(cm512k[0]));
}

/* ---- the AMD HyperTransport hole --------------------------------------- */

static void test_intel_vcpu_has_no_ht_entry(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP,
		{ 0, 0xc0000000, RAM },
		{ 0x100000000ull, 0x40000000, RAM },
	};

	(void)state;
	cfg.ram_size = 4 * GiB;
	opts.cpu_amd = false; /* -cpu qemu64,vendor=GenuineIntel */
	layout_ok();
	check_e820(exp, 3);
	assert_false(lay.amd_ht_reserved);
	/* -cpu qemu64,phys-bits=39: AMD, but cannot address the hole. */
	opts.cpu_amd = true;
	opts.phys_bits = 39;
	layout_ok();
	check_e820(exp, 3);
	/* phys-bits=32: no 64-bit window at all; 4 GiB of RAM still fine. */
	opts.phys_bits = 32;
	layout_ok();
	check_e820(exp, 3);
	assert_int_equal(lay.max_used_gpa, 0xffffffffull);
}

/* With KVM the vCPUs (and QEMU's qemu64) report the host's vendor. */
static void test_default_vendor_is_the_hosts(void **state)
{
	char line[256];
	bool amd = false, seen = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	(void)state;
	if (!f)
		skip();
	while (!seen && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "vendor_id", 9)) {
			seen = true;
			amd = strstr(line, "AuthenticAMD") != NULL;
		}
	}
	fclose(f);
	if (!seen)
		skip();
	pc_memory_opts_qemu_default(&opts);
	assert_int_equal(opts.cpu_amd, amd);
	assert_int_equal(opts.phys_bits, 40);
}

static void test_older_types_have_no_ht_entry(void **state)
{
	static const struct e820_entry old[] = {
		IDMAP,
		{ 0, 0xc0000000, RAM },
		{ 0x100000000ull, 0x40000000, RAM },
	};
	static const struct e820_entry new[] = {
		IDMAP, HT, { 0, 0xc0000000, RAM },
		{ 0x100000000ull, 0x40000000, RAM },
	};

	(void)state;
	cfg.ram_size = 4 * GiB;
	machine("pc-i440fx-6.2");
	layout_ok();
	check_e820(old, 3);
	machine("pc-i440fx-7.0");
	layout_ok();
	check_e820(old, 3);
	machine("pc-i440fx-7.1");
	layout_ok();
	check_e820(new, 4);
	machine("pc-i440fx-7.2");
	layout_ok();
	check_e820(new, 4);
}

/* -m 1009G (a sparse memory-backend-file): high RAM stays at 4 GiB. */
static void test_ht_hole_not_reached(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP, HT, { 0, 0xc0000000, RAM },
		{ 0x100000000ull, 0xfb80000000ull, RAM },
	};
	static const struct byte cm[] = {
		{ 0x35, 0xbf }, { 0x5b, 0x00 }, { 0x5c, 0x80 }, { 0x5d, 0xfb },
	};

	(void)state;
	cfg.ram_size = 1009 * GiB;
	layout_ok();
	assert_int_equal(lay.above_4g_start, 4 * GiB);
	/* End of RAM 1010 GiB, plus the 2 GiB window: just below the hole. */
	assert_int_equal(lay.max_used_gpa, 0xfcffffffffull);
	check_e820(exp, 4);
	check_cmos_like_qemu(cm, sizeof(cm) / sizeof(cm[0]));
}

/* -m 1011G: the window would reach the hole, so RAM moves to 1 TiB. */
static void test_ht_hole_relocates_high_ram(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP, HT, { 0, 0xc0000000, RAM },
		{ 0x10000000000ull, 0xfc00000000ull, RAM },
	};
	static const struct byte cm[] = {
		{ 0x5b, 0x00 },
		{ 0x5c, 0x00 },
		{ 0x5d, 0xfc },
	};

	(void)state;
	cfg.ram_size = 1011 * GiB;
	/* qemu64's 40 bits cannot reach the moved RAM: QEMU's message. */
	layout_refused(
		"Address space limit 0xffffffffff < 0x1fc7fffffff phys-bits too low (40)");
	/* -cpu qemu64,phys-bits=48 */
	opts.phys_bits = 48;
	layout_ok();
	assert_int_equal(lay.above_4g_start, 1ull << 40);
	check_e820(exp, 4);
	check_cmos_like_qemu(cm, sizeof(cm) / sizeof(cm[0]));
	assert_int_equal(lay.pieces[1].gpa, 1ull << 40);
	assert_int_equal(lay.pieces[1].offset, 3 * GiB);
	/* An Intel vCPU keeps RAM at 4 GiB (and fits in 48 bits). */
	opts.cpu_amd = false;
	layout_ok();
	assert_int_equal(lay.above_4g_start, 4 * GiB);
	assert_int_equal(lay.e820.nr, 3);
}

static void test_no_identity_map(void **state)
{
	static const struct e820_entry exp[] = {
		HT,
		{ 0, 0x40000000, RAM },
	};

	(void)state;
	cfg.ram_size = 1 * GiB;
	opts.kvm_identity_map = false;
	layout_ok();
	check_e820(exp, 2);
}

/* ---- NUMA layouts --------------------------------------------------------- */

/* -m 4G, two 2G nodes: node 1 is cut by the PCI hole. */
static void test_numa_node_split_by_hole(void **state)
{
	(void)state;
	cfg.ram_size = 4 * GiB;
	cfg.smp = 4;
	add_object("a", 2 * GiB);
	add_object("b", 2 * GiB);
	add_node(0, "a", 0, 1);
	add_node(1, "b", 2, 3);
	layout_ok();
	assert_int_equal(lay.nr_pieces, 3);
	assert_int_equal(lay.pieces[0].gpa, 0);
	assert_int_equal(lay.pieces[0].size, 2 * GiB);
	assert_int_equal(lay.pieces[0].backend, 0);
	assert_int_equal(lay.pieces[1].gpa, 2 * GiB);
	assert_int_equal(lay.pieces[1].size, 1 * GiB);
	assert_int_equal(lay.pieces[1].backend, 1);
	assert_int_equal(lay.pieces[1].offset, 0);
	assert_int_equal(lay.pieces[2].gpa, 4 * GiB);
	assert_int_equal(lay.pieces[2].size, 1 * GiB);
	assert_int_equal(lay.pieces[2].backend, 1);
	assert_int_equal(lay.pieces[2].offset, 1 * GiB);
	assert_int_equal(lay.pieces[2].node, 1);
	assert_int_equal(lay.nodes[1].nr_ranges, 2);
	assert_int_equal(lay.nodes[1].ranges[0].gpa, 2 * GiB);
	assert_int_equal(lay.nodes[1].ranges[0].size, 1 * GiB);
	assert_int_equal(lay.nodes[1].ranges[1].gpa, 4 * GiB);
	assert_int_equal(lay.nodes[1].ranges[1].size, 1 * GiB);
	assert_int_equal(lay.cpu_node[3], 1);
	/* The E820 does not depend on NUMA. */
	assert_int_equal(lay.e820.nr, 4);
}

/* Nodes are laid out by node id, not by command-line order. */
static void test_numa_node_id_order(void **state)
{
	(void)state;
	cfg.ram_size = 1 * GiB;
	add_object("m0", 256 * MiB);
	add_object("m1", 768 * MiB);
	add_node(1, "m0", -1, -1);
	add_node(0, "m1", -1, -1);
	layout_ok();
	assert_int_equal(lay.pieces[0].gpa, 0);
	assert_int_equal(lay.pieces[0].size, 768 * MiB);
	assert_int_equal(lay.pieces[0].backend, 1);
	assert_int_equal(lay.pieces[1].gpa, 768 * MiB);
	assert_int_equal(lay.pieces[1].backend, 0);
	assert_int_equal(lay.nodes[0].memdev, 1);
	assert_int_equal(lay.nodes[1].memdev, 0);
	/* No cpus= anywhere: all vCPUs on node 0, silently. */
	assert_int_equal(lay.cpu_node[0], 0);
	assert_int_equal(lay.nr_warnings, 0);
}

static void test_numa_partial_cpus_warns(void **state)
{
	(void)state;
	cfg.ram_size = 1 * GiB;
	cfg.smp = 3;
	add_object("m0", 512 * MiB);
	add_object("m1", 512 * MiB);
	add_node(0, "m0", -1, -1);
	add_node(1, "m1", 0, 0);
	layout_ok();
	assert_int_equal(lay.cpu_node[0], 1);
	assert_int_equal(lay.cpu_node[1], 0);
	assert_int_equal(lay.cpu_node[2], 0);
	assert_int_equal(lay.nr_warnings, 1);
	assert_non_null(strstr(lay.warnings[0],
			       "CPU(s) not present in any NUMA nodes: CPU 1, CPU 2"));
}

/* ---- refusals -------------------------------------------------------------- */

static void test_refuse_max_below_above_4g(void **state)
{
	(void)state;
	cfg.ram_size = 4 * GiB;
	max_below(5 * GiB);
	layout_refused(
		"Machine option 'max-ram-below-4g=5368709120' expects size less than or equal to 4G");
	assert_non_null(strstr(err_msg(), "max-ram-below-4g"));
	max_below(4 * GiB + 1);
	layout_refused("expects size less than or equal to 4G");
	max_below(4 * GiB); /* the limit itself is fine */
	layout_ok();
}

static void test_refuse_bad_sizes(void **state)
{
	(void)state;
	cfg.ram_size = 0;
	layout_refused("-m:");
	cfg.ram_size = 1 * GiB + 512;
	layout_refused("4 KiB pages");
	cfg.ram_size = 1 * GiB;
	max_below(0x10000001);
	layout_refused("max-ram-below-4g=0x10000001");
	cfg.max_ram_below_4g_set = false;
	cfg.ram_size = 1ull << 53;
	layout_refused("beyond what any x86 vCPU can address");
	cfg.ram_size = 1 * GiB;
	opts.phys_bits = 31;
	layout_refused("phys-bits should be between 32 and 52");
	opts.phys_bits = 53;
	layout_refused("phys-bits should be between 32 and 52");
}

static void test_refuse_machine_types(void **state)
{
	struct pc_compat c;

	(void)state;
	machine("pc-i440fx-1.3");
	layout_refused("-M pc-i440fx-1.3: unsupported machine type");
	machine("pc-i440fx-2.13");
	layout_refused("unsupported machine type");
	machine("pc-i440fx-7.3");
	layout_refused("unsupported machine type");
	machine("pc-i440fx-8");
	layout_refused("not a pc machine type");
	machine("q35");
	layout_refused("not a pc machine type");

	assert_int_equal(pc_machine_compat("", false, &c), 0);
	assert_int_equal(c.major, 7);
	assert_int_equal(c.minor, 2);
	assert_true(c.gigabyte_align);
	assert_true(c.amd_1tb_hole);
	assert_int_equal(c.floppy_fallback_type, 5);
	assert_int_equal(pc_machine_compat("pc-i440fx-1.4", false, &c), 0);
	assert_false(c.gigabyte_align);
	assert_int_equal(c.floppy_fallback_type, 4);
	assert_int_equal(pc_machine_compat("pc-i440fx-2.0", false, &c), 0);
	assert_true(c.gigabyte_align);
	assert_int_equal(pc_machine_compat("pc-i440fx-2.5", false, &c), 0);
	assert_int_equal(c.floppy_fallback_type, 4);
	assert_int_equal(pc_machine_compat("pc-i440fx-2.6", false, &c), 0);
	assert_int_equal(c.floppy_fallback_type, 5);
	assert_false(c.amd_1tb_hole);
	/* The config's legacy flag wins. */
	assert_int_equal(pc_machine_compat("pc", true, &c), 0);
	assert_false(c.gigabyte_align);
}

static void numa_two_nodes(void)
{
	cfg.ram_size = 1 * GiB;
	cfg.smp = 2;
	add_object("m0", 512 * MiB);
	add_object("m1", 512 * MiB);
}

static void test_refuse_numa_total(void **state)
{
	(void)state;
	numa_two_nodes();
	add_node(0, "m0", -1, -1);
	add_node(1, "m1", -1, -1);
	cfg.ram_size = 128 * MiB; /* QEMU's default -m */
	layout_refused(
		"total memory for NUMA nodes (0x40000000) should equal RAM size (0x8000000)");
	cfg.ram_size = 2 * GiB;
	layout_refused(
		"total memory for NUMA nodes (0x40000000) should equal RAM size (0x80000000)");
}

static void test_refuse_numa_cpu_range(void **state)
{
	(void)state;
	numa_two_nodes();
	add_node(0, "m0", 0, 2);
	add_node(1, "m1", -1, -1);
	layout_refused("-numa node,nodeid=0,memdev=m0: "
		       "CPU index (2) should be smaller than maxcpus (2)");
}

static void test_refuse_numa_cpu_twice(void **state)
{
	(void)state;
	numa_two_nodes();
	add_node(0, "m0", 0, 1);
	add_node(1, "m1", 1, 1);
	layout_refused("-numa node,nodeid=1,memdev=m1: "
		       "CPU is already assigned to node-id: 0");
}

static void test_refuse_numa_duplicate_id(void **state)
{
	(void)state;
	numa_two_nodes();
	add_node(0, "m0", -1, -1);
	add_node(0, "m1", -1, -1);
	layout_refused("-numa node,nodeid=0,memdev=m1: Duplicate NUMA nodeid: 0");
}

static void test_refuse_numa_unknown_memdev(void **state)
{
	(void)state;
	numa_two_nodes();
	add_node(0, "m0", -1, -1);
	add_node(1, "mX", -1, -1);
	layout_refused("-numa node,nodeid=1,memdev=mX: no -object");
	assert_non_null(strstr(err_msg(), "memdev=mX is ambiguous"));
}

static void test_refuse_numa_missing_id(void **state)
{
	(void)state;
	numa_two_nodes();
	add_node(0, "m0", -1, -1);
	add_node(2, "m1", -1, -1);
	cfg.ram_size = 2 * GiB; /* QEMU names the missing id first */
	layout_refused("numa: Node ID missing: 1");
	cfg.nr_numa = 0;
	add_node(1, "m0", -1, -1);
	add_node(2, "m1", -1, -1);
	layout_refused("numa: Node ID missing: 0");
}

static void test_refuse_numa_memdev_reused(void **state)
{
	(void)state;
	numa_two_nodes();
	add_node(0, "m0", -1, -1);
	add_node(1, "m0", -1, -1);
	layout_refused("memory backend m0 can't be used multiple times.");
	/* With -m 2G the size check comes first, as in QEMU. */
	cfg.ram_size = 2 * GiB;
	layout_refused("total memory for NUMA nodes (0x40000000)");
}

static void test_refuse_numa_unaligned_backend(void **state)
{
	(void)state;
	cfg.ram_size = 1 * GiB;
	add_object("m0", 512 * MiB + 512);
	add_object("m1", 512 * MiB - 512);
	add_node(0, "m0", -1, -1);
	add_node(1, "m1", -1, -1);
	layout_refused("id=m0,size=0x20000200: size must be a positive multiple of 4 KiB");
}

/* ---- --e820 ---------------------------------------------------------------- */

static void test_user_e820(void **state)
{
	static const struct e820_entry exp[] = {
		IDMAP,
		HT,
		{ 0, 0x40000000, RAM },
		{ 0xfee00000, 0x2000, R },
		{ 0xf0000000, 0x1000, E820_ACPI },
	};

	(void)state;
	cfg.ram_size = 1 * GiB;
	cfg.e820[cfg.nr_e820++] = (struct e820_user){ 2, 0xfee00000, 0x1000 };
	/* Adjacent to the previous entry, same type: merged. */
	cfg.e820[cfg.nr_e820++] = (struct e820_user){ 2, 0xfee01000, 0x1000 };
	cfg.e820[cfg.nr_e820++] = (struct e820_user){ 3, 0xf0000000, 0x1000 };
	layout_ok();
	check_e820(exp, 5);
	/* Overlapping RAM: refused, naming the option. */
	cfg.e820[cfg.nr_e820++] = (struct e820_user){ 2, 0x3ffff000, 0x2000 };
	layout_refused("--e820 RESERVED,0x3ffff000,0x2000: e820: RESERVED");
	assert_non_null(strstr(err_msg(), "overlaps entry 2, RAM"));
}

/* ---- CMOS helpers ---------------------------------------------------------- */

static void test_cmos_boot_order(void **state)
{
	struct cmos *cmos;

	(void)state;
	cmos = cmos_create(fixed_clock, NULL);
	assert_non_null(cmos);
	assert_int_equal(pc_cmos_set_boot_order(cmos, "cad", true), 0);
	assert_int_equal(cmos_get_byte(cmos, 0x3d), 0x12);
	assert_int_equal(cmos_get_byte(cmos, 0x38), 0x30);
	assert_int_equal(pc_cmos_set_boot_order(cmos, "dn", false), 0);
	assert_int_equal(cmos_get_byte(cmos, 0x3d), 0x43);
	assert_int_equal(cmos_get_byte(cmos, 0x38), 0x01);
	assert_int_equal(pc_cmos_set_boot_order(cmos, "", true), 0);
	assert_int_equal(cmos_get_byte(cmos, 0x3d), 0x00);
	assert_int_equal(pc_cmos_set_boot_order(cmos, "cadn", true), -1);
	assert_non_null(strstr(err_msg(), "Too many boot devices for PC"));
	assert_int_equal(pc_cmos_set_boot_order(cmos, "cx", true), -1);
	assert_non_null(strstr(err_msg(), "Invalid boot device for PC: 'x'"));
	cmos_device_ops.destroy(cmos);
}

static void test_cmos_floppy(void **state)
{
	struct cmos *cmos;

	(void)state;
	cfg.ram_size = 1 * GiB;
	layout_ok();
	cmos = cmos_create(fixed_clock, NULL);
	assert_non_null(cmos);
	assert_int_equal(pc_cmos_init_memory(cmos, &lay), 0);
	/* minivmm's own machine: no floppy controller, no drives. */
	assert_int_equal(cmos_get_byte(cmos, 0x10), 0x00);
	assert_int_equal(cmos_get_byte(cmos, 0x14), 0x06);
	assert_int_equal(pc_cmos_set_floppy(cmos, 4, 4), 0);
	assert_int_equal(cmos_get_byte(cmos, 0x10), 0x44);
	assert_int_equal(cmos_get_byte(cmos, 0x14), 0x47);
	assert_int_equal(pc_cmos_set_floppy(cmos, 0, 2), 0);
	assert_int_equal(cmos_get_byte(cmos, 0x10), 0x02);
	assert_int_equal(cmos_get_byte(cmos, 0x14), 0x07);
	assert_int_equal(pc_cmos_set_floppy(cmos, 6, 0), -1);
	cmos_device_ops.destroy(cmos);
}

static void test_format_listing(void **state)
{
	char buf[4096];
	size_t n;

	(void)state;
	numa_two_nodes();
	add_node(0, "m0", 0, 0);
	add_node(1, "m1", 1, 1);
	layout_ok();
	n = pc_memory_format(&lay, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_non_null(strstr(buf, "pc-i440fx-7.2: 1 GiB below 4 GiB, none above "
				    "(max-ram-below-4g 0xe0000000)\n"));
	assert_non_null(strstr(buf, "NUMA node 1: 512 MiB, cpus 1\n"));
	assert_non_null(strstr(buf, "E820:\n  0: 0x00000000feffc000"));
	assert_int_equal(pc_memory_format(&lay, NULL, 0), n);
	setup(NULL);
	cfg.ram_size = 4 * GiB;
	layout_ok();
	pc_memory_format(&lay, buf, sizeof(buf));
	assert_non_null(strstr(buf, "3 GiB below 4 GiB, 1 GiB from 0x100000000 "));
	assert_non_null(strstr(buf, "  0x0000000100000000-0x000000013fffffff 1 GiB      "
				    "backend -1 +0xc0000000\n"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_pc_4g),
		T(test_pc_i440fx_1_7_4g),
		T(test_max_below_2g),
		T(test_max_below_4g_3968m),
		T(test_pc_1g),
		T(test_numa_2x512m),
		T(test_just_below_default_split),
		T(test_at_default_split),
		T(test_max_below_not_gb_aligned),
		T(test_max_below_under_1m_warns),
		T(test_largest_low_ram),
		T(test_default_vendor_is_the_hosts),
		T(test_small_ram_cmos),
		T(test_intel_vcpu_has_no_ht_entry),
		T(test_older_types_have_no_ht_entry),
		T(test_ht_hole_not_reached),
		T(test_ht_hole_relocates_high_ram),
		T(test_no_identity_map),
		T(test_numa_node_split_by_hole),
		T(test_numa_node_id_order),
		T(test_numa_partial_cpus_warns),
		T(test_refuse_max_below_above_4g),
		T(test_refuse_bad_sizes),
		T(test_refuse_machine_types),
		T(test_refuse_numa_total),
		T(test_refuse_numa_cpu_range),
		T(test_refuse_numa_cpu_twice),
		T(test_refuse_numa_duplicate_id),
		T(test_refuse_numa_unknown_memdev),
		T(test_refuse_numa_missing_id),
		T(test_refuse_numa_memdev_reused),
		T(test_refuse_numa_unaligned_backend),
		T(test_user_e820),
		T(test_cmos_boot_order),
		T(test_cmos_floppy),
		T(test_format_listing),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
