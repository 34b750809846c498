// SPDX-License-Identifier: MIT
/*
 * Command-line parsing and validation: config_parse_size, config_parse_cpus,
 * config_parse + config_finish on whole argv arrays, and every refusal with
 * the option it names in err_msg().
 *
 * config_parse uses getopt, which permutes argv: each argv here is a fresh
 * array of strdup'd strings, freed by the teardown (cfg->image points into
 * it, so it lives until the test ends).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "unit.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

#include "config_args.h"

static size_t count_port(const struct vm_config *cfg, uint16_t port)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->nr_debugcon; i++)
		if (cfg->debugcon[i] == port)
			n++;
	return n;
}

static bool cpu_bit(const uint64_t *bitmap, unsigned cpu)
{
	return bitmap[cpu / 64] >> (cpu % 64) & 1;
}

/* ---- config_parse_size ------------------------------------------------ */

static void size_ok(const char *s, uint64_t unit, uint64_t expected)
{
	uint64_t v = 0xdeadbeef;

	err_clear();
	if (config_parse_size(s, unit, &v) != 0) {
		print_error("config_parse_size(\"%s\") failed: %s\n", s,
			    err_msg());
		fail();
	}
	if (v != expected) {
		print_error("config_parse_size(\"%s\", %llu) = %#llx, expected %#llx\n",
			    s, (unsigned long long)unit, (unsigned long long)v,
			    (unsigned long long)expected);
		fail();
	}
}

static void size_bad(const char *s, uint64_t unit, const char *needle)
{
	uint64_t v = 0;

	err_clear();
	if (config_parse_size(s, unit, &v) != -1) {
		print_error("config_parse_size(\"%s\") accepted: %#llx\n",
			    s ? s : "(null)", (unsigned long long)v);
		fail();
	}
	assert_err_contains(needle);
}

static void test_size_decimal(void **state)
{
	(void)state;
	size_ok("0", 1, 0);
	size_ok("1", 1, 1);
	size_ok("4096", 1, 4096);
	size_ok("1234567890123", 1, 1234567890123ull);
	size_ok("18446744073709551615", 1, UINT64_MAX);
}

static void test_size_hex(void **state)
{
	(void)state;
	size_ok("0x0", 1, 0);
	size_ok("0x1000", 1, 0x1000);
	size_ok("0XFFFF", 1, 0xffff);
	size_ok("0xdeadBEEF", 1, 0xdeadbeef);
	size_ok("0xffffffffffffffff", 1, UINT64_MAX);
}

static void test_size_suffixes_are_powers_of_1024(void **state)
{
	(void)state;
	size_ok("1K", 1, 1024);
	size_ok("1k", 1, 1024);
	size_ok("2M", 1, 2 * MiB);
	size_ok("2m", 1, 2 * MiB);
	size_ok("3G", 1, 3 * GiB);
	size_ok("1T", 1, 1ull << 40);
	size_ok("16383T", 1, 16383ull << 40);
	size_ok("0x10M", 1, 16 * MiB);
	size_ok("0K", 1, 0);
}

static void test_size_suffix_b_and_ib(void **state)
{
	(void)state;
	size_ok("16MiB", 1, 16 * MiB);
	size_ok("16MB", 1, 16 * MiB);
	size_ok("16mib", 1, 16 * MiB);
	size_ok("1KiB", 1, 1024);
	size_ok("2GB", 1, 2 * GiB);
	size_ok("4096B", 1, 4096);
	size_ok("4096b", 1, 4096);
}

static void test_size_bare_unit_applies_only_without_suffix(void **state)
{
	(void)state;
	size_ok("16", MiB, 16 * MiB); /* -m 16 is 16 MiB, as QEMU */
	size_ok("0x10", MiB, 16 * MiB);
	size_ok("16M", MiB, 16 * MiB);
	size_ok("16MiB", MiB, 16 * MiB);
	size_ok("2G", MiB, 2 * GiB);
	size_ok("64K", MiB, 64 * 1024);
	size_ok("4096B", MiB, 4096);
}

static void test_size_overflow_refused(void **state)
{
	(void)state;
	size_bad("99999999999T", 1, "too large");
	size_bad("16777216T", 1, "too large"); /* exactly 2^64 */
	size_ok("16777215T", 1, 16777215ull << 40);
	size_bad("17592186044416", MiB, "too large"); /* 2^44 MiB = 2^64 */
	size_bad("18446744073709551616", 1, "too large"); /* 2^64 */
	size_bad("0x10000000000000000", 1, "too large");
	size_bad("99999999999999999999999", 1, "too large");
}

static void test_size_junk_refused(void **state)
{
	(void)state;
	size_bad("12Q", 1, "unknown size suffix");
	size_bad("12Q", 1, "'Q'");
	size_bad("12MX", 1, "junk");
	size_bad("16MiBx", 1, "junk");
	size_bad("12Ki", 1, "junk");
	size_bad("12 M", 1, "unknown size suffix ' M'");
	size_bad("1.5G", 1, "unknown size suffix '.5G'");
	size_bad("abc", 1, "not a number");
	size_bad("M", 1, "not a number");
	size_bad("0x1g1", 1, "junk");
}

static void test_size_empty_and_whitespace_refused(void **state)
{
	(void)state;
	size_bad("", 1, "not a number");
	size_bad(NULL, 1, "not a number");
	size_bad(" 1", 1, "not a number");
	size_bad("\t1", 1, "not a number");
}

static void test_size_negative_refused(void **state)
{
	(void)state;
	/* strtoull would happily wrap "-1" to 2^64-1. */
	size_bad("-1", 1, "not a number");
	size_bad("-0x10", 1, "not a number");
	size_bad("-1M", MiB, "not a number");
}

static void test_size_hex_prefix_alone_refused(void **state)
{
	(void)state;
	size_bad("0x", 1, "not a number");
	size_bad("0X", 1, "not a number");
	size_bad("0x", MiB, "not a number");
	size_bad("0xM", 1, "not a number");
	size_bad("0x-1", 1, "not a number");
	size_bad("0x 1", 1, "not a number");
}

/*
 * config.h: "Numbers: decimal or 0x-hex".  A leading zero must not switch to
 * octal (QEMU's size parser is decimal too): "010" is ten, "08" is eight.
 */
static void test_size_leading_zero_is_decimal_not_octal(void **state)
{
	(void)state;
	size_ok("010", 1, 10);
	size_ok("08", 1, 8);
	size_ok("0100", MiB, 100 * MiB); /* -m 0100 */
}

/* ---- config_parse_cpus ------------------------------------------------ */

