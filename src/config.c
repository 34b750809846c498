// SPDX-License-Identifier: MIT
/*
 * The machine description's defaults (config_init), the number and CPU
 * list helpers the front ends share, and config_finish(): the machine
 * chosen when -M was not given, per-machine checks of the combination,
 * the debug consoles every machine has, and the disks and virtio devices
 * (ids, drives, each device's transport).  The images themselves are
 * opened, checked and locked when the machine is created
 * (src/block/image.h), not here.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "log.h"

void config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->command = CMD_RUN;
	cfg->ram_size = CONFIG_DEFAULT_RAM;
	cfg->smp = 1;
	cfg->mode = CPU_MODE_REAL;
	cfg->reboot_timeout = -1;
	console_spec_init(&cfg->serial);
}

const char *config_mode_name(enum cpu_mode mode)
{
	switch (mode) {
	case CPU_MODE_REAL:
		return "real";
	case CPU_MODE_PROTECTED:
		return "protected";
	case CPU_MODE_LONG:
		return "long";
	}
	return "?";
}

const char *config_machine_name(enum machine_kind kind)
{
	switch (kind) {
	case MACHINE_BARE:
		return "bare";
	case MACHINE_PC:
		return "pc";
	case MACHINE_VIRT:
		return "virt";
	case MACHINE_NONE:
		break;
	}
	return "none";
}

const char *config_vdev_name(enum vdev_kind kind,
			     enum vdev_transport transport)
{
	static const char *const names[][3] = {
		[VDEV_BLK] = { "virtio-blk", "virtio-blk-pci",
			       "virtio-blk-device" },
		[VDEV_RNG] = { "virtio-rng", "virtio-rng-pci",
			       "virtio-rng-device" },
		[VDEV_CONSOLE] = { "virtconsole", "virtio-console-pci",
				   "virtio-console-device" },
		[VDEV_NET] = { "virtio-net", "virtio-net-pci",
			       "virtio-net-device" },
		[VDEV_VSOCK] = { "vsock", "vsock-pci", "vsock-device" },
		[VDEV_VHOST_VSOCK] = { "vhost-vsock", "vhost-vsock-pci",
				       "vhost-vsock-device" },
	};

	if ((unsigned)kind > VDEV_KIND_LAST ||
	    (unsigned)transport > VDEV_TRANSPORT_MMIO)
		return "?";
	return names[kind][transport];
}

int config_parse_size(const char *s, uint64_t bare_unit, uint64_t *out)
{
	uint64_t value, mult = bare_unit;
	char *end;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return err_set("not a number");
	/* Decimal or 0x-hex; a leading 0 is not octal ("010" is ten). */
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2]))
			return err_set("not a number");
		value = strtoull(s + 2, &end, 16);
	} else {
		value = strtoull(s, &end, 10);
	}
	if (errno == ERANGE)
		return err_set("too large");
	if (errno || end == s)
		return err_set("not a number");
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'B':
			mult = 1;
			break;
		case 'K':
			mult = 1ull << 10;
			break;
		case 'M':
			mult = 1ull << 20;
			break;
		case 'G':
			mult = 1ull << 30;
			break;
		case 'T':
			mult = 1ull << 40;
			break;
		default:
			return err_set("unknown size suffix '%s' (use K, M, G or T)",
				       end);
		}
		end++;
		/* Accept "16M", "16MB", "16MiB". */
		if (mult > 1 && (!strcasecmp(end, "B") || !strcasecmp(end, "iB")))
			end += strlen(end);
		if (*end)
			return err_set("junk after the number");
	}
	if (__builtin_mul_overflow(value, mult, out))
		return err_set("too large");
	return 0;
}

int config_parse_cpus(const char *s, uint64_t *bitmap, unsigned nbits)
{
	const char *p = s;

	if (!*p)
		return err_set("empty CPU list");
	while (*p) {
		unsigned long lo, hi;
		char *end;

		if (!isdigit((unsigned char)*p))
			return err_set("cpus=%s: expected a CPU number", s);
		lo = strtoul(p, &end, 10);
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			if (!isdigit((unsigned char)*p))
				return err_set("cpus=%s: expected a CPU number after '-'",
					       s);
			hi = strtoul(p, &end, 10);
		}
		if (hi < lo)
			return err_set("cpus=%s: range %lu-%lu is backwards", s,
				       lo, hi);
		if (hi >= nbits)
			return err_set("cpus=%s: CPU %lu is beyond the maximum of %u",
				       s, hi, nbits - 1);
		for (unsigned long c = lo; c <= hi; c++)
			bitmap[c / 64] |= 1ull << (c % 64);
		p = end;
		if (*p == ':')
			p++;
		else if (*p)
			return err_set("cpus=%s: unexpected '%c'", s, *p);
	}
	return 0;
}

