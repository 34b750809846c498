// SPDX-License-Identifier: MIT
/*
 * The whole architectural state of an x86 vCPU as KVM exposes it, and of
 * the in-kernel PIC, IOAPIC and PIT: read into plain structs and written
 * back.  A machine reset writes back what each vCPU and the irqchip had
 * right after creation (KVM's power-on values, Intel SDM vol. 3, 9.1.1
 * "Processor State After Reset"); a snapshot will save the same structs.
 *
 * The order of the writes follows what the state depends on: general
 * registers, FPU/XSAVE, XCRs, special registers (they carry APIC_BASE and
 * EFER), MSRs, the MP state, the local APIC (after APIC_BASE), pending
 * events, debug registers — the order QEMU's kvm_arch_put_registers uses.
 * The TSC-deadline MSR is written once more after the local APIC: KVM
 * drops a write of it while the APIC timer is not in TSC-deadline mode,
 * which on a fresh vCPU (a restore) it is not until KVM_SET_LAPIC, and a
 * guest whose next timer was armed that way would then wait forever.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"
#include "vm.h"
#include "x86.h"

/* MSRs KVM saves and restores (KVM_GET_MSR_INDEX_LIST), fetched once. */
static int msr_index_list(int kvm_fd, uint32_t **out, uint32_t *count)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;

	/* The first call fails with E2BIG and says how many there are. */
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return err_errno("KVM_GET_MSR_INDEX_LIST");
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	if (!list)
		return err_set("out of memory");
	list->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		free(list);
		return err_errno("KVM_GET_MSR_INDEX_LIST");
	}
	*count = list->nmsrs;
	*out = malloc((list->nmsrs ? list->nmsrs : 1) * sizeof(uint32_t));
	if (!*out) {
		free(list);
		return err_set("out of memory");
	}
	memcpy(*out, list->indices, list->nmsrs * sizeof(uint32_t));
	free(list);
	return 0;
}

static struct kvm_msrs *msrs_alloc(uint32_t n)
{
	return calloc(1, sizeof(struct kvm_msrs) + n * sizeof(struct kvm_msr_entry));
}

/*
 * Read every MSR of the index list.  KVM_GET_MSRS stops at the first MSR
 * it cannot read (some in the list depend on CPUID); that one is left out
 * and the rest read on.
 */
static int msrs_read(struct vcpu *vcpu, const uint32_t *index, uint32_t count,
		     struct kvm_msrs **out)
{
	struct kvm_msrs *m = msrs_alloc(count);
	uint32_t done = 0, skipped = 0;

	if (!m)
		return err_set("out of memory");
	while (done + skipped < count) {
		struct kvm_msrs *part = msrs_alloc(count);
		uint32_t want = count - done - skipped;
		int n;

		if (!part) {
			free(m);
			return err_set("out of memory");
		}
		part->nmsrs = want;
		for (uint32_t i = 0; i < want; i++)
			part->entries[i].index = index[done + skipped + i];
		n = ioctl(vcpu->fd, KVM_GET_MSRS, part);
		if (n < 0) {
			free(part);
			free(m);
			return err_errno("vcpu%u: KVM_GET_MSRS", vcpu->id);
		}
		memcpy(&m->entries[done], part->entries,
		       (size_t)n * sizeof(part->entries[0]));
		done += (uint32_t)n;
		if ((uint32_t)n < want)
			skipped++; /* entries[n] is not readable here */
		free(part);
	}
	m->nmsrs = done;
	*out = m;
	return 0;
}

/* Write the MSRs back; one KVM refuses is reported and the rest written. */
static int msrs_write(struct vcpu *vcpu, const struct kvm_msrs *m)
{
	struct kvm_msrs *part = msrs_alloc(m->nmsrs);
	uint32_t done = 0;

	if (!part)
		return err_set("out of memory");
	while (done < m->nmsrs) {
		int n;

		part->nmsrs = m->nmsrs - done;
		memcpy(part->entries, &m->entries[done],
		       part->nmsrs * sizeof(part->entries[0]));
		n = ioctl(vcpu->fd, KVM_SET_MSRS, part);
		if (n < 0) {
			free(part);
			return err_errno("vcpu%u: KVM_SET_MSRS", vcpu->id);
		}
		done += (uint32_t)n;
		if (done < m->nmsrs) {
			log_info("vcpu%u: MSR 0x%x not restored", vcpu->id,
				 m->entries[done].index);
			done++;
		}
	}
	free(part);
	return 0;
}

#define MSR_IA32_TSC_DEADLINE 0x6e0

/* The TSC-deadline MSR again, now that the APIC timer mode is set. */
static void tsc_deadline_write(struct vcpu *vcpu, const struct kvm_msrs *m)
{
	struct kvm_msrs *one;

	for (uint32_t i = 0; i < m->nmsrs; i++) {
		if (m->entries[i].index != MSR_IA32_TSC_DEADLINE)
			continue;
		one = msrs_alloc(1);
		if (one) {
			one->nmsrs = 1;
			one->entries[0] = m->entries[i];
		}
		if (!one || ioctl(vcpu->fd, KVM_SET_MSRS, one) != 1)
			log_warn("vcpu%u: the TSC-deadline timer was not restored",
				 vcpu->id);
		free(one);
		return;
	}
}

void x86_vcpu_state_free(struct x86_vcpu_state *st)
{
	free(st->msrs);
	free(st->xsave);
	memset(st, 0, sizeof(*st));
}

