// SPDX-License-Identifier: MIT
/*
 * The virtio-pci transport (virtio 1.2, 4.1) on bus 0, found and driven
 * the way Linux's virtio_pci_modern does it: the identity and the vendor
 * capabilities walked through configuration space, BARs placed, feature
 * negotiation and a queue through the common configuration, a request to
 * the entropy device answered and its MSI-X vector fired, the ISR read to
 * clear, the PCI configuration access capability, config vectors out of
 * range refused, reset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "irq.h"
#include "log.h"
#include "mem.h"
#include "pci_fake.h"
#include "unit.h"
#include "vdriver.h"
#include "virtio/pci.h"
#include "virtio/rng.h"
#include "virtio/virtio.h"

#define RAM_SIZE 0x40000ull
#define SLOT 2
#define BAR4 0xe0004000ull
#define BAR1 0xe0000000ull
#define DESC 0x1000ull
#define AVAIL 0x2000ull
#define USED 0x3000ull
#define BUF 0x8000ull

struct fx {
	struct guest_mem mem;
	struct mem_backend *ram;
	struct bus0 *b;
	struct sink_rec sink;
	struct virtio_pci *p;
	struct vdrv drv;
};

static uint32_t vcfg_rd(struct fx *f, unsigned reg, uint32_t len)
{
	cfg_select(f->b, SLOT, 0, reg);
	return port_in(f->b, (uint16_t)(PCI_CONFIG_DATA_PORT + (reg & 3)), len);
}

static void vcfg_wr(struct fx *f, unsigned reg, uint32_t len, uint32_t v)
{
	cfg_select(f->b, SLOT, 0, reg);
	port_out(f->b, (uint16_t)(PCI_CONFIG_DATA_PORT + (reg & 3)), len, v);
}

static uint64_t mm_rd(struct fx *f, uint64_t addr, uint32_t len)
{
	uint8_t d[8];

	assert_int_equal(bus_read(&f->b->mmio, addr, d, len), BUS_OK);
	return bus_data_get(d, len);
}

static void mm_wr(struct fx *f, uint64_t addr, uint32_t len, uint64_t v)
{
	uint8_t d[8];

	bus_data_put(d, len, v);
	assert_int_equal(bus_write(&f->b->mmio, addr, d, len), BUS_OK);
}

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pci_msi_sink sink;

	assert_non_null(f);
	mem_init(&f->mem);
	f->ram = mem_backend_create(&f->mem, "ram", RAM_SIZE, NULL);
	assert_int_equal(mem_add_region(&f->mem, "ram", f->ram, 0, 0, RAM_SIZE,
					false, true), 0);
	f->b = bus0_new();
	sink = (struct pci_msi_sink){ fake_route, fake_fire, &f->sink, fake_attach };
	f->p = virtio_pci_create(virtio_rng_create("virtio-rng0", &f->mem), &sink);
	assert_non_null(f->p);
	assert_int_equal(pci_host_add_device(f->b->host, virtio_pci_device(f->p),
					     SLOT), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	virtio_pci_device_ops.destroy(f->p);
	bus0_free(f->b);
	mem_destroy(&f->mem);
	free(f);
}

/* The capability of cfg_type `type`: its offset in config space, or 0. */
static unsigned find_cap(struct fx *f, uint8_t type)
{
	unsigned at = vcfg_rd(f, PCI_CAPABILITY_LIST, 1);

	for (int hops = 0; at && hops < 48; hops++) {
		if (vcfg_rd(f, at, 1) == PCI_CAP_ID_VNDR && vcfg_rd(f, at + 3, 1) == type)
			return at;
		at = vcfg_rd(f, at + 1, 1);
	}
	return 0;
}

