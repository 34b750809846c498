/* SPDX-License-Identifier: MIT */
/*
 * The joint between a character device the guest sees (a UART, later
 * virtio-console) and the host side it talks to (the console: terminal,
 * file or nothing; console.h).
 *
 * The device holds a `struct chardev_host` and calls its write() with every
 * byte the guest sends (write takes all of them, in order) and rx_ready()
 * when it has room again after refusing input.  The host side holds a
 * `struct chardev_port` and offers input with receive(), which takes what
 * fits and returns the count; the host keeps the rest and offers it again
 * after rx_ready().  No byte is lost in either direction.
 *
 * Devices call into the host with their own lock held; host callbacks
 * therefore never call back into the device directly.
 */
#ifndef MINIVMM_CHARDEV_H
#define MINIVMM_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

struct chardev_host {
	void (*write)(void *ctx, const uint8_t *buf, size_t len);
	void (*rx_ready)(void *ctx);
	void *ctx;
};

struct chardev_port {
	size_t (*receive)(void *dev, const uint8_t *buf, size_t len);
	void *dev;
};

#endif
