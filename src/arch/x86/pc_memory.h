/* SPDX-License-Identifier: MIT */
/*
 * The pc machine's memory layout, computed from a struct vm_config exactly
 * as QEMU 7.2's i440fx "pc" machine computes it (hw/i386/pc_piix.c
 * pc_init1, hw/i386/pc.c pc_memory_init, hw/core/numa.c), plus the CMOS
 * bytes QEMU's pc_cmos_init writes from it.  Pure computation: no KVM, no
 * allocation, every refusal an err_set() message naming the option.
 *
 * The split (pc_init1):
 *   lowmem = max-ram-below-4g, or 3.5 GiB (0xe0000000) when not given or 0;
 *   if RAM >= max-ram-below-4g and the machine type is newer than 1.7
 *   ("gigabyte_align"), lowmem is lowered to 3 GiB if it was above;
 *   RAM >= lowmem: lowmem below 4 GiB, the rest from 4 GiB up;
 *   otherwise everything below 4 GiB.
 *   -m 4G -> 3072 MiB low + 1024 MiB high; -M pc-i440fx-1.7 -m 4G -> 3584 +
 *   512; max-ram-below-4g=2G -m 4G -> 2048 + 2048; max-ram-below-4g=4G
 *   -m 3968M -> 3968 MiB low.
 *
 * The E820 table, in QEMU's order (all checked against QEMU 7.2's etc/e820):
 *   1. RESERVED 0xfeffc000 + 16 KiB when opts->kvm_identity_map (QEMU adds it
 *      in kvm_arch_init, before the machine exists, whenever KVM has
 *      KVM_CAP_SET_IDENTITY_MAP_ADDR);
 *   2. RESERVED 0xfd00000000-0x10000000000 (AMD HyperTransport) when the
 *      vCPU vendor is AMD, the machine type is 7.1 or newer and the vCPU has
 *      at least 40 physical address bits.  QEMU's default CPU (qemu64) is
 *      AuthenticAMD with 40 bits, so a plain `qemu -M pc` lists it on any
 *      host; an Intel vCPU or phys-bits < 40 does not;
 *   3. RAM 0 .. low RAM;
 *   4. RAM above 4 GiB, if any.  It starts at 4 GiB unless (AMD vendor,
 *      type >= 7.1) the highest guest address the machine may use (end of
 *      high RAM rounded up to 1 GiB, plus the 2 GiB 64-bit PCI window) would
 *      reach the HyperTransport hole: then it starts at 1 TiB.  Adding the
 *      entry (2.) and moving RAM (4.) are independent decisions in QEMU;
 *   5. the user's --e820 entries, in command-line order (a minivmm option;
 *      QEMU has none).  They follow e820_add()'s rules, so one that overlaps
 *      RAM or a reservation is refused.
 *
 * NUMA (-object memory-backend-*,id=X,size=S + -numa node,memdev=X): QEMU
 * builds one RAM container from the node backends in node-id order, then
 * maps its first `below_4g` bytes at 0 and the rest at the high-RAM start,
 * so a node can be cut in two by the PCI hole.  The layout lists the
 * resulting pieces (one KVM memslot each) and each node's ranges.
 */
#ifndef MINIVMM_X86_PC_MEMORY_H
#define MINIVMM_X86_PC_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dev/cmos.h"
#include "e820.h"

/* Facts about the host KVM and the vCPU model the layout depends on. */
struct pc_memory_opts {
	/*
	 * KVM_CAP_SET_IDENTITY_MAP_ADDR: reserve the 4 pages at 0xfeffc000.
	 * (QEMU on a KVM without the capability reserves KVM's old fixed
	 * 0xfffbc000 instead; that case is not modelled: false = no entry.)
	 */
	bool kvm_identity_map;
	/*
	 * The vCPU's CPUID vendor is AuthenticAMD.  It is the *guest* CPU
	 * model that counts in QEMU (IS_AMD_CPU on the first vCPU), not the
	 * host: pass what the vCPUs' CPUID will say.
	 */
	bool cpu_amd;
	/* The vCPU's physical address width (CPUID 0x80000008 EAX[7:0]). */
	unsigned phys_bits;
};

