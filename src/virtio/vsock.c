// SPDX-License-Identifier: MIT
/*
 * virtio-vsock (virtio 1.2, 5.10): the queues, the configuration space
 * and snapshots; the connections are vsock_conn.c's.  See vsock.h.
 *
 * Packets (5.10.6): a tx chain is the 44-byte header and h->len bytes of
 * payload in the device-readable part; an rx chain is device-writable
 * room for a header and what payload fits.  A tx packet shorter than a
 * header, or claiming more payload than the chain holds or than
 * VSOCK_MAX_PKT_LEN, is dropped (logged once); its type, CIDs and
 * operation are vsock_mux_tx's to judge.
 */
#include "virtio/vsock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "byteorder.h"
#include "event_loop.h"
#include "iov.h"
#include "log.h"
#include "state.h"
#include "virtio/virtio.h"
#include "virtio/vsock_conn.h"
#include "virtio/vsock_proto.h"

#define RX 0
#define TX 1
#define EVQ 2
/* Chains taken from one queue per round. */
#define BATCH VIRTIO_VSOCK_QUEUE_SIZE

enum {
	WARN_SHORT_TX = 1,
	WARN_BAD_LEN = 2,
	WARN_SHORT_RX = 4,
	WARN_SHORT_EVENT = 8,
};

struct virtio_vsock {
	struct virtio_dev vdev;
	pthread_mutex_t lock; /* everything below, and the connections */
	uint64_t cid;
	struct event_loop *loop;
	int wake_fd;
	struct event_source *wake_src;
	struct vsock_mux *mux;
	bool active; /* DRIVER_OK, not reset since */
	bool broken; /* a queue broke the rules: idle until reset */
	bool paused; /* the VM is paused: the queues wait (on_wake does nothing) */
	bool event_pending; /* TRANSPORT_RESET for the event queue */
	unsigned warned;
	struct vq_chain chain;
	struct iovec payload[VQ_MAX_IOV];
};

#define WARN_ONCE(v, kind, ...)                    \
	do {                                       \
		if (!((v)->warned & (kind))) {     \
			(v)->warned |= (kind);     \
			log_warn(__VA_ARGS__);     \
		}                                  \
	} while (0)

