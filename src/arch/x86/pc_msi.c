// SPDX-License-Identifier: MIT
/*
 * GSI routing of the pc machine and MSI delivery through irqfds (KVM
 * api.rst: KVM_SET_GSI_ROUTING, KVM_IRQFD; the MSI message format is the
 * Intel SDM's, vol. 3, 11.11).  pc_msi.h describes it.
 */
#include "pc_msi.h"

#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dev/pci.h"
#include "dev/pci_host.h"
#include "log.h"
#include "vm.h"

#define TABLE_ENTRIES (PC_MSI_STATIC_ROUTES + PC_MSI_MAX_ROUTES)

/*
 * The routes the MADT and MP table describe: ISA IRQs to the PICs, GSIs to
 * IOAPIC pins 1:1 except the timer (IRQ 0) on pin 2, the interrupt source
 * override every PC firmware reports.
 */
static unsigned static_routes(struct kvm_irq_routing_entry *e)
{
	unsigned n = 0;

	for (unsigned irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue; /* the cascade */
		e[n].gsi = irq;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = irq < 8 ? KVM_IRQCHIP_PIC_MASTER :
						   KVM_IRQCHIP_PIC_SLAVE;
		e[n].u.irqchip.pin = irq % 8;
		n++;
	}
	for (unsigned gsi = 0; gsi < PC_IOAPIC_PINS; gsi++) {
		if (gsi == 2)
			continue; /* pin 2 belongs to IRQ 0 */
		e[n].gsi = gsi;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e[n].u.irqchip.pin = gsi == 0 ? 2 : gsi;
		n++;
	}
	return n;
}

/* An interrupt message: to the local APICs' range (SDM vol. 3, 11.11.1). */
static bool is_interrupt(uint64_t address)
{
	return address >= PC_MSI_ADDR_BASE &&
	       address < PC_MSI_ADDR_BASE + PC_MSI_ADDR_SIZE;
}

/* Issue the static routes and every MSI route in the table.  lock held. */
static int issue(struct pc_msi *msi)
{
	struct kvm_irq_routing *t = msi->table;
	unsigned n = PC_MSI_STATIC_ROUTES;

	memcpy(t->entries, msi->fixed, sizeof(msi->fixed));
	for (unsigned i = 0; i < msi->nr_routes; i++) {
		const struct pc_msi_route *rt = &msi->routes[i];
		struct kvm_irq_routing_entry *e = &t->entries[n];

		if (!rt->in_table)
			continue;
		memset(e, 0, sizeof(*e));
		e->gsi = rt->gsi;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (uint32_t)rt->table_address;
		e->u.msi.address_hi = (uint32_t)(rt->table_address >> 32);
		e->u.msi.data = rt->table_data;
		n++;
	}
	t->nr = n;
	t->flags = 0;
	msi->issued++;
	return msi->kvm.set_routing(msi->kvm.ctx, t);
}

/*
 * Make KVM's table hold rt's message; false (logged once) if KVM refuses
 * the table, which then stays as it was.  lock held.
 */
static bool install(struct pc_msi *msi, struct pc_msi_route *rt)
{
	struct pc_msi_route old = *rt;

	if (rt->in_table && rt->table_address == rt->address &&
	    rt->table_data == rt->data)
		return true;
	rt->in_table = true;
	rt->table_address = rt->address;
	rt->table_data = rt->data;
	if (issue(msi) == 0)
		return true;
	if (!msi->fail_logged) {
		msi->fail_logged = true;
		log_warn("MSI route for GSI %u: %s (vector left pending; logged once)",
			 rt->gsi, err_msg());
	}
	*rt = old;
	return false;
}

static void sink_route(void *ctx, unsigned vector, uint64_t address,
		       uint32_t data, bool masked)
{
	struct pc_msi_group *g = ctx;
	struct pc_msi *msi = g->msi;
	struct pc_msi_route *rt;

	if (vector >= g->nr)
		return;
	pthread_mutex_lock(&msi->lock);
	rt = &msi->routes[g->first + vector];
	rt->address = address;
	rt->data = data;
	rt->masked = masked;
	if (!masked && is_interrupt(address))
		install(msi, rt);
	pthread_mutex_unlock(&msi->lock);
}

