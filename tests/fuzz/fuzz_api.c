// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the API's HTTP and JSON path (http.h, api.h): the
 * bytes a client sends on the socket, in two reads: mostly a well-formed
 * request (the first byte picks the endpoint) whose body is the rest of
 * the input, else the raw bytes; to an instance with no VMM behind it.  Every answer must
 * be an HTTP/1.1 status line; nothing may crash or leak.
 *
 *   make fuzz && build-fuzz/fuzz_api -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/http.h"

static void check_out(char *out, size_t len)
{
	if (len && (len < 12 || memcmp(out, "HTTP/1.1 ", 9)))
		abort();
	free(out);
}

/* Most inputs become the body of a well-formed request to one of these. */
static const char *const targets[] = {
	"PUT /machine-config",	"PATCH /machine-config", "PUT /boot-source",
	"PUT /drives/rootfs",	"PATCH /drives/rootfs",	 "PUT /actions",
	"PATCH /vm",		"PUT /snapshot/create",	 "PUT /snapshot/load",
	"PUT /logger",		"PUT /metrics",		 "PUT /entropy",
	"PUT /network-interfaces/eth0", "GET /vm/config",
};
#define NR_TARGETS (sizeof(targets) / sizeof(targets[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api *a;
	struct api_session *s;
	char *req, *out;
	size_t len, req_len;
	bool keep;

	if (!api_available() || size < 1)
		return 0;
	a = api_create("fuzz", NULL);
	s = api_session_create(a, 4096);
	if (data[0] < 2 * NR_TARGETS) {
		/* A request around the rest: the JSON path. */
		req = malloc(size + 128);
		req_len = (size_t)sprintf(req, "%s HTTP/1.1\r\nContent-Length: %zu\r\n\r\n",
					  targets[data[0] % NR_TARGETS], size - 1);
		memcpy(req + req_len, data + 1, size - 1);
		req_len += size - 1;
	} else {
		/* Raw bytes, in two reads: the HTTP path. */
		req = malloc(size);
		memcpy(req, data + 1, size - 1);
		req_len = size - 1;
	}
	len = req_len / 2;
	keep = api_session_feed(s, req, len, &out, &len);
	check_out(out, len);
	if (keep) {
		api_session_feed(s, req + req_len / 2, req_len - req_len / 2,
				 &out, &len);
		check_out(out, len);
	}
	free(req);
	api_session_destroy(s);
	api_destroy(a);
	return 0;
}
