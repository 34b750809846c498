// SPDX-License-Identifier: MIT
/*
 * The arm64 part of a snapshot (docs/SNAPSHOT.md): each vCPU's registers,
 * every one KVM_GET_REG_LIST names, with its MP state and vCPU events; the
 * in-kernel GICv3 (distributor, each redistributor, each CPU interface,
 * the input line levels); and the virtual counter.
 *
 * Records carry what identifies them (register ids, GIC groups and
 * attributes), and a load rebuilds the list it expects from the machine it
 * restores into and refuses a snapshot whose list differs: a host with
 * other registers (another kernel, other vCPU features) is a clear "no",
 * never a half-restored VM.  KVM checks the values it is given (ID
 * registers must equal the host's, PSTATE must be a valid mode, ...).
 *
 * The guest clock: the virtual counter (CNTVCT_EL0) is the host's counter
 * minus an offset KVM keeps for the VM.  While the VM is paused it is
 * frozen: KVM_REG_ARM_TIMER_CNT read on vCPU 0 at the pause and written
 * back at the resume, which moves the offset so that the guest counts on
 * from the value it had (one write serves every vCPU: the offset is the
 * VM's).  KVM_ARM_SET_COUNTER_OFFSET would do the same VM-wide, but it
 * came with Linux 6.4 and the tier's kernel is 6.1; the register works
 * on both.  A snapshot keeps the frozen value; a restore writes it before
 * the first KVM_RUN, so the TIMER_CNT in a vCPU's register list (read
 * later than the pause) is stored for the id check but not written back.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "arm64.h"
#include "layout.h"
#include "log.h"
#include "state.h"
#include "vm.h"

#define EM_AARCH64_ID 183u
/* More registers than any KVM lists (6.1 lists about 500 without SVE). */
#define SNAP_MAX_REGS 8192u
/* The widest ONE_REG register: an SVE Z register (KVM_REG_SIZE_U2048). */
#define SNAP_MAX_REG_BYTES 256u
/* More GIC records than our 128-interrupt GICv3 has with 123 vCPUs. */
#define SNAP_MAX_GIC_RECORDS 65536u

uint32_t arch_snapshot_machine(void)
{
	return EM_AARCH64_ID;
}

/* --- the virtual counter ------------------------------------------------ */

static int one_reg(struct vcpu *vcpu, unsigned long req, uint64_t id,
		   void *value)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)value };

	return ioctl(vcpu->fd, req, &r);
}

void arch_vm_clock_stop(struct vm *vm)
{
	struct arm64_vm *av = vm->arch;

	if (av->clock_stopped || vm->nr_vcpus == 0)
		return;
	if (one_reg(&vm->vcpus[0], KVM_GET_ONE_REG, KVM_REG_ARM_TIMER_CNT,
		    &av->clock_cnt) < 0) {
		log_info("KVM_GET_ONE_REG TIMER_CNT: %s; the virtual counter runs on while paused",
			 strerror(errno));
		return;
	}
	av->clock_stopped = true;
}

void arch_vm_clock_start(struct vm *vm)
{
	struct arm64_vm *av = vm->arch;

	if (!av->clock_stopped || vm->nr_vcpus == 0)
		return;
	av->clock_stopped = false;
	if (one_reg(&vm->vcpus[0], KVM_SET_ONE_REG, KVM_REG_ARM_TIMER_CNT,
		    &av->clock_cnt) < 0)
		log_warn("resume: KVM_SET_ONE_REG TIMER_CNT: %s", strerror(errno));
}

/* --- the GICv3 ---------------------------------------------------------- */

/* Distributor and redistributor offsets (GICv3 architecture spec, 12.8-12.11). */
#define GICD_CTLR 0x0000u
#define GICD_IIDR 0x0008u
#define GICD_STATUSR 0x0010u
#define GICD_IGROUPR 0x0080u
#define GICD_ISENABLER 0x0100u
#define GICD_ICENABLER 0x0180u
#define GICD_ISPENDR 0x0200u
#define GICD_ISACTIVER 0x0300u
#define GICD_ICACTIVER 0x0380u
#define GICD_IPRIORITYR 0x0400u
#define GICD_ICFGR 0x0c00u
#define GICD_IROUTER 0x6000u
#define GICR_CTLR 0x0000u
#define GICR_STATUSR 0x0010u
#define GICR_SGI 0x10000u /* the SGI_base frame */

