// SPDX-License-Identifier: MIT
/*
 * The arm64 side of the gdb stub (src/gdb/gdb_arch.h): one register
 * layout, stage-1 address translation, brk #0 and the hardware debug
 * registers through KVM_SET_GUEST_DEBUG.
 *
 * Registers (one layout, 0): gdb's own AArch64 numbering, x0-x30 0..30,
 * sp 31, pc 32, cpsr 33 (4 bytes), v0-v31 34..65 (16 bytes), fpsr 66 and
 * fpcr 67 (4 bytes), then our "org.minivmm.aarch64.sys" feature from 68 on
 * (8 bytes each).  The 'g' packet holds every one of them in that order,
 * little-endian (884 bytes).  gdb's "sp" is the stack pointer in use:
 * SP_EL1 when PSTATE.M is EL1h, else SP_EL0; a write goes to the same one.
 * Every register is one KVM_{GET,SET}_ONE_REG id (reg_desc()), so the
 * packet and the single-register accesses share one path; a 'G' packet
 * writes only the registers whose value it changes (sp and the sp_elN it
 * stands for are both in it).
 *
 * Translation walks the EL1&0 regime's stage-1 tables (TTBR0_EL1 or
 * TTBR1_EL1 by VA bit 55, TCR_EL1's TxSZ, TGx, EPDx, TBIx) with 4 KiB,
 * 16 KiB and 64 KiB granules, reading descriptors through the checked
 * door; 52-bit output addresses are not supported (bits [47:shift]).
 *
 * A guest's own brk (a kernel's BUG and WARN) traps to us whenever any
 * debugging is on (KVM then routes every debug exception to EL2).  KVM on
 * arm64 cannot inject a synchronous exception, so the stub takes it for
 * the guest, as the CPU would have (and as QEMU does): ESR_EL1, ELR_EL1,
 * SPSR_EL1, PSTATE and the pc at VBAR_EL1's vector.
 *
 * A single step runs with the guest's interrupt masks as they are: KVM on
 * arm64 has no KVM_GUESTDBG_BLOCKIRQ, so a step while an interrupt is
 * pending and unmasked ends at the IRQ vector (VBAR_EL1 + 0x280 from EL1h),
 * the interrupted instruction not yet executed (it is at ELR_EL1).
 */
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "gdb/gdb_arch.h"
#include "log.h"
#include "mem.h"
#include "vcpu.h"
#include "vm.h"

/* KVM's ONE_REG values are in host order; the packet is little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the arm64 gdb registers assume a little-endian host");

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* KVM_{GET,SET}_ONE_REG id of a field of struct kvm_regs. */
#define CORE(size, field)                                         \
	(KVM_REG_ARM64 | KVM_REG_SIZE_##size | KVM_REG_ARM_CORE | \
	 KVM_REG_ARM_CORE_REG(field))

#define ID_PC CORE(U64, regs.pc)
#define ID_PSTATE CORE(U64, regs.pstate)
#define ID_SP_EL0 CORE(U64, regs.sp)
#define ID_SP_EL1 CORE(U64, sp_el1)
#define ID_SCTLR_EL1 ARM64_SYS_REG(3, 0, 1, 0, 0)
#define ID_TCR_EL1 ARM64_SYS_REG(3, 0, 2, 0, 2)
#define ID_TTBR0_EL1 ARM64_SYS_REG(3, 0, 2, 0, 0)
#define ID_TTBR1_EL1 ARM64_SYS_REG(3, 0, 2, 0, 1)
/* Not a KVM id (those all have KVM_REG_ARM64 set): "sp", by PSTATE.M. */
#define ID_SP_IN_USE 0ull

/* PSTATE.M[3:0] of EL1 with SP_EL1 selected. */
#define PSTATE_M_MASK 0xfull
#define PSTATE_M_EL1H 0x5ull

/* gdb's register numbers. */
#define REG_SP 31u
#define REG_PC 32u
#define REG_CPSR 33u
#define REG_V0 34u
#define REG_FPSR 66u
#define REG_FPCR 67u
#define REG_SYS0 68u

/* The "org.minivmm.aarch64.sys" feature, in its XML order from 68 on. */
static const struct {
	const char *name;
	uint64_t id;
} sys_regs[] = {
	{"sctlr_el1", ID_SCTLR_EL1},
	{"tcr_el1", ID_TCR_EL1},
	{"ttbr0_el1", ID_TTBR0_EL1},
	{"ttbr1_el1", ID_TTBR1_EL1},
	{"mair_el1", ARM64_SYS_REG(3, 0, 10, 2, 0)},
	{"vbar_el1", ARM64_SYS_REG(3, 0, 12, 0, 0)},
	{"esr_el1", ARM64_SYS_REG(3, 0, 5, 2, 0)},
	{"far_el1", ARM64_SYS_REG(3, 0, 6, 0, 0)},
	{"elr_el1", CORE(U64, elr_el1)},
	{"spsr_el1", CORE(U64, spsr[KVM_SPSR_EL1])},
	{"sp_el0", ID_SP_EL0},
	{"sp_el1", ID_SP_EL1},
};

