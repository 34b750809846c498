// SPDX-License-Identifier: MIT
/*
 * -cpu MODEL[,+FEAT|-FEAT|FEAT=on|off...]: the guest's CPUID template.
 *
 * host, max: the CPUID KVM supports (KVM_GET_SUPPORTED_CPUID, plus the TSC
 * deadline timer when KVM has it, as QEMU's -cpu host).
 * qemu64, kvm64, qemu32, kvm32: QEMU's generic models as QEMU 7.2 gives
 * them under KVM: the model's feature bits that KVM supports (a bit KVM
 * cannot give is dropped without a word, as QEMU does without "enforce"),
 * with QEMU's KVM defaults (x2APIC on; SVM and MONITOR off), the model's
 * family/model/stepping, its name in leaves 0x80000002-4 and its highest
 * basic and extended leaves; the vendor is the host's (QEMU takes the
 * host's under KVM).
 *
 * FEATURES use QEMU's names (target/i386/cpu.c's feature_word_info
 * spellings): "-FEAT" clears a bit, "+FEAT" insists on one and is refused
 * when KVM cannot give it, on any model.  Not here: ht and hypervisor,
 * which minivmm sets itself (the topology, the KVM leaves), as it does the
 * KVM leaves 0x40000000 on every model.
 */
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "log.h"
#include "x86.h"

enum { EAX, EBX, ECX, EDX };

struct cpu_feature {
	const char *name;
	uint32_t leaf, index;
	uint8_t reg, bit;
};

static const struct cpu_feature features[] = {
	{ "fpu", 1, 0, EDX, 0 },	  { "vme", 1, 0, EDX, 1 },
	{ "de", 1, 0, EDX, 2 },		  { "pse", 1, 0, EDX, 3 },
	{ "tsc", 1, 0, EDX, 4 },	  { "msr", 1, 0, EDX, 5 },
	{ "pae", 1, 0, EDX, 6 },	  { "mce", 1, 0, EDX, 7 },
	{ "cx8", 1, 0, EDX, 8 },	  { "apic", 1, 0, EDX, 9 },
	{ "sep", 1, 0, EDX, 11 },	  { "mtrr", 1, 0, EDX, 12 },
	{ "pge", 1, 0, EDX, 13 },	  { "mca", 1, 0, EDX, 14 },
	{ "cmov", 1, 0, EDX, 15 },	  { "pat", 1, 0, EDX, 16 },
	{ "pse36", 1, 0, EDX, 17 },	  { "clflush", 1, 0, EDX, 19 },
	{ "mmx", 1, 0, EDX, 23 },	  { "fxsr", 1, 0, EDX, 24 },
	{ "sse", 1, 0, EDX, 25 },	  { "sse2", 1, 0, EDX, 26 },
	{ "ss", 1, 0, EDX, 27 },
	{ "pni", 1, 0, ECX, 0 },	  { "sse3", 1, 0, ECX, 0 },
	{ "pclmulqdq", 1, 0, ECX, 1 },	  { "monitor", 1, 0, ECX, 3 },
	{ "vmx", 1, 0, ECX, 5 },	  { "ssse3", 1, 0, ECX, 9 },
	{ "fma", 1, 0, ECX, 12 },	  { "cx16", 1, 0, ECX, 13 },
	{ "pdcm", 1, 0, ECX, 15 },	  { "pcid", 1, 0, ECX, 17 },
	{ "sse4.1", 1, 0, ECX, 19 },	  { "sse4.2", 1, 0, ECX, 20 },
	{ "x2apic", 1, 0, ECX, 21 },	  { "movbe", 1, 0, ECX, 22 },
	{ "popcnt", 1, 0, ECX, 23 },	  { "tsc-deadline", 1, 0, ECX, 24 },
	{ "aes", 1, 0, ECX, 25 },	  { "xsave", 1, 0, ECX, 26 },
	{ "avx", 1, 0, ECX, 28 },	  { "f16c", 1, 0, ECX, 29 },
	{ "rdrand", 1, 0, ECX, 30 },
	{ "fsgsbase", 7, 0, EBX, 0 },	  { "tsc-adjust", 7, 0, EBX, 1 },
	{ "bmi1", 7, 0, EBX, 3 },	  { "hle", 7, 0, EBX, 4 },
	{ "avx2", 7, 0, EBX, 5 },	  { "smep", 7, 0, EBX, 7 },
	{ "bmi2", 7, 0, EBX, 8 },	  { "erms", 7, 0, EBX, 9 },
	{ "invpcid", 7, 0, EBX, 10 },	  { "rtm", 7, 0, EBX, 11 },
	{ "avx512f", 7, 0, EBX, 16 },	  { "rdseed", 7, 0, EBX, 18 },
	{ "adx", 7, 0, EBX, 19 },	  { "smap", 7, 0, EBX, 20 },
	{ "clflushopt", 7, 0, EBX, 23 },  { "clwb", 7, 0, EBX, 24 },
	{ "sha-ni", 7, 0, EBX, 29 },	  { "umip", 7, 0, ECX, 2 },
	{ "pku", 7, 0, ECX, 3 },	  { "la57", 7, 0, ECX, 16 },
	{ "rdpid", 7, 0, ECX, 22 },	  { "lahf-lm", 0x80000001, 0, ECX, 0 },
	{ "svm", 0x80000001, 0, ECX, 2 }, { "abm", 0x80000001, 0, ECX, 5 },
	{ "sse4a", 0x80000001, 0, ECX, 6 },
	{ "syscall", 0x80000001, 0, EDX, 11 },
	{ "nx", 0x80000001, 0, EDX, 20 },
	{ "pdpe1gb", 0x80000001, 0, EDX, 26 },
	{ "rdtscp", 0x80000001, 0, EDX, 27 },
	{ "lm", 0x80000001, 0, EDX, 29 },
};

