// SPDX-License-Identifier: MIT
/*
 * -netdev, -device virtio-net-*, -nic: what they put in struct vm_config
 * (netdevs[], vdevs[] with their MACs), QEMU's default MACs, the -v/memmap
 * lines, the QEMU front end passing them on, and every refusal with the
 * option it names.  No tap is opened here (that is the machine's, at
 * creation; tests/unit/test_virtio_net.c tries a real one).
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
#include "qemu_cli.h"
#include "unit.h"
#include "virtio/devices.h"

#include "config_args.h"

#define PC "-M", "pc", "-kernel", "vmlinuz"

static void assert_mac(const uint8_t *mac, const char *want)
{
	char got[18];

	snprintf(got, sizeof(got), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	assert_string_equal(got, want);
}

static void test_netdev_and_device(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-netdev",
				      "tap,id=net0,ifname=tap0,script=no,downscript=no",
				      "-device", "virtio-net-pci,netdev=net0,id=nic0"),
			 0);
	assert_int_equal(cfg.nr_netdevs, 1);
	assert_string_equal(cfg.netdevs[0].id, "net0");
	assert_string_equal(cfg.netdevs[0].ifname, "tap0");
	assert_int_equal(cfg.netdevs[0].fd, -1);
	assert_false(cfg.netdevs[0].vhost);
	assert_int_equal(cfg.nr_vdevs, 1);
	assert_int_equal(cfg.vdevs[0].kind, VDEV_NET);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_PCI);
	assert_int_equal(cfg.vdevs[0].netdev, 0);
	assert_string_equal(cfg.vdevs[0].id, "nic0");
	assert_true(cfg.vdevs[0].mac_set);
	assert_mac(cfg.vdevs[0].mac, "52:54:00:12:34:56");
}

static void test_device_before_netdev_and_fd(void **state)
{
	struct vm_config cfg;

	(void)state;
	/* netdev= may name a -netdev given later, as drive= may. */
	assert_int_equal(PARSE_FINISH(&cfg, "-M", "bare", "-device",
				      "virtio-net-device,netdev=t,mac=02:00:00:AB:cd:01",
				      "-netdev", "tap,id=t,fd=7,vhost=off"),
			 0);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_MMIO);
	assert_int_equal(cfg.vdevs[0].netdev, 0);
	assert_int_equal(cfg.netdevs[0].fd, 7);
	assert_string_equal(cfg.netdevs[0].ifname, "");
	assert_mac(cfg.vdevs[0].mac, "02:00:00:ab:cd:01");
	/* QEMU's other separator. */
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-netdev", "tap,id=t,ifname=x",
				      "-device", "virtio-net-pci,netdev=t,mac=02-00-00-00-00-09"),
			 0);
	assert_mac(cfg.vdevs[0].mac, "02:00:00:00:00:09");
}

static void test_default_macs(void **state)
{
	struct vm_config cfg;

	(void)state;
	/* One more for each card without mac=, skipping one given explicitly. */
	assert_int_equal(PARSE_FINISH(&cfg, PC,
				      "-netdev", "tap,id=a,ifname=ta",
				      "-netdev", "tap,id=b,ifname=tb",
				      "-netdev", "tap,id=c,ifname=tc",
				      "-netdev", "tap,id=d,ifname=td",
				      "-device", "virtio-net-pci,netdev=a",
				      "-device", "virtio-net-pci,netdev=b,mac=52:54:00:12:34:57",
				      "-device", "virtio-net-pci,netdev=c",
				      "-device", "virtio-net-pci,netdev=d"),
			 0);
	assert_int_equal(cfg.nr_vdevs, 4);
	assert_mac(cfg.vdevs[0].mac, "52:54:00:12:34:56");
	assert_mac(cfg.vdevs[1].mac, "52:54:00:12:34:57");
	assert_mac(cfg.vdevs[2].mac, "52:54:00:12:34:58");
	assert_mac(cfg.vdevs[3].mac, "52:54:00:12:34:59");
	for (int i = 0; i < 4; i++)
		assert_int_equal(cfg.vdevs[i].netdev, i);
}

