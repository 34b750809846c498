// SPDX-License-Identifier: MIT
/*
 * ACPI tables (src/arch/x86/acpi.c) and the ACPI PM device
 * (src/dev/acpi_pm.c).
 *
 * The tables are checked the way firmware consumes them: every loader
 * command is validated on its own (files, ranges, pointer targets), then
 * the commands are run with acpi_loader_execute() at the addresses SeaBIOS
 * picks under QEMU for -m 1G, and the linked tables are walked from the
 * RSDP.  Layouts come from the real pc_memory_layout() for the command
 * lines the e820 comparison with QEMU 7.2 uses.  Expected blob sizes for
 * the old machine types are the ones QEMU 7.2 was measured to give.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "bus.h"
#include "cli.h"
#include "dev/acpi_pm.h"
#include "device.h"
#include "layout.h"
#include "log.h"
#include "pc_memory.h"
#include "state.h"
#include "unit.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
/* Where SeaBIOS puts the files under QEMU for -m 1G. */
#define TABLES_GPA 0x3ffe0000ull
#define RSDP_GPA 0xf5a60ull

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- layouts ---- */

/* pc_memory_layout() for a minivmm/QEMU command line (NULL-terminated). */
static struct pc_memory_layout *layout_of(const char *first, ...)
{
	struct pc_memory_layout *l = calloc(1, sizeof(*l));
	struct vm_config *cfg = calloc(1, sizeof(*cfg));
	char *argv[40];
	struct pc_memory_opts opts;
	int argc = 0;
	va_list ap;

	assert_non_null(l);
	assert_non_null(cfg);
	argv[argc++] = strdup("minivmm");
	argv[argc++] = strdup("memmap");
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *)) {
		assert_true(argc < 39);
		argv[argc++] = strdup(s);
	}
	va_end(ap);
	argv[argc] = NULL;
	config_init(cfg);
	if (config_parse(cfg, argc, argv) < 0 || config_finish(cfg) < 0)
		fail_msg("config: %s", err_msg());
	pc_memory_opts_qemu_default(&opts);
	opts.kvm_identity_map = true;
	opts.cpu_amd = true; /* the same map on every host */
	if (pc_memory_layout(cfg, &opts, l) < 0)
		fail_msg("layout: %s", err_msg());
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(cfg);
	return l;
}

#define NUMA_ARGS                                                          \
	"-m", "1G", "-smp", "4", "-object",                                \
		"memory-backend-ram,id=mem0,size=512M", "-object",         \
		"memory-backend-ram,id=mem1,size=512M", "-numa",           \
		"node,memdev=mem0,cpus=0-1,nodeid=0", "-numa",             \
		"node,memdev=mem1,cpus=2-3,nodeid=1"

/* ---- table helpers ---- */

struct linked {
	struct acpi_tables t;
	uint8_t *tables; /* linked copy at TABLES_GPA */
	uint8_t rsdp[ACPI_RSDP_SIZE];
};

static void build_and_link(const struct pc_memory_layout *l, struct linked *k)
{
	assert_int_equal(acpi_build(l, &k->t), 0);
	k->tables = malloc(k->t.tables_size);
	assert_non_null(k->tables);
	if (acpi_loader_execute(&k->t, TABLES_GPA, RSDP_GPA, k->tables,
				k->rsdp) < 0)
		fail_msg("loader: %s", err_msg());
}

static void linked_free(struct linked *k)
{
	acpi_tables_free(&k->t);
	free(k->tables);
}

/* The linked table at guest address gpa, checked to be sig and in range. */
static const uint8_t *at_gpa(const struct linked *k, uint64_t gpa,
			     const char *sig)
{
	uint64_t off = gpa - TABLES_GPA;

	assert_true(gpa >= TABLES_GPA && off + 8 <= k->t.tables_used);
	assert_memory_equal(k->tables + off, sig, 4);
	assert_true(off + le(k->tables + off + 4, 4) <= k->t.tables_used);
	return k->tables + off;
}

static const uint8_t *table(const struct linked *k, const char *sig)
{
	const struct acpi_table_info *ti = acpi_find_table(&k->t, sig);

	assert_non_null(ti);
	return k->tables + ti->offset;
}

/* ---- tests: blob, RSDP, loader ---- */

static void test_sizes_and_layout(void **state)
{
	struct pc_memory_layout *l = layout_of("-m", "1G", NULL);
	struct acpi_tables t;

	(void)state;
	assert_int_equal(acpi_build(l, &t), 0);
	/* QEMU 7.2 pc: etc/acpi/tables 0x20000, etc/table-loader 0x1000. */
	assert_int_equal(t.tables_size, 0x20000);
	assert_int_equal(t.loader_size, 0x1000);
	assert_int_equal(t.loader_size % ACPI_LOADER_ENTRY_SIZE, 0);
	assert_true(t.tables_used < t.tables_size);
	for (uint32_t i = t.tables_used; i < t.tables_size; i++)
		assert_int_equal(t.tables[i], 0);
	for (uint32_t i = t.loader_cmds * ACPI_LOADER_ENTRY_SIZE;
	     i < t.loader_size; i++)
		assert_int_equal(t.loader[i], 0);
	/* FACS first (64-byte aligned in a 64-byte aligned blob), then DSDT. */
	assert_int_equal(t.nr_tables, 5);
	assert_string_equal(t.info[0].sig, "FACS");
	assert_int_equal(t.info[0].offset, 0);
	assert_string_equal(t.info[1].sig, "DSDT");
	assert_int_equal(t.info[1].offset, 64);
	assert_null(acpi_find_table(&t, "SRAT"));
	assert_string_equal(t.info[t.nr_tables - 1].sig, "RSDT");
	/* RSDP revision 0, RSDT only; the pointer holds the RSDT's offset. */
	assert_memory_equal(t.rsdp, "RSD PTR ", 8);
	assert_int_equal(t.rsdp[15], 0);
	assert_int_equal(le(t.rsdp + 16, 4),
			 acpi_find_table(&t, "RSDT")->offset);
	acpi_tables_free(&t);
	free(l);
}

