// SPDX-License-Identifier: MIT
/*
 * -device vsock|vsock-pci|vsock-device,guest-cid=N,uds=PATH: what it puts
 * in struct vm_config, the transport config_finish() gives it on each
 * machine, -device help, the -v/memmap line, and every refusal (a CID
 * that is not a guest's, a missing or too long uds, a uds that exists and
 * is not a socket, a second vsock device).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "unit.h"
#include "virtio/devices.h"

#include "config_args.h"

#define PC "-M", "pc", "-kernel", "vmlinuz"

static void test_vsock_parses(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-device",
				      "vsock,guest-cid=3,uds=/tmp/vm.vsock,id=v0"),
			 0);
	assert_int_equal(cfg.nr_vdevs, 1);
	assert_int_equal(cfg.vdevs[0].kind, VDEV_VSOCK);
	/* The machine's transport: PCI on pc. */
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_PCI);
	assert_int_equal(cfg.vdevs[0].guest_cid, 3);
	assert_string_equal(cfg.vdevs[0].uds, "/tmp/vm.vsock");
	assert_string_equal(cfg.vdevs[0].id, "v0");
	assert_int_equal(cfg.vdevs[0].drive, -1);

	/* The largest CID, in hex; a chosen transport. */
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-device",
				      "vsock-device,uds=/tmp/a,guest-cid=0xfffffffe"),
			 0);
	assert_int_equal(cfg.vdevs[0].guest_cid, 0xfffffffeull);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_MMIO);
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-device",
				      "vsock-pci,guest-cid=42,uds=/tmp/a"),
			 0);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_PCI);
	/* ",," is a comma in the path. */
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-device",
				      "vsock,guest-cid=3,uds=/tmp/a,,b"),
			 0);
	assert_string_equal(cfg.vdevs[0].uds, "/tmp/a,b");
}

/* As test_config_devices.c: the virt machine's checks, set by hand. */
static void test_vsock_on_virt_and_bare(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE(&cfg, "-device", "vsock,guest-cid=3,uds=/tmp/a"), 0);
	cfg.machine = MACHINE_VIRT;
	cfg.command = CMD_MEMMAP;
	assert_int_equal(config_finish(&cfg), 0);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_MMIO);
	assert_int_equal(PARSE(&cfg, "-device", "vsock-pci,guest-cid=3,uds=/tmp/a"), 0);
	cfg.machine = MACHINE_VIRT;
	cfg.command = CMD_MEMMAP;
	assert_int_equal(config_finish(&cfg), -1);
	assert_err_contains("vsock-pci: the virt machine has no PCI bus; use vsock-device");
	assert_refused("vsock-pci: the bare machine has no PCI bus; use vsock-device",
		       "-M", "bare", "-device", "vsock-pci,guest-cid=3,uds=/tmp/a");
}

static void test_vsock_refusals(void **state)
{
	char dir[] = "/tmp/minivmm-cfgvsock-XXXXXX", file[64], arg[256];
	char longpath[CONFIG_VSOCK_UDS_MAX + 2];
	int fd;

	(void)state;
	assert_refused("-device vsock,guest-cid=2,uds=/tmp/a: guest-cid=2: a guest's CID is 3 to 4294967294",
		       PC, "-device", "vsock,guest-cid=2,uds=/tmp/a");
	assert_refused("guest-cid=0: a guest's CID is 3 to 4294967294", PC,
		       "-device", "vsock,guest-cid=0,uds=/tmp/a");
	assert_refused("guest-cid=4294967295: a guest's CID", PC, "-device",
		       "vsock,guest-cid=4294967295,uds=/tmp/a");
	assert_refused("guest-cid=18446744073709551619: a guest's CID", PC,
		       "-device", "vsock,guest-cid=18446744073709551619,uds=/tmp/a");
	assert_refused("guest-cid=-5: a guest's CID", PC, "-device",
		       "vsock,guest-cid=-5,uds=/tmp/a");
	assert_refused("guest-cid=3x: a guest's CID", PC, "-device",
		       "vsock,guest-cid=3x,uds=/tmp/a");
	assert_refused("guest-cid=: a guest's CID", PC, "-device",
		       "vsock,guest-cid=,uds=/tmp/a");
	assert_refused("-device vsock,uds=/tmp/a: guest-cid= is required", PC,
		       "-device", "vsock,uds=/tmp/a");
	assert_refused("-device vsock,guest-cid=3: uds= is required", PC,
		       "-device", "vsock,guest-cid=3");
	assert_refused("uds=: a path of 1 to 96 bytes", PC, "-device",
		       "vsock,guest-cid=3,uds=");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	snprintf(arg, sizeof(arg), "vsock,guest-cid=3,uds=%s", longpath);
	assert_refused("a path of 1 to 96 bytes", PC, "-device", arg);
	longpath[sizeof(longpath) - 2] = '\0'; /* 96 bytes: fits */
	snprintf(arg, sizeof(arg), "vsock,guest-cid=3,uds=%s", longpath);
	{
		struct vm_config cfg;

		assert_int_equal(PARSE_FINISH(&cfg, PC, "-device", arg), 0);
	}
	assert_refused("property 'drive' not found for vsock (guest-cid, uds, id)",
		       PC, "-device", "vsock,guest-cid=3,uds=/tmp/a,drive=d");
	assert_refused("'uds' needs a value", PC, "-device", "vsock,guest-cid=3,uds");
	assert_refused("-device vsock-pci,guest-cid=4,uds=/tmp/b: one vsock device per VM",
		       PC, "-device", "vsock,guest-cid=3,uds=/tmp/a", "-device",
		       "vsock-pci,guest-cid=4,uds=/tmp/b");

	/* An existing file that is not a socket (a socket is replaced later). */
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/f", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(arg, sizeof(arg), "vsock,guest-cid=3,uds=%s", file);
	assert_refused("exists and is not a socket", PC, "-device", arg);
	snprintf(arg, sizeof(arg), "vsock,guest-cid=3,uds=%s", dir);
	assert_refused("exists and is not a socket", PC, "-device", arg);
	unlink(file);
	rmdir(dir);
}