#define NR_REGS (REG_SYS0 + (unsigned)ARRAY_LEN(sys_regs))

/* ---- target description ---- */

/* clang-format off */

static const char target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n"
	"  <architecture>aarch64</architecture>\n"
	"  <xi:include href=\"aarch64-core.xml\"/>\n"
	"  <xi:include href=\"aarch64-fpu.xml\"/>\n"
	"  <xi:include href=\"minivmm-sys.xml\"/>\n"
	"</target>\n";

#define X(n) "  <reg name=\"x" #n "\" bitsize=\"64\"/>\n"

static const char core_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
	"<feature name=\"org.gnu.gdb.aarch64.core\">\n"
	"  <reg name=\"x0\" bitsize=\"64\" regnum=\"0\"/>\n"
	X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)
	X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24)
	X(25) X(26) X(27) X(28) X(29) X(30)
	"  <reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"  <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>\n"
	"  <flags id=\"cpsr_flags\" size=\"4\">\n"
	"    <field name=\"SP\" start=\"0\" end=\"0\"/>\n"
	"    <field name=\"EL\" start=\"2\" end=\"3\"/>\n"
	"    <field name=\"nRW\" start=\"4\" end=\"4\"/>\n"
	"    <field name=\"F\" start=\"6\" end=\"6\"/>\n"
	"    <field name=\"I\" start=\"7\" end=\"7\"/>\n"
	"    <field name=\"A\" start=\"8\" end=\"8\"/>\n"
	"    <field name=\"D\" start=\"9\" end=\"9\"/>\n"
	"    <field name=\"IL\" start=\"20\" end=\"20\"/>\n"
	"    <field name=\"SS\" start=\"21\" end=\"21\"/>\n"
	"    <field name=\"PAN\" start=\"22\" end=\"22\"/>\n"
	"    <field name=\"UAO\" start=\"23\" end=\"23\"/>\n"
	"    <field name=\"V\" start=\"28\" end=\"28\"/>\n"
	"    <field name=\"C\" start=\"29\" end=\"29\"/>\n"
	"    <field name=\"Z\" start=\"30\" end=\"30\"/>\n"
	"    <field name=\"N\" start=\"31\" end=\"31\"/>\n"
	"  </flags>\n"
	"  <reg name=\"cpsr\" bitsize=\"32\" type=\"cpsr_flags\"/>\n"
	"</feature>\n";

#undef X
#define V(n) "  <reg name=\"v" #n "\" bitsize=\"128\" type=\"aarch64v\"/>\n"

/*
 * gdb's own aarch64-fpu.xml less the half-precision and bfloat16 lanes,
 * which older gdbs do not know (an unknown type rejects the whole
 * description).
 */
static const char fpu_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
	"<feature name=\"org.gnu.gdb.aarch64.fpu\">\n"
	"  <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
	"  <vector id=\"v2u\" type=\"uint64\" count=\"2\"/>\n"
	"  <vector id=\"v2i\" type=\"int64\" count=\"2\"/>\n"
	"  <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
	"  <vector id=\"v4u\" type=\"uint32\" count=\"4\"/>\n"
	"  <vector id=\"v4i\" type=\"int32\" count=\"4\"/>\n"
	"  <vector id=\"v8u\" type=\"uint16\" count=\"8\"/>\n"
	"  <vector id=\"v8i\" type=\"int16\" count=\"8\"/>\n"
	"  <vector id=\"v16u\" type=\"uint8\" count=\"16\"/>\n"
	"  <vector id=\"v16i\" type=\"int8\" count=\"16\"/>\n"
	"  <vector id=\"v1u\" type=\"uint128\" count=\"1\"/>\n"
	"  <vector id=\"v1i\" type=\"int128\" count=\"1\"/>\n"
	"  <union id=\"vnd\">\n"
	"    <field name=\"f\" type=\"v2d\"/>\n"
	"    <field name=\"u\" type=\"v2u\"/>\n"
	"    <field name=\"s\" type=\"v2i\"/>\n"
	"  </union>\n"
	"  <union id=\"vns\">\n"
	"    <field name=\"f\" type=\"v4f\"/>\n"
	"    <field name=\"u\" type=\"v4u\"/>\n"
	"    <field name=\"s\" type=\"v4i\"/>\n"
	"  </union>\n"
	"  <union id=\"vnh\">\n"
	"    <field name=\"u\" type=\"v8u\"/>\n"
	"    <field name=\"s\" type=\"v8i\"/>\n"
	"  </union>\n"
	"  <union id=\"vnb\">\n"
	"    <field name=\"u\" type=\"v16u\"/>\n"
	"    <field name=\"s\" type=\"v16i\"/>\n"
	"  </union>\n"
	"  <union id=\"vnq\">\n"
	"    <field name=\"u\" type=\"v1u\"/>\n"
	"    <field name=\"s\" type=\"v1i\"/>\n"
	"  </union>\n"
	"  <union id=\"aarch64v\">\n"
	"    <field name=\"d\" type=\"vnd\"/>\n"
	"    <field name=\"s\" type=\"vns\"/>\n"
	"    <field name=\"h\" type=\"vnh\"/>\n"
	"    <field name=\"b\" type=\"vnb\"/>\n"
	"    <field name=\"q\" type=\"vnq\"/>\n"
	"  </union>\n"
	"  <reg name=\"v0\" bitsize=\"128\" type=\"aarch64v\" regnum=\"34\"/>\n"
	V(1) V(2) V(3) V(4) V(5) V(6) V(7) V(8) V(9) V(10) V(11) V(12) V(13)
	V(14) V(15) V(16) V(17) V(18) V(19) V(20) V(21) V(22) V(23) V(24)
	V(25) V(26) V(27) V(28) V(29) V(30) V(31)
	"  <reg name=\"fpsr\" bitsize=\"32\"/>\n"
	"  <reg name=\"fpcr\" bitsize=\"32\"/>\n"
	"</feature>\n";

