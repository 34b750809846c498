// SPDX-License-Identifier: MIT
/*
 * MC146818 RTC + CMOS NVRAM.  Behaviour follows QEMU's hw/rtc/mc146818rtc.c
 * register by register (see cmos.h); the code is our own.
 */
#include "cmos.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "state.h"

#define NS_PER_SEC 1000000000ll

static struct timespec cmos_host_clock(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

int64_t cmos_mktime_utc(int64_t year, int month, int day, int hour, int min,
			int sec)
{
	int64_t m0 = (int64_t)month - 1, y, era, yoe, mar, doy, doe, days;

	/* Fold an out-of-range month into the year, as timegm() does. */
	y = year + floor_div(m0, 12);
	m0 = floor_mod(m0, 12);
	/*
	 * Count years from March, so that February (and its leap day) is the
	 * last month of a counting year; then whole 400-year eras repeat
	 * exactly (146097 days each).
	 */
	if (m0 < 2)
		y--;
	mar = (m0 + 10) % 12; /* March = 0 ... February = 11 */
	era = floor_div(y, 400);
	yoe = y - era * 400; /* 0-399 */
	doy = (153 * mar + 2) / 5 + (int64_t)day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	/* 719468 days separate 0000-03-01 from 1970-01-01. */
	days = era * 146097 + doe - 719468;
	return days * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
}

/* ---- time keeping (caller holds the lock) ------------------------------ */

static struct timespec cmos_now(struct cmos *c)
{
	return c->clock(c->clock_ctx);
}

/* The guest's current time as whole seconds and nanoseconds. */
static void cmos_guest_time(struct cmos *c, int64_t *sec, int64_t *nsec)
{
	struct timespec now = cmos_now(c);
	int64_t elapsed = ((int64_t)now.tv_sec - c->last_update.tv_sec) *
				  NS_PER_SEC +
			  ((int64_t)now.tv_nsec - c->last_update.tv_nsec) +
			  c->offset_ns;

	*sec = c->base_sec + floor_div(elapsed, NS_PER_SEC);
	*nsec = floor_mod(elapsed, NS_PER_SEC);
}

/* The clock advances the time registers: SET clear, divider running. */
static bool cmos_running(const struct cmos *c)
{
	return !(c->data[CMOS_REG_B] & CMOS_B_SET) &&
	       (c->data[CMOS_REG_A] & CMOS_A_DIVIDER) <= 0x20;
}

/* A value in the format register B selects (DM: binary, else BCD). */
static uint8_t cmos_to_reg(const struct cmos *c, int v)
{
	unsigned u = (unsigned)v;

	if (c->data[CMOS_REG_B] & CMOS_B_DM)
		return (uint8_t)u;
	return (uint8_t)(((u / 10) << 4) | (u % 10));
}

/* The inverse; 0xc0-0xff is the alarm "don't care" value, read as -1. */
static int cmos_from_reg(const struct cmos *c, uint8_t v)
{
	if ((v & 0xc0) == 0xc0)
		return -1;
	if (c->data[CMOS_REG_B] & CMOS_B_DM)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

/* Write a broken-down UTC time into the time and date registers. */
static void cmos_store_tm(struct cmos *c, const struct tm *tm)
{
	int year = tm->tm_year + 1900 - c->base_year;

	c->data[CMOS_SECONDS] = cmos_to_reg(c, tm->tm_sec);
	c->data[CMOS_MINUTES] = cmos_to_reg(c, tm->tm_min);
	if (c->data[CMOS_REG_B] & CMOS_B_24H) {
		c->data[CMOS_HOURS] = cmos_to_reg(c, tm->tm_hour);
	} else {
		/* 12-hour clock: 12, 1, ..., 11, with bit 7 set after noon. */
		int h = tm->tm_hour % 12 ? tm->tm_hour % 12 : 12;

		c->data[CMOS_HOURS] = cmos_to_reg(c, h);
		if (tm->tm_hour >= 12)
			c->data[CMOS_HOURS] |= 0x80;
	}
	c->data[CMOS_DAY_OF_WEEK] = cmos_to_reg(c, tm->tm_wday + 1);
	c->data[CMOS_DAY_OF_MONTH] = cmos_to_reg(c, tm->tm_mday);
	c->data[CMOS_MONTH] = cmos_to_reg(c, tm->tm_mon + 1);
	c->data[CMOS_YEAR] = cmos_to_reg(c, year % 100);
	c->data[CMOS_CENTURY] = cmos_to_reg(c, year / 100);
}

/* Refresh the time registers from the guest clock (QEMU rtc_update_time). */
static void cmos_update_regs(struct cmos *c)
{
	int64_t sec, nsec;
	time_t t;
	struct tm tm;

	cmos_guest_time(c, &sec, &nsec);
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm))
		return; /* beyond struct tm's years: keep the old bytes */
	if (!(c->data[CMOS_REG_B] & CMOS_B_SET))
		cmos_store_tm(c, &tm);
}

