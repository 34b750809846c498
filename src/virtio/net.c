// SPDX-License-Identifier: MIT
/*
 * virtio-net (virtio 1.2, 5.1): see net.h.  Configuration space (5.1.4),
 * little-endian:
 *
 *    0 mac[6]   6 status (le16)   8 max_virtqueue_pairs (le16)   10 mtu (le16)
 *
 * Locking: rx_lock guards the receive queue, the pending frame and whether
 * the back end's fd is watched; tx_lock the transmit queue.  The receive
 * path runs on the event loop (the fd) and wherever the guest's receive
 * kick arrives; the transmit path wherever its kick arrives.  The
 * configuration bytes are under the device's lock (config_read is called
 * with it held).  Lock order: dev->lock, then rx_lock, then tx_lock;
 * virtio_needs_reset() (which takes dev->lock) is called with neither of
 * ours held.
 */
#include "virtio/net.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "byteorder.h"
#include "event_loop.h"
#include "iov.h"
#include "log.h"
#include "net/vhost_net.h"
#include "state.h"
#include "virtio/virtio.h"

/* Frames taken from the back end per round (the fd is level-triggered). */
#define RX_BUDGET 256
/* One byte more than the largest frame: a read that fills it was cut. */
#define RX_BUF_SIZE (VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME + 1)
#define ETH_HLEN 14
#define VLAN_HLEN 4
#define MIN_MTU 68
#define MAX_MTU 65535
/* What vhost-net must do itself of what the driver negotiated. */
#define VHOST_RING_FEATURES                                               \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_EVENT_IDX) |    \
	 (1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_NET_F_MRG_RXBUF))

struct virtio_net;

/* One queue's eventfd the kernel writes to interrupt the driver. */
struct vhost_call {
	struct virtio_net *net;
	unsigned q;
	int fd;
	struct event_source *src;
	bool direct; /* the transport delivers it (queue_call_fd), not us */
};

struct virtio_net {
	struct virtio_dev vdev;
	struct virtio_net_backend be;
	struct event_loop *loop;
	struct event_source *src;

	/* Under dev->lock. */
	uint8_t config[VIRTIO_NET_CONFIG_SIZE];
	uint8_t mac[6];
	unsigned mtu;
	_Atomic bool link_up;

	pthread_mutex_t rx_lock;
	bool active; /* DRIVER_OK and not reset since (set with both locks) */
	bool polling; /* the fd is watched */
	bool mergeable; /* VIRTIO_NET_F_MRG_RXBUF */
	uint64_t features; /* negotiated, cached at activation */
	uint8_t *rx_buf; /* the pending frame, header first */
	size_t rx_len; /* its length; 0: none */
	struct vq_chain *rx_first, *rx_more;
	uint16_t rx_heads[VIRTIO_NET_QUEUE_SIZE];
	uint32_t rx_lens[VIRTIO_NET_QUEUE_SIZE];
	bool rx_warned;

	pthread_mutex_t tx_lock;
	struct vq_chain *tx_chain;
	bool tx_warned;

	struct virtio_net_stats stats; /* rx_* under rx_lock, tx_* under tx_lock */

	/* vhost-net (be.vhost): under rx_lock and tx_lock, both. */
	bool vhost_running; /* the kernel has the rings */
	bool vhost_off; /* after a snapshot: user space for the rest of the run */
	bool paused; /* the VM is paused: no frame moves either way */
	bool vhost_resume; /* vhost-net was stopped by the pause: start it again */
	int kick_fd[VIRTIO_NET_QUEUES]; /* ours, when the transport has none */
	int vhost_kick[VIRTIO_NET_QUEUES]; /* what the kernel waits on */
	bool kick_taken[VIRTIO_NET_QUEUES]; /* it is the transport's ioeventfd */
	struct vhost_call call[VIRTIO_NET_QUEUES];
};

static bool has(const struct virtio_net *net, unsigned bit)
{
	return (net->features >> bit) & 1;
}

/* ---- Configuration space ---- */

/* dev->lock held (or the device not yet shared). */
static void build_config(struct virtio_net *net)
{
	uint8_t *c = net->config;

	memset(c, 0, sizeof(net->config));
	memcpy(c, net->mac, 6);
	le_put(c + 6, atomic_load(&net->link_up) ? VIRTIO_NET_S_LINK_UP : 0, 2);
	le_put(c + 8, 1, 2);
	le_put(c + 10, net->mtu, 2);
}

