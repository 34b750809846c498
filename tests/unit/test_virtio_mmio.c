// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio register file (virtio 1.2, 4.2.2) driven the way Linux's
 * virtio_mmio driver drives it, with the entropy and console devices
 * behind it: identification, feature negotiation, queue setup, a request
 * answered, the interrupt status and its acknowledgement, the edge on the
 * interrupt line, 32-bit-only control registers, queue registers frozen
 * while ready, reset, and saved state.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "chardev.h"
#include "device.h"
#include "irq.h"
#include "log.h"
#include "mem.h"
#include "state.h"
#include "unit.h"
#include "vdriver.h"
#include "virtio/console.h"
#include "virtio/mmio.h"
#include "virtio/rng.h"
#include "virtio/virtio.h"

#define RAM_SIZE 0x40000ull
#define BASE 0xfe800000ull
#define DESC 0x1000ull
#define AVAIL 0x2000ull
#define USED 0x3000ull
#define BUF 0x8000ull

struct fx {
	struct guest_mem mem;
	struct mem_backend *ram;
	struct bus mmio;
	struct irq_line irq;
	int edges;
	struct virtio_mmio *m;
	struct vdrv drv;
	/* console host side */
	char out[256];
	size_t out_len;
	int rx_ready;
};

static void on_irq(struct irq_line *line, bool level)
{
	struct fx *f = line->ctx;

	if (level)
		f->edges++;
}

static uint32_t rd(struct fx *f, uint64_t off)
{
	uint8_t d[4];

	assert_int_equal(bus_read(&f->mmio, BASE + off, d, 4), BUS_OK);
	return (uint32_t)bus_data_get(d, 4);
}

static void wr(struct fx *f, uint64_t off, uint32_t v)
{
	uint8_t d[4];

	bus_data_put(d, 4, v);
	assert_int_equal(bus_write(&f->mmio, BASE + off, d, 4), BUS_OK);
}

static struct fx *fx_new(struct virtio_dev *(*make)(const char *,
						    const struct guest_mem *))
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	mem_init(&f->mem);
	f->ram = mem_backend_create(&f->mem, "ram", RAM_SIZE, NULL);
	assert_int_equal(mem_add_region(&f->mem, "ram", f->ram, 0, 0, RAM_SIZE,
					false, true), 0);
	bus_init(&f->mmio, "mmio", 0);
	irq_line_init(&f->irq, 16, on_irq, f);
	f->m = virtio_mmio_create(make("virtio0", &f->mem), &f->irq);
	assert_non_null(f->m);
	assert_int_equal(virtio_mmio_register(f->m, &f->mmio, BASE), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	virtio_mmio_device_ops.destroy(f->m);
	bus_destroy(&f->mmio);
	mem_destroy(&f->mem);
	free(f);
}

