// SPDX-License-Identifier: MIT
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
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

/* Split "key=value" off a comma list; modifies the string. */
static char *next_kv(char **cursor, char **value)
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
	key = next_kv(&cursor, &value);
	if (!key || value)
		return err_set("-M %s: expected a machine type first (%s)", arg,
			       arch_info()->machines);
	type = key;
	/* The last -M wins entirely, as in QEMU. */
	cfg->machine_legacy_split = false;
	cfg->ram_base_set = cfg->max_ram_below_4g_set = false;
	cfg->ram_base = cfg->max_ram_below_4g = 0;
	cfg->gic_version = 0;
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

	while ((key = next_kv(&cursor, &value))) {
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
	while ((key = next_kv(&cursor, &value))) {
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

static int parse_object(struct vm_config *cfg, const char *arg)
{
	char buf[512], *cursor = buf, *key, *value;
	struct mem_object *o;
	bool has_size = false;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-object %s: too long", arg);
	if (cfg->nr_objects == CONFIG_MAX_OBJECTS)
		return err_set("-object %s: too many objects (at most %d)", arg,
			       CONFIG_MAX_OBJECTS);
	o = &cfg->objects[cfg->nr_objects];
	memset(o, 0, sizeof(*o));
	key = next_kv(&cursor, &value);
	if (!key || value)
		return err_set("-object %s: expected a type first (memory-backend-ram, memory-backend-file)",
			       arg);
	if (!strcmp(key, "memory-backend-ram"))
		o->is_file = false;
	else if (!strcmp(key, "memory-backend-file"))
		o->is_file = true;
	else
		return err_set("-object %s: unsupported object type '%s' (memory-backend-ram, memory-backend-file)",
			       arg, key);
	while ((key = next_kv(&cursor, &value))) {
		if (!value)
			return err_set("-object %s: '%s' needs a value", arg,
				       key);
		if (!strcmp(key, "id")) {
			if (!*value || strlen(value) >= sizeof(o->id))
				return err_set("-object %s: bad id '%s'", arg,
					       value);
			for (size_t i = 0; i < cfg->nr_objects; i++)
				if (!strcmp(cfg->objects[i].id, value))
					return err_set("-object %s: duplicate id '%s'",
						       arg, value);
			snprintf(o->id, sizeof(o->id), "%s", value);
		} else if (!strcmp(key, "size")) {
			if (config_parse_size(value, 1, &o->size) < 0)
				return err_set("-object %s: size: %s", arg,
					       err_msg());
			if (o->size == 0)
				return err_set("-object %s: size must be positive",
					       arg);
			has_size = true;
		} else if (!strcmp(key, "mem-path") && o->is_file) {
			if (!*value || strlen(value) >= sizeof(o->mem_path))
				return err_set("-object %s: bad mem-path", arg);
			snprintf(o->mem_path, sizeof(o->mem_path), "%s", value);
		} else if (!strcmp(key, "share") || !strcmp(key, "prealloc")) {
			bool on;

			if (!strcmp(value, "on") || !strcmp(value, "yes") ||
			    !strcmp(value, "true"))
				on = true;
			else if (!strcmp(value, "off") || !strcmp(value, "no") ||
				 !strcmp(value, "false"))
				on = false;
			else
				return err_set("-object %s: %s=%s: expected on or off",
					       arg, key, value);
			if (key[0] == 's')
				o->share = on;
			else
				o->prealloc = on;
		} else {
			return err_set("-object %s: property '%s' not found", arg,
				       key);
		}
	}
	if (!o->id[0])
		return err_set("-object %s: parameter 'id' is missing", arg);
	if (!has_size)
		return err_set("-object %s: parameter 'size' is missing", arg);
	if (o->is_file && !o->mem_path[0])
		return err_set("-object %s: parameter 'mem-path' is missing",
			       arg);
	cfg->nr_objects++;
	return 0;
}

/* -numa node,...: memdev is resolved in config_finish (objects may follow). */
static int parse_numa(struct vm_config *cfg, const char *arg)
{
	char buf[512], *cursor = buf, *key, *value;
	struct numa_node *n;
	bool has_nodeid = false;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-numa %s: too long", arg);
	if (cfg->nr_numa == CONFIG_MAX_NUMA)
		return err_set("-numa %s: too many nodes (at most %d)", arg,
			       CONFIG_MAX_NUMA);
	n = &cfg->numa[cfg->nr_numa];
	memset(n, 0, sizeof(*n));
	n->memdev = -1;
	key = next_kv(&cursor, &value);
	if (!key || value || strcmp(key, "node"))
		return err_set("-numa %s: only '-numa node,...' is supported",
			       arg);
	while ((key = next_kv(&cursor, &value))) {
		if (!value)
			return err_set("-numa %s: '%s' needs a value", arg, key);
		if (!strcmp(key, "memdev")) {
			if (!*value || strlen(value) >= sizeof(n->memdev_id))
				return err_set("-numa %s: bad memdev '%s'", arg,
					       value);
			snprintf(n->memdev_id, sizeof(n->memdev_id), "%s",
				 value);
		} else if (!strcmp(key, "cpus")) {
			/* QEMU's list syntax: A, A-B, joined by ':'. */
			if (config_parse_cpus(value, n->cpus, CONFIG_MAX_CPUS) < 0)
				return err_set("-numa %s: %s", arg, err_msg());
			n->has_cpus = true;
		} else if (!strcmp(key, "nodeid")) {
			uint64_t id;

			if (config_parse_size(value, 1, &id) < 0 ||
			    id >= CONFIG_MAX_NUMA)
				return err_set("-numa %s: nodeid=%s: expected 0-%d",
					       arg, value, CONFIG_MAX_NUMA - 1);
			n->nodeid = (unsigned)id;
			has_nodeid = true;
		} else if (!strcmp(key, "mem")) {
			return err_set("-numa %s: 'mem' is not supported, use memdev= with -object memory-backend-ram",
				       arg);
		} else {
			return err_set("-numa %s: invalid parameter '%s'", arg,
				       key);
		}
	}
	if (!n->memdev_id[0])
		return err_set("-numa %s: memdev= is required", arg);
	if (!has_nodeid)
		n->nodeid = (unsigned)cfg->nr_numa;
	cfg->nr_numa++;
	return 0;
}

/* -boot reboot-timeout=MS[,menu=on|off], QEMU's spelling. */
static int parse_boot(struct vm_config *cfg, const char *arg)
{
	char buf[128], *cursor = buf, *key, *value;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-boot %s: too long", arg);
	while ((key = next_kv(&cursor, &value))) {
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

static int parse_e820(struct vm_config *cfg, const char *arg)
{
	char buf[128], *cursor = buf, *type, *addr, *size, *dummy;
	struct e820_user *e;

	if (cfg->nr_e820 == CONFIG_MAX_E820)
		return err_set("--e820 %s: too many entries", arg);
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("--e820 %s: too long", arg);
	e = &cfg->e820[cfg->nr_e820];
	type = next_kv(&cursor, &dummy);
	if (dummy)
		return err_set("--e820 %s: expected TYPE,ADDR,SIZE", arg);
	addr = next_kv(&cursor, &dummy);
	if (dummy)
		return err_set("--e820 %s: expected TYPE,ADDR,SIZE", arg);
	size = next_kv(&cursor, &dummy);
	if (!type || !addr || !size || dummy || *cursor)
		return err_set("--e820 %s: expected TYPE,ADDR,SIZE", arg);
	if (!strcasecmp(type, "ram"))
		e->type = 1;
	else if (!strcasecmp(type, "reserved"))
		e->type = 2;
	else if (!strcasecmp(type, "acpi"))
		e->type = 3;
	else if (!strcasecmp(type, "nvs"))
		e->type = 4;
	else if (!strcasecmp(type, "unusable"))
		e->type = 5;
	else
		return err_set("--e820 %s: unknown type '%s' (ram, reserved, acpi, nvs, unusable)",
			       arg, type);
	if (config_parse_size(addr, 1, &e->addr) < 0 ||
	    config_parse_size(size, 1, &e->size) < 0)
		return err_set("--e820 %s: %s", arg, err_msg());
	if (e->size == 0 || e->addr + e->size < e->addr)
		return err_set("--e820 %s: empty or wrapping range", arg);
	cfg->nr_e820++;
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
	OPT_HELP,
	OPT_VERSION,
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
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
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

int config_parse(struct vm_config *cfg, int argc, char **argv)
{
	int first = 1, opt, idx;

	if (argc > 1 && argv[1][0] != '-' && parse_command(cfg, argv[1]))
		first = 2;

	/* getopt_long_only: QEMU's single-dash spellings (-smp, -object). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long_only(argc - first + 1, argv + first - 1,
				       ":M:m:o:vh", long_options, &idx)) != -1) {
		const char *arg = optarg;
		int r = 0;

		switch (opt) {
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
			key = next_kv(&cursor, &value);
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
			r = parse_object(cfg, arg);
			break;
		case OPT_NUMA:
			r = parse_numa(cfg, arg);
			break;
		case OPT_E820:
			r = parse_e820(cfg, arg);
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

	for (int i = first - 1 + optind; i < argc; i++) {
		if (cfg->image)
			return err_set("more than one image given ('%s' and '%s')",
				       cfg->image, argv[i]);
		cfg->image = argv[i];
	}
	return 0;
}

static int finish_machine(struct vm_config *cfg)
{
	if (cfg->machine != MACHINE_NONE)
		return 0;
	/* MISSION.md "Machines, by default": the arch's own (pc, virt). */
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
	/* Port 0xe9 is always a debug console (as QEMU's -debugcon default). */
	bool has_default = false;
	for (size_t i = 0; i < cfg->nr_debugcon; i++)
		if (cfg->debugcon[i] == CONFIG_DEFAULT_DEBUGCON)
			has_default = true;
	if (!has_default) {
		if (cfg->nr_debugcon == CONFIG_MAX_DEBUGCON)
			return err_set("--debugcon: too many debug consoles (at most %d)",
				       CONFIG_MAX_DEBUGCON);
		cfg->debugcon[cfg->nr_debugcon++] = CONFIG_DEFAULT_DEBUGCON;
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
	if (r < 0)
		return -1;
	return finish_debugcons(cfg);
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
"       minivmm --help | --version\n"
"\n"
"Machine and memory:\n"
"  -M, --machine bare[,ram-base=ADDR]  RAM and debug consoles, no interrupt\n"
"                                      controller: HLT (x86) or PSCI SYSTEM_OFF\n"
"                                      (arm64) ends the run (default for flat\n"
"                                      images)\n"
"  -M pc[,max-ram-below-4g=SIZE]       PC machine (default with -kernel/--bios);\n"
"  -M pc-i440fx-1.7                    the old 3.5 GiB RAM split\n"
"  -M virt[,gic-version=2|3|host]      arm64: QEMU's virt board, GIC, PL011 UART\n"
"                                      (default with -kernel on arm64)\n"
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
"Booting Linux (-M pc; see README):\n"
"  -kernel FILE                        bzImage, or an ELF vmlinux with a PVH entry\n"
"  -initrd FILE                        initial ramdisk\n"
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
"  3  stopped by --timeout, --max-exits or a signal (SIGINT, SIGTERM, SIGHUP)\n"
"  4  the guest asked for a reset\n",
		arch_reg_names());
}
