// SPDX-License-Identifier: MIT
/*
 * The arm64 part of a snapshot (docs/SNAPSHOT.md).  Not written yet: a
 * snapshot of an arm64 VM is refused with a message, and pausing leaves the
 * virtual counter running.
 */
#include "arch/arch.h"
#include "log.h"

#define EM_AARCH64_ID 183u

uint32_t arch_snapshot_machine(void)
{
	return EM_AARCH64_ID;
}

static int unsupported(void)
{
	return err_set("snapshots of arm64 VMs are not supported yet");
}

int arch_snapshot_save_vm(struct vm *vm, struct state_writer *w)
{
	(void)vm;
	(void)w;
	return unsupported();
}

int arch_snapshot_load_vm(struct vm *vm, struct state_reader *r)
{
	(void)vm;
	(void)r;
	return unsupported();
}

int arch_snapshot_save_vcpu(struct vcpu *vcpu, struct state_writer *w)
{
	(void)vcpu;
	(void)w;
	return unsupported();
}

int arch_snapshot_load_vcpu(struct vcpu *vcpu, struct state_reader *r)
{
	(void)vcpu;
	(void)r;
	return unsupported();
}

void arch_vm_clock_stop(struct vm *vm)
{
	(void)vm;
}

void arch_vm_clock_start(struct vm *vm)
{
	(void)vm;
}