/* GIC CPU interface registers as KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS names them. */
#define ICC(op1, crn, crm, op2) \
	((3u << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))
#define ICC_PMR_EL1 ICC(0, 4, 6, 0)
#define ICC_BPR0_EL1 ICC(0, 12, 8, 3)
#define ICC_AP0R_EL1(n) ICC(0, 12, 8, 4 + (n))
#define ICC_AP1R_EL1(n) ICC(0, 12, 9, (n))
#define ICC_BPR1_EL1 ICC(0, 12, 12, 3)
#define ICC_CTLR_EL1 ICC(0, 12, 12, 4)
#define ICC_SRE_EL1 ICC(0, 12, 12, 5)
#define ICC_IGRPEN0_EL1 ICC(0, 12, 12, 6)
#define ICC_IGRPEN1_EL1 ICC(0, 12, 12, 7)
#define ICC_CTLR_PRIBITS(v) ((((v) >> 8) & 7) + 1)

#define MPIDR_EL1_ID ARM64_SYS_REG(3, 0, 0, 0, 5)

/*
 * One piece of GIC state: a device attribute (group, attr) and its value
 * (32 bits for the register groups and the levels, 64 for the sysregs).
 */
struct gic_rec {
	uint32_t group;
	uint64_t attr;
	uint64_t value;
};

struct gic_list {
	struct gic_rec *recs;
	size_t n, cap;
	bool oom;
};

static void gic_add(struct gic_list *l, uint32_t group, uint64_t attr)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 512;
		struct gic_rec *p = realloc(l->recs, cap * sizeof(*p));

		if (!p) {
			l->oom = true;
			return;
		}
		l->recs = p;
		l->cap = cap;
	}
	l->recs[l->n++] = (struct gic_rec){ .group = group, .attr = attr };
}

static int gic_attr(int fd, unsigned long req, uint32_t group, uint64_t attr,
		    void *value)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uint64_t)(uintptr_t)value,
	};

	return ioctl(fd, req, &a);
}

/* The GIC's name of a vCPU: its MPIDR's affinity fields, Aff3..Aff0. */
static int vcpu_gic_mpidr(struct vcpu *vcpu, uint64_t *mpidr)
{
	uint64_t v;

	if (one_reg(vcpu, KVM_GET_ONE_REG, MPIDR_EL1_ID, &v) < 0)
		return err_errno("vcpu%u: MPIDR_EL1", vcpu->id);
	*mpidr = (((v >> 32) & 0xff) << 24 | (v & 0xffffff))
		 << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
	return 0;
}

static void dist_range(struct gic_list *l, uint32_t base, unsigned first_irq,
		       unsigned bits_per_irq)
{
	unsigned per_word = 32 / bits_per_irq;

	for (unsigned irq = first_irq; irq < ARM64_GIC_NR_IRQS; irq += per_word)
		gic_add(l, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
			base + irq / per_word * 4);
}

