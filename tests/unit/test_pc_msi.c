// SPDX-License-Identifier: MIT
/*
 * The pc machine's GSI routing (arch/x86/pc_msi.c) against a recorder of
 * what it would give KVM (KVM_SET_GSI_ROUTING tables, KVM_IRQFD bindings):
 * the static PIC/IOAPIC routes, one GSI and irqfd per MSI-X vector, a
 * table issued again only when an unmasked vector's message changes,
 * masked vectors never fired, the bound on routes, a refused table, reset;
 * and a PCI device's MSI-X programmed through its BAR, delivered through
 * the irqfd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byteorder.h"
#include "dev/pci.h"
#include "layout.h"
#include "log.h"
#include "pc_msi.h"
#include "unit.h"

struct kvm_rec {
	struct kvm_irq_routing_entry last[PC_MSI_STATIC_ROUTES + PC_MSI_MAX_ROUTES];
	unsigned nr_last;
	unsigned tables;
	int bound_fd[PC_MSI_MAX_ROUTES + 1];
	unsigned bound_gsi[PC_MSI_MAX_ROUTES + 1];
	unsigned nr_bound;
	int unbound_fd;
	unsigned unbound_gsi, nr_unbound;
	bool refuse_table, refuse_irqfd;
};

static int rec_set_routing(void *ctx, const struct kvm_irq_routing *t)
{
	struct kvm_rec *k = ctx;

	if (k->refuse_table)
		return err_set("KVM_SET_GSI_ROUTING: Invalid argument");
	assert_true(t->nr <= PC_MSI_STATIC_ROUTES + PC_MSI_MAX_ROUTES);
	assert_int_equal(t->flags, 0);
	memcpy(k->last, t->entries, t->nr * sizeof(t->entries[0]));
	k->nr_last = t->nr;
	k->tables++;
	return 0;
}

static int rec_bind_irqfd(void *ctx, int fd, unsigned gsi)
{
	struct kvm_rec *k = ctx;

	if (k->refuse_irqfd)
		return err_set("KVM_IRQFD for GSI %u: No such device", gsi);
	assert_true(k->nr_bound <= PC_MSI_MAX_ROUTES);
	k->bound_fd[k->nr_bound] = fd;
	k->bound_gsi[k->nr_bound++] = gsi;
	return 0;
}

static int rec_unbind_irqfd(void *ctx, int fd, unsigned gsi)
{
	struct kvm_rec *k = ctx;

	k->unbound_fd = fd;
	k->unbound_gsi = gsi;
	k->nr_unbound++;
	return 0;
}

struct ctx {
	struct kvm_rec k;
	struct pc_msi *msi;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct pc_msi_kvm kvm = { rec_set_routing, rec_bind_irqfd, NULL, rec_unbind_irqfd };

	assert_non_null(c);
	kvm.ctx = &c->k;
	c->msi = pc_msi_create(&kvm);
	assert_non_null(c->msi);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	pc_msi_device_ops.destroy(c->msi);
	free(c);
	return 0;
}

/* The table's MSI entry for gsi, or NULL. */
static const struct kvm_irq_routing_entry *msi_entry(struct kvm_rec *k,
						       unsigned gsi)
{
	for (unsigned i = 0; i < k->nr_last; i++)
		if (k->last[i].gsi == gsi && k->last[i].type == KVM_IRQ_ROUTING_MSI)
			return &k->last[i];
	return NULL;
}

/* How many times the irqfd was signalled since the last look. */
static uint64_t signalled(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0; /* EAGAIN: not signalled */
	return n;
}

static void test_static_routes(void **state)
{
	struct ctx *c = *state;
	unsigned pic = 0, ioapic = 0;

	assert_int_equal(c->k.tables, 1);
	assert_int_equal(c->k.nr_last, PC_MSI_STATIC_ROUTES);
	for (unsigned i = 0; i < c->k.nr_last; i++) {
		const struct kvm_irq_routing_entry *e = &c->k.last[i];

		assert_int_equal(e->type, KVM_IRQ_ROUTING_IRQCHIP);
		if (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			ioapic++;
			assert_int_not_equal(e->gsi, 2);
			assert_int_equal(e->u.irqchip.pin, e->gsi == 0 ? 2 : e->gsi);
		} else {
			pic++;
			assert_int_not_equal(e->gsi, 2);
			assert_int_equal(e->u.irqchip.irqchip,
					 e->gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
						      KVM_IRQCHIP_PIC_SLAVE);
			assert_int_equal(e->u.irqchip.pin, e->gsi % 8);
		}
	}
	assert_int_equal(pic, 15);
	assert_int_equal(ioapic, PC_IOAPIC_PINS - 1);
}

