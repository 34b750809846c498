// SPDX-License-Identifier: MIT
/*
 * The gdb stub (gdb.h): connection, packets, stop and resume.  The packet
 * framing is rsp.c's; what depends on the CPU is gdb_arch.h's.
 */
#include "gdb/gdb.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "event_loop.h"
#include "gdb/gdb_arch.h"
#include "gdb/rsp.h"
#include "log.h"
#include "strbuf.h"
#include "vm.h"

/* Software breakpoints at once (gdb rarely sets more than a handful). */
#define GDB_MAX_SW 64
/* How long a reply may wait for the debugger to read (then it is dropped). */
#define GDB_SEND_TIMEOUT_S 10

struct gdb_sw_bp {
	uint64_t addr; /* guest virtual, as gdb gave it */
	uint64_t gpa; /* translated when gdb set it */
	uint8_t orig[8]; /* the guest's bytes while inserted */
	bool inserted;
};

struct gdb_cpu {
	_Atomic bool has_stop; /* a debug exit recorded (vcpu thread) */
	struct gdb_stop stop;
	bool watch_step; /* stepped for watch_by_step, not for gdb */
};

enum gdb_action { ACT_NONE, ACT_CONT, ACT_STEP };

struct gdb_stub {
	struct vm *vm;
	int listen_fd;
	struct event_source *listen_src;
	int conn_fd; /* -1: no debugger */
	struct event_source *conn_src;
	bool tty; /* conn_fd is a serial line: always "connected" */
	bool drop; /* the connection failed; close it after this packet */
	int wake_fd; /* vCPUs -> main thread: a stop was recorded */
	struct event_source *wake_src;

	bool running; /* the vCPUs were released by c/s/vCont */
	bool killed; /* gdb sent k: it expects no more replies */
	bool noack;
	/*
	 * Software breakpoints go in the debug registers instead of as
	 * breakpoint instructions: PVM does not report a guest's int3 to us
	 * (it runs the guest's own #BP handler), so there they would be lost.
	 */
	bool sw_in_dr;
	/*
	 * Write watchpoints by single-stepping every running vCPU and
	 * comparing the watched bytes after each instruction: PVM does not
	 * implement data breakpoints (read and access watchpoints are then
	 * refused).  watch_old: the bytes when the guest was released.
	 */
	bool watch_by_step;
	uint8_t watch_old[GDB_MAX_HW][8];
	int layout; /* -1 until gdb asks for the registers or target.xml */
	unsigned g_cpu, c_cpu; /* Hg and Hc */
	char last_stop[64]; /* for '?' */

	struct gdb_sw_bp sw[GDB_MAX_SW];
	unsigned nr_sw;
	struct gdb_hw_point hw[GDB_MAX_HW];
	unsigned nr_hw;
	struct gdb_cpu *cpus;

	struct rsp_parser parser;
	char reply[RSP_MAX_PACKET + 1];
	size_t reply_len;
	char frame[2 * RSP_MAX_PACKET + 8]; /* the last one sent, for '-' */
	size_t frame_len;
	uint8_t buf[RSP_MAX_PACKET]; /* registers and memory in binary */
};

/* ---- Sending ---- */

