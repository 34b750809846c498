// SPDX-License-Identifier: MIT
/*
 * ACPI S3, suspend to RAM, on the pc machine.  The DSDT offers \_S3 = 1
 * (QEMU's value); SLP_EN with that type in PM1a_CNT parks every vCPU with
 * RAM kept (vm_request_suspend).  The machine wakes on the RTC alarm when
 * the OS armed it (PM1_EN RTC_EN and register B AIE): the devices, the
 * in-kernel irqchip and the vCPUs are reset as on a PC's wake, and then
 *   - with firmware (--bios), CMOS shutdown status 0xFE tells it to take
 *     its resume path (SeaBIOS jumps to the FACS waking vector), as
 *     QEMU's RTC sets it on suspend;
 *   - with a kernel booted directly, minivmm does what that firmware
 *     would: the boot vCPU starts in real mode at the FACS's
 *     firmware_waking_vector (CS = vector >> 4, IP = vector & 0xf, the data
 *     segments 0), found through the RSDP the OS was given.
 * The other vCPUs wait for INIT/SIPI, as after a reset.  Everything read
 * from guest memory is bounds-checked; a FACS that cannot be found, or a
 * waking vector of 0, gets what the firmware does then: a normal boot
 * (the reset vector).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "byteorder.h"
#include "dev/acpi_pm.h"
#include "dev/cmos.h"
#include "layout.h"
#include "log.h"
#include "machine.h"
#include "mem.h"
#include "vm.h"
#include "x86.h"

#define CMOS_SHUTDOWN_S3_RESUME 0xfe
#define ACPI_HEADER_SIZE 36
#define FADT_FIRMWARE_CTRL 36
#define FADT_X_FIRMWARE_CTRL 132
#define FACS_WAKING_VECTOR 12
#define MAX_RSDT_ENTRIES 64

void pc_suspend_request(void *vm)
{
	vm_request_suspend(vm);
}

int arch_vm_suspend(struct vm *vm, int64_t *wake_ns)
{
	struct x86_vm *xv = vm->arch;

	*wake_ns = -1;
	if (!xv->pm || !xv->cmos)
		return err_set("this machine has no ACPI sleep states");
	if (vm->boot.reset_vector)
		cmos_set_byte(xv->cmos, CMOS_SHUTDOWN_STATUS, CMOS_SHUTDOWN_S3_RESUME);
	if (acpi_pm_rtc_wake_enabled(xv->pm))
		*wake_ns = cmos_alarm_wait_ns(xv->cmos);
	return 0;
}

/* len bytes of guest memory at gpa, or NULL when they are not all RAM. */
static const uint8_t *guest(struct vm *vm, uint64_t gpa, uint64_t len)
{
	return gpa_to_hva(&vm->mem, gpa, len);
}

/* The ACPI table at gpa whose signature is sig, or NULL. */
static const uint8_t *table(struct vm *vm, uint64_t gpa, const char *sig,
			    uint32_t *len)
{
	const uint8_t *h = guest(vm, gpa, ACPI_HEADER_SIZE);

	if (!h || memcmp(h, sig, 4))
		return NULL;
	*len = (uint32_t)le_get(h + 4, 4);
	if (*len < ACPI_HEADER_SIZE)
		return NULL;
	return guest(vm, gpa, *len);
}

/* The FACS's firmware_waking_vector, through the RSDP at LINUX_RSDP_ADDR. */
static uint32_t waking_vector(struct vm *vm)
{
	const uint8_t *rsdp = guest(vm, LINUX_RSDP_ADDR, 20), *rsdt, *fadt, *facs;
	uint32_t rsdt_len, fadt_len, facs_len, n;
	uint64_t facs_gpa = 0;

	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8))
		return 0;
	rsdt = table(vm, le_get(rsdp + 16, 4), "RSDT", &rsdt_len);
	if (!rsdt)
		return 0;
	n = (rsdt_len - ACPI_HEADER_SIZE) / 4;
	if (n > MAX_RSDT_ENTRIES)
		n = MAX_RSDT_ENTRIES;
	for (uint32_t i = 0; i < n && !facs_gpa; i++) {
		fadt = table(vm, le_get(rsdt + ACPI_HEADER_SIZE + 4 * i, 4),
			     "FACP", &fadt_len);
		if (!fadt)
			continue;
		if (fadt_len >= FADT_X_FIRMWARE_CTRL + 8)
			facs_gpa = le_get(fadt + FADT_X_FIRMWARE_CTRL, 8);
		if (!facs_gpa && fadt_len >= FADT_FIRMWARE_CTRL + 4)
			facs_gpa = le_get(fadt + FADT_FIRMWARE_CTRL, 4);
	}
	facs = facs_gpa ? guest(vm, facs_gpa, 16) : NULL;
	if (!facs || memcmp(facs, "FACS", 4))
		return 0;
	facs_len = (uint32_t)le_get(facs + 4, 4);
	if (facs_len < FACS_WAKING_VECTOR + 4)
		return 0;
	return (uint32_t)le_get(facs + FACS_WAKING_VECTOR, 4);
}

/*
 * The boot vCPU in real mode at vector, as a BIOS's far call there: the
 * state KVM gave it at creation (a PC after reset), CS:IP moved.
 */
static int resume_at(struct vcpu *bsp, uint32_t vector)
{
	struct x86_vcpu *xc = bsp->arch;
	struct kvm_sregs s;
	struct kvm_regs r;

	if (x86_vcpu_state_set(bsp, &xc->reset) < 0)
		return -1;
	if (ioctl(bsp->fd, KVM_GET_SREGS, &s) < 0 ||
	    ioctl(bsp->fd, KVM_GET_REGS, &r) < 0)
		return err_errno("vcpu0: reading the reset state");
	s.cs.selector = (uint16_t)(vector >> 4);
	s.cs.base = (uint64_t)s.cs.selector << 4;
	s.ds.selector = s.es.selector = s.fs.selector = s.gs.selector =
		s.ss.selector = 0;
	s.ds.base = s.es.base = s.fs.base = s.gs.base = s.ss.base = 0;
	memset(&r, 0, sizeof(r));
	r.rip = vector & 0xf;
	r.rflags = 0x2;
	if (ioctl(bsp->fd, KVM_SET_SREGS, &s) < 0 ||
	    ioctl(bsp->fd, KVM_SET_REGS, &r) < 0)
		return err_errno("vcpu0: entering the waking vector");
	return 0;
}

int arch_vm_wake(struct vm *vm)
{
	struct x86_vm *xv = vm->arch;
	uint32_t vector;

	cmos_alarm_fired(xv->cmos);
	acpi_pm_woken(xv->pm, true);
	/* With firmware, arch_vcpu_reset left vCPU 0 at its reset vector. */
	if (vm->boot.reset_vector)
		return 0;
	vector = waking_vector(vm);
	if (!vector) {
		log_info("S3 wake: no FACS waking vector; the machine boots again");
		return machine_load(vm);
	}
	log_info("S3 wake: vCPU 0 resumes in real mode at the FACS waking vector 0x%x",
		 vector);
	return resume_at(&vm->vcpus[0], vector);
}
