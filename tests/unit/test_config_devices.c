// SPDX-License-Identifier: MIT
/*
 * -drive and -device: every accepted form and what it puts in
 * struct vm_config (drives[], vdevs[]), the machine's transport filled in
 * by config_finish(), -device help, and every refusal with the option it
 * names in err_msg().  The image files are not opened here (that is
 * block_image_open's, at machine creation; tests/unit/test_block.c).
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

#include "config_args.h"

/* A pc machine that needs no further options. */
#define PC "-M", "pc", "-kernel", "vmlinuz"

static void test_drive_defaults(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-drive", "file=disk.img"), 0);
	assert_int_equal(cfg.nr_drives, 1);
	assert_string_equal(cfg.drives[0].file, "disk.img");
	assert_string_equal(cfg.drives[0].id, "virtio0");
	/* Our default interface is virtio (QEMU's is ide). */
	assert_int_equal(cfg.drives[0].iface, DRIVE_IF_VIRTIO);
	assert_false(cfg.drives[0].readonly);
	assert_int_equal(cfg.drives[0].cache, DRIVE_CACHE_WRITEBACK);
	assert_false(cfg.drives[0].discard);
	/* ... and adds a virtio-blk on the machine's transport: PCI on pc. */
	assert_int_equal(cfg.nr_vdevs, 1);
	assert_int_equal(cfg.vdevs[0].kind, VDEV_BLK);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_PCI);
	assert_int_equal(cfg.vdevs[0].drive, 0);
	assert_string_equal(cfg.vdevs[0].serial, "");
	assert_string_equal(cfg.vdevs[0].id, "");
}

static void test_drive_transport_default_before_finish(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "-drive", "file=d.img"), 0);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_DEFAULT);
	assert_int_equal(PARSE(&cfg, "-device", "virtconsole"), 0);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_DEFAULT);
}

static void test_drive_every_property(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-drive",
				      "file=/dev/sdb,format=raw,if=virtio,id=disk0,readonly=on,cache=none,aio=threads,discard=unmap,serial=SN-0001"),
			 0);
	assert_int_equal(cfg.nr_drives, 1);
	assert_string_equal(cfg.drives[0].file, "/dev/sdb");
	assert_string_equal(cfg.drives[0].id, "disk0");
	assert_int_equal(cfg.drives[0].iface, DRIVE_IF_VIRTIO);
	assert_true(cfg.drives[0].readonly);
	assert_int_equal(cfg.drives[0].cache, DRIVE_CACHE_NONE);
	assert_true(cfg.drives[0].discard);
	assert_int_equal(cfg.nr_vdevs, 1);
	assert_string_equal(cfg.vdevs[0].serial, "SN-0001");
	assert_int_equal(cfg.vdevs[0].drive, 0);
}

static void test_drive_value_spellings(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC,
				      "-drive", "file=a,cache=unsafe,discard=on,readonly=off",
				      "-drive", "file=b,cache=writeback,discard=ignore,readonly=yes",
				      "-drive", "file=c,discard=off,readonly=true",
				      "-drive", "file=d,readonly=no,readonly=false"),
			 0);
	assert_int_equal(cfg.nr_drives, 4);
	assert_int_equal(cfg.drives[0].cache, DRIVE_CACHE_UNSAFE);
	assert_true(cfg.drives[0].discard);
	assert_false(cfg.drives[0].readonly);
	assert_int_equal(cfg.drives[1].cache, DRIVE_CACHE_WRITEBACK);
	assert_false(cfg.drives[1].discard);
	assert_true(cfg.drives[1].readonly);
	assert_false(cfg.drives[2].discard);
	assert_true(cfg.drives[2].readonly);
	assert_false(cfg.drives[3].readonly);
	/* if=virtio drives without id= are virtio0, virtio1, ... */
	assert_string_equal(cfg.drives[0].id, "virtio0");
	assert_string_equal(cfg.drives[3].id, "virtio3");
	assert_int_equal(cfg.nr_vdevs, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(cfg.vdevs[i].drive, (int)i);
}