static int finish_machine(struct vm_config *cfg)
{
	if (cfg->machine != MACHINE_NONE)
		return 0;
	/*
	 * README, "The pc machine": firmware or a kernel gets the arch's own
	 * machine (pc, virt), so do memmap and dtb; a flat image gets bare.
	 */
	if (cfg->command == CMD_MEMMAP || cfg->command == CMD_DTB) {
		cfg->machine = (enum machine_kind)arch_info()->machine;
		snprintf(cfg->machine_why, sizeof(cfg->machine_why),
			 "%s without -M",
			 cfg->command == CMD_DTB ? "dtb" : "memmap");
	} else if (cfg->kernel || cfg->bios) {
		cfg->machine = (enum machine_kind)arch_info()->machine;
		snprintf(cfg->machine_why, sizeof(cfg->machine_why),
			 "%s given without -M", cfg->kernel ? "-kernel" : "--bios");
	} else {
		cfg->machine = MACHINE_BARE;
		snprintf(cfg->machine_why, sizeof(cfg->machine_why),
			 "%s without -M",
			 cfg->image ? "flat image" : "built-in demo guest");
	}
	snprintf(cfg->machine_name, sizeof(cfg->machine_name), "%s",
		 config_machine_name(cfg->machine));
	return 0;
}

static int finish_bare(struct vm_config *cfg)
{
	/* The other machine of this architecture, for the hints: pc or virt. */
	const char *other =
		config_machine_name((enum machine_kind)arch_info()->machine);
	uint64_t end;

	if (cfg->kernel || cfg->bios || cfg->initrd || cfg->append)
		return err_set("-M bare runs flat images only; -kernel, -initrd, -append and --bios need -M %s",
			       other);
	if (cfg->nr_objects || cfg->nr_numa)
		return err_set("-M bare has one RAM region; -object and -numa need -M %s",
			       other);
	if (cfg->nr_e820)
		return err_set("-M bare has no firmware tables; --e820 needs -M %s",
			       other);
	if (cfg->serial_set)
		return err_set("-M bare has no serial port; -serial needs -M %s (use %s)",
			       other,
			       arch_info()->has_pio ? "--debugcon" :
						      "--debugcon-mmio");
	if (cfg->smp != 1)
		return err_set("-smp %u: the bare machine has one vCPU (use -M %s for more)",
			       cfg->smp, other);
	if (!cfg->ram_base_set)
		cfg->ram_base = arch_info()->bare_ram_base;
	if (cfg->ram_base % 4096)
		return err_set("-M bare,ram-base=0x%llx: must be a multiple of 4 KiB",
			       (unsigned long long)cfg->ram_base);
	if (cfg->ram_size % 4096)
		return err_set("-m: %llu bytes is not a multiple of 4 KiB",
			       (unsigned long long)cfg->ram_size);
	if (__builtin_add_overflow(cfg->ram_base, cfg->ram_size, &end) ||
	    end > arch_max_gpa())
		return err_set("-M bare,ram-base=0x%llx with -m %llu: RAM would end beyond the highest guest-physical address 0x%llx",
			       (unsigned long long)cfg->ram_base,
			       (unsigned long long)cfg->ram_size,
			       (unsigned long long)arch_max_gpa());
	if (!cfg->load_set)
		cfg->load_addr = cfg->ram_base;
	if (!cfg->entry_set)
		cfg->entry = cfg->load_addr;
	return 0;
}

static int finish_pc(struct vm_config *cfg)
{
	if (cfg->image)
		return err_set("-M %s boots firmware (--bios) or a kernel (-kernel), not a flat image '%s'",
			       cfg->machine_name, cfg->image);
	if (cfg->load_set || cfg->entry_set || cfg->mode != CPU_MODE_REAL)
		return err_set("--load, --entry and --mode apply to flat images on -M bare");
	if ((cfg->initrd || cfg->append) && !cfg->kernel)
		return err_set("-initrd and -append need -kernel");
	if (cfg->kernel && cfg->bios)
		return err_set("-kernel boots Linux directly, without firmware: drop --bios");
	if (cfg->mem_path && cfg->nr_numa)
		return err_set("--mem-path cannot be combined with -numa memdev= (give each -object its mem-path)");
	if (cfg->max_ram_below_4g_set && cfg->max_ram_below_4g > (4ull << 30))
		return err_set("-M %s,max-ram-below-4g=%llu: must be at most 4 GiB",
			       cfg->machine_name,
			       (unsigned long long)cfg->max_ram_below_4g);
	if (cfg->ram_size % 4096)
		return err_set("-m: %llu bytes is not a multiple of 4 KiB",
			       (unsigned long long)cfg->ram_size);
	/* Resolve -numa memdev= against the -object ids. */
	for (size_t i = 0; i < cfg->nr_numa; i++) {
		struct numa_node *n = &cfg->numa[i];

		n->memdev = -1;
		for (size_t j = 0; j < cfg->nr_objects; j++)
			if (!strcmp(cfg->objects[j].id, n->memdev_id))
				n->memdev = (int)j;
		if (n->memdev < 0)
			return err_set("-numa node,memdev=%s: no -object with id '%s'",
				       n->memdev_id, n->memdev_id);
	}
	return 0;
}

