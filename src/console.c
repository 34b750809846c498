// SPDX-License-Identifier: MIT
/*
 * Console plumbing: see console.h for what the user sees.  Terminal modes
 * follow termios(3); the raw settings are the ones QEMU's stdio character
 * device uses (chardev/char-stdio.c), so a guest shell behaves the same.
 */
#include "console.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "chardev.h"
#include "event_loop.h"
#include "log.h"

/* Bytes read from stdin at a time; also the size of the kept-back buffer. */
#define CONSOLE_CHUNK 256
/*
 * While bytes wait for room in the UART, offer them again at this pace
 * even without a notice from the device (a safety net; the notice is what
 * normally wakes us).
 */
#define CONSOLE_RETRY_MS 200

struct console {
	int in_fd; /* -1: no input */
	int out_fd; /* -1: output discarded */
	bool own_out;
	bool signals; /* leave ISIG on in raw mode */

	pthread_mutex_t out_lock; /* one writer at a time, bytes in order */
	bool out_broken; /* a write failed for good; reported once */

	struct event_loop *loop; /* while started */
	struct event_source *in_src; /* in_fd in the loop (not a regular file) */
	struct event_source *retry_src; /* retry_fd in the loop */
	struct event_source *timer_src; /* the retry safety net while bytes wait */
	int retry_fd; /* eventfd: the device has room again, or read on */
	bool in_pollable; /* epoll accepts in_fd (not a regular file) */
	bool in_watched; /* in_src waits for EPOLLIN right now */
	bool in_open; /* no EOF, error or quit yet */
	bool started;

	bool raw; /* this console put the terminal in raw mode */

	struct console_escape esc;
	uint8_t pend[CONSOLE_CHUNK]; /* input the UART has not taken yet */
	size_t pend_off, pend_len;

	console_input_fn input;
	void *input_ctx;
	console_quit_fn quit;
	void *quit_ctx;
	_Atomic uint64_t in_bytes;
};

const char console_help_text[] =
	"\n"
	"minivmm console escapes (C-a is Ctrl-A):\n"
	"  C-a h    print this list\n"
	"  C-a x    stop the guest and exit minivmm (exit code 3)\n"
	"  C-a C-a  send one Ctrl-A to the guest\n";

/* ---- -serial parsing ---- */

void console_spec_init(struct console_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->kind = CONSOLE_STDIO;
}

static int parse_stdio_options(const char *opts, struct console_spec *spec)
{
	while (*opts) {
		size_t len = strcspn(opts, ",");

		if (len == 9 && !strncmp(opts, "signal=on", len))
			spec->signals = true;
		else if (len == 10 && !strncmp(opts, "signal=off", len))
			spec->signals = false;
		else
			return err_set("-serial stdio: unknown option '%.*s' (signal=on|off)",
				       (int)len, opts);
		opts += len;
		if (*opts == ',')
			opts++;
	}
	return 0;
}

int console_parse(const char *arg, struct console_spec *spec)
{
	console_spec_init(spec);
	if (!strcmp(arg, "stdio"))
		return 0;
	if (!strncmp(arg, "stdio,", 6))
		return parse_stdio_options(arg + 6, spec);
	if (!strcmp(arg, "none")) {
		spec->kind = CONSOLE_NONE;
		return 0;
	}
	if (!strcmp(arg, "null")) {
		spec->kind = CONSOLE_NULL;
		return 0;
	}
	if (!strncmp(arg, "file:", 5)) {
		const char *path = arg + 5;

		if (!*path)
			return err_set("-serial file: needs a path (file:PATH)");
		if (strlen(path) >= sizeof(spec->path))
			return err_set("-serial file:%s: path longer than %d bytes",
				       path, CONSOLE_PATH_MAX - 1);
		spec->kind = CONSOLE_FILE;
		strcpy(spec->path, path);
		return 0;
	}
	return err_set("-serial %s: expected stdio, file:PATH, null or none",
		       arg);
}

