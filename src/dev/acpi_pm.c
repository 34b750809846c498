// SPDX-License-Identifier: MIT
/*
 * Register behaviour follows ACPI 6.4 §4.8.3 ("PM1 Event Grouping", "PM1
 * Control Grouping", "Power Management Timer"); power-off on SLP_EN with
 * the S5 type is what QEMU's hw/acpi/core.c does for its PIIX4 PM.
 */
#include "dev/acpi_pm.h"

#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "state.h"

/* Status bits that raise the SCI; each enable bit sits at the same place. */
#define PM1_SCI_EVENTS                                              \
	(ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | \
	 ACPI_PM1_RTC)
/* PM1_EN bits the OS may set (Table 4.12); the rest are reserved. */
#define PM1_EN_WRITABLE (PM1_SCI_EVENTS | ACPI_PM1_PCIEXP_WAKE)
/* PM1_CNT bits that are stored and read back; SLP_EN and GBL_RLS are
 * write-only and SCI_EN is fixed at 1. */
#define PM1_CNT_STORED (ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_SLP_TYP_MASK)
/* PM1_STS bits ACPI defines (Table 4.11); the rest are reserved. */
#define PM1_STS_DEFINED                                                  \
	(ACPI_PM1_TMR | ACPI_PM1_BM_STS | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | \
	 ACPI_PM1_SLPBTN | ACPI_PM1_RTC | ACPI_PM1_PCIEXP_WAKE |           \
	 ACPI_PM1_WAK_STS)

static uint64_t monotonic_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool sci_pending(const struct acpi_pm *pm)
{
	return (pm->cnt & ACPI_PM1_CNT_SCI_EN) &&
	       (pm->sts & pm->en & PM1_SCI_EVENTS);
}

/* Recompute the SCI level after a change; called with the lock held. */
static void update_sci(struct acpi_pm *pm)
{
	bool level = sci_pending(pm);

	if (level == pm->sci_level)
		return;
	pm->sci_level = level;
	irq_line_set(pm->sci, level);
}

/* ---- PM1 event block: PM1_STS at +0, PM1_EN at +2 ---- */

static void evt_read(void *opaque, uint64_t offset, uint8_t *data,
		     uint32_t len)
{
	struct acpi_pm *pm = opaque;

	pthread_mutex_lock(&pm->lock);
	for (uint32_t i = 0; i < len; i++) {
		uint64_t o = offset + i;
		uint16_t reg = o < ACPI_PM1_EN_OFF ? pm->sts : pm->en;

		data[i] = o < ACPI_PM1_EVT_LEN ?
				  (uint8_t)(reg >> (8 * (o & 1))) :
				  0;
	}
	pthread_mutex_unlock(&pm->lock);
}

