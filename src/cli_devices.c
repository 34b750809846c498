// SPDX-License-Identifier: MIT
/*
 * The command line's disks and virtio devices, in QEMU's spellings:
 *
 *   -drive file=PATH[,format=raw][,if=virtio|none][,id=ID][,readonly=on|off]
 *          [,cache=writeback|none|unsafe][,aio=threads][,discard=unmap|ignore]
 *          [,serial=S]
 *   -device virtio-blk-pci|virtio-blk-device,drive=ID[,serial=S][,id=ID]
 *   -device virtio-rng-pci|virtio-rng-device[,id=ID]
 *   -device virtconsole|virtio-console-pci|virtio-console-device[,id=ID]
 *   -device virtio-net-pci|virtio-net-device,netdev=ID[,mac=MAC][,id=ID]
 *   -netdev tap,id=ID,ifname=NAME|fd=N[,script=no][,downscript=no]
 *           [,vhost=on|off][,vhostforce=on|off]
 *   -nic none | tap,ifname=NAME|fd=N[,model=virtio-net-pci|virtio-net-device]
 *        [,mac=MAC][,id=ID][, the -netdev tap properties]
 *   -device vsock|vsock-pci|vsock-device,guest-cid=N,uds=PATH[,id=ID]
 *   -device vhost-vsock-pci|vhost-vsock-device,guest-cid=N[,id=ID]
 *   -device help
 *
 * As in QEMU, ",," inside a value is a comma.  -drive if=virtio (our
 * default: QEMU's is ide) also adds a virtio-blk device on the machine's
 * own transport.  A -device's drive= may name a -drive given later: the
 * names are resolved once every option is read (cli_resolve_devices).
 * What depends on the machine (transports, -M bare) and on all the
 * options together (ids, a drive used twice) is config_finish()'s.
 */
#include "cli_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dev/debug_exit.h"
#include "log.h"

static const struct {
	const char *name;
	enum vdev_kind kind;
	enum vdev_transport transport;
	const char *help;
} device_names[] = {
	{ "virtio-blk-pci", VDEV_BLK, VDEV_TRANSPORT_PCI,
	  "virtio disk on PCI: drive=ID[,serial=S][,id=ID]" },
	{ "virtio-blk-device", VDEV_BLK, VDEV_TRANSPORT_MMIO,
	  "virtio disk on virtio-mmio: drive=ID[,serial=S][,id=ID]" },
	{ "virtio-rng-pci", VDEV_RNG, VDEV_TRANSPORT_PCI,
	  "virtio entropy source on PCI: [id=ID]" },
	{ "virtio-rng-device", VDEV_RNG, VDEV_TRANSPORT_MMIO,
	  "virtio entropy source on virtio-mmio: [id=ID]" },
	{ "virtconsole", VDEV_CONSOLE, VDEV_TRANSPORT_DEFAULT,
	  "virtio console (hvc0), the port of a virtio-serial-* before it or its own device on the machine's transport: [chardev=ID][,id=ID]" },
	{ "virtio-console-pci", VDEV_CONSOLE, VDEV_TRANSPORT_PCI,
	  "virtio console on PCI: [id=ID]" },
	{ "virtio-serial-pci", VDEV_CONSOLE, VDEV_TRANSPORT_PCI,
	  "QEMU's spelling: the virtio console on PCI; a virtconsole after it is its port" },
	{ "virtio-serial-device", VDEV_CONSOLE, VDEV_TRANSPORT_MMIO,
	  "QEMU's spelling: the virtio console on virtio-mmio; a virtconsole after it is its port" },
	{ "virtio-console-device", VDEV_CONSOLE, VDEV_TRANSPORT_MMIO,
	  "virtio console on virtio-mmio: [id=ID]" },
	{ "virtio-net-pci", VDEV_NET, VDEV_TRANSPORT_PCI,
	  "virtio network card on PCI: netdev=ID[,mac=MAC][,id=ID]" },
	{ "virtio-net-device", VDEV_NET, VDEV_TRANSPORT_MMIO,
	  "virtio network card on virtio-mmio: netdev=ID[,mac=MAC][,id=ID]" },
	{ "vsock", VDEV_VSOCK, VDEV_TRANSPORT_DEFAULT,
	  "virtio-vsock on the machine's transport, host side Unix sockets at PATH and PATH_PORT: guest-cid=N,uds=PATH[,id=ID]" },
	{ "vsock-pci", VDEV_VSOCK, VDEV_TRANSPORT_PCI,
	  "virtio-vsock on PCI: guest-cid=N,uds=PATH[,id=ID]" },
	{ "vsock-device", VDEV_VSOCK, VDEV_TRANSPORT_MMIO,
	  "virtio-vsock on virtio-mmio: guest-cid=N,uds=PATH[,id=ID]" },
	{ "vhost-vsock-pci", VDEV_VHOST_VSOCK, VDEV_TRANSPORT_PCI,
	  "virtio-vsock on PCI served by the host kernel (/dev/vhost-vsock): guest-cid=N[,id=ID]" },
	{ "vhost-vsock-device", VDEV_VHOST_VSOCK, VDEV_TRANSPORT_MMIO,
	  "virtio-vsock on virtio-mmio served by the host kernel (/dev/vhost-vsock): guest-cid=N[,id=ID]" },
};
#define NR_DEVICE_NAMES (sizeof(device_names) / sizeof(device_names[0]))

