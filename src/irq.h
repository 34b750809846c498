/* SPDX-License-Identifier: MIT */
/*
 * Interrupt lines: how a device raises an interrupt without knowing what is
 * behind it.
 *
 * A device is given a `struct irq_line *` (or NULL: no interrupt wired) and
 * calls irq_line_set() with the level of its output, or irq_line_pulse()
 * for an edge.  Behind the line is a function: on a VM it is KVM_IRQ_LINE
 * with the number the architecture's routing gives (vm_irq_line() in
 * vm.h), or a write to an irqfd (the kernel injects without a system call
 * into the irqchip path of ours); in a unit test it is whatever the test
 * records.  The line remembers its level (for -v, save/load and tests).
 *
 * Calls may come from any thread; the device's own lock orders them.
 */
#ifndef MINIVMM_IRQ_H
#define MINIVMM_IRQ_H

#include <stdatomic.h>
#include <stdbool.h>

struct irq_line;

/* Drive the wire to `level` (edge lines see level true, then false). */
typedef void (*irq_line_fn)(struct irq_line *line, bool level);

struct irq_line {
	irq_line_fn set;
	void *ctx; /* for `set`: the VM, a test's recorder */
	unsigned irq; /* the architecture's number: x86 GSI, arm64 SPI */
	int irqfd; /* eventfd registered with KVM_IRQFD, or -1 */
	_Atomic bool level;
	_Atomic unsigned long raised; /* times the line went high (stats) */
};

/* A line that calls fn; for unit tests and for the VM's own lines. */
void irq_line_init(struct irq_line *line, unsigned irq, irq_line_fn fn,
		   void *ctx);

/* Set the level (NULL line: nothing happens). */
void irq_line_set(struct irq_line *line, bool level);
/* An edge: high, then low (through the irqfd when the line has one). */
void irq_line_pulse(struct irq_line *line);
/* The last level set. */
bool irq_line_level(const struct irq_line *line);

#endif
