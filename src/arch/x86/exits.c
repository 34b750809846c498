// SPDX-License-Identifier: MIT
/*
 * The exits only x86 has: HLT (which reaches us only on the bare machine:
 * with the in-kernel irqchip KVM keeps it) and KVM_EXIT_SHUTDOWN, a triple
 * fault (Intel SDM vol. 3, 6.15: a fault while handling a double fault
 * shuts the processor down).
 */
#include "arch/arch.h"
#include "vcpu.h"
#include "vm.h"

/* Nothing can wake the vCPU again: the run ends. */
static enum vcpu_exit_action exit_hlt(struct vcpu *vcpu)
{
	/* HLT is one byte (0xf4) and the exit leaves pc just past it. */
	vm_request_stop(vcpu->vm, VM_STOP_HALT, "vcpu%u: HLT at 0x%llx",
			vcpu->id, (unsigned long long)arch_vcpu_pc(vcpu) - 1);
	return VCPU_EXIT_STOP;
}

static enum vcpu_exit_action exit_shutdown(struct vcpu *vcpu)
{
	/* QEMU's command line: a triple fault resets the machine, as on a PC. */
	if (vcpu->vm->opts.qemu_mode) {
		vm_request_reset(vcpu->vm, "vcpu%u: triple fault (KVM_EXIT_SHUTDOWN) at pc 0x%llx",
				 vcpu->id, (unsigned long long)arch_vcpu_pc(vcpu));
		return VCPU_EXIT_STOP;
	}
	vm_request_stop(vcpu->vm, VM_STOP_CRASH,
			"vcpu%u: triple fault (KVM_EXIT_SHUTDOWN) at pc 0x%llx",
			vcpu->id, (unsigned long long)arch_vcpu_pc(vcpu));
	return VCPU_EXIT_STOP;
}

void arch_exits_register(struct vm *vm)
{
	vcpu_exit_register(vm, KVM_EXIT_HLT, exit_hlt, NULL);
	vcpu_exit_register(vm, KVM_EXIT_SHUTDOWN, exit_shutdown, NULL);
}
