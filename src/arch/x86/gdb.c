// SPDX-License-Identifier: MIT
/*
 * x86 for the gdb stub (gdb/gdb_arch.h): register layouts and their target
 * descriptions, address translation, breakpoints and the debug registers.
 *
 * Three layouts, chosen from vCPU 0 when gdb first asks:
 *   0  real mode: the 32-bit register file with <architecture>i8086, so gdb
 *      disassembles 16-bit code (addresses are linear: cs*16 + ip);
 *   1  protected mode: i386;
 *   2  long mode, or a machine booting a (64-bit) -kernel: i386:x86-64.
 * Each is gdb's own core + sse features (the register order gdb's i386
 * and amd64 code expects) and, for amd64, the segment bases, then a
 * feature of ours with the control registers in group "system".
 *
 * The registers come from KVM_GET_REGS, KVM_GET_SREGS and KVM_GET_FPU
 * (the abridged FXSAVE tag word is widened to the x87 one gdb shows).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "gdb/gdb_arch.h"
#include "log.h"
#include "strbuf.h"
#include "vm.h"

enum { LAYOUT_I8086, LAYOUT_I386, LAYOUT_AMD64, NR_LAYOUTS };

/* Where a register lives. */
enum src {
	SRC_GPR, /* kvm_regs as an array of u64: rax rbx rcx rdx rsi rdi rsp rbp r8.. rip rflags */
	SRC_SEL, /* a segment selector: cs ss ds es fs gs */
	SRC_BASE, /* a segment base (fs, gs) */
	SRC_CR, /* cr0 cr2 cr3 cr4 cr8 efer */
	SRC_ST, /* an x87 register, 10 bytes */
	SRC_FPU, /* fctrl fstat ftag fiseg fioff foseg fooff fop */
	SRC_XMM,
	SRC_MXCSR,
};

enum { GPR_RAX, GPR_RBX, GPR_RCX, GPR_RDX, GPR_RSI, GPR_RDI, GPR_RSP, GPR_RBP,
       GPR_R8, GPR_RIP = 16, GPR_RFLAGS };
enum { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };
enum { CR_0, CR_2, CR_3, CR_4, CR_8, CR_EFER };
enum { FPU_FCTRL, FPU_FSTAT, FPU_FTAG, FPU_FISEG, FPU_FIOFF, FPU_FOSEG,
       FPU_FOOFF, FPU_FOP };

struct reg {
	const char *name;
	uint8_t bits;
	const char *type;
	enum src src;
	uint8_t idx;
};

#define R32(n, i) { n, 32, "int32", SRC_GPR, i }
#define R64(n, i) { n, 64, "int64", SRC_GPR, i }
#define SEL(n, i) { n, 32, "int32", SRC_SEL, i }
#define ST(n, i) { n, 80, "i387_ext", SRC_ST, i }
#define FPU(n, i) { n, 32, "int", SRC_FPU, i }
#define XMM(n, i) { n, 128, "vec128", SRC_XMM, i }

static const struct reg i386_core[] = {
	R32("eax", GPR_RAX), R32("ecx", GPR_RCX), R32("edx", GPR_RDX),
	R32("ebx", GPR_RBX), { "esp", 32, "data_ptr", SRC_GPR, GPR_RSP },
	{ "ebp", 32, "data_ptr", SRC_GPR, GPR_RBP }, R32("esi", GPR_RSI),
	R32("edi", GPR_RDI), { "eip", 32, "code_ptr", SRC_GPR, GPR_RIP },
	{ "eflags", 32, "i386_eflags", SRC_GPR, GPR_RFLAGS },
	SEL("cs", SEG_CS), SEL("ss", SEG_SS), SEL("ds", SEG_DS),
	SEL("es", SEG_ES), SEL("fs", SEG_FS), SEL("gs", SEG_GS),
};

