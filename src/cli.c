// SPDX-License-Identifier: MIT
/*
 * argv to struct vm_config: the subcommand, getopt_long_only over the
 * option table, one parse_* helper per option with a value to take apart,
 * and the --help text.  The memory options (-object, -numa, --e820) are in
 * cli_memory.c, the disks and virtio devices (-drive, -device) in
 * cli_devices.c.
 */
#include "cli.h"
#include "cli_internal.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "log.h"

/* Split "key=value" off a comma list; modifies the string. */
char *cli_next_kv(char **cursor, char **value)
{
	char *item = *cursor, *comma, *eq;

	if (!item || !*item)
		return NULL;
	comma = strchr(item, ',');
	if (comma) {
		*comma = '\0';
		*cursor = comma + 1;
	} else {
		*cursor = item + strlen(item);
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

static int parse_machine(struct vm_config *cfg, const char *arg)
{
	char buf[256], *cursor = buf, *key, *value;
	const char *type;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-M %s: too long", arg);
	key = cli_next_kv(&cursor, &value);
	if (!key || value)
		return err_set("-M %s: expected a machine type first (%s)", arg,
			       arch_info()->machines);
	type = key;
	/* The last -M wins entirely, as in QEMU. */
	cfg->machine_legacy_split = false;
	cfg->ram_base_set = cfg->max_ram_below_4g_set = false;
	cfg->ram_base = cfg->max_ram_below_4g = 0;
	cfg->gic_version = 0;
	cfg->no_pit = false;
	if (!strcmp(type, "virt")) {
		cfg->machine = MACHINE_VIRT;
	} else if (!strcmp(type, "bare")) {
		cfg->machine = MACHINE_BARE;
	} else if (!strcmp(type, "pc") || !strncmp(type, "pc-i440fx-", 10)) {
		cfg->machine = MACHINE_PC;
		if (!strncmp(type, "pc-i440fx-", 10)) {
			unsigned major, minor;
			char tail;

			if (sscanf(type + 10, "%u.%u%c", &major, &minor,
				   &tail) != 2)
				return err_set("-M %s: unknown machine type '%s'",
					       arg, type);
			/* Machine types up to 1.7 kept 3.5 GiB below 4 GiB. */
			cfg->machine_legacy_split =
				major < 1 || (major == 1 && minor <= 7);
		}
	} else {
		return err_set("-M %s: unknown machine type '%s' (%s)", arg,
			       type, arch_info()->machines);
	}
	/* Each architecture has bare and one machine of its own. */
	if (cfg->machine != MACHINE_BARE &&
	    cfg->machine != (enum machine_kind)arch_info()->machine)
		return err_set("-M %s: the %s machine belongs to another architecture; this minivmm is built for %s (machines: %s)",
			       arg, config_machine_name(cfg->machine),
			       arch_info()->name, arch_info()->machines);
	snprintf(cfg->machine_name, sizeof(cfg->machine_name), "%s", type);
	snprintf(cfg->machine_why, sizeof(cfg->machine_why), "chosen with -M");

	while ((key = cli_next_kv(&cursor, &value))) {
		if (!value)
			return err_set("-M %s: '%s' needs a value", arg, key);
		if (cfg->machine == MACHINE_BARE && !strcmp(key, "ram-base")) {
			if (config_parse_size(value, 1, &cfg->ram_base) < 0)
				return err_set("-M %s: ram-base: %s", arg,
					       err_msg());
			cfg->ram_base_set = true;
		} else if (cfg->machine == MACHINE_PC &&
			   !strcmp(key, "max-ram-below-4g")) {
			if (config_parse_size(value, 1,
					      &cfg->max_ram_below_4g) < 0)
				return err_set("-M %s: max-ram-below-4g: %s",
					       arg, err_msg());
			cfg->max_ram_below_4g_set = true;
		} else if (cfg->machine == MACHINE_PC && !strcmp(key, "pit")) {
			if (!strcmp(value, "on") || !strcmp(value, "off"))
				cfg->no_pit = !strcmp(value, "off");
			else
				return err_set("-M %s: pit=on or pit=off", arg);
		} else if (cfg->machine == MACHINE_VIRT &&
			   !strcmp(key, "gic-version")) {
			if (!strcmp(value, "2") || !strcmp(value, "3"))
				cfg->gic_version = (unsigned)(value[0] - '0');
			else if (!strcmp(value, "host") || !strcmp(value, "max"))
				cfg->gic_version = 0;
			else
				return err_set("-M %s: gic-version=%s: expected 2, 3 or host",
					       arg, value);
		} else {
			return err_set("-M %s: property '%s' not found for machine %s",
				       arg, key, type);
		}
	}
	return 0;
}

static int parse_mode(struct vm_config *cfg, const char *arg)
{
	if (!strcmp(arg, "real"))
		cfg->mode = CPU_MODE_REAL;
	else if (!strcmp(arg, "protected"))
		cfg->mode = CPU_MODE_PROTECTED;
	else if (!strcmp(arg, "long"))
		cfg->mode = CPU_MODE_LONG;
	else
		return err_set("--mode %s: expected real, protected or long",
			       arg);
	return 0;
}

static int parse_reg(struct vm_config *cfg, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct reg_override *r;
	size_t n;

	if (!eq)
		return err_set("--reg %s: expected NAME=VALUE", arg);
	n = (size_t)(eq - arg);
	if (cfg->nr_regs == CONFIG_MAX_REGS)
		return err_set("--reg %s: too many --reg options", arg);
	r = &cfg->regs[cfg->nr_regs];
	if (n == 0 || n >= sizeof(r->name))
		return err_set("--reg %s: unknown register (known: %s)", arg,
			       arch_reg_names());
	memcpy(r->name, arg, n);
	r->name[n] = '\0';
	for (char *c = r->name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (!arch_reg_valid(r->name))
		return err_set("--reg %s: unknown register '%s' (known: %s)",
			       arg, r->name, arch_reg_names());
	if (config_parse_size(eq + 1, 1, &r->value) < 0)
		return err_set("--reg %s: %s", arg, err_msg());
	cfg->nr_regs++;
	return 0;
}

static int parse_trace(struct vm_config *cfg, const char *arg)
{
	char buf[128], *cursor = buf, *key, *value;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("--trace %s: too long", arg);
	while ((key = cli_next_kv(&cursor, &value))) {
		if (value)
			return err_set("--trace %s: unexpected '='", arg);
		if (!strcmp(key, "io"))
			cfg->trace |= TRACE_IO;
		else if (!strcmp(key, "mmio"))
			cfg->trace |= TRACE_MMIO;
		else if (!strcmp(key, "exits"))
			cfg->trace |= TRACE_EXITS;
		else if (!strcmp(key, "all"))
			cfg->trace |= TRACE_IO | TRACE_MMIO | TRACE_EXITS;
		else
			return err_set("--trace %s: unknown event '%s' (io, mmio, exits, all)",
				       arg, key);
	}
	return 0;
}

static int parse_port(const char *opt, const char *arg, uint16_t *port)
{
	uint64_t v;

	if (config_parse_size(arg, 1, &v) < 0)
		return err_set("%s %s: %s", opt, arg, err_msg());
	if (v > 0xffff)
		return err_set("%s %s: I/O ports go from 0 to 0xffff", opt, arg);
	*port = (uint16_t)v;
	return 0;
}

/* -gdb tcp:[HOST]:PORT | unix:PATH | /dev/TTY (QEMU's chardev spellings). */
static int parse_gdb(struct vm_config *cfg, const char *arg)
{
	struct gdb_cfg *g = &cfg->gdb;
	const char *colon;
	char *end;
	unsigned long port;
	size_t host_len;

	memset(g, 0, sizeof(*g));
	if (!strncmp(arg, "unix:", 5)) {
		if (!arg[5] || strchr(arg + 5, ','))
			return err_set("-gdb %s: unix:PATH needs a path (and no options)",
				       arg);
		if (strlen(arg + 5) >= sizeof(g->path))
			return err_set("-gdb %s: the socket path is longer than %zu bytes",
				       arg, sizeof(g->path) - 1);
		g->transport = GDB_UNIX;
		strcpy(g->path, arg + 5);
		return 0;
	}
	if (!strncmp(arg, "/dev/", 5)) {
		if (strlen(arg) >= sizeof(g->path))
			return err_set("-gdb %s: the device path is too long", arg);
		g->transport = GDB_TTY;
		strcpy(g->path, arg);
		return 0;
	}
	if (!strncmp(arg, "tcp:", 4))
		arg += 4;
	else if (strchr(arg, ':') == NULL && strspn(arg, "0123456789") != strlen(arg))
		return err_set("-gdb %s: expected tcp:[HOST]:PORT, unix:PATH or /dev/TTY",
			       arg);
	colon = strrchr(arg, ':');
	host_len = colon ? (size_t)(colon - arg) : 0;
	if (host_len >= sizeof(g->host))
		return err_set("-gdb %s: host name too long", arg);
	errno = 0;
	port = strtoul(colon ? colon + 1 : arg, &end, 10);
	if (end == (colon ? colon + 1 : arg) || *end || errno || port == 0 ||
	    port > 65535)
		return err_set("-gdb %s: the TCP port must be a number from 1 to 65535",
			       arg);
	g->transport = GDB_TCP;
	memcpy(g->host, arg, host_len);
	g->host[host_len] = 0;
	g->port = (uint16_t)port;
	return 0;
}

/*
 * -cpu MODEL[,FEATURES], QEMU's spelling: host and max are the CPUID KVM
 * supports on this host, the architecture's named models (x86: QEMU's
 * qemu64, kvm64, qemu32, kvm32) QEMU's model on it; FEATURES turn bits off
 * or insist on them.
 */
static int parse_cpu(struct vm_config *cfg, const char *arg)
{
	size_t n = strcspn(arg, ",");

	if (n == 4 && !strncmp(arg, "host", 4))
		cfg->cpu_model = "host";
	else if (n == 3 && !strncmp(arg, "max", 3))
		cfg->cpu_model = "max";
	else
		cfg->cpu_model = arch_cpu_model(arg, n);
	if (!cfg->cpu_model)
		return err_set("-cpu %s: CPU model '%.*s' is not modelled; minivmm has host and max (the CPUID KVM supports on this host)%s",
			       arg, (int)n, arg, arch_cpu_model_names());
	cfg->cpu_features = arg[n] ? arg + n + 1 : NULL;
	if (cfg->cpu_features && arch_cpu_features_check(cfg->cpu_features) < 0)
		return err_set("-cpu %s: %s", arg, err_msg());
	return 0;
}

static int parse_timeout(struct vm_config *cfg, const char *arg)
{
	char *end;
	double t;

	errno = 0;
	t = strtod(arg, &end);
	if (errno || end == arg || *end || !(t > 0) || t > 1e7)
		return err_set("--timeout %s: expected a positive number of seconds",
			       arg);
	cfg->timeout = t;
	return 0;
}

/* -boot reboot-timeout=MS[,menu=on|off], QEMU's spelling. */
static int parse_boot(struct vm_config *cfg, const char *arg)
{
	char buf[128], *cursor = buf, *key, *value;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-boot %s: too long", arg);
	while ((key = cli_next_kv(&cursor, &value))) {
		if (!value)
			return err_set("-boot %s: '%s' needs a value", arg, key);
		if (!strcmp(key, "reboot-timeout")) {
			char *end;
			long v;

			errno = 0;
			v = strtol(value, &end, 10);
			/* QEMU: -1 (never) up to 65535 ms. */
			if (errno || *end || end == value || v < -1 || v > 0xffff)
				return err_set("-boot %s: reboot-timeout must be -1 or 0-65535 ms",
					       arg);
			cfg->reboot_timeout = (int32_t)v;
		} else if (!strcmp(key, "menu")) {
			if (!strcmp(value, "on"))
				cfg->boot_menu = true;
			else if (!strcmp(value, "off"))
				cfg->boot_menu = false;
			else
				return err_set("-boot %s: menu=on or menu=off",
					       arg);
		} else {
			return err_set("-boot %s: unknown property '%s' (reboot-timeout, menu)",
				       arg, key);
		}
	}
	return 0;
}

enum {
	OPT_MEM_PATH = 256,
	OPT_MEM_PREALLOC,
	OPT_LOAD,
	OPT_ENTRY,
	OPT_MODE,
	OPT_REG,
	OPT_DEBUGCON,
	OPT_DEBUGCON_MMIO,
	OPT_TRACE,
	OPT_STATS,
	OPT_MAX_EXITS,
	OPT_TIMEOUT,
	OPT_SMP,
	OPT_OBJECT,
	OPT_NUMA,
	OPT_E820,
	OPT_BIOS,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_APPEND,
	OPT_BOOT,
	OPT_SERIAL,
	OPT_REBOOT,
	OPT_DECOMPRESS,
	OPT_KERNEL_CACHE,
	OPT_DRIVE,
	OPT_DEVICE,
	OPT_CHARDEV,
	OPT_NETDEV,
	OPT_NIC,
	OPT_GDB,
	OPT_CPU,
	OPT_HELP,
	OPT_VERSION,
	OPT_API_SOCK,
	OPT_RESTORE,
};

static const struct option long_options[] = {
	{ "machine", required_argument, NULL, 'M' },
	{ "memory", required_argument, NULL, 'm' },
	{ "mem-path", required_argument, NULL, OPT_MEM_PATH },
	{ "mem-prealloc", no_argument, NULL, OPT_MEM_PREALLOC },
	{ "load", required_argument, NULL, OPT_LOAD },
	{ "entry", required_argument, NULL, OPT_ENTRY },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "reg", required_argument, NULL, OPT_REG },
	{ "debugcon", required_argument, NULL, OPT_DEBUGCON },
	{ "debugcon-mmio", required_argument, NULL, OPT_DEBUGCON_MMIO },
	{ "output", required_argument, NULL, 'o' },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "max-exits", required_argument, NULL, OPT_MAX_EXITS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "smp", required_argument, NULL, OPT_SMP },
	{ "object", required_argument, NULL, OPT_OBJECT },
	{ "numa", required_argument, NULL, OPT_NUMA },
	{ "e820", required_argument, NULL, OPT_E820 },
	{ "bios", required_argument, NULL, OPT_BIOS },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "boot", required_argument, NULL, OPT_BOOT },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "reboot", required_argument, NULL, OPT_REBOOT },
	{ "decompress", required_argument, NULL, OPT_DECOMPRESS },
	{ "kernel-cache", required_argument, NULL, OPT_KERNEL_CACHE },
	{ "drive", required_argument, NULL, OPT_DRIVE },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "chardev", required_argument, NULL, OPT_CHARDEV },
	{ "netdev", required_argument, NULL, OPT_NETDEV },
	{ "nic", required_argument, NULL, OPT_NIC },
	{ "gdb", required_argument, NULL, OPT_GDB },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "api-sock", required_argument, NULL, OPT_API_SOCK },
	{ "restore", required_argument, NULL, OPT_RESTORE },
	{ NULL, 0, NULL, 0 },
};

