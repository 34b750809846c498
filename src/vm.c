// SPDX-License-Identifier: MIT
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/arch.h"
#include "event_loop.h"
#include "console.h"
#include "gdb/gdb.h"
#include "log.h"
#include "machine.h"

/* KVM_GET_API_VERSION has been 12 since Linux 2.6.22 and is stable ABI. */
#define KVM_REQUIRED_API 12

uint64_t vm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vm_realtime_after(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int vm_open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), version;

	if (fd < 0) {
		if (errno == ENOENT)
			return err_set("/dev/kvm does not exist: this host offers no KVM (load kvm_intel or kvm_amd, or enable nested virtualization)");
		if (errno == EACCES)
			return err_errno("/dev/kvm (add your user to the 'kvm' group)");
		return err_errno("/dev/kvm");
	}
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_REQUIRED_API) {
		close(fd);
		return err_set("/dev/kvm: KVM API version %d, minivmm needs %d",
			       version, KVM_REQUIRED_API);
	}
	return fd;
}

bool vm_kvm_is_pvm(void)
{
	/* The PVM module (kvm_pvm) serves /dev/kvm without VMX/SVM. */
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

/* Capabilities every architecture needs. */
static const struct arch_cap generic_caps[] = {
	{ KVM_CAP_USER_MEMORY, "USER_MEMORY", true, "guest RAM from our mappings" },
	{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT", true,
	  "stopping a vCPU without races (--timeout, signals)" },
	{ KVM_CAP_NR_MEMSLOTS, "NR_MEMSLOTS", false, "number of memory slots" },
	{ KVM_CAP_READONLY_MEM, "READONLY_MEM", false, "firmware as ROM (pc)" },
};

int vm_check_caps(int kvm_fd)
{
	const struct arch_cap *lists[2];
	size_t counts[2];

	lists[0] = generic_caps;
	counts[0] = sizeof(generic_caps) / sizeof(generic_caps[0]);
	lists[1] = arch_caps(&counts[1]);
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			const struct arch_cap *c = &lists[l][i];

			if (c->required &&
			    ioctl(kvm_fd, KVM_CHECK_EXTENSION, c->cap) <= 0)
				return err_set("/dev/kvm lacks KVM_CAP_%s, needed for %s",
					       c->name, c->why);
		}
	}
	return 0;
}

void vm_caps_print(int kvm_fd, FILE *out)
{
	const struct arch_cap *lists[2];
	size_t counts[2];
	int mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	bool pvm = vm_kvm_is_pvm();

	fprintf(out, "KVM API version %d\n",
		ioctl(kvm_fd, KVM_GET_API_VERSION, 0));
	fprintf(out, "vCPU mmap size %d bytes (struct kvm_run is %zu)\n",
		mmap_size, sizeof(struct kvm_run));
	fprintf(out, "backend: %s\n",
		pvm ? "PVM (kvm_pvm): guest code is emulated instruction by instruction, ~2 M instructions/s; Linux guests are impractical here" :
		      "hardware virtualization");
	lists[0] = generic_caps;
	counts[0] = sizeof(generic_caps) / sizeof(generic_caps[0]);
	lists[1] = arch_caps(&counts[1]);
	fprintf(out, "capabilities minivmm uses:\n");
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			const struct arch_cap *c = &lists[l][i];
			int v = ioctl(kvm_fd, KVM_CHECK_EXTENSION, c->cap);

			char val[24];

			if (v > 1)
				snprintf(val, sizeof(val), "yes (%d)", v);
			else
				snprintf(val, sizeof(val), "%s",
					 v > 0 ? "yes" : "MISSING");
			fprintf(out, "  %-22s %-12s %s%s\n", c->name, val,
				c->why, c->required ? " (required)" : "");
		}
	}
	arch_caps_print(kvm_fd, out);
}

static void vm_irq_line_set(struct irq_line *line, bool level)
{
	struct vm *vm = line->ctx;
	struct kvm_irq_level l = {
		.irq = arch_irq_kvm_number(line->irq),
		.level = level,
	};

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		log_warn("KVM_IRQ_LINE %u: %s", line->irq, strerror(errno));
}

struct irq_line *vm_irq_line(struct vm *vm, unsigned irq)
{
	struct irq_line *line;

	if (!vm->has_irqchip) {
		err_set("interrupt %u: this machine has no interrupt controller",
			irq);
		return NULL;
	}
	for (size_t i = 0; i < vm->nr_irq_lines; i++)
		if (vm->irq_lines[i]->irq == irq)
			return vm->irq_lines[i];
	if (vm->nr_irq_lines == VM_MAX_IRQ_LINES) {
		err_set("interrupt %u: more than %d interrupt lines", irq,
			VM_MAX_IRQ_LINES);
		return NULL;
	}
	line = malloc(sizeof(*line));
	if (!line) {
		err_set("out of memory");
		return NULL;
	}
	irq_line_init(line, irq, vm_irq_line_set, vm);
	vm->irq_lines[vm->nr_irq_lines++] = line;
	return line;
}