#undef V
#define S(name) \
	"  <reg name=\"" name "\" bitsize=\"64\" type=\"uint64\" group=\"system\"/>\n"

/* Must match sys_regs[]. */
static const char sys_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
	"<feature name=\"org.minivmm.aarch64.sys\">\n"
	"  <reg name=\"sctlr_el1\" bitsize=\"64\" type=\"uint64\" group=\"system\" regnum=\"68\"/>\n"
	S("tcr_el1") S("ttbr0_el1") S("ttbr1_el1") S("mair_el1") S("vbar_el1")
	S("esr_el1") S("far_el1") S("elr_el1") S("spsr_el1") S("sp_el0")
	S("sp_el1")
	"</feature>\n";

#undef S
/* clang-format on */

int gdb_arch_layout(struct vcpu *vcpu)
{
	(void)vcpu;
	return 0;
}

const char *gdb_arch_xml(int layout, const char *annex)
{
	static const struct {
		const char *annex, *text;
	} docs[] = {
		{"target.xml", target_xml},
		{"aarch64-core.xml", core_xml},
		{"aarch64-fpu.xml", fpu_xml},
		{"minivmm-sys.xml", sys_xml},
	};

	if (layout != 0 || !annex)
		return NULL;
	for (size_t i = 0; i < ARRAY_LEN(docs); i++)
		if (!strcmp(annex, docs[i].annex))
			return docs[i].text;
	return NULL;
}

/* ---- registers ---- */

static int one_reg(struct vcpu *vcpu, unsigned long req, uint64_t id,
		   void *value)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)value};

	return ioctl(vcpu->fd, req, &r);
}

/* A 64-bit register by KVM id; -1 with err_msg(). */
static int get_u64(struct vcpu *vcpu, uint64_t id, const char *what,
		   uint64_t *value)
{
	*value = 0;
	if (one_reg(vcpu, KVM_GET_ONE_REG, id, value) < 0)
		return err_errno("vcpu%u: KVM_GET_ONE_REG %s", vcpu->id, what);
	return 0;
}

/*
 * Register regno of layout 0: its KVM id (ID_SP_IN_USE for "sp"), its
 * size in the packet, and its name for messages; false for no such number.
 */
static bool reg_desc(unsigned regno, uint64_t *id, size_t *size, char *name,
		     size_t name_size)
{
	if (regno < REG_SP) {
		*id = CORE(U64, regs.regs[regno]);
		*size = 8;
		snprintf(name, name_size, "x%u", regno);
	} else if (regno == REG_SP || regno == REG_PC) {
		*id = regno == REG_SP ? ID_SP_IN_USE : ID_PC;
		*size = 8;
		snprintf(name, name_size, "%s", regno == REG_SP ? "sp" : "pc");
	} else if (regno == REG_CPSR) {
		*id = ID_PSTATE; /* 64 bits in KVM, the low 32 for gdb */
		*size = 4;
		snprintf(name, name_size, "cpsr");
	} else if (regno < REG_FPSR) {
		*id = CORE(U128, fp_regs.vregs[regno - REG_V0]);
		*size = 16;
		snprintf(name, name_size, "v%u", regno - REG_V0);
	} else if (regno == REG_FPSR || regno == REG_FPCR) {
		*id = regno == REG_FPSR ? CORE(U32, fp_regs.fpsr)
					: CORE(U32, fp_regs.fpcr);
		*size = 4;
		snprintf(name, name_size, "%s",
			 regno == REG_FPSR ? "fpsr" : "fpcr");
	} else if (regno < NR_REGS) {
		*id = sys_regs[regno - REG_SYS0].id;
		*size = 8;
		snprintf(name, name_size, "%s",
			 sys_regs[regno - REG_SYS0].name);
	} else {
		return false;
	}
	return true;
}