static void test_cpus_range(void **state)
{
	uint64_t map[1] = { 0 };

	(void)state;
	assert_int_equal(config_parse_cpus("0-1", map, 64), 0);
	assert_int_equal(map[0], 0x3);
}

static void test_cpus_range_and_single_joined_by_colon(void **state)
{
	uint64_t map[1] = { 0 };

	(void)state;
	assert_int_equal(config_parse_cpus("0-1:4", map, 64), 0);
	assert_int_equal(map[0], 0x13);
	assert_true(cpu_bit(map, 0) && cpu_bit(map, 1) && cpu_bit(map, 4));
	assert_false(cpu_bit(map, 2) || cpu_bit(map, 3));
}

static void test_cpus_single(void **state)
{
	uint64_t map[1] = { 0 };

	(void)state;
	assert_int_equal(config_parse_cpus("3", map, 64), 0);
	assert_int_equal(map[0], 0x8);
}

static void test_cpus_across_bitmap_words(void **state)
{
	uint64_t map[2] = { 0, 0 };

	(void)state;
	assert_int_equal(config_parse_cpus("62-65:127", map, 128), 0);
	assert_int_equal(map[0], 0xc000000000000000ull);
	assert_int_equal(map[1], 0x8000000000000003ull);
}

static void test_cpus_last_valid_cpu(void **state)
{
	uint64_t map[1] = { 0 };

	(void)state;
	assert_int_equal(config_parse_cpus("63", map, 64), 0);
	assert_int_equal(map[0], 1ull << 63);
	map[0] = 0;
	assert_int_equal(config_parse_cpus("0-63", map, 64), 0);
	assert_int_equal(map[0], UINT64_MAX);
}

static void test_cpus_backwards_range_refused(void **state)
{
	uint64_t map[1] = { 0 };

	(void)state;
	assert_int_equal(config_parse_cpus("3-1", map, 64), -1);
	assert_err_contains("backwards");
	assert_err_contains("3-1");
}

static void test_cpus_beyond_max_refused(void **state)
{
	uint64_t map[1] = { 0 };

	(void)state;
	assert_int_equal(config_parse_cpus("64", map, 64), -1);
	assert_err_contains("beyond the maximum of 63");
	assert_int_equal(config_parse_cpus("0-64", map, 64), -1);
	assert_err_contains("beyond");
	assert_int_equal(config_parse_cpus("4", map, 4), -1);
	assert_err_contains("beyond the maximum of 3");
	assert_int_equal(config_parse_cpus("99999999999999999999999", map, 64),
			 -1);
	assert_err_contains("beyond");
}

static void test_cpus_junk_refused(void **state)
{
	static const char *const bad[] = {
		"", "a", "-1", "1-", "1-a", "1,2", "1x", "1-2x", "1::2", " 1",
	};
	uint64_t map[1] = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		if (config_parse_cpus(bad[i], map, 64) != -1) {
			print_error("cpus \"%s\" accepted\n", bad[i]);
			fail();
		}
		assert_true(err_msg()[0] != '\0');
	}
	err_clear();
	assert_int_equal(config_parse_cpus("", map, 64), -1);
	assert_err_contains("empty CPU list");
	assert_int_equal(config_parse_cpus("1-a", map, 64), -1);
	assert_err_contains("after '-'");
	assert_int_equal(config_parse_cpus("1,2", map, 64), -1);
	assert_err_contains("unexpected ','");
}

/* ---- subcommands ---------------------------------------------------- */

static void test_parse_no_arguments_is_run(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg), 0);
	assert_int_equal(cfg.command, CMD_RUN);
	assert_null(cfg.image);
}

static void test_parse_subcommands(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "run"), 0);
	assert_int_equal(cfg.command, CMD_RUN);
	assert_int_equal(PARSE(&cfg, "caps"), 0);
	assert_int_equal(cfg.command, CMD_CAPS);
	assert_int_equal(PARSE(&cfg, "memmap", "-M", "pc", "-m", "4G"), 0);
	assert_int_equal(cfg.command, CMD_MEMMAP);
	assert_int_equal(cfg.ram_size, 4 * GiB);
	assert_int_equal(PARSE(&cfg, "help"), 0);
	assert_int_equal(cfg.command, CMD_HELP);
	assert_int_equal(PARSE(&cfg, "version"), 0);
	assert_int_equal(cfg.command, CMD_VERSION);
}

static void test_parse_help_and_version_options(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--help"), 0);
	assert_int_equal(cfg.command, CMD_HELP);
	assert_int_equal(PARSE(&cfg, "run", "-h"), 0);
	assert_int_equal(cfg.command, CMD_HELP);
	assert_int_equal(PARSE(&cfg, "--version"), 0);
	assert_int_equal(cfg.command, CMD_VERSION);
}

static void test_parse_image_without_subcommand_is_run(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "hello.bin"), 0);
	assert_int_equal(cfg.command, CMD_RUN);
	assert_string_equal(cfg.image, "hello.bin");
}

static void test_finish_caps_and_help_skip_machine_checks(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "caps"), 0);
	assert_int_equal(cfg.machine, MACHINE_NONE);
	/* Nonsense for a run, but help does not look at it. */
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "bare", "-smp", "4", "--help"),
			 0);
	assert_int_equal(cfg.command, CMD_HELP);
}

static void test_finish_memmap_checks_like_run(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "memmap", "-M", "pc", "-m", "8G"),
			 0);
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_refused("-smp 2", "memmap", "-M", "bare", "-smp", "2");
}

/* ---- run: what a valid command line produces ------------------------- */

static void test_run_debugcon_and_image(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "run", "--debugcon", "0xf1",
				      "hello.bin"),
			 0);
	assert_string_equal(cfg.image, "hello.bin");
	assert_int_equal(cfg.nr_debugcon, 2);
	assert_int_equal(count_port(&cfg, 0xf1), 1);
	assert_int_equal(count_port(&cfg, 0xe9), 1);
}

static void test_run_defaults_builtin_guest(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "run"), 0);
	assert_int_equal(cfg.command, CMD_RUN);
	assert_null(cfg.image);
	assert_int_equal(cfg.machine, MACHINE_BARE);
	assert_string_equal(cfg.machine_name, "bare");
	assert_str_contains(cfg.machine_why, "without -M");
	assert_str_contains(cfg.machine_why, "built-in demo guest");
	assert_int_equal(cfg.ram_size, 128 * MiB);
	assert_int_equal(cfg.ram_size, CONFIG_DEFAULT_RAM);
	assert_false(cfg.ram_size_set);
	assert_int_equal(cfg.ram_base, 0);
	assert_int_equal(cfg.load_addr, 0);
	assert_int_equal(cfg.entry, 0);
	assert_int_equal(cfg.mode, CPU_MODE_REAL);
	assert_int_equal(cfg.smp, 1);
	assert_int_equal(cfg.nr_regs, 0);
	assert_int_equal(cfg.nr_debugcon, 1);
	assert_int_equal(cfg.debugcon[0], 0xe9);
	assert_int_equal(cfg.trace, 0);
	assert_false(cfg.stats);
	assert_int_equal(cfg.max_exits, 0);
	assert_true(cfg.timeout == 0);
	assert_int_equal(cfg.verbose, 0);
	assert_null(cfg.mem_path);
	assert_false(cfg.mem_prealloc);
}

