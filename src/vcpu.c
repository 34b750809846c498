// SPDX-License-Identifier: MIT
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "log.h"
#include "vm.h"

/* The signal that kicks a vCPU thread out of KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

/* How long vcpu_pause_all() waits for every vCPU to park. */
#define VCPU_PAUSE_GRACE_MS 2000
/* How often it kicks the ones that have not parked yet while it waits. */
#define VCPU_PAUSE_KICK_MS 20

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* Its only job is to make KVM_RUN return EINTR. */
}

int vcpu_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must come back with EINTR. */
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return err_errno("sigaction");
	return 0;
}

int vcpu_create(struct vm *vm, unsigned id, struct vcpu *vcpu)
{
	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0)
		return err_errno("KVM_CREATE_VCPU %u", id);
	vcpu->run_size = (size_t)vm->run_mmap_size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		err_errno("vcpu%u: cannot map kvm_run", id);
		close(vcpu->fd);
		vcpu->fd = -1;
		return -1;
	}
	atomic_store(&vcpu->state, VCPU_CREATED);
	return arch_vcpu_init(vcpu);
}

void vcpu_destroy(struct vcpu *vcpu)
{
	arch_vcpu_destroy(vcpu);
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	sigset_t set;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	/* Signals stay with the main thread; only the kick reaches us. */
	sigfillset(&set);
	sigdelset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	vcpu_run_loop(vcpu);
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	int r;

	atomic_store(&vcpu->state, VCPU_RUNNING);
	pthread_mutex_lock(&vm->park_lock);
	vm->nr_live++;
	pthread_mutex_unlock(&vm->park_lock);
	r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	if (r) {
		atomic_store(&vcpu->state, VCPU_STOPPED);
		pthread_mutex_lock(&vm->park_lock);
		vm->nr_live--;
		pthread_mutex_unlock(&vm->park_lock);
		errno = r;
		return err_errno("vcpu%u: cannot start its thread", vcpu->id);
	}
	vcpu->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	int state = atomic_load(&vcpu->state);

	/*
	 * immediate_exit first: if the thread is between its request check
	 * and KVM_RUN, the ioctl returns at once instead of entering the
	 * guest.  The thread clears it after every KVM_RUN, before it looks
	 * at the requests again (both sides sequentially consistent).
	 */
	if (vcpu->run)
		__atomic_store_n(&vcpu->run->immediate_exit, 1,
				 __ATOMIC_SEQ_CST);
	if (vcpu->thread_started &&
	    (state == VCPU_RUNNING || state == VCPU_PAUSED))
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

/*
 * Finish an operation the last exit left pending (api.rst: re-enter with
 * immediate_exit set to complete it without running the guest).
 */
static int run_to_complete(struct vcpu *vcpu)
{
	int r;

	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	r = ioctl(vcpu->fd, KVM_RUN, 0);
	vcpu->pending_io = false;
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	return r; /* errno is KVM_RUN's */
}

static void complete_pending_io(struct vcpu *vcpu)
{
	if (vcpu->pending_io && run_to_complete(vcpu) == 0)
		/* An exit after all (not expected): it is reported as such. */
		log_warn("vcpu%u: KVM_RUN with immediate_exit ran the guest (exit %s)",
			 vcpu->id, vcpu_exit_name(vcpu->run->exit_reason));
}

/*
 * Park: counted as parked until released.  `self`: the vCPU parks on its
 * own (an exit asked for it) and waits for the next release even if no
 * pause is requested.
 */
static void vcpu_park(struct vcpu *vcpu, bool self)
{
	struct vm *vm = vcpu->vm;
	uint64_t gen;

	complete_pending_io(vcpu);
	pthread_mutex_lock(&vm->park_lock);
	gen = vm->resume_gen;
	vm->nr_parked++;
	vcpu->stats.parks++;
	atomic_store(&vcpu->state, VCPU_PAUSED);
	pthread_cond_broadcast(&vm->parked_cond);
	while (!atomic_load(&vm->stopping) &&
	       (vm->pause_requested || (self && gen == vm->resume_gen) ||
		vcpu->held))
		pthread_cond_wait(&vm->park_cond, &vm->park_lock);
	vm->nr_parked--;
	vcpu->released_gen = vm->resume_gen;
	atomic_store(&vcpu->state, VCPU_RUNNING);
	pthread_cond_broadcast(&vm->parked_cond);
	pthread_mutex_unlock(&vm->park_lock);
}

static bool pause_requested(struct vm *vm)
{
	return atomic_load_explicit(&vm->pause_flag, memory_order_seq_cst);
}

int vcpu_pause_all(struct vm *vm)
{
	uint64_t deadline = vm_now_ns() + VCPU_PAUSE_GRACE_MS * 1000000ull;
	int r = 0;

	pthread_mutex_lock(&vm->park_lock);
	vm->pause_requested = true;
	atomic_store(&vm->pause_flag, true);
	while (vm->nr_parked < vm->nr_live) {
		struct timespec ts;

		pthread_mutex_unlock(&vm->park_lock);
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			if (atomic_load(&vm->vcpus[i].state) == VCPU_RUNNING)
				vcpu_kick(&vm->vcpus[i]);
		pthread_mutex_lock(&vm->park_lock);
		if (vm->nr_parked >= vm->nr_live)
			break;
		if (vm_now_ns() > deadline) {
			r = err_set("%u of %u vCPUs did not stop within %d ms",
				    vm->nr_live - vm->nr_parked, vm->nr_live,
				    VCPU_PAUSE_GRACE_MS);
			break;
		}
		vm_realtime_after(&ts, VCPU_PAUSE_KICK_MS);
		pthread_cond_timedwait(&vm->parked_cond, &vm->park_lock, &ts);
	}
	pthread_mutex_unlock(&vm->park_lock);
	return r;
}

/* A vCPU still parked from before the latest release (and not held). */
static bool still_parked(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (atomic_load(&v->state) == VCPU_PAUSED && !v->held &&
		    v->released_gen != vm->resume_gen)
			return true;
	}
	return false;
}