static const struct reg amd64_core[] = {
	R64("rax", GPR_RAX), R64("rbx", GPR_RBX), R64("rcx", GPR_RCX),
	R64("rdx", GPR_RDX), R64("rsi", GPR_RSI), R64("rdi", GPR_RDI),
	{ "rbp", 64, "data_ptr", SRC_GPR, GPR_RBP },
	{ "rsp", 64, "data_ptr", SRC_GPR, GPR_RSP },
	R64("r8", 8), R64("r9", 9), R64("r10", 10), R64("r11", 11),
	R64("r12", 12), R64("r13", 13), R64("r14", 14), R64("r15", 15),
	{ "rip", 64, "code_ptr", SRC_GPR, GPR_RIP },
	{ "eflags", 32, "i386_eflags", SRC_GPR, GPR_RFLAGS },
	SEL("cs", SEG_CS), SEL("ss", SEG_SS), SEL("ds", SEG_DS),
	SEL("es", SEG_ES), SEL("fs", SEG_FS), SEL("gs", SEG_GS),
};

/* The x87 part of gdb's core feature, the same in both. */
static const struct reg x87[] = {
	ST("st0", 0), ST("st1", 1), ST("st2", 2), ST("st3", 3),
	ST("st4", 4), ST("st5", 5), ST("st6", 6), ST("st7", 7),
	FPU("fctrl", FPU_FCTRL), FPU("fstat", FPU_FSTAT), FPU("ftag", FPU_FTAG),
	FPU("fiseg", FPU_FISEG), FPU("fioff", FPU_FIOFF), FPU("foseg", FPU_FOSEG),
	FPU("fooff", FPU_FOOFF), FPU("fop", FPU_FOP),
};

static const struct reg sse[] = {
	XMM("xmm0", 0), XMM("xmm1", 1), XMM("xmm2", 2), XMM("xmm3", 3),
	XMM("xmm4", 4), XMM("xmm5", 5), XMM("xmm6", 6), XMM("xmm7", 7),
	XMM("xmm8", 8), XMM("xmm9", 9), XMM("xmm10", 10), XMM("xmm11", 11),
	XMM("xmm12", 12), XMM("xmm13", 13), XMM("xmm14", 14), XMM("xmm15", 15),
	{ "mxcsr", 32, "int", SRC_MXCSR, 0 },
};

static const struct reg segments[] = {
	{ "fs_base", 64, "int", SRC_BASE, SEG_FS },
	{ "gs_base", 64, "int", SRC_BASE, SEG_GS },
};

static const struct reg sys[] = {
	{ "cr0", 64, "int64", SRC_CR, CR_0 },
	{ "cr2", 64, "int64", SRC_CR, CR_2 },
	{ "cr3", 64, "int64", SRC_CR, CR_3 },
	{ "cr4", 64, "int64", SRC_CR, CR_4 },
	{ "cr8", 64, "int64", SRC_CR, CR_8 },
	{ "efer", 64, "int64", SRC_CR, CR_EFER },
};

static const char xml_types[] =
	"<flags id=\"i386_eflags\" size=\"4\">"
	"<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
	"<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
	"<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
	"<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
	"<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
	"<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
	"<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
	"<field name=\"ID\" start=\"21\" end=\"21\"/></flags>";

static const char xml_vec128[] =
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
	"<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
	"<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
	"<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
	"<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
	"<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>"
	"</union>";

/*
 * A feature: some of a table (sse: the first 8 xmm in 32-bit layouts), the
 * types its registers use, and the register group (NULL: gdb's default).
 */
struct feature {
	const char *name; /* NULL: the registers continue the feature before */
	const char *types;
	const char *group;
	const struct reg *regs;
	unsigned n;
	const struct reg *tail; /* then these (mxcsr after xmm0-7) */
	unsigned ntail;
};

#define FEAT(name, types, group, t) \
	{ name, types, group, t, sizeof(t) / sizeof(t[0]), NULL, 0 }
#define CORE "org.gnu.gdb.i386.core"
#define SSE "org.gnu.gdb.i386.sse"
#define SYS "org.minivmm.x86.sys"