static void test_run_defaults_flat_image(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "run", "g.bin"), 0);
	assert_int_equal(cfg.machine, MACHINE_BARE);
	assert_str_contains(cfg.machine_why, "flat image without -M");
}

static void test_run_default_load_and_entry_follow_ram_base(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "bare,ram-base=0x200000",
				      "g.bin"),
			 0);
	assert_int_equal(cfg.load_addr, 0x200000);
	assert_int_equal(cfg.entry, 0x200000);
	/* --load alone moves the entry with it. */
	assert_int_equal(PARSE_FINISH(&cfg, "--load", "0x7c00", "g.bin"), 0);
	assert_int_equal(cfg.load_addr, 0x7c00);
	assert_int_equal(cfg.entry, 0x7c00);
	/* --entry alone keeps the load at the RAM base. */
	assert_int_equal(PARSE_FINISH(&cfg, "--entry", "0x10", "g.bin"), 0);
	assert_int_equal(cfg.load_addr, 0);
	assert_int_equal(cfg.entry, 0x10);
}

/* Scenario 3: every option of a bare flat-image run lands in its field. */
static void test_run_scenario3_every_field(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "run", "-M", "bare,ram-base=0x1000",
				      "-m", "16M", "--mem-path", "/x", "--load",
				      "0x1000", "--reg", "rsp=0xffffffff",
				      "--reg", "rbp=0xffffffff", "--debugcon",
				      "0x10", "g.bin"),
			 0);
	assert_int_equal(cfg.command, CMD_RUN);
	assert_int_equal(cfg.machine, MACHINE_BARE);
	assert_string_equal(cfg.machine_name, "bare");
	assert_str_contains(cfg.machine_why, "-M");
	assert_true(cfg.ram_base_set);
	assert_int_equal(cfg.ram_base, 0x1000);
	assert_true(cfg.ram_size_set);
	assert_int_equal(cfg.ram_size, 16 * MiB);
	assert_string_equal(cfg.mem_path, "/x");
	assert_true(cfg.load_set);
	assert_int_equal(cfg.load_addr, 0x1000);
	assert_false(cfg.entry_set);
	assert_int_equal(cfg.entry, 0x1000);
	assert_int_equal(cfg.mode, CPU_MODE_REAL);
	assert_int_equal(cfg.nr_regs, 2);
	assert_string_equal(cfg.regs[0].name, "rsp");
	assert_int_equal(cfg.regs[0].value, 0xffffffff);
	assert_string_equal(cfg.regs[1].name, "rbp");
	assert_int_equal(cfg.regs[1].value, 0xffffffff);
	assert_int_equal(cfg.nr_debugcon, 2);
	assert_int_equal(count_port(&cfg, 0x10), 1);
	assert_int_equal(count_port(&cfg, 0xe9), 1);
	assert_string_equal(cfg.image, "g.bin");
	assert_int_equal(cfg.smp, 1);
	assert_int_equal(cfg.nr_objects, 0);
}

static void test_run_long_mode_entry_and_load(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "run", "--mode", "long", "--entry",
				      "0x100000", "--load", "0x100000",
				      "g.bin"),
			 0);
	assert_int_equal(cfg.mode, CPU_MODE_LONG);
	assert_true(cfg.entry_set);
	assert_int_equal(cfg.entry, 0x100000);
	assert_true(cfg.load_set);
	assert_int_equal(cfg.load_addr, 0x100000);
	assert_int_equal(PARSE(&cfg, "--mode", "protected"), 0);
	assert_int_equal(cfg.mode, CPU_MODE_PROTECTED);
	assert_int_equal(PARSE(&cfg, "--mode", "real"), 0);
	assert_int_equal(cfg.mode, CPU_MODE_REAL);
}

static void test_run_reg_names_case_insensitive(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--reg", "RIP=0x7c00", "--reg",
			       "rflags=2", "--reg", "R15=1K"),
			 0);
	assert_int_equal(cfg.nr_regs, 3);
	assert_string_equal(cfg.regs[0].name, "rip");
	assert_int_equal(cfg.regs[0].value, 0x7c00);
	assert_string_equal(cfg.regs[1].name, "rflags");
	assert_int_equal(cfg.regs[1].value, 2);
	assert_string_equal(cfg.regs[2].name, "r15");
	assert_int_equal(cfg.regs[2].value, 1024);
}

static void test_run_trace_lists(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--trace", "io,mmio"), 0);
	assert_int_equal(cfg.trace, TRACE_IO | TRACE_MMIO);
	assert_int_equal(PARSE(&cfg, "--trace", "all"), 0);
	assert_int_equal(cfg.trace, TRACE_IO | TRACE_MMIO | TRACE_EXITS);
	assert_int_equal(PARSE(&cfg, "--trace", "exits", "--trace", "io"), 0);
	assert_int_equal(cfg.trace, TRACE_EXITS | TRACE_IO);
	assert_int_equal(PARSE(&cfg, "--trace", "mmio"), 0);
	assert_int_equal(cfg.trace, TRACE_MMIO);
}

static void test_run_stats_limits_verbose(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "--stats", "--max-exits", "1000",
				      "--timeout", "0.5", "-v", "-v"),
			 0);
	assert_true(cfg.stats);
	assert_int_equal(cfg.max_exits, 1000);
	assert_true(cfg.timeout == 0.5);
	assert_int_equal(cfg.verbose, 2);
	assert_int_equal(PARSE(&cfg, "--verbose", "--timeout", "30",
			       "--max-exits", "0x10"),
			 0);
	assert_int_equal(cfg.verbose, 1);
	assert_true(cfg.timeout == 30.0);
	assert_int_equal(cfg.max_exits, 16);
	assert_int_equal(PARSE(&cfg, "--mem-prealloc"), 0);
	assert_true(cfg.mem_prealloc);
}

static void test_run_options_after_the_image(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "run", "g.bin", "-m", "64",
				      "--debugcon", "0x10", "-v", "--mode",
				      "protected"),
			 0);
	assert_string_equal(cfg.image, "g.bin");
	assert_int_equal(cfg.ram_size, 64 * MiB);
	assert_int_equal(count_port(&cfg, 0x10), 1);
	assert_int_equal(cfg.verbose, 1);
	assert_int_equal(cfg.mode, CPU_MODE_PROTECTED);
}