void vcpu_resume_all(struct vm *vm)
{
	uint64_t deadline = vm_now_ns() + VCPU_PAUSE_GRACE_MS * 1000000ull;

	pthread_mutex_lock(&vm->park_lock);
	vm->pause_requested = false;
	atomic_store(&vm->pause_flag, false);
	vm->resume_gen++;
	pthread_cond_broadcast(&vm->park_cond);
	/*
	 * Return once every parked vCPU has seen the release, so a pause
	 * right after this one parks them anew (the guest ran in between).
	 */
	while (still_parked(vm) && vm_now_ns() < deadline) {
		struct timespec ts;

		vm_realtime_after(&ts, VCPU_PAUSE_KICK_MS);
		pthread_cond_timedwait(&vm->parked_cond, &vm->park_lock, &ts);
	}
	pthread_mutex_unlock(&vm->park_lock);
}

void vcpu_set_held(struct vcpu *vcpu, bool held)
{
	pthread_mutex_lock(&vcpu->vm->park_lock);
	vcpu->held = held;
	pthread_mutex_unlock(&vcpu->vm->park_lock);
}

void vcpu_wake_all(struct vm *vm)
{
	pthread_mutex_lock(&vm->park_lock);
	pthread_cond_broadcast(&vm->park_cond);
	pthread_mutex_unlock(&vm->park_lock);
}

/* Exits whose operation completes on the next KVM_RUN (api.rst). */
static bool exit_leaves_pending(uint32_t reason)
{
	return reason == KVM_EXIT_IO || reason == KVM_EXIT_MMIO ||
	       reason == KVM_EXIT_X86_RDMSR || reason == KVM_EXIT_X86_WRMSR;
}

static enum vcpu_exit_action vcpu_handle_exit(struct vcpu *vcpu,
					      uint32_t reason)
{
	vcpu_exit_fn fn = reason < VCPU_EXIT_TABLE_SIZE ?
				  vcpu->vm->exit_handlers[reason] :
				  NULL;

	if (fn)
		return fn(vcpu);
	vm_request_stop(vcpu->vm, VM_STOP_CRASH,
			"vcpu%u: unhandled exit reason %s (%u)", vcpu->id,
			vcpu_exit_name(reason), reason);
	return VCPU_EXIT_STOP;
}

