/* SPDX-License-Identifier: MIT */
/*
 * Flat binary images: the bytes go to guest RAM as they are.
 * Everything goes through the checked doors of mem.h; no exit() here.
 */
#ifndef MINIVMM_LOADER_FLAT_H
#define MINIVMM_LOADER_FLAT_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

/*
 * Copy the file at `path` to guest-physical `gpa`.  Refuses (−1, err_msg()
 * naming the file) a missing, unreadable, empty or non-regular file, an image
 * larger than RAM, and one that does not fit in RAM at gpa.
 */
int flat_load_file(struct guest_mem *mem, const char *path, uint64_t gpa,
		   uint64_t *size);

/* The same for an image already in memory (the built-in demo guest). */
int flat_load_bytes(struct guest_mem *mem, const char *name, const void *data,
		    uint64_t len, uint64_t gpa);

#endif
