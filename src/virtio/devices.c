// SPDX-License-Identifier: MIT
#include "virtio/devices.h"

#include <stdio.h>

#include "arch/arch.h"
#include "block/image.h"
#include "chardev.h"
#include "console.h"
#include "device.h"
#include "log.h"
#include "machine.h"
#include "net/tap.h"
#include "net/vhost_net.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/mmio.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "virtio/vhost_vsock.h"
#include "virtio/vsock.h"
#include "virtio/vsock_conn.h"
#include "vm.h"

_Static_assert(CONFIG_VSOCK_UDS_MAX == VSOCK_UDS_MAX,
	       "vsock uds=: the configuration's limit is the device's");

unsigned virtio_mmio_count(const struct vm_config *cfg)
{
	unsigned n = 0;

	for (size_t i = 0; i < cfg->nr_vdevs; i++)
		n += cfg->vdevs[i].transport == VDEV_TRANSPORT_MMIO;
	return n;
}

static const char *kind_name(enum vdev_kind kind)
{
	switch (kind) {
	case VDEV_BLK:
		return "virtio-blk";
	case VDEV_RNG:
		return "virtio-rng";
	case VDEV_CONSOLE:
		return "virtio-console";
	case VDEV_NET:
		return "virtio-net";
	case VDEV_VSOCK:
		return "virtio-vsock";
	case VDEV_VHOST_VSOCK:
		return "vhost-vsock";
	}
	return "virtio";
}

static int tap_offload(void *ctx, uint32_t flags)
{
	return net_tap_set_offload(ctx, flags);
}

static void tap_close(void *ctx)
{
	net_tap_close(ctx);
}

/* A virtio-net card on its -netdev's tap. */
static struct virtio_dev *make_net(struct vm *vm, const struct vdev_cfg *v,
				   const char *name)
{
	const struct netdev_cfg *n = &vm->cfg->netdevs[v->netdev];
	struct virtio_net_backend be;
	struct vhost_net *vhost = NULL;
	struct net_tap *tap;
	unsigned mtu;

	/*
	 * vhost=on: the kernel's vhost-net if this host has it, else minivmm
	 * itself, saying so; vhostforce=on: vhost-net or nothing.
	 */
	if (n->vhost) {
		vhost = vhost_net_open();
		if (!vhost && n->vhostforce) {
			err_set("-netdev %s: vhostforce=on: %s", n->id, err_msg());
			return NULL;
		}
		if (!vhost)
			log_warn("-netdev %s: vhost=on: %s; frames go through minivmm",
				 n->id, err_msg());
	}
	tap = n->fd >= 0 ? net_tap_from_fd(n->fd) : net_tap_open(n->ifname);
	if (!tap) {
		err_set("-netdev %s: %s", n->id, err_msg());
		vhost_net_close(vhost);
		return NULL;
	}
	/* The virtio 1.x header (with num_buffers) passes through unchanged. */
	if (net_tap_set_vnet_hdr_len(tap, VIRTIO_NET_HDR_LEN) < 0) {
		err_set("-netdev %s: %s", n->id, err_msg());
		net_tap_close(tap);
		vhost_net_close(vhost);
		return NULL;
	}
	mtu = net_tap_mtu(tap, VIRTIO_NET_DEFAULT_MTU);
	if (mtu < 68 || mtu > 65535)
		mtu = VIRTIO_NET_DEFAULT_MTU;
	be = (struct virtio_net_backend){ .fd = tap->fd, .offloads = tap->offloads,
					  .set_offload = tap_offload,
					  .close = tap_close, .ctx = tap,
					  .describe = tap->ifname, .vhost = vhost };
	log_info("%s: tap %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, offloads 0x%x%s",
		 name, tap->ifname, v->mac[0], v->mac[1], v->mac[2], v->mac[3],
		 v->mac[4], v->mac[5], mtu, tap->offloads,
		 vhost ? ", vhost-net" : "");
	return virtio_net_create(name, &vm->mem, vm->loop, &be, v->mac, mtu);
}

