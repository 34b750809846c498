/* SPDX-License-Identifier: MIT */
/* snprintf-style text building shared by the listings (memmap, -v). */
#ifndef MINIVMM_STRBUF_H
#define MINIVMM_STRBUF_H

#include <stddef.h>

/*
 * Append to buf (capacity cap, *len used so far).  Like snprintf, *len
 * grows by what the text needs even when it does not fit, so a first pass
 * with cap 0 sizes the buffer.
 */
void strbuf_appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
