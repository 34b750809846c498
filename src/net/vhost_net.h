/* SPDX-License-Identifier: MIT */
/*
 * vhost-net (Linux's /dev/vhost-net, drivers/vhost/net.c): the host
 * kernel moves frames between a virtio-net device's rings in guest memory
 * and a tap, without a round trip through minivmm for each frame.
 *
 * The order the kernel wants: VHOST_SET_OWNER (this process owns the
 * rings' memory), VHOST_GET_FEATURES / VHOST_SET_FEATURES (the ring and
 * header features the driver negotiated), VHOST_SET_MEM_TABLE (guest
 * physical to our virtual addresses, one entry per writable RAM region),
 * then per queue VHOST_SET_VRING_NUM, _BASE (the next avail index),
 * _ADDR (our virtual addresses of the three areas), _KICK (an eventfd
 * the kernel waits on for the driver's notifications), _CALL (an eventfd
 * it writes when the driver is to be interrupted), and last
 * VHOST_NET_SET_BACKEND with the tap's fd.  Stopping is the backend fd
 * -1 and VHOST_GET_VRING_BASE, which gives the next avail index back.
 *
 * The ioctls go through vhost_net.ioctl, so unit tests can record them
 * without the device.
 */
#ifndef MINIVMM_NET_VHOST_NET_H
#define MINIVMM_NET_VHOST_NET_H

#include <stdbool.h>
#include <stdint.h>

struct guest_mem;
struct virtqueue;

#define VHOST_NET_DEV "/dev/vhost-net"

struct vhost_net {
	int fd;
	uint64_t features; /* VHOST_GET_FEATURES */
	int (*ioctl)(int fd, unsigned long request, void *arg);
};

/*
 * Open /dev/vhost-net, become its owner and read its features.  NULL with
 * err_msg() (one line: why, e.g. that there is no /dev/vhost-net).
 */
struct vhost_net *vhost_net_open(void);
/* The same on an fd and ioctl function of the caller's (tests). */
struct vhost_net *vhost_net_open_with(int fd,
				      int (*fn)(int fd, unsigned long request,
						void *arg));
void vhost_net_close(struct vhost_net *v);

/* Which of `wanted` the kernel can do (ring, header and net features). */
uint64_t vhost_net_supported(const struct vhost_net *v, uint64_t wanted);

/*
 * Start queue q (0 receive, 1 transmit) on the rings of vq (ready, mapped),
 * with the negotiated features and memory table first (start_device for
 * the first queue), kick and call eventfds, and the tap.  -1 with
 * err_msg().
 */
int vhost_net_start_device(struct vhost_net *v, const struct guest_mem *mem,
			   uint64_t features);
int vhost_net_start_queue(struct vhost_net *v, unsigned q,
			  const struct virtqueue *vq, int kick_fd, int call_fd,
			  int tap_fd);
/*
 * Stop queue q: no backend, and the kernel's next avail index (to carry
 * on in user space, or to save).  -1 with err_msg().
 */
int vhost_net_stop_queue(struct vhost_net *v, unsigned q, uint16_t *last_avail);

#endif