/* The stack pointer gdb's "sp" stands for: SP_EL1 in EL1h, else SP_EL0. */
static int sp_in_use(struct vcpu *vcpu, uint64_t *id)
{
	uint64_t pstate;

	if (get_u64(vcpu, ID_PSTATE, "pstate", &pstate) < 0)
		return -1;
	*id = (pstate & PSTATE_M_MASK) == PSTATE_M_EL1H ? ID_SP_EL1 : ID_SP_EL0;
	return 0;
}

/*
 * Read register regno into out (when not NULL) or write it from in.
 * Returns its size, 0 for no such register, -1 with err_msg().
 */
static int reg_access(struct vcpu *vcpu, unsigned regno, uint8_t *out,
		      const uint8_t *in)
{
	uint64_t raw[2] = {0, 0}; /* the KVM value, up to 128 bits */
	uint64_t id;
	size_t size, kvm_size;
	char name[16];

	if (!reg_desc(regno, &id, &size, name, sizeof(name)))
		return 0;
	if (id == ID_SP_IN_USE && sp_in_use(vcpu, &id) < 0)
		return -1;
	kvm_size = (size_t)1
		   << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
	/* A read, or a write of part of KVM's register (cpsr): fetch it. */
	if ((out || size < kvm_size) &&
	    one_reg(vcpu, KVM_GET_ONE_REG, id, raw) < 0)
		return err_errno("vcpu%u: KVM_GET_ONE_REG %s", vcpu->id, name);
	if (out) {
		memcpy(out, raw, size);
		return (int)size;
	}
	memcpy(raw, in, size);
	if (one_reg(vcpu, KVM_SET_ONE_REG, id, raw) < 0)
		return err_errno("vcpu%u: KVM_SET_ONE_REG %s", vcpu->id, name);
	return (int)size;
}

static int check_layout(int layout)
{
	if (layout != 0)
		return err_set("arm64 has one register layout (0), not %d",
			       layout);
	return 0;
}

/* The size of the 'g' packet. */
static size_t regs_size(void)
{
	size_t total = 0, size;
	uint64_t id;
	char name[16];

	for (unsigned regno = 0; regno < NR_REGS; regno++)
		if (reg_desc(regno, &id, &size, name, sizeof(name)))
			total += size;
	return total;
}

