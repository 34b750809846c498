// SPDX-License-Identifier: MIT
/*
 * A VM's life after vm_create(): the run (vCPU threads plus the main
 * thread's event loop), stop and reset requests, pause and resume, reset in
 * place, and the report of how the run ended.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "arch/arch.h"
#include "console.h"
#include "event_loop.h"
#include "gdb/gdb.h"
#include "log.h"
#include "machine.h"
#include "vm.h"
#include "vm_report.h"

/* How long a vCPU gets to leave KVM_RUN after a kick before we give up. */
#define VM_JOIN_GRACE_MS 2000

static void vm_wake_main(struct vm *vm)
{
	uint64_t one = 1;

	/* A full counter cannot lose the wake-up. */
	if (write(vm->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("cannot signal the main thread: %s", strerror(errno));
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason,
		     const char *fmt, ...)
{
	bool first = false;
	va_list ap;

	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop_reason == VM_STOP_NONE) {
		vm->stop_reason = reason;
		va_start(ap, fmt);
		vsnprintf(vm->stop_detail, sizeof(vm->stop_detail), fmt, ap);
		va_end(ap);
		first = true;
	}
	pthread_mutex_unlock(&vm->stop_lock);
	atomic_store_explicit(&vm->stopping, true, memory_order_seq_cst);
	if (first)
		vm_wake_main(vm);
}

void vm_request_reset(struct vm *vm, const char *fmt, ...)
{
	char detail[sizeof(vm->reset_detail)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!vm->opts.reboot_restart) {
		vm_request_stop(vm, VM_STOP_RESET, "%s", detail);
		return;
	}
	pthread_mutex_lock(&vm->stop_lock);
	if (!atomic_load(&vm->reset_pending)) {
		memcpy(vm->reset_detail, detail, sizeof(detail));
		atomic_store(&vm->reset_pending, true);
	}
	pthread_mutex_unlock(&vm->stop_lock);
	vm_wake_main(vm);
}

void vm_request_exit(struct vm *vm, int status)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop_reason == VM_STOP_NONE)
		vm->guest_exit_status = status;
	pthread_mutex_unlock(&vm->stop_lock);
	vm_request_stop(vm, VM_STOP_GUEST_EXIT, "isa-debug-exit: exit status %d",
			status);
}

/* The process exit code of the run's end (the guest's own for isa-debug-exit). */
static int vm_run_code(const struct vm *vm)
{
	return vm->stop_reason == VM_STOP_GUEST_EXIT ? vm->guest_exit_status :
						       vm_exit_code(vm->stop_reason);
}

int vm_exit_code(enum vm_stop_reason reason)
{
	switch (reason) {
	case VM_STOP_HALT:
	case VM_STOP_POWEROFF:
		return EXIT_GUEST_OK;
	case VM_STOP_RESET:
		return EXIT_GUEST_RESET;
	case VM_STOP_TIMEOUT:
	case VM_STOP_MAX_EXITS:
	case VM_STOP_SIGNAL:
	case VM_STOP_DEBUGGER:
		return EXIT_STOPPED;
	case VM_STOP_CRASH:
	case VM_STOP_ERROR:
	case VM_STOP_NONE:
	case VM_STOP_GUEST_EXIT: /* its status is the guest's: vm_run_code */
		break;
	}
	return EXIT_GUEST_CRASH;
}

const char *vm_stop_reason_name(enum vm_stop_reason reason)
{
	switch (reason) {
	case VM_STOP_NONE:
		return "running";
	case VM_STOP_HALT:
		return "halted";
	case VM_STOP_POWEROFF:
		return "powered off";
	case VM_STOP_RESET:
		return "reset";
	case VM_STOP_CRASH:
		return "crashed";
	case VM_STOP_TIMEOUT:
	case VM_STOP_MAX_EXITS:
	case VM_STOP_SIGNAL:
	case VM_STOP_DEBUGGER:
		return "stopped";
	case VM_STOP_ERROR:
		return "error";
	case VM_STOP_GUEST_EXIT:
		return "exited";
	}
	return "?";
}

int vm_pause(struct vm *vm)
{
	int state = atomic_load(&vm->state);

	if (state == VM_PAUSED)
		return 0;
	if (state != VM_RUNNING)
		return err_set("the VM is not running");
	if (vcpu_pause_all(vm) < 0)
		return -1;
	device_list_pause(&vm->devices, true);
	arch_vm_clock_stop(vm);
	atomic_store(&vm->state, VM_PAUSED);
	vm->nr_pauses++;
	return 0;
}

int vm_resume(struct vm *vm)
{
	int state = atomic_load(&vm->state);

	if (state == VM_RUNNING)
		return 0;
	if (state != VM_PAUSED)
		return err_set("the VM is not paused");
	arch_vm_clock_start(vm);
	device_list_pause(&vm->devices, false);
	atomic_store(&vm->state, VM_RUNNING);
	vcpu_resume_all(vm);
	vm->nr_resumes++;
	return 0;
}

/*
 * The power-on sequence of vm_reset() and of the S3 wake: devices, the
 * in-kernel irqchip and timer, then each vCPU; `reload` loads the images
 * again in between (a wake keeps RAM as the guest left it).
 */