static int parse_command(struct vm_config *cfg, const char *word)
{
	static const struct {
		const char *name;
		enum command cmd;
	} commands[] = {
		{ "run", CMD_RUN },	  { "caps", CMD_CAPS },
		{ "memmap", CMD_MEMMAP }, { "dtb", CMD_DTB },
		{ "help", CMD_HELP },
		{ "version", CMD_VERSION },
	};

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(word, commands[i].name)) {
			cfg->command = commands[i].cmd;
			return 1;
		}
	}
	return 0;
}

/*
 * Whether an option describes the machine (and so cannot go with
 * --restore, which takes the machine from the snapshot) rather than how
 * this run is watched, bounded and connected.
 */
static bool shapes_machine(int opt)
{
	switch (opt) {
	case 'v':
	case 'h':
	case 's':
	case 'S':
	case ':':
	case '?':
	case OPT_HELP:
	case OPT_VERSION:
	case OPT_TRACE:
	case OPT_STATS:
	case OPT_MAX_EXITS:
	case OPT_TIMEOUT:
	case OPT_SERIAL:
	case OPT_REBOOT:
	case OPT_GDB:
	case OPT_KERNEL_CACHE:
	case OPT_API_SOCK:
	case OPT_RESTORE:
		return false;
	default:
		return true;
	}
}