void config_devices_each(FILE *out,
			 void (*fn)(FILE *out, const char *name,
				    const char *bus, const char *help))
{
	for (size_t i = 0; i < NR_DEVICE_NAMES; i++) {
		enum vdev_transport t = device_names[i].transport;

		fn(out, device_names[i].name,
		   t == VDEV_TRANSPORT_PCI  ? "PCI" :
		   t == VDEV_TRANSPORT_MMIO ||
				   device_names[i].kind == VDEV_VSOCK ? "virtio-bus" :
					      "virtio-serial-bus",
		   device_names[i].help);
	}
	fn(out, "isa-debug-exit", "ISA",
	   "x86 ports: a write of v ends the run with exit status (v << 1) | 1: "
	   "[iobase=PORT (0x501)][,iosize=1|2|4 (2)][,id=ID]");
	fn(out, "pc-testdev", "ISA",
	   "pc machine: QEMU's test device for kvm-unit-tests (ports 0xe0-0xeb, "
	   "IRQ lines at 0x2000, 64 KiB at 0xff000000): [id=ID]");
}

static void help_line(FILE *out, const char *name, const char *bus,
		      const char *help)
{
	(void)bus;
	fprintf(out, "  %-22s %s\n", name, help);
}

void config_device_help(FILE *out)
{
	fprintf(out, "Devices for -device (-pci names need a PCI bus: the pc machine; -device\n"
		     "names are virtio-mmio: pc, arm64 virt and bare, which polls):\n");
	config_devices_each(out, help_line);
}

/*
 * cli_next_kv with QEMU's escape: ",," inside an item is one ','.  The
 * item is unescaped in place.
 */
static char *next_kv(char **cursor, char **value)
{
	char *item = *cursor, *in = item, *out = item, *eq;

	if (!item || !*item)
		return NULL;
	for (;;) {
		if (*in == ',' && in[1] == ',') {
			*out++ = ',';
			in += 2;
		} else if (*in == ',' || *in == '\0') {
			*cursor = *in ? in + 1 : in;
			*out = '\0';
			break;
		} else {
			*out++ = *in++;
		}
	}
	eq = strchr(item, '=');
	if (eq) {
		*eq = '\0';
		*value = eq + 1;
	} else {
		*value = NULL;
	}
	return item;
}

/* on/off and QEMU's other spellings of a boolean; -1 for anything else. */
static int parse_bool(const char *v)
{
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true"))
		return 1;
	if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false"))
		return 0;
	return -1;
}

/* QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_'. */
static int copy_id(const char *opt, const char *arg, const char *value,
		   char *id, size_t size)
{
	if (!*value || strlen(value) >= size)
		return err_set("%s %s: id=%s: an id has 1 to %zu characters", opt,
			       arg, value, size - 1);
	if (!isalpha((unsigned char)value[0]))
		goto bad;
	for (const char *c = value; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-._", *c))
			goto bad;
	snprintf(id, size, "%s", value);
	return 0;
bad:
	return err_set("%s %s: id=%s: an id starts with a letter and has only letters, digits, '-', '.' and '_'",
		       opt, arg, value);
}

/* QEMU's MAC spelling: six pairs of hex digits separated by ':' (or '-'). */
static int parse_mac(const char *opt, const char *arg, const char *value,
		     uint8_t mac[6])
{
	const char *p = value;

	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    (i < 5 && p[2] != ':' && p[2] != '-') || (i == 5 && p[2]))
			return err_set("%s %s: mac=%s: expected six hex pairs, as 52:54:00:12:34:56",
				       opt, arg, value);
		mac[i] = (uint8_t)strtoul((char[3]){ p[0], p[1], 0 }, NULL, 16);
		p += 3;
	}
	if (mac[0] & 1)
		return err_set("%s %s: mac=%s is a multicast address (the first byte is odd)",
			       opt, arg, value);
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return err_set("%s %s: mac=%s: the all-zero address is not a card's",
			       opt, arg, value);
	return 0;
}

static int copy_serial(const char *opt, const char *arg, const char *value,
		       char *serial)
{
	if (strlen(value) > CONFIG_SERIAL_MAX)
		return err_set("%s %s: serial=%s: at most %d bytes (the virtio-blk serial field)",
			       opt, arg, value, CONFIG_SERIAL_MAX);
	memcpy(serial, value, strlen(value) + 1);
	return 0;
}

int cli_parse_drive(struct vm_config *cfg, const char *arg)
{
	char buf[1024], serial[CONFIG_SERIAL_MAX + 1] = "";
	char *cursor = buf, *key, *value;
	bool has_serial = false;
	struct drive_cfg *d;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-drive %s: too long", arg);
	if (cfg->nr_drives == CONFIG_MAX_DRIVES)
		return err_set("-drive %s: too many drives (at most %d)", arg,
			       CONFIG_MAX_DRIVES);
	d = &cfg->drives[cfg->nr_drives];
	memset(d, 0, sizeof(*d));
	d->iface = DRIVE_IF_VIRTIO;
	d->cache = DRIVE_CACHE_WRITEBACK;
	while ((key = next_kv(&cursor, &value))) {
		if (!value)
			return err_set("-drive %s: '%s' needs a value (%s=...)",
				       arg, key, key);
		if (!strcmp(key, "file")) {
			if (!*value)
				return err_set("-drive %s: file= is empty", arg);
			if (strlen(value) >= sizeof(d->file))
				return err_set("-drive %s: file= is longer than %zu bytes",
					       arg, sizeof(d->file) - 1);
			snprintf(d->file, sizeof(d->file), "%s", value);
		} else if (!strcmp(key, "format")) {
			if (strcmp(value, "raw"))
				return err_set("-drive %s: format=%s: only raw images are supported",
					       arg, value);
		} else if (!strcmp(key, "if")) {
			if (!strcmp(value, "virtio"))
				d->iface = DRIVE_IF_VIRTIO;
			else if (!strcmp(value, "none"))
				d->iface = DRIVE_IF_NONE;
			else
				return err_set("-drive %s: if=%s: expected virtio or none",
					       arg, value);
		} else if (!strcmp(key, "id")) {
			if (copy_id("-drive", arg, value, d->id,
				    sizeof(d->id)) < 0)
				return -1;
		} else if (!strcmp(key, "readonly")) {
			int on = parse_bool(value);

			if (on < 0)
				return err_set("-drive %s: readonly=%s: expected on or off",
					       arg, value);
			d->readonly = on;
		} else if (!strcmp(key, "cache")) {
			if (!strcmp(value, "writeback"))
				d->cache = DRIVE_CACHE_WRITEBACK;
			else if (!strcmp(value, "none"))
				d->cache = DRIVE_CACHE_NONE;
			else if (!strcmp(value, "unsafe"))
				d->cache = DRIVE_CACHE_UNSAFE;
			else if (!strcmp(value, "directsync") ||
				 !strcmp(value, "writethrough"))
				return err_set("-drive %s: cache=%s is not supported (writeback, none or unsafe)",
					       arg, value);
			else
				return err_set("-drive %s: cache=%s: expected writeback, none or unsafe",
					       arg, value);
		} else if (!strcmp(key, "discard")) {
			if (!strcmp(value, "unmap") || !strcmp(value, "on"))
				d->discard = true;
			else if (!strcmp(value, "ignore") || !strcmp(value, "off"))
				d->discard = false;
			else
				return err_set("-drive %s: discard=%s: expected unmap or ignore",
					       arg, value);
		} else if (!strcmp(key, "aio")) {
			/* minivmm's requests always run on its I/O threads. */
			if (!strcmp(value, "native") || !strcmp(value, "io_uring"))
				return err_set("-drive %s: aio=%s is not supported (threads)",
					       arg, value);
			if (strcmp(value, "threads"))
				return err_set("-drive %s: aio=%s: expected threads",
					       arg, value);
		} else if (!strcmp(key, "serial")) {
			if (copy_serial("-drive", arg, value, serial) < 0)
				return -1;
			has_serial = true;
		} else {
			return err_set("-drive %s: unknown property '%s' (file, format, if, id, readonly, cache, aio, discard, serial)",
				       arg, key);
		}
	}
	if (!d->file[0])
		return err_set("-drive %s: parameter 'file' is missing", arg);
	if (d->iface == DRIVE_IF_NONE) {
		if (!d->id[0])
			return err_set("-drive %s: if=none needs an id= for -device ...,drive=ID",
				       arg);
		if (has_serial)
			return err_set("-drive %s: serial= goes with if=virtio; give an if=none drive's serial to its -device",
				       arg);
		cfg->nr_drives++;
		return 0;
	}

	/* if=virtio: the drive and its virtio-blk device. */
	if (cfg->nr_vdevs == CONFIG_MAX_VDEVS)
		return err_set("-drive %s: too many devices (at most %d)", arg,
			       CONFIG_MAX_VDEVS);
	/* QEMU's names for if=virtio drives without an id: virtio0, ... */
	for (unsigned n = 0; !d->id[0]; n++) {
		snprintf(d->id, sizeof(d->id), "virtio%u", n);
		for (size_t i = 0; i < cfg->nr_drives; i++)
			if (!strcmp(cfg->drives[i].id, d->id))
				d->id[0] = '\0';
	}
	struct vdev_cfg *v = &cfg->vdevs[cfg->nr_vdevs];

	memset(v, 0, sizeof(*v));
	v->kind = VDEV_BLK;
	v->transport = VDEV_TRANSPORT_DEFAULT;
	v->drive = (int)cfg->nr_drives;
	memcpy(v->serial, serial, sizeof(serial));
	cfg->nr_drives++;
	cfg->nr_vdevs++;
	return 0;
}

