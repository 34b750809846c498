// SPDX-License-Identifier: MIT
/*
 * Pause, snapshot and restore of an arm64 VM under real arm64 KVM (run in
 * the nested tier's L1 by tests/arm64/run.sh), driven through the C API
 * as tests/guest/lifecycle.c drives the x86 one.  The guest is
 * guests/arm64/count.S on the virt machine (so with its GICv3): it stores
 * 0, 1, ... N-1 to REC, each store an MMIO exit the test records, and at
 * the end reports whether its GIC, timer, system and FP registers still
 * hold what it put there (a bit mask, 0: all) and the largest step its
 * virtual counter took between two values.
 *
 *   pause-clock       paused for PAUSE_MS mid-count, resumed: every value
 *                     once, in order, mask 0, and the counter's largest
 *                     step well under the pause (the counter is frozen)
 *   snapshot-restore  paused mid-count, PAUSE_MS later snapshotted, the VM
 *                     ended; a new VM from the snapshot's command line,
 *                     restored, counts on from the next value to the end,
 *                     every value once, mask 0, no counter jump
 *   snapshot-restore-smp2  the same with -smp 2: a second vCPU (PSCI never
 *                     starts it) and its redistributor and CPU interface
 *                     are saved and loaded too
 *   restore-cli       `minivmm run --restore DIR --trace mmio` of that
 *                     snapshot, in a new process: exit 0, its REC stores
 *                     (from the trace) continue exactly, mask 0, no jump;
 *                     -m beside --restore refused
 *   snapshot-damaged  a flipped bit, a truncation, another architecture or
 *                     version, a short memory file, and (checksum made
 *                     right again) a vCPU register id and a GIC record
 *                     that this host does not have: each refused with its
 *                     reason
 *
 * Usage: lifecycle GUESTS_DIR [MINIVMM].  Prints "PASS arm64-lifecycle-NAME",
 * "FAIL arm64-lifecycle-NAME: why" or SKIP lines and "arm64-lifecycle: N
 * passed, N failed, N skipped"; exit 1 on any failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "snapshot/snapshot.h"
#include "vm.h"

#define REC 0x0c000000ull /* guests/arm64/count.S */
#define N 3000
#define PAUSE_MS 1000
/* A counter step over a quarter of the pause: the pause was seen. */
#define STEP_LIMIT_MS (PAUSE_MS / 4)

static int passed, failed, skipped;

static void verdict(bool ok, const char *name, const char *why)
{
	if (ok) {
		/* On a pass, why says what was seen. */
		printf("PASS arm64-lifecycle-%s%s%s%s\n", name, *why ? " (" : "",
		       why, *why ? ")" : "");
		passed++;
	} else {
		printf("FAIL arm64-lifecycle-%s: %s\n", name, why);
		failed++;
	}
	fflush(stdout);
}

/* What the guest stored at REC (the values) and after them (its report). */
struct recorder {
	pthread_mutex_t lock;
	uint32_t values[N + 16];
	size_t n;
	_Atomic size_t count;
	uint32_t report[5]; /* REC+0x4..0x10: mask, step lo, step hi, cntfrq */
	bool reported;
};

static void rec_write(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len)
{
	struct recorder *r = opaque;
	uint32_t v = (uint32_t)bus_data_get(data, len);

	pthread_mutex_lock(&r->lock);
	if (offset == 0 && r->n < sizeof(r->values) / sizeof(r->values[0]))
		r->values[r->n++] = v;
	else if (offset >= 4 && offset <= 16 && offset % 4 == 0)
		r->report[offset / 4] = v, r->reported = true;
	atomic_store(&r->count, r->n);
	pthread_mutex_unlock(&r->lock);
}

static const struct bus_ops rec_ops = { .write = rec_write };

struct run {
	struct vm vm;
	struct vm_config cfg;
	struct recorder rec;
	char image[512], reg[32], smp[8];
	char *argv[16];
	int code;
	pthread_t thread;
};

static const char *guests_dir, *minivmm_bin;

static void *run_main(void *arg)
{
	struct run *r = arg;

	r->code = vm_run(&r->vm);
	return NULL;
}

static int run_attach(struct run *r)
{
	pthread_mutex_init(&r->rec.lock, NULL);
	if (bus_register(&r->vm.mmio, "recorder", REC, 0x20, BUS_W4, &rec_ops,
			 &r->rec) < 0) {
		printf("setup: %s\n", err_msg());
		return -1;
	}
	return 0;
}

