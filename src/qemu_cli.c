// SPDX-License-Identifier: MIT
#include "qemu_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/arch.h"
#include "cli.h"
#include "cli_internal.h"
#include "console.h"
#include "log.h"

#define QEMU_PREFIX "qemu-system-"

/* What a QEMU option becomes. */
enum qopt_kind {
	Q_PASS, /* the same option and value for minivmm run */
	Q_RENAME, /* minivmm spells it `to` */
	Q_DROP, /* changes nothing here */
	Q_MACHINE, /* -M/-machine: accel= taken out, a default type put in */
	Q_ACCEL, /* -accel: kvm only */
	Q_CPU, /* -cpu: minivmm's own -cpu (host, max, QEMU's generic models; features) */
	Q_GLOBAL, /* -global: the properties known to change nothing */
	Q_DEVICE, /* -device: help/? answered here */
	Q_DISPLAY, /* -display none only */
	Q_NONE_ONLY, /* -vga none, -net none, -nic none */
	Q_DEBUGCON, /* -debugcon stdio: port 0xe9 on stdout */
	Q_MEMORY, /* -m SIZE or -m size=SIZE */
	Q_NO_REBOOT,
	Q_NODEFAULTS,
	Q_HELP,
	Q_VERSION,
};

struct qopt {
	const char *name; /* without the leading dash */
	bool arg;
	enum qopt_kind kind;
	const char *to; /* Q_RENAME */
};

static const struct qopt qopts[] = {
	{ "M", true, Q_MACHINE, NULL },
	{ "machine", true, Q_MACHINE, NULL },
	{ "accel", true, Q_ACCEL, NULL },
	{ "enable-kvm", false, Q_DROP, NULL },
	{ "cpu", true, Q_CPU, NULL },
	{ "m", true, Q_MEMORY, NULL },
	{ "smp", true, Q_PASS, NULL },
	{ "kernel", true, Q_PASS, NULL },
	{ "initrd", true, Q_PASS, NULL },
	{ "append", true, Q_PASS, NULL },
	{ "bios", true, Q_RENAME, "--bios" },
	{ "serial", true, Q_PASS, NULL },
	{ "chardev", true, Q_PASS, NULL },
	{ "drive", true, Q_PASS, NULL },
	{ "device", true, Q_DEVICE, NULL },
	{ "object", true, Q_PASS, NULL },
	{ "numa", true, Q_PASS, NULL },
	{ "boot", true, Q_PASS, NULL },
	{ "gdb", true, Q_PASS, NULL },
	{ "s", false, Q_PASS, NULL },
	{ "S", false, Q_PASS, NULL },
	{ "global", true, Q_GLOBAL, NULL },
	{ "display", true, Q_DISPLAY, NULL },
	{ "nographic", false, Q_DROP, NULL },
	{ "vga", true, Q_NONE_ONLY, NULL },
	{ "net", true, Q_NONE_ONLY, NULL },
	{ "nic", true, Q_PASS, NULL }, /* tap or none */
	{ "netdev", true, Q_PASS, NULL },
	{ "debugcon", true, Q_DEBUGCON, NULL },
	{ "name", true, Q_DROP, NULL },
	{ "no-user-config", false, Q_DROP, NULL },
	{ "no-hpet", false, Q_DROP, NULL }, /* there is no HPET */
	{ "nodefaults", false, Q_NODEFAULTS, NULL },
	{ "no-reboot", false, Q_NO_REBOOT, NULL },
	{ "h", false, Q_HELP, NULL },
	{ "help", false, Q_HELP, NULL },
	{ "version", false, Q_VERSION, NULL },
};

