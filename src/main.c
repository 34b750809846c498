// SPDX-License-Identifier: MIT
/*
 * minivmm: command line -> config -> vm -> vCPU threads -> exit code.
 * Setup errors arrive here as one line in err_msg() and end with exit 2;
 * everything after the guest starts ends with the code vm_run() returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "arch/arch.h"
#include "cli.h"
#include "log.h"
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
static int cmd_run(const struct vm_config *cfg)
{
	struct vm vm;
	int code;

	if (vm_create(&vm, cfg) < 0) {
		log_error("%s", err_msg());
		vm_destroy(&vm);
		return EXIT_USAGE;
	}
	code = vm_run(&vm);
	vm_destroy(&vm);
	return code;
}

int main(int argc, char **argv)
{
	struct vm_config cfg;

	/* Guest console output appears line by line even through a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
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
	return cmd_run(&cfg);
}
