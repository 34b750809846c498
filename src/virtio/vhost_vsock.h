/* SPDX-License-Identifier: MIT */
/*
 * vhost-vsock: the same virtio-vsock device (virtio 1.2, 5.10) with its
 * rx and tx queues served by the host kernel (/dev/vhost-vsock, the
 * vhost_vsock module): the guest's AF_VSOCK sockets reach the host's
 * AF_VSOCK sockets (CID 2) directly, with nothing in minivmm's path.
 *
 * minivmm owns the device registers, the configuration space (guest_cid)
 * and the event queue, which it never uses.  At DRIVER_OK it gives the
 * kernel the features, the memory table (every region of guest memory),
 * the two rings (size, base index, addresses), each queue's kick eventfd
 * (the transport's ioeventfd, written by KVM) and call eventfd, and
 * starts it (VHOST_VSOCK_SET_RUNNING); a reset stops it.  A call
 * eventfd is read on the event loop and raises the queue's interrupt
 * through the transport (ISR bit or MSI-X vector), so virtio-mmio's
 * InterruptStatus stays right.  Snapshots are refused: the rings' state
 * is the kernel's.
 */
#ifndef MINIVMM_VIRTIO_VHOST_VSOCK_H
#define MINIVMM_VIRTIO_VHOST_VSOCK_H

#include <stdint.h>

struct event_loop;
struct guest_mem;
struct virtio_dev;

#define VHOST_VSOCK_PATH "/dev/vhost-vsock"

/*
 * A vhost-vsock device for guest_cid (3 .. 0xfffffffe), its call eventfds
 * on loop.  NULL with err_msg(): no /dev/vhost-vsock, a CID in use, ...
 * `path` is the device node (VHOST_VSOCK_PATH; tests give another).
 */
struct virtio_dev *virtio_vhost_vsock_create(const char *name,
					     const struct guest_mem *mem,
					     uint64_t guest_cid,
					     struct event_loop *loop,
					     const char *path);

#endif
