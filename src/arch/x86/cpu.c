// SPDX-License-Identifier: MIT
/*
 * x86 vCPU state: CPUID, segment/control registers for the three start
 * modes, the flat GDT and identity page tables for flat images, and the
 * register dump.  Everything the guest sees is in layout.h.
 */
#include <cpuid.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "config.h"
#include "layout.h"
#include "log.h"
#include "vm.h"
#include "x86.h"

#define CR0_PE 0x1ull
#define CR0_ET 0x10ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull
#define RFLAGS_RESERVED 0x2ull

/* Page-table entry bits (SDM vol. 3, 4.5). */
#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull

#define CPUID_MAX_ENTRIES 256

static const struct arch_cap x86_caps[] = {
	{ KVM_CAP_EXT_CPUID, "EXT_CPUID", true, "setting the guest's CPUID" },
	{ KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR", false,
	  "real-mode emulation on CPUs without unrestricted guest" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "SET_IDENTITY_MAP_ADDR", false,
	  "the identity-map page QEMU reserves at 0xfeffc000" },
	{ KVM_CAP_IRQCHIP, "IRQCHIP", false, "in-kernel PIC/IOAPIC/LAPIC (pc)" },
	{ KVM_CAP_PIT2, "PIT2", false, "in-kernel i8254 timer (pc)" },
	{ KVM_CAP_IOEVENTFD, "IOEVENTFD", false, "virtio notifications" },
	{ KVM_CAP_IRQFD, "IRQFD", false, "virtio interrupts" },
};

const struct arch_cap *arch_caps(size_t *count)
{
	*count = sizeof(x86_caps) / sizeof(x86_caps[0]);
	return x86_caps;
}

unsigned long arch_vm_type(const struct vm_config *cfg)
{
	(void)cfg;
	return 0;
}

uint64_t arch_max_gpa(void)
{
	unsigned a, b, c, d;

	/* Host physical-address width (CPUID 0x80000008 EAX[7:0]). */
	if (__get_cpuid(0x80000008, &a, &b, &c, &d) && (a & 0xff) >= 32 &&
	    (a & 0xff) <= 52)
		return 1ull << (a & 0xff);
	return 1ull << 36;
}

/* Does the configured RAM cover [addr, addr + len)? */
static bool ram_overlaps(const struct vm_config *cfg, uint64_t addr,
			 uint64_t len)
{
	if (cfg->machine != MACHINE_BARE)
		return false; /* the pc machine keeps this range free */
	return cfg->ram_base < addr + len && addr < cfg->ram_base + cfg->ram_size;
}

int arch_vm_init(struct vm *vm)
{
	struct x86_vm *xv = calloc(1, sizeof(*xv));
	uint64_t ident = X86_IDENTITY_MAP_ADDR;

	if (!xv)
		return err_set("out of memory");
	vm->arch = xv;
	xv->cpuid = calloc(1, sizeof(*xv->cpuid) +
				      CPUID_MAX_ENTRIES *
					      sizeof(xv->cpuid->entries[0]));
	if (!xv->cpuid)
		return err_set("out of memory");
	xv->cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, xv->cpuid) < 0)
		return err_errno("KVM_GET_SUPPORTED_CPUID");
	if (x86_cpu_features_apply(xv->cpuid, CPUID_MAX_ENTRIES,
				   ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
					 KVM_CAP_TSC_DEADLINE_TIMER) > 0,
				   vm->cfg->cpu_model,
				   vm->cfg->cpu_features) < 0)
		return -1;
	if (x86_vm_state_init(vm) < 0)
		return -1;

	/*
	 * Pages KVM uses to emulate real mode on VMX without unrestricted
	 * guest; at QEMU's addresses, unless a bare machine's RAM is there.
	 */
	if (ram_overlaps(vm->cfg, X86_IDENTITY_MAP_ADDR, X86_IDENTITY_TSS_SIZE))
		return 0;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
		  KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
		return err_errno("KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)X86_TSS_ADDR) < 0)
		return err_errno("KVM_SET_TSS_ADDR");
	return 0;
}