static void wake(void *ctx)
{
	struct virtio_vsock *v = ctx;
	uint64_t one = 1;

	if (write(v->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("%s: eventfd write: %s", v->vdev.name, strerror(errno));
}

/* ---- The queues (lock held) ---- */

/* Packets from the guest.  Returns whether more chains wait. */
static bool do_tx(struct virtio_vsock *v, bool *pushed)
{
	struct virtio_dev *dev = &v->vdev;
	struct virtqueue *vq = &dev->vqs[TX];
	struct vq_chain *c = &v->chain;

	if (!vq->ready)
		return false;
	for (unsigned n = 0; n < BATCH; n++) {
		enum vq_pop_result r = vq_pop(vq, c);
		uint8_t raw[VSOCK_HDR_LEN];
		struct vsock_hdr h;
		unsigned nr;

		if (r == VQ_EMPTY)
			return false;
		if (r == VQ_BROKEN) {
			v->broken = true;
			return false;
		}
		*pushed = true;
		if (c->out_len < VSOCK_HDR_LEN) {
			WARN_ONCE(v, WARN_SHORT_TX,
				  "%s: a tx packet of %u bytes, shorter than its header; dropped",
				  dev->name, c->out_len);
			vq_push(vq, c->head, 0);
			continue;
		}
		iov_to_buf(c->out, c->nr_out, 0, raw, VSOCK_HDR_LEN);
		vsock_hdr_decode(&h, raw);
		if (h.len > VSOCK_MAX_PKT_LEN || h.len > c->out_len - VSOCK_HDR_LEN) {
			WARN_ONCE(v, WARN_BAD_LEN,
				  "%s: a tx packet claims %u bytes of payload and carries %u; dropped",
				  dev->name, h.len, c->out_len - VSOCK_HDR_LEN);
			vq_push(vq, c->head, 0);
			continue;
		}
		nr = iov_slice(v->payload, c->out, c->nr_out, VSOCK_HDR_LEN, h.len);
		vsock_mux_tx(v->mux, &h, v->payload, nr);
		vq_push(vq, c->head, 0);
	}
	return vq_has_avail(vq);
}

/* Packets for the guest.  Returns whether more are waiting for this round. */
static bool do_rx(struct virtio_vsock *v, bool *pushed)
{
	struct virtio_dev *dev = &v->vdev;
	struct virtqueue *vq = &dev->vqs[RX];
	struct vq_chain *c = &v->chain;

	if (!vq->ready)
		return false;
	for (unsigned n = 0; n < BATCH; n++) {
		uint8_t raw[VSOCK_HDR_LEN];
		struct vsock_hdr h;
		enum vq_pop_result r;
		unsigned nr;

		if (!vsock_mux_has_rx(v->mux))
			return false;
		r = vq_pop(vq, c);
		if (r == VQ_EMPTY)
			return false; /* the guest's next rx kick resumes it */
		if (r == VQ_BROKEN) {
			v->broken = true;
			return false;
		}
		if (c->in_len < VSOCK_HDR_LEN) {
			WARN_ONCE(v, WARN_SHORT_RX,
				  "%s: an rx buffer of %u bytes, too small for a header; returned unused",
				  dev->name, c->in_len);
			vq_push(vq, c->head, 0);
			*pushed = true;
			continue;
		}
		nr = iov_slice(v->payload, c->in, c->nr_in, VSOCK_HDR_LEN,
			   c->in_len - VSOCK_HDR_LEN);
		if (!vsock_mux_rx(v->mux, &h, v->payload, nr,
				  c->in_len - VSOCK_HDR_LEN)) {
			vq_unpop(vq);
			return false;
		}
		vsock_hdr_encode(raw, &h);
		iov_from_buf(c->in, c->nr_in, 0, raw, VSOCK_HDR_LEN);
		vq_push(vq, c->head, VSOCK_HDR_LEN + h.len);
		*pushed = true;
	}
	return vsock_mux_has_rx(v->mux);
}

/* The pending TRANSPORT_RESET, when the driver has an event buffer. */
static void do_event(struct virtio_vsock *v, bool *pushed)
{
	struct virtio_dev *dev = &v->vdev;
	struct virtqueue *vq = &dev->vqs[EVQ];
	uint8_t ev[VSOCK_EVENT_LEN];
	enum vq_pop_result r;

	if (!v->event_pending || !vq->ready)
		return;
	r = vq_pop(vq, &v->chain);
	if (r == VQ_EMPTY)
		return; /* sent on the driver's next event-queue kick */
	if (r == VQ_BROKEN) {
		v->broken = true;
		return;
	}
	*pushed = true;
	if (v->chain.in_len < VSOCK_EVENT_LEN) {
		WARN_ONCE(v, WARN_SHORT_EVENT,
			  "%s: an event buffer of %u bytes, too small; returned unused",
			  dev->name, v->chain.in_len);
		vq_push(vq, v->chain.head, 0);
		return;
	}
	le_put(ev, VSOCK_EVENT_TRANSPORT_RESET, 4);
	iov_from_buf(v->chain.in, v->chain.nr_in, 0, ev, sizeof(ev));
	vq_push(vq, v->chain.head, VSOCK_EVENT_LEN);
	v->event_pending = false;
}

/* The device's eventfd: a kick, a reset, packets waiting for the guest. */
static void on_wake(void *opaque, uint32_t events)
{
	struct virtio_vsock *v = opaque;
	struct virtio_dev *dev = &v->vdev;
	bool tx = false, rx = false, ev = false, more = false, broken;
	uint64_t n;

	(void)events;
	if (read(v->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("%s: eventfd read: %s", dev->name, strerror(errno));
	pthread_mutex_lock(&v->lock);
	vsock_mux_sync(v->mux);
	/* Paused: the host side may queue, nothing reaches the guest. */
	if (v->active && !v->broken && !v->paused) {
		do_event(v, &ev);
		if (!v->broken)
			more |= do_tx(v, &tx);
		/* tx's answers (RESPONSE, RST, credit) go out in the same round. */
		if (!v->broken)
			more |= do_rx(v, &rx);
	}
	broken = v->broken;
	pthread_mutex_unlock(&v->lock);
	if (tx)
		virtio_notify_queue(dev, TX);
	if (rx)
		virtio_notify_queue(dev, RX);
	if (ev)
		virtio_notify_queue(dev, EVQ);
	if (broken)
		virtio_needs_reset(dev, "a malformed chain");
	else if (more)
		wake(v);
}

/* ---- virtio_dev_ops ---- */

static void vsock_config_read(struct virtio_dev *dev, uint32_t off,
			      uint8_t *data, uint32_t len)
{
	struct virtio_vsock *v = dev->priv;
	uint8_t cfg[VIRTIO_VSOCK_CONFIG_SIZE];

	le_put(cfg, v->cid, 8); /* guest_cid (5.10.4) */
	memcpy(data, cfg + off, len);
}

static void vsock_queue_notify(struct virtio_dev *dev, unsigned q)
{
	(void)q;
	/* Served on the loop's thread, whichever thread kicked. */
	wake(dev->priv);
}

/* The VM pauses: the queues wait; going on, a round looks at them. */
static void vsock_pause(struct virtio_dev *dev, bool paused)
{
	struct virtio_vsock *v = dev->priv;

	pthread_mutex_lock(&v->lock);
	v->paused = paused;
	pthread_mutex_unlock(&v->lock);
	if (!paused)
		wake(v);
}

static int vsock_activate(struct virtio_dev *dev)
{
	struct virtio_vsock *v = dev->priv;

	pthread_mutex_lock(&v->lock);
	v->active = true;
	pthread_mutex_unlock(&v->lock);
	wake(v);
	return 0;
}

static void vsock_reset(struct virtio_dev *dev)
{
	struct virtio_vsock *v = dev->priv;

	/*
	 * Any thread: the queues are not touched once this returns (the loop
	 * thread checks `active` under the lock), the connections are closed
	 * on the loop's thread before anything else happens there.
	 */
	pthread_mutex_lock(&v->lock);
	v->active = false;
	v->broken = false;
	v->event_pending = false;
	vsock_mux_request_reset(v->mux);
	pthread_mutex_unlock(&v->lock);
	wake(v);
}

static int vsock_save_state(struct virtio_dev *dev, struct state_writer *w)
{
	struct virtio_vsock *v = dev->priv;

	state_put_u64(w, v->cid);
	return 0;
}

static int vsock_load_state(struct virtio_dev *dev, struct state_reader *r,
			    uint32_t version)
{
	struct virtio_vsock *v = dev->priv;
	uint64_t cid = state_get_u64(r);

	(void)version;
	if (state_reader_error(r, dev->name) < 0)
		return -1;
	if (cid != v->cid)
		return state_reader_fail(r, "guest CID %llu, this device has %llu",
					 (unsigned long long)cid,
					 (unsigned long long)v->cid);
	/*
	 * The host sockets of the saved connections are gone: tell the driver
	 * to drop its own (5.10.6.7, as Firecracker does after a restore).
	 */
	pthread_mutex_lock(&v->lock);
	vsock_mux_request_reset(v->mux);
	v->broken = false;
	v->event_pending = true;
	pthread_mutex_unlock(&v->lock);
	wake(v);
	return 0;
}

static void vsock_destroy(struct virtio_dev *dev)
{
	struct virtio_vsock *v = dev->priv;

	event_loop_remove(v->loop, v->wake_src);
	vsock_mux_destroy(v->mux);
	if (v->wake_fd >= 0)
		close(v->wake_fd);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static const struct virtio_dev_ops vsock_ops = {
	.type = "virtio-vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.version = 1,
	.config_size = VIRTIO_VSOCK_CONFIG_SIZE,
	.config_read = vsock_config_read,
	.activate = vsock_activate,
	.reset = vsock_reset,
	.queue_notify = vsock_queue_notify,
	.pause = vsock_pause,
	.save_state = vsock_save_state,
	.load_state = vsock_load_state,
	.destroy = vsock_destroy,
};

struct virtio_dev *virtio_vsock_create(const char *name,
				       const struct guest_mem *mem,
				       uint64_t guest_cid, const char *uds_path,
				       struct event_loop *loop)
{
	struct virtio_vsock *v;
	struct vsock_mux_host host;

	if (guest_cid < VSOCK_MIN_GUEST_CID || guest_cid > VSOCK_MAX_GUEST_CID) {
		err_set("%s: guest-cid=%llu: a guest's CID is 3 to %llu", name,
			(unsigned long long)guest_cid,
			(unsigned long long)VSOCK_MAX_GUEST_CID);
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		err_set("%s: out of memory", name);
		return NULL;
	}
	v->cid = guest_cid;
	v->loop = loop;
	pthread_mutex_init(&v->lock, NULL);
	v->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->wake_fd < 0) {
		err_errno("%s: eventfd", name);
		goto fail;
	}
	v->wake_src = event_loop_add_fd(loop, v->wake_fd, EPOLLIN, on_wake, v);
	if (!v->wake_src)
		goto fail;
	host = (struct vsock_mux_host){ .rx_ready = wake, .ctx = v };
	v->mux = vsock_mux_create(name, guest_cid, uds_path, loop, &v->lock, &host);
	if (!v->mux)
		goto fail;
	if (virtio_dev_init(&v->vdev, name, &vsock_ops, v, mem, 0,
			    VIRTIO_VSOCK_QUEUES, VIRTIO_VSOCK_QUEUE_SIZE) < 0) {
		vsock_destroy(&v->vdev);
		return NULL;
	}
	return &v->vdev;
fail:
	event_loop_remove(loop, v->wake_src);
	if (v->wake_fd >= 0)
		close(v->wake_fd);
	pthread_mutex_destroy(&v->lock);
	free(v);
	return NULL;
}

unsigned virtio_vsock_nr_conns(struct virtio_dev *dev)
{
	struct virtio_vsock *v = dev->priv;
	unsigned n;

	pthread_mutex_lock(&v->lock);
	vsock_mux_sync(v->mux);
	n = vsock_mux_nr_conns(v->mux);
	pthread_mutex_unlock(&v->lock);
	return n;
}

void virtio_vsock_set_timeout_ms(struct virtio_dev *dev, unsigned ms)
{
	struct virtio_vsock *v = dev->priv;

	pthread_mutex_lock(&v->lock);
	vsock_mux_set_timeout_ms(v->mux, ms);
	pthread_mutex_unlock(&v->lock);
}