/*
 * A single-stepped vCPU's exit left an operation pending: complete it now
 * (KVM_RUN with immediate_exit) instead of on the next entry.  Real KVM
 * then reports the finished step as KVM_EXIT_DEBUG; PVM loses that exit
 * after an OUT and the guest would run on unstepped, so a run that comes
 * back with EINTR counts as the step done (the instruction has completed:
 * that is what the re-entry was for).
 */
static enum vcpu_exit_action vcpu_finish_step(struct vcpu *vcpu)
{
	if (run_to_complete(vcpu) == 0) {
		/* The debug exit (or, unexpectedly, another). */
		vcpu->pending_io = exit_leaves_pending(vcpu->run->exit_reason);
		return vcpu_handle_exit(vcpu, vcpu->run->exit_reason);
	}
	if (errno != EINTR && errno != EAGAIN) {
		vm_request_stop(vcpu->vm, VM_STOP_ERROR,
				"vcpu%u: KVM_RUN failed: %s", vcpu->id,
				strerror(errno));
		return VCPU_EXIT_STOP;
	}
	vcpu->step_done = true;
	return vcpu_handle_exit(vcpu, KVM_EXIT_DEBUG);
}

void vcpu_run_loop(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	const bool timing = vm->opts.stats;
	const uint64_t max_exits = vm->opts.max_exits;
	const bool trace_exits = vm->opts.trace & TRACE_EXITS;

	for (;;) {
		uint64_t t0, t1;
		uint32_t reason, slot;
		enum vcpu_exit_action action;
		int r;

		/* Clear the kick, then look at the requests (see vcpu_kick). */
		__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		if (atomic_load_explicit(&vm->stopping, memory_order_seq_cst))
			break;
		if (pause_requested(vm)) {
			vcpu_park(vcpu, false);
			continue;
		}
		t0 = timing ? vm_now_ns() : 0;
		r = ioctl(vcpu->fd, KVM_RUN, 0);
		t1 = timing ? vm_now_ns() : 0;
		if (timing)
			vcpu->stats.run_ns += t1 - t0;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* Kicked; a pending operation has completed. */
				vcpu->pending_io = false;
				continue;
			}
			vm_request_stop(vm, VM_STOP_ERROR,
					"vcpu%u: KVM_RUN failed: %s", vcpu->id,
					strerror(errno));
			break;
		}
		reason = vcpu->run->exit_reason;
		vcpu->pending_io = exit_leaves_pending(reason);
		slot = reason < VCPU_STAT_REASONS ? reason : VCPU_STAT_REASONS - 1;
		vcpu->stats.count[slot]++;
		if (trace_exits)
			fprintf(stderr, "exit vcpu=%u reason=%s\n", vcpu->id,
				vcpu_exit_name(reason));
		action = vcpu_handle_exit(vcpu, reason);
		if (action == VCPU_EXIT_CONTINUE && vcpu->pending_io &&
		    vcpu->debug_step)
			action = vcpu_finish_step(vcpu);
		if (timing)
			vcpu->stats.handle_ns[slot] += vm_now_ns() - t1;
		if (action == VCPU_EXIT_STOP)
			break;
		if (max_exits &&
		    atomic_fetch_add(&vm->nr_exits, 1) + 1 >= max_exits) {
			vm_request_stop(vm, VM_STOP_MAX_EXITS,
					"reached --max-exits %llu",
					(unsigned long long)max_exits);
			break;
		}
		/*
		 * A reset or an S3 suspend was asked for (by this exit's
		 * device access, or by another vCPU): the guest must not run
		 * on past it (it would execute what follows its write), so
		 * park until the main thread has reset or woken the machine.
		 */
		if (action == VCPU_EXIT_PARK || atomic_load(&vm->reset_pending) ||
		    atomic_load(&vm->suspend_pending))
			vcpu_park(vcpu, true);
	}
	pthread_mutex_lock(&vm->park_lock);
	atomic_store(&vcpu->state, VCPU_STOPPED);
	vm->nr_live--;
	pthread_cond_broadcast(&vm->parked_cond);
	pthread_mutex_unlock(&vm->park_lock);
}