const char *console_spec_str(const struct console_spec *spec, char *buf,
			     size_t size)
{
	switch (spec->kind) {
	case CONSOLE_STDIO:
		snprintf(buf, size, "stdio%s",
			 spec->signals ? ",signal=on" : "");
		break;
	case CONSOLE_FILE:
		snprintf(buf, size, "file:%s", spec->path);
		break;
	case CONSOLE_NULL:
		snprintf(buf, size, "null");
		break;
	case CONSOLE_NONE:
		snprintf(buf, size, "none");
		break;
	}
	return buf;
}

/* ---- Escapes ---- */

enum console_action console_escape_feed(struct console_escape *esc,
					uint8_t in, uint8_t *out)
{
	if (!esc->armed) {
		if (in == CONSOLE_ESCAPE_CHAR) {
			esc->armed = true;
			return CONSOLE_ACT_NONE;
		}
		*out = in;
		return CONSOLE_ACT_FORWARD;
	}
	esc->armed = false;
	switch (in) {
	case CONSOLE_ESCAPE_CHAR:
		*out = in;
		return CONSOLE_ACT_FORWARD;
	case 'x':
		return CONSOLE_ACT_QUIT;
	case 'h':
	case '?':
		return CONSOLE_ACT_HELP;
	default:
		/* 'c' (monitor), 's', 'b', 't' and the rest: nothing here. */
		return CONSOLE_ACT_NONE;
	}
}

/* ---- The terminal: one per process, hence file-scope state ---- */

/*
 * What to put back.  Read from signal handlers, so only plain data, and
 * `active` is the one flag that says whether there is anything to do.
 */
static struct {
	volatile sig_atomic_t active;
	int fd;
	struct termios saved;
} tty_state;

/*
 * Signals that end the process by default.  While the terminal is raw
 * each gets a handler that restores it and then hands the signal to
 * whatever was installed before (usually the default action).  SIGINT,
 * SIGTERM and SIGHUP are normally blocked and read by the main thread's
 * signalfd, which stops the VM through console_stop(); the handler only
 * matters if one arrives while they are not blocked.
 */
static const int tty_signals[] = {
	SIGSEGV, SIGBUS, SIGILL,  SIGFPE,  SIGABRT, SIGTRAP, SIGSYS,
	SIGQUIT, SIGPIPE, SIGINT, SIGTERM, SIGHUP,  SIGXCPU, SIGXFSZ,
};
#define NR_TTY_SIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))
static struct sigaction tty_old_actions[NR_TTY_SIGNALS];
static bool tty_handlers_installed;
static bool tty_atexit_registered;

void console_tty_restore(void)
{
	if (!tty_state.active)
		return;
	tty_state.active = 0;
	/* tcsetattr() is async-signal-safe (POSIX.1-2008, signal-safety(7)). */
	tcsetattr(tty_state.fd, TCSANOW, &tty_state.saved);
}

static void tty_atexit(void)
{
	console_tty_restore();
}

static bool is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE || sig == SIGTRAP;
}

static void tty_signal_handler(int sig, siginfo_t *si, void *uctx)
{
	int saved_errno = errno;

	(void)uctx;
	console_tty_restore();
	for (size_t i = 0; i < NR_TTY_SIGNALS; i++) {
		if (tty_signals[i] != sig)
			continue;
		sigaction(sig, &tty_old_actions[i], NULL);
		break;
	}
	/*
	 * A fault raised by the CPU (si_code > 0) happens again when we
	 * return, now reaching the previous handler with its real details
	 * (a core dump, or a sanitizer's report).  Anything else is sent
	 * again; it is blocked until this handler returns.
	 */
	if (!(is_fault(sig) && si && si->si_code > 0))
		raise(sig);
	errno = saved_errno;
}

static void tty_handlers_install(void)
{
	struct sigaction sa;

	if (tty_handlers_installed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = tty_signal_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NR_TTY_SIGNALS; i++)
		sigaction(tty_signals[i], &sa, &tty_old_actions[i]);
	tty_handlers_installed = true;
}

