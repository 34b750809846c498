// SPDX-License-Identifier: MIT
/*
 * Console tests: -serial parsing, the Ctrl-A escape state machine as a
 * pure function, the input thread against a real 16550A on a bus (pipes,
 * a regular file and /dev/null as stdin; backpressure; quit and help) and
 * against a PL011 on an MMIO bus, the output side, and the terminal: raw
 * mode on a pseudo-terminal that a child process owns, restored on
 * console_stop(), exit(), abort(), a fatal signal and a real fault.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "chardev.h"
#include "console.h"
#include "event_loop.h"
#include "dev/pl011.h"
#include "dev/serial8250.h"
#include "log.h"
#include "unit.h"

#define BASE 0x3f8
#define WAIT_NS (5ull * 1000000000ull)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- -serial ---- */

static void test_parse(void **state)
{
	struct console_spec s;
	char buf[300];

	(void)state;
	console_spec_init(&s);
	assert_int_equal(s.kind, CONSOLE_STDIO);
	assert_false(s.signals);

	assert_int_equal(console_parse("stdio", &s), 0);
	assert_int_equal(s.kind, CONSOLE_STDIO);
	assert_string_equal(console_spec_str(&s, buf, sizeof(buf)), "stdio");
	assert_int_equal(console_parse("stdio,signal=on", &s), 0);
	assert_true(s.signals);
	assert_string_equal(console_spec_str(&s, buf, sizeof(buf)),
			    "stdio,signal=on");
	assert_int_equal(console_parse("stdio,signal=off", &s), 0);
	assert_false(s.signals);
	assert_int_equal(console_parse("stdio,signal=maybe", &s), -1);
	assert_err_contains("signal=on|off");

	assert_int_equal(console_parse("file:/tmp/guest.log", &s), 0);
	assert_int_equal(s.kind, CONSOLE_FILE);
	assert_string_equal(s.path, "/tmp/guest.log");
	assert_string_equal(console_spec_str(&s, buf, sizeof(buf)),
			    "file:/tmp/guest.log");
	assert_int_equal(console_parse("file:", &s), -1);
	assert_err_contains("needs a path");

	assert_int_equal(console_parse("none", &s), 0);
	assert_int_equal(s.kind, CONSOLE_NONE);
	assert_int_equal(console_parse("null", &s), 0);
	assert_int_equal(s.kind, CONSOLE_NULL);

	assert_int_equal(console_parse("pty", &s), -1);
	assert_err_contains("expected stdio, file:PATH, null or none");

	memset(buf, 'p', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = 0;
	memcpy(buf, "file:", 5);
	assert_int_equal(console_parse(buf, &s), -1);
	assert_err_contains("path longer than");
}

/* ---- Escapes ---- */

/* Run a byte string through the machine; returns forwarded bytes. */
static size_t feed(struct console_escape *e, const char *in, size_t len,
		   char *out, int *quits, int *helps)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t b = 0;

		switch (console_escape_feed(e, (uint8_t)in[i], &b)) {
		case CONSOLE_ACT_FORWARD:
			out[n++] = (char)b;
			break;
		case CONSOLE_ACT_QUIT:
			(*quits)++;
			break;
		case CONSOLE_ACT_HELP:
			(*helps)++;
			break;
		case CONSOLE_ACT_NONE:
			break;
		}
	}
	return n;
}

