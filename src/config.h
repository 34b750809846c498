/* SPDX-License-Identifier: MIT */
/*
 * The machine description (vm_config.h) filled in and checked.
 *
 * config_init() sets the defaults; the command line (cli.h: config_parse)
 * fills the fields; config_finish() fills in what depends on the rest and
 * checks the combination.  Nothing here opens a file or calls KVM: all of
 * it is unit-tested.  Failures return -1 with err_msg() set on bad input;
 * main() prints it and exits 2.
 */
#ifndef MINIVMM_CONFIG_H
#define MINIVMM_CONFIG_H

#include <stdint.h>

#include "vm_config.h"

void config_init(struct vm_config *cfg);

/* Fill in defaults, choose the machine, check the combination. */
int config_finish(struct vm_config *cfg);

/*
 * Numbers: decimal or 0x-hex, with an optional K/M/G/T suffix (powers of
 * 1024).  `bare_unit` multiplies a number given without a suffix (1 for
 * addresses, 1 MiB for -m as in QEMU).  Rejects overflow and junk.
 */
int config_parse_size(const char *s, uint64_t bare_unit, uint64_t *out);

/* "A", "A-B", joined by ':' — sets bits in a CPU bitmap of nbits. */
int config_parse_cpus(const char *s, uint64_t *bitmap, unsigned nbits);

const char *config_mode_name(enum cpu_mode mode);
const char *config_machine_name(enum machine_kind kind);
/* The -device name of a virtio device: "virtio-blk-pci", "virtconsole", ... */
const char *config_vdev_name(enum vdev_kind kind,
			     enum vdev_transport transport);

#endif