/*
 * What QEMU 7.2 uses with -accel kvm and no -cpu: identity map on, qemu64
 * (AMD vendor, 40 physical address bits).  Use it to get QEMU's exact map.
 */
void pc_memory_opts_qemu_default(struct pc_memory_opts *opts);

/* Per-machine-type differences that touch memory and CMOS. */
struct pc_compat {
	unsigned major, minor; /* pc-i440fx-MAJOR.MINOR; "pc" is 7.2 */
	bool gigabyte_align; /* > 1.7: lower the split to 3 GiB */
	bool amd_1tb_hole; /* >= 7.1: AMD HyperTransport handling */
	/*
	 * CMOS drive type QEMU reports for floppy A with no disk inserted: its
	 * always-present i440fx floppy controller falls back to 2.88 MB (type
	 * 5) from 2.6 on, 1.44 MB (type 4) before.
	 */
	uint8_t floppy_fallback_type;
};

/*
 * Machine-type compatibility from the -M name: "pc" or "" is pc-i440fx-7.2;
 * "pc-i440fx-X.Y" must be a type QEMU 7.2 knows (1.4-1.7, 2.0-2.12, 3.0-3.1,
 * 4.0-4.2, 5.0-5.2, 6.0-6.2, 7.0-7.2).  `legacy_split` (the config's
 * machine_legacy_split) forces the 3.5 GiB split as well.
 */
int pc_machine_compat(const char *machine_name, bool legacy_split,
		      struct pc_compat *out);

/* Backend index of the machine's own RAM (no NUMA): one "pc.ram" of -m. */
#define PC_RAM_BACKEND_MAIN (-1)
#define PC_MAX_RAM_PIECES (2 * CONFIG_MAX_NUMA + 2)
#define PC_MAX_WARNINGS 4

/* One guest-physical window of a backend: becomes one memslot. */
struct pc_ram_piece {
	uint64_t gpa;
	uint64_t size;
	int backend; /* PC_RAM_BACKEND_MAIN, or an index into cfg->objects[] */
	uint64_t offset; /* into that backend */
	int node; /* index into layout->nodes[], -1 without NUMA */
};

struct pc_addr_range {
	uint64_t gpa;
	uint64_t size;
};

struct pc_numa_node {
	unsigned nodeid; /* nodes[i].nodeid == i: ids are dense */
	int memdev; /* index into cfg->objects[] */
	uint64_t size;
	/* Guest-physical ranges: one, or two when the PCI hole cuts it. */
	struct pc_addr_range ranges[2];
	size_t nr_ranges;
};

struct pc_memory_layout {
	struct pc_compat compat;
	uint64_t ram_size;
	uint64_t max_ram_below_4g; /* effective value (default applied) */
	uint64_t below_4g; /* bytes of RAM at 0 */
	uint64_t above_4g; /* bytes of RAM at above_4g_start */
	uint64_t above_4g_start; /* 4 GiB, or 1 TiB past the AMD HT hole */
	uint64_t max_used_gpa; /* QEMU's pc_max_used_gpa(), inclusive */
	bool amd_ht_reserved; /* the HyperTransport E820 entry is present */
	unsigned nr_cpus;
	unsigned nr_virtio_mmio; /* virtio-mmio slots in use (DSDT entries) */
	unsigned nr_virtio_pci; /* PCI slots in use from 2 (PCI0's _PRT) */

	struct pc_ram_piece pieces[PC_MAX_RAM_PIECES]; /* in gpa order */
	size_t nr_pieces;

	/* NUMA: nodes in node-id order; cpu_node[cpu] for each vCPU. */
	struct pc_numa_node nodes[CONFIG_MAX_NUMA];
	size_t nr_nodes;
	int cpu_node[CONFIG_MAX_CPUS]; /* -1 without NUMA */

