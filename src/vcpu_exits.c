// SPDX-License-Identifier: MIT
/*
 * The exit table and the handlers every architecture shares: port and MMIO
 * accesses go to the buses, the rest ends (or resets) the run with a
 * one-line report.  Architectures and optional parts register their own
 * handlers with vcpu_exit_register().
 */
#include <string.h>

#include "arch/arch.h"
#include "log.h"
#include "vcpu.h"
#include "vm.h"

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

int vcpu_exit_register(struct vm *vm, uint32_t reason, vcpu_exit_fn fn,
		       vcpu_exit_fn *previous)
{
	if (reason >= VCPU_EXIT_TABLE_SIZE)
		return err_set("exit reason %u is beyond the exit table (%d)",
			       reason, VCPU_EXIT_TABLE_SIZE);
	if (previous)
		*previous = vm->exit_handlers[reason];
	vm->exit_handlers[reason] = fn;
	return 0;
}

static void trace_data(char *buf, size_t size, const uint8_t *data,
		       uint32_t len)
{
	snprintf(buf, size, "0x%0*llx", (int)(len * 2),
		 (unsigned long long)bus_data_get(data, len));
}

/* KVM_EXIT_IO: `count` accesses of `size` bytes at run + data_offset. */
static enum vcpu_exit_action exit_io(struct vcpu *vcpu)
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
		return VCPU_EXIT_STOP;
	}
	data = (uint8_t *)run + off;
	for (uint32_t i = 0; i < count; i++, data += size) {
		if (out)
			bus_write(&vm->pio, run->io.port, data, size);
		else
			bus_read(&vm->pio, run->io.port, data, size);
		if (vm->opts.trace & TRACE_IO) {
			char d[24];

			trace_data(d, sizeof(d), data, size);
			fprintf(stderr, "io %s port=0x%x size=%u data=%s\n",
				out ? "out" : "in", run->io.port, size, d);
		}
	}
	vcpu->stats.pio_count += count;
	return VCPU_EXIT_CONTINUE;
}

static enum vcpu_exit_action exit_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;
	uint32_t len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data)) {
		vm_request_stop(vm, VM_STOP_ERROR,
				"vcpu%u: malformed MMIO exit (len %u)", vcpu->id,
				len);
		return VCPU_EXIT_STOP;
	}
	if (run->mmio.is_write)
		bus_write(&vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		bus_read(&vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
	if (vm->opts.trace & TRACE_MMIO) {
		char d[24];

		trace_data(d, sizeof(d), run->mmio.data, len);
		fprintf(stderr, "mmio %s addr=0x%llx size=%u data=%s\n",
			run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.phys_addr, len, d);
	}
	vcpu->stats.mmio_count++;
	return VCPU_EXIT_CONTINUE;
}

static enum vcpu_exit_action exit_fail_entry(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	vm_request_stop(vcpu->vm, VM_STOP_CRASH,
			"vcpu%u: VM entry failed, hardware reason 0x%llx on cpu %u",
			vcpu->id,
			(unsigned long long)run->fail_entry
				.hardware_entry_failure_reason,
			run->fail_entry.cpu);
	return VCPU_EXIT_STOP;
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

static enum vcpu_exit_action exit_internal_error(struct vcpu *vcpu)
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
	return VCPU_EXIT_STOP;
}

static enum vcpu_exit_action exit_system_event(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(vm, VM_STOP_POWEROFF, "vcpu%u: guest powered off",
				vcpu->id);
		return VCPU_EXIT_STOP;
	case KVM_SYSTEM_EVENT_RESET:
		/* Parked until the main thread has reset the machine (or stops). */
		vm_request_reset(vm, "vcpu%u: guest asked for a reset", vcpu->id);
		return VCPU_EXIT_PARK;
	case KVM_SYSTEM_EVENT_CRASH:
		vm_request_stop(vm, VM_STOP_CRASH, "vcpu%u: guest reported a crash",
				vcpu->id);
		return VCPU_EXIT_STOP;
	default:
		vm_request_stop(vm, VM_STOP_CRASH,
				"vcpu%u: unhandled system event type %u",
				vcpu->id, vcpu->run->system_event.type);
		return VCPU_EXIT_STOP;
	}
}

/* A signal (the kick) arrived while the guest ran: look at the requests. */
static enum vcpu_exit_action exit_intr(struct vcpu *vcpu)
{
	(void)vcpu;
	return VCPU_EXIT_CONTINUE;
}

void vcpu_exits_register_generic(struct vm *vm)
{
	static const struct {
		uint32_t reason;
		vcpu_exit_fn fn;
	} generic[] = {
		{ KVM_EXIT_IO, exit_io },
		{ KVM_EXIT_MMIO, exit_mmio },
		{ KVM_EXIT_FAIL_ENTRY, exit_fail_entry },
		{ KVM_EXIT_INTERNAL_ERROR, exit_internal_error },
		{ KVM_EXIT_SYSTEM_EVENT, exit_system_event },
		{ KVM_EXIT_INTR, exit_intr },
	};

	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
		vcpu_exit_register(vm, generic[i].reason, generic[i].fn, NULL);
}
