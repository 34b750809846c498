// SPDX-License-Identifier: MIT
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define PAGE_SIZE 4096ull

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void mem_init(struct guest_mem *mem)
{
	memset(mem, 0, sizeof(*mem));
}

void mem_destroy(struct guest_mem *mem)
{
	for (size_t i = 0; i < mem->nr_backends; i++) {
		struct mem_backend *b = &mem->backends[i];

		if (b->hva)
			munmap(b->hva, b->size);
		if (b->fd >= 0)
			close(b->fd);
	}
	mem_init(mem);
}

/* Open (or create) the file behind a path backend; sizes a regular file. */
static int backend_open_path(const char *path, uint64_t size, bool *is_chr)
{
	struct stat st;
	int fd;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* A directory (e.g. a hugetlbfs mount): use an unlinked file in it. */
		char tmpl[PATH_MAX];

		if (snprintf(tmpl, sizeof(tmpl), "%s/minivmm.XXXXXX", path) >=
		    (int)sizeof(tmpl))
			return err_set("--mem-path %s: path too long", path);
		fd = mkstemp(tmpl);
		if (fd < 0)
			return err_errno("--mem-path %s: cannot create a file", path);
		unlink(tmpl);
	} else {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return err_errno("--mem-path %s", path);
	}
	if (fstat(fd, &st) < 0) {
		err_errno("--mem-path %s", path);
		close(fd);
		return -1;
	}
	*is_chr = S_ISCHR(st.st_mode);
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < size &&
	    ftruncate(fd, (off_t)size) < 0) {
		err_errno("--mem-path %s: cannot size it to %llu bytes", path,
			  (unsigned long long)size);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !*is_chr) {
		close(fd);
		return err_set("--mem-path %s: not a regular file, directory or character device",
			       path);
	}
	return fd;
}

#define HUGE_2M (2ull << 20)

/*
 * Anonymous RAM on a 2 MiB boundary, with transparent huge pages asked for:
 * the host (and, nested, every level below) can then back guest memory
 * with 2 MiB pages instead of faulting it in 4 KiB at a time.
 */