static void test_nic_shorthand(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-nic",
				      "tap,ifname=tap0,model=virtio-net-pci,mac=52:54:00:00:00:01",
				      "-nic", "tap,ifname=tap1,model=virtio-net-device,id=up",
				      "-nic", "tap,fd=9", "-nic", "none"),
			 0);
	assert_int_equal(cfg.nr_netdevs, 3);
	assert_int_equal(cfg.nr_vdevs, 3);
	assert_string_equal(cfg.netdevs[0].ifname, "tap0");
	assert_string_equal(cfg.netdevs[1].id, "up");
	assert_int_equal(cfg.netdevs[2].fd, 9);
	assert_int_equal(cfg.vdevs[0].transport, VDEV_TRANSPORT_PCI);
	assert_int_equal(cfg.vdevs[1].transport, VDEV_TRANSPORT_MMIO);
	/* No model=: the machine's own transport (PCI on pc). */
	assert_int_equal(cfg.vdevs[2].transport, VDEV_TRANSPORT_PCI);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cfg.vdevs[i].netdev, i);
	assert_mac(cfg.vdevs[0].mac, "52:54:00:00:00:01");
	assert_mac(cfg.vdevs[1].mac, "52:54:00:12:34:56");
	assert_mac(cfg.vdevs[2].mac, "52:54:00:12:34:57");
	/* -nic none adds nothing. */
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-nic", "none"), 0);
	assert_int_equal(cfg.nr_vdevs, 0);
	assert_int_equal(cfg.nr_netdevs, 0);
}

static void test_vhost_properties(void **state)
{
	struct vm_config cfg;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-netdev", "tap,id=n,ifname=t,vhost=on"), 0);
	assert_true(cfg.netdevs[0].vhost);
	assert_false(cfg.netdevs[0].vhostforce);
	/* vhostforce=on implies vhost=on, as QEMU. */
	assert_int_equal(PARSE_FINISH(&cfg, PC, "-netdev", "tap,id=n,ifname=t,vhostforce=on"), 0);
	assert_true(cfg.netdevs[0].vhost);
	assert_true(cfg.netdevs[0].vhostforce);
}

static void test_describe_lists_each_nic(void **state)
{
	struct vm_config cfg;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	assert_int_equal(PARSE_FINISH(&cfg, "memmap", "-M", "pc",
				      "-netdev", "tap,id=n0,ifname=tap0",
				      "-device", "virtio-net-pci,netdev=n0",
				      "-nic", "tap,fd=5,model=virtio-net-device"),
			 0);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	virtio_devices_describe(&cfg, out);
	fclose(out);
	assert_str_contains(text, "virtio-net0      virtio-pci 00:02.0, MSI-X 3 vectors (config, 2 queues)");
	assert_str_contains(text, "netdev n0: tap tap0, MAC 52:54:00:12:34:56");
	assert_str_contains(text, "virtio-net1      virtio-mmio 0x");
	assert_str_contains(text, "tap fd 5, MAC 52:54:00:12:34:57");
	free(text);
}

static void test_qemu_front_end_passes_them(void **state)
{
	char *argv[] = { "qemu-system-x86_64", "-netdev", "tap,id=n,ifname=t",
			 "-device", "virtio-net-pci,netdev=n", "-nic",
			 "tap,ifname=u", "-nic", "none", NULL };
	struct qemu_cli q;
	int first, found = 0;

	(void)state;
	assert_true(qemu_cli_wanted(9, argv, &first));
	assert_int_equal(qemu_cli_translate(9, argv, first, &q), 0);
	for (int i = 0; i + 1 < q.argc; i++) {
		if (!strcmp(q.argv[i], "-netdev") && !strcmp(q.argv[i + 1], "tap,id=n,ifname=t"))
			found |= 1;
		if (!strcmp(q.argv[i], "-nic") && !strcmp(q.argv[i + 1], "tap,ifname=u"))
			found |= 2;
	}
	assert_int_equal(found, 3);
	qemu_cli_free(&q);
}

static void test_refuse_bad_netdev(void **state)
{
	(void)state;
	assert_refused("the user back end is not supported (only tap)", PC,
		       "-netdev", "user,id=n");
	assert_refused("expected a back end type first", PC, "-netdev", "id=n");
	assert_refused("needs an id=", PC, "-netdev", "tap,ifname=t");
	assert_refused("needs ifname=NAME or fd=N", PC, "-netdev", "tap,id=n");
	assert_refused("give one", PC, "-netdev", "tap,id=n,ifname=t,fd=3");
	assert_refused("runs no scripts", PC, "-netdev",
		       "tap,id=n,ifname=t,script=/etc/qemu-ifup");
	assert_refused("runs no scripts", PC, "-netdev",
		       "tap,id=n,ifname=t,downscript=yes");
	assert_refused("fd=-1 is not a file descriptor number", PC, "-netdev",
		       "tap,id=n,fd=-1");
	assert_refused("fd=3x is not", PC, "-netdev", "tap,id=n,fd=3x");
	assert_refused("an interface name has 1 to 15 characters", PC, "-netdev",
		       "tap,id=n,ifname=sixteen-chars-xx");
	assert_refused("vhost=maybe: expected on or off", PC, "-netdev",
		       "tap,id=n,ifname=t,vhost=maybe");
	assert_refused("unknown property 'queues'", PC, "-netdev",
		       "tap,id=n,ifname=t,queues=2");
	assert_refused("'ifname' needs a value", PC, "-netdev", "tap,id=n,ifname");
	assert_refused("duplicate id 'n'", PC, "-netdev", "tap,id=n,ifname=a",
		       "-netdev", "tap,id=n,ifname=b");
	assert_refused("an id starts with a letter", PC, "-netdev",
		       "tap,id=0n,ifname=a");
}