static const char *known_file(const uint8_t *field, const struct acpi_tables *t,
			      uint32_t *size)
{
	assert_non_null(memchr(field, 0, ACPI_LOADER_FILESZ));
	if (!strcmp((const char *)field, ACPI_TABLES_FILE)) {
		*size = t->tables_size;
		return ACPI_TABLES_FILE;
	}
	if (!strcmp((const char *)field, ACPI_RSDP_FILE)) {
		*size = ACPI_RSDP_SIZE;
		return ACPI_RSDP_FILE;
	}
	fail_msg("unknown file %.56s", (const char *)field);
	return NULL;
}

/* Every command on its own: QEMU's format, in range, pointing at tables. */
static void check_commands(const struct acpi_tables *t)
{
	size_t checksums[ACPI_MAX_TABLES] = { 0 }, rsdp_sums = 0;

	/* The two ALLOCATEs come first, as QEMU emits them. */
	assert_true(t->loader_cmds >= 2);
	assert_int_equal(le(t->loader, 4), ACPI_LOADER_ALLOCATE);
	assert_string_equal((const char *)t->loader + 4, ACPI_RSDP_FILE);
	assert_int_equal(le(t->loader + 60, 4), 16);
	assert_int_equal(t->loader[64], ACPI_LOADER_ZONE_FSEG);
	assert_int_equal(le(t->loader + 128, 4), ACPI_LOADER_ALLOCATE);
	assert_string_equal((const char *)t->loader + 132, ACPI_TABLES_FILE);
	assert_int_equal(le(t->loader + 188, 4), 64);
	assert_int_equal(t->loader[192], ACPI_LOADER_ZONE_HIGH);

	for (uint32_t i = 2; i < t->loader_cmds; i++) {
		const uint8_t *e = t->loader + i * ACPI_LOADER_ENTRY_SIZE;
		uint32_t cmd = (uint32_t)le(e, 4), dsize, ssize;
		const char *dest = known_file(e + 4, t, &dsize);

		if (cmd == ACPI_LOADER_ADD_POINTER) {
			const char *src = known_file(e + 60, t, &ssize);
			uint32_t off = (uint32_t)le(e + 116, 4);
			uint8_t size = e[120];
			const struct acpi_table_info *ti;
			const uint8_t *d = !strcmp(dest, ACPI_RSDP_FILE) ?
						   t->rsdp :
						   t->tables;
			uint64_t target;

			assert_int_equal(size, 4);
			assert_true(off + size <= dsize);
			/* The field holds an offset into src, at a table. */
			assert_string_equal(src, ACPI_TABLES_FILE);
			target = le(d + off, size);
			assert_true(target + 8 <= t->tables_used);
			ti = acpi_find_table(t, (const char *)t->tables + target);
			assert_non_null(ti);
			assert_int_equal(ti->offset, target);
		} else if (cmd == ACPI_LOADER_ADD_CHECKSUM) {
			uint32_t off = (uint32_t)le(e + 60, 4);
			uint32_t start = (uint32_t)le(e + 64, 4);
			uint32_t len = (uint32_t)le(e + 68, 4);
			size_t k;

			assert_true(start + len <= dsize && off < dsize);
			if (!strcmp(dest, ACPI_RSDP_FILE)) {
				assert_int_equal(off, 8);
				assert_int_equal(start, 0);
				assert_int_equal(len, ACPI_RSDP_SIZE);
				rsdp_sums++;
				continue;
			}
			/* Covers exactly one table, checksum at byte 9. */
			for (k = 0; k < t->nr_tables; k++)
				if (t->info[k].offset == start)
					break;
			assert_true(k < t->nr_tables);
			assert_int_equal(len, t->info[k].length);
			assert_int_equal(off, start + 9);
			checksums[k]++;
		} else {
			fail_msg("command %u: unexpected %u", i, cmd);
		}
	}
	assert_int_equal(rsdp_sums, 1);
	for (size_t k = 0; k < t->nr_tables; k++)
		assert_int_equal(checksums[k],
				 strcmp(t->info[k].sig, "FACS") ? 1 : 0);
}

static void test_loader_commands(void **state)
{
	struct pc_memory_layout *l1 = layout_of("-m", "1G", NULL);
	struct pc_memory_layout *ln = layout_of(NUMA_ARGS, NULL);
	struct acpi_tables t;

	(void)state;
	assert_int_equal(acpi_build(l1, &t), 0);
	check_commands(&t);
	acpi_tables_free(&t);
	assert_int_equal(acpi_build(ln, &t), 0);
	check_commands(&t);
	acpi_tables_free(&t);
	free(l1);
	free(ln);
}

/* Linked: every checksum right, every pointer an address of its table. */
static void check_linked(const struct linked *k, bool numa)
{
	const uint8_t *rsdt, *fadt;
	size_t entries;
	bool seen_apic = false, seen_srat = false;

	assert_int_equal(acpi_checksum(k->rsdp, ACPI_RSDP_SIZE), 0);
	for (size_t i = 0; i < k->t.nr_tables; i++) {
		const struct acpi_table_info *ti = &k->t.info[i];

		if (strcmp(ti->sig, "FACS"))
			assert_int_equal(acpi_checksum(k->tables + ti->offset,
						       ti->length),
					 0);
		assert_int_equal(le(k->tables + ti->offset + 4, 4), ti->length);
	}
	rsdt = at_gpa(k, le(k->rsdp + 16, 4), "RSDT");
	entries = (le(rsdt + 4, 4) - ACPI_HEADER_SIZE) / 4;
	assert_int_equal(entries, numa ? 3 : 2);
	fadt = at_gpa(k, le(rsdt + 36, 4), "FACP");
	for (size_t i = 1; i < entries; i++) {
		uint64_t gpa = le(rsdt + 36 + 4 * i, 4);
		const uint8_t *p = k->tables + (gpa - TABLES_GPA);

		assert_true(gpa > TABLES_GPA);
		if (!memcmp(p, "APIC", 4))
			seen_apic = !!at_gpa(k, gpa, "APIC");
		else
			seen_srat = !!at_gpa(k, gpa, "SRAT");
	}
	assert_true(seen_apic);
	assert_int_equal(seen_srat, numa);
	assert_int_equal(le(fadt + 36, 4) % 64, 0); /* FACS alignment */
	at_gpa(k, le(fadt + 36, 4), "FACS");
	at_gpa(k, le(fadt + 40, 4), "DSDT");
}

