// SPDX-License-Identifier: MIT
/*
 * Where the x86 machines put virtio devices: virtio-mmio slots (layout.h,
 * described to the OS in the DSDT on pc) and virtio-pci on the pc
 * machine's PCI bus.
 */
#include "arch/arch.h"
#include "layout.h"
#include "log.h"
#include "virtio/virtio.h"
#include "vm.h"

int arch_virtio_mmio_slot(unsigned n, uint64_t *base, unsigned *irq)
{
	if (n >= PC_VIRTIO_MMIO_SLOTS)
		return -1;
	*base = PC_VIRTIO_MMIO_BASE + n * PC_VIRTIO_MMIO_STRIDE;
	*irq = PC_VIRTIO_MMIO_FIRST_GSI + n;
	return 0;
}

int arch_virtio_pci_add(struct vm *vm, struct virtio_dev *dev)
{
	(void)vm;
	err_set("%s: virtio-pci is not built yet; use the -device (virtio-mmio) spelling",
		dev->name);
	virtio_dev_destroy(dev);
	return -1;
}
