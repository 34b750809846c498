/* SPDX-License-Identifier: MIT */
/*
 * The PCI host bridge and bus 0 of the pc machine, as QEMU's i440fx
 * presents them: PCI configuration mechanism #1 at ports 0xcf8 (address) /
 * 0xcfc-0xcff (data), the reset control register at 0xcf9, an Intel 440FX
 * host bridge (8086:1237) at 00:00.0, and up to 31 single-function devices
 * (struct pci_device, pci.h) in slots 1-31; the machine hands out slots
 * from PCI_HOST_FIRST_SLOT on (QEMU keeps 1 for the PIIX3).  A
 * configuration access to any other bus, device or function reads
 * all-ones and writes are dropped.
 *
 * SeaBIOS finds the 440FX at 00:00.0 and programs its PAM registers to make
 * 0xc0000-0xfffff writable before copying itself there.  minivmm keeps that
 * range as RAM from the start (loaded with the firmware's last 128 KiB), so
 * the PAM registers are stored and read back but change no mapping; the
 * firmware ends up with the same bytes either way.
 *
 * The memory BARs are reached through MMIO windows the machine registers
 * (pci_host_register_mmio): an access inside a window goes to the device
 * whose decoding BAR holds all of it (the lowest slot, then the lowest
 * BAR, if the guest made two overlap), anything else reads all-ones and
 * drops writes.
 *
 * pci_host_create(), then pci_host_register() claims the fixed ports.  The
 * device operations (device.h):
 *
 *   reset    the power-on state: 0xcf8 and 0xcf9 read 0, the configuration
 *            space of 00:00.0 (command register, PAM and SMRAM registers
 *            included) as created, and a PCI reset of every device on the
 *            bus (pci_device_reset: BARs and command 0, MSI-X disabled and
 *            masked).
 *   save     0xcf8, 0xcf9, the 256 configuration bytes of 00:00.0, then the
 *            devices (u8 count; per device, in slot order, u8 slot and
 *            pci_device_save: configuration space and MSI-X table).  Each
 *            device model saves its own state itself.
 *   load     checks that 0xcf8 and 0xcf9 hold only bits they keep, that
 *            every byte the guest cannot write is the 440FX's own, and that
 *            the same slots hold devices built the same way
 *            (pci_device_load); nothing is applied unless all of it is
 *            right.  Version 1 (no device part) loads into a bus without
 *            devices.
 *   destroy  frees the host; the devices belong to their models.
 *
 * Locking: `lock` serialises 0xcf8/0xcf9, configuration accesses, BAR
 * assignment, reset, save and load.  `map_lock` is taken for writing
 * (inside `lock`) whenever a device's BARs may move, and for reading by
 * every MMIO access, so an access sees a BAR either before or after a move
 * and never a device half-moved; accesses from several vCPUs proceed
 * together.  The device's callbacks run inside these locks (pci.h).
 */
#ifndef MINIVMM_DEV_PCI_HOST_H
#define MINIVMM_DEV_PCI_HOST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "device.h"

struct pci_device;

#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_RESET_CONTROL_PORT 0xcf9
#define PCI_CONFIG_DATA_PORT 0xcfc
#define PCI_HOST_CONFIG_SIZE 256
/* Device numbers on bus 0: 0 is the 440FX. */
#define PCI_HOST_SLOTS 32
/* The first slot pci_host_free_slot() hands out. */
#define PCI_HOST_FIRST_SLOT 2
#define PCI_HOST_MAX_WINDOWS 2

struct pci_host;

/* One MMIO range that reaches the BARs (the bus callbacks' opaque). */
struct pci_host_window {
	struct pci_host *host;
	uint64_t base, end;
};

struct pci_host {
	pthread_mutex_t lock;
	pthread_rwlock_t map_lock;
	uint32_t address; /* 0xcf8 */
	uint8_t rcr; /* 0xcf9 */
	uint8_t config[PCI_HOST_CONFIG_SIZE]; /* 00:00.0 */
	void (*reset)(void *ctx);
	void *reset_ctx;
	struct pci_device *slots[PCI_HOST_SLOTS]; /* [0] unused: the 440FX */
	unsigned nr_devices;
	struct pci_host_window windows[PCI_HOST_MAX_WINDOWS];
	unsigned nr_windows;
	_Atomic bool miss_logged; /* a window access that hit no BAR */
};

/*
 * reset(ctx) is called when the guest sets RST_CPU at 0xcf9 (from its vCPU
 * thread, without the lock).  NULL with err_msg() when out of memory.
 */
struct pci_host *pci_host_create(void (*reset)(void *ctx), void *ctx);
/* Claim 0xcf8-0xcfb (with 0xcf9) and 0xcfc-0xcff. */
int pci_host_register(struct pci_host *host, struct bus *pio);

/*
 * Put dev (initialised, with its BARs and capabilities) in `slot` (1-31)
 * of bus 0, before the guest runs.  -1 with err_msg() for slot 0, a slot
 * out of range or taken, or a device already on a bus.
 */
int pci_host_add_device(struct pci_host *host, struct pci_device *dev,
			unsigned slot);
/* The lowest free slot from PCI_HOST_FIRST_SLOT, or -1 with err_msg(). */
int pci_host_free_slot(struct pci_host *host);
/* The device in `slot`, or NULL. */
struct pci_device *pci_host_device(struct pci_host *host, unsigned slot);

/*
 * Claim [base, end) of the MMIO bus for the BARs (at most
 * PCI_HOST_MAX_WINDOWS times).  -1 with err_msg() (bus_register's
 * refusals, an empty range, too many windows).
 */
int pci_host_register_mmio(struct pci_host *host, struct bus *mmio,
			   uint64_t base, uint64_t end);

/*
 * Assign every implemented BAR an address in [base, end), as firmware
 * would: slot by slot, BAR by BAR, each naturally aligned above the last
 * (a 64-bit BAR gets a 32-bit address when the range is below 4 GiB),
 * then set memory space and bus master enable in each device's command
 * register.  For a guest that runs without firmware (-kernel); firmware
 * that runs reassigns them.  -1 with err_msg() when they do not fit.
 */
int pci_host_assign_bars(struct pci_host *host, uint64_t base, uint64_t end);

extern const struct device_ops pci_host_device_ops;

#endif