int gdb_arch_read_regs(struct vcpu *vcpu, int layout, uint8_t *buf, size_t cap)
{
	size_t off = 0, total = regs_size();

	if (check_layout(layout) < 0)
		return -1;
	if (cap < total)
		return err_set("arm64's registers are %zu bytes, more than %zu",
			       total, cap);
	for (unsigned regno = 0; regno < NR_REGS; regno++) {
		int n = reg_access(vcpu, regno, buf + off, NULL);

		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	return (int)off;
}

/*
 * Only the registers that differ from the vCPU's are written: "sp" and
 * the sp_el0 or sp_el1 it stands for are both in the packet, and gdb
 * sends back the old value of the one it did not change.
 */
int gdb_arch_write_regs(struct vcpu *vcpu, int layout, const uint8_t *buf,
			size_t len)
{
	uint8_t old[GDB_REGS_MAX];
	int total = gdb_arch_read_regs(vcpu, layout, old, sizeof(old));
	size_t off = 0;

	if (total < 0)
		return -1;
	if (len != (size_t)total)
		return err_set("arm64's registers are %d bytes, not %zu", total,
			       len);
	for (unsigned regno = 0; regno < NR_REGS; regno++) {
		uint64_t id;
		size_t size;
		char name[16];

		reg_desc(regno, &id, &size, name, sizeof(name));
		if (memcmp(old + off, buf + off, size) &&
		    reg_access(vcpu, regno, NULL, buf + off) < 0)
			return -1;
		off += size;
	}
	return total;
}

/* One register by number; the size check for either direction. */
static int reg_one(struct vcpu *vcpu, int layout, unsigned regno, uint8_t *out,
		   const uint8_t *in, size_t len)
{
	uint64_t id;
	size_t size;
	char name[16];

	if (check_layout(layout) < 0)
		return -1;
	if (!reg_desc(regno, &id, &size, name, sizeof(name)))
		return in ? err_set("arm64 has no register %u", regno) : 0;
	if (out ? len < size : len != size)
		return err_set("register %s is %zu bytes, not %zu", name, size,
			       len);
	return reg_access(vcpu, regno, out, in);
}

int gdb_arch_read_reg(struct vcpu *vcpu, int layout, unsigned regno,
		      uint8_t *buf, size_t cap)
{
	return reg_one(vcpu, layout, regno, buf, NULL, cap);
}

int gdb_arch_write_reg(struct vcpu *vcpu, int layout, unsigned regno,
		       const uint8_t *buf, size_t len)
{
	return reg_one(vcpu, layout, regno, NULL, buf, len);
}

/* ---- stage-1 translation ---- */

#define SCTLR_M 0x1ull
/* TTBRn_EL1: BADDR[47:1]; ASID in [63:48] and CnP in bit 0 are not. */
#define TTBR_BADDR 0x0000fffffffffffeull
/* Output address bits [47:0] of a descriptor (then cut at the granule). */
#define DESC_OA 0x0000ffffffffffffull
#define DESC_VALID 0x1ull
#define DESC_TABLE 0x2ull /* table (levels 0-2) or page (level 3) */
#define PAGE_4K 4096ull
/*
 * TxSZ below 16 needs 52-bit VAs: taken as 16 (48-bit VAs); above the
 * largest (48, 47 with 64K pages: FEAT_TTST) taken as that.
 */
#define TSZ_MIN 16u
#define TSZ_MAX 48u

/* The half of the EL1&0 address space a VA falls in, from TCR_EL1. */
struct va_range {
	bool upper;	/* TTBR1 */
	unsigned tsz;	/* TxSZ: the range has 64 - tsz address bits */
	unsigned shift; /* granule: 12, 14 or 16 */
	bool tbi;	/* the top byte is ignored */
	bool epd;	/* walks disabled */
};

static int va_range(uint64_t tcr, uint64_t va, struct va_range *r)
{
	/* TG0: 0 4K, 1 64K, 2 16K; TG1: 1 16K, 2 4K, 3 64K; 0 = reserved. */
	static const unsigned tg0[4] = {12, 16, 14, 0};
	static const unsigned tg1[4] = {0, 14, 12, 16};

	r->upper = (va >> 55) & 1;
	if (r->upper) {
		r->tsz = (tcr >> 16) & 0x3f;
		r->shift = tg1[(tcr >> 30) & 3];
		r->tbi = (tcr >> 38) & 1;
		r->epd = (tcr >> 23) & 1;
	} else {
		r->tsz = tcr & 0x3f;
		r->shift = tg0[(tcr >> 14) & 3];
		r->tbi = (tcr >> 37) & 1;
		r->epd = (tcr >> 7) & 1;
	}
	if (!r->shift)
		return err_set("TCR_EL1.TG%d selects a reserved granule",
			       r->upper ? 1 : 0);
	if (r->tsz < TSZ_MIN)
		r->tsz = TSZ_MIN;
	/* At least one bit for the first level to resolve. */
	if (r->tsz > TSZ_MAX || 64 - r->tsz <= r->shift)
		r->tsz = r->shift == 16 ? TSZ_MAX - 1 : TSZ_MAX;
	return 0;
}

int gdb_arch_translate(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa,
		       uint64_t *page_left)
{
	const struct guest_mem *mem = &vcpu->vm->mem;
	uint64_t sctlr, tcr, ttbr, table, va = gva, top;
	unsigned va_bits, stride, level;
	struct va_range r;

	if (get_u64(vcpu, ID_SCTLR_EL1, "SCTLR_EL1", &sctlr) < 0)
		return -1;
	if (!(sctlr & SCTLR_M)) {
		*gpa = gva;
		*page_left = PAGE_4K - (gva & (PAGE_4K - 1));
		return 0;
	}
	if (get_u64(vcpu, ID_TCR_EL1, "TCR_EL1", &tcr) < 0 ||
	    va_range(tcr, gva, &r) < 0)
		return -1;
	if (r.tbi) /* bits 63:56 are then bit 55 for the range check */
		va = r.upper ? va | 0xff00000000000000ull
			     : va & 0x00ffffffffffffffull;
	va_bits = 64 - r.tsz;
	top = va >> va_bits;
	if (top != (r.upper ? (1ull << r.tsz) - 1 : 0))
		return err_set("0x%llx is outside the %u-bit %s half of the "
			       "address space",
			       (unsigned long long)gva, va_bits,
			       r.upper ? "upper (TTBR1)" : "lower (TTBR0)");
	if (r.epd)
		return err_set("0x%llx: walks through TTBR%d_EL1 are disabled "
			       "(TCR_EL1.EPD%d)",
			       (unsigned long long)gva, r.upper ? 1 : 0,
			       r.upper ? 1 : 0);
	if (get_u64(vcpu, r.upper ? ID_TTBR1_EL1 : ID_TTBR0_EL1,
		    r.upper ? "TTBR1_EL1" : "TTBR0_EL1", &ttbr) < 0)
		return -1;

	/* Each level resolves `stride` bits; level 3 leaves the granule. */
	stride = r.shift - 3;
	level = 4 - (va_bits - r.shift + stride - 1) / stride;
	table = ttbr & TTBR_BADDR;
	for (;; level++) {
		unsigned lsb = r.shift + stride * (3 - level);
		unsigned width =
			va_bits - lsb < stride ? va_bits - lsb : stride;
		uint64_t index = (va >> lsb) & ((1ull << width) - 1);
		uint64_t desc_gpa = table + index * 8, desc, size;

		if (copy_from_guest(mem, &desc, desc_gpa, sizeof(desc)) < 0)
			return err_set("0x%llx: level %u page table entry at "
				       "0x%llx is outside guest RAM",
				       (unsigned long long)gva, level,
				       (unsigned long long)desc_gpa);
		if (!(desc & DESC_VALID))
			return err_set(
				"0x%llx is not mapped (level %u entry 0x%llx)",
				(unsigned long long)gva, level,
				(unsigned long long)desc);
		if (level < 3 && (desc & DESC_TABLE)) {
			table = desc & DESC_OA & ~((1ull << r.shift) - 1);
			continue;
		}
		/*
		 * A leaf: a page at level 3; a block at level 2, or at level 1
		 * with 4K pages (the other blocks need 52-bit addresses).
		 */
		if (level == 3 ? !(desc & DESC_TABLE)
			       : level < (r.shift == 12 ? 1u : 2u))
			return err_set(
				"0x%llx: invalid level %u descriptor 0x%llx",
				(unsigned long long)gva, level,
				(unsigned long long)desc);
		size = 1ull << lsb;
		*gpa = (desc & DESC_OA & ~(size - 1)) | (va & (size - 1));
		*page_left = size - (va & (size - 1));
		return 0;
	}
}

/* ---- breakpoints ---- */

const uint8_t *gdb_arch_break_insn(size_t *len)
{
	static const uint8_t brk0[4] = {0x00, 0x00, 0x20, 0xd4}; /* brk #0 */

	*len = sizeof(brk0);
	return brk0;
}

static bool is_watch(enum gdb_point_type type)
{
	return type == GDB_POINT_WRITE || type == GDB_POINT_READ ||
	       type == GDB_POINT_ACCESS;
}

/* How many of the debug registers `cap` counts KVM offers (0 when none). */
static unsigned hw_slots(struct vm *vm, long cap)
{
	int fd = vm->vm_fd >= 0 ? vm->vm_fd : vm->kvm_fd;
	int n = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	if (n <= 0)
		return 0;
	return n > KVM_ARM_MAX_DBG_REGS ? KVM_ARM_MAX_DBG_REGS : (unsigned)n;
}

int gdb_arch_hw_check(struct vm *vm, const struct gdb_hw_point *pts, unsigned n)
{
	unsigned nr_bp = 0, nr_wp = 0, max_bp, max_wp;

	for (unsigned i = 0; i < n; i++) {
		const struct gdb_hw_point *p = &pts[i];

		if (p->type == GDB_POINT_HW) {
			if (p->addr % 4)
				return err_set("hardware breakpoint at 0x%llx: "
					       "AArch64 instructions are "
					       "4-byte aligned",
					       (unsigned long long)p->addr);
			nr_bp++;
		} else if (is_watch(p->type)) {
			if (p->len < 1 || p->len > 8 ||
			    (p->addr & 7) + p->len > 8)
				return err_set("watchpoint of %llu bytes at "
					       "0x%llx: an arm64 watchpoint "
					       "covers 1 to 8 bytes within one "
					       "aligned 8-byte doubleword",
					       (unsigned long long)p->len,
					       (unsigned long long)p->addr);
			nr_wp++;
		} else {
			return err_set("point type %d is not a hardware one",
				       (int)p->type);
		}
	}
	max_bp = nr_bp ? hw_slots(vm, KVM_CAP_GUEST_DEBUG_HW_BPS) : 0;
	max_wp = nr_wp ? hw_slots(vm, KVM_CAP_GUEST_DEBUG_HW_WPS) : 0;
	if (nr_bp > max_bp)
		return err_set(
			"%u hardware breakpoints, but KVM offers this guest %u",
			nr_bp, max_bp);
	if (nr_wp > max_wp)
		return err_set("%u watchpoints, but KVM offers this guest %u",
			       nr_wp, max_wp);
	return 0;
}

/* DBGBCR/DBGWCR: enabled, matching at EL1 and EL0 (PMC/PAC = 0b11). */
#define DBG_E_EL1_EL0 0x7ull
#define BCR_BAS_A64 (0xfull << 5) /* the whole A64 instruction */
#define WCR_LSC_LOAD (1ull << 3)
#define WCR_LSC_STORE (2ull << 3)
#define WCR_BAS_SHIFT 5

/* The bytes of p's doubleword it watches (DBGWCR.BAS). */
static uint64_t watch_bas(const struct gdb_hw_point *p)
{
	return ((1ull << p->len) - 1) << (p->addr & 7);
}

int gdb_arch_set_debug(struct vcpu *vcpu, const struct gdb_debug *dbg)
{
	struct kvm_guest_debug g;
	unsigned nr_bp = 0, nr_wp = 0;

	memset(&g, 0, sizeof(g));
	if (dbg->enable) {
		g.control = KVM_GUESTDBG_ENABLE;
		if (dbg->step)
			g.control |= KVM_GUESTDBG_SINGLESTEP;
		if (dbg->sw_bp)
			g.control |= KVM_GUESTDBG_USE_SW_BP;
		if (dbg->nr_hw)
			g.control |= KVM_GUESTDBG_USE_HW;
	}
	for (unsigned i = 0; dbg->enable && i < dbg->nr_hw && i < GDB_MAX_HW;
	     i++) {
		const struct gdb_hw_point *p = &dbg->hw[i];

		if (p->type == GDB_POINT_HW && nr_bp < KVM_ARM_MAX_DBG_REGS) {
			g.arch.dbg_bvr[nr_bp] = p->addr & ~3ull;
			g.arch.dbg_bcr[nr_bp++] = DBG_E_EL1_EL0 | BCR_BAS_A64;
		} else if (is_watch(p->type) && nr_wp < KVM_ARM_MAX_DBG_REGS) {
			uint64_t lsc = p->type == GDB_POINT_WRITE
					       ? WCR_LSC_STORE
				       : p->type == GDB_POINT_READ
					       ? WCR_LSC_LOAD
					       : WCR_LSC_LOAD | WCR_LSC_STORE;

			g.arch.dbg_wvr[nr_wp] = p->addr & ~7ull;
			g.arch.dbg_wcr[nr_wp++] = DBG_E_EL1_EL0 | lsc |
						  watch_bas(p) << WCR_BAS_SHIFT;
		} else {
			return err_set("vcpu%u: hardware point %u (type %d) "
				       "does not fit the debug registers",
				       vcpu->id, i, (int)p->type);
		}
	}
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &g) < 0)
		return err_errno("vcpu%u: KVM_SET_GUEST_DEBUG", vcpu->id);
	return 0;
}

