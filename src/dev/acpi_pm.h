/* SPDX-License-Identifier: MIT */
/*
 * ACPI fixed hardware: the PM1a event and control blocks and the PM timer
 * (ACPI 6.4 §4.8 "Fixed Hardware Programming Model"), laid out as in the
 * PIIX4 power-management function QEMU's pc machine has:
 *
 *   base + 0  PM1_STS  16 bits, write 1 to clear
 *   base + 2  PM1_EN   16 bits
 *   base + 4  PM1_CNT  16 bits
 *   base + 8  PM_TMR   32-bit port, 24-bit counter at 3.579545 MHz
 *
 * There is no SMI command port: ACPI mode is on from reset, so SCI_EN reads
 * 1 and cannot be cleared.  Writing SLP_EN with SLP_TYP equal to the S5
 * value given at creation calls the power-off callback; with the S3 value
 * given to acpi_pm_set_suspend(), the suspend callback (the machine stops
 * its vCPUs, keeps RAM and wakes them later: acpi_pm_woken()); other sleep
 * types are ignored.  acpi_pm_power_button() models
 * a press of the fixed power button: PWRBTN_STS is set and, when the OS
 * enabled it, the SCI is raised on the interrupt line given with
 * acpi_pm_set_irq() until the OS clears the status bit.
 *
 * Accesses of 1, 2 or 4 bytes at any offset inside a block are accepted and
 * split into bytes; unused bytes read 0.  A mutex serialises vCPUs and the
 * device ops; the SCI line is set with it held, the power-off callback
 * runs after it is released.  No KVM here.
 *
 * acpi_pm_create(), then acpi_pm_register() on the port bus.  The device
 * operations (device.h):
 *
 *   reset    PM1_STS and PM1_EN cleared, PM1_CNT back to SCI_EN alone
 *            (ACPI mode stays on: there is no SMI command to leave it);
 *            lowers the SCI.  The PM timer runs on, as it does through a
 *            reset on QEMU (its clock is the machine's, not the device's).
 *   save     PM1_STS, PM1_EN, PM1_CNT and how far the PM timer has run.
 *   load     checks the reserved bits of PM1_STS and PM1_EN and that
 *            PM1_CNT has SCI_EN and only stored bits, restarts the timer
 *            from the saved count and sets the SCI to what the registers
 *            say.
 *   destroy  frees the device.
 */
#ifndef MINIVMM_DEV_ACPI_PM_H
#define MINIVMM_DEV_ACPI_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "device.h"
#include "irq.h"

/* Register offsets from the base. */
#define ACPI_PM1_STS_OFF 0
#define ACPI_PM1_EN_OFF 2
#define ACPI_PM1_CNT_OFF 4
#define ACPI_PM_TMR_OFF 8
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR_LEN 4

/* PM1 status / enable bits (ACPI 6.4 §4.8.3.1, Tables 4.11-4.12). */
#define ACPI_PM1_TMR 0x0001
#define ACPI_PM1_BM_STS 0x0010
#define ACPI_PM1_GBL 0x0020
#define ACPI_PM1_PWRBTN 0x0100
#define ACPI_PM1_SLPBTN 0x0200
#define ACPI_PM1_RTC 0x0400
#define ACPI_PM1_PCIEXP_WAKE 0x4000
#define ACPI_PM1_WAK_STS 0x8000

/* PM1 control bits (§4.8.3.2, Table 4.13). */
#define ACPI_PM1_CNT_SCI_EN 0x0001
#define ACPI_PM1_CNT_BM_RLD 0x0002
#define ACPI_PM1_CNT_GBL_RLS 0x0004
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK 0x1c00
#define ACPI_PM1_CNT_SLP_EN 0x2000

/* PM timer (§4.8.3.3): 3.579545 MHz, 24 bits unless TMR_VAL_EXT. */
#define ACPI_PM_TIMER_HZ 3579545ull
#define ACPI_PM_TIMER_MASK 0xffffffu

struct acpi_pm {
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;
	uint8_t s5_type; /* SLP_TYP that means soft-off */
	bool sci_level; /* last level set on the SCI line */
	uint64_t poweroffs; /* S5 requests seen */

	void (*poweroff)(void *ctx);
	void *poweroff_ctx;
	uint8_t s3_type; /* SLP_TYP of suspend to RAM; 0xff: not offered */
	uint64_t suspends; /* S3 requests seen */
	void (*suspend)(void *ctx);
	void *suspend_ctx;
	struct irq_line *sci; /* NULL: not wired */
	/* Nanoseconds of a monotonic clock; tests inject their own. */
	uint64_t (*now_ns)(void *ctx);
	void *clock_ctx;
	uint64_t start_ns;
};

/*
 * Create the device.  poweroff(ctx) is called once per S5 write (from the
 * vCPU thread that wrote it).  Returns NULL with err_msg() when out of
 * memory.
 */
struct acpi_pm *acpi_pm_create(uint8_t s5_type, void (*poweroff)(void *ctx),
			       void *ctx);

extern const struct device_ops acpi_pm_device_ops;

/* The SCI line (level-triggered, active high); NULL: not wired. */
void acpi_pm_set_irq(struct acpi_pm *pm, struct irq_line *line);
/*
 * Replace the clock behind the PM timer (default CLOCK_MONOTONIC); the
 * timer counts from the value now_ns() has at this call.
 */
void acpi_pm_set_clock(struct acpi_pm *pm, uint64_t (*now_ns)(void *ctx),
		       void *ctx);

/* A press of the fixed-feature power button. */
void acpi_pm_power_button(struct acpi_pm *pm);

/*
 * Offer S3: SLP_EN with SLP_TYP s3_type calls suspend(ctx) (from the vCPU
 * thread that wrote it, after the lock is released).
 */
void acpi_pm_set_suspend(struct acpi_pm *pm, uint8_t s3_type,
			 void (*suspend)(void *ctx), void *ctx);
/* Whether the OS enabled the RTC alarm as a wake event (PM1_EN RTC_EN). */
bool acpi_pm_rtc_wake_enabled(struct acpi_pm *pm);
/*
 * The machine woke from S3 (after its devices were reset): WAK_STS, and
 * RTC_STS when the RTC alarm woke it, are set as the OS expects to find
 * them (§4.8.3.1.1).
 */
void acpi_pm_woken(struct acpi_pm *pm, bool by_rtc);

/*
 * Claim [base, base + 4) for the event block, [base + 4, base + 6) for the
 * control block and [base + 8, base + 12) for the timer, widths 1/2/4
 * (1/2 for the control block).  Returns 0 or -1 with err_msg().
 */
int acpi_pm_register(struct acpi_pm *pm, struct bus *pio, uint16_t base);

#endif
