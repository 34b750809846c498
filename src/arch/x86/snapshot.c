// SPDX-License-Identifier: MIT
/*
 * The x86 part of a snapshot (docs/SNAPSHOT.md): each vCPU's whole state
 * as cpu_state.c reads it, and the VM's in-kernel PIC pair, IOAPIC, PIT
 * and kvmclock.  KVM's structs go into the stream as their fixed-size
 * kernel ABI bytes (x86-64, little-endian; the file records the
 * architecture); variable parts (MSRs) as counted lists.  KVM checks the
 * register contents it is given; the load checks the counts and flags.
 *
 * The guest clock: while the VM is paused kvmclock is frozen (KVM_GET_CLOCK
 * at the pause, KVM_SET_CLOCK of the same value at the resume), as QEMU
 * does, so the guest's monotonic time does not see the pause; a snapshot
 * keeps the frozen value and a restore starts the clock from it.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "log.h"
#include "state.h"
#include "vm.h"
#include "x86.h"

#define EM_X86_64_ID 62u
/* More than KVM's MSR index list has ever held. */
#define SNAP_MAX_MSRS 4096u

uint32_t arch_snapshot_machine(void)
{
	return EM_X86_64_ID;
}

void arch_vm_clock_stop(struct vm *vm)
{
	struct x86_vm *xv = vm->arch;

	if (xv->clock_stopped)
		return;
	memset(&xv->clock, 0, sizeof(xv->clock));
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &xv->clock) < 0) {
		log_info("KVM_GET_CLOCK: %s; the guest clock runs on while paused",
			 strerror(errno));
		return;
	}
	xv->clock_stopped = true;
}

/* kvmclock from xv->clock; only its value is given (flags 0). */
static int clock_set(struct vm *vm)
{
	struct x86_vm *xv = vm->arch;
	struct kvm_clock_data c = { .clock = xv->clock.clock };

	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &c) < 0)
		return err_errno("KVM_SET_CLOCK");
	return 0;
}

void arch_vm_clock_start(struct vm *vm)
{
	struct x86_vm *xv = vm->arch;

	if (!xv->clock_stopped)
		return;
	xv->clock_stopped = false;
	if (clock_set(vm) < 0)
		log_warn("resume: %s", err_msg());
}

int arch_snapshot_save_vm(struct vm *vm, struct state_writer *w)
{
	struct x86_vm *xv = vm->arch;
	struct x86_irqchip_state chip;

	state_put_bool(w, vm->has_irqchip);
	if (vm->has_irqchip) {
		if (x86_irqchip_get(vm, &chip) < 0)
			return -1;
		for (int i = 0; i < 3; i++)
			state_put_bytes(w, &chip.chip[i], sizeof(chip.chip[i]));
		state_put_bool(w, chip.has_pit);
		if (chip.has_pit)
			state_put_bytes(w, &chip.pit, sizeof(chip.pit));
	}
	/* The frozen value when paused (a snapshot is of a paused VM). */
	arch_vm_clock_stop(vm);
	state_put_bool(w, xv->clock_stopped);
	state_put_u64(w, xv->clock.clock);
	return state_writer_error(w);
}

int arch_snapshot_load_vm(struct vm *vm, struct state_reader *r)
{
	struct x86_vm *xv = vm->arch;
	struct x86_irqchip_state chip;
	bool has_clock;

	memset(&chip, 0, sizeof(chip));
	if (state_get_bool(r) != vm->has_irqchip)
		return state_reader_fail(r, "in-kernel irqchip %s in the snapshot, %s here",
					 vm->has_irqchip ? "absent" : "present",
					 vm->has_irqchip ? "present" : "absent");
	if (vm->has_irqchip) {
		for (int i = 0; i < 3; i++)
			state_get_bytes(r, &chip.chip[i], sizeof(chip.chip[i]));
		chip.has_pit = state_get_bool(r);
		if (chip.has_pit)
			state_get_bytes(r, &chip.pit, sizeof(chip.pit));
		if (chip.has_pit != !vm->cfg->no_pit)
			return state_reader_fail(r, "the PIT differs from the machine's");
		if (chip.chip[0].chip_id != KVM_IRQCHIP_PIC_MASTER ||
		    chip.chip[1].chip_id != KVM_IRQCHIP_PIC_SLAVE ||
		    chip.chip[2].chip_id != KVM_IRQCHIP_IOAPIC)
			return state_reader_fail(r, "irqchip ids %u %u %u",
						 chip.chip[0].chip_id,
						 chip.chip[1].chip_id,
						 chip.chip[2].chip_id);
	}
	has_clock = state_get_bool(r);
	xv->clock.clock = state_get_u64(r);
	if (state_reader_error(r, "x86 machine state") < 0)
		return -1;
	if (vm->has_irqchip && x86_irqchip_set(vm, &chip) < 0)
		return -1;
	/* Frozen until the VM runs: arch_vm_clock_start sets it. */
	xv->clock_stopped = has_clock;
	return 0;
}

