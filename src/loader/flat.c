// SPDX-License-Identifier: MIT
#include "loader/flat.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Explain why [gpa, gpa + len) is not writable guest RAM. */
static int image_does_not_fit(const struct guest_mem *mem, const char *name,
			      uint64_t len, uint64_t gpa)
{
	uint64_t ram = mem_ram_size(mem), at = gpa;
	const struct mem_region *r = mem_find(mem, gpa);

	if (len > ram)
		return err_set("%s: image is %llu bytes, larger than RAM (%llu bytes)",
			       name, (unsigned long long)len,
			       (unsigned long long)ram);
	if (!r)
		return err_set("%s: load address 0x%llx is outside RAM", name,
			       (unsigned long long)gpa);
	/* Follow adjacent regions to the first byte that is not RAM. */
	while (r && !r->readonly) {
		at = r->gpa + r->size;
		r = at ? mem_find(mem, at) : NULL;
	}
	if (r)
		return err_set("%s: image of %llu bytes at 0x%llx reaches read-only memory (%s) at 0x%llx",
			       name, (unsigned long long)len,
			       (unsigned long long)gpa, r->name,
			       (unsigned long long)at);
	return err_set("%s: image of %llu bytes at 0x%llx runs past the end of RAM at 0x%llx",
		       name, (unsigned long long)len, (unsigned long long)gpa,
		       (unsigned long long)at);
}

int flat_load_bytes(struct guest_mem *mem, const char *name, const void *data,
		    uint64_t len, uint64_t gpa)
{
	if (len == 0)
		return err_set("%s: image is empty", name);
	if (copy_to_guest(mem, gpa, data, len) < 0)
		return image_does_not_fit(mem, name, len, gpa);
	return 0;
}

int flat_load_file(struct guest_mem *mem, const char *path, uint64_t gpa,
		   uint64_t *size)
{
	struct stat st;
	uint64_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno("%s: cannot open image", path);
	if (fstat(fd, &st) < 0) {
		err_errno("%s", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set("%s: not a regular file", path);
		goto fail;
	}
	len = (uint64_t)st.st_size;
	if (len == 0) {
		err_set("%s: image is empty", path);
		goto fail;
	}
	if (mem_check_range(mem, gpa, len, true) < 0) {
		image_does_not_fit(mem, path, len, gpa);
		goto fail;
	}
	/* Straight into RAM; the image may span adjacent RAM regions. */
	if (mem_read_fd(mem, gpa, fd, len, 0) < 0) {
		err_set("%s: %s", path, err_msg());
		goto fail;
	}
	close(fd);
	*size = len;
	return 0;
fail:
	close(fd);
	return -1;
}
