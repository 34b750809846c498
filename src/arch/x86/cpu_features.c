// SPDX-License-Identifier: MIT
/*
 * -cpu host|max[,+FEAT|-FEAT|FEAT=on|off...]: the CPUID feature bits a user
 * may turn off, or ask for, by QEMU's names (target/i386/cpu.c's
 * feature_word_info spellings).  Not here: ht and hypervisor, which
 * minivmm sets itself (the topology, the KVM leaves).  The guest gets the CPUID KVM supports
 * (KVM_GET_SUPPORTED_CPUID, plus the TSC deadline timer when KVM has it, as
 * QEMU's -cpu host); "-FEAT" clears a bit, "+FEAT" insists on one and is
 * refused when KVM cannot give it.
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

int x86_cpu_features_apply(struct kvm_cpuid2 *c, bool tsc_deadline,
			   const char *list)
{
	struct kvm_cpuid_entry2 *e = entry(c, 1, 0);

	/* As QEMU's -cpu host: the deadline timer KVM emulates. */
	if (e && tsc_deadline)
		e->ecx |= 1u << 24;
	for (const char *p = list ? list : ""; *p;) {
		size_t len = strcspn(p, ",");
		const struct cpu_feature *f;
		bool on;

		f = item(p, len, &on);
		if (!f)
			return -1;
		e = entry(c, f->leaf, f->index);
		if (on && (!e || !(*reg_of(e, f->reg) & (1u << f->bit))))
			return err_set("-cpu: +%s: KVM on this host cannot give the guest %s",
				       f->name, f->name);
		if (!on && e)
			*reg_of(e, f->reg) &= ~(1u << f->bit);
		p += len + (p[len] == ',');
	}
	return 0;
}
