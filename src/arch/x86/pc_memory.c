// SPDX-License-Identifier: MIT
/*
 * pc machine memory layout and CMOS memory bytes, following QEMU 7.2 (see
 * pc_memory.h for the rules and where each one comes from).
 */
#include "pc_memory.h"

#include <cpuid.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "log.h"
#include "strbuf.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)
#define PAGE_SIZE 4096ull
/* No guest gets near this; it keeps every sum below far from overflow. */
#define PC_MAX_RAM (1ull << 52)

/*
 * Whether this host's CPU is AMD's: under KVM the vCPUs report the host's
 * vendor (KVM_GET_SUPPORTED_CPUID; QEMU's qemu64 also takes the host's
 * vendor with KVM), and QEMU's map depends on it.
 */
static bool host_cpu_is_amd(void)
{
	unsigned a = 0, b = 0, c = 0, d = 0;

	/* "AuthenticAMD": EBX "Auth", EDX "enti", ECX "cAMD". */
	return __get_cpuid(0, &a, &b, &c, &d) && b == 0x68747541 &&
	       d == 0x69746e65 && c == 0x444d4163;
}

void pc_memory_opts_qemu_default(struct pc_memory_opts *opts)
{
	opts->kvm_identity_map = true;
	opts->cpu_amd = host_cpu_is_amd();
	opts->phys_bits = 40;
}

/* Newest minor version QEMU 7.2 has for each pc-i440fx major version. */
static int pc_max_minor(unsigned major)
{
	switch (major) {
	case 1:
		return 7; /* 1.4-1.7 */
	case 2:
		return 12;
	case 3:
		return 1;
	case 4:
	case 5:
	case 6:
	case 7:
		return 2;
	default:
		return -1;
	}
}

int pc_machine_compat(const char *machine_name, bool legacy_split,
		      struct pc_compat *out)
{
	unsigned major = 7, minor = 2;

	if (machine_name && *machine_name && strcmp(machine_name, "pc")) {
		char tail;
		int max;

		if (strncmp(machine_name, "pc-i440fx-", 10) ||
		    sscanf(machine_name + 10, "%u.%u%c", &major, &minor,
			   &tail) != 2)
			return err_set("-M %s: not a pc machine type (pc, pc-i440fx-X.Y)",
				       machine_name);
		max = pc_max_minor(major);
		if (max < 0 || minor > (unsigned)max ||
		    (major == 1 && minor < 4))
			return err_set("-M %s: unsupported machine type (QEMU 7.2 has pc-i440fx-1.4 to pc-i440fx-7.2)",
				       machine_name);
	}
	out->major = major;
	out->minor = minor;
	/* pc_i440fx_1_7_machine_options turns gigabyte alignment off. */
	out->gigabyte_align = major > 1 && !legacy_split;
	/* enforce_amd_1tb_hole is off for 7.0 and older types. */
	out->amd_1tb_hole = major > 7 || (major == 7 && minor >= 1);
	/* The "fallback" drive type of isa-fdc is 144 for 2.5 and older. */
	out->floppy_fallback_type =
		(major > 2 || (major == 2 && minor >= 6)) ? 5 : 4;
	return 0;
}

