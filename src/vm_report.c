// SPDX-License-Identifier: MIT
#include "vm_report.h"

#include "arch/arch.h"
#include "config.h"
#include "virtio/devices.h"
#include "vm.h"

static void print_size(FILE *out, uint64_t bytes)
{
	if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
		fprintf(out, "%llu GiB", (unsigned long long)(bytes >> 30));
	else if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0)
		fprintf(out, "%llu MiB", (unsigned long long)(bytes >> 20));
	else if (bytes >= 1024 && bytes % 1024 == 0)
		fprintf(out, "%llu KiB", (unsigned long long)(bytes >> 10));
	else
		fprintf(out, "%llu bytes", (unsigned long long)bytes);
}

void vm_report_memory(const struct vm *vm, FILE *out)
{
	fprintf(out, "memory map (guest-physical, one KVM memslot each):\n");
	for (size_t i = 0; i < vm->mem.nr_regions; i++) {
		const struct mem_region *r = &vm->mem.regions[i];
		const struct mem_backend *b = r->backend;

		fprintf(out, "  slot %-2u 0x%012llx-0x%012llx %-10s ", r->slot,
			(unsigned long long)r->gpa,
			(unsigned long long)(r->gpa + r->size - 1), r->name);
		print_size(out, r->size);
		fprintf(out, ", %s%s, backend %s (%s)\n",
			r->is_ram ? "ram" : "rom",
			r->readonly ? " read-only" : "", b->name,
			b->is_file ? "shared file mapping" : "anonymous");
	}
}

static void report_bus(const struct bus *bus, FILE *out)
{
	for (size_t i = 0; i < bus->nr_ranges; i++) {
		const struct bus_range *r = &bus->ranges[i];

		fprintf(out, "  %-4s 0x%llx-0x%llx %s\n", bus->name,
			(unsigned long long)r->base,
			(unsigned long long)(r->base + r->len - 1), r->name);
	}
}

void vm_report_setup(struct vm *vm, FILE *out)
{
	const struct vm_config *cfg = vm->cfg;
	const struct boot_state *b = &vm->boot;
	char cpu[128];

	fprintf(out, "machine: %s (%s); %u vCPU%s; %s%s%s; KVM backend: %s\n",
		cfg->machine_name, cfg->machine_why, vm->nr_vcpus,
		vm->nr_vcpus == 1 ? "" : "s",
		vm->has_irqchip ? "in-kernel irqchip" :
				  "no interrupt controller (",
		vm->has_irqchip ? "" : arch_info()->bare_end,
		vm->has_irqchip ? "" : ")",
		vm->pvm ? "PVM (guest code emulated)" : "hardware");
	arch_cpu_describe(vm, cpu, sizeof(cpu));
	fprintf(out, "cpu: %s%s%s%s\n", cfg->cpu_model ? cfg->cpu_model : "host",
		cfg->cpu_features ? "," : "",
		cfg->cpu_features ? cfg->cpu_features : "", cpu);
	vm_report_memory(vm, out);
	fprintf(out, "devices:\n");
	report_bus(&vm->pio, out);
	report_bus(&vm->mmio, out);
	virtio_devices_describe(cfg, out);
	if (!b->reset_vector)
		fprintf(out, "image: %s, %llu bytes at 0x%llx; entry 0x%llx in ",
			cfg->kernel ? cfg->kernel :
			cfg->image  ? cfg->image :
				      "built-in demo guest",
			(unsigned long long)b->image_size,
			(unsigned long long)b->load_addr,
			(unsigned long long)b->entry);
	if (!b->reset_vector && !arch_info()->has_cpu_modes) {
		fprintf(out, "EL1h, MMU off; x0 0x%llx (%s)\n",
			(unsigned long long)b->dtb_gpa,
			b->dtb_gpa ? "the device tree" : "no device tree");
	} else if (!b->reset_vector) {
		fprintf(out, "%s mode\n", config_mode_name(b->mode));
		if (b->mode != CPU_MODE_REAL)
			fprintf(out, "boot tables: GDT at 0x%llx%s\n",
				(unsigned long long)b->gdt_gpa,
				b->mode == CPU_MODE_LONG ?
					", identity page tables (0-4 GiB, 2 MiB pages) from PML4 at the next page" :
					"");
	}
	if (vm->nr_vcpus)
		arch_vcpu_dump(&vm->vcpus[0], out);
}

void vm_report_stats(struct vm *vm, FILE *out)
{
	struct vcpu_stats total = { 0 };
	uint64_t exits = 0, handle_ns = 0;

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu_stats *s = &vm->vcpus[i].stats;

		for (int r = 0; r < VCPU_STAT_REASONS; r++) {
			total.count[r] += s->count[r];
			total.handle_ns[r] += s->handle_ns[r];
		}
		total.run_ns += s->run_ns;
		total.pio_count += s->pio_count;
		total.mmio_count += s->mmio_count;
	}
	fprintf(out, "exit statistics (all vCPUs):\n");
	fprintf(out, "  %-16s %12s %14s %12s\n", "reason", "count",
		"handling ms", "avg us");
	for (int r = 0; r < VCPU_STAT_REASONS; r++) {
		if (!total.count[r])
			continue;
		exits += total.count[r];
		handle_ns += total.handle_ns[r];
		fprintf(out, "  %-16s %12llu %14.3f %12.2f\n",
			r == VCPU_STAT_REASONS - 1 ? "other" :
						     vcpu_exit_name((uint32_t)r),
			(unsigned long long)total.count[r],
			(double)total.handle_ns[r] / 1e6,
			(double)total.handle_ns[r] / 1e3 /
				(double)total.count[r]);
	}
	fprintf(out, "  %-16s %12llu %14.3f\n", "total",
		(unsigned long long)exits, (double)handle_ns / 1e6);
	fprintf(out, "  vCPU run time (inside KVM_RUN): %.3f ms; port accesses %llu, MMIO accesses %llu\n",
		(double)total.run_ns / 1e6,
		(unsigned long long)total.pio_count,
		(unsigned long long)total.mmio_count);
	fprintf(out, "  wall time since start: %.3f ms\n",
		(double)(vm_now_ns() -
			 ((uint64_t)vm->start_time.tv_sec * 1000000000ull +
			  (uint64_t)vm->start_time.tv_nsec)) /
			1e6);
}
