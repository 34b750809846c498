// SPDX-License-Identifier: MIT
/*
 * virtio-mmio, version 2 (virtio 1.2, 4.2): see mmio.h.  Register
 * semantics follow the spec's "Device Requirements" and, where it leaves a
 * choice, QEMU's hw/virtio/virtio-mmio.c (reads of write-only registers
 * return 0; writes to read-only ones are ignored, each logged once).
 */
#include "virtio/mmio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bus.h"
#include "device.h"
#include "event_loop.h"
#include "irq.h"
#include "log.h"
#include "state.h"
#include "vm.h"

struct mmio_notifier {
	struct virtio_mmio *m;
	unsigned q;
	int fd; /* ioeventfd, -1 without */
	struct event_source *src;
};

struct virtio_mmio {
	struct virtio_dev *dev;
	struct irq_line *irq;
	uint64_t base;
	/* Transport registers (under dev->lock). */
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	_Atomic uint32_t isr;
	bool warned_width, warned_reg;

	struct vm *vm; /* with ioeventfds */
	struct mmio_notifier notify[VIRTIO_MAX_QUEUES];
};

/* ---- Interrupts ---- */

static void mmio_interrupt(struct virtio_mmio *m, uint32_t bit)
{
	atomic_fetch_or(&m->isr, bit);
	irq_line_pulse(m->irq);
}

static void notify_queue(void *ctx, unsigned q)
{
	(void)q;
	mmio_interrupt(ctx, VIRTIO_ISR_QUEUE);
}

static void notify_config(void *ctx)
{
	mmio_interrupt(ctx, VIRTIO_ISR_CONFIG);
}