static const struct feature feat32[] = {
	FEAT(CORE, xml_types, NULL, i386_core),
	FEAT(NULL, "", NULL, x87), /* continues the core feature */
	{ SSE, xml_vec128, NULL, sse, 8, &sse[16], 1 },
	FEAT(SYS, "", "system", sys),
};

static const struct feature feat64[] = {
	FEAT(CORE, xml_types, NULL, amd64_core),
	FEAT(NULL, "", NULL, x87),
	FEAT(SSE, xml_vec128, NULL, sse),
	FEAT("org.gnu.gdb.i386.segments", "", NULL, segments),
	FEAT(SYS, "", "system", sys),
};

static const struct feature *layout_features(int layout, unsigned *n)
{
	if (layout == LAYOUT_AMD64) {
		*n = sizeof(feat64) / sizeof(feat64[0]);
		return feat64;
	}
	*n = sizeof(feat32) / sizeof(feat32[0]);
	return feat32;
}

/* The register with gdb number regno in a layout, or NULL. */
static const struct reg *layout_reg(int layout, unsigned regno)
{
	unsigned nf;
	const struct feature *f = layout_features(layout, &nf);

	for (unsigned i = 0; i < nf; i++) {
		if (regno < f[i].n)
			return &f[i].regs[regno];
		regno -= f[i].n;
		if (regno < f[i].ntail)
			return &f[i].tail[regno];
		regno -= f[i].ntail;
	}
	return NULL;
}

int gdb_arch_layout(struct vcpu *vcpu)
{
	struct kvm_sregs s;

	if (vcpu->vm->cfg->kernel)
		return LAYOUT_AMD64;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return LAYOUT_AMD64;
	if (s.efer & (1u << 10)) /* LMA */
		return LAYOUT_AMD64;
	return (s.cr0 & 1) ? LAYOUT_I386 : LAYOUT_I8086;
}

/* ---- Target descriptions ---- */

static void xml_regs(char *buf, size_t cap, size_t *len, const struct reg *r,
		     unsigned n, unsigned *regnum, const char *group)
{
	for (unsigned i = 0; i < n; i++, (*regnum)++)
		strbuf_appendf(buf, cap, len,
			       "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"%s%s%s/>",
			       r[i].name, r[i].bits, r[i].type, *regnum,
			       group ? " group=\"" : "", group ? group : "",
			       group ? "\"" : "");
}

const char *gdb_arch_xml(int layout, const char *annex)
{
	static char docs[NR_LAYOUTS][12288];
	static const char *arch[NR_LAYOUTS] = { "i8086", "i386", "i386:x86-64" };
	char *buf;
	size_t len = 0, cap = sizeof(docs[0]);
	unsigned nf, regnum = 0;
	const struct feature *f;

	if (layout < 0 || layout >= NR_LAYOUTS || strcmp(annex, "target.xml"))
		return NULL;
	buf = docs[layout];
	if (buf[0])
		return buf;
	f = layout_features(layout, &nf);
	strbuf_appendf(buf, cap, &len,
		       "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
		       "<target version=\"1.0\"><architecture>%s</architecture><osabi>none</osabi>",
		       arch[layout]);
	for (unsigned i = 0; i < nf; i++) {
		if (f[i].name)
			strbuf_appendf(buf, cap, &len, "%s<feature name=\"%s\">%s",
				       i ? "</feature>" : "", f[i].name, f[i].types);
		xml_regs(buf, cap, &len, f[i].regs, f[i].n, &regnum, f[i].group);
		xml_regs(buf, cap, &len, f[i].tail, f[i].ntail, &regnum, f[i].group);
	}
	strbuf_appendf(buf, cap, &len, "</feature></target>");
	return buf;
}

/* ---- Register access ---- */

struct state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
};

