// SPDX-License-Identifier: MIT
/*
 * virtio-rng (virtio 1.2, 5.4).  Requests are handled where the kick
 * arrives (the event loop, or the vCPU thread of an MMIO exit), in batches
 * of at most one queue's worth, so a driver that keeps refilling cannot hold
 * the thread: the rest is picked up through the transport's kick_later.
 */
#include "virtio/rng.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "virtio/virtio.h"

#define RNG_QUEUE_SIZE 256

struct virtio_rng {
	struct virtio_dev vdev;
	pthread_mutex_t lock; /* the queue: event loop and vCPU threads */
	struct vq_chain chain;
	uint64_t bytes; /* handed to the guest */
};

/* Fill up to len bytes of the chain's writable buffers with entropy. */
static uint32_t fill(struct vq_chain *c)
{
	uint32_t want = c->in_len < VIRTIO_RNG_MAX_CHAIN ? c->in_len :
							    VIRTIO_RNG_MAX_CHAIN;
	uint32_t done = 0;

	for (unsigned i = 0; i < c->nr_in && done < want; i++) {
		size_t n = c->in[i].iov_len;
		size_t got = 0;

		if (n > want - done)
			n = want - done;
		while (got < n) {
			ssize_t r = getrandom((uint8_t *)c->in[i].iov_base + got,
					      n - got, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return done + (uint32_t)got;
			got += (size_t)r;
		}
		done += (uint32_t)n;
	}
	return done;
}

static void rng_notify(struct virtio_dev *dev, unsigned q)
{
	struct virtio_rng *rng = dev->priv;
	struct virtqueue *vq = &dev->vqs[0];
	bool pushed = false, more = false;

	if (q != 0)
		return;
	pthread_mutex_lock(&rng->lock);
	for (unsigned n = 0; n < vq->size; n++) {
		enum vq_pop_result r = vq_pop(vq, &rng->chain);
		uint32_t len;

		if (r == VQ_EMPTY)
			break;
		if (r == VQ_BROKEN) {
			pthread_mutex_unlock(&rng->lock);
			virtio_needs_reset(dev, "a malformed request chain");
			return;
		}
		len = fill(&rng->chain);
		vq_push(vq, rng->chain.head, len);
		rng->bytes += len;
		pushed = true;
	}
	more = vq_has_avail(vq);
	pthread_mutex_unlock(&rng->lock);
	if (pushed)
		virtio_notify_queue(dev, 0);
	if (more && dev->transport.kick_later)
		dev->transport.kick_later(dev->transport.ctx, 0);
}

static void rng_reset(struct virtio_dev *dev)
{
	struct virtio_rng *rng = dev->priv;

	/* Nothing in flight: requests complete inside rng_notify. */
	pthread_mutex_lock(&rng->lock);
	pthread_mutex_unlock(&rng->lock);
}

static void rng_destroy(struct virtio_dev *dev)
{
	struct virtio_rng *rng = dev->priv;

	pthread_mutex_destroy(&rng->lock);
	free(rng);
}

static const struct virtio_dev_ops rng_ops = {
	.type = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.version = 1,
	.config_size = 0,
	.reset = rng_reset,
	.queue_notify = rng_notify,
	.destroy = rng_destroy,
};

struct virtio_dev *virtio_rng_create(const char *name,
				     const struct guest_mem *mem)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng) {
		err_set("%s: out of memory", name);
		return NULL;
	}
	if (virtio_dev_init(&rng->vdev, name, &rng_ops, rng, mem, 0,
			    VIRTIO_RNG_QUEUES, RNG_QUEUE_SIZE) < 0) {
		free(rng);
		return NULL;
	}
	pthread_mutex_init(&rng->lock, NULL);
	return &rng->vdev;
}
