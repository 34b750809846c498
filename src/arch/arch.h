/* SPDX-License-Identifier: MIT */
/*
 * The hooks every architecture implements.  Generic code (vm, vcpu,
 * machine, main) calls only these; the Makefile compiles src/arch/$(ARCH).
 */
#ifndef MINIVMM_ARCH_H
#define MINIVMM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vm;
struct vcpu;
struct vm_config;
struct state_writer;
struct state_reader;

/*
 * What this architecture offers the generic configuration code, so that
 * config.c and machine.c decide without knowing which one they run on.
 */
struct arch_info {
	const char *name; /* "x86_64", "arm64" */
	int machine; /* enum machine_kind besides bare: pc, virt */
	const char *machines; /* the -M names, for messages */
	uint64_t bare_ram_base; /* default ram-base of -M bare */
	bool has_pio; /* port I/O: --debugcon PORT, the 0xe9 console */
	bool has_cpu_modes; /* --mode real|protected|long */
	/* MMIO debug console every bare machine has (0: none). */
	uint64_t bare_debugcon_mmio;
	/* How a guest ends a run on the bare machine (for -v). */
	const char *bare_end;
};

const struct arch_info *arch_info(void);

struct arch_cap {
	int cap; /* KVM_CAP_* */
	const char *name;
	bool required; /* refuse to run without it */
	const char *why;
};

/* Capabilities this architecture uses (for the check and `minivmm caps`). */
const struct arch_cap *arch_caps(size_t *count);

/* The `type` argument of KVM_CREATE_VM for this configuration. */
unsigned long arch_vm_type(const struct vm_config *cfg);

/*
 * Snapshots (src/snapshot/), on the main thread with every vCPU parked:
 * the VM-wide state KVM keeps (x86: in-kernel PIC, IOAPIC, PIT, kvmclock;
 * arm64: vGIC) and each vCPU's, to a state stream and back.  A load checks
 * what it reads (state.h) and leaves the VM unusable on failure: the
 * caller then ends without running it.  -1 with err_msg().
 */
int arch_snapshot_save_vm(struct vm *vm, struct state_writer *w);
int arch_snapshot_load_vm(struct vm *vm, struct state_reader *r);
int arch_snapshot_save_vcpu(struct vcpu *vcpu, struct state_writer *w);
int arch_snapshot_load_vcpu(struct vcpu *vcpu, struct state_reader *r);
/* The ELF e_machine of this architecture: a snapshot records it. */
uint32_t arch_snapshot_machine(void);

/*
 * The guest's clock while the VM is paused (main thread, vCPUs parked):
 * stop freezes it (x86: kvmclock; arm64: the virtual counter), start lets
 * it run on from the same value, so the guest sees no time pass.
 */
void arch_vm_clock_stop(struct vm *vm);
void arch_vm_clock_start(struct vm *vm);

/* After KVM_CREATE_VM: per-VM setup (TSS, identity map, ...). */
int arch_vm_init(struct vm *vm);
void arch_vm_destroy(struct vm *vm);

/*
 * A flat image has been loaded at vm->boot.load_addr: build what its start
 * mode needs (GDT, page tables) in guest memory and record it in vm->boot.
 */
int arch_flat_setup(struct vm *vm);

/*
 * A new vCPU: what the architecture sets once (x86: CPUID), the reset state
 * kept for arch_vcpu_reset, then the entry registers from vm->boot and the
 * --reg overrides.
 */
int arch_vcpu_init(struct vcpu *vcpu);
/*
 * Back to the state a machine reset gives (the vCPU is parked): the
 * architecture's reset state, then the entry registers from vm->boot as
 * at creation.
 */
int arch_vcpu_reset(struct vcpu *vcpu);

/* The architecture's exit handlers (vcpu_exit_register), at VM creation. */
void arch_exits_register(struct vm *vm);

/* Reset what the VM itself holds in the kernel (x86: PIC, IOAPIC, PIT). */
int arch_vm_reset(struct vm *vm);
/* Press Ctrl+Alt+Del on the machine's keyboard (the API's SendCtrlAltDel);
 * -1 with err_msg() where there is none. */
