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

struct vm;
struct vm_config;

/* Create every virtio device of vm->cfg; -1 with err_msg() naming it. */
int virtio_devices_create(struct vm *vm);

/* How many virtio-mmio devices the description has (slots 0..n-1). */
unsigned virtio_mmio_count(const struct vm_config *cfg);

#endif