/*
 * The arm64 virt machine: RAM at a fixed base, a Linux kernel (-kernel) or
 * a flat image entered with the device tree's address in x0.
 */
static int finish_virt(struct vm_config *cfg)
{
	if (cfg->bios)
		return err_set("-M virt boots -kernel or a flat image; --bios is not supported");
	if (cfg->image && cfg->kernel)
		return err_set("give either -kernel or a flat image '%s', not both",
			       cfg->image);
	if ((cfg->load_set || cfg->entry_set) && cfg->kernel)
		return err_set("--load and --entry apply to flat images; -kernel is placed by its own header");
	/* memmap and dtb may show the chosen node without a kernel. */
	if ((cfg->initrd || cfg->append) && !cfg->kernel &&
	    cfg->command == CMD_RUN)
		return err_set("-initrd and -append need -kernel");
	if (cfg->nr_objects || cfg->nr_numa)
		return err_set("-M virt has one RAM region; -object and -numa are not supported");
	if (cfg->nr_e820)
		return err_set("--e820 describes PC firmware tables; -M virt has a device tree");
	if (cfg->command == CMD_RUN && !cfg->kernel && !cfg->image)
		return err_set("-M virt needs -kernel IMAGE or a flat image to run");
	if (cfg->ram_size % 4096)
		return err_set("-m: %llu bytes is not a multiple of 4 KiB",
			       (unsigned long long)cfg->ram_size);
	return 0;
}

/* --debugcon PORT on machines with port I/O, --debugcon-mmio ADDR on all. */
static int finish_debugcons(struct vm_config *cfg)
{
	const struct arch_info *ai = arch_info();
	uint64_t def_mmio = cfg->machine == MACHINE_BARE ?
				    ai->bare_debugcon_mmio :
				    0;

	if (cfg->pc_testdev && cfg->machine != MACHINE_PC)
		return err_set("-device pc-testdev: a device of the pc machine (-M pc)");
	if (!ai->has_pio && cfg->debug_exit)
		return err_set("-device isa-debug-exit: %s has no I/O ports", ai->name);
	if (!ai->has_pio && cfg->nr_debugcon)
		return err_set("--debugcon 0x%x: %s has no I/O ports; use --debugcon-mmio ADDR",
			       cfg->debugcon[0], ai->name);
	/* An address given twice is one console. */
	for (size_t i = 0; i < cfg->nr_debugcon_mmio; i++) {
		for (size_t j = i + 1; j < cfg->nr_debugcon_mmio; j++) {
			if (cfg->debugcon_mmio[j] == cfg->debugcon_mmio[i]) {
				cfg->debugcon_mmio[j] =
					cfg->debugcon_mmio[--cfg->nr_debugcon_mmio];
				j--;
			}
		}
	}
	/* The bare machine's always-present MMIO console (arm64). */
	if (def_mmio) {
		bool has = false;

		for (size_t i = 0; i < cfg->nr_debugcon_mmio; i++)
			if (cfg->debugcon_mmio[i] == def_mmio)
				has = true;
		if (!has) {
			if (cfg->nr_debugcon_mmio == CONFIG_MAX_DEBUGCON)
				return err_set("--debugcon-mmio: too many debug consoles (at most %d)",
					       CONFIG_MAX_DEBUGCON);
			cfg->debugcon_mmio[cfg->nr_debugcon_mmio++] = def_mmio;
		}
	}
	if (!ai->has_pio)
		return 0;

	/* A port given twice is one console. */
	for (size_t i = 0; i < cfg->nr_debugcon; i++) {
		for (size_t j = i + 1; j < cfg->nr_debugcon; j++) {
			if (cfg->debugcon[j] == cfg->debugcon[i]) {
				cfg->debugcon[j] =
					cfg->debugcon[--cfg->nr_debugcon];
				j--;
			}
		}
	}
	/*
	 * Port 0xe9 is always a debug console (as QEMU's -debugcon default),
	 * but for pc-testdev, whose byte-wise register is 0xe8-0xeb.
	 */
	bool has_default = false;
	for (size_t i = 0; i < cfg->nr_debugcon; i++)
		if (cfg->debugcon[i] == CONFIG_DEFAULT_DEBUGCON)
			has_default = true;
	if (has_default && cfg->pc_testdev)
		return err_set("--debugcon 0xe9: the port belongs to -device pc-testdev");
	/* QEMU has no debug console unless -debugcon asks for one. */
	if (!has_default && !cfg->pc_testdev && !cfg->qemu_mode) {
		if (cfg->nr_debugcon == CONFIG_MAX_DEBUGCON)
			return err_set("--debugcon: too many debug consoles (at most %d)",
				       CONFIG_MAX_DEBUGCON);
		cfg->debugcon[cfg->nr_debugcon++] = CONFIG_DEFAULT_DEBUGCON;
	}
	return 0;
}

