/* SPDX-License-Identifier: MIT */
/*
 * The virtio-pci transport, modern (virtio 1.2, 4.1): a PCI function with
 * vendor 0x1af4 and device 0x1040 + the virtio device ID, its registers in
 * one 64-bit memory BAR (BAR 4, 16 KiB, prefetchable as QEMU's):
 *
 *   0x0000  common configuration (4.1.4.3)
 *   0x1000  ISR status (4.1.4.5), read to clear
 *   0x2000  device-specific configuration (4.1.4.6)
 *   0x3000  notifications (4.1.4.4), queue q at 0x3000 + 4 * q
 *
 * each found through a vendor-specific capability (4.1.4), plus the PCI
 * configuration access capability (4.1.4.9, the BARs through config
 * space), and MSI-X in BAR 1 with one vector per queue and one for
 * configuration changes.  Interrupts are MSI-X messages (irqfds bound to
 * KVM MSI routes on the pc machine); queue notifications are ioeventfds
 * that follow the BAR wherever firmware or the OS puts it.  A driver that
 * does not enable MSI-X gets INTA# instead (virtio_pci_set_intx: a level
 * line, up from the interrupt until the driver reads the ISR).
 */
#ifndef MINIVMM_VIRTIO_PCI_H
#define MINIVMM_VIRTIO_PCI_H

#include "virtio/virtio.h"

struct pci_device;
struct pci_msi_sink;
struct vm;
struct virtio_pci;

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_BAR 4
#define VIRTIO_PCI_BAR_SIZE 0x4000
#define VIRTIO_PCI_MSIX_BAR 1
#define VIRTIO_PCI_MSIX_BAR_SIZE 0x1000

/* Offsets inside BAR 4. */
#define VIRTIO_PCI_COMMON 0x0000
#define VIRTIO_PCI_ISR 0x1000
#define VIRTIO_PCI_DEVICE 0x2000
#define VIRTIO_PCI_NOTIFY 0x3000
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 4

/* Common configuration fields (4.1.4.3). */
#define VIRTIO_PCI_COMMON_DFSELECT 0
#define VIRTIO_PCI_COMMON_DF 4
#define VIRTIO_PCI_COMMON_GFSELECT 8
#define VIRTIO_PCI_COMMON_GF 12
#define VIRTIO_PCI_COMMON_MSIX 16
#define VIRTIO_PCI_COMMON_NUMQ 18
#define VIRTIO_PCI_COMMON_STATUS 20
#define VIRTIO_PCI_COMMON_CFGGENERATION 21
#define VIRTIO_PCI_COMMON_Q_SELECT 22
#define VIRTIO_PCI_COMMON_Q_SIZE 24
#define VIRTIO_PCI_COMMON_Q_MSIX 26
#define VIRTIO_PCI_COMMON_Q_ENABLE 28
#define VIRTIO_PCI_COMMON_Q_NOFF 30
#define VIRTIO_PCI_COMMON_Q_DESCLO 32
#define VIRTIO_PCI_COMMON_Q_DESCHI 36
#define VIRTIO_PCI_COMMON_Q_AVAILLO 40
#define VIRTIO_PCI_COMMON_Q_AVAILHI 44
#define VIRTIO_PCI_COMMON_Q_USEDLO 48
#define VIRTIO_PCI_COMMON_Q_USEDHI 52
#define VIRTIO_PCI_COMMON_SIZE 56

/* Capability types (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/*
 * A virtio-pci function for dev (taken over), MSI-X through `sink` (NULL
 * in tests without interrupts is not allowed: give a fake).  Its PCI side
 * is virtio_pci_device(); put that on a bus.  NULL + err_msg().
 */
struct virtio_pci *virtio_pci_create(struct virtio_dev *dev,
				     const struct pci_msi_sink *sink);
/* The number of MSI-X vectors it needs (queues + 1), for the sink. */
unsigned virtio_pci_vectors(const struct virtio_dev *dev);
/* Queue notifications by ioeventfd on vm (as the BAR moves). */
void virtio_pci_use_ioeventfd(struct virtio_pci *p, struct vm *vm);
/* INTA#, for drivers without MSI-X (NULL: none). */
struct irq_line;
void virtio_pci_set_intx(struct virtio_pci *p, struct irq_line *line);
struct pci_device *virtio_pci_device(struct virtio_pci *p);
struct virtio_dev *virtio_pci_dev(struct virtio_pci *p);

extern const struct device_ops virtio_pci_device_ops;

#endif
