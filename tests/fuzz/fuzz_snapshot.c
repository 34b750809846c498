// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the snapshot state-file reader (snapshot.h): a
 * file read back from disk, never trusted.  snapshot_parse() must refuse
 * the bytes with a message or give a NULL-terminated command line of at
 * least two words whose memory size is a positive multiple of 4 KiB.
 * The input is used twice: as it is, and with a header made for it (so
 * the fuzzer reaches the payload past the checksum).
 *
 *   make fuzz && build-fuzz/fuzz_snapshot -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "snapshot/snapshot.h"

static void check(const uint8_t *data, size_t size)
{
	struct snapshot s;

	if (snapshot_parse(&s, data, size) < 0) {
		if (!err_msg()[0])
			abort();
		return;
	}
	if (s.argc < 2 || s.argv[s.argc] || !s.mem_size || s.mem_size % 4096)
		abort();
	for (int i = 0; i < s.argc; i++)
		if (!s.argv[i])
			abort();
	snapshot_close(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *file = malloc(size + SNAPSHOT_HEADER_SIZE);

	err_clear();
	check(data, size);
	if (!file)
		return 0;
	memcpy(file + SNAPSHOT_HEADER_SIZE, data, size);
	snapshot_header_fill(file, size + SNAPSHOT_HEADER_SIZE);
	err_clear();
	check(file, size + SNAPSHOT_HEADER_SIZE);
	free(file);
	return 0;
}
