// SPDX-License-Identifier: MIT
/*
 * The disk image back end (src/block/) against temporary files: opening
 * and its refusals, the lock, the properties, every request type through
 * the I/O threads (multi-buffer round trips, flush, discard freeing
 * blocks, write-zeroes), cache=none's bounce buffer, the range and
 * read-only checks, the bounded queue, many requests at once completing
 * exactly once, and drain.
 *
 * The files live in a fresh directory under $TMPDIR (default /tmp), and
 * for tmpfs cases under /dev/shm.  open() is wrapped below so that a
 * filesystem refusing O_DIRECT can be shown on any kernel (tmpfs accepts
 * O_DIRECT since Linux 6.6).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block/aio.h"
#include "block/image.h"
#include "config.h"
#include "log.h"
#include "machine.h"
#include "unit.h"
#include "vm.h"

/* ---- open() with an O_DIRECT refusal on request ---------------------- */

static bool refuse_o_direct;

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (refuse_o_direct && (flags & O_DIRECT)) {
		errno = EINVAL; /* what a filesystem without O_DIRECT says */
		return -1;
	}
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

/* ---- fixtures ---------------------------------------------------------- */

static char dir[256];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/minivmm-block-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[512];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (rmdir(p) < 0)
			unlink(p);
	}
	closedir(d);
	rmdir(path);
}

static int teardown(void **state)
{
	(void)state;
	refuse_o_direct = false;
	remove_tree(dir);
	return 0;
}

/* The byte the test images hold at offset i. */
static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 12) + 1);
}

/* A file of `size` pattern bytes at dir/name (or `in`/name). */
static void make_file_in(const char *in, const char *name, uint64_t size,
			 char *path, size_t path_size)
{
	uint8_t buf[4096];
	FILE *f;

	snprintf(path, path_size, "%s/%s", in, name);
	f = fopen(path, "w");
	assert_non_null(f);
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) :
						      sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		assert_int_equal(fwrite(buf, 1, n, f), n);
	}
	assert_int_equal(fflush(f), 0);
	assert_int_equal(fsync(fileno(f)), 0);
	assert_int_equal(fclose(f), 0);
}

static void make_file(const char *name, uint64_t size, char *path,
		      size_t path_size)
{
	make_file_in(dir, name, size, path, path_size);
}

static struct drive_cfg drive(const char *path)
{
	struct drive_cfg d;

	memset(&d, 0, sizeof(d));
	snprintf(d.file, sizeof(d.file), "%s", path);
	snprintf(d.id, sizeof(d.id), "disk0");
	d.iface = DRIVE_IF_NONE;
	d.cache = DRIVE_CACHE_WRITEBACK;
	return d;
}

static struct block_image *open_ok(const struct drive_cfg *d)
{
	struct block_image *img;

	err_clear();
	img = block_image_open(d);
	if (!img) {
		print_error("block_image_open(%s): %s\n", d->file, err_msg());
		fail();
	}
	return img;
}

static void open_refused(const struct drive_cfg *d, const char *needle)
{
	err_clear();
	assert_null(block_image_open(d));
	assert_err_contains(needle);
}

/* Completion counting: done() may run on any I/O thread. */
struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned done;
};

#define WAITER_INIT \
	{ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }

static void waiter_done(struct block_request *req)
{
	struct waiter *w = req->opaque;

	pthread_mutex_lock(&w->lock);
	w->done++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void waiter_wait(struct waiter *w, unsigned n)
{
	pthread_mutex_lock(&w->lock);
	while (w->done < n)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

/* Submit and wait: the result, or submit's refusal. */
static ssize_t run(struct block_image *img, enum block_op op, uint64_t offset,
		   const struct iovec *iov, unsigned nr_iov, uint64_t len,
		   uint32_t flags)
{
	struct waiter w = WAITER_INIT;
	struct block_request req = {
		.op = op,
		.offset = offset,
		.iov = iov,
		.nr_iov = nr_iov,
		.len = len,
		.flags = flags,
		.result = 12345,
		.done = waiter_done,
		.opaque = &w,
	};
	int r = block_submit(img, &req);

	if (r < 0) {
		assert_int_not_equal(r, -EAGAIN);
		assert_int_equal(req.result, r);
		block_drain(img);
		assert_int_equal(w.done, 0); /* refused: done never runs */
		return r;
	}
	waiter_wait(&w, 1);
	block_drain(img);
	assert_int_equal(w.done, 1);
	return req.result;
}

static ssize_t run_buf(struct block_image *img, enum block_op op,
		       uint64_t offset, void *buf, uint64_t len)
{
	struct iovec one = { .iov_base = buf, .iov_len = len };

	return run(img, op, offset, &one, 1, len, 0);
}

static void check_file_bytes(const char *path, uint64_t offset,
			     const uint8_t *expect, size_t len)
{
	uint8_t *got = malloc(len);
	int fd = open(path, O_RDONLY);

	assert_non_null(got);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, got, len, (off_t)offset), (ssize_t)len);
	close(fd);
	for (size_t i = 0; i < len; i++) {
		if (got[i] != expect[i]) {
			print_error("%s byte 0x%llx: 0x%02x, expected 0x%02x\n",
				    path, (unsigned long long)(offset + i),
				    got[i], expect[i]);
			fail();
		}
	}
	free(got);
}