static void net_config_read(struct virtio_dev *dev, uint32_t off, uint8_t *data,
			    uint32_t len)
{
	struct virtio_net *net = dev->priv;

	memcpy(data, net->config + off, len);
}

/* The driver writes nothing here in virtio 1.x (mac is read-only, 5.1.4.2). */
static void net_config_write(struct virtio_dev *dev, uint32_t off,
			     const uint8_t *data, uint32_t len)
{
	(void)dev;
	(void)off;
	(void)data;
	(void)len;
}

void virtio_net_set_link(struct virtio_dev *dev, bool up)
{
	struct virtio_net *net = dev->priv;

	if (atomic_exchange(&net->link_up, up) == up)
		return;
	pthread_mutex_lock(&dev->lock);
	build_config(net);
	pthread_mutex_unlock(&dev->lock);
	virtio_config_changed(dev);
}

/* ---- Offloads ---- */

/*
 * TUN_F_* for what the guest negotiated to receive (5.1.3.1's
 * dependencies applied: no segmentation without the partial checksum, no
 * ECN without TSO).
 */
static uint32_t guest_offloads(const struct virtio_net *net)
{
	uint32_t f = 0;

	if (!has(net, VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	f |= TUN_F_CSUM;
	if (has(net, VIRTIO_NET_F_GUEST_TSO4))
		f |= TUN_F_TSO4;
	if (has(net, VIRTIO_NET_F_GUEST_TSO6))
		f |= TUN_F_TSO6;
	if (has(net, VIRTIO_NET_F_GUEST_ECN) && (f & (TUN_F_TSO4 | TUN_F_TSO6)))
		f |= TUN_F_TSO_ECN;
	if (has(net, VIRTIO_NET_F_GUEST_UFO))
		f |= TUN_F_UFO;
	return f & net->be.offloads;
}

static uint64_t offered_features(uint32_t offloads)
{
	uint64_t f = (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_MTU) |
		     (1ull << VIRTIO_NET_F_STATUS) |
		     (1ull << VIRTIO_NET_F_MRG_RXBUF);

	if (!(offloads & TUN_F_CSUM))
		return f;
	f |= (1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM);
	if (offloads & TUN_F_TSO4)
		f |= (1ull << VIRTIO_NET_F_GUEST_TSO4) |
		     (1ull << VIRTIO_NET_F_HOST_TSO4);
	if (offloads & TUN_F_TSO6)
		f |= (1ull << VIRTIO_NET_F_GUEST_TSO6) |
		     (1ull << VIRTIO_NET_F_HOST_TSO6);
	if ((offloads & TUN_F_TSO_ECN) && (offloads & (TUN_F_TSO4 | TUN_F_TSO6)))
		f |= (1ull << VIRTIO_NET_F_GUEST_ECN) |
		     (1ull << VIRTIO_NET_F_HOST_ECN);
	if (offloads & TUN_F_UFO)
		f |= (1ull << VIRTIO_NET_F_GUEST_UFO) |
		     (1ull << VIRTIO_NET_F_HOST_UFO);
	return f;
}

/* ---- Receive ---- */

/*
 * Watch the back end's fd for frames, or stop (rx_lock held).  The fd is
 * EPOLLONESHOT: each callback disarms it (rx_process re-arms it while it
 * wants more), and a back end that hangs up is heard of once, not in a
 * loop, while not watched.
 */
static void set_polling(struct virtio_net *net, bool on)
{
	if (net->polling == on || !net->src)
		return;
	if (event_loop_modify(net->loop, net->src,
			      on ? EPOLLIN | EPOLLONESHOT : EPOLLONESHOT) < 0) {
		log_warn("%s: %s", net->vdev.name, err_msg());
		return;
	}
	net->polling = on;
}

bool virtio_net_rx_polling(struct virtio_dev *dev)
{
	struct virtio_net *net = dev->priv;
	bool on;

	pthread_mutex_lock(&net->rx_lock);
	on = net->polling;
	pthread_mutex_unlock(&net->rx_lock);
	return on;
}

/*
 * Whether the guest can take the pending frame at all: the offloads in its
 * header were negotiated (the back end was told, but need not obey), and
 * without segmentation it fits the MTU (5.1.6.3.2).
 */
static bool frame_acceptable(const struct virtio_net *net)
{
	const uint8_t *h = net->rx_buf;
	uint8_t flags = h[0], gso = h[1];
	size_t frame = net->rx_len - VIRTIO_NET_HDR_LEN;

	if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !has(net, VIRTIO_NET_F_GUEST_CSUM))
		return false;
	if ((gso & VIRTIO_NET_HDR_GSO_ECN) && !has(net, VIRTIO_NET_F_GUEST_ECN))
		return false;
	switch (gso & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return !has(net, VIRTIO_NET_F_MTU) ||
		       frame <= net->mtu + ETH_HLEN + VLAN_HLEN;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return has(net, VIRTIO_NET_F_GUEST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return has(net, VIRTIO_NET_F_GUEST_TSO6);
	case VIRTIO_NET_HDR_GSO_UDP:
		return has(net, VIRTIO_NET_F_GUEST_UFO);
	}
	return false;
}

enum deliver { DELIVERED, DROPPED, NO_BUFFERS, BROKEN };

static void drop_too_long(struct virtio_net *net)
{
	net->stats.rx_dropped++;
	net->stats.rx_too_long++;
}

/*
 * Copy the pending frame into the receive queue (rx_lock held).  *pushed
 * says whether a used entry was written.
 */
static enum deliver deliver(struct virtio_net *net, bool *pushed)
{
	struct virtqueue *vq = &net->vdev.vqs[VIRTIO_NET_RXQ];
	uint8_t *buf = net->rx_buf;
	size_t len = net->rx_len, done = 0;
	unsigned n = 0;
	uint8_t nb[2];

	if (!frame_acceptable(net)) {
		drop_too_long(net);
		return DROPPED;
	}
	if (!vq->ready)
		return NO_BUFFERS; /* the driver has not set the queue up (yet) */
	if (!net->mergeable) {
		struct vq_chain *c = net->rx_first;

		switch (vq_pop(vq, c)) {
		case VQ_EMPTY:
			return NO_BUFFERS;
		case VQ_BROKEN:
			return BROKEN;
		case VQ_GOT:
			break;
		}
		if (c->in_len < len) {
			/* The buffer stays for the next frame. */
			vq_unpop(vq);
			drop_too_long(net);
			return DROPPED;
		}
		le_put(buf + 10, 1, 2); /* num_buffers: 1 (5.1.6.4.1) */
		iov_from_buf(c->in, c->nr_in, 0, buf, len);
		vq_push(vq, c->head, (uint32_t)len);
		*pushed = true;
		return DELIVERED;
	}
	/* 5.1.6.4: as many buffers as the frame needs, num_buffers in the first. */
	while (done < len) {
		struct vq_chain *c = n ? net->rx_more : net->rx_first;
		size_t piece;

		if (n == vq->size || n == VIRTIO_NET_QUEUE_SIZE) {
			/* The whole ring cannot hold it. */
			for (unsigned k = 0; k < n; k++)
				vq_unpop(vq);
			drop_too_long(net);
			return DROPPED;
		}
		switch (vq_pop(vq, c)) {
		case VQ_EMPTY:
			for (unsigned k = 0; k < n; k++)
				vq_unpop(vq);
			return NO_BUFFERS;
		case VQ_BROKEN:
			return BROKEN;
		case VQ_GOT:
			break;
		}
		if (n == 0 && c->in_len < VIRTIO_NET_HDR_LEN) {
			/* 5.1.6.3.1: every buffer holds a header.  Hand it back empty. */
			vq_push(vq, c->head, 0);
			*pushed = true;
			net->stats.rx_dropped++;
			return DROPPED;
		}
		piece = len - done < c->in_len ? len - done : c->in_len;
		iov_from_buf(c->in, c->nr_in, 0, buf + done, piece);
		net->rx_heads[n] = c->head;
		net->rx_lens[n] = (uint32_t)piece;
		n++;
		done += piece;
	}
	le_put(nb, n, 2);
	iov_from_buf(net->rx_first->in, net->rx_first->nr_in, 10, nb, 2);
	vq_push_batch(vq, net->rx_heads, net->rx_lens, n);
	*pushed = true;
	return DELIVERED;
}

/*
 * Read the next frame into rx_buf: 1 got one, 2 read one and dropped it
 * (counted), 0 none for now, -1 error.
 */
static int rx_read(struct virtio_net *net)
{
	ssize_t r;

	do
		r = read(net->be.fd, net->rx_buf, RX_BUF_SIZE);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (!net->rx_warned)
			log_warn("%s: reading %s: %s; receiving stops until the guest's next receive kick",
				 net->vdev.name, net->be.describe, strerror(errno));
		net->rx_warned = true;
		return -1;
	}
	if (r < VIRTIO_NET_HDR_LEN || r == RX_BUF_SIZE) {
		/* A runt without its header, or longer than any frame. */
		net->stats.rx_dropped++;
		if (r == RX_BUF_SIZE)
			net->stats.rx_too_long++;
		return 2;
	}
	net->rx_len = (size_t)r;
	return 1;
}

/* fired: called for the fd, which EPOLLONESHOT has disarmed. */
static void rx_process(struct virtio_net *net, bool fired)
{
	struct virtio_dev *dev = &net->vdev;
	bool pushed = false, notify = false, broken = false;
	unsigned budget;

	pthread_mutex_lock(&net->rx_lock);
	if (fired)
		net->polling = false;
	/* With vhost-net the tap is the kernel's (a callback from before it). */
	if (!net->active || net->vhost_running || net->paused) {
		pthread_mutex_unlock(&net->rx_lock);
		return;
	}
	for (budget = RX_BUDGET; budget; budget--) {
		enum deliver d;

		if (!net->rx_len) {
			int r = rx_read(net);

			if (r == 0) {
				set_polling(net, true);
				break;
			}
			if (r < 0)
				break; /* not watched until the next receive kick */
			if (r == 2)
				continue;
			if (!atomic_load(&net->link_up)) {
				/* Link down: the frame goes nowhere. */
				net->stats.rx_dropped++;
				net->rx_len = 0;
				continue;
			}
		}
		d = deliver(net, &pushed);
		if (d == NO_BUFFERS) {
			/* Wait for the guest's kick, not for the fd (no busy loop). */
			set_polling(net, false);
			break;
		}
		if (d == BROKEN) {
			net->rx_len = 0;
			set_polling(net, false);
			broken = true;
			break;
		}
		if (d == DELIVERED) {
			net->stats.rx_frames++;
			net->stats.rx_bytes += net->rx_len - VIRTIO_NET_HDR_LEN;
		}
		net->rx_len = 0;
	}
	/* Budget spent with frames perhaps left: the loop calls again. */
	if (!budget)
		set_polling(net, true);
	if (pushed)
		notify = vq_should_notify(&dev->vqs[VIRTIO_NET_RXQ]);
	pthread_mutex_unlock(&net->rx_lock);
	if (notify && dev->transport.notify_queue)
		dev->transport.notify_queue(dev->transport.ctx, VIRTIO_NET_RXQ);
	if (broken)
		virtio_needs_reset(dev, "a malformed receive chain");
}

static void on_backend(void *opaque, uint32_t events)
{
	(void)events;
	rx_process(opaque, true);
}

/* ---- Transmit ---- */

/* Send one chain's frame (tx_lock held). */
static void tx_send(struct virtio_net *net, const struct vq_chain *c)
{
	ssize_t w;

	if (c->out_len < VIRTIO_NET_HDR_LEN ||
	    c->out_len > VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME) {
		if (!net->tx_warned)
			log_warn("%s: a transmit chain of %u bytes (a header and at most %u bytes of frame); dropped",
				 net->vdev.name, c->out_len, VIRTIO_NET_MAX_FRAME);
		net->tx_warned = true;
		net->stats.tx_dropped++;
		return;
	}
	if (!atomic_load(&net->link_up)) {
		net->stats.tx_dropped++;
		return;
	}
	do
		w = writev(net->be.fd, c->out, (int)c->nr_out);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		/* The host refused it (a bad header, the interface down, full). */
		if (!net->tx_warned)
			log_warn("%s: writing to %s: %s; the frame is dropped",
				 net->vdev.name, net->be.describe, strerror(errno));
		net->tx_warned = true;
		net->stats.tx_dropped++;
		return;
	}
	net->stats.tx_frames++;
	net->stats.tx_bytes += c->out_len - VIRTIO_NET_HDR_LEN;
}

