/* SPDX-License-Identifier: MIT */
/*
 * One HTTP/1.1 connection of the API, without the socket: bytes in, the
 * responses out (http.c, over libhttp-parser).  The server feeds it what
 * it reads; the fuzzer and the unit tests feed it directly.
 *
 * Requests are served one at a time, in order, each as soon as it is
 * complete.  A request line and headers longer than API_MAX_HEAD, a body
 * longer than the payload limit or bytes that are not HTTP get one 400
 * answer and end the connection.
 */
#ifndef MINIVMM_API_HTTP_H
#define MINIVMM_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct api;
struct api_session;

struct api_session *api_session_create(struct api *a, size_t max_payload);
void api_session_destroy(struct api_session *s);

/*
 * Parse len bytes.  The answers to the requests they complete are
 * appended to *out (malloc'd, *out_len bytes; the caller frees it).
 * Returns false when the connection must be closed after writing *out.
 */
bool api_session_feed(struct api_session *s, const char *data, size_t len,
		      char **out, size_t *out_len);

#endif