static void test_escapes(void **state)
{
	struct console_escape e = { 0 };
	int quits = 0, helps = 0;
	char out[64];
	size_t n;

	(void)state;
	/* Plain bytes, including control characters and 0xff, pass. */
	n = feed(&e, "ls -l\r\x03\x1b[A\xff", 11, out, &quits, &helps);
	assert_int_equal(n, 11);
	assert_memory_equal(out, "ls -l\r\x03\x1b[A\xff", 11);

	/* C-a C-a sends one C-a; C-a x quits; C-a h and C-a ? help. */
	n = feed(&e, "a\x01\x01" "b", 4, out, &quits, &helps);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "a\x01" "b", 3);
	n = feed(&e, "\x01h\x01?", 4, out, &quits, &helps);
	assert_int_equal(n, 0);
	assert_int_equal(helps, 2);
	n = feed(&e, "\x01x", 2, out, &quits, &helps);
	assert_int_equal(quits, 1);

	/* Unknown escapes swallow both bytes; the next byte is plain. */
	n = feed(&e, "\x01z\x01X\x01" "cq", 7, out, &quits, &helps);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'q');
	assert_int_equal(quits, 1);

	/* The state carries across calls (a split read). */
	n = feed(&e, "\x01", 1, out, &quits, &helps);
	assert_int_equal(n, 0);
	assert_true(e.armed);
	n = feed(&e, "x", 1, out, &quits, &helps);
	assert_int_equal(n, 0);
	assert_int_equal(quits, 2);
	assert_false(e.armed);
	/* Escape then "x" in the next call is a quit, "xx" is not two. */
	n = feed(&e, "xx", 2, out, &quits, &helps);
	assert_int_equal(n, 2);
	assert_int_equal(quits, 2);

	assert_non_null(strstr(console_help_text, "C-a x"));
	assert_non_null(strstr(console_help_text, "C-a h"));
	assert_non_null(strstr(console_help_text, "C-a C-a"));
}

/* ---- Input through an event loop against a UART ---- */

/*
 * The event loop on a thread of its own, standing in for minivmm's main
 * thread while the test thread plays the guest.  Sources are added before
 * the thread starts and removed after it has stopped.
 */
struct loop_thread {
	struct event_loop *loop;
	pthread_t thread;
	bool running;
};

static void *loop_main(void *arg)
{
	struct loop_thread *lt = arg;

	event_loop_run(lt->loop);
	return NULL;
}

static struct event_loop *loop_new(struct loop_thread *lt)
{
	lt->loop = event_loop_create();
	assert_non_null(lt->loop);
	lt->running = false;
	return lt->loop;
}

static void loop_go(struct loop_thread *lt)
{
	assert_int_equal(pthread_create(&lt->thread, NULL, loop_main, lt), 0);
	lt->running = true;
}

static void loop_end(struct loop_thread *lt)
{
	if (lt->running) {
		event_loop_quit(lt->loop);
		pthread_join(lt->thread, NULL);
		lt->running = false;
	}
}

static void loop_free(struct loop_thread *lt)
{
	loop_end(lt);
	event_loop_destroy(lt->loop);
	lt->loop = NULL;
}

struct rig {
	struct loop_thread lt;
	struct bus io;
	struct serial8250 *uart;
	struct console *con;
	int in_w; /* test writes "typed" bytes here (-1 if not a pipe) */
	int out_r; /* guest output comes out here */
	atomic_int quits;
};

static void rig_quit(void *ctx)
{
	struct rig *r = ctx;

	atomic_fetch_add(&r->quits, 1);
}

/*
 * A rig whose stdin is in_fd (or a new pipe when in_fd < 0).  fcr is
 * programmed before the console starts: changing the FIFO mode later
 * would empty the receiver, dropping whatever arrived first (the guest's
 * choice, as on hardware, but not what these tests are about).
 */
static struct rig *rig_new(int in_fd, uint8_t fcr)
{
	struct rig *r = calloc(1, sizeof(*r));
	int in[2] = { -1, -1 }, out[2];
	struct chardev_host host;

	assert_non_null(r);
	if (in_fd < 0) {
		assert_int_equal(pipe2(in, O_CLOEXEC), 0);
		in_fd = in[0];
	}
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	r->in_w = in[1];
	r->out_r = out[0];
	bus_init(&r->io, "io", 0x10000);
	r->uart = serial8250_create();
	assert_non_null(r->uart);
	assert_int_equal(serial8250_register(r->uart, &r->io, BASE), 0);
	assert_int_equal(bus_write(&r->io, BASE + 2, &fcr, 1), BUS_OK);
	r->con = console_create_fds(in_fd, out[1], true, false);
	assert_non_null(r->con);
	console_attach(r->con,
		       &(struct chardev_port){ .receive = serial8250_receive,
					       .dev = r->uart },
		       &host);
	serial8250_set_host(r->uart, &host);
	console_set_quit(r->con, rig_quit, r);
	assert_int_equal(console_start(r->con, loop_new(&r->lt)), 0);
	loop_go(&r->lt);
	return r;
}

