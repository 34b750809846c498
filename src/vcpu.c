// SPDX-License-Identifier: MIT
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/arch.h"
#include "log.h"
#include "vm.h"

/* The signal that kicks a vCPU thread out of KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO",
	[KVM_EXIT_HYPERCALL] = "HYPERCALL",
	[KVM_EXIT_DEBUG] = "DEBUG",
	[KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_MMIO] = "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTR] = "INTR",
	[KVM_EXIT_SET_TPR] = "SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVM_EXIT_S390_SIEIC] = "S390_SIEIC",
	[KVM_EXIT_S390_RESET] = "S390_RESET",
	[KVM_EXIT_DCR] = "DCR",
	[KVM_EXIT_NMI] = "NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_OSI] = "OSI",
	[KVM_EXIT_PAPR_HCALL] = "PAPR_HCALL",
	[KVM_EXIT_S390_UCONTROL] = "S390_UCONTROL",
	[KVM_EXIT_WATCHDOG] = "WATCHDOG",
	[KVM_EXIT_S390_TSCH] = "S390_TSCH",
	[KVM_EXIT_EPR] = "EPR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVM_EXIT_S390_STSI] = "S390_STSI",
	[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
	[KVM_EXIT_HYPERV] = "HYPERV",
	[KVM_EXIT_ARM_NISV] = "ARM_NISV",
	[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	[KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
	[KVM_EXIT_AP_RESET_HOLD] = "AP_RESET_HOLD",
	[KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
	[KVM_EXIT_XEN] = "XEN",
};

const char *vcpu_exit_name(uint32_t reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) &&
	    exit_names[reason])
		return exit_names[reason];
	return "UNNAMED";
}

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
	int r;

	atomic_store(&vcpu->state, VCPU_RUNNING);
	r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	if (r) {
		atomic_store(&vcpu->state, VCPU_STOPPED);
		errno = r;
		return err_errno("vcpu%u: cannot start its thread", vcpu->id);
	}
	vcpu->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	/*
	 * immediate_exit first: if the thread is between its stop check and
	 * KVM_RUN, the ioctl returns at once instead of entering the guest.
	 */
	if (vcpu->run)
		__atomic_store_n(&vcpu->run->immediate_exit, 1,
				 __ATOMIC_SEQ_CST);
	if (vcpu->thread_started && atomic_load(&vcpu->state) == VCPU_RUNNING)
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

static void trace_data(char *buf, size_t size, const uint8_t *data,
		       uint32_t len)
{
	snprintf(buf, size, "0x%0*llx", (int)(len * 2),
		 (unsigned long long)bus_data_get(data, len));
}

/* KVM_EXIT_IO: `count` accesses of `size` bytes at run + data_offset. */
static int vcpu_handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;
	uint32_t size = run->io.size, count = run->io.count;
	uint64_t off = run->io.data_offset, bytes = (uint64_t)size * count;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	uint8_t *data;

	/* The kernel fills these; checking costs nothing and keeps us honest. */
	if ((size != 1 && size != 2 && size != 4) || count == 0 ||
	    off > vcpu->run_size || bytes > vcpu->run_size - off) {
		vm_request_stop(vm, VM_STOP_ERROR,
				"vcpu%u: malformed I/O exit (size %u, count %u, offset %llu)",
				vcpu->id, size, count, (unsigned long long)off);
		return -1;
	}
	data = (uint8_t *)run + off;
	for (uint32_t i = 0; i < count; i++, data += size) {
		if (out)
			bus_write(&vm->pio, run->io.port, data, size);
		else
			bus_read(&vm->pio, run->io.port, data, size);
		if (vm->cfg->trace & TRACE_IO) {
			char d[24];

			trace_data(d, sizeof(d), data, size);
			fprintf(stderr, "io %s port=0x%x size=%u data=%s\n",
				out ? "out" : "in", run->io.port, size, d);
		}
	}
	vcpu->stats.pio_count += count;
	return 0;
}

static int vcpu_handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;
	uint32_t len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data)) {
		vm_request_stop(vm, VM_STOP_ERROR,
				"vcpu%u: malformed MMIO exit (len %u)", vcpu->id,
				len);
		return -1;
	}
	if (run->mmio.is_write)
		bus_write(&vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		bus_read(&vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
	if (vm->cfg->trace & TRACE_MMIO) {
		char d[24];

		trace_data(d, sizeof(d), run->mmio.data, len);
		fprintf(stderr, "mmio %s addr=0x%llx size=%u data=%s\n",
			run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.phys_addr, len, d);
	}
	vcpu->stats.mmio_count++;
	return 0;
}

static const char *internal_error_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failure";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "exit during event delivery";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected exit reason";
	}
	return "unknown";
}