#define NR_FEATURES (sizeof(features) / sizeof(features[0]))

static const struct cpu_feature *find(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_FEATURES; i++)
		if (strlen(features[i].name) == len &&
		    !strncmp(features[i].name, name, len))
			return &features[i];
	return NULL;
}

/*
 * One item of the list: "+name", "-name", "name=on" or "name=off" (QEMU
 * takes them all).  *on says which; returns the feature, or NULL with
 * err_msg().
 */
static const struct cpu_feature *item(const char *s, size_t len, bool *on)
{
	const struct cpu_feature *f;
	const char *eq = memchr(s, '=', len);
	size_t n = len;

	if (len && (s[0] == '+' || s[0] == '-')) {
		*on = s[0] == '+';
		s++;
		n = len - 1;
	} else if (eq) {
		const char *v = eq + 1;
		size_t vl = len - (size_t)(v - s);

		n = (size_t)(eq - s);
		if (vl == 2 && !strncmp(v, "on", 2))
			*on = true;
		else if (vl == 3 && !strncmp(v, "off", 3))
			*on = false;
		else
			goto bad;
	} else {
		goto bad;
	}
	f = find(s, n);
	if (!f)
		err_set("'%.*s': not a CPU feature minivmm knows (QEMU's names: x2apic, tsc-deadline, pcid, ...)",
			(int)n, s);
	return f;
bad:
	err_set("'%.*s': a CPU feature is +NAME, -NAME, NAME=on or NAME=off",
		(int)len, s);
	return NULL;
}

int arch_cpu_features_check(const char *list)
{
	bool on;

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");

		if (!item(p, len, &on))
			return -1;
		p += len + (p[len] == ',');
	}
	return 0;
}

static uint32_t *reg_of(struct kvm_cpuid_entry2 *e, unsigned reg)
{
	return reg == EAX ? &e->eax : reg == EBX ? &e->ebx :
	       reg == ECX ? &e->ecx : &e->edx;
}