static uint64_t level_attr(uint64_t mpidr, unsigned intid)
{
	return mpidr | (uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL
			       << KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT |
	       intid;
}

/*
 * Every piece of GICv3 state, in the order a restore writes it
 * (arm-vgic-v3.rst, and what QEMU's arm_gicv3_kvm.c found): GICD_IIDR
 * before anything else; an interrupt's configuration (group, trigger,
 * routing, priority) before its input level, the level before the
 * pending latch, pending and active before it is enabled.  SGIs and PPIs
 * are the redistributors' (the distributor's copies of them are not used
 * with affinity routing, which KVM's GICv3 always has); the CPU interface
 * last, ICC_SRE_EL1 and ICC_CTLR_EL1 first in it.  The number of active
 * priority registers depends on the priority bits ICC_CTLR_EL1 reports,
 * which the host fixes: the save reads them from the running machine, the
 * load from the new one, and the lists compare equal on the same host.
 * No LPIs: this machine has no ITS.
 */
static int gic_list_build(struct vm *vm, struct gic_list *l)
{
	struct arm64_vm *av = vm->arch;
	const uint32_t dist = KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
	const uint32_t redist = KVM_DEV_ARM_VGIC_GRP_REDIST_REGS;
	const uint32_t sys = KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;

	gic_add(l, dist, GICD_IIDR);
	gic_add(l, dist, GICD_CTLR);
	dist_range(l, GICD_IGROUPR, 32, 1);
	dist_range(l, GICD_ICFGR, 32, 2);
	for (unsigned irq = 32; irq < ARM64_GIC_NR_IRQS; irq++) {
		gic_add(l, dist, GICD_IROUTER + irq * 8);
		gic_add(l, dist, GICD_IROUTER + irq * 8 + 4);
	}
	dist_range(l, GICD_IPRIORITYR, 32, 8);
	for (unsigned irq = 32; irq < ARM64_GIC_NR_IRQS; irq += 32)
		gic_add(l, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, level_attr(0, irq));
	dist_range(l, GICD_ISPENDR, 32, 1);
	dist_range(l, GICD_ISACTIVER, 32, 1);
	dist_range(l, GICD_ISENABLER, 32, 1);
	gic_add(l, dist, GICD_STATUSR);

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		uint64_t mp;

		if (vcpu_gic_mpidr(&vm->vcpus[i], &mp) < 0)
			return -1;
		gic_add(l, redist, mp | GICR_CTLR);
		gic_add(l, redist, mp | (GICR_SGI + GICD_IGROUPR));
		gic_add(l, redist, mp | (GICR_SGI + GICD_ICFGR + 4)); /* PPIs */
		for (unsigned w = 0; w < 8; w++)
			gic_add(l, redist, mp | (GICR_SGI + GICD_IPRIORITYR + 4 * w));
		gic_add(l, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, level_attr(mp, 0));
		gic_add(l, redist, mp | (GICR_SGI + GICD_ISPENDR));
		gic_add(l, redist, mp | (GICR_SGI + GICD_ISACTIVER));
		gic_add(l, redist, mp | (GICR_SGI + GICD_ISENABLER));
		gic_add(l, redist, mp | GICR_STATUSR);
	}

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		uint64_t mp, ctlr;
		unsigned nr_apr;

		if (vcpu_gic_mpidr(&vm->vcpus[i], &mp) < 0)
			return -1;
		if (gic_attr(av->gic_fd, KVM_GET_DEVICE_ATTR, sys,
			     mp | ICC_CTLR_EL1, &ctlr) < 0)
			return err_errno("GIC: ICC_CTLR_EL1 of vcpu%u", i);
		/* 5 priority bits: 1 register each; 6: 2; 7: 4. */
		nr_apr = 1u << (ICC_CTLR_PRIBITS(ctlr) > 5 ?
					ICC_CTLR_PRIBITS(ctlr) - 5 : 0);
		if (nr_apr > 4)
			nr_apr = 4;
		gic_add(l, sys, mp | ICC_SRE_EL1);
		gic_add(l, sys, mp | ICC_CTLR_EL1);
		gic_add(l, sys, mp | ICC_PMR_EL1);
		gic_add(l, sys, mp | ICC_BPR0_EL1);
		gic_add(l, sys, mp | ICC_BPR1_EL1);
		for (unsigned n = 0; n < nr_apr; n++) {
			gic_add(l, sys, mp | ICC_AP0R_EL1(n));
			gic_add(l, sys, mp | ICC_AP1R_EL1(n));
		}
		gic_add(l, sys, mp | ICC_IGRPEN0_EL1);
		gic_add(l, sys, mp | ICC_IGRPEN1_EL1);
	}
	if (l->oom)
		return err_set("out of memory");
	return 0;
}

static const char *gic_group_name(uint32_t group)
{
	switch (group) {
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
		return "distributor";
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
		return "redistributor";
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
		return "CPU interface";
	case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		return "line level";
	default:
		return "?";
	}
}

/* The enable and active registers are set-only: clear them first. */
static uint32_t clear_offset(const struct gic_rec *g)
{
	uint32_t off = (uint32_t)g->attr;

	if (g->group == KVM_DEV_ARM_VGIC_GRP_REDIST_REGS) {
		if (off < GICR_SGI)
			return 0;
		off -= GICR_SGI;
	} else if (g->group != KVM_DEV_ARM_VGIC_GRP_DIST_REGS) {
		return 0;
	}
	if ((off >= GICD_ISENABLER && off < GICD_ICENABLER) ||
	    (off >= GICD_ISACTIVER && off < GICD_ICACTIVER))
		return (uint32_t)g->attr + 0x80;
	return 0;
}