/* The model of one vdev; NULL with err_msg(). */
static struct virtio_dev *make_model(struct vm *vm, const struct vdev_cfg *v,
				     const char *name)
{
	struct block_image *img;

	switch (v->kind) {
	case VDEV_BLK:
		img = machine_drive(vm, v->drive);
		if (!img) {
			err_set("%s: drive %d is not open", name, v->drive);
			return NULL;
		}
		return virtio_blk_create(name, &vm->mem, img, v->serial);
	case VDEV_RNG:
		return virtio_rng_create(name, &vm->mem);
	case VDEV_CONSOLE:
		return virtio_console_create(name, &vm->mem);
	case VDEV_NET:
		return make_net(vm, v, name);
	case VDEV_VSOCK:
		return virtio_vsock_create(name, &vm->mem, v->guest_cid, v->uds,
					   vm->loop);
	case VDEV_VHOST_VSOCK:
		return virtio_vhost_vsock_create(name, &vm->mem, v->guest_cid,
						 vm->loop, VHOST_VSOCK_PATH);
	}
	err_set("%s: unknown kind of virtio device", name);
	return NULL;
}

/*
 * hvc0 on the console: the terminal (or file) of -serial, shared with the
 * UART's output; typed input goes to the virtio console.
 */
static int attach_console(struct vm *vm, struct virtio_dev *dev)
{
	struct chardev_port port = { virtio_console_receive, dev };
	struct chardev_host host;
	struct console *con = machine_console(vm);

	if (!con)
		return -1;
	console_attach(con, &port, &host);
	virtio_console_set_host(dev, &host);
	return 0;
}

static int add_mmio(struct vm *vm, struct virtio_dev *dev, unsigned slot)
{
	struct irq_line *irq = NULL;
	struct virtio_mmio *m;
	uint64_t base;
	unsigned gsi;

	if (arch_virtio_mmio_slot(slot, &base, &gsi) < 0) {
		err_set("%s: no virtio-mmio slot %u on this machine", dev->name,
			slot);
		virtio_dev_destroy(dev);
		return -1;
	}
	if (vm->has_irqchip) {
		irq = vm_irq_line(vm, gsi);
		if (!irq) {
			virtio_dev_destroy(dev);
			return -1;
		}
	}
	m = virtio_mmio_create(dev, irq);
	if (!m) {
		virtio_dev_destroy(dev);
		return -1;
	}
	if (device_list_add(&vm->devices, dev->name, &virtio_mmio_device_ops, m) < 0 ||
	    virtio_mmio_register(m, &vm->mmio, base) < 0 ||
	    virtio_mmio_use_ioeventfd(m, vm) < 0)
		return -1;
	log_info("%s: virtio-mmio at 0x%llx, %s %u", dev->name,
		 (unsigned long long)base, vm->has_irqchip ? "interrupt" : "no interrupt (polled), slot",
		 vm->has_irqchip ? gsi : slot);
	return 0;
}

/* The device's virtqueues (one MSI-X vector each, and one for config). */
static unsigned kind_queues(enum vdev_kind kind)
{
	switch (kind) {
	case VDEV_BLK:
		return VIRTIO_BLK_QUEUES;
	case VDEV_RNG:
		return VIRTIO_RNG_QUEUES;
	case VDEV_CONSOLE:
		return VIRTIO_CONSOLE_QUEUES;
	case VDEV_NET:
		return VIRTIO_NET_QUEUES;
	case VDEV_VSOCK:
	case VDEV_VHOST_VSOCK:
		return VIRTIO_VSOCK_QUEUES;
	}
	return 0;
}

static void describe_pci(FILE *out, unsigned slot, unsigned queues)
{
	int gsi = arch_virtio_pci_intx(slot);

	fprintf(out, "virtio-pci 00:%02x.0, MSI-X %u vectors (config, %u queue%s)",
		slot, queues + 1, queues, queues == 1 ? "" : "s");
	if (gsi >= 0)
		fprintf(out, ", INTx GSI %d", gsi);
	else
		fprintf(out, ", no INTx");
}

static const char *cache_name(enum drive_cache c)
{
	return c == DRIVE_CACHE_NONE ? "none" :
	       c == DRIVE_CACHE_UNSAFE ? "unsafe" : "writeback";
}