static struct kvm_cpuid_entry2 *entry(struct kvm_cpuid2 *c, uint32_t leaf,
				      uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == leaf &&
		    c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

/*
 * QEMU 7.2's generic models (target/i386/cpu.c, builtin_x86_defs, as
 * `query-cpu-model-expansion` reports them for the pc-i440fx-7.2 machine),
 * in our own spelling: the feature names of the table above.  `level` and
 * `xlevel` are the highest basic and extended leaves.
 */
struct cpu_model {
	const char *name;
	uint32_t level, xlevel;
	unsigned family, model, stepping;
	const char *model_id;
	const char *features;
};

/* What every one of them has: the Pentium Pro's set. */
#define P6_FEATURES \
	"fpu de pse tsc msr pae mce cx8 apic sep pge cmov pat mmx fxsr sse sse2 "

static const struct cpu_model models[] = {
	{ "qemu64", 0xd, 0x8000000a, 15, 107, 1,
	  "QEMU Virtual CPU version 2.5+",
	  P6_FEATURES "mtrr mca pse36 clflush pni cx16 syscall nx lm lahf-lm svm" },
	{ "kvm64", 0xd, 0x80000008, 15, 6, 1, "Common KVM processor",
	  P6_FEATURES "mtrr mca pse36 clflush pni cx16 syscall nx lm" },
	{ "qemu32", 4, 0x80000004, 6, 6, 3, "QEMU Virtual CPU version 2.5+",
	  P6_FEATURES "pni" },
	{ "kvm32", 5, 0x80000008, 15, 6, 1, "Common 32-bit KVM processor",
	  P6_FEATURES "mtrr mca pse36 clflush pni" },
};

#define NR_MODELS (sizeof(models) / sizeof(models[0]))

static const struct cpu_model *model_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_MODELS; i++) {
		size_t n = strlen(models[i].name);

		/* QEMU's versioned name of the same model: NAME-v1. */
		if ((len == n ||
		     (len == n + 3 && !strncmp(name + n, "-v1", 3))) &&
		    !strncmp(models[i].name, name, n))
			return &models[i];
	}
	return NULL;
}

const char *arch_cpu_model(const char *name, size_t len)
{
	const struct cpu_model *m = model_find(name, len);

	return m ? m->name : NULL;
}

const char *arch_cpu_model_names(void)
{
	return " and QEMU's qemu64, kvm64, qemu32, kvm32";
}

/*
 * The model's three feature words, kept as CPUID entries so that entry()
 * and reg_of() find a feature's bit in them as in KVM's table.
 */
struct model_words {
	struct kvm_cpuid2 c;
	struct kvm_cpuid_entry2 e[3];
};

static void words_set(struct model_words *w, const char *names, bool on)
{
	for (const char *p = names; *p;) {
		size_t len = strcspn(p, " ");
		const struct cpu_feature *f = find(p, len);
		struct kvm_cpuid_entry2 *e =
			f ? entry(&w->c, f->leaf, f->index) : NULL;

		if (e && on)
			*reg_of(e, f->reg) |= 1u << f->bit;
		else if (e)
			*reg_of(e, f->reg) &= ~(1u << f->bit);
		p += len;
		p += strspn(p, " ");
	}
}

/*
 * The feature list on `to` (KVM's table for host/max, the model's words
 * otherwise): "+FEAT" only when `sup` (what KVM supports) has it.
 */
static int list_apply(const struct kvm_cpuid2 *sup, struct kvm_cpuid2 *to,
		      const char *list)
{
	for (const char *p = list ? list : ""; *p;) {
		size_t len = strcspn(p, ",");
		const struct cpu_feature *f;
		struct kvm_cpuid_entry2 *e;
		bool on;

		f = item(p, len, &on);
		if (!f)
			return -1;
		e = entry((struct kvm_cpuid2 *)sup, f->leaf, f->index);
		if (on && (!e || !(*reg_of(e, f->reg) & (1u << f->bit))))
			return err_set("-cpu: +%s: KVM on this host cannot give the guest %s",
				       f->name, f->name);
		e = entry(to, f->leaf, f->index);
		if (e && on)
			*reg_of(e, f->reg) |= 1u << f->bit;
		else if (e)
			*reg_of(e, f->reg) &= ~(1u << f->bit);
		p += len + (p[len] == ',');
	}
	return 0;
}

