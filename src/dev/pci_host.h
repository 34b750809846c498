/* SPDX-License-Identifier: MIT */
/*
 * The PCI host bridge firmware looks for: PCI configuration mechanism #1 at
 * ports 0xcf8 (address) / 0xcfc-0xcff (data) with one device, 00:00.0, an
 * Intel 440FX host bridge (8086:1237) as on QEMU's pc machine, plus the
 * reset control register at 0xcf9.
 *
 * SeaBIOS finds the 440FX at 00:00.0 and programs its PAM registers to make
 * 0xc0000-0xfffff writable before copying itself there.  minivmm keeps that
 * range as RAM from the start (loaded with the firmware's last 128 KiB), so
 * the PAM registers are stored and read back but change no mapping; the
 * firmware ends up with the same bytes either way.
 */
#ifndef MINIVMM_DEV_PCI_HOST_H
#define MINIVMM_DEV_PCI_HOST_H

#include <pthread.h>
#include <stdint.h>

#include "bus.h"

#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_RESET_CONTROL_PORT 0xcf9
#define PCI_CONFIG_DATA_PORT 0xcfc

struct pci_host {
	pthread_mutex_t lock;
	uint32_t address; /* 0xcf8 */
	uint8_t rcr; /* 0xcf9 */
	uint8_t config[256]; /* 00:00.0 */
	void (*reset)(void *ctx);
	void *reset_ctx;
};

struct pci_host *pci_host_create(void (*reset)(void *ctx), void *ctx);
void pci_host_destroy(void *dev);
int pci_host_register(struct pci_host *host, struct bus *pio);

#endif
