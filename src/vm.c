// SPDX-License-Identifier: MIT
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "arch/arch.h"
#include "console.h"
#include "log.h"
#include "machine.h"
#include "vm_report.h"

/* KVM_GET_API_VERSION has been 12 since Linux 2.6.22 and is stable ABI. */
#define KVM_REQUIRED_API 12

/* How long a vCPU gets to leave KVM_RUN after a kick before we give up. */
#define VM_JOIN_GRACE_MS 2000

uint64_t vm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int vm_open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), version;

	if (fd < 0) {
		if (errno == ENOENT)
			return err_set("/dev/kvm does not exist: this host offers no KVM (load kvm_intel or kvm_amd, or enable nested virtualization)");
		if (errno == EACCES)
			return err_errno("/dev/kvm (add your user to the 'kvm' group)");
		return err_errno("/dev/kvm");
	}
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_REQUIRED_API) {
		close(fd);
		return err_set("/dev/kvm: KVM API version %d, minivmm needs %d",
			       version, KVM_REQUIRED_API);
	}
	return fd;
}

bool vm_kvm_is_pvm(void)
{
	/* The PVM module (kvm_pvm) serves /dev/kvm without VMX/SVM. */
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

/* Capabilities every architecture needs. */
static const struct arch_cap generic_caps[] = {
	{ KVM_CAP_USER_MEMORY, "USER_MEMORY", true, "guest RAM from our mappings" },
	{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT", true,
	  "stopping a vCPU without races (--timeout, signals)" },
	{ KVM_CAP_NR_MEMSLOTS, "NR_MEMSLOTS", false, "number of memory slots" },
	{ KVM_CAP_READONLY_MEM, "READONLY_MEM", false, "firmware as ROM (pc)" },
};

int vm_check_caps(int kvm_fd)
{
	const struct arch_cap *lists[2];
	size_t counts[2];

	lists[0] = generic_caps;
	counts[0] = sizeof(generic_caps) / sizeof(generic_caps[0]);
	lists[1] = arch_caps(&counts[1]);
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			const struct arch_cap *c = &lists[l][i];

			if (c->required &&
			    ioctl(kvm_fd, KVM_CHECK_EXTENSION, c->cap) <= 0)
				return err_set("/dev/kvm lacks KVM_CAP_%s, needed for %s",
					       c->name, c->why);
		}
	}
	return 0;
}

void vm_caps_print(int kvm_fd, FILE *out)
{
	const struct arch_cap *lists[2];
	size_t counts[2];
	int mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	bool pvm = vm_kvm_is_pvm();

	fprintf(out, "KVM API version %d\n",
		ioctl(kvm_fd, KVM_GET_API_VERSION, 0));
	fprintf(out, "vCPU mmap size %d bytes (struct kvm_run is %zu)\n",
		mmap_size, sizeof(struct kvm_run));
	fprintf(out, "backend: %s\n",
		pvm ? "PVM (kvm_pvm): guest code is emulated instruction by instruction, ~2 M instructions/s; Linux guests are impractical here" :
		      "hardware virtualization");
	lists[0] = generic_caps;
	counts[0] = sizeof(generic_caps) / sizeof(generic_caps[0]);
	lists[1] = arch_caps(&counts[1]);
	fprintf(out, "capabilities minivmm uses:\n");
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			const struct arch_cap *c = &lists[l][i];
			int v = ioctl(kvm_fd, KVM_CHECK_EXTENSION, c->cap);

			char val[24];

			if (v > 1)
				snprintf(val, sizeof(val), "yes (%d)", v);
			else
				snprintf(val, sizeof(val), "%s",
					 v > 0 ? "yes" : "MISSING");
			fprintf(out, "  %-22s %-12s %s%s\n", c->name, val,
				c->why, c->required ? " (required)" : "");
		}
	}
	arch_caps_print(kvm_fd, out);
}