static void test_linked_tables(void **state)
{
	struct pc_memory_layout *l1 = layout_of("-m", "1G", NULL);
	struct pc_memory_layout *ln = layout_of(NUMA_ARGS, NULL);
	struct linked k;

	(void)state;
	build_and_link(l1, &k);
	check_linked(&k, false);
	linked_free(&k);
	build_and_link(ln, &k);
	check_linked(&k, true);
	linked_free(&k);
	free(l1);
	free(ln);
}

static void test_loader_refuses(void **state)
{
	struct pc_memory_layout *l = layout_of("-m", "1G", NULL);
	struct acpi_tables t;
	uint8_t rsdp[ACPI_RSDP_SIZE], *buf;

	(void)state;
	assert_int_equal(acpi_build(l, &t), 0);
	buf = malloc(t.tables_size);
	assert_non_null(buf);
	/* Misaligned blob, RSDP outside the F segment, blob past 4 GiB. */
	assert_int_equal(acpi_loader_execute(&t, TABLES_GPA + 0x10, RSDP_GPA,
					     buf, rsdp),
			 -1);
	assert_err_contains("alignment");
	assert_int_equal(acpi_loader_execute(&t, TABLES_GPA, 0x100000, buf,
					     rsdp),
			 -1);
	assert_err_contains("zone");
	assert_int_equal(acpi_loader_execute(&t, X86_4G, RSDP_GPA, buf, rsdp),
			 -1);
	/* A pointer whose field lies past the end of its file. */
	for (uint32_t i = 0; i < t.loader_cmds; i++) {
		uint8_t *e = t.loader + i * ACPI_LOADER_ENTRY_SIZE;

		if (le(e, 4) == ACPI_LOADER_ADD_POINTER) {
			e[116] = 0xfe;
			e[117] = 0xff;
			e[118] = 0x01;
			break;
		}
	}
	assert_int_equal(acpi_loader_execute(&t, TABLES_GPA, RSDP_GPA, buf,
					     rsdp),
			 -1);
	assert_err_contains("outside");
	free(buf);
	acpi_tables_free(&t);
	free(l);
}

/* ---- tests: individual tables ---- */

static void test_fadt(void **state)
{
	struct pc_memory_layout *l = layout_of("-m", "1G", NULL);
	struct pc_memory_layout *l9 = layout_of("-m", "1G", "-smp", "9", NULL);
	struct linked k;
	const uint8_t *f;

	(void)state;
	build_and_link(l, &k);
	f = table(&k, "FACP");
	assert_int_equal(le(f + 4, 4), 244);
	assert_int_equal(f[8], 3);
	assert_int_equal(le(f + 46, 2), PC_ACPI_SCI_IRQ);
	assert_int_equal(le(f + 48, 4), 0); /* no SMI_CMD */
	assert_int_equal(le(f + 56, 4), PC_ACPI_PM1_EVT_PORT);
	assert_int_equal(le(f + 64, 4), PC_ACPI_PM1_CNT_PORT);
	assert_int_equal(le(f + 76, 4), PC_ACPI_PM_TMR_PORT);
	assert_int_equal(f[88], 4);
	assert_int_equal(f[89], 2);
	assert_int_equal(f[91], 4);
	assert_int_equal(f[108], 0x32); /* century */
	assert_int_equal(le(f + 109, 2), 0x2); /* 8042 present */
	assert_int_equal(le(f + 112, 4) & (1u << 10), 1u << 10); /* reset reg */
	assert_int_equal(le(f + 112, 4) & (1u << 18), 0);
	assert_int_equal(f[116], 1); /* reset register: system I/O */
	assert_int_equal(f[117], 8);
	assert_int_equal(le(f + 120, 8), 0xcf9);
	assert_int_equal(f[128], 0x06);
	assert_int_equal(le(f + 152, 8), PC_ACPI_PM1_EVT_PORT); /* X_PM1a_EVT */
	assert_int_equal(le(f + 176, 8), PC_ACPI_PM1_CNT_PORT);
	assert_int_equal(le(f + 212, 8), PC_ACPI_PM_TMR_PORT);
	linked_free(&k);
	/* More than 8 vCPUs: cluster model, as QEMU. */
	build_and_link(l9, &k);
	assert_int_equal(le(table(&k, "FACP") + 112, 4) & (1u << 18), 1u << 18);
	linked_free(&k);
	free(l);
	free(l9);
}

static void check_madt(unsigned n)
{
	char smp[8];
	struct pc_memory_layout *l;
	struct linked k;
	const uint8_t *m;
	size_t len, off, lapic = 0, ioapic = 0, iso = 0, nmi = 0, total = 0;

	snprintf(smp, sizeof(smp), "%u", n);
	l = layout_of("-m", "1G", "-smp", smp, NULL);
	build_and_link(l, &k);
	m = table(&k, "APIC");
	len = le(m + 4, 4);
	assert_int_equal(le(m + 36, 4), 0xfee00000);
	assert_int_equal(le(m + 40, 4), 1);
	for (off = 44; off < len; off += m[off + 1], total++) {
		const uint8_t *e = m + off;

		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], lapic); /* UID */
			assert_int_equal(e[3], lapic); /* APIC ID */
			assert_int_equal(le(e + 4, 4), 1); /* enabled */
			lapic++;
			break;
		case 1:
			assert_int_equal(e[2], 0);
			assert_int_equal(le(e + 4, 4), 0xfec00000);
			assert_int_equal(le(e + 8, 4), 0);
			ioapic++;
			break;
		case 2:
			if (e[3] == 0) {
				assert_int_equal(le(e + 4, 4), 2);
				assert_int_equal(le(e + 8, 2), 0);
			} else {
				assert_int_equal(e[3], 9);
				assert_int_equal(le(e + 4, 4), 9);
				assert_int_equal(le(e + 8, 2), 0xd);
			}
			iso++;
			break;
		case 4:
			assert_int_equal(e[2], 0xff);
			assert_int_equal(e[5], 1);
			nmi++;
			break;
		default:
			fail_msg("MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(off, len);
	assert_int_equal(lapic, n);
	assert_int_equal(ioapic, 1);
	assert_int_equal(iso, 2);
	assert_int_equal(nmi, 1);
	/* vCPUs + IOAPIC + 2 overrides + LAPIC NMI */
	assert_int_equal(total, n + 1 + 2 + 1);
	linked_free(&k);
	free(l);
}