static void place_bars(struct fx *f)
{
	vcfg_wr(f, PCI_BASE_ADDRESS_1, 4, (uint32_t)BAR1);
	vcfg_wr(f, PCI_BASE_ADDRESS_4, 4, (uint32_t)BAR4 | 0xc);
	vcfg_wr(f, PCI_BASE_ADDRESS_5, 4, 0);
	vcfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

#define COMMON(off) (BAR4 + VIRTIO_PCI_COMMON + (off))

static void test_identity_and_capabilities(void **state)
{
	struct fx *f = fx_new();
	unsigned notify;

	(void)state;
	assert_int_equal(vcfg_rd(f, PCI_VENDOR_ID, 2), VIRTIO_PCI_VENDOR);
	assert_int_equal(vcfg_rd(f, PCI_DEVICE_ID, 2), 0x1040 + VIRTIO_ID_RNG);
	assert_int_equal(vcfg_rd(f, PCI_REVISION_ID, 1), 1);
	assert_true(vcfg_rd(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (uint8_t t = VIRTIO_PCI_CAP_COMMON_CFG; t <= VIRTIO_PCI_CAP_PCI_CFG; t++)
		assert_true(find_cap(f, t) != 0);
	notify = find_cap(f, VIRTIO_PCI_CAP_NOTIFY_CFG);
	assert_int_equal(vcfg_rd(f, notify + 4, 1), VIRTIO_PCI_BAR);
	assert_int_equal(vcfg_rd(f, notify + 8, 4), VIRTIO_PCI_NOTIFY);
	assert_int_equal(vcfg_rd(f, notify + 16, 4), VIRTIO_PCI_NOTIFY_MULTIPLIER);
	/* BAR 4 is 64-bit prefetchable memory of 16 KiB. */
	vcfg_wr(f, PCI_BASE_ADDRESS_4, 4, 0xffffffff);
	assert_int_equal(vcfg_rd(f, PCI_BASE_ADDRESS_4, 4),
			 (uint32_t)(~(VIRTIO_PCI_BAR_SIZE - 1u)) | 0xc);
	fx_free(f);
}

static void test_negotiate_queue_request_msix(void **state)
{
	struct fx *f = fx_new();
	struct vbuf b = { BUF, 32, true };
	unsigned msix;

	(void)state;
	place_bars(f);
	/* MSI-X on, vectors 0 (config) and 1 (queue 0) unmasked. */
	msix = f->p ? virtio_pci_device(f->p)->msix.cap : 0;
	vcfg_wr(f, msix + 2, 2, PCI_MSIX_FLAGS_ENABLE);
	for (unsigned v = 0; v < 2; v++) {
		mm_wr(f, BAR1 + 16 * v, 4, 0xfee00000);
		mm_wr(f, BAR1 + 16 * v + 8, 4, 0x40 + v);
		mm_wr(f, BAR1 + 16 * v + 12, 4, 0);
	}

	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 3);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_DFSELECT), 4, 1);
	assert_true(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_DF), 4) & 1);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_GFSELECT), 4, 1);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_GF), 4, 1);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0x0b);
	assert_int_equal(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1), 0x0b);
	assert_int_equal(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_NUMQ), 2), 1);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 2, 0);
	assert_int_equal(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 2), 0);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
	assert_int_equal(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2), 256);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2, 8);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2, 1);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 4, DESC);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCHI), 4, 0);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_AVAILLO), 8, AVAIL); /* one 64-bit */
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_USEDLO), 4, USED);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_USEDHI), 4, 0);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
	assert_int_equal(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 1);
	/* Frozen while enabled. */
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2, 4);
	assert_int_equal(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2), 8);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0x0f);

	vdrv_init(&f->drv, f->ram->hva, 8, DESC, AVAIL, USED);
	vdrv_add_chain(&f->drv, &b, 1);
	mm_wr(f, BAR4 + VIRTIO_PCI_NOTIFY, 2, 0); /* queue 0 */
	assert_int_equal(vdrv_used_idx(&f->drv), 1);
	assert_int_equal(vdrv_used_len(&f->drv, 0), 32);
	assert_int_equal(f->sink.fired[1], 1); /* the queue's vector */
	assert_int_equal(last_route(&f->sink, 1)->data, 0x41);
	/* The ISR bit is set too, and reading clears it. */
	assert_int_equal(mm_rd(f, BAR4 + VIRTIO_PCI_ISR, 1), VIRTIO_ISR_QUEUE);
	assert_int_equal(mm_rd(f, BAR4 + VIRTIO_PCI_ISR, 1), 0);

	/* A vector beyond the table reads back as NO_VECTOR (4.1.5.1.2). */
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 2, 7);
	assert_int_equal(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_MSIX), 2),
			 VIRTIO_MSI_NO_VECTOR);

	/* Reset: status 0, the queue off, vectors back to none. */
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	assert_int_equal(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1), 0);
	assert_int_equal(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 0);
	assert_int_equal(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2),
			 VIRTIO_MSI_NO_VECTOR);
	fx_free(f);
}