/* ESR_ELx.EC of the debug exceptions KVM hands us. */
#define EC_BREAKPT_LOW 0x30
#define EC_BREAKPT_CUR 0x31
#define EC_SOFTSTP_LOW 0x32
#define EC_SOFTSTP_CUR 0x33
#define EC_WATCHPT_LOW 0x34
#define EC_WATCHPT_CUR 0x35
#define EC_BRK64 0x3c

/*
 * The configured watchpoint a data abort address belongs to: the one whose
 * bytes hold it, else the one in its doubleword (FAR may name any byte of
 * the access, not only a watched one), else the only watchpoint; NULL.
 */
static const struct gdb_hw_point *watch_match(const struct gdb_debug *dbg,
					      uint64_t far)
{
	const struct gdb_hw_point *dword = NULL, *only = NULL;
	unsigned nr_wp = 0;

	for (unsigned i = 0; i < dbg->nr_hw && i < GDB_MAX_HW; i++) {
		const struct gdb_hw_point *p = &dbg->hw[i];

		if (!is_watch(p->type))
			continue;
		if (far >= p->addr && far - p->addr < p->len)
			return p;
		if (!dword && (far & ~7ull) == (p->addr & ~7ull))
			dword = p;
		only = p;
		nr_wp++;
	}
	return dword ? dword : nr_wp == 1 ? only : NULL;
}

