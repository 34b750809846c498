/* SPDX-License-Identifier: MIT */
/*
 * The virtual machine: the /dev/kvm and VM file descriptors, guest memory,
 * the two I/O buses, the devices, the vCPUs, and its lifecycle.
 *
 *   vm_create()  builds everything the machine description asks for
 *                (through the machine table and the arch hooks); -1 with
 *                err_msg() on any setup error.            -> VM_CREATED
 *   vm_run()     starts the vCPU threads and runs the main thread's event
 *                loop until the run ends; returns the process exit code.
 *                                                          -> VM_RUNNING
 *   vm_pause() / vm_resume()   park and release every vCPU  <-> VM_PAUSED
 *   a guest reset with --reboot=restart: the vCPUs are parked, devices and
 *                vCPUs reset in place (the VM fd and memory stay), the
 *                images loaded again, and the vCPUs released.
 *   the end      a stop request (any thread) ends the loop; the vCPUs are
 *                stopped and joined.                       -> VM_STOPPED
 *
 * Requests from vCPU threads and devices (stop, reset) go to the main
 * thread through an eventfd in its event loop, never as a global flag it
 * polls.
 */
#ifndef MINIVMM_VM_H
#define MINIVMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "bus.h"
#include "vm_config.h"
#include "device.h"
#include "irq.h"
#include "mem.h"
#include "vcpu.h"

/* Why the run ended; the first stop request wins. */
enum vm_stop_reason {
	VM_STOP_NONE = 0,
	VM_STOP_HALT, /* HLT with no interrupt controller (bare machine) */
	VM_STOP_POWEROFF, /* the guest asked to power off */
	VM_STOP_RESET, /* the guest asked to reset */
	VM_STOP_CRASH, /* triple fault, failed entry, internal error */
	VM_STOP_TIMEOUT, /* --timeout */
	VM_STOP_MAX_EXITS, /* --max-exits */
	VM_STOP_SIGNAL, /* SIGINT, SIGTERM, SIGHUP */
	VM_STOP_ERROR, /* the monitor itself failed (an ioctl) */
	VM_STOP_DEBUGGER, /* gdb asked to end the run (k) */
	VM_STOP_GUEST_EXIT, /* the guest chose its exit status (isa-debug-exit) */
};

/* Process exit codes (README "Exit codes", --help). */
enum {
	EXIT_GUEST_OK = 0, /* halted or powered off */
	EXIT_GUEST_CRASH = 1, /* triple fault, internal error, failed entry */
	EXIT_USAGE = 2, /* usage, configuration or image error */
	EXIT_STOPPED = 3, /* --timeout, --max-exits, a signal or gdb's kill */
	EXIT_GUEST_RESET = 4, /* the guest asked for a reset */
};

/* Where and how the boot vCPU starts (filled by the machine and loaders). */
struct boot_state {
	enum cpu_mode mode;
	uint64_t entry; /* linear address of the first instruction */
	uint64_t load_addr; /* where the image was put */
	uint64_t image_size;
	uint64_t tables_gpa; /* GDT + page tables (protected/long mode) */
	uint64_t gdt_gpa;
	uint64_t pml4_gpa;
	uint16_t cs_sel, ds_sel; /* protected/long mode selectors */
	uint64_t rsi; /* Linux: address of the zero page */
	uint64_t rbx; /* PVH: struct hvm_start_info; multiboot: its info */
	uint64_t rax; /* multiboot: the boot loader's magic */
	uint64_t dtb_gpa; /* arm64: the device tree, x0 at entry (0: none) */
	bool reset_vector; /* start as a PC after reset (F000:FFF0) */
	/*
	 * A vmlinux's PT_LOAD segments, virtual -> physical: the gdb stub
	 * reaches kernel addresses through them while the kernel's own page
	 * tables do not map them yet (before start_kernel).
	 */
	struct {
		uint64_t vaddr, paddr, size;
	} kernel_map[8];
	unsigned nr_kernel_map;
};

struct console;
struct event_loop;

enum vm_state { VM_CREATED, VM_RUNNING, VM_PAUSED, VM_STOPPED };

