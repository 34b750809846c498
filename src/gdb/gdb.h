/* SPDX-License-Identifier: MIT */
/*
 * The gdb stub: the stock gdb (or gdb-multiarch) debugs the guest over
 * gdb's remote serial protocol, as with QEMU's -s -S.
 *
 * The stub lives on the main thread: its listening socket (or tty) and the
 * debugger's connection are event-loop sources.  Threads are vCPUs (gdb
 * thread N = vCPU N-1).  gdb sees the guest either stopped (every vCPU
 * parked; registers and memory may be read and written) or running:
 *
 *   connect / Ctrl-C / a packet over a tty / a debug exit
 *        RUNNING ------------------------------------------> STOPPED
 *        RUNNING <------------------------------------------ STOPPED
 *                   c, s, vCont (insert breakpoints, release)
 *
 * A vCPU that hits a breakpoint, watchpoint or completes a step (its
 * KVM_EXIT_DEBUG, on its own thread) records the stop, wakes the main
 * thread and parks itself; the main thread then parks all the others and
 * sends gdb the stop reply of the lowest-numbered vCPU with an event.  A
 * vCPU not told to run by vCont stays parked ("held") while others step.
 * Software breakpoints are written into guest memory only while the guest
 * runs and taken out at every stop, so what gdb reads is the guest's own
 * bytes.  Detaching (D, or the connection closing) takes every breakpoint
 * out and lets the guest run on; `k` ends the run (exit code 3).
 */
#ifndef MINIVMM_GDB_H
#define MINIVMM_GDB_H

struct vm;

/*
 * Listen where vm->cfg->gdb says and take the vCPUs' debug exits; with
 * cfg->start_stopped the vCPUs start parked.  After the vCPUs are
 * created, before vm_run.  -1 with err_msg() (the address is in use, ...).
 */
int gdb_stub_create(struct vm *vm);
/* The run ended with process exit code `code`: tell an attached gdb. */
void gdb_stub_run_ended(struct vm *vm, int code);
void gdb_stub_destroy(struct vm *vm);

#endif
