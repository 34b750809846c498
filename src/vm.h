/* SPDX-License-Identifier: MIT */
/*
 * The virtual machine: the /dev/kvm and VM file descriptors, guest memory,
 * the two I/O buses, the devices, the vCPUs, and how a run ends.
 *
 * vm_create() builds everything the configuration asks for (through the
 * machine table and the arch hooks) and returns -1 with err_msg() on any
 * setup error; vm_run() starts the vCPU threads and waits on signals, the
 * timeout and the vCPUs' stop requests, and returns the process exit code.
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
#include "config.h"
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
};

/* Process exit codes (README "Exit codes", --help). */
enum {
	EXIT_GUEST_OK = 0, /* halted or powered off */
	EXIT_GUEST_CRASH = 1, /* triple fault, internal error, failed entry */
	EXIT_USAGE = 2, /* usage, configuration or image error */
	EXIT_STOPPED = 3, /* --timeout, --max-exits or a signal */
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
	uint64_t rbx; /* PVH: address of struct hvm_start_info */
	uint64_t dtb_gpa; /* arm64: the device tree, x0 at entry (0: none) */
	bool reset_vector; /* start as a PC after reset (F000:FFF0) */
};

struct console;

/* Interrupt lines a VM hands out (vm_irq_line), at most this many. */
#define VM_MAX_IRQ_LINES 64

struct vm {
	const struct vm_config *cfg;
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

	struct vcpu *vcpus;
	unsigned nr_vcpus;

	/* How the run ends. */
	pthread_mutex_t stop_lock;
	enum vm_stop_reason stop_reason;
	char stop_detail[512];
	int event_fd; /* a vCPU writes here after requesting a stop */
	_Atomic bool stopping;
	_Atomic uint64_t nr_exits; /* for --max-exits */

	struct timespec start_time;
	struct console *console; /* host side of the serial console, or NULL */
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

/* Register every memory region with KVM (after the machine built them). */
int vm_map_memory(struct vm *vm);

/*
 * Ask the VM to stop (any thread).  The first request sets the reason and
 * the one-line report; later ones are ignored.
 */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int vm_exit_code(enum vm_stop_reason reason);
const char *vm_stop_reason_name(enum vm_stop_reason reason);

/* Monotonic nanoseconds. */
uint64_t vm_now_ns(void);

#endif