static void vcpu_report_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char data[256] = "";
	size_t used = 0;
	uint32_t n = run->internal.ndata;

	if (n > sizeof(run->internal.data) / sizeof(run->internal.data[0]))
		n = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
	for (uint32_t i = 0; i < n && used < sizeof(data); i++)
		used += (size_t)snprintf(data + used, sizeof(data) - used,
					 " 0x%llx",
					 (unsigned long long)run->internal.data[i]);
	vm_request_stop(vcpu->vm, VM_STOP_CRASH,
			"vcpu%u: KVM internal error, suberror %u (%s) at pc 0x%llx, data:%s",
			vcpu->id, run->internal.suberror,
			internal_error_name(run->internal.suberror),
			(unsigned long long)arch_vcpu_pc(vcpu),
			n ? data : " none");
}

static void vcpu_handle_system_event(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(vm, VM_STOP_POWEROFF, "vcpu%u: guest powered off",
				vcpu->id);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_stop(vm, VM_STOP_RESET, "vcpu%u: guest asked for a reset",
				vcpu->id);
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		vm_request_stop(vm, VM_STOP_CRASH, "vcpu%u: guest reported a crash",
				vcpu->id);
		break;
	default:
		vm_request_stop(vm, VM_STOP_CRASH,
				"vcpu%u: unhandled system event type %u",
				vcpu->id, vcpu->run->system_event.type);
	}
}

/* Handle one exit; returns false when the vCPU must stop. */
static bool vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return vcpu_handle_io(vcpu) == 0;
	case KVM_EXIT_MMIO:
		return vcpu_handle_mmio(vcpu) == 0;
	case KVM_EXIT_HLT:
		/* Only without an irqchip: nothing can wake the vCPU again. */
		/* HLT is one byte (0xf4) and the exit leaves pc just past it. */
		vm_request_stop(vm, VM_STOP_HALT, "vcpu%u: HLT at 0x%llx",
				vcpu->id,
				(unsigned long long)arch_vcpu_pc(vcpu) - 1);
		return false;
	case KVM_EXIT_SHUTDOWN:
		vm_request_stop(vm, VM_STOP_CRASH,
				"vcpu%u: triple fault (KVM_EXIT_SHUTDOWN) at pc 0x%llx",
				vcpu->id,
				(unsigned long long)arch_vcpu_pc(vcpu));
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vm_request_stop(vm, VM_STOP_CRASH,
				"vcpu%u: VM entry failed, hardware reason 0x%llx on cpu %u",
				vcpu->id,
				(unsigned long long)run->fail_entry
					.hardware_entry_failure_reason,
				run->fail_entry.cpu);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_report_internal_error(vcpu);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_handle_system_event(vcpu);
		return false;
	case KVM_EXIT_INTR:
		return true;
	default:
		vm_request_stop(vm, VM_STOP_CRASH,
				"vcpu%u: unhandled exit reason %s (%u)", vcpu->id,
				vcpu_exit_name(run->exit_reason),
				run->exit_reason);
		return false;
	}
}

void vcpu_run_loop(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	const bool timing = vm->cfg->stats;
	const uint64_t max_exits = vm->cfg->max_exits;
	const bool trace_exits = vm->cfg->trace & TRACE_EXITS;

	while (!atomic_load_explicit(&vm->stopping, memory_order_acquire)) {
		uint64_t t0 = timing ? vm_now_ns() : 0, t1;
		uint32_t reason, slot;
		bool keep_going;
		int r = ioctl(vcpu->fd, KVM_RUN, 0);

		t1 = timing ? vm_now_ns() : 0;
		if (timing)
			vcpu->stats.run_ns += t1 - t0;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue; /* kicked: re-check `stopping` */
			vm_request_stop(vm, VM_STOP_ERROR,
					"vcpu%u: KVM_RUN failed: %s", vcpu->id,
					strerror(errno));
			break;
		}
		reason = vcpu->run->exit_reason;
		slot = reason < VCPU_STAT_REASONS ? reason : VCPU_STAT_REASONS - 1;
		vcpu->stats.count[slot]++;
		if (trace_exits)
			fprintf(stderr, "exit vcpu=%u reason=%s\n", vcpu->id,
				vcpu_exit_name(reason));
		keep_going = vcpu_handle_exit(vcpu);
		if (timing)
			vcpu->stats.handle_ns[slot] += vm_now_ns() - t1;
		if (!keep_going)
			break;
		if (max_exits &&
		    atomic_fetch_add(&vm->nr_exits, 1) + 1 >= max_exits) {
			vm_request_stop(vm, VM_STOP_MAX_EXITS,
					"reached --max-exits %llu",
					(unsigned long long)max_exits);
			break;
		}
	}
	atomic_store(&vcpu->state, VCPU_STOPPED);
}
