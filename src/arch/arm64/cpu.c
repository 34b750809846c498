// SPDX-License-Identifier: MIT
/*
 * arm64 vCPU and VM basics: the capabilities we use, the IPA size the
 * memory map needs (KVM_VM_TYPE_ARM_IPA_SIZE), vCPU initialisation
 * (KVM_ARM_PREFERRED_TARGET + KVM_ARM_VCPU_INIT with PSCI 0.2, secondaries
 * powered off until PSCI CPU_ON), the entry registers through
 * KVM_SET_ONE_REG, and the register dump.  Addresses are in layout.h.
 *
 * Entry state (Documentation/arch/arm64/booting.rst section 4): EL1h with
 * D, A, I and F masked, MMU and caches off (KVM's reset SCTLR_EL1), x0 the
 * device tree's address on the virt machine, x1-x3 zero.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/arch.h"
#include "arm64.h"
#include "dev/debugcon.h"
#include "layout.h"
#include "log.h"
#include "vm.h"

/* SPSR/PSTATE bits (Arm ARM C5.2.18). */
#define PSTATE_MODE_EL1H 0x5ull
#define PSTATE_F 0x40ull
#define PSTATE_I 0x80ull
#define PSTATE_A 0x100ull
#define PSTATE_D 0x200ull
#define PSTATE_ENTRY \
	(PSTATE_MODE_EL1H | PSTATE_D | PSTATE_A | PSTATE_I | PSTATE_F)

/* KVM_{GET,SET}_ONE_REG id of a 64-bit field of struct kvm_regs. */
#define CORE_REG(field)                                            \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
	 KVM_REG_ARM_CORE_REG(field))

/* The smallest IPA size KVM accepts (ARM64_MIN_PARANGE_BITS). */
#define ARM64_MIN_IPA_BITS 32

static const struct arch_info arm64_info = {
	.name = "arm64",
	.machine = MACHINE_VIRT,
	.machines = "bare, virt",
	.bare_ram_base = ARM64_RAM_BASE,
	.has_pio = false,
	.has_cpu_modes = false,
	.bare_debugcon_mmio = ARM64_DEBUGCON_MMIO,
	.bare_end = "PSCI SYSTEM_OFF ends the run",
};

const struct arch_info *arch_info(void)
{
	return &arm64_info;
}

static const struct arch_cap arm64_caps[] = {
	{ KVM_CAP_ARM_VM_IPA_SIZE, "ARM_VM_IPA_SIZE", true,
	  "sizing the guest-physical address space" },
	{ KVM_CAP_ARM_PSCI_0_2, "ARM_PSCI_0_2", true,
	  "PSCI 0.2: CPU_ON for secondary vCPUs, SYSTEM_OFF and SYSTEM_RESET" },
	{ KVM_CAP_ONE_REG, "ONE_REG", true, "setting the entry registers" },
	{ KVM_CAP_DEVICE_CTRL, "DEVICE_CTRL", false,
	  "the in-kernel GIC (virt)" },
	{ KVM_CAP_IRQCHIP, "IRQCHIP", false, "in-kernel interrupt controller (virt)" },
	{ KVM_CAP_ARM_EL1_32BIT, "ARM_EL1_32BIT", false,
	  "32-bit guests (not used)" },
	{ KVM_CAP_IOEVENTFD, "IOEVENTFD", false, "virtio notifications" },
	{ KVM_CAP_IRQFD, "IRQFD", false, "virtio interrupts" },
};

const struct arch_cap *arch_caps(size_t *count)
{
	*count = sizeof(arm64_caps) / sizeof(arm64_caps[0]);
	return arm64_caps;
}

uint64_t arch_max_gpa(void)
{
	/*
	 * The architectural ceiling (52-bit PAs); the host's own limit is
	 * checked against the whole memory map when the VM is created.
	 */
	return 1ull << 52;
}

/* The highest guest-physical address + 1 the configuration uses. */
static uint64_t arm64_gpa_end(const struct vm_config *cfg)
{
	uint64_t end = cfg->machine == MACHINE_VIRT ?
			       ARM64_VIRTIO_BASE +
				       ARM64_VIRTIO_COUNT * ARM64_VIRTIO_STRIDE :
			       0;
	uint64_t base = cfg->machine == MACHINE_BARE ? cfg->ram_base :
						      ARM64_RAM_BASE;

	if (base + cfg->ram_size > end)
		end = base + cfg->ram_size;
	for (size_t i = 0; i < cfg->nr_debugcon_mmio; i++)
		if (cfg->debugcon_mmio[i] + DEBUGCON_MMIO_LEN > end)
			end = cfg->debugcon_mmio[i] + DEBUGCON_MMIO_LEN;
	return end;
}

unsigned arm64_ipa_bits(const struct vm_config *cfg)
{
	uint64_t end = arm64_gpa_end(cfg);
	unsigned bits = ARM64_MIN_IPA_BITS;

	while (bits < 64 && (1ull << bits) < end)
		bits++;
	return bits;
}

