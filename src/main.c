// SPDX-License-Identifier: MIT
/*
 * minivmm: command line -> config -> vm -> vCPU threads -> exit code.
 * Setup errors arrive here as one line in err_msg() and end with exit 2;
 * everything after the guest starts ends with the code vm_run() returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "arch/arch.h"
#include "cli.h"
#include "log.h"
#include "qemu_cli.h"
#include "snapshot/snapshot.h"
#include "vm.h"
#include "vm_report.h"

#define MINIVMM_VERSION "0.1.0"

extern const unsigned char demo_image[], demo_image_end[];

static int cmd_caps(void)
{
	int fd = vm_open_kvm();

	if (fd < 0) {
		log_error("%s", err_msg());
		return EXIT_USAGE;
	}
	vm_caps_print(fd, stdout);
	if (vm_check_caps(fd) < 0) {
		log_error("%s", err_msg());
		close(fd);
		return EXIT_USAGE;
	}
	close(fd);
	return 0;
}

/*
 * One VM for the whole run: with --reboot=restart a guest reset is done in
 * place (vm_reset) and --timeout bounds all the restarts together.
 */
static int cmd_run(const struct vm_config *cfg, struct snapshot *snap)
{
	char mem_path[4200];
	struct vm vm;
	int code;

	struct api_server *api = NULL;

	if (vm_create(&vm, cfg) < 0) {
		log_error("%s", err_msg());
		vm_destroy(&vm);
		return EXIT_USAGE;
	}
	if (snap) {
		snprintf(mem_path, sizeof(mem_path), "%s/%s", cfg->restore,
			 SNAPSHOT_MEMORY_NAME);
		if (snapshot_restore(&vm, snap, mem_path) < 0) {
			log_error("--restore %s: %s", cfg->restore, err_msg());
			vm_destroy(&vm);
			return EXIT_USAGE;
		}
	}
	if (cfg->api_sock) {
		api = api_attach(&vm, cfg->api_sock);
		if (!api) {
			log_error("%s", err_msg());
			vm_destroy(&vm);
			return EXIT_USAGE;
		}
	}
	code = vm_run(&vm);
	api_detach(api);
	vm_destroy(&vm);
	return code;
}

/*
 * minivmm run --restore DIR [run options]: the machine is the snapshot's
 * (its command line, parsed again), and this command line adds only how
 * the run is watched and connected (shapes_machine() in cli.c).
 */
static int cmd_restore(const struct vm_config *given, int argc, char **argv)
{
	static struct snapshot snap;
	static struct vm_config cfg;
	char state_path[4200];
	int code;

	if (given->shaping_opt) {
		log_error("--restore: the machine comes from the snapshot; %s cannot be given with it",
			  given->shaping_opt);
		return EXIT_USAGE;
	}
	snprintf(state_path, sizeof(state_path), "%s/%s", given->restore,
		 SNAPSHOT_STATE_NAME);
	if (snapshot_open(&snap, state_path) < 0) {
		log_error("--restore: %s", err_msg());
		return EXIT_USAGE;
	}
	config_init(&cfg);
	if (config_parse(&cfg, snap.argc, snap.argv) < 0) {
		log_error("--restore: the snapshot's command line: %s", err_msg());
		snapshot_close(&snap);
		return EXIT_USAGE;
	}
	/* Not the old run's API socket: only this command line's. */
	cfg.api_sock = NULL;
	if (config_parse(&cfg, argc, argv) < 0 || config_finish(&cfg) < 0) {
		log_error("--restore: %s", err_msg());
		snapshot_close(&snap);
		return EXIT_USAGE;
	}
	cfg.argc = snap.argc;
	cfg.argv = snap.argv;
	code = cmd_run(&cfg, &snap);
	snapshot_close(&snap);
	return code;
}

/*
 * QEMU's command line (minivmm qemu, qemu-system-*): translated to a run,
 * and ended as QEMU ends: errors are one line with QEMU's program name and
 * exit status 1; warnings are not printed.
 */
static int qemu_main(int argc, char **argv, int first)
{
	static struct qemu_cli q;
	struct vm_config cfg;
	int r = qemu_cli_translate(argc, argv, first, &q);

	log_set_prefix(q.prog);
	if (r < 0) {
		log_error("%s", err_msg());
		return 1;
	}
	switch (q.action) {
	case QEMU_CLI_HELP:
		qemu_cli_usage(&q, stdout);
		return 0;
	case QEMU_CLI_VERSION_INFO:
		qemu_cli_version(stdout, MINIVMM_VERSION);
		return 0;
	case QEMU_CLI_DEVICE_HELP:
		qemu_cli_device_help(stdout);
		return 0;
	case QEMU_CLI_RUN:
		break;
	}
	config_init(&cfg);
	if (config_parse(&cfg, q.argc, q.argv) < 0) {
		log_error("%s", err_msg());
		return 1;
	}
	qemu_cli_apply(&q, &cfg);
	if (config_finish(&cfg) < 0) {
		log_error("%s", err_msg());
		return 1;
	}
	log_set_level(LOG_ERROR);
	cfg.argc = q.argc;
	cfg.argv = q.argv;
	r = cmd_run(&cfg, NULL);
	return r == EXIT_USAGE ? 1 : r;
}

int main(int argc, char **argv)
{
	struct vm_config cfg;
	int first;

	/* Guest console output appears line by line even through a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (qemu_cli_wanted(argc, argv, &first))
		return qemu_main(argc, argv, first);
	if (firecracker_wanted(argc, argv))
		return firecracker_main(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1);
	config_init(&cfg);
	cfg.builtin_image = demo_image;
	cfg.builtin_image_size = (uint64_t)(demo_image_end - demo_image);
	if (config_parse(&cfg, argc, argv) < 0 || config_finish(&cfg) < 0) {
		log_error("%s", err_msg());
		return EXIT_USAGE;
	}
	if (cfg.verbose)
		log_set_level(LOG_INFO + (cfg.verbose > 1));

	switch (cfg.command) {
	case CMD_HELP:
		config_usage(stdout);
		return 0;
	case CMD_VERSION:
		printf("minivmm %s\n", MINIVMM_VERSION);
		return 0;
	case CMD_DEVICE_HELP:
		config_device_help(stdout);
		return 0;
	case CMD_CAPS:
		return cmd_caps();
	case CMD_MEMMAP:
		if (arch_memmap(&cfg, stdout) < 0) {
			log_error("%s", err_msg());
			return EXIT_USAGE;
		}
		return 0;
	case CMD_DTB:
		if (arch_dtb_write(&cfg, cfg.output) < 0) {
			log_error("%s", err_msg());
			return EXIT_USAGE;
		}
		return 0;
	case CMD_RUN:
		break;
	}
	if (cfg.restore)
		return cmd_restore(&cfg, argc, argv);
	cfg.argc = argc;
	cfg.argv = argv;
	return cmd_run(&cfg, NULL);
}
