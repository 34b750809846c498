/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (virtio 1.2, 5.3) with one port and no multiport: the
 * guest's hvc0.  Queue 0 carries host input to the guest (receiveq),
 * queue 1 the guest's output (transmitq).  It is a character device like
 * a UART (chardev.h): it writes what the guest sends to its host side and
 * takes input with virtio_console_receive(), which accepts only what fits
 * in the buffers the driver has posted and tells the host when there is
 * room again.
 */
#ifndef MINIVMM_VIRTIO_CONSOLE_H
#define MINIVMM_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct chardev_host;
struct guest_mem;
struct virtio_dev;

#define VIRTIO_CONSOLE_CONFIG_SIZE 12
/* port 0's receiveq and transmitq (no VIRTIO_CONSOLE_F_MULTIPORT) */
#define VIRTIO_CONSOLE_QUEUES 2

struct virtio_dev *virtio_console_create(const char *name,
					 const struct guest_mem *mem);
/* Where the guest's output goes (before the guest runs). */
void virtio_console_set_host(struct virtio_dev *dev,
			     const struct chardev_host *host);
/* Host input for the guest (a chardev_port.receive); takes a virtio_dev. */
size_t virtio_console_receive(void *dev, const uint8_t *buf, size_t len);

#endif
