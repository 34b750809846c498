/* SPDX-License-Identifier: MIT */
/*
 * Command lines for config tests: PARSE(cfg, "-m", "1G") runs config_init
 * and config_parse on "minivmm -m 1G"; PARSE_FINISH also runs
 * config_finish when parsing worked; assert_refused(needle, args...) wants
 * either to fail with err_msg() containing needle.  The argument strings
 * live until the next call or teardown_args() (a cmocka teardown).
 */
#ifndef MINIVMM_TESTS_CONFIG_ARGS_H
#define MINIVMM_TESTS_CONFIG_ARGS_H

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "unit.h"

#define MAX_ARGS 64
static char *g_argv[MAX_ARGS + 1];
static int g_argc;

static void args_free(void)
{
	for (int i = 0; i < g_argc; i++)
		free(g_argv[i]);
	g_argc = 0;
	g_argv[0] = NULL;
}

static int teardown_args(void **state)
{
	(void)state;
	args_free();
	return 0;
}

/* config_init + config_parse on "minivmm" followed by the NULL-ended list. */
static int parse_args(struct vm_config *cfg, ...)
{
	const char *s;
	va_list ap;

	args_free();
	g_argv[g_argc++] = strdup("minivmm");
	va_start(ap, cfg);
	while ((s = va_arg(ap, const char *))) {
		assert_true(g_argc < MAX_ARGS);
		g_argv[g_argc] = strdup(s);
		assert_non_null(g_argv[g_argc]);
		g_argc++;
	}
	va_end(ap);
	g_argv[g_argc] = NULL;
	config_init(cfg);
	err_clear();
	return config_parse(cfg, g_argc, g_argv);
}

#define PARSE(cfg, ...) parse_args((cfg), ##__VA_ARGS__, (const char *)NULL)

/* Parse, and when that succeeds, finish. */
#define PARSE_FINISH(cfg, ...) \
	(PARSE((cfg), ##__VA_ARGS__) < 0 ? -1 : config_finish(cfg))

/* The command line must be refused (by parse or finish) naming `needle`. */
#define assert_refused(needle, ...)                                   \
	do {                                                          \
		struct vm_config rc_cfg;                              \
		assert_int_equal(PARSE_FINISH(&rc_cfg, __VA_ARGS__), -1); \
		assert_err_contains(needle);                          \
	} while (0)

#endif
