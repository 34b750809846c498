/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock, the socket device (virtio 1.2, 5.10), with Firecracker's
 * host side ("hybrid vsock", vsock_conn.h): the guest's AF_VSOCK stream
 * sockets reach AF_UNIX sockets on the host.  Three queues: rx (packets
 * for the guest), tx (packets from it), event; configuration space: the
 * guest's CID (le64).  Stream sockets only.
 *
 * Every queue is served on the event loop's thread: a kick (from the
 * transport's ioeventfd, or a vCPU's MMIO exit) only wakes the device's
 * own eventfd, so the connections and their sockets are touched by one
 * thread.  Each round is bounded (a queue's worth of chains); the device
 * wakes itself again for the rest.
 *
 * Snapshots save the CID only: the host sockets do not survive a restore.
 * After a load the guest is sent VIRTIO_VSOCK_EVENT_TRANSPORT_RESET on the
 * event queue (as Firecracker does), and its driver drops every
 * connection it had.
 */
#ifndef MINIVMM_VIRTIO_VSOCK_H
#define MINIVMM_VIRTIO_VSOCK_H

#include <stdint.h>

struct event_loop;
struct guest_mem;
struct virtio_dev;

#define VIRTIO_VSOCK_QUEUES 3 /* rx, tx, event */
#define VIRTIO_VSOCK_QUEUE_SIZE 256
#define VIRTIO_VSOCK_CONFIG_SIZE 8

/*
 * A virtio-vsock device for guest_cid (3 .. 0xfffffffe) listening at
 * uds_path, its sources on loop.  NULL with err_msg().
 */
struct virtio_dev *virtio_vsock_create(const char *name,
				       const struct guest_mem *mem,
				       uint64_t guest_cid, const char *uds_path,
				       struct event_loop *loop);

/* Open connections (for tests; on the loop's thread). */
unsigned virtio_vsock_nr_conns(struct virtio_dev *dev);
/* Every connection timeout set to ms (for tests; on the loop's thread). */
void virtio_vsock_set_timeout_ms(struct virtio_dev *dev, unsigned ms);

#endif