static void vm_irq_line_set(struct irq_line *line, bool level)
{
	struct vm *vm = line->ctx;
	struct kvm_irq_level l = {
		.irq = arch_irq_kvm_number(line->irq),
		.level = level,
	};

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		log_warn("KVM_IRQ_LINE %u: %s", line->irq, strerror(errno));
}

struct irq_line *vm_irq_line(struct vm *vm, unsigned irq)
{
	struct irq_line *line;

	if (!vm->has_irqchip) {
		err_set("interrupt %u: this machine has no interrupt controller",
			irq);
		return NULL;
	}
	for (size_t i = 0; i < vm->nr_irq_lines; i++)
		if (vm->irq_lines[i]->irq == irq)
			return vm->irq_lines[i];
	if (vm->nr_irq_lines == VM_MAX_IRQ_LINES) {
		err_set("interrupt %u: more than %d interrupt lines", irq,
			VM_MAX_IRQ_LINES);
		return NULL;
	}
	line = malloc(sizeof(*line));
	if (!line) {
		err_set("out of memory");
		return NULL;
	}
	irq_line_init(line, irq, vm_irq_line_set, vm);
	vm->irq_lines[vm->nr_irq_lines++] = line;
	return line;
}

int vm_map_memory(struct vm *vm)
{
	for (size_t i = 0; i < vm->mem.nr_regions; i++) {
		const struct mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region slot = {
			.slot = r->slot,
			.flags = r->readonly ? KVM_MEM_READONLY : 0,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uint64_t)(uintptr_t)r->hva,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return err_errno("KVM_SET_USER_MEMORY_REGION %s (0x%llx+0x%llx)",
					 r->name, (unsigned long long)r->gpa,
					 (unsigned long long)r->size);
	}
	return 0;
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->event_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &vm->start_time);
	mem_init(&vm->mem);
	bus_init(&vm->pio, "io", 0x10000);
	bus_init(&vm->mmio, "mmio", 0);
	pthread_mutex_init(&vm->stop_lock, NULL);

	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0)
		return err_errno("eventfd");
	vm->kvm_fd = vm_open_kvm();
	if (vm->kvm_fd < 0)
		return -1;
	vm->pvm = vm_kvm_is_pvm();
	if (vm_check_caps(vm->kvm_fd) < 0)
		return -1;
	vm->run_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_mmap_size < (int)sizeof(struct kvm_run))
		return err_set("KVM_GET_VCPU_MMAP_SIZE is %d, smaller than struct kvm_run (%zu)",
			       vm->run_mmap_size, sizeof(struct kvm_run));

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, arch_vm_type(cfg));
	if (vm->vm_fd < 0)
		return err_errno("KVM_CREATE_VM");
	if (arch_vm_init(vm) < 0)
		return -1;
	if (machine_create(vm) < 0)
		return -1;
	if (vm_map_memory(vm) < 0)
		return -1;

	vm->nr_vcpus = cfg->smp;
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return err_set("out of memory for %u vCPUs", vm->nr_vcpus);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vcpu_create(vm, i, &vm->vcpus[i]) < 0)
			return -1;
	return arch_vcpus_ready(vm);
}

void vm_destroy(struct vm *vm)
{
	if (vm->vcpus) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
		vm->vcpus = NULL;
	}
	device_list_destroy(&vm->devices);
	/* After the UART that writes to it (its input thread stopped in vm_run). */
	console_destroy(vm->console);
	vm->console = NULL;
	for (size_t i = 0; i < vm->nr_irq_lines; i++) {
		if (vm->irq_lines[i]->irqfd >= 0)
			close(vm->irq_lines[i]->irqfd);
		free(vm->irq_lines[i]);
	}
	vm->nr_irq_lines = 0;
	arch_vm_destroy(vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	vm->vm_fd = vm->kvm_fd = vm->event_fd = -1;
	mem_destroy(&vm->mem);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->stop_lock);
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
	atomic_store_explicit(&vm->stopping, true, memory_order_release);
	if (first) {
		uint64_t one = 1;

		/* Wake the main thread; a full counter cannot lose the wake-up. */
		if (write(vm->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("cannot signal the main thread: %s",
				 strerror(errno));
	}
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
		return EXIT_STOPPED;
	case VM_STOP_CRASH:
	case VM_STOP_ERROR:
	case VM_STOP_NONE:
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
		return "stopped";
	case VM_STOP_ERROR:
		return "error";
	}
	return "?";
}