static int get_state(struct vcpu *vcpu, struct state *st)
{
	if (ioctl(vcpu->fd, KVM_GET_REGS, &st->regs) < 0)
		return err_errno("vcpu%u: KVM_GET_REGS", vcpu->id);
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &st->sregs) < 0)
		return err_errno("vcpu%u: KVM_GET_SREGS", vcpu->id);
	if (ioctl(vcpu->fd, KVM_GET_FPU, &st->fpu) < 0)
		return err_errno("vcpu%u: KVM_GET_FPU", vcpu->id);
	return 0;
}

static int set_state(struct vcpu *vcpu, const struct state *st)
{
	if (ioctl(vcpu->fd, KVM_SET_REGS, &st->regs) < 0)
		return err_errno("vcpu%u: KVM_SET_REGS", vcpu->id);
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &st->sregs) < 0)
		return err_errno("vcpu%u: KVM_SET_SREGS", vcpu->id);
	if (ioctl(vcpu->fd, KVM_SET_FPU, &st->fpu) < 0)
		return err_errno("vcpu%u: KVM_SET_FPU", vcpu->id);
	return 0;
}

static struct kvm_segment *seg(struct kvm_sregs *s, unsigned i)
{
	struct kvm_segment *t[] = { &s->cs, &s->ss, &s->ds, &s->es, &s->fs, &s->gs };

	return t[i];
}

static __u64 *cr(struct kvm_sregs *s, unsigned i)
{
	__u64 *t[] = { &s->cr0, &s->cr2, &s->cr3, &s->cr4, &s->cr8, &s->efer };

	return t[i];
}

/*
 * The x87 tag word as FSTSW/FSTENV show it (two bits per physical
 * register) from FXSAVE's abridged one (a bit per register: empty or not)
 * and the register contents (SDM vol. 1, 8.1.7 and 10.5.1.1).
 */
static uint16_t full_tag(const struct kvm_fpu *f)
{
	unsigned top = (f->fsw >> 11) & 7;
	uint16_t tag = 0;

	for (unsigned phys = 0; phys < 8; phys++) {
		const uint8_t *r = f->fpr[(phys - top) & 7];
		uint16_t exp = (uint16_t)((r[9] & 0x7f) << 8 | r[8]);
		uint64_t mant;
		unsigned t;

		memcpy(&mant, r, 8);
		if (!(f->ftwx & (1u << phys)))
			t = 3; /* empty */
		else if (exp == 0x7fff)
			t = 2; /* special: infinity, NaN */
		else if (exp == 0)
			t = mant ? 2 : 1; /* denormal : zero */
		else
			t = (mant >> 63) ? 0 : 2; /* valid : unnormal */
		tag |= (uint16_t)(t << (2 * phys));
	}
	return tag;
}

