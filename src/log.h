/* SPDX-License-Identifier: MIT */
/*
 * Logging and the error message of the last failed setup step.
 *
 * Setup code (config, mem, loaders, vm creation) never prints and never exits:
 * it records one human-readable line with err_set() and returns -1.  main()
 * prints that line once and picks the exit code.  The message buffer is
 * thread-local, so tests and vCPU threads cannot clobber each other.
 */
#ifndef MINIVMM_LOG_H
#define MINIVMM_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above this level are dropped (default LOG_WARN; -v raises it). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* The program name each line starts with (default "minivmm"). */
void log_set_prefix(const char *prefix);
/* Where the lines go (NULL: stderr, the default), and none at all. */
void log_set_output(FILE *out);
void log_set_quiet(bool quiet);

/*
 * What each line shows besides the message (Firecracker's logger options
 * show_level and show_log_origin): "minivmm: [Warn] [src/vm.c:120] text".
 * Both off by default.
 */
void log_set_show(bool level, bool origin);

/* A line from file:line (the macros below fill them in). */
void log_msg_at(enum log_level level, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_msg(level, ...) log_msg_at(level, __FILE__, __LINE__, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Record the reason a setup step failed; always returns -1. */
int err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like err_set, with ": strerror(errno)" appended. */
int err_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last recorded reason ("" when none). */
const char *err_msg(void);
void err_clear(void);

#endif
