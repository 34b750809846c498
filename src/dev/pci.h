/* SPDX-License-Identifier: MIT */
/*
 * A PCI function as a bus sees it (PCI Local Bus Specification 3.0): the
 * type-0 configuration header, memory BARs, the capability list and
 * MSI-X (6.8.2).  No bus, no KVM: the host bridge (pci_host.h) reaches the
 * configuration space and dispatches MMIO to the BARs, the machine
 * delivers MSI-X messages through a struct pci_msi_sink.  Register names
 * are those of <linux/pci_regs.h>.
 *
 * A device model embeds a struct pci_device and builds it once, before the
 * guest runs:
 *
 *     pci_device_init(&d->pci, "virtio-blk", &info, &ops, d);
 *     pci_bar_init(&d->pci, 0, 0x1000, PCI_BAR_MEM32);
 *     pci_bar_init(&d->pci, 2, 0x4000, PCI_BAR_MEM64);
 *     off = pci_add_capability(&d->pci, PCI_CAP_ID_VNDR, 16);
 *     pci_msix_init(&d->pci, 3, 2, 0x0000, 0x2000, &sink);
 *     pci_host_add_device(host, &d->pci, slot);
 *
 * Configuration space (6.1, 6.2): 256 bytes with a write mask and a
 * write-1-to-clear mask per byte; the guest changes only bits its masks
 * allow.  Writable in every device: the command register's I/O space,
 * memory space, bus master, SERR# and INTx-disable bits, the status
 * register's error bits (write 1 to clear), the cache line size, the
 * interrupt line, the address bits of each implemented BAR, and what a
 * capability (MSI-X: function mask and enable) makes writable.  The
 * expansion ROM BAR and unimplemented BARs read 0.  Accesses beyond the
 * 256 bytes read all-ones and are dropped.
 *
 * BARs (6.2.5.1): memory only, a power-of-two size of at least 16 bytes,
 * 32-bit (BAR n) or 64-bit (BARs n and n+1, the upper half fully
 * writable).  Writing all-ones and reading back gives the size mask with
 * the type bits.  A BAR decodes when the command register's memory space
 * bit is set and its address is not 0 and does not wrap; its address is
 * then pci_bar_address(), otherwise PCI_BAR_UNMAPPED.  Every change of that
 * value (a BAR write, the memory bit, a reset, a load) calls
 * ops->bar_moved(old, new) at once, so a device can move its ioeventfds.
 * Accesses inside a decoding BAR reach ops->bar_read/bar_write, except
 * the MSI-X table and PBA, which this module serves.
 *
 * MSI-X (6.8.2): the capability (Message Control: table size, function
 * mask, enable; table and PBA offset with their BAR) and, in a BAR, the
 * table (16-byte entries: message address low/high, data, vector control
 * with its mask bit; every vector starts masked) and the pending bit
 * array (read-only).  A vector is masked when its own mask bit or the
 * function mask is set or MSI-X is disabled.  The sink is told every
 * change of a vector's address, data or masked state (route), and asked
 * to deliver (fire) when the device signals an unmasked vector; a masked
 * vector gets its pending bit instead, and is fired once, its pending bit
 * cleared, when it becomes unmasked.
 *
 * Locking.  Configuration accesses, BAR changes, reset and load are
 * serialised by the caller (the host bridge's lock); BAR accesses may come
 * from any vCPU at once, concurrently with nothing that moves a BAR (the
 * host bridge's map lock).  MSI-X has its own mutex: table accesses,
 * Message Control changes and pci_msix_notify() (any thread) take it, and
 * the sink is called with it held, so the sink must not call back into
 * this device.  ops callbacks are called with the caller's locks held and
 * must not access configuration space through the host bridge.
 */
#ifndef MINIVMM_DEV_PCI_H
#define MINIVMM_DEV_PCI_H

#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct state_reader;
struct state_writer;

#define PCI_CONFIG_SPACE_SIZE 256
#define PCI_NUM_BARS 6
/* The address of a BAR that does not decode. */
#define PCI_BAR_UNMAPPED UINT64_MAX
/* Capabilities live from the end of the header to the end of the space. */
#define PCI_CAP_START 0x40
/* Message Control's Table Size is 11 bits (6.8.2). */
#define PCI_MSIX_MAX_VECTORS 2048
#define PCI_NAME_MAX 32

/* pci_bar_init() flags. */
#define PCI_BAR_MEM32 0x0
#define PCI_BAR_MEM64 0x1 /* uses BAR n+1 for the upper 32 bits */
#define PCI_BAR_PREFETCH 0x2

