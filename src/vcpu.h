/* SPDX-License-Identifier: MIT */
/*
 * One thread per vCPU running the KVM_RUN loop.
 *
 * Lifecycle of a vCPU:
 *
 *   CREATED --vcpu_start--> RUNNING <--park/release--> PAUSED
 *                              |                          |
 *                              +------> STOPPED <---------+
 *
 * The main thread steers the vCPUs with a kick: it sets
 * kvm_run->immediate_exit and signals the thread, so the vCPU leaves
 * KVM_RUN (or does not enter it) whether it is in user space, about to
 * enter the guest, or stuck inside KVM_RUN (PVM never returns from a
 * real-mode triple fault).  After every return from KVM_RUN the thread
 * clears immediate_exit and then looks at the VM's requests: stop (leave the
 * loop), pause (park until released).  Before it parks it re-enters KVM_RUN
 * once with immediate_exit set if the last exit left an operation pending
 * (an IN or MMIO read whose data we supplied), so a parked vCPU's state is
 * complete and consistent (api.rst, KVM_RUN: "the corresponding operations
 * are complete ... only after userspace has re-entered the kernel").
 *
 * vcpu_pause_all() returns once every running vCPU is parked;
 * vcpu_resume_all() releases them.  A pause loses nothing: the guest simply
 * does not execute while parked.
 *
 * Exits are handled through a table in the VM (vcpu_exit_register): the
 * generic handlers (vcpu_exits.c), the architecture's and optional parts'
 * (a gdb stub takes KVM_EXIT_DEBUG).  An exit without a handler ends the
 * run with a report naming it.
 */
#ifndef MINIVMM_VCPU_H
#define MINIVMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vm;

enum vcpu_state { VCPU_CREATED, VCPU_RUNNING, VCPU_PAUSED, VCPU_STOPPED };

/* Exit reasons are small numbers; anything above is counted as "other". */
#define VCPU_STAT_REASONS 64

struct vcpu_stats {
	uint64_t count[VCPU_STAT_REASONS];
	uint64_t handle_ns[VCPU_STAT_REASONS]; /* time in user space per reason */
	uint64_t run_ns; /* time inside KVM_RUN */
	uint64_t pio_count; /* individual port accesses (string I/O counts each) */
	uint64_t mmio_count;
	uint64_t parks; /* times parked (pause, reset) */
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	_Atomic int state; /* enum vcpu_state */
	bool pending_io; /* the last exit completes on the next KVM_RUN */
	uint64_t released_gen; /* the release it last saw (under park_lock) */
	/*
	 * Debugging (the gdb stub sets these while the vCPU is parked):
	 * `held` keeps it parked through releases (another vCPU is stepped
	 * alone; under park_lock); `debug_step`: it runs single-stepped, so
	 * an exit that leaves an operation pending is completed at once and
	 * the step reported even where KVM loses its debug exit (PVM);
	 * `step_done`: the KVM_EXIT_DEBUG handler is called for such a step,
	 * with no debug exit data in kvm_run.
	 */
	bool held;
	bool debug_step;
	bool step_done;
	struct vcpu_stats stats;
	void *arch; /* arch-private per-vCPU state */
};

/* What an exit handler tells the loop. */
enum vcpu_exit_action {
	VCPU_EXIT_CONTINUE, /* run the guest again */
	VCPU_EXIT_STOP, /* leave the loop: the VM is stopping (a request was made) */
	VCPU_EXIT_PARK, /* park until the main thread releases the vCPUs */
};

typedef enum vcpu_exit_action (*vcpu_exit_fn)(struct vcpu *vcpu);

/* Highest exit reason + 1 the table holds. */
#define VCPU_EXIT_TABLE_SIZE 64

/*
 * Handle exit `reason` with fn on every vCPU of vm (before the vCPUs
 * start).  *previous (if not NULL) gets the handler replaced, so a part can
 * chain to it.  -1 with err_msg() for a reason beyond the table.
 */
int vcpu_exit_register(struct vm *vm, uint32_t reason, vcpu_exit_fn fn,
		       vcpu_exit_fn *previous);
/* The generic handlers (I/O, MMIO, HLT, shutdown, errors, system events). */
void vcpu_exits_register_generic(struct vm *vm);

/* Create the KVM vCPU and map its kvm_run area; no thread yet. */
int vcpu_create(struct vm *vm, unsigned id, struct vcpu *vcpu);
void vcpu_destroy(struct vcpu *vcpu);

/* Start the thread running vcpu_run_loop(). */
int vcpu_start(struct vcpu *vcpu);

/* Make the vCPU leave KVM_RUN (or not enter it again) and look at requests. */
void vcpu_kick(struct vcpu *vcpu);

/*
 * Park every running vCPU; returns 0 once all are parked, or -1 with
 * err_msg() if one did not park within the grace time (it is still asked
 * to).  Main thread only.
 */
int vcpu_pause_all(struct vm *vm);
/*
 * Release every parked vCPU (also those that parked themselves); returns
 * once each has left its park (bounded by the same grace time).
 */
void vcpu_resume_all(struct vm *vm);
/*
 * Keep the vCPU parked through the next releases (held) or let it go with
 * them.  Main thread, while the vCPUs are paused.
 */
void vcpu_set_held(struct vcpu *vcpu, bool held);
/* Wake parked vCPUs so they see `stopping` (after vm->stopping is set). */
void vcpu_wake_all(struct vm *vm);

/* Install the no-op handler of the kick signal (once per process). */
int vcpu_signals_init(void);

/* The loop itself (exposed for tests and for running vCPU 0 in place). */
void vcpu_run_loop(struct vcpu *vcpu);

/* "IO", "HLT", ... for a KVM_EXIT_* number. */
const char *vcpu_exit_name(uint32_t reason);

#endif
