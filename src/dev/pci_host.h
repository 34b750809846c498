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
 *
 * pci_host_create(), then pci_host_register() claims the fixed ports.  The
 * device operations (device.h), each under the device's mutex:
 *
 *   reset    the power-on state: 0xcf8 and 0xcf9 read 0, the configuration
 *            space (command register, PAM and SMRAM registers included) as
 *            created.
 *   save     0xcf8, 0xcf9 and the 256 configuration bytes of 00:00.0.
 *   load     checks that 0xcf8 and 0xcf9 hold only bits they keep and that
 *            every byte the guest cannot write is the 440FX's own.
 *   destroy  frees the device.
 */
#ifndef MINIVMM_DEV_PCI_HOST_H
#define MINIVMM_DEV_PCI_HOST_H

#include <pthread.h>
#include <stdint.h>

#include "bus.h"
#include "device.h"

#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_RESET_CONTROL_PORT 0xcf9
#define PCI_CONFIG_DATA_PORT 0xcfc
#define PCI_HOST_CONFIG_SIZE 256

struct pci_host {
	pthread_mutex_t lock;
	uint32_t address; /* 0xcf8 */
	uint8_t rcr; /* 0xcf9 */
	uint8_t config[PCI_HOST_CONFIG_SIZE]; /* 00:00.0 */
	void (*reset)(void *ctx);
	void *reset_ctx;
};

/*
 * reset(ctx) is called when the guest sets RST_CPU at 0xcf9 (from its vCPU
 * thread, without the lock).  NULL with err_msg() when out of memory.
 */
struct pci_host *pci_host_create(void (*reset)(void *ctx), void *ctx);
/* Claim 0xcf8-0xcfb (with 0xcf9) and 0xcfc-0xcff. */
int pci_host_register(struct pci_host *host, struct bus *pio);

extern const struct device_ops pci_host_device_ops;

#endif
