// SPDX-License-Identifier: MIT
/*
 * Split virtqueues from the device side, against a driver written here:
 * chains (direct, indirect, across regions), the used ring, the 16-bit
 * indices wrapping, notification suppression (NO_INTERRUPT, EVENT_IDX,
 * NO_NOTIFY/avail_event), every malicious chain the header lists, queue
 * configurations refused at enable time, and saved state.  Then the
 * virtio core: features, status, reset, config space, needs-reset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "iov.h"
#include "log.h"
#include "mem.h"
#include "state.h"
#include "unit.h"
#include "vdriver.h"
#include "virtio/virtio.h"
#include "virtio/virtqueue.h"

/* Guest memory: RAM 0-1 MiB, then one page of ROM, then a hole. */
#define RAM_SIZE 0x100000ull
#define ROM_GPA RAM_SIZE
#define DESC_GPA 0x1000ull
#define AVAIL_GPA 0x5000ull
#define USED_GPA 0x6000ull
#define BUF_GPA 0x10000ull

struct fx {
	struct guest_mem mem;
	struct mem_backend *ram, *rom;
	struct virtqueue vq;
	struct vdrv drv;
	uint16_t size;
};

static uint8_t *ram(struct fx *f, uint64_t gpa)
{
	return f->ram->hva + gpa;
}

