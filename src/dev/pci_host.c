// SPDX-License-Identifier: MIT
/*
 * Configuration mechanism #1: PCI Local Bus Specification 3.0, 3.2.2.3.2.
 * Register values of the 440FX follow the Intel 82441FX datasheet as QEMU
 * presents it (vendor 8086, device 1237, revision 02, class 0600).
 */
#include "dev/pci_host.h"
#include "byteorder.h"

#include <stdbool.h>
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

/* The device addressed by 0xcf8, or NULL (nothing there: reads all-ones). */
static uint8_t *selected_config(struct pci_host *h)
{
	uint32_t a = h->address;

	if (!(a & CFG_ENABLE))
		return NULL;
	/* bus 0, device 0, function 0 */
	if ((a & 0x00ffff00u) != 0)
		return NULL;
	return h->config;
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
	uint8_t *cfg;

	pthread_mutex_lock(&h->lock);
	cfg = selected_config(h);
	if (cfg) {
		unsigned reg = (h->address & 0xfc) + (unsigned)offset;

		for (uint32_t i = 0; i < len; i++)
			data[i] = reg + i < PCI_HOST_CONFIG_SIZE ? cfg[reg + i] : 0xff;
	} else {
		memset(data, 0xff, len);
	}
	pthread_mutex_unlock(&h->lock);
}

static void data_write(void *opaque, uint64_t offset, const uint8_t *data,
		       uint32_t len)
{
	struct pci_host *h = opaque;
	uint8_t *cfg;

	pthread_mutex_lock(&h->lock);
	cfg = selected_config(h);
	if (cfg) {
		unsigned reg = (h->address & 0xfc) + (unsigned)offset;

		for (uint32_t i = 0; i < len; i++)
			if (reg + i < PCI_HOST_CONFIG_SIZE && config_writable(reg + i))
				cfg[reg + i] = data[i];
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

	if (!h) {
		err_set("pci host: out of memory");
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	h->reset = reset;
	h->reset_ctx = ctx;
	power_on_config(h->config);
	return h;
}

/* Power-on: address 0, reset control 0, PAM and the rest as created. */
static void pci_host_reset(void *dev)
{
	struct pci_host *h = dev;

	pthread_mutex_lock(&h->lock);
	h->address = 0;
	h->rcr = 0;
	power_on_config(h->config);
	pthread_mutex_unlock(&h->lock);
}

/* Version 1: u32 0xcf8, u8 0xcf9, the 256 bytes of 00:00.0. */
static int pci_host_save(void *dev, struct state_writer *w)
{
	struct pci_host *h = dev;

	pthread_mutex_lock(&h->lock);
	state_put_u32(w, h->address);
	state_put_u8(w, h->rcr);
	state_put_bytes(w, h->config, sizeof(h->config));
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static int pci_host_load(void *dev, struct state_reader *r, uint32_t version)
{
	struct pci_host *h = dev;
	uint8_t config[PCI_HOST_CONFIG_SIZE], fixed[PCI_HOST_CONFIG_SIZE];
	uint32_t address;
	uint8_t rcr;

	(void)version;
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
	h->address = address;
	h->rcr = rcr;
	memcpy(h->config, config, sizeof(config));
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static void pci_host_destroy(void *dev)
{
	struct pci_host *h = dev;

	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h);
}

const struct device_ops pci_host_device_ops = {
	.type = "pci-host",
	.version = 1,
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
