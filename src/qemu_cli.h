/* SPDX-License-Identifier: MIT */
/*
 * QEMU's command line as a front end: `minivmm qemu ARGS`, or the binary
 * started under a name beginning "qemu-system-" (make links
 * build/bin/qemu-system-x86_64, or -aarch64, to minivmm).
 *
 * qemu_cli_translate() reads QEMU's options and writes the minivmm `run`
 * command line that means the same, taking the options minivmm has a
 * meaning for (README "QEMU's command line"), dropping the ones that
 * change nothing here (-enable-kvm, -nodefaults' NIC and VGA, -display
 * none, ...) and refusing every other with one line naming it.  What has
 * no minivmm option of its own (-no-reboot, -nodefaults' serial port) is
 * returned in struct qemu_cli and applied by qemu_cli_apply() after
 * config_parse().  Pure: no files but the -kernel probe, no KVM.
 */
#ifndef MINIVMM_QEMU_CLI_H
#define MINIVMM_QEMU_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

/* The QEMU release whose pc machine (pc-i440fx-7.2) minivmm reproduces. */
#define QEMU_CLI_VERSION "7.2.0"

enum qemu_cli_action {
	QEMU_CLI_RUN, /* run the translated command line */
	QEMU_CLI_HELP, /* -h, -help, --help */
	QEMU_CLI_VERSION_INFO, /* -version, --version */
	QEMU_CLI_DEVICE_HELP, /* -device help, -device '?' */
};

#define QEMU_CLI_MAX_ARGS 512

struct qemu_cli {
	const char *prog; /* the name errors carry: argv[0]'s base name */
	const char *usage_name; /* "qemu-system-x86_64" or "minivmm qemu" */
	enum qemu_cli_action action;
	int argc;
	char *argv[QEMU_CLI_MAX_ARGS + 1]; /* "minivmm" "run" ...; NULL-ended */
	char *owned[8]; /* argv words made here (qemu_cli_free) */
	int nr_owned;
	bool no_reboot; /* -no-reboot: a guest reset ends the run (status 0) */
	bool nodefaults; /* -nodefaults: no serial port unless -serial */
};

/*
 * Whether argv asks for the QEMU front end; *first is the index of the
 * first QEMU option (1 for qemu-system-*, 2 after "qemu").
 */
bool qemu_cli_wanted(int argc, char **argv, int *first);

/*
 * Translate argv[first..argc) into q.  Returns 0, or -1 with err_msg() set
 * to one line naming the option (a missing -kernel file gets QEMU's
 * "could not load kernel" line).  Words in q->argv that are not argv's own
 * are static or in q->owned, freed by qemu_cli_free().
 */
int qemu_cli_translate(int argc, char **argv, int first, struct qemu_cli *q);
void qemu_cli_free(struct qemu_cli *q);

/* After config_parse(q->argv): what has no minivmm option of its own. */
void qemu_cli_apply(const struct qemu_cli *q, struct vm_config *cfg);

/* -help: QEMU's first line (with the version scripts parse), then ours. */
void qemu_cli_usage(const struct qemu_cli *q, FILE *out);
/* -version, the way QEMU prints it, saying it is minivmm. */
void qemu_cli_version(FILE *out, const char *minivmm_version);
/* -device help in QEMU's format: name "NAME", bus BUS, desc "...". */
void qemu_cli_device_help(FILE *out);

#endif
