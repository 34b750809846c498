/* SPDX-License-Identifier: MIT */
/*
 * MC146818 real-time clock with its 128 bytes of CMOS NVRAM, the way QEMU's
 * hw/rtc/mc146818rtc.c presents it to a PC guest.
 *
 * Two ports (registered by the machine, e.g. at 0x70): offset 0 takes the
 * index, offset 1 reads or writes the byte at that index.  Only one-byte
 * accesses are accepted (QEMU's device is byte-wide as well).
 *
 *   index port write  bit 7 is the NMI-disable line of the PC chipset, not
 *                     part of the index: the index is the low 7 bits (QEMU
 *                     masks it the same way); the NMI bit is kept and can be
 *                     queried with cmos_nmi_disabled().
 *   index port read   0xff (write-only on real hardware and in QEMU).
 *   0x00-0x09         time, alarm and date registers, in BCD or binary per
 *                     register B bit 2 (DM), hours in 24-hour or 12-hour form
 *                     per register B bit 1 (12-hour: 1-12, bit 7 = PM).
 *   0x0a  register A  bit 7 UIP (read-only; see below), divider and rate.
 *   0x0b  register B  SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE.
 *   0x0c  register C  interrupt flags; reading returns them and clears them.
 *   0x0d  register D  bit 7 VRT, always 0x80 (valid RAM and time).
 *   0x32              century (BCD/binary like the other date fields).
 *   0x37              IBM PS/2 alias of the century byte: QEMU redirects
 *                     both reads and writes (and the index itself) to 0x32.
 *   anything else     plain NVRAM.
 *
 * Time keeping mirrors QEMU (clock=host, base=utc): the guest's time is a
 * base second captured at some host instant plus the host time elapsed
 * since, plus a sub-second phase.  Reading a time register while the clock
 * runs (SET clear, divider bits in register A normal) first refreshes all
 * time registers from that guest time.  Writing a time register stores the
 * byte and, if the clock runs, restarts the guest time from the registers at
 * once (QEMU does not wait for SET to be cleared); with SET held, the writes
 * just collect and clearing SET restarts the clock from them, keeping the
 * sub-second phase.  So the clock keeps running from whatever the guest
 * wrote, as on hardware.
 *
 * UIP (register A bit 7) follows QEMU's rule: it reads as 1 during the last
 * 244 us (8 periods of the 32.768 kHz crystal) of every guest second while
 * the clock runs, 0 otherwise.  This is deterministic under an injected
 * clock.  (QEMU can also latch UIP from its update timer; without timers the
 * window rule is the whole story here.)
 *
 * Not modelled yet: update-ended, periodic and (while the machine runs)
 * alarm interrupt flags and the RTC interrupt (ISA IRQ 8); the alarm does
 * wake a suspended machine (cmos_alarm_wait_ns below).  The interrupt
 * line given with cmos_set_irq() is where they will be raised; register B
 * writes already set it the way QEMU does when flags are pending, and its
 * level is always register C's IRQF bit.
 *
 * Locking: the state has its own mutex; every port access, every host-side
 * call and the device ops take it, so several vCPU threads and the main
 * thread may use one device.  The interrupt line is set with it held.
 */
#ifndef MINIVMM_DEV_CMOS_H
#define MINIVMM_DEV_CMOS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bus.h"
#include "device.h"
#include "irq.h"

#define CMOS_SIZE 128

/* Register indexes. */
#define CMOS_SECONDS 0x00
#define CMOS_SECONDS_ALARM 0x01
#define CMOS_MINUTES 0x02
#define CMOS_MINUTES_ALARM 0x03
#define CMOS_HOURS 0x04
#define CMOS_HOURS_ALARM 0x05
#define CMOS_DAY_OF_WEEK 0x06 /* 1 = Sunday */
#define CMOS_DAY_OF_MONTH 0x07
#define CMOS_MONTH 0x08
#define CMOS_YEAR 0x09
#define CMOS_REG_A 0x0a
#define CMOS_REG_B 0x0b
#define CMOS_REG_C 0x0c
#define CMOS_REG_D 0x0d
#define CMOS_SHUTDOWN_STATUS 0x0f
#define CMOS_CENTURY 0x32
#define CMOS_CENTURY_PS2 0x37

#define CMOS_INDEX_NMI_DISABLE 0x80
#define CMOS_INDEX_MASK 0x7f

#define CMOS_A_UIP 0x80
#define CMOS_A_DIVIDER 0x70 /* DV2-DV0 */
#define CMOS_B_SET 0x80
#define CMOS_B_PIE 0x40
#define CMOS_B_AIE 0x20
#define CMOS_B_UIE 0x10
#define CMOS_B_SQWE 0x08
#define CMOS_B_DM 0x04 /* 1 = binary, 0 = BCD */
#define CMOS_B_24H 0x02
#define CMOS_B_DSE 0x01
#define CMOS_C_IRQF 0x80
#define CMOS_C_PF 0x40
#define CMOS_C_AF 0x20
#define CMOS_C_UF 0x10
#define CMOS_C_MASK 0x70
#define CMOS_D_VRT 0x80