static void rig_free(struct rig *r, int in_fd_to_close)
{
	loop_end(&r->lt);
	console_destroy(r->con);
	loop_free(&r->lt);
	serial8250_device_ops.destroy(r->uart);
	bus_destroy(&r->io);
	if (r->in_w >= 0)
		close(r->in_w);
	if (in_fd_to_close >= 0)
		close(in_fd_to_close);
	close(r->out_r);
	free(r);
}

static uint8_t inb(struct rig *r, unsigned reg)
{
	uint8_t v = 0;

	assert_int_equal(bus_read(&r->io, BASE + reg, &v, 1), BUS_OK);
	return v;
}

static void outb(struct rig *r, unsigned reg, uint8_t v)
{
	assert_int_equal(bus_write(&r->io, BASE + reg, &v, 1), BUS_OK);
}

/*
 * Play the guest: drain RBR until `want` bytes arrived or time runs out.
 * `pace` reads at most that many bytes per poll, so the FIFO fills up and
 * the console has to hold input back.
 */
static size_t guest_read(struct rig *r, uint8_t *buf, size_t want,
			 unsigned pace)
{
	uint64_t deadline = now_ns() + WAIT_NS;
	size_t got = 0;

	while (got < want && now_ns() < deadline) {
		unsigned n = 0;

		while (got < want && n < pace && (inb(r, 5) & 0x01)) {
			buf[got++] = inb(r, 0);
			n++;
		}
		usleep(n ? 200 : 1000);
	}
	return got;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

static void test_input_backpressure(void **state)
{
	enum { LEN = 5000, SPLIT = 4000 };
	struct rig *r = rig_new(-1, 0x01);
	uint8_t *sent = malloc(LEN), *got = malloc(LEN);

	(void)state;
	assert_non_null(sent);
	assert_non_null(got);
	for (size_t i = 0; i < LEN; i++) {
		sent[i] = (uint8_t)(i * 13 + 5);
		if (sent[i] == CONSOLE_ESCAPE_CHAR)
			sent[i] = 0; /* keep the stream escape-free */
	}
	/* FIFO mode with a slow guest, then without FIFO (1 byte deep). */
	write_all(r->in_w, sent, SPLIT);
	assert_int_equal(guest_read(r, got, SPLIT, 3), SPLIT);
	outb(r, 2, 0x00);
	write_all(r->in_w, sent + SPLIT, LEN - SPLIT);
	assert_int_equal(guest_read(r, got + SPLIT, LEN - SPLIT, 1),
			 LEN - SPLIT);
	assert_memory_equal(sent, got, LEN);
	assert_int_equal(console_input_bytes(r->con), LEN);
	assert_int_equal(r->uart->lsr_errors, 0); /* never an overrun */

	/* EOF on stdin only ends reading. */
	close(r->in_w);
	r->in_w = -1;
	usleep(20000);
	assert_int_equal(atomic_load(&r->quits), 0);
	free(sent);
	free(got);
	rig_free(r, -1);
}

static void test_input_quit(void **state)
{
	struct rig *r = rig_new(-1, 0x01);
	uint8_t got[8];
	uint64_t deadline = now_ns() + WAIT_NS;

	(void)state;
	write_all(r->in_w, "ab\x01\x01" "c\x01xdef", 10);
	while (!atomic_load(&r->quits) && now_ns() < deadline)
		usleep(1000);
	assert_int_equal(atomic_load(&r->quits), 1);
	assert_int_equal(guest_read(r, got, 4, 16), 4);
	assert_memory_equal(got, "ab\x01" "c", 4);
	/* Nothing after the quit escape is read. */
	usleep(20000);
	assert_int_equal(inb(r, 5) & 0x01, 0);
	assert_int_equal(console_input_bytes(r->con), 4);
	rig_free(r, -1);
}

static void test_input_help(void **state)
{
	struct rig *r;
	uint8_t got[2];
	char *err;

	(void)state;
	unit_stderr_begin();
	r = rig_new(-1, 0x00);
	write_all(r->in_w, "\x01hZ", 3);
	/* 'Z' is processed after the help text was written. */
	assert_int_equal(guest_read(r, got, 1, 16), 1);
	rig_free(r, -1);
	err = unit_stderr_end();
	assert_int_equal(got[0], 'Z');
	assert_str_contains(err, "C-a x");
	assert_str_contains(err, "C-a C-a");
	free(err);
}

/* stdin redirected from a file: epoll refuses it, reads never block. */
static void test_input_regular_file(void **state)
{
	FILE *f = tmpfile();
	uint8_t got[300];
	struct rig *r;

	(void)state;
	assert_non_null(f);
	for (int i = 0; i < 300; i++)
		fputc('A' + i % 26, f);
	fflush(f);
	rewind(f);
	r = rig_new(fileno(f), 0x01);
	assert_int_equal(guest_read(r, got, 300, 5), 300);
	for (int i = 0; i < 300; i++)
		assert_int_equal(got[i], 'A' + i % 26);
	rig_free(r, -1);
	fclose(f);
}

static void test_input_dev_null(void **state)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct rig *r;

	(void)state;
	assert_true(fd >= 0);
	r = rig_new(fd, 0x00);
	usleep(20000);
	assert_int_equal(inb(r, 5), 0x60);
	rig_free(r, fd);
}

