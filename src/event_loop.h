/* SPDX-License-Identifier: MIT */
/*
 * The main thread's event loop: one epoll set, a callback per file
 * descriptor.
 *
 * Everything the main thread waits for is a file descriptor registered
 * here with a callback: the signalfd (SIGINT, SIGTERM, SIGHUP), the
 * --timeout timerfd, the eventfd vCPUs use to ask for a stop or a reset,
 * console input, and later device back ends, the API socket and the gdb
 * connection.  Callbacks run on the loop's thread, one at a time, so they
 * need no locks among themselves; they must not block.
 *
 * A callback may add or remove any source, including its own, and may call
 * event_loop_quit(); a source removed during a round is not called again
 * in that round.
 */
#ifndef MINIVMM_EVENT_LOOP_H
#define MINIVMM_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct event_loop;
struct event_source;

/* `events` holds what epoll reported (EPOLLIN, EPOLLHUP, ...). */
typedef void (*event_fn)(void *opaque, uint32_t events);

/* NULL with err_msg() on failure. */
struct event_loop *event_loop_create(void);
/* Frees every source still registered (their fds are not closed). */
void event_loop_destroy(struct event_loop *loop);

/*
 * Call fn(opaque, events) whenever fd is ready for `events` (EPOLLIN,
 * EPOLLOUT; level-triggered).  Returns the source, or NULL with err_msg()
 * (epoll refuses regular files: the caller reads those without waiting).
 */
struct event_source *event_loop_add_fd(struct event_loop *loop, int fd,
				       uint32_t events, event_fn fn,
				       void *opaque);
/* Change what a source waits for (0: nothing for now). */
int event_loop_modify(struct event_loop *loop, struct event_source *src,
		      uint32_t events);
/* Stop watching; src is freed (NULL is fine). */
void event_loop_remove(struct event_loop *loop, struct event_source *src);

/*
 * A timer: fn(opaque, EPOLLIN) after `ns` nanoseconds of CLOCK_MONOTONIC
 * and, with `repeat`, every `ns` after that.  The timerfd is the source's
 * own and is closed by event_loop_remove().
 */
struct event_source *event_loop_add_timer(struct event_loop *loop,
					  uint64_t ns, bool repeat, event_fn fn,
					  void *opaque);

/*
 * Wait and dispatch until event_loop_quit() is called (by a callback, or
 * by any thread: it writes an eventfd).  0, or -1 with err_msg() when epoll
 * itself fails.
 */
int event_loop_run(struct event_loop *loop);
void event_loop_quit(struct event_loop *loop);

/* One round: wait at most timeout_ms (-1: forever), dispatch, return the
 * number of callbacks run, or -1 with err_msg(). */
int event_loop_run_once(struct event_loop *loop, int timeout_ms);

#endif