static void *mmap_aligned_anon(uint64_t size, int flags)
{
	uint8_t *raw, *aligned;
	uint64_t head;

	raw = mmap(NULL, size + HUGE_2M, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (raw == MAP_FAILED)
		return MAP_FAILED;
	aligned = (uint8_t *)(((uintptr_t)raw + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
	head = (uint64_t)(aligned - raw);
	if (head)
		munmap(raw, head);
	if (HUGE_2M - head)
		munmap(aligned + size, HUGE_2M - head);
	madvise(aligned, size, MADV_HUGEPAGE); /* advice only: may be off */
	return aligned;
}

struct mem_backend *mem_backend_create(struct guest_mem *mem, const char *name,
				       uint64_t size,
				       const struct mem_backend_cfg *cfg)
{
	struct mem_backend *b;
	bool is_chr = false;
	int fd = -1, flags;
	void *hva;

	if (mem->nr_backends == MEM_MAX_BACKENDS) {
		err_set("%s: too many memory backends (at most %d)", name,
			MEM_MAX_BACKENDS);
		return NULL;
	}
	if (size == 0 || size % PAGE_SIZE) {
		err_set("%s: size %llu is not a positive multiple of 4 KiB", name,
			(unsigned long long)size);
		return NULL;
	}
	if (size > (uint64_t)SIZE_MAX / 2) {
		err_set("%s: size %llu is too large", name,
			(unsigned long long)size);
		return NULL;
	}

	if (cfg && cfg->path) {
		fd = backend_open_path(cfg->path, size, &is_chr);
		if (fd < 0)
			return NULL;
		flags = MAP_SHARED;
	} else {
		flags = MAP_ANONYMOUS | MAP_NORESERVE |
			(cfg && cfg->share ? MAP_SHARED : MAP_PRIVATE);
	}
	if (cfg && cfg->prealloc && !is_chr)
		flags |= MAP_POPULATE;

	if (fd < 0 && size >= HUGE_2M) {
		hva = mmap_aligned_anon(size, flags);
	} else {
		hva = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, fd, 0);
	}
	if (hva == MAP_FAILED) {
		if (cfg && cfg->path)
			err_errno("%s: cannot map %llu bytes of %s", name,
				  (unsigned long long)size, cfg->path);
		else
			err_errno("%s: cannot allocate %llu bytes", name,
				  (unsigned long long)size);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	/*
	 * MAP_POPULATE cannot report failure; MADV_POPULATE_WRITE can (e.g. a
	 * hugetlbfs pool too small), so a short pool is an error now instead of
	 * a SIGBUS later.
	 */
	if (cfg && cfg->prealloc && !is_chr &&
	    madvise(hva, size, MADV_POPULATE_WRITE) < 0 && errno != EINVAL) {
		err_errno("%s: cannot preallocate %llu bytes", name,
			  (unsigned long long)size);
		munmap(hva, size);
		if (fd >= 0)
			close(fd);
		return NULL;
	}

	b = &mem->backends[mem->nr_backends++];
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->size = size;
	b->hva = hva;
	b->fd = fd;
	b->is_file = fd >= 0;
	b->shared = b->is_file || (cfg && cfg->share);
	return b;
}

int mem_add_region(struct guest_mem *mem, const char *name,
		   struct mem_backend *backend, uint64_t offset, uint64_t gpa,
		   uint64_t size, bool readonly, bool is_ram)
{
	uint64_t last, end_off;
	size_t pos;

	if (mem->nr_regions == MEM_MAX_REGIONS)
		return err_set("%s: too many memory regions (at most %d)", name,
			       MEM_MAX_REGIONS);
	if (size == 0 || gpa % PAGE_SIZE || size % PAGE_SIZE ||
	    offset % PAGE_SIZE)
		return err_set("%s: region 0x%llx+0x%llx is not page aligned",
			       name, (unsigned long long)gpa,
			       (unsigned long long)size);
	if (__builtin_add_overflow(gpa, size - 1, &last))
		return err_set("%s: region at 0x%llx of 0x%llx bytes wraps around",
			       name, (unsigned long long)gpa,
			       (unsigned long long)size);
	if (__builtin_add_overflow(offset, size, &end_off) ||
	    end_off > backend->size)
		return err_set("%s: window 0x%llx+0x%llx is outside backend %s (0x%llx bytes)",
			       name, (unsigned long long)offset,
			       (unsigned long long)size, backend->name,
			       (unsigned long long)backend->size);

	for (pos = 0; pos < mem->nr_regions; pos++) {
		const struct mem_region *r = &mem->regions[pos];
		uint64_t rlast = r->gpa + (r->size - 1);

		if (gpa <= rlast && r->gpa <= last)
			return err_set("%s: 0x%llx-0x%llx overlaps %s at 0x%llx-0x%llx",
				       name, (unsigned long long)gpa,
				       (unsigned long long)last, r->name,
				       (unsigned long long)r->gpa,
				       (unsigned long long)rlast);
		if (r->gpa > gpa)
			break;
	}
	memmove(&mem->regions[pos + 1], &mem->regions[pos],
		(mem->nr_regions - pos) * sizeof(mem->regions[0]));
	mem->regions[pos] = (struct mem_region){
		.gpa = gpa,
		.size = size,
		.hva = backend->hva + offset,
		.backend = backend,
		.readonly = readonly,
		.is_ram = is_ram,
	};
	snprintf(mem->regions[pos].name, sizeof(mem->regions[pos].name), "%s",
		 name);
	mem->nr_regions++;
	/* Slots follow gpa order so `-v` and KVM agree on the numbering. */
	for (size_t i = 0; i < mem->nr_regions; i++)
		mem->regions[i].slot = (uint32_t)i;
	return 0;
}

const struct mem_region *mem_find(const struct guest_mem *mem, uint64_t gpa)
{
	size_t lo = 0, hi = mem->nr_regions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mem_region *r = &mem->regions[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

void *gpa_to_hva(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	const struct mem_region *r;

	if (len == 0)
		return NULL;
	r = mem_find(mem, gpa);
	/* gpa - r->gpa < r->size holds, so the subtraction cannot wrap. */
	if (!r || len > r->size - (gpa - r->gpa))
		return NULL;
	return r->hva + (gpa - r->gpa);
}

/*
 * The piece of [gpa, gpa + len) that lies in one region: its host address
 * and its length (at most len).  -1 when gpa is in no region or, with
 * `write`, in a read-only one.
 */
static int region_piece(const struct guest_mem *mem, uint64_t gpa,
			uint64_t len, bool write, uint8_t **hva,
			uint64_t *chunk)
{
	const struct mem_region *r = mem_find(mem, gpa);

	if (!r || (write && r->readonly))
		return -1;
	*chunk = r->size - (gpa - r->gpa);
	if (*chunk > len)
		*chunk = len;
	*hva = r->hva + (gpa - r->gpa);
	return 0;
}

/*
 * Walk [gpa, gpa + len) region by region.  With `copy` false it only checks
 * (so a failing copy writes nothing); with `copy` true it copies.
 */
static int guest_walk(const struct guest_mem *mem, uint64_t gpa, uint8_t *host,
		      uint64_t len, bool to_guest, bool copy)
{
	uint64_t last;

	if (len == 0)
		return 0;
	if (__builtin_add_overflow(gpa, len - 1, &last))
		return -1;
	while (len) {
		uint8_t *hva;
		uint64_t chunk;

		if (region_piece(mem, gpa, len, to_guest, &hva, &chunk) < 0)
			return -1;
		if (copy) {
			if (to_guest)
				memcpy(hva, host, chunk);
			else
				memcpy(host, hva, chunk);
		}
		if (host)
			host += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

int copy_to_guest(const struct guest_mem *mem, uint64_t gpa, const void *src,
		  uint64_t len)
{
	uint8_t *p = (uint8_t *)(uintptr_t)src;

	if (guest_walk(mem, gpa, p, len, true, false) < 0)
		return -1;
	return guest_walk(mem, gpa, p, len, true, true);
}

int copy_from_guest(const struct guest_mem *mem, void *dst, uint64_t gpa,
		    uint64_t len)
{
	if (guest_walk(mem, gpa, dst, len, false, false) < 0)
		return -1;
	return guest_walk(mem, gpa, dst, len, false, true);
}

int mem_check_range(const struct guest_mem *mem, uint64_t gpa, uint64_t len,
		    bool write)
{
	return guest_walk(mem, gpa, NULL, len, write, false);
}

int mem_copy_within(const struct guest_mem *mem, uint64_t dst_gpa,
		    uint64_t src_gpa, uint64_t len)
{
	uint8_t *buf;
	int r;

	if (len == 0)
		return 0;
	if (mem_check_range(mem, src_gpa, len, false) < 0 ||
	    mem_check_range(mem, dst_gpa, len, true) < 0 ||
	    len > SIZE_MAX)
		return -1;
	/* Through a copy: the ranges may overlap, or alias one backend. */
	buf = malloc(len);
	if (!buf)
		return -1;
	r = copy_from_guest(mem, buf, src_gpa, len);
	if (r == 0)
		r = copy_to_guest(mem, dst_gpa, buf, len);
	free(buf);
	return r;
}

int mem_read_fd(struct guest_mem *mem, uint64_t gpa, int fd, uint64_t len,
		unsigned flags)
{
	bool write = !(flags & MEM_ALLOW_ROM);
	uint64_t done = 0;

	if (flags & ~MEM_ALLOW_ROM)
		return err_set("mem_read_fd: unknown flags 0x%x", flags);
	if (guest_walk(mem, gpa, NULL, len, write, false) < 0)
		return err_set("0x%llx+0x%llx is not %s", (unsigned long long)gpa,
			       (unsigned long long)len,
			       write ? "writable guest RAM" : "guest memory");
	while (done < len) {
		uint8_t *hva;
		uint64_t chunk;
		ssize_t n;

		/* Checked above: every piece is there. */
		region_piece(mem, gpa + done, len - done, write, &hva, &chunk);
		if (chunk > SSIZE_MAX)
			chunk = SSIZE_MAX;
		n = read(fd, hva, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno("read failed");
		if (n == 0)
			return err_set("end of file after %llu of %llu bytes",
				       (unsigned long long)done,
				       (unsigned long long)len);
		done += (uint64_t)n;
	}
	return 0;
}

int gpa_to_iovec(const struct guest_mem *mem, uint64_t gpa, uint64_t len,
		 bool write, struct iovec *iov, size_t max_iov)
{
	uint64_t last, at, left;
	size_t n = 0;

	if (len == 0 || __builtin_add_overflow(gpa, len - 1, &last))
		return -1;
	/* Count first: a refusal leaves iov as it was. */
	for (at = gpa, left = len; left; n++) {
		uint8_t *hva;
		uint64_t chunk;

		if (n == max_iov || n == INT_MAX ||
		    region_piece(mem, at, left, write, &hva, &chunk) < 0 ||
		    chunk > SIZE_MAX)
			return -1;
		at += chunk;
		left -= chunk;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *hva;
		uint64_t chunk;

		region_piece(mem, gpa, len, write, &hva, &chunk);
		iov[i].iov_base = hva;
		iov[i].iov_len = (size_t)chunk;
		gpa += chunk;
		len -= chunk;
	}
	return (int)n;
}

uint64_t mem_ram_size(const struct guest_mem *mem)
{
	uint64_t total = 0;

	for (size_t i = 0; i < mem->nr_regions; i++)
		if (mem->regions[i].is_ram)
			total += mem->regions[i].size;
	return total;
}

/*
 * The memory file of a snapshot: the backends one after the other, each
 * at the sum of the sizes before it (all multiples of 4 KiB).  Pages of
 * zeros are left as holes, so the file is as large as the guest's RAM but
 * takes the space of the pages it ever wrote.
 */
uint64_t mem_file_size(const struct guest_mem *mem)
{
	uint64_t total = 0;

	for (size_t i = 0; i < mem->nr_backends; i++)
		total += mem->backends[i].size;
	return total;
}

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)p;
	uint64_t acc = 0;

	for (size_t i = 0; i < PAGE_SIZE / 8; i++)
		acc |= q[i];
	return acc == 0;
}

static int write_all_at(int fd, const uint8_t *p, uint64_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len > (1u << 30) ? (1u << 30) : len,
				   (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_errno("cannot write guest memory");
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int mem_save_fd(const struct guest_mem *mem, int fd)
{
	uint64_t base = 0;

	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)mem_file_size(mem)) < 0)
		return err_errno("cannot size the memory file");
	for (size_t i = 0; i < mem->nr_backends; i++) {
		const struct mem_backend *b = &mem->backends[i];
		uint64_t run = 0; /* start of the current run of data pages */
		bool in_run = false;

		for (uint64_t off = 0; off <= b->size; off += PAGE_SIZE) {
			bool data = off < b->size && !page_is_zero(b->hva + off);

			if (data && !in_run) {
				run = off;
				in_run = true;
			} else if (!data && in_run) {
				if (write_all_at(fd, b->hva + run, off - run,
						 base + run) < 0)
					return -1;
				in_run = false;
			}
		}
		base += b->size;
	}
	return 0;
}

int mem_map_file_private(struct guest_mem *mem, int fd)
{
	uint64_t base = 0;

	for (size_t i = 0; i < mem->nr_backends; i++) {
		struct mem_backend *b = &mem->backends[i];

		if (b->shared)
			return err_set("%s: shared memory cannot be restored from a snapshot",
				       b->name);
		/* In place: KVM's memory slots keep their addresses. */
		if (mmap(b->hva, b->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd,
			 (off_t)base) == MAP_FAILED)
			return err_errno("%s: cannot map the memory file", b->name);
		base += b->size;
	}
	return 0;
}