static void tx_process(struct virtio_net *net)
{
	struct virtio_dev *dev = &net->vdev;
	struct virtqueue *vq = &dev->vqs[VIRTIO_NET_TXQ];
	bool pushed = false, notify = false, broken = false, more = false;

	pthread_mutex_lock(&net->tx_lock);
	for (unsigned n = 0; net->active && n < vq->size; n++) {
		enum vq_pop_result r = vq_pop(vq, net->tx_chain);

		if (r == VQ_EMPTY)
			break;
		if (r == VQ_BROKEN) {
			broken = true;
			break;
		}
		tx_send(net, net->tx_chain);
		vq_push(vq, net->tx_chain->head, 0);
		pushed = true;
	}
	more = net->active && !broken && vq_has_avail(vq);
	if (pushed)
		notify = vq_should_notify(vq);
	pthread_mutex_unlock(&net->tx_lock);
	if (notify && dev->transport.notify_queue)
		dev->transport.notify_queue(dev->transport.ctx, VIRTIO_NET_TXQ);
	if (broken)
		virtio_needs_reset(dev, "a malformed transmit chain");
	else if (more && dev->transport.kick_later)
		dev->transport.kick_later(dev->transport.ctx, VIRTIO_NET_TXQ);
}

/* ---- vhost-net ---- */