/* A VM running the counting guest to N; NULL (reason printed). */
static struct run *run_new(const char *smp)
{
	struct run *r = calloc(1, sizeof(*r));
	int argc;

	snprintf(r->image, sizeof(r->image), "%s/count.bin", guests_dir);
	snprintf(r->reg, sizeof(r->reg), "x2=%u", N);
	snprintf(r->smp, sizeof(r->smp), "%s", smp);
	{
		char *argv[] = { "minivmm", "run", "-M", "virt", "-m", "64M",
				 "-smp", r->smp, "-serial", "none", "--reg", r->reg,
				 "--timeout", "60", r->image, NULL };

		argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
		memcpy(r->argv, argv, sizeof(argv));
	}
	config_init(&r->cfg);
	if (config_parse(&r->cfg, argc, r->argv) < 0 ||
	    config_finish(&r->cfg) < 0 || vm_create(&r->vm, &r->cfg) < 0) {
		printf("setup: %s\n", err_msg());
		vm_destroy(&r->vm);
		free(r);
		return NULL;
	}
	/* What a snapshot records (argv lives in r, as main's would). */
	r->cfg.argc = argc;
	r->cfg.argv = r->argv;
	if (run_attach(r) < 0) {
		vm_destroy(&r->vm);
		free(r);
		return NULL;
	}
	return r;
}

static void run_free(struct run *r)
{
	if (!r)
		return;
	vm_destroy(&r->vm);
	pthread_mutex_destroy(&r->rec.lock);
	free(r);
}

static void wait_count(struct run *r, size_t want)
{
	for (int i = 0; i < 20000 && atomic_load(&r->rec.count) < want &&
			atomic_load(&r->vm.state) != VM_STOPPED;
	     i++)
		usleep(1000);
}

/*
 * The guest's report: its mask 0 and its counter's largest step under
 * STEP_LIMIT_MS.  False with why filled otherwise.
 */
static bool report_ok(bool reported, const uint32_t *rep, char *why,
		      size_t size)
{
	uint64_t step = rep[2] | (uint64_t)rep[3] << 32, freq = rep[4];

	if (!reported) {
		snprintf(why, size, "the guest sent no report");
		return false;
	}
	if (rep[1]) {
		snprintf(why, size, "the guest found its state changed: mask 0x%x (count.S: bit 0 FP, 1 TPIDR_EL1, 2-6 GIC, 7-8 ICC, 9-10 timer)",
			 rep[1]);
		return false;
	}
	if (!freq || step > freq * STEP_LIMIT_MS / 1000) {
		snprintf(why, size, "the virtual counter stepped %llu ticks (%.3f s at %llu Hz) between two values: the pause was seen",
			 (unsigned long long)step,
			 freq ? (double)step / (double)freq : 0.0,
			 (unsigned long long)freq);
		return false;
	}
	snprintf(why, size, "state intact, largest counter step %.1f ms",
		 (double)step * 1000.0 / (double)freq);
	return true;
}

/* Values from..N-1 exactly, in order. */
static bool values_ok(const uint32_t *v, size_t n, size_t from, char *why,
		      size_t size)
{
	if (n != N - from) {
		snprintf(why, size, "%zu values recorded, want %zu (from %zu)", n,
			 N - from, from);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i] != from + i) {
			snprintf(why, size, "value %zu is %u, want %zu", i, v[i],
				 from + i);
			return false;
		}
	}
	return true;
}

static void test_pause_clock(void)
{
	struct run *r = run_new("1");
	char why[300] = "";
	size_t c1;
	bool ok;

	if (!r) {
		verdict(false, "pause-clock", "no VM");
		return;
	}
	pthread_create(&r->thread, NULL, run_main, r);
	wait_count(r, 500);
	ok = vm_pause(&r->vm) == 0;
	c1 = atomic_load(&r->rec.count);
	if (!ok)
		snprintf(why, sizeof(why), "vm_pause: %s", err_msg());
	else if (c1 >= N)
		snprintf(why, sizeof(why), "the guest finished before the pause"), ok = false;
	usleep(PAUSE_MS * 1000);
	if (vm_resume(&r->vm) < 0 && ok)
		snprintf(why, sizeof(why), "vm_resume: %s", err_msg()), ok = false;
	pthread_join(r->thread, NULL);
	if (ok && r->code != 0)
		snprintf(why, sizeof(why), "exit code %d, want 0", r->code), ok = false;
	if (ok)
		ok = values_ok(r->rec.values, r->rec.n, 0, why, sizeof(why));
	if (ok && report_ok(r->rec.reported, r->rec.report, why, sizeof(why))) {
		char seen[200];

		snprintf(seen, sizeof(seen), "paused at %zu for %d ms, 0..%d in order, %s",
			 c1, PAUSE_MS, N - 1, why);
		snprintf(why, sizeof(why), "%s", seen);
	} else {
		ok = false;
	}
	verdict(ok, "pause-clock", why);
	run_free(r);
}