/* -global properties that are what minivmm does anyway. */
static const char *const harmless_globals[] = {
	/*
	 * The in-kernel PIT drops ticks the guest missed instead of
	 * reinjecting them (kvm-unit-tests asks for it).
	 */
	"kvm-pit.lost_tick_policy=discard",
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

bool qemu_cli_wanted(int argc, char **argv, int *first)
{
	if (argc > 0 && !strncmp(base_name(argv[0]), QEMU_PREFIX,
				 strlen(QEMU_PREFIX))) {
		*first = 1;
		return true;
	}
	if (argc > 1 && !strcmp(argv[1], "qemu")) {
		*first = 2;
		return true;
	}
	return false;
}

static int push(struct qemu_cli *q, const char *word)
{
	if (q->argc == QEMU_CLI_MAX_ARGS)
		return err_set("too many options (at most %d words)",
			       QEMU_CLI_MAX_ARGS);
	q->argv[q->argc++] = (char *)(uintptr_t)word;
	q->argv[q->argc] = NULL;
	return 0;
}

static int push2(struct qemu_cli *q, const char *opt, const char *arg)
{
	return push(q, opt) < 0 ? -1 : push(q, arg);
}

void qemu_cli_free(struct qemu_cli *q)
{
	for (int i = 0; i < q->nr_owned; i++)
		free(q->owned[i]);
	q->nr_owned = 0;
}

/*
 * -machine [TYPE][,accel=kvm][,PROP=V...]: minivmm's -M without accel=
 * (which must be kvm), with this architecture's machine when TYPE is left
 * out (QEMU's default on x86; arm64 has none, as in QEMU).
 */
static int machine(struct qemu_cli *q, const char *opt, const char *arg,
		   bool *have)
{
	size_t n = strlen(arg);
	char *out, *buf, *cursor, *key, *value;
	bool first = true;

	if (q->nr_owned == (int)(sizeof(q->owned) / sizeof(q->owned[0])))
		return err_set("-%s %s: too many -machine options", opt, arg);
	out = malloc(n + 16);
	buf = strdup(arg);
	if (!out || !buf) {
		free(out);
		free(buf);
		return err_set("out of memory");
	}
	q->owned[q->nr_owned++] = out;
	cursor = buf;
	out[0] = '\0';
	while ((key = cli_next_kv(&cursor, &value))) {
		if (!strcmp(key, "accel") && value) {
			if (strcmp(value, "kvm")) {
				err_set("-%s %s: accelerator '%s': minivmm runs guests on KVM only",
					opt, arg, value);
				free(buf);
				return -1;
			}
			continue;
		}
		if (!*key && !value)
			continue;
		/* Properties before any type: the default type goes first. */
		if (first && value) {
			if (arch_info()->machine == MACHINE_VIRT)
				break; /* there is none: refused below */
			strcat(out, "pc,");
		} else if (!first) {
			strcat(out, ",");
		}
		strcat(out, key);
		if (value) {
			strcat(out, "=");
			strcat(out, value);
		}
		first = false;
	}
	free(buf);
	if (first) {
		if (arch_info()->machine == MACHINE_VIRT)
			return err_set("No machine specified, and there is no default (use -machine virt)");
		strcpy(out, "pc");
	} else if (n && arg[n - 1] == ',') {
		strcat(out, ","); /* kept: cli_next_kv drops an empty last item */
	}
	*have = true;
	return push2(q, "-M", out);
}

/* QEMU's message for a kernel it cannot open, before anything runs. */
static int kernel_readable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_set("could not load kernel '%s': %s", path,
			       strerror(errno));
	close(fd);
	return 0;
}

int qemu_cli_translate(int argc, char **argv, int first, struct qemu_cli *q)
{
	bool have_machine = false;

	memset(q, 0, sizeof(*q));
	q->prog = first == 1 ? base_name(argv[0]) : "minivmm";
	q->usage_name = first == 1 ? q->prog : "minivmm qemu";
	q->action = QEMU_CLI_RUN;
	if (push(q, "minivmm") < 0 || push(q, "run") < 0)
		return -1;

	for (int i = first; i < argc; i++) {
		const char *word = argv[i], *name, *arg = NULL;
		const struct qopt *o = NULL;
		int r = 0;

		if (word[0] != '-' || !word[1])
			return err_set("'%s': a disk image without -drive is not supported (use -drive file=%s,format=raw,if=virtio)",
				       word, word);
		/* QEMU takes -opt and --opt alike. */
		name = word + 1 + (word[1] == '-');
		for (size_t k = 0; k < sizeof(qopts) / sizeof(qopts[0]); k++)
			if (!strcmp(name, qopts[k].name))
				o = &qopts[k];
		if (!o)
			return err_set("-%s: an option minivmm's QEMU front end does not take (see -help)",
				       name);
		if (o->arg) {
			if (i + 1 >= argc)
				return err_set("-%s: requires an argument", name);
			arg = argv[++i];
		}
		switch (o->kind) {
		case Q_PASS:
			r = arg ? push2(q, word[1] == '-' ? word + 1 : word, arg) :
				  push(q, word[1] == '-' ? word + 1 : word);
			if (r == 0 && !strcmp(name, "kernel"))
				r = kernel_readable(arg);
			break;
		case Q_RENAME:
			r = push2(q, o->to, arg);
			break;
		case Q_DROP:
			break;
		case Q_MACHINE:
			r = machine(q, name, arg, &have_machine);
			break;
		case Q_ACCEL:
			if (strcmp(arg, "kvm"))
				r = err_set("-%s %s: minivmm runs guests on KVM only",
					    name, arg);
			break;
		case Q_CPU:
			r = push2(q, "-cpu", arg);
			break;
		case Q_GLOBAL:
			r = err_set("-%s %s: a property minivmm does not model",
				    name, arg);
			for (size_t k = 0; k < sizeof(harmless_globals) /
						       sizeof(harmless_globals[0]);
			     k++)
				if (!strcmp(arg, harmless_globals[k]))
					r = 0;
			break;
		case Q_DEVICE:
			if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
				q->action = QEMU_CLI_DEVICE_HELP;
				return 0;
			}
			r = push2(q, "-device", arg);
			break;
		case Q_DISPLAY:
			if (strcmp(arg, "none"))
				r = err_set("-%s %s: minivmm has no display (-display none)",
					    name, arg);
			break;
		case Q_NONE_ONLY:
			if (strcmp(arg, "none"))
				r = err_set("-%s %s: minivmm has no such device (only -%s none)",
					    name, arg, name);
			break;
		case Q_DEBUGCON:
			if (strcmp(arg, "stdio"))
				r = err_set("-%s %s: the debug console goes to stdout only (-debugcon stdio)",
					    name, arg);
			else if (!arch_info()->has_pio)
				r = err_set("-%s: %s has no I/O ports", name,
					    arch_info()->name);
			else
				r = push2(q, "--debugcon", "0xe9");
			break;
		case Q_MEMORY:
			r = push2(q, "-m", strncmp(arg, "size=", 5) ? arg : arg + 5);
			if (r == 0 && strchr(arg, ','))
				r = err_set("-%s %s: only a size (memory hotplug slots are not modelled)",
					    name, arg);
			break;
		case Q_NO_REBOOT:
			q->no_reboot = true;
			break;
		case Q_NODEFAULTS:
			q->nodefaults = true;
			break;
		case Q_HELP:
			q->action = QEMU_CLI_HELP;
			return 0;
		case Q_VERSION:
			q->action = QEMU_CLI_VERSION_INFO;
			return 0;
		}
		if (r < 0)
			return -1;
	}
	/* No -machine is an empty one: QEMU's default (pc on x86), if any. */
	if (!have_machine)
		return machine(q, "machine", "", &have_machine);
	return 0;
}