/* Restart the guest clock from the time registers (QEMU rtc_set_time). */
static void cmos_load_regs(struct cmos *c)
{
	int hour = cmos_from_reg(c, c->data[CMOS_HOURS] & 0x7f);
	int64_t year;

	if (!(c->data[CMOS_REG_B] & CMOS_B_24H)) {
		hour %= 12;
		if (c->data[CMOS_HOURS] & 0x80)
			hour += 12;
	}
	year = (int64_t)cmos_from_reg(c, c->data[CMOS_YEAR]) + c->base_year +
	       (int64_t)cmos_from_reg(c, c->data[CMOS_CENTURY]) * 100;
	c->base_sec = cmos_mktime_utc(
		year, cmos_from_reg(c, c->data[CMOS_MONTH]),
		cmos_from_reg(c, c->data[CMOS_DAY_OF_MONTH]), hour,
		cmos_from_reg(c, c->data[CMOS_MINUTES]),
		cmos_from_reg(c, c->data[CMOS_SECONDS]));
	c->last_update = cmos_now(c);
}

static bool cmos_update_in_progress(struct cmos *c)
{
	int64_t sec, nsec;

	if (!cmos_running(c))
		return false;
	cmos_guest_time(c, &sec, &nsec);
	return nsec >= NS_PER_SEC - CMOS_UIP_HOLD_NS;
}

static void cmos_set_irq_level(struct cmos *c, bool level)
{
	irq_line_set(c->irq, level);
}

static bool cmos_is_time_reg(uint8_t index)
{
	switch (index) {
	case CMOS_SECONDS:
	case CMOS_MINUTES:
	case CMOS_HOURS:
	case CMOS_DAY_OF_WEEK:
	case CMOS_DAY_OF_MONTH:
	case CMOS_MONTH:
	case CMOS_YEAR:
	case CMOS_CENTURY:
		return true;
	default:
		return false;
	}
}

/* ---- the data port -------------------------------------------------------- */

static uint8_t cmos_data_read(struct cmos *c)
{
	uint8_t v;

	/* The PS/2 century alias moves the index itself, as in QEMU. */
	if (c->index == CMOS_CENTURY_PS2)
		c->index = CMOS_CENTURY;

	if (cmos_is_time_reg(c->index)) {
		if (cmos_running(c))
			cmos_update_regs(c);
		return c->data[c->index];
	}
	switch (c->index) {
	case CMOS_REG_A:
		v = c->data[CMOS_REG_A];
		if (cmos_update_in_progress(c))
			v |= CMOS_A_UIP;
		return v;
	case CMOS_REG_C:
		/* Reading acknowledges: flags clear, the line drops. */
		v = c->data[CMOS_REG_C];
		c->data[CMOS_REG_C] = 0;
		cmos_set_irq_level(c, false);
		return v;
	default:
		return c->data[c->index];
	}
}

static void cmos_write_reg_a(struct cmos *c, uint8_t v)
{
	uint8_t old = c->data[CMOS_REG_A];

	if ((v & 0x60) == 0x60) {
		/* Divider chain held in reset: freeze the registers now. */
		if (cmos_running(c))
			cmos_update_regs(c);
	} else if ((old & 0x60) == 0x60 && (v & CMOS_A_DIVIDER) <= 0x20) {
		/*
		 * Leaving reset: the first update comes half a second later
		 * (MC146818 data sheet; QEMU sets the phase to 0.5 s).
		 */
		if (!(c->data[CMOS_REG_B] & CMOS_B_SET)) {
			c->offset_ns = NS_PER_SEC / 2;
			cmos_load_regs(c);
		}
	}
	/* UIP is computed on read and never stored. */
	c->data[CMOS_REG_A] = v & ~CMOS_A_UIP;
}