/* ---- Output ---- */

static void test_output(void **state)
{
	struct rig *r = rig_new(-1, 0x00);
	char buf[16] = { 0 };

	(void)state;
	outb(r, 0, 'h');
	outb(r, 0, 'i');
	outb(r, 0, '\n');
	assert_int_equal(read(r->out_r, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "hi\n");
	rig_free(r, -1);
}

/*
 * The same plumbing with a PL011 on an MMIO bus: output through DR, typed
 * input held back while the one-byte holding register (FIFO off) is full
 * and delivered in order as the guest reads DR.
 */
static void test_pl011_attach(void **state)
{
	enum { LEN = 300, PL011_BASE = 0x9000000 };
	struct bus mmio;
	struct pl011 *uart = pl011_create();
	struct chardev_host host;
	struct console *con;
	struct loop_thread lt;
	int in[2], out[2];
	uint8_t d[4], sent[LEN], got[LEN];
	uint64_t deadline = now_ns() + WAIT_NS;
	size_t n = 0;
	char buf[8] = { 0 };

	(void)state;
	assert_non_null(uart);
	bus_init(&mmio, "mmio", 0);
	assert_int_equal(pl011_register(uart, &mmio, PL011_BASE), 0);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	con = console_create_fds(in[0], out[1], true, false);
	assert_non_null(con);
	console_attach(con,
		       &(struct chardev_port){ .receive = pl011_receive,
					       .dev = uart },
		       &host);
	pl011_set_host(uart, &host);
	assert_int_equal(console_start(con, loop_new(&lt)), 0);
	loop_go(&lt);

	d[0] = 'o';
	assert_int_equal(bus_write(&mmio, PL011_BASE, d, 1), BUS_OK);
	d[0] = 'k';
	assert_int_equal(bus_write(&mmio, PL011_BASE, d, 4), BUS_OK);
	assert_int_equal(read(out[0], buf, sizeof(buf)), 2);
	assert_string_equal(buf, "ok");

	for (size_t i = 0; i < LEN; i++)
		sent[i] = (uint8_t)('a' + i % 26);
	write_all(in[1], sent, LEN);
	while (n < LEN && now_ns() < deadline) {
		assert_int_equal(bus_read(&mmio, PL011_BASE + PL011_FR, d, 4),
				 BUS_OK);
		if (d[0] & PL011_FR_RXFE) {
			usleep(200);
			continue;
		}
		assert_int_equal(bus_read(&mmio, PL011_BASE, d, 4), BUS_OK);
		got[n++] = d[0];
	}
	assert_int_equal(n, LEN);
	assert_memory_equal(sent, got, LEN);
	assert_int_equal(console_input_bytes(con), LEN);
	assert_int_equal(uart->host.rx_bytes, LEN);

	loop_end(&lt);
	console_destroy(con);
	loop_free(&lt);
	pl011_device_ops.destroy(uart);
	bus_destroy(&mmio);
	close(in[0]);
	close(in[1]);
	close(out[0]);
}

static void test_output_file_and_null(void **state)
{
	char path[] = "/tmp/minivmm-console-XXXXXX";
	struct console_spec spec;
	struct console *con;
	char buf[CONSOLE_PATH_MAX + 8] = { 0 };
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	write_all(fd, "old contents, longer", 20);
	close(fd);
	snprintf(buf, sizeof(buf), "file:%s", path);
	assert_int_equal(console_parse(buf, &spec), 0);
	con = console_create(&spec);
	assert_non_null(con);
	assert_int_equal(console_start(con, NULL), 0); /* no input: no loop needed */
	console_write(con, (const uint8_t *)"new\n", 4);
	console_destroy(con);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(read(fd, buf, sizeof(buf)), 4); /* truncated */
	assert_string_equal(buf, "new\n");
	close(fd);
	unlink(path);

	assert_int_equal(console_parse("file:/nonexistent-dir/x", &spec), 0);
	assert_null(console_create(&spec));
	assert_err_contains("/nonexistent-dir/x");

	assert_int_equal(console_parse("null", &spec), 0);
	con = console_create(&spec);
	assert_non_null(con);
	console_write(con, (const uint8_t *)"gone", 4);
	console_destroy(con);

	assert_int_equal(console_parse("none", &spec), 0);
	assert_null(console_create(&spec));
}

/* ---- The terminal ---- */

static int open_pty(char *slave, size_t size)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0)
		return -1;
	if (grantpt(m) < 0 || unlockpt(m) < 0 ||
	    ptsname_r(m, slave, size) != 0) {
		close(m);
		return -1;
	}
	return m;
}