/* Unique -netdev ids; each a tap by name or by fd. */
static int finish_netdevs(const struct vm_config *cfg, int *used_by)
{
	for (size_t i = 0; i < cfg->nr_netdevs; i++) {
		const struct netdev_cfg *n = &cfg->netdevs[i];

		used_by[i] = -1;
		if (!n->id[0] || (!n->ifname[0] && n->fd < 0))
			return err_set("-netdev tap: needs an id= and ifname= or fd=");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->netdevs[j].id, n->id))
				return err_set("-netdev tap,id=%s: duplicate id '%s' (another -netdev or -nic has it)",
					       n->id, n->id);
	}
	return 0;
}

static bool mac_taken(const struct vm_config *cfg, const uint8_t mac[6])
{
	for (size_t i = 0; i < cfg->nr_vdevs; i++)
		if (cfg->vdevs[i].kind == VDEV_NET && cfg->vdevs[i].mac_set &&
		    !memcmp(cfg->vdevs[i].mac, mac, 6))
			return true;
	return false;
}

/*
 * A NIC: its netdev used by it alone, and a MAC.  Without mac= it gets
 * QEMU's default, 52:54:00:12:34:56 for the first such NIC and one more
 * for each next, skipping addresses another NIC has.
 */
static int finish_nic(struct vm_config *cfg, size_t i, int *used_by)
{
	struct vdev_cfg *v = &cfg->vdevs[i];
	const char *name = config_vdev_name(v->kind, v->transport);

	if (v->netdev < 0 || (size_t)v->netdev >= cfg->nr_netdevs)
		return err_set("-device %s: netdev= names no -netdev", name);
	if (used_by[v->netdev] >= 0)
		return err_set("-device %s,netdev=%s: netdev '%s' is already used by another NIC",
			       name, cfg->netdevs[v->netdev].id,
			       cfg->netdevs[v->netdev].id);
	used_by[v->netdev] = (int)i;
	if (v->mac_set)
		return 0;
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t low = 0x123456 + n;
		uint8_t mac[6] = { 0x52, 0x54, 0x00, (uint8_t)(low >> 16),
				   (uint8_t)(low >> 8), (uint8_t)low };

		if (!mac_taken(cfg, mac)) {
			memcpy(v->mac, mac, 6);
			v->mac_set = true;
			return 0;
		}
	}
	return err_set("-device %s: no default MAC address left; give mac=", name);
}

/*
 * Disks and virtio devices: unique ids, every virtio-blk on a drive of its
 * own, the machine's transport for DEFAULT, and only the transports the
 * machine has (pc: PCI; virt: virtio-mmio).
 */