void arch_vm_destroy(struct vm *vm)
{
	struct x86_vm *xv = vm->arch;

	if (xv) {
		free(xv->cpuid);
		free(xv->msr_index);
		free(xv->layout);
	}
	free(xv);
	vm->arch = NULL;
}

static int flat_real_mode(struct vm *vm)
{
	struct boot_state *b = &vm->boot;
	uint64_t base = 0;

	/* All bases 0 when the entry is reachable with offset < 64 KiB. */
	if (b->entry >= 0x10000) {
		base = b->load_addr & ~0xfull;
		if (base > REAL_MODE_MAX_BASE || b->entry < base ||
		    b->entry - base >= 0x10000)
			return err_set("--entry 0x%llx: not reachable in real mode (segment base at most 0x%llx, offset below 64 KiB)",
				       (unsigned long long)b->entry,
				       (unsigned long long)REAL_MODE_MAX_BASE);
	}
	b->tables_gpa = base; /* the real-mode segment base */
	return 0;
}

int arch_flat_setup(struct vm *vm)
{
	struct boot_state *b = &vm->boot;
	const struct mem_region *ram = NULL;
	uint64_t top, gdt[4] = { 0, GDT_CODE64, GDT_CODE32, GDT_DATA };

	if (b->mode == CPU_MODE_REAL)
		return flat_real_mode(vm);

	/* The tables go in the top 32 KiB of the highest RAM below 4 GiB. */
	for (size_t i = 0; i < vm->mem.nr_regions; i++) {
		const struct mem_region *r = &vm->mem.regions[i];

		if (r->is_ram && !r->readonly && r->gpa < X86_4G &&
		    (r->gpa + r->size > X86_4G ? X86_4G : r->gpa + r->size) -
				    r->gpa >=
			    FLAT_TABLES_SIZE)
			ram = r;
	}
	if (!ram)
		return err_set("--mode %s: no room below 4 GiB for the boot GDT and page tables (needs 32 KiB of RAM)",
			       config_mode_name(b->mode));
	top = ram->gpa + ram->size > X86_4G ? X86_4G : ram->gpa + ram->size;
	b->tables_gpa = top - FLAT_TABLES_SIZE;
	if (b->load_addr < top && b->tables_gpa < b->load_addr + b->image_size)
		return err_set("image at 0x%llx-0x%llx overlaps the boot tables at 0x%llx-0x%llx (the top 32 KiB of RAM below 4 GiB): load it lower or give more RAM",
			       (unsigned long long)b->load_addr,
			       (unsigned long long)(b->load_addr + b->image_size - 1),
			       (unsigned long long)b->tables_gpa,
			       (unsigned long long)(top - 1));
	if (b->mode == CPU_MODE_PROTECTED && b->entry >= X86_4G)
		return err_set("--entry 0x%llx: protected mode reaches only the first 4 GiB",
			       (unsigned long long)b->entry);
	if (b->mode == CPU_MODE_LONG && b->entry >= X86_4G)
		return err_set("--entry 0x%llx: the boot page tables map only the first 4 GiB",
			       (unsigned long long)b->entry);

	b->cs_sel = b->mode == CPU_MODE_LONG ? FLAT_SEL_CODE64 : FLAT_SEL_CODE32;
	b->ds_sel = FLAT_SEL_DATA;
	return x86_write_boot_tables(vm, b->tables_gpa, b->mode == CPU_MODE_LONG,
				     gdt);
}