static int vm_reset_machine(struct vm *vm, bool reload)
{
	device_list_reset(&vm->devices);
	if (arch_vm_reset(vm) < 0)
		return -1;
	if (reload && machine_load(vm) < 0)
		return -1;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (arch_vcpu_reset(&vm->vcpus[i]) < 0)
			return -1;
	return 0;
}

int vm_reset(struct vm *vm)
{
	if (vm_reset_machine(vm, true) < 0)
		return -1;
	vm->nr_resets++;
	return 0;
}

/* The main thread's side of a reset request (--reboot=restart). */
static void vm_reset_in_place(struct vm *vm)
{
	bool was_paused = atomic_load(&vm->state) == VM_PAUSED;

	if (!was_paused && vcpu_pause_all(vm) < 0) {
		vm_request_stop(vm, VM_STOP_ERROR, "reset: %s", err_msg());
		return;
	}
	atomic_store(&vm->reset_pending, false);
	if (vm_reset(vm) < 0) {
		vm_request_stop(vm, VM_STOP_ERROR, "reset: %s", err_msg());
		return;
	}
	log_warn("%s: starting the machine again (--reboot=restart, reset %u)",
		 vm->reset_detail, vm->nr_resets);
	if (!was_paused)
		vcpu_resume_all(vm);
}

void vm_request_suspend(struct vm *vm)
{
	atomic_store(&vm->suspend_pending, true);
	vm_wake_main(vm);
}

static void on_wake(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;

	(void)events;
	event_loop_remove(vm->loop, vm->wake_timer);
	vm->wake_timer = NULL;
	if (vm_reset_machine(vm, false) < 0 || arch_vm_wake(vm) < 0) {
		vm_request_stop(vm, VM_STOP_ERROR, "S3 wake: %s", err_msg());
		return;
	}
	vm->suspended = false;
	log_info("woken from S3 by the RTC alarm (suspend %u)", vm->nr_suspends);
	vcpu_resume_all(vm);
}

/* The main thread's side of an S3 request: park, then wait for the wake. */
static void vm_suspend_in_place(struct vm *vm)
{
	int64_t ns = -1;

	atomic_store(&vm->suspend_pending, false);
	if (vm->suspended)
		return;
	if (vcpu_pause_all(vm) < 0 || arch_vm_suspend(vm, &ns) < 0) {
		vm_request_stop(vm, VM_STOP_ERROR, "S3: %s", err_msg());
		return;
	}
	vm->suspended = true;
	vm->nr_suspends++;
	if (ns < 0) {
		log_info("suspended to RAM (ACPI S3); no wake source is armed");
		return;
	}
	log_info("suspended to RAM (ACPI S3); the RTC alarm wakes it in %.3f s",
		 (double)ns / 1e9);
	vm->wake_timer = event_loop_add_timer(vm->loop, (uint64_t)ns, false,
					      on_wake, vm);
	if (!vm->wake_timer)
		vm_request_stop(vm, VM_STOP_ERROR, "S3: %s", err_msg());
}

/* Kick every vCPU until its thread has left, bounded in time. */
static void vm_stop_vcpus(struct vm *vm)
{
	atomic_store_explicit(&vm->stopping, true, memory_order_seq_cst);
	vcpu_wake_all(vm);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		uint64_t deadline = vm_now_ns() + VM_JOIN_GRACE_MS * 1000000ull;

		if (!v->thread_started)
			continue;
		for (;;) {
			struct timespec ts;

			vcpu_kick(v);
			vm_realtime_after(&ts, 20);
			if (pthread_timedjoin_np(v->thread, NULL, &ts) == 0) {
				v->thread_started = false;
				break;
			}
			if (vm_now_ns() > deadline) {
				/* Never hang: report and let the process exit. */
				log_error("vcpu%u does not leave KVM_RUN; exiting without it",
					  v->id);
				fflush(NULL);
				console_tty_restore();
				_exit(vm_run_code(vm));
			}
		}
	}
	atomic_store(&vm->state, VM_STOPPED);
}

/* ---- The main thread's event sources ---- */