	struct e820_table e820;

	/* Things QEMU warns about but accepts; the caller logs them. */
	char warnings[PC_MAX_WARNINGS][192];
	size_t nr_warnings;
};

/*
 * Compute the layout.  Refuses (-1, err_msg() naming the option, QEMU's
 * wording where QEMU refuses too):
 *   - an unknown pc-i440fx version;
 *   - -m 0, or sizes that are not whole 4 KiB pages (memslots need pages);
 *   - max-ram-below-4g above 4 GiB;
 *   - low RAM reaching the IOAPIC at 0xfec00000 (QEMU 7.2 aborts with an
 *     assertion in its PCI hole code for such a configuration);
 *   - phys_bits outside 32-52, or a layout above the vCPU's address limit
 *     ("phys-bits too low");
 *   - NUMA: a duplicate node id, a CPU index >= -smp, a CPU listed in two
 *     nodes, an unknown memdev, a missing node id, node sizes that do not
 *     add up to -m, one backend used by two nodes;
 *   - --e820 entries that break e820_add()'s rules.
 */
int pc_memory_layout(const struct vm_config *cfg,
		     const struct pc_memory_opts *opts,
		     struct pc_memory_layout *out);

/*
 * The CMOS bytes QEMU 7.2's pc_cmos_init (with x86_rtc_set_cpus_count and
 * set_boot_dev) writes, for a machine without IDE disks or floppy drives:
 *   0x15/0x16  base memory in KiB: min(low RAM / 1 KiB, 640)
 *   0x17/0x18  and 0x30/0x31: KiB from 1 MiB to the end of low RAM, capped
 *              at 65535 (so at most 64 MiB worth)
 *   0x34/0x35  64 KiB units from 16 MiB to the end of low RAM, capped 65535
 *   0x5b-0x5d  64 KiB units of RAM above 4 GiB (24 bits)
 *   0x5f       vCPUs - 1 (0 when the count does not fit a byte)
 *   0x3d, 0x38 boot order "cad" (disk, floppy, CD-ROM) with the floppy
 *              boot-signature check on: 0x3d = 0x12, 0x38 = 0x30
 *   0x14       equipment: FPU present (0x02) and PS/2 mouse (0x04)
 *   0x10 = 0, 0x12 = 0, 0x39 = 0: no floppy drives, no IDE disks.
 * SeaBIOS reads 0x10 (floppy types), 0x14, 0x30/0x31, 0x34/0x35, 0x38,
 * 0x3d, 0x5b-0x5d and 0x5f.  QEMU's own pc machine always has a floppy
 * controller: use pc_cmos_set_floppy() with compat.floppy_fallback_type to
 * report its empty drive A the way QEMU does.
 */
int pc_cmos_init_memory(struct cmos *cmos,
			const struct pc_memory_layout *layout);

/*
 * QEMU's set_boot_dev(): up to three of a/b (floppy), c (disk), d (CD-ROM),
 * n (network) into 0x3d (first two) and 0x38 (third, high nibble; bit 0
 * set disables the floppy boot-signature check).
 */
int pc_cmos_set_boot_order(struct cmos *cmos, const char *order,
			   bool fd_bootchk);

/*
 * QEMU's pc_cmos_init_floppy(): drive types (0 none, 2 = 1.2M, 3 = 720K,
 * 4 = 1.44M, 5 = 2.88M) into 0x10, and the drive count into equipment bits
 * 0 and 6 of 0x14.
 */
int pc_cmos_set_floppy(struct cmos *cmos, uint8_t type_a, uint8_t type_b);

/*
 * Summary for `minivmm memmap` / -v: split, RAM pieces, NUMA nodes and the
 * E820 table.  snprintf() semantics.
 */
size_t pc_memory_format(const struct pc_memory_layout *layout, char *buf,
			size_t cap);

#endif