static void test_pci_cfg_access_capability(void **state)
{
	struct fx *f = fx_new();
	unsigned cap;

	(void)state;
	place_bars(f);
	cap = find_cap(f, VIRTIO_PCI_CAP_PCI_CFG);
	/* Read num_queues (common cfg offset 18, 2 bytes) through the window. */
	vcfg_wr(f, cap + 4, 1, VIRTIO_PCI_BAR);
	vcfg_wr(f, cap + 8, 4, VIRTIO_PCI_COMMON + VIRTIO_PCI_COMMON_NUMQ);
	vcfg_wr(f, cap + 12, 4, 2);
	assert_int_equal(vcfg_rd(f, cap + 16, 2), 1);
	/* Write the status through it. */
	vcfg_wr(f, cap + 8, 4, VIRTIO_PCI_COMMON + VIRTIO_PCI_COMMON_STATUS);
	vcfg_wr(f, cap + 12, 4, 1);
	vcfg_wr(f, cap + 16, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(mm_rd(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1),
			 VIRTIO_STATUS_ACKNOWLEDGE);
	/* A window past the BAR reads nothing. */
	vcfg_wr(f, cap + 8, 4, VIRTIO_PCI_BAR_SIZE);
	vcfg_wr(f, cap + 12, 4, 4);
	assert_int_equal(vcfg_rd(f, cap + 16, 4), 0);
	fx_free(f);
}

static void on_intx(struct irq_line *line, bool level)
{
	*(int *)line->ctx = level;
}

/* Without MSI-X: INTA# up with the ISR bit, down when the ISR is read. */
static void test_intx_without_msix(void **state)
{
	struct fx *f = fx_new();
	struct vbuf b = { BUF, 8, true };
	struct irq_line line;
	int level = 0;

	(void)state;
	irq_line_init(&line, 10, on_intx, &level);
	virtio_pci_set_intx(f->p, &line);
	assert_int_equal(vcfg_rd(f, PCI_INTERRUPT_PIN, 1), 1);
	place_bars(f);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 3);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_GFSELECT), 4, 1);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_GF), 4, 1);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0x0b);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2, 8);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 4, DESC);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_AVAILLO), 4, AVAIL);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_USEDLO), 4, USED);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
	mm_wr(f, COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0x0f);
	vdrv_init(&f->drv, f->ram->hva, 8, DESC, AVAIL, USED);
	vdrv_add_chain(&f->drv, &b, 1);
	mm_wr(f, BAR4 + VIRTIO_PCI_NOTIFY, 2, 0);
	assert_int_equal(level, 1);
	assert_int_equal(f->sink.nr_fired, 0);
	assert_int_equal(mm_rd(f, BAR4 + VIRTIO_PCI_ISR, 1), VIRTIO_ISR_QUEUE);
	assert_int_equal(level, 0);
	/* INTx disabled in the command register: no interrupt. */
	vcfg_wr(f, PCI_COMMAND, 2,
		PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	vdrv_add_chain(&f->drv, &b, 1);
	mm_wr(f, BAR4 + VIRTIO_PCI_NOTIFY, 2, 0);
	assert_int_equal(level, 0);
	virtio_pci_set_intx(f->p, NULL);
	assert_int_equal(vcfg_rd(f, PCI_INTERRUPT_PIN, 1), 0);
	fx_free(f);
}

static void test_bar_unmapped_is_unreachable(void **state)
{
	struct fx *f = fx_new();
	uint8_t d[4];

	(void)state;
	/* No BAR programmed: the window answers all-ones, logged. */
	unit_stderr_begin();
	bus_read(&f->b->mmio, COMMON(VIRTIO_PCI_COMMON_NUMQ), d, 2);
	free(unit_stderr_end());
	assert_int_equal(bus_data_get(d, 2), 0xffff);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_and_capabilities),
		cmocka_unit_test(test_negotiate_queue_request_msix),
		cmocka_unit_test(test_pci_cfg_access_capability),
		cmocka_unit_test(test_intx_without_msix),
		cmocka_unit_test(test_bar_unmapped_is_unreachable),
	};

	return cmocka_run_group_tests_name("virtio_pci", tests, NULL, NULL);
}
