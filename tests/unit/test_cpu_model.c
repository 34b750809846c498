// SPDX-License-Identifier: MIT
/*
 * -cpu MODEL[,FEATURES] on a made-up KVM_GET_SUPPORTED_CPUID table (no
 * KVM needed): QEMU 7.2's qemu64, kvm64, qemu32 and kvm32 as they come out
 * of x86_cpu_features_apply() — feature bits, the host's vendor,
 * family/model/stepping, the model-id leaves 0x80000002-4, the highest
 * leaves, the leaves left out — and host/max left as KVM gives them.
 * The expected words are QEMU 7.2's (query-cpu-model-expansion).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "log.h"
#include "unit.h"
#include "x86.h"

#define ROOM 64
#define SIG KVM_CPUID_FLAG_SIGNIFCANT_INDEX

/* "GenuineIntel" / "AuthenticAMD" as EBX, EDX, ECX of leaf 0. */
#define INTEL_B 0x756e6547u
#define INTEL_D 0x49656e69u
#define INTEL_C 0x6c65746eu
#define AMD_B 0x68747541u
#define AMD_D 0x69746e65u
#define AMD_C 0x444d4163u

/* qemu64's leaf 1 EDX, as every QEMU guest knows it. */
#define QEMU64_EDX 0x078bfbfdu
/* qemu32: the P6 set without mtrr, mca, pse36, clflush. */
#define QEMU32_EDX 0x0781abfdu
/* pni, cx16, x2apic */
#define QEMU64_ECX 0x00202001u

static struct {
	struct kvm_cpuid2 c;
	struct kvm_cpuid_entry2 e[ROOM];
} t;

static void add(uint32_t leaf, uint32_t index, uint32_t flags, uint32_t a,
		uint32_t b, uint32_t c, uint32_t d)
{
	struct kvm_cpuid_entry2 *e = &t.e[t.c.nent++];

	assert_true(t.c.nent <= ROOM);
	*e = (struct kvm_cpuid_entry2){.function = leaf,
				       .index = index,
				       .flags = flags,
				       .eax = a,
				       .ebx = b,
				       .ecx = c,
				       .edx = d};
}

