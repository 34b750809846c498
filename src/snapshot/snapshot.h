/* SPDX-License-Identifier: MIT */
/*
 * Snapshots of a paused VM: a state file and a memory file
 * (docs/SNAPSHOT.md has the format).
 *
 *   snapshot_create(vm, state, mem)    the VM must be paused
 *   snapshot_open(&s, state)           read and check a state file: magic,
 *                                      version, architecture, length, CRC
 *   config_parse(s.argc, s.argv) ...   the machine it was taken of
 *   vm_create(vm, cfg)                 with cfg->restore: no image loaded
 *   snapshot_restore(vm, &s, mem)      memory mapped copy-on-write from the
 *                                      memory file, then the machine's,
 *                                      each vCPU's and each device's state
 *
 * Every error is one line in err_msg(): a truncated, damaged, other-version
 * or other-architecture file, a memory file that is missing or of the
 * wrong size, a machine that does not match.  After a failed
 * snapshot_restore the VM must not run.
 */
#ifndef MINIVMM_SNAPSHOT_SNAPSHOT_H
#define MINIVMM_SNAPSHOT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

struct vm;

#define SNAPSHOT_MAGIC "MVMSNAP1"
#define SNAPSHOT_VERSION 1u
#define SNAPSHOT_HEADER_SIZE 32u
/* Larger state files are refused: a VM's state is a few hundred KiB. */
#define SNAPSHOT_MAX_STATE (64u << 20)
#define SNAPSHOT_MAX_ARGS 512

/* The file names `minivmm ctl snapshot DIR` and `--restore DIR` use. */
#define SNAPSHOT_STATE_NAME "state"
#define SNAPSHOT_MEMORY_NAME "memory"

struct snapshot {
	uint8_t *payload;
	size_t len;
	int argc;
	char **argv; /* NULL-terminated; point into strings */
	char *strings;
	uint64_t mem_size; /* bytes the memory file must have */
	struct state_reader r; /* at the machine's state, after the header part */
};

/* Write the state and memory files of a paused VM (each through a
 * temporary file renamed into place).  -1 with err_msg(). */
int snapshot_create(struct vm *vm, const char *state_path,
		    const char *mem_path);

/*
 * Read a state file and check its header, checksum and command line
 * (pure: no VM; the fuzzer's and unit tests' entry).  snapshot_parse()
 * takes the file's bytes and copies what it keeps.
 */
int snapshot_open(struct snapshot *s, const char *state_path);
int snapshot_parse(struct snapshot *s, const void *data, size_t len);
void snapshot_close(struct snapshot *s);

/* Put a VM built from s->argv (cfg->restore set) into the saved state. */
int snapshot_restore(struct vm *vm, struct snapshot *s, const char *mem_path);

/* The header of a whole file of len bytes (len >= SNAPSHOT_HEADER_SIZE):
 * magic, version, this architecture, the payload's length and CRC. */
void snapshot_header_fill(uint8_t *file, size_t len);

/* CRC-32 (IEEE 802.3, as zlib's crc32), for the header. */
uint32_t snapshot_crc32(const void *data, size_t len);

#endif