static void evt_write(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len)
{
	struct acpi_pm *pm = opaque;

	pthread_mutex_lock(&pm->lock);
	for (uint32_t i = 0; i < len; i++) {
		uint64_t o = offset + i;
		unsigned shift = 8 * (unsigned)(o & 1);
		uint16_t v = (uint16_t)(data[i] << shift);

		if (o < ACPI_PM1_EN_OFF) {
			pm->sts &= (uint16_t)~v; /* write 1 to clear */
		} else if (o < ACPI_PM1_EVT_LEN) {
			uint16_t keep = (uint16_t)~(0xffu << shift);

			pm->en = (uint16_t)((pm->en & keep) |
					    (v & PM1_EN_WRITABLE));
		}
	}
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

/* ---- PM1 control block: PM1_CNT at +0 ---- */

static void cnt_read(void *opaque, uint64_t offset, uint8_t *data,
		     uint32_t len)
{
	struct acpi_pm *pm = opaque;

	pthread_mutex_lock(&pm->lock);
	for (uint32_t i = 0; i < len; i++) {
		uint64_t o = offset + i;

		data[i] = o < ACPI_PM1_CNT_LEN ? (uint8_t)(pm->cnt >> (8 * o)) :
						 0;
	}
	pthread_mutex_unlock(&pm->lock);
}

static void cnt_write(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len)
{
	struct acpi_pm *pm = opaque;
	bool off = false, sleep = false;
	uint16_t v;

	pthread_mutex_lock(&pm->lock);
	v = pm->cnt;
	for (uint32_t i = 0; i < len; i++) {
		uint64_t o = offset + i;

		if (o >= ACPI_PM1_CNT_LEN)
			continue;
		v = (uint16_t)((v & ~(0xffu << (8 * o))) |
			       ((unsigned)data[i] << (8 * o)));
	}
	/* §4.8.3.2.1: writing SLP_EN starts the transition to SLP_TYP. */
	if (v & ACPI_PM1_CNT_SLP_EN) {
		unsigned typ = (v & ACPI_PM1_CNT_SLP_TYP_MASK) >>
			       ACPI_PM1_CNT_SLP_TYP_SHIFT;

		if (typ == pm->s5_type) {
			off = true;
			pm->poweroffs++;
		} else if (typ == pm->s3_type && pm->suspend) {
			sleep = true;
			pm->suspends++;
		} else {
			log_debug("acpi-pm: sleep type %u requested; only S5 (%u) and S3 (%u) are supported",
				  typ, pm->s5_type, pm->s3_type);
		}
	}
	pm->cnt = (uint16_t)((v & PM1_CNT_STORED) | ACPI_PM1_CNT_SCI_EN);
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	if (off && pm->poweroff)
		pm->poweroff(pm->poweroff_ctx);
	if (sleep)
		pm->suspend(pm->suspend_ctx);
}

void acpi_pm_set_suspend(struct acpi_pm *pm, uint8_t s3_type,
			 void (*suspend)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&pm->lock);
	pm->s3_type = s3_type & 7;
	pm->suspend = suspend;
	pm->suspend_ctx = ctx;
	pthread_mutex_unlock(&pm->lock);
}

bool acpi_pm_rtc_wake_enabled(struct acpi_pm *pm)
{
	bool on;

	pthread_mutex_lock(&pm->lock);
	on = pm->en & ACPI_PM1_RTC;
	pthread_mutex_unlock(&pm->lock);
	return on;
}

void acpi_pm_woken(struct acpi_pm *pm, bool by_rtc)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= ACPI_PM1_WAK_STS | (by_rtc ? ACPI_PM1_RTC : 0);
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

/* ---- PM timer at +0: read-only ---- */

static void tmr_read(void *opaque, uint64_t offset, uint8_t *data,
		     uint32_t len)
{
	struct acpi_pm *pm = opaque;
	uint64_t ns, ticks;
	uint32_t v;

	pthread_mutex_lock(&pm->lock);
	ns = pm->now_ns(pm->clock_ctx) - pm->start_ns;
	pthread_mutex_unlock(&pm->lock);
	/* Split at whole seconds so the product cannot overflow. */
	ticks = ns / 1000000000ull * ACPI_PM_TIMER_HZ +
		ns % 1000000000ull * ACPI_PM_TIMER_HZ / 1000000000ull;
	v = (uint32_t)ticks & ACPI_PM_TIMER_MASK;
	for (uint32_t i = 0; i < len; i++) {
		uint64_t o = offset + i;

		data[i] = o < ACPI_PM_TMR_LEN ? (uint8_t)(v >> (8 * o)) : 0;
	}
}

static void tmr_write(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len)
{
	(void)opaque;
	(void)offset;
	(void)data;
	(void)len;
}

static const struct bus_ops evt_ops = { .read = evt_read, .write = evt_write };
static const struct bus_ops cnt_ops = { .read = cnt_read, .write = cnt_write };
static const struct bus_ops tmr_ops = { .read = tmr_read, .write = tmr_write };

/* Power-on PM1 registers; the timer runs on.  Lock held. */
static void power_on_locked(struct acpi_pm *pm)
{
	pm->sts = 0;
	pm->en = 0;
	pm->cnt = ACPI_PM1_CNT_SCI_EN;
}

struct acpi_pm *acpi_pm_create(uint8_t s5_type, void (*poweroff)(void *ctx),
			       void *ctx)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm) {
		err_set("acpi-pm: out of memory");
		return NULL;
	}
	pthread_mutex_init(&pm->lock, NULL);
	pm->s5_type = s5_type & 7;
	pm->s3_type = 0xff;
	power_on_locked(pm);
	pm->poweroff = poweroff;
	pm->poweroff_ctx = ctx;
	pm->now_ns = monotonic_ns;
	pm->start_ns = monotonic_ns(NULL);
	return pm;
}

