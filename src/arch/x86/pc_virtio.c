// SPDX-License-Identifier: MIT
/*
 * Where the x86 machines put virtio devices: virtio-mmio slots (layout.h,
 * described to the OS in the DSDT on pc) and virtio-pci on the pc
 * machine's PCI bus.
 */
#include "arch/arch.h"
#include "layout.h"
#include "log.h"
#include "dev/pci.h"
#include "dev/pci_host.h"
#include "device.h"
#include "pc_msi.h"
#include "virtio/pci.h"
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

/*
 * A virtio-pci function in the next free slot (from 2, in the order of the
 * description, as virtio_devices_describe() lists them), its MSI-X vectors
 * on KVM MSI routes, its notifications by ioeventfd.
 */
int arch_virtio_pci_add(struct vm *vm, struct virtio_dev *dev)
{
	struct pci_host *host = pc_pci_host_of(vm);
	struct pc_msi *msi = pc_msi_of(vm);
	struct pci_msi_sink sink;
	struct virtio_pci *p;
	int slot, gsi;

	if (!host || !msi) {
		err_set("%s: this machine has no PCI bus", dev->name);
		virtio_dev_destroy(dev);
		return -1;
	}
	if (pc_msi_sink(msi, dev->name, virtio_pci_vectors(dev), &sink) < 0) {
		virtio_dev_destroy(dev);
		return -1;
	}
	p = virtio_pci_create(dev, &sink);
	if (!p) {
		virtio_dev_destroy(dev);
		return -1;
	}
	if (device_list_add(&vm->devices, dev->name, &virtio_pci_device_ops, p) < 0)
		return -1;
	slot = pci_host_free_slot(host);
	if (slot < 0 || pci_host_add_device(host, virtio_pci_device(p),
					    (unsigned)slot) < 0)
		return -1;
	virtio_pci_use_ioeventfd(p, vm);
	gsi = arch_virtio_pci_intx((unsigned)slot);
	if (gsi >= 0) {
		struct irq_line *intx = vm_irq_line(vm, (unsigned)gsi);

		if (!intx)
			return -1;
		virtio_pci_set_intx(p, intx);
	} else {
		virtio_pci_set_intx(p, NULL); /* past the INTx slots: MSI-X only */
	}
	if (gsi >= 0)
		log_info("%s: virtio-pci at 00:%02x.0, %u MSI-X vectors, INTx GSI %d",
			 dev->name, slot, virtio_pci_vectors(dev), gsi);
	else
		log_info("%s: virtio-pci at 00:%02x.0, %u MSI-X vectors, no INTx",
			 dev->name, slot, virtio_pci_vectors(dev));
	return 0;
}

int arch_virtio_pci_intx(unsigned slot)
{
	return pc_pci_intx_gsi(slot);
}