void virtio_devices_describe(const struct vm_config *cfg, FILE *out)
{
	unsigned count[VDEV_KIND_LAST + 1] = { 0 }, mmio = 0, pci = 0;

	if (!cfg->nr_vdevs)
		return;
	fprintf(out, "virtio devices:\n");
	for (size_t i = 0; i < cfg->nr_vdevs; i++) {
		const struct vdev_cfg *v = &cfg->vdevs[i];
		char name[VIRTIO_NAME_MAX];
		uint64_t base;
		unsigned irq;

		snprintf(name, sizeof(name), "%s%u", kind_name(v->kind),
			 count[v->kind]++);
		fprintf(out, "  %-16s ", name);
		if (v->transport == VDEV_TRANSPORT_MMIO &&
		    arch_virtio_mmio_slot(mmio++, &base, &irq) == 0)
			fprintf(out, "virtio-mmio 0x%llx-0x%llx, %s %u",
				(unsigned long long)base,
				(unsigned long long)(base + VIRTIO_MMIO_SIZE - 1),
				cfg->machine == MACHINE_BARE ? "no interrupt (polled), slot" :
							       "interrupt",
				cfg->machine == MACHINE_BARE ? mmio - 1 : irq);
		else if (v->transport == VDEV_TRANSPORT_PCI)
			describe_pci(out, VIRTIO_PCI_FIRST_SLOT + pci++,
				     kind_queues(v->kind));
		if (v->kind == VDEV_BLK && v->drive >= 0) {
			const struct drive_cfg *d = &cfg->drives[v->drive];

			fprintf(out, "; drive %s: %s, raw, %s, cache=%s%s%s%s", d->id,
				d->file, d->readonly ? "read-only" : "read-write",
				cache_name(d->cache), d->discard ? ", discard" : "",
				v->serial[0] ? ", serial " : "", v->serial);
		} else if (v->kind == VDEV_RNG) {
			fprintf(out, "; getrandom()");
		} else if (v->kind == VDEV_CONSOLE) {
			fprintf(out, "; hvc0 on the console");
		} else if (v->kind == VDEV_NET && v->netdev >= 0 &&
			   (size_t)v->netdev < cfg->nr_netdevs) {
			const struct netdev_cfg *n = &cfg->netdevs[v->netdev];
			const uint8_t *m = v->mac;

			if (n->fd >= 0)
				fprintf(out, "; netdev %s: tap fd %d", n->id, n->fd);
			else
				fprintf(out, "; netdev %s: tap %s", n->id, n->ifname);
			if (n->vhost)
				fprintf(out, ", vhost=on%s", n->vhostforce ? " (forced)" : "");
			fprintf(out, ", MAC %02x:%02x:%02x:%02x:%02x:%02x", m[0],
				m[1], m[2], m[3], m[4], m[5]);
		} else if (v->kind == VDEV_VSOCK) {
			fprintf(out, "; guest CID %llu, host sockets %s and %s_PORT",
				(unsigned long long)v->guest_cid, v->uds, v->uds);
		} else if (v->kind == VDEV_VHOST_VSOCK) {
			fprintf(out, "; guest CID %llu, the host kernel's %s",
				(unsigned long long)v->guest_cid, VHOST_VSOCK_PATH);
		}
		fprintf(out, "\n");
	}
}

int virtio_devices_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	unsigned count[VDEV_KIND_LAST + 1] = { 0 }, slot = 0;

	for (size_t i = 0; i < cfg->nr_vdevs; i++) {
		const struct vdev_cfg *v = &cfg->vdevs[i];
		struct virtio_dev *dev;
		char name[VIRTIO_NAME_MAX];

		snprintf(name, sizeof(name), "%s%u", kind_name(v->kind),
			 count[v->kind]++);
		dev = make_model(vm, v, name);
		if (!dev)
			return -1;
		if (v->kind == VDEV_CONSOLE && attach_console(vm, dev) < 0) {
			virtio_dev_destroy(dev);
			return -1;
		}
		if (v->transport == VDEV_TRANSPORT_MMIO) {
			if (add_mmio(vm, dev, slot++) < 0)
				return -1;
		} else if (arch_virtio_pci_add(vm, dev) < 0) {
			return -1;
		}
	}
	return 0;
}