/* How a run is observed and bounded (copied from the description). */
struct vm_run_opts {
	unsigned trace; /* TRACE_* */
	bool stats;
	uint64_t max_exits; /* 0: no limit */
	double timeout; /* seconds for the whole run, restarts included; 0: none */
	bool reboot_restart; /* a guest reset starts the machine again */
	bool qemu_mode; /* end as QEMU does (vm_config.h) */
	int verbose;
};

/* Interrupt lines a VM hands out (vm_irq_line), at most this many. */
#define VM_MAX_IRQ_LINES 64
/* ioeventfds a VM registers (vm_ioeventfd), at most this many. */
#define VM_MAX_IOEVENTFDS 256

struct vm {
	const struct vm_config *cfg; /* the machine description (data only) */
	struct vm_run_opts opts;
	_Atomic int state; /* enum vm_state */
	int kvm_fd;
	int vm_fd;
	int run_mmap_size;
	bool pvm; /* /dev/kvm is backed by PVM: guest code is emulated */

	struct guest_mem mem;
	struct bus pio;
	struct bus mmio;
	struct boot_state boot;
	bool has_irqchip; /* HLT stays in the kernel */

	struct device_list devices;
	struct irq_line *irq_lines[VM_MAX_IRQ_LINES];
	size_t nr_irq_lines;
	pthread_mutex_t ioeventfd_lock; /* the table below */
	struct kvm_ioeventfd ioeventfds[VM_MAX_IOEVENTFDS];
	bool ioeventfd_assigned[VM_MAX_IOEVENTFDS];
	size_t nr_ioeventfds;

	struct vcpu *vcpus;
	unsigned nr_vcpus;
	vcpu_exit_fn exit_handlers[VCPU_EXIT_TABLE_SIZE];

	/* Parking the vCPUs (vcpu.c): pause, reset. */
	pthread_mutex_t park_lock;
	pthread_cond_t park_cond; /* parked vCPUs wait here */
	pthread_cond_t parked_cond; /* the pauser waits here */
	bool pause_requested; /* under park_lock */
	_Atomic bool pause_flag; /* the same, for the vCPUs' lock-free check */
	uint64_t resume_gen; /* counts releases */
	unsigned nr_parked, nr_live; /* under park_lock */

	/*
	 * The main thread's event loop, from vm_create on: devices register
	 * their back ends' fds at creation; vm_run adds its own sources.
	 */
	struct event_loop *loop;
	bool loop_owned; /* created by vm_create (not the caller's) */
	struct event_source *run_sources[3]; /* vm_run's: signals, requests, timeout */

	/* How the run ends. */
	pthread_mutex_t stop_lock;
	enum vm_stop_reason stop_reason;
	char stop_detail[512];
	int signal_fd; /* SIGINT, SIGTERM, SIGHUP, while vm_run runs */
	int event_fd; /* wakes the main thread after a stop or reset request */
	_Atomic bool stopping;
	_Atomic bool reset_pending; /* --reboot=restart: reset in place */
	_Atomic bool suspend_pending; /* ACPI S3 asked for: vm_request_suspend */
	bool suspended; /* in S3: vCPUs parked until the wake timer */
	struct event_source *wake_timer;
	unsigned nr_suspends;
	char reset_detail[256];
	unsigned nr_resets;
	unsigned nr_pauses, nr_resumes, nr_snapshots; /* the API's metrics */
	_Atomic uint64_t nr_exits; /* for --max-exits */
	int guest_exit_status; /* VM_STOP_GUEST_EXIT: the process exit status */
	int stop_signal; /* VM_STOP_SIGNAL from a host signal: its number */

	struct timespec start_time;
	struct console *console; /* host side of the serial console, or NULL */
	struct gdb_stub *gdb; /* -gdb, -s: the debugger's stub, or NULL */
	void *arch; /* arch-private VM state */
};

/* Open /dev/kvm and check the API version: shared by `run` and `caps`. */
int vm_open_kvm(void);
/* Whether /dev/kvm is served by PVM (guest code is emulated). */
bool vm_kvm_is_pvm(void);

/* Refuse a /dev/kvm without a capability minivmm needs. */
int vm_check_caps(int kvm_fd);
/* `minivmm caps`: API version, backend, each capability used. */
void vm_caps_print(int kvm_fd, FILE *out);