/* "-NAME" of an option, for messages. */
static const char *option_name(int opt)
{
	static char names[sizeof(long_options) / sizeof(long_options[0])][40];
	static char letter[3];

	if (opt > ' ' && opt < 127) { /* -M, -m, -o, ... as typed */
		snprintf(letter, sizeof(letter), "-%c", opt);
		return letter;
	}
	for (size_t i = 0; long_options[i].name; i++) {
		if (long_options[i].val == opt) {
			snprintf(names[i], sizeof(names[i]), "-%s",
				 long_options[i].name);
			return names[i];
		}
	}
	return "an option";
}

int config_parse(struct vm_config *cfg, int argc, char **argv)
{
	/* -device drive= names, resolved after the loop (cli_internal.h). */
	char drive_ids[CONFIG_MAX_VDEVS][CLI_ID_MAX];
	int first = 1, opt, idx;

	memset(drive_ids, 0, sizeof(drive_ids));

	if (argc > 1 && argv[1][0] != '-' && parse_command(cfg, argv[1]))
		first = 2;

	/* getopt_long_only: QEMU's single-dash spellings (-smp, -object). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long_only(argc - first + 1, argv + first - 1,
				       ":M:m:o:vhsS", long_options, &idx)) != -1) {
		const char *arg = optarg;
		int r = 0;

		if (!cfg->shaping_opt && shapes_machine(opt))
			cfg->shaping_opt = option_name(opt);
		switch (opt) {
		case OPT_API_SOCK:
			cfg->api_sock = arg;
			break;
		case OPT_RESTORE:
			cfg->restore = arg;
			break;
		case 'M':
			r = parse_machine(cfg, arg);
			break;
		case 'm':
			r = config_parse_size(arg, 1ull << 20, &cfg->ram_size);
			if (r < 0)
				return err_set("-m %s: %s", arg, err_msg());
			if (cfg->ram_size == 0)
				return err_set("-m %s: memory size must be positive",
					       arg);
			cfg->ram_size_set = true;
			break;
		case OPT_MEM_PATH:
			cfg->mem_path = arg;
			break;
		case 's':
			r = parse_gdb(cfg, "tcp::1234");
			break;
		case 'S':
			cfg->start_stopped = true;
			break;
		case OPT_GDB:
			r = parse_gdb(cfg, arg);
			break;
		case OPT_CPU:
			r = parse_cpu(cfg, arg);
			break;
		case OPT_MEM_PREALLOC:
			cfg->mem_prealloc = true;
			break;
		case OPT_LOAD:
			if (config_parse_size(arg, 1, &cfg->load_addr) < 0)
				return err_set("--load %s: %s", arg, err_msg());
			cfg->load_set = true;
			break;
		case OPT_ENTRY:
			if (config_parse_size(arg, 1, &cfg->entry) < 0)
				return err_set("--entry %s: %s", arg, err_msg());
			cfg->entry_set = true;
			break;
		case OPT_MODE:
			r = parse_mode(cfg, arg);
			cfg->mode_set = true;
			break;
		case OPT_REG:
			r = parse_reg(cfg, arg);
			break;
		case OPT_DEBUGCON:
			if (cfg->nr_debugcon == CONFIG_MAX_DEBUGCON)
				return err_set("--debugcon %s: too many debug consoles",
					       arg);
			r = parse_port("--debugcon", arg,
				       &cfg->debugcon[cfg->nr_debugcon]);
			if (r == 0)
				cfg->nr_debugcon++;
			break;
		case OPT_DEBUGCON_MMIO:
			if (cfg->nr_debugcon_mmio == CONFIG_MAX_DEBUGCON)
				return err_set("--debugcon-mmio %s: too many debug consoles",
					       arg);
			if (config_parse_size(
				    arg, 1,
				    &cfg->debugcon_mmio[cfg->nr_debugcon_mmio]) < 0)
				return err_set("--debugcon-mmio %s: %s", arg,
					       err_msg());
			cfg->nr_debugcon_mmio++;
			break;
		case 'o':
			if (!*arg)
				return err_set("-o: expected a file name (or - for stdout)");
			cfg->output = arg;
			break;
		case OPT_TRACE:
			r = parse_trace(cfg, arg);
			break;
		case OPT_STATS:
			cfg->stats = true;
			break;
		case OPT_MAX_EXITS:
			if (config_parse_size(arg, 1, &cfg->max_exits) < 0 ||
			    cfg->max_exits == 0)
				return err_set("--max-exits %s: expected a positive count",
					       arg);
			break;
		case OPT_TIMEOUT:
			r = parse_timeout(cfg, arg);
			break;
		case OPT_SMP: {
			uint64_t n;
			char buf[64], *cursor = buf, *key, *value;

			/* "-smp 4" or "-smp cpus=4" (QEMU also takes topology keys). */
			snprintf(buf, sizeof(buf), "%s", arg);
			key = cli_next_kv(&cursor, &value);
			if (key && value && !strcmp(key, "cpus"))
				key = value;
			if (!key || *cursor || config_parse_size(key, 1, &n) < 0 ||
			    n == 0 || n > CONFIG_MAX_CPUS)
				return err_set("-smp %s: expected a CPU count from 1 to %d",
					       arg, CONFIG_MAX_CPUS);
			cfg->smp = (unsigned)n;
			break;
		}
		case OPT_OBJECT:
			r = cli_parse_object(cfg, arg);
			break;
		case OPT_NUMA:
			r = cli_parse_numa(cfg, arg);
			break;
		case OPT_E820:
			r = cli_parse_e820(cfg, arg);
			break;
		case OPT_BIOS:
			cfg->bios = arg;
			break;
		case OPT_KERNEL:
			cfg->kernel = arg;
			break;
		case OPT_INITRD:
			cfg->initrd = arg;
			break;
		case OPT_APPEND:
			cfg->append = arg;
			break;
		case OPT_BOOT:
			r = parse_boot(cfg, arg);
			break;
		case OPT_REBOOT:
			if (!strcmp(arg, "exit"))
				cfg->reboot_restart = false;
			else if (!strcmp(arg, "restart"))
				cfg->reboot_restart = true;
			else
				return err_set("--reboot=%s: expected exit or restart",
					       arg);
			break;
		case OPT_DECOMPRESS:
			if (!strcmp(arg, "host"))
				cfg->decompress_guest = false;
			else if (!strcmp(arg, "guest"))
				cfg->decompress_guest = true;
			else
				return err_set("--decompress=%s: expected host or guest",
					       arg);
			break;
		case OPT_KERNEL_CACHE:
			if (!arg[0])
				return err_set("--kernel-cache: expected a directory or off");
			cfg->kernel_cache = arg;
			break;
		case OPT_DRIVE:
			r = cli_parse_drive(cfg, arg);
			break;
		case OPT_DEVICE:
			r = cli_parse_device(cfg, arg, drive_ids);
			if (r == 0 && cfg->command == CMD_DEVICE_HELP)
				return 0;
			break;
		case OPT_CHARDEV:
			r = cli_parse_chardev(cfg, arg);
			break;
		case OPT_NETDEV:
			r = cli_parse_netdev(cfg, arg);
			break;
		case OPT_NIC:
			r = cli_parse_nic(cfg, arg);
			break;
		case OPT_SERIAL:
			if (console_parse(arg, &cfg->serial) < 0)
				return err_set("-serial %s: %s", arg, err_msg());
			cfg->serial_set = true;
			break;
		case 'v':
			cfg->verbose++;
			break;
		case 'h':
		case OPT_HELP:
			cfg->command = CMD_HELP;
			return 0;
		case OPT_VERSION:
			cfg->command = CMD_VERSION;
			return 0;
		case ':':
			return err_set("option '%s' needs a value",
				       argv[first - 1 + optind - 1]);
		default:
			/* A letter inside a cluster (-vQv): getopt names it in optopt. */
			if (optopt && optopt != '?')
				return err_set("unknown option '-%c' (see minivmm --help)",
					       optopt);
			return err_set("unknown option '%s' (see minivmm --help)",
				       argv[first - 1 + optind - 1]);
		}
		if (r < 0)
			return -1;
	}
	if (cli_resolve_devices(cfg, drive_ids) < 0)
		return -1;

	for (int i = first - 1 + optind; i < argc; i++) {
		if (cfg->image)
			return err_set("more than one image given ('%s' and '%s')",
				       cfg->image, argv[i]);
		cfg->image = argv[i];
	}
	return 0;
}