#define BIT(n) (1u << (n))
/* Leaf 1 EDX bits AMD repeats in leaf 0x80000001 EDX (QEMU's AMD aliases). */
#define AMD_EDX_ALIASES 0x0183f3ffu
#define XCR0_LEGACY 0x3u       /* x87, SSE */
#define XSAVE_LEGACY_SIZE 576u /* legacy area + header */

static bool host_is_amd(const struct kvm_cpuid_entry2 *leaf0)
{
	/* "AuthenticAMD": EBX "Auth", EDX "enti", ECX "cAMD". */
	return leaf0 && leaf0->ebx == 0x68747541 && leaf0->edx == 0x69746e65 &&
	       leaf0->ecx == 0x444d4163;
}

/* Leaf 1 EAX: family, model and stepping as the SDM encodes them. */
static uint32_t signature(const struct cpu_model *m)
{
	uint32_t fam = m->family > 0xf ? 0xf : m->family;
	uint32_t ext_fam = m->family > 0xf ? m->family - 0xf : 0;

	return (ext_fam << 20) | ((m->model >> 4) << 16) | (fam << 8) |
	       ((m->model & 0xf) << 4) | (m->stepping & 0xf);
}

struct builder {
	struct kvm_cpuid_entry2 *out;
	uint32_t n, room;
};

static struct kvm_cpuid_entry2 *push(struct builder *b,
				     const struct kvm_cpuid_entry2 *from)
{
	if (b->n == b->room)
		return NULL;
	b->out[b->n] = *from;
	return &b->out[b->n++];
}

/* The entry for leaf/index in what is built, added (zero) when missing. */
static struct kvm_cpuid_entry2 *need(struct builder *b, uint32_t leaf,
				     uint32_t index, uint32_t flags)
{
	struct kvm_cpuid_entry2 e = {
		.function = leaf, .index = index, .flags = flags};

	for (uint32_t i = 0; i < b->n; i++)
		if (b->out[i].function == leaf && b->out[i].index == index)
			return &b->out[i];
	return push(b, &e);
}

/*
 * Leaf 0xd subleaf 0 and the component subleaves of the state the model's
 * features use (x87 and SSE, AVX with avx, AVX-512 with avx512f, PKRU with
 * pku); ECX, the size for all of them, follows.
 */