/* Power-on values of registers A-D (QEMU rtc_realizefn). */
#define CMOS_REG_A_INIT 0x26 /* 32.768 kHz time base, 1024 Hz rate */
#define CMOS_REG_B_INIT 0x02 /* 24-hour, BCD */
#define CMOS_REG_D_INIT CMOS_D_VRT

/* The last 244 us of each second read UIP = 1: 8 / 32768 s, in ns. */
#define CMOS_UIP_HOLD_NS (8ll * 1000000000ll / 32768)

/*
 * Wall clock: UTC now.  The default (NULL) reads CLOCK_REALTIME, as QEMU's
 * default -rtc base=utc,clock=host.  Tests inject their own.
 */
typedef struct timespec (*cmos_clock_fn)(void *ctx);

struct cmos {
	pthread_mutex_t lock;
	uint8_t data[CMOS_SIZE];
	uint8_t index; /* 0-127 */
	bool nmi_disabled; /* bit 7 of the last index write */

	cmos_clock_fn clock;
	void *clock_ctx;
	struct irq_line *irq; /* NULL: not wired */

	/*
	 * Guest time at host instant `now`:
	 *   base_sec + (now - last_update) + offset_ns
	 * (QEMU's base_rtc, last_update and offset).
	 */
	int64_t base_sec;
	struct timespec last_update;
	int64_t offset_ns;
	int base_year; /* 0 on the PC: the year byte is year % 100 */
};

/*
 * Power on: registers A-D at their QEMU values, NVRAM zero, time and date
 * from the clock (NULL: host UTC).  NULL with err_msg() when out of
 * memory.  cmos_device_ops.destroy frees it.
 */
struct cmos *cmos_create(cmos_clock_fn clock, void *clock_ctx);

/*
 * The device operations (device.h), each under the device's lock:
 *
 *   reset    a system reset (QEMU rtc_reset_enter): the shutdown status
 *            byte is cleared unless it holds 0xfe (S3 resume), PIE/AIE/SQWE
 *            and the interrupt flags are cleared and the interrupt line is
 *            lowered.  Time and NVRAM survive, as on a PC.
 *   save     the 128 bytes (registers and NVRAM), the index and NMI bit,
 *            and the guest clock as an offset from the clock given at
 *            creation (whole seconds, then nanoseconds 0-999999999): a
 *            loaded clock goes on from where the saved one stood relative
 *            to the host's time, as QEMU's clock=host does.
 *   load     checks the index (0-127), that UIP and register C's low
 *            nibble are clear (neither is ever stored), the NMI boolean
 *            and the offset (nanoseconds below one second, seconds within
 *            CMOS_MAX_OFFSET_SEC), then sets the interrupt line to IRQF.
 *   destroy  frees the device.
 */
extern const struct device_ops cmos_device_ops;

/*
 * How far a loaded guest clock may be from the host's, in seconds (about
 * 35000 years: any date the registers can hold, and no overflow).
 */
#define CMOS_MAX_OFFSET_SEC (1ll << 40)

/* Where the RTC interrupt goes (NULL: nowhere); before the guest runs. */
void cmos_set_irq(struct cmos *cmos, struct irq_line *line);

/*
 * Host-side NVRAM access, for machine setup (memory sizes, boot order) and
 * tests.  Raw bytes: no clock refresh, no register side effects.  Both
 * return -1 with err_msg() for an address outside 0-127; cmos_get_byte()
 * otherwise returns the byte.
 */
int cmos_set_byte(struct cmos *cmos, unsigned addr, uint8_t val);
int cmos_get_byte(struct cmos *cmos, unsigned addr);

/* Make the guest's clock read `t` (UTC seconds) now, e.g. for -rtc base=. */
void cmos_set_time(struct cmos *cmos, time_t t);

/* Bit 7 of the last index write: the guest asked for NMIs to be masked. */
bool cmos_nmi_disabled(struct cmos *cmos);

/* Claim [base, base + 2) on an I/O bus, one-byte accesses only. */
int cmos_register(struct cmos *cmos, struct bus *io, uint64_t base);

/* The port handlers, for callers that register the device themselves. */
extern const struct bus_ops cmos_bus_ops;

/*
 * Calendar helpers (proleptic Gregorian, UTC), exposed for tests: seconds
 * since the epoch for a date/time whose fields may be out of range (they
 * are taken at face value, as QEMU's mktimegm() does).
 */
int64_t cmos_mktime_utc(int64_t year, int month, int day, int hour, int min,
			int sec);

/*
 * The RTC alarm as the wake source of a suspended machine: nanoseconds of
 * host time until the next second the alarm registers match (0xc0-0xff
 * fields match any value), or -1 when AIE is clear or the clock is
 * stopped.  cmos_alarm_fired() then sets AF (and IRQF with the line, as
 * AIE asks) for the woken OS to find.
 */
int64_t cmos_alarm_wait_ns(struct cmos *cmos);
void cmos_alarm_fired(struct cmos *cmos);

#endif
