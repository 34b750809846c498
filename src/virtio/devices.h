/* SPDX-License-Identifier: MIT */
/*
 * The machine's virtio devices, from the description's vdevs[]: each model
 * (virtio-blk on its drive, virtio-rng, virtio-console) put behind its
 * transport (virtio-mmio in the architecture's slots, or virtio-pci on the
 * pc machine's PCI bus), added to the device list and attached.  Slots are
 * handed out in vdevs[] order, so the device tree and the DSDT, built from
 * the same description, describe the same devices.
 */
#ifndef MINIVMM_VIRTIO_DEVICES_H
#define MINIVMM_VIRTIO_DEVICES_H

#include <stddef.h>
#include <stdio.h>

struct vm;
struct vm_config;

/* Create every virtio device of vm->cfg; -1 with err_msg() naming it. */
int virtio_devices_create(struct vm *vm);

/*
 * One line per virtio device of cfg: name, transport, where (virtio-mmio
 * base and interrupt, or PCI slot), back end.  For -v and memmap; the same
 * as what virtio_devices_create() builds.
 */
void virtio_devices_describe(const struct vm_config *cfg, FILE *out);

/* The first PCI slot virtio-pci devices take, in vdevs[] order. */
#define VIRTIO_PCI_FIRST_SLOT 2

/* How many virtio-mmio devices the description has (slots 0..n-1). */
unsigned virtio_mmio_count(const struct vm_config *cfg);

#endif
