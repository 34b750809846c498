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
#include <sys/eventfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "chardev.h"
#include "log.h"

/* Bytes read from stdin at a time; also the size of the kept-back buffer. */
#define CONSOLE_CHUNK 256
/*
 * While bytes wait for room in the UART, offer them again at this pace
 * even without a notice from the device (a safety net; the notice is what
 * normally wakes us).
 */
#define CONSOLE_RETRY_MS 200
/* How long console_stop() waits for the thread before cancelling it. */
#define CONSOLE_JOIN_MS 1000

enum { TAG_STOP = 1, TAG_RETRY, TAG_INPUT };

struct console {
	int in_fd; /* -1: no input */
	int out_fd; /* -1: output discarded */
	bool own_out;
	bool signals; /* leave ISIG on in raw mode */

	pthread_mutex_t out_lock; /* one writer at a time, bytes in order */
	bool out_broken; /* a write failed for good; reported once */

	int epoll_fd;
	int stop_fd; /* eventfd: the thread ends */
	int retry_fd; /* eventfd: the UART has room again */
	bool in_pollable; /* epoll accepts in_fd (not a regular file) */
	bool in_watched; /* in_fd is in the epoll set right now */
	bool in_open; /* no EOF, error or quit yet */

	pthread_t thread;
	bool thread_started;
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

/* ---- Input thread ---- */

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

/* Put in_fd in the epoll set only while we want to read it. */
static void watch_input(struct console *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_INPUT };

	if (!c->in_pollable || c->in_watched == on)
		return;
	if (epoll_ctl(c->epoll_fd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
		      c->in_fd, &ev) == 0)
		c->in_watched = on;
}

static void input_close(struct console *c)
{
	watch_input(c, false);
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

static void read_input(struct console *c)
{
	uint8_t buf[CONSOLE_CHUNK];
	bool quit = false;
	ssize_t n;
	int old;

	/*
	 * The only place the thread may be cancelled: console_stop() does so
	 * if a read that epoll promised would not block blocks after all.
	 */
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	n = read(c->in_fd, buf, sizeof(buf));
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
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

static void *console_thread(void *arg)
{
	struct console *c = arg;
	int old;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	for (;;) {
		struct epoll_event ev[4];
		bool want = c->in_open && !input_pending(c);
		bool ready = false;
		int timeout = -1, n;

		watch_input(c, want);
		if (input_pending(c)) {
			timeout = CONSOLE_RETRY_MS;
		} else if (want && !c->in_pollable) {
			/* A regular file (or /dev/null) never blocks. */
			timeout = 0;
			ready = true;
		}
		n = epoll_wait(c->epoll_fd, ev, 4, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("console: epoll_wait: %s; input is off",
				  strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			switch (ev[i].data.u32) {
			case TAG_STOP:
				return NULL;
			case TAG_RETRY:
				eventfd_drain(c->retry_fd);
				break;
			case TAG_INPUT:
				ready = true; /* data, EOF (HUP) or an error */
				break;
			}
		}
		if (input_pending(c))
			offer_pending(c);
		else if (ready && c->in_open)
			read_input(c);
	}
	return NULL;
}

/* ---- Life cycle ---- */

static int epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

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
	c->epoll_fd = c->stop_fd = c->retry_fd = -1;
	pthread_mutex_init(&c->out_lock, NULL);
	c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->retry_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->epoll_fd < 0 || c->stop_fd < 0 || c->retry_fd < 0 ||
	    epoll_add(c->epoll_fd, c->stop_fd, TAG_STOP) < 0 ||
	    epoll_add(c->epoll_fd, c->retry_fd, TAG_RETRY) < 0) {
		err_errno("console: epoll/eventfd");
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

/* Every signal blocked in the input thread but the synchronous faults. */
static void thread_sigmask(sigset_t *set)
{
	sigfillset(set);
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGILL);
	sigdelset(set, SIGFPE);
	sigdelset(set, SIGTRAP);
	sigdelset(set, SIGABRT);
	sigdelset(set, SIGSYS);
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

int console_start(struct console *c)
{
	sigset_t set, old;
	int r;

	if (c->thread_started)
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

	c->in_open = true;
	c->in_pollable = epoll_add(c->epoll_fd, c->in_fd, TAG_INPUT) == 0;
	if (!c->in_pollable && errno != EPERM) {
		err_errno("console: epoll on input");
		goto fail;
	}
	c->in_watched = c->in_pollable;

	thread_sigmask(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	r = pthread_create(&c->thread, NULL, console_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		errno = r;
		err_errno("console: pthread_create");
		goto fail;
	}
	c->thread_started = true;
	return 0;
fail:
	watch_input(c, false);
	c->in_open = false;
	leave_raw(c);
	return -1;
}

static void join_thread(struct console *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += CONSOLE_JOIN_MS / 1000;
	ts.tv_nsec += (CONSOLE_JOIN_MS % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (pthread_timedjoin_np(c->thread, NULL, &ts) == 0)
		return;
	/* Stuck in read(): the one cancellation point it has. */
	pthread_cancel(c->thread);
	pthread_join(c->thread, NULL);
}

void console_stop(struct console *c)
{
	if (!c)
		return;
	if (c->thread_started) {
		eventfd_poke(c->stop_fd);
		join_thread(c);
		c->thread_started = false;
		/* Ready for another console_start(). */
		eventfd_drain(c->stop_fd);
		watch_input(c, false);
		c->in_open = false;
	}
	leave_raw(c);
}

void console_destroy(void *con)
{
	struct console *c = con;

	if (!c)
		return;
	console_stop(c);
	if (c->epoll_fd >= 0)
		close(c->epoll_fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
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