static void test_madt(void **state)
{
	(void)state;
	check_madt(1);
	check_madt(4);
	check_madt(64);
}

struct mem_aff {
	uint32_t node;
	uint64_t base, len;
};

static void check_srat(const struct pc_memory_layout *l,
		       const uint32_t *cpu_nodes, size_t ncpus,
		       const struct mem_aff *mem, size_t nmem)
{
	struct linked k;
	const uint8_t *s;
	size_t len, off, c = 0, m = 0;

	build_and_link(l, &k);
	s = table(&k, "SRAT");
	len = le(s + 4, 4);
	assert_int_equal(le(s + 36, 4), 1);
	for (off = 48; off < len; off += s[off + 1]) {
		const uint8_t *e = s + off;

		assert_true(off + e[1] <= len);
		if (e[0] == 0) {
			assert_int_equal(e[1], 16);
			assert_true(c < ncpus);
			assert_int_equal(e[2] | le(e + 9, 3) << 8,
					 cpu_nodes[c]);
			assert_int_equal(e[3], c);
			assert_int_equal(le(e + 4, 4), 1);
			c++;
		} else {
			assert_int_equal(e[0], 1);
			assert_int_equal(e[1], 40);
			assert_true(m < nmem);
			assert_int_equal(le(e + 2, 4), mem[m].node);
			assert_int_equal(le(e + 8, 8), mem[m].base);
			assert_int_equal(le(e + 16, 8), mem[m].len);
			assert_int_equal(le(e + 28, 4), 1);
			m++;
		}
	}
	assert_int_equal(off, len);
	assert_int_equal(c, ncpus);
	assert_int_equal(m, nmem);
	linked_free(&k);
}

static void test_srat(void **state)
{
	/* QEMU 7.2's SRAT for this command line lists the same entries. */
	static const uint32_t nodes4[] = { 0, 0, 1, 1 };
	static const struct mem_aff mem[] = {
		{ 0, 0, 0xa0000 },
		{ 0, 0x100000, 512 * MiB - 0x100000 },
		{ 1, 512 * MiB, 512 * MiB },
	};
	/* A node cut by the PCI hole: 3 GiB low, the rest from 4 GiB. */
	static const uint32_t nodes2[] = { 0, 1 };
	static const struct mem_aff split[] = {
		{ 0, 0, 0xa0000 },
		{ 0, 0x100000, 2 * GiB - 0x100000 },
		{ 1, 2 * GiB, 1 * GiB },
		{ 1, 4 * GiB, 1 * GiB },
	};
	struct pc_memory_layout *ln = layout_of(NUMA_ARGS, NULL);
	struct pc_memory_layout *ls = layout_of(
		"-m", "4G", "-smp", "2", "-object",
		"memory-backend-ram,id=a,size=2G", "-object",
		"memory-backend-ram,id=b,size=2G", "-numa",
		"node,memdev=a,cpus=0,nodeid=0", "-numa",
		"node,memdev=b,cpus=1,nodeid=1", NULL);

	(void)state;
	check_srat(ln, nodes4, 4, mem, 3);
	check_srat(ls, nodes2, 2, split, 4);
	free(ln);
	free(ls);
}

/* PkgLength (ACPI 6.4 §20.2.4); returns its byte count. */
static size_t pkglen(const uint8_t *p, size_t *len)
{
	size_t n = (p[0] >> 6) + 1;

	if (n == 1) {
		*len = p[0] & 0x3f;
		return 1;
	}
	*len = p[0] & 0xf;
	for (size_t i = 1; i < n; i++)
		*len |= (size_t)p[i] << (4 + 8 * (i - 1));
	return n;
}

static size_t count(const uint8_t *p, size_t len, const void *pat, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i + n <= len; i++)
		c += !memcmp(p + i, pat, n);
	return c;
}

static void check_dsdt(unsigned ncpus)
{
	static const uint8_t kbd_hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c,
					   0x41, 0xd0, 0x03, 0x03 };
	static const uint8_t rtc_hid[] = { 0x0c, 0x41, 0xd0, 0x0b, 0x00 };
	static const uint8_t s3[] = { 0x08, '\\', '_', 'S', '3', '_', 0x12 };
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12 };
	char smp[8];
	struct pc_memory_layout *l;
	struct linked k;
	const uint8_t *d, *p, *end;
	size_t len, n, plen;

	snprintf(smp, sizeof(smp), "%u", ncpus);
	l = layout_of("-m", "1G", "-smp", smp, NULL);
	build_and_link(l, &k);
	d = table(&k, "DSDT");
	len = le(d + 4, 4);
	end = d + len;
	/* Scope(\_SB) { ... } spans exactly up to Name(\_S3, ...). */
	p = d + ACPI_HEADER_SIZE;
	assert_int_equal(p[0], 0x10);
	n = pkglen(p + 1, &plen);
	assert_memory_equal(p + 1 + n, "\\_SB_", 5);
	p += 1 + plen;
	/* Package(4) { 1, 1, 0, 0 }: S3's SLP_TYP 1 (OneOp), as QEMU. */
	assert_memory_equal(p, s3, sizeof(s3));
	n = pkglen(p + sizeof(s3), &plen);
	assert_int_equal(p[sizeof(s3) + n], 4);
	assert_int_equal(PC_ACPI_S3_SLP_TYP, 1);
	assert_int_equal(p[sizeof(s3) + n + 1], 0x01);
	assert_int_equal(p[sizeof(s3) + n + 2], 0x01);
	assert_int_equal(p[sizeof(s3) + n + 3], 0x00);
	assert_int_equal(p[sizeof(s3) + n + 4], 0x00);
	p += sizeof(s3) + plen;
	assert_memory_equal(p, s5, sizeof(s5));
	/* Package(4) { 0, 0, 0, 0 }: SLP_TYPa = SLP_TYPb = 0, as QEMU. */
	n = pkglen(p + sizeof(s5), &plen);
	assert_int_equal(p[sizeof(s5) + n], 4);
	for (int i = 1; i <= 4; i++)
		assert_int_equal(p[sizeof(s5) + n + i], PC_ACPI_S5_SLP_TYP);
	assert_ptr_equal(p + sizeof(s5) + plen, end);
	/* Keyboard controller (SeaBIOS needs it), RTC, one device per vCPU. */
	assert_int_equal(count(d, len, kbd_hid, sizeof(kbd_hid)), 1);
	assert_int_equal(count(d, len, rtc_hid, sizeof(rtc_hid)), 1);
	assert_int_equal(count(d, len, "ACPI0007", 8), ncpus);
	linked_free(&k);
	free(l);
}