static void on_request(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	uint64_t v;

	(void)events;
	if (read(vm->event_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("main thread: eventfd read: %s", strerror(errno));
	if (atomic_load(&vm->stopping)) {
		event_loop_quit(vm->loop);
		return;
	}
	if (atomic_load(&vm->reset_pending))
		vm_reset_in_place(vm);
	if (atomic_load(&vm->suspend_pending))
		vm_suspend_in_place(vm);
	if (atomic_load(&vm->stopping))
		event_loop_quit(vm->loop);
}

static void on_signal(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;
	const char *name;

	(void)events;
	if (read(vm->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	name = sigabbrev_np((int)si.ssi_signo);
	vm->stop_signal = (int)si.ssi_signo;
	vm_request_stop(vm, VM_STOP_SIGNAL, "signal %s", name ? name : "?");
}

static void on_timeout(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;

	(void)events;
	vm_request_stop(vm, VM_STOP_TIMEOUT, "timeout after %g s",
			vm->opts.timeout);
}

/* The sources of a run; -1 with err_msg() (nothing started then). */
static int vm_loop_setup(struct vm *vm, sigset_t *old)
{
	sigset_t sigs;

	/* The main thread owns SIGINT/SIGTERM/SIGHUP; vCPU threads block them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, old);
	vm->signal_fd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vm->signal_fd < 0)
		return err_errno("signalfd");
	vm->run_sources[0] = event_loop_add_fd(vm->loop, vm->signal_fd, EPOLLIN,
					       on_signal, vm);
	vm->run_sources[1] = event_loop_add_fd(vm->loop, vm->event_fd, EPOLLIN,
					       on_request, vm);
	if (!vm->run_sources[0] || !vm->run_sources[1])
		return -1;
	if (vm->opts.timeout > 0) {
		vm->run_sources[2] = event_loop_add_timer(
			vm->loop, (uint64_t)(vm->opts.timeout * 1e9), false,
			on_timeout, vm);
		if (!vm->run_sources[2])
			return -1;
	}
	if (vcpu_signals_init() < 0)
		return -1;
	if (vm->console && console_start(vm->console, vm->loop) < 0)
		return -1;
	return 0;
}

static void vm_loop_teardown(struct vm *vm, const sigset_t *old)
{
	console_stop(vm->console);
	event_loop_remove(vm->loop, vm->wake_timer);
	vm->wake_timer = NULL;
	for (size_t i = 0; i < sizeof(vm->run_sources) / sizeof(vm->run_sources[0]);
	     i++) {
		event_loop_remove(vm->loop, vm->run_sources[i]);
		vm->run_sources[i] = NULL;
	}
	if (vm->signal_fd >= 0)
		close(vm->signal_fd);
	vm->signal_fd = -1;
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/*
 * How a run on QEMU's command line ends: as QEMU's would.  Status 0 for a
 * guest that powered off, reset (with -no-reboot) or was stopped by a
 * signal ("terminating on signal N", QEMU's line, which harnesses read);
 * the guest's own status through isa-debug-exit; 1 with the reason for a
 * failure.  Nothing else reaches stderr.
 */
static int qemu_end(struct vm *vm)
{
	int code = 0;

	switch (vm->stop_reason) {
	case VM_STOP_GUEST_EXIT:
		code = vm->guest_exit_status;
		break;
	case VM_STOP_SIGNAL:
		if (vm->stop_signal)
			log_error("terminating on signal %d", vm->stop_signal);
		break;
	case VM_STOP_CRASH:
	case VM_STOP_ERROR:
		log_error("%s", vm->stop_detail);
		if (vm->stop_reason == VM_STOP_CRASH && vm->nr_vcpus)
			arch_vcpu_dump(&vm->vcpus[0], stderr);
		code = 1;
		break;
	default:
		break;
	}
	gdb_stub_run_ended(vm, code);
	return code;
}

int vm_run(struct vm *vm)
{
	sigset_t old;

	if (vm_loop_setup(vm, &old) < 0) {
		log_error("%s", err_msg());
		vm_loop_teardown(vm, &old);
		return EXIT_GUEST_CRASH;
	}
	if (vm->opts.verbose)
		vm_report_setup(vm, stderr);

	if (vm->cfg->start_paused) {
		/* The vCPUs park before their first entry (vcpu_run_loop). */
		pthread_mutex_lock(&vm->park_lock);
		vm->pause_requested = true;
		atomic_store(&vm->pause_flag, true);
		pthread_mutex_unlock(&vm->park_lock);
		atomic_store(&vm->state, VM_PAUSED);
	} else {
		arch_vm_clock_start(vm); /* a restored clock runs from its value */
		atomic_store(&vm->state, VM_RUNNING);
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vcpu_start(&vm->vcpus[i]) < 0) {
			vm_request_stop(vm, VM_STOP_ERROR, "%s", err_msg());
			break;
		}
	}

	while (!atomic_load(&vm->stopping))
		if (event_loop_run(vm->loop) < 0)
			vm_request_stop(vm, VM_STOP_ERROR, "%s", err_msg());

	vm_stop_vcpus(vm);
	vm_loop_teardown(vm, &old);
	fflush(stdout);
	if (vm->opts.qemu_mode)
		return qemu_end(vm);
	/*
	 * The one-line report of how the run ended, always printed; but a
	 * guest that picked its exit status (isa-debug-exit) ends as under
	 * QEMU, with nothing on stderr (-v still says it).
	 */
	if (vm->stop_reason != VM_STOP_GUEST_EXIT || vm->opts.verbose)
		fprintf(stderr, "minivmm: %s: %s\n",
			vm_stop_reason_name(vm->stop_reason), vm->stop_detail);
	if (vm->stop_reason == VM_STOP_CRASH && vm->nr_vcpus)
		arch_vcpu_dump(&vm->vcpus[0], stderr);
	if (vm->opts.stats)
		vm_report_stats(vm, stderr);
	gdb_stub_run_ended(vm, vm_run_code(vm));
	return vm_run_code(vm);
}
