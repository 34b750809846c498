/* SPDX-License-Identifier: MIT */
/*
 * The host side of the guest's serial console: where the UART's output
 * goes, where its input comes from, and the terminal in between.
 *
 *   -serial stdio[,signal=on|off]   guest output to stdout, host stdin to
 *                                   the guest (default)
 *   -serial file:PATH               guest output to PATH (truncated), no
 *                                   input
 *   -serial null                    a UART whose output is discarded
 *   -serial none                    no UART at all
 *
 * With stdio, the main thread's event loop (event_loop.h) watches stdin and
 * an eventfd the device pokes when its receive FIFO has room again.  Bytes
 * the device cannot take yet are kept and offered again: typed or piped
 * input is never dropped, and stdin is not read further until the kept
 * bytes are gone (the kernel's pipe or tty buffer holds the rest).  stdin
 * is never made non-blocking (its open file description is the shell's
 * too); a read takes only what FIONREAD says is there.
 * EOF on stdin just ends reading.
 *
 * When stdin is a terminal and minivmm is in its foreground process group,
 * the terminal is put in raw mode while the guest runs (no echo, no line
 * editing, no CR/LF translation on input; output post-processing stays on)
 * and restored on every way out: console_stop(), exit() (an atexit hook),
 * and fatal signals (a handler restores it, then lets the signal take its
 * previous course).  console_tty_restore() is async-signal-safe for paths
 * that leave with _exit().  With signal=off (default, as QEMU's -nographic)
 * Ctrl-C goes to the guest; signal=on leaves Ctrl-C to minivmm.
 *
 * Escapes, as QEMU's multiplexed stdio console has them, read from stdin
 * whether or not it is a terminal (so a pipe can quit the VM too):
 *   Ctrl-A x        quit: the quit callback runs (minivmm exits with 3)
 *   Ctrl-A h or ?   print the list of escapes (on stderr)
 *   Ctrl-A Ctrl-A   send one Ctrl-A to the guest
 *   Ctrl-A other    ignored, both bytes are swallowed (QEMU does so too)
 */
#ifndef MINIVMM_CONSOLE_H
#define MINIVMM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum console_kind {
	CONSOLE_STDIO = 0, /* the default */
	CONSOLE_FILE,
	CONSOLE_NULL,
	CONSOLE_NONE, /* no serial port is created */
};

#define CONSOLE_PATH_MAX 256

/* The parsed -serial option: pure data, goes into struct vm_config. */
struct console_spec {
	enum console_kind kind;
	char path[CONSOLE_PATH_MAX]; /* CONSOLE_FILE */
	bool signals; /* stdio,signal=on: Ctrl-C stays with minivmm */
};

/* Defaults: stdio, signal=off. */
void console_spec_init(struct console_spec *spec);
/* Parse a -serial argument; -1 with err_msg() on anything else. */
int console_parse(const char *arg, struct console_spec *spec);
/* "stdio", "file:PATH", "null" or "none" (into buf, for -v). */
const char *console_spec_str(const struct console_spec *spec, char *buf,
			     size_t size);

/* ---- Escape sequences: a pure state machine, testable on its own. ---- */

#define CONSOLE_ESCAPE_CHAR 0x01 /* Ctrl-A */

enum console_action {
	CONSOLE_ACT_NONE, /* byte consumed (escape prefix or unknown) */
	CONSOLE_ACT_FORWARD, /* send *out to the guest */
	CONSOLE_ACT_QUIT,
	CONSOLE_ACT_HELP,
};

struct console_escape {
	bool armed; /* the previous byte was the escape character */
};

/* Feed one input byte; on CONSOLE_ACT_FORWARD *out is the guest byte. */
enum console_action console_escape_feed(struct console_escape *esc,
					uint8_t in, uint8_t *out);

/* The text Ctrl-A h prints. */
extern const char console_help_text[];

/* ---- The console itself. ---- */

struct console;

/* Takes what it can of buf and returns the count (the UART's receive). */
typedef size_t (*console_input_fn)(void *ctx, const uint8_t *buf, size_t len);
typedef void (*console_quit_fn)(void *ctx);

/*
 * Open what spec names (the output file for CONSOLE_FILE).  CONSOLE_NONE
 * is a setup error here: the caller creates no console then.  NULL with
 * err_msg() on failure.
 */
struct console *console_create(const struct console_spec *spec);
/*
 * The same with explicit descriptors (tests): in_fd -1 means no input,
 * out_fd -1 discards output; out_fd is closed by console_destroy() when
 * own_out.  Escape handling and raw mode work as for stdio.
 */
struct console *console_create_fds(int in_fd, int out_fd, bool own_out,
				   bool signals);
/* Stops reading input (console_stop) and frees; takes a struct console *. */
void console_destroy(void *con);

/* Where input goes, and what Ctrl-A x calls.  Before console_start(). */
void console_set_input(struct console *con, console_input_fn fn, void *ctx);
void console_set_quit(struct console *con, console_quit_fn fn, void *ctx);

/*
 * Connect a character device both ways (chardev.h): console input goes to
 * port->receive, and *host is filled with what the device calls: the
 * console's write and rx-ready functions.  Before console_start().
 */
struct chardev_host;
struct chardev_port;
void console_attach(struct console *con, const struct chardev_port *port,
		    struct chardev_host *host);

/*
 * Output from the guest (a struct chardev_host's write): written in
 * full, waiting if the descriptor is non-blocking and full.  Only an error
 * such as EPIPE loses output; it is reported once.
 */
void console_write(void *con, const uint8_t *buf, size_t len);
/* The receiver has room again (a struct chardev_host's rx_ready): retry
 * input. */
void console_rx_ready(void *con);

/*
 * Raw mode (if stdin is a foreground terminal) and input through `loop`
 * (if there is input and a sink for it); the callbacks run on the loop's
 * thread.  -1 with err_msg().
 */
struct event_loop;
int console_start(struct console *con, struct event_loop *loop);
/* Leave the loop and restore the terminal; idempotent. */
void console_stop(struct console *con);

/* Put the terminal back as it was before raw mode; async-signal-safe. */
void console_tty_restore(void);

/* Bytes passed to the input sink so far (for --stats and tests). */
uint64_t console_input_bytes(struct console *con);

#endif
