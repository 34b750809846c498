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

#define CFG_ENABLE 0x80000000u
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
		h->address = (uint32_t)bus_data_get(data, 4) & 0x80fffffcu;
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
			data[i] = reg + i < 256 ? cfg[reg + i] : 0xff;
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
			if (reg + i < 256 && config_writable(reg + i))
				cfg[reg + i] = data[i];
	}
	pthread_mutex_unlock(&h->lock);
}

static const struct bus_ops addr_ops = { .read = addr_read, .write = addr_write };
static const struct bus_ops data_ops = { .read = data_read, .write = data_write };

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
	le_put(&h->config[0x00], 0x8086, 2); /* vendor: Intel */
	le_put(&h->config[0x02], 0x1237, 2); /* device: 82441FX (440FX) */
	le_put(&h->config[0x04], 0x0006, 2); /* command: memory + bus master */
	le_put(&h->config[0x06], 0x0280, 2); /* status: fast back-to-back, medium DEVSEL */
	h->config[0x08] = 0x02; /* revision */
	le_put(&h->config[0x09], 0x060000, 3); /* class: host bridge */
	le_put(&h->config[0x2c], 0x1af4, 2); /* subsystem vendor (as QEMU) */
	le_put(&h->config[0x2e], 0x1100, 2); /* subsystem */
	h->config[0x72] = 0x02; /* SMRAM: C_BASE_SEG default */
	return h;
}

void pci_host_destroy(void *dev)
{
	struct pci_host *h = dev;

	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h);
}

int pci_host_register(struct pci_host *h, struct bus *pio)
{
	if (bus_register(pio, "pci-config-address", PCI_CONFIG_ADDRESS_PORT, 4,
			 BUS_W1 | BUS_W2 | BUS_W4, &addr_ops, h) < 0)
		return -1;
	return bus_register(pio, "pci-config-data", PCI_CONFIG_DATA_PORT, 4,
			    BUS_W1 | BUS_W2 | BUS_W4, &data_ops, h);
}