void qemu_cli_apply(const struct qemu_cli *q, struct vm_config *cfg)
{
	cfg->qemu_mode = true;
	cfg->qemu_prog = q->prog;
	/* QEMU restarts a guest that resets, unless -no-reboot. */
	cfg->reboot_restart = !q->no_reboot;
	if (q->nodefaults && !cfg->serial_set)
		console_parse("none", &cfg->serial);
}

void qemu_cli_usage(const struct qemu_cli *q, FILE *out)
{
	fprintf(out,
"QEMU emulator version " QEMU_CLI_VERSION " (minivmm: a KVM monitor answering to QEMU's command line)\n"
"usage: %s [options]\n"
"\n"
"minivmm's QEMU front end runs `minivmm run` with what these options mean\n"
"(README, \"QEMU's command line\"); any other option is refused.\n"
"\n"
"-M|-machine [TYPE][,accel=kvm][,PROP=V]  %s (accel= must be kvm;\n"
"                             pc: max-ram-below-4g=, pit=off)\n"
"-accel kvm, -enable-kvm      the only accelerator\n"
"-cpu MODEL[,+FEAT|-FEAT]     host|max: the CPUID KVM supports on this host;\n"
"                             x86: qemu64, kvm64, qemu32, kvm32 as QEMU's\n"
"-m [size=]SIZE               RAM\n"
"-smp N                       vCPUs\n"
"-kernel FILE, -initrd FILE, -append TEXT, -bios FILE\n"
"-serial stdio|file:PATH|null|none, -chardev, -debugcon stdio\n"
"-device NAME[,...]           -device help lists them\n"
"-drive, -object, -numa, -boot, -s, -S, -gdb\n"
"-netdev tap,..., -nic tap,...|none  a virtio NIC on a tap (no scripts run)\n"
"-global kvm-pit.lost_tick_policy=discard\n"
"-display none, -nographic, -vga none, -net none, -name NAME,\n"
"-nodefaults, -no-user-config, -no-hpet, -no-reboot\n"
"-h|-help, -version\n",
		q->usage_name, arch_info()->machines);
}

void qemu_cli_version(FILE *out, const char *minivmm_version)
{
	fprintf(out,
		"QEMU emulator version " QEMU_CLI_VERSION " (minivmm %s)\n"
		"This is minivmm, a KVM monitor that answers to QEMU's command line and\n"
		"reproduces QEMU " QEMU_CLI_VERSION "'s machine; it is not QEMU.\n",
		minivmm_version);
}

static void qemu_device_line(FILE *out, const char *name, const char *bus,
			     const char *help)
{
	fprintf(out, "name \"%s\", bus %s, desc \"%s\"\n", name, bus, help);
}

void qemu_cli_device_help(FILE *out)
{
	config_devices_each(out, qemu_device_line);
}