/* Copy one register between the state and gdb's bytes (little-endian). */
static void reg_io(struct state *st, const struct reg *r, uint8_t *buf,
		   bool write)
{
	size_t n = r->bits / 8;
	uint64_t v = 0;
	__u64 *p64 = NULL;
	uint32_t *p32 = NULL;
	uint16_t *p16 = NULL;

	switch (r->src) {
	case SRC_GPR:
		p64 = (__u64 *)&st->regs + r->idx;
		break;
	case SRC_BASE:
		p64 = &seg(&st->sregs, r->idx)->base;
		break;
	case SRC_CR:
		p64 = cr(&st->sregs, r->idx);
		break;
	case SRC_SEL:
		p16 = &seg(&st->sregs, r->idx)->selector;
		break;
	case SRC_ST:
	case SRC_XMM:
		if (write)
			memcpy(r->src == SRC_ST ? st->fpu.fpr[r->idx] : st->fpu.xmm[r->idx],
			       buf, n);
		else
			memcpy(buf, r->src == SRC_ST ? st->fpu.fpr[r->idx] : st->fpu.xmm[r->idx],
			       n);
		return;
	case SRC_MXCSR:
		p32 = &st->fpu.mxcsr;
		break;
	case SRC_FPU:
		switch (r->idx) {
		case FPU_FCTRL:
			p16 = &st->fpu.fcw;
			break;
		case FPU_FSTAT:
			p16 = &st->fpu.fsw;
			break;
		case FPU_FOP:
			p16 = &st->fpu.last_opcode;
			break;
		case FPU_FTAG:
			v = full_tag(&st->fpu);
			break;
		case FPU_FISEG:
			v = (st->fpu.last_ip >> 32) & 0xffff;
			break;
		case FPU_FIOFF:
			v = (uint32_t)st->fpu.last_ip;
			break;
		case FPU_FOSEG:
			v = (st->fpu.last_dp >> 32) & 0xffff;
			break;
		case FPU_FOOFF:
			v = (uint32_t)st->fpu.last_dp;
			break;
		}
		break;
	}
	if (!write) {
		if (p64)
			v = *p64;
		else if (p32)
			v = *p32;
		else if (p16)
			v = *p16;
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(v >> (8 * i));
		return;
	}
	for (size_t i = 0; i < n && i < 8; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	if (p64) {
		/* A 32-bit layout writes the low half. */
		*p64 = n < 8 ? (*p64 & ~0xffffffffull) | (v & 0xffffffffull) : v;
	} else if (p32) {
		*p32 = (uint32_t)v;
	} else if (p16) {
		*p16 = (uint16_t)v;
		/* In real mode a segment register is its base, too. */
		if (r->src == SRC_SEL && !(st->sregs.cr0 & 1))
			seg(&st->sregs, r->idx)->base = (uint64_t)(uint16_t)v << 4;
	} else if (r->src == SRC_FPU) {
		switch (r->idx) {
		case FPU_FTAG:
			st->fpu.ftwx = 0;
			for (unsigned i = 0; i < 8; i++)
				if (((v >> (2 * i)) & 3) != 3)
					st->fpu.ftwx |= (uint8_t)(1u << i);
			break;
		case FPU_FISEG:
			st->fpu.last_ip = (st->fpu.last_ip & 0xffffffffull) |
					  (v & 0xffff) << 32;
			break;
		case FPU_FIOFF:
			st->fpu.last_ip = (st->fpu.last_ip & ~0xffffffffull) |
					  (uint32_t)v;
			break;
		case FPU_FOSEG:
			st->fpu.last_dp = (st->fpu.last_dp & 0xffffffffull) |
					  (v & 0xffff) << 32;
			break;
		case FPU_FOOFF:
			st->fpu.last_dp = (st->fpu.last_dp & ~0xffffffffull) |
					  (uint32_t)v;
			break;
		}
	}
}

/* Walk every register of the layout: into buf (read) or out of it. */
static int regs_io(struct vcpu *vcpu, int layout, uint8_t *buf, size_t cap,
		   bool write)
{
	struct state st;
	const struct reg *r;
	size_t off = 0;

	if (get_state(vcpu, &st) < 0)
		return -1;
	for (unsigned i = 0; (r = layout_reg(layout, i)) != NULL; i++) {
		if (off + r->bits / 8 > cap)
			return write ? err_set("G: %zu bytes are too few for the registers",
					       cap) :
				       err_set("the registers do not fit %zu bytes", cap);
		reg_io(&st, r, buf + off, write);
		off += r->bits / 8;
	}
	if (write && off != cap)
		return err_set("G: %zu bytes for %zu bytes of registers", cap, off);
	if (write && set_state(vcpu, &st) < 0)
		return -1;
	return (int)off;
}

int gdb_arch_read_regs(struct vcpu *vcpu, int layout, uint8_t *buf, size_t cap)
{
	return regs_io(vcpu, layout, buf, cap, false);
}

int gdb_arch_write_regs(struct vcpu *vcpu, int layout, const uint8_t *buf,
			size_t len)
{
	/* reg_io only reads from buf when writing. */
	return regs_io(vcpu, layout, (uint8_t *)buf, len, true) < 0 ? -1 : 0;
}

int gdb_arch_read_reg(struct vcpu *vcpu, int layout, unsigned regno,
		      uint8_t *buf, size_t cap)
{
	const struct reg *r = layout_reg(layout, regno);
	struct state st;

	if (!r)
		return 0;
	if (r->bits / 8 > cap)
		return err_set("register %u does not fit", regno);
	if (get_state(vcpu, &st) < 0)
		return -1;
	reg_io(&st, r, buf, false);
	return r->bits / 8;
}

int gdb_arch_write_reg(struct vcpu *vcpu, int layout, unsigned regno,
		       const uint8_t *buf, size_t len)
{
	const struct reg *r = layout_reg(layout, regno);
	struct state st;

	if (!r)
		return err_set("no register %u", regno);
	if (len != r->bits / 8u)
		return err_set("register %s has %u bytes, not %zu", r->name,
			       r->bits / 8, len);
	if (get_state(vcpu, &st) < 0)
		return -1;
	reg_io(&st, r, (uint8_t *)buf, true);
	return set_state(vcpu, &st);
}

/* ---- Memory ---- */

/*
 * An address of the loaded vmlinux that the page tables do not map (yet):
 * through its segments, as the kernel will map it.
 */
static int kernel_map_translate(const struct vm *vm, uint64_t gva,
				uint64_t *gpa, uint64_t *page_left)
{
	for (unsigned i = 0; i < vm->boot.nr_kernel_map; i++) {
		uint64_t off = gva - vm->boot.kernel_map[i].vaddr;

		if (gva >= vm->boot.kernel_map[i].vaddr &&
		    off < vm->boot.kernel_map[i].size) {
			uint64_t left = vm->boot.kernel_map[i].size - off;

			*gpa = vm->boot.kernel_map[i].paddr + off;
			if (left < *page_left)
				*page_left = left;
			return 0;
		}
	}
	return err_set("0x%llx is not mapped", (unsigned long long)gva);
}

int gdb_arch_translate(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa,
		       uint64_t *page_left)
{
	struct kvm_sregs s;
	struct kvm_translation t;

	*page_left = 0x1000 - (gva & 0xfff);
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return err_errno("vcpu%u: KVM_GET_SREGS", vcpu->id);
	if (!(s.cr0 & (1u << 31))) {
		/* Paging off: linear is physical (32 bits of it). */
		if (gva >> 32) /* a kernel address, before paging */
			return kernel_map_translate(vcpu->vm, gva, gpa, page_left);
		*gpa = gva;
		return 0;
	}
	memset(&t, 0, sizeof(t));
	t.linear_address = gva;
	if (ioctl(vcpu->fd, KVM_TRANSLATE, &t) == 0 && t.valid) {
		*gpa = t.physical_address;
		return 0;
	}
	return kernel_map_translate(vcpu->vm, gva, gpa, page_left);
}

const uint8_t *gdb_arch_break_insn(size_t *len)
{
	static const uint8_t int3[] = { 0xcc };

	*len = sizeof(int3);
	return int3;
}

/* ---- Debug registers ---- */

#define X86_HW_SLOTS 4
#define DR6_BS (1u << 14)

int gdb_arch_hw_check(struct vm *vm, const struct gdb_hw_point *pts, unsigned n)
{
	(void)vm;
	if (n > X86_HW_SLOTS)
		return err_set("x86 has %d debug address registers; %u hardware breakpoints and watchpoints asked for",
			       X86_HW_SLOTS, n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t len = pts[i].len;

		if (pts[i].type == GDB_POINT_HW)
			continue;
		if (len != 1 && len != 2 && len != 4 && len != 8)
			return err_set("a watchpoint covers 1, 2, 4 or 8 bytes, not %llu",
				       (unsigned long long)len);
		if (pts[i].addr & (len - 1))
			return err_set("a %llu-byte watchpoint must be aligned (0x%llx)",
				       (unsigned long long)len,
				       (unsigned long long)pts[i].addr);
	}
	return 0;
}

static uint32_t debug_flags_supported(struct vm *vm)
{
	int r = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);

	return r > 0 ? (uint32_t)r : 0;
}