void gdb_arch_debug_exit(struct vcpu *vcpu, const struct gdb_debug *dbg,
			 struct gdb_stop *stop)
{
	const struct kvm_debug_exit_arch *d = &vcpu->run->debug.arch;
	const struct gdb_hw_point *p;
	unsigned ec = (d->hsr >> 26) & 0x3f;
	uint64_t pc = 0;

	memset(stop, 0, sizeof(*stop));
	if (one_reg(vcpu, KVM_GET_ONE_REG, ID_PC, &pc) < 0)
		pc = 0;
	stop->pc = pc;
	switch (ec) {
	case EC_BRK64:
		stop->kind = GDB_STOP_SWBREAK;
		break;
	case EC_SOFTSTP_LOW:
	case EC_SOFTSTP_CUR:
		stop->kind = GDB_STOP_STEP;
		break;
	case EC_BREAKPT_LOW:
	case EC_BREAKPT_CUR:
		stop->kind = GDB_STOP_HWBREAK;
		break;
	case EC_WATCHPT_LOW:
	case EC_WATCHPT_CUR:
		stop->kind = GDB_STOP_WATCH;
		stop->watch_addr = d->far;
		stop->watch_type = GDB_POINT_WRITE;
		p = watch_match(dbg, d->far);
		if (p && p->len) {
			/* Name a watched byte, so gdb finds its watchpoint. */
			if (stop->watch_addr < p->addr)
				stop->watch_addr = p->addr;
			if (stop->watch_addr - p->addr >= p->len)
				stop->watch_addr = p->addr + p->len - 1;
			stop->watch_type = p->type;
		}
		break;
	default:
		stop->kind = GDB_STOP_OTHER;
		break;
	}
}