static void check_file_pattern(const char *path, uint64_t offset, size_t len)
{
	uint8_t *expect = malloc(len);

	assert_non_null(expect);
	for (size_t i = 0; i < len; i++)
		expect[i] = pattern(offset + i);
	check_file_bytes(path, offset, expect, len);
	free(expect);
}

static void check_file_zeros(const char *path, uint64_t offset, size_t len)
{
	uint8_t *expect = calloc(1, len);

	assert_non_null(expect);
	check_file_bytes(path, offset, expect, len);
	free(expect);
}

static uint64_t file_blocks(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_blocks;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

/* ---- opening ------------------------------------------------------------- */

static void test_open_properties(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	char path[512];
	uint32_t pb;

	(void)state;
	make_file("disk.img", 1 << 20, path, sizeof(path));
	d = drive(path);
	img = open_ok(&d);
	assert_int_equal(block_image_size(img), 1 << 20);
	assert_false(block_image_readonly(img));
	assert_false(block_image_discard(img));
	assert_int_equal(block_image_logical_block_size(img), 512);
	pb = block_image_physical_block_size(img);
	assert_true(pb >= 512 && pb <= 65536 && !(pb & (pb - 1)));
	assert_int_equal(block_image_min_io_size(img), pb);
	assert_string_equal(block_image_path(img), path);
	assert_string_equal(block_image_id(img), "disk0");
	block_image_close(img);

	d.readonly = true;
	d.discard = true;
	img = open_ok(&d);
	assert_true(block_image_readonly(img));
	assert_true(block_image_discard(img));
	block_image_close(img);
	block_image_close(NULL);
}

/* Under -v the back end says which I/O path it uses. */
static void test_open_logs_the_io_path(void **state)
{
	struct drive_cfg d;
	char path[512], *text;
	enum log_level saved = log_get_level();

	(void)state;
	make_file("disk.img", 8192, path, sizeof(path));
	d = drive(path);
	log_set_level(LOG_INFO);
	unit_stderr_begin();
	block_image_close(open_ok(&d));
	text = unit_stderr_end();
	log_set_level(saved);
	assert_str_contains(text, "drive disk0: ");
	assert_str_contains(text, "8192 bytes");
	assert_str_contains(text, "cache=writeback");
	assert_str_contains(text, "I/O threads");
	assert_str_contains(text, "preadv/pwritev");
	free(text);
}

static void test_open_refusals(void **state)
{
	struct drive_cfg d;
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.img", dir);
	d = drive(path);
	open_refused(&d, "-drive file=");
	open_refused(&d, "missing.img: No such file or directory");

	d = drive(dir);
	open_refused(&d, "is a directory, not a disk image");

	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	d = drive(path);
	open_refused(&d, "is neither a regular file nor a block device");
	d.readonly = true;
	open_refused(&d, "is neither a regular file nor a block device");

	d = drive("/dev/null");
	open_refused(&d, "-drive file=/dev/null: /dev/null is neither a regular file nor a block device");

	d = drive("");
	open_refused(&d, "file= is missing");
}

/* An image we may not write needs readonly=on (root may write anything). */
static void check_readonly_file_refused(const char *path)
{
	struct drive_cfg d = drive(path);
	struct block_image *img;

	open_refused(&d, "cannot be written (add readonly=on)");
	assert_err_contains(path);
	assert_err_contains("Permission denied");
	d.readonly = true;
	img = open_ok(&d);
	assert_true(block_image_readonly(img));
	block_image_close(img);
}

static void test_open_readonly_file_needs_readonly_on(void **state)
{
	char path[512];
	pid_t pid;
	int status;

	(void)state;
	make_file("ro.img", 4096, path, sizeof(path));
	assert_int_equal(chmod(path, 0444), 0);
	if (geteuid() != 0) {
		check_readonly_file_refused(path);
		return;
	}
	/* As root, in a child that is nobody. */
	assert_int_equal(chmod(dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		check_readonly_file_refused(path);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the lock -------------------------------------------------------------- */

static void test_lock_second_writer_refused(void **state)
{
	struct drive_cfg rw, ro;
	struct block_image *a, *b, *c;
	char path[512];

	(void)state;
	make_file("locked.img", 4096, path, sizeof(path));
	rw = drive(path);
	ro = drive(path);
	ro.readonly = true;

	a = open_ok(&rw);
	open_refused(&rw, "is in use by another process (locked)");
	assert_err_contains(path);
	open_refused(&ro, "is in use by another process (locked)");
	block_image_close(a);

	/* Readers share; a writer waits for them all to go. */
	a = open_ok(&ro);
	b = open_ok(&ro);
	open_refused(&rw, "in use by another process (locked)");
	block_image_close(a);
	open_refused(&rw, "in use by another process (locked)");
	block_image_close(b);
	c = open_ok(&rw);
	block_image_close(c);
}

static void test_lock_held_against_another_process(void **state)
{
	struct drive_cfg rw;
	struct block_image *img;
	char path[512], c;
	int to_child[2], from_child[2], status;
	pid_t pid;

	(void)state;
	make_file("shared.img", 4096, path, sizeof(path));
	rw = drive(path);
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	/*
	 * The child is forked before the parent opens its image: an open
	 * image has I/O threads, and a fork while one of them holds a lock
	 * (the allocator's, under ASan) leaves the child waiting on it.
	 */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct block_image *mine;
		bool refused;

		close(to_child[1]);
		close(from_child[0]);
		/* The parent has opened it: refused. */
		if (read(to_child[0], &c, 1) != 1)
			_exit(4);
		mine = block_image_open(&rw);
		refused = !mine && strstr(err_msg(), "in use by another process (locked)");
		if (write(from_child[1], "t", 1) != 1 || !refused)
			_exit(1);
		/* The parent closed it: ours now. */
		if (read(to_child[0], &c, 1) != 1)
			_exit(2);
		mine = block_image_open(&rw);
		if (!mine)
			_exit(3);
		block_image_close(mine);
		_exit(0);
	}
	close(from_child[1]);
	img = open_ok(&rw);
	assert_int_equal(write(to_child[1], "o", 1), 1);
	/* The child's first try happens while this is open. */
	assert_int_equal(read(from_child[0], &c, 1), 1);
	block_image_close(img);
	assert_int_equal(write(to_child[1], "x", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(to_child[0]);
	close(to_child[1]);
	close(from_child[0]);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- cache=none --------------------------------------------------------- */

static void test_o_direct_refused_clearly(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	char path[512];

	(void)state;
	make_file("direct.img", 8192, path, sizeof(path));
	d = drive(path);
	d.cache = DRIVE_CACHE_NONE;
	refuse_o_direct = true;
	open_refused(&d, "cache=none needs O_DIRECT, which the filesystem holding");
	assert_err_contains("use cache=writeback");
	assert_err_contains(path);
	/* writeback does not need it. */
	d.cache = DRIVE_CACHE_WRITEBACK;
	img = open_ok(&d);
	block_image_close(img);
	refuse_o_direct = false;
}

/* tmpfs itself: refused before Linux 6.6 with that message, else works. */
static void test_o_direct_on_dev_shm(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	char shm[64], path[512];

	(void)state;
	snprintf(shm, sizeof(shm), "/dev/shm/minivmm-block-XXXXXX");
	if (!mkdtemp(shm))
		skip();
	make_file_in(shm, "direct.img", 8192, path, sizeof(path));
	d = drive(path);
	d.cache = DRIVE_CACHE_NONE;
	err_clear();
	img = block_image_open(&d);
	if (img) {
		uint8_t buf[1000];

		memset(buf, 0x5a, sizeof(buf));
		assert_int_equal(run_buf(img, BLOCK_WRITE, 100, buf, sizeof(buf)),
				 sizeof(buf));
		block_image_close(img);
		check_file_bytes(path, 100, buf, sizeof(buf));
	} else {
		assert_err_contains("cache=none needs O_DIRECT");
		assert_err_contains("use cache=writeback");
	}
	unlink(path);
	rmdir(shm);
}

/*
 * O_DIRECT's bounce buffer: misaligned offsets, lengths and buffers, the
 * neighbours of a partial block kept, a request over more than one bounce
 * buffer, and a file whose size is no multiple of the alignment keeping
 * its size.
 */
static void test_cache_none_bounce(void **state)
{
	const uint64_t size = 3 * (1 << 20) + 300;
	struct drive_cfg d;
	struct block_image *img;
	char path[512];
	uint8_t *buf, *aligned = NULL;
	struct iovec iov[3];

	(void)state;
	make_file("direct.img", size, path, sizeof(path));
	d = drive(path);
	d.cache = DRIVE_CACHE_NONE;
	img = open_ok(&d);
	buf = malloc(size + 1);
	assert_non_null(buf);
	assert_int_equal(posix_memalign((void **)&aligned, 4096, 1 << 20), 0);

	/* Misaligned offset and length, odd buffer address. */
	memset(buf + 1, 0xa1, 1000);
	assert_int_equal(run_buf(img, BLOCK_WRITE, 100, buf + 1, 1000), 1000);
	check_file_pattern(path, 0, 100);
	check_file_bytes(path, 100, buf + 1, 1000);
	check_file_pattern(path, 1100, 8192);

	/* Aligned offset, buffers split oddly. */
	memset(buf, 0xb2, 8193);
	iov[0] = (struct iovec){ buf + 1, 3000 };
	iov[1] = (struct iovec){ buf + 3001, 1 };
	iov[2] = (struct iovec){ buf + 3002, 8192 - 3001 };
	assert_int_equal(run(img, BLOCK_WRITE, 65536, iov, 3, 8192, 0), 8192);
	check_file_bytes(path, 65536, buf, 8192);
	check_file_pattern(path, 65536 + 8192, 4096);

	/* A read that spans three bounce buffers, misaligned at both ends. */
	memset(buf, 0, size);
	assert_int_equal(run_buf(img, BLOCK_READ, 4097, buf + 3, 2500000),
			 2500000);
	for (uint64_t i = 0; i < 2500000; i++) {
		uint64_t off = 4097 + i;
		uint8_t want = (off >= 65536 && off < 65536 + 8192) ? 0xb2 :
								      pattern(off);

		if (buf[3 + i] != want) {
			print_error("byte 0x%llx: 0x%02x, expected 0x%02x\n",
				    (unsigned long long)off, buf[3 + i], want);
			fail();
		}
	}

	/* An aligned request goes straight through. */
	memset(aligned, 0xc3, 1 << 20);
	assert_int_equal(run_buf(img, BLOCK_WRITE, 1 << 20, aligned, 1 << 20),
			 1 << 20);
	check_file_bytes(path, 1 << 20, aligned, 1 << 20);

	/* The last 100 bytes: the file stays 3 MiB + 300 bytes long. */
	memset(buf, 0xd4, 100);
	assert_int_equal(run_buf(img, BLOCK_WRITE, size - 100, buf, 100), 100);
	assert_int_equal(file_size(path), size);
	check_file_bytes(path, size - 100, buf, 100);
	memset(buf, 0, 612);
	assert_int_equal(run_buf(img, BLOCK_READ, size - 612, buf, 612), 612);
	for (int i = 0; i < 512; i++)
		assert_int_equal(buf[i], pattern(size - 612 + i));
	for (int i = 512; i < 612; i++)
		assert_int_equal(buf[i], 0xd4);

	/* Write zeroes through O_DIRECT too. */
	assert_int_equal(run(img, BLOCK_WRITE_ZEROES, 7, NULL, 0, 10000, 0),
			 10000);
	check_file_zeros(path, 7, 10000);
	check_file_pattern(path, 0, 7);
	assert_int_equal(run(img, BLOCK_FLUSH, 0, NULL, 0, 0, 0), 0);
	block_image_close(img);
	free(aligned);
	free(buf);
}

/* ---- the requests --------------------------------------------------------- */

static void test_read_write_round_trip_multi_iovec(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	char path[512];
	uint8_t out[4096], in[4096];
	struct iovec wiov[3], riov[4];

	(void)state;
	make_file("rw.img", 1 << 20, path, sizeof(path));
	d = drive(path);
	img = open_ok(&d);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(0xff - i);
	wiov[0] = (struct iovec){ out, 512 };
	wiov[1] = (struct iovec){ out + 512, 1000 };
	wiov[2] = (struct iovec){ out + 1512, 4096 - 1512 };
	assert_int_equal(run(img, BLOCK_WRITE, 8192, wiov, 3, 4096, 0), 4096);
	check_file_bytes(path, 8192, out, 4096);
	check_file_pattern(path, 0, 8192);
	check_file_pattern(path, 8192 + 4096, 4096);

	memset(in, 0, sizeof(in));
	riov[0] = (struct iovec){ in, 1 };
	riov[1] = (struct iovec){ in + 1, 0 };
	riov[2] = (struct iovec){ in + 1, 2047 };
	riov[3] = (struct iovec){ in + 2048, 2048 };
	assert_int_equal(run(img, BLOCK_READ, 8192, riov, 4, 4096, 0), 4096);
	assert_memory_equal(in, out, 4096);

	/* Reads of the untouched pattern, across the write. */
	assert_int_equal(run_buf(img, BLOCK_READ, 8000, in, 500), 500);
	for (int i = 0; i < 192; i++)
		assert_int_equal(in[i], pattern(8000 + i));
	assert_memory_equal(in + 192, out, 308);

	/* Zero bytes, and the last byte of the image. */
	assert_int_equal(run(img, BLOCK_READ, 0, NULL, 0, 0, 0), 0);
	assert_int_equal(run(img, BLOCK_WRITE, 1 << 20, NULL, 0, 0, 0), 0);
	assert_int_equal(run_buf(img, BLOCK_READ, (1 << 20) - 1, in, 1), 1);
	assert_int_equal(in[0], pattern((1 << 20) - 1));
	block_image_close(img);
	assert_int_equal(file_size(path), 1 << 20);
}

/* BLOCK_MAX_IOV one-byte buffers: the vectored loop over many entries. */
static void test_many_small_buffers(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	struct iovec iov[BLOCK_MAX_IOV];
	uint8_t bytes[BLOCK_MAX_IOV];
	char path[512];

	(void)state;
	make_file("iov.img", 65536, path, sizeof(path));
	d = drive(path);
	img = open_ok(&d);
	for (int i = 0; i < BLOCK_MAX_IOV; i++) {
		bytes[i] = (uint8_t)(i ^ 0x55);
		iov[i] = (struct iovec){ &bytes[BLOCK_MAX_IOV - 1 - i], 1 };
	}
	assert_int_equal(run(img, BLOCK_WRITE, 3, iov, BLOCK_MAX_IOV,
			     BLOCK_MAX_IOV, 0),
			 BLOCK_MAX_IOV);
	for (int i = 0; i < BLOCK_MAX_IOV; i++) {
		uint8_t want = bytes[BLOCK_MAX_IOV - 1 - i];

		check_file_bytes(path, 3 + (uint64_t)i, &want, 1);
	}
	memset(bytes, 0, sizeof(bytes));
	assert_int_equal(run(img, BLOCK_READ, 3, iov, BLOCK_MAX_IOV,
			     BLOCK_MAX_IOV, 0),
			 BLOCK_MAX_IOV);
	for (int i = 0; i < BLOCK_MAX_IOV; i++)
		assert_int_equal(bytes[i], (uint8_t)(i ^ 0x55));
	block_image_close(img);
}

static void test_flush(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	char path[512];
	uint8_t buf[512];

	(void)state;
	make_file("flush.img", 65536, path, sizeof(path));
	for (int cache = DRIVE_CACHE_WRITEBACK; cache <= DRIVE_CACHE_UNSAFE;
	     cache++) {
		d = drive(path);
		d.cache = (enum drive_cache)cache;
		img = open_ok(&d);
		memset(buf, cache + 1, sizeof(buf));
		assert_int_equal(run_buf(img, BLOCK_WRITE, 512, buf, 512), 512);
		/* offset, len and iov are ignored. */
		assert_int_equal(run(img, BLOCK_FLUSH, 0, NULL, 0, 0, 0), 0);
		assert_int_equal(run(img, BLOCK_FLUSH, 1ull << 60, NULL, 0,
				     1ull << 60, 0),
				 0);
		block_image_close(img);
		check_file_bytes(path, 512, buf, 512);
	}
	/* A read-only image flushes (nothing) too. */
	d = drive(path);
	d.readonly = true;
	img = open_ok(&d);
	assert_int_equal(run(img, BLOCK_FLUSH, 0, NULL, 0, 0, 0), 0);
	block_image_close(img);
}

/* Whether the filesystem under path punches holes (else skip). */
static bool punches_holes(const char *path)
{
	int fd = open(path, O_RDWR);
	bool ok;

	assert_true(fd >= 0);
	ok = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		       4096) == 0;
	close(fd);
	return ok;
}

static void test_discard_frees_blocks(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	char path[512], probe[512];
	uint64_t before, after;

	(void)state;
	make_file("probe.img", 8192, probe, sizeof(probe));
	if (!punches_holes(probe))
		skip();
	make_file("discard.img", 1 << 20, path, sizeof(path));
	d = drive(path);
	d.discard = true;
	img = open_ok(&d);
	before = file_blocks(path);
	assert_int_equal(run(img, BLOCK_DISCARD, 256 << 10, NULL, 0, 512 << 10,
			     0),
			 512 << 10);
	after = file_blocks(path);
	/* 512 KiB are 1024 blocks of 512 bytes. */
	assert_true(after + 1024 <= before);
	check_file_pattern(path, 0, 256 << 10);
	check_file_zeros(path, 256 << 10, 512 << 10);
	check_file_pattern(path, 768 << 10, 256 << 10);
	assert_int_equal(file_size(path), 1 << 20);
	block_image_close(img);
}

static void test_discard_off_is_ignored(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	char path[512];
	uint64_t before;

	(void)state;
	make_file("keep.img", 1 << 20, path, sizeof(path));
	d = drive(path);
	img = open_ok(&d);
	before = file_blocks(path);
	assert_int_equal(run(img, BLOCK_DISCARD, 0, NULL, 0, 1 << 20, 0),
			 1 << 20);
	assert_int_equal(file_blocks(path), before);
	check_file_pattern(path, 0, 1 << 20);
	block_image_close(img);
}

static void write_zeroes_in(const char *in)
{
	struct drive_cfg d;
	struct block_image *img;
	char path[512];

	make_file_in(in, "zeroes.img", 1 << 20, path, sizeof(path));
	d = drive(path);
	img = open_ok(&d);
	/* Misaligned at both ends. */
	assert_int_equal(run(img, BLOCK_WRITE_ZEROES, 1000, NULL, 0, 5000, 0),
			 5000);
	check_file_pattern(path, 0, 1000);
	check_file_zeros(path, 1000, 5000);
	check_file_pattern(path, 6000, 10000);
	/* More than one chunk of written zeros, in case the host writes them. */
	assert_int_equal(run(img, BLOCK_WRITE_ZEROES, 65536, NULL, 0, 300000,
			     0),
			 300000);
	check_file_zeros(path, 65536, 300000);
	check_file_pattern(path, 65536 + 300000, 4096);
	block_image_close(img);

	/* May unmap, with discard on: a hole, still zeros. */
	d.discard = true;
	img = open_ok(&d);
	assert_int_equal(run(img, BLOCK_WRITE_ZEROES, 512 << 10, NULL, 0,
			     256 << 10, BLOCK_REQ_MAY_UNMAP),
			 256 << 10);
	check_file_zeros(path, 512 << 10, 256 << 10);
	check_file_pattern(path, 768 << 10, 4096);
	assert_int_equal(file_size(path), 1 << 20);
	block_image_close(img);
	unlink(path);
}

static void test_write_zeroes(void **state)
{
	(void)state;
	write_zeroes_in(dir);
}

/* tmpfs has no FALLOC_FL_ZERO_RANGE: the zeros are written. */
static void test_write_zeroes_on_tmpfs(void **state)
{
	char shm[64];

	(void)state;
	snprintf(shm, sizeof(shm), "/dev/shm/minivmm-block-XXXXXX");
	if (!mkdtemp(shm))
		skip();
	write_zeroes_in(shm);
	rmdir(shm);
}

static void test_readonly_refuses_writes(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	char path[512];
	uint8_t buf[512];

	(void)state;
	make_file("ro.img", 65536, path, sizeof(path));
	d = drive(path);
	d.readonly = true;
	d.discard = true;
	img = open_ok(&d);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(run_buf(img, BLOCK_WRITE, 0, buf, 512), -EROFS);
	assert_int_equal(run(img, BLOCK_DISCARD, 0, NULL, 0, 4096, 0), -EROFS);
	assert_int_equal(run(img, BLOCK_WRITE_ZEROES, 0, NULL, 0, 4096, 0),
			 -EROFS);
	assert_int_equal(run(img, BLOCK_WRITE_ZEROES, 0, NULL, 0, 4096,
			     BLOCK_REQ_MAY_UNMAP),
			 -EROFS);
	assert_int_equal(run_buf(img, BLOCK_READ, 0, buf, 512), 512);
	for (int i = 0; i < 512; i++)
		assert_int_equal(buf[i], pattern((uint64_t)i));
	block_image_close(img);
	check_file_pattern(path, 0, 65536);
}

static void test_out_of_range_refused(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	char path[512];
	uint8_t buf[1024];
	const uint64_t size = 65536;

	(void)state;
	make_file("range.img", size, path, sizeof(path));
	d = drive(path);
	d.discard = true;
	img = open_ok(&d);
	memset(buf, 0x77, sizeof(buf));
	assert_int_equal(run_buf(img, BLOCK_WRITE, size - 512, buf, 1024), -EIO);
	assert_int_equal(run_buf(img, BLOCK_WRITE, size, buf, 1), -EIO);
	assert_int_equal(run_buf(img, BLOCK_READ, size - 1, buf, 2), -EIO);
	assert_int_equal(run_buf(img, BLOCK_READ, UINT64_MAX - 10, buf, 100),
			 -EIO);
	assert_int_equal(run(img, BLOCK_READ, size + 1, NULL, 0, 0, 0), -EIO);
	assert_int_equal(run(img, BLOCK_DISCARD, 0, NULL, 0, size + 1, 0), -EIO);
	assert_int_equal(run(img, BLOCK_DISCARD, 4096, NULL, 0, UINT64_MAX, 0),
			 -EIO);
	assert_int_equal(run(img, BLOCK_WRITE_ZEROES, size - 4096, NULL, 0,
			     8192, 0),
			 -EIO);
	/* Up to the end exactly is fine. */
	assert_int_equal(run_buf(img, BLOCK_WRITE, size - 1024, buf, 1024),
			 1024);
	assert_int_equal(run(img, BLOCK_READ, size, NULL, 0, 0, 0), 0);
	block_image_close(img);
	assert_int_equal(file_size(path), size);
	check_file_pattern(path, 0, size - 1024);
}

static void test_bad_requests_refused(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	struct block_request req;
	struct iovec iov[2];
	char path[512];
	uint8_t buf[1024];

	(void)state;
	make_file("bad.img", 65536, path, sizeof(path));
	d = drive(path);
	img = open_ok(&d);
	iov[0] = (struct iovec){ buf, 512 };
	iov[1] = (struct iovec){ buf + 512, 512 };
	/* The lengths must add up to len. */
	assert_int_equal(run(img, BLOCK_READ, 0, iov, 2, 1000, 0), -EINVAL);
	assert_int_equal(run(img, BLOCK_WRITE, 0, iov, 2, 2048, 0), -EINVAL);
	assert_int_equal(run(img, BLOCK_READ, 0, NULL, 1, 0, 0), -EINVAL);
	assert_int_equal(run(img, BLOCK_READ, 0, iov, BLOCK_MAX_IOV + 1, 1024,
			     0),
			 -EINVAL);
	assert_int_equal(run(img, (enum block_op)42, 0, NULL, 0, 0, 0), -EINVAL);
	/* iov lengths whose sum wraps. */
	iov[0].iov_len = SIZE_MAX;
	iov[1].iov_len = 2;
	assert_int_equal(run(img, BLOCK_READ, 0, iov, 2, 1, 0), -EINVAL);
	/* No done. */
	memset(&req, 0, sizeof(req));
	req.op = BLOCK_FLUSH;
	assert_int_equal(block_submit(img, &req), -EINVAL);
	assert_int_equal(req.result, -EINVAL);
	block_image_close(img);
}

/* ---- many at once, the bound, drain ------------------------------------ */

struct counted {
	struct block_request req;
	struct iovec iov;
	uint8_t buf[512];
	atomic_uint calls;
};

static atomic_uint total_done;

static void counted_done(struct block_request *req)
{
	struct counted *c = req->opaque;

	atomic_fetch_add(&c->calls, 1);
	atomic_fetch_add(&total_done, 1);
}

static void test_many_requests_complete_exactly_once(void **state)
{
	enum { N = 2000 };
	struct counted *c = calloc(N, sizeof(*c));
	struct drive_cfg d;
	struct block_image *img;
	char path[512];
	unsigned again = 0;

	(void)state;
	assert_non_null(c);
	make_file("many.img", N * 512, path, sizeof(path));
	d = drive(path);
	img = open_ok(&d);
	atomic_store(&total_done, 0);
	for (unsigned i = 0; i < N; i++) {
		memset(c[i].buf, (int)(i * 13 + 5), sizeof(c[i].buf));
		c[i].iov = (struct iovec){ c[i].buf, sizeof(c[i].buf) };
		c[i].req = (struct block_request){
			.op = BLOCK_WRITE,
			.offset = (uint64_t)i * 512,
			.iov = &c[i].iov,
			.nr_iov = 1,
			.len = 512,
			.done = counted_done,
			.opaque = &c[i],
		};
		for (;;) {
			int r = block_submit(img, &c[i].req);

			if (r == 0)
				break;
			assert_int_equal(r, -EAGAIN);
			again++;
			sched_yield();
		}
	}
	block_drain(img);
	assert_int_equal(atomic_load(&total_done), N);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(atomic_load(&c[i].calls), 1);
		assert_int_equal(c[i].req.result, 512);
	}
	for (unsigned i = 0; i < N; i += 97)
		check_file_bytes(path, (uint64_t)i * 512, c[i].buf, 512);

	/* And reads of it all, in flight together. */
	atomic_store(&total_done, 0);
	for (unsigned i = 0; i < N; i++) {
		memset(c[i].buf, 0, sizeof(c[i].buf));
		atomic_store(&c[i].calls, 0);
		c[i].req.op = BLOCK_READ;
		while (block_submit(img, &c[i].req) == -EAGAIN)
			sched_yield();
	}
	block_drain(img);
	assert_int_equal(atomic_load(&total_done), N);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(atomic_load(&c[i].calls), 1);
		assert_int_equal(c[i].req.result, 512);
		for (int b = 0; b < 512; b++)
			assert_int_equal(c[i].buf[b], (uint8_t)(i * 13 + 5));
	}
	block_image_close(img);
	free(c);
	(void)again;
}

/* done callbacks held at a gate: the queue fills, -EAGAIN, then drains. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;

static void gated_done(struct block_request *req)
{
	pthread_mutex_lock(&gate_lock);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	counted_done(req);
}

static void test_queue_is_bounded(void **state)
{
	/* Each I/O thread frees its slot before it blocks in done. */
	enum { N = BLOCK_QUEUE_DEPTH + BLOCK_IO_THREADS + 1 };
	struct counted *c = calloc(N, sizeof(*c));
	struct drive_cfg d;
	struct block_image *img;
	char path[512];
	unsigned accepted = 0;
	int r;

	(void)state;
	assert_non_null(c);
	make_file("bound.img", 65536, path, sizeof(path));
	d = drive(path);
	img = open_ok(&d);
	gate_open = false;
	atomic_store(&total_done, 0);
	for (unsigned i = 0; i < N; i++) {
		c[i].iov = (struct iovec){ c[i].buf, sizeof(c[i].buf) };
		c[i].req = (struct block_request){
			.op = BLOCK_READ,
			.offset = (uint64_t)(i % 128) * 512,
			.iov = &c[i].iov,
			.nr_iov = 1,
			.len = 512,
			.done = gated_done,
			.opaque = &c[i],
		};
	}
	while ((r = block_submit(img, &c[accepted].req)) == 0) {
		accepted++;
		assert_true(accepted < N);
	}
	assert_int_equal(r, -EAGAIN);
	assert_true(accepted >= BLOCK_QUEUE_DEPTH);
	assert_true(accepted <= BLOCK_QUEUE_DEPTH + BLOCK_IO_THREADS);
	assert_int_equal(atomic_load(&c[accepted].calls), 0);
	/* A refusal that needs no slot is still a refusal, not -EAGAIN. */
	c[accepted].req.offset = 1ull << 40;
	assert_int_equal(block_submit(img, &c[accepted].req), -EIO);
	c[accepted].req.offset = 0;

	pthread_mutex_lock(&gate_lock);
	gate_open = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	block_drain(img);
	assert_int_equal(atomic_load(&total_done), accepted);
	for (unsigned i = accepted; i < N; i++)
		assert_int_equal(block_submit(img, &c[i].req), 0);
	block_drain(img);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(atomic_load(&c[i].calls), 1);
	block_image_close(img);
	free(c);
}

/* A done that submits the next request: drain waits for the whole chain. */
struct chain {
	struct block_image *img;
	struct block_request req;
	struct iovec iov;
	uint8_t buf[512];
	unsigned left;
	atomic_uint finished;
};

static void chain_done(struct block_request *req)
{
	struct chain *ch = req->opaque;

	usleep(1000);
	if (--ch->left) {
		req->offset += 512;
		assert_int_equal(block_submit(ch->img, req), 0);
		return;
	}
	atomic_store(&ch->finished, 1);
}

static void test_drain_waits_for_everything(void **state)
{
	struct chain ch = { .left = 20 };
	struct drive_cfg d;
	char path[512];

	(void)state;
	make_file("chain.img", 65536, path, sizeof(path));
	d = drive(path);
	ch.img = open_ok(&d);
	ch.iov = (struct iovec){ ch.buf, sizeof(ch.buf) };
	ch.req = (struct block_request){
		.op = BLOCK_READ,
		.iov = &ch.iov,
		.nr_iov = 1,
		.len = 512,
		.done = chain_done,
		.opaque = &ch,
	};
	assert_int_equal(block_submit(ch.img, &ch.req), 0);
	block_drain(ch.img);
	assert_int_equal(atomic_load(&ch.finished), 1);
	assert_int_equal(ch.left, 0);
	assert_int_equal(ch.req.offset, 19 * 512);
	assert_int_equal(ch.buf[0], pattern(19 * 512));
	/* Drain with nothing in flight returns at once. */
	block_drain(ch.img);
	block_image_close(ch.img);
}

/* close waits for what is in flight, then stops the threads. */
static void test_close_drains(void **state)
{
	enum { N = 64 };
	struct counted *c = calloc(N, sizeof(*c));
	struct drive_cfg d;
	struct block_image *img;
	char path[512];

	(void)state;
	assert_non_null(c);
	make_file("close.img", 65536, path, sizeof(path));
	d = drive(path);
	img = open_ok(&d);
	atomic_store(&total_done, 0);
	for (unsigned i = 0; i < N; i++) {
		c[i].iov = (struct iovec){ c[i].buf, sizeof(c[i].buf) };
		c[i].req = (struct block_request){
			.op = i % 2 ? BLOCK_READ : BLOCK_FLUSH,
			.offset = (uint64_t)i * 512,
			.iov = &c[i].iov,
			.nr_iov = 1,
			.len = 512,
			.done = counted_done,
			.opaque = &c[i],
		};
		assert_int_equal(block_submit(img, &c[i].req), 0);
	}
	block_image_close(img);
	assert_int_equal(atomic_load(&total_done), N);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(c[i].req.result, i % 2 ? 512 : 0);
	free(c);
}

/* The I/O threads: named iothread-N, BLOCK_IO_THREADS of them, no signals. */
static unsigned count_io_threads(bool check_masks)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char p[300], line[256];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (!fgets(line, sizeof(line), f) ||
		    strncmp(line, "iothread-", 9)) {
			fclose(f);
			continue;
		}
		fclose(f);
		n++;
		if (!check_masks)
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/status", e->d_name);
		f = fopen(p, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			static const int sigs[] = { SIGINT, SIGTERM, SIGHUP,
						    SIGUSR1, SIGUSR2, SIGALRM,
						    SIGPIPE, SIGCHLD, SIGWINCH };
			unsigned long long mask;

			if (strncmp(line, "SigBlk:", 7))
				continue;
			mask = strtoull(line + 7, NULL, 16);
			for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
				assert_true(mask >> (sigs[i] - 1) & 1);
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/*
 * The I/O thread count once it has come down to want: a joined thread can
 * still be listed in /proc/self/task for a moment while the kernel
 * finishes its exit.  Waits at most 2 s.
 */
static unsigned io_threads_settled(unsigned want)
{
	unsigned n = count_io_threads(false);

	for (int i = 0; i < 2000 && n != want; i++) {
		usleep(1000);
		n = count_io_threads(false);
	}
	return n;
}

static void test_io_threads(void **state)
{
	struct drive_cfg d;
	struct block_image *img;
	char path[512];

	(void)state;
	unsigned before = count_io_threads(false); /* 0 unless a test failed */

	make_file("threads.img", 4096, path, sizeof(path));
	d = drive(path);
	img = open_ok(&d);
	assert_int_equal(count_io_threads(true), before + BLOCK_IO_THREADS);
	block_image_close(img);
	assert_int_equal(io_threads_settled(before), before);
}

/* ---- the VM's device list owns the opened images ----------------------- */

static void test_device_list_owns_images(void **state)
{
	struct drive_cfg d;
	struct device_list list;
	struct block_image *img;
	char path[512];
	uint8_t buf[512];
	unsigned before = count_io_threads(false); /* 0 unless a test failed */

	(void)state;
	make_file("owned.img", 65536, path, sizeof(path));
	d = drive(path);
	device_list_init(&list);
	img = open_ok(&d);
	assert_int_equal(device_list_add(&list, "drive0", &block_image_device_ops,
					 img),
			 0);
	assert_ptr_equal(device_list_find(&list, "drive0")->dev, img);
	/* Locked for as long as the list has it. */
	open_refused(&d, "is in use by another process (locked)");
	/* Reset leaves it alone; it has no saved state. */
	device_list_reset(&list);
	assert_null(block_image_device_ops.save);
	assert_null(block_image_device_ops.load);
	assert_int_equal(run_buf(img, BLOCK_READ, 0, buf, 512), 512);
	device_list_destroy(&list);
	assert_int_equal(io_threads_settled(before), before);
	block_image_close(open_ok(&d));
}

/* machine_drive(): cfg->drives[i]'s image from the device list. */
static void test_machine_drive(void **state)
{
	struct vm_config cfg;
	struct vm *vm = calloc(1, sizeof(*vm));
	struct block_image *img;
	char path[512];

	(void)state;
	assert_non_null(vm);
	make_file("m.img", 4096, path, sizeof(path));
	config_init(&cfg);
	cfg.drives[0] = drive(path);
	cfg.nr_drives = 1;
	vm->cfg = &cfg;
	device_list_init(&vm->devices);
	assert_null(machine_drive(vm, 0));
	img = open_ok(&cfg.drives[0]);
	assert_int_equal(device_list_add(&vm->devices, "drive0",
					 &block_image_device_ops, img),
			 0);
	assert_ptr_equal(machine_drive(vm, 0), img);
	assert_null(machine_drive(vm, 1));
	assert_null(machine_drive(vm, -1));
	device_list_destroy(&vm->devices);
	free(vm);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_properties),
		T(test_open_logs_the_io_path),
		T(test_open_refusals),
		T(test_open_readonly_file_needs_readonly_on),
		T(test_lock_second_writer_refused),
		T(test_lock_held_against_another_process),
		T(test_o_direct_refused_clearly),
		T(test_o_direct_on_dev_shm),
		T(test_cache_none_bounce),
		T(test_read_write_round_trip_multi_iovec),
		T(test_many_small_buffers),
		T(test_flush),
		T(test_discard_frees_blocks),
		T(test_discard_off_is_ignored),
		T(test_write_zeroes),
		T(test_write_zeroes_on_tmpfs),
		T(test_readonly_refuses_writes),
		T(test_out_of_range_refused),
		T(test_bad_requests_refused),
		T(test_many_requests_complete_exactly_once),
		T(test_queue_is_bounded),
		T(test_drain_waits_for_everything),
		T(test_close_drains),
		T(test_io_threads),
		T(test_device_list_owns_images),
		T(test_machine_drive),
	};

	return cmocka_run_group_tests_name("block", tests, NULL, NULL);
}