static void test_drive_comma_escaped_in_file(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-drive",
				      "file=a,,b.img,readonly=on"),
			 0);
	assert_string_equal(cfg.drives[0].file, "a,b.img");
	assert_true(cfg.drives[0].readonly);
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-drive", "file=x,,,,y,,"), 0);
	assert_string_equal(cfg.drives[0].file, "x,,y,");
}

static void test_drive_automatic_id_skips_taken_names(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-drive",
				      "file=a,if=none,id=virtio0", "-drive",
				      "file=b"),
			 0);
	assert_string_equal(cfg.drives[1].id, "virtio1");
	assert_int_equal(cfg.nr_vdevs, 1);
	assert_int_equal(cfg.vdevs[0].drive, 1);
}

static void test_drive_if_none_and_device(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-drive",
				      "file=root.img,if=none,id=root", "-device",
				      "virtio-blk-pci,drive=root,serial=ROOT,id=vda"),
			 0);
	assert_int_equal(cfg.nr_drives, 1);
	assert_int_equal(cfg.drives[0].iface, DRIVE_IF_NONE);
	assert_string_equal(cfg.drives[0].id, "root");
	assert_int_equal(cfg.nr_vdevs, 1);
	assert_int_equal(cfg.vdevs[0].kind, VDEV_BLK);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_PCI);
	assert_int_equal(cfg.vdevs[0].drive, 0);
	assert_string_equal(cfg.vdevs[0].serial, "ROOT");
	assert_string_equal(cfg.vdevs[0].id, "vda");
}

static void test_device_before_its_drive(void **state)
{
	struct vm_config cfg;

	(void)state;
	/* As in QEMU, the order of -drive and -device does not matter. */
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-device",
				      "virtio-blk-pci,drive=d1", "-drive",
				      "file=a,if=none,id=d0", "-drive",
				      "file=b,if=none,id=d1"),
			 0);
	assert_int_equal(cfg.nr_vdevs, 1);
	assert_int_equal(cfg.vdevs[0].drive, 1);
}

static void test_drive_if_none_unused_is_accepted(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-drive",
				      "file=spare.img,if=none,id=spare"),
			 0);
	assert_int_equal(cfg.nr_drives, 1);
	assert_int_equal(cfg.nr_vdevs, 0);
}

static void test_device_rng_and_consoles(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-device", "virtio-rng-pci",
				      "-device", "virtconsole,id=con0",
				      "-device", "virtio-console-pci"),
			 0);
	assert_int_equal(cfg.nr_vdevs, 3);
	assert_int_equal(cfg.vdevs[0].kind, VDEV_RNG);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_PCI);
	assert_int_equal(cfg.vdevs[0].drive, -1);
	assert_int_equal(cfg.vdevs[1].kind, VDEV_CONSOLE);
	/* virtconsole: the machine's transport. */
	assert_int_equal(cfg.vdevs[1].transport, VDEV_TRANSPORT_PCI);
	assert_string_equal(cfg.vdevs[1].id, "con0");
	assert_int_equal(cfg.vdevs[2].kind, VDEV_CONSOLE);
	assert_int_equal(cfg.vdevs[2].transport, VDEV_TRANSPORT_PCI);
	assert_int_equal(cfg.vdevs[2].drive, -1);
}

/* Devices in command-line order, -drive if=virtio's among them. */
static void test_device_order_kept(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-device", "virtio-rng-pci",
				      "-drive", "file=a", "-device",
				      "virtconsole"),
			 0);
	assert_int_equal(cfg.nr_vdevs, 3);
	assert_int_equal(cfg.vdevs[0].kind, VDEV_RNG);
	assert_int_equal(cfg.vdevs[1].kind, VDEV_BLK);
	assert_int_equal(cfg.vdevs[2].kind, VDEV_CONSOLE);
}

