// SPDX-License-Identifier: MIT
/*
 * A PCI function: configuration header, memory BARs, capabilities and
 * MSI-X, after the PCI Local Bus Specification 3.0 (6.1 configuration
 * space, 6.2.5.1 base address registers, 6.7 capabilities list, 6.8.2
 * MSI-X).  pci.h describes the model and its locking.
 */
#include "dev/pci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "log.h"
#include "state.h"

/* Upper half of a 64-bit BAR (internal flag of struct pci_bar). */
#define BAR_UPPER 0x80u
#define BAR_FLAGS (PCI_BAR_MEM64 | PCI_BAR_PREFETCH)

#define COMMAND_WRITABLE                                                    \
	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |        \
	 PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
#define STATUS_W1C                                                          \
	(PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |                 \
	 PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |       \
	 PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)

#define BAR_REG(i) (PCI_BASE_ADDRESS_0 + 4 * (i))

static uint64_t cfg_get(const struct pci_device *dev, unsigned off,
			unsigned len)
{
	return le_get(&dev->config[off], len);
}

static void cfg_put(struct pci_device *dev, unsigned off, unsigned len,
		    uint64_t v)
{
	le_put(&dev->config[off], v, len);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* [a, a + alen) and [b, b + blen) share a byte. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* [a, a + alen) lies inside [b, b + blen). */
static bool inside(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a >= b && alen <= blen && a - b <= blen - alen;
}

int pci_device_init(struct pci_device *dev, const char *name,
		    const struct pci_device_info *info,
		    const struct pci_device_ops *ops, void *opaque)
{
	static const struct pci_device_ops no_ops;

	if (!name || !name[0] || strlen(name) >= sizeof(dev->name))
		return err_set("pci device: name \"%s\" is empty or longer than %d bytes",
			       name ? name : "", PCI_NAME_MAX - 1);
	if (info->interrupt_pin > 4)
		return err_set("pci %s: interrupt pin %u is not 0 or INTA#-INTD# (1-4)",
			       name, info->interrupt_pin);
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->ops = ops ? ops : &no_ops;
	dev->opaque = opaque;
	dev->devfn = -1;
	dev->cap_end = PCI_CAP_START;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		dev->bars[i].addr = PCI_BAR_UNMAPPED;

	cfg_put(dev, PCI_VENDOR_ID, 2, info->vendor_id);
	cfg_put(dev, PCI_DEVICE_ID, 2, info->device_id);
	cfg_put(dev, PCI_REVISION_ID, 1, info->revision);
	cfg_put(dev, PCI_CLASS_PROG, 3, info->class_code);
	cfg_put(dev, PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_NORMAL);
	cfg_put(dev, PCI_SUBSYSTEM_VENDOR_ID, 2, info->subsystem_vendor_id);
	cfg_put(dev, PCI_SUBSYSTEM_ID, 2, info->subsystem_id);
	cfg_put(dev, PCI_INTERRUPT_PIN, 1, info->interrupt_pin);

	le_put(&dev->wmask[PCI_COMMAND], COMMAND_WRITABLE, 2);
	le_put(&dev->w1cmask[PCI_STATUS], STATUS_W1C, 2);
	dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;

	pthread_mutex_init(&dev->msix.lock, NULL);
	for (unsigned i = 0; i < PCI_MSIX_MAX_FDS; i++)
		dev->msix.fds[i].fd = -1;
	return 0;
}

static void msix_free(struct pci_msix *m)
{
	free(m->table);
	free(m->pba);
	free(m->told);
	m->table = NULL;
	m->pba = NULL;
	m->told = NULL;
	m->nr = 0;
}

void pci_device_destroy(struct pci_device *dev)
{
	if (!dev)
		return;
	msix_free(&dev->msix);
	pthread_mutex_destroy(&dev->msix.lock);
}

int pci_bar_init(struct pci_device *dev, unsigned bar, uint64_t size,
		 unsigned flags)
{
	bool is64 = flags & PCI_BAR_MEM64;
	/* A 32-bit BAR must end below 4 GiB to decode (bar_decode). */
	uint64_t max = is64 ? 1ull << 40 : 1ull << 30;
	uint64_t mask;
	uint8_t type;

	if (bar >= PCI_NUM_BARS || (is64 && bar + 1 >= PCI_NUM_BARS))
		return err_set("pci %s: BAR %u%s does not exist", dev->name, bar,
			       is64 ? " (64-bit, with the next)" : "");
	if (flags & ~BAR_FLAGS)
		return err_set("pci %s: BAR %u: flags 0x%x", dev->name, bar, flags);
	if (dev->bars[bar].size || (dev->bars[bar].flags & BAR_UPPER) ||
	    (is64 && (dev->bars[bar + 1].size ||
		      (dev->bars[bar + 1].flags & BAR_UPPER))))
		return err_set("pci %s: BAR %u is in use", dev->name, bar);
	if (!is_pow2(size) || size < 16 || size > max)
		return err_set("pci %s: BAR %u: size 0x%llx is not a power of two from 16 bytes to %s",
			       dev->name, bar, (unsigned long long)size,
			       is64 ? "1 TiB" : "1 GiB");

	dev->bars[bar].size = size;
	dev->bars[bar].flags = flags;
	dev->bars[bar].addr = PCI_BAR_UNMAPPED;
	type = (is64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : PCI_BASE_ADDRESS_MEM_TYPE_32) |
	       ((flags & PCI_BAR_PREFETCH) ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
	cfg_put(dev, BAR_REG(bar), 4, type);
	/* The address bits at and above the size's are writable (6.2.5.1). */
	mask = ~(size - 1);
	le_put(&dev->wmask[BAR_REG(bar)], mask & 0xfffffff0u, 4);
	if (is64) {
		dev->bars[bar + 1].flags = BAR_UPPER;
		cfg_put(dev, BAR_REG(bar + 1), 4, 0);
		le_put(&dev->wmask[BAR_REG(bar + 1)], mask >> 32, 4);
	}
	return 0;
}

/* Where BAR i decodes now, from the configuration bytes (as QEMU decides). */
static uint64_t bar_decode(const struct pci_device *dev, unsigned i)
{
	const struct pci_bar *b = &dev->bars[i];
	uint64_t addr, last;

	if (!b->size || !(cfg_get(dev, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY))
		return PCI_BAR_UNMAPPED;
	addr = cfg_get(dev, BAR_REG(i), 4) & ~0xfull;
	if (b->flags & PCI_BAR_MEM64)
		addr |= cfg_get(dev, BAR_REG(i + 1), 4) << 32;
	addr &= ~(b->size - 1);
	last = addr + b->size - 1;
	/* 0 is "not assigned"; a BAR must not wrap or touch the top. */
	if (addr == 0 || last < addr || last == UINT64_MAX)
		return PCI_BAR_UNMAPPED;
	if (!(b->flags & PCI_BAR_MEM64) && last >= UINT32_MAX)
		return PCI_BAR_UNMAPPED;
	return addr;
}

/* Record each BAR's decode and tell the device about every change. */
static void update_mappings(struct pci_device *dev)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t now, old;

		if (!dev->bars[i].size)
			continue;
		now = bar_decode(dev, i);
		old = dev->bars[i].addr;
		if (now == old)
			continue;
		dev->bars[i].addr = now;
		if (dev->ops->bar_moved)
			dev->ops->bar_moved(dev->opaque, i, old, now);
	}
}

int pci_add_capability(struct pci_device *dev, uint8_t id, uint8_t len)
{
	unsigned off = (dev->cap_end + 3u) & ~3u;

	if (len < 2)
		return err_set("pci %s: capability 0x%02x of %u bytes (at least 2)",
			       dev->name, id, len);
	if (off + len > PCI_CONFIG_SPACE_SIZE)
		return err_set("pci %s: no room for capability 0x%02x of %u bytes at 0x%02x",
			       dev->name, id, len, off);
	dev->config[off + PCI_CAP_LIST_ID] = id;
	dev->config[off + PCI_CAP_LIST_NEXT] = 0;
	if (dev->last_cap)
		dev->config[dev->last_cap + PCI_CAP_LIST_NEXT] = (uint8_t)off;
	else
		dev->config[PCI_CAPABILITY_LIST] = (uint8_t)off;
	dev->last_cap = (uint8_t)off;
	dev->cap_end = off + len;
	cfg_put(dev, PCI_STATUS, 2,
		cfg_get(dev, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
	return (int)off;
}

/* ---- MSI-X (6.8.2) ---- */

static unsigned pba_words(unsigned nr)
{
	return (nr + 63) / 64;
}

static uint8_t *entry(struct pci_msix *m, unsigned v)
{
	return &m->table[v * PCI_MSIX_ENTRY_SIZE];
}

/* Bits of table byte i the guest may write: all but vector control's 31:1. */
static uint8_t table_wmask(unsigned i)
{
	unsigned in = i % PCI_MSIX_ENTRY_SIZE;

	if (in < PCI_MSIX_ENTRY_VECTOR_CTRL)
		return 0xff;
	return in == PCI_MSIX_ENTRY_VECTOR_CTRL ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0;
}

static bool vector_masked(struct pci_msix *m, unsigned v)
{
	return !m->enabled || m->function_masked ||
	       (entry(m, v)[PCI_MSIX_ENTRY_VECTOR_CTRL] &
		PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static bool pending(const struct pci_msix *m, unsigned v)
{
	return m->pba[v / 64] >> (v % 64) & 1;
}

static void set_pending(struct pci_msix *m, unsigned v, bool on)
{
	if (on)
		m->pba[v / 64] |= 1ull << (v % 64);
	else
		m->pba[v / 64] &= ~(1ull << (v % 64));
}

/* Attach or detach the fds of vector v as its mask says.  m->lock held. */
static void msix_sync_fds(struct pci_msix *m, unsigned v)
{
	bool on = !vector_masked(m, v) && m->bus_master;

	for (unsigned i = 0; i < PCI_MSIX_MAX_FDS; i++) {
		struct pci_msix_fd *f = &m->fds[i];

		if (f->fd < 0 || f->vector != v || f->bound == on)
			continue;
		/* (a message that is no interrupt stays undelivered, as fire's) */
		if (m->sink.attach(m->sink.ctx, v, f->fd, on) == 0)
			f->bound = on;
	}
}

/*
 * Tell the sink what changed about vector v (always, with force) and
 * deliver its pending message once it may go.  m->lock held.
 */
static void msix_sync(struct pci_msix *m, unsigned v, bool force)
{
	const uint8_t *e = entry(m, v);
	struct pci_msix_told now = {
		.address = le_get(e + PCI_MSIX_ENTRY_LOWER_ADDR, 4) |
			   le_get(e + PCI_MSIX_ENTRY_UPPER_ADDR, 4) << 32,
		.data = (uint32_t)le_get(e + PCI_MSIX_ENTRY_DATA, 4),
		.masked = vector_masked(m, v),
	};
	struct pci_msix_told *told = &m->told[v];

	if (force || told->address != now.address || told->data != now.data ||
	    told->masked != now.masked) {
		*told = now;
		m->sink.route(m->sink.ctx, v, now.address, now.data, now.masked);
	}
	if (!now.masked && m->bus_master && pending(m, v) &&
	    m->sink.fire(m->sink.ctx, v)) {
		set_pending(m, v, false);
		m->fired++;
	}
	msix_sync_fds(m, v);
}

static void msix_sync_all(struct pci_msix *m, bool force)
{
	for (unsigned v = 0; v < m->nr; v++)
		msix_sync(m, v, force);
}

/* Message Control or the command register may have changed. */
static void msix_config_changed(struct pci_device *dev)
{
	struct pci_msix *m = &dev->msix;
	uint16_t ctrl;
	bool bm;

	if (!m->nr)
		return;
	ctrl = (uint16_t)cfg_get(dev, m->cap + PCI_MSIX_FLAGS, 2);
	bm = cfg_get(dev, PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
	pthread_mutex_lock(&m->lock);
	if (m->enabled != !!(ctrl & PCI_MSIX_FLAGS_ENABLE) ||
	    m->function_masked != !!(ctrl & PCI_MSIX_FLAGS_MASKALL) ||
	    m->bus_master != bm) {
		m->enabled = ctrl & PCI_MSIX_FLAGS_ENABLE;
		m->function_masked = ctrl & PCI_MSIX_FLAGS_MASKALL;
		m->bus_master = bm;
		msix_sync_all(m, false);
	}
	pthread_mutex_unlock(&m->lock);
}

int pci_msix_init(struct pci_device *dev, unsigned nr_vectors, unsigned bar,
		  uint32_t table_offset, uint32_t pba_offset,
		  const struct pci_msi_sink *sink)
{
	struct pci_msix *m = &dev->msix;
	uint64_t table_len = (uint64_t)nr_vectors * PCI_MSIX_ENTRY_SIZE;
	uint64_t pba_len = (uint64_t)pba_words(nr_vectors) * 8;
	int cap;

	if (m->nr)
		return err_set("pci %s: MSI-X is set up already", dev->name);
	if (nr_vectors == 0 || nr_vectors > PCI_MSIX_MAX_VECTORS)
		return err_set("pci %s: %u MSI-X vectors (1 to %d)", dev->name,
			       nr_vectors, PCI_MSIX_MAX_VECTORS);
	if (bar >= PCI_NUM_BARS || !dev->bars[bar].size)
		return err_set("pci %s: MSI-X in BAR %u, which is not implemented",
			       dev->name, bar);
	if ((table_offset | pba_offset) & 7)
		return err_set("pci %s: MSI-X table 0x%x / PBA 0x%x not 8-byte aligned",
			       dev->name, table_offset, pba_offset);
	if (!inside(table_offset, table_len, 0, dev->bars[bar].size) ||
	    !inside(pba_offset, pba_len, 0, dev->bars[bar].size) ||
	    overlaps(table_offset, table_len, pba_offset, pba_len))
		return err_set("pci %s: MSI-X table 0x%x+0x%llx and PBA 0x%x+0x%llx must lie apart inside BAR %u (0x%llx bytes)",
			       dev->name, table_offset,
			       (unsigned long long)table_len, pba_offset,
			       (unsigned long long)pba_len, bar,
			       (unsigned long long)dev->bars[bar].size);
	if (!sink || !sink->route || !sink->fire)
		return err_set("pci %s: MSI-X without a sink", dev->name);

	m->table = calloc(nr_vectors, PCI_MSIX_ENTRY_SIZE);
	m->pba = calloc(pba_words(nr_vectors), sizeof(*m->pba));
	m->told = calloc(nr_vectors, sizeof(*m->told));
	if (!m->table || !m->pba || !m->told) {
		msix_free(m);
		return err_set("pci %s: out of memory", dev->name);
	}
	cap = pci_add_capability(dev, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF);
	if (cap < 0) {
		msix_free(m);
		return -1;
	}
	m->nr = nr_vectors;
	m->cap = (uint8_t)cap;
	m->bar = bar;
	m->table_offset = table_offset;
	m->pba_offset = pba_offset;
	m->sink = *sink;
	cfg_put(dev, cap + PCI_MSIX_FLAGS, 2, nr_vectors - 1);
	cfg_put(dev, cap + PCI_MSIX_TABLE, 4, table_offset | bar);
	cfg_put(dev, cap + PCI_MSIX_PBA, 4, pba_offset | bar);
	le_put(&dev->wmask[cap + PCI_MSIX_FLAGS],
	       PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_ENABLE, 2);

	pthread_mutex_lock(&m->lock);
	for (unsigned v = 0; v < nr_vectors; v++)
		entry(m, v)[PCI_MSIX_ENTRY_VECTOR_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	m->enabled = m->function_masked = false;
	m->bus_master = cfg_get(dev, PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
	msix_sync_all(m, true);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

enum pci_msix_result pci_msix_notify(struct pci_device *dev, unsigned vector)
{
	struct pci_msix *m = &dev->msix;
	enum pci_msix_result r;

	if (vector >= m->nr)
		return PCI_MSIX_NO_VECTOR;
	pthread_mutex_lock(&m->lock);
	if (!m->enabled || !m->bus_master) {
		r = PCI_MSIX_OFF;
	} else if (!vector_masked(m, vector) &&
		   m->sink.fire(m->sink.ctx, vector)) {
		m->fired++;
		r = PCI_MSIX_SENT;
	} else {
		/* Masked (or the sink could not): remember it in the PBA (6.8.2). */
		set_pending(m, vector, true);
		m->pended++;
		r = PCI_MSIX_PENDING;
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

int pci_msix_attach_fd(struct pci_device *dev, unsigned vector, int fd)
{
	struct pci_msix *m = &dev->msix;
	int r = -1;

	if (vector >= m->nr || fd < 0 || !m->sink.attach)
		return err_set("pci %s: vector %u cannot be signalled by an eventfd",
			       dev->name, vector);
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < PCI_MSIX_MAX_FDS; i++) {
		struct pci_msix_fd *f = &m->fds[i];

		if (f->fd >= 0)
			continue;
		f->fd = fd;
		f->vector = vector;
		f->bound = false;
		msix_sync_fds(m, vector);
		r = 0;
		break;
	}
	pthread_mutex_unlock(&m->lock);
	if (r < 0)
		err_set("pci %s: more than %d eventfds for MSI-X vectors",
			dev->name, PCI_MSIX_MAX_FDS);
	return r;
}

void pci_msix_detach_fd(struct pci_device *dev, int fd)
{
	struct pci_msix *m = &dev->msix;

	if (fd < 0)
		return;
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < PCI_MSIX_MAX_FDS; i++) {
		struct pci_msix_fd *f = &m->fds[i];

		if (f->fd != fd)
			continue;
		if (f->bound && m->sink.attach(m->sink.ctx, f->vector, fd, false) < 0)
			log_warn("MSI-X vector %u: %s", f->vector, err_msg());
		f->fd = -1;
		f->bound = false;
	}
	pthread_mutex_unlock(&m->lock);
}

bool pci_msix_enabled(struct pci_device *dev)
{
	bool on;

	if (!dev->msix.nr)
		return false;
	pthread_mutex_lock(&dev->msix.lock);
	on = dev->msix.enabled;
	pthread_mutex_unlock(&dev->msix.lock);
	return on;
}

/* Table and PBA accesses; false when the access is not theirs. */
static bool msix_read(struct pci_device *dev, unsigned bar, uint64_t off,
		      uint8_t *data, uint32_t len)
{
	struct pci_msix *m = &dev->msix;
	uint64_t table_len = (uint64_t)m->nr * PCI_MSIX_ENTRY_SIZE;
	uint64_t pba_len = (uint64_t)pba_words(m->nr) * 8;

	if (!m->nr || bar != m->bar)
		return false;
	if (inside(off, len, m->table_offset, table_len)) {
		pthread_mutex_lock(&m->lock);
		memcpy(data, m->table + (off - m->table_offset), len);
		pthread_mutex_unlock(&m->lock);
		return true;
	}
	if (inside(off, len, m->pba_offset, pba_len)) {
		uint64_t at = off - m->pba_offset;

		pthread_mutex_lock(&m->lock);
		for (uint32_t i = 0; i < len; i++, at++)
			data[i] = (uint8_t)(m->pba[at / 8] >> (8 * (at % 8)));
		pthread_mutex_unlock(&m->lock);
		return true;
	}
	/* Straddling the table or PBA and something else: all-ones. */
	if (overlaps(off, len, m->table_offset, table_len) ||
	    overlaps(off, len, m->pba_offset, pba_len)) {
		memset(data, 0xff, len);
		return true;
	}
	return false;
}

static bool msix_write(struct pci_device *dev, unsigned bar, uint64_t off,
		       const uint8_t *data, uint32_t len)
{
	struct pci_msix *m = &dev->msix;
	uint64_t table_len = (uint64_t)m->nr * PCI_MSIX_ENTRY_SIZE;
	uint64_t pba_len = (uint64_t)pba_words(m->nr) * 8;

	if (!m->nr || bar != m->bar)
		return false;
	if (inside(off, len, m->table_offset, table_len)) {
		unsigned at = (unsigned)(off - m->table_offset);
		unsigned first = at / PCI_MSIX_ENTRY_SIZE;
		unsigned last = (at + len - 1) / PCI_MSIX_ENTRY_SIZE;

		pthread_mutex_lock(&m->lock);
		for (uint32_t i = 0; i < len; i++)
			m->table[at + i] = data[i] & table_wmask(at + i);
		for (unsigned v = first; v <= last; v++)
			msix_sync(m, v, false);
		pthread_mutex_unlock(&m->lock);
		return true;
	}
	/* The PBA is read-only; straddling writes are dropped as well. */
	return overlaps(off, len, m->table_offset, table_len) ||
	       overlaps(off, len, m->pba_offset, pba_len);
}

/* ---- what the bus calls ---- */

static bool cfg_range_ok(unsigned offset, uint32_t len)
{
	return len >= 1 && len <= 4 && offset < PCI_CONFIG_SPACE_SIZE &&
	       len <= PCI_CONFIG_SPACE_SIZE - offset;
}

void pci_config_read(struct pci_device *dev, unsigned offset, uint8_t *data,
		     uint32_t len)
{
	if (!cfg_range_ok(offset, len)) {
		memset(data, 0xff, len);
		return;
	}
	memcpy(data, &dev->config[offset], len);
	if (dev->ops->config_read)
		dev->ops->config_read(dev->opaque, offset, data, len);
}

void pci_config_write(struct pci_device *dev, unsigned offset,
		      const uint8_t *data, uint32_t len)
{
	if (!cfg_range_ok(offset, len))
		return;
	for (uint32_t i = 0; i < len; i++) {
		unsigned r = offset + i;
		uint8_t v = data[i];

		dev->config[r] = (uint8_t)((dev->config[r] & ~dev->wmask[r]) |
					   (v & dev->wmask[r]));
		dev->config[r] &= (uint8_t)~(v & dev->w1cmask[r]);
	}
	if (dev->ops->config_write)
		dev->ops->config_write(dev->opaque, offset, data, len);
	update_mappings(dev);
	msix_config_changed(dev);
}

uint64_t pci_bar_address(const struct pci_device *dev, unsigned bar)
{
	return bar < PCI_NUM_BARS ? dev->bars[bar].addr : PCI_BAR_UNMAPPED;
}

bool pci_bar_lookup(const struct pci_device *dev, uint64_t addr,
		    uint32_t len, unsigned *bar, uint64_t *offset)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &dev->bars[i];

		if (!b->size || b->addr == PCI_BAR_UNMAPPED ||
		    !inside(addr, len, b->addr, b->size))
			continue;
		*bar = i;
		*offset = addr - b->addr;
		return true;
	}
	return false;
}

static bool bar_access_ok(const struct pci_device *dev, unsigned bar,
			  uint64_t offset, uint32_t len)
{
	return bar < PCI_NUM_BARS && dev->bars[bar].size && len >= 1 &&
	       len <= 8 && inside(offset, len, 0, dev->bars[bar].size);
}

void pci_bar_read(struct pci_device *dev, unsigned bar, uint64_t offset,
		  uint8_t *data, uint32_t len)
{
	if (!bar_access_ok(dev, bar, offset, len)) {
		memset(data, 0xff, len);
		return;
	}
	if (msix_read(dev, bar, offset, data, len))
		return;
	if (dev->ops->bar_read)
		dev->ops->bar_read(dev->opaque, bar, offset, data, len);
	else
		memset(data, 0xff, len);
}

void pci_bar_write(struct pci_device *dev, unsigned bar, uint64_t offset,
		   const uint8_t *data, uint32_t len)
{
	if (!bar_access_ok(dev, bar, offset, len))
		return;
	if (msix_write(dev, bar, offset, data, len))
		return;
	if (dev->ops->bar_write)
		dev->ops->bar_write(dev->opaque, bar, offset, data, len);
}

/* ---- reset, save, load ---- */

/* The MSI-X state that follows from the table and configuration. */
static void msix_reload(struct pci_device *dev, bool force)
{
	struct pci_msix *m = &dev->msix;
	uint16_t ctrl = (uint16_t)cfg_get(dev, m->cap + PCI_MSIX_FLAGS, 2);

	m->enabled = ctrl & PCI_MSIX_FLAGS_ENABLE;
	m->function_masked = ctrl & PCI_MSIX_FLAGS_MASKALL;
	m->bus_master = cfg_get(dev, PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
	msix_sync_all(m, force);
}

void pci_device_reset(struct pci_device *dev)
{
	struct pci_msix *m = &dev->msix;

	for (unsigned r = 0; r < PCI_CONFIG_SPACE_SIZE; r++)
		dev->config[r] &= (uint8_t)~(dev->wmask[r] | dev->w1cmask[r]);
	if (m->nr) {
		pthread_mutex_lock(&m->lock);
		memset(m->table, 0, (size_t)m->nr * PCI_MSIX_ENTRY_SIZE);
		for (unsigned v = 0; v < m->nr; v++)
			entry(m, v)[PCI_MSIX_ENTRY_VECTOR_CTRL] =
				PCI_MSIX_ENTRY_CTRL_MASKBIT;
		memset(m->pba, 0, pba_words(m->nr) * sizeof(*m->pba));
		msix_reload(dev, false);
		pthread_mutex_unlock(&m->lock);
	}
	update_mappings(dev);
}

void pci_device_save(struct pci_device *dev, struct state_writer *w)
{
	struct pci_msix *m = &dev->msix;

	state_put_bytes(w, dev->config, sizeof(dev->config));
	state_put_u16(w, (uint16_t)m->nr);
	if (!m->nr)
		return;
	pthread_mutex_lock(&m->lock);
	for (unsigned v = 0; v < m->nr; v++)
		for (unsigned d = 0; d < PCI_MSIX_ENTRY_SIZE; d += 4)
			state_put_u32(w, (uint32_t)le_get(entry(m, v) + d, 4));
	for (unsigned i = 0; i < pba_words(m->nr); i++)
		state_put_u64(w, m->pba[i]);
	pthread_mutex_unlock(&m->lock);
}

int pci_device_load(struct pci_device *dev, struct state_reader *r,
		    bool check_only)
{
	struct pci_msix *m = &dev->msix;
	uint8_t config[PCI_CONFIG_SPACE_SIZE];
	uint64_t pba[PCI_MSIX_MAX_VECTORS / 64] = { 0 };
	uint8_t *table = NULL;
	uint16_t nr;
	int ret = -1;

	state_get_bytes(r, config, sizeof(config));
	nr = state_get_u16(r);
	if (r->failed)
		return -1;
	for (unsigned i = 0; i < PCI_CONFIG_SPACE_SIZE; i++) {
		uint8_t fixed = (uint8_t)~(dev->wmask[i] | dev->w1cmask[i]);

		if ((config[i] ^ dev->config[i]) & fixed)
			return state_reader_fail(r, "pci %s: read-only config byte 0x%02x is 0x%02x, not 0x%02x",
						 dev->name, i, config[i],
						 dev->config[i]);
	}
	if (nr != m->nr)
		return state_reader_fail(r, "pci %s: %u MSI-X vectors saved, the device has %u",
					 dev->name, nr, m->nr);
	if (nr) {
		table = calloc(nr, PCI_MSIX_ENTRY_SIZE);
		if (!table)
			return state_reader_fail(r, "pci %s: out of memory", dev->name);
		for (unsigned i = 0; i < (unsigned)nr * PCI_MSIX_ENTRY_SIZE; i += 4)
			le_put(table + i, state_get_u32(r), 4);
		for (unsigned i = 0; i < pba_words(nr); i++)
			pba[i] = state_get_u64(r);
		if (r->failed)
			goto out;
		for (unsigned i = 0; i < (unsigned)nr * PCI_MSIX_ENTRY_SIZE; i++)
			if (table[i] & ~table_wmask(i)) {
				state_reader_fail(r, "pci %s: MSI-X vector %u: reserved vector control bits set",
						  dev->name, i / PCI_MSIX_ENTRY_SIZE);
				goto out;
			}
		if (nr % 64 && pba[nr / 64] >> (nr % 64)) {
			state_reader_fail(r, "pci %s: pending bits beyond vector %u",
					  dev->name, nr - 1);
			goto out;
		}
	}
	ret = 0;
	if (check_only)
		goto out;

	memcpy(dev->config, config, sizeof(config));
	if (nr) {
		pthread_mutex_lock(&m->lock);
		memcpy(m->table, table, (size_t)nr * PCI_MSIX_ENTRY_SIZE);
		memcpy(m->pba, pba, pba_words(nr) * sizeof(*m->pba));
		msix_reload(dev, false);
		pthread_mutex_unlock(&m->lock);
	}
	update_mappings(dev);
out:
	free(table);
	return ret;
}
