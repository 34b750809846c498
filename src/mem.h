/* SPDX-License-Identifier: MIT */
/*
 * Guest memory: backends (host mappings) and regions (where the guest sees
 * them).
 *
 * A backend is one host mapping: anonymous memory, or a MAP_SHARED mapping of
 * a file, a file on hugetlbfs or /dev/shm, or a character device.  A region
 * places a window of a backend at a guest-physical address; one backend may
 * appear in several regions (QEMU's pc machine splits its RAM around the PCI
 * hole, and aliases the top of the firmware below 1 MiB).  Each region becomes
 * one KVM memslot.
 *
 * Every access the monitor makes to guest memory goes through one of the
 * doors below: gpa_to_hva(), copy_{to,from}_guest(), mem_copy_within(),
 * mem_read_fd() and gpa_to_iovec().  Each checks the whole range first,
 * with overflow checks, and refuses (NULL / -1) when any byte lies outside
 * a region, so no code outside mem.c computes host addresses from a
 * region's hva.  This file does no KVM ioctls, so all of it is
 * unit-testable.
 */
#ifndef MINIVMM_MEM_H
#define MINIVMM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h> /* struct iovec */

#define MEM_MAX_BACKENDS 16
#define MEM_MAX_REGIONS 32

struct mem_backend_cfg {
	const char *path; /* NULL: anonymous private memory */
	bool prealloc; /* touch every page now (MAP_POPULATE + check) */
	bool share; /* anonymous only: MAP_SHARED instead of MAP_PRIVATE */
};

struct mem_backend {
	char name[32];
	uint64_t size;
	uint8_t *hva;
	int fd; /* -1 for anonymous */
	bool is_file;
	bool shared; /* MAP_SHARED: a file, or share=on */
};

struct mem_region {
	char name[32];
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva; /* backend->hva + offset */
	struct mem_backend *backend;
	bool readonly; /* ROM: the guest's writes exit as MMIO */
	bool is_ram; /* counts as RAM (not firmware) */
	uint32_t slot; /* KVM memslot number, assigned in order */
};

struct guest_mem {
	struct mem_backend backends[MEM_MAX_BACKENDS];
	size_t nr_backends;
	struct mem_region regions[MEM_MAX_REGIONS]; /* sorted by gpa */
	size_t nr_regions;
};

void mem_init(struct guest_mem *mem);
/* Unmap every backend and close its file. */
void mem_destroy(struct guest_mem *mem);

/*
 * Create a backend of `size` bytes (a multiple of the page size).  A path
 * that does not exist is created as a regular file; a regular file shorter
 * than size is extended; a character device is mapped as is.  Always
 * MAP_SHARED for paths.  Returns the backend or NULL with err_msg() set.
 */
struct mem_backend *mem_backend_create(struct guest_mem *mem, const char *name,
				       uint64_t size,
				       const struct mem_backend_cfg *cfg);

/*
 * Show [offset, offset + size) of `backend` at guest-physical `gpa`.
 * Refuses (−1, err_msg()) a window outside the backend, a gpa range that
 * wraps or overlaps another region, unaligned addresses, and too many
 * regions.
 */
int mem_add_region(struct guest_mem *mem, const char *name,
		   struct mem_backend *backend, uint64_t offset, uint64_t gpa,
		   uint64_t size, bool readonly, bool is_ram);

/* The region containing gpa, or NULL. */
const struct mem_region *mem_find(const struct guest_mem *mem, uint64_t gpa);

/*
 * The one checked door: host pointer for [gpa, gpa + len) when the whole
 * range lies in a single region, else NULL.  len 0 is refused.
 */
void *gpa_to_hva(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/*
 * Copy between host and guest.  The range may span adjacent regions; any
 * byte outside RAM (or, for copy_to_guest, in a read-only region) makes the
 * whole call fail with -1 before anything is copied.
 */
int copy_to_guest(const struct guest_mem *mem, uint64_t gpa, const void *src,
		  uint64_t len);
int copy_from_guest(const struct guest_mem *mem, void *dst, uint64_t gpa,
		    uint64_t len);

/*
 * Whether every byte of [gpa, gpa + len) is guest memory (and, with
 * `write`, writable by the monitor: not ROM).  The range may span adjacent
 * regions.  0 when it is, -1 when not (len 0 is fine).
 */
int mem_check_range(const struct guest_mem *mem, uint64_t gpa, uint64_t len,
		    bool write);

/*
 * Copy len bytes from guest-physical src_gpa to dst_gpa (firmware's low
 * alias, say).  The source may be ROM, the destination may not; both may
 * span adjacent regions, and they may overlap.  -1, with nothing copied,
 * when any byte of either range is refused (or memory for the bounce
 * copy runs out); len 0 is a no-op.
 */
int mem_copy_within(const struct guest_mem *mem, uint64_t dst_gpa,
		    uint64_t src_gpa, uint64_t len);

/* mem_read_fd(): setup-time loading of firmware into a read-only region. */
#define MEM_ALLOW_ROM 0x1u

/*
 * Read len bytes from fd (at its current offset, as read() does) into
 * guest memory at gpa, region by region; the range may span adjacent
 * regions.  The whole range is checked before anything is read: any byte
 * outside guest memory, or in a read-only region unless flags has
 * MEM_ALLOW_ROM (copy_to_guest() never writes ROM), refuses the call with
 * nothing read.  A read error or an end of file before len bytes also
 * returns -1; guest memory then holds what was read so far.  Every -1
 * comes with err_msg() (without a file name: the caller adds it).
 * len 0 reads nothing and succeeds.
 */
int mem_read_fd(struct guest_mem *mem, uint64_t gpa, int fd, uint64_t len,
		unsigned flags);

/*
 * Scatter-gather view of [gpa, gpa + len) for I/O straight into guest
 * memory (readv/writev, virtio descriptors): fills iov[0..n-1] with the
 * host pieces in guest order and returns n, one entry per region the
 * range touches (a range across adjacent regions gives several entries,
 * even where their host memory happens to be contiguous).  With `write`
 * every byte must be writable (no ROM), for a device that writes to the
 * guest; without, ROM is fine.  Returns -1 and leaves iov untouched when
 * len is 0, the range wraps past 2^64, any byte is outside guest memory
 * (or read-only, with write), or it needs more than max_iov entries: a
 * partial list never counts as success.
 */
int gpa_to_iovec(const struct guest_mem *mem, uint64_t gpa, uint64_t len,
		 bool write, struct iovec *iov, size_t max_iov);

/* Sum of the sizes of the RAM regions (not ROM). */
uint64_t mem_ram_size(const struct guest_mem *mem);

/*
 * Snapshots: the memory file holds every backend in order, each at the sum
 * of the sizes before it.  mem_save_fd() writes it (zero pages as holes);
 * mem_map_file_private() maps it over the backends copy-on-write, in place
 * (the memory slots keep their addresses), so the guest's writes never
 * reach the file and restoring costs no copy.  Shared backends are
 * refused.  -1 with err_msg().
 */
uint64_t mem_file_size(const struct guest_mem *mem);
int mem_save_fd(const struct guest_mem *mem, int fd);
int mem_map_file_private(struct guest_mem *mem, int fd);

#endif
