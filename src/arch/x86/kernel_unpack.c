// SPDX-License-Identifier: MIT
#include "kernel_unpack.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "byteorder.h"
#include "loader/kcache.h"
#include "log.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The ELF must be an x86-64 executable whose entry lies in its loaded bytes. */
static int check_elf(struct kernel_unpacked *u)
{
	const struct elf_info *info = &u->info;

	if (elf_parse(u->elf, u->len, "vmlinux", &u->info) < 0)
		return -1;
	if (info->elf_class != 64)
		return err_set("vmlinux: a 32-bit ELF, not an x86-64 kernel");
	for (size_t i = 0; i < info->nr_segs; i++) {
		const struct elf_segment *s = &info->segs[i];

		if (info->e_entry >= s->paddr &&
		    info->e_entry - s->paddr < s->filesz)
			return 0;
	}
	return err_set("vmlinux: entry 0x%llx is not in a loaded segment",
		       (unsigned long long)info->e_entry);
}

int kernel_unpack(const uint8_t *image, const struct bzimage_info *k,
		  const char *cache_opt,
		  struct kernel_unpacked *out)
{
	const uint8_t *payload;
	char dir[KCACHE_PATH_MAX], name[96];
	bool cache;
	uint64_t out_len;
	size_t plen;
	uint8_t *buf;
	double t0;

	memset(out, 0, sizeof(*out));
	if (!k->payload_length)
		return err_set("no payload fields (boot protocol %u.%02u)",
			       k->version >> 8, k->version & 0xff);
	/* bzimage_parse() keeps the payload fields only when they lie in the file. */
	if (k->payload_length < 8)
		return err_set("a %u-byte payload is too short", k->payload_length);
	payload = image + k->setup_size + k->payload_offset;
	plen = k->payload_length;
	out->format = decompress_detect(payload, plen);
	if (out->format == COMP_UNKNOWN)
		return err_set("the payload's compression is not recognised");
	out_len = le_get(payload + plen - 4, 4);
	if (out_len < ELF_EHDR_SIZE || out_len > KERNEL_UNPACK_MAX)
		return err_set("implausible decompressed size %llu",
			       (unsigned long long)out_len);
	out->len = (size_t)out_len;

	cache = kcache_dir(cache_opt, dir, sizeof(dir));
	if (cache) {
		snprintf(name, sizeof(name), "vmlinux-%016llx-%zu-%zu",
			 (unsigned long long)kcache_hash(payload, plen), plen,
			 out->len);
		out->elf = kcache_map(dir, name, out->len);
		if (out->elf) {
			out->from_cache = true;
			if (check_elf(out) == 0)
				return 0;
			log_info("kernel cache %s/%s: %s; decompressing again",
				 dir, name, err_msg());
			kernel_unpacked_free(out);
			out->len = (size_t)out_len;
		}
	}

	buf = mmap(NULL, out->len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return err_set("no memory for the %zu-byte kernel", out->len);
	out->elf = buf;
	t0 = now_ms();
	if (decompress(out->format, payload, plen, buf, out->len) < 0 ||
	    check_elf(out) < 0) {
		err_set("%s payload: %s", decompress_name(out->format),
			err_msg());
		kernel_unpacked_free(out);
		return -1;
	}
	out->ms = now_ms() - t0;
	if (cache && kcache_store(dir, name, buf, out->len) < 0)
		log_info("kernel cache: not stored: %s", err_msg());
	return 0;
}

void kernel_unpacked_free(struct kernel_unpacked *u)
{
	if (u->elf)
		munmap((void *)(uintptr_t)u->elf, u->len);
	u->elf = NULL;
	u->len = 0;
}
