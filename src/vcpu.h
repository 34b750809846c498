/* SPDX-License-Identifier: MIT */
/*
 * One thread per vCPU running the KVM_RUN loop.
 *
 * Lifecycle: CREATED -> RUNNING -> STOPPED.  The main thread owns signals,
 * timeouts and shutdown; it stops a vCPU with vcpu_kick(), which sets
 * kvm_run->immediate_exit and signals the thread, so a vCPU is stoppable
 * whether it is in user space, about to enter the guest, or stuck inside
 * KVM_RUN (PVM never returns from a real-mode triple fault).
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

enum vcpu_state { VCPU_CREATED, VCPU_RUNNING, VCPU_STOPPED };

/* Exit reasons are small numbers; anything above is counted as "other". */
#define VCPU_STAT_REASONS 64

struct vcpu_stats {
	uint64_t count[VCPU_STAT_REASONS];
	uint64_t handle_ns[VCPU_STAT_REASONS]; /* time in user space per reason */
	uint64_t run_ns; /* time inside KVM_RUN */
	uint64_t pio_count; /* individual port accesses (string I/O counts each) */
	uint64_t mmio_count;
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
	struct vcpu_stats stats;
	void *arch; /* arch-private per-vCPU state */
};

/* Create the KVM vCPU and map its kvm_run area; no thread yet. */
int vcpu_create(struct vm *vm, unsigned id, struct vcpu *vcpu);
void vcpu_destroy(struct vcpu *vcpu);

/* Start the thread running vcpu_run_loop(). */
int vcpu_start(struct vcpu *vcpu);

/* Make the vCPU leave KVM_RUN (or not enter it again) and stop. */
void vcpu_kick(struct vcpu *vcpu);

/* Install the no-op handler of the kick signal (once per process). */
int vcpu_signals_init(void);

/* The loop itself (exposed for tests and for running vCPU 0 in place). */
void vcpu_run_loop(struct vcpu *vcpu);

/* "IO", "HLT", ... for a KVM_EXIT_* number. */
const char *vcpu_exit_name(uint32_t reason);

#endif