int gdb_arch_set_debug(struct vcpu *vcpu, const struct gdb_debug *dbg)
{
	struct kvm_guest_debug d;

	memset(&d, 0, sizeof(d));
	if (dbg->enable) {
		d.control = KVM_GUESTDBG_ENABLE;
		if (dbg->step) {
			d.control |= KVM_GUESTDBG_SINGLESTEP;
			/* Step the guest's code, not the interrupt handlers. */
			if (!dbg->step_irqs &&
			    debug_flags_supported(vcpu->vm) & KVM_GUESTDBG_BLOCKIRQ)
				d.control |= KVM_GUESTDBG_BLOCKIRQ;
		}
		if (dbg->sw_bp)
			d.control |= KVM_GUESTDBG_USE_SW_BP;
		if (dbg->nr_hw) {
			uint64_t dr7 = 0;

			d.control |= KVM_GUESTDBG_USE_HW_BP;
			for (unsigned i = 0; i < dbg->nr_hw && i < X86_HW_SLOTS; i++) {
				const struct gdb_hw_point *p = &dbg->hw[i];
				/* R/W: 00 execute, 01 write, 11 read or write. */
				uint64_t rw = p->type == GDB_POINT_HW ? 0 :
					      p->type == GDB_POINT_WRITE ? 1 : 3;
				/* LEN: 00 1 byte, 01 2, 11 4, 10 8. */
				uint64_t lenb = p->type == GDB_POINT_HW ? 0 :
						p->len == 2 ? 1 : p->len == 4 ? 3 :
						p->len == 8 ? 2 : 0;

				d.arch.debugreg[i] = p->addr;
				dr7 |= 2ull << (2 * i); /* Gn */
				dr7 |= rw << (16 + 4 * i) | lenb << (18 + 4 * i);
			}
			d.arch.debugreg[7] = dr7 | (1u << 9); /* GE */
		}
	}
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &d) < 0)
		return err_errno("vcpu%u: KVM_SET_GUEST_DEBUG", vcpu->id);
	return 0;
}