static bool sink_fire(void *ctx, unsigned vector)
{
	struct pc_msi_group *g = ctx;
	struct pc_msi *msi = g->msi;
	struct pc_msi_route *rt;
	uint64_t one = 1;
	bool sent = false;

	if (vector >= g->nr)
		return false;
	pthread_mutex_lock(&msi->lock);
	rt = &msi->routes[g->first + vector];
	if (rt->masked) {
		sent = false;
	} else if (!is_interrupt(rt->address)) {
		msi->dropped++;
		if (!msi->drop_logged) {
			msi->drop_logged = true;
			log_warn("MSI to 0x%llx (GSI %u) is not an interrupt; dropped (logged once)",
				 (unsigned long long)rt->address, rt->gsi);
		}
		sent = true;
	} else if (install(msi, rt)) {
		sent = write(rt->irqfd, &one, sizeof(one)) == (ssize_t)sizeof(one);
		if (sent)
			msi->fired++;
	}
	pthread_mutex_unlock(&msi->lock);
	return sent;
}

/*
 * An in-kernel back end's eventfd delivers the vector by itself: bound to
 * the vector's GSI as a second irqfd, with the route in KVM's table.
 */
static int sink_attach(void *ctx, unsigned vector, int fd, bool on)
{
	struct pc_msi_group *g = ctx;
	struct pc_msi *msi = g->msi;
	struct pc_msi_route *rt;
	int r;

	if (vector >= g->nr)
		return err_set("MSI-X vector %u of %u", vector, g->nr);
	pthread_mutex_lock(&msi->lock);
	rt = &msi->routes[g->first + vector];
	if (!on)
		r = msi->kvm.unbind_irqfd(msi->kvm.ctx, fd, rt->gsi);
	else if (!is_interrupt(rt->address))
		r = err_set("MSI to 0x%llx (GSI %u) is not an interrupt",
			    (unsigned long long)rt->address, rt->gsi);
	else if (!install(msi, rt))
		r = err_set("no MSI route for GSI %u", rt->gsi);
	else
		r = msi->kvm.bind_irqfd(msi->kvm.ctx, fd, rt->gsi);
	pthread_mutex_unlock(&msi->lock);
	return r;
}

struct pc_msi *pc_msi_create(const struct pc_msi_kvm *kvm)
{
	struct pc_msi *msi = calloc(1, sizeof(*msi));

	if (!msi) {
		err_set("MSI routing: out of memory");
		return NULL;
	}
	msi->table = calloc(1, sizeof(*msi->table) +
				       TABLE_ENTRIES * sizeof(msi->table->entries[0]));
	if (!msi->table) {
		free(msi);
		err_set("MSI routing: out of memory");
		return NULL;
	}
	pthread_mutex_init(&msi->lock, NULL);
	msi->kvm = *kvm;
	static_routes(msi->fixed);
	pthread_mutex_lock(&msi->lock);
	if (issue(msi) < 0) {
		pthread_mutex_unlock(&msi->lock);
		pthread_mutex_destroy(&msi->lock);
		free(msi->table);
		free(msi);
		return NULL;
	}
	pthread_mutex_unlock(&msi->lock);
	return msi;
}

static int vm_set_routing(void *ctx, const struct kvm_irq_routing *table)
{
	struct vm *vm = ctx;

	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, table) < 0)
		return err_errno("KVM_SET_GSI_ROUTING (%u routes)", table->nr);
	return 0;
}

static int vm_bind_irqfd(void *ctx, int fd, unsigned gsi)
{
	struct vm *vm = ctx;
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = gsi };

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0)
		return err_set("MSI-X needs KVM_CAP_IRQFD, which this host does not have");
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return err_errno("KVM_IRQFD for GSI %u", gsi);
	return 0;
}

