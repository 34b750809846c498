// SPDX-License-Identifier: MIT
/*
 * virtio-pci, modern (virtio 1.2, 4.1): see pci.h.  The register choices
 * the spec leaves open follow QEMU's hw/virtio/virtio-pci.c (BAR 4 for
 * the registers, BAR 1 for MSI-X, one page per structure, a notify
 * multiplier of 4).
 */
#include "virtio/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "byteorder.h"
#include "dev/pci.h"
#include "device.h"
#include "event_loop.h"
#include "irq.h"
#include "log.h"
#include "state.h"
#include "vm.h"

/* struct virtio_pci_cap (4.1.4): offsets inside a vendor capability. */
#define CAP_LEN 2
#define CAP_CFG_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_NOTIFY_MULT 16 /* notify capability */
#define CAP_PCI_CFG_DATA 16 /* PCI configuration access capability */
#define CAP_SIZE 16

struct pci_notifier {
	struct virtio_pci *p;
	unsigned q;
	int fd;
	struct event_source *src;
};

struct virtio_pci {
	struct pci_device pci;
	struct virtio_dev *dev;
	unsigned nr_vectors;
	/* Common configuration (under dev->lock). */
	uint32_t dfselect, gfselect;
	uint16_t qselect;
	uint16_t config_vector;
	_Atomic uint8_t isr;
	struct irq_line *intx; /* INTA#, level, while MSI-X is off; may be NULL */
	unsigned cfg_cap; /* offset of the PCI configuration access capability */

	struct vm *vm;
	uint64_t bar_addr; /* BAR 4, or PCI_BAR_UNMAPPED */
	struct pci_notifier notify[VIRTIO_MAX_QUEUES];
	int call_fd[VIRTIO_MAX_QUEUES]; /* queue_call_fd's, or -1 */
};

static struct virtqueue *selected(struct virtio_pci *p)
{
	return p->qselect < p->dev->nr_queues ? &p->dev->vqs[p->qselect] : NULL;
}