static void test_run_double_dash_ends_options(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "run", "-v", "--", "-odd-name.bin"), 0);
	assert_int_equal(cfg.verbose, 1);
	assert_string_equal(cfg.image, "-odd-name.bin");
}

static void test_run_equals_form_and_long_names(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "--machine=bare", "--memory=32M",
			       "--load=0x1000", "-smp=1"),
			 0);
	assert_int_equal(cfg.machine, MACHINE_BARE);
	assert_int_equal(cfg.ram_size, 32 * MiB);
	assert_int_equal(cfg.load_addr, 0x1000);
}

static void test_run_memory_sizes(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "-m", "256"), 0);
	assert_int_equal(cfg.ram_size, 256 * MiB);
	assert_true(cfg.ram_size_set);
	assert_int_equal(PARSE(&cfg, "-m", "2G"), 0);
	assert_int_equal(cfg.ram_size, 2 * GiB);
	assert_int_equal(PARSE(&cfg, "-m", "16MiB"), 0);
	assert_int_equal(cfg.ram_size, 16 * MiB);
}

static void test_run_debugcon_given_twice_is_one_console(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "--debugcon", "0x10", "--debugcon",
				      "0xe9", "--debugcon", "0x10",
				      "--debugcon", "0x402", "--debugcon",
				      "0x10"),
			 0);
	assert_int_equal(cfg.nr_debugcon, 3);
	assert_int_equal(count_port(&cfg, 0x10), 1);
	assert_int_equal(count_port(&cfg, 0xe9), 1);
	assert_int_equal(count_port(&cfg, 0x402), 1);
}

static void test_run_debugcon_port_range(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "--debugcon", "0", "--debugcon",
				      "0xffff"),
			 0);
	assert_int_equal(count_port(&cfg, 0), 1);
	assert_int_equal(count_port(&cfg, 0xffff), 1);
	assert_int_equal(count_port(&cfg, 0xe9), 1);
}

/* ---- the pc machine ------------------------------------------------- */

static void test_pc_max_ram_below_4g(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc,max-ram-below-4g=2G"), 0);
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_string_equal(cfg.machine_name, "pc");
	assert_str_contains(cfg.machine_why, "-M");
	assert_true(cfg.max_ram_below_4g_set);
	assert_int_equal(cfg.max_ram_below_4g, 2 * GiB);
	assert_false(cfg.machine_legacy_split);
	/* Exactly 4 GiB is still allowed. */
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc,max-ram-below-4g=4G"), 0);
	assert_int_equal(cfg.max_ram_below_4g, 4 * GiB);
}

static void test_pc_i440fx_legacy_split_flag(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc-i440fx-1.7"), 0);
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_string_equal(cfg.machine_name, "pc-i440fx-1.7");
	assert_true(cfg.machine_legacy_split);

	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc-i440fx-2.0"), 0);
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_string_equal(cfg.machine_name, "pc-i440fx-2.0");
	assert_false(cfg.machine_legacy_split);

	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc-i440fx-0.15"), 0);
	assert_true(cfg.machine_legacy_split);
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc-i440fx-1.6"), 0);
	assert_true(cfg.machine_legacy_split);
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc-i440fx-8.2"), 0);
	assert_false(cfg.machine_legacy_split);
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc"), 0);
	assert_false(cfg.machine_legacy_split);
	assert_int_equal(PARSE_FINISH(&cfg, "-M",
				      "pc-i440fx-1.7,max-ram-below-4g=3G"),
			 0);
	assert_true(cfg.machine_legacy_split);
	assert_int_equal(cfg.max_ram_below_4g, 3 * GiB);
}

/* -M given twice: the last one wins entirely, properties included (QEMU). */
static void test_machine_last_M_wins_entirely(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "bare,ram-base=0x100000",
				      "-M", "bare", "g.bin"),
			 0);
	assert_false(cfg.ram_base_set);
	assert_int_equal(cfg.ram_base, 0);
	assert_int_equal(cfg.load_addr, 0);
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "bare,ram-base=0x100000",
				      "-M", "pc"),
			 0);
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_false(cfg.ram_base_set);
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc,max-ram-below-4g=1G",
				      "-M", "bare"),
			 0);
	assert_int_equal(cfg.machine, MACHINE_BARE);
	assert_false(cfg.max_ram_below_4g_set);
	assert_int_equal(cfg.max_ram_below_4g, 0);
}

/*
 * With -M given twice the last machine type wins: "-M pc-i440fx-1.7 -M pc"
 * is the plain pc machine, whose name is then "pc" -- and which must not keep
 * the 1.7 machine's 3.5 GiB split.
 */
static void test_pc_last_machine_type_wins_legacy_split(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc-i440fx-1.7", "-M", "pc"),
			 0);
	assert_string_equal(cfg.machine_name, "pc");
	assert_false(cfg.machine_legacy_split);
}

static void test_pc_chosen_by_kernel_or_bios(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-kernel", "bzImage", "-initrd",
				      "initrd.img", "-append",
				      "console=ttyS0"),
			 0);
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_string_equal(cfg.machine_name, "pc");
	assert_str_contains(cfg.machine_why, "-kernel given without -M");
	assert_string_equal(cfg.kernel, "bzImage");
	assert_string_equal(cfg.initrd, "initrd.img");
	assert_string_equal(cfg.append, "console=ttyS0");

	assert_int_equal(PARSE_FINISH(&cfg, "--bios", "bios.bin"), 0);
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_str_contains(cfg.machine_why, "--bios given without -M");
	assert_string_equal(cfg.bios, "bios.bin");
}

static void test_pc_smp(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc", "-smp", "4"), 0);
	assert_int_equal(cfg.smp, 4);
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc", "-smp", "cpus=2"), 0);
	assert_int_equal(cfg.smp, 2);
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc", "--smp", "64"), 0);
	assert_int_equal(cfg.smp, CONFIG_MAX_CPUS);
}

static void test_pc_object_memory_backend_ram(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc", "-object",
				      "memory-backend-ram,id=mem0,size=512M"),
			 0);
	assert_int_equal(cfg.nr_objects, 1);
	assert_string_equal(cfg.objects[0].id, "mem0");
	assert_int_equal(cfg.objects[0].size, 512 * MiB);
	assert_false(cfg.objects[0].is_file);
	assert_false(cfg.objects[0].share);
	assert_false(cfg.objects[0].prealloc);
	assert_string_equal(cfg.objects[0].mem_path, "");
}