/* -device isa-debug-exit[,iobase=N][,iosize=N][,id=ID] */
static int parse_debug_exit(struct vm_config *cfg, const char *arg, char *cursor)
{
	char *key, *value, *end;

	if (cfg->debug_exit)
		return err_set("-device %s: one isa-debug-exit only", arg);
	cfg->debug_exit = true;
	cfg->debug_exit_iobase = DEBUG_EXIT_DEFAULT_IOBASE;
	cfg->debug_exit_iosize = DEBUG_EXIT_DEFAULT_IOSIZE;
	while ((key = next_kv(&cursor, &value)) != NULL) {
		unsigned long v;

		if (!strcmp(key, "id") && value)
			continue;
		if (!value || (strcmp(key, "iobase") && strcmp(key, "iosize")))
			return err_set("-device %s: unknown property '%s' (iobase=, iosize=, id=)",
				       arg, key);
		errno = 0;
		v = strtoul(value, &end, 0);
		if (end == value || *end || errno || v > 0xffff)
			return err_set("-device %s: %s=%s is not a number up to 0xffff",
				       arg, key, value);
		if (!strcmp(key, "iobase"))
			cfg->debug_exit_iobase = (uint16_t)v;
		else if (v != 1 && v != 2 && v != 4)
			return err_set("-device %s: iosize must be 1, 2 or 4", arg);
		else
			cfg->debug_exit_iosize = (uint16_t)v;
	}
	if ((uint32_t)cfg->debug_exit_iobase + cfg->debug_exit_iosize > 0x10000)
		return err_set("-device %s: the ports go past 0xffff", arg);
	return 0;
}