int arch_snapshot_save_vcpu(struct vcpu *vcpu, struct state_writer *w)
{
	struct x86_vcpu_state st;

	if (x86_vcpu_state_get(vcpu, &st) < 0) {
		x86_vcpu_state_free(&st);
		return -1;
	}
	state_put_bytes(w, &st.regs, sizeof(st.regs));
	state_put_bytes(w, &st.sregs, sizeof(st.sregs));
	state_put_bool(w, st.xsave != NULL);
	if (st.xsave)
		state_put_bytes(w, st.xsave, sizeof(*st.xsave));
	else
		state_put_bytes(w, &st.fpu, sizeof(st.fpu));
	state_put_bool(w, st.has_xcrs);
	if (st.has_xcrs)
		state_put_bytes(w, &st.xcrs, sizeof(st.xcrs));
	state_put_u32(w, st.msrs->nmsrs);
	for (uint32_t i = 0; i < st.msrs->nmsrs; i++) {
		state_put_u32(w, st.msrs->entries[i].index);
		state_put_u64(w, st.msrs->entries[i].data);
	}
	state_put_u32(w, st.mp_state.mp_state);
	state_put_bool(w, st.has_lapic);
	if (st.has_lapic)
		state_put_bytes(w, &st.lapic, sizeof(st.lapic));
	state_put_bytes(w, &st.events, sizeof(st.events));
	state_put_bytes(w, &st.debugregs, sizeof(st.debugregs));
	x86_vcpu_state_free(&st);
	return state_writer_error(w);
}

int arch_snapshot_load_vcpu(struct vcpu *vcpu, struct state_reader *r)
{
	struct x86_vm *xv = vcpu->vm->arch;
	struct x86_vcpu_state st;
	uint32_t nmsrs;
	int ret = -1;

	memset(&st, 0, sizeof(st));
	state_get_bytes(r, &st.regs, sizeof(st.regs));
	state_get_bytes(r, &st.sregs, sizeof(st.sregs));
	if (state_get_bool(r) != xv->has_xsave) {
		state_reader_fail(r, "XSAVE state %s, this host %s it",
				  xv->has_xsave ? "missing" : "present",
				  xv->has_xsave ? "has" : "lacks");
		goto out;
	}
	if (xv->has_xsave) {
		st.xsave = calloc(1, sizeof(*st.xsave));
		if (!st.xsave) {
			err_set("out of memory");
			goto out;
		}
		state_get_bytes(r, st.xsave, sizeof(*st.xsave));
	} else {
		state_get_bytes(r, &st.fpu, sizeof(st.fpu));
	}
	st.has_xcrs = state_get_bool(r);
	if (st.has_xcrs && !xv->has_xcrs) {
		state_reader_fail(r, "XCRs saved, this host has none");
		goto out;
	}
	if (st.has_xcrs)
		state_get_bytes(r, &st.xcrs, sizeof(st.xcrs));
	nmsrs = state_get_u32(r);
	if (nmsrs > SNAP_MAX_MSRS || nmsrs > state_remaining(r) / 12) {
		state_reader_fail(r, "%u MSRs", nmsrs);
		goto out;
	}
	st.msrs = calloc(1, sizeof(*st.msrs) + nmsrs * sizeof(st.msrs->entries[0]));
	if (!st.msrs) {
		err_set("out of memory");
		goto out;
	}
	st.msrs->nmsrs = nmsrs;
	for (uint32_t i = 0; i < nmsrs; i++) {
		st.msrs->entries[i].index = state_get_u32(r);
		st.msrs->entries[i].data = state_get_u64(r);
	}
	st.mp_state.mp_state = state_get_u32(r);
	if (st.mp_state.mp_state > KVM_MP_STATE_SUSPENDED) {
		state_reader_fail(r, "MP state %u", st.mp_state.mp_state);
		goto out;
	}
	st.has_lapic = state_get_bool(r);
	if (st.has_lapic != vcpu->vm->has_irqchip) {
		state_reader_fail(r, "local APIC state does not fit the machine");
		goto out;
	}
	if (st.has_lapic)
		state_get_bytes(r, &st.lapic, sizeof(st.lapic));
	state_get_bytes(r, &st.events, sizeof(st.events));
	state_get_bytes(r, &st.debugregs, sizeof(st.debugregs));
	if (state_reader_error(r, "vCPU state") < 0)
		goto out;
	ret = x86_vcpu_state_set(vcpu, &st);
out:
	if (ret < 0 && r->failed)
		state_reader_error(r, "vCPU state");
	x86_vcpu_state_free(&st);
	return ret;
}