static int vm_unbind_irqfd(void *ctx, int fd, unsigned gsi)
{
	struct vm *vm = ctx;
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = gsi,
				   .flags = KVM_IRQFD_FLAG_DEASSIGN };

	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return err_errno("KVM_IRQFD deassign for GSI %u", gsi);
	return 0;
}

struct pc_msi *pc_msi_create_vm(struct vm *vm)
{
	struct pc_msi_kvm kvm = {
		.set_routing = vm_set_routing,
		.bind_irqfd = vm_bind_irqfd,
		.unbind_irqfd = vm_unbind_irqfd,
		.ctx = vm,
	};

	return pc_msi_create(&kvm);
}

int pc_msi_sink(struct pc_msi *msi, const char *who, unsigned nr_vectors,
		struct pci_msi_sink *sink)
{
	struct pc_msi_group *g;
	unsigned first;
	int r = 0;

	pthread_mutex_lock(&msi->lock);
	first = msi->nr_routes;
	if (nr_vectors == 0 || nr_vectors > PC_MSI_MAX_ROUTES - first) {
		r = err_set("%s: %u MSI-X vectors: the pc machine routes at most %d, %u are taken",
			    who, nr_vectors, PC_MSI_MAX_ROUTES, first);
		goto out;
	}
	for (unsigned i = 0; i < nr_vectors; i++) {
		struct pc_msi_route *rt = &msi->routes[first + i];
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		memset(rt, 0, sizeof(*rt));
		rt->gsi = PC_MSI_GSI_BASE + first + i;
		rt->masked = true;
		rt->irqfd = fd;
		if (fd < 0)
			r = err_errno("%s: eventfd for MSI-X vector %u", who, i);
		else if (msi->kvm.bind_irqfd(msi->kvm.ctx, fd, rt->gsi) < 0)
			r = err_set("%s: %s", who, err_msg());
		if (r == 0)
			continue;
		/* Undo this device's routes; the others stay. */
		for (unsigned j = 0; j <= i; j++)
			if (msi->routes[first + j].irqfd >= 0)
				close(msi->routes[first + j].irqfd);
		goto out;
	}
	msi->nr_routes = first + nr_vectors;
	g = &msi->groups[msi->nr_groups++];
	g->msi = msi;
	g->first = first;
	g->nr = nr_vectors;
	sink->route = sink_route;
	sink->fire = sink_fire;
	sink->attach = msi->kvm.unbind_irqfd ? sink_attach : NULL;
	sink->ctx = g;
out:
	pthread_mutex_unlock(&msi->lock);
	return r;
}

/* Back to the static table; the devices' reset masks their vectors. */
static void pc_msi_reset(void *opaque)
{
	struct pc_msi *msi = opaque;
	bool any = false;

	pthread_mutex_lock(&msi->lock);
	for (unsigned i = 0; i < msi->nr_routes; i++) {
		any |= msi->routes[i].in_table;
		msi->routes[i].in_table = false;
	}
	if (any && issue(msi) < 0)
		log_warn("MSI routing reset: %s", err_msg());
	pthread_mutex_unlock(&msi->lock);
}

static void pc_msi_destroy(void *opaque)
{
	struct pc_msi *msi = opaque;

	if (!msi)
		return;
	for (unsigned i = 0; i < msi->nr_routes; i++)
		if (msi->routes[i].irqfd >= 0)
			close(msi->routes[i].irqfd);
	pthread_mutex_destroy(&msi->lock);
	free(msi->table);
	free(msi);
}

const struct device_ops pc_msi_device_ops = {
	.type = "pc-msi",
	.version = 1,
	.reset = pc_msi_reset,
	.destroy = pc_msi_destroy,
};

struct pc_msi *pc_msi_of(struct vm *vm)
{
	struct device *d = device_list_find(&vm->devices, PC_MSI_DEVICE_NAME);

	return d && d->ops == &pc_msi_device_ops ? d->dev : NULL;
}

struct pci_host *pc_pci_host_of(struct vm *vm)
{
	struct device *d = device_list_find(&vm->devices, PC_PCI_HOST_NAME);

	return d && d->ops == &pci_host_device_ops ? d->dev : NULL;
}