static void pc_warn(struct pc_memory_layout *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pc_warn(struct pc_memory_layout *l, const char *fmt, ...)
{
	va_list ap;

	if (l->nr_warnings == PC_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(l->warnings[l->nr_warnings++], sizeof(l->warnings[0]), fmt,
		  ap);
	va_end(ap);
}

/*
 * The low/high split of pc_init1 (hw/i386/pc_piix.c).  Also records the
 * two warnings QEMU prints for unusual max-ram-below-4g values.
 */
static int pc_split(const struct vm_config *cfg, struct pc_memory_layout *l)
{
	uint64_t max = PC_MAX_RAM_BELOW_4G_DEFAULT, lowmem;

	if (cfg->max_ram_below_4g_set) {
		/* pc_machine_set_max_ram_below_4g */
		if (cfg->max_ram_below_4g > PC_MAX_RAM_BELOW_4G_LIMIT)
			return err_set("-M pc,max-ram-below-4g: Machine option 'max-ram-below-4g=%" PRIu64
				       "' expects size less than or equal to 4G",
				       cfg->max_ram_below_4g);
		if (cfg->max_ram_below_4g && cfg->max_ram_below_4g < MiB)
			pc_warn(l,
				"Only %" PRIu64
				" bytes of RAM below the 4GiB boundary, BIOS may not work with less than 1MiB",
				cfg->max_ram_below_4g);
		/* 0 means "the default", as in QEMU. */
		if (cfg->max_ram_below_4g)
			max = cfg->max_ram_below_4g;
	}
	l->max_ram_below_4g = max;

	lowmem = max;
	if (l->ram_size >= max && l->compat.gigabyte_align) {
		if (lowmem > PC_RAM_BELOW_4G_GB_SPLIT)
			lowmem = PC_RAM_BELOW_4G_GB_SPLIT;
		if (lowmem & (GiB - 1))
			pc_warn(l,
				"Large machine and max_ram_below_4g (%" PRIu64
				") not a multiple of 1G; possible bad performance.",
				max);
	}
	if (l->ram_size >= lowmem) {
		l->below_4g = lowmem;
		l->above_4g = l->ram_size - lowmem;
	} else {
		l->below_4g = l->ram_size;
		l->above_4g = 0;
	}

	if (l->below_4g & (PAGE_SIZE - 1))
		return err_set("-M pc,max-ram-below-4g=0x%" PRIx64
			       ": RAM below 4 GiB (0x%" PRIx64
			       " bytes) is not a whole number of 4 KiB pages",
			       max, l->below_4g);
	/*
	 * The 32-bit PCI hole runs from the end of low RAM to the IOAPIC; QEMU
	 * 7.2 asserts (range_invariant) when that range is empty or negative.
	 */
	if (l->below_4g >= PC_IOAPIC_ADDR)
		return err_set("-m %" PRIu64 "M with max-ram-below-4g=0x%" PRIx64
			       ": RAM below 4 GiB would end at 0x%" PRIx64
			       ", at or past the IOAPIC at 0x%llx (QEMU 7.2 aborts on this); at most 0x%llx bytes fit below it",
			       (uint64_t)(l->ram_size / MiB), max, l->below_4g,
			       PC_IOAPIC_ADDR, PC_IOAPIC_ADDR - PAGE_SIZE);
	return 0;
}

/* QEMU 7.2 pc_max_used_gpa(): the highest address the machine may use. */
static uint64_t pc_max_used_gpa(const struct pc_memory_layout *l,
				unsigned phys_bits)
{
	uint64_t end, hole64_start;

	/* A 32-bit vCPU has no 64-bit PCI window: all it can address. */
	if (phys_bits <= 32)
		return (1ull << phys_bits) - 1;
	/* pc_above_4g_end() then pc_pci_hole64_start(): rounded to 1 GiB. */
	end = l->above_4g_start + l->above_4g;
	hole64_start = (end + GiB - 1) & ~(GiB - 1);
	return hole64_start + PC_PCI_HOLE64_SIZE - 1;
}

/* "-numa node,nodeid=N,memdev=ID" for messages. */
static const char *numa_opt(const struct numa_node *n, char *buf, size_t cap)
{
	snprintf(buf, cap, "-numa node,nodeid=%u,memdev=%s", n->nodeid,
		 n->memdev_id);
	return buf;
}

static int numa_find_memdev(const struct vm_config *cfg,
			    const struct numa_node *n)
{
	if (n->memdev >= 0 && (size_t)n->memdev < cfg->nr_objects)
		return n->memdev;
	for (size_t i = 0; i < cfg->nr_objects; i++)
		if (!strcmp(cfg->objects[i].id, n->memdev_id))
			return (int)i;
	return -1;
}

static bool cpu_bit(const uint64_t *bitmap, unsigned cpu)
{
	return bitmap[cpu / 64] >> (cpu % 64) & 1;
}

/*
 * Validate -numa the way QEMU does, in QEMU's order: per option as parsed
 * (duplicate id, CPU range, CPU already placed, memdev), then for the whole
 * set (missing ids, total size, backend reuse).  Fills l->nodes in id order
 * and l->cpu_node.
 */
static int pc_numa(const struct vm_config *cfg, struct pc_memory_layout *l)
{
	const struct numa_node *by_id[CONFIG_MAX_NUMA] = { NULL };
	int memdev_of[CONFIG_MAX_NUMA];
	unsigned max_id = 0;
	uint64_t total = 0;
	bool any_cpus = false, used[CONFIG_MAX_OBJECTS] = { false };
	char opt[96];
	unsigned unplaced = 0;
	char unplaced_list[128] = "";

	for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++)
		l->cpu_node[cpu] = -1;
	if (cfg->nr_numa == 0)
		return 0;

	for (size_t i = 0; i < cfg->nr_numa; i++) {
		const struct numa_node *n = &cfg->numa[i];
		int m;

		numa_opt(n, opt, sizeof(opt));
		if (n->nodeid >= CONFIG_MAX_NUMA)
			return err_set("%s: Max number of NUMA nodes reached: %u",
				       opt, n->nodeid);
		if (by_id[n->nodeid])
			return err_set("%s: Duplicate NUMA nodeid: %u", opt,
				       n->nodeid);
		for (unsigned cpu = 0; n->has_cpus && cpu < CONFIG_MAX_CPUS;
		     cpu++) {
			if (!cpu_bit(n->cpus, cpu))
				continue;
			if (cpu >= l->nr_cpus)
				return err_set("%s: CPU index (%u) should be smaller than maxcpus (%u)",
					       opt, cpu, l->nr_cpus);
			if (l->cpu_node[cpu] >= 0 &&
			    l->cpu_node[cpu] != (int)n->nodeid)
				return err_set("%s: CPU is already assigned to node-id: %d",
					       opt, l->cpu_node[cpu]);
			l->cpu_node[cpu] = (int)n->nodeid;
			any_cpus = true;
		}
		m = numa_find_memdev(cfg, n);
		if (m < 0)
			return err_set("%s: no -object memory-backend-ram/file has id=%s (QEMU says: memdev=%s is ambiguous)",
				       opt, n->memdev_id, n->memdev_id);
		by_id[n->nodeid] = n;
		memdev_of[n->nodeid] = m;
		if (n->nodeid + 1 > max_id)
			max_id = n->nodeid + 1;
	}

	/* numa_complete_configuration */
	for (unsigned id = 0; id < max_id; id++)
		if (!by_id[id])
			return err_set("-numa: numa: Node ID missing: %u", id);
	for (unsigned id = 0; id < max_id; id++)
		if (__builtin_add_overflow(total,
					   cfg->objects[memdev_of[id]].size,
					   &total))
			total = UINT64_MAX; /* cannot equal any valid -m */
	if (total != l->ram_size)
		return err_set("-m/-numa: total memory for NUMA nodes (0x%" PRIx64
			       ") should equal RAM size (0x%" PRIx64 ")",
			       total, l->ram_size);
	for (unsigned id = 0; id < max_id; id++) {
		int m = memdev_of[id];
		const struct mem_object *o = &cfg->objects[m];

		if (used[m])
			return err_set("%s: memory backend %s can't be used multiple times.",
				       numa_opt(by_id[id], opt, sizeof(opt)),
				       o->id);
		used[m] = true;
		if (o->size == 0 || (o->size & (PAGE_SIZE - 1)))
			return err_set("-object %s,id=%s,size=0x%" PRIx64
				       ": size must be a positive multiple of 4 KiB",
				       o->is_file ? "memory-backend-file" :
						    "memory-backend-ram",
				       o->id, o->size);
		l->nodes[id] = (struct pc_numa_node){
			.nodeid = id, .memdev = m, .size = o->size
		};
	}
	l->nr_nodes = max_id;

	/*
	 * vCPUs no node names go where QEMU's x86_get_default_cpu_node_id()
	 * puts them: socket id modulo the node count.  minivmm's vCPUs are the
	 * cores of one socket, so that is node 0.  QEMU warns when some vCPUs
	 * were placed and others not.
	 */
	for (unsigned cpu = 0; cpu < l->nr_cpus; cpu++) {
		size_t used_len = strlen(unplaced_list);

		if (l->cpu_node[cpu] >= 0)
			continue;
		l->cpu_node[cpu] = 0;
		if (any_cpus && used_len + 12 < sizeof(unplaced_list))
			snprintf(unplaced_list + used_len,
				 sizeof(unplaced_list) - used_len, "%sCPU %u",
				 unplaced ? ", " : "", cpu);
		unplaced++;
	}
	if (any_cpus && unplaced)
		pc_warn(l,
			"CPU(s) not present in any NUMA nodes: %s; they join node 0 (QEMU: partial NUMA mappings are obsolete)",
			unplaced_list);
	return 0;
}

/* Map RAM-container offsets [off, off + size) to guest-physical pieces. */
static void pc_add_pieces(struct pc_memory_layout *l, uint64_t off,
			  uint64_t size, int backend, uint64_t backend_off,
			  int node)
{
	while (size) {
		struct pc_ram_piece *p = &l->pieces[l->nr_pieces++];
		uint64_t chunk;

		if (off < l->below_4g) {
			chunk = l->below_4g - off;
			if (chunk > size)
				chunk = size;
			p->gpa = off;
		} else {
			chunk = size;
			p->gpa = l->above_4g_start + (off - l->below_4g);
		}
		p->size = chunk;
		p->backend = backend;
		p->offset = backend_off;
		p->node = node;
		if (node >= 0) {
			struct pc_numa_node *n = &l->nodes[node];

			n->ranges[n->nr_ranges++] =
				(struct pc_addr_range){ p->gpa, chunk };
		}
		off += chunk;
		backend_off += chunk;
		size -= chunk;
	}
}

int pc_memory_layout(const struct vm_config *cfg,
		     const struct pc_memory_opts *opts,
		     struct pc_memory_layout *out)
{
	struct pc_memory_layout *l = out;
	uint64_t limit;

	memset(l, 0, sizeof(*l));
	e820_init(&l->e820);
	if (pc_machine_compat(cfg->machine_name, cfg->machine_legacy_split,
			      &l->compat) < 0)
		return -1;

	l->ram_size = cfg->ram_size;
	if (l->ram_size == 0)
		return err_set("-m: the pc machine needs some RAM");
	if (l->ram_size & (PAGE_SIZE - 1))
		return err_set("-m: RAM size 0x%" PRIx64
			       " is not a whole number of 4 KiB pages",
			       l->ram_size);
	if (l->ram_size > PC_MAX_RAM)
		return err_set("-m: RAM size 0x%" PRIx64
			       " is beyond what any x86 vCPU can address",
			       l->ram_size);
	l->nr_cpus = cfg->smp ? cfg->smp : 1;
	if (l->nr_cpus > CONFIG_MAX_CPUS)
		return err_set("-smp %u: at most %d vCPUs", l->nr_cpus,
			       CONFIG_MAX_CPUS);
	if (opts->phys_bits < 32 || opts->phys_bits > 52)
		return err_set("phys-bits should be between 32 and 52 (but is %u)",
			       opts->phys_bits);

	if (pc_split(cfg, l) < 0)
		return -1;
	if (pc_numa(cfg, l) < 0)
		return -1;

	/*
	 * pc_memory_init: with an AMD vCPU on a 7.1+ type, move high RAM past
	 * the HyperTransport hole when the machine's address space would reach
	 * it, and reserve the hole when the vCPU can address it.
	 */
	l->above_4g_start = PC_HIGH_RAM_START;
	if (opts->cpu_amd && l->compat.amd_1tb_hole) {
		if (pc_max_used_gpa(l, opts->phys_bits) >= PC_AMD_HT_START)
			l->above_4g_start = PC_AMD_ABOVE_1TB_START;
		l->amd_ht_reserved = opts->phys_bits >= 40;
	}
	l->max_used_gpa = pc_max_used_gpa(l, opts->phys_bits);
	limit = (1ull << opts->phys_bits) - 1;
	if (l->max_used_gpa > limit)
		return err_set("-m %" PRIu64 "M: Address space limit 0x%" PRIx64
			       " < 0x%" PRIx64 " phys-bits too low (%u)",
			       (uint64_t)(l->ram_size / MiB), limit, l->max_used_gpa,
			       opts->phys_bits);

	/* RAM pieces, in guest-physical order. */
	if (l->nr_nodes == 0) {
		pc_add_pieces(l, 0, l->ram_size, PC_RAM_BACKEND_MAIN, 0, -1);
	} else {
		uint64_t off = 0;

		for (size_t i = 0; i < l->nr_nodes; i++) {
			pc_add_pieces(l, off, l->nodes[i].size,
				      l->nodes[i].memdev, 0, (int)i);
			off += l->nodes[i].size;
		}
	}

	/* E820 in QEMU's order (see pc_memory.h). */
	if (opts->kvm_identity_map &&
	    e820_add(&l->e820, X86_IDENTITY_MAP_ADDR, X86_IDENTITY_TSS_SIZE,
		     E820_RESERVED) < 0)
		return -1;
	if (l->amd_ht_reserved &&
	    e820_add(&l->e820, PC_AMD_HT_START, PC_AMD_HT_SIZE,
		     E820_RESERVED) < 0)
		return -1;
	if (e820_add(&l->e820, 0, l->below_4g, E820_RAM) < 0)
		return -1;
	if (l->above_4g &&
	    e820_add(&l->e820, l->above_4g_start, l->above_4g, E820_RAM) < 0)
		return -1;
	for (size_t i = 0; i < cfg->nr_e820; i++) {
		const struct e820_user *u = &cfg->e820[i];

		if (e820_add(&l->e820, u->addr, u->size, u->type) < 0)
			return err_set("--e820 %s,0x%" PRIx64 ",0x%" PRIx64
				       ": %s",
				       e820_type_name(u->type), u->addr,
				       u->size, err_msg());
	}
	return 0;
}

/* ---- CMOS ---------------------------------------------------------------- */

static int cmos_put16(struct cmos *cmos, unsigned addr, uint64_t v)
{
	if (cmos_set_byte(cmos, addr, (uint8_t)v) < 0 ||
	    cmos_set_byte(cmos, addr + 1, (uint8_t)(v >> 8)) < 0)
		return -1;
	return 0;
}

int pc_cmos_set_boot_order(struct cmos *cmos, const char *order,
			   bool fd_bootchk)
{
	uint8_t nib[3] = { 0, 0, 0 };
	size_t n = strlen(order);

	if (n > 3)
		return err_set("-boot %s: Too many boot devices for PC", order);
	for (size_t i = 0; i < n; i++) {
		switch (order[i]) {
		case 'a':
		case 'b':
			nib[i] = 1; /* floppy */
			break;
		case 'c':
			nib[i] = 2; /* hard disk */
			break;
		case 'd':
			nib[i] = 3; /* CD-ROM */
			break;
		case 'n':
			nib[i] = 4; /* network */
			break;
		default:
			return err_set("-boot %s: Invalid boot device for PC: '%c'",
				       order, order[i]);
		}
	}
	if (cmos_set_byte(cmos, 0x3d, (uint8_t)(nib[1] << 4 | nib[0])) < 0 ||
	    cmos_set_byte(cmos, 0x38,
			  (uint8_t)(nib[2] << 4 | (fd_bootchk ? 0 : 1))) < 0)
		return -1;
	return 0;
}

int pc_cmos_set_floppy(struct cmos *cmos, uint8_t type_a, uint8_t type_b)
{
	unsigned drives = (type_a != 0) + (type_b != 0);
	int equip;

	if (type_a > 5 || type_b > 5)
		return err_set("cmos: floppy drive types are 0-5, not %u/%u",
			       type_a, type_b);
	if (cmos_set_byte(cmos, 0x10, (uint8_t)(type_a << 4 | type_b)) < 0)
		return -1;
	equip = cmos_get_byte(cmos, 0x14);
	if (equip < 0)
		return -1;
	/* Bit 0: boot floppy present; bit 6: a second drive. */
	equip &= ~0x41;
	if (drives == 1)
		equip |= 0x01;
	else if (drives == 2)
		equip |= 0x41;
	return cmos_set_byte(cmos, 0x14, (uint8_t)equip);
}

int pc_cmos_init_memory(struct cmos *cmos,
			const struct pc_memory_layout *layout)
{
	uint64_t low = layout->below_4g, v;

	/* Base memory: the first 640 KiB. */
	v = low / KiB;
	if (v > PC_BASE_MEMORY_END / KiB)
		v = PC_BASE_MEMORY_END / KiB;
	if (cmos_put16(cmos, 0x15, v) < 0)
		return -1;
	/* Extended memory from 1 MiB, in KiB; written twice. */
	v = low > MiB ? (low - MiB) / KiB : 0;
	if (v > 0xffff)
		v = 0xffff;
	if (cmos_put16(cmos, 0x17, v) < 0 || cmos_put16(cmos, 0x30, v) < 0)
		return -1;
	/* From 16 MiB to the end of low RAM, in 64 KiB units. */
	v = low > 16 * MiB ? (low - 16 * MiB) / (64 * KiB) : 0;
	if (v > 0xffff)
		v = 0xffff;
	if (cmos_put16(cmos, 0x34, v) < 0)
		return -1;
	/* Above 4 GiB, in 64 KiB units, 24 bits. */
	v = layout->above_4g / (64 * KiB);
	if (cmos_put16(cmos, 0x5b, v) < 0 ||
	    cmos_set_byte(cmos, 0x5d, (uint8_t)(v >> 16)) < 0)
		return -1;
	/* vCPUs - 1; a count above 255 leaves firmware to ask fw_cfg. */
	if (cmos_set_byte(cmos, 0x5f,
			  layout->nr_cpus > 255 ? 0 :
						  (uint8_t)(layout->nr_cpus - 1)) < 0)
		return -1;
	/* The pc machine's default boot order, floppy signature check on. */
	if (pc_cmos_set_boot_order(cmos, "cad", true) < 0)
		return -1;
	/* Equipment: FPU and PS/2 mouse; no floppy drives (yet). */
	if (cmos_set_byte(cmos, 0x14, 0x02 | 0x04) < 0 ||
	    pc_cmos_set_floppy(cmos, 0, 0) < 0)
		return -1;
	/* No IDE disks: no drive types, no geometry translation. */
	if (cmos_set_byte(cmos, 0x12, 0) < 0 || cmos_set_byte(cmos, 0x39, 0) < 0)
		return -1;
	return 0;
}

/* ---- listing ------------------------------------------------------------- */

size_t pc_memory_format(const struct pc_memory_layout *l, char *buf,
			size_t cap)
{
	char s1[32], s2[32];
	size_t len = 0;

	if (cap)
		buf[0] = '\0';
	e820_format_size(l->below_4g, s1, sizeof(s1));
	e820_format_size(l->above_4g, s2, sizeof(s2));
	strbuf_appendf(buf, cap, &len, "pc-i440fx-%u.%u: %s below 4 GiB, ",
		l->compat.major, l->compat.minor, s1);
	if (l->above_4g)
		strbuf_appendf(buf, cap, &len, "%s from 0x%" PRIx64, s2,
			l->above_4g_start);
	else
		strbuf_appendf(buf, cap, &len, "none above");
	strbuf_appendf(buf, cap, &len, " (max-ram-below-4g 0x%" PRIx64 ")\n",
		l->max_ram_below_4g);
	strbuf_appendf(buf, cap, &len, "RAM pieces:\n");
	for (size_t i = 0; i < l->nr_pieces; i++) {
		const struct pc_ram_piece *p = &l->pieces[i];

		e820_format_size(p->size, s1, sizeof(s1));
		strbuf_appendf(buf, cap, &len,
			"  0x%016" PRIx64 "-0x%016" PRIx64 " %-10s backend %d +0x%" PRIx64,
			p->gpa, p->gpa + p->size - 1, s1, p->backend,
			p->offset);
		if (p->node >= 0)
			strbuf_appendf(buf, cap, &len, " node %d", p->node);
		strbuf_appendf(buf, cap, &len, "\n");
	}
	for (size_t i = 0; i < l->nr_nodes; i++) {
		const struct pc_numa_node *n = &l->nodes[i];

		e820_format_size(n->size, s1, sizeof(s1));
		strbuf_appendf(buf, cap, &len, "NUMA node %u: %s, cpus", n->nodeid,
			s1);
		for (unsigned cpu = 0; cpu < l->nr_cpus; cpu++)
			if (l->cpu_node[cpu] == (int)n->nodeid)
				strbuf_appendf(buf, cap, &len, " %u", cpu);
		strbuf_appendf(buf, cap, &len, "\n");
	}
	strbuf_appendf(buf, cap, &len, "E820:\n");
	len += e820_format(&l->e820, len < cap ? buf + len : NULL,
			   len < cap ? cap - len : 0);
	return len;
}
