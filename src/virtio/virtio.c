// SPDX-License-Identifier: MIT
/*
 * The transport-independent half of every virtio device (virtio 1.2,
 * sections 2 and 3): feature negotiation, the status state machine,
 * device reset, configuration space and its generation, the queues, and
 * saved state.  See virtio.h.
 */
#include "virtio/virtio.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "state.h"

/* What the core offers on top of a model's own features. */
#define CORE_FEATURES                                            \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_INDIRECT_DESC) | \
	 (1ull << VIRTIO_F_EVENT_IDX))

#define STATUS_BITS                                                       \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |                 \
	 VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK |              \
	 VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)

int virtio_dev_init(struct virtio_dev *dev, const char *name,
		    const struct virtio_dev_ops *ops, void *priv,
		    const struct guest_mem *mem, uint64_t features,
		    unsigned nr_queues, uint16_t queue_max)
{
	memset(dev, 0, sizeof(*dev));
	if (nr_queues == 0 || nr_queues > VIRTIO_MAX_QUEUES)
		return err_set("%s: %u queues (1 to %d)", name, nr_queues,
			       VIRTIO_MAX_QUEUES);
	if (queue_max == 0 || queue_max > VQ_MAX_SIZE ||
	    (queue_max & (queue_max - 1)))
		return err_set("%s: queue size %u is not a power of 2 up to %d",
			       name, queue_max, VQ_MAX_SIZE);
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->ops = ops;
	dev->priv = priv;
	dev->mem = mem;
	dev->host_features = features | CORE_FEATURES;
	dev->nr_queues = nr_queues;
	pthread_mutex_init(&dev->lock, NULL);
	for (unsigned i = 0; i < nr_queues; i++) {
		vq_init(&dev->vqs[i], mem, i, dev->name);
		dev->queue_max[i] = queue_max;
	}
	return 0;
}

void virtio_dev_destroy(struct virtio_dev *dev)
{
	const struct virtio_dev_ops *ops = dev->ops;

	if (!ops)
		return;
	/* The model may hold dev inside its own state: it goes last. */
	pthread_mutex_destroy(&dev->lock);
	dev->ops = NULL;
	if (ops->destroy)
		ops->destroy(dev);
}

uint32_t virtio_get_device_features(struct virtio_dev *dev, unsigned word)
{
	return word < 2 ? (uint32_t)(dev->host_features >> (32 * word)) : 0;
}

uint32_t virtio_get_driver_features(struct virtio_dev *dev, unsigned word)
{
	return word < 2 ? (uint32_t)(dev->guest_features >> (32 * word)) : 0;
}

void virtio_set_driver_features(struct virtio_dev *dev, unsigned word,
				uint32_t value)
{
	uint64_t mask;

	/* 3.1.1: features are fixed once FEATURES_OK is set. */
	if (word > 1 || (dev->status & VIRTIO_STATUS_FEATURES_OK))
		return;
	mask = 0xffffffffull << (32 * word);
	dev->guest_features = (dev->guest_features & ~mask) |
			      (((uint64_t)value << (32 * word)) & mask);
}

bool virtio_has_feature(const struct virtio_dev *dev, unsigned bit)
{
	return bit < 64 && (dev->guest_features >> bit) & 1;
}

/* Everything back to the reset state; the model first (lock dropped). */
static void reset_locked(struct virtio_dev *dev)
{
	pthread_mutex_unlock(&dev->lock);
	if (dev->ops->reset)
		dev->ops->reset(dev);
	pthread_mutex_lock(&dev->lock);
	for (unsigned i = 0; i < dev->nr_queues; i++)
		vq_reset(&dev->vqs[i]);
	dev->status = 0;
	dev->guest_features = 0;
	dev->activated = false;
	dev->kicks_waiting = 0;
}

void virtio_reset(struct virtio_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	reset_locked(dev);
	pthread_mutex_unlock(&dev->lock);
}

/* 6.1: only what was offered, and VERSION_1 (we are a modern device). */
static bool features_acceptable(const struct virtio_dev *dev)
{
	return !(dev->guest_features & ~dev->host_features) &&
	       virtio_has_feature(dev, VIRTIO_F_VERSION_1);
}