static void conn_write(struct gdb_stub *g, const void *data, size_t len)
{
	const char *p = data;

	while (len && !g->drop) {
		ssize_t n = g->tty ? write(g->conn_fd, p, len) :
				     send(g->conn_fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("gdb: the debugger does not take its reply (%s); dropping it",
				 n < 0 ? strerror(errno) : "closed");
			g->drop = true;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void send_reply(struct gdb_stub *g)
{
	g->frame_len = rsp_frame(g->frame, sizeof(g->frame), g->reply,
				 g->reply_len, false);
	if (!g->frame_len) {
		/* Cannot happen with replies bounded by RSP_MAX_PACKET. */
		g->frame_len = rsp_frame(g->frame, sizeof(g->frame), "E01", 3,
					 false);
	}
	conn_write(g, g->frame, g->frame_len);
}

static void reply_str(struct gdb_stub *g, const char *s)
{
	size_t n = strlen(s);

	memcpy(g->reply, s, n);
	g->reply_len = n;
}

static void reply_fmt(struct gdb_stub *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reply_fmt(struct gdb_stub *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(g->reply, sizeof(g->reply), fmt, ap);
	va_end(ap);
	g->reply_len = n < 0 ? 0 : (size_t)n < sizeof(g->reply) ? (size_t)n :
				     sizeof(g->reply) - 1;
}

/* Errors: gdb shows the number; EINVAL 22, EFAULT 14, ENOSPC 28. */
static void reply_err(struct gdb_stub *g, int code)
{
	reply_fmt(g, "E%02x", code & 0xff);
}

static void reply_hex(struct gdb_stub *g, const uint8_t *data, size_t n)
{
	rsp_hex_encode(data, n, g->reply);
	g->reply_len = 2 * n;
}

/* ---- Stopping and resuming the guest ---- */

static struct vcpu *cpu(struct gdb_stub *g, unsigned i)
{
	return &g->vm->vcpus[i < g->vm->nr_vcpus ? i : 0];
}

/*
 * Code the stub wrote into guest memory is what the vCPU must execute:
 * arm64's instruction cache is not coherent with the data writes (a no-op
 * on x86).
 */
static void sync_icache(void *hva, size_t len)
{
	if (!hva)
		return;
	__builtin___clear_cache((char *)hva, (char *)hva + len);
}

/*
 * Read or write guest virtual memory, one page at a time through the
 * checked door; returns the bytes done before the first page that is not
 * mapped or not memory (len when all went well).
 */
static uint64_t access_mem(struct gdb_stub *g, struct vcpu *v, uint64_t addr,
			   uint8_t *buf, uint64_t len, bool write)
{
	uint64_t done = 0;

	while (done < len) {
		uint64_t gpa, left, n;
		int r;

		if (gdb_arch_translate(v, addr + done, &gpa, &left) < 0)
			break;
		n = len - done < left ? len - done : left;
		r = write ? copy_to_guest(&g->vm->mem, gpa, buf + done, n) :
			    copy_from_guest(&g->vm->mem, buf + done, gpa, n);
		if (r < 0)
			break;
		if (write) /* gdb may be patching code (NULL across regions) */
			sync_icache(gpa_to_hva(&g->vm->mem, gpa, n), n);
		done += n;
	}
	return done;
}

static void sw_remove_all(struct gdb_stub *g)
{
	size_t ilen;
	const uint8_t *insn = gdb_arch_break_insn(&ilen);

	for (unsigned i = 0; i < g->nr_sw; i++) {
		struct gdb_sw_bp *b = &g->sw[i];
		uint8_t *hva;

		if (!b->inserted)
			continue;
		b->inserted = false;
		hva = gpa_to_hva(&g->vm->mem, b->gpa, ilen);
		/* The guest may have written over it since: keep its bytes. */
		if (hva && !memcmp(hva, insn, ilen)) {
			memcpy(hva, b->orig, ilen);
			sync_icache(hva, ilen);
		}
	}
}

static void sw_insert_all(struct gdb_stub *g)
{
	size_t ilen;
	const uint8_t *insn = gdb_arch_break_insn(&ilen);

	if (g->sw_in_dr)
		return;
	for (unsigned i = 0; i < g->nr_sw; i++) {
		struct gdb_sw_bp *b = &g->sw[i];
		/* ROM too: a breakpoint in firmware is what a debugger is for. */
		uint8_t *hva = gpa_to_hva(&g->vm->mem, b->gpa, ilen);

		if (!hva || b->inserted)
			continue;
		memcpy(b->orig, hva, ilen);
		memcpy(hva, insn, ilen);
		sync_icache(hva, ilen);
		b->inserted = true;
	}
}

static bool sw_bp_at(const struct gdb_stub *g, uint64_t addr)
{
	for (unsigned i = 0; i < g->nr_sw; i++)
		if (g->sw[i].addr == addr)
			return true;
	return false;
}

/*
 * The debug state a vCPU runs with: gdb's hardware points and, where the
 * software breakpoints live in the debug registers too (sw_in_dr), those.
 */
static void debug_state(const struct gdb_stub *g, bool step,
			struct gdb_debug *dbg)
{
	memset(dbg, 0, sizeof(*dbg));
	for (unsigned i = 0; i < g->nr_hw; i++)
		if (!g->watch_by_step || g->hw[i].type == GDB_POINT_HW)
			dbg->hw[dbg->nr_hw++] = g->hw[i];
	if (g->sw_in_dr) {
		size_t ilen;

		gdb_arch_break_insn(&ilen);
		for (unsigned i = 0; i < g->nr_sw && dbg->nr_hw < GDB_MAX_HW; i++) {
			dbg->hw[dbg->nr_hw].type = GDB_POINT_HW;
			dbg->hw[dbg->nr_hw].addr = g->sw[i].addr;
			dbg->hw[dbg->nr_hw++].len = ilen;
		}
	} else {
		dbg->sw_bp = g->nr_sw > 0;
	}
	dbg->step = step;
	dbg->enable = step || dbg->sw_bp || dbg->nr_hw;
}

static bool stepped_watches(const struct gdb_stub *g)
{
	if (g->watch_by_step)
		for (unsigned i = 0; i < g->nr_hw; i++)
			if (g->hw[i].type != GDB_POINT_HW)
				return true;
	return false;
}

static int set_debug(struct gdb_stub *g, struct vcpu *v, bool enable,
		     bool step)
{
	struct gdb_debug dbg;
	bool watch = enable && !step && stepped_watches(g);

	debug_state(g, step || watch, &dbg);
	dbg.step_irqs = watch;
	if (!enable)
		memset(&dbg, 0, sizeof(dbg));
	g->cpus[v->id].watch_step = watch;
	v->debug_step = dbg.step;
	return gdb_arch_set_debug(v, &dbg);
}

/* Park every vCPU (they may be parked already). */
static int stop_all(struct gdb_stub *g)
{
	if (vcpu_pause_all(g->vm) < 0) {
		log_warn("gdb: %s", err_msg());
		return -1;
	}
	g->running = false;
	sw_remove_all(g);
	for (unsigned i = 0; i < g->vm->nr_vcpus; i++)
		vcpu_set_held(&g->vm->vcpus[i], false);
	return 0;
}

/*
 * Run the vCPUs as `act` says (one entry per vCPU).  The ones with
 * ACT_NONE stay parked.  Breakpoints go in first.
 */
static int resume(struct gdb_stub *g, const enum gdb_action *act)
{
	struct vm *vm = g->vm;

	sw_insert_all(g);
	for (unsigned i = 0; i < g->nr_hw; i++)
		if (g->watch_by_step && g->hw[i].type != GDB_POINT_HW)
			access_mem(g, cpu(g, g->g_cpu), g->hw[i].addr,
				   g->watch_old[i], g->hw[i].len, false);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		atomic_store(&g->cpus[i].has_stop, false);
		if (set_debug(g, v, true, act[i] == ACT_STEP) < 0) {
			log_warn("gdb: %s", err_msg());
			sw_remove_all(g);
			return -1;
		}
		vcpu_set_held(v, act[i] == ACT_NONE);
	}
	g->running = true;
	vcpu_resume_all(vm);
	return 0;
}

/* Take everything out and let the guest run on (detach, disconnect). */
static void release_guest(struct gdb_stub *g)
{
	struct vm *vm = g->vm;

	if (g->running && stop_all(g) < 0)
		return;
	g->nr_sw = 0;
	g->nr_hw = 0;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		set_debug(g, &vm->vcpus[i], false, false);
		atomic_store(&g->cpus[i].has_stop, false);
	}
	g->running = true;
	vcpu_resume_all(vm);
}

/* Signals of a stop reply: a debug event, an interrupt (Ctrl-C). */
#define GDB_SIGTRAP 5
#define GDB_SIGINT 2

/* The stop reply for vCPU `id`: signal `sig`, and what `st` (if any) says. */
static void format_stop(struct gdb_stub *g, unsigned id, int sig,
			const struct gdb_stop *st)
{
	size_t len = 0;
	char *s = g->last_stop;
	size_t cap = sizeof(g->last_stop);

	strbuf_appendf(s, cap, &len, "T%02xthread:%x;", sig, id + 1);
	if (!st)
		return;
	switch (st->kind) {
	case GDB_STOP_SWBREAK:
		strbuf_appendf(s, cap, &len, "swbreak:;");
		break;
	case GDB_STOP_HWBREAK:
		strbuf_appendf(s, cap, &len, "hwbreak:;");
		break;
	case GDB_STOP_WATCH:
		strbuf_appendf(s, cap, &len, "%s:%llx;",
			       st->watch_type == GDB_POINT_READ   ? "rwatch" :
			       st->watch_type == GDB_POINT_ACCESS ? "awatch" :
								    "watch",
			       (unsigned long long)st->watch_addr);
		break;
	default:
		break;
	}
}

/*
 * The guest is stopped (every vCPU parked): tell gdb why, from the
 * lowest-numbered vCPU with a recorded stop (or SIGINT, for an interrupt).
 */
static void report_stop(struct gdb_stub *g)
{
	unsigned id = g->c_cpu < g->vm->nr_vcpus ? g->c_cpu : 0;
	const struct gdb_stop *st = NULL;

	for (unsigned i = 0; i < g->vm->nr_vcpus; i++) {
		if (atomic_load(&g->cpus[i].has_stop)) {
			id = i;
			st = &g->cpus[i].stop;
			break;
		}
	}
	format_stop(g, id, st ? GDB_SIGTRAP : GDB_SIGINT, st);
	for (unsigned i = 0; i < g->vm->nr_vcpus; i++)
		atomic_store(&g->cpus[i].has_stop, false);
	g->g_cpu = g->c_cpu = id;
	reply_str(g, g->last_stop);
	send_reply(g);
}

/*
 * watch_by_step, after one instruction of vcpu (its thread): whether a
 * watched byte changed; the stop then says which watchpoint.
 */
static bool watch_changed(struct gdb_stub *g, struct vcpu *vcpu,
			  struct gdb_stop *stop)
{
	for (unsigned i = 0; i < g->nr_hw; i++) {
		const struct gdb_hw_point *p = &g->hw[i];
		uint8_t now[8];

		if (p->type == GDB_POINT_HW ||
		    access_mem(g, vcpu, p->addr, now, p->len, false) != p->len ||
		    !memcmp(now, g->watch_old[i], p->len))
			continue;
		stop->kind = GDB_STOP_WATCH;
		stop->watch_addr = p->addr;
		stop->watch_type = p->type;
		return true;
	}
	return false;
}

/* KVM_EXIT_DEBUG, on the vCPU's thread. */
static enum vcpu_exit_action on_debug_exit(struct vcpu *vcpu)
{
	struct gdb_stub *g = vcpu->vm->gdb;
	struct gdb_cpu *c = &g->cpus[vcpu->id];
	struct gdb_debug dbg;
	uint64_t one = 1;

	debug_state(g, vcpu->debug_step, &dbg);
	if (vcpu->step_done) {
		vcpu->step_done = false;
		memset(&c->stop, 0, sizeof(c->stop));
		c->stop.kind = GDB_STOP_STEP;
	} else {
		gdb_arch_debug_exit(vcpu, &dbg, &c->stop);
		/* A software breakpoint kept in a debug register. */
		if (c->stop.kind == GDB_STOP_HWBREAK && g->sw_in_dr &&
		    sw_bp_at(g, c->stop.pc))
			c->stop.kind = GDB_STOP_SWBREAK;
	}
	if (c->watch_step && c->stop.kind == GDB_STOP_STEP &&
	    !watch_changed(g, vcpu, &c->stop))
		return VCPU_EXIT_CONTINUE; /* nothing written: step on */
	/* The guest's own breakpoint instruction: it is the guest's. */
	if (c->stop.kind == GDB_STOP_SWBREAK && !sw_bp_at(g, c->stop.pc)) {
		log_info("gdb: vcpu%u: a breakpoint instruction of the guest's own at 0x%llx",
			 vcpu->id, (unsigned long long)c->stop.pc);
		if (gdb_arch_reinject_break(vcpu, &dbg) == 0)
			return VCPU_EXIT_CONTINUE;
	}
	atomic_store(&c->has_stop, true);
	if (write(g->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("gdb: cannot wake the main thread: %s", strerror(errno));
	return VCPU_EXIT_PARK;
}

static void on_wake(void *opaque, uint32_t events)
{
	struct gdb_stub *g = opaque;
	uint64_t v;

	(void)events;
	if (read(g->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("gdb: eventfd: %s", strerror(errno));
	/* A stop that comes after an interrupt stopped the guest waits. */
	if (!g->running || g->conn_fd < 0 || atomic_load(&g->vm->stopping))
		return;
	if (stop_all(g) < 0)
		return;
	report_stop(g);
}

/* ---- Packets ---- */

static int ensure_layout(struct gdb_stub *g)
{
	if (g->layout < 0)
		g->layout = gdb_arch_layout(cpu(g, 0));
	return g->layout;
}

static int parse_thread(const char *s, long *tid)
{
	uint64_t v;

	if (!strcmp(s, "-1")) {
		*tid = -1;
		return 0;
	}
	if (rsp_parse_hex(&s, &v) < 0 || *s || v > 0x7fffffff)
		return -1;
	*tid = (long)v;
	return 0;
}

/* gdb's thread id -> vCPU index; 0 and -1 ("any", "all") keep `cur`. */
static int thread_cpu(struct gdb_stub *g, long tid, unsigned cur,
		      unsigned *out)
{
	if (tid <= 0) {
		*out = cur;
		return 0;
	}
	if ((unsigned long)tid > g->vm->nr_vcpus)
		return -1;
	*out = (unsigned)tid - 1;
	return 0;
}

/* "addr,len" at *s; advances past it. */
static int parse_addr_len(const char **s, uint64_t *addr, uint64_t *len)
{
	if (rsp_parse_hex(s, addr) < 0 || **s != ',')
		return -1;
	(*s)++;
	return rsp_parse_hex(s, len);
}

static void cmd_read_mem(struct gdb_stub *g, const char *args)
{
	uint64_t addr, len, done;

	if (parse_addr_len(&args, &addr, &len) < 0 || *args)
		return reply_err(g, 22);
	if (len > RSP_MAX_PACKET / 2)
		len = RSP_MAX_PACKET / 2;
	/* A short read is allowed (gdb asks again for the rest); none is not. */
	done = access_mem(g, cpu(g, g->g_cpu), addr, g->buf, len, false);
	if (!done && len)
		return reply_err(g, 14);
	reply_hex(g, g->buf, done);
}

static void cmd_write_mem(struct gdb_stub *g, const char *args, size_t n,
			  bool binary)
{
	const char *p = args;
	uint64_t addr, len;
	long got;

	if (parse_addr_len(&p, &addr, &len) < 0 || *p != ':')
		return reply_err(g, 22);
	p++;
	n -= (size_t)(p - args);
	if (binary) {
		if (len > sizeof(g->buf) || n > sizeof(g->buf))
			return reply_err(g, 22);
		memcpy(g->buf, p, n);
		got = rsp_unescape(g->buf, n);
		if (got < 0 || (uint64_t)got != len)
			return reply_err(g, 22);
	} else {
		if (len > sizeof(g->buf) || n != 2 * len ||
		    rsp_hex_decode(p, len, g->buf) < 0)
			return reply_err(g, 22);
	}
	if (access_mem(g, cpu(g, g->g_cpu), addr, g->buf, len, true) != len)
		return reply_err(g, 14);
	reply_str(g, "OK");
}

static void cmd_read_regs(struct gdb_stub *g)
{
	int n = gdb_arch_read_regs(cpu(g, g->g_cpu), ensure_layout(g), g->buf,
				   GDB_REGS_MAX);

	if (n < 0) {
		log_warn("gdb: %s", err_msg());
		return reply_err(g, 14);
	}
	reply_hex(g, g->buf, (size_t)n);
}

/* n hex digits of register values into g->buf: the byte count, or -1. */
static long regs_from_hex(struct gdb_stub *g, const char *hex, size_t n)
{
	if (n % 2 || n / 2 > GDB_REGS_MAX || rsp_hex_decode(hex, n / 2, g->buf) < 0)
		return -1;
	return (long)(n / 2);
}

static void cmd_write_regs(struct gdb_stub *g, const char *hex, size_t n)
{
	long len = regs_from_hex(g, hex, n);

	if (len < 0)
		return reply_err(g, 22);
	if (gdb_arch_write_regs(cpu(g, g->g_cpu), ensure_layout(g), g->buf,
				(size_t)len) < 0) {
		log_warn("gdb: G: %s", err_msg());
		return reply_err(g, 22);
	}
	reply_str(g, "OK");
}

static void cmd_read_reg(struct gdb_stub *g, const char *args)
{
	uint64_t regno;
	int n;

	if (rsp_parse_hex(&args, &regno) < 0 || *args || regno > 0xffff)
		return reply_err(g, 22);
	n = gdb_arch_read_reg(cpu(g, g->g_cpu), ensure_layout(g),
			      (unsigned)regno, g->buf, GDB_REGS_MAX);
	if (n <= 0)
		return reply_err(g, n < 0 ? 14 : 22);
	reply_hex(g, g->buf, (size_t)n);
}

static void cmd_write_reg(struct gdb_stub *g, const char *args)
{
	uint64_t regno;
	long len;

	if (rsp_parse_hex(&args, &regno) < 0 || *args != '=' || regno > 0xffff)
		return reply_err(g, 22);
	args++;
	len = regs_from_hex(g, args, strlen(args));
	if (len < 0)
		return reply_err(g, 22);
	if (gdb_arch_write_reg(cpu(g, g->g_cpu), ensure_layout(g),
			       (unsigned)regno, g->buf, (size_t)len) < 0)
		return reply_err(g, 22);
	reply_str(g, "OK");
}

/* Whether the debug registers hold every point asked for. */
static int points_fit(const struct gdb_stub *g)
{
	struct gdb_debug dbg;

	debug_state(g, false, &dbg);
	for (unsigned i = 0; i < g->nr_hw && g->watch_by_step; i++) {
		if (g->hw[i].type == GDB_POINT_READ ||
		    g->hw[i].type == GDB_POINT_ACCESS)
			return err_set("read and access watchpoints need data breakpoints, which this KVM (PVM) does not have");
		if (g->hw[i].len > sizeof(g->watch_old[0]))
			return err_set("a watchpoint covers at most 8 bytes");
	}
	if (gdb_arch_hw_check(g->vm, dbg.hw, dbg.nr_hw) < 0) {
		log_info("gdb: %s", err_msg());
		return -1;
	}
	return 0;
}

/* Z/z type,addr,kind */
static void cmd_point(struct gdb_stub *g, const char *args, bool insert)
{
	uint64_t type, addr, kind;
	size_t ilen;

	gdb_arch_break_insn(&ilen);
	if (rsp_parse_hex(&args, &type) < 0 || *args++ != ',' ||
	    parse_addr_len(&args, &addr, &kind) < 0)
		return reply_err(g, 22);
	/* Conditions and commands (";X..."): not offered, so refused. */
	if (*args)
		return reply_err(g, 22);
	if (type == GDB_POINT_SW) {
		unsigned i;

		for (i = 0; i < g->nr_sw && g->sw[i].addr != addr; i++)
			;
		if (!insert) {
			if (i < g->nr_sw)
				g->sw[i] = g->sw[--g->nr_sw];
			return reply_str(g, "OK");
		}
		if (kind != ilen)
			return reply_err(g, 22);
		if (i < g->nr_sw)
			return reply_str(g, "OK");
		if (g->nr_sw == GDB_MAX_SW)
			return reply_err(g, 28);
		{
			struct gdb_sw_bp *b = &g->sw[g->nr_sw];
			uint64_t left;

			memset(b, 0, sizeof(*b));
			b->addr = addr;
			if (gdb_arch_translate(cpu(g, g->g_cpu), addr, &b->gpa,
					       &left) < 0 ||
			    left < ilen ||
			    !gpa_to_hva(&g->vm->mem, b->gpa, ilen))
				return reply_err(g, 14);
		}
		g->nr_sw++;
		if (points_fit(g) < 0) {
			g->nr_sw--;
			return reply_err(g, 28);
		}
		log_info("gdb: breakpoint at 0x%llx (guest-physical 0x%llx)",
			 (unsigned long long)addr,
			 (unsigned long long)g->sw[g->nr_sw - 1].gpa);
		return reply_str(g, "OK");
	}
	if (type > GDB_POINT_ACCESS)
		return reply_str(g, ""); /* not supported */
	{
		unsigned i;

		for (i = 0; i < g->nr_hw; i++)
			if (g->hw[i].type == (enum gdb_point_type)type &&
			    g->hw[i].addr == addr && g->hw[i].len == kind)
				break;
		if (!insert) {
			if (i < g->nr_hw) {
				memmove(&g->hw[i], &g->hw[i + 1],
					(g->nr_hw - i - 1) * sizeof(g->hw[0]));
				g->nr_hw--;
			}
			return reply_str(g, "OK");
		}
		if (i < g->nr_hw)
			return reply_str(g, "OK");
		if (g->nr_hw == GDB_MAX_HW)
			return reply_err(g, 28);
		g->hw[g->nr_hw].type = (enum gdb_point_type)type;
		g->hw[g->nr_hw].addr = addr;
		g->hw[g->nr_hw].len = kind;
		g->nr_hw++;
		if (points_fit(g) < 0) {
			g->nr_hw--;
			return reply_err(g, 28);
		}
		reply_str(g, "OK");
	}
}

/* c, s, and vCont;ACTION[:TID]...: the leftmost action naming a vCPU wins. */
static int cmd_resume(struct gdb_stub *g, const char *pkt)
{
	enum gdb_action act[CONFIG_MAX_CPUS];
	unsigned n = g->vm->nr_vcpus;
	bool any = false;

	for (unsigned i = 0; i < n; i++)
		act[i] = ACT_NONE;
	if (pkt[0] == 'c' || pkt[0] == 'C') {
		for (unsigned i = 0; i < n; i++)
			act[i] = ACT_CONT;
	} else if (pkt[0] == 's' || pkt[0] == 'S') {
		act[g->c_cpu < n ? g->c_cpu : 0] = ACT_STEP;
	} else {
		const char *p = pkt + strlen("vCont");

		while (*p == ';') {
			enum gdb_action a;
			long tid = -1;
			char c = *++p;

			if (c == 'c' || c == 'C')
				a = ACT_CONT;
			else if (c == 's' || c == 'S')
				a = ACT_STEP;
			else if (c == 't')
				a = ACT_NONE;
			else
				return -1;
			p++;
			if (c == 'C' || c == 'S') {
				uint64_t sig;

				/* The signal is dropped: a guest has none. */
				if (rsp_parse_hex(&p, &sig) < 0)
					return -1;
			}
			if (*p == ':') {
				char tidbuf[24];
				size_t tl;

				p++;
				tl = strcspn(p, ";");
				if (tl >= sizeof(tidbuf))
					return -1;
				memcpy(tidbuf, p, tl);
				tidbuf[tl] = 0;
				p += tl;
				if (parse_thread(tidbuf, &tid) < 0 ||
				    (tid > 0 && (unsigned long)tid > n))
					return -1;
			}
			for (unsigned i = 0; i < n; i++) {
				bool match = tid <= 0 || (unsigned long)tid == i + 1;

				/* A vCPU a rule already took keeps it. */
				if (match && act[i] == ACT_NONE && !(a == ACT_NONE))
					act[i] = a;
			}
		}
		if (*p)
			return -1;
	}
	for (unsigned i = 0; i < n; i++)
		any |= act[i] != ACT_NONE;
	if (!any)
		return -1;
	return resume(g, act);
}

static void cmd_query_xfer(struct gdb_stub *g, const char *args)
{
	/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
	char annex[64];
	const char *colon = strchr(args, ':');
	const char *doc;
	uint64_t off, len;
	size_t total, n;

	if (!colon || (size_t)(colon - args) >= sizeof(annex))
		return reply_err(g, 22);
	memcpy(annex, args, (size_t)(colon - args));
	annex[colon - args] = 0;
	args = colon + 1;
	if (parse_addr_len(&args, &off, &len) < 0 || *args)
		return reply_err(g, 22);
	doc = gdb_arch_xml(ensure_layout(g), annex);
	if (!doc)
		return reply_err(g, 0);
	total = strlen(doc);
	if (off > total)
		return reply_err(g, 22);
	/* Room for escapes: half the packet holds any document chunk. */
	if (len > RSP_MAX_PACKET / 2 - 1)
		len = RSP_MAX_PACKET / 2 - 1;
	n = total - off < len ? total - off : (size_t)len;
	g->reply[0] = off + n >= total ? 'l' : 'm';
	memcpy(g->reply + 1, doc + off, n);
	g->reply_len = n + 1;
}

static void cmd_query(struct gdb_stub *g, const char *pkt)
{
	if (!strncmp(pkt, "qSupported", 10)) {
		reply_fmt(g, "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;"
			  "QStartNoAckMode+;vContSupported+",
			  RSP_MAX_PACKET);
	} else if (!strncmp(pkt, "qXfer:features:read:", 20)) {
		cmd_query_xfer(g, pkt + 20);
	} else if (!strcmp(pkt, "qfThreadInfo")) {
		size_t len = 0;

		g->reply[0] = 0;
		strbuf_appendf(g->reply, sizeof(g->reply), &len, "m");
		for (unsigned i = 0; i < g->vm->nr_vcpus; i++)
			strbuf_appendf(g->reply, sizeof(g->reply), &len, "%s%x",
				       i ? "," : "", i + 1);
		g->reply_len = len;
	} else if (!strcmp(pkt, "qsThreadInfo")) {
		reply_str(g, "l");
	} else if (!strcmp(pkt, "qC")) {
		reply_fmt(g, "QC%x", g->g_cpu + 1);
	} else if (!strncmp(pkt, "qAttached", 9)) {
		reply_str(g, "1"); /* detach, not kill, when gdb quits */
	} else if (!strncmp(pkt, "qThreadExtraInfo,", 17)) {
		long tid;
		unsigned id;
		char text[32];

		if (parse_thread(pkt + 17, &tid) < 0 ||
		    thread_cpu(g, tid, g->g_cpu, &id) < 0)
			return reply_err(g, 22);
		snprintf(text, sizeof(text), "vCPU %u", id);
		reply_hex(g, (const uint8_t *)text, strlen(text));
	} else {
		reply_str(g, ""); /* unknown query */
	}
}

/* Handle one packet; the reply is left in g->reply (none for resumes). */
static bool handle_packet(struct gdb_stub *g, const char *pkt, size_t len)
{
	long tid;
	unsigned id;

	g->reply_len = 0;
	switch (pkt[0]) {
	case '?':
		reply_str(g, g->last_stop);
		break;
	case 'g':
		if (pkt[1])
			return reply_err(g, 22), true;
		cmd_read_regs(g);
		break;
	case 'G':
		cmd_write_regs(g, pkt + 1, len - 1);
		break;
	case 'p':
		cmd_read_reg(g, pkt + 1);
		break;
	case 'P':
		cmd_write_reg(g, pkt + 1);
		break;
	case 'm':
		cmd_read_mem(g, pkt + 1);
		break;
	case 'M':
		cmd_write_mem(g, pkt + 1, len - 1, false);
		break;
	case 'X':
		cmd_write_mem(g, pkt + 1, len - 1, true);
		break;
	case 'c':
	case 'C':
	case 's':
	case 'S':
		/* "c ADDR" (resume elsewhere) is not offered by gdb today. */
		if ((pkt[0] == 'c' || pkt[0] == 's') && pkt[1])
			return reply_err(g, 22), true;
		if (cmd_resume(g, pkt) < 0)
			return reply_err(g, 22), true;
		return false;
	case 'v':
		if (!strcmp(pkt, "vCont?")) {
			reply_str(g, "vCont;c;C;s;S");
		} else if (!strncmp(pkt, "vCont;", 6)) {
			if (cmd_resume(g, pkt) < 0)
				return reply_err(g, 22), true;
			return false;
		} else {
			reply_str(g, "");
		}
		break;
	case 'H':
		if ((pkt[1] != 'g' && pkt[1] != 'c') ||
		    parse_thread(pkt + 2, &tid) < 0 ||
		    thread_cpu(g, tid, pkt[1] == 'g' ? g->g_cpu : g->c_cpu,
			       &id) < 0)
			return reply_err(g, 22), true;
		if (pkt[1] == 'g')
			g->g_cpu = id;
		else
			g->c_cpu = id;
		reply_str(g, "OK");
		break;
	case 'T':
		if (parse_thread(pkt + 1, &tid) < 0 ||
		    thread_cpu(g, tid, 0, &id) < 0)
			return reply_err(g, 22), true;
		reply_str(g, "OK");
		break;
	case 'Z':
	case 'z':
		cmd_point(g, pkt + 1, pkt[0] == 'Z');
		break;
	case 'q':
		cmd_query(g, pkt);
		break;
	case 'Q':
		if (!strcmp(pkt, "QStartNoAckMode"))
			reply_str(g, "OK");
		else
			reply_str(g, "");
		break;
	case 'D':
		reply_str(g, "OK");
		send_reply(g);
		release_guest(g);
		g->noack = false;
		if (!g->tty)
			g->drop = true;
		return false;
	case 'k':
		g->killed = true;
		vm_request_stop(g->vm, VM_STOP_DEBUGGER, "gdb asked to end the run (k)");
		return false;
	default:
		reply_str(g, "");
		break;
	}
	return true;
}

/* ---- The connection ---- */

static void close_conn(struct gdb_stub *g)
{
	if (g->conn_fd < 0)
		return;
	event_loop_remove(g->vm->loop, g->conn_src);
	g->conn_src = NULL;
	close(g->conn_fd);
	g->conn_fd = -1;
	g->drop = false;
	g->noack = false;
	g->layout = -1;
	if (!atomic_load(&g->vm->stopping)) {
		release_guest(g);
		log_info("gdb: debugger gone; the guest runs on");
	}
}

/*
 * A debugger arrived: the guest stops for it, as with QEMU.  (The parser
 * is not reset here: over a tty it holds the packet that attaches.)
 */
static void attach(struct gdb_stub *g)
{
	g->layout = -1;
	g->noack = false;
	/* gdb asks '?' first; "stopped by SIGTRAP" reads better. */
	if (g->running && stop_all(g) == 0)
		format_stop(g, g->c_cpu, GDB_SIGTRAP, NULL);
}

static void on_packet(struct gdb_stub *g)
{
	struct rsp_parser *p = &g->parser;

	if (!g->noack)
		conn_write(g, "+", 1);
	/*
	 * gdb talks only to a stopped target: a packet while the guest runs
	 * is a debugger arriving over a tty (a socket's stops at accept).
	 */
	if (g->running)
		attach(g);
	if (handle_packet(g, p->data, p->len))
		send_reply(g);
	if (!strcmp(p->data, "QStartNoAckMode"))
		g->noack = true;
}

static void on_conn(void *opaque, uint32_t events)
{
	struct gdb_stub *g = opaque;
	uint8_t in[4096];
	ssize_t n;

	n = read(g->conn_fd, in, sizeof(in));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0 || (n == 0 && (events & (EPOLLHUP | EPOLLERR)))) {
		if (g->tty) {
			/* A line with nothing on it: wait for it again later. */
			if (n < 0)
				log_warn("gdb: %s: %s", g->vm->cfg->gdb.path,
					 strerror(errno));
			return;
		}
		close_conn(g);
		return;
	}
	for (ssize_t i = 0; i < n && g->conn_fd >= 0 && !g->drop; i++) {
		switch (rsp_feed(&g->parser, in[i])) {
		case RSP_EV_PACKET:
			on_packet(g);
			break;
		case RSP_EV_BAD_CHECKSUM:
		case RSP_EV_OVERFLOW:
			if (!g->noack)
				conn_write(g, "-", 1);
			break;
		case RSP_EV_NAK:
			if (g->frame_len)
				conn_write(g, g->frame, g->frame_len);
			break;
		case RSP_EV_INTERRUPT:
			if (g->running && stop_all(g) == 0)
				report_stop(g);
			break;
		default:
			break;
		}
	}
	if (g->drop && !g->tty)
		close_conn(g);
	else
		g->drop = false;
}

static void on_listen(void *opaque, uint32_t events)
{
	struct gdb_stub *g = opaque;
	int fd, one = 1;
	struct timeval tv = { .tv_sec = GDB_SEND_TIMEOUT_S };

	(void)events;
	fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (g->conn_fd >= 0) {
		static const char busy[] = "$E01#a6";

		log_warn("gdb: a debugger is attached already; refusing another");
		if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* Nothing more to say to it. */
		}
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	g->conn_fd = fd;
	g->conn_src = event_loop_add_fd(g->vm->loop, fd, EPOLLIN, on_conn, g);
	if (!g->conn_src) {
		log_warn("gdb: %s", err_msg());
		close(fd);
		g->conn_fd = -1;
		return;
	}
	log_info("gdb: debugger attached");
	rsp_parser_init(&g->parser);
	attach(g);
}

/*
 * HOST is an IPv4 or IPv6 address, or "localhost" (the default); names
 * are not looked up (a static build has no resolver to ask).
 */
static int listen_tcp(struct gdb_stub *g, const struct gdb_cfg *c)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	const char *host = c->host[0] && strcmp(c->host, "localhost") ? c->host :
									"127.0.0.1";
	struct sockaddr *sa;
	socklen_t len;
	int fd, one = 1;

	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons(c->port);
		sa = (struct sockaddr *)&a4;
		len = sizeof(a4);
	} else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(c->port);
		sa = (struct sockaddr *)&a6;
		len = sizeof(a6);
	} else {
		return err_set("-gdb tcp:%s:%u: the host must be an IP address or localhost",
			       c->host, c->port);
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) < 0 || listen(fd, 1) < 0) {
		err_errno("-gdb tcp:%s:%u", c->host, c->port);
		close(fd);
		return -1;
	}
	g->listen_fd = fd;
	return 0;
}

static int listen_unix(struct gdb_stub *g, const struct gdb_cfg *c)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->path, strlen(c->path));
	/* A socket left by an earlier run is replaced; anything else is not. */
	if (lstat(c->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return err_set("-gdb unix:%s: exists and is not a socket",
				       c->path);
		unlink(c->path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno("socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		err_errno("-gdb unix:%s", c->path);
		close(fd);
		return -1;
	}
	g->listen_fd = fd;
	return 0;
}

static int open_tty(struct gdb_stub *g, const struct gdb_cfg *c)
{
	struct termios t;
	int fd = open(c->path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return err_errno("-gdb %s", c->path);
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &t);
	}
	g->tty = true;
	g->conn_fd = fd;
	g->conn_src = event_loop_add_fd(g->vm->loop, fd, EPOLLIN, on_conn, g);
	return g->conn_src ? 0 : -1;
}

int gdb_stub_create(struct vm *vm)
{
	const struct gdb_cfg *c = &vm->cfg->gdb;
	struct gdb_stub *g;
	int r;

	if (c->transport == GDB_NONE)
		return 0;
	g = calloc(1, sizeof(*g));
	if (!g)
		return err_set("out of memory for the gdb stub");
	vm->gdb = g;
	g->vm = vm;
	g->listen_fd = g->conn_fd = g->wake_fd = -1;
	g->layout = -1;
	g->running = true;
	g->sw_in_dr = vm->pvm;
	g->watch_by_step = vm->pvm;
	rsp_parser_init(&g->parser);
	reply_str(g, "");
	format_stop(g, 0, GDB_SIGTRAP, NULL);
	g->cpus = calloc(vm->nr_vcpus ? vm->nr_vcpus : 1, sizeof(*g->cpus));
	g->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!g->cpus || g->wake_fd < 0)
		return err_errno("gdb stub");
	g->wake_src = event_loop_add_fd(vm->loop, g->wake_fd, EPOLLIN, on_wake, g);
	if (!g->wake_src)
		return -1;
	if (vcpu_exit_register(vm, KVM_EXIT_DEBUG, on_debug_exit, NULL) < 0)
		return -1;
	r = c->transport == GDB_TCP  ? listen_tcp(g, c) :
	    c->transport == GDB_UNIX ? listen_unix(g, c) :
				       open_tty(g, c);
	if (r < 0)
		return -1;
	if (g->listen_fd >= 0) {
		g->listen_src = event_loop_add_fd(vm->loop, g->listen_fd, EPOLLIN,
						  on_listen, g);
		if (!g->listen_src)
			return -1;
	}
	if (vm->cfg->start_stopped) {
		/* No vCPU thread runs yet: they will park as they start. */
		if (vcpu_pause_all(vm) < 0)
			return -1;
		g->running = false;
	}
	if (c->transport == GDB_TCP)
		log_info("gdb: waiting for a debugger on %s:%u", c->host[0] ? c->host : "localhost",
			 c->port);
	return 0;
}

void gdb_stub_run_ended(struct vm *vm, int code)
{
	struct gdb_stub *g = vm->gdb;

	if (!g || g->conn_fd < 0 || g->killed)
		return;
	/* "The process exited" with the run's exit code. */
	reply_fmt(g, "W%02x", code & 0xff);
	send_reply(g);
}

void gdb_stub_destroy(struct vm *vm)
{
	struct gdb_stub *g = vm->gdb;

	if (!g)
		return;
	if (g->conn_fd >= 0) {
		event_loop_remove(vm->loop, g->conn_src);
		close(g->conn_fd);
	}
	if (g->listen_fd >= 0) {
		event_loop_remove(vm->loop, g->listen_src);
		close(g->listen_fd);
		if (vm->cfg->gdb.transport == GDB_UNIX)
			unlink(vm->cfg->gdb.path);
	}
	if (g->wake_fd >= 0) {
		event_loop_remove(vm->loop, g->wake_src);
		close(g->wake_fd);
	}
	free(g->cpus);
	free(g);
	vm->gdb = NULL;
}