static int gic_write(int fd, const struct gic_rec *g)
{
	uint32_t v32 = (uint32_t)g->value, ones = ~0u, clr = clear_offset(g);
	uint64_t v64 = g->value;
	void *p = g->group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS ? (void *)&v64 :
								  (void *)&v32;

	if (clr && gic_attr(fd, KVM_SET_DEVICE_ATTR, g->group,
			    (g->attr & ~0xffffffffull) | clr, &ones) < 0)
		return -1;
	return gic_attr(fd, KVM_SET_DEVICE_ATTR, g->group, g->attr, p);
}

static int gic_save(struct vm *vm, struct state_writer *w)
{
	struct arm64_vm *av = vm->arch;
	struct gic_list l = { 0 };
	int ret = -1;

	if (gic_list_build(vm, &l) < 0)
		goto out;
	state_put_u32(w, (uint32_t)l.n);
	for (size_t i = 0; i < l.n; i++) {
		struct gic_rec *g = &l.recs[i];
		uint32_t v32 = 0;
		uint64_t v64 = 0;
		bool wide = g->group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;

		if (gic_attr(av->gic_fd, KVM_GET_DEVICE_ATTR, g->group, g->attr,
			     wide ? (void *)&v64 : (void *)&v32) < 0) {
			err_errno("GIC: reading %s attribute 0x%llx",
				  gic_group_name(g->group),
				  (unsigned long long)g->attr);
			goto out;
		}
		state_put_u32(w, g->group);
		state_put_u64(w, g->attr);
		state_put_u64(w, wide ? v64 : v32);
	}
	ret = 0;
out:
	free(l.recs);
	return ret;
}

static int gic_load(struct vm *vm, struct state_reader *r)
{
	struct arm64_vm *av = vm->arch;
	struct gic_list l = { 0 };
	uint32_t n;
	int ret = -1;

	if (gic_list_build(vm, &l) < 0)
		goto out;
	n = state_get_u32(r);
	if (n > SNAP_MAX_GIC_RECORDS || n > state_remaining(r) / 20) {
		state_reader_fail(r, "%u GIC records", n);
		goto out;
	}
	if (n != l.n) {
		state_reader_fail(r, "the snapshot has %u GIC records, this machine's GICv3 %zu",
				  n, l.n);
		goto out;
	}
	/* Read and check everything before the GIC is touched. */
	for (size_t i = 0; i < l.n; i++) {
		struct gic_rec *g = &l.recs[i];
		uint32_t group = state_get_u32(r);
		uint64_t attr = state_get_u64(r);

		g->value = state_get_u64(r);
		if (r->failed)
			goto out;
		if (group != g->group || attr != g->attr) {
			state_reader_fail(r, "GIC record %zu is %s 0x%llx, this machine expects %s 0x%llx",
					  i, gic_group_name(group),
					  (unsigned long long)attr,
					  gic_group_name(g->group),
					  (unsigned long long)g->attr);
			goto out;
		}
		if (group != KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS &&
		    g->value > UINT32_MAX) {
			state_reader_fail(r, "GIC %s 0x%llx: value 0x%llx is over 32 bits",
					  gic_group_name(group),
					  (unsigned long long)attr,
					  (unsigned long long)g->value);
			goto out;
		}
	}
	for (size_t i = 0; i < l.n; i++) {
		if (gic_write(av->gic_fd, &l.recs[i]) < 0) {
			err_errno("GIC: writing %s attribute 0x%llx",
				  gic_group_name(l.recs[i].group),
				  (unsigned long long)l.recs[i].attr);
			goto out;
		}
	}
	ret = 0;
out:
	free(l.recs);
	return ret;
}

/* --- the machine -------------------------------------------------------- */

/*
 * The VM part: u8 GIC version (0: none, 3), the GIC records when 3, then
 * the counter: a bool "frozen" and its value.
 */
int arch_snapshot_save_vm(struct vm *vm, struct state_writer *w)
{
	struct arm64_vm *av = vm->arch;

	if (av->gic_version == 2)
		return err_set("snapshots of a machine with a GICv2 are not supported (this host has no GICv3)");
	state_put_u8(w, (uint8_t)av->gic_version);
	if (av->gic_version == 3 && gic_save(vm, w) < 0)
		return -1;
	/* The frozen value (a snapshot is of a paused VM). */
	arch_vm_clock_stop(vm);
	state_put_bool(w, av->clock_stopped);
	state_put_u64(w, av->clock_cnt);
	return state_writer_error(w);
}

