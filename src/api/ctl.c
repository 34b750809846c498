// SPDX-License-Identifier: MIT
/*
 * minivmm ctl SOCKET COMMAND: a small client of the API (api.h), for people
 * at a shell.  Each command is one or two requests over one connection:
 *
 *   status            GET /: prints the state (Not started, Running, Paused)
 *   pause, resume     PATCH /vm
 *   snapshot DIR      DIR/state and DIR/memory, what `run --restore DIR`
 *                     reads; a running VM is paused for it and resumed after
 *   stop              PUT /actions Stop: ends the run
 *   get PATH | put PATH JSON | patch PATH JSON    any request; prints the body
 *
 * Exit status 0 on success; 1 with the fault message when the API refused;
 * 2 for a usage error or a socket that does not answer.
 */
#include "api/api.h"

#include <errno.h>
#include <http_parser.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

struct reply {
	int status;
	char *body;
	size_t len;
	bool done;
};

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct reply *r = p->data;
	char *b = realloc(r->body, r->len + len + 1);

	if (!b)
		return 1;
	memcpy(b + r->len, at, len);
	r->body = b;
	r->len += len;
	b[r->len] = 0;
	return 0;
}

static int on_complete(http_parser *p)
{
	struct reply *r = p->data;

	r->status = (int)p->status_code;
	r->done = true;
	return 0;
}

/* One request on its own connection; -1 with err_msg() when none answered. */
static int request(const char *sock, const char *method, const char *path,
		   const char *body, struct reply *r)
{
	static const http_parser_settings settings = {
		.on_body = on_body,
		.on_message_complete = on_complete,
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 60 };
	http_parser p;
	char *req = NULL, buf[4096];
	int fd, n;

	memset(r, 0, sizeof(*r));
	if (strlen(sock) >= sizeof(sun.sun_path))
		return err_set("%s: the socket path is too long", sock);
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno("socket");
	/* A snapshot of a large guest takes a while; nothing takes a minute. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err_errno("%s", sock);
		close(fd);
		return -1;
	}
	n = asprintf(&req,
		     "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     method, path, body ? strlen(body) : 0, body ? body : "");
	if (n < 0 || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		free(req);
		close(fd);
		return err_errno("%s: sending the request", sock);
	}
	free(req);
	http_parser_init(&p, HTTP_RESPONSE);
	p.data = r;
	while (!r->done) {
		ssize_t got = recv(fd, buf, sizeof(buf), 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			close(fd);
			return err_errno("%s: no answer", sock);
		}
		http_parser_execute(&p, &settings, buf, (size_t)got);
		if (got == 0 || HTTP_PARSER_ERRNO(&p) != HPE_OK)
			break;
	}
	close(fd);
	if (!r->done) {
		free(r->body);
		r->body = NULL;
		return err_set("%s: the answer was cut short or is not HTTP", sock);
	}
	return 0;
}

/* A string field of an answer's JSON body, or NULL (free with json_decref). */
static const char *body_field(const struct reply *r, const char *name,
			      json_t **doc)
{
	*doc = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	return json_string_value(json_object_get(*doc, name));
}

/* The fault message of a 400's body, for the one error line. */
static void print_fault(const char *what, const struct reply *r)
{
	json_t *doc;
	const char *m = body_field(r, "fault_message", &doc);

	if (m)
		fprintf(stderr, "minivmm ctl: %s: %s\n", what, m);
	else
		fprintf(stderr, "minivmm ctl: %s: HTTP status %d\n", what,
			r->status);
	json_decref(doc);
}

static int simple(const char *sock, const char *method, const char *path,
		  const char *body, const char *what, bool print)
{
	struct reply r;
	int code;

	if (request(sock, method, path, body, &r) < 0) {
		fprintf(stderr, "minivmm ctl: %s\n", err_msg());
		return 2;
	}
	code = r.status >= 200 && r.status < 300 ? 0 : 1;
	if (code)
		print_fault(what, &r);
	else if (print && r.body)
		printf("%s\n", r.body);
	free(r.body);
	return code;
}

/* "state" of GET /'s answer. */
static int get_state(const char *sock, char *state, size_t size)
{
	struct reply r;
	json_t *doc;
	const char *s;

	if (request(sock, "GET", "/", NULL, &r) < 0)
		return -1;
	s = body_field(&r, "state", &doc);
	if (r.status == 200 && s)
		snprintf(state, size, "%s", s);
	json_decref(doc);
	free(r.body);
	if (r.status != 200 || !s)
		return err_set("%s: GET / gave no state", sock);
	return 0;
}

static int snapshot(const char *sock, const char *dir)
{
	char state[32], *body = NULL;
	bool was_running;
	int code;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "minivmm ctl: snapshot %s: %s\n", dir,
			strerror(errno));
		return 2;
	}
	if (strchr(dir, '"') || strchr(dir, '\\')) {
		fprintf(stderr, "minivmm ctl: snapshot %s: quotes and backslashes are not allowed in the directory name\n",
			dir);
		return 2;
	}
	if (get_state(sock, state, sizeof(state)) < 0) {
		fprintf(stderr, "minivmm ctl: %s\n", err_msg());
		return 2;
	}
	was_running = !strcmp(state, "Running");
	if (was_running) {
		code = simple(sock, "PATCH", "/vm", "{\"state\":\"Paused\"}",
			      "pause", false);
		if (code)
			return code;
	}
	if (asprintf(&body,
		     "{\"snapshot_type\":\"Full\",\"snapshot_path\":\"%s/state\",\"mem_file_path\":\"%s/memory\"}",
		     dir, dir) < 0)
		return 2;
	code = simple(sock, "PUT", "/snapshot/create", body, "snapshot", false);
	free(body);
	if (was_running) {
		int r = simple(sock, "PATCH", "/vm", "{\"state\":\"Resumed\"}",
			       "resume", false);

		code = code ? code : r;
	}
	return code;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: minivmm ctl SOCKET status|pause|resume|stop\n"
		"       minivmm ctl SOCKET snapshot DIR\n"
		"       minivmm ctl SOCKET get PATH | put PATH JSON | patch PATH JSON\n");
}

int ctl_main(int argc, char **argv)
{
	const char *sock, *cmd;

	if (argc < 3) {
		usage();
		return 2;
	}
	sock = argv[1];
	cmd = argv[2];
	if (!strcmp(cmd, "status") && argc == 3) {
		char state[32];

		if (get_state(sock, state, sizeof(state)) < 0) {
			fprintf(stderr, "minivmm ctl: %s\n", err_msg());
			return 2;
		}
		printf("%s\n", state);
		return 0;
	}
	if (!strcmp(cmd, "pause") && argc == 3)
		return simple(sock, "PATCH", "/vm", "{\"state\":\"Paused\"}",
			      cmd, false);
	if (!strcmp(cmd, "resume") && argc == 3)
		return simple(sock, "PATCH", "/vm", "{\"state\":\"Resumed\"}",
			      cmd, false);
	if (!strcmp(cmd, "stop") && argc == 3)
		return simple(sock, "PUT", "/actions", "{\"action_type\":\"Stop\"}",
			      cmd, false);
	if (!strcmp(cmd, "snapshot") && argc == 4)
		return snapshot(sock, argv[3]);
	if (!strcmp(cmd, "get") && argc == 4)
		return simple(sock, "GET", argv[3], NULL, cmd, true);
	if ((!strcmp(cmd, "put") || !strcmp(cmd, "patch")) && argc == 5)
		return simple(sock, !strcmp(cmd, "put") ? "PUT" : "PATCH",
			      argv[3], argv[4], cmd, true);
	usage();
	return 2;
}