/* Build the whole VM for cfg (memory, devices, image, vCPUs). */
int vm_create(struct vm *vm, const struct vm_config *cfg);
/*
 * The same on the caller's event loop (the API's, which serves requests
 * before the VM exists and on through its run); vm_destroy leaves it.
 */
int vm_create_in(struct vm *vm, const struct vm_config *cfg,
		 struct event_loop *loop);
void vm_destroy(struct vm *vm);

/* Run to the end; returns the process exit code. */
int vm_run(struct vm *vm);

/*
 * The interrupt line for the architecture's interrupt number `irq` (x86: a
 * GSI of the pc machine's routing; arm64: an SPI), driven by KVM_IRQ_LINE.
 * The VM owns it; the same number gives the same line.  NULL with
 * err_msg() when the machine has no interrupt controller.
 */
struct irq_line *vm_irq_line(struct vm *vm, unsigned irq);

/*
 * Deliver the line through an irqfd (KVM_IRQFD): irq_line_pulse() then
 * writes an eventfd and the kernel injects an edge without our ioctl (the
 * path virtio interrupts take).  -1 with err_msg() without KVM_CAP_IRQFD.
 */
int vm_irq_line_use_irqfd(struct vm *vm, struct irq_line *line);

/*
 * An ioeventfd (KVM_IOEVENTFD): guest writes of `len` bytes (1, 2, 4 or 8;
 * 0 = any) to port or MMIO address `addr` only signal the returned eventfd
 * and never exit to user space (the path virtio queue notifications take).
 * With `match`, only writes of `value` do.  The VM closes it at the end;
 * vm_ioeventfd_remove() undoes it earlier.  -1 with err_msg().
 */
int vm_ioeventfd(struct vm *vm, bool pio, uint64_t addr, uint32_t len,
		 bool match, uint64_t value);
int vm_ioeventfd_remove(struct vm *vm, int fd);
/*
 * Move an ioeventfd to another address (a PCI BAR was moved): the same
 * eventfd keeps its event-loop callback.  new_addr UINT64_MAX leaves it
 * unassigned until the next move.  Any thread; -1 with err_msg().
 */
int vm_ioeventfd_move(struct vm *vm, int fd, uint64_t new_addr);

/* Register every memory region with KVM (after the machine built them). */
int vm_map_memory(struct vm *vm);

/*
 * Park every vCPU (the guest does not run until vm_resume) / release them.
 * Main thread only; -1 with err_msg() if a vCPU does not stop in time.
 */
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);

/*
 * The guest asked for a reset (any thread): with --reboot=restart the main
 * thread resets the machine in place and runs it again; otherwise the run
 * ends with VM_STOP_RESET and `detail` as its report.
 */
void vm_request_reset(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Put the machine back to its power-on state without leaving the process:
 * the vCPUs must be parked.  Devices reset, the in-kernel irqchip and
 * timer, each vCPU to its architecture's reset state, the images loaded
 * again (RAM is kept, as on a PC's warm reset).  -1 with err_msg().
 */
int vm_reset(struct vm *vm);

/*
 * Ask the VM to stop (any thread).  The first request sets the reason and
 * the one-line report; later ones are ignored.
 */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The guest asked to end the process with exit status `status`
 * (isa-debug-exit): a stop request whose run ends with that status and
 * without the one-line report, as QEMU.  Any thread.
 */
void vm_request_exit(struct vm *vm, int status);

/*
 * ACPI S3 (any thread): the main thread parks the vCPUs with RAM kept, asks
 * the machine when it wakes (arch_vm_suspend) and then resets the devices
 * and vCPUs and resumes the guest as its firmware would (arch_vm_wake).
 */
void vm_request_suspend(struct vm *vm);

int vm_exit_code(enum vm_stop_reason reason);
const char *vm_stop_reason_name(enum vm_stop_reason reason);

/* Monotonic nanoseconds. */
uint64_t vm_now_ns(void);
/* *ts = CLOCK_REALTIME now + ms (for pthread timed waits). */
void vm_realtime_after(struct timespec *ts, unsigned ms);

#endif