int x86_write_boot_tables(struct vm *vm, uint64_t gpa, bool long_mode,
			  const uint64_t gdt[4])
{
	/* Without paging only the GDT is written. */
	uint64_t size = long_mode ? FLAT_TABLES_SIZE : 4 * sizeof(gdt[0]);
	uint64_t *pt = gpa_to_hva(&vm->mem, gpa, size);

	if (!pt)
		return err_set("boot tables at 0x%llx are not in RAM",
			       (unsigned long long)gpa);
	memset(pt, 0, size);
	memcpy(pt, gdt, 4 * sizeof(gdt[0]));
	vm->boot.gdt_gpa = gpa + FLAT_TABLES_GDT_OFF;
	vm->boot.pml4_gpa = gpa + FLAT_TABLES_PML4_OFF;
	if (long_mode) {
		uint64_t *pml4 = (uint64_t *)((uint8_t *)pt + FLAT_TABLES_PML4_OFF);
		uint64_t *pdpt = (uint64_t *)((uint8_t *)pt + FLAT_TABLES_PDPT_OFF);
		uint64_t *pd = (uint64_t *)((uint8_t *)pt + FLAT_TABLES_PD_OFF);

		/* Identity map 0-4 GiB: 1 PML4 entry, 4 PDPT entries, 2 MiB pages. */
		pml4[0] = (gpa + FLAT_TABLES_PDPT_OFF) | PTE_P | PTE_RW;
		for (uint64_t i = 0; i < 4; i++)
			pdpt[i] = (gpa + FLAT_TABLES_PD_OFF + i * 0x1000) |
				  PTE_P | PTE_RW;
		for (uint64_t i = 0; i < 4 * 512; i++)
			pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	}
	return 0;
}

static const char *const reg_names[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8",
	"r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags",
};

bool arch_reg_valid(const char *name)
{
	for (size_t i = 0; i < sizeof(reg_names) / sizeof(reg_names[0]); i++)
		if (!strcmp(name, reg_names[i]))
			return true;
	return false;
}

const char *arch_reg_names(void)
{
	return "rax..r15, rsp, rbp, rip, rflags";
}

static __u64 *reg_slot(struct kvm_regs *r, const char *name)
{
	__u64 *slots[] = {
		&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
		&r->rsp, &r->rbp, &r->r8,  &r->r9,  &r->r10, &r->r11,
		&r->r12, &r->r13, &r->r14, &r->r15, &r->rip, &r->rflags,
	};

	for (size_t i = 0; i < sizeof(reg_names) / sizeof(reg_names[0]); i++)
		if (!strcmp(name, reg_names[i]))
			return slots[i];
	return NULL;
}

static const struct kvm_cpuid_entry2 *template_leaf(const struct x86_vm *xv,
						   uint32_t leaf)
{
	for (uint32_t i = 0; xv && xv->cpuid && i < xv->cpuid->nent; i++)
		if (xv->cpuid->entries[i].function == leaf &&
		    xv->cpuid->entries[i].index == 0)
			return &xv->cpuid->entries[i];
	return NULL;
}

/* Vendor, family/model/stepping as the SDM decodes them, highest leaves. */
void arch_cpu_describe(const struct vm *vm, char *buf, size_t size)
{
	const struct kvm_cpuid_entry2 *l0 = template_leaf(vm->arch, 0);
	const struct kvm_cpuid_entry2 *l1 = template_leaf(vm->arch, 1);
	const struct kvm_cpuid_entry2 *x0 = template_leaf(vm->arch, 0x80000000);
	char vendor[13];
	unsigned fam, model;

	if (!size)
		return;
	buf[0] = 0;
	if (!l0 || !l1)
		return;
	memcpy(vendor, &l0->ebx, 4);
	memcpy(vendor + 4, &l0->edx, 4);
	memcpy(vendor + 8, &l0->ecx, 4);
	vendor[12] = 0;
	fam = (l1->eax >> 8) & 0xf;
	model = (l1->eax >> 4) & 0xf;
	if (fam == 0xf)
		fam += (l1->eax >> 20) & 0xff;
	if (fam == 0x6 || fam >= 0xf)
		model |= ((l1->eax >> 16) & 0xf) << 4;
	snprintf(buf, size,
		 " (%s family %u model %u stepping %u, leaves to 0x%x and 0x%x)",
		 vendor, fam, model, l1->eax & 0xf, l0->eax, x0 ? x0->eax : 0);
}

