/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (virtio 1.2, 5.1) over a back end that reads and writes whole
 * Ethernet frames, each with a 12-byte struct virtio_net_hdr in front (a
 * tap with IFF_VNET_HDR and TUNSETVNETHDRSZ 12, src/net/tap.h).
 *
 * One queue pair: receiveq 0, transmitq 1; no control queue.  Offered
 * features: MAC, MTU, STATUS (the link), MRG_RXBUF, and the checksum and
 * segmentation offloads the back end accepts (CSUM/GUEST_CSUM with
 * TUN_F_CSUM; HOST_ and GUEST_TSO4, TSO6, ECN and UFO with the matching
 * TUN_F_* bit).  At DRIVER_OK the guest's receive offloads go to the back
 * end (TUNSETOFFLOAD), so the host kernel only hands us frames the guest
 * can take, and the header passes through unchanged both ways.
 *
 * Configuration space (5.1.4): mac[6], status (le16, VIRTIO_NET_S_LINK_UP),
 * max_virtqueue_pairs (le16, 1), mtu (le16).
 *
 * Receive runs on the event loop: the back end's fd is watched while the
 * guest has receive buffers; a frame is read into the device's own buffer
 * and copied into one chain (or, with MRG_RXBUF, as many as it needs,
 * num_buffers set in the first).  When the guest has posted too few
 * buffers the frame waits, the fd is no longer watched, and the guest's
 * next receive kick resumes.  A frame no buffer could take (longer than
 * the chain without MRG_RXBUF, longer than the whole ring with it, longer
 * than the MTU without GSO, or with an offload the guest did not
 * negotiate) is dropped and counted.  Transmit gathers each chain (header
 * and frame) straight from guest memory into one writev.  Each round is
 * bounded: at most one queue's worth of chains, the rest on the next
 * round (kick_later, or the level-triggered fd).
 *
 * With vhost-net (be.vhost) the kernel moves the frames: at DRIVER_OK it
 * gets the memory table, both rings (their next avail index), a kick
 * eventfd per queue (the transport's ioeventfd, which the transport then
 * stops reading, or where there is none one the device writes on each
 * kick) and a call eventfd per queue (which the event loop turns into
 * the transport's interrupt, so the ISR bit and MSI-X stay the
 * transport's), and the tap.  When the kernel cannot (features it lacks,
 * a queue not set up) the device says so once and works in user space.
 * A reset takes the rings back; so does a snapshot, after which the
 * device goes on in user space.
 */
#ifndef MINIVMM_VIRTIO_NET_H
#define MINIVMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

struct event_loop;
struct guest_mem;
struct vhost_net;
struct virtio_dev;

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

/* struct virtio_net_hdr (5.1.6). */
#define VIRTIO_NET_HDR_LEN 12 /* with num_buffers: always, in virtio 1.x */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

#define VIRTIO_NET_S_LINK_UP 1
#define VIRTIO_NET_CONFIG_SIZE 12 /* mac, status, max_virtqueue_pairs, mtu */
#define VIRTIO_NET_QUEUES 2 /* receiveq1, transmitq1 */
#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1

/* The largest frame (without the header) either way: 64 KiB of GSO. */
#define VIRTIO_NET_MAX_FRAME 65550
/* The MTU offered when the back end does not say. */
#define VIRTIO_NET_DEFAULT_MTU 1500

/* The host side: frames with a VIRTIO_NET_HDR_LEN header in front. */
struct virtio_net_backend {
	int fd; /* nonblocking; read() gives one frame, writev() takes one */
	uint32_t offloads; /* TUN_F_* the back end accepts */
	/* TUNSETOFFLOAD; NULL when there is nothing to set. */
	int (*set_offload)(void *ctx, uint32_t tun_flags);
	/* The device is destroyed: close the back end.  May be NULL. */
	void (*close)(void *ctx);
	void *ctx;
	const char *describe; /* "tap tap0", for messages */
	/*
	 * vhost-net (src/net/vhost_net.h), or NULL: at DRIVER_OK the kernel
	 * gets both rings and the fd; the device owns it from here.
	 */
	struct vhost_net *vhost;
};

struct virtio_net_stats {
	uint64_t rx_frames, rx_bytes; /* handed to the guest */
	uint64_t rx_dropped; /* read from the back end, not delivered */
	uint64_t rx_too_long; /* of those: no buffer could take it */
	uint64_t tx_frames, tx_bytes; /* written to the back end */
	uint64_t tx_dropped; /* chains not sent (malformed, too long, errors) */
};

/*
 * A virtio-net device named `name`: frames from and to `be` (its fd is
 * watched on `loop`), MAC address `mac`, MTU `mtu` (68..65535).  The
 * device owns the back end from here, even when this fails.  NULL with
 * err_msg().
 */
struct virtio_dev *virtio_net_create(const char *name,
				     const struct guest_mem *mem,
				     struct event_loop *loop,
				     const struct virtio_net_backend *be,
				     const uint8_t mac[6], unsigned mtu);

/* The link as the guest sees it (config status, a config interrupt). */
void virtio_net_set_link(struct virtio_dev *dev, bool up);
void virtio_net_get_stats(struct virtio_dev *dev, struct virtio_net_stats *s);
/* Whether vhost-net has the rings now. */
bool virtio_net_vhost_running(struct virtio_dev *dev);
/* Whether the back end's fd is being watched (tests). */
bool virtio_net_rx_polling(struct virtio_dev *dev);

#endif