static int xsave_leaves(struct builder *b, const struct kvm_cpuid2 *sup,
			const struct model_words *w)
{
	uint32_t ecx7 = w->e[1].ecx, ebx7 = w->e[1].ebx;
	uint32_t mask = XCR0_LEGACY | (w->e[0].ecx & BIT(28) ? BIT(2) : 0) |
			(ebx7 & BIT(16) ? BIT(5) | BIT(6) | BIT(7) : 0) |
			(ecx7 & BIT(3) ? BIT(9) : 0);
	uint32_t size = XSAVE_LEGACY_SIZE;
	const struct kvm_cpuid_entry2 *s;
	struct kvm_cpuid_entry2 *e;

	for (uint32_t i = 0; i < sup->nent; i++) {
		s = &sup->entries[i];

		if (s->function != 0xd || s->index < 2 || s->index >= 32 ||
		    !(mask & BIT(s->index)))
			continue;
		if (!push(b, s))
			return -1;
		if (s->eax + s->ebx > size)
			size = s->eax + s->ebx;
	}
	s = entry((struct kvm_cpuid2 *)sup, 0xd, 0);
	e = s ? push(b, s) : need(b, 0xd, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	if (!e)
		return -1;
	e->eax &= mask;		    /* what KVM supports of them */
	e->ebx = XSAVE_LEGACY_SIZE; /* KVM follows the guest's XCR0 */
	e->ecx = size;
	e->edx = 0;
	/* Subleaf 1: no XSAVEOPT, XSAVEC, XGETBV1, XSAVES in these models. */
	e = need(b, 0xd, 1, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	if (!e)
		return -1;
	e->eax = e->ebx = e->ecx = e->edx = 0;
	return 0;
}

/* One leaf of KVM's table as the model shows it; false: not offered. */
static bool model_leaf(struct kvm_cpuid_entry2 *e, const struct model_words *w,
		       uint32_t level, uint32_t xlevel)
{
	uint32_t f = e->function;

	if (f >= 0x40000000 && f < 0x50000000)
		return true; /* KVM's own leaves, as on every model */
	if (f < 0x40000000 ? f > level : f >= 0xc0000000 || f > xlevel)
		return false;
	switch (f) {
	case 0:
	case 1:
	case 0x80000000:
	case 0x80000001:
		return true; /* shaped by model_apply() */
	case 2:
	case 4:
		return true; /* the host's caches */
	case 5:
		return w->e[0].ecx & BIT(3); /* MONITOR's leaf with monitor */
	case 7:
		if (e->index)
			return false;
		e->eax = 0;
		e->ebx = w->e[1].ebx;
		e->ecx = w->e[1].ecx;
		e->edx = w->e[1].edx;
		return true;
	case 0xb:
		return true; /* the topology: cpu.c */
	case 0x80000005:
	case 0x80000006:
		return true; /* the host's caches */
	case 0x8000000a:
		if (!(w->e[2].ecx & BIT(2)))
			return false;
		e->ecx = e->edx = 0; /* SVM, none of its extensions */
		return true;
	default:
		return false; /* 0xd, 0x80000002-4, 0x80000008: below */
	}
}

/*
 * The leaves a model has whatever KVM's table holds: the highest leaves,
 * family/model/stepping, the feature words, the topology leaf (cpu.c fills
 * it), XSAVE's with xsave, the model's name, the address sizes.
 */
static int model_fixed_leaves(struct builder *b, const struct kvm_cpuid2 *sup,
			      const struct cpu_model *m,
			      const struct model_words *w, uint32_t level,
			      uint32_t xlevel)
{
	struct kvm_cpuid_entry2 *e;

	if (!(e = need(b, 0, 0, 0)))
		return -1;
	e->eax = level; /* the host's vendor stays */
	if (!(e = need(b, 1, 0, 0)))
		return -1;
	e->eax = signature(m);
	e->ebx = 8u << 8; /* CLFLUSH line: 64 bytes */
	e->ecx = w->e[0].ecx;
	e->edx = w->e[0].edx;
	if (level >= 0xb &&
	    (!need(b, 0xb, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
	     !need(b, 0xb, 1, KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
		return -1;
	if (level >= 0xd && (w->e[0].ecx & BIT(26)) &&
	    xsave_leaves(b, sup, w) < 0)
		return -1;
	if (!(e = need(b, 0x80000000, 0, 0)))
		return -1;
	e->eax = xlevel;
	if (!(e = need(b, 0x80000001, 0, 0)))
		return -1;
	e->eax = signature(m);
	e->ebx = 0;
	e->ecx = w->e[2].ecx;
	e->edx = w->e[2].edx;
	/* The model's name, 48 bytes NUL-padded, 16 to a leaf. */
	for (uint32_t l = 0; l < 3 && 0x80000002 + l <= xlevel; l++) {
		char id[48] = {0};
		size_t n = strlen(m->model_id);

		memcpy(id, m->model_id, n < sizeof(id) ? n : sizeof(id));
		if (!(e = need(b, 0x80000002 + l, 0, 0)))
			return -1;
		memcpy(&e->eax, id + 16 * l, 4);
		memcpy(&e->ebx, id + 16 * l + 4, 4);
		memcpy(&e->ecx, id + 16 * l + 8, 4);
		memcpy(&e->edx, id + 16 * l + 12, 4);
	}
	/*
	 * Address sizes: QEMU's 40 physical bits for a 64-bit model (48
	 * virtual, 57 with la57), else 36 with PSE-36 or 32.
	 */
	if (xlevel >= 0x80000008) {
		bool lm = w->e[2].edx & BIT(29);

		if (!(e = need(b, 0x80000008, 0, 0)))
			return -1;
		e->eax = lm ? 40 | ((w->e[1].ecx & BIT(16) ? 57u : 48u) << 8)
			 : w->e[0].edx & BIT(17) ? 36
						 : 32;
		e->ebx = e->ecx = e->edx = 0;
	}
	return 0;
}

/* -cpu MODEL on `c`, what KVM supports; `room` entries fit in `c`. */
static int model_apply(struct kvm_cpuid2 *c, uint32_t room,
		       const struct cpu_model *m, const char *list)
{
	struct model_words w = {.c.nent = 3};
	const struct kvm_cpuid_entry2 *s;
	struct builder b = {.room = room};
	uint32_t level = m->level, xlevel = m->xlevel;
	int r = -1;

	w.e[0].function = 1;
	w.e[1].function = 7;
	w.e[2].function = 0x80000001;
	words_set(&w, m->features, true);
	/* QEMU's defaults for its models under KVM (kvm_default_props). */
	words_set(&w, "x2apic", true);
	words_set(&w, "svm monitor", false);
	if (list_apply(c, &w.c, list) < 0)
		return -1;
	/* What KVM cannot give goes, silently, as QEMU without enforce. */
	for (unsigned i = 0; i < 3; i++) {
		s = entry(c, w.e[i].function, 0);
		w.e[i].ebx &= s ? s->ebx : 0;
		w.e[i].ecx &= s ? s->ecx : 0;
		w.e[i].edx &= s ? s->edx : 0;
	}
	if (host_is_amd(entry(c, 0, 0)))
		w.e[2].edx |= w.e[0].edx & AMD_EDX_ALIASES &
			      ((s = entry(c, 0x80000001, 0)) ? s->edx : 0);
	/* Leaves the features need, as QEMU's full-cpuid-auto-level. */
	if ((w.e[1].ebx | w.e[1].ecx | w.e[1].edx) && level < 7)
		level = 7;
	if ((w.e[0].ecx & BIT(26)) && level < 0xd)
		level = 0xd;
	if ((w.e[2].ecx & BIT(2)) && xlevel < 0x8000000a)
		xlevel = 0x8000000a;

	b.out = calloc(room, sizeof(*b.out));
	if (!b.out)
		return err_set("out of memory");
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 t = c->entries[i];

		if (model_leaf(&t, &w, level, xlevel) && !push(&b, &t))
			goto full;
	}
	if (model_fixed_leaves(&b, c, m, &w, level, xlevel) < 0)
		goto full;
	memcpy(c->entries, b.out, b.n * sizeof(*b.out));
	c->nent = b.n;
	r = 0;
	goto out;
full:
	err_set("-cpu %s: more than %u CPUID entries", m->name, room);
out:
	free(b.out);
	return r;
}

int x86_cpu_features_apply(struct kvm_cpuid2 *c, uint32_t room,
			   bool tsc_deadline, const char *model,
			   const char *list)
{
	struct kvm_cpuid_entry2 *e = entry(c, 1, 0);
	const struct cpu_model *m =
		model ? model_find(model, strlen(model)) : NULL;

	/* The deadline timer KVM emulates: for host, and for +tsc-deadline. */
	if (e && tsc_deadline)
		e->ecx |= 1u << 24;
	if (m)
		return model_apply(c, room, m, list);
	if (model && strcmp(model, "host") && strcmp(model, "max"))
		return err_set("-cpu %s: not a CPU model minivmm has", model);
	return list_apply(c, c, list);
}
