/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport, version 2 register layout (virtio 1.2, 4.2.2):
 * 0x200 bytes of MMIO per device, control registers below 0x100 (32-bit
 * accesses only, 4.2.2.2), the device's configuration space from 0x100.
 *
 * One interrupt per device: InterruptStatus bit 0 (used buffers) or bit 1
 * (configuration change) is set and the interrupt line pulsed (an edge,
 * through an irqfd on a VM); the driver reads the status and acknowledges
 * with InterruptACK.  Queue notifications are writes of the queue index to
 * QueueNotify; with virtio_mmio_use_ioeventfd() they are KVM ioeventfds
 * (no exit to the VMM) handled on the VM's event loop.
 *
 * Built like every device: virtio_mmio_create(), device_list_add() with
 * virtio_mmio_device_ops (which owns the virtio device from then on),
 * virtio_mmio_register() on the MMIO bus.
 */
#ifndef MINIVMM_VIRTIO_MMIO_H
#define MINIVMM_VIRTIO_MMIO_H

#include <stdint.h>

#include "virtio/virtio.h"

struct bus;
struct irq_line;
struct vm;
struct virtio_mmio;

#define VIRTIO_MMIO_SIZE 0x200
#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x554d4551 /* "QEMU", as QEMU's devices */

/* Register offsets (4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

/*
 * A transport for dev (initialised by its model; taken over: destroyed with
 * the transport) raising `irq` (may be NULL in tests).  NULL + err_msg().
 */
struct virtio_mmio *virtio_mmio_create(struct virtio_dev *dev,
				       struct irq_line *irq);
/* Claim [base, base + VIRTIO_MMIO_SIZE) on an MMIO bus. */
int virtio_mmio_register(struct virtio_mmio *m, struct bus *mmio,
			 uint64_t base);
/*
 * Queue notifications by ioeventfd on vm (after register), handled on the
 * VM's event loop; the irq line through an irqfd.  Hosts without either
 * keep the exit path (said under -v).  -1 with err_msg() on a real error.
 */
int virtio_mmio_use_ioeventfd(struct virtio_mmio *m, struct vm *vm);

/* The virtio device behind the transport. */
struct virtio_dev *virtio_mmio_dev(struct virtio_mmio *m);

extern const struct device_ops virtio_mmio_device_ops;

#endif
