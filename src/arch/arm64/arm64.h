/* SPDX-License-Identifier: MIT */
/*
 * What the arm64 files share among themselves: the per-VM state behind
 * vm->arch, the IPA size of a configuration, the in-kernel GIC, and the
 * virt machine's placement of kernel, initrd and device tree (computed
 * without KVM, so `minivmm memmap` and `minivmm dtb` use the same plan as
 * a run).
 */
#ifndef MINIVMM_ARM64_H
#define MINIVMM_ARM64_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loader/arm64_image.h"

struct vm;

struct arm64_vm {
	struct kvm_vcpu_init target; /* KVM_ARM_PREFERRED_TARGET */
	int gic_fd; /* the in-kernel GIC device, -1 on the bare machine */
	unsigned gic_version; /* 2 or 3; 0 without a GIC */
	/*
	 * The virtual counter while paused (snapshot.c): its value at the
	 * pause, written back at the resume.
	 */
	bool clock_stopped;
	uint64_t clock_cnt;
};

/* Address bits the memory map of cfg needs (at least 32). */
unsigned arm64_ipa_bits(const struct vm_config *cfg);

/*
 * Create the in-kernel GIC for nr_cpus vCPUs (before the vCPUs): version 3,
 * or 2 where the host has no GICv3 and cfg did not insist on 3.
 */
int arm64_gic_create(struct vm *vm, unsigned nr_cpus);
/* After the last vCPU: KVM_DEV_ARM_VGIC_CTRL_INIT (no-op without a GIC). */
int arm64_gic_init_done(struct vm *vm);

/* Where everything goes in the virt machine's RAM. */
struct virt_plan {
	uint64_t ram_base, ram_size;

	/* -kernel: the Image, mapped from its file. */
	bool has_kernel;
	struct arm64_image image;
	const void *kernel_data; /* mmap of the file */
	size_t kernel_map_size;
	uint64_t kernel_gpa, kernel_end; /* load address; + image's mem_size */

	/* Flat image instead of -kernel (size known once loaded). */
	uint64_t flat_gpa;

	/* -initrd: [initrd_gpa, initrd_gpa + initrd_size). */
	uint64_t initrd_gpa, initrd_size;

	uint64_t dtb_gpa; /* the last 2 MiB block of RAM */
	unsigned gic_version; /* for the device tree */
};

/* Fill plan from cfg (reads the kernel header, sizes the initrd). */
int virt_plan_make(const struct vm_config *cfg, unsigned gic_version,
		   struct virt_plan *plan);
void virt_plan_free(struct virt_plan *plan);

/* Build the device tree of plan into buf; its size, or -1 with err_msg(). */
int virt_dtb_build(const struct vm_config *cfg, const struct virt_plan *plan,
		   void *buf, size_t size);

#endif
