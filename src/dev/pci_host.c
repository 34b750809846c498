// SPDX-License-Identifier: MIT
/*
 * Configuration mechanism #1: PCI Local Bus Specification 3.0, 3.2.2.3.2.
 * Register values of the 440FX follow the Intel 82441FX datasheet as QEMU
 * presents it (vendor 8086, device 1237, revision 02, class 0600).  The
 * other devices on the bus are struct pci_device (pci.c).
 */
#include "dev/pci_host.h"
#include "byteorder.h"
#include "dev/pci.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "state.h"

#define CFG_ENABLE 0x80000000u
#define ADDRESS_MASK 0x80fffffcu /* enable, bus, device, function, register */
#define RCR_SYS_RST 0x02 /* choose a hard reset */
#define RCR_RST_CPU 0x04 /* 0->1 resets the CPU */

/* Config-space bytes of 00:00.0 the guest may change. */
static bool config_writable(unsigned reg)
{
	return (reg >= 0x04 && reg <= 0x05) || reg == 0x0d ||
	       (reg >= 0x50 && reg <= 0x7f);
}

/*
 * What 0xcf8 selects: the 440FX (*cfg), a device (*dev), or nothing
 * (both NULL: reads all-ones).  Bus 0, function 0 only.
 */
static void selected(struct pci_host *h, uint8_t **cfg, struct pci_device **dev)
{
	uint32_t a = h->address;
	unsigned slot = (a >> 11) & 0x1f;

	*cfg = NULL;
	*dev = NULL;
	if (!(a & CFG_ENABLE) || (a & 0x00ff0700u) != 0)
		return;
	if (slot == 0)
		*cfg = h->config;
	else
		*dev = h->slots[slot];
}

static void addr_read(void *opaque, uint64_t offset, uint8_t *data,
		      uint32_t len)
{
	struct pci_host *h = opaque;

	pthread_mutex_lock(&h->lock);
	if (offset == 0 && len == 4)
		bus_data_put(data, 4, h->address);
	else if (offset == 1 && len == 1)
		data[0] = h->rcr;
	else
		memset(data, 0xff, len);
	pthread_mutex_unlock(&h->lock);
}

static void addr_write(void *opaque, uint64_t offset, const uint8_t *data,
		       uint32_t len)
{
	struct pci_host *h = opaque;
	bool reset = false;

	pthread_mutex_lock(&h->lock);
	if (offset == 0 && len == 4) {
		h->address = (uint32_t)bus_data_get(data, 4) & ADDRESS_MASK;
	} else if (offset == 1 && len == 1) {
		reset = !(h->rcr & RCR_RST_CPU) && (data[0] & RCR_RST_CPU);
		h->rcr = data[0] & RCR_SYS_RST;
	}
	pthread_mutex_unlock(&h->lock);
	if (reset && h->reset)
		h->reset(h->reset_ctx);
}

static void data_read(void *opaque, uint64_t offset, uint8_t *data,
		      uint32_t len)
{
	struct pci_host *h = opaque;
	unsigned reg;
	struct pci_device *dev;
	uint8_t *cfg;

	pthread_mutex_lock(&h->lock);
	selected(h, &cfg, &dev);
	reg = (h->address & 0xfc) + (unsigned)offset;
	if (cfg) {
		for (uint32_t i = 0; i < len; i++)
			data[i] = reg + i < PCI_HOST_CONFIG_SIZE ? cfg[reg + i] : 0xff;
	} else if (dev) {
		pci_config_read(dev, reg, data, len);
	} else {
		memset(data, 0xff, len);
	}
	pthread_mutex_unlock(&h->lock);
}

static void data_write(void *opaque, uint64_t offset, const uint8_t *data,
		       uint32_t len)
{
	struct pci_host *h = opaque;
	unsigned reg;
	struct pci_device *dev;
	uint8_t *cfg;

	pthread_mutex_lock(&h->lock);
	selected(h, &cfg, &dev);
	reg = (h->address & 0xfc) + (unsigned)offset;
	if (cfg) {
		for (uint32_t i = 0; i < len; i++)
			if (reg + i < PCI_HOST_CONFIG_SIZE && config_writable(reg + i))
				cfg[reg + i] = data[i];
	} else if (dev) {
		/* A BAR or the command register may move: no MMIO meanwhile. */
		pthread_rwlock_wrlock(&h->map_lock);
		pci_config_write(dev, reg, data, len);
		pthread_rwlock_unlock(&h->map_lock);
	}
	pthread_mutex_unlock(&h->lock);
}