int arch_snapshot_load_vm(struct vm *vm, struct state_reader *r)
{
	struct arm64_vm *av = vm->arch;
	unsigned gic = state_get_u8(r);
	bool has_clock;
	uint64_t cnt;

	if (state_reader_error(r, "arm64 machine state") < 0)
		return -1;
	if (gic != av->gic_version)
		return state_reader_fail(r, "a GICv%u in the snapshot, a GICv%u here (0: none)",
					 gic, av->gic_version);
	/* A save never writes one (it refuses a GICv2 machine). */
	if (gic != 0 && gic != 3)
		return state_reader_fail(r, "GIC version %u", gic);
	if (gic == 3 && gic_load(vm, r) < 0)
		return -1;
	has_clock = state_get_bool(r);
	cnt = state_get_u64(r);
	if (state_reader_error(r, "arm64 machine state") < 0)
		return -1;
	/* Frozen until the VM runs: arch_vm_clock_start writes it. */
	av->clock_stopped = has_clock;
	av->clock_cnt = cnt;
	return 0;
}

/* --- the vCPUs ---------------------------------------------------------- */

static size_t reg_bytes(uint64_t id)
{
	return (size_t)1 << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

/* KVM_GET_REG_LIST into a new array (*n ids); NULL with err_msg(). */
static uint64_t *reg_list(struct vcpu *vcpu, uint32_t *n)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	uint64_t *ids;

	if (ioctl(vcpu->fd, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG) {
		err_errno("vcpu%u: KVM_GET_REG_LIST", vcpu->id);
		return NULL;
	}
	if (probe.n > SNAP_MAX_REGS) {
		err_set("vcpu%u: KVM lists %llu registers", vcpu->id,
			(unsigned long long)probe.n);
		return NULL;
	}
	list = calloc(1, sizeof(*list) + probe.n * sizeof(list->reg[0]));
	if (!list) {
		err_set("out of memory");
		return NULL;
	}
	list->n = probe.n;
	if (ioctl(vcpu->fd, KVM_GET_REG_LIST, list) < 0) {
		err_errno("vcpu%u: KVM_GET_REG_LIST", vcpu->id);
		free(list);
		return NULL;
	}
	/* The ids move to the front: a plain array the caller frees. */
	*n = (uint32_t)list->n;
	ids = (uint64_t *)list;
	memmove(ids, list->reg, *n * sizeof(uint64_t));
	for (uint32_t i = 0; i < *n; i++) {
		if (reg_bytes(ids[i]) > SNAP_MAX_REG_BYTES) {
			err_set("vcpu%u: register 0x%llx is %zu bytes wide",
				vcpu->id, (unsigned long long)ids[i],
				reg_bytes(ids[i]));
			free(ids);
			return NULL;
		}
	}
	return ids;
}

static bool has_cap(struct vm *vm, int cap)
{
	return ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

/*
 * The vCPU part: a u32 register count, then per register its id (u64) and
 * its KVM_REG_SIZE(id) bytes; a bool and the MP state (u32); a bool and
 * struct kvm_vcpu_events.
 */
int arch_snapshot_save_vcpu(struct vcpu *vcpu, struct state_writer *w)
{
	struct kvm_mp_state mp = { 0 };
	struct kvm_vcpu_events ev;
	uint8_t buf[SNAP_MAX_REG_BYTES];
	uint32_t n = 0;
	uint64_t *ids = reg_list(vcpu, &n);
	bool has_mp, has_ev;

	if (!ids)
		return -1;
	state_put_u32(w, n);
	for (uint32_t i = 0; i < n; i++) {
		if (one_reg(vcpu, KVM_GET_ONE_REG, ids[i], buf) < 0) {
			err_errno("vcpu%u: KVM_GET_ONE_REG 0x%llx", vcpu->id,
				  (unsigned long long)ids[i]);
			free(ids);
			return -1;
		}
		state_put_u64(w, ids[i]);
		state_put_bytes(w, buf, reg_bytes(ids[i]));
	}
	free(ids);
	has_mp = has_cap(vcpu->vm, KVM_CAP_MP_STATE);
	if (has_mp && ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) < 0)
		return err_errno("vcpu%u: KVM_GET_MP_STATE", vcpu->id);
	state_put_bool(w, has_mp);
	state_put_u32(w, mp.mp_state);
	memset(&ev, 0, sizeof(ev));
	has_ev = has_cap(vcpu->vm, KVM_CAP_VCPU_EVENTS);
	if (has_ev && ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return err_errno("vcpu%u: KVM_GET_VCPU_EVENTS", vcpu->id);
	state_put_bool(w, has_ev);
	if (has_ev)
		state_put_bytes(w, &ev, sizeof(ev));
	return state_writer_error(w);
}

/*
 * Written by the clock, not from the list: TIMER_CNT (see the top), and
 * the physical counter, which is the host's (KVM offsets it only for
 * nested virtualisation).
 */
static bool reg_skipped(uint64_t id)
{
	return id == KVM_REG_ARM_TIMER_CNT || id == KVM_REG_ARM_PTIMER_CNT;
}

int arch_snapshot_load_vcpu(struct vcpu *vcpu, struct state_reader *r)
{
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
	uint32_t n = 0, saved;
	uint64_t *ids = reg_list(vcpu, &n);
	size_t off;
	int ret = -1;
	bool has_mp, has_ev;

	if (!ids)
		return -1;
	saved = state_get_u32(r);
	if (saved > SNAP_MAX_REGS || saved > state_remaining(r) / 12) {
		state_reader_fail(r, "%u registers", saved);
		goto out;
	}
	/*
	 * Check the whole id list first: a register this host does not have
	 * (or lacks) is refused before any is written.
	 */
	off = r->pos;
	for (uint32_t i = 0; i < saved; i++) {
		uint64_t id = state_get_u64(r);
		uint8_t skip[SNAP_MAX_REG_BYTES];

		if (r->failed)
			goto out;
		if (i >= n) {
			state_reader_fail(r, "the snapshot's registers differ from this host's (%u saved, %u here; #%u is 0x%llx)",
					  saved, n, i, (unsigned long long)id);
			goto out;
		}
		if (id != ids[i]) {
			state_reader_fail(r, "the snapshot's registers differ from this host's (%u saved, %u here; #%u is 0x%llx, here 0x%llx)",
					  saved, n, i, (unsigned long long)id,
					  (unsigned long long)ids[i]);
			goto out;
		}
		state_get_bytes(r, skip, reg_bytes(id));
	}
	if (saved != n) {
		state_reader_fail(r, "the snapshot's registers differ from this host's (%u saved, %u here)",
				  saved, n);
		goto out;
	}
	has_mp = state_get_bool(r);
	mp.mp_state = state_get_u32(r);
	has_ev = state_get_bool(r);
	if (has_ev)
		state_get_bytes(r, &ev, sizeof(ev));
	if (r->failed)
		goto out;
	if (has_mp && mp.mp_state > KVM_MP_STATE_SUSPENDED) {
		state_reader_fail(r, "MP state %u", mp.mp_state);
		goto out;
	}
	if (has_mp && !has_cap(vcpu->vm, KVM_CAP_MP_STATE)) {
		state_reader_fail(r, "an MP state saved, this host has none");
		goto out;
	}
	if (has_ev && !has_cap(vcpu->vm, KVM_CAP_VCPU_EVENTS)) {
		state_reader_fail(r, "vCPU events saved, this host has none");
		goto out;
	}

	/* The values, in KVM's list order (core registers first). */
	r->pos = off;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t buf[SNAP_MAX_REG_BYTES];
		uint64_t id = state_get_u64(r);

		state_get_bytes(r, buf, reg_bytes(id));
		if (reg_skipped(id))
			continue;
		if (one_reg(vcpu, KVM_SET_ONE_REG, id, buf) < 0) {
			err_errno("KVM_SET_ONE_REG 0x%llx", (unsigned long long)id);
			goto out;
		}
	}
	/* Past what the first pass read already. */
	state_get_bool(r);
	state_get_u32(r);
	if (state_get_bool(r))
		state_get_bytes(r, &ev, sizeof(ev));
	if (has_mp && ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0) {
		err_errno("KVM_SET_MP_STATE %u", mp.mp_state);
		goto out;
	}
	if (has_ev && ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0) {
		err_errno("KVM_SET_VCPU_EVENTS");
		goto out;
	}
	ret = state_reader_error(r, "vCPU state");
out:
	if (ret < 0 && r->failed)
		state_reader_error(r, "vCPU state");
	free(ids);
	return ret;
}