unsigned long arch_vm_type(const struct vm_config *cfg)
{
	/* KVM_CAP_ARM_VM_IPA_SIZE is required, so the size is always given. */
	return KVM_VM_TYPE_ARM_IPA_SIZE(arm64_ipa_bits(cfg));
}

int arch_vm_init(struct vm *vm)
{
	struct arm64_vm *av = calloc(1, sizeof(*av));
	int limit;

	if (!av)
		return err_set("out of memory");
	av->gic_fd = -1;
	vm->arch = av;
	limit = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	if (limit > 0 && arm64_ipa_bits(vm->cfg) > (unsigned)limit)
		return err_set("the memory map reaches 0x%llx (%u-bit addresses), but this host's KVM offers guests only %d bits: use less RAM",
			       (unsigned long long)arm64_gpa_end(vm->cfg),
			       arm64_ipa_bits(vm->cfg), limit);
	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &av->target) < 0)
		return err_errno("KVM_ARM_PREFERRED_TARGET");
	return 0;
}

void arch_vm_destroy(struct vm *vm)
{
	struct arm64_vm *av = vm->arch;

	if (av && av->gic_fd >= 0)
		close(av->gic_fd);
	free(av);
	vm->arch = NULL;
}

int arch_flat_setup(struct vm *vm)
{
	/* A64 instructions are 4 bytes, and a misaligned pc faults at once. */
	if (vm->boot.entry % 4)
		return err_set("--entry 0x%llx: AArch64 instructions are 4-byte aligned",
			       (unsigned long long)vm->boot.entry);
	return 0;
}

int arch_vcpus_ready(struct vm *vm)
{
	return arm64_gic_init_done(vm);
}

/* --reg names: x0..x30, sp (SP_EL1, the stack of EL1h), pc. */
static int reg_index(const char *name)
{
	char *end;
	long n;

	if (!strcmp(name, "sp"))
		return 31;
	if (!strcmp(name, "pc"))
		return 32;
	if (name[0] != 'x' || name[1] < '0' || name[1] > '9')
		return -1;
	if (name[1] == '0' && name[2])
		return -1; /* "x01" */
	n = strtol(name + 1, &end, 10);
	if (*end || n < 0 || n > 30)
		return -1;
	return (int)n;
}

static uint64_t reg_id(int index)
{
	if (index == 31)
		return CORE_REG(sp_el1);
	if (index == 32)
		return CORE_REG(regs.pc);
	return CORE_REG(regs.regs[index]);
}

bool arch_reg_valid(const char *name)
{
	return reg_index(name) >= 0;
}

const char *arch_reg_names(void)
{
	return "x0..x30, sp, pc";
}

static int set_reg(struct vcpu *vcpu, uint64_t id, uint64_t value,
		   const char *what)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&value };

	if (ioctl(vcpu->fd, KVM_SET_ONE_REG, &r) < 0)
		return err_errno("vcpu%u: KVM_SET_ONE_REG %s", vcpu->id, what);
	return 0;
}

static int get_reg(struct vcpu *vcpu, uint64_t id, uint64_t *value)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)value };

	return ioctl(vcpu->fd, KVM_GET_ONE_REG, &r);
}

/*
 * KVM_ARM_VCPU_INIT puts a vCPU in its reset state, at creation and again
 * at a machine reset (api.rst: "this ioctl ... can be called again to reset
 * the vCPU"); then the entry registers.  The GIC is not reset: a kernel
 * programs its distributor and redistributors from scratch when it boots.
 */
int arch_vcpu_init(struct vcpu *vcpu)
{
	struct arm64_vm *av = vcpu->vm->arch;
	const struct vm_config *cfg = vcpu->vm->cfg;
	const struct boot_state *b = &vcpu->vm->boot;
	struct kvm_vcpu_init init = av->target;
	uint64_t x[4] = { b->dtb_gpa, 0, 0, 0 };

	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	/* Secondaries wait for PSCI CPU_ON, which KVM handles itself. */
	if (vcpu->id != 0)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init) < 0)
		return err_errno("vcpu%u: KVM_ARM_VCPU_INIT (target %u)",
				 vcpu->id, init.target);
	if (vcpu->id != 0)
		return 0;

	if (set_reg(vcpu, CORE_REG(regs.pstate), PSTATE_ENTRY, "pstate") < 0 ||
	    set_reg(vcpu, CORE_REG(regs.pc), b->entry, "pc") < 0)
		return -1;
	for (int i = 0; i < 4; i++)
		if (set_reg(vcpu, CORE_REG(regs.regs[i]), x[i], "x0-x3") < 0)
			return -1;
	for (size_t i = 0; i < cfg->nr_regs; i++) {
		int idx = reg_index(cfg->regs[i].name);

		if (idx >= 0 && set_reg(vcpu, reg_id(idx), cfg->regs[i].value,
					cfg->regs[i].name) < 0)
			return -1;
	}
	return 0;
}

int arch_vcpu_reset(struct vcpu *vcpu)
{
	return arch_vcpu_init(vcpu);
}

