/* SPDX-License-Identifier: MIT */
/*
 * Copies between a flat buffer and a scatter-gather list (what
 * gpa_to_iovec() and the virtqueue walk produce), starting `skip` bytes
 * into the list.  Each copies at most len bytes, never past the list's
 * end, and returns how many it copied.
 */
#ifndef MINIVMM_IOV_H
#define MINIVMM_IOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

static inline size_t iov_copy_(const struct iovec *iov, unsigned nr,
			       size_t skip, char *buf, size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < nr && done < len; i++) {
		size_t n;

		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - skip;
		if (n > len - done)
			n = len - done;
		if (to_iov)
			memcpy((char *)iov[i].iov_base + skip, buf + done, n);
		else
			memcpy(buf + done, (char *)iov[i].iov_base + skip, n);
		done += n;
		skip = 0;
	}
	return done;
}

/* From the list into dst. */
static inline size_t iov_to_buf(const struct iovec *iov, unsigned nr,
				size_t skip, void *dst, size_t len)
{
	return iov_copy_(iov, nr, skip, dst, len, false);
}

/* From src into the list. */
static inline size_t iov_from_buf(const struct iovec *iov, unsigned nr,
				  size_t skip, const void *src, size_t len)
{
	/* src is only read when copying into the list. */
	return iov_copy_(iov, nr, skip, (char *)(uintptr_t)src, len, true);
}

/*
 * The part of src that is `len` bytes after the first `skip` (a chain's
 * data after its header), as iovecs into dst (room for nr); how many.
 */
static inline unsigned iov_slice(struct iovec *dst, const struct iovec *src,
				 unsigned nr, size_t skip, size_t len)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nr && len; i++) {
		size_t piece = src[i].iov_len;

		if (skip >= piece) {
			skip -= piece;
			continue;
		}
		piece -= skip;
		if (piece > len)
			piece = len;
		dst[n].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[n].iov_len = piece;
		n++;
		len -= piece;
		skip = 0;
	}
	return n;
}

#endif
