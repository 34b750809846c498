/* SPDX-License-Identifier: MIT */
/*
 * What the gdb stub (src/gdb/gdb.c) asks of an architecture; implemented
 * in src/arch/$(ARCH)/gdb.c.  The stub calls these from the main thread
 * while the vCPU concerned is parked (never while it is inside KVM_RUN).
 *
 * Registers: gdb learns the register set from a target description (XML,
 * qXfer:features:read).  The architecture may offer several layouts (x86:
 * 16-bit real mode, 32-bit, 64-bit); the stub picks one when gdb asks for
 * the description and then keeps it for the whole connection, so the 'g'
 * packet's size never changes under gdb's feet.  A layout is a small
 * number the architecture chooses.
 *
 * Addresses: gdb's addresses are guest virtual (linear) addresses; the
 * architecture translates them with the vCPU's current page tables, and
 * the stub then reads and writes guest memory through the checked door
 * (mem.h) one page at a time.
 */
#ifndef MINIVMM_GDB_ARCH_H
#define MINIVMM_GDB_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;
struct vm;

/* Largest 'g' packet payload (raw bytes) of any layout. */
#define GDB_REGS_MAX 2048
/* Hardware breakpoints plus watchpoints the stub tracks at most. */
#define GDB_MAX_HW 16

enum gdb_point_type {
	GDB_POINT_SW = 0, /* Z0: software breakpoint */
	GDB_POINT_HW = 1, /* Z1: hardware breakpoint */
	GDB_POINT_WRITE = 2, /* Z2: write watchpoint */
	GDB_POINT_READ = 3, /* Z3: read watchpoint */
	GDB_POINT_ACCESS = 4, /* Z4: access watchpoint */
};

struct gdb_hw_point {
	enum gdb_point_type type; /* GDB_POINT_HW .. GDB_POINT_ACCESS */
	uint64_t addr; /* guest virtual address */
	uint64_t len; /* bytes watched; the kind for a breakpoint */
};

/* The debug state the stub wants a vCPU to run with. */
struct gdb_debug {
	bool enable; /* anything at all (else debugging is switched off) */
	bool step; /* single-step this vCPU */
	bool step_irqs; /* ... letting interrupts in (the stub's own stepping) */
	bool sw_bp; /* software breakpoints are inserted: trap them */
	unsigned nr_hw;
	struct gdb_hw_point hw[GDB_MAX_HW];
};

enum gdb_stop_kind {
	GDB_STOP_STEP, /* a single step completed */
	GDB_STOP_SWBREAK, /* a breakpoint instruction at stop->pc */
	GDB_STOP_HWBREAK, /* a hardware breakpoint */
	GDB_STOP_WATCH, /* a watchpoint: stop->watch_addr, stop->watch_type */
	GDB_STOP_OTHER, /* a debug exit the stub did not ask for */
};

struct gdb_stop {
	enum gdb_stop_kind kind;
	uint64_t pc; /* guest virtual address of the next instruction */
	uint64_t watch_addr;
	enum gdb_point_type watch_type;
};

/* The layout for the vCPU's current mode. */
int gdb_arch_layout(struct vcpu *vcpu);
/*
 * The description document `annex` ("target.xml", or a file it includes)
 * of a layout: NUL-terminated static text, or NULL for an unknown annex.
 */
const char *gdb_arch_xml(int layout, const char *annex);

/* Every register of the layout in 'g' order, in target byte order; returns
 * the number of bytes (<= cap), or -1 with err_msg(). */
int gdb_arch_read_regs(struct vcpu *vcpu, int layout, uint8_t *buf,
		       size_t cap);
/* The inverse; len must be what read_regs returns; -1 with err_msg(). */
int gdb_arch_write_regs(struct vcpu *vcpu, int layout, const uint8_t *buf,
			size_t len);
/* One register by gdb's number: its size in bytes, 0 for a number the
 * layout does not have, -1 with err_msg() when KVM refuses. */
int gdb_arch_read_reg(struct vcpu *vcpu, int layout, unsigned regno,
		      uint8_t *buf, size_t cap);
/* -1 with err_msg() for an unknown number, a wrong size or a KVM error. */
int gdb_arch_write_reg(struct vcpu *vcpu, int layout, unsigned regno,
		       const uint8_t *buf, size_t len);

/*
 * Guest virtual -> guest physical through the vCPU's page tables;
 * *page_left gets the bytes from gva to the end of its page (>= 1).
 * -1 when the address is not mapped.
 */
int gdb_arch_translate(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa,
		       uint64_t *page_left);

/* The software breakpoint instruction (x86: int3; arm64: brk #0) and the
 * `kind` gdb sends with Z0 for it. */
const uint8_t *gdb_arch_break_insn(size_t *len);

/*
 * Whether these hardware points fit the vCPU's debug registers (count,
 * length, alignment).  -1 with err_msg() when not.
 */
int gdb_arch_hw_check(struct vm *vm, const struct gdb_hw_point *pts,
		      unsigned n);
/* Load the debug state into the vCPU (KVM_SET_GUEST_DEBUG). */
int gdb_arch_set_debug(struct vcpu *vcpu, const struct gdb_debug *dbg);

/* Decode the KVM_EXIT_DEBUG the vCPU stopped on (vcpu thread). */
void gdb_arch_debug_exit(struct vcpu *vcpu, const struct gdb_debug *dbg,
			 struct gdb_stop *stop);
/*
 * The breakpoint instruction the vCPU stopped on is the guest's own (not
 * one of the stub's): deliver it to the guest as if no debugger were
 * there.  0, or -1 when the architecture cannot (the stop is then
 * reported to gdb).
 */
int gdb_arch_reinject_break(struct vcpu *vcpu, const struct gdb_debug *dbg);

#endif