static void test_device_mmio_names_parse_as_mmio(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "-drive", "file=a,if=none,id=d", "-device",
			       "virtio-blk-device,drive=d", "-device",
			       "virtio-rng-device", "-device",
			       "virtio-console-device"),
			 0);
	assert_int_equal(cfg.nr_vdevs, 3);
	assert_int_equal(cfg.vdevs[0].kind, VDEV_BLK);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_MMIO);
	assert_int_equal(cfg.vdevs[0].drive, 0);
	assert_int_equal(cfg.vdevs[1].kind, VDEV_RNG);
	assert_int_equal(cfg.vdevs[1].transport, VDEV_TRANSPORT_MMIO);
	assert_int_equal(cfg.vdevs[2].kind, VDEV_CONSOLE);
	assert_int_equal(cfg.vdevs[2].transport, VDEV_TRANSPORT_MMIO);
}

/*
 * The virt machine belongs to arm64 and -M virt is refused in this x86
 * build, so its checks are reached by setting the machine by hand (as a
 * config file front end could).
 */
static int finish_on_virt(struct vm_config *cfg)
{
	cfg->machine = MACHINE_VIRT;
	cfg->command = CMD_MEMMAP;
	return config_finish(cfg);
}

static void test_virt_default_transport_is_mmio(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "-drive", "file=a", "-device",
			       "virtconsole", "-device", "virtio-rng-device"),
			 0);
	assert_int_equal(finish_on_virt(&cfg), 0);
	assert_int_equal(cfg.nr_vdevs, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(cfg.vdevs[i].transport, VDEV_TRANSPORT_MMIO);
}

static void test_virt_refuses_pci(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "-drive", "file=a,if=none,id=d", "-device",
			       "virtio-blk-pci,drive=d"),
			 0);
	assert_int_equal(finish_on_virt(&cfg), -1);
	assert_err_contains("virtio-blk-pci: the virt machine has no PCI bus; use virtio-blk-device");
	assert_int_equal(PARSE(&cfg, "-device", "virtio-rng-pci"), 0);
	assert_int_equal(finish_on_virt(&cfg), -1);
	assert_err_contains("-device virtio-rng-pci: the virt machine has no PCI bus; use virtio-rng-device");
	assert_int_equal(PARSE(&cfg, "-device", "virtio-console-pci"), 0);
	assert_int_equal(finish_on_virt(&cfg), -1);
	assert_err_contains("use virtio-console-device");
}

/* Every machine has virtio-mmio slots: pc (in the DSDT) and bare (polled). */
static void test_mmio_on_pc_and_bare(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, PC, "-drive", "file=a,if=none,id=d",
			       "-device", "virtio-blk-device,drive=d", "-device",
			       "virtio-rng-device"),
			 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_MMIO);
	assert_int_equal(cfg.vdevs[1].transport, VDEV_TRANSPORT_MMIO);
	/* bare: the default transport is virtio-mmio; there is no PCI. */
	assert_int_equal(PARSE(&cfg, "-M", "bare", "-drive", "file=a",
			       "-device", "virtconsole"),
			 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_MMIO);
	assert_int_equal(cfg.vdevs[1].transport, VDEV_TRANSPORT_MMIO);
	assert_refused("-device virtio-rng-pci: the bare machine has no PCI bus; use virtio-rng-device",
		       "-M", "bare", "-device", "virtio-rng-pci");
}

