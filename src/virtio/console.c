// SPDX-License-Identifier: MIT
/*
 * virtio-console, one port (virtio 1.2, 5.3): see console.h.  Config
 * space (5.3.4): cols, rows (le16), max_nr_ports, emerg_wr (le32); no
 * features are offered, so only emerg_wr means anything: a byte written
 * there is output, as the spec allows even before the queues are up.
 */
#include "virtio/console.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "chardev.h"
#include "iov.h"
#include "log.h"
#include "virtio/virtio.h"

#define CONSOLE_QUEUE_SIZE 128
#define RX 0
#define TX 1
#define EMERG_WR_OFF 8
/* Bytes passed to the host in one write (guest buffers are copied out). */
#define TX_CHUNK 4096

struct virtio_console {
	struct virtio_dev vdev;
	pthread_mutex_t lock; /* both queues, `refused` */
	struct chardev_host host;
	bool refused; /* input was turned away: tell the host about room */
	struct vq_chain chain;
	uint64_t tx_bytes, rx_bytes;
};

static void con_config_read(struct virtio_dev *dev, uint32_t off,
			    uint8_t *data, uint32_t len)
{
	uint8_t cfg[VIRTIO_CONSOLE_CONFIG_SIZE] = { 0 };

	(void)dev;
	le_put(cfg + 4, 1, 4); /* max_nr_ports (meaningful with MULTIPORT) */
	memcpy(data, cfg + off, len);
}

static void con_config_write(struct virtio_dev *dev, uint32_t off,
			     const uint8_t *data, uint32_t len)
{
	struct virtio_console *con = dev->priv;

	if (off == EMERG_WR_OFF && con->host.write)
		con->host.write(con->host.ctx, data, 1);
	(void)len;
}

static void transmit(struct virtio_console *con)
{
	struct virtio_dev *dev = &con->vdev;
	struct virtqueue *vq = &dev->vqs[TX];
	uint8_t buf[TX_CHUNK];
	bool pushed = false, more = false;
	enum vq_pop_result r = VQ_EMPTY;

	pthread_mutex_lock(&con->lock);
	for (unsigned n = 0; n < vq->size; n++) {
		r = vq_pop(vq, &con->chain);
		if (r != VQ_GOT)
			break;
		for (size_t off = 0; off < con->chain.out_len;) {
			size_t got = iov_to_buf(con->chain.out, con->chain.nr_out,
						 off, buf, sizeof(buf));

			if (con->host.write)
				con->host.write(con->host.ctx, buf, got);
			off += got;
		}
		con->tx_bytes += con->chain.out_len;
		vq_push(vq, con->chain.head, 0);
		pushed = true;
	}
	more = r == VQ_GOT && vq_has_avail(vq);
	pthread_mutex_unlock(&con->lock);
	if (pushed)
		virtio_notify_queue(dev, TX);
	if (r == VQ_BROKEN)
		virtio_needs_reset(dev, "a malformed transmit chain");
	if (more && dev->transport.kick_later)
		dev->transport.kick_later(dev->transport.ctx, TX);
}

size_t virtio_console_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct virtio_dev *dev = opaque;
	struct virtio_console *con = dev->priv;
	struct virtqueue *vq = &dev->vqs[RX];
	size_t done = 0;
	bool pushed = false, broken = false;

	pthread_mutex_lock(&con->lock);
	while (done < len) {
		enum vq_pop_result r;
		size_t n;

		if (!dev->activated || !vq->ready) {
			con->refused = true;
			break;
		}
		r = vq_pop(vq, &con->chain);
		if (r != VQ_GOT) {
			con->refused = true;
			broken = r == VQ_BROKEN;
			break;
		}
		n = iov_from_buf(con->chain.in, con->chain.nr_in, 0, buf + done,
				 len - done);
		vq_push(vq, con->chain.head, (uint32_t)n);
		pushed = true;
		done += n;
		if (n == 0)
			break; /* a receive buffer with no room: wait */
	}
	con->rx_bytes += done;
	pthread_mutex_unlock(&con->lock);
	if (pushed)
		virtio_notify_queue(dev, RX);
	if (broken)
		virtio_needs_reset(dev, "a malformed receive chain");
	return done;
}

static void con_notify(struct virtio_dev *dev, unsigned q)
{
	struct virtio_console *con = dev->priv;
	bool room;

	if (q == TX) {
		transmit(con);
		return;
	}
	/* New receive buffers: input the host kept back can come now. */
	pthread_mutex_lock(&con->lock);
	room = con->refused;
	con->refused = false;
	pthread_mutex_unlock(&con->lock);
	if (room && con->host.rx_ready)
		con->host.rx_ready(con->host.ctx);
}

static int con_activate(struct virtio_dev *dev)
{
	struct virtio_console *con = dev->priv;

	/* Input may have been turned away while the driver was not ready. */
	if (con->host.rx_ready)
		con->host.rx_ready(con->host.ctx);
	return 0;
}

static void con_reset(struct virtio_dev *dev)
{
	struct virtio_console *con = dev->priv;

	/* Nothing is in flight: both queues complete inside their calls. */
	pthread_mutex_lock(&con->lock);
	con->refused = true;
	pthread_mutex_unlock(&con->lock);
}

static void con_destroy(struct virtio_dev *dev)
{
	struct virtio_console *con = dev->priv;

	pthread_mutex_destroy(&con->lock);
	free(con);
}

static const struct virtio_dev_ops console_ops = {
	.type = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.version = 1,
	.config_size = VIRTIO_CONSOLE_CONFIG_SIZE,
	.config_read = con_config_read,
	.config_write = con_config_write,
	.activate = con_activate,
	.reset = con_reset,
	.queue_notify = con_notify,
	.destroy = con_destroy,
};

struct virtio_dev *virtio_console_create(const char *name,
					 const struct guest_mem *mem)
{
	struct virtio_console *con = calloc(1, sizeof(*con));

	if (!con) {
		err_set("%s: out of memory", name);
		return NULL;
	}
	pthread_mutex_init(&con->lock, NULL);
	if (virtio_dev_init(&con->vdev, name, &console_ops, con, mem, 0,
			    VIRTIO_CONSOLE_QUEUES, CONSOLE_QUEUE_SIZE) < 0) {
		pthread_mutex_destroy(&con->lock);
		free(con);
		return NULL;
	}
	return &con->vdev;
}

void virtio_console_set_host(struct virtio_dev *dev,
			     const struct chardev_host *host)
{
	struct virtio_console *con = dev->priv;

	pthread_mutex_lock(&con->lock);
	con->host = *host;
	pthread_mutex_unlock(&con->lock);
}