int x86_vcpu_state_get(struct vcpu *vcpu, struct x86_vcpu_state *st)
{
	struct vm *vm = vcpu->vm;
	struct x86_vm *xv = vm->arch;

	memset(st, 0, sizeof(*st));
	if (ioctl(vcpu->fd, KVM_GET_REGS, &st->regs) < 0)
		return err_errno("vcpu%u: KVM_GET_REGS", vcpu->id);
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &st->sregs) < 0)
		return err_errno("vcpu%u: KVM_GET_SREGS", vcpu->id);
	if (xv->has_xsave) {
		st->xsave = calloc(1, sizeof(*st->xsave));
		if (!st->xsave)
			return err_set("out of memory");
		if (ioctl(vcpu->fd, KVM_GET_XSAVE, st->xsave) < 0)
			return err_errno("vcpu%u: KVM_GET_XSAVE", vcpu->id);
	} else if (ioctl(vcpu->fd, KVM_GET_FPU, &st->fpu) < 0) {
		return err_errno("vcpu%u: KVM_GET_FPU", vcpu->id);
	}
	if (xv->has_xcrs && ioctl(vcpu->fd, KVM_GET_XCRS, &st->xcrs) < 0)
		return err_errno("vcpu%u: KVM_GET_XCRS", vcpu->id);
	st->has_xcrs = xv->has_xcrs;
	if (msrs_read(vcpu, xv->msr_index, xv->nr_msr_index, &st->msrs) < 0)
		return -1;
	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &st->mp_state) < 0)
		return err_errno("vcpu%u: KVM_GET_MP_STATE", vcpu->id);
	st->has_lapic = vm->has_irqchip;
	if (st->has_lapic && ioctl(vcpu->fd, KVM_GET_LAPIC, &st->lapic) < 0)
		return err_errno("vcpu%u: KVM_GET_LAPIC", vcpu->id);
	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &st->events) < 0)
		return err_errno("vcpu%u: KVM_GET_VCPU_EVENTS", vcpu->id);
	if (ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &st->debugregs) < 0)
		return err_errno("vcpu%u: KVM_GET_DEBUGREGS", vcpu->id);
	return 0;
}

int x86_vcpu_state_set(struct vcpu *vcpu, const struct x86_vcpu_state *st)
{
	struct kvm_vcpu_events events = st->events;

	if (ioctl(vcpu->fd, KVM_SET_REGS, &st->regs) < 0)
		return err_errno("vcpu%u: KVM_SET_REGS", vcpu->id);
	if (st->xsave) {
		if (ioctl(vcpu->fd, KVM_SET_XSAVE, st->xsave) < 0)
			return err_errno("vcpu%u: KVM_SET_XSAVE", vcpu->id);
	} else if (ioctl(vcpu->fd, KVM_SET_FPU, &st->fpu) < 0) {
		return err_errno("vcpu%u: KVM_SET_FPU", vcpu->id);
	}
	if (st->has_xcrs && ioctl(vcpu->fd, KVM_SET_XCRS, &st->xcrs) < 0)
		return err_errno("vcpu%u: KVM_SET_XCRS", vcpu->id);
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &st->sregs) < 0)
		return err_errno("vcpu%u: KVM_SET_SREGS", vcpu->id);
	if (st->msrs && msrs_write(vcpu, st->msrs) < 0)
		return -1;
	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &st->mp_state) < 0)
		return err_errno("vcpu%u: KVM_SET_MP_STATE", vcpu->id);
	if (st->has_lapic && ioctl(vcpu->fd, KVM_SET_LAPIC, &st->lapic) < 0)
		return err_errno("vcpu%u: KVM_SET_LAPIC", vcpu->id);
	if (st->has_lapic && st->msrs)
		tsc_deadline_write(vcpu, st->msrs);
	/* GET marks what it filled; NMI pending and SIPI are taken too. */
	events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING |
			KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &events) < 0)
		return err_errno("vcpu%u: KVM_SET_VCPU_EVENTS", vcpu->id);
	if (ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &st->debugregs) < 0)
		return err_errno("vcpu%u: KVM_SET_DEBUGREGS", vcpu->id);
	return 0;
}

int x86_vm_state_init(struct vm *vm)
{
	struct x86_vm *xv = vm->arch;

	xv->has_xsave = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0;
	xv->has_xcrs = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
	return msr_index_list(vm->kvm_fd, &xv->msr_index, &xv->nr_msr_index);
}

int x86_irqchip_get(struct vm *vm, struct x86_irqchip_state *st)
{
	static const int chips[3] = { KVM_IRQCHIP_PIC_MASTER,
				      KVM_IRQCHIP_PIC_SLAVE, KVM_IRQCHIP_IOAPIC };

	memset(st, 0, sizeof(*st));
	for (int i = 0; i < 3; i++) {
		st->chip[i].chip_id = (uint32_t)chips[i];
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &st->chip[i]) < 0)
			return err_errno("KVM_GET_IRQCHIP %d", chips[i]);
	}
	st->has_pit = !vm->cfg->no_pit;
	if (st->has_pit && ioctl(vm->vm_fd, KVM_GET_PIT2, &st->pit) < 0)
		return err_errno("KVM_GET_PIT2");
	st->valid = true;
	return 0;
}

int x86_irqchip_set(struct vm *vm, const struct x86_irqchip_state *st)
{
	for (int i = 0; i < 3; i++)
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &st->chip[i]) < 0)
			return err_errno("KVM_SET_IRQCHIP %u", st->chip[i].chip_id);
	if (st->has_pit && ioctl(vm->vm_fd, KVM_SET_PIT2, &st->pit) < 0)
		return err_errno("KVM_SET_PIT2");
	return 0;
}