int vm_map_memory(struct vm *vm)
{
	for (size_t i = 0; i < vm->mem.nr_regions; i++) {
		const struct mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region slot = {
			.slot = r->slot,
			.flags = r->readonly ? KVM_MEM_READONLY : 0,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uint64_t)(uintptr_t)r->hva,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return err_errno("KVM_SET_USER_MEMORY_REGION %s (0x%llx+0x%llx)",
					 r->name, (unsigned long long)r->gpa,
					 (unsigned long long)r->size);
	}
	return 0;
}

int vm_irq_line_use_irqfd(struct vm *vm, struct irq_line *line)
{
	struct kvm_irqfd irqfd = { .gsi = line->irq };
	int fd;

	if (line->irqfd >= 0)
		return 0;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0)
		return err_set("interrupt %u: this host has no KVM_CAP_IRQFD",
			       line->irq);
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return err_errno("eventfd");
	irqfd.fd = (uint32_t)fd;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		err_errno("KVM_IRQFD for interrupt %u", line->irq);
		close(fd);
		return -1;
	}
	line->irqfd = fd;
	return 0;
}

int vm_ioeventfd(struct vm *vm, bool pio, uint64_t addr, uint32_t len,
		 bool match, uint64_t value)
{
	struct kvm_ioeventfd io = {
		.datamatch = value,
		.addr = addr,
		.len = len,
		.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (match ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0),
	};
	int fd;

	if (len != 0 && len != 1 && len != 2 && len != 4 && len != 8)
		return err_set("ioeventfd at 0x%llx: length %u is not 0, 1, 2, 4 or 8",
			       (unsigned long long)addr, len);
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) <= 0)
		return err_set("this host has no KVM_CAP_IOEVENTFD");
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return err_errno("eventfd");
	io.fd = fd;
	pthread_mutex_lock(&vm->ioeventfd_lock);
	if (vm->nr_ioeventfds == VM_MAX_IOEVENTFDS) {
		pthread_mutex_unlock(&vm->ioeventfd_lock);
		close(fd);
		return err_set("ioeventfd at 0x%llx: more than %d",
			       (unsigned long long)addr, VM_MAX_IOEVENTFDS);
	}
	/* UINT64_MAX: made now, assigned when vm_ioeventfd_move gives a place. */
	if (addr != UINT64_MAX && ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		pthread_mutex_unlock(&vm->ioeventfd_lock);
		err_errno("KVM_IOEVENTFD %s 0x%llx", pio ? "port" : "MMIO",
			  (unsigned long long)addr);
		close(fd);
		return -1;
	}
	vm->ioeventfd_assigned[vm->nr_ioeventfds] = addr != UINT64_MAX;
	vm->ioeventfds[vm->nr_ioeventfds++] = io;
	pthread_mutex_unlock(&vm->ioeventfd_lock);
	return fd;
}

static void ioeventfd_deassign(struct vm *vm, size_t i)
{
	struct kvm_ioeventfd io = vm->ioeventfds[i];

	if (!vm->ioeventfd_assigned[i])
		return;
	io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (vm->vm_fd >= 0 && ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		log_warn("KVM_IOEVENTFD deassign 0x%llx: %s",
			 (unsigned long long)io.addr, strerror(errno));
	vm->ioeventfd_assigned[i] = false;
}

static ssize_t ioeventfd_find(struct vm *vm, int fd)
{
	for (size_t i = 0; i < vm->nr_ioeventfds; i++)
		if (vm->ioeventfds[i].fd == fd)
			return (ssize_t)i;
	return -1;
}

int vm_ioeventfd_move(struct vm *vm, int fd, uint64_t new_addr)
{
	ssize_t i;
	int r = 0;

	pthread_mutex_lock(&vm->ioeventfd_lock);
	i = ioeventfd_find(vm, fd);
	if (i < 0) {
		r = err_set("ioeventfd %d: not registered", fd);
	} else {
		ioeventfd_deassign(vm, (size_t)i);
		vm->ioeventfds[i].addr = new_addr;
		if (new_addr != UINT64_MAX) {
			if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &vm->ioeventfds[i]) < 0)
				r = err_errno("KVM_IOEVENTFD at 0x%llx",
					      (unsigned long long)new_addr);
			else
				vm->ioeventfd_assigned[i] = true;
		}
	}
	pthread_mutex_unlock(&vm->ioeventfd_lock);
	return r;
}