/* Reads a whole file; NULL when it cannot. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0) {
		buf = malloc((size_t)n);
		rewind(f);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/*
 * restore-cli: a new process restores the snapshot, --trace mmio shows
 * every store the guest makes to REC.
 */
static void test_restore_cli(const char *dir, size_t from)
{
	char cmd[1200], line[256], why[600] = "";
	static uint32_t values[N + 16];
	uint32_t rep[5] = { 0 };
	bool reported = false, ok;
	size_t n = 0;
	FILE *p;
	int st, code;

	snprintf(cmd, sizeof(cmd),
		 "%s run --restore %s --trace mmio --timeout 60 2>&1 >/dev/null </dev/null",
		 minivmm_bin, dir);
	p = popen(cmd, "r");
	if (!p) {
		verdict(false, "restore-cli", "popen failed");
		return;
	}
	while (fgets(line, sizeof(line), p)) {
		unsigned long long addr, data;
		unsigned size;

		if (sscanf(line, "mmio write addr=0x%llx size=%u data=0x%llx",
			   &addr, &size, &data) != 3) {
			/* The last other line says why the run ended. */
			if (!strstr(line, "mmio "))
				snprintf(why, sizeof(why), "%s", line);
			continue;
		}
		if (addr == REC && n < sizeof(values) / sizeof(values[0]))
			values[n++] = (uint32_t)data;
		else if (addr > REC && addr <= REC + 16 && addr % 4 == 0)
			rep[(addr - REC) / 4] = (uint32_t)data, reported = true;
	}
	st = pclose(p);
	code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	why[strcspn(why, "\n")] = '\0';
	ok = code == 0;
	if (!ok) {
		char last[400];

		snprintf(last, sizeof(last), "%s", why);
		snprintf(why, sizeof(why), "exit %d: %s", code, last);
	}
	if (ok)
		ok = values_ok(values, n, from, why, sizeof(why));
	if (ok)
		ok = report_ok(reported, rep, why, sizeof(why));
	if (ok) {
		char err[512], seen[300];

		snprintf(seen, sizeof(seen), "a new process: %zu..%d in order, %s; -m refused",
			 from, N - 1, why);
		size_t got;

		snprintf(cmd, sizeof(cmd), "%s run --restore %s -m 64 2>&1 >/dev/null </dev/null",
			 minivmm_bin, dir);
		p = popen(cmd, "r");
		got = p ? fread(err, 1, sizeof(err) - 1, p) : 0;
		err[got] = '\0';
		st = p ? pclose(p) : -1;
		code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		ok = code == 2 && strstr(err, "-m cannot be given with it");
		if (!ok)
			snprintf(why, sizeof(why), "with -m: exit %d: %s", code, err);
		else
			snprintf(why, sizeof(why), "%s", seen);
	}
	verdict(ok, "restore-cli", why);
}

static bool refused(const uint8_t *buf, size_t len, const char *want,
		    char *why, size_t size)
{
	struct snapshot s;

	if (snapshot_parse(&s, buf, len) == 0) {
		snapshot_close(&s);
		snprintf(why, size, "a damaged state file (%s) was taken", want);
		return false;
	}
	if (!strstr(err_msg(), want)) {
		snprintf(why, size, "refused with '%s', want '%s'", err_msg(), want);
		return false;
	}
	return true;
}

/*
 * A restore of buf (a whole state file) with mem into a new VM fails
 * with want in the message.
 */