static int finish_devices(struct vm_config *cfg)
{
	const char *machine = config_machine_name(cfg->machine);
	bool has_pci = cfg->machine == MACHINE_PC;
	/* Every machine has virtio-mmio slots (bare: polled, no interrupts). */
	bool has_mmio = true;
	unsigned nr_mmio = 0;
	int used_by[CONFIG_MAX_DRIVES], net_used_by[CONFIG_MAX_NETDEVS];

	if (cfg->nr_drives > CONFIG_MAX_DRIVES || cfg->nr_vdevs > CONFIG_MAX_VDEVS ||
	    cfg->nr_netdevs > CONFIG_MAX_NETDEVS)
		return err_set("too many drives, devices or netdevs (at most %d, %d and %d)",
			       CONFIG_MAX_DRIVES, CONFIG_MAX_VDEVS, CONFIG_MAX_NETDEVS);
	if (finish_netdevs(cfg, net_used_by) < 0)
		return -1;
	for (size_t i = 0; i < cfg->nr_drives; i++) {
		const struct drive_cfg *d = &cfg->drives[i];

		used_by[i] = -1;
		if (!d->id[0] || !d->file[0])
			return err_set("-drive %s: a drive needs an id and a file",
				       d->id[0] ? d->id : d->file);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->drives[j].id, d->id))
				return err_set("-drive id=%s: duplicate id '%s' (another -drive has it%s)",
					       d->id, d->id,
					       strncmp(d->id, "virtio", 6) ? "" :
					       "; if=virtio drives without id= are named virtio0, virtio1, ...");
	}
	for (size_t i = 0; i < cfg->nr_vdevs; i++) {
		struct vdev_cfg *v = &cfg->vdevs[i];
		const char *name = config_vdev_name(v->kind, v->transport);
		const char *want;

		if ((unsigned)v->kind > VDEV_KIND_LAST ||
		    (unsigned)v->transport > VDEV_TRANSPORT_MMIO)
			return err_set("-device: unknown device kind %u", v->kind);
		if (v->id[0])
			for (size_t j = 0; j < i; j++)
				if (!strcmp(cfg->vdevs[j].id, v->id))
					return err_set("-device %s,id=%s: duplicate id '%s' (another -device has it)",
						       name, v->id, v->id);
		if (v->kind == VDEV_NET && finish_nic(cfg, i, net_used_by) < 0)
			return -1;
		if (v->kind != VDEV_BLK) {
			if (v->drive != -1 || v->serial[0])
				return err_set("-device %s: drive= and serial= are virtio-blk properties",
					       name);
		} else if (v->drive < 0 || (size_t)v->drive >= cfg->nr_drives) {
			return err_set("-device %s: drive= names no -drive", name);
		} else if (used_by[v->drive] >= 0) {
			const struct drive_cfg *d = &cfg->drives[v->drive];

			return err_set("-device %s,drive=%s: drive '%s' is already used by %s",
				       name, d->id, d->id,
				       d->iface == DRIVE_IF_VIRTIO ?
					       "its own if=virtio device (give it if=none)" :
					       "another -device");
		} else {
			used_by[v->drive] = (int)i;
		}
		if (v->transport == VDEV_TRANSPORT_DEFAULT)
			v->transport = has_pci ? VDEV_TRANSPORT_PCI :
						 VDEV_TRANSPORT_MMIO;
		want = config_vdev_name(v->kind, has_pci ? VDEV_TRANSPORT_PCI :
							   VDEV_TRANSPORT_MMIO);
		if (v->transport == VDEV_TRANSPORT_PCI && !has_pci)
			return err_set("-device %s: the %s machine has no PCI bus; use %s",
				       name, machine, want);
		if (v->transport == VDEV_TRANSPORT_MMIO && !has_mmio)
			return err_set("-device %s: the %s machine has no virtio-mmio slots; use %s",
				       name, machine, want);
		if (v->transport == VDEV_TRANSPORT_MMIO) {
			uint64_t base;
			unsigned irq;

			if (arch_virtio_mmio_slot(nr_mmio++, &base, &irq) < 0)
				return err_set("-device %s: more virtio-mmio devices than the %s machine has slots (%u)",
					       name, machine, nr_mmio - 1);
		}
	}
	return 0;
}

int config_finish(struct vm_config *cfg)
{
	int r;

	if (cfg->output && cfg->command != CMD_DTB)
		return err_set("-o %s: only minivmm dtb writes a file", cfg->output);
	if (cfg->command == CMD_DTB && !cfg->output)
		return err_set("minivmm dtb needs -o FILE (- for stdout)");
	if (cfg->command != CMD_RUN && cfg->command != CMD_MEMMAP &&
	    cfg->command != CMD_DTB)
		return 0;
	if (cfg->start_stopped && cfg->gdb.transport == GDB_NONE)
		return err_set("-S: nothing could start the vCPUs (add -s or -gdb)");
	if (cfg->mode_set && !arch_info()->has_cpu_modes)
		return err_set("--mode is for x86 flat images; %s images start in EL1h with the MMU off",
			       arch_info()->name);
	if (finish_machine(cfg) < 0)
		return -1;
	if (cfg->ram_base_set && cfg->machine != MACHINE_BARE)
		return err_set("ram-base is a property of -M bare");
	switch (cfg->machine) {
	case MACHINE_BARE:
		r = finish_bare(cfg);
		break;
	case MACHINE_VIRT:
		r = finish_virt(cfg);
		break;
	default:
		r = finish_pc(cfg);
		break;
	}
	if (r < 0 || finish_devices(cfg) < 0)
		return -1;
	return finish_debugcons(cfg);
}
