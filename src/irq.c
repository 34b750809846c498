// SPDX-License-Identifier: MIT
#include "irq.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

void irq_line_init(struct irq_line *line, unsigned irq, irq_line_fn fn,
		   void *ctx)
{
	memset(line, 0, sizeof(*line));
	line->set = fn;
	line->ctx = ctx;
	line->irq = irq;
	line->irqfd = -1;
}

void irq_line_set(struct irq_line *line, bool level)
{
	if (!line)
		return;
	if (level && !atomic_load(&line->level))
		atomic_fetch_add(&line->raised, 1);
	atomic_store(&line->level, level);
	if (line->set)
		line->set(line, level);
}

void irq_line_pulse(struct irq_line *line)
{
	uint64_t one = 1;

	if (!line)
		return;
	atomic_fetch_add(&line->raised, 1);
	if (line->irqfd >= 0) {
		/* A full counter (EAGAIN) is an interrupt already pending. */
		if (write(line->irqfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("irq %u: irqfd write: %s", line->irq,
				 strerror(errno));
		return;
	}
	if (line->set) {
		line->set(line, true);
		line->set(line, false);
	}
}

bool irq_line_level(const struct irq_line *line)
{
	return line && atomic_load(&line->level);
}