static void test_dsdt(void **state)
{
	(void)state;
	check_dsdt(1); /* short PkgLengths */
	check_dsdt(64); /* a 2-byte PkgLength around \_SB */
}

/* virtio-mmio devices: LNRO0005 with their window and an edge interrupt. */
static void test_dsdt_virtio_mmio(void **state)
{
	static const uint8_t mem1[] = { 0x86, 9, 0, 1, 0x00, 0x02, 0x80, 0xfe,
					0x00, 0x02, 0, 0 }; /* slot 1 */
	static const uint8_t irq1[] = { 0x89, 6, 0, 0x03, 1, 17, 0, 0, 0 };
	struct pc_memory_layout *l;
	struct linked k;
	const uint8_t *d;
	size_t len;

	(void)state;
	l = layout_of("-m", "1G", NULL);
	assert_int_equal(l->nr_virtio_mmio, 0);
	l->nr_virtio_mmio = 2;
	build_and_link(l, &k);
	d = table(&k, "DSDT");
	len = le(d + 4, 4);
	assert_int_equal(count(d, len, "LNRO0005", 8), 2);
	assert_int_equal(count(d, len, "VR00", 4), 1);
	assert_int_equal(count(d, len, mem1, sizeof(mem1)), 1);
	assert_int_equal(count(d, len, irq1, sizeof(irq1)), 1);
	/* No virtio-pci devices: the root bridge but no _PRT. */
	assert_int_equal(count(d, len, "_PRT", 4), 0);
	assert_int_equal(count(d, len, "PCI0", 4), 1);
	linked_free(&k);
	free(l);
}