static void fx_queue(struct fx *f, uint16_t size, bool event_idx,
		     bool indirect)
{
	vq_init(&f->vq, &f->mem, 0, "test");
	f->size = size;
	f->vq.size = size;
	f->vq.desc_gpa = DESC_GPA;
	f->vq.avail_gpa = AVAIL_GPA;
	f->vq.used_gpa = USED_GPA;
	f->vq.event_idx = event_idx;
	f->vq.indirect = indirect;
	vdrv_init(&f->drv, f->ram->hva, size, DESC_GPA, AVAIL_GPA, USED_GPA);
	assert_int_equal(vq_enable(&f->vq), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	mem_init(&f->mem);
	f->ram = mem_backend_create(&f->mem, "ram", RAM_SIZE, NULL);
	f->rom = mem_backend_create(&f->mem, "rom", 0x1000, NULL);
	assert_non_null(f->ram);
	assert_non_null(f->rom);
	assert_int_equal(mem_add_region(&f->mem, "ram", f->ram, 0, 0, RAM_SIZE,
					false, true), 0);
	assert_int_equal(mem_add_region(&f->mem, "rom", f->rom, 0, ROM_GPA,
					0x1000, true, false), 0);
	fx_queue(f, 16, false, true);
	log_set_level(LOG_ERROR); /* the breakage warnings are expected */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mem_destroy(&f->mem);
	free(f);
	log_set_level(LOG_WARN);
	return 0;
}

#define put_desc vdrv_put_desc

static void publish(struct fx *f, uint16_t head)
{
	vdrv_publish(&f->drv, head);
}

static uint16_t add_chain(struct fx *f, const struct vbuf *b, unsigned n)
{
	return vdrv_add_chain(&f->drv, b, n);
}

static struct vq_chain chain;

static void test_direct_chain_and_used_ring(void **state)
{
	struct fx *f = *state;
	struct vbuf b[3] = {
		{ BUF_GPA, 16, false },
		{ BUF_GPA + 0x100, 4, false },
		{ BUF_GPA + 0x200, 512, true },
	};
	uint8_t hdr[16];
	uint16_t head;

	memcpy(ram(f, BUF_GPA), "header-0123456789", 16);
	head = add_chain(f, b, 3);
	assert_true(vq_has_avail(&f->vq));
	assert_int_equal(vq_pop(&f->vq, &chain), VQ_GOT);
	assert_int_equal(chain.head, head);
	assert_int_equal(chain.nr_out, 2);
	assert_int_equal(chain.nr_in, 1);
	assert_int_equal(chain.out_len, 20);
	assert_int_equal(chain.in_len, 512);
	assert_int_equal(iov_to_buf(chain.out, chain.nr_out, 0, hdr, 16), 16);
	assert_memory_equal(hdr, "header-012345678", 16);
	assert_int_equal(iov_from_buf(chain.in, chain.nr_in, 10, "done", 4), 4);
	assert_memory_equal(ram(f, BUF_GPA + 0x200 + 10), "done", 4);
	assert_int_equal(vq_pop(&f->vq, &chain), VQ_EMPTY);

	vq_push(&f->vq, head, 14);
	assert_int_equal(le_get(ram(f, USED_GPA + 2), 2), 1);
	assert_int_equal(le_get(ram(f, USED_GPA + 4), 4), head);
	assert_int_equal(le_get(ram(f, USED_GPA + 8), 4), 14);
	assert_true(vq_should_notify(&f->vq));
	/* The driver asks for no interrupts. */
	le_put(ram(f, AVAIL_GPA), VIRTQ_AVAIL_F_NO_INTERRUPT, 2);
	vq_push(&f->vq, head, 1);
	assert_false(vq_should_notify(&f->vq));
}

static void test_indirect_chain(void **state)
{
	struct fx *f = *state;
	uint64_t table = BUF_GPA + 0x1000;

	put_desc(ram(f, table), 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	put_desc(ram(f, table), 1, BUF_GPA + 8, 8, VIRTQ_DESC_F_NEXT, 2);
	put_desc(ram(f, table), 2, BUF_GPA + 0x100, 64, VIRTQ_DESC_F_WRITE, 0);
	put_desc(ram(f, DESC_GPA), 0, table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &chain), VQ_GOT);
	assert_int_equal(chain.nr_out, 2);
	assert_int_equal(chain.out_len, 16);
	assert_int_equal(chain.in_len, 64);
}

static void test_chain_across_regions_gives_two_pieces(void **state)
{
	struct fx *f = *state;
	/* A readable buffer from the end of RAM into the ROM page. */
	struct vbuf b = { RAM_SIZE - 8, 16, false };

	add_chain(f, &b, 1);
	assert_int_equal(vq_pop(&f->vq, &chain), VQ_GOT);
	assert_int_equal(chain.nr_out, 2);
	assert_int_equal(chain.out[0].iov_len, 8);
	assert_int_equal(chain.out[1].iov_len, 8);
}

static void test_indices_wrap(void **state)
{
	struct fx *f = *state;
	struct vbuf b = { BUF_GPA, 4, true };

	fx_queue(f, 4, false, false);
	for (unsigned i = 0; i < 70000; i++) {
		add_chain(f, &b, 1);
		assert_int_equal(vq_pop(&f->vq, &chain), VQ_GOT);
		vq_push(&f->vq, chain.head, 4);
	}
	assert_int_equal(f->vq.last_avail, (uint16_t)70000);
	assert_int_equal(le_get(ram(f, USED_GPA + 2), 2), (uint16_t)70000);
	assert_int_equal(vq_pop(&f->vq, &chain), VQ_EMPTY);
	assert_false(f->vq.broken);
}

static void test_event_idx(void **state)
{
	struct fx *f = *state;
	struct vbuf b = { BUF_GPA, 4, true };
	uint64_t used_event = AVAIL_GPA + 4 + 2 * 16;
	uint64_t avail_event = USED_GPA + 4 + 8 * 16;

	fx_queue(f, 16, true, false);
	/* The first push always notifies; then only when used_event passes. */
	le_put(ram(f, used_event), 2, 2);
	for (unsigned i = 0; i < 4; i++) {
		add_chain(f, &b, 1);
		assert_int_equal(vq_pop(&f->vq, &chain), VQ_GOT);
		/* Popping asks for a kick at the next entry. */
		assert_int_equal(le_get(ram(f, avail_event), 2), i + 1);
		vq_push(&f->vq, chain.head, 4);
		/* used idx becomes i+1; the driver wants it when it passes 2. */
		assert_int_equal(vq_should_notify(&f->vq), i == 0 || i == 2);
	}
	/* NO_INTERRUPT is ignored with EVENT_IDX. */
	le_put(ram(f, AVAIL_GPA), VIRTQ_AVAIL_F_NO_INTERRUPT, 2);
	le_put(ram(f, used_event), 4, 2);
	add_chain(f, &b, 1);
	assert_int_equal(vq_pop(&f->vq, &chain), VQ_GOT);
	vq_push(&f->vq, chain.head, 4);
	assert_true(vq_should_notify(&f->vq));

	/* Kick suppression for a polling device: avail_event follows avail idx. */
	vq_disable_notify(&f->vq);
	add_chain(f, &b, 1);
	assert_true(vq_enable_notify(&f->vq));
	assert_int_equal(le_get(ram(f, avail_event), 2), f->drv.avail_idx);
}

static void test_no_notify_flag_without_event_idx(void **state)
{
	struct fx *f = *state;

	vq_disable_notify(&f->vq);
	assert_int_equal(le_get(ram(f, USED_GPA), 2), VIRTQ_USED_F_NO_NOTIFY);
	assert_false(vq_enable_notify(&f->vq));
	assert_int_equal(le_get(ram(f, USED_GPA), 2), 0);
}

/* One malicious chain: pop refuses it and the queue stays broken. */
static void expect_broken(struct fx *f)
{
	assert_int_equal(vq_pop(&f->vq, &chain), VQ_BROKEN);
	assert_true(f->vq.broken);
	assert_int_equal(vq_pop(&f->vq, &chain), VQ_BROKEN);
}

static void test_malicious_loop(void **state)
{
	struct fx *f = *state;

	put_desc(ram(f, DESC_GPA), 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	put_desc(ram(f, DESC_GPA), 1, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 0);
	publish(f, 0);
	expect_broken(f);
}

static void test_malicious_head_and_avail_idx(void **state)
{
	struct fx *f = *state;

	publish(f, 16); /* head beyond a queue of 16 */
	expect_broken(f);

	fx_queue(f, 16, false, true);
	le_put(ram(f, AVAIL_GPA + 2), 17, 2); /* 17 new entries in 16 slots */
	expect_broken(f);
}

static void test_malicious_addresses(void **state)
{
	struct fx *f = *state;
	struct vbuf outside = { RAM_SIZE + 0x1000, 16, false }; /* the hole */
	struct vbuf rom = { ROM_GPA, 16, true }; /* device writes ROM */
	struct vbuf wrap = { UINT64_MAX - 4, 16, false };

	add_chain(f, &outside, 1);
	expect_broken(f);
	fx_queue(f, 16, false, true);
	add_chain(f, &rom, 1);
	expect_broken(f);
	fx_queue(f, 16, false, true);
	add_chain(f, &wrap, 1);
	expect_broken(f);
}

static void test_malicious_order_next_and_length(void **state)
{
	struct fx *f = *state;
	struct vbuf order[2] = { { BUF_GPA, 4, true }, { BUF_GPA, 4, false } };

	add_chain(f, order, 2); /* readable after writable (2.7.4.2) */
	expect_broken(f);

	fx_queue(f, 16, false, true);
	put_desc(ram(f, DESC_GPA), 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 99);
	publish(f, 0);
	expect_broken(f);

	/* More bytes than a chain may carry: 2 x 40 MiB would be 80. */
	fx_queue(f, 16, false, true);
	put_desc(ram(f, DESC_GPA), 0, 0, 40u << 20, VIRTQ_DESC_F_NEXT, 1);
	put_desc(ram(f, DESC_GPA), 1, 0, 40u << 20, 0, 0);
	publish(f, 0);
	expect_broken(f);
}

static void test_malicious_too_many_pieces(void **state)
{
	struct fx *f = *state;
	struct vbuf *b = calloc(VQ_MAX_IOV + 1, sizeof(*b));

	fx_queue(f, VQ_MAX_SIZE, false, false);
	for (unsigned i = 0; i <= VQ_MAX_IOV; i++)
		b[i] = (struct vbuf){ BUF_GPA + 8 * i, 8, false };
	add_chain(f, b, VQ_MAX_IOV + 1);
	expect_broken(f);
	free(b);
}

static void test_malicious_indirect(void **state)
{
	struct fx *f = *state;
	uint64_t table = BUF_GPA + 0x1000;

	/* Without the feature. */
	fx_queue(f, 16, false, false);
	put_desc(ram(f, table), 0, BUF_GPA, 8, 0, 0);
	put_desc(ram(f, DESC_GPA), 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_broken(f);
	/* Nested. */
	fx_queue(f, 16, false, true);
	put_desc(ram(f, table), 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(ram(f, DESC_GPA), 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_broken(f);
	/* Not a multiple of 16, empty, with NEXT, outside RAM. */
	fx_queue(f, 16, false, true);
	put_desc(ram(f, DESC_GPA), 0, table, 24, VIRTQ_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_broken(f);
	fx_queue(f, 16, false, true);
	put_desc(ram(f, DESC_GPA), 0, table, 0, VIRTQ_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_broken(f);
	fx_queue(f, 16, false, true);
	put_desc(ram(f, DESC_GPA), 0, table, 16,
		 VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	publish(f, 0);
	expect_broken(f);
	fx_queue(f, 16, false, true);
	put_desc(ram(f, DESC_GPA), 0, RAM_SIZE + 0x2000, 16,
		 VIRTQ_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_broken(f);
	/* A loop inside the indirect table. */
	fx_queue(f, 16, false, true);
	put_desc(ram(f, table), 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	put_desc(ram(f, table), 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	put_desc(ram(f, DESC_GPA), 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_broken(f);
	/* Reset clears it. */
	vq_reset(&f->vq);
	assert_false(f->vq.broken);
}

static void test_enable_refuses_bad_config(void **state)
{
	struct fx *f = *state;
	struct virtqueue vq;

	vq_init(&vq, &f->mem, 1, "test");
	vq.size = 12; /* not a power of 2 */
	vq.desc_gpa = DESC_GPA;
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = USED_GPA;
	assert_int_equal(vq_enable(&vq), -1);
	vq.size = 2048; /* above VQ_MAX_SIZE */
	assert_int_equal(vq_enable(&vq), -1);
	vq.size = 16;
	vq.desc_gpa = DESC_GPA + 8; /* misaligned */
	assert_int_equal(vq_enable(&vq), -1);
	vq.desc_gpa = DESC_GPA;
	vq.used_gpa = ROM_GPA; /* used ring must be writable */
	assert_int_equal(vq_enable(&vq), -1);
	vq.used_gpa = RAM_SIZE - 8; /* runs off the end of RAM into ROM */
	assert_int_equal(vq_enable(&vq), -1);
	vq.used_gpa = USED_GPA;
	vq.avail_gpa = RAM_SIZE + 0x1000 * 4; /* the hole */
	assert_int_equal(vq_enable(&vq), -1);
	assert_false(vq.ready);
	vq.avail_gpa = AVAIL_GPA;
	assert_int_equal(vq_enable(&vq), 0);
	assert_true(vq.ready);
}

static void test_save_load(void **state)
{
	struct fx *f = *state;
	struct vbuf b = { BUF_GPA, 4, true };
	struct virtqueue copy;
	struct state_writer w;
	struct state_reader r;

	for (int i = 0; i < 3; i++) {
		add_chain(f, &b, 1);
		assert_int_equal(vq_pop(&f->vq, &chain), VQ_GOT);
		vq_push(&f->vq, chain.head, 4);
	}
	add_chain(f, &b, 1);
	state_writer_init(&w);
	vq_save(&f->vq, &w);
	vq_init(&copy, &f->mem, 0, "test");
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(vq_load(&copy, &r), 0);
	assert_int_equal(state_reader_done(&r, "vq"), 0);
	assert_true(copy.ready);
	assert_int_equal(copy.last_avail, 3);
	assert_int_equal(vq_pop(&copy, &chain), VQ_GOT); /* the fourth */
	vq_push(&copy, chain.head, 4);
	assert_int_equal(le_get(ram(f, USED_GPA + 2), 2), 4);

	for (size_t len = 0; len < w.len; len++) {
		state_reader_init(&r, w.buf, len);
		assert_int_equal(vq_load(&copy, &r), -1);
	}
	w.buf[0] = 12; /* size 12 */
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(vq_load(&copy, &r), -1);
	state_writer_free(&w);
}

/* ---- The virtio core, with a model that records what it is asked ---- */

struct model {
	int activations, resets, kicks;
	uint8_t config[8];
	int config_irqs, queue_irqs;
};

static int m_activate(struct virtio_dev *dev)
{
	((struct model *)dev->priv)->activations++;
	return 0;
}

static void m_reset(struct virtio_dev *dev)
{
	((struct model *)dev->priv)->resets++;
}

static void m_notify(struct virtio_dev *dev, unsigned q)
{
	(void)q;
	((struct model *)dev->priv)->kicks++;
}

static void m_config_read(struct virtio_dev *dev, uint32_t off, uint8_t *d,
			  uint32_t len)
{
	memcpy(d, ((struct model *)dev->priv)->config + off, len);
}

static const struct virtio_dev_ops model_ops = {
	.type = "test",
	.device_id = 99,
	.version = 1,
	.config_size = 8,
	.config_read = m_config_read,
	.activate = m_activate,
	.reset = m_reset,
	.queue_notify = m_notify,
};

static void t_queue_irq(void *ctx, unsigned q)
{
	(void)q;
	((struct model *)ctx)->queue_irqs++;
}

static void t_config_irq(void *ctx)
{
	((struct model *)ctx)->config_irqs++;
}

static void test_core_status_features_reset(void **state)
{
	struct fx *f = *state;
	struct virtio_dev dev;
	struct model m = { .config = { 1, 2, 3, 4, 5, 6, 7, 8 } };
	uint8_t d[8];

	assert_int_equal(virtio_dev_init(&dev, "test0", &model_ops, &m, &f->mem,
					 1ull << 5, 2, 256), 0);
	dev.transport = (struct virtio_transport){ .notify_queue = t_queue_irq,
						   .notify_config = t_config_irq,
						   .ctx = &m };
	assert_true(virtio_get_device_features(&dev, 1) & 1); /* VERSION_1 */
	assert_true(virtio_get_device_features(&dev, 0) & (1u << 5));

	virtio_set_status(&dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* Without VERSION_1 FEATURES_OK does not stick. */
	virtio_set_driver_features(&dev, 0, 1u << 5);
	virtio_set_status(&dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					VIRTIO_STATUS_FEATURES_OK);
	assert_false(dev.status & VIRTIO_STATUS_FEATURES_OK);
	/* A bit that was not offered: FEATURES_OK refused too (3.1.1). */
	virtio_set_driver_features(&dev, 0, (1u << 5) | (1u << 7));
	virtio_set_driver_features(&dev, 1, 1);
	virtio_set_status(&dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					VIRTIO_STATUS_FEATURES_OK);
	assert_false(dev.status & VIRTIO_STATUS_FEATURES_OK);
	/* A subset of what was offered, with VERSION_1: accepted. */
	virtio_set_driver_features(&dev, 0, (1u << 5) | (1u << VIRTIO_F_EVENT_IDX));
	virtio_set_status(&dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					VIRTIO_STATUS_FEATURES_OK);
	assert_true(dev.status & VIRTIO_STATUS_FEATURES_OK);
	/* Frozen now. */
	virtio_set_driver_features(&dev, 0, 0);
	assert_true(virtio_has_feature(&dev, 5));

	/* A kick before DRIVER_OK reaches nobody. */
	virtio_queue_kick(&dev, 0);
	assert_int_equal(m.kicks, 0);
	dev.vqs[0].size = 16;
	dev.vqs[0].desc_gpa = DESC_GPA;
	dev.vqs[0].avail_gpa = AVAIL_GPA;
	dev.vqs[0].used_gpa = USED_GPA;
	assert_int_equal(virtio_queue_enable(&dev, 0), 0);
	assert_true(dev.vqs[0].event_idx);
	dev.vqs[1].size = 512; /* above the device's 256 */
	dev.vqs[1].desc_gpa = DESC_GPA;
	dev.vqs[1].avail_gpa = AVAIL_GPA;
	dev.vqs[1].used_gpa = USED_GPA;
	assert_int_equal(virtio_queue_enable(&dev, 1), -1);
	virtio_set_status(&dev, 0x0f);
	assert_int_equal(m.activations, 1);
	virtio_queue_kick(&dev, 0);
	virtio_queue_kick(&dev, 1); /* not ready */
	virtio_queue_kick(&dev, 9); /* no such queue */
	assert_int_equal(m.kicks, 1);

	/* Config space: in range, and out of range reads zeros. */
	virtio_config_read(&dev, 2, d, 4);
	assert_memory_equal(d, "\3\4\5\6", 4);
	virtio_config_read(&dev, 6, d, 4);
	assert_memory_equal(d, "\0\0\0\0", 4);

	/* Needs reset: status bit and one config interrupt. */
	virtio_needs_reset(&dev, "a test");
	virtio_needs_reset(&dev, "again");
	assert_true(dev.status & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(m.config_irqs, 1);
	virtio_queue_kick(&dev, 0);
	assert_int_equal(m.kicks, 1); /* stopped */
	/* The driver cannot clear it, only reset. */
	virtio_set_status(&dev, 0x0f);
	assert_true(dev.status & VIRTIO_STATUS_NEEDS_RESET);
	virtio_set_status(&dev, 0);
	assert_int_equal(m.resets, 1);
	assert_int_equal(dev.status, 0);
	assert_false(dev.vqs[0].ready);
	assert_int_equal(dev.guest_features, 0);
	virtio_dev_destroy(&dev);
}

static void test_core_save_load(void **state)
{
	struct fx *f = *state;
	struct virtio_dev a, b;
	struct model ma = { 0 }, mb = { 0 };
	struct state_writer w;
	struct state_reader r;

	assert_int_equal(virtio_dev_init(&a, "a", &model_ops, &ma, &f->mem, 0, 1,
					 64), 0);
	assert_int_equal(virtio_dev_init(&b, "b", &model_ops, &mb, &f->mem, 0, 1,
					 64), 0);
	virtio_set_driver_features(&a, 1, 1);
	virtio_set_status(&a, 0x0b);
	a.vqs[0].size = 16;
	a.vqs[0].desc_gpa = DESC_GPA;
	a.vqs[0].avail_gpa = AVAIL_GPA;
	a.vqs[0].used_gpa = USED_GPA;
	assert_int_equal(virtio_queue_enable(&a, 0), 0);
	virtio_set_status(&a, 0x0f);
	state_writer_init(&w);
	assert_int_equal(virtio_save(&a, &w), 0);
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(virtio_load(&b, &r, 1), 0);
	assert_int_equal(b.status, 0x0f);
	assert_true(b.activated);
	assert_int_equal(mb.activations, 1);
	assert_true(b.vqs[0].ready);
	/* Features the device never offered. */
	w.buf[1 + 4] = 0x80; /* guest_features bit 39 */
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(virtio_load(&b, &r, 1), -1);
	state_writer_free(&w);
	virtio_dev_destroy(&a);
	virtio_dev_destroy(&b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_direct_chain_and_used_ring),
		T(test_indirect_chain),
		T(test_chain_across_regions_gives_two_pieces),
		T(test_indices_wrap),
		T(test_event_idx),
		T(test_no_notify_flag_without_event_idx),
		T(test_malicious_loop),
		T(test_malicious_head_and_avail_idx),
		T(test_malicious_addresses),
		T(test_malicious_order_next_and_length),
		T(test_malicious_too_many_pieces),
		T(test_malicious_indirect),
		T(test_enable_refuses_bad_config),
		T(test_save_load),
		T(test_core_status_features_reset),
		T(test_core_save_load),
	};

	return cmocka_run_group_tests_name("virtqueue", tests, NULL, NULL);
}