/* guest-cid=N: 3 .. 0xfffffffe (0-2 and 0xffffffff are not a guest's, vsock(7)). */
static int parse_guest_cid(const char *arg, const char *value, uint64_t *cid)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(value, &end, 0);
	if (end == value || *end || errno || *value == '-' || v < 3 ||
	    v > 0xfffffffeull)
		return err_set("-device %s: guest-cid=%s: a guest's CID is 3 to 4294967294",
			       arg, value);
	*cid = v;
	return 0;
}

/* uds=PATH: short enough for PATH_PORT in sun_path; a socket or nothing yet. */
static int parse_uds(const char *arg, const char *value, char *uds)
{
	struct stat st;

	if (!*value || strlen(value) > CONFIG_VSOCK_UDS_MAX)
		return err_set("-device %s: uds=%s: a path of 1 to %d bytes (PATH_PORT must fit a Unix socket address)",
			       arg, value, CONFIG_VSOCK_UDS_MAX);
	if (lstat(value, &st) == 0 && !S_ISSOCK(st.st_mode))
		return err_set("-device %s: uds=%s exists and is not a socket",
			       arg, value);
	memcpy(uds, value, strlen(value) + 1);
	return 0;
}

int cli_parse_device(struct vm_config *cfg, const char *arg,
		     char drive_ids[][CLI_ID_MAX])
{
	char buf[512], *cursor = buf, *key, *value;
	const char *name;
	struct vdev_cfg *v;
	bool port;
	size_t i;

	if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
		cfg->command = CMD_DEVICE_HELP;
		return 0;
	}
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-device %s: too long", arg);
	key = next_kv(&cursor, &value);
	if (!key || value)
		return err_set("-device %s: expected a device name first (see -device help)",
			       arg);
	name = key;
	if (!strcmp(name, "isa-debug-exit"))
		return parse_debug_exit(cfg, arg, cursor);
	if (!strcmp(name, "pc-testdev")) {
		while ((key = next_kv(&cursor, &value)) != NULL)
			if (strcmp(key, "id") || !value)
				return err_set("-device %s: unknown property '%s' (id= only)",
					       arg, key);
		if (cfg->pc_testdev)
			return err_set("-device %s: one pc-testdev only", arg);
		cfg->pc_testdev = true;
		return 0;
	}
	for (i = 0; i < NR_DEVICE_NAMES; i++)
		if (!strcmp(name, device_names[i].name))
			break;
	if (i == NR_DEVICE_NAMES)
		return err_set("-device %s: unknown device '%s' (see -device help)",
			       arg, name);
	/*
	 * QEMU's virtio-serial-* is the device and virtconsole its port: the
	 * pair is one virtio console here.  A virtconsole with no bus before it
	 * is a console device of its own (our shorthand).
	 */
	port = !strcmp(name, "virtconsole");
	v = NULL;
	if (port)
		for (size_t k = cfg->nr_vdevs; k-- > 0;)
			if (cfg->vdevs[k].kind == VDEV_CONSOLE &&
			    cfg->vdevs[k].console_port == false &&
			    cfg->vdevs[k].transport != VDEV_TRANSPORT_DEFAULT) {
				v = &cfg->vdevs[k];
				break;
			}
	if (!v) {
		if (cfg->nr_vdevs == CONFIG_MAX_VDEVS)
			return err_set("-device %s: too many devices (at most %d)",
				       arg, CONFIG_MAX_VDEVS);
		v = &cfg->vdevs[cfg->nr_vdevs];
		memset(v, 0, sizeof(*v));
		v->kind = device_names[i].kind;
		v->transport = device_names[i].transport;
		v->drive = -1;
		drive_ids[cfg->nr_vdevs][0] = '\0';
		cfg->nr_vdevs++;
	}
	v->console_port |= port;
	while ((key = next_kv(&cursor, &value))) {
		bool blk = v->kind == VDEV_BLK, net = v->kind == VDEV_NET;

		if (!value)
			return err_set("-device %s: '%s' needs a value (%s=...)",
				       arg, key, key);
		if (port && !strcmp(key, "chardev")) {
			size_t k;

			for (k = 0; k < cfg->nr_chardevs; k++)
				if (!strcmp(cfg->chardevs[k], value))
					break;
			if (k == cfg->nr_chardevs)
				return err_set("-device %s: chardev=%s: no -chardev with that id (-chardev stdio,id=%s)",
					       arg, value, value);
		} else if (!strcmp(key, "id")) {
			if (copy_id("-device", arg, value, v->id,
				    sizeof(v->id)) < 0)
				return -1;
		} else if (blk && !strcmp(key, "drive")) {
			if (!*value || strlen(value) >= CLI_ID_MAX)
				return err_set("-device %s: drive=%s: no such drive",
					       arg, value);
			snprintf(drive_ids[v - cfg->vdevs], CLI_ID_MAX, "%s",
				 value);
		} else if (blk && !strcmp(key, "serial")) {
			if (copy_serial("-device", arg, value, v->serial) < 0)
				return -1;
		} else if (net && !strcmp(key, "netdev")) {
			/* The back end's id, resolved as a drive's is. */
			if (!*value || strlen(value) >= CLI_ID_MAX)
				return err_set("-device %s: netdev=%s: no such netdev",
					       arg, value);
			snprintf(drive_ids[v - cfg->vdevs], CLI_ID_MAX, "%s",
				 value);
		} else if (net && !strcmp(key, "mac")) {
			if (parse_mac("-device", arg, value, v->mac) < 0)
				return -1;
			v->mac_set = true;
		} else if ((v->kind == VDEV_VSOCK || v->kind == VDEV_VHOST_VSOCK) &&
			   !strcmp(key, "guest-cid")) {
			if (parse_guest_cid(arg, value, &v->guest_cid) < 0)
				return -1;
		} else if (v->kind == VDEV_VSOCK && !strcmp(key, "uds")) {
			if (parse_uds(arg, value, v->uds) < 0)
				return -1;
		} else {
			return err_set("-device %s: property '%s' not found for %s (%s)",
				       arg, key, name,
				       blk ? "drive, serial, id" :
				       net ? "netdev, mac, id" :
				       port ? "chardev, id" :
				       v->kind == VDEV_VSOCK ? "guest-cid, uds, id" :
				       v->kind == VDEV_VHOST_VSOCK ? "guest-cid, id" : "id");
		}
	}
	if (v->kind == VDEV_VSOCK || v->kind == VDEV_VHOST_VSOCK) {
		if (!v->guest_cid)
			return err_set("-device %s: guest-cid= is required (3 to 4294967294)",
				       arg);
		if (v->kind == VDEV_VSOCK && !v->uds[0])
			return err_set("-device %s: uds= is required (the host's Unix socket)",
				       arg);
		for (size_t k = 0; k + 1 < cfg->nr_vdevs; k++)
			if (cfg->vdevs[k].kind == VDEV_VSOCK ||
			    cfg->vdevs[k].kind == VDEV_VHOST_VSOCK)
				return err_set("-device %s: one vsock device per VM", arg);
	}
	if (v->kind == VDEV_BLK && !drive_ids[v - cfg->vdevs][0])
		return err_set("-device %s: drive= is required (the id of an if=none -drive)",
			       arg);
	if (v->kind == VDEV_NET && !drive_ids[v - cfg->vdevs][0])
		return err_set("-device %s: netdev= is required (the id of a -netdev tap)",
			       arg);
	return 0;
}