static void test_pc_object_memory_backend_file(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc", "-object",
				      "memory-backend-file,id=f,size=1G,mem-path=/dev/hugepages,share=on,prealloc=yes",
				      "-object",
				      "memory-backend-ram,size=0x100000,id=r,share=true,prealloc=off"),
			 0);
	assert_int_equal(cfg.nr_objects, 2);
	assert_true(cfg.objects[0].is_file);
	assert_string_equal(cfg.objects[0].id, "f");
	assert_int_equal(cfg.objects[0].size, GiB);
	assert_string_equal(cfg.objects[0].mem_path, "/dev/hugepages");
	assert_true(cfg.objects[0].share);
	assert_true(cfg.objects[0].prealloc);
	assert_false(cfg.objects[1].is_file);
	assert_string_equal(cfg.objects[1].id, "r");
	assert_int_equal(cfg.objects[1].size, MiB);
	assert_true(cfg.objects[1].share);
	assert_false(cfg.objects[1].prealloc);
}

static void test_pc_numa_memdev_resolved_in_finish(void **state)
{
	struct vm_config cfg;

	(void)state;
	/* -numa before the -object it names: resolved only by config_finish. */
	assert_int_equal(PARSE(&cfg, "-M", "pc", "-m", "1G", "-numa",
			       "node,memdev=mem1,cpus=2-3,nodeid=1", "-object",
			       "memory-backend-ram,id=mem0,size=512M",
			       "-object", "memory-backend-ram,id=mem1,size=512M",
			       "-numa", "node,memdev=mem0,cpus=0-1,nodeid=0"),
			 0);
	assert_int_equal(cfg.nr_numa, 2);
	assert_int_equal(cfg.numa[0].memdev, -1);
	assert_int_equal(cfg.numa[1].memdev, -1);
	assert_string_equal(cfg.numa[0].memdev_id, "mem1");
	assert_int_equal(config_finish(&cfg), 0);
	assert_int_equal(cfg.numa[0].memdev, 1);
	assert_int_equal(cfg.numa[0].nodeid, 1);
	assert_true(cfg.numa[0].has_cpus);
	assert_int_equal(cfg.numa[0].cpus[0], 0xc);
	assert_int_equal(cfg.numa[1].memdev, 0);
	assert_int_equal(cfg.numa[1].nodeid, 0);
	assert_int_equal(cfg.numa[1].cpus[0], 0x3);
}

static void test_pc_numa_single_node(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc", "-object",
				      "memory-backend-ram,id=mem0,size=512M",
				      "-numa",
				      "node,memdev=mem0,cpus=0-1,nodeid=0"),
			 0);
	assert_int_equal(cfg.nr_numa, 1);
	assert_int_equal(cfg.numa[0].memdev, 0);
	assert_int_equal(cfg.numa[0].nodeid, 0);
	assert_int_equal(cfg.numa[0].cpus[0], 0x3);
}

static void test_pc_numa_default_nodeid_and_no_cpus(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc", "-object",
				      "memory-backend-ram,id=a,size=1M",
				      "-object",
				      "memory-backend-ram,id=b,size=1M",
				      "-numa", "node,memdev=a", "-numa",
				      "node,memdev=b"),
			 0);
	assert_int_equal(cfg.numa[0].nodeid, 0);
	assert_int_equal(cfg.numa[1].nodeid, 1);
	assert_false(cfg.numa[0].has_cpus);
	assert_int_equal(cfg.numa[0].cpus[0], 0);
	assert_int_equal(cfg.numa[0].memdev, 0);
	assert_int_equal(cfg.numa[1].memdev, 1);
}

static void test_pc_e820_entries(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc", "--e820",
				      "reserved,0x1000,0x1000", "--e820",
				      "ram,0x100000,1M", "--e820",
				      "ACPI,0xe0000,0x1000", "--e820",
				      "nvs,0xf0000,4K", "--e820",
				      "unusable,0x200000,0x1000"),
			 0);
	assert_int_equal(cfg.nr_e820, 5);
	assert_int_equal(cfg.e820[0].type, 2);
	assert_int_equal(cfg.e820[0].addr, 0x1000);
	assert_int_equal(cfg.e820[0].size, 0x1000);
	assert_int_equal(cfg.e820[1].type, 1);
	assert_int_equal(cfg.e820[1].addr, 0x100000);
	assert_int_equal(cfg.e820[1].size, MiB);
	assert_int_equal(cfg.e820[2].type, 3);
	assert_int_equal(cfg.e820[3].type, 4);
	assert_int_equal(cfg.e820[3].size, 4096);
	assert_int_equal(cfg.e820[4].type, 5);
}

/* ---- refusals -------------------------------------------------------- */

static void test_refuse_unknown_option(void **state)
{
	(void)state;
	assert_refused("unknown option '--bogus'", "run", "--bogus");
	assert_refused("unknown option '--bogus'", "run", "img.bin", "-v",
		       "--bogus");
	assert_refused("unknown option '-zzz'", "-zzz");
	/* An abbreviation that fits several long options. */
	assert_refused("unknown option '--mem'", "--mem", "x");
}

static void test_refuse_missing_value(void **state)
{
	(void)state;
	assert_refused("'--load' needs a value", "run", "--load");
	assert_refused("'-m' needs a value", "-m");
	assert_refused("'-M' needs a value", "run", "-M");
	assert_refused("'--debugcon' needs a value", "g.bin", "--debugcon");
	assert_refused("'-smp' needs a value", "-smp");
}

static void test_refuse_bad_mode(void **state)
{
	(void)state;
	assert_refused("--mode bogus", "--mode", "bogus");
	assert_refused("real, protected or long", "--mode", "Long");
}

static void test_refuse_bad_reg(void **state)
{
	(void)state;
	assert_refused("--reg foo=1", "--reg", "foo=1");
	assert_refused("unknown register 'foo'", "--reg", "foo=1");
	assert_refused("--reg rax: expected NAME=VALUE", "--reg", "rax");
	assert_refused("--reg =1", "--reg", "=1");
	assert_refused("--reg raxxxxxxxx=1", "--reg", "raxxxxxxxx=1");
	assert_refused("--reg rax=zz", "--reg", "rax=zz");
	assert_refused("--reg rax=", "--reg", "rax=");
	assert_refused("--reg rax=-1", "--reg", "rax=-1");
}

static void test_refuse_debugcon_port_out_of_range(void **state)
{
	(void)state;
	assert_refused("--debugcon 0x10000", "--debugcon", "0x10000");
	assert_refused("0 to 0xffff", "--debugcon", "0x10000");
	assert_refused("--debugcon x", "--debugcon", "x");
	assert_refused("--debugcon -1", "--debugcon", "-1");
}