/* PCI0's _PRT: INTA# of slots 2 and 3 to GSIs 10 and 11. */
static void test_dsdt_pci_prt(void **state)
{
	/* Package(4) { 0x0002ffff, 0, 0, 10 } */
	static const uint8_t slot2[] = { 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x02,
					 0x00, 0x00, 0x00, 0x0a, 0x0a };
	static const uint8_t slot3[] = { 0x0c, 0xff, 0xff, 0x03, 0x00, 0x00, 0x00,
					 0x0a, 0x0b };
	static const uint8_t pnp0a03[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	struct pc_memory_layout *l = layout_of("-m", "1G", NULL);
	struct linked k;
	const uint8_t *d;
	size_t len;

	(void)state;
	l->nr_virtio_pci = 2;
	build_and_link(l, &k);
	d = table(&k, "DSDT");
	len = le(d + 4, 4);
	assert_int_equal(count(d, len, "_PRT", 4), 1);
	assert_int_equal(count(d, len, pnp0a03, sizeof(pnp0a03)), 1);
	assert_int_equal(count(d, len, slot2, sizeof(slot2)), 1);
	assert_int_equal(count(d, len, slot3, sizeof(slot3)), 1);
	linked_free(&k);
	free(l);
}

/* Blob sizes QEMU 7.2 gives old machine types (measured: SeaBIOS E820). */
static void test_legacy_sizes(void **state)
{
	static const struct {
		const char *machine, *smp;
		uint32_t size;
	} cases[] = {
		{ "pc-i440fx-1.7", "1", 0x2000 },
		{ "pc-i440fx-1.7", "12", 0x2000 },
		{ "pc-i440fx-1.7", "13", 0x3000 },
		{ "pc-i440fx-2.0", "10", 0x2000 },
		{ "pc-i440fx-2.0", "11", 0x3000 },
		{ "pc-i440fx-2.1", "1", 0x20000 },
		{ "pc", "64", 0x20000 },
	};
	struct pc_compat c = { .major = 1, .minor = 6 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pc_memory_layout *l =
			layout_of("-m", "1G", "-smp", cases[i].smp, "-M",
				  cases[i].machine, NULL);
		struct acpi_tables t;

		assert_true(acpi_machine_has_tables(&l->compat));
		assert_int_equal(acpi_build(l, &t), 0);
		assert_int_equal(t.tables_size, cases[i].size);
		acpi_tables_free(&t);
		free(l);
	}
	assert_false(acpi_machine_has_tables(&c));
}

static void test_refusals(void **state)
{
	struct pc_memory_layout *l = layout_of(NUMA_ARGS, NULL);
	struct acpi_tables t;

	(void)state;
	l->nr_cpus = 0;
	assert_int_equal(acpi_build(l, &t), -1);
	assert_err_contains("vCPUs");
	assert_null(t.tables);
	l->nr_cpus = CONFIG_MAX_CPUS + 1;
	assert_int_equal(acpi_build(l, &t), -1);
	l->nr_cpus = 4;
	l->cpu_node[3] = 2;
	assert_int_equal(acpi_build(l, &t), -1);
	assert_err_contains("NUMA node 2");
	l->cpu_node[3] = 1;
	assert_int_equal(acpi_build(l, &t), 0);
	acpi_tables_free(&t);
	assert_null(t.tables);
	free(l);
}

/* ---- acpi_pm ---- */

struct pm_ctx {
	struct bus io;
	struct acpi_pm *pm;
	struct irq_line sci_line; /* GSI 9, recorded by pm_sci */
	int poweroffs;
	int suspends;
	int sci_calls;
	bool sci;
	uint64_t now;
};

static void pm_poweroff(void *ctx)
{
	((struct pm_ctx *)ctx)->poweroffs++;
}

static void pm_suspend(void *ctx)
{
	((struct pm_ctx *)ctx)->suspends++;
}

static void pm_sci(struct irq_line *line, bool level)
{
	struct pm_ctx *c = line->ctx;

	c->sci_calls++;
	c->sci = level;
}

static uint64_t pm_clock(void *ctx)
{
	return ((struct pm_ctx *)ctx)->now;
}

static struct pm_ctx *pm_new(void)
{
	struct pm_ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	bus_init(&c->io, "io", 0x10000);
	c->now = 5000000000ull;
	c->pm = acpi_pm_create(PC_ACPI_S5_SLP_TYP, pm_poweroff, c);
	assert_non_null(c->pm);
	irq_line_init(&c->sci_line, PC_ACPI_SCI_IRQ, pm_sci, c);
	acpi_pm_set_irq(c->pm, &c->sci_line);
	acpi_pm_set_clock(c->pm, pm_clock, c);
	assert_int_equal(acpi_pm_register(c->pm, &c->io, PC_ACPI_PM_BASE), 0);
	return c;
}

static void pm_free(struct pm_ctx *c)
{
	acpi_pm_device_ops.destroy(c->pm);
	bus_destroy(&c->io);
	free(c);
}

static int pm_setup(void **state)
{
	*state = pm_new();
	return 0;
}

static int pm_teardown(void **state)
{
	pm_free(*state);
	return 0;
}

static uint64_t in(struct pm_ctx *c, uint16_t port, uint32_t len)
{
	uint8_t d[8];

	assert_int_equal(bus_read(&c->io, port, d, len), BUS_OK);
	return bus_data_get(d, len);
}

static enum bus_status out(struct pm_ctx *c, uint16_t port, uint32_t len,
			   uint64_t v)
{
	uint8_t d[8];

	bus_data_put(d, len, v);
	return bus_write(&c->io, port, d, len);
}

#define CNT PC_ACPI_PM1_CNT_PORT
#define STS PC_ACPI_PM1_EVT_PORT
#define EN (PC_ACPI_PM1_EVT_PORT + 2)
#define TMR PC_ACPI_PM_TMR_PORT

static void test_pm_reset_state(void **state)
{
	struct pm_ctx *c = *state;

	assert_int_equal(in(c, CNT, 2), ACPI_PM1_CNT_SCI_EN);
	assert_int_equal(in(c, STS, 2), 0);
	assert_int_equal(in(c, EN, 2), 0);
	/* SCI_EN cannot be cleared: there is no SMI command to leave ACPI. */
	assert_int_equal(out(c, CNT, 2, 0), BUS_OK);
	assert_int_equal(in(c, CNT, 2), ACPI_PM1_CNT_SCI_EN);
}

static void test_pm_s5(void **state)
{
	struct pm_ctx *c = *state;
	uint16_t s5 = (uint16_t)(PC_ACPI_S5_SLP_TYP
				 << ACPI_PM1_CNT_SLP_TYP_SHIFT) |
		      ACPI_PM1_CNT_SLP_EN;

	assert_int_equal(out(c, CNT, 2, s5 | ACPI_PM1_CNT_SCI_EN), BUS_OK);
	assert_int_equal(c->poweroffs, 1);
	/* SLP_EN is write-only. */
	assert_int_equal(in(c, CNT, 2) & ACPI_PM1_CNT_SLP_EN, 0);
	/* The same value byte by byte: the high byte carries SLP_EN. */
	assert_int_equal(out(c, CNT, 1, s5 & 0xff), BUS_OK);
	assert_int_equal(c->poweroffs, 1);
	assert_int_equal(out(c, CNT + 1, 1, s5 >> 8), BUS_OK);
	assert_int_equal(c->poweroffs, 2);
}

/*
 * S3: without acpi_pm_set_suspend() the S3 type is just stored; with it,
 * SLP_EN | S3 calls the suspend callback once per write.  RTC_EN is the
 * wake enable; after the wake (and the reset that goes with it) WAK_STS
 * and RTC_STS are set, and raise the SCI as RTC_EN asks.
 */
static void test_pm_s3(void **state)
{
	struct pm_ctx *c = *state;
	uint16_t s3 = (uint16_t)(PC_ACPI_S3_SLP_TYP
				 << ACPI_PM1_CNT_SLP_TYP_SHIFT) |
		      ACPI_PM1_CNT_SLP_EN;

	assert_int_equal(out(c, CNT, 2, s3), BUS_OK);
	assert_int_equal(c->suspends + c->poweroffs, 0);
	acpi_pm_set_suspend(c->pm, PC_ACPI_S3_SLP_TYP, pm_suspend, c);
	assert_false(acpi_pm_rtc_wake_enabled(c->pm));
	assert_int_equal(out(c, EN, 2, ACPI_PM1_RTC), BUS_OK);
	assert_true(acpi_pm_rtc_wake_enabled(c->pm));
	assert_int_equal(out(c, CNT, 2, s3), BUS_OK);
	assert_int_equal(c->suspends, 1);
	assert_int_equal(c->poweroffs, 0);
	assert_int_equal(in(c, CNT, 2) & ACPI_PM1_CNT_SLP_EN, 0);
	/* The S3 type without SLP_EN is only stored. */
	assert_int_equal(out(c, CNT, 2, s3 & ~ACPI_PM1_CNT_SLP_EN), BUS_OK);
	assert_int_equal(c->suspends, 1);
	/* The wake: the device is reset first, then told. */
	acpi_pm_device_ops.reset(c->pm);
	assert_int_equal(out(c, EN, 2, ACPI_PM1_RTC), BUS_OK);
	c->sci = false;
	acpi_pm_woken(c->pm, true);
	assert_int_equal(in(c, STS, 2), ACPI_PM1_WAK_STS | ACPI_PM1_RTC);
	assert_true(c->sci);
	assert_int_equal(out(c, STS, 2, ACPI_PM1_WAK_STS | ACPI_PM1_RTC), BUS_OK);
	assert_int_equal(in(c, STS, 2), 0);
	assert_false(c->sci);
	acpi_pm_woken(c->pm, false);
	assert_int_equal(in(c, STS, 2), ACPI_PM1_WAK_STS);
}

static void test_pm_other_writes(void **state)
{
	struct pm_ctx *c = *state;

	/* Other sleep types with SLP_EN, and SLP_TYP without SLP_EN. */
	for (unsigned typ = 0; typ < 8; typ++) {
		if (typ == PC_ACPI_S5_SLP_TYP)
			continue;
		assert_int_equal(out(c, CNT, 2,
				     typ << ACPI_PM1_CNT_SLP_TYP_SHIFT |
					     ACPI_PM1_CNT_SLP_EN),
				 BUS_OK);
		assert_int_equal(in(c, CNT, 2),
				 typ << ACPI_PM1_CNT_SLP_TYP_SHIFT |
					 ACPI_PM1_CNT_SCI_EN);
	}
	assert_int_equal(out(c, CNT, 2, 5 << ACPI_PM1_CNT_SLP_TYP_SHIFT),
			 BUS_OK);
	assert_int_equal(out(c, STS, 2, 0xffff), BUS_OK);
	assert_int_equal(out(c, EN, 2, 0xffff), BUS_OK);
	assert_int_equal(out(c, TMR, 4, 0xffffffff), BUS_OK);
	assert_int_equal(c->poweroffs, 0);
}

static void test_pm_widths(void **state)
{
	struct pm_ctx *c = *state;

	/* The control block takes 1 and 2 bytes; a 4-byte write never lands. */
	assert_int_equal(out(c, CNT, 4, ACPI_PM1_CNT_SLP_EN), BUS_BAD_WIDTH);
	assert_int_equal(c->poweroffs, 0);
	/* The event block: one 32-bit access covers PM1_STS and PM1_EN. */
	assert_int_equal(out(c, STS, 4, (uint32_t)0x0121 << 16), BUS_OK);
	assert_int_equal(in(c, EN, 2), 0x0121);
	assert_int_equal(in(c, STS, 4), (uint32_t)0x0121 << 16);
	assert_int_equal(in(c, EN + 1, 1), 0x01);
	/* Reserved enable bits stay 0. */
	assert_int_equal(out(c, EN, 2, 0xffff), BUS_OK);
	assert_int_equal(in(c, EN, 2), 0x4721);
	/* Nothing claims the gap between control block and timer. */
	assert_int_equal(bus_find(&c->io, PC_ACPI_PM_BASE + 6), NULL);
}

static void test_pm_power_button(void **state)
{
	struct pm_ctx *c = *state;

	/* Not enabled: status only. */
	acpi_pm_power_button(c->pm);
	assert_int_equal(in(c, STS, 2), ACPI_PM1_PWRBTN);
	assert_false(c->sci);
	/* Enabling it raises the SCI; write-1-to-clear lowers it. */
	assert_int_equal(out(c, EN, 2, ACPI_PM1_PWRBTN), BUS_OK);
	assert_true(c->sci);
	assert_int_equal(out(c, STS, 2, ACPI_PM1_PWRBTN), BUS_OK);
	assert_false(c->sci);
	assert_int_equal(in(c, STS, 2), 0);
	acpi_pm_power_button(c->pm);
	assert_true(c->sci);
	assert_int_equal(c->sci_calls, 3);
	/* Writing 0 to status changes nothing. */
	assert_int_equal(out(c, STS, 2, 0), BUS_OK);
	assert_true(c->sci);
}

static void test_pm_timer(void **state)
{
	struct pm_ctx *c = *state;
	uint32_t t;

	assert_int_equal(in(c, TMR, 4), 0);
	c->now += 1000000000ull; /* one second */
	assert_int_equal(in(c, TMR, 4), 3579545);
	c->now += 1000; /* 1 us: 3.58 ticks */
	assert_int_equal(in(c, TMR, 4), 3579548);
	/* 24 bits: wraps after about 4.69 s. */
	c->now += 3600ull * 1000000000ull;
	t = (uint32_t)in(c, TMR, 4);
	assert_int_equal(t >> 24, 0);
	assert_int_equal(t, (3579545ull * 3601 + 3) & 0xffffff);
	assert_int_equal(in(c, TMR + 1, 1), (t >> 8) & 0xff);
	assert_int_equal(in(c, TMR, 2), t & 0xffff);
}

static void test_pm_register_twice(void **state)
{
	struct pm_ctx *c = *state;

	assert_int_equal(acpi_pm_register(c->pm, &c->io, PC_ACPI_PM_BASE), -1);
}

/* ---- acpi_pm: save, load, reset (device.h) ---- */

static void pm_save(struct pm_ctx *c, struct state_writer *w)
{
	unit_state_save(&acpi_pm_device_ops, c->pm, w);
}

static int pm_load(struct pm_ctx *c, const uint8_t *buf, size_t len)
{
	return unit_state_load(&acpi_pm_device_ops, c->pm, buf, len);
}

enum { AT_STS = 0, AT_EN = 2, AT_CNT = 4, AT_TMR = 6, PM_SAVED_LEN = 14 };

/*
 * The OS enabled the power button, RTC and timer events, set a sleep type
 * without SLP_EN and BM_RLD; the button was pressed (SCI up); 2.5 s of PM
 * timer have run.
 */
static void pm_busy_state(struct pm_ctx *c)
{
	assert_int_equal(out(c, EN, 2, ACPI_PM1_PWRBTN | ACPI_PM1_RTC |
					       ACPI_PM1_TMR),
			 BUS_OK);
	assert_int_equal(out(c, CNT, 2, 3 << ACPI_PM1_CNT_SLP_TYP_SHIFT |
						ACPI_PM1_CNT_BM_RLD),
			 BUS_OK);
	acpi_pm_power_button(c->pm);
	assert_true(c->sci);
	c->now += 2500000000ull;
}

static void test_pm_save_load_same_behaviour(void **state)
{
	struct pm_ctx *a = *state, *b = pm_new();
	struct state_writer w, w2;

	pm_busy_state(a);
	pm_save(a, &w);
	assert_int_equal(w.len, PM_SAVED_LEN);
	/* B's clock stands elsewhere: the timer goes on from the saved count. */
	b->now = 123456789ull;
	assert_int_equal(pm_load(b, w.buf, w.len), 0);
	assert_true(b->sci); /* raised by the load */
	pm_save(b, &w2);
	assert_memory_equal(w2.buf, w.buf, w.len);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(in(a, STS, 2), in(b, STS, 2));
		assert_int_equal(in(a, EN, 2), in(b, EN, 2));
		assert_int_equal(in(a, CNT, 2), in(b, CNT, 2));
		assert_int_equal(in(a, TMR, 4), in(b, TMR, 4));
		assert_int_equal(a->sci, b->sci);
		a->now += 1000000;
		b->now += 1000000;
	}
	/* The OS acknowledges the button: both lower the SCI. */
	assert_int_equal(out(a, STS, 2, ACPI_PM1_PWRBTN), BUS_OK);
	assert_int_equal(out(b, STS, 2, ACPI_PM1_PWRBTN), BUS_OK);
	assert_false(a->sci);
	assert_false(b->sci);
	/* And the stored sleep type still powers off with S5 only. */
	assert_int_equal(out(b, CNT, 2, PC_ACPI_S5_SLP_TYP
						 << ACPI_PM1_CNT_SLP_TYP_SHIFT |
					 ACPI_PM1_CNT_SLP_EN),
			 BUS_OK);
	assert_int_equal(b->poweroffs, 1);
	state_writer_free(&w2);
	state_writer_free(&w);
	pm_free(b);
}

