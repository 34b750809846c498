// SPDX-License-Identifier: MIT
/*
 * The in-kernel GIC of the virt machine (Documentation/virt/kvm/devices/
 * arm-vgic-v3.rst and arm-vgic.rst): KVM_CREATE_DEVICE, the distributor and
 * redistributor (v3) or CPU interface (v2) addresses and the number of
 * interrupts before the vCPUs run, KVM_DEV_ARM_VGIC_CTRL_INIT once every
 * vCPU exists.  Device interrupts go in through KVM_IRQ_LINE.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "arm64.h"
#include "layout.h"
#include "log.h"
#include "vm.h"

static int gic_set_attr(int fd, uint32_t group, uint64_t attr, void *value,
			const char *what)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uint64_t)(uintptr_t)value,
	};

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return err_errno("GIC: %s", what);
	return 0;
}

static int gic_try_create(struct vm *vm, uint32_t type)
{
	struct kvm_create_device cd = { .type = type };

	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		return -1;
	return (int)cd.fd;
}

int arm64_gic_create(struct vm *vm, unsigned nr_cpus)
{
	struct arm64_vm *av = vm->arch;
	unsigned want = vm->cfg->gic_version;
	uint32_t nr_irqs = ARM64_GIC_NR_IRQS;
	uint64_t addr;
	int fd = -1;

	if (want != 2) {
		fd = gic_try_create(vm, KVM_DEV_TYPE_ARM_VGIC_V3);
		if (fd >= 0)
			av->gic_version = 3;
		else if (want == 3)
			return err_errno("-M virt,gic-version=3: this host cannot emulate a GICv3 (KVM_CREATE_DEVICE)");
	}
	if (fd < 0) {
		fd = gic_try_create(vm, KVM_DEV_TYPE_ARM_VGIC_V2);
		if (fd < 0 && want == 2)
			return err_errno("-M virt,gic-version=2: this host cannot emulate a GICv2 (KVM_CREATE_DEVICE)");
		if (fd < 0)
			return err_errno("-M virt: this host offers neither an in-kernel GICv3 nor a GICv2 (KVM_CREATE_DEVICE)");
		av->gic_version = 2;
	}
	av->gic_fd = fd;

	if (av->gic_version == 3) {
		if ((uint64_t)nr_cpus * ARM64_GIC_REDIST_PER_CPU >
		    ARM64_GIC_REDIST_LIMIT)
			return err_set("-smp %u: the GICv3 redistributor region holds at most %llu vCPUs",
				       nr_cpus,
				       (unsigned long long)(ARM64_GIC_REDIST_LIMIT /
							    ARM64_GIC_REDIST_PER_CPU));
		addr = ARM64_GIC_DIST_BASE;
		if (gic_set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				 KVM_VGIC_V3_ADDR_TYPE_DIST, &addr,
				 "distributor address") < 0)
			return -1;
		addr = ARM64_GIC_REDIST_BASE;
		if (gic_set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				 KVM_VGIC_V3_ADDR_TYPE_REDIST, &addr,
				 "redistributor address") < 0)
			return -1;
	} else {
		if (nr_cpus > ARM64_GICV2_MAX_CPUS)
			return err_set("-smp %u: this host has only a GICv2, which serves at most %d vCPUs",
				       nr_cpus, ARM64_GICV2_MAX_CPUS);
		addr = ARM64_GIC_DIST_BASE;
		if (gic_set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				 KVM_VGIC_V2_ADDR_TYPE_DIST, &addr,
				 "distributor address") < 0)
			return -1;
		addr = ARM64_GIC_CPU_BASE;
		if (gic_set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				 KVM_VGIC_V2_ADDR_TYPE_CPU, &addr,
				 "CPU interface address") < 0)
			return -1;
	}
	return gic_set_attr(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs,
			    "number of interrupts");
}

int arm64_gic_init_done(struct vm *vm)
{
	struct arm64_vm *av = vm->arch;

	if (!av || av->gic_fd < 0)
		return 0;
	/* arm-vgic-v3.rst: "must be called after all VCPUs have been created". */
	return gic_set_attr(av->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			    KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "initialisation");
}

uint32_t arch_irq_kvm_number(unsigned spi)
{
	/* api.rst, KVM_IRQ_LINE on arm64: type in bits 24-27, INTID below. */
	return (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) |
	       ARM64_SPI_INTID(spi);
}