/* CPUID as KVM supports it, with this vCPU's APIC ID (SDM CPUID leaf 1/0xb). */
static int vcpu_set_cpuid(struct vcpu *vcpu)
{
	struct x86_vm *xv = vcpu->vm->arch;
	size_t size = sizeof(*xv->cpuid) +
		      xv->cpuid->nent * sizeof(xv->cpuid->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	int r;

	if (!c)
		return err_set("out of memory");
	memcpy(c, xv->cpuid, size);
	/*
	 * Topology: one socket of n cores, one thread each; APIC ID = vCPU
	 * index (SDM vol. 2, CPUID leaves 01H and 0BH).
	 */
	unsigned n = vcpu->vm->nr_vcpus ? vcpu->vm->nr_vcpus : 1, shift = 0;

	while ((1u << shift) < n)
		shift++;
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1) {
			e->ebx = (e->ebx & 0x0000ffffu) | (vcpu->id << 24) |
				 ((n > 255 ? 255 : n) << 16);
			if (n > 1)
				e->edx |= 1u << 28; /* HTT: ebx[23:16] is valid */
			/* Running under a hypervisor: guests look for the KVM leaves. */
			e->ecx |= 1u << 31;
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = vcpu->id;
			if (e->index == 0) { /* SMT level: one thread per core */
				e->eax = 0;
				e->ebx = 1;
				e->ecx = (1u << 8) | 0;
			} else if (e->index == 1) { /* core level */
				e->eax = shift;
				e->ebx = n;
				e->ecx = (2u << 8) | 1;
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
		}
	}
	r = ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
	if (r < 0)
		return err_errno("vcpu%u: KVM_SET_CPUID2", vcpu->id);
	return 0;
}

static void set_flat_segment(struct kvm_segment *s, uint16_t selector,
			     bool code, bool long_mode)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = code ? 0xb : 0x3,
		.present = 1,
		.dpl = 0,
		.db = long_mode && code ? 0 : 1,
		.s = 1,
		.l = long_mode && code ? 1 : 0,
		.g = 1,
	};
}

static void set_real_segment(struct kvm_segment *s, uint64_t base)
{
	s->base = base;
	s->selector = (uint16_t)(base >> 4);
	s->limit = 0xffff;
}

/* The entry registers from vm->boot and the --reg overrides. */
static int vcpu_boot_regs(struct vcpu *vcpu)
{
	const struct vm_config *cfg = vcpu->vm->cfg;
	const struct boot_state *b = &vcpu->vm->boot;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return err_errno("vcpu%u: KVM_GET_SREGS", vcpu->id);
	memset(&regs, 0, sizeof(regs));
	regs.rflags = RFLAGS_RESERVED;

	if (b->reset_vector || vcpu->id != 0) {
		/* A PC after reset: KVM's defaults are CS F000:FFF0 (SDM 9.1.4). */
		regs.rip = 0xfff0;
	} else if (b->mode == CPU_MODE_REAL) {
		uint64_t base = b->tables_gpa;

		set_real_segment(&sregs.cs, base);
		set_real_segment(&sregs.ds, base);
		set_real_segment(&sregs.es, base);
		set_real_segment(&sregs.fs, base);
		set_real_segment(&sregs.gs, base);
		set_real_segment(&sregs.ss, base);
		regs.rip = b->entry - base;
	} else {
		bool lm = b->mode == CPU_MODE_LONG;

		set_flat_segment(&sregs.cs, b->cs_sel, true, lm);
		set_flat_segment(&sregs.ds, b->ds_sel, false, lm);
		sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
		sregs.gdt.base = b->gdt_gpa;
		sregs.gdt.limit = 4 * 8 - 1;
		sregs.cr0 = CR0_PE | CR0_ET;
		if (lm) {
			sregs.cr0 |= CR0_PG;
			sregs.cr4 |= CR4_PAE;
			sregs.cr3 = b->pml4_gpa;
			sregs.efer |= EFER_LME | EFER_LMA;
		}
		regs.rip = b->entry;
		regs.rsi = b->rsi;
		regs.rbx = b->rbx;
		regs.rax = b->rax;
	}

	for (size_t i = 0; i < cfg->nr_regs && vcpu->id == 0; i++) {
		__u64 *slot = reg_slot(&regs, cfg->regs[i].name);

		if (slot)
			*slot = cfg->regs[i].value;
	}
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return err_errno("vcpu%u: KVM_SET_SREGS (%s mode)", vcpu->id,
				 config_mode_name(b->mode));
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return err_errno("vcpu%u: KVM_SET_REGS", vcpu->id);
	return 0;
}