static void test_refuse_bad_nic_device(void **state)
{
	(void)state;
	assert_refused("netdev= is required", PC, "-device", "virtio-net-pci");
	assert_refused("no -netdev with id 'nx'", PC, "-netdev", "tap,id=n,ifname=t",
		       "-device", "virtio-net-pci,netdev=nx");
	assert_refused("netdev 'n' is already used by another NIC", PC, "-netdev",
		       "tap,id=n,ifname=t", "-device", "virtio-net-pci,netdev=n",
		       "-device", "virtio-net-device,netdev=n");
	assert_refused("expected six hex pairs", PC, "-netdev", "tap,id=n,ifname=t",
		       "-device", "virtio-net-pci,netdev=n,mac=52:54:00:12:34");
	assert_refused("expected six hex pairs", PC, "-netdev", "tap,id=n,ifname=t",
		       "-device", "virtio-net-pci,netdev=n,mac=52:54:00:12:34:56:78");
	assert_refused("expected six hex pairs", PC, "-netdev", "tap,id=n,ifname=t",
		       "-device", "virtio-net-pci,netdev=n,mac=52:54:00:12:34:5g");
	assert_refused("expected six hex pairs", PC, "-netdev", "tap,id=n,ifname=t",
		       "-device", "virtio-net-pci,netdev=n,mac=525400123456");
	assert_refused("is a multicast address", PC, "-netdev", "tap,id=n,ifname=t",
		       "-device", "virtio-net-pci,netdev=n,mac=01:00:5e:00:00:01");
	assert_refused("the all-zero address", PC, "-netdev", "tap,id=n,ifname=t",
		       "-device", "virtio-net-pci,netdev=n,mac=00:00:00:00:00:00");
	assert_refused("property 'drive' not found for virtio-net-pci (netdev, mac, id)",
		       PC, "-netdev", "tap,id=n,ifname=t", "-device",
		       "virtio-net-pci,netdev=n,drive=d");
	/* netdev= and mac= belong to network cards only. */
	assert_refused("property 'netdev' not found for virtio-rng-pci", PC,
		       "-device", "virtio-rng-pci,netdev=n");
	assert_refused("the bare machine has no PCI bus", "-M", "bare", "-netdev",
		       "tap,id=n,ifname=t", "-device", "virtio-net-pci,netdev=n");
	assert_refused("-nic user: the user back end is not supported", PC, "-nic",
		       "user");
	assert_refused("model=e1000: expected virtio-net-pci or virtio-net-device",
		       PC, "-nic", "tap,ifname=t,model=e1000");
	assert_refused("-nic tap: needs ifname=NAME or fd=N", PC, "-nic", "tap");
	assert_refused("unknown property 'netdev'", PC, "-nic",
		       "tap,ifname=t,netdev=x");
	assert_refused("duplicate id 'n'", PC, "-netdev", "tap,id=n,ifname=a",
		       "-nic", "tap,ifname=b,id=n");
}

static void test_refuse_too_many_netdevs(void **state)
{
	struct vm_config cfg;
	char *argv[2 * (CONFIG_MAX_NETDEVS + 1) + 2];
	char names[CONFIG_MAX_NETDEVS + 1][40];
	int argc = 0;

	(void)state;
	argv[argc++] = "minivmm";
	for (int i = 0; i <= CONFIG_MAX_NETDEVS; i++) {
		snprintf(names[i], sizeof(names[i]), "tap,id=n%d,ifname=t%d", i, i);
		argv[argc++] = "-netdev";
		argv[argc++] = names[i];
	}
	argv[argc] = NULL;
	config_init(&cfg);
	assert_int_equal(config_parse(&cfg, argc - 2, argv), 0);
	config_init(&cfg);
	assert_int_equal(config_parse(&cfg, argc, argv), -1);
	assert_err_contains("too many network back ends (at most 8)");
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown_args)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_netdev_and_device),
		T(test_device_before_netdev_and_fd),
		T(test_default_macs),
		T(test_nic_shorthand),
		T(test_vhost_properties),
		T(test_describe_lists_each_nic),
		T(test_qemu_front_end_passes_them),
		T(test_refuse_bad_netdev),
		T(test_refuse_bad_nic_device),
		T(test_refuse_too_many_netdevs),
	};

	return cmocka_run_group_tests_name("config_net", tests, NULL, NULL);
}