static void test_routes_and_fire(void **state)
{
	struct ctx *c = *state;
	struct pci_msi_sink a, b;
	int fd0, fd1;

	assert_int_equal(pc_msi_sink(c->msi, "dev-a", 2, &a), 0);
	assert_int_equal(pc_msi_sink(c->msi, "dev-b", 3, &b), 0);
	/* One GSI and irqfd per vector, above the IOAPIC's pins. */
	assert_int_equal(c->k.nr_bound, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(c->k.bound_gsi[i], PC_MSI_GSI_BASE + i);
	fd0 = c->k.bound_fd[0];
	fd1 = c->k.bound_fd[3]; /* dev-b's vector 1 */
	assert_int_equal(c->k.tables, 1);

	/* Masked: recorded, not issued, not fired. */
	a.route(a.ctx, 0, 0xfee00000, 0x4021, true);
	assert_int_equal(c->k.tables, 1);
	assert_false(a.fire(a.ctx, 0));
	assert_int_equal(signalled(fd0), 0);
	/* Unmasked: into the table, at its GSI, next to the static routes. */
	a.route(a.ctx, 0, 0xfee00000, 0x4021, false);
	assert_int_equal(c->k.tables, 2);
	assert_int_equal(c->k.nr_last, PC_MSI_STATIC_ROUTES + 1);
	assert_non_null(msi_entry(&c->k, PC_MSI_GSI_BASE));
	assert_int_equal(msi_entry(&c->k, PC_MSI_GSI_BASE)->u.msi.address_lo, 0xfee00000);
	assert_int_equal(msi_entry(&c->k, PC_MSI_GSI_BASE)->u.msi.address_hi, 0);
	assert_int_equal(msi_entry(&c->k, PC_MSI_GSI_BASE)->u.msi.data, 0x4021);
	assert_true(a.fire(a.ctx, 0));
	assert_true(a.fire(a.ctx, 0));
	assert_int_equal(signalled(fd0), 2);
	/* The same message again: nothing issued. */
	a.route(a.ctx, 0, 0xfee00000, 0x4021, false);
	assert_int_equal(c->k.tables, 2);
	/* Masked, changed while masked (dword by dword), unmasked: once. */
	a.route(a.ctx, 0, 0xfee00000, 0x4021, true);
	a.route(a.ctx, 0, 0xfee01000, 0x4021, true);
	a.route(a.ctx, 0, 0xfee01000, 0x4022, true);
	assert_int_equal(c->k.tables, 2);
	assert_false(a.fire(a.ctx, 0));
	a.route(a.ctx, 0, 0xfee01000, 0x4022, false);
	assert_int_equal(c->k.tables, 3);
	assert_int_equal(msi_entry(&c->k, PC_MSI_GSI_BASE)->u.msi.address_lo, 0xfee01000);
	assert_int_equal(msi_entry(&c->k, PC_MSI_GSI_BASE)->u.msi.data, 0x4022);
	/* Another device's vector: its own GSI; the first route stays. */
	b.route(b.ctx, 1, 0xfee00000, 0x4031, false);
	assert_int_equal(c->k.nr_last, PC_MSI_STATIC_ROUTES + 2);
	assert_non_null(msi_entry(&c->k, PC_MSI_GSI_BASE));
	assert_int_equal(msi_entry(&c->k, PC_MSI_GSI_BASE + 3)->u.msi.data, 0x4031);
	assert_true(b.fire(b.ctx, 1));
	assert_int_equal(signalled(fd1), 1);
	assert_int_equal(signalled(fd0), 0);
	/* Vectors past the device's: ignored. */
	a.route(a.ctx, 2, 0xfee00000, 1, false);
	assert_false(a.fire(a.ctx, 2));
	assert_int_equal(c->k.nr_last, PC_MSI_STATIC_ROUTES + 2);
	assert_int_equal(c->msi->fired, 3);
}

/* Not an interrupt (a memory write on a PC): never in the table, dropped. */
static void test_not_an_interrupt(void **state)
{
	struct ctx *c = *state;
	struct pci_msi_sink s;

	assert_int_equal(pc_msi_sink(c->msi, "dev", 1, &s), 0);
	s.route(s.ctx, 0, 0x12345000, 0x1, false);
	assert_int_equal(c->k.tables, 1);
	unit_stderr_begin();
	log_set_level(LOG_WARN);
	assert_true(s.fire(s.ctx, 0));
	assert_true(s.fire(s.ctx, 0));
	log_set_level(LOG_ERROR);
	{
		char *err = unit_stderr_end();

		assert_int_equal(unit_count(err, "is not an interrupt"), 1);
		free(err);
	}
	assert_int_equal(signalled(c->k.bound_fd[0]), 0);
	assert_int_equal(c->msi->dropped, 2);
	s.route(s.ctx, 0, 0x1fee00000ull, 0x1, false); /* upper half not 0 */
	assert_true(s.fire(s.ctx, 0));
	assert_int_equal(signalled(c->k.bound_fd[0]), 0);
	assert_int_equal(c->k.nr_last, PC_MSI_STATIC_ROUTES);
}

static void test_bounded_and_refusals(void **state)
{
	struct ctx *c = *state;
	struct pci_msi_sink s;

	assert_int_equal(pc_msi_sink(c->msi, "big", PC_MSI_MAX_ROUTES - 1, &s), 0);
	assert_int_equal(pc_msi_sink(c->msi, "one-too-many", 2, &s), -1);
	assert_err_contains("one-too-many: 2 MSI-X vectors: the pc machine routes at most 256, 255 are taken");
	assert_int_equal(pc_msi_sink(c->msi, "none", 0, &s), -1);
	c->k.refuse_irqfd = true;
	assert_int_equal(pc_msi_sink(c->msi, "no-irqfd", 1, &s), -1);
	assert_err_contains("no-irqfd: KVM_IRQFD for GSI 279");
	c->k.refuse_irqfd = false;
	assert_int_equal(pc_msi_sink(c->msi, "last", 1, &s), 0);
	assert_int_equal(c->k.bound_gsi[c->k.nr_bound - 1],
			 PC_MSI_GSI_BASE + PC_MSI_MAX_ROUTES - 1);
	assert_int_equal(c->msi->nr_routes, PC_MSI_MAX_ROUTES);
}

/* KVM refusing the table: the vector is not fired; later it goes. */
static void test_refused_table(void **state)
{
	struct ctx *c = *state;
	struct pci_msi_sink s;

	assert_int_equal(pc_msi_sink(c->msi, "dev", 1, &s), 0);
	c->k.refuse_table = true;
	unit_stderr_begin();
	log_set_level(LOG_WARN);
	s.route(s.ctx, 0, 0xfee00000, 0x30, false);
	assert_false(s.fire(s.ctx, 0));
	log_set_level(LOG_ERROR);
	free(unit_stderr_end());
	assert_int_equal(signalled(c->k.bound_fd[0]), 0);
	c->k.refuse_table = false;
	/* The next fire puts the route in first. */
	assert_true(s.fire(s.ctx, 0));
	assert_int_equal(signalled(c->k.bound_fd[0]), 1);
	assert_int_equal(msi_entry(&c->k, PC_MSI_GSI_BASE)->u.msi.data, 0x30);
}

static void test_reset(void **state)
{
	struct ctx *c = *state;
	struct pci_msi_sink s;

	assert_int_equal(pc_msi_sink(c->msi, "dev", 2, &s), 0);
	s.route(s.ctx, 1, 0xfee00000, 0x41, false);
	assert_int_equal(c->k.nr_last, PC_MSI_STATIC_ROUTES + 1);
	pc_msi_device_ops.reset(c->msi);
	assert_int_equal(c->k.nr_last, PC_MSI_STATIC_ROUTES);
	assert_int_equal(c->k.tables, 3);
	/* Nothing in the table: a second reset issues nothing. */
	pc_msi_device_ops.reset(c->msi);
	assert_int_equal(c->k.tables, 3);
	/* GSIs and irqfds stay; the route comes back when used. */
	assert_true(s.fire(s.ctx, 1));
	assert_int_equal(c->k.nr_last, PC_MSI_STATIC_ROUTES + 1);
	assert_int_equal(signalled(c->k.bound_fd[1]), 1);
}

/* A PCI device programmed through its BAR, delivering through the irqfd. */
static void test_with_a_pci_device(void **state)
{
	static const struct pci_device_info info = { .vendor_id = 0x1af4 };
	struct ctx *c = *state;
	struct pci_device d;
	struct pci_msi_sink s;
	uint8_t v[4];
	int fd;

	assert_int_equal(pci_device_init(&d, "dev", &info, NULL, NULL), 0);
	assert_int_equal(pci_bar_init(&d, 1, 0x1000, PCI_BAR_MEM32), 0);
	assert_int_equal(pc_msi_sink(c->msi, "dev", 2, &s), 0);
	assert_int_equal(pci_msix_init(&d, 2, 1, 0, 0x800, &s), 0);
	fd = c->k.bound_fd[1];
	le_put(v, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	pci_config_write(&d, PCI_COMMAND, v, 2);
	le_put(v, PCI_MSIX_FLAGS_ENABLE, 2);
	pci_config_write(&d, d.msix.cap + PCI_MSIX_FLAGS, v, 2);
	le_put(v, 0xfee00000, 4);
	pci_bar_write(&d, 1, 16 + PCI_MSIX_ENTRY_LOWER_ADDR, v, 4);
	le_put(v, 0x4051, 4);
	pci_bar_write(&d, 1, 16 + PCI_MSIX_ENTRY_DATA, v, 4);
	assert_int_equal(c->k.tables, 1); /* still masked */
	assert_int_equal(pci_msix_notify(&d, 1), PCI_MSIX_PENDING);
	le_put(v, 0, 4);
	pci_bar_write(&d, 1, 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, v, 4);
	/* Unmasked: one table with the message, the pending one delivered. */
	assert_int_equal(c->k.tables, 2);
	assert_int_equal(msi_entry(&c->k, PC_MSI_GSI_BASE + 1)->u.msi.data, 0x4051);
	assert_int_equal(signalled(fd), 1);
	assert_int_equal(pci_msix_notify(&d, 1), PCI_MSIX_SENT);
	assert_int_equal(signalled(fd), 1);

	/* A back end's eventfd: a second irqfd on the vector's GSI. */
	assert_non_null(s.attach);
	assert_int_equal(pci_msix_attach_fd(&d, 1, 77), 0);
	assert_int_equal(c->k.bound_fd[c->k.nr_bound - 1], 77);
	assert_int_equal(c->k.bound_gsi[c->k.nr_bound - 1], PC_MSI_GSI_BASE + 1);
	/* Masked: KVM lets it go (what it counts then waits in the fd). */
	le_put(v, 1, 4);
	pci_bar_write(&d, 1, 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, v, 4);
	assert_int_equal(c->k.nr_unbound, 1);
	assert_int_equal(c->k.unbound_fd, 77);
	assert_int_equal(c->k.unbound_gsi, PC_MSI_GSI_BASE + 1);
	le_put(v, 0, 4);
	pci_bar_write(&d, 1, 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, v, 4);
	assert_int_equal(c->k.bound_fd[c->k.nr_bound - 1], 77);
	pci_msix_detach_fd(&d, 77);
	assert_int_equal(c->k.nr_unbound, 2);
	/* Vector 0's message is not an interrupt: never bound. */
	le_put(v, 0, 4);
	pci_bar_write(&d, 1, PCI_MSIX_ENTRY_VECTOR_CTRL, v, 4);
	assert_int_equal(pci_msix_attach_fd(&d, 0, 78), 0);
	assert_int_not_equal(c->k.bound_fd[c->k.nr_bound - 1], 78);
	pci_msix_detach_fd(&d, 78);
	assert_int_equal(c->k.nr_unbound, 2);
	pci_device_destroy(&d);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_static_routes),
		T(test_routes_and_fire),
		T(test_not_an_interrupt),
		T(test_bounded_and_refusals),
		T(test_refused_table),
		T(test_reset),
		T(test_with_a_pci_device),
	};
#undef T

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests_name("pc_msi", tests, NULL, NULL);
}