/* PSTATE bits an exception entry keeps or sets (AArch64.TakeException). */
#define PSTATE_NZCV (0xfull << 28)
#define PSTATE_DIT (1ull << 24)
#define PSTATE_PAN (1ull << 22)
#define PSTATE_SS (1ull << 21)
#define PSTATE_SSBS (1ull << 12)
#define PSTATE_DAIF (0xfull << 6)
#define PSTATE_NRW (1ull << 4)
#define PSTATE_M_EL0T 0x0ull
#define PSTATE_M_EL1T 0x4ull
/* SCTLR_EL1.SPAN: 0 sets PSTATE.PAN on entry (RES1 without FEAT_PAN). */
#define SCTLR_SPAN (1ull << 23)
/* SCTLR_EL1.DSSBS: PSTATE.SSBS on entry (RES0 without FEAT_SSBS). */
#define SCTLR_DSSBS (1ull << 44)
#define ID_VBAR_EL1 ARM64_SYS_REG(3, 0, 12, 0, 0)
#define ID_ESR_EL1 ARM64_SYS_REG(3, 0, 5, 2, 0)
#define ID_ELR_EL1 CORE(U64, elr_el1)
#define ID_SPSR_EL1 CORE(U64, spsr[KVM_SPSR_EL1])

static int set_u64(struct vcpu *vcpu, uint64_t id, const char *what,
		   uint64_t value)
{
	if (one_reg(vcpu, KVM_SET_ONE_REG, id, &value) < 0)
		return err_errno("vcpu%u: KVM_SET_ONE_REG %s", vcpu->id, what);
	return 0;
}

/*
 * The brk exception, taken to EL1 from EL1 or EL0 (AArch64): the syndrome
 * KVM saw (EC 0x3c and the brk's immediate), the brk itself as the return
 * address, the old PSTATE saved (less the SS bit KVM's stepping sets), EL1h
 * with DAIF masked, and the vector for where it came from.
 */
int gdb_arch_reinject_break(struct vcpu *vcpu, const struct gdb_debug *dbg)
{
	const struct kvm_run *run = vcpu->run;
	uint64_t esr = run->debug.arch.hsr, pc, pstate, vbar, sctlr, vector;
	uint64_t entry;

	(void)dbg;
	if (run->flags & KVM_DEBUG_ARCH_HSR_HIGH_VALID)
		esr |= (uint64_t)run->debug.arch.hsr_high << 32;
	if (get_u64(vcpu, ID_PC, "pc", &pc) < 0 ||
	    get_u64(vcpu, ID_PSTATE, "pstate", &pstate) < 0 ||
	    get_u64(vcpu, ID_VBAR_EL1, "VBAR_EL1", &vbar) < 0 ||
	    get_u64(vcpu, ID_SCTLR_EL1, "SCTLR_EL1", &sctlr) < 0)
		return -1;
	if (pstate & PSTATE_NRW)
		return err_set("vcpu%u: a brk exception from AArch32", vcpu->id);
	switch (pstate & PSTATE_M_MASK) {
	case PSTATE_M_EL1H:
		vector = 0x200; /* current EL with SP_ELx, synchronous */
		break;
	case PSTATE_M_EL1T:
		vector = 0x000; /* current EL with SP_EL0 */
		break;
	case PSTATE_M_EL0T:
		vector = 0x400; /* lower EL, AArch64 */
		break;
	default:
		return err_set("vcpu%u: a brk exception from mode 0x%llx",
			       vcpu->id,
			       (unsigned long long)(pstate & PSTATE_M_MASK));
	}
	entry = (pstate & (PSTATE_NZCV | PSTATE_DIT)) | PSTATE_DAIF |
		PSTATE_M_EL1H;
	if (!(sctlr & SCTLR_SPAN))
		entry |= PSTATE_PAN;
	else
		entry |= pstate & PSTATE_PAN;
	if (sctlr & SCTLR_DSSBS)
		entry |= PSTATE_SSBS;
	if (set_u64(vcpu, ID_ESR_EL1, "ESR_EL1", esr) < 0 ||
	    set_u64(vcpu, ID_ELR_EL1, "ELR_EL1", pc) < 0 ||
	    set_u64(vcpu, ID_SPSR_EL1, "SPSR_EL1", pstate & ~PSTATE_SS) < 0 ||
	    set_u64(vcpu, ID_PSTATE, "pstate", entry) < 0 ||
	    set_u64(vcpu, ID_PC, "pc", (vbar & ~0x7ffull) + vector) < 0)
		return -1;
	return 0;
}
