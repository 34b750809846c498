/* SPDX-License-Identifier: MIT */
/* x86 helpers shared by the CPU setup, the pc machine and the Linux loader. */
#ifndef MINIVMM_X86_X86_H
#define MINIVMM_X86_X86_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;
struct pc_memory_layout;
struct acpi_pm;
struct cmos;
struct i8042;

/* Everything KVM exposes of one vCPU's architectural state (cpu_state.c). */
struct x86_vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xsave *xsave; /* with KVM_CAP_XSAVE, else fpu */
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;
	bool has_xcrs;
	struct kvm_msrs *msrs; /* those of the index list KVM could read */
	struct kvm_mp_state mp_state;
	struct kvm_lapic_state lapic;
	bool has_lapic; /* in-kernel irqchip */
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
};

/* The in-kernel PIC pair, IOAPIC and PIT of the pc machine. */
struct x86_irqchip_state {
	bool valid;
	struct kvm_irqchip chip[3]; /* PIC master, PIC slave, IOAPIC */
	struct kvm_pit_state2 pit;
	bool has_pit; /* not with -M pc,pit=off */
};

/* Per-VM x86 state behind vm->arch. */
struct x86_vm {
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID, fetched once */
	bool has_xsave, has_xcrs;
	uint32_t *msr_index; /* KVM_GET_MSR_INDEX_LIST */
	uint32_t nr_msr_index;
	struct x86_irqchip_state irqchip_reset; /* as created (pc machine) */
	struct pc_memory_layout *layout; /* the pc machine's, for reloads */
	struct acpi_pm *pm; /* the pc machine's, for S3 (pc_sleep.c) */
	struct cmos *cmos;
	struct i8042 *kbd; /* SendCtrlAltDel */
	/* kvmclock while paused (arch_vm_clock_stop), or as a snapshot had it. */
	struct kvm_clock_data clock;
	bool clock_stopped;
};

/*
 * -cpu MODEL[,FEATURES] on the CPUID template (cpu_features.c): `c` holds
 * what KVM supports (KVM_GET_SUPPORTED_CPUID, room for `room` entries) and
 * becomes what the guest gets.  MODEL NULL, "host" or "max": KVM's table;
 * qemu64, kvm64, qemu32, kvm32: QEMU's model on it.  FEATURES: bits
 * cleared, bits asked for checked against what KVM supports; tsc_deadline
 * (KVM_CAP_TSC_DEADLINE_TIMER) makes the deadline timer one KVM can give
 * (and gives it on host and max).  -1 with err_msg().
 */
int x86_cpu_features_apply(struct kvm_cpuid2 *c, uint32_t room,
			   bool tsc_deadline, const char *model,
			   const char *list);

/* ACPI S3 on the pc machine (pc_sleep.c): the PM1a_CNT callback. */
void pc_suspend_request(void *vm);

/* Per-vCPU x86 state behind vcpu->arch. */
struct x86_vcpu {
	struct x86_vcpu_state reset; /* as KVM created it: the reset state */
};

int x86_vm_state_init(struct vm *vm);
int x86_vcpu_state_get(struct vcpu *vcpu, struct x86_vcpu_state *st);
int x86_vcpu_state_set(struct vcpu *vcpu, const struct x86_vcpu_state *st);
void x86_vcpu_state_free(struct x86_vcpu_state *st);
int x86_irqchip_get(struct vm *vm, struct x86_irqchip_state *st);
int x86_irqchip_set(struct vm *vm, const struct x86_irqchip_state *st);

/* GDT descriptors: base 0, limit 4 GiB, present, ring 0 (SDM vol. 3, 3.4.5). */
#define GDT_CODE64 0x00af9b000000ffffull
#define GDT_CODE32 0x00cf9b000000ffffull
#define GDT_DATA 0x00cf93000000ffffull

/*
 * Write a 4-entry GDT at gpa and (long_mode) identity page tables for
 * 0-4 GiB with 2 MiB pages, filling FLAT_TABLES_SIZE bytes (32 without
 * long_mode); records the GDT and PML4 addresses in vm->boot.
 */
int x86_write_boot_tables(struct vm *vm, uint64_t gpa, bool long_mode,
			  const uint64_t gdt[4]);

#endif