/* What the device model supplies; any callback may be NULL. */
struct pci_device_ops {
	/*
	 * An access of len (1, 2, 4 or 8) bytes at offset inside BAR `bar`
	 * (offset + len <= its size), outside the MSI-X table and PBA.  A
	 * read fills all len bytes (NULL: all-ones; writes are dropped).
	 */
	void (*bar_read)(void *opaque, unsigned bar, uint64_t offset,
			 uint8_t *data, uint32_t len);
	void (*bar_write)(void *opaque, unsigned bar, uint64_t offset,
			  const uint8_t *data, uint32_t len);
	/*
	 * BAR `bar` now decodes at new_addr instead of old_addr (either may be
	 * PCI_BAR_UNMAPPED).  Called with the host's locks held, before any
	 * access reaches the new address.
	 */
	void (*bar_moved)(void *opaque, unsigned bar, uint64_t old_addr,
			  uint64_t new_addr);
	/*
	 * Configuration bytes [offset, offset + len), after this module has
	 * read them into data (the device may replace them) / after it has
	 * applied the write masks: for registers with side effects inside a
	 * device's own capability (virtio's PCI configuration access).
	 */
	void (*config_read)(void *opaque, unsigned offset, uint8_t *data,
			    uint32_t len);
	void (*config_write)(void *opaque, unsigned offset,
			     const uint8_t *data, uint32_t len);
};

/* The read-only identity of a function (6.2.1, 6.2.4). */
struct pci_device_info {
	uint16_t vendor_id, device_id;
	uint16_t subsystem_vendor_id, subsystem_id;
	uint32_t class_code; /* base class, sub-class, prog-if: 0x010000 */
	uint8_t revision;
	uint8_t interrupt_pin; /* 0: none, 1-4: INTA#-INTD# */
};

/*
 * Where a device's MSI-X messages go; the machine provides it (x86:
 * pc_msi.h).  Both are called with the device's MSI-X lock held.
 */
struct pci_msi_sink {
	/* Vector v now has this address and data, and is (not) masked. */
	void (*route)(void *ctx, unsigned vector, uint64_t address,
		      uint32_t data, bool masked);
	/* Deliver vector v (unmasked) now; false: it could not be. */
	bool (*fire)(void *ctx, unsigned vector);
	void *ctx;
	/*
	 * Optional: from now on (on) or no longer, a signal on the eventfd fd
	 * delivers vector v without minivmm (KVM_IRQFD); 0, or -1 with
	 * err_msg().  Only called while v is unmasked (on) or as it stops
	 * being so, or its fd is let go (off).
	 */
	int (*attach)(void *ctx, unsigned vector, int fd, bool on);
};

/* An eventfd that delivers a vector by itself while it is unmasked. */
struct pci_msix_fd {
	int fd; /* -1: slot free */
	unsigned vector;
	bool bound; /* the sink has it attached now */
};

#define PCI_MSIX_MAX_FDS 8

struct pci_bar {
	uint64_t size; /* 0: not implemented (or the upper half of a 64-bit BAR) */
	unsigned flags; /* PCI_BAR_* */
	uint64_t addr; /* where it decodes, or PCI_BAR_UNMAPPED */
};

/* What the sink was last told about one vector. */
struct pci_msix_told {
	uint64_t address;
	uint32_t data;
	bool masked;
};

struct pci_msix {
	unsigned nr; /* vectors; 0: no MSI-X */
	uint8_t cap; /* offset of the capability */
	unsigned bar;
	uint32_t table_offset, pba_offset; /* inside the BAR */
	uint8_t *table; /* nr * PCI_MSIX_ENTRY_SIZE bytes */
	uint64_t *pba; /* (nr + 63) / 64 words */
	struct pci_msix_told *told; /* nr */
	struct pci_msi_sink sink;
	struct pci_msix_fd fds[PCI_MSIX_MAX_FDS];
	/* Copies of Message Control and the bus master bit, under lock. */
	bool enabled, function_masked, bus_master;
	pthread_mutex_t lock;
	_Atomic unsigned long fired, pended; /* statistics */
};

struct pci_device {
	char name[PCI_NAME_MAX];
	const struct pci_device_ops *ops;
	void *opaque;
	uint8_t config[PCI_CONFIG_SPACE_SIZE];
	uint8_t wmask[PCI_CONFIG_SPACE_SIZE]; /* bits the guest may write */
	uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE]; /* bits a 1 clears */
	struct pci_bar bars[PCI_NUM_BARS];
	uint8_t last_cap; /* offset of the last capability; 0: none */
	unsigned cap_end; /* first byte after the last capability */
	struct pci_msix msix;
	int devfn; /* set by the bus (pci_host_add_device); -1 before */
};

/*
 * Set up dev with this identity: the header as described above, no BARs,
 * no capabilities.  -1 with err_msg() for an empty or too long name.
 */
int pci_device_init(struct pci_device *dev, const char *name,
		    const struct pci_device_info *info,
		    const struct pci_device_ops *ops, void *opaque);
/* Free what a successful pci_device_init and pci_msix_init made (not dev). */
void pci_device_destroy(struct pci_device *dev);

