// SPDX-License-Identifier: MIT
/*
 * The API's Unix socket on the event loop (api.h): accept, read, feed the
 * connection's HTTP session (http.c), write its answers.
 *
 * The socket is bound under a temporary name and linked to its path only
 * once it listens, so a client that sees the file can connect; link()
 * refuses a path that exists, as Firecracker refuses a socket path in use.
 */
#include "api/api.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/http.h"
#include "event_loop.h"
#include "log.h"

struct api_conn {
	struct api_server *srv;
	int fd;
	struct event_source *src;
	struct api_session *session;
};

struct api_server {
	struct event_loop *loop;
	int fd;
	struct event_source *src;
	char *path;
	struct api *api;
	size_t max_payload;
	struct api_conn *conns[API_MAX_CONNECTIONS];
	void *owner;
};

void api_server_set_owner(struct api_server *s, void *owner)
{
	s->owner = owner;
}

void *api_server_owner(const struct api_server *s)
{
	return s->owner;
}

static void conn_close(struct api_conn *c)
{
	struct api_server *s = c->srv;

	for (size_t i = 0; i < API_MAX_CONNECTIONS; i++)
		if (s->conns[i] == c)
			s->conns[i] = NULL;
	event_loop_remove(s->loop, c->src);
	close(c->fd);
	api_session_destroy(c->session);
	free(c);
	/* A slot is free again: take the next waiting client. */
	event_loop_modify(s->loop, s->src, EPOLLIN);
}

/*
 * Answers are a few hundred bytes, far below a socket's buffer; a client
 * that does not read them gets 100 ms and is then dropped, so the loop is
 * never held.
 */
static bool write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };

			if (poll(&pf, 1, 100) <= 0)
				return false;
			continue;
		}
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void on_conn(void *opaque, uint32_t events)
{
	struct api_conn *c = opaque;
	char buf[16384], *out;
	size_t out_len;
	bool keep;
	ssize_t n;

	(void)events;
	n = recv(c->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	keep = api_session_feed(c->session, buf, (size_t)n, &out, &out_len);
	if (out_len && !write_all(c->fd, out, out_len))
		keep = false;
	free(out);
	if (!keep)
		conn_close(c);
}

static void on_accept(void *opaque, uint32_t events)
{
	struct api_server *s = opaque;
	struct api_conn *c;
	size_t slot;
	int fd;

	(void)events;
	for (slot = 0; slot < API_MAX_CONNECTIONS && s->conns[slot]; slot++)
		;
	if (slot == API_MAX_CONNECTIONS) {
		/* Full: leave the rest in the backlog until one closes. */
		event_loop_modify(s->loop, s->src, 0);
		return;
	}
	fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c)
		c->session = api_session_create(s->api, s->max_payload);
	if (!c || !c->session) {
		free(c);
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->src = event_loop_add_fd(s->loop, fd, EPOLLIN, on_conn, c);
	if (!c->src) {
		log_warn("API: %s", err_msg());
		api_session_destroy(c->session);
		close(fd);
		free(c);
		return;
	}
	s->conns[slot] = c;
}

struct api_server *api_server_create(struct event_loop *loop, const char *path,
				     struct api *a, size_t max_payload)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct api_server *s;
	char tmp[sizeof(sun.sun_path)];

	if (!*path || strlen(path) >= sizeof(sun.sun_path) - 16) {
		err_set("the API socket path \"%s\" is empty or longer than %zu bytes",
			path, sizeof(sun.sun_path) - 17);
		return NULL;
	}
	if (access(path, F_OK) == 0) {
		err_set("the API socket %s already exists (another VMM's, or left by one that ended: remove it first)",
			path);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		err_set("out of memory");
		return NULL;
	}
	s->loop = loop;
	s->api = a;
	s->max_payload = max_payload;
	s->path = strdup(path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err_errno("API socket");
		goto fail;
	}
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	unlink(tmp);
	memcpy(sun.sun_path, tmp, strlen(tmp) + 1);
	if (bind(s->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err_errno("API socket %s", path);
		goto fail;
	}
	if (listen(s->fd, 64) < 0) {
		err_errno("API socket %s: listen", path);
		unlink(tmp);
		goto fail;
	}
	s->src = event_loop_add_fd(loop, s->fd, EPOLLIN, on_accept, s);
	if (!s->src) {
		unlink(tmp);
		goto fail;
	}
	if (link(tmp, path) < 0) {
		err_errno(errno == EEXIST ?
				  "the API socket %s already exists (another VMM's, or left by one that ended: remove it first)" :
				  "API socket %s",
			  path);
		unlink(tmp);
		goto fail;
	}
	unlink(tmp);
	return s;
fail:
	event_loop_remove(loop, s->src);
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
	return NULL;
}

void api_server_destroy(struct api_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < API_MAX_CONNECTIONS; i++)
		if (s->conns[i])
			conn_close(s->conns[i]);
	event_loop_remove(s->loop, s->src);
	close(s->fd);
	unlink(s->path);
	free(s->path);
	free(s);
}