static void test_refuse_bad_timeout(void **state)
{
	(void)state;
	assert_refused("--timeout 0", "--timeout", "0");
	assert_refused("--timeout -1", "--timeout", "-1");
	assert_refused("--timeout abc", "--timeout", "abc");
	assert_refused("--timeout 1s", "--timeout", "1s");
	assert_refused("--timeout nan", "--timeout", "nan");
	assert_refused("--timeout inf", "--timeout", "inf");
	assert_refused("positive number of seconds", "--timeout", "");
}

static void test_refuse_bad_max_exits(void **state)
{
	(void)state;
	assert_refused("--max-exits 0", "--max-exits", "0");
	assert_refused("--max-exits abc", "--max-exits", "abc");
	assert_refused("--max-exits -5", "--max-exits", "-5");
}

static void test_refuse_two_images(void **state)
{
	(void)state;
	assert_refused("more than one image", "run", "a.bin", "b.bin");
	assert_refused("'a.bin' and 'b.bin'", "a.bin", "-v", "b.bin");
}

static void test_refuse_bad_memory_size(void **state)
{
	(void)state;
	assert_refused("-m 0", "-m", "0");
	assert_refused("must be positive", "-m", "0");
	/* The option's own words wrap the parser's reason (err_msg in err_set). */
	assert_refused("-m 12Q: unknown size suffix 'Q' (use K, M, G or T)", "-m",
		       "12Q");
	assert_refused("--load 0x1g1: junk after the number", "--load", "0x1g1");
	assert_refused("-M bare,ram-base=-4: ram-base: not a number", "-M",
		       "bare,ram-base=-4");
	assert_refused("-m 99999999999T", "-m", "99999999999T");
	assert_refused("-m 17592186044416", "-m", "17592186044416");
	assert_refused("not a multiple of 4 KiB", "-m", "1000B");
	assert_refused("not a multiple of 4 KiB", "-M", "pc", "-m", "4097B");
}

static void test_refuse_bad_machine(void **state)
{
	(void)state;
	assert_refused("unknown machine type 'bogus'", "-M", "bogus");
	assert_refused("unknown machine type", "-M", "pc-i440fx-");
	assert_refused("unknown machine type", "-M", "pc-i440fx-1.7x");
	assert_refused("unknown machine type", "-M", "pc-i440fx-junk");
	assert_refused("expected a machine type first", "-M", "ram-base=0");
	assert_refused("expected a machine type first", "-M", "");
	assert_refused("property 'foo' not found", "-M", "bare,foo=1");
	assert_refused("'ram-base' needs a value", "-M", "bare,ram-base");
	assert_refused("-M bare,ram-base=zz: ram-base", "-M", "bare,ram-base=zz");
	assert_refused("property 'ram-base' not found for machine pc", "-M",
		       "pc,ram-base=1");
	assert_refused("property 'max-ram-below-4g' not found", "-M",
		       "bare,max-ram-below-4g=1G");
	assert_refused("max-ram-below-4g", "-M", "pc,max-ram-below-4g=5G");
	assert_refused("at most 4 GiB", "-M", "pc,max-ram-below-4g=5G");
	assert_refused("max-ram-below-4g", "-M", "pc,max-ram-below-4g=lots");
}

static void test_refuse_bare_with_pc_only_options(void **state)
{
	(void)state;
	assert_refused("-kernel", "-M", "bare", "-kernel", "bzImage");
	assert_refused("need -M pc", "-M", "bare", "--bios", "b.bin");
	assert_refused("need -M pc", "-M", "bare", "-initrd", "i.img");
	assert_refused("need -M pc", "-M", "bare", "-append", "quiet");
	assert_refused("-smp 2", "-M", "bare", "-smp", "2");
	assert_refused("-smp 2", "-smp", "2", "g.bin"); /* bare by default */
	assert_refused("-object and -numa need -M pc", "-M", "bare", "-object",
		       "memory-backend-ram,id=m,size=1M");
	assert_refused("-object and -numa need -M pc", "-object",
		       "memory-backend-ram,id=m,size=1M", "g.bin");
	assert_refused("--e820 needs -M pc", "-M", "bare", "--e820",
		       "reserved,0x1000,0x1000");
}

static void test_refuse_bare_ram_base_unaligned_or_too_high(void **state)
{
	(void)state;
	assert_refused("ram-base=0x1001: must be a multiple of 4 KiB", "-M",
		       "bare,ram-base=0x1001");
	assert_refused("beyond the highest guest-physical address", "-M",
		       "bare,ram-base=0xfffffffffffff000", "-m", "1M");
	assert_refused("beyond the highest guest-physical address", "-M",
		       "bare,ram-base=0x10000000000000", "-m", "1M");
}

static void test_refuse_pc_with_flat_image_or_flat_options(void **state)
{
	(void)state;
	assert_refused("not a flat image 'g.bin'", "-M", "pc", "g.bin");
	assert_refused("-M pc-i440fx-1.7 boots firmware", "-M", "pc-i440fx-1.7",
		       "g.bin");
	assert_refused("--load, --entry and --mode", "-M", "pc", "--load",
		       "0x1000");
	assert_refused("--load, --entry and --mode", "-kernel", "bz", "--entry",
		       "0x1000");
	assert_refused("--load, --entry and --mode", "-M", "pc", "--mode",
		       "long");
}

static void test_refuse_bad_smp(void **state)
{
	(void)state;
	assert_refused("-smp 0", "-M", "pc", "-smp", "0");
	assert_refused("-smp 65", "-M", "pc", "-smp", "65");
	assert_refused("from 1 to 64", "-M", "pc", "-smp", "65");
	assert_refused("-smp 4,sockets=2", "-M", "pc", "-smp", "4,sockets=2");
	assert_refused("-smp x", "-M", "pc", "-smp", "x");
}