static uint16_t vector_or_none(struct virtio_pci *p, uint32_t v)
{
	return v < p->nr_vectors ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

/* ---- Interrupts ---- */

/*
 * With MSI-X on, the message of the vector (none: no interrupt, 4.1.5.1.2);
 * with it off, INTA# goes up until the driver reads the ISR (4.1.4.5),
 * unless the command register disables INTx.
 */
static void send(struct virtio_pci *p, uint8_t isr_bit, uint16_t vector)
{
	atomic_fetch_or(&p->isr, isr_bit);
	if (pci_msix_enabled(&p->pci)) {
		if (vector != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(&p->pci, vector);
	} else if (p->intx &&
		   !(le_get(p->pci.config + PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE)) {
		irq_line_set(p->intx, true);
	}
}

static void notify_queue(void *ctx, unsigned q)
{
	struct virtio_pci *p = ctx;

	send(p, VIRTIO_ISR_QUEUE, p->dev->vqs[q].msix_vector);
}

static void notify_config(void *ctx)
{
	struct virtio_pci *p = ctx;

	send(p, VIRTIO_ISR_CONFIG, p->config_vector);
}

static void kick_later(void *ctx, unsigned q)
{
	struct virtio_pci *p = ctx;
	uint64_t one = 1;

	if (q < VIRTIO_MAX_QUEUES && p->notify[q].fd >= 0 &&
	    write(p->notify[q].fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("%s: eventfd write: %s", p->dev->name, strerror(errno));
}

static int queue_kick_fd(void *ctx, unsigned q, bool watch)
{
	struct virtio_pci *p = ctx;

	if (q >= VIRTIO_MAX_QUEUES || p->notify[q].fd < 0 || !p->notify[q].src ||
	    event_loop_modify(p->vm->loop, p->notify[q].src, watch ? EPOLLIN : 0) < 0)
		return -1;
	return p->notify[q].fd;
}

static int queue_call_fd(void *ctx, unsigned q, int fd)
{
	struct virtio_pci *p = ctx;
	int *taken;
	uint16_t v;

	if (q >= p->dev->nr_queues)
		return -1;
	taken = &p->call_fd[q];
	if (fd < 0) {
		pci_msix_detach_fd(&p->pci, *taken);
		*taken = -1;
		return 0;
	}
	v = p->dev->vqs[q].msix_vector;
	/* (the driver chose the vector before DRIVER_OK, 3.1.1) */
	if (*taken >= 0 || !pci_msix_enabled(&p->pci) ||
	    v == VIRTIO_MSI_NO_VECTOR || pci_msix_attach_fd(&p->pci, v, fd) < 0)
		return -1;
	*taken = fd;
	return 0;
}

/* ---- Common configuration (4.1.4.3) ---- */

static void common_image(struct virtio_pci *p, uint8_t *c)
{
	struct virtio_dev *dev = p->dev;
	struct virtqueue *vq = selected(p);

	memset(c, 0, VIRTIO_PCI_COMMON_SIZE);
	le_put(c + VIRTIO_PCI_COMMON_DFSELECT, p->dfselect, 4);
	le_put(c + VIRTIO_PCI_COMMON_DF,
	       virtio_get_device_features(dev, p->dfselect), 4);
	le_put(c + VIRTIO_PCI_COMMON_GFSELECT, p->gfselect, 4);
	le_put(c + VIRTIO_PCI_COMMON_GF,
	       virtio_get_driver_features(dev, p->gfselect), 4);
	le_put(c + VIRTIO_PCI_COMMON_MSIX, p->config_vector, 2);
	le_put(c + VIRTIO_PCI_COMMON_NUMQ, dev->nr_queues, 2);
	c[VIRTIO_PCI_COMMON_STATUS] = dev->status;
	c[VIRTIO_PCI_COMMON_CFGGENERATION] = (uint8_t)dev->config_generation;
	le_put(c + VIRTIO_PCI_COMMON_Q_SELECT, p->qselect, 2);
	if (!vq)
		return; /* queue_size 0: no such queue */
	/* Before the driver sets a size, it reads the maximum. */
	le_put(c + VIRTIO_PCI_COMMON_Q_SIZE,
	       vq->size ? vq->size : dev->queue_max[p->qselect], 2);
	le_put(c + VIRTIO_PCI_COMMON_Q_MSIX, vq->msix_vector, 2);
	le_put(c + VIRTIO_PCI_COMMON_Q_ENABLE, vq->ready, 2);
	le_put(c + VIRTIO_PCI_COMMON_Q_NOFF, p->qselect, 2);
	le_put(c + VIRTIO_PCI_COMMON_Q_DESCLO, vq->desc_gpa, 8);
	le_put(c + VIRTIO_PCI_COMMON_Q_AVAILLO, vq->avail_gpa, 8);
	le_put(c + VIRTIO_PCI_COMMON_Q_USEDLO, vq->used_gpa, 8);
}

static void set_half(uint64_t *v, bool high, uint32_t half)
{
	*v = high ? (*v & 0xffffffffull) | ((uint64_t)half << 32) :
		    (*v & ~0xffffffffull) | half;
}

/* The transport's own registers back to their reset values. */
static void regs_reset(struct virtio_pci *p)
{
	p->dfselect = p->gfselect = 0;
	p->qselect = 0;
	p->config_vector = VIRTIO_MSI_NO_VECTOR;
	atomic_store(&p->isr, 0);
	irq_line_set(p->intx, false);
}

static void common_write(struct virtio_pci *p, unsigned off, uint64_t v,
			 uint32_t len)
{
	struct virtio_dev *dev = p->dev;
	struct virtqueue *vq = selected(p);
	bool frozen = !vq || vq->ready; /* queue fields of a ready queue */

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		p->dfselect = (uint32_t)v;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		p->gfselect = (uint32_t)v;
		break;
	case VIRTIO_PCI_COMMON_GF:
		virtio_set_driver_features(dev, p->gfselect, (uint32_t)v);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		p->config_vector = vector_or_none(p, (uint32_t)v);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		virtio_set_status(dev, (uint8_t)v);
		if ((uint8_t)v == 0) {
			regs_reset(p);
			for (unsigned q = 0; q < dev->nr_queues; q++)
				dev->vqs[q].msix_vector = VIRTIO_MSI_NO_VECTOR;
		}
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		p->qselect = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (!frozen)
			vq->size = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (vq)
			vq->msix_vector = vector_or_none(p, (uint32_t)v);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (!frozen && v == 1) {
			if (!vq->size)
				vq->size = dev->queue_max[p->qselect];
			virtio_queue_enable(dev, p->qselect);
		}
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI: {
		unsigned field = (off - VIRTIO_PCI_COMMON_Q_DESCLO) / 8;
		bool high = (off - VIRTIO_PCI_COMMON_Q_DESCLO) % 8 != 0;
		uint64_t *gpa;

		if (frozen)
			break;
		gpa = field == 0 ? &vq->desc_gpa :
		      field == 1 ? &vq->avail_gpa :
				   &vq->used_gpa;
		if (len == 8)
			*gpa = v;
		else
			set_half(gpa, high, (uint32_t)v);
		break;
	}
	default:
		break; /* read-only fields */
	}
}

/* ---- BAR 4 ---- */

static void bar_read(void *opaque, unsigned bar, uint64_t off, uint8_t *data,
		     uint32_t len)
{
	struct virtio_pci *p = opaque;
	struct virtio_dev *dev = p->dev;

	memset(data, 0, len);
	if (bar != VIRTIO_PCI_BAR)
		return;
	pthread_mutex_lock(&dev->lock);
	if (off + len <= VIRTIO_PCI_COMMON_SIZE) {
		uint8_t c[VIRTIO_PCI_COMMON_SIZE];

		common_image(p, c);
		memcpy(data, c + off, len);
	} else if (off == VIRTIO_PCI_ISR) {
		/* Reading clears it (4.1.4.5.1), and with it an INTx. */
		data[0] = atomic_exchange(&p->isr, 0);
		irq_line_set(p->intx, false);
	} else if (off >= VIRTIO_PCI_DEVICE && off < VIRTIO_PCI_NOTIFY) {
		virtio_config_read(dev, (uint32_t)(off - VIRTIO_PCI_DEVICE), data,
				   len);
	}
	pthread_mutex_unlock(&dev->lock);
}

static void bar_write(void *opaque, unsigned bar, uint64_t off,
		      const uint8_t *data, uint32_t len)
{
	struct virtio_pci *p = opaque;
	struct virtio_dev *dev = p->dev;

	if (bar != VIRTIO_PCI_BAR)
		return;
	if (off >= VIRTIO_PCI_NOTIFY) {
		/* The exit path: no ioeventfd, or a write it did not match. */
		uint64_t q = (off - VIRTIO_PCI_NOTIFY) / VIRTIO_PCI_NOTIFY_MULTIPLIER;

		if (q < dev->nr_queues)
			virtio_queue_kick(dev, (unsigned)q);
		return;
	}
	pthread_mutex_lock(&dev->lock);
	if (off + len <= VIRTIO_PCI_COMMON_SIZE)
		common_write(p, (unsigned)off, le_get(data, len), len);
	else if (off >= VIRTIO_PCI_DEVICE)
		virtio_config_write(dev, (uint32_t)(off - VIRTIO_PCI_DEVICE),
				    data, len);
	pthread_mutex_unlock(&dev->lock);
}

/* The queues' notification addresses follow the BAR (4.1.4.4). */
static void bar_moved(void *opaque, unsigned bar, uint64_t old_addr,
		      uint64_t new_addr)
{
	struct virtio_pci *p = opaque;

	(void)old_addr;
	if (bar != VIRTIO_PCI_BAR)
		return;
	p->bar_addr = new_addr;
	for (unsigned q = 0; q < p->dev->nr_queues && p->vm; q++) {
		struct pci_notifier *n = &p->notify[q];
		uint64_t at = new_addr == PCI_BAR_UNMAPPED ?
				      UINT64_MAX :
				      new_addr + VIRTIO_PCI_NOTIFY +
					      q * VIRTIO_PCI_NOTIFY_MULTIPLIER;

		if (n->fd >= 0 && vm_ioeventfd_move(p->vm, n->fd, at) < 0)
			log_warn("%s: %s", p->dev->name, err_msg());
	}
}

/* ---- The PCI configuration access capability (4.1.4.9) ---- */

/*
 * Where the capability's window points, for an access of len bytes to its
 * data field: true with *off when it names a 1-, 2- or 4-byte window of
 * that length inside our register BAR.
 */
static bool cfg_cap_target(struct virtio_pci *p, uint32_t len, uint32_t *off)
{
	const uint8_t *c = p->pci.config + p->cfg_cap;
	uint32_t n = (uint32_t)le_get(c + CAP_LENGTH, 4);

	*off = (uint32_t)le_get(c + CAP_OFFSET, 4);
	return c[CAP_BAR] == VIRTIO_PCI_BAR && (n == 1 || n == 2 || n == 4) &&
	       n == len && *off <= VIRTIO_PCI_BAR_SIZE - n;
}

static bool cfg_cap_data(struct virtio_pci *p, unsigned offset, uint32_t len)
{
	unsigned data = p->cfg_cap + CAP_PCI_CFG_DATA;

	return p->cfg_cap && offset >= data && offset + len <= data + 4;
}

static void config_read(void *opaque, unsigned offset, uint8_t *data,
			uint32_t len)
{
	struct virtio_pci *p = opaque;
	uint32_t off;

	if (!cfg_cap_data(p, offset, len))
		return;
	if (cfg_cap_target(p, len, &off))
		bar_read(p, VIRTIO_PCI_BAR, off, data, len);
	else
		memset(data, 0, len); /* no valid window: nothing behind it */
}

static void config_write(void *opaque, unsigned offset, const uint8_t *data,
			 uint32_t len)
{
	struct virtio_pci *p = opaque;
	uint32_t off;

	if (cfg_cap_data(p, offset, len) && cfg_cap_target(p, len, &off))
		bar_write(p, VIRTIO_PCI_BAR, off, data, len);
}

static const struct pci_device_ops virtio_pci_ops = {
	.bar_read = bar_read,
	.bar_write = bar_write,
	.bar_moved = bar_moved,
	.config_read = config_read,
	.config_write = config_write,
};

/* ---- Construction ---- */

static int add_cap(struct pci_device *pd, uint8_t type, uint32_t offset,
		   uint32_t length, uint8_t extra)
{
	int at = pci_add_capability(pd, PCI_CAP_ID_VNDR,
				    (uint8_t)(CAP_SIZE + extra));

	if (at < 0)
		return -1;
	pd->config[at + CAP_LEN] = (uint8_t)(CAP_SIZE + extra);
	pd->config[at + CAP_CFG_TYPE] = type;
	pd->config[at + CAP_BAR] = VIRTIO_PCI_BAR;
	le_put(pd->config + at + CAP_OFFSET, offset, 4);
	le_put(pd->config + at + CAP_LENGTH, length, 4);
	return at;
}

static uint32_t class_of(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_BLOCK:
		return 0x010000; /* mass storage, SCSI (as QEMU) */
	case VIRTIO_ID_CONSOLE:
		return 0x078000; /* communication, other */
	case VIRTIO_ID_NET:
		return 0x020000;
	default:
		return 0x00ff00; /* unclassified */
	}
}

unsigned virtio_pci_vectors(const struct virtio_dev *dev)
{
	return dev->nr_queues + 1;
}

struct virtio_pci *virtio_pci_create(struct virtio_dev *dev,
				     const struct pci_msi_sink *sink)
{
	struct virtio_pci *p = calloc(1, sizeof(*p));
	struct pci_device_info info = {
		.vendor_id = VIRTIO_PCI_VENDOR,
		.device_id = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + dev->ops->device_id),
		.subsystem_vendor_id = VIRTIO_PCI_VENDOR,
		.subsystem_id = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + dev->ops->device_id),
		.class_code = class_of(dev->ops->device_id),
		.revision = 1, /* 4.1.2.1: modern devices have revision 1 or more */
		.interrupt_pin = 1,
	};
	struct pci_device *pd;
	int at;

	if (!p) {
		err_set("%s: out of memory", dev->name);
		return NULL;
	}
	p->dev = dev;
	p->nr_vectors = virtio_pci_vectors(dev);
	p->bar_addr = PCI_BAR_UNMAPPED;
	regs_reset(p);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		p->notify[q] = (struct pci_notifier){ .p = p, .q = q, .fd = -1 };
		p->call_fd[q] = -1;
	}
	pd = &p->pci;
	if (pci_device_init(pd, dev->name, &info, &virtio_pci_ops, p) < 0)
		goto fail;
	if (pci_bar_init(pd, VIRTIO_PCI_MSIX_BAR, VIRTIO_PCI_MSIX_BAR_SIZE,
			 PCI_BAR_MEM32) < 0 ||
	    pci_bar_init(pd, VIRTIO_PCI_BAR, VIRTIO_PCI_BAR_SIZE,
			 PCI_BAR_MEM64 | PCI_BAR_PREFETCH) < 0)
		goto fail_pci;
	if (add_cap(pd, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON,
		    VIRTIO_PCI_COMMON_SIZE, 0) < 0 ||
	    add_cap(pd, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR, 1, 0) < 0 ||
	    add_cap(pd, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE,
		    dev->ops->config_size ? dev->ops->config_size : 4, 0) < 0)
		goto fail_pci;
	at = add_cap(pd, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY,
		     dev->nr_queues * VIRTIO_PCI_NOTIFY_MULTIPLIER, 4);
	if (at < 0)
		goto fail_pci;
	le_put(pd->config + at + CAP_NOTIFY_MULT, VIRTIO_PCI_NOTIFY_MULTIPLIER, 4);
	/* The access window: bar, offset, length and data are the driver's. */
	at = add_cap(pd, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 4);
	if (at < 0)
		goto fail_pci;
	p->cfg_cap = (unsigned)at;
	pd->config[at + CAP_BAR] = 0;
	memset(pd->wmask + at + CAP_BAR, 0xff, 1);
	memset(pd->wmask + at + CAP_OFFSET, 0xff, 12);
	if (pci_msix_init(pd, p->nr_vectors, VIRTIO_PCI_MSIX_BAR, 0, 0x800,
			  sink) < 0)
		goto fail_pci;
	dev->transport = (struct virtio_transport){
		.notify_queue = notify_queue,
		.notify_config = notify_config,
		.kick_later = kick_later,
		.queue_kick_fd = queue_kick_fd,
		.queue_call_fd = queue_call_fd,
		.ctx = p,
	};
	return p;
fail_pci:
	pci_device_destroy(pd);
fail:
	free(p);
	return NULL;
}

