// SPDX-License-Identifier: MIT
/*
 * The parts of the command line that depend on the architecture, seen
 * from the x86 build the unit tests run in: --debugcon-mmio, the `dtb`
 * subcommand and -o, machine selection through arch_info() (pc is the
 * default machine, virt belongs to arm64 and is refused), and the
 * arch_info() contract itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "cli.h"
#include "log.h"
#include "unit.h"

#include "config_args.h"

static void test_arch_info_x86(void **state)
{
	const struct arch_info *ai = arch_info();

	(void)state;
	assert_string_equal(ai->name, "x86_64");
	assert_int_equal(ai->machine, MACHINE_PC);
	assert_true(ai->has_pio);
	assert_true(ai->has_cpu_modes);
	assert_int_equal(ai->bare_ram_base, 0);
	assert_int_equal(ai->bare_debugcon_mmio, 0);
	assert_str_contains(ai->machines, "pc");
}

static void test_debugcon_mmio_parsed_and_deduplicated(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "run", "--debugcon-mmio",
				      "0x9000000", "--debugcon-mmio",
				      "0x100000000", "--debugcon-mmio",
				      "150994944", "g.bin"),
			 0);
	assert_int_equal(cfg.nr_debugcon_mmio, 2);
	assert_int_equal(cfg.debugcon_mmio[0], 0x9000000);
	assert_int_equal(cfg.debugcon_mmio[1], 0x100000000ull);
	/* x86 keeps its port console; the bare machine adds no MMIO one. */
	assert_int_equal(cfg.nr_debugcon, 1);
	assert_int_equal(cfg.debugcon[0], 0xe9);
}

static void test_debugcon_mmio_none_by_default_on_x86(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "run", "g.bin"), 0);
	assert_int_equal(cfg.nr_debugcon_mmio, 0);
	assert_int_equal(cfg.ram_base, 0);
	assert_int_equal(cfg.load_addr, 0);
}

static void test_refuse_bad_debugcon_mmio(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_refused("--debugcon-mmio x: not a number", "--debugcon-mmio",
		       "x");
	assert_refused("--debugcon-mmio -1", "--debugcon-mmio", "-1");
	assert_refused("'--debugcon-mmio' needs a value", "g.bin",
		       "--debugcon-mmio");
	/* Seventeen distinct consoles are too many. */
	assert_int_equal(PARSE_FINISH(&cfg, "--debugcon-mmio", "0x10",
				      "--debugcon-mmio", "0x20",
				      "--debugcon-mmio", "0x30",
				      "--debugcon-mmio", "0x40",
				      "--debugcon-mmio", "0x50",
				      "--debugcon-mmio", "0x60",
				      "--debugcon-mmio", "0x70",
				      "--debugcon-mmio", "0x80",
				      "--debugcon-mmio", "0x90",
				      "--debugcon-mmio", "0xa0",
				      "--debugcon-mmio", "0xb0",
				      "--debugcon-mmio", "0xc0",
				      "--debugcon-mmio", "0xd0",
				      "--debugcon-mmio", "0xe0",
				      "--debugcon-mmio", "0xf0",
				      "--debugcon-mmio", "0x100",
				      "--debugcon-mmio", "0x110"),
			 -1);
	assert_err_contains("--debugcon-mmio 0x110: too many debug consoles");
}

static void test_dtb_command(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "dtb", "-o", "out.dtb", "-m",
				      "256M", "-smp", "2"),
			 0);
	assert_int_equal(cfg.command, CMD_DTB);
	assert_string_equal(cfg.output, "out.dtb");
	assert_int_equal(cfg.ram_size, 256ull << 20);
	assert_int_equal(cfg.smp, 2);
	/* The architecture's own machine, as for memmap. */
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_str_contains(cfg.machine_why, "dtb without -M");

	assert_int_equal(PARSE_FINISH(&cfg, "dtb", "--output=-"), 0);
	assert_string_equal(cfg.output, "-");
}

static void test_refuse_dtb_without_output_and_output_elsewhere(void **state)
{
	(void)state;
	assert_refused("minivmm dtb needs -o FILE", "dtb");
	assert_refused("-o x.dtb: only minivmm dtb writes a file", "run", "-o",
		       "x.dtb", "g.bin");
	assert_refused("-o x.dtb: only minivmm dtb", "memmap", "-o", "x.dtb");
	assert_refused("-o: expected a file name", "dtb", "-o", "");
}

static void test_machine_selection_follows_arch(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-kernel", "bzImage"), 0);
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_string_equal(cfg.machine_name, "pc");
	assert_int_equal(PARSE_FINISH(&cfg, "memmap"), 0);
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_int_equal(PARSE_FINISH(&cfg, "g.bin"), 0);
	assert_int_equal(cfg.machine, MACHINE_BARE);
	assert_string_equal(config_machine_name(MACHINE_VIRT), "virt");
}

static void test_refuse_virt_on_x86(void **state)
{
	(void)state;
	assert_refused("-M virt: the virt machine belongs to another architecture; this minivmm is built for x86_64",
		       "-M", "virt", "-kernel", "Image");
	assert_refused("machines: bare, pc", "-M", "virt,gic-version=3",
		       "-kernel", "Image");
	assert_refused("belongs to another architecture", "dtb", "-o", "x",
		       "-M", "virt");
	/* Unknown machines list this architecture's own. */
	assert_refused("unknown machine type 'q35' (bare, pc, pc-i440fx-1.7)",
		       "-M", "q35");
}

static void test_mode_still_accepted_on_x86(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "--mode", "long", "g.bin"), 0);
	assert_true(cfg.mode_set);
	assert_int_equal(cfg.mode, CPU_MODE_LONG);
}

static void test_usage_mentions_arch_options(void **state)
{
	char buf[16384];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	assert_non_null(f);
	config_usage(f);
	fclose(f);
	assert_str_contains(buf, "--debugcon-mmio ADDR");
	assert_str_contains(buf, "minivmm dtb -o FILE");
	assert_str_contains(buf, "-M virt");
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown_args)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_arch_info_x86),
		T(test_debugcon_mmio_parsed_and_deduplicated),
		T(test_debugcon_mmio_none_by_default_on_x86),
		T(test_refuse_bad_debugcon_mmio),
		T(test_dtb_command),
		T(test_refuse_dtb_without_output_and_output_elsewhere),
		T(test_machine_selection_follows_arch),
		T(test_refuse_virt_on_x86),
		T(test_mode_still_accepted_on_x86),
		T(test_usage_mentions_arch_options),
	};

	return cmocka_run_group_tests_name("config_arch", tests, NULL, NULL);
}