static void tty_handlers_remove(void)
{
	if (!tty_handlers_installed)
		return;
	for (size_t i = 0; i < NR_TTY_SIGNALS; i++)
		sigaction(tty_signals[i], &tty_old_actions[i], NULL);
	tty_handlers_installed = false;
}

/*
 * Raw input, output processing kept: the guest's line discipline does the
 * echo and editing, the host's no longer interferes.
 */
static int tty_enter_raw(int fd, bool signals)
{
	struct termios t;

	if (tty_state.active)
		return err_set("console: the terminal is already in raw mode");
	if (tcgetattr(fd, &t) < 0)
		return err_errno("console: tcgetattr");
	tty_state.saved = t;
	tty_state.fd = fd;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
				 IGNCR | ICRNL | IXON);
	t.c_oflag |= OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
	if (!signals)
		t.c_lflag &= ~(tcflag_t)ISIG;
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;

	if (!tty_atexit_registered) {
		if (atexit(tty_atexit))
			return err_set("console: atexit failed");
		tty_atexit_registered = true;
	}
	tty_handlers_install();
	/* Armed before the change, so a signal in between still restores. */
	tty_state.active = 1;
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		int e = errno;

		tty_state.active = 0;
		tty_handlers_remove();
		errno = e;
		return err_errno("console: tcsetattr");
	}
	return 0;
}

/* ---- Output ---- */

void console_write(void *con, const uint8_t *buf, size_t len)
{
	struct console *c = con;

	if (c->out_fd < 0)
		return;
	pthread_mutex_lock(&c->out_lock);
	while (len && !c->out_broken) {
		ssize_t n = write(c->out_fd, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Someone made the descriptor non-blocking: wait. */
			struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };

			poll(&p, 1, -1);
		} else {
			c->out_broken = true;
			log_warn("console: writing guest output failed (%s); further output is dropped",
				 n < 0 ? strerror(errno) : "nothing written");
		}
	}
	pthread_mutex_unlock(&c->out_lock);
}

static void eventfd_poke(int fd)
{
	uint64_t one = 1;

	/* A full counter (EAGAIN) still wakes the reader: nothing is lost. */
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("console: eventfd write: %s", strerror(errno));
}

static void eventfd_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("console: eventfd read: %s", strerror(errno));
}

void console_rx_ready(void *con)
{
	struct console *c = con;

	eventfd_poke(c->retry_fd);
}

/* ---- Input, on the main thread's event loop ---- */

static bool input_pending(const struct console *c)
{
	return c->pend_off < c->pend_len;
}

/* Offer the kept bytes to the sink; keep what it refuses. */
static void offer_pending(struct console *c)
{
	size_t n;

	if (!input_pending(c))
		return;
	n = c->input(c->input_ctx, c->pend + c->pend_off,
		     c->pend_len - c->pend_off);
	assert(n <= c->pend_len - c->pend_off);
	c->pend_off += n;
	atomic_fetch_add(&c->in_bytes, n);
	if (c->pend_off == c->pend_len)
		c->pend_off = c->pend_len = 0;
}

static void on_retry_timer(void *opaque, uint32_t events);

/*
 * Wait for input only while nothing is kept back (the kernel's pipe or tty
 * buffer holds the rest meanwhile); while bytes wait, a slow timer offers
 * them again even without a notice from the device.  A regular file never
 * blocks, so it is read on through the retry eventfd instead.
 */
static void input_rearm(struct console *c)
{
	bool want = c->in_open && !input_pending(c);

	if (c->in_src && c->in_watched != want &&
	    event_loop_modify(c->loop, c->in_src, want ? EPOLLIN : 0) == 0)
		c->in_watched = want;
	if (want && !c->in_pollable)
		eventfd_poke(c->retry_fd);
	if (input_pending(c) && !c->timer_src)
		c->timer_src = event_loop_add_timer(c->loop,
						    CONSOLE_RETRY_MS * 1000000ull,
						    true, on_retry_timer, c);
	else if (!input_pending(c) && c->timer_src) {
		event_loop_remove(c->loop, c->timer_src);
		c->timer_src = NULL;
	}
}

