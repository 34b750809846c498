// SPDX-License-Identifier: MIT
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static enum log_level current_level = LOG_WARN;
static const char *prefix = "minivmm";
static _Thread_local char last_error[512];
static FILE *output; /* NULL: stderr */
static bool quiet;
static bool show_level, show_origin;

void log_set_output(FILE *out)
{
	output = out;
}

void log_set_quiet(bool q)
{
	quiet = q;
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

void log_set_show(bool level, bool origin)
{
	show_level = level;
	show_origin = origin;
}

void log_msg_at(enum log_level level, const char *file, int lineno,
		const char *fmt, ...)
{
	static const char *const names[] = { "Error", "Warn", "Info", "Debug" };
	char line[1024], lv[16] = "", origin[128] = "";
	va_list ap;

	if (level > current_level || quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (show_level)
		snprintf(lv, sizeof(lv), "[%s] ", names[level]);
	if (show_origin)
		snprintf(origin, sizeof(origin), "[%s:%d] ", file, lineno);
	/* One fprintf per line so lines from several threads never interleave. */
	fprintf(output ? output : stderr, "%s: %s%s%s\n", prefix, lv, origin,
		line);
	if (output)
		fflush(output);
}

void log_set_prefix(const char *p)
{
	prefix = p;
}

/*
 * Format into a local buffer first: callers often wrap the previous
 * message, err_set("-m %s: %s", arg, err_msg()).
 */
int err_set(const char *fmt, ...)
{
	char buf[sizeof(last_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memcpy(last_error, buf, sizeof(buf));
	return -1;
}

int err_errno(const char *fmt, ...)
{
	char buf[sizeof(last_error)];
	int saved = errno;
	size_t used;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	used = strlen(buf);
	snprintf(buf + used, sizeof(buf) - used, ": %s", strerror(saved));
	memcpy(last_error, buf, sizeof(buf));
	errno = saved;
	return -1;
}

const char *err_msg(void)
{
	return last_error;
}

void err_clear(void)
{
	last_error[0] = '\0';
}