int vm_ioeventfd_remove(struct vm *vm, int fd)
{
	ssize_t i;

	pthread_mutex_lock(&vm->ioeventfd_lock);
	i = ioeventfd_find(vm, fd);
	if (i < 0) {
		pthread_mutex_unlock(&vm->ioeventfd_lock);
		return err_set("ioeventfd %d: not registered", fd);
	}
	ioeventfd_deassign(vm, (size_t)i);
	close(fd);
	vm->nr_ioeventfds--;
	vm->ioeventfds[i] = vm->ioeventfds[vm->nr_ioeventfds];
	vm->ioeventfd_assigned[i] = vm->ioeventfd_assigned[vm->nr_ioeventfds];
	pthread_mutex_unlock(&vm->ioeventfd_lock);
	return 0;
}

static void vm_opts_from(struct vm_run_opts *o, const struct vm_config *cfg)
{
	o->trace = cfg->trace;
	o->stats = cfg->stats;
	o->max_exits = cfg->max_exits;
	o->timeout = cfg->timeout;
	o->reboot_restart = cfg->reboot_restart;
	o->verbose = cfg->verbose;
	o->qemu_mode = cfg->qemu_mode;
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	return vm_create_in(vm, cfg, NULL);
}

int vm_create_in(struct vm *vm, const struct vm_config *cfg,
		 struct event_loop *loop)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm_opts_from(&vm->opts, cfg);
	atomic_store(&vm->state, VM_CREATED);
	vm->kvm_fd = vm->vm_fd = vm->event_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &vm->start_time);
	mem_init(&vm->mem);
	bus_init(&vm->pio, "io", 0x10000);
	bus_init(&vm->mmio, "mmio", 0);
	device_list_init(&vm->devices);
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_mutex_init(&vm->park_lock, NULL);
	pthread_mutex_init(&vm->ioeventfd_lock, NULL);
	pthread_cond_init(&vm->park_cond, NULL);
	pthread_cond_init(&vm->parked_cond, NULL);
	vcpu_exits_register_generic(vm);
	arch_exits_register(vm);

	vm->signal_fd = -1;
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0)
		return err_errno("eventfd");
	vm->loop_owned = !loop;
	vm->loop = loop ? loop : event_loop_create();
	if (!vm->loop)
		return -1;
	vm->kvm_fd = vm_open_kvm();
	if (vm->kvm_fd < 0)
		return -1;
	vm->pvm = vm_kvm_is_pvm();
	if (vm_check_caps(vm->kvm_fd) < 0)
		return -1;
	vm->run_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_mmap_size < (int)sizeof(struct kvm_run))
		return err_set("KVM_GET_VCPU_MMAP_SIZE is %d, smaller than struct kvm_run (%zu)",
			       vm->run_mmap_size, sizeof(struct kvm_run));

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, arch_vm_type(cfg));
	if (vm->vm_fd < 0)
		return err_errno("KVM_CREATE_VM");
	if (arch_vm_init(vm) < 0)
		return -1;
	if (machine_create(vm) < 0)
		return -1;
	if (vm_map_memory(vm) < 0)
		return -1;

	vm->nr_vcpus = cfg->smp;
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return err_set("out of memory for %u vCPUs", vm->nr_vcpus);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vcpu_create(vm, i, &vm->vcpus[i]) < 0)
			return -1;
	if (arch_vcpus_ready(vm) < 0)
		return -1;
	return gdb_stub_create(vm);
}

void vm_destroy(struct vm *vm)
{
	if (vm->vcpus) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
		vm->vcpus = NULL;
	}
	gdb_stub_destroy(vm);
	device_list_destroy(&vm->devices);
	while (vm->nr_ioeventfds)
		vm_ioeventfd_remove(vm, vm->ioeventfds[0].fd);
	if (vm->loop_owned)
		event_loop_destroy(vm->loop); /* after the devices' sources went */
	vm->loop = NULL;
	/* After the UART that writes to it (its input left the loop in vm_run). */
	console_destroy(vm->console);
	vm->console = NULL;
	for (size_t i = 0; i < vm->nr_irq_lines; i++) {
		if (vm->irq_lines[i]->irqfd >= 0)
			close(vm->irq_lines[i]->irqfd);
		free(vm->irq_lines[i]);
	}
	vm->nr_irq_lines = 0;
	arch_vm_destroy(vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	vm->vm_fd = vm->kvm_fd = vm->event_fd = -1;
	mem_destroy(&vm->mem);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->stop_lock);
	pthread_mutex_destroy(&vm->park_lock);
	pthread_mutex_destroy(&vm->ioeventfd_lock);
	pthread_cond_destroy(&vm->park_cond);
	pthread_cond_destroy(&vm->parked_cond);
	atomic_store(&vm->state, VM_STOPPED);
}