void config_usage(FILE *out)
{
	fprintf(out,
"usage: minivmm run [options] [IMAGE]   boot IMAGE (a flat binary) or, without one,\n"
"                                      the built-in demo guest\n"
"       minivmm caps                    KVM API version, capabilities, PVM or not\n"
"       minivmm memmap [machine/memory options]\n"
"                                      print the guest memory map without running\n"
"       minivmm dtb -o FILE [machine/memory options]\n"
"                                      write the device tree the guest would get\n"
"                                      (arm64; - for stdout)\n"
"       minivmm qemu [QEMU options]     QEMU's command line (also as qemu-system-*)\n"
"       minivmm --help | --version\n"
"\n"
"Machine and memory:\n"
"  -M, --machine bare[,ram-base=ADDR]  RAM and debug consoles, no interrupt\n"
"                                      controller: HLT (x86) or PSCI SYSTEM_OFF\n"
"                                      (arm64) ends the run (default for flat\n"
"                                      images)\n"
"  -M pc[,max-ram-below-4g=SIZE][,pit=on|off]\n"
"                                      PC machine (default with -kernel/--bios);\n"
"                                      pit=off: no i8254 timer\n"
"  -M pc-i440fx-1.7                    the old 3.5 GiB RAM split\n"
"  -M virt[,gic-version=2|3|host]      arm64: QEMU's virt board, GIC, PL011 UART\n"
"                                      (default with -kernel on arm64)\n"
"  -cpu MODEL[,+FEAT|-FEAT]            host|max: the CPUID KVM supports (default);\n"
"                                      x86 also QEMU's qemu64, kvm64, qemu32,\n"
"                                      kvm32; features cleared or insisted on\n"
"  -m, --memory SIZE                   RAM size; bare number = MiB, K/M/G/T\n"
"                                      suffixes (default 128M)\n"
"  --mem-path PATH                     back RAM by a MAP_SHARED mapping of PATH (a\n"
"                                      file, created and sized if needed; a\n"
"                                      directory such as a hugetlbfs mount; or a\n"
"                                      character device)\n"
"  --mem-prealloc                      allocate all of RAM before the guest starts\n"
"  -smp N                              vCPUs (pc machine)\n"
"  -object memory-backend-ram,id=ID,size=SIZE[,share=on|off][,prealloc=on]\n"
"  -object memory-backend-file,id=ID,size=SIZE,mem-path=PATH[,share=..][,prealloc=on]\n"
"  -numa node,memdev=ID[,cpus=A-B[:C-D]][,nodeid=N]\n"
"  --e820 TYPE,ADDR,SIZE               add an E820 entry (ram, reserved, acpi, nvs,\n"
"                                      unusable)\n"
"  --bios FILE                         firmware image (pc machine)\n"
"\n"
"Booting a kernel (-M pc; see README):\n"
"  -kernel FILE                        bzImage, a multiboot kernel, or an ELF\n"
"                                      vmlinux with a PVH entry\n"
"  -initrd FILE                        initial ramdisk; multiboot: modules,\n"
"                                      \"FILE ARGS,FILE ARGS\" (,, for a comma)\n"
"  -append TEXT                        kernel command line\n"
"  --decompress=host|guest             where a bzImage's compressed kernel is\n"
"                                      unpacked: on the host, cached (default),\n"
"                                      or by its own decompressor in the guest\n"
"  --kernel-cache=DIR|off              where host-unpacked kernels are kept\n"
"                                      (default $XDG_CACHE_HOME/minivmm or\n"
"                                      ~/.cache/minivmm)\n"
"\n"
"Flat images:\n"
"  --load GPA                          where to put IMAGE (default: RAM base)\n"
"  --entry GPA                         first instruction (default: load address)\n"
"  --mode real|protected|long          CPU mode at entry (default real)\n"
"  --reg NAME=VALUE                    initial register (%s)\n"
"\n"
"Devices:\n"
"  -serial stdio[,signal=on]|file:PATH|null|none\n"
"                                      COM1 on the pc machine (default stdio; in the\n"
"                                      terminal Ctrl-A x quits, Ctrl-A h lists escapes)\n"
"  --debugcon PORT                     print the low byte of every OUT to PORT on\n"
"                                      stdout (repeatable; 0xe9 is always one)\n"
"  --debugcon-mmio ADDR                print the low byte of every store to ADDR\n"
"                                      (repeatable; on arm64 -M bare 0x9000000\n"
"                                      is always one)\n"
"\n"
"Disks and virtio devices (if=virtio: PCI on -M pc, virtio-mmio on -M virt\n"
"and -M bare, where the guest polls; the -device spellings pick either):\n"
"  -drive file=PATH[,format=raw][,if=virtio|none][,id=ID][,readonly=on|off]\n"
"         [,cache=writeback|none|unsafe][,aio=threads][,discard=unmap|ignore]\n"
"         [,serial=S]\n"
"                                      a raw image or block device; if=virtio\n"
"                                      (the default, unlike QEMU's ide) adds a\n"
"                                      virtio disk, if=none waits for a -device\n"
"                                      (needs id=); cache=none is O_DIRECT,\n"
"                                      unsafe ignores flushes; serial: 20 bytes;\n"
"                                      the image is locked while minivmm runs\n"
"  -device virtio-blk-pci|virtio-blk-device,drive=ID[,serial=S][,id=ID]\n"
"  -device virtio-rng-pci|virtio-rng-device[,id=ID]\n"
"  -device isa-debug-exit[,iobase=PORT][,iosize=1|2|4]\n"
"                                      x86: a write of v ends the run with exit\n"
"                                      status (v << 1) | 1 (default port 0x501)\n"
"  -device virtconsole|virtio-console-pci|virtio-console-device[,id=ID]\n"
"                                      NAME-pci: on PCI, NAME-device: on\n"
"                                      virtio-mmio, virtconsole: the machine's\n"
"                                      own; -device help lists them\n"
"\n"
"Networking (README \"Networking\"; a tap made beforehand, no scripts run):\n"
"  -netdev tap,id=ID,ifname=NAME|fd=N[,script=no][,downscript=no]\n"
"                                      the tap NAME (created if missing, which\n"
"                                      needs CAP_NET_ADMIN) or an open tap fd\n"
"  -device virtio-net-pci|virtio-net-device,netdev=ID[,mac=MAC][,id=ID]\n"
"                                      a virtio network card on that tap; MACs\n"
"                                      default to 52:54:00:12:34:56, 57, ...\n"
"  -nic tap,ifname=NAME|fd=N[,model=virtio-net-pci|virtio-net-device][,mac=MAC]\n"
"                                      both at once (the machine's transport by\n"
"                                      default); -nic none: nothing\n"
"\n"
"Debugging (README \"Debugging with gdb\"):\n"
"  -gdb tcp:[HOST]:PORT|unix:PATH|/dev/TTY\n"
"                                      wait for gdb there (TCP on localhost unless\n"
"                                      HOST is given); one debugger at a time\n"
"  -s                                  -gdb tcp::1234\n"
"  -S                                  start with every vCPU stopped until gdb\n"
"                                      continues them\n"
"\n"
"Observing and limiting a run:\n"
"  --trace io,mmio,exits|all           one line per event on stderr\n"
"  --stats                             exit counts and times when the run ends\n"
"  --max-exits N                       stop after N exits to the monitor\n"
"  --timeout SECONDS                   stop after SECONDS of wall time\n"
"  --reboot=exit|restart               on a guest reset: end with exit code 4\n"
"                                      (default) or start the guest again\n"
"  -v, --verbose                       print the machine, memory map and entry state\n"
"\n"
"Exit codes:\n"
"  0  the guest halted (bare machine) or powered off\n"
"  1  the guest crashed: triple fault, KVM internal error, failed VM entry\n"
"  2  usage, configuration or image error (nothing ran)\n"
"  3  stopped by --timeout, --max-exits, a signal (SIGINT, SIGTERM, SIGHUP) or\n"
"     gdb's kill\n"
"  4  the guest asked for a reset\n"
"  (v << 1) | 1  the guest wrote v to -device isa-debug-exit (as QEMU)\n",
		arch_reg_names());
}