/* QEMU's virtio-serial-* + virtconsole,chardev= pair is one console. */
static void test_virtio_serial_and_chardev(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, PC, "-serial", "none", "-chardev",
			       "stdio,id=hvc0", "-device", "virtio-serial-pci",
			       "-device", "virtconsole,chardev=hvc0"),
			 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_int_equal(cfg.nr_vdevs, 1);
	assert_int_equal(cfg.vdevs[0].kind, VDEV_CONSOLE);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_PCI);
	assert_int_equal(cfg.nr_chardevs, 1);
	assert_refused("chardev=nope: no -chardev with that id", PC, "-device",
		       "virtio-serial-device", "-device", "virtconsole,chardev=nope");
	assert_refused("only the stdio back end", PC, "-chardev", "socket,id=x");
	assert_refused("needs an id=", PC, "-chardev", "stdio");
	/* A second virtconsole without a bus of its own is its own device. */
	assert_int_equal(PARSE(&cfg, PC, "-device", "virtio-serial-device",
			       "-device", "virtconsole", "-device", "virtconsole"),
			 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_int_equal(cfg.nr_vdevs, 2);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_MMIO);
	assert_int_equal(cfg.vdevs[1].transport, VDEV_TRANSPORT_PCI);
}

static void test_refuse_more_mmio_devices_than_slots(void **state)
{
	char *argv[64] = { "minivmm", "run", "-M", "pc" };
	struct vm_config cfg;
	int argc = 4;

	(void)state;
	for (int i = 0; i < 9; i++) {
		argv[argc++] = "-device";
		argv[argc++] = "virtio-rng-device";
	}
	config_init(&cfg);
	assert_int_equal(config_parse(&cfg, argc, argv), 0);
	assert_int_equal(config_finish(&cfg), -1);
	assert_err_contains("more virtio-mmio devices than the pc machine has slots (8)");
}

static void test_memmap_takes_devices(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "memmap", "-drive", "file=a",
				      "-device", "virtio-rng-pci"),
			 0);
	assert_int_equal(cfg.machine, MACHINE_PC);
	assert_int_equal(cfg.nr_vdevs, 2);
	assert_int_equal(cfg.vdevs[1].transport, VDEV_TRANSPORT_PCI);
}

static void test_device_help(void **state)
{
	struct vm_config cfg;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "-device", "help"), 0);
	assert_int_equal(cfg.command, CMD_DEVICE_HELP);
	assert_int_equal(PARSE_FINISH(&cfg, "run", "-device", "?"), 0);
	assert_int_equal(cfg.command, CMD_DEVICE_HELP);
	/* Whatever else the line says: help is help. */
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "bare", "-device", "help",
				      "-drive", "file=a"),
			 0);
	assert_int_equal(cfg.command, CMD_DEVICE_HELP);

	f = open_memstream(&text, &len);
	assert_non_null(f);
	config_device_help(f);
	fclose(f);
	assert_str_contains(text, "virtio-blk-pci");
	assert_str_contains(text, "virtio-blk-device");
	assert_str_contains(text, "virtio-rng-pci");
	assert_str_contains(text, "virtio-rng-device");
	assert_str_contains(text, "virtconsole");
	assert_str_contains(text, "virtio-console-pci");
	assert_str_contains(text, "virtio-console-device");
	free(text);
}

static void test_vdev_names(void **state)
{
	(void)state;
	assert_string_equal(config_vdev_name(VDEV_BLK, VDEV_TRANSPORT_PCI),
			    "virtio-blk-pci");
	assert_string_equal(config_vdev_name(VDEV_BLK, VDEV_TRANSPORT_MMIO),
			    "virtio-blk-device");
	assert_string_equal(config_vdev_name(VDEV_RNG, VDEV_TRANSPORT_PCI),
			    "virtio-rng-pci");
	assert_string_equal(config_vdev_name(VDEV_CONSOLE,
					     VDEV_TRANSPORT_DEFAULT),
			    "virtconsole");
	assert_string_equal(config_vdev_name(VDEV_CONSOLE, VDEV_TRANSPORT_MMIO),
			    "virtio-console-device");
	assert_string_equal(config_vdev_name((enum vdev_kind)7,
					     VDEV_TRANSPORT_PCI),
			    "?");
}