int arch_vcpu_init(struct vcpu *vcpu)
{
	struct x86_vcpu *xc = calloc(1, sizeof(*xc));

	if (!xc)
		return err_set("out of memory");
	vcpu->arch = xc;
	if (vcpu_set_cpuid(vcpu) < 0)
		return -1;
	/* What KVM made is the reset state (after CPUID: MSRs depend on it). */
	if (x86_vcpu_state_get(vcpu, &xc->reset) < 0)
		return -1;
	return vcpu_boot_regs(vcpu);
}

int arch_vcpu_reset(struct vcpu *vcpu)
{
	struct x86_vcpu *xc = vcpu->arch;

	if (x86_vcpu_state_set(vcpu, &xc->reset) < 0)
		return -1;
	return vcpu_boot_regs(vcpu);
}

void arch_vcpu_destroy(struct vcpu *vcpu)
{
	struct x86_vcpu *xc = vcpu->arch;

	if (xc)
		x86_vcpu_state_free(&xc->reset);
	free(xc);
	vcpu->arch = NULL;
}

int arch_vm_reset(struct vm *vm)
{
	struct x86_vm *xv = vm->arch;

	if (!xv->irqchip_reset.valid)
		return 0;
	return x86_irqchip_set(vm, &xv->irqchip_reset);
}

uint64_t arch_vcpu_pc(struct vcpu *vcpu)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return 0;
	return sregs.cs.base + regs.rip;
}

void arch_vcpu_dump(struct vcpu *vcpu, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(out, "vcpu%u: registers unreadable: %s\n", vcpu->id,
			strerror(errno));
		return;
	}
	fprintf(out,
		"vcpu%u registers:\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rsp %016llx rbp %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		"  rip %016llx rflags %08llx cs %04x (base %llx) ss %04x (base %llx)\n"
		"  cr0 %08llx cr3 %08llx cr4 %08llx efer %llx gdt %llx+%x\n",
		vcpu->id, (unsigned long long)r.rax, (unsigned long long)r.rbx,
		(unsigned long long)r.rcx, (unsigned long long)r.rdx,
		(unsigned long long)r.rsi, (unsigned long long)r.rdi,
		(unsigned long long)r.rsp, (unsigned long long)r.rbp,
		(unsigned long long)r.r8, (unsigned long long)r.r9,
		(unsigned long long)r.r10, (unsigned long long)r.r11,
		(unsigned long long)r.r12, (unsigned long long)r.r13,
		(unsigned long long)r.r14, (unsigned long long)r.r15,
		(unsigned long long)r.rip, (unsigned long long)r.rflags,
		s.cs.selector, (unsigned long long)s.cs.base, s.ss.selector,
		(unsigned long long)s.ss.base, (unsigned long long)s.cr0,
		(unsigned long long)s.cr3, (unsigned long long)s.cr4,
		(unsigned long long)s.efer, (unsigned long long)s.gdt.base,
		s.gdt.limit);
}

/* What the host kernel reports, which is what counts (not raw CPUID). */
static void host_flags_print(FILE *out)
{
	static const char *const wanted[] = { "vmx", "svm", "hypervisor" };
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		fprintf(out, "host CPU flags:");
		for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
			char pat[32];

			snprintf(pat, sizeof(pat), " %s", wanted[i]);
			char *p = strstr(line, pat);
			bool has = p && (p[strlen(pat)] == ' ' ||
					 p[strlen(pat)] == '\n');
			fprintf(out, " %s %s%s", wanted[i], has ? "yes" : "no",
				i + 1 < sizeof(wanted) / sizeof(wanted[0]) ? "," : "\n");
		}
		break;
	}
	fclose(f);
}

void arch_caps_print(int kvm_fd, FILE *out)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
	} cpuid;
	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.c.nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, &cpuid) == 0)
		fprintf(out, "supported CPUID leaves: %u\n", cpuid.c.nent);
	fprintf(out, "max vCPUs: %d\n",
		ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	host_flags_print(out);
	fprintf(out, "guest-physical address limit: 0x%llx\n",
		(unsigned long long)arch_max_gpa());
}
