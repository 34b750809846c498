/* SPDX-License-Identifier: MIT */
/*
 * The pc machine's GSI routing table (KVM api.rst: KVM_SET_GSI_ROUTING,
 * KVM_IRQ_ROUTING_MSI, KVM_IRQFD) and the MSI sink of its PCI devices
 * (struct pci_msi_sink, dev/pci.h).
 *
 * The table always holds the static routes the MADT and MP table describe:
 * ISA IRQs 0-15 (but the cascade, 2) to the PIC pair, GSIs 0-23 to the
 * IOAPIC's pins 1:1 except GSI 0, the timer's IRQ 0, on pin 2.  Above
 * them, from GSI PC_MSI_GSI_BASE on, one MSI route per MSI-X vector: a
 * device's vectors get their GSIs and irqfds when the device is built
 * (pc_msi_sink), at most PC_MSI_MAX_ROUTES vectors for the machine.
 *
 * The sink:
 *   route(v, address, data, masked)  records vector v's message.  An
 *        unmasked vector's message goes into KVM's table (the whole table
 *        issued again) when it differs from what the table holds; a masked
 *        one is only recorded (it is never fired, and Linux writes an entry
 *        dword by dword while it is masked), and enters the table when it
 *        is unmasked.
 *   fire(v)  writes vector v's irqfd: the kernel injects the message
 *        without a system call of ours.  A masked vector is not fired
 *        (false: the device keeps it pending).  A message whose address is
 *        not an interrupt's (0xfee00000-0xfeefffff, upper half 0) is a
 *        memory write on a PC: minivmm drops it (true: it went), logged once.
 * Both may come from any thread (under the device's MSI-X lock) and take
 * the routing's own lock.
 *
 * The routing is an entry of the device list (pc_msi_device_ops): reset
 * takes every MSI route out of KVM's table (the devices' own reset masks
 * their vectors); no saved state (the routes follow from the devices'
 * MSI-X tables, which pci-host saves and tells the sink again at load);
 * destroy closes the irqfds.
 */
#ifndef MINIVMM_X86_PC_MSI_H
#define MINIVMM_X86_PC_MSI_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "layout.h"

struct pci_msi_sink;
struct vm;

/* How the table reaches KVM: the VM's fd, or a unit test's recorder. */
struct pc_msi_kvm {
	/* KVM_SET_GSI_ROUTING with `table` (0, or -1 with err_msg()). */
	int (*set_routing)(void *ctx, const struct kvm_irq_routing *table);
	/* KVM_IRQFD: signalling fd injects GSI gsi (0, or -1 with err_msg()). */
	int (*bind_irqfd)(void *ctx, int fd, unsigned gsi);
	void *ctx;
	/* Optional: KVM_IRQFD_FLAG_DEASSIGN of a bind_irqfd (0, or -1). */
	int (*unbind_irqfd)(void *ctx, int fd, unsigned gsi);
};

/* The ISA IRQs but 2, and the IOAPIC's pins but 2. */
#define PC_MSI_STATIC_ROUTES (15 + PC_IOAPIC_PINS - 1)

struct pc_msi_route {
	unsigned gsi;
	int irqfd;
	uint64_t address; /* the device's message (route) */
	uint32_t data;
	bool masked;
	bool in_table; /* KVM's table has a route for gsi ... */
	uint64_t table_address; /* ... with this message */
	uint32_t table_data;
};

/* One device's vectors: the ctx of its sink. */
struct pc_msi_group {
	struct pc_msi *msi;
	unsigned first, nr; /* routes[first, first + nr) */
};

struct pc_msi {
	pthread_mutex_t lock;
	struct pc_msi_kvm kvm;
	struct kvm_irq_routing_entry fixed[PC_MSI_STATIC_ROUTES];
	struct pc_msi_route routes[PC_MSI_MAX_ROUTES];
	unsigned nr_routes;
	struct pc_msi_group groups[PC_MSI_MAX_ROUTES];
	unsigned nr_groups;
	struct kvm_irq_routing *table; /* room for every route */
	unsigned long issued; /* KVM_SET_GSI_ROUTING calls */
	unsigned long fired, dropped; /* messages sent / dropped */
	bool drop_logged, fail_logged;
};

/*
 * The routing, with the static table issued at once.  NULL with err_msg()
 * when out of memory or when the table is refused.
 */
struct pc_msi *pc_msi_create(const struct pc_msi_kvm *kvm);
/* The same on the VM's fd (after KVM_CREATE_IRQCHIP). */
struct pc_msi *pc_msi_create_vm(struct vm *vm);

/*
 * Reserve nr_vectors routes (GSIs and irqfds) for the device `who` and fill
 * *sink for its pci_msix_init().  -1 with err_msg() when they would pass
 * PC_MSI_MAX_ROUTES, or an eventfd or KVM_IRQFD fails (no KVM_CAP_IRQFD).
 */
int pc_msi_sink(struct pc_msi *msi, const char *who, unsigned nr_vectors,
		struct pci_msi_sink *sink);

extern const struct device_ops pc_msi_device_ops;

/*
 * The names the pc machine gives its routing and its PCI bus in the device
 * list, and both found there: a PCI device model built in
 * arch_machine_create takes its slot from the one (pci_host_free_slot,
 * pci_host_add_device) and its MSI-X sink from the other (pc_msi_sink).
 * NULL when the machine has none.
 */
#define PC_MSI_DEVICE_NAME "msi-routes"
#define PC_PCI_HOST_NAME "pci-host"
struct pc_msi *pc_msi_of(struct vm *vm);
struct pci_host *pc_pci_host_of(struct vm *vm);

#endif