static const struct bus_ops addr_ops = { .read = addr_read, .write = addr_write };
static const struct bus_ops data_ops = { .read = data_read, .write = data_write };

/* The power-on configuration space of the 440FX (82441FX datasheet). */
static void power_on_config(uint8_t *config)
{
	memset(config, 0, PCI_HOST_CONFIG_SIZE);
	le_put(&config[0x00], 0x8086, 2); /* vendor: Intel */
	le_put(&config[0x02], 0x1237, 2); /* device: 82441FX (440FX) */
	le_put(&config[0x04], 0x0006, 2); /* command: memory + bus master */
	le_put(&config[0x06], 0x0280, 2); /* status: fast back-to-back, medium DEVSEL */
	config[0x08] = 0x02; /* revision */
	le_put(&config[0x09], 0x060000, 3); /* class: host bridge */
	le_put(&config[0x2c], 0x1af4, 2); /* subsystem vendor (as QEMU) */
	le_put(&config[0x2e], 0x1100, 2); /* subsystem */
	config[0x72] = 0x02; /* SMRAM: C_BASE_SEG default */
}

struct pci_host *pci_host_create(void (*reset)(void *ctx), void *ctx)
{
	struct pci_host *h = calloc(1, sizeof(*h));
	pthread_rwlockattr_t attr;

