/* SPDX-License-Identifier: MIT */
/*
 * The command line, the front end that fills a struct vm_config.
 *
 * config_parse() turns argv into the machine description (QEMU's spellings
 * where QEMU has the option: -M, -m, -smp, -object, -numa, -kernel, ...);
 * config_finish() (config.h) then fills in the defaults and checks the
 * combination.  config_usage() is the --help text.  Nothing here opens a
 * file or calls KVM; a bad option returns -1 with err_msg() naming it.
 */
#ifndef MINIVMM_CLI_H
#define MINIVMM_CLI_H

#include <stdio.h>

#include "config.h"

/* argv[0] is the program; argv[1] may be a subcommand. */
int config_parse(struct vm_config *cfg, int argc, char **argv);

/* Usage text for --help. */
void config_usage(FILE *out);

/* The list -device help prints: the device names -device takes. */
void config_device_help(FILE *out);

/* Each -device name with its bus (PCI, ISA, virtio-bus, ...) and help. */
void config_devices_each(FILE *out,
			 void (*fn)(FILE *out, const char *name,
				    const char *bus, const char *help));

#endif