static void test_pm_load_truncated_or_out_of_range(void **state)
{
	struct pm_ctx *a = *state, *b = pm_new();
	struct state_writer w;

	pm_busy_state(a);
	pm_save(a, &w);
	unit_state_refuses_truncated(&acpi_pm_device_ops, b->pm, &w);
	w.buf[AT_STS] |= 0x02; /* reserved */
	assert_int_equal(pm_load(b, w.buf, w.len), -1);
	w.buf[AT_STS] &= (uint8_t)~0x02;
	w.buf[AT_EN + 1] |= 0x80; /* WAK_STS has no enable bit */
	assert_int_equal(pm_load(b, w.buf, w.len), -1);
	w.buf[AT_EN + 1] &= (uint8_t)~0x80;
	w.buf[AT_CNT] &= (uint8_t)~ACPI_PM1_CNT_SCI_EN;
	assert_int_equal(pm_load(b, w.buf, w.len), -1);
	w.buf[AT_CNT] |= ACPI_PM1_CNT_SCI_EN;
	w.buf[AT_CNT + 1] |= ACPI_PM1_CNT_SLP_EN >> 8; /* write-only */
	assert_int_equal(pm_load(b, w.buf, w.len), -1);
	w.buf[AT_CNT + 1] &= (uint8_t)~(ACPI_PM1_CNT_SLP_EN >> 8);
	/* Nothing of the refused streams was taken. */
	assert_int_equal(in(b, EN, 2), 0);
	assert_false(b->sci);
	assert_int_equal(b->poweroffs, 0);
	assert_int_equal(pm_load(b, w.buf, w.len), 0);
	assert_true(b->sci);
	state_writer_free(&w);
	pm_free(b);
}