static void input_close(struct console *c)
{
	c->in_open = false;
}

static void print_help(void)
{
	size_t len = strlen(console_help_text);
	const char *p = console_help_text;

	while (len) {
		ssize_t n = write(STDERR_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/*
 * How much can be read without blocking: what FIONREAD reports (a
 * terminal, pipe or socket), capped to a chunk.  0 with EOF or an error
 * pending also reads (read returns at once).  stdin is never made
 * non-blocking: the open file description is shared with the shell.
 */
static size_t readable(struct console *c, uint32_t events)
{
	int avail = 0;

	if (!c->in_pollable)
		return CONSOLE_CHUNK; /* a regular file or /dev/null */
	if (ioctl(c->in_fd, FIONREAD, &avail) < 0 || avail < 0)
		avail = 0;
	if (avail > 0)
		return (size_t)avail < CONSOLE_CHUNK ? (size_t)avail :
						       CONSOLE_CHUNK;
	/* Readable with nothing to read: end of input, or an error. */
	return (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ? CONSOLE_CHUNK : 0;
}

static void read_input(struct console *c, uint32_t events)
{
	uint8_t buf[CONSOLE_CHUNK];
	size_t want = readable(c, events);
	bool quit = false;
	ssize_t n;

	if (!want)
		return;
	n = read(c->in_fd, buf, want);
	if (n == 0) {
		log_info("console: end of input");
		input_close(c);
		return;
	}
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		log_warn("console: reading input failed (%s); input is off",
			 strerror(errno));
		input_close(c);
		return;
	}
	for (ssize_t i = 0; i < n && !quit; i++) {
		uint8_t out;

		switch (console_escape_feed(&c->esc, buf[i], &out)) {
		case CONSOLE_ACT_FORWARD:
			c->pend[c->pend_len++] = out;
			break;
		case CONSOLE_ACT_HELP:
			print_help();
			break;
		case CONSOLE_ACT_QUIT:
			quit = true; /* the rest of the chunk is dropped */
			break;
		case CONSOLE_ACT_NONE:
			break;
		}
	}
	offer_pending(c);
	if (quit) {
		/* Stop reading; the VM is going away. */
		input_close(c);
		if (c->quit)
			c->quit(c->quit_ctx);
	}
}

/* in_fd is readable (data, EOF or an error). */
static void on_input(void *opaque, uint32_t events)
{
	struct console *c = opaque;

	if (c->in_open && !input_pending(c))
		read_input(c, events);
	input_rearm(c);
}

/* The device has room again (rx_ready), or a regular file reads on. */
static void on_retry(void *opaque, uint32_t events)
{
	struct console *c = opaque;

	(void)events;
	eventfd_drain(c->retry_fd);
	if (input_pending(c))
		offer_pending(c);
	else if (c->in_open && !c->in_pollable)
		read_input(c, 0);
	input_rearm(c);
}

static void on_retry_timer(void *opaque, uint32_t events)
{
	struct console *c = opaque;

	(void)events;
	offer_pending(c);
	input_rearm(c);
}

/* ---- Life cycle ---- */

struct console *console_create_fds(int in_fd, int out_fd, bool own_out,
				   bool signals)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c) {
		err_set("console: out of memory");
		if (own_out && out_fd >= 0)
			close(out_fd);
		return NULL;
	}
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->own_out = own_out;
	c->signals = signals;
	pthread_mutex_init(&c->out_lock, NULL);
	c->retry_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->retry_fd < 0) {
		err_errno("console: eventfd");
		console_destroy(c);
		return NULL;
	}
	return c;
}

struct console *console_create(const struct console_spec *spec)
{
	int in_fd = -1, out_fd;

