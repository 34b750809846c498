// SPDX-License-Identifier: MIT
#include "event_loop.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"

/* Events taken from epoll in one round. */
#define EVENT_LOOP_BATCH 32

struct event_source {
	int fd;
	bool own_fd; /* a timer's timerfd: closed with the source */
	bool dead; /* removed during the current round: freed after it */
	event_fn fn;
	void *opaque;
	struct event_source *next; /* every live or dead source */
};

struct event_loop {
	int epoll_fd;
	int quit_fd; /* eventfd: event_loop_quit() from any thread */
	_Atomic bool quit;
	bool dispatching;
	struct event_source *sources;
	struct event_source quit_src;
};

static void quit_cb(void *opaque, uint32_t events)
{
	struct event_loop *loop = opaque;
	uint64_t v;

	(void)events;
	if (read(loop->quit_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("event loop: eventfd read: %s", strerror(errno));
}

struct event_loop *event_loop_create(void)
{
	struct event_loop *loop = calloc(1, sizeof(*loop));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!loop) {
		err_set("event loop: out of memory");
		return NULL;
	}
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	loop->quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	loop->quit_src = (struct event_source){ .fd = loop->quit_fd,
						.fn = quit_cb,
						.opaque = loop };
	ev.data.ptr = &loop->quit_src;
	if (loop->epoll_fd < 0 || loop->quit_fd < 0 ||
	    epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->quit_fd, &ev) < 0) {
		err_errno("event loop: epoll/eventfd");
		event_loop_destroy(loop);
		return NULL;
	}
	return loop;
}

static void source_free(struct event_source *src)
{
	if (src->own_fd && src->fd >= 0)
		close(src->fd);
	free(src);
}

/* Free the sources removed during a round. */
static void reap(struct event_loop *loop)
{
	struct event_source **p = &loop->sources;

	while (*p) {
		struct event_source *s = *p;

		if (s->dead) {
			*p = s->next;
			source_free(s);
		} else {
			p = &s->next;
		}
	}
}

void event_loop_destroy(struct event_loop *loop)
{
	if (!loop)
		return;
	while (loop->sources) {
		struct event_source *s = loop->sources;

		loop->sources = s->next;
		source_free(s);
	}
	if (loop->epoll_fd >= 0)
		close(loop->epoll_fd);
	if (loop->quit_fd >= 0)
		close(loop->quit_fd);
	free(loop);
}

static struct event_source *add(struct event_loop *loop, int fd, bool own_fd,
				uint32_t events, event_fn fn, void *opaque)
{
	struct event_source *src = calloc(1, sizeof(*src));
	struct epoll_event ev = { .events = events };

	if (!src) {
		err_set("event loop: out of memory");
		return NULL;
	}
	*src = (struct event_source){
		.fd = fd, .own_fd = own_fd, .fn = fn, .opaque = opaque,
	};
	ev.data.ptr = src;
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err_errno("event loop: watching fd %d", fd);
		src->own_fd = false; /* the caller still has it */
		source_free(src);
		return NULL;
	}
	src->next = loop->sources;
	loop->sources = src;
	return src;
}

struct event_source *event_loop_add_fd(struct event_loop *loop, int fd,
				       uint32_t events, event_fn fn,
				       void *opaque)
{
	return add(loop, fd, false, events, fn, opaque);
}

int event_loop_modify(struct event_loop *loop, struct event_source *src,
		      uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, src->fd, &ev) < 0)
		return err_errno("event loop: fd %d", src->fd);
	return 0;
}

void event_loop_remove(struct event_loop *loop, struct event_source *src)
{
	if (!src || src->dead)
		return;
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, src->fd, NULL);
	src->dead = true;
	if (!loop->dispatching)
		reap(loop);
}

struct event_source *event_loop_add_timer(struct event_loop *loop,
					  uint64_t ns, bool repeat, event_fn fn,
					  void *opaque)
{
	struct itimerspec its = { 0 };
	struct event_source *src;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0) {
		err_errno("timerfd_create");
		return NULL;
	}
	if (ns == 0)
		ns = 1; /* 0 would disarm it */
	its.it_value.tv_sec = (time_t)(ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(ns % 1000000000ull);
	if (repeat)
		its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		err_errno("timerfd_settime");
		close(fd);
		return NULL;
	}
	src = add(loop, fd, true, EPOLLIN, fn, opaque);
	if (!src)
		close(fd);
	return src;
}

/* A timer's expiry count is read here, so its callback need not. */
static void drain_timer(struct event_source *src)
{
	uint64_t n;

	if (src->own_fd && read(src->fd, &n, sizeof(n)) < 0 &&
	    errno != EAGAIN)
		log_warn("event loop: timerfd read: %s", strerror(errno));
}

int event_loop_run_once(struct event_loop *loop, int timeout_ms)
{
	struct epoll_event ev[EVENT_LOOP_BATCH];
	int n, ran = 0;

	n = epoll_wait(loop->epoll_fd, ev, EVENT_LOOP_BATCH, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return err_errno("event loop: epoll_wait");
	}
	loop->dispatching = true;
	for (int i = 0; i < n; i++) {
		struct event_source *src = ev[i].data.ptr;

		if (src->dead)
			continue;
		drain_timer(src);
		src->fn(src->opaque, ev[i].events);
		ran++;
	}
	loop->dispatching = false;
	reap(loop);
	return ran;
}

int event_loop_run(struct event_loop *loop)
{
	while (!atomic_load(&loop->quit))
		if (event_loop_run_once(loop, -1) < 0)
			return -1;
	atomic_store(&loop->quit, false); /* ready to run again */
	return 0;
}

void event_loop_quit(struct event_loop *loop)
{
	uint64_t one = 1;

	atomic_store(&loop->quit, true);
	if (write(loop->quit_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("event loop: eventfd write: %s", strerror(errno));
}