	if (!h) {
		err_set("pci host: out of memory");
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	/* A BAR move must not wait behind a stream of MMIO reads. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&h->map_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	h->reset = reset;
	h->reset_ctx = ctx;
	power_on_config(h->config);
	return h;
}

/*
 * Power-on: address 0, reset control 0, PAM and the rest as created; every
 * device on the bus gets a PCI reset.
 */
static void pci_host_reset(void *opaque)
{
	struct pci_host *h = opaque;

	pthread_mutex_lock(&h->lock);
	h->address = 0;
	h->rcr = 0;
	power_on_config(h->config);
	pthread_rwlock_wrlock(&h->map_lock);
	for (unsigned slot = 1; slot < PCI_HOST_SLOTS; slot++)
		if (h->slots[slot])
			pci_device_reset(h->slots[slot]);
	pthread_rwlock_unlock(&h->map_lock);
	pthread_mutex_unlock(&h->lock);
}

/*
 * Version 2: u32 0xcf8, u8 0xcf9, the 256 bytes of 00:00.0, u8 device
 * count, per device in slot order u8 slot and pci_device_save().
 * Version 1 ends after the 440FX.
 */
static int pci_host_save(void *opaque, struct state_writer *w)
{
	struct pci_host *h = opaque;

	pthread_mutex_lock(&h->lock);
	state_put_u32(w, h->address);
	state_put_u8(w, h->rcr);
	state_put_bytes(w, h->config, sizeof(h->config));
	state_put_u8(w, (uint8_t)h->nr_devices);
	for (unsigned slot = 1; slot < PCI_HOST_SLOTS; slot++) {
		if (!h->slots[slot])
			continue;
		state_put_u8(w, (uint8_t)slot);
		pci_device_save(h->slots[slot], w);
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/*
 * The device part of a load: each saved slot must hold a device here, in
 * ascending order, and each device's part must be right for it.  With
 * check_only nothing changes.
 */
static int load_devices(struct pci_host *h, struct state_reader *r,
			bool check_only)
{
	unsigned count = state_get_u8(r), prev = 0;

	if (r->failed)
		return -1;
	if (count != h->nr_devices)
		return state_reader_fail(r, "%u PCI devices saved, the bus has %u",
					 count, h->nr_devices);
	for (unsigned i = 0; i < count; i++) {
		unsigned slot = state_get_u8(r);

		if (r->failed)
			return -1;
		if (slot <= prev || slot >= PCI_HOST_SLOTS || !h->slots[slot])
			return state_reader_fail(r, "PCI slot %u: no such device here (or out of order)",
						 slot);
		prev = slot;
		if (pci_device_load(h->slots[slot], r, check_only) < 0)
			return -1;
	}
	return 0;
}

static int pci_host_load(void *opaque, struct state_reader *r,
			 uint32_t version)
{
	struct pci_host *h = opaque;
	uint8_t config[PCI_HOST_CONFIG_SIZE], fixed[PCI_HOST_CONFIG_SIZE];
	struct state_reader probe;
	uint32_t address;
	uint8_t rcr;

	address = state_get_u32(r);
	rcr = state_get_u8(r);
	state_get_bytes(r, config, sizeof(config));
	if (state_reader_error(r, "pci-host") < 0)
		return -1;
	if (address & ~ADDRESS_MASK)
		return state_reader_fail(r, "address 0x%08x has bits 0xcf8 does not keep",
					 address);
	if (rcr & ~RCR_SYS_RST)
		return state_reader_fail(r, "reset control 0x%02x", rcr);
	/* Bytes the guest cannot write must be the 440FX's own. */
	power_on_config(fixed);
	for (unsigned reg = 0; reg < PCI_HOST_CONFIG_SIZE; reg++)
		if (!config_writable(reg) && config[reg] != fixed[reg])
			return state_reader_fail(r, "read-only config byte 0x%02x is 0x%02x, not 0x%02x",
						 reg, config[reg], fixed[reg]);

	pthread_mutex_lock(&h->lock);
	if (version < 2 && h->nr_devices) {
		pthread_mutex_unlock(&h->lock);
		return state_reader_fail(r, "saved without the %u PCI devices of this bus",
					 h->nr_devices);
	}
	/* Everything is checked on a copy of the reader before a byte moves. */
	probe = *r;
	if (version >= 2 && load_devices(h, &probe, true) < 0) {
		pthread_mutex_unlock(&h->lock);
		*r = probe;
		return -1;
	}
	h->address = address;
	h->rcr = rcr;
	memcpy(h->config, config, sizeof(config));
	if (version >= 2) {
		pthread_rwlock_wrlock(&h->map_lock);
		(void)load_devices(h, r, false); /* checked above */
		pthread_rwlock_unlock(&h->map_lock);
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static void pci_host_destroy(void *opaque)
{
	struct pci_host *h = opaque;

	if (!h)
		return;
	pthread_rwlock_destroy(&h->map_lock);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

const struct device_ops pci_host_device_ops = {
	.type = "pci-host",
	.version = 2,
	.reset = pci_host_reset,
	.save = pci_host_save,
	.load = pci_host_load,
	.destroy = pci_host_destroy,
};

int pci_host_register(struct pci_host *h, struct bus *pio)
{
	if (bus_register(pio, "pci-config-address", PCI_CONFIG_ADDRESS_PORT, 4,
			 BUS_W1 | BUS_W2 | BUS_W4, &addr_ops, h) < 0)
		return -1;
	return bus_register(pio, "pci-config-data", PCI_CONFIG_DATA_PORT, 4,
			    BUS_W1 | BUS_W2 | BUS_W4, &data_ops, h);
}

int pci_host_add_device(struct pci_host *h, struct pci_device *dev,
			unsigned slot)
{
	int r = 0;

	pthread_mutex_lock(&h->lock);
	if (slot == 0 || slot >= PCI_HOST_SLOTS)
		r = err_set("pci %s: slot %u is not 1-%d (0 is the host bridge)",
			    dev->name, slot, PCI_HOST_SLOTS - 1);
	else if (h->slots[slot])
		r = err_set("pci %s: slot %u is taken by %s", dev->name, slot,
			    h->slots[slot]->name);
	else if (dev->devfn >= 0)
		r = err_set("pci %s: already at 00:%02x.%x", dev->name,
			    (unsigned)dev->devfn >> 3, (unsigned)dev->devfn & 7);
	if (r == 0) {
		/* MMIO dispatch reads the slots under the map lock only. */
		pthread_rwlock_wrlock(&h->map_lock);
		dev->devfn = (int)(slot << 3);
		h->slots[slot] = dev;
		h->nr_devices++;
		pthread_rwlock_unlock(&h->map_lock);
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

int pci_host_free_slot(struct pci_host *h)
{
	int r = -1;

	pthread_mutex_lock(&h->lock);
	for (unsigned slot = PCI_HOST_FIRST_SLOT; slot < PCI_HOST_SLOTS; slot++)
		if (!h->slots[slot]) {
			r = (int)slot;
			break;
		}
	pthread_mutex_unlock(&h->lock);
	if (r < 0)
		err_set("pci: every slot of bus 0 is taken");
	return r;
}

struct pci_device *pci_host_device(struct pci_host *h, unsigned slot)
{
	struct pci_device *dev;

	if (slot >= PCI_HOST_SLOTS)
		return NULL;
	pthread_mutex_lock(&h->lock);
	dev = h->slots[slot];
	pthread_mutex_unlock(&h->lock);
	return dev;
}

/*
 * An access inside a window: to the decoding BAR that holds all of it, or
 * all-ones / dropped.  The read side of map_lock keeps every BAR where it
 * is until the access is over.
 */
static struct pci_device *window_lookup(struct pci_host *h, uint64_t addr,
					uint32_t len, unsigned *bar,
					uint64_t *off)
{
	for (unsigned slot = 1; slot < PCI_HOST_SLOTS; slot++)
		if (h->slots[slot] &&
		    pci_bar_lookup(h->slots[slot], addr, len, bar, off))
			return h->slots[slot];
	return NULL;
}

static void window_miss(struct pci_host *h, const char *what, uint64_t addr,
			uint32_t len)
{
	if (!atomic_exchange(&h->miss_logged, true))
		log_warn("pci: %u-byte %s at 0x%llx hits no BAR (all-ones / dropped; logged once)",
			 len, what, (unsigned long long)addr);
}

static void window_read(void *opaque, uint64_t offset, uint8_t *data,
			uint32_t len)
{
	struct pci_host_window *w = opaque;
	struct pci_host *h = w->host;
	uint64_t addr = w->base + offset, off;
	struct pci_device *dev;
	unsigned bar;

	pthread_rwlock_rdlock(&h->map_lock);
	dev = window_lookup(h, addr, len, &bar, &off);
	if (dev)
		pci_bar_read(dev, bar, off, data, len);
	pthread_rwlock_unlock(&h->map_lock);
	if (!dev) {
		memset(data, 0xff, len);
		window_miss(h, "read", addr, len);
	}
}

static void window_write(void *opaque, uint64_t offset, const uint8_t *data,
			 uint32_t len)
{
	struct pci_host_window *w = opaque;
	struct pci_host *h = w->host;
	uint64_t addr = w->base + offset, off;
	struct pci_device *dev;
	unsigned bar;

	pthread_rwlock_rdlock(&h->map_lock);
	dev = window_lookup(h, addr, len, &bar, &off);
	if (dev)
		pci_bar_write(dev, bar, off, data, len);
	pthread_rwlock_unlock(&h->map_lock);
	if (!dev)
		window_miss(h, "write", addr, len);
}

static const struct bus_ops window_ops = { .read = window_read,
					   .write = window_write };

int pci_host_register_mmio(struct pci_host *h, struct bus *mmio,
			   uint64_t base, uint64_t end)
{
	struct pci_host_window *w;
	char name[32];

	if (end <= base)
		return err_set("pci: MMIO window 0x%llx-0x%llx is empty",
			       (unsigned long long)base, (unsigned long long)end);
	if (h->nr_windows == PCI_HOST_MAX_WINDOWS)
		return err_set("pci: more than %d MMIO windows", PCI_HOST_MAX_WINDOWS);
	w = &h->windows[h->nr_windows];
	w->host = h;
	w->base = base;
	w->end = end;
	snprintf(name, sizeof(name), "pci-window%u", h->nr_windows);
	if (bus_register(mmio, name, base, end - base, BUS_W_ANY, &window_ops,
			 w) < 0)
		return -1;
	h->nr_windows++;
	return 0;
}

static void config_put(struct pci_device *dev, unsigned reg, unsigned len,
		       uint64_t v)
{
	uint8_t d[4];

	le_put(d, v, len);
	pci_config_write(dev, reg, d, len);
}

int pci_host_assign_bars(struct pci_host *h, uint64_t base, uint64_t end)
{
	uint64_t next = base;
	int r = 0;

	pthread_mutex_lock(&h->lock);
	pthread_rwlock_wrlock(&h->map_lock);
	for (unsigned slot = 1; slot < PCI_HOST_SLOTS && r == 0; slot++) {
		struct pci_device *dev = h->slots[slot];
		uint8_t cmd[2];

		if (!dev)
			continue;
		for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
			uint64_t size = dev->bars[i].size;
			uint64_t addr = (next + size - 1) & ~(size - 1);

			if (!size)
				continue;
			if (addr < next || addr > end || end - addr < size) {
				r = err_set("pci %s: BAR %u (0x%llx bytes) does not fit in 0x%llx-0x%llx",
					    dev->name, i, (unsigned long long)size,
					    (unsigned long long)base,
					    (unsigned long long)end);
				break;
			}
			config_put(dev, PCI_BASE_ADDRESS_0 + 4 * i, 4,
				   addr & 0xffffffffu);
			if (dev->bars[i].flags & PCI_BAR_MEM64)
				config_put(dev, PCI_BASE_ADDRESS_0 + 4 * (i + 1), 4,
					   addr >> 32);
			next = addr + size;
		}
		if (r)
			break;
		pci_config_read(dev, PCI_COMMAND, cmd, 2);
		config_put(dev, PCI_COMMAND, 2,
			   le_get(cmd, 2) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	}
	pthread_rwlock_unlock(&h->map_lock);
	pthread_mutex_unlock(&h->lock);
	return r;
}