static void cmos_write_reg_b(struct cmos *c, uint8_t v)
{
	if (v & CMOS_B_SET) {
		/* Entering set mode: capture the time as it stands. */
		if (cmos_running(c))
			cmos_update_regs(c);
		v &= ~CMOS_B_UIE;
	} else if ((c->data[CMOS_REG_B] & CMOS_B_SET) &&
		   (c->data[CMOS_REG_A] & CMOS_A_DIVIDER) <= 0x20) {
		/* Leaving set mode: run on from what the guest wrote. */
		int64_t sec, nsec;

		cmos_guest_time(c, &sec, &nsec);
		c->offset_ns = nsec;
		cmos_load_regs(c);
	}
	/* An already-pending flag whose interrupt gets enabled fires now. */
	if (v & c->data[CMOS_REG_C] & CMOS_C_MASK) {
		c->data[CMOS_REG_C] |= CMOS_C_IRQF;
		cmos_set_irq_level(c, true);
	} else {
		c->data[CMOS_REG_C] &= ~CMOS_C_IRQF;
		cmos_set_irq_level(c, false);
	}
	c->data[CMOS_REG_B] = v;
}

static void cmos_data_write(struct cmos *c, uint8_t v)
{
	if (c->index == CMOS_CENTURY_PS2)
		c->index = CMOS_CENTURY;

	if (cmos_is_time_reg(c->index)) {
		c->data[c->index] = v;
		/* While the clock runs, the write takes effect at once. */
		if (cmos_running(c))
			cmos_load_regs(c);
		return;
	}
	switch (c->index) {
	case CMOS_REG_A:
		cmos_write_reg_a(c, v);
		break;
	case CMOS_REG_B:
		cmos_write_reg_b(c, v);
		break;
	case CMOS_REG_C:
	case CMOS_REG_D:
		break; /* read-only */
	default:
		/* Alarm registers and NVRAM: plain storage. */
		c->data[c->index] = v;
		break;
	}
}

static void cmos_io_read(void *opaque, uint64_t offset, uint8_t *data,
			 uint32_t len)
{
	struct cmos *c = opaque;

	memset(data, 0xff, len);
	if (offset != 1)
		return; /* the index port reads as 0xff */
	pthread_mutex_lock(&c->lock);
	data[0] = cmos_data_read(c);
	pthread_mutex_unlock(&c->lock);
}

static void cmos_io_write(void *opaque, uint64_t offset, const uint8_t *data,
			  uint32_t len)
{
	struct cmos *c = opaque;

	(void)len;
	pthread_mutex_lock(&c->lock);
	if (offset == 0) {
		c->index = data[0] & CMOS_INDEX_MASK;
		c->nmi_disabled = data[0] & CMOS_INDEX_NMI_DISABLE;
	} else {
		cmos_data_write(c, data[0]);
	}
	pthread_mutex_unlock(&c->lock);
}

const struct bus_ops cmos_bus_ops = {
	.read = cmos_io_read,
	.write = cmos_io_write,
};

/* ---- host side ------------------------------------------------------------ */

/* Guest clock := t now, registers rewritten (QEMU rtc_set_date_from_host). */
static void cmos_set_time_locked(struct cmos *c, time_t t)
{
	struct tm tm;

	c->base_sec = t;
	c->last_update = cmos_now(c);
	c->offset_ns = 0;
	if (gmtime_r(&t, &tm))
		cmos_store_tm(c, &tm);
}

struct cmos *cmos_create(cmos_clock_fn clock, void *clock_ctx)
{
	struct cmos *cmos = calloc(1, sizeof(*cmos));
	int r;

	if (!cmos) {
		err_set("cmos: out of memory");
		return NULL;
	}
	r = pthread_mutex_init(&cmos->lock, NULL);
	if (r) {
		free(cmos);
		err_set("cmos: cannot create its lock: %s", strerror(r));
		return NULL;
	}
	cmos->clock = clock ? clock : cmos_host_clock;
	cmos->clock_ctx = clock_ctx;
	cmos->base_year = 0;
	cmos->data[CMOS_REG_A] = CMOS_REG_A_INIT;
	cmos->data[CMOS_REG_B] = CMOS_REG_B_INIT;
	cmos->data[CMOS_REG_C] = 0;
	cmos->data[CMOS_REG_D] = CMOS_REG_D_INIT;
	/* Whole seconds of the clock, like QEMU's qemu_get_timedate(). */
	cmos_set_time_locked(cmos, cmos_now(cmos).tv_sec);
	return cmos;
}