static void on_notify(void *opaque, uint32_t events)
{
	struct pci_notifier *n = opaque;
	uint64_t count;

	(void)events;
	/* Take the count, or the level-triggered loop calls again at once. */
	if (read(n->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("%s: eventfd read: %s", n->p->dev->name, strerror(errno));
	virtio_queue_kick(n->p->dev, n->q);
}

void virtio_pci_use_ioeventfd(struct virtio_pci *p, struct vm *vm)
{
	p->vm = vm;
	for (unsigned q = 0; q < p->dev->nr_queues; q++) {
		struct pci_notifier *n = &p->notify[q];

		/* Made unassigned; the BAR's moves place it (bar_moved). */
		n->fd = vm_ioeventfd(vm, false, UINT64_MAX, 2, false, 0);
		if (n->fd < 0) {
			log_info("%s: queue notifications exit to minivmm: %s",
				 p->dev->name, err_msg());
			return;
		}
		n->src = event_loop_add_fd(vm->loop, n->fd, EPOLLIN, on_notify, n);
	}
}

void virtio_pci_set_intx(struct virtio_pci *p, struct irq_line *line)
{
	p->intx = line;
	p->pci.config[PCI_INTERRUPT_LINE] = line ? (uint8_t)line->irq : 0xff;
	p->pci.config[PCI_INTERRUPT_PIN] = line ? 1 : 0; /* INTA#, or none */
}

struct pci_device *virtio_pci_device(struct virtio_pci *p)
{
	return &p->pci;
}

struct virtio_dev *virtio_pci_dev(struct virtio_pci *p)
{
	return p->dev;
}

/* ---- Device operations ---- */

static void virtio_pci_reset(void *opaque)
{
	struct virtio_pci *p = opaque;

	virtio_reset(p->dev);
	pthread_mutex_lock(&p->dev->lock);
	regs_reset(p);
	pthread_mutex_unlock(&p->dev->lock);
}

static int virtio_pci_save(void *opaque, struct state_writer *w)
{
	struct virtio_pci *p = opaque;

	pthread_mutex_lock(&p->dev->lock);
	state_put_u32(w, p->dfselect);
	state_put_u32(w, p->gfselect);
	state_put_u16(w, p->qselect);
	state_put_u16(w, p->config_vector);
	state_put_u8(w, atomic_load(&p->isr));
	pthread_mutex_unlock(&p->dev->lock);
	return virtio_save(p->dev, w);
}

static int virtio_pci_load(void *opaque, struct state_reader *r,
			   uint32_t version)
{
	struct virtio_pci *p = opaque;
	uint32_t dfs = state_get_u32(r), gfs = state_get_u32(r);
	uint16_t qsel = state_get_u16(r), cvec = state_get_u16(r);
	uint8_t isr = state_get_u8(r);

	(void)version;
	if (state_reader_error(r, p->dev->name) < 0)
		return -1;
	if (isr & ~(VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG))
		return state_reader_fail(r, "ISR 0x%x", isr);
	if (cvec != VIRTIO_MSI_NO_VECTOR && cvec >= p->nr_vectors)
		return state_reader_fail(r, "config vector %u", cvec);
	pthread_mutex_lock(&p->dev->lock);
	p->dfselect = dfs;
	p->gfselect = gfs;
	p->qselect = qsel;
	p->config_vector = cvec;
	atomic_store(&p->isr, isr);
	pthread_mutex_unlock(&p->dev->lock);
	if (virtio_load(p->dev, r, p->dev->ops->version) < 0)
		return -1;
	for (unsigned q = 0; q < p->dev->nr_queues; q++) {
		uint16_t v = p->dev->vqs[q].msix_vector;

		if (v != VIRTIO_MSI_NO_VECTOR && v >= p->nr_vectors)
			return state_reader_fail(r, "queue %u vector %u", q, v);
	}
	return 0;
}

static void virtio_pci_destroy(void *opaque)
{
	struct virtio_pci *p = opaque;

	if (!p)
		return;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES && p->vm; q++) {
		if (p->notify[q].src)
			event_loop_remove(p->vm->loop, p->notify[q].src);
		if (p->notify[q].fd >= 0)
			vm_ioeventfd_remove(p->vm, p->notify[q].fd);
	}
	virtio_reset(p->dev);
	virtio_dev_destroy(p->dev);
	pci_device_destroy(&p->pci);
	free(p);
}

static void virtio_pci_pause(void *opaque, bool paused)
{
	virtio_pause(((struct virtio_pci *)opaque)->dev, paused);
}

const struct device_ops virtio_pci_device_ops = {
	.type = "virtio-pci",
	.version = 1,
	.reset = virtio_pci_reset,
	.pause = virtio_pci_pause,
	.save = virtio_pci_save,
	.load = virtio_pci_load,
	.destroy = virtio_pci_destroy,
};