int arch_ctrl_alt_del(struct vm *vm);

/*
 * ACPI S3, on the main thread with every vCPU parked.  arch_vm_suspend()
 * says in *wake_ns when the machine wakes by itself (its RTC alarm), -1
 * for never; arch_vm_wake(), after the devices, irqchip and vCPUs were
 * reset, puts the boot vCPU where the guest resumes (its firmware's
 * resume path, or the waking vector the OS left in the FACS).
 */
int arch_vm_suspend(struct vm *vm, int64_t *wake_ns);

/*
 * -cpu MODEL[,FEATURES]: 0 when every item of the comma-separated
 * FEATURES ("+NAME", "-NAME", "NAME=on|off") names a feature this
 * architecture can change, else -1 with err_msg() naming the item.
 */
int arch_cpu_features_check(const char *list);

/*
 * -cpu MODEL: the name (NAME, LEN) as a named model this architecture has
 * besides host and max (x86: QEMU's qemu64, kvm64, qemu32, kvm32), a
 * static string; NULL when it has none by that name.
 */
const char *arch_cpu_model(const char *name, size_t len);
/*
 * The models arch_cpu_model() takes besides host and max, for messages:
 * " and QEMU's qemu64, ..." or "".
 */
const char *arch_cpu_model_names(void);
/*
 * For -v: what the guest's CPU says of itself, after "cpu: MODEL", e.g.
 * " (GenuineIntel family 15 model 107 stepping 1, leaves to 0xd and
 * 0x8000000a)"; "" when there is nothing to add.
 */
void arch_cpu_describe(const struct vm *vm, char *buf, size_t size);

int arch_vm_wake(struct vm *vm);
void arch_vcpu_destroy(struct vcpu *vcpu);

/*
 * Every vCPU exists and is initialised: finish what needs them all (arm64:
 * the in-kernel GIC is initialised only after the last vCPU is created).
 */
int arch_vcpus_ready(struct vm *vm);

/* Whether NAME is a register --reg accepts. */
bool arch_reg_valid(const char *name);
/* The list of those names, for messages and --help. */
const char *arch_reg_names(void);

/* Instruction pointer of a stopped vCPU (0 when unreadable). */
uint64_t arch_vcpu_pc(struct vcpu *vcpu);
/* Register dump for crash reports and -v. */
void arch_vcpu_dump(struct vcpu *vcpu, FILE *out);

/* Extra lines for `minivmm caps` (CPU model facts). */
void arch_caps_print(int kvm_fd, FILE *out);

/* `minivmm memmap`: describe the memory map of cfg without running. */
int arch_memmap(const struct vm_config *cfg, FILE *out);

/*
 * `minivmm dtb -o PATH`: write the device tree cfg would give the guest
 * ("-" is stdout).  -1 with err_msg() where there is no device tree.
 */
int arch_dtb_write(const struct vm_config *cfg, const char *path);

/*
 * virtio-mmio slot n: its base address and interrupt (the arch's number,
 * as vm_irq_line takes it).  -1 past the last slot.
 */
int arch_virtio_mmio_slot(unsigned n, uint64_t *base, unsigned *irq);
/*
 * Put dev behind virtio-pci on the machine's PCI bus (x86 pc).  Takes dev
 * over (destroyed on failure); -1 with err_msg() where there is no PCI.
 */
struct virtio_dev;
int arch_virtio_pci_add(struct vm *vm, struct virtio_dev *dev);
/*
 * The legacy INTx interrupt of the virtio-pci function in PCI slot `slot`
 * (what a guest without MSI-X gets), -1 when the slot has none.
 */
int arch_virtio_pci_intx(unsigned slot);

/* The `irq` field of KVM_IRQ_LINE for the arch's interrupt number. */
uint32_t arch_irq_kvm_number(unsigned irq);

/* Lowest and highest guest-physical address RAM may use on this arch. */
uint64_t arch_max_gpa(void);

#endif