static void cmos_reset(void *dev)
{
	struct cmos *cmos = dev;

	pthread_mutex_lock(&cmos->lock);
	/* 0xfe = resuming from S3: firmware must still see it after reset. */
	if (cmos->data[CMOS_SHUTDOWN_STATUS] != 0xfe)
		cmos->data[CMOS_SHUTDOWN_STATUS] = 0;
	cmos->data[CMOS_REG_B] &= ~(CMOS_B_PIE | CMOS_B_AIE | CMOS_B_SQWE);
	cmos->data[CMOS_REG_C] &=
		~(CMOS_C_UF | CMOS_C_IRQF | CMOS_C_PF | CMOS_C_AF);
	cmos_set_irq_level(cmos, false);
	pthread_mutex_unlock(&cmos->lock);
}

/*
 * Version 1: the 128 bytes; u8 index; bool NMI disabled; the guest clock
 * minus the host clock as u64 (two's complement) seconds and u32
 * nanoseconds (0-999999999).
 */
static int cmos_save(void *dev, struct state_writer *w)
{
	struct cmos *c = dev;
	struct timespec now;
	int64_t sec, nsec;

	pthread_mutex_lock(&c->lock);
	cmos_guest_time(c, &sec, &nsec);
	now = cmos_now(c);
	sec -= now.tv_sec;
	nsec -= now.tv_nsec;
	if (nsec < 0) {
		nsec += NS_PER_SEC;
		sec--;
	}
	state_put_bytes(w, c->data, CMOS_SIZE);
	state_put_u8(w, c->index);
	state_put_bool(w, c->nmi_disabled);
	state_put_u64(w, (uint64_t)sec);
	state_put_u32(w, (uint32_t)nsec);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static int cmos_load(void *dev, struct state_reader *r, uint32_t version)
{
	struct cmos *c = dev;
	uint8_t data[CMOS_SIZE], index;
	struct timespec now;
	int64_t sec;
	uint32_t nsec;
	bool nmi;

	(void)version;
	state_get_bytes(r, data, sizeof(data));
	index = state_get_u8(r);
	nmi = state_get_bool(r);
	sec = (int64_t)state_get_u64(r);
	nsec = state_get_u32(r);
	if (state_reader_error(r, "cmos") < 0)
		return -1;
	if (index > CMOS_INDEX_MASK)
		return state_reader_fail(r, "index 0x%02x beyond the 128 bytes",
					 index);
	if (data[CMOS_REG_A] & CMOS_A_UIP)
		return state_reader_fail(r, "register A 0x%02x holds UIP",
					 data[CMOS_REG_A]);
	if (data[CMOS_REG_C] & ~(CMOS_C_IRQF | CMOS_C_MASK))
		return state_reader_fail(r, "register C 0x%02x has reserved bits",
					 data[CMOS_REG_C]);
	if (nsec >= NS_PER_SEC)
		return state_reader_fail(r, "clock offset of %u ns is not below a second",
					 nsec);
	if (sec > CMOS_MAX_OFFSET_SEC || sec < -CMOS_MAX_OFFSET_SEC)
		return state_reader_fail(r, "clock offset of %lld s is out of range",
					 (long long)sec);

	pthread_mutex_lock(&c->lock);
	memcpy(c->data, data, sizeof(data));
	c->index = index;
	c->nmi_disabled = nmi;
	/* Guest time at host instant now: now + the offset. */
	now = cmos_now(c);
	c->last_update = now;
	c->base_sec = (int64_t)now.tv_sec + sec;
	c->offset_ns = (int64_t)now.tv_nsec + nsec;
	cmos_set_irq_level(c, c->data[CMOS_REG_C] & CMOS_C_IRQF);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void cmos_destroy(void *dev)
{
	struct cmos *cmos = dev;

	if (!cmos)
		return;
	pthread_mutex_destroy(&cmos->lock);
	free(cmos);
}

const struct device_ops cmos_device_ops = {
	.type = "cmos",
	.version = 1,
	.reset = cmos_reset,
	.save = cmos_save,
	.load = cmos_load,
	.destroy = cmos_destroy,
};

void cmos_set_irq(struct cmos *cmos, struct irq_line *line)
{
	pthread_mutex_lock(&cmos->lock);
	cmos->irq = line;
	pthread_mutex_unlock(&cmos->lock);
}

int cmos_set_byte(struct cmos *cmos, unsigned addr, uint8_t val)
{
	if (addr >= CMOS_SIZE)
		return err_set("cmos: address 0x%x is outside the %d bytes of NVRAM",
			       addr, CMOS_SIZE);
	pthread_mutex_lock(&cmos->lock);
	cmos->data[addr] = val;
	pthread_mutex_unlock(&cmos->lock);
	return 0;
}

int cmos_get_byte(struct cmos *cmos, unsigned addr)
{
	int v;

	if (addr >= CMOS_SIZE)
		return err_set("cmos: address 0x%x is outside the %d bytes of NVRAM",
			       addr, CMOS_SIZE);
	pthread_mutex_lock(&cmos->lock);
	v = cmos->data[addr];
	pthread_mutex_unlock(&cmos->lock);
	return v;
}

void cmos_set_time(struct cmos *cmos, time_t t)
{
	pthread_mutex_lock(&cmos->lock);
	cmos_set_time_locked(cmos, t);
	pthread_mutex_unlock(&cmos->lock);
}

bool cmos_nmi_disabled(struct cmos *cmos)
{
	bool v;

	pthread_mutex_lock(&cmos->lock);
	v = cmos->nmi_disabled;
	pthread_mutex_unlock(&cmos->lock);
	return v;
}

int cmos_register(struct cmos *cmos, struct bus *io, uint64_t base)
{
	return bus_register(io, "cmos", base, 2, BUS_W1, &cmos_bus_ops, cmos);
}

/*
 * The alarm as a wake source (S3): the guest second that next matches the
 * alarm registers, each 0xc0-0xff a "don't care", the hours in the format
 * register B gives them.  Looked for second by second over one day, the
 * alarm's whole period.
 */
int64_t cmos_alarm_wait_ns(struct cmos *cmos)
{
	int64_t sec, nsec, ret = -1;
	int want_s, want_m, want_h;
	uint8_t hreg;

	pthread_mutex_lock(&cmos->lock);
	if (!(cmos->data[CMOS_REG_B] & CMOS_B_AIE) || !cmos_running(cmos))
		goto out;
	want_s = cmos_from_reg(cmos, cmos->data[CMOS_SECONDS_ALARM]);
	want_m = cmos_from_reg(cmos, cmos->data[CMOS_MINUTES_ALARM]);
	hreg = cmos->data[CMOS_HOURS_ALARM];
	want_h = cmos_from_reg(cmos, (hreg & 0xc0) == 0xc0 ? hreg : hreg & 0x7f);
	if (want_h >= 0 && !(cmos->data[CMOS_REG_B] & CMOS_B_24H)) {
		want_h %= 12;
		if (hreg & 0x80)
			want_h += 12;
	}
	cmos_guest_time(cmos, &sec, &nsec);
	for (int64_t t = sec + 1; t <= sec + 86400; t++) {
		int64_t day = floor_mod(t, 86400);

		if ((want_s < 0 || want_s == day % 60) &&
		    (want_m < 0 || want_m == day / 60 % 60) &&
		    (want_h < 0 || want_h == day / 3600)) {
			ret = (t - sec) * NS_PER_SEC - nsec;
			break;
		}
	}
out:
	pthread_mutex_unlock(&cmos->lock);
	return ret;
}

void cmos_alarm_fired(struct cmos *cmos)
{
	pthread_mutex_lock(&cmos->lock);
	cmos->data[CMOS_REG_C] |= CMOS_C_AF;
	if (cmos->data[CMOS_REG_B] & CMOS_B_AIE) {
		cmos->data[CMOS_REG_C] |= CMOS_C_IRQF;
		cmos_set_irq_level(cmos, true);
	}
	pthread_mutex_unlock(&cmos->lock);
}