static void test_refuse_bad_object(void **state)
{
	(void)state;
	assert_refused("parameter 'id' is missing", "-M", "pc", "-object",
		       "memory-backend-ram,size=1M");
	assert_refused("parameter 'size' is missing", "-M", "pc", "-object",
		       "memory-backend-ram,id=m");
	assert_refused("parameter 'mem-path' is missing", "-M", "pc", "-object",
		       "memory-backend-file,id=m,size=1M");
	assert_refused("size must be positive", "-M", "pc", "-object",
		       "memory-backend-ram,id=m,size=0");
	assert_refused("-object memory-backend-ram,id=m,size=x: size", "-M",
		       "pc", "-object", "memory-backend-ram,id=m,size=x");
	assert_refused("unsupported object type 'rng-random'", "-M", "pc",
		       "-object", "rng-random,id=r");
	assert_refused("expected a type first", "-M", "pc", "-object",
		       "id=m,size=1M");
	assert_refused("property 'foo' not found", "-M", "pc", "-object",
		       "memory-backend-ram,id=m,size=1M,foo=1");
	/* mem-path belongs to memory-backend-file only. */
	assert_refused("property 'mem-path' not found", "-M", "pc", "-object",
		       "memory-backend-ram,id=m,size=1M,mem-path=/x");
	assert_refused("share=maybe: expected on or off", "-M", "pc", "-object",
		       "memory-backend-ram,id=m,size=1M,share=maybe");
	assert_refused("'id' needs a value", "-M", "pc", "-object",
		       "memory-backend-ram,id,size=1M");
	assert_refused("bad id ''", "-M", "pc", "-object",
		       "memory-backend-ram,id=,size=1M");
	assert_refused("bad id", "-M", "pc", "-object",
		       "memory-backend-ram,id=0123456789012345678901234567890123456789,size=1M");
}

static void test_refuse_duplicate_object_ids(void **state)
{
	(void)state;
	assert_refused("duplicate id 'mem0'", "-M", "pc", "-object",
		       "memory-backend-ram,id=mem0,size=512M", "-object",
		       "memory-backend-ram,id=mem0,size=512M");
}

static void test_refuse_bad_numa(void **state)
{
	(void)state;
	assert_refused("no -object with id 'nope'", "-M", "pc", "-object",
		       "memory-backend-ram,id=mem0,size=1M", "-numa",
		       "node,memdev=nope");
	assert_refused("-numa node,memdev=nope", "-M", "pc", "-numa",
		       "node,memdev=nope");
	assert_refused("'mem' is not supported", "-M", "pc", "-numa",
		       "node,mem=1G");
	assert_refused("memdev= is required", "-M", "pc", "-numa",
		       "node,cpus=0");
	assert_refused("only '-numa node,...'", "-M", "pc", "-numa",
		       "dist,src=0,dst=1,val=20");
	assert_refused("nodeid=16", "-M", "pc", "-numa",
		       "node,memdev=m,nodeid=16");
	assert_refused("backwards", "-M", "pc", "-numa",
		       "node,memdev=m,cpus=3-1");
	assert_refused("invalid parameter 'foo'", "-M", "pc", "-numa",
		       "node,memdev=m,foo=1");
	assert_refused("--mem-path cannot be combined", "-M", "pc",
		       "--mem-path", "/dev/shm", "-object",
		       "memory-backend-ram,id=m,size=1M", "-numa",
		       "node,memdev=m");
}

static void test_refuse_bad_e820(void **state)
{
	(void)state;
	assert_refused("unknown type 'bogus'", "-M", "pc", "--e820",
		       "bogus,0x1000,0x1000");
	assert_refused("expected TYPE,ADDR,SIZE", "-M", "pc", "--e820",
		       "reserved,0x1000");
	assert_refused("expected TYPE,ADDR,SIZE", "-M", "pc", "--e820",
		       "reserved,0x1000,0x1000,7");
	assert_refused("empty or wrapping", "-M", "pc", "--e820",
		       "reserved,0x1000,0");
	assert_refused("empty or wrapping", "-M", "pc", "--e820",
		       "reserved,0xfffffffffffff000,0x2000");
	assert_refused("--e820 reserved,zz,0x1000", "-M", "pc", "--e820",
		       "reserved,zz,0x1000");
}

static void test_refuse_bad_trace(void **state)
{
	(void)state;
	assert_refused("unknown event 'bogus'", "--trace", "io,bogus");
	assert_refused("--trace io=1: unexpected '='", "--trace", "io=1");
}

/*
 * An unknown letter inside a cluster of short options: the message must name
 * that option, not the word before it (argv[optind - 1] is the previous word
 * while getopt is still inside the cluster).
 */
static void test_refuse_unknown_letter_in_short_option_cluster(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "-vQv"), -1);
	assert_err_contains("unknown option");
	assert_err_contains("Q");
	assert_int_equal(PARSE(&cfg, "run", "x.bin", "-vQv"), -1);
	assert_err_contains("Q");
	assert_null(strstr(err_msg(), "x.bin"));
}

/* --e820 TYPE,ADDR,SIZE is positional: "ADDR=junk" is not an address. */
static void test_refuse_e820_with_key_value_junk(void **state)
{
	(void)state;
	assert_refused("--e820", "-M", "pc", "--e820",
		       "reserved,0x1000=zz,0x1000");
	assert_refused("--e820", "-M", "pc", "--e820",
		       "reserved=1,0x1000,0x1000");
	assert_refused("--e820", "-M", "pc", "--e820",
		       "reserved,0x1000,0x1000=4");
}

/* Sixteen consoles plus the default 0xe9 are too many ... */
static void test_refuse_too_many_debugcons(void **state)
{
	char ports[17][8];
	struct vm_config cfg;

	(void)state;
	for (int i = 0; i < 17; i++)
		snprintf(ports[i], sizeof(ports[i]), "0x%x", 0x100 + i);
#define D(i) "--debugcon", ports[i]
	assert_int_equal(PARSE_FINISH(&cfg, D(0), D(1), D(2), D(3), D(4), D(5),
				      D(6), D(7), D(8), D(9), D(10), D(11),
				      D(12), D(13), D(14), D(15)),
			 -1);
	assert_err_contains("--debugcon: too many debug consoles");
	assert_int_equal(PARSE(&cfg, D(0), D(1), D(2), D(3), D(4), D(5), D(6),
			       D(7), D(8), D(9), D(10), D(11), D(12), D(13),
			       D(14), D(15), D(16)),
			 -1);
	assert_err_contains("--debugcon 0x110: too many debug consoles");
	/* ... fifteen plus 0xe9 are fine. */
	assert_int_equal(PARSE_FINISH(&cfg, D(0), D(1), D(2), D(3), D(4), D(5),
				      D(6), D(7), D(8), D(9), D(10), D(11),
				      D(12), D(13), D(14)),
			 0);
	assert_int_equal(cfg.nr_debugcon, 16);
#undef D
}

/* ... but one port given sixteen times is one console (plus 0xe9). */
static void test_same_debugcon_sixteen_times_is_one_console(void **state)
{
	struct vm_config cfg;

	(void)state;
#define D "--debugcon", "0x10"
	assert_int_equal(PARSE_FINISH(&cfg, D, D, D, D, D, D, D, D, D, D, D, D,
				      D, D, D, D),
			 0);
#undef D
	assert_int_equal(cfg.nr_debugcon, 2);
	assert_int_equal(count_port(&cfg, 0x10), 1);
	assert_int_equal(count_port(&cfg, 0xe9), 1);
}