static void test_serial_twenty_bytes(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-drive",
				      "file=a,serial=01234567890123456789"),
			 0);
	assert_string_equal(cfg.vdevs[0].serial, "01234567890123456789");
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-drive", "file=a,if=none,id=d",
				      "-device",
				      "virtio-blk-pci,drive=d,serial=abcdefghijabcdefghij"),
			 0);
	assert_string_equal(cfg.vdevs[0].serial, "abcdefghijabcdefghij");
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-drive", "file=a,serial="), 0);
	assert_string_equal(cfg.vdevs[0].serial, "");
}

static void test_limits_reached_exactly(void **state)
{
	struct vm_config cfg;
	char *argv[5 + 2 * CONFIG_MAX_VDEVS + 1];
	char drive[CONFIG_MAX_DRIVES][32];
	int argc = 0;

	(void)state;
	/* 16 drives with their 16 devices, and 16 more devices: 32. */
	argv[argc++] = "minivmm";
	argv[argc++] = "-M";
	argv[argc++] = "pc";
	argv[argc++] = "-kernel";
	argv[argc++] = "vmlinuz";
	for (int i = 0; i < CONFIG_MAX_DRIVES; i++) {
		snprintf(drive[i], sizeof(drive[i]), "file=d%d.img", i);
		argv[argc++] = "-drive";
		argv[argc++] = drive[i];
	}
	for (int i = 0; i < CONFIG_MAX_VDEVS - CONFIG_MAX_DRIVES; i++) {
		argv[argc++] = "-device";
		argv[argc++] = "virtio-rng-pci";
	}
	argv[argc] = NULL;
	config_init(&cfg);
	assert_int_equal(config_parse(&cfg, argc, argv), 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_int_equal(cfg.nr_drives, CONFIG_MAX_DRIVES);
	assert_int_equal(cfg.nr_vdevs, CONFIG_MAX_VDEVS);
	assert_string_equal(cfg.drives[15].id, "virtio15");
	assert_int_equal(cfg.vdevs[15].drive, 15);
}

/* The same through argv: 33 -device options. */
static void test_refuse_too_many_devices(void **state)
{
	struct vm_config cfg;
	char *argv[2 + 2 * (CONFIG_MAX_VDEVS + 1) + 1];
	int argc = 0;

	(void)state;
	argv[argc++] = "minivmm";
	for (int i = 0; i <= CONFIG_MAX_VDEVS; i++) {
		argv[argc++] = "-device";
		argv[argc++] = "virtio-rng-pci";
	}
	argv[argc] = NULL;
	config_init(&cfg);
	assert_int_equal(config_parse(&cfg, argc, argv), -1);
	assert_err_contains("-device virtio-rng-pci: too many devices (at most 32)");

	/* -drive if=virtio when the devices are full. */
	argc = 1;
	for (int i = 0; i < CONFIG_MAX_VDEVS; i++) {
		argv[argc++] = "-device";
		argv[argc++] = "virtio-rng-pci";
	}
	argv[argc++] = "-drive";
	argv[argc++] = "file=a";
	argv[argc] = NULL;
	config_init(&cfg);
	assert_int_equal(config_parse(&cfg, argc, argv), -1);
	assert_err_contains("-drive file=a: too many devices (at most 32)");
}

static void test_refuse_too_many_drives(void **state)
{
	struct vm_config cfg;
	char *argv[1 + 2 * (CONFIG_MAX_DRIVES + 1) + 1];
	int argc = 0;

	(void)state;
	argv[argc++] = "minivmm";
	for (int i = 0; i <= CONFIG_MAX_DRIVES; i++) {
		argv[argc++] = "-drive";
		argv[argc++] = "file=x.img";
	}
	argv[argc] = NULL;
	config_init(&cfg);
	assert_int_equal(config_parse(&cfg, argc, argv), -1);
	assert_err_contains("-drive file=x.img: too many drives (at most 16)");
}

static void test_refuse_bad_drive_properties(void **state)
{
	(void)state;
	assert_refused("-drive file=a,media=disk: unknown property 'media'",
		       PC, "-drive", "file=a,media=disk");
	assert_refused("-drive file=a,werror=stop: unknown property 'werror'", PC,
		       "-drive", "file=a,werror=stop");
	assert_refused("-drive file=a,readonly: 'readonly' needs a value", PC,
		       "-drive", "file=a,readonly");
	assert_refused("-drive disk.img: 'disk.img' needs a value", PC,
		       "-drive", "disk.img");
	assert_refused("-drive file=a,format=qcow2: format=qcow2: only raw images are supported",
		       PC, "-drive", "file=a,format=qcow2");
	assert_refused("format=vmdk: only raw images are supported", PC,
		       "-drive", "file=a,format=vmdk");
	assert_refused("-drive file=a,if=ide: if=ide: expected virtio or none",
		       PC, "-drive", "file=a,if=ide");
	assert_refused("if=scsi: expected virtio or none", PC, "-drive",
		       "file=a,if=scsi");
	assert_refused("-drive file=a,cache=fast: cache=fast: expected writeback, none or unsafe",
		       PC, "-drive", "file=a,cache=fast");
	assert_refused("-drive file=a,cache=directsync: cache=directsync is not supported",
		       PC, "-drive", "file=a,cache=directsync");
	assert_refused("cache=writethrough is not supported", PC, "-drive",
		       "file=a,cache=writethrough");
	assert_refused("-drive file=a,aio=io_uring: aio=io_uring is not supported (threads)",
		       PC, "-drive", "file=a,aio=io_uring");
	assert_refused("aio=native is not supported (threads)", PC, "-drive",
		       "file=a,aio=native");
	assert_refused("-drive file=a,aio=fast: aio=fast: expected threads", PC,
		       "-drive", "file=a,aio=fast");
	assert_refused("-drive file=a,discard=trim: discard=trim: expected unmap or ignore",
		       PC, "-drive", "file=a,discard=trim");
	assert_refused("-drive file=a,readonly=maybe: readonly=maybe: expected on or off",
		       PC, "-drive", "file=a,readonly=maybe");
}

static void test_refuse_drive_without_file(void **state)
{
	(void)state;
	assert_refused("-drive if=none,id=d: parameter 'file' is missing", PC,
		       "-drive", "if=none,id=d");
	assert_refused("-drive readonly=on: parameter 'file' is missing", PC,
		       "-drive", "readonly=on");
	assert_refused("-drive file=: file= is empty", PC, "-drive", "file=");
	assert_refused("'-drive' needs a value", PC, "-drive");
}

static void test_refuse_drive_file_too_long(void **state)
{
	char arg[400];

	(void)state;
	memcpy(arg, "file=", 5);
	memset(arg + 5, 'x', 256);
	arg[5 + 256] = '\0';
	assert_refused("file= is longer than 255 bytes", PC, "-drive", arg);
}

static void test_refuse_if_none_without_id_or_with_serial(void **state)
{
	(void)state;
	assert_refused("-drive file=a,if=none: if=none needs an id=", PC,
		       "-drive", "file=a,if=none");
	assert_refused("-drive file=a,if=none,id=d,serial=X: serial= goes with if=virtio",
		       PC, "-drive", "file=a,if=none,id=d,serial=X");
}

static void test_refuse_serial_too_long(void **state)
{
	(void)state;
	assert_refused("-drive file=a,serial=012345678901234567890: serial=012345678901234567890: at most 20 bytes",
		       PC, "-drive", "file=a,serial=012345678901234567890");
	assert_refused("-device virtio-blk-pci,drive=d,serial=abcdefghijabcdefghijK: serial=abcdefghijabcdefghijK: at most 20 bytes",
		       PC, "-drive", "file=a,if=none,id=d", "-device",
		       "virtio-blk-pci,drive=d,serial=abcdefghijabcdefghijK");
}

static void test_refuse_bad_ids(void **state)
{
	(void)state;
	assert_refused("-drive file=a,id=0disk: id=0disk: an id starts with a letter",
		       PC, "-drive", "file=a,id=0disk");
	assert_refused("id=a/b: an id starts with a letter", PC, "-drive",
		       "file=a,id=a/b");
	assert_refused("-drive file=a,id=: id=: an id has 1 to 31 characters",
		       PC, "-drive", "file=a,id=");
	assert_refused("an id has 1 to 31 characters", PC, "-drive",
		       "file=a,id=abcdefghijabcdefghijabcdefghijab");
	assert_refused("-device virtconsole,id=c#1: id=c#1: an id starts with a letter",
		       PC, "-device", "virtconsole,id=c#1");
}

static void test_refuse_duplicate_ids(void **state)
{
	(void)state;
	assert_refused("-drive id=d: duplicate id 'd'", PC, "-drive",
		       "file=a,if=none,id=d", "-drive", "file=b,id=d");
	/* An explicit id taking the name an earlier drive was given. */
	assert_refused("-drive id=virtio0: duplicate id 'virtio0' (another -drive has it; if=virtio drives without id= are named virtio0",
		       PC, "-drive", "file=a", "-drive",
		       "file=b,if=none,id=virtio0");
	assert_refused("-device virtio-rng-pci,id=x: duplicate id 'x'", PC,
		       "-device", "virtconsole,id=x", "-device",
		       "virtio-rng-pci,id=x");
}

static void test_refuse_drive_used_twice(void **state)
{
	(void)state;
	assert_refused("-device virtio-blk-pci,drive=d: drive 'd' is already used by another -device",
		       PC, "-drive", "file=a,if=none,id=d", "-device",
		       "virtio-blk-pci,drive=d", "-device",
		       "virtio-blk-pci,drive=d");
	assert_refused("-device virtio-blk-pci,drive=d: drive 'd' is already used by its own if=virtio device",
		       PC, "-drive", "file=a,id=d", "-device",
		       "virtio-blk-pci,drive=d");
}

static void test_refuse_device_drive_names_no_drive(void **state)
{
	(void)state;
	assert_refused("-device virtio-blk-pci,drive=nope: no -drive with id 'nope'",
		       PC, "-drive", "file=a,if=none,id=d", "-device",
		       "virtio-blk-pci,drive=nope");
	assert_refused("-device virtio-blk-device,drive=x: no -drive with id 'x'",
		       PC, "-device", "virtio-blk-device,drive=x");
	assert_refused("-device virtio-blk-pci: drive= is required", PC,
		       "-device", "virtio-blk-pci");
	assert_refused("-device virtio-blk-pci,serial=S: drive= is required",
		       PC, "-device", "virtio-blk-pci,serial=S");
	assert_refused("-device virtio-blk-pci,drive=: drive=: no such drive",
		       PC, "-device", "virtio-blk-pci,drive=");
}

static void test_refuse_bad_device(void **state)
{
	(void)state;
	assert_refused("-device e1000: unknown device 'e1000' (see -device help)",
		       PC, "-device", "e1000");
	assert_refused("-device e1000e,netdev=n: unknown device 'e1000e'",
		       PC, "-device", "e1000e,netdev=n");
	assert_refused("-device driver=virtio-rng-pci: expected a device name first",
		       PC, "-device", "driver=virtio-rng-pci");
	assert_refused("-device virtio-rng-pci,drive=d: property 'drive' not found for virtio-rng-pci (id)",
		       PC, "-drive", "file=a,if=none,id=d", "-device",
		       "virtio-rng-pci,drive=d");
	assert_refused("-device virtconsole,serial=1: property 'serial' not found for virtconsole",
		       PC, "-device", "virtconsole,serial=1");
	assert_refused("-device virtio-blk-pci,drive=d,num-queues=4: property 'num-queues' not found for virtio-blk-pci (drive, serial, id)",
		       PC, "-drive", "file=a,if=none,id=d", "-device",
		       "virtio-blk-pci,drive=d,num-queues=4");
	assert_refused("-device virtio-blk-pci,drive: 'drive' needs a value",
		       PC, "-device", "virtio-blk-pci,drive");
	assert_refused("'-device' needs a value", PC, "-device");
	assert_refused("-device : expected a device name first", PC, "-device",
		       "");
}

/* What another front end could put in the description, refused too. */
static void test_refuse_inconsistent_description(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, PC, "-device", "virtio-rng-pci"), 0);
	cfg.vdevs[0].drive = 0;
	assert_int_equal(config_finish(&cfg), -1);
	assert_err_contains("-device virtio-rng-pci: drive= and serial= are virtio-blk properties");

	assert_int_equal(PARSE(&cfg, PC, "-drive", "file=a"), 0);
	cfg.vdevs[0].drive = 3;
	assert_int_equal(config_finish(&cfg), -1);
	assert_err_contains("drive= names no -drive");

	assert_int_equal(PARSE(&cfg, PC, "-drive", "file=a"), 0);
	cfg.drives[0].file[0] = '\0';
	assert_int_equal(config_finish(&cfg), -1);
	assert_err_contains("a drive needs an id and a file");

	assert_int_equal(PARSE(&cfg, PC, "-device", "virtconsole"), 0);
	cfg.vdevs[0].transport = (enum vdev_transport)9;
	assert_int_equal(config_finish(&cfg), -1);
	assert_err_contains("unknown device kind");
}