/*
 * Implement memory BAR `bar` of `size` bytes (a power of two, 16 bytes to
 * 1 GiB for a 32-bit BAR, up to 1 TiB for a 64-bit one, which also takes
 * BAR bar+1), before the device goes on a bus.  -1 with err_msg() for a
 * bad index, size, or a BAR in use.
 */
int pci_bar_init(struct pci_device *dev, unsigned bar, uint64_t size,
		 unsigned flags);

/*
 * Append a capability of len bytes (at least 2: ID and next pointer) to
 * the list: dword-aligned, from 0x40 on, chained from 0x34 through each
 * next pointer, with status bit 4 set.  Its bytes after the ID and next
 * pointer are 0 and read-only; the device fills them in config[] and makes
 * what the guest may write writable in wmask[].  Returns the offset, or -1
 * with err_msg() when it does not fit.
 */
int pci_add_capability(struct pci_device *dev, uint8_t id, uint8_t len);

/*
 * Add the MSI-X capability with nr_vectors vectors (1 to 2048); the table
 * at table_offset and the PBA at pba_offset of BAR `bar`, both 8-byte
 * aligned, inside the BAR, not overlapping.  The sink is told at once that
 * every vector is masked.  -1 with err_msg().
 */
int pci_msix_init(struct pci_device *dev, unsigned nr_vectors, unsigned bar,
		  uint32_t table_offset, uint32_t pba_offset,
		  const struct pci_msi_sink *sink);

enum pci_msix_result {
	PCI_MSIX_SENT, /* delivered through the sink */
	PCI_MSIX_PENDING, /* masked: its pending bit is set */
	PCI_MSIX_OFF, /* MSI-X disabled or bus mastering off: nothing sent */
	PCI_MSIX_NO_VECTOR, /* no such vector (or no MSI-X at all) */
};

/* The device model signals vector v (any thread). */
enum pci_msix_result pci_msix_notify(struct pci_device *dev, unsigned vector);
/* MSI-X is enabled in Message Control (INTx is not used then). */
bool pci_msix_enabled(struct pci_device *dev);

/*
 * Let the eventfd fd signal vector v by itself (an in-kernel back end's
 * interrupt, e.g. vhost's call fd): while v is unmasked the sink has KVM
 * deliver it; while masked nothing does, and what fd counted meanwhile is
 * delivered once v is unmasked again (KVM looks at a bound fd's count).
 * The caller stops reading fd itself.  -1 with err_msg() when the sink
 * cannot (no attach), v does not exist or the slots are full.
 */
int pci_msix_attach_fd(struct pci_device *dev, unsigned vector, int fd);
/* Undo pci_msix_attach_fd for fd (nothing when it is not attached). */
void pci_msix_detach_fd(struct pci_device *dev, int fd);

/* ---- for the bus ---- */

/* Configuration bytes [offset, offset + len), len 1-4. */
void pci_config_read(struct pci_device *dev, unsigned offset, uint8_t *data,
		     uint32_t len);
void pci_config_write(struct pci_device *dev, unsigned offset,
		      const uint8_t *data, uint32_t len);

/* Where BAR `bar` decodes, or PCI_BAR_UNMAPPED. */
uint64_t pci_bar_address(const struct pci_device *dev, unsigned bar);

/*
 * The decoding BAR that holds all of [addr, addr + len): true with its
 * index and the offset inside it.
 */
bool pci_bar_lookup(const struct pci_device *dev, uint64_t addr,
		    uint32_t len, unsigned *bar, uint64_t *offset);

/* An access inside BAR `bar` (from pci_bar_lookup): MSI-X or the device. */
void pci_bar_read(struct pci_device *dev, unsigned bar, uint64_t offset,
		  uint8_t *data, uint32_t len);
void pci_bar_write(struct pci_device *dev, unsigned bar, uint64_t offset,
		   const uint8_t *data, uint32_t len);

/*
 * A PCI reset, as a conventional reset leaves a function: every bit the
 * guest can write back to 0 (BARs unmapped, command 0, MSI-X disabled,
 * interrupt line 0), the MSI-X table zeroed with every vector masked and
 * nothing pending; bar_moved and the sink hear about each change.
 */
void pci_device_reset(struct pci_device *dev);

/*
 * Saved state: the 256 configuration bytes, then with MSI-X the vector
 * count (u16), each table entry (4 x u32) and the PBA (u64 words).  The
 * device model saves its own state separately.
 */
void pci_device_save(struct pci_device *dev, struct state_writer *w);
/*
 * Read what pci_device_save wrote and check it against dev (built the same
 * way): every byte the guest cannot write must be dev's own, the vector
 * count the same, reserved vector-control and PBA bits 0.  check_only
 * changes nothing; otherwise the state is applied, bar_moved and the sink
 * are told what changed, and a pending vector that may go is delivered.
 * -1 through the reader (state_reader_fail) on anything wrong; nothing is
 * applied then.
 */
int pci_device_load(struct pci_device *dev, struct state_reader *r,
		    bool check_only);

#endif