static void acpi_pm_destroy(void *dev)
{
	struct acpi_pm *pm = dev;

	if (!pm)
		return;
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

static void acpi_pm_reset(void *dev)
{
	struct acpi_pm *pm = dev;

	pthread_mutex_lock(&pm->lock);
	power_on_locked(pm);
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

/* Version 1: u16 PM1_STS, PM1_EN, PM1_CNT; u64 ns the PM timer has run. */
static int acpi_pm_save(void *dev, struct state_writer *w)
{
	struct acpi_pm *pm = dev;

	pthread_mutex_lock(&pm->lock);
	state_put_u16(w, pm->sts);
	state_put_u16(w, pm->en);
	state_put_u16(w, pm->cnt);
	state_put_u64(w, pm->now_ns(pm->clock_ctx) - pm->start_ns);
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

static int acpi_pm_load(void *dev, struct state_reader *r, uint32_t version)
{
	struct acpi_pm *pm = dev;
	uint16_t sts, en, cnt;
	uint64_t elapsed;

	(void)version;
	sts = state_get_u16(r);
	en = state_get_u16(r);
	cnt = state_get_u16(r);
	elapsed = state_get_u64(r); /* any count: the timer wraps anyway */
	if (state_reader_error(r, "acpi-pm") < 0)
		return -1;
	if (sts & ~PM1_STS_DEFINED)
		return state_reader_fail(r, "PM1_STS 0x%04x has reserved bits", sts);
	if (en & ~PM1_EN_WRITABLE)
		return state_reader_fail(r, "PM1_EN 0x%04x has bits the OS cannot set",
					 en);
	if ((cnt & ~PM1_CNT_STORED) != ACPI_PM1_CNT_SCI_EN)
		return state_reader_fail(r, "PM1_CNT 0x%04x: SCI_EN is fixed at 1 and SLP_EN, GBL_RLS read 0",
					 cnt);

	pthread_mutex_lock(&pm->lock);
	pm->sts = sts;
	pm->en = en;
	pm->cnt = cnt;
	/* The timer goes on from the saved count (modulo 2^64 arithmetic). */
	pm->start_ns = pm->now_ns(pm->clock_ctx) - elapsed;
	/* The SCI follows the loaded registers, whatever it showed before. */
	pm->sci_level = sci_pending(pm);
	irq_line_set(pm->sci, pm->sci_level);
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

const struct device_ops acpi_pm_device_ops = {
	.type = "acpi-pm",
	.version = 1,
	.reset = acpi_pm_reset,
	.save = acpi_pm_save,
	.load = acpi_pm_load,
	.destroy = acpi_pm_destroy,
};

void acpi_pm_set_irq(struct acpi_pm *pm, struct irq_line *line)
{
	pthread_mutex_lock(&pm->lock);
	pm->sci = line;
	pthread_mutex_unlock(&pm->lock);
}

void acpi_pm_set_clock(struct acpi_pm *pm, uint64_t (*now_ns)(void *ctx),
		       void *ctx)
{
	pthread_mutex_lock(&pm->lock);
	pm->now_ns = now_ns ? now_ns : monotonic_ns;
	pm->clock_ctx = ctx;
	pm->start_ns = pm->now_ns(ctx);
	pthread_mutex_unlock(&pm->lock);
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= ACPI_PM1_PWRBTN;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

int acpi_pm_register(struct acpi_pm *pm, struct bus *pio, uint16_t base)
{
	if (bus_register(pio, "acpi-pm1-evt", base + ACPI_PM1_STS_OFF,
			 ACPI_PM1_EVT_LEN, BUS_W1 | BUS_W2 | BUS_W4, &evt_ops,
			 pm) < 0 ||
	    bus_register(pio, "acpi-pm1-cnt", base + ACPI_PM1_CNT_OFF,
			 ACPI_PM1_CNT_LEN, BUS_W1 | BUS_W2, &cnt_ops, pm) < 0 ||
	    bus_register(pio, "acpi-pm-tmr", base + ACPI_PM_TMR_OFF,
			 ACPI_PM_TMR_LEN, BUS_W1 | BUS_W2 | BUS_W4, &tmr_ops,
			 pm) < 0)
		return -1;
	return 0;
}