static bool tty_is_cooked(const char *slave)
{
	struct termios t;
	int fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	bool cooked;

	assert_true(fd >= 0);
	assert_int_equal(tcgetattr(fd, &t), 0);
	close(fd);
	cooked = (t.c_lflag & (ICANON | ECHO | ISIG)) == (ICANON | ECHO | ISIG) &&
		 (t.c_iflag & ICRNL);
	return cooked;
}

static size_t sink(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	return len;
}

/*
 * A terminal that is not our controlling terminal (as for a process in
 * the background): no raw mode and no reading, or the kernel would stop
 * us with SIGTTOU/SIGTTIN.
 */
static void test_tty_not_foreground(void **state)
{
	char slave[64];
	int m = open_pty(slave, sizeof(slave)), s;
	struct console *con;

	(void)state;
	if (m < 0)
		skip();
	s = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(s >= 0);
	con = console_create_fds(s, -1, false, false);
	assert_non_null(con);
	console_set_input(con, sink, NULL);
	/* Not the foreground: it returns before it would use a loop. */
	assert_int_equal(console_start(con, NULL), 0);
	assert_true(tty_is_cooked(slave));
	console_destroy(con);
	assert_true(tty_is_cooked(slave));
	close(s);
	close(m);
}

enum tty_exit {
	TTY_STOP, /* console_stop(), then _exit */
	TTY_EXIT, /* exit() without console_stop(): atexit */
	TTY_ABORT, /* abort(): SIGABRT handler */
	TTY_SIGTERM, /* a fatal signal from outside */
	TTY_FAULT, /* a real SIGSEGV */
	TTY_RESTORE_EXIT, /* console_tty_restore(), then _exit (vm.c path) */
};

