// SPDX-License-Identifier: MIT
/*
 * The main thread's event loop: fd callbacks, pausing a source with
 * event_loop_modify, removal from inside a callback (the removed source is
 * not called again in that round), one-shot and repeating timers, and quit
 * from another thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "event_loop.h"
#include "log.h"
#include "unit.h"

struct probe {
	int fd;
	int calls;
	uint32_t last_events;
	struct event_loop *loop;
	struct event_source *self, *victim;
	bool drain;
};

static void poke(int fd)
{
	uint64_t one = 1;

	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static void on_event(void *opaque, uint32_t events)
{
	struct probe *p = opaque;
	uint64_t v;

	p->calls++;
	p->last_events = events;
	if (p->drain)
		assert_int_equal(read(p->fd, &v, sizeof(v)), sizeof(v));
	if (p->victim) {
		event_loop_remove(p->loop, p->victim);
		p->victim = NULL;
	}
}

static void test_fd_callback_and_modify(void **state)
{
	struct event_loop *loop = event_loop_create();
	struct probe p = { .drain = true };
	struct event_source *src;

	(void)state;
	assert_non_null(loop);
	p.fd = eventfd(0, EFD_NONBLOCK);
	src = event_loop_add_fd(loop, p.fd, EPOLLIN, on_event, &p);
	assert_non_null(src);
	assert_int_equal(event_loop_run_once(loop, 0), 0);
	poke(p.fd);
	assert_int_equal(event_loop_run_once(loop, 1000), 1);
	assert_int_equal(p.calls, 1);
	assert_true(p.last_events & EPOLLIN);

	/* Waiting for nothing: a ready fd is not reported. */
	assert_int_equal(event_loop_modify(loop, src, 0), 0);
	poke(p.fd);
	assert_int_equal(event_loop_run_once(loop, 10), 0);
	assert_int_equal(event_loop_modify(loop, src, EPOLLIN), 0);
	assert_int_equal(event_loop_run_once(loop, 1000), 1);
	assert_int_equal(p.calls, 2);

	event_loop_remove(loop, src);
	poke(p.fd);
	assert_int_equal(event_loop_run_once(loop, 10), 0);
	event_loop_destroy(loop);
	close(p.fd);
}

static void test_remove_during_round(void **state)
{
	struct event_loop *loop = event_loop_create();
	struct probe a = { .drain = true }, b = { .drain = true };

	(void)state;
	a.fd = eventfd(0, EFD_NONBLOCK);
	b.fd = eventfd(0, EFD_NONBLOCK);
	a.loop = b.loop = loop;
	a.self = event_loop_add_fd(loop, a.fd, EPOLLIN, on_event, &a);
	b.self = event_loop_add_fd(loop, b.fd, EPOLLIN, on_event, &b);
	/* Whichever runs first removes the other. */
	a.victim = b.self;
	b.victim = a.self;
	poke(a.fd);
	poke(b.fd);
	assert_int_equal(event_loop_run_once(loop, 1000), 1);
	assert_int_equal(a.calls + b.calls, 1);
	event_loop_destroy(loop);
	close(a.fd);
	close(b.fd);
}

static void on_timer(void *opaque, uint32_t events)
{
	struct probe *p = opaque;

	(void)events;
	p->calls++;
	if (p->calls == 3)
		event_loop_quit(p->loop);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_timers(void **state)
{
	struct event_loop *loop = event_loop_create();
	struct probe once = { 0 }, rep = { 0 };
	uint64_t t0 = now_ms();

	(void)state;
	once.loop = rep.loop = loop;
	assert_non_null(event_loop_add_timer(loop, 5 * 1000000ull, false,
					     on_timer, &once));
	assert_non_null(event_loop_add_timer(loop, 10 * 1000000ull, true,
					     on_timer, &rep));
	/* The repeating timer quits the loop on its third expiry. */
	assert_int_equal(event_loop_run(loop), 0);
	assert_int_equal(rep.calls, 3);
	assert_int_equal(once.calls, 1);
	assert_true(now_ms() - t0 >= 30);
	event_loop_destroy(loop);
}

static void *quit_later(void *arg)
{
	usleep(20000);
	event_loop_quit(arg);
	return NULL;
}

static void test_quit_from_another_thread(void **state)
{
	struct event_loop *loop = event_loop_create();
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, quit_later, loop), 0);
	assert_int_equal(event_loop_run(loop), 0); /* returns: not a hang */
	pthread_join(t, NULL);
	event_loop_destroy(loop);
}

static void test_regular_file_refused(void **state)
{
	struct event_loop *loop = event_loop_create();
	FILE *f = tmpfile();
	struct probe p = { 0 };

	(void)state;
	assert_null(event_loop_add_fd(loop, fileno(f), EPOLLIN, on_event, &p));
	assert_err_contains("event loop");
	fclose(f);
	event_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_callback_and_modify),
		cmocka_unit_test(test_remove_during_round),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_quit_from_another_thread),
		cmocka_unit_test(test_regular_file_refused),
	};

	return cmocka_run_group_tests_name("event_loop", tests, NULL, NULL);
}