/* Kick every vCPU until its thread has left, bounded in time. */
static void vm_stop_vcpus(struct vm *vm)
{
	atomic_store_explicit(&vm->stopping, true, memory_order_release);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		uint64_t deadline = vm_now_ns() + VM_JOIN_GRACE_MS * 1000000ull;

		if (!v->thread_started)
			continue;
		for (;;) {
			struct timespec ts;

			vcpu_kick(v);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 20 * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
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
				_exit(vm_exit_code(vm->stop_reason));
			}
		}
	}
}

static int vm_make_timer(double seconds)
{
	struct itimerspec its = { 0 };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (fd < 0)
		return err_errno("timerfd_create");
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec =
		(long)((seconds - (double)its.it_value.tv_sec) * 1e9);
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		close(fd);
		return err_errno("timerfd_settime");
	}
	return fd;
}

int vm_run(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct pollfd fds[3];
	sigset_t sigs, old;
	int sfd, tfd = -1, nfds = 0;

	/* The main thread owns SIGINT/SIGTERM/SIGHUP; vCPU threads block them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return EXIT_GUEST_CRASH;
	}
	if (cfg->timeout > 0) {
		tfd = vm_make_timer(cfg->timeout);
		if (tfd < 0) {
			log_error("%s", err_msg());
			close(sfd);
			return EXIT_GUEST_CRASH;
		}
	}
	if (vcpu_signals_init() < 0) {
		log_error("%s", err_msg());
		close(sfd);
		if (tfd >= 0)
			close(tfd);
		return EXIT_GUEST_CRASH;
	}

	/* After the signal block: the input thread inherits it. */
	if (vm->console && console_start(vm->console) < 0) {
		log_error("%s", err_msg());
		close(sfd);
		if (tfd >= 0)
			close(tfd);
		return EXIT_GUEST_CRASH;
	}
	if (cfg->verbose)
		vm_report_setup(vm, stderr);

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vcpu_start(&vm->vcpus[i]) < 0) {
			vm_request_stop(vm, VM_STOP_ERROR, "%s", err_msg());
			break;
		}
	}

	fds[nfds++] = (struct pollfd){ .fd = vm->event_fd, .events = POLLIN };
	fds[nfds++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	if (tfd >= 0)
		fds[nfds++] = (struct pollfd){ .fd = tfd, .events = POLLIN };

	while (!atomic_load(&vm->stopping)) {
		if (poll(fds, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			vm_request_stop(vm, VM_STOP_ERROR, "poll: %s",
					strerror(errno));
			break;
		}
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				vm_request_stop(vm, VM_STOP_SIGNAL,
						"signal %s",
						sigabbrev_np((int)si.ssi_signo) ?
							sigabbrev_np((int)si.ssi_signo) :
							"?");
		}
		if (tfd >= 0 && (fds[2].revents & POLLIN))
			vm_request_stop(vm, VM_STOP_TIMEOUT,
					"timeout after %g s", cfg->timeout);
	}

	vm_stop_vcpus(vm);
	console_stop(vm->console);
	fflush(stdout);
	/* The one-line report of how the run ended, always printed. */
	fprintf(stderr, "minivmm: %s: %s\n", vm_stop_reason_name(vm->stop_reason),
		vm->stop_detail);
	if (vm->stop_reason == VM_STOP_CRASH && vm->nr_vcpus)
		arch_vcpu_dump(&vm->vcpus[0], stderr);
	if (cfg->stats)
		vm_report_stats(vm, stderr);

	close(sfd);
	if (tfd >= 0)
		close(tfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return vm_exit_code(vm->stop_reason);
}