static void test_usage_mentions_drive_and_device(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	config_usage(f);
	fclose(f);
	assert_str_contains(text, "-drive file=PATH[,format=raw][,if=virtio|none]");
	assert_str_contains(text, "cache=writeback|none|unsafe");
	assert_str_contains(text, "discard=unmap|ignore");
	assert_str_contains(text, "aio=threads");
	assert_str_contains(text, "-device virtio-blk-pci|virtio-blk-device,drive=ID");
	assert_str_contains(text, "-device virtio-rng-pci|virtio-rng-device");
	assert_str_contains(text, "virtconsole|virtio-console-pci|virtio-console-device");
	assert_str_contains(text, "-device help");
	/* The section's lines fit in 80 columns. */
	for (char *line = strstr(text, "Disks and virtio devices"), *nl;
	     line && *line != '\n'; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_true(nl - line <= 80);
	}
	free(text);
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown_args)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_drive_defaults),
		T(test_drive_transport_default_before_finish),
		T(test_drive_every_property),
		T(test_drive_value_spellings),
		T(test_drive_comma_escaped_in_file),
		T(test_drive_automatic_id_skips_taken_names),
		T(test_drive_if_none_and_device),
		T(test_device_before_its_drive),
		T(test_drive_if_none_unused_is_accepted),
		T(test_device_rng_and_consoles),
		T(test_device_order_kept),
		T(test_device_mmio_names_parse_as_mmio),
		T(test_virt_default_transport_is_mmio),
		T(test_virt_refuses_pci),
		T(test_mmio_on_pc_and_bare),
		T(test_refuse_more_mmio_devices_than_slots),
		T(test_virtio_serial_and_chardev),
		T(test_memmap_takes_devices),
		T(test_device_help),
		T(test_vdev_names),
		T(test_serial_twenty_bytes),
		T(test_limits_reached_exactly),
		T(test_refuse_too_many_devices),
		T(test_refuse_too_many_drives),
		T(test_refuse_bad_drive_properties),
		T(test_refuse_drive_without_file),
		T(test_refuse_drive_file_too_long),
		T(test_refuse_if_none_without_id_or_with_serial),
		T(test_refuse_serial_too_long),
		T(test_refuse_bad_ids),
		T(test_refuse_duplicate_ids),
		T(test_refuse_drive_used_twice),
		T(test_refuse_device_drive_names_no_drive),
		T(test_refuse_bad_device),
		T(test_refuse_inconsistent_description),
		T(test_usage_mentions_drive_and_device),
	};

	return cmocka_run_group_tests_name("config_devices", tests, NULL,
					   NULL);
}