/* A KVM table like a recent Intel or AMD host's. */
static void host_table(bool amd)
{
	memset(&t, 0, sizeof(t));
	if (amd)
		add(0, 0, 0, 0x10, AMD_B, AMD_C, AMD_D);
	else
		add(0, 0, 0, 0x16, INTEL_B, INTEL_C, INTEL_D);
	/* Leaf 1: everything up to rdrand, x2apic, no tsc-deadline. */
	add(1, 0, 0, 0x000906ea, 0x00100800, 0x7efa3223, 0x178bfbff);
	add(2, 0, 0, 0x00feff01, 0, 0, 0);
	add(4, 0, SIG, 0x1c004121, 0x01c0003f, 0x3f, 0);
	add(4, 1, SIG, 0x1c004122, 0x01c0003f, 0x3f, 0);
	add(5, 0, 0, 0x40, 0x40, 3, 0x11142120);
	add(6, 0, 0, 4, 0, 0, 0);
	/* Leaf 7: fsgsbase, bmi1, avx2, smep, ..., umip, pku. */
	add(7, 0, SIG, 0, 0x029c6fbb, 0x0000000c, 0xbc000400);
	add(7, 1, SIG, 0, 0, 0, 0);
	add(0xa, 0, 0, 0x07300404, 0, 0, 0x603);
	add(0xb, 0, SIG, 1, 2, 0x100, 0);
	add(0xb, 1, SIG, 4, 8, 0x201, 0);
	add(0xd, 0, SIG, 0x2e7, 0x240, 0xa88, 0);
	add(0xd, 1, SIG, 0xf, 0x240, 0, 0);
	add(0xd, 2, SIG, 0x100, 0x240, 0, 0);
	add(0xd, 5, SIG, 0x40, 0x440, 0, 0);
	add(0xd, 6, SIG, 0x200, 0x480, 0, 0);
	add(0xd, 7, SIG, 0x400, 0x680, 0, 0);
	add(0xd, 9, SIG, 0x8, 0xa80, 0, 0);
	add(0x14, 0, SIG, 1, 0xf, 7, 0);
	add(0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(0x40000001, 0, 0, 0x01007afb, 0, 0, 0);
	add(0x80000000, 0, 0, amd ? 0x80000021 : 0x80000008, 0, 0, 0);
	if (amd) /* lahf-lm, svm, abm, sse4a; the leaf-1 aliases */
		add(0x80000001, 0, 0, 0x00a00f11, 0, 0x00000065, 0x2fd3fbff);
	else
		add(0x80000001, 0, 0, 0, 0, 0x00000121, 0x2c100800);
	add(0x80000002, 0, 0, 0x65746e49, 0x2952286c, 0x726f4320, 0x4d542865);
	add(0x80000003, 0, 0, 0x35692029, 0x3630382d, 0x43203033, 0x40205550);
	add(0x80000004, 0, 0, 0x342e3320, 0x7a484730, 0, 0);
	add(0x80000005, 0, 0, 0, 0, 0x20080140, 0x20080140);
	add(0x80000006, 0, 0, 0, 0, 0x01006040, 0);
	add(0x80000007, 0, 0, 0, 0, 0, 0x100);
	add(0x80000008, 0, 0, 0x3027, 0x1000000, 0, 0);
	if (amd) {
		add(0x8000000a, 0, 0, 1, 0x8000, 0, 0x0001bcff);
		add(0x8000001f, 0, 0, 0x1007f, 0x173, 0x1fd, 1);
	}
}

static const struct kvm_cpuid_entry2 *find(uint32_t leaf, uint32_t index)
{
	for (uint32_t i = 0; i < t.c.nent; i++)
		if (t.e[i].function == leaf && t.e[i].index == index)
			return &t.e[i];
	return NULL;
}

static const struct kvm_cpuid_entry2 *must(uint32_t leaf, uint32_t index)
{
	const struct kvm_cpuid_entry2 *e = find(leaf, index);

	if (!e)
		fail_msg("leaf 0x%x.%u is missing", leaf, index);
	return e;
}

static int apply(bool tsc_deadline, const char *model, const char *list)
{
	err_clear();
	return x86_cpu_features_apply(&t.c, ROOM, tsc_deadline, model, list);
}

/* The 48-byte string of leaves 0x80000002-4. */
static void model_id(char out[49])
{
	for (uint32_t l = 0; l < 3; l++) {
		const struct kvm_cpuid_entry2 *e = must(0x80000002 + l, 0);

		memcpy(out + 16 * l, &e->eax, 4);
		memcpy(out + 16 * l + 4, &e->ebx, 4);
		memcpy(out + 16 * l + 8, &e->ecx, 4);
		memcpy(out + 16 * l + 12, &e->edx, 4);
	}
	out[48] = 0;
}

static void assert_vendor_intel(void)
{
	assert_int_equal(must(0, 0)->ebx, INTEL_B);
	assert_int_equal(must(0, 0)->edx, INTEL_D);
	assert_int_equal(must(0, 0)->ecx, INTEL_C);
}

/* The leaves no model offers, whatever KVM has. */
static void assert_leaves_gone(void)
{
	assert_null(find(6, 0));
	assert_null(find(7, 1));
	assert_null(find(0xa, 0));
	assert_null(find(0xd, 0));
	assert_null(find(0x14, 0));
	assert_null(find(0x80000007, 0));
	assert_null(find(0x8000001f, 0));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(arch_cpu_model("qemu64", 6), "qemu64");
	assert_string_equal(arch_cpu_model("qemu64-v1,+x2apic", 9), "qemu64");
	assert_string_equal(arch_cpu_model("kvm64", 5), "kvm64");
	assert_string_equal(arch_cpu_model("qemu32", 6), "qemu32");
	assert_string_equal(arch_cpu_model("kvm32", 5), "kvm32");
	assert_null(arch_cpu_model("host", 4)); /* cli.c's own */
	assert_null(arch_cpu_model("qemu64-v2", 9));
	assert_null(arch_cpu_model("qemu6", 5));
	assert_null(arch_cpu_model("Skylake-Client", 14));
	assert_null(arch_cpu_model("EPYC", 4));
	assert_null(arch_cpu_model("", 0));
	assert_str_contains(arch_cpu_model_names(),
			    "qemu64, kvm64, qemu32, kvm32");
}

static void test_qemu64_intel(void **state)
{
	char id[49];

	(void)state;
	host_table(false);
	assert_int_equal(apply(true, "qemu64", NULL), 0);
	assert_int_equal(must(0, 0)->eax, 0xd);
	assert_vendor_intel();
	/* Family 15, model 107 (extended model 6, model 0xb), stepping 1. */
	assert_int_equal(must(1, 0)->eax, 0x00060fb1);
	assert_int_equal(must(1, 0)->ebx, 0x800);
	/* x2apic on, tsc-deadline only when asked for, as QEMU under KVM. */
	assert_int_equal(must(1, 0)->ecx, QEMU64_ECX);
	assert_int_equal(must(1, 0)->edx, QEMU64_EDX);
	assert_int_equal(must(7, 0)->ebx, 0);
	assert_int_equal(must(7, 0)->ecx, 0);
	assert_int_equal(must(7, 0)->edx, 0);
	assert_null(find(5, 0));       /* monitor off */
	assert_non_null(find(4, 1));   /* the host's caches */
	assert_non_null(find(0xb, 1)); /* the topology (cpu.c fills it) */
	assert_leaves_gone();
	assert_int_equal(must(0x40000001, 0)->eax, 0x01007afb);
	assert_int_equal(must(0x80000000, 0)->eax, 0x8000000a);
	assert_int_equal(must(0x80000001, 0)->eax, 0x00060fb1);
	assert_int_equal(must(0x80000001, 0)->ecx, 0x1); /* lahf-lm, no svm */
	assert_int_equal(must(0x80000001, 0)->edx, 0x20100800);
	model_id(id);
	assert_string_equal(id, "QEMU Virtual CPU version 2.5+");
	assert_int_equal(must(0x80000008, 0)->eax, 40 | 48 << 8);
	assert_int_equal(must(0x80000008, 0)->ebx, 0);
	assert_null(find(0x8000000a, 0)); /* svm off under KVM */
}

static void test_qemu64_x2apic_tsc_deadline(void **state)
{
	(void)state;
	host_table(false);
	assert_int_equal(apply(true, "qemu64", "+x2apic,+tsc-deadline"), 0);
	assert_int_equal(must(1, 0)->ecx, QEMU64_ECX | 1u << 24);
	assert_int_equal(must(1, 0)->edx, QEMU64_EDX);

	/* Without KVM_CAP_TSC_DEADLINE_TIMER it is refused. */
	host_table(false);
	assert_int_equal(apply(false, "qemu64", "+x2apic,+tsc-deadline"), -1);
	assert_err_contains("+tsc-deadline: KVM on this host cannot give the "
			    "guest tsc-deadline");

	host_table(false);
	assert_int_equal(apply(true, "qemu64", "-x2apic,tsc-deadline=on"), 0);
	assert_int_equal(must(1, 0)->ecx,
			 (QEMU64_ECX & ~(1u << 21)) | 1u << 24);
}

static void test_model_bit_kvm_lacks_dropped(void **state)
{
	struct kvm_cpuid_entry2 *l1;

	(void)state;
	host_table(false);
	l1 = &t.e[1];
	assert_int_equal(l1->function, 1);
	l1->ecx &= ~(1u << 13); /* no cx16 */
	l1->edx &= ~(1u << 17); /* no pse36 */
	assert_int_equal(apply(true, "qemu64", NULL), 0);
	assert_int_equal(must(1, 0)->ecx, QEMU64_ECX & ~(1u << 13));
	assert_int_equal(must(1, 0)->edx, QEMU64_EDX & ~(1u << 17));

	/* ... but one asked for is refused. */
	host_table(false);
	t.e[1].ecx &= ~(1u << 17); /* no pcid */
	assert_int_equal(apply(true, "qemu64", "+pcid"), -1);
	assert_err_contains(
		"-cpu: +pcid: KVM on this host cannot give the guest pcid");
	host_table(false);
	assert_int_equal(apply(true, "qemu64", "+pcid,+fsgsbase,+nx"), 0);
	assert_int_equal(must(1, 0)->ecx, QEMU64_ECX | 1u << 17);
	assert_int_equal(must(7, 0)->ebx, 1);
}

static void test_kvm64_minus_lm(void **state)
{
	char id[49];

	(void)state;
	host_table(false);
	assert_int_equal(apply(true, "kvm64", "-lm"), 0);
	assert_int_equal(must(0, 0)->eax, 0xd);
	assert_int_equal(must(1, 0)->eax, 0x00000f61); /* 15, 6, 1 */
	assert_int_equal(must(1, 0)->ecx, QEMU64_ECX);
	assert_int_equal(must(1, 0)->edx, QEMU64_EDX); /* no vme in 7.2 */
	assert_int_equal(must(0x80000000, 0)->eax, 0x80000008);
	assert_int_equal(must(0x80000001, 0)->ecx, 0);
	assert_int_equal(must(0x80000001, 0)->edx,
			 0x00100800); /* syscall, nx */
	model_id(id);
	assert_string_equal(id, "Common KVM processor");
	assert_int_equal(must(0x80000008, 0)->eax, 36); /* no lm: PSE-36 */
	assert_leaves_gone();

	host_table(false);
	assert_int_equal(apply(true, "kvm64", NULL), 0);
	assert_int_equal(must(0x80000001, 0)->edx, 0x20100800);
	assert_int_equal(must(0x80000008, 0)->eax, 0x3028);
}

static void test_qemu32(void **state)
{
	char id[49];

	(void)state;
	host_table(false);
	assert_int_equal(apply(true, "qemu32", NULL), 0);
	assert_int_equal(must(0, 0)->eax, 4);
	assert_vendor_intel();
	assert_int_equal(must(1, 0)->eax, 0x00000663); /* 6, 6, 3 */
	assert_int_equal(must(1, 0)->ecx, 0x00200001); /* pni, x2apic */
	assert_int_equal(must(1, 0)->edx, QEMU32_EDX);
	assert_non_null(find(4, 0));
	assert_null(find(5, 0));
	assert_null(find(7, 0));
	assert_null(find(0xb, 0));
	assert_leaves_gone();
	assert_int_equal(must(0x80000000, 0)->eax, 0x80000004);
	assert_int_equal(must(0x80000001, 0)->ecx, 0);
	assert_int_equal(must(0x80000001, 0)->edx, 0);
	model_id(id);
	assert_string_equal(id, "QEMU Virtual CPU version 2.5+");
	assert_null(find(0x80000005, 0));
	assert_null(find(0x80000008, 0));

	/* A leaf-7 feature brings leaf 7 in, as QEMU's auto level. */
	host_table(false);
	assert_int_equal(apply(true, "qemu32", "+fsgsbase"), 0);
	assert_int_equal(must(0, 0)->eax, 7);
	assert_int_equal(must(7, 0)->ebx, 1);
	assert_null(find(0xb, 0));
}

static void test_kvm32(void **state)
{
	char id[49];

	(void)state;
	host_table(false);
	assert_int_equal(apply(true, "kvm32", NULL), 0);
	assert_int_equal(must(0, 0)->eax, 5);
	assert_int_equal(must(1, 0)->eax, 0x00000f61);
	assert_int_equal(must(1, 0)->ecx, 0x00200001);
	assert_int_equal(must(1, 0)->edx, QEMU64_EDX);
	assert_null(find(5, 0)); /* in range, but no monitor */
	assert_null(find(7, 0));
	assert_int_equal(must(0x80000000, 0)->eax, 0x80000008);
	assert_int_equal(must(0x80000001, 0)->edx, 0);
	model_id(id);
	assert_string_equal(id, "Common 32-bit KVM processor");
	assert_int_equal(must(0x80000008, 0)->eax, 36);
	assert_int_equal(must(0x80000008, 0)->ecx, 0);

	host_table(false);
	assert_int_equal(apply(true, "kvm32", "-pse36"), 0);
	assert_int_equal(must(0x80000008, 0)->eax, 32);
}

static void test_qemu64_amd(void **state)
{
	(void)state;
	host_table(true);
	assert_int_equal(apply(true, "qemu64", NULL), 0);
	assert_int_equal(must(0, 0)->eax, 0xd);
	assert_int_equal(must(0, 0)->ebx, AMD_B); /* the host's vendor */
	assert_int_equal(must(0, 0)->edx, AMD_D);
	assert_int_equal(must(0, 0)->ecx, AMD_C);
	/* AMD repeats the leaf-1 bits in 0x80000001 EDX, as QEMU does. */
	assert_int_equal(must(0x80000001, 0)->edx,
			 0x20100800u | (QEMU64_EDX & 0x0183f3ffu));
	assert_int_equal(must(0x80000001, 0)->ecx, 0x1);
	assert_null(find(0x8000000a, 0));
	assert_null(find(0x8000001f, 0));

	host_table(true);
	assert_int_equal(apply(true, "qemu64", "+svm"), 0);
	assert_int_equal(must(0x80000001, 0)->ecx, 0x5);
	assert_int_equal(must(0x8000000a, 0)->eax, 1);
	assert_int_equal(must(0x8000000a, 0)->edx, 0);
	assert_null(find(0x8000001f, 0));

	/* +svm on a 32-bit model raises its highest extended leaf. */
	host_table(true);
	assert_int_equal(apply(true, "qemu32", "+svm"), 0);
	assert_int_equal(must(0x80000000, 0)->eax, 0x8000000a);
	assert_non_null(find(0x8000000a, 0));
	assert_int_equal(must(0x80000008, 0)->eax, 32); /* qemu32: no pse36 */

	host_table(false);
	assert_int_equal(apply(true, "qemu64", "+svm"), -1);
	assert_err_contains("+svm: KVM on this host cannot give the guest svm");
}

static void test_xsave(void **state)
{
	(void)state;
	host_table(false);
	assert_int_equal(apply(true, "qemu64", "+xsave,+avx"), 0);
	assert_int_equal(must(1, 0)->ecx, QEMU64_ECX | 1u << 26 | 1u << 28);
	assert_int_equal(must(0xd, 0)->eax, 0x7); /* x87, SSE, AVX */
	assert_int_equal(must(0xd, 0)->ebx, 576);
	assert_int_equal(must(0xd, 0)->ecx, 0x340); /* AVX ends at 832 */
	assert_int_equal(must(0xd, 0)->edx, 0);
	assert_int_equal(must(0xd, 1)->eax, 0);
	assert_non_null(find(0xd, 2));
	assert_null(find(0xd, 5));
	assert_null(find(0xd, 9));

	/* qemu32 goes up to leaf 0xd for it. */
	host_table(false);
	assert_int_equal(apply(true, "qemu32", "+xsave"), 0);
	assert_int_equal(must(0, 0)->eax, 0xd);
	assert_int_equal(must(0xd, 0)->eax, 0x3);
	assert_int_equal(must(0xd, 0)->ecx, 576);
	assert_null(find(0xd, 2));
}

static void test_host_unchanged(void **state)
{
	uint32_t n;

	(void)state;
	host_table(false);
	n = t.c.nent;
	assert_int_equal(apply(true, "host", "-x2apic"), 0);
	assert_int_equal(t.c.nent, n);
	assert_int_equal(must(1, 0)->ecx,
			 (0x7efa3223u & ~(1u << 21)) | 1u << 24);
	assert_int_equal(must(1, 0)->eax, 0x000906ea);
	assert_int_equal(must(0, 0)->eax, 0x16);
	assert_non_null(find(0x14, 0));

	host_table(false);
	assert_int_equal(apply(false, NULL, NULL), 0);
	assert_int_equal(t.c.nent, n);
	assert_int_equal(must(1, 0)->ecx, 0x7efa3223u);

	host_table(false);
	assert_int_equal(apply(true, "max", "+monitor"), -1);
	assert_err_contains(
		"+monitor: KVM on this host cannot give the guest monitor");
}

static void test_no_room(void **state)
{
	(void)state;
	host_table(false);
	err_clear();
	assert_int_equal(x86_cpu_features_apply(&t.c, 4, true, "qemu64", NULL),
			 -1);
	assert_err_contains("-cpu qemu64: more than 4 CPUID entries");
}

static void test_features_check(void **state)
{
	(void)state;
	assert_int_equal(arch_cpu_features_check("+x2apic,+tsc-deadline"), 0);
	assert_int_equal(arch_cpu_features_check("-lm,svm=on"), 0);
	assert_int_equal(arch_cpu_features_check("+foo"), -1);
	assert_err_contains("'foo': not a CPU feature minivmm knows");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_qemu64_intel),
		cmocka_unit_test(test_qemu64_x2apic_tsc_deadline),
		cmocka_unit_test(test_model_bit_kvm_lacks_dropped),
		cmocka_unit_test(test_kvm64_minus_lm),
		cmocka_unit_test(test_qemu32),
		cmocka_unit_test(test_kvm32),
		cmocka_unit_test(test_qemu64_amd),
		cmocka_unit_test(test_xsave),
		cmocka_unit_test(test_host_unchanged),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_features_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