static void kick_later(void *ctx, unsigned q)
{
	struct virtio_mmio *m = ctx;
	uint64_t one = 1;

	/* Our own ioeventfd: the loop calls the model again. */
	if (q < VIRTIO_MAX_QUEUES && m->notify[q].fd >= 0 &&
	    write(m->notify[q].fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("%s: eventfd write: %s", m->dev->name, strerror(errno));
}

static int queue_kick_fd(void *ctx, unsigned q, bool watch)
{
	struct virtio_mmio *m = ctx;

	if (q >= VIRTIO_MAX_QUEUES || m->notify[q].fd < 0 || !m->notify[q].src ||
	    event_loop_modify(m->vm->loop, m->notify[q].src, watch ? EPOLLIN : 0) < 0)
		return -1;
	return m->notify[q].fd;
}

/* ---- Registers ---- */

static uint64_t set_low(uint64_t v, uint32_t lo)
{
	return (v & ~0xffffffffull) | lo;
}

static uint64_t set_high(uint64_t v, uint32_t hi)
{
	return (v & 0xffffffffull) | ((uint64_t)hi << 32);
}

static struct virtqueue *selected(struct virtio_mmio *m)
{
	return m->queue_sel < m->dev->nr_queues ? &m->dev->vqs[m->queue_sel] :
						  NULL;
}

static uint32_t reg_read(struct virtio_mmio *m, uint64_t off)
{
	struct virtio_dev *dev = m->dev;
	struct virtqueue *vq = selected(m);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return virtio_get_device_features(dev, m->device_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? dev->queue_max[m->queue_sel] : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq && vq->ready;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return atomic_load(&m->isr);
	case VIRTIO_MMIO_STATUS:
		return dev->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu; /* no shared memory regions (4.2.2) */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_generation;
	default:
		return 0;
	}
}

/* Queue registers may only change while the queue is not ready. */
static bool queue_writable(struct virtio_mmio *m, struct virtqueue *vq)
{
	if (vq && !vq->ready)
		return true;
	if (!m->warned_reg) {
		m->warned_reg = true;
		log_warn("%s: queue register written with no queue selected or the queue ready; ignored (logged once)",
			 m->dev->name);
	}
	return false;
}

static void reg_write(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	struct virtio_dev *dev = m->dev;
	struct virtqueue *vq = selected(m);

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		m->device_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_set_driver_features(dev, m->driver_features_sel, v);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		m->driver_features_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		m->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (queue_writable(m, vq))
			vq->size = v > 0xffff ? 0 : (uint16_t)v;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!vq)
			break;
		if (v & 1) {
			if (!vq->ready)
				virtio_queue_enable(dev, m->queue_sel);
		} else {
			vq->ready = false; /* 4.2.2.3.1: stop using it */
		}
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		atomic_fetch_and(&m->isr, ~v);
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_set_status(dev, (uint8_t)v);
		if (v == 0) {
			atomic_store(&m->isr, 0);
			m->device_features_sel = m->driver_features_sel = 0;
			m->queue_sel = 0;
		}
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		if (queue_writable(m, vq))
			vq->desc_gpa = set_low(vq->desc_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (queue_writable(m, vq))
			vq->desc_gpa = set_high(vq->desc_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		if (queue_writable(m, vq))
			vq->avail_gpa = set_low(vq->avail_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		if (queue_writable(m, vq))
			vq->avail_gpa = set_high(vq->avail_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		if (queue_writable(m, vq))
			vq->used_gpa = set_low(vq->used_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		if (queue_writable(m, vq))
			vq->used_gpa = set_high(vq->used_gpa, v);
		break;
	default:
		break; /* read-only or reserved */
	}
}

static bool width_ok(struct virtio_mmio *m, uint32_t len)
{
	if (len == 4)
		return true;
	if (!m->warned_width) {
		m->warned_width = true;
		log_warn("%s: a %u-byte access to a control register (only 32-bit ones are allowed); ignored (logged once)",
			 m->dev->name, len);
	}
	return false;
}

static void mmio_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct virtio_mmio *m = opaque;
	struct virtio_dev *dev = m->dev;

	pthread_mutex_lock(&dev->lock);
	if (off >= VIRTIO_MMIO_CONFIG)
		virtio_config_read(dev, (uint32_t)(off - VIRTIO_MMIO_CONFIG),
				   data, len);
	else if (width_ok(m, len) && off % 4 == 0)
		bus_data_put(data, 4, reg_read(m, off));
	else
		memset(data, 0, len);
	pthread_mutex_unlock(&dev->lock);
}

static void mmio_write(void *opaque, uint64_t off, const uint8_t *data,
		       uint32_t len)
{
	struct virtio_mmio *m = opaque;
	struct virtio_dev *dev = m->dev;
	uint32_t v;

	if (off >= VIRTIO_MMIO_CONFIG) {
		pthread_mutex_lock(&dev->lock);
		virtio_config_write(dev, (uint32_t)(off - VIRTIO_MMIO_CONFIG),
				    data, len);
		pthread_mutex_unlock(&dev->lock);
		return;
	}
	if (!width_ok(m, len) || off % 4)
		return;
	v = (uint32_t)bus_data_get(data, 4);
	if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
		/* The exit path (no ioeventfd, or a value it does not match). */
		virtio_queue_kick(dev, v);
		return;
	}
	pthread_mutex_lock(&dev->lock);
	reg_write(m, off, v);
	pthread_mutex_unlock(&dev->lock);
}

static const struct bus_ops virtio_mmio_bus_ops = {
	.read = mmio_read,
	.write = mmio_write,
};

struct virtio_mmio *virtio_mmio_create(struct virtio_dev *dev,
				       struct irq_line *irq)
{
	struct virtio_mmio *m = calloc(1, sizeof(*m));

	if (!m) {
		err_set("%s: out of memory", dev->name);
		return NULL;
	}
	m->dev = dev;
	m->irq = irq;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		m->notify[q] = (struct mmio_notifier){ .m = m, .q = q, .fd = -1 };
	dev->transport = (struct virtio_transport){
		.notify_queue = notify_queue,
		.notify_config = notify_config,
		.kick_later = kick_later,
		.queue_kick_fd = queue_kick_fd,
		.ctx = m,
	};
	return m;
}

int virtio_mmio_register(struct virtio_mmio *m, struct bus *mmio,
			 uint64_t base)
{
	m->base = base;
	return bus_register(mmio, m->dev->name, base, VIRTIO_MMIO_SIZE,
			    BUS_W1 | BUS_W2 | BUS_W4 | BUS_W8,
			    &virtio_mmio_bus_ops, m);
}

static void on_notify(void *opaque, uint32_t events)
{
	struct mmio_notifier *n = opaque;
	uint64_t count;

	(void)events;
	/* Take the count, or the level-triggered loop calls again at once. */
	if (read(n->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("%s: eventfd read: %s", n->m->dev->name, strerror(errno));
	virtio_queue_kick(n->m->dev, n->q);
}

int virtio_mmio_use_ioeventfd(struct virtio_mmio *m, struct vm *vm)
{
	struct virtio_dev *dev = m->dev;

	m->vm = vm;
	if (m->irq && vm_irq_line_use_irqfd(vm, m->irq) < 0)
		log_info("%s: interrupts through KVM_IRQ_LINE: %s", dev->name,
			 err_msg());
	for (unsigned q = 0; q < dev->nr_queues; q++) {
		struct mmio_notifier *n = &m->notify[q];

		n->fd = vm_ioeventfd(vm, false, m->base + VIRTIO_MMIO_QUEUE_NOTIFY,
				     4, true, q);
		if (n->fd < 0) {
			log_info("%s: queue notifications exit to minivmm: %s",
				 dev->name, err_msg());
			return 0;
		}
		n->src = event_loop_add_fd(vm->loop, n->fd, EPOLLIN, on_notify, n);
		if (!n->src)
			return -1;
	}
	return 0;
}

struct virtio_dev *virtio_mmio_dev(struct virtio_mmio *m)
{
	return m->dev;
}

/* ---- Device operations ---- */

static void virtio_mmio_reset(void *opaque)
{
	struct virtio_mmio *m = opaque;

	virtio_reset(m->dev);
	pthread_mutex_lock(&m->dev->lock);
	atomic_store(&m->isr, 0);
	m->device_features_sel = m->driver_features_sel = m->queue_sel = 0;
	pthread_mutex_unlock(&m->dev->lock);
}

static int virtio_mmio_save(void *opaque, struct state_writer *w)
{
	struct virtio_mmio *m = opaque;

	pthread_mutex_lock(&m->dev->lock);
	state_put_u32(w, m->device_features_sel);
	state_put_u32(w, m->driver_features_sel);
	state_put_u32(w, m->queue_sel);
	state_put_u32(w, atomic_load(&m->isr));
	pthread_mutex_unlock(&m->dev->lock);
	return virtio_save(m->dev, w);
}

static int virtio_mmio_load(void *opaque, struct state_reader *r,
			    uint32_t version)
{
	struct virtio_mmio *m = opaque;
	uint32_t dsel = state_get_u32(r), drsel = state_get_u32(r);
	uint32_t qsel = state_get_u32(r), isr = state_get_u32(r);

	(void)version;
	if (state_reader_error(r, m->dev->name) < 0)
		return -1;
	if (isr & ~(uint32_t)(VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG))
		return state_reader_fail(r, "interrupt status 0x%x", isr);
	pthread_mutex_lock(&m->dev->lock);
	m->device_features_sel = dsel;
	m->driver_features_sel = drsel;
	m->queue_sel = qsel;
	atomic_store(&m->isr, isr);
	pthread_mutex_unlock(&m->dev->lock);
	return virtio_load(m->dev, r, m->dev->ops->version);
}

static void virtio_mmio_destroy(void *opaque)
{
	struct virtio_mmio *m = opaque;

	if (!m)
		return;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES && m->vm; q++) {
		if (m->notify[q].src)
			event_loop_remove(m->vm->loop, m->notify[q].src);
		if (m->notify[q].fd >= 0)
			vm_ioeventfd_remove(m->vm, m->notify[q].fd);
	}
	virtio_reset(m->dev); /* the model stops before it goes */
	virtio_dev_destroy(m->dev);
	free(m);
}

static void virtio_mmio_pause(void *opaque, bool paused)
{
	virtio_pause(((struct virtio_mmio *)opaque)->dev, paused);
}

const struct device_ops virtio_mmio_device_ops = {
	.type = "virtio-mmio",
	.version = 1,
	.reset = virtio_mmio_reset,
	.pause = virtio_mmio_pause,
	.save = virtio_mmio_save,
	.load = virtio_mmio_load,
	.destroy = virtio_mmio_destroy,
};
