// SPDX-License-Identifier: MIT
/*
 * The VM lifecycle on host KVM, driven through the C API the way the
 * control plane will drive it: a counting guest (guests/count.S) writes
 * 0, 1, 2, ... to port 0x10, each write an exit the test records, and a
 * byte to port 0x20, which is an ioeventfd (no exit to user space).
 *
 *   pause-holds       paused for 300 ms, the guest does not advance (no
 *                     new value, every vCPU PAUSED), then resumes and
 *                     finishes: every value once, in order, exit 0 (HLT)
 *   pause-cycles      1000 pause/resume cycles while it counts: no value
 *                     lost or repeated, 1000 parks
 *   ioeventfd         the port-0x20 writes reached the eventfd (one per
 *                     value) and never the bus
 *   reset-in-place    vm_reset() while paused: the guest counts again from
 *                     0 in the same VM (same fd, same memory)
 *
 *   snapshot-restore  paused mid-count, snapshotted, restored into a new VM:
 *                     it counts on from where it was, every value once
 *   restore-cli       (with MINIVMM) `minivmm run --restore DIR` of that
 *                     snapshot runs to the guest's HLT; -m beside it refused
 *   snapshot-damaged  a flipped bit, a truncation, another architecture or
 *                     version, a short memory file: each refused
 *
 * Usage: lifecycle MINIVMM_GUESTS_DIR [MINIVMM].  Prints PASS/FAIL/SKIP lines and
 * "lifecycle: N passed, N failed, N skipped"; exit 1 on any failure.
 */
#include <errno.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "snapshot/snapshot.h"
#include "vm.h"

static int passed, failed, skipped;

static void verdict(bool ok, const char *name, const char *why)
{
	if (ok) {
		printf("PASS %s\n", name);
		passed++;
	} else {
		printf("FAIL %s: %s\n", name, why);
		failed++;
	}
	fflush(stdout);
}

/* What the guest wrote to port 0x10, in order. */
struct recorder {
	pthread_mutex_t lock;
	uint16_t *values;
	size_t n, cap;
	_Atomic size_t count;
	_Atomic unsigned long port20; /* writes that reached the bus (want 0) */
};

static void rec_write(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len)
{
	struct recorder *r = opaque;

	(void)offset;
	pthread_mutex_lock(&r->lock);
	if (r->n < r->cap)
		r->values[r->n++] = (uint16_t)bus_data_get(data, len);
	atomic_store(&r->count, r->n);
	pthread_mutex_unlock(&r->lock);
}

static void port20_write(void *opaque, uint64_t offset, const uint8_t *data,
			 uint32_t len)
{
	struct recorder *r = opaque;

	(void)offset;
	(void)data;
	(void)len;
	atomic_fetch_add(&r->port20, 1);
}

static const struct bus_ops rec_ops = { .write = rec_write };
static const struct bus_ops port20_ops = { .write = port20_write };

struct run {
	struct vm vm;
	struct vm_config cfg;
	struct recorder rec;
	char image[512], rcx[32]; /* the description points into these */
	char *argv[8];
	int efd;
	int code;
	pthread_t thread;
};

static void *run_main(void *arg)
{
	struct run *r = arg;

	r->code = vm_run(&r->vm);
	return NULL;
}

/* The recorder on port 0x10 and the ioeventfd on 0x20 of r's VM. */
static void run_attach(struct run *r, unsigned n)
{
	pthread_mutex_init(&r->rec.lock, NULL);
	r->rec.cap = n + 16;
	r->rec.values = calloc(r->rec.cap, sizeof(uint16_t));
	if (bus_register(&r->vm.pio, "recorder", 0x10, 2, BUS_W2, &rec_ops,
			 &r->rec) < 0 ||
	    bus_register(&r->vm.pio, "port20", 0x20, 1, BUS_W1, &port20_ops,
			 &r->rec) < 0 ||
	    (r->efd = vm_ioeventfd(&r->vm, true, 0x20, 1, false, 0)) < 0) {
		printf("setup: %s\n", err_msg());
		exit(1);
	}
}

/* A VM with the counting guest and count = n; NULL (reason printed). */
static struct run *run_new(const char *guests, unsigned n)
{
	struct run *r = calloc(1, sizeof(*r));
	char *argv[] = { "minivmm", "run", "--reg", r->rcx, "--timeout", "60",
			 r->image, NULL };

	snprintf(r->image, sizeof(r->image), "%s/count.bin", guests);
	snprintf(r->rcx, sizeof(r->rcx), "rcx=%u", n);
	config_init(&r->cfg);
	if (config_parse(&r->cfg, 7, argv) < 0 || config_finish(&r->cfg) < 0 ||
	    vm_create(&r->vm, &r->cfg) < 0) {
		printf("setup: %s\n", err_msg());
		vm_destroy(&r->vm);
		free(r);
		return NULL;
	}
	/* What a snapshot records (argv lives in r, as main's would). */
	memcpy(r->argv, argv, sizeof(argv));
	r->cfg.argc = 7;
	r->cfg.argv = r->argv;
	run_attach(r, n);
	return r;
}

