// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for QEMU's command line as a front end (qemu_cli.h):
 * options a user or a harness types, never trusted.
 *
 * The input is split at newlines into argv words after "qemu-system-x86_64"
 * (at most 64).  qemu_cli_translate() must refuse them with a message, or
 * give a NULL-ended minivmm argv that starts "minivmm run" and that
 * config_parse() and config_finish() then take or refuse with a message of
 * their own.
 *
 *   make fuzz && build-fuzz/fuzz_qemu_cli -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "qemu_cli.h"

#define MAX_WORDS 64

static struct qemu_cli q;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *words[MAX_WORDS + 2];
	int argc = 1, r;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	words[0] = "qemu-system-x86_64";
	for (char *p = buf, *nl; argc <= MAX_WORDS && p < buf + size; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(buf + size - p));
		if (!nl)
			nl = buf + size;
		*nl = '\0';
		words[argc++] = p;
	}
	words[argc] = NULL;

	err_clear();
	r = qemu_cli_translate(argc, words, 1, &q);
	if (r < 0) {
		if (!err_msg()[0])
			abort();
	} else if (r == 0 && q.action == QEMU_CLI_RUN) {
		struct vm_config cfg;

		if (q.argc < 2 || strcmp(q.argv[0], "minivmm") ||
		    strcmp(q.argv[1], "run") || q.argv[q.argc])
			abort();
		config_init(&cfg);
		err_clear();
		if (config_parse(&cfg, q.argc, q.argv) < 0) {
			if (!err_msg()[0])
				abort();
		} else {
			qemu_cli_apply(&q, &cfg);
			err_clear();
			if (config_finish(&cfg) < 0 && !err_msg()[0])
				abort();
		}
	} else if (r != 0) {
		abort();
	}
	qemu_cli_free(&q);
	free(buf);
	return 0;
}