static void test_memmap_without_machine_is_pc(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "memmap", "-m", "4G"), 0);
	assert_int_equal(cfg.command, CMD_MEMMAP);
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_str_contains(cfg.machine_why, "memmap without -M");
}

static void test_boot_options(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg), 0);
	assert_int_equal(cfg.reboot_timeout, -1);
	assert_false(cfg.boot_menu);
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "pc", "-boot",
				      "reboot-timeout=5000,menu=on"),
			 0);
	assert_int_equal(cfg.reboot_timeout, 5000);
	assert_true(cfg.boot_menu);
	assert_int_equal(PARSE(&cfg, "-boot", "reboot-timeout=-1,menu=off"), 0);
	assert_int_equal(cfg.reboot_timeout, -1);
	assert_false(cfg.boot_menu);
	assert_refused("-boot reboot-timeout=65536", "-boot",
		       "reboot-timeout=65536");
	assert_refused("-boot reboot-timeout=-2", "-boot", "reboot-timeout=-2");
	assert_refused("-boot reboot-timeout=1s", "-boot", "reboot-timeout=1s");
	assert_refused("menu=on or menu=off", "-boot", "menu=maybe");
	assert_refused("unknown property 'order'", "-boot", "order=c");
	assert_refused("'menu' needs a value", "-boot", "menu");
}

/* getopt keeps global state; a failed parse must not disturb the next one. */
static void test_parse_twice_after_error(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "run", "--bogus", "-v"), -1);
	assert_int_equal(PARSE(&cfg, "run", "-v", "g.bin"), 0);
	assert_int_equal(cfg.verbose, 1);
	assert_string_equal(cfg.image, "g.bin");
	assert_int_equal(PARSE(&cfg, "-m", "64", "h.bin"), 0);
	assert_int_equal(cfg.ram_size, 64 * MiB);
	assert_string_equal(cfg.image, "h.bin");
}

/* ---- names and usage ------------------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(config_mode_name(CPU_MODE_REAL), "real");
	assert_string_equal(config_mode_name(CPU_MODE_PROTECTED), "protected");
	assert_string_equal(config_mode_name(CPU_MODE_LONG), "long");
	assert_string_equal(config_machine_name(MACHINE_BARE), "bare");
	assert_string_equal(config_machine_name(MACHINE_PC), "pc");
	assert_string_equal(config_machine_name(MACHINE_NONE), "none");
}

static void test_usage_mentions_commands_and_registers(void **state)
{
	char buf[8192] = "";
	FILE *f = tmpfile();
	size_t n;

	(void)state;
	assert_non_null(f);
	config_usage(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_str_contains(buf, "usage: minivmm run");
	assert_str_contains(buf, "--debugcon PORT");
	assert_str_contains(buf, "rax..r15");
	assert_str_contains(buf, "Exit codes");
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown_args)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_size_decimal),
		T(test_size_hex),
		T(test_size_suffixes_are_powers_of_1024),
		T(test_size_suffix_b_and_ib),
		T(test_size_bare_unit_applies_only_without_suffix),
		T(test_size_overflow_refused),
		T(test_size_junk_refused),
		T(test_size_empty_and_whitespace_refused),
		T(test_size_negative_refused),
		T(test_size_hex_prefix_alone_refused),
		T(test_size_leading_zero_is_decimal_not_octal),
		T(test_cpus_range),
		T(test_cpus_range_and_single_joined_by_colon),
		T(test_cpus_single),
		T(test_cpus_across_bitmap_words),
		T(test_cpus_last_valid_cpu),
		T(test_cpus_backwards_range_refused),
		T(test_cpus_beyond_max_refused),
		T(test_cpus_junk_refused),
		T(test_parse_no_arguments_is_run),
		T(test_parse_subcommands),
		T(test_parse_help_and_version_options),
		T(test_parse_image_without_subcommand_is_run),
		T(test_finish_caps_and_help_skip_machine_checks),
		T(test_finish_memmap_checks_like_run),
		T(test_run_debugcon_and_image),
		T(test_run_defaults_builtin_guest),
		T(test_run_defaults_flat_image),
		T(test_run_default_load_and_entry_follow_ram_base),
		T(test_run_scenario3_every_field),
		T(test_run_long_mode_entry_and_load),
		T(test_run_reg_names_case_insensitive),
		T(test_run_trace_lists),
		T(test_run_stats_limits_verbose),
		T(test_run_options_after_the_image),
		T(test_run_double_dash_ends_options),
		T(test_run_equals_form_and_long_names),
		T(test_run_memory_sizes),
		T(test_run_debugcon_given_twice_is_one_console),
		T(test_run_debugcon_port_range),
		T(test_pc_max_ram_below_4g),
		T(test_pc_i440fx_legacy_split_flag),
		T(test_pc_last_machine_type_wins_legacy_split),
		T(test_machine_last_M_wins_entirely),
		T(test_pc_chosen_by_kernel_or_bios),
		T(test_pc_smp),
		T(test_pc_object_memory_backend_ram),
		T(test_pc_object_memory_backend_file),
		T(test_pc_numa_memdev_resolved_in_finish),
		T(test_pc_numa_single_node),
		T(test_pc_numa_default_nodeid_and_no_cpus),
		T(test_pc_e820_entries),
		T(test_refuse_unknown_option),
		T(test_refuse_missing_value),
		T(test_refuse_bad_mode),
		T(test_refuse_bad_reg),
		T(test_refuse_debugcon_port_out_of_range),
		T(test_refuse_bad_timeout),
		T(test_refuse_bad_max_exits),
		T(test_refuse_two_images),
		T(test_refuse_bad_memory_size),
		T(test_refuse_bad_machine),
		T(test_refuse_bare_with_pc_only_options),
		T(test_refuse_bare_ram_base_unaligned_or_too_high),
		T(test_refuse_pc_with_flat_image_or_flat_options),
		T(test_refuse_bad_smp),
		T(test_refuse_bad_object),
		T(test_refuse_duplicate_object_ids),
		T(test_refuse_bad_numa),
		T(test_refuse_bad_e820),
		T(test_refuse_bad_trace),
		T(test_refuse_unknown_letter_in_short_option_cluster),
		T(test_refuse_e820_with_key_value_junk),
		T(test_refuse_too_many_debugcons),
		T(test_same_debugcon_sixteen_times_is_one_console),
		T(test_memmap_without_machine_is_pc),
		T(test_boot_options),
		T(test_parse_twice_after_error),
		T(test_names),
		T(test_usage_mentions_commands_and_registers),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