static bool restore_refused(const uint8_t *buf, size_t len, const char *dir,
			    const char *mem, const char *want, char *why,
			    size_t size)
{
	static struct snapshot snap;
	struct run *r;
	bool ok = false;

	if (snapshot_parse(&snap, buf, len) < 0) {
		snprintf(why, size, "setup: %s", err_msg());
		return false;
	}
	r = calloc(1, sizeof(*r));
	config_init(&r->cfg);
	r->cfg.restore = dir;
	if (config_parse(&r->cfg, snap.argc, snap.argv) < 0 ||
	    config_finish(&r->cfg) < 0 || vm_create(&r->vm, &r->cfg) < 0)
		snprintf(why, size, "setup: %s", err_msg());
	else if (snapshot_restore(&r->vm, &snap, mem) == 0)
		snprintf(why, size, "a snapshot that should fail (%s) was restored", want);
	else if (!strstr(err_msg(), want))
		snprintf(why, size, "refused with '%s', want '%s'", err_msg(), want);
	else
		ok = true;
	vm_destroy(&r->vm);
	free(r);
	snapshot_close(&snap);
	return ok;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * The offsets of the machine part's first GIC record and of vCPU 0's
 * first register id (docs/SNAPSHOT.md), 0 when the file is not laid out
 * so.
 */
static void find_parts(const uint8_t *b, size_t len, size_t *gic, size_t *reg)
{
	size_t o = SNAPSHOT_HEADER_SIZE, part;
	uint32_t n;

	*gic = *reg = 0;
#define NEED(k)                         \
	do {                            \
		if (o + (k) > len)      \
			return;         \
	} while (0)
	NEED(4);
	n = le32(b + o), o += 4;
	for (uint32_t i = 0; i < n; i++) {
		NEED(2);
		o += 2 + (b[o] | b[o + 1] << 8);
	}
	NEED(4);
	n = le32(b + o), o += 4;
	for (uint32_t i = 0; i < n; i++) {
		NEED(2);
		o += 2 + (b[o] | b[o + 1] << 8) + 8;
	}
	NEED(4);
	part = le32(b + o), o += 4; /* the machine part */
	NEED(1 + 4 + 4);
	if (b[o] == 3)
		*gic = o + 1 + 4; /* version, record count */
	o += part;
	NEED(4 + 4 + 4 + 8);
	*reg = o + 4 + 4 + 4; /* vCPU count, part length, register count */
#undef NEED
}

static void test_snapshot_damaged(const char *dir, const char *state,
				  const char *mem)
{
	char why[900] = "";
	size_t len = 0, gic, reg;
	uint8_t *buf = slurp(state, &len);
	bool ok = buf && len > 64;

	if (!ok)
		snprintf(why, sizeof(why), "cannot read %s", state);
	if (ok) {
		buf[len / 2] ^= 0x10;
		ok = refused(buf, len, "checksum", why, sizeof(why));
		buf[len / 2] ^= 0x10;
	}
	if (ok)
		ok = refused(buf, len - 1, "truncated", why, sizeof(why));
	if (ok) {
		buf[12] ^= 0xff;
		ok = refused(buf, len, "a snapshot of an unknown VM", why, sizeof(why));
		buf[12] ^= 0xff;
	}
	if (ok) {
		buf[8] = 2;
		ok = refused(buf, len, "format version 2", why, sizeof(why));
		buf[8] = 1;
	}
	if (ok) {
		find_parts(buf, len, &gic, &reg);
		if (!gic || !reg)
			snprintf(why, sizeof(why), "the state file is not laid out as docs/SNAPSHOT.md says (GIC at %zu, registers at %zu)",
				 gic, reg), ok = false;
	}
	/* A register id this host does not list; the checksum made right. */
	if (ok) {
		buf[reg + 2] ^= 0x40;
		snapshot_header_fill(buf, len);
		ok = restore_refused(buf, len, dir, mem, "registers differ from this host's",
				     why, sizeof(why));
		buf[reg + 2] ^= 0x40;
	}
	/* The first GIC record another register's. */
	if (ok) {
		buf[gic + 4] ^= 0x04;
		snapshot_header_fill(buf, len);
		ok = restore_refused(buf, len, dir, mem, "GIC record 0 is", why,
				     sizeof(why));
		buf[gic + 4] ^= 0x04;
	}
	/* A memory file one page short (the state file intact again). */
	if (ok)
		snapshot_header_fill(buf, len);
	if (ok && truncate(mem, 4096) < 0)
		snprintf(why, sizeof(why), "truncate: %s", strerror(errno)), ok = false;
	if (ok)
		ok = restore_refused(buf, len, dir, mem, "the snapshot needs", why,
				     sizeof(why));
	if (ok)
		snprintf(why, sizeof(why), "bit flip, truncation, architecture, version, register id, GIC record, short memory: each refused");
	verdict(ok, "snapshot-damaged", why);
	free(buf);
}

/*
 * snapshot-restore: paused mid-count, PAUSE_MS later snapshotted, the VM
 * ended; a second VM built from the snapshot's command line and restored
 * from its files counts on from the next value.
 */
static void test_snapshot_restore(const char *smp)
{
	static struct snapshot snap;
	struct run *r = run_new(smp), *r2 = NULL;
	/* -smp 1 is the case the others use; -smp 2 adds a vCPU PSCI never started. */
	bool first = !strcmp(smp, "1");
	const char *name = first ? "snapshot-restore" : "snapshot-restore-smp2";
	char dir[] = "/tmp/minivmm-a64snap-XXXXXX", state[600], mem[600];
	char why[900] = "";
	size_t c1 = 0;
	bool ok;

	if (!r || !mkdtemp(dir)) {
		verdict(false, name, "no VM or no temporary directory");
		run_free(r);
		return;
	}
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(mem, sizeof(mem), "%s/memory", dir);
	pthread_create(&r->thread, NULL, run_main, r);
	wait_count(r, 500);
	ok = vm_pause(&r->vm) == 0;
	c1 = atomic_load(&r->rec.count);
	if (!ok)
		snprintf(why, sizeof(why), "vm_pause: %s", err_msg());
	else if (c1 >= N)
		snprintf(why, sizeof(why), "the guest finished before the pause"), ok = false;
	usleep(PAUSE_MS * 1000);
	if (ok && snapshot_create(&r->vm, state, mem) < 0)
		snprintf(why, sizeof(why), "snapshot_create: %s", err_msg()), ok = false;
	vm_request_stop(&r->vm, VM_STOP_SIGNAL, "test");
	pthread_join(r->thread, NULL);
	if (ok && snapshot_open(&snap, state) < 0)
		snprintf(why, sizeof(why), "snapshot_open: %s", err_msg()), ok = false;
	if (ok) {
		r2 = calloc(1, sizeof(*r2));
		config_init(&r2->cfg);
		r2->cfg.restore = dir;
		if (config_parse(&r2->cfg, snap.argc, snap.argv) < 0 ||
		    config_finish(&r2->cfg) < 0)
			snprintf(why, sizeof(why), "argv: %s", err_msg()), ok = false;
		if (ok && vm_create(&r2->vm, &r2->cfg) < 0)
			snprintf(why, sizeof(why), "vm_create: %s", err_msg()), ok = false;
		if (ok && run_attach(r2) < 0)
			snprintf(why, sizeof(why), "recorder: %s", err_msg()), ok = false;
		if (ok && snapshot_restore(&r2->vm, &snap, mem) < 0)
			snprintf(why, sizeof(why), "snapshot_restore: %s", err_msg()), ok = false;
	}
	if (ok) {
		pthread_create(&r2->thread, NULL, run_main, r2);
		pthread_join(r2->thread, NULL);
		if (r2->code != 0)
			snprintf(why, sizeof(why), "restored run: exit code %d", r2->code), ok = false;
	}
	if (ok)
		ok = values_ok(r2->rec.values, r2->rec.n, c1, why, sizeof(why));
	if (ok && report_ok(r2->rec.reported, r2->rec.report, why, sizeof(why))) {
		char seen[300];

		snprintf(seen, sizeof(seen), "-smp %s, paused at %zu, restored into a new VM: %zu..%d in order, %s",
			 smp, c1, c1, N - 1, why);
		snprintf(why, sizeof(why), "%s", seen);
	} else {
		ok = false;
	}
	verdict(ok, name, why);
	snapshot_close(&snap);
	if (r2) {
		vm_destroy(&r2->vm);
		free(r2);
	}
	run_free(r);
	if (!first)
		goto out;
	if (minivmm_bin) {
		if (access(state, R_OK) == 0)
			test_restore_cli(dir, c1);
		else
			verdict(false, "restore-cli", "no snapshot to restore");
	}
	test_snapshot_damaged(dir, state, mem);
out:
	unlink(state);
	unlink(mem);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	char path[512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	guests_dir = argc > 1 ? argv[1] : "build-arm64/guests";
	minivmm_bin = argc > 2 ? argv[2] : NULL;
	snprintf(path, sizeof(path), "%s/count.bin", guests_dir);
	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		printf("SKIP arm64-lifecycle: /dev/kvm is not usable here\n");
		skipped++;
	} else if (access(path, R_OK) < 0) {
		printf("FAIL arm64-lifecycle: %s is missing\n", path);
		failed++;
	} else {
		test_pause_clock();
		test_snapshot_restore("1");
		test_snapshot_restore("2");
	}
	printf("arm64-lifecycle: %d passed, %d failed, %d skipped\n", passed,
	       failed, skipped);
	return failed ? 1 : 0;
}