	switch (spec->kind) {
	case CONSOLE_STDIO:
		/* A closed stdin (fd 0 not open) simply means no input. */
		if (fcntl(STDIN_FILENO, F_GETFD) >= 0)
			in_fd = STDIN_FILENO;
		return console_create_fds(in_fd, STDOUT_FILENO, false,
					  spec->signals);
	case CONSOLE_FILE:
		out_fd = open(spec->path,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (out_fd < 0) {
			err_errno("-serial file:%s", spec->path);
			return NULL;
		}
		return console_create_fds(-1, out_fd, true, false);
	case CONSOLE_NULL:
		return console_create_fds(-1, -1, false, false);
	case CONSOLE_NONE:
		break;
	}
	err_set("console: -serial none has no console");
	return NULL;
}

void console_set_input(struct console *c, console_input_fn fn, void *ctx)
{
	c->input = fn;
	c->input_ctx = ctx;
}

void console_set_quit(struct console *c, console_quit_fn fn, void *ctx)
{
	c->quit = fn;
	c->quit_ctx = ctx;
}

void console_attach(struct console *c, const struct chardev_port *port,
		    struct chardev_host *host)
{
	console_set_input(c, port->receive, port->dev);
	host->write = console_write;
	host->rx_ready = console_rx_ready;
	host->ctx = c;
}

/* Back to the terminal settings raw mode replaced, if it did. */
static void leave_raw(struct console *c)
{
	if (c->raw) {
		console_tty_restore();
		tty_handlers_remove();
		c->raw = false;
	}
}

int console_start(struct console *c, struct event_loop *loop)
{
	if (c->started)
		return 0;
	fflush(stdout); /* anything printed through stdio goes out first */
	if (c->in_fd < 0 || !c->input)
		return 0; /* output only: nothing to read, no terminal to set */

	if (isatty(c->in_fd)) {
		/*
		 * Reading, or changing the modes of, a terminal we do not
		 * own the foreground of stops the process (SIGTTIN/SIGTTOU),
		 * e.g. `minivmm ... &`: leave the terminal alone then.
		 */
		if (tcgetpgrp(c->in_fd) != getpgrp()) {
			log_info("console: stdin is a terminal in another process group; console input is off");
			return 0;
		}
		if (tty_enter_raw(c->in_fd, c->signals) < 0)
			return -1;
		c->raw = true;
	}

	c->loop = loop;
	c->in_open = true;
	c->retry_src = event_loop_add_fd(loop, c->retry_fd, EPOLLIN, on_retry, c);
	if (!c->retry_src)
		goto fail;
	c->in_src = event_loop_add_fd(loop, c->in_fd, EPOLLIN, on_input, c);
	c->in_pollable = c->in_src != NULL;
	if (!c->in_pollable && errno != EPERM)
		goto fail; /* err_msg() says why */
	c->in_watched = c->in_pollable;
	c->started = true;
	input_rearm(c);
	return 0;
fail:
	event_loop_remove(loop, c->retry_src);
	c->retry_src = NULL;
	c->in_open = false;
	c->loop = NULL;
	leave_raw(c);
	return -1;
}

void console_stop(struct console *c)
{
	if (!c)
		return;
	if (c->started) {
		event_loop_remove(c->loop, c->in_src);
		event_loop_remove(c->loop, c->retry_src);
		event_loop_remove(c->loop, c->timer_src);
		c->in_src = c->retry_src = c->timer_src = NULL;
		c->loop = NULL;
		c->started = false;
		c->in_open = false;
		/* Ready for another console_start(). */
		eventfd_drain(c->retry_fd);
	}
	leave_raw(c);
}

void console_destroy(void *con)
{
	struct console *c = con;

	if (!c)
		return;
	console_stop(c);
	if (c->retry_fd >= 0)
		close(c->retry_fd);
	if (c->own_out && c->out_fd >= 0)
		close(c->out_fd);
	pthread_mutex_destroy(&c->out_lock);
	free(c);
}

uint64_t console_input_bytes(struct console *c)
{
	return atomic_load(&c->in_bytes);
}