/* -netdev and -nic: a tap's properties; 1 taken, 0 not one, -1 refused. */
static int tap_property(const char *opt, const char *arg, const char *key,
			const char *value, struct netdev_cfg *n)
{
	char *end;
	long fd;
	int on;

	if (!strcmp(key, "ifname")) {
		if (!*value || strlen(value) >= sizeof(n->ifname))
			return err_set("%s %s: ifname=%s: an interface name has 1 to %zu characters",
				       opt, arg, value, sizeof(n->ifname) - 1);
		snprintf(n->ifname, sizeof(n->ifname), "%s", value);
	} else if (!strcmp(key, "fd")) {
		errno = 0;
		fd = strtol(value, &end, 10);
		if (!*value || *end || errno || fd < 0 || fd > 0x7fffffff)
			return err_set("%s %s: fd=%s is not a file descriptor number",
				       opt, arg, value);
		n->fd = (int)fd;
	} else if (!strcmp(key, "script") || !strcmp(key, "downscript")) {
		if (strcmp(value, "no"))
			return err_set("%s %s: %s=%s: minivmm runs no scripts (%s=no, and set the tap up beforehand)",
				       opt, arg, key, value, key);
	} else if (!strcmp(key, "vhost") || !strcmp(key, "vhostforce")) {
		on = parse_bool(value);
		if (on < 0)
			return err_set("%s %s: %s=%s: expected on or off", opt, arg,
				       key, value);
		if (!strcmp(key, "vhost"))
			n->vhost = on;
		else
			n->vhostforce = on;
	} else {
		return 0;
	}
	return 1;
}

