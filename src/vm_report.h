/* SPDX-License-Identifier: MIT */
/* What -v and --stats print: the machine before a run, the counters after. */
#ifndef MINIVMM_VM_REPORT_H
#define MINIVMM_VM_REPORT_H

#include <stdio.h>

struct vm;

/* Machine, memory map, devices and entry state (-v). */
void vm_report_setup(struct vm *vm, FILE *out);
/* Exit counts and times per reason, run time (--stats). */
void vm_report_stats(struct vm *vm, FILE *out);
/* The memory regions, one per line. */
void vm_report_memory(const struct vm *vm, FILE *out);

#endif