void gdb_arch_debug_exit(struct vcpu *vcpu, const struct gdb_debug *dbg,
			 struct gdb_stop *stop)
{
	const struct kvm_debug_exit_arch *a = &vcpu->run->debug.arch;

	memset(stop, 0, sizeof(*stop));
	stop->pc = a->pc;
	stop->kind = GDB_STOP_OTHER;
	if (a->exception == 3) {
		stop->kind = GDB_STOP_SWBREAK;
		return;
	}
	if (a->exception != 1)
		return;
	for (unsigned i = 0; i < dbg->nr_hw && i < X86_HW_SLOTS; i++) {
		const struct gdb_hw_point *p = &dbg->hw[i];

		if (!(a->dr6 & (1u << i)))
			continue;
		if (p->type == GDB_POINT_HW) {
			stop->kind = GDB_STOP_HWBREAK;
		} else {
			stop->kind = GDB_STOP_WATCH;
			stop->watch_addr = p->addr;
			stop->watch_type = p->type;
		}
		return;
	}
	/* Some CPUs (and emulations of them) leave DR6.BS clear. */
	if ((a->dr6 & DR6_BS) || dbg->step)
		stop->kind = GDB_STOP_STEP;
}

int gdb_arch_reinject_break(struct vcpu *vcpu, const struct gdb_debug *dbg)
{
	struct kvm_guest_debug d;

	/*
	 * KVM_GUESTDBG_INJECT_BP queues the #BP as the int3 itself would have
	 * raised it (KVM knows the instruction's length from the exit).
	 */
	if (gdb_arch_set_debug(vcpu, dbg) < 0)
		return -1;
	memset(&d, 0, sizeof(d));
	d.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_INJECT_BP |
		    KVM_GUESTDBG_USE_SW_BP;
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &d) < 0)
		return err_errno("vcpu%u: KVM_GUESTDBG_INJECT_BP", vcpu->id);
	/* Back to the debug state the stub asked for. */
	return gdb_arch_set_debug(vcpu, dbg);
}