static void test_vsock_help_name_and_describe(void **state)
{
	struct vm_config cfg;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	config_device_help(f);
	fclose(f);
	assert_str_contains(text, "vsock-pci");
	assert_str_contains(text, "vsock-device");
	assert_str_contains(text, "guest-cid=N,uds=PATH");
	free(text);
	assert_string_equal(config_vdev_name(VDEV_VSOCK, VDEV_TRANSPORT_PCI), "vsock-pci");
	assert_string_equal(config_vdev_name(VDEV_VSOCK, VDEV_TRANSPORT_MMIO),
			    "vsock-device");

	assert_int_equal(PARSE_FINISH(&cfg, PC, "-device", "virtio-rng-pci",
				      "-device", "vsock,guest-cid=7,uds=/tmp/v.sock"),
			 0);
	text = NULL;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	virtio_devices_describe(&cfg, f);
	fclose(f);
	assert_str_contains(text, "virtio-vsock0    virtio-pci 00:03.0, MSI-X 4 vectors (config, 3 queues)");
	assert_str_contains(text, "guest CID 7, host sockets /tmp/v.sock and /tmp/v.sock_PORT");
	free(text);
}

static void test_vhost_vsock(void **state)
{
	struct vm_config cfg;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-device", "vhost-vsock-pci,guest-cid=5,id=v"), 0);
	assert_int_equal(cfg.vdevs[0].kind, VDEV_VHOST_VSOCK);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_PCI);
	assert_int_equal(cfg.vdevs[0].guest_cid, 5);
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-device", "vhost-vsock-device,guest-cid=6"), 0);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_MMIO);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	virtio_devices_describe(&cfg, f);
	fclose(f);
	assert_str_contains(text, "vhost-vsock0     virtio-mmio 0xfe800000-0xfe8001ff");
	assert_str_contains(text, "guest CID 6, the host kernel's /dev/vhost-vsock");
	free(text);
	assert_refused("-device vhost-vsock-pci: guest-cid= is required", PC,
		       "-device", "vhost-vsock-pci");
	assert_refused("guest-cid=1: a guest's CID is 3 to 4294967294", PC,
		       "-device", "vhost-vsock-pci,guest-cid=1");
	assert_refused("property 'uds' not found for vhost-vsock-pci (guest-cid, id)", PC,
		       "-device", "vhost-vsock-pci,guest-cid=3,uds=/tmp/a");
	assert_refused("one vsock device per VM", PC, "-device",
		       "vsock,guest-cid=3,uds=/tmp/a", "-device",
		       "vhost-vsock-device,guest-cid=4");
	assert_refused("one vsock device per VM", PC, "-device",
		       "vhost-vsock-pci,guest-cid=4", "-device",
		       "vsock,guest-cid=3,uds=/tmp/a");
	assert_string_equal(config_vdev_name(VDEV_VHOST_VSOCK, VDEV_TRANSPORT_PCI),
			    "vhost-vsock-pci");
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown_args)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_vsock_parses),
		T(test_vsock_on_virt_and_bare),
		T(test_vsock_refusals),
		T(test_vsock_help_name_and_describe),
		T(test_vhost_vsock),
	};

	return cmocka_run_group_tests_name("config_vsock", tests, NULL, NULL);
}