/* The kernel asks for the driver's interrupt: the transport's, as ours. */
static void on_vhost_call(void *opaque, uint32_t events)
{
	struct vhost_call *c = opaque;
	struct virtio_dev *dev = &c->net->vdev;
	uint64_t count;

	(void)events;
	if (read(c->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("%s: vhost call eventfd: %s", dev->name, strerror(errno));
	if (dev->transport.notify_queue)
		dev->transport.notify_queue(dev->transport.ctx, c->q);
}

/*
 * Let the transport turn the kernel's call signals into the driver's
 * interrupts by itself (KVM's irqfd for the queue's MSI-X vector), as
 * every hop through minivmm's loop costs a wakeup; else they stay ours.
 */
static void vhost_call_direct(struct virtio_net *net, unsigned q, bool on)
{
	struct virtio_dev *dev = &net->vdev;
	struct vhost_call *c = &net->call[q];

	if (!dev->transport.queue_call_fd || !c->src || c->direct == on)
		return;
	if (on) {
		if (dev->transport.queue_call_fd(dev->transport.ctx, q, c->fd) < 0)
			return;
		c->direct = true;
		if (event_loop_modify(net->loop, c->src, 0) < 0)
			log_warn("%s: %s", dev->name, err_msg());
		return;
	}
	dev->transport.queue_call_fd(dev->transport.ctx, q, -1);
	c->direct = false;
	/* A signal the transport had not passed on yet reaches on_vhost_call. */
	if (event_loop_modify(net->loop, c->src, EPOLLIN) < 0)
		log_warn("%s: %s", dev->name, err_msg());
}

/*
 * Our view of the rings after the kernel had them: its next avail index,
 * and the used index it wrote into guest memory (both locks held).
 */
static void vhost_stop_queues(struct virtio_net *net, unsigned started)
{
	struct virtio_dev *dev = &net->vdev;

	for (unsigned q = 0; q < started; q++) {
		struct virtqueue *vq = &dev->vqs[q];
		uint16_t last;

		vhost_call_direct(net, q, false);
		if (net->kick_taken[q]) {
			/* The transport reads its ioeventfd again. */
			dev->transport.queue_kick_fd(dev->transport.ctx, q, true);
			net->kick_taken[q] = false;
		}
		if (vhost_net_stop_queue(net->be.vhost, q, &last) < 0) {
			log_warn("%s: %s", dev->name, err_msg());
			continue;
		}
		if (!vq->ready)
			continue;
		vq->last_avail = last;
		vq->used_idx = (uint16_t)le_get((const uint8_t *)vq->used + 2, 2);
		vq->signalled_valid = false;
	}
	net->vhost_running = false;
}

static void vhost_stop(struct virtio_net *net)
{
	vhost_stop_queues(net, VIRTIO_NET_QUEUES);
}

/* Hand both rings and the tap to the kernel (both locks held). */
static int vhost_start(struct virtio_net *net)
{
	struct virtio_dev *dev = &net->vdev;
	uint64_t want = dev->guest_features & VHOST_RING_FEATURES;
	uint64_t can = vhost_net_supported(net->be.vhost, want);
	unsigned q;

	if (can != want)
		return err_set("the kernel's vhost-net lacks features 0x%llx the driver took",
			       (unsigned long long)(want & ~can));
	for (q = 0; q < VIRTIO_NET_QUEUES; q++)
		if (!dev->vqs[q].ready)
			return err_set("queue %u is not set up", q);
	if (vhost_net_start_device(net->be.vhost, dev->mem, want) < 0)
		return -1;
	for (q = 0; q < VIRTIO_NET_QUEUES; q++) {
		/*
		 * The kernel waits on the transport's ioeventfd when there is
		 * one (a kick then never reaches minivmm), else on ours.
		 */
		int kick = dev->transport.queue_kick_fd ?
				   dev->transport.queue_kick_fd(dev->transport.ctx, q,
								false) :
				   -1;

		net->kick_taken[q] = kick >= 0;
		net->vhost_kick[q] = kick >= 0 ? kick : net->kick_fd[q];
		if (vhost_net_start_queue(net->be.vhost, q, &dev->vqs[q],
					  net->vhost_kick[q], net->call[q].fd,
					  net->be.fd) < 0) {
			char why[256];

			snprintf(why, sizeof(why), "%s", err_msg());
			/* The rings stay ours where the kernel never had them. */
			if (net->kick_taken[q])
				dev->transport.queue_kick_fd(dev->transport.ctx, q, true);
			net->kick_taken[q] = false;
			vhost_stop_queues(net, q);
			return err_set("%s", why);
		}
		vhost_call_direct(net, q, true);
	}
	net->vhost_running = true;
	return 0;
}

static void net_notify(struct virtio_dev *dev, unsigned q)
{
	struct virtio_net *net = dev->priv;
	uint64_t one = 1;
	bool vhost;

	pthread_mutex_lock(&net->rx_lock);
	vhost = net->vhost_running;
	/* A kick that came as an exit (or a kick_later): to the kernel's eventfd. */
	if (vhost && q < VIRTIO_NET_QUEUES &&
	    write(net->vhost_kick[q], &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("%s: vhost kick eventfd: %s", dev->name, strerror(errno));
	pthread_mutex_unlock(&net->rx_lock);
	if (vhost)
		return;
	if (q == VIRTIO_NET_RXQ)
		rx_process(net, false); /* buffers for a waiting frame, or the fd again */
	else if (q == VIRTIO_NET_TXQ)
		tx_process(net);
}

/* ---- Lifecycle ---- */

static int net_activate(struct virtio_dev *dev)
{
	struct virtio_net *net = dev->priv;
	uint32_t offloads;

	pthread_mutex_lock(&net->rx_lock);
	net->features = dev->guest_features;
	net->mergeable = has(net, VIRTIO_NET_F_MRG_RXBUF);
	offloads = guest_offloads(net);
	if (net->be.set_offload && net->be.set_offload(net->be.ctx, offloads) < 0) {
		pthread_mutex_unlock(&net->rx_lock);
		return -1;
	}
	pthread_mutex_lock(&net->tx_lock);
	net->active = true;
	if (net->be.vhost && !net->vhost_off && vhost_start(net) < 0)
		log_warn("%s: vhost-net: %s; frames go through minivmm", dev->name,
			 err_msg());
	pthread_mutex_unlock(&net->tx_lock);
	net->rx_len = 0;
	net->rx_warned = false;
	/* Frames may be waiting: the loop looks (and stops if there are no buffers). */
	if (!net->vhost_running)
		set_polling(net, true);
	pthread_mutex_unlock(&net->rx_lock);
	return 0;
}

/*
 * The VM pauses: the tap is no longer watched and the kernel gives the
 * rings back (vhost-net), so no frame reaches guest memory until the VM
 * goes on (transmit waits for kicks, which the core keeps meanwhile).
 */
static void net_pause(struct virtio_dev *dev, bool paused)
{
	struct virtio_net *net = dev->priv;

	pthread_mutex_lock(&net->rx_lock);
	pthread_mutex_lock(&net->tx_lock);
	if (paused && !net->paused) {
		net->paused = true;
		if (net->vhost_running) {
			vhost_stop(net);
			net->vhost_resume = true;
		}
		set_polling(net, false);
	} else if (!paused && net->paused) {
		net->paused = false;
		if (net->active && net->vhost_resume && !net->vhost_off &&
		    vhost_start(net) < 0)
			log_warn("%s: vhost-net: %s; frames go through minivmm",
				 dev->name, err_msg());
		net->vhost_resume = false;
		/* Frames may be waiting: the loop looks. */
		if (net->active && !net->vhost_running)
			set_polling(net, true);
	}
	pthread_mutex_unlock(&net->tx_lock);
	pthread_mutex_unlock(&net->rx_lock);
}

static void net_reset(struct virtio_dev *dev)
{
	struct virtio_net *net = dev->priv;

	pthread_mutex_lock(&net->rx_lock);
	pthread_mutex_lock(&net->tx_lock);
	if (net->vhost_running)
		vhost_stop(net);
	net->active = false;
	pthread_mutex_unlock(&net->tx_lock);
	net->rx_len = 0;
	net->features = 0;
	net->mergeable = false;
	set_polling(net, false);
	if (net->be.set_offload && net->be.set_offload(net->be.ctx, 0) < 0)
		log_warn("%s: %s", dev->name, err_msg());
	pthread_mutex_unlock(&net->rx_lock);
}

/*
 * Before a snapshot: take the rings back from the kernel, so the queue
 * indexes saved are what guest memory shows.  There is no hook for the
 * resume after it, so the device goes on in user space for the rest of
 * this run (a restore starts vhost-net again).
 */
static void net_drain(struct virtio_dev *dev)
{
	struct virtio_net *net = dev->priv;

	pthread_mutex_lock(&net->rx_lock);
	pthread_mutex_lock(&net->tx_lock);
	if (net->vhost_running) {
		vhost_stop(net);
		net->vhost_off = true;
		log_info("%s: vhost-net stopped for the snapshot; frames go through minivmm from here",
			 dev->name);
		if (net->active)
			set_polling(net, true);
	}
	pthread_mutex_unlock(&net->tx_lock);
	pthread_mutex_unlock(&net->rx_lock);
}

bool virtio_net_vhost_running(struct virtio_dev *dev)
{
	struct virtio_net *net = dev->priv;
	bool on;

	pthread_mutex_lock(&net->rx_lock);
	on = net->vhost_running;
	pthread_mutex_unlock(&net->rx_lock);
	return on;
}

/* Model state: the MAC, the MTU and the link (the back end is the command line's). */
static int net_save_state(struct virtio_dev *dev, struct state_writer *w)
{
	struct virtio_net *net = dev->priv;

	pthread_mutex_lock(&dev->lock);
	state_put_bytes(w, net->mac, 6);
	state_put_u16(w, (uint16_t)net->mtu);
	state_put_bool(w, atomic_load(&net->link_up));
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

static int net_load_state(struct virtio_dev *dev, struct state_reader *r,
			  uint32_t version)
{
	struct virtio_net *net = dev->priv;
	uint8_t mac[6];
	uint16_t mtu;
	bool link;

	(void)version;
	state_get_bytes(r, mac, 6);
	mtu = state_get_u16(r);
	link = state_get_bool(r);
	if (state_reader_error(r, dev->name) < 0)
		return -1;
	if (mac[0] & 1)
		return state_reader_fail(r, "a multicast MAC address");
	if (mtu < MIN_MTU)
		return state_reader_fail(r, "MTU %u", mtu);
	pthread_mutex_lock(&dev->lock);
	memcpy(net->mac, mac, 6);
	net->mtu = mtu;
	atomic_store(&net->link_up, link);
	build_config(net);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

static void net_free(struct virtio_net *net)
{
	const struct virtio_net_stats *s = &net->stats;

	if (s->rx_frames || s->tx_frames || s->rx_dropped || s->tx_dropped)
		log_info("%s: rx %llu frames %llu bytes, %llu dropped (%llu too long); tx %llu frames %llu bytes, %llu dropped",
			 net->vdev.name, (unsigned long long)s->rx_frames,
			 (unsigned long long)s->rx_bytes,
			 (unsigned long long)s->rx_dropped,
			 (unsigned long long)s->rx_too_long,
			 (unsigned long long)s->tx_frames,
			 (unsigned long long)s->tx_bytes,
			 (unsigned long long)s->tx_dropped);
	if (net->src)
		event_loop_remove(net->loop, net->src);
	for (unsigned q = 0; q < VIRTIO_NET_QUEUES; q++) {
		if (net->call[q].src)
			event_loop_remove(net->loop, net->call[q].src);
		if (net->call[q].fd >= 0)
			close(net->call[q].fd);
		if (net->kick_fd[q] >= 0)
			close(net->kick_fd[q]);
	}
	vhost_net_close(net->be.vhost);
	if (net->be.close)
		net->be.close(net->be.ctx);
	pthread_mutex_destroy(&net->rx_lock);
	pthread_mutex_destroy(&net->tx_lock);
	free(net->rx_buf);
	free(net->rx_first);
	free(net->rx_more);
	free(net->tx_chain);
	free(net);
}

static void net_destroy(struct virtio_dev *dev)
{
	net_free(dev->priv);
}

void virtio_net_get_stats(struct virtio_dev *dev, struct virtio_net_stats *s)
{
	struct virtio_net *net = dev->priv;

	pthread_mutex_lock(&net->rx_lock);
	pthread_mutex_lock(&net->tx_lock);
	*s = net->stats;
	pthread_mutex_unlock(&net->tx_lock);
	pthread_mutex_unlock(&net->rx_lock);
}

static const struct virtio_dev_ops net_ops = {
	.type = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.version = 1,
	.config_size = VIRTIO_NET_CONFIG_SIZE,
	.config_read = net_config_read,
	.config_write = net_config_write,
	.activate = net_activate,
	.reset = net_reset,
	.queue_notify = net_notify,
	.pause = net_pause,
	.drain = net_drain,
	.save_state = net_save_state,
	.load_state = net_load_state,
	.destroy = net_destroy,
};

struct virtio_dev *virtio_net_create(const char *name,
				     const struct guest_mem *mem,
				     struct event_loop *loop,
				     const struct virtio_net_backend *be,
				     const uint8_t mac[6], unsigned mtu)
{
	struct virtio_net *net;

	if (mtu < MIN_MTU || mtu > MAX_MTU || (mac[0] & 1)) {
		err_set("%s: %s", name, mac[0] & 1 ? "a multicast MAC address" :
						     "an MTU outside 68..65535");
		vhost_net_close(be->vhost);
		if (be->close)
			be->close(be->ctx);
		return NULL;
	}
	net = calloc(1, sizeof(*net));
	if (!net || !(net->rx_buf = malloc(RX_BUF_SIZE)) ||
	    !(net->rx_first = malloc(sizeof(*net->rx_first))) ||
	    !(net->rx_more = malloc(sizeof(*net->rx_more))) ||
	    !(net->tx_chain = malloc(sizeof(*net->tx_chain)))) {
		err_set("%s: out of memory", name);
		if (net) {
			free(net->rx_buf);
			free(net->rx_first);
			free(net->rx_more);
			free(net);
		}
		vhost_net_close(be->vhost);
		if (be->close)
			be->close(be->ctx);
		return NULL;
	}
	net->be = *be;
	net->loop = loop;
	for (unsigned q = 0; q < VIRTIO_NET_QUEUES; q++) {
		net->kick_fd[q] = net->call[q].fd = -1;
		net->call[q].net = net;
		net->call[q].q = q;
	}
	memcpy(net->mac, mac, 6);
	net->mtu = mtu;
	atomic_store(&net->link_up, true);
	build_config(net);
	pthread_mutex_init(&net->rx_lock, NULL);
	pthread_mutex_init(&net->tx_lock, NULL);
	if (virtio_dev_init(&net->vdev, name, &net_ops, net, mem,
			    offered_features(be->offloads), VIRTIO_NET_QUEUES,
			    VIRTIO_NET_QUEUE_SIZE) < 0) {
		snprintf(net->vdev.name, sizeof(net->vdev.name), "%s", name);
		net_free(net);
		return NULL;
	}
	/* Watched only while the guest can take frames (set_polling). */
	if (loop) {
		net->src = event_loop_add_fd(loop, be->fd, EPOLLONESHOT,
					      on_backend, net);
		if (!net->src) {
			err_set("%s: %s", name, err_msg());
			virtio_dev_destroy(&net->vdev);
			return NULL;
		}
	}
	/* vhost-net: a kick eventfd per queue for the kernel, a call eventfd back. */
	for (unsigned q = 0; be->vhost && q < VIRTIO_NET_QUEUES; q++) {
		net->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		net->call[q].fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (net->kick_fd[q] < 0 || net->call[q].fd < 0) {
			err_errno("%s: eventfd", name);
			virtio_dev_destroy(&net->vdev);
			return NULL;
		}
		if (loop) {
			net->call[q].src = event_loop_add_fd(loop, net->call[q].fd,
							     EPOLLIN, on_vhost_call,
							     &net->call[q]);
			if (!net->call[q].src) {
				err_set("%s: %s", name, err_msg());
				virtio_dev_destroy(&net->vdev);
				return NULL;
			}
		}
	}
	return &net->vdev;
}