static void test_pm_reset_is_power_on(void **state)
{
	struct pm_ctx *a = *state, *fresh = pm_new();
	struct state_writer wa, wf;

	pm_busy_state(a);
	acpi_pm_device_ops.reset(a->pm);
	assert_false(a->sci);
	assert_int_equal(in(a, STS, 2), 0);
	assert_int_equal(in(a, EN, 2), 0);
	assert_int_equal(in(a, CNT, 2), ACPI_PM1_CNT_SCI_EN);
	pm_save(a, &wa);
	pm_save(fresh, &wf);
	assert_int_equal(wa.len, wf.len);
	assert_memory_equal(wa.buf, wf.buf, AT_TMR); /* the PM1 registers */
	/* The timer is the machine's clock: it runs on through a reset. */
	assert_int_equal(in(a, TMR, 4), (uint32_t)(ACPI_PM_TIMER_HZ * 5 / 2));
	assert_int_equal(in(fresh, TMR, 4), 0);
	state_writer_free(&wa);
	state_writer_free(&wf);
	pm_free(fresh);
}

int main(void)
{
#define PM(f) cmocka_unit_test_setup_teardown(f, pm_setup, pm_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_and_layout),
		cmocka_unit_test(test_loader_commands),
		cmocka_unit_test(test_linked_tables),
		cmocka_unit_test(test_loader_refuses),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_srat),
		cmocka_unit_test(test_dsdt),
		cmocka_unit_test(test_dsdt_virtio_mmio),
		cmocka_unit_test(test_dsdt_pci_prt),
		cmocka_unit_test(test_legacy_sizes),
		cmocka_unit_test(test_refusals),
		PM(test_pm_reset_state),
		PM(test_pm_s5),
		PM(test_pm_s3),
		PM(test_pm_other_writes),
		PM(test_pm_widths),
		PM(test_pm_power_button),
		PM(test_pm_timer),
		PM(test_pm_register_twice),
		PM(test_pm_save_load_same_behaviour),
		PM(test_pm_load_truncated_or_out_of_range),
		PM(test_pm_reset_is_power_on),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
