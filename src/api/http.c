// SPDX-License-Identifier: MIT
/*
 * One API connection's HTTP/1.1 (http.h): libhttp-parser reads the
 * requests, api_handle() answers each, and the answers are written the way
 * Firecracker's server writes them (Server: Firecracker API, a JSON body
 * with Content-Length, or 204 with none).
 */
#include "api/http.h"

#include <http_parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

struct api_session {
	struct api *api;
	size_t max_payload;
	http_parser p;
	char url[API_MAX_HEAD];
	size_t url_len;
	size_t head_len; /* request line and headers so far */
	char *body;
	size_t body_len;
	bool complete; /* a whole request is waiting to be answered */
	const char *refusal; /* the request broke a limit: answer, then close */
	char refusal_buf[160];
	char *out;
	size_t out_len, out_cap;
	bool out_failed;
};

static struct api_session *session_of(http_parser *p)
{
	return p->data;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct api_session *s = session_of(p);

	s->head_len += len;
	if (s->url_len + len >= sizeof(s->url)) {
		s->refusal = "the request line is too long";
		return 1;
	}
	memcpy(s->url + s->url_len, at, len);
	s->url_len += len;
	s->url[s->url_len] = 0;
	return 0;
}

static int on_header(http_parser *p, const char *at, size_t len)
{
	struct api_session *s = session_of(p);

	(void)at;
	s->head_len += len;
	if (s->head_len > API_MAX_HEAD) {
		s->refusal = "the request's headers are too long";
		return 1;
	}
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct api_session *s = session_of(p);

	if (p->content_length != ULLONG_MAX &&
	    p->content_length > s->max_payload) {
		snprintf(s->refusal_buf, sizeof(s->refusal_buf),
			 "Request payload with size %llu is larger than the limit of %zu allowed by server.",
			 (unsigned long long)p->content_length, s->max_payload);
		s->refusal = s->refusal_buf;
		return -1; /* 1 would mean "no body" to the parser */
	}
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct api_session *s = session_of(p);
	char *b;

	if (s->body_len + len > s->max_payload) {
		snprintf(s->refusal_buf, sizeof(s->refusal_buf),
			 "Request payload is larger than the limit of %zu allowed by server.",
			 s->max_payload);
		s->refusal = s->refusal_buf;
		return 1;
	}
	b = realloc(s->body, s->body_len + len + 1);
	if (!b) {
		s->refusal = "out of memory";
		return 1;
	}
	memcpy(b + s->body_len, at, len);
	s->body = b;
	s->body_len += len;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct api_session *s = session_of(p);

	s->complete = true;
	/* One request at a time: stop here until it is answered. */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_url = on_url,
	.on_header_field = on_header,
	.on_header_value = on_header,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

static void out_append(struct api_session *s, const char *data, size_t len)
{
	if (s->out_failed)
		return;
	if (s->out_len + len > s->out_cap) {
		size_t cap = (s->out_len + len) * 2 + 256;
		char *o = realloc(s->out, cap);

		if (!o) {
			s->out_failed = true;
			return;
		}
		s->out = o;
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_len, data, len);
	s->out_len += len;
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	default:
		return "Internal Server Error";
	}
}

static void respond(struct api_session *s, int status, const char *body,
		    bool keep_alive)
{
	char head[256];
	int n;

	if (body)
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %d %s\r\nServer: Firecracker API\r\nConnection: %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			     status, reason(status),
			     keep_alive ? "keep-alive" : "close", strlen(body));
	else
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %d %s\r\nServer: Firecracker API\r\nConnection: %s\r\n\r\n",
			     status, reason(status),
			     keep_alive ? "keep-alive" : "close");
	out_append(s, head, (size_t)n);
	if (body)
		out_append(s, body, strlen(body));
}

static void refuse(struct api_session *s, const char *why)
{
	char body[400];
	size_t k = 0;

	/* A JSON string of our own words: only '"' and '\' need escaping. */
	k += (size_t)snprintf(body, sizeof(body), "{\"fault_message\":\"");
	for (const char *c = why; *c && k + 4 < sizeof(body); c++) {
		if (*c == '"' || *c == '\\')
			body[k++] = '\\';
		body[k++] = *c;
	}
	snprintf(body + k, sizeof(body) - k, "\"}");
	respond(s, 400, body, false);
}

static void answer_request(struct api_session *s, bool *keep)
{
	struct api_response resp;
	char *q;

	*keep = http_should_keep_alive(&s->p);
	q = strchr(s->url, '?');
	if (q)
		*q = 0;
	api_handle(s->api, http_method_str((enum http_method)s->p.method),
		   s->url, s->body, s->body_len, &resp);
	respond(s, resp.status, resp.body, *keep);
	free(resp.body);
	free(s->body);
	s->body = NULL;
	s->body_len = 0;
	s->url_len = 0;
	s->url[0] = 0;
	s->head_len = 0;
	s->complete = false;
}

bool api_session_feed(struct api_session *s, const char *data, size_t len,
		      char **out, size_t *out_len)
{
	bool keep = true;

	s->out = NULL;
	s->out_len = s->out_cap = 0;
	s->out_failed = false;
	while (keep) {
		size_t n = http_parser_execute(&s->p, &settings, data, len);
		enum http_errno e = HTTP_PARSER_ERRNO(&s->p);

		if (s->complete) {
			answer_request(s, &keep);
			http_parser_pause(&s->p, 0);
			data += n;
			len -= n;
			if (len == 0)
				break;
			continue;
		}
		if (s->refusal) {
			refuse(s, s->refusal);
			keep = false;
		} else if (e != HPE_OK) {
			char why[160];

			snprintf(why, sizeof(why), "malformed HTTP request: %s",
				 http_errno_description(e));
			refuse(s, why);
			keep = false;
		} else if (s->p.upgrade) {
			refuse(s, "protocol upgrades are not supported");
			keep = false;
		}
		break;
	}
	if (s->out_failed) {
		free(s->out);
		s->out = NULL;
		s->out_len = 0;
		keep = false;
	}
	*out = s->out;
	*out_len = s->out_len;
	s->out = NULL;
	return keep;
}

struct api_session *api_session_create(struct api *a, size_t max_payload)
{
	struct api_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->api = a;
	s->max_payload = max_payload;
	http_parser_init(&s->p, HTTP_REQUEST);
	s->p.data = s;
	return s;
}

void api_session_destroy(struct api_session *s)
{
	if (!s)
		return;
	free(s->body);
	free(s->out);
	free(s);
}
