/* SPDX-License-Identifier: MIT */
/*
 * The kernel cache: what minivmm derived from a kernel file once (today: the
 * vmlinux decompressed out of a bzImage) kept on disk for the next boot.
 *
 * Entries are plain files in one directory, named after a hash of the input
 * they came from and their own size.  They are written to a temporary name
 * and renamed into place, so a reader sees a whole entry or none, and any
 * number of minivmm processes can share the directory.  Nothing is ever
 * deleted; removing the directory (or any file in it) is always safe.
 *
 * The directory is --kernel-cache=DIR, else $XDG_CACHE_HOME/minivmm, else
 * $HOME/.cache/minivmm; --kernel-cache=off (or neither variable) disables
 * the cache.  Errors while writing are reported once at info level and
 * otherwise ignored: the cache only ever saves time.
 */
#ifndef MINIVMM_LOADER_KCACHE_H
#define MINIVMM_LOADER_KCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KCACHE_PATH_MAX 512

/*
 * The cache directory for the option value opt (NULL: the default), into
 * buf.  false when caching is off or no directory can be named.
 */
bool kcache_dir(const char *opt, char *buf, size_t size);

/* A 64-bit hash of buf (not cryptographic: it names entries). */
uint64_t kcache_hash(const void *buf, size_t len);

/*
 * Map the entry `name` of dir read-only (mmap) if it exists with exactly
 * len bytes; NULL otherwise.  The caller munmap()s it.
 */
const uint8_t *kcache_map(const char *dir, const char *name, size_t len);

/* Store len bytes as entry `name` (creating dir); -1 with err_msg(). */
int kcache_store(const char *dir, const char *name, const void *data,
		 size_t len);

#endif