/* A netdev's last checks, and its place in cfg. */
static int add_netdev(struct vm_config *cfg, const char *opt, const char *arg,
		      struct netdev_cfg *n)
{
	if (n->ifname[0] && n->fd >= 0)
		return err_set("%s %s: ifname= and fd= are two ways to name the tap; give one",
			       opt, arg);
	if (!n->ifname[0] && n->fd < 0)
		return err_set("%s %s: needs ifname=NAME or fd=N (minivmm runs no scripts: make the tap first, ip tuntap add NAME mode tap)",
			       opt, arg);
	if (n->vhostforce)
		n->vhost = true;
	for (size_t k = 0; k < cfg->nr_netdevs; k++)
		if (!strcmp(cfg->netdevs[k].id, n->id))
			return err_set("%s %s: duplicate id '%s' (another -netdev or -nic has it)",
				       opt, arg, n->id);
	if (cfg->nr_netdevs == CONFIG_MAX_NETDEVS)
		return err_set("%s %s: too many network back ends (at most %d)",
			       opt, arg, CONFIG_MAX_NETDEVS);
	cfg->netdevs[cfg->nr_netdevs++] = *n;
	return 0;
}

/* "tap", first item of -netdev and -nic; the QEMU back ends we lack said so. */
static int tap_type(const char *opt, const char *arg, const char *key,
		    const char *value)
{
	if (!key || value)
		return err_set("%s %s: expected a back end type first (tap)", opt, arg);
	if (strcmp(key, "tap"))
		return err_set("%s %s: the %s back end is not supported (only tap)",
			       opt, arg, key);
	return 0;
}

int cli_parse_netdev(struct vm_config *cfg, const char *arg)
{
	char buf[512], *cursor = buf, *key, *value;
	struct netdev_cfg n = { .fd = -1 };
	int r;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-netdev %s: too long", arg);
	key = next_kv(&cursor, &value);
	if (tap_type("-netdev", arg, key, value) < 0)
		return -1;
	while ((key = next_kv(&cursor, &value))) {
		if (!value)
			return err_set("-netdev %s: '%s' needs a value (%s=...)",
				       arg, key, key);
		if (!strcmp(key, "id")) {
			if (copy_id("-netdev", arg, value, n.id, sizeof(n.id)) < 0)
				return -1;
			continue;
		}
		r = tap_property("-netdev", arg, key, value, &n);
		if (r < 0)
			return -1;
		if (r == 0)
			return err_set("-netdev %s: unknown property '%s' (id, ifname, fd, script, downscript, vhost, vhostforce)",
				       arg, key);
	}
	if (!n.id[0])
		return err_set("-netdev %s: needs an id= for -device ...,netdev=ID",
			       arg);
	return add_netdev(cfg, "-netdev", arg, &n);
}