void virtio_set_status(struct virtio_dev *dev, uint8_t status)
{
	uint8_t old = dev->status;

	if (status == 0) {
		reset_locked(dev);
		return;
	}
	status &= STATUS_BITS;
	/* Bits the device owns are not the driver's to set. */
	status = (uint8_t)((status & ~VIRTIO_STATUS_NEEDS_RESET) |
			   (old & VIRTIO_STATUS_NEEDS_RESET));
	if ((status & VIRTIO_STATUS_FEATURES_OK) &&
	    !(old & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(dev))
		status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK; /* 3.1.1 step 6 */
	dev->status = status;
	if ((status & VIRTIO_STATUS_DRIVER_OK) && !dev->activated) {
		if (!(status & VIRTIO_STATUS_FEATURES_OK)) {
			log_warn("%s: DRIVER_OK without FEATURES_OK; the device needs a reset",
				 dev->name);
			dev->status |= VIRTIO_STATUS_NEEDS_RESET;
			return;
		}
		if (dev->ops->activate && dev->ops->activate(dev) < 0) {
			log_warn("%s: cannot start: %s", dev->name, err_msg());
			dev->status |= VIRTIO_STATUS_NEEDS_RESET;
			return;
		}
		dev->activated = true;
	}
}

int virtio_queue_enable(struct virtio_dev *dev, unsigned q)
{
	struct virtqueue *vq;

	if (q >= dev->nr_queues)
		return err_set("%s: no queue %u", dev->name, q);
	vq = &dev->vqs[q];
	if (vq->size > dev->queue_max[q])
		return err_set("%s queue %u: size %u above its maximum %u",
			       dev->name, q, vq->size, dev->queue_max[q]);
	vq->event_idx = virtio_has_feature(dev, VIRTIO_F_EVENT_IDX);
	vq->indirect = virtio_has_feature(dev, VIRTIO_F_INDIRECT_DESC);
	if (vq_enable(vq) < 0) {
		log_warn("%s", err_msg());
		return -1;
	}
	return 0;
}

static bool config_in_range(const struct virtio_dev *dev, uint32_t offset,
			    uint32_t len)
{
	return len && offset <= dev->ops->config_size &&
	       len <= dev->ops->config_size - offset;
}

void virtio_config_read(struct virtio_dev *dev, uint32_t offset,
			uint8_t *data, uint32_t len)
{
	if (config_in_range(dev, offset, len) && dev->ops->config_read)
		dev->ops->config_read(dev, offset, data, len);
	else
		memset(data, 0, len);
}

void virtio_config_write(struct virtio_dev *dev, uint32_t offset,
			 const uint8_t *data, uint32_t len)
{
	if (config_in_range(dev, offset, len) && dev->ops->config_write)
		dev->ops->config_write(dev, offset, data, len);
}

void virtio_queue_kick(struct virtio_dev *dev, unsigned q)
{
	bool go;

	pthread_mutex_lock(&dev->lock);
	go = q < dev->nr_queues && dev->activated && dev->vqs[q].ready &&
	     !(dev->status & VIRTIO_STATUS_NEEDS_RESET);
	if (go && dev->paused) {
		dev->kicks_waiting |= 1u << q;
		go = false;
	}
	pthread_mutex_unlock(&dev->lock);
	if (go && dev->ops->queue_notify)
		dev->ops->queue_notify(dev, q);
}

void virtio_pause(struct virtio_dev *dev, bool paused)
{
	uint32_t kicks;

	pthread_mutex_lock(&dev->lock);
	if (dev->paused == paused) {
		pthread_mutex_unlock(&dev->lock);
		return;
	}
	dev->paused = paused;
	kicks = paused ? 0 : dev->kicks_waiting;
	dev->kicks_waiting = 0;
	pthread_mutex_unlock(&dev->lock);
	if (dev->ops->pause)
		dev->ops->pause(dev, paused);
	if (paused && dev->ops->drain)
		dev->ops->drain(dev);
	for (unsigned q = 0; kicks && q < dev->nr_queues; q++)
		if (kicks & (1u << q))
			virtio_queue_kick(dev, q);
}

void virtio_notify_queue(struct virtio_dev *dev, unsigned q)
{
	if (q < dev->nr_queues && vq_should_notify(&dev->vqs[q]) &&
	    dev->transport.notify_queue)
		dev->transport.notify_queue(dev->transport.ctx, q);
}

void virtio_config_changed(struct virtio_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	dev->config_generation++;
	pthread_mutex_unlock(&dev->lock);
	if (dev->transport.notify_config)
		dev->transport.notify_config(dev->transport.ctx);
}

void virtio_needs_reset(struct virtio_dev *dev, const char *why)
{
	bool first;

	pthread_mutex_lock(&dev->lock);
	first = !(dev->status & VIRTIO_STATUS_NEEDS_RESET);
	dev->status |= VIRTIO_STATUS_NEEDS_RESET;
	pthread_mutex_unlock(&dev->lock);
	if (!first)
		return;
	log_warn("%s: %s; the device stops until the driver resets it",
		 dev->name, why);
	/* 2.1.2: the driver hears of it through a config-change interrupt. */
	if (dev->status & VIRTIO_STATUS_DRIVER_OK && dev->transport.notify_config)
		dev->transport.notify_config(dev->transport.ctx);
}

int virtio_save(struct virtio_dev *dev, struct state_writer *w)
{
	int r = 0;

	if (dev->ops->drain)
		dev->ops->drain(dev);
	pthread_mutex_lock(&dev->lock);
	state_put_u8(w, dev->status);
	state_put_u64(w, dev->guest_features);
	state_put_u32(w, dev->config_generation);
	state_put_bool(w, dev->activated);
	state_put_u32(w, dev->nr_queues);
	for (unsigned i = 0; i < dev->nr_queues; i++)
		vq_save(&dev->vqs[i], w);
	pthread_mutex_unlock(&dev->lock);
	if (dev->ops->save_state)
		r = dev->ops->save_state(dev, w);
	return r;
}

int virtio_load(struct virtio_dev *dev, struct state_reader *r,
		uint32_t version)
{
	uint8_t status = state_get_u8(r);
	uint64_t features = state_get_u64(r);
	uint32_t generation = state_get_u32(r);
	bool activated = state_get_bool(r);
	uint32_t nr = state_get_u32(r);

	if (state_reader_error(r, dev->name) < 0)
		return -1;
	if (status & ~STATUS_BITS)
		return state_reader_fail(r, "status 0x%02x", status);
	if (features & ~dev->host_features)
		return state_reader_fail(r, "features 0x%llx were not offered",
					 (unsigned long long)features);
	if (nr != dev->nr_queues)
		return state_reader_fail(r, "%u queues, the device has %u", nr,
					 dev->nr_queues);
	if (activated && !(status & VIRTIO_STATUS_DRIVER_OK))
		return state_reader_fail(r, "activated without DRIVER_OK");
	pthread_mutex_lock(&dev->lock);
	dev->status = status;
	dev->guest_features = features;
	dev->config_generation = generation;
	dev->activated = false;
	for (unsigned i = 0; i < nr; i++) {
		if (vq_load(&dev->vqs[i], r) < 0) {
			pthread_mutex_unlock(&dev->lock);
			return -1;
		}
		if (dev->vqs[i].size > dev->queue_max[i]) {
			pthread_mutex_unlock(&dev->lock);
			return state_reader_fail(r, "queue %u: size %u above %u", i,
						 dev->vqs[i].size, dev->queue_max[i]);
		}
	}
	pthread_mutex_unlock(&dev->lock);
	if (dev->ops->load_state && dev->ops->load_state(dev, r, version) < 0)
		return -1;
	if (activated) {
		if (dev->ops->activate && dev->ops->activate(dev) < 0)
			return state_reader_fail(r, "cannot start: %s", err_msg());
		dev->activated = true;
		/*
		 * Requests the driver had posted when the snapshot was taken
		 * may wait for a kick that came before it: look at every queue
		 * once, as on a notification.
		 */
		for (unsigned i = 0; i < nr && dev->transport.kick_later; i++)
			if (dev->vqs[i].ready)
				dev->transport.kick_later(dev->transport.ctx, i);
	}
	return 0;
}