/* Linux's virtio_mmio probe and virtio_dev_probe, in order (3.1.1). */
static void bring_up(struct fx *f, unsigned nr_queues)
{
	wr(f, VIRTIO_MMIO_STATUS, 0);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_true(rd(f, VIRTIO_MMIO_DEVICE_FEATURES) & 1); /* VERSION_1 */
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	wr(f, VIRTIO_MMIO_STATUS, 0x0b);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0x0b);
	for (unsigned q = 0; q < nr_queues; q++) {
		uint64_t o = q * 0x4000ull;

		wr(f, VIRTIO_MMIO_QUEUE_SEL, q);
		assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
		assert_true(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX) >= 8);
		wr(f, VIRTIO_MMIO_QUEUE_NUM, 8);
		wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(DESC + o));
		wr(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
		wr(f, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(AVAIL + o));
		wr(f, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
		wr(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(USED + o));
		wr(f, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
		wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
		assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	}
	wr(f, VIRTIO_MMIO_STATUS, 0x0f);
}

static void test_identification(void **state)
{
	struct fx *f = fx_new(virtio_rng_create);
	uint8_t b = 0;

	(void)state;
	assert_int_equal(rd(f, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	assert_int_equal(rd(f, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	assert_int_equal(rd(f, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	assert_int_equal(rd(f, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
	/* A queue that does not exist has no size. */
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 5);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	/* Control registers only take 32-bit accesses: a byte read is 0. */
	unit_stderr_begin();
	assert_int_equal(bus_read(&f->mmio, BASE, &b, 1), BUS_OK);
	free(unit_stderr_end());
	assert_int_equal(b, 0);
	fx_free(f);
}

static void test_rng_request_and_interrupt(void **state)
{
	struct fx *f = fx_new(virtio_rng_create);
	struct vbuf b = { BUF, 64, true };
	uint8_t zeros[64] = { 0 };

	(void)state;
	bring_up(f, 1);
	vdrv_init(&f->drv, f->ram->hva, 8, DESC, AVAIL, USED);
	vdrv_add_chain(&f->drv, &b, 1);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(vdrv_used_idx(&f->drv), 1);
	assert_int_equal(vdrv_used_len(&f->drv, 0), 64);
	assert_memory_not_equal(f->ram->hva + BUF, zeros, 64);
	assert_int_equal(f->edges, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_ISR_QUEUE);
	wr(f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_ISR_QUEUE);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);

	/* Queue registers are frozen while the queue is ready. */
	unit_stderr_begin();
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, 4);
	free(unit_stderr_end());
	assert_int_equal(virtio_mmio_dev(f->m)->vqs[0].size, 8);

	/* A malformed chain: needs-reset and a config interrupt. */
	unit_stderr_begin();
	vdrv_publish(&f->drv, 200);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	free(unit_stderr_end());
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	assert_true(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_ISR_CONFIG);
	/* Reset: status, queues and the interrupt status back to 0. */
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	fx_free(f);
}

static void test_queue_enable_refused(void **state)
{
	struct fx *f = fx_new(virtio_rng_create);

	(void)state;
	wr(f, VIRTIO_MMIO_STATUS, 0x03);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(f, VIRTIO_MMIO_STATUS, 0x0b);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(RAM_SIZE + 0x1000));
	unit_stderr_begin();
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	free(unit_stderr_end());
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	fx_free(f);
}

static void host_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct fx *f = ctx;

	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
}

static void host_rx_ready(void *ctx)
{
	((struct fx *)ctx)->rx_ready++;
}

static void test_console_both_ways(void **state)
{
	struct fx *f = fx_new(virtio_console_create);
	struct virtio_dev *dev = virtio_mmio_dev(f->m);
	struct chardev_host host = { host_write, host_rx_ready, f };
	struct vdrv tx, rx;
	struct vbuf out = { BUF, 5, false }, in = { BUF + 0x100, 4, true };

	(void)state;
	virtio_console_set_host(dev, &host);
	/* Before the driver is up, input is refused and kept by the host. */
	assert_int_equal(virtio_console_receive(dev, (const uint8_t *)"ab", 2), 0);
	bring_up(f, 2);
	assert_true(f->rx_ready >= 1); /* activation: room maybe */
	vdrv_init(&rx, f->ram->hva, 8, DESC, AVAIL, USED);
	vdrv_init(&tx, f->ram->hva, 8, DESC + 0x4000, AVAIL + 0x4000,
		  USED + 0x4000);

	memcpy(f->ram->hva + BUF, "hello", 5);
	vdrv_add_chain(&tx, &out, 1);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(f->out_len, 5);
	assert_memory_equal(f->out, "hello", 5);
	assert_int_equal(vdrv_used_idx(&tx), 1);

	/* No receive buffer yet: refused; posting one says there is room. */
	f->rx_ready = 0;
	assert_int_equal(virtio_console_receive(dev, (const uint8_t *)"xyz12", 5), 0);
	vdrv_add_chain(&rx, &in, 1);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(f->rx_ready, 1);
	assert_int_equal(virtio_console_receive(dev, (const uint8_t *)"xyz12", 5), 4);
	assert_memory_equal(f->ram->hva + BUF + 0x100, "xyz1", 4);
	assert_int_equal(vdrv_used_len(&rx, 0), 4);
	fx_free(f);
}

static void test_save_load(void **state)
{
	struct fx *a = fx_new(virtio_rng_create), *b = fx_new(virtio_rng_create);
	struct vbuf buf = { BUF, 16, true };
	struct state_writer w;

	(void)state;
	bring_up(a, 1);
	vdrv_init(&a->drv, a->ram->hva, 8, DESC, AVAIL, USED);
	vdrv_add_chain(&a->drv, &buf, 1);
	wr(a, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	unit_state_save(&virtio_mmio_device_ops, a->m, &w);
	/* b shares nothing with a: give it a's RAM contents. */
	memcpy(b->ram->hva, a->ram->hva, RAM_SIZE);
	assert_int_equal(unit_state_load(&virtio_mmio_device_ops, b->m, w.buf,
					 w.len), 0);
	assert_int_equal(rd(b, VIRTIO_MMIO_STATUS), 0x0f);
	assert_int_equal(rd(b, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_ISR_QUEUE);
	b->drv = a->drv;
	b->drv.ram = b->ram->hva;
	vdrv_add_chain(&b->drv, &buf, 1);
	wr(b, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(vdrv_used_idx(&b->drv), 2); /* went on where a was */
	for (size_t len = 0; len < w.len; len++) {
		struct fx *c = fx_new(virtio_rng_create);

		assert_int_equal(unit_state_load(&virtio_mmio_device_ops, c->m,
						 w.buf, len), -1);
		fx_free(c);
	}
	state_writer_free(&w);
	fx_free(a);
	fx_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identification),
		cmocka_unit_test(test_rng_request_and_interrupt),
		cmocka_unit_test(test_queue_enable_refused),
		cmocka_unit_test(test_console_both_ways),
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests_name("virtio_mmio", tests, NULL, NULL);
}