/* Not a constant, so the compiler cannot see the fault coming. */
static volatile uintptr_t tty_bad_address = 8;

/*
 * Child: become a session leader with the pty as controlling terminal,
 * enter raw mode through the console, report, then leave as told.
 */
static void tty_child(const char *slave, int report, enum tty_exit how)
{
	struct termios t;
	struct console *con;
	int fd, devnull;
	char ok = 'r';

	/* cmocka's own handlers would catch the signals and go on testing. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	setsid();
	fd = open(slave, O_RDWR); /* becomes the controlling terminal */
	devnull = open("/dev/null", O_WRONLY);
	if (fd < 0 || devnull < 0 || dup2(fd, 0) < 0 || dup2(devnull, 2) < 0)
		_exit(10);
	con = console_create_fds(0, -1, false, false);
	if (!con)
		_exit(11);
	console_set_input(con, sink, NULL);
	if (console_start(con, event_loop_create()) < 0)
		_exit(12);
	if (tcgetattr(0, &t) < 0 || (t.c_lflag & (ICANON | ECHO | ISIG)))
		ok = 'c';
	if (write(report, &ok, 1) != 1)
		_exit(13);
	switch (how) {
	case TTY_STOP:
		console_destroy(con);
		_exit(0);
	case TTY_EXIT:
		exit(0);
	case TTY_ABORT:
		abort();
	case TTY_SIGTERM:
		kill(getpid(), SIGTERM);
		pause();
		_exit(14);
	case TTY_FAULT:
		*(volatile int *)tty_bad_address = 1;
		_exit(15);
	case TTY_RESTORE_EXIT:
		console_tty_restore();
		_exit(0);
	}
	_exit(16);
}

static void run_tty_case(enum tty_exit how, int want_sig)
{
	char slave[64], ok = 0;
	int m = open_pty(slave, sizeof(slave)), p[2], status;
	pid_t pid;

	if (m < 0)
		skip();
	assert_true(tty_is_cooked(slave));
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		tty_child(slave, p[1], how);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &ok, 1), 1);
	close(p[0]);
	assert_int_equal(ok, 'r'); /* the child saw its terminal raw */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (want_sig) {
		assert_true(WIFSIGNALED(status) ||
			    (WIFEXITED(status) && WEXITSTATUS(status) != 0));
		if (WIFSIGNALED(status))
			assert_int_equal(WTERMSIG(status), want_sig);
	} else {
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	/* Whatever the way out, the terminal is cooked again. */
	assert_true(tty_is_cooked(slave));
	close(m);
}

static void test_tty_stop(void **state)
{
	(void)state;
	run_tty_case(TTY_STOP, 0);
}

static void test_tty_exit(void **state)
{
	(void)state;
	run_tty_case(TTY_EXIT, 0);
}

static void test_tty_abort(void **state)
{
	(void)state;
	run_tty_case(TTY_ABORT, SIGABRT);
}

static void test_tty_sigterm(void **state)
{
	(void)state;
	run_tty_case(TTY_SIGTERM, SIGTERM);
}

static void test_tty_fault(void **state)
{
	(void)state;
	/* A sanitizer may catch the fault and exit(1) instead. */
	run_tty_case(TTY_FAULT, SIGSEGV);
}

static void test_tty_restore_exit(void **state)
{
	(void)state;
	run_tty_case(TTY_RESTORE_EXIT, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_input_backpressure),
		cmocka_unit_test(test_input_quit),
		cmocka_unit_test(test_input_help),
		cmocka_unit_test(test_input_regular_file),
		cmocka_unit_test(test_input_dev_null),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_pl011_attach),
		cmocka_unit_test(test_output_file_and_null),
		cmocka_unit_test(test_tty_not_foreground),
		cmocka_unit_test(test_tty_stop),
		cmocka_unit_test(test_tty_exit),
		cmocka_unit_test(test_tty_abort),
		cmocka_unit_test(test_tty_sigterm),
		cmocka_unit_test(test_tty_fault),
		cmocka_unit_test(test_tty_restore_exit),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