int cli_parse_nic(struct vm_config *cfg, const char *arg)
{
	char buf[512], *cursor = buf, *key, *value;
	struct netdev_cfg n = { .fd = -1 };
	struct vdev_cfg v = { .kind = VDEV_NET, .drive = -1,
			      .transport = VDEV_TRANSPORT_DEFAULT };
	int r;

	if (!strcmp(arg, "none"))
		return 0;
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-nic %s: too long", arg);
	key = next_kv(&cursor, &value);
	if (tap_type("-nic", arg, key, value) < 0)
		return -1;
	while ((key = next_kv(&cursor, &value))) {
		if (!value)
			return err_set("-nic %s: '%s' needs a value (%s=...)", arg,
				       key, key);
		if (!strcmp(key, "id")) {
			if (copy_id("-nic", arg, value, n.id, sizeof(n.id)) < 0)
				return -1;
		} else if (!strcmp(key, "mac")) {
			if (parse_mac("-nic", arg, value, v.mac) < 0)
				return -1;
			v.mac_set = true;
		} else if (!strcmp(key, "model")) {
			if (!strcmp(value, "virtio-net-pci") || !strcmp(value, "virtio"))
				v.transport = VDEV_TRANSPORT_PCI;
			else if (!strcmp(value, "virtio-net-device"))
				v.transport = VDEV_TRANSPORT_MMIO;
			else
				return err_set("-nic %s: model=%s: expected virtio-net-pci or virtio-net-device",
					       arg, value);
		} else if ((r = tap_property("-nic", arg, key, value, &n)) <= 0) {
			if (r < 0)
				return -1;
			return err_set("-nic %s: unknown property '%s' (model, mac, id, ifname, fd, script, downscript, vhost, vhostforce)",
				       arg, key);
		}
	}
	/* QEMU's -nic names its back end after the card, or makes one up. */
	if (!n.id[0])
		snprintf(n.id, sizeof(n.id), "__nic%zu", cfg->nr_netdevs);
	if (cfg->nr_vdevs == CONFIG_MAX_VDEVS)
		return err_set("-nic %s: too many devices (at most %d)", arg,
			       CONFIG_MAX_VDEVS);
	if (add_netdev(cfg, "-nic", arg, &n) < 0)
		return -1;
	v.netdev = (int)cfg->nr_netdevs - 1;
	cfg->vdevs[cfg->nr_vdevs++] = v;
	return 0;
}

int cli_parse_chardev(struct vm_config *cfg, const char *arg)
{
	char buf[256], *cursor = buf, *key, *value;
	char id[32] = "";

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-chardev %s: too long", arg);
	key = next_kv(&cursor, &value);
	if (!key || value || strcmp(key, "stdio"))
		return err_set("-chardev %s: only the stdio back end is supported (-chardev stdio,id=ID)",
			       arg);
	while ((key = next_kv(&cursor, &value))) {
		if (!strcmp(key, "id") && value) {
			if (copy_id("-chardev", arg, value, id, sizeof(id)) < 0)
				return -1;
		} else if (!strcmp(key, "signal") && value &&
			   parse_bool(value) >= 0) {
			cfg->serial.signals = parse_bool(value) == 1;
		} else {
			return err_set("-chardev %s: unknown property '%s' (id, signal)",
				       arg, key);
		}
	}
	if (!id[0])
		return err_set("-chardev %s: needs an id=", arg);
	for (size_t k = 0; k < cfg->nr_chardevs; k++)
		if (!strcmp(cfg->chardevs[k], id))
			return err_set("-chardev %s: duplicate id '%s'", arg, id);
	if (cfg->nr_chardevs == CONFIG_MAX_CHARDEVS)
		return err_set("-chardev %s: at most %d", arg, CONFIG_MAX_CHARDEVS);
	snprintf(cfg->chardevs[cfg->nr_chardevs++], sizeof(cfg->chardevs[0]), "%s", id);
	return 0;
}

int cli_resolve_devices(struct vm_config *cfg, char drive_ids[][CLI_ID_MAX])
{
	for (size_t i = 0; i < cfg->nr_vdevs; i++) {
		struct vdev_cfg *v = &cfg->vdevs[i];

		/* Empty for -drive if=virtio's own devices (drive already set). */
		if (!drive_ids[i][0])
			continue;
		if (v->kind == VDEV_NET) {
			v->netdev = -1;
			for (size_t j = 0; j < cfg->nr_netdevs; j++)
				if (!strcmp(cfg->netdevs[j].id, drive_ids[i]))
					v->netdev = (int)j;
			if (v->netdev < 0)
				return err_set("-device %s,netdev=%s: no -netdev with id '%s'",
					       config_vdev_name(v->kind, v->transport),
					       drive_ids[i], drive_ids[i]);
			continue;
		}
		v->drive = -1;
		for (size_t j = 0; j < cfg->nr_drives; j++) {
			if (!strcmp(cfg->drives[j].id, drive_ids[i])) {
				v->drive = (int)j;
				break;
			}
		}
		if (v->drive < 0)
			return err_set("-device %s,drive=%s: no -drive with id '%s'",
				       config_vdev_name(v->kind, v->transport),
				       drive_ids[i], drive_ids[i]);
	}
	return 0;
}