void arch_vcpu_destroy(struct vcpu *vcpu)
{
	(void)vcpu;
}

int arch_vm_reset(struct vm *vm)
{
	(void)vm;
	return 0;
}

/* -cpu host|max only: the features of an arm64 vCPU are not changed. */
int arch_cpu_features_check(const char *list)
{
	return err_set("'%s': CPU features cannot be changed on arm64", list);
}

/* Only -cpu host or max: the host's CPU as KVM gives it. */
const char *arch_cpu_model(const char *name, size_t len)
{
	(void)name;
	(void)len;
	return NULL;
}

const char *arch_cpu_model_names(void)
{
	return "";
}

void arch_cpu_describe(const struct vm *vm, char *buf, size_t size)
{
	(void)vm;
	if (size)
		buf[0] = 0;
}

/* The virt machine has no ACPI sleep states: nothing ever asks for S3. */
int arch_vm_suspend(struct vm *vm, int64_t *wake_ns)
{
	(void)vm;
	*wake_ns = -1;
	return err_set("the virt machine has no S3");
}

int arch_vm_wake(struct vm *vm)
{
	(void)vm;
	return err_set("the virt machine has no S3");
}

/* Every exit arm64 meets is a generic one (MMIO, PSCI system events). */
void arch_exits_register(struct vm *vm)
{
	(void)vm;
}

uint64_t arch_vcpu_pc(struct vcpu *vcpu)
{
	uint64_t pc = 0;

	if (get_reg(vcpu, CORE_REG(regs.pc), &pc) < 0)
		return 0;
	return pc;
}

void arch_vcpu_dump(struct vcpu *vcpu, FILE *out)
{
	uint64_t x[31], sp_el1 = 0, sp_el0 = 0, pc = 0, pstate = 0;

	for (int i = 0; i < 31; i++) {
		if (get_reg(vcpu, CORE_REG(regs.regs[i]), &x[i]) < 0) {
			fprintf(out, "vcpu%u: registers unreadable: %s\n",
				vcpu->id, strerror(errno));
			return;
		}
	}
	get_reg(vcpu, CORE_REG(sp_el1), &sp_el1);
	get_reg(vcpu, CORE_REG(regs.sp), &sp_el0);
	get_reg(vcpu, CORE_REG(regs.pc), &pc);
	get_reg(vcpu, CORE_REG(regs.pstate), &pstate);
	fprintf(out, "vcpu%u registers:\n", vcpu->id);
	for (int i = 0; i < 31; i++) {
		char name[4];

		snprintf(name, sizeof(name), "x%d", i);
		fprintf(out, "%s%-3s %016llx%s", i % 4 ? " " : "  ", name,
			(unsigned long long)x[i], i % 4 == 3 ? "\n" : "");
	}
	fprintf(out,
		"\n  sp_el1 %016llx sp_el0 %016llx\n"
		"  pc  %016llx pstate %08llx (EL%llu%s, DAIF %llx)\n",
		(unsigned long long)sp_el1, (unsigned long long)sp_el0,
		(unsigned long long)pc, (unsigned long long)pstate,
		(unsigned long long)((pstate >> 2) & 3),
		pstate & 1 ? "h" : "t", (unsigned long long)((pstate >> 6) & 0xf));
}

/* Whether the host can create an in-kernel GIC of this type. */
static bool gic_available(int vm_fd, uint32_t type)
{
	struct kvm_create_device cd = { .type = type,
					.flags = KVM_CREATE_DEVICE_TEST };

	return ioctl(vm_fd, KVM_CREATE_DEVICE, &cd) == 0;
}

void arch_caps_print(int kvm_fd, FILE *out)
{
	int ipa = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	struct kvm_vcpu_init init;
	int vm_fd;

	fprintf(out, "guest IPA size limit: %d bits%s\n", ipa > 0 ? ipa : 40,
		ipa > 0 ? "" : " (KVM default)");
	fprintf(out, "max vCPUs: %d\n",
		ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	fprintf(out, "PSCI 0.2: %s\n",
		ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2) > 0 ?
			"yes" : "no");
	/* The preferred target and the GICs are per-VM questions. */
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM,
		      ipa > 0 ? KVM_VM_TYPE_ARM_IPA_SIZE(ipa) : 0);
	if (vm_fd < 0) {
		fprintf(out, "cannot create a VM to ask further: %s\n",
			strerror(errno));
		return;
	}
	if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init) == 0)
		fprintf(out, "preferred vCPU target: %u%s\n", init.target,
			init.target == KVM_ARM_TARGET_GENERIC_V8 ?
				" (generic v8)" : "");
	else
		fprintf(out, "preferred vCPU target: unknown (%s)\n",
			strerror(errno));
	fprintf(out, "in-kernel GICv3: %s\n",
		gic_available(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V3) ? "yes" : "no");
	fprintf(out, "in-kernel GICv2: %s\n",
		gic_available(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V2) ? "yes" : "no");
	close(vm_fd);
}