static void run_start(struct run *r)
{
	pthread_create(&r->thread, NULL, run_main, r);
}

static void run_free(struct run *r)
{
	vm_destroy(&r->vm);
	free(r->rec.values);
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

/* Every value 0..n-1 exactly once, in order (the guest's values are u16). */
static bool in_order(const struct recorder *rec, size_t n, char *why,
		     size_t size)
{
	if (rec->n != n) {
		snprintf(why, size, "%zu values recorded, want %zu", rec->n, n);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (rec->values[i] != (uint16_t)i) {
			snprintf(why, size, "value %zu is %u", i, rec->values[i]);
			return false;
		}
	}
	return true;
}

static bool all_paused(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (atomic_load(&vm->vcpus[i].state) != VCPU_PAUSED)
			return false;
	return true;
}

static void test_pause_holds(const char *guests)
{
	enum { N = 3000 };
	struct run *r = run_new(guests, N);
	char why[160] = "";
	size_t c1, c2;
	bool ok, paused;
	uint64_t events = 0;

	if (!r) {
		verdict(false, "pause-holds", "no VM");
		return;
	}
	run_start(r);
	wait_count(r, 500);
	ok = vm_pause(&r->vm) == 0;
	paused = all_paused(&r->vm);
	c1 = atomic_load(&r->rec.count);
	usleep(300000);
	c2 = atomic_load(&r->rec.count);
	if (!ok)
		snprintf(why, sizeof(why), "vm_pause: %s", err_msg());
	else if (!paused)
		snprintf(why, sizeof(why), "a vCPU is not PAUSED after vm_pause");
	else if (c1 == N)
		snprintf(why, sizeof(why), "the guest finished before the pause");
	else if (c2 != c1)
		snprintf(why, sizeof(why), "paused, the guest advanced from %zu to %zu",
			 c1, c2);
	ok = ok && paused && c1 < N && c2 == c1;
	if (vm_resume(&r->vm) < 0 && ok)
		snprintf(why, sizeof(why), "vm_resume: %s", err_msg()), ok = false;
	pthread_join(r->thread, NULL);
	if (ok && r->code != 0)
		snprintf(why, sizeof(why), "exit code %d, want 0", r->code), ok = false;
	if (ok && !in_order(&r->rec, N, why, sizeof(why)))
		ok = false;
	verdict(ok, "pause-holds", why);

	/* The port-0x20 writes: all in the eventfd, none on the bus. */
	if (read(r->efd, &events, sizeof(events)) < 0)
		events = 0;
	snprintf(why, sizeof(why), "eventfd counted %llu, bus saw %lu, want %d and 0",
		 (unsigned long long)events, atomic_load(&r->rec.port20), N);
	verdict(events == N && atomic_load(&r->rec.port20) == 0, "ioeventfd", why);
	run_free(r);
}

static void test_pause_cycles(const char *guests)
{
	enum { N = 60000, CYCLES = 1000 };
	struct run *r = run_new(guests, N);
	char why[160] = "";
	int done = 0;
	bool ok = true;
	uint64_t parks;

	if (!r) {
		verdict(false, "pause-cycles", "no VM");
		return;
	}
	run_start(r);
	wait_count(r, 100);
	for (; done < CYCLES && atomic_load(&r->vm.state) != VM_STOPPED; done++) {
		if (vm_pause(&r->vm) < 0 || vm_resume(&r->vm) < 0) {
			snprintf(why, sizeof(why), "cycle %d: %s", done, err_msg());
			ok = false;
			break;
		}
	}
	pthread_join(r->thread, NULL);
	parks = r->vm.vcpus[0].stats.parks;
	if (ok && done < CYCLES)
		snprintf(why, sizeof(why), "the guest finished after %d cycles (make N larger)",
			 done), ok = false;
	if (ok && parks < CYCLES)
		snprintf(why, sizeof(why), "%llu parks, want %d",
			 (unsigned long long)parks, CYCLES), ok = false;
	if (ok && r->code != 0)
		snprintf(why, sizeof(why), "exit code %d", r->code), ok = false;
	if (ok && !in_order(&r->rec, N, why, sizeof(why)))
		ok = false;
	verdict(ok, "pause-cycles", why);
	run_free(r);
}

static void test_reset_in_place(const char *guests)
{
	enum { N = 2000 };
	struct run *r = run_new(guests, N);
	char why[160] = "";
	int vm_fd;
	bool ok;

	if (!r) {
		verdict(false, "reset-in-place", "no VM");
		return;
	}
	vm_fd = r->vm.vm_fd;
	run_start(r);
	wait_count(r, 300);
	ok = vm_pause(&r->vm) == 0;
	if (ok) {
		/* Start the record again: after the reset the count restarts. */
		pthread_mutex_lock(&r->rec.lock);
		r->rec.n = 0;
		atomic_store(&r->rec.count, 0);
		pthread_mutex_unlock(&r->rec.lock);
		ok = vm_reset(&r->vm) == 0;
		if (!ok)
			snprintf(why, sizeof(why), "vm_reset: %s", err_msg());
		ok = vm_resume(&r->vm) == 0 && ok;
	} else {
		snprintf(why, sizeof(why), "vm_pause: %s", err_msg());
	}
	pthread_join(r->thread, NULL);
	if (ok && r->vm.vm_fd != vm_fd)
		snprintf(why, sizeof(why), "the VM fd changed"), ok = false;
	if (ok && r->code != 0)
		snprintf(why, sizeof(why), "exit code %d", r->code), ok = false;
	/* The reset restarted CX too (from --reg): 0..N-1 again, complete. */
	if (ok && !in_order(&r->rec, N, why, sizeof(why)))
		ok = false;
	verdict(ok, "reset-in-place", why);
	run_free(r);
}

static const char *guests_dir;

static const char *minivmm_bin;

/* The status of `sh -c cmd`, with its stderr in err (at most size bytes). */
static int shell(const char *cmd, char *err, size_t size)
{
	char full[2048];
	FILE *p;
	size_t n;
	int st;

	snprintf(full, sizeof(full), "%s 2>&1 >/dev/null </dev/null", cmd);
	p = popen(full, "r");
	if (!p)
		return -1;
	n = fread(err, 1, size - 1, p);
	err[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * restore-cli: `minivmm run --restore DIR` runs the snapshot's guest on to
 * its HLT (exit 0); a machine option beside --restore is refused (exit 2).
 */
static void test_restore_cli(const char *dir)
{
	char cmd[1024], err[1024], why[1200] = "";
	int code;
	bool ok;

	snprintf(cmd, sizeof(cmd), "%s run --restore %s --timeout 60", minivmm_bin, dir);
	code = shell(cmd, err, sizeof(err));
	ok = code == 0 && strstr(err, "halted");
	if (!ok)
		snprintf(why, sizeof(why), "exit %d: %s", code, err);
	if (ok) {
		snprintf(cmd, sizeof(cmd), "%s run --restore %s -m 64", minivmm_bin, dir);
		code = shell(cmd, err, sizeof(err));
		ok = code == 2 && strstr(err, "-m cannot be given with it");
		if (!ok)
			snprintf(why, sizeof(why), "with -m: exit %d: %s", code, err);
	}
	verdict(ok, "restore-cli", why);
}

/* Whether a damaged copy of the state file is refused with `want` in the message. */
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

static void test_snapshot_damage(const char *dir, const char *state,
				 const char *mem)
{
	static struct snapshot snap;
	struct run *r = calloc(1, sizeof(*r));
	char why[900] = "";
	uint8_t *buf = NULL;
	long len = 0;
	FILE *f = fopen(state, "rb");
	bool ok = f != NULL;

	if (ok && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 64) {
		buf = malloc((size_t)len);
		rewind(f);
		ok = fread(buf, 1, (size_t)len, f) == (size_t)len;
	} else {
		ok = false;
	}
	if (f)
		fclose(f);
	if (!ok)
		snprintf(why, sizeof(why), "cannot read %s", state);
	if (ok) {
		buf[len / 2] ^= 0x10;
		ok = refused(buf, (size_t)len, "checksum", why, sizeof(why));
		buf[len / 2] ^= 0x10;
	}
	if (ok)
		ok = refused(buf, (size_t)len - 1, "truncated", why, sizeof(why));
	if (ok) {
		buf[12] ^= 0xff; /* the architecture */
		ok = refused(buf, (size_t)len, "a snapshot of an unknown VM", why,
			     sizeof(why));
		buf[12] ^= 0xff;
	}
	if (ok) {
		buf[8] = 2; /* the format version */
		ok = refused(buf, (size_t)len, "format version 2", why, sizeof(why));
		buf[8] = 1;
	}
	/* A memory file one page short. */
	if (ok && (truncate(mem, 4096) < 0 || snapshot_parse(&snap, buf, (size_t)len) < 0))
		snprintf(why, sizeof(why), "setup: %s", err_msg()), ok = false;
	if (ok) {
		config_init(&r->cfg);
		r->cfg.restore = dir;
		if (config_parse(&r->cfg, snap.argc, snap.argv) < 0 ||
		    config_finish(&r->cfg) < 0 || vm_create(&r->vm, &r->cfg) < 0)
			snprintf(why, sizeof(why), "setup: %s", err_msg()), ok = false;
		else if (snapshot_restore(&r->vm, &snap, mem) == 0)
			snprintf(why, sizeof(why), "a short memory file was taken"), ok = false;
		else if (!strstr(err_msg(), "the snapshot needs"))
			snprintf(why, sizeof(why), "refused with '%s'", err_msg()), ok = false;
		vm_destroy(&r->vm);
	}
	verdict(ok, "snapshot-damaged", why);
	snapshot_close(&snap);
	free(r);
	free(buf);
	unlink(state);
	unlink(mem);
	rmdir(dir);
}

/*
 * snapshot-restore: paused mid-count, snapshotted, the VM ended; a second
 * VM built from the snapshot's command line and restored from its files
 * counts on from the next value to the end, every value once.  The state
 * file then damaged (one bit, truncated) and the memory file shortened:
 * each refused with its reason.
 */
static void test_snapshot_restore(void)
{
	enum { N = 3000 };
	static struct snapshot snap;
	struct run *r = run_new(guests_dir, N), *r2 = NULL;
	char dir[] = "/tmp/minivmm-snap-XXXXXX", state[600], mem[600];
	char why[900] = "";
	size_t c1 = 0;
	bool ok;

	if (!r || !mkdtemp(dir)) {
		verdict(false, "snapshot-restore", "no VM or no temporary directory");
		return;
	}
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(mem, sizeof(mem), "%s/memory", dir);
	run_start(r);
	wait_count(r, 500);
	ok = vm_pause(&r->vm) == 0;
	c1 = atomic_load(&r->rec.count);
	if (ok && snapshot_create(&r->vm, state, mem) < 0)
		snprintf(why, sizeof(why), "snapshot_create: %s", err_msg()), ok = false;
	vm_request_stop(&r->vm, VM_STOP_SIGNAL, "test");
	pthread_join(r->thread, NULL);
	if (ok && snapshot_open(&snap, state) < 0)
		snprintf(why, sizeof(why), "snapshot_open: %s", err_msg()), ok = false;
	if (ok) {
		r2 = calloc(1, sizeof(*r2));
		config_init(&r2->cfg);
		if (config_parse(&r2->cfg, snap.argc, snap.argv) < 0 ||
		    config_finish(&r2->cfg) < 0)
			snprintf(why, sizeof(why), "argv: %s", err_msg()), ok = false;
		r2->cfg.restore = dir;
		if (ok && vm_create(&r2->vm, &r2->cfg) < 0)
			snprintf(why, sizeof(why), "vm_create: %s", err_msg()), ok = false;
		if (ok)
			run_attach(r2, N);
		if (ok && snapshot_restore(&r2->vm, &snap, mem) < 0)
			snprintf(why, sizeof(why), "snapshot_restore: %s", err_msg()), ok = false;
	}
	if (ok) {
		run_start(r2);
		pthread_join(r2->thread, NULL);
		if (r2->code != 0)
			snprintf(why, sizeof(why), "restored run: exit code %d", r2->code), ok = false;
	}
	/* The first run recorded 0..c1-1; the restored one c1..N-1. */
	if (ok && r2->rec.n != N - c1)
		snprintf(why, sizeof(why), "restored run recorded %zu values, want %zu (paused at %zu)",
			 r2->rec.n, N - c1, c1), ok = false;
	for (size_t i = 0; ok && i < r2->rec.n; i++)
		if (r2->rec.values[i] != (uint16_t)(c1 + i))
			snprintf(why, sizeof(why), "restored value %zu is %u, want %zu", i,
				 r2->rec.values[i], c1 + i), ok = false;
	verdict(ok, "snapshot-restore", why);
	snapshot_close(&snap);
	if (r2) {
		vm_destroy(&r2->vm);
		free(r2->rec.values);
		free(r2);
	}
	run_free(r);
	if (minivmm_bin)
		test_restore_cli(dir);
	test_snapshot_damage(dir, state, mem);
}

int main(int argc, char **argv)
{
	const char *guests = argc > 1 ? argv[1] : "build/guests";
	char path[512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "%s/count.bin", guests);
	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		printf("SKIP lifecycle: /dev/kvm is not usable here\n");
		skipped++;
	} else if (access(path, R_OK) < 0) {
		printf("FAIL lifecycle: %s is missing (run make first)\n", path);
		failed++;
	} else {
		test_pause_holds(guests);
		test_pause_cycles(guests);
		test_reset_in_place(guests);
		guests_dir = guests;
		minivmm_bin = argc > 2 ? argv[2] : NULL;
		test_snapshot_restore();
	}
	printf("lifecycle: %d passed, %d failed, %d skipped\n", passed, failed,
	       skipped);
	return failed ? 1 : 0;
}
