// SPDX-License-Identifier: MIT
/*
 * Snapshot files (snapshot.h; the format is in docs/SNAPSHOT.md).
 *
 * The state file is a 32-byte header (magic, format version, the ELF
 * machine of the architecture, the payload's length and CRC-32) and a
 * payload written with state.h: the command line the machine was built
 * from, the memory layout, the architecture's VM-wide state, each vCPU's,
 * and the device list's.  Each of the last three parts is preceded by its
 * length, so each is read by a reader of its own that must end exactly at
 * its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "device.h"
#include "log.h"
#include "mem.h"
#include "snapshot/snapshot.h"
#include "vm.h"

uint32_t snapshot_crc32(const void *data, size_t len)
{
	static uint32_t table[256];
	static _Atomic int ready;
	const uint8_t *p = data;
	uint32_t crc = 0xffffffffu;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc ^ 0xffffffffu;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static const char *machine_name(uint32_t m)
{
	switch (m) {
	case 62:
		return "x86_64";
	case 183:
		return "arm64";
	default:
		return "unknown";
	}
}

void snapshot_header_fill(uint8_t *file, size_t len)
{
	uint64_t plen = len - SNAPSHOT_HEADER_SIZE;

	memset(file, 0, SNAPSHOT_HEADER_SIZE);
	memcpy(file, SNAPSHOT_MAGIC, 8);
	put_le32(file + 8, SNAPSHOT_VERSION);
	put_le32(file + 12, arch_snapshot_machine());
	put_le32(file + 16, (uint32_t)plen);
	put_le32(file + 20, (uint32_t)(plen >> 32));
	put_le32(file + 24, snapshot_crc32(file + SNAPSHOT_HEADER_SIZE, (size_t)plen));
}

/* A length-prefixed part: u32 length, then what fn wrote. */
static int put_part(struct state_writer *w, int (*fn)(void *, struct state_writer *),
		    void *arg)
{
	struct state_writer part;
	int r;

	state_writer_init(&part);
	r = fn(arg, &part);
	if (r == 0 && part.len > UINT32_MAX)
		r = err_set("saved state too large");
	if (r == 0) {
		state_put_u32(w, (uint32_t)part.len);
		state_put_bytes(w, part.buf, part.len);
	}
	state_writer_free(&part);
	return r;
}

static int save_vm_part(void *vm, struct state_writer *w)
{
	return arch_snapshot_save_vm(vm, w);
}

static int save_vcpu_part(void *vcpu, struct state_writer *w)
{
	return arch_snapshot_save_vcpu(vcpu, w);
}

static int save_devices_part(void *vm, struct state_writer *w)
{
	return device_list_save(&((struct vm *)vm)->devices, w);
}

/* Write buf to path through path.tmp and a rename. */
static int write_file(const char *path, int (*fill)(int fd, void *arg), void *arg)
{
	char tmp[4200];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return err_set("%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_errno("cannot create %s", tmp);
	r = fill(fd, arg);
	if (close(fd) < 0 && r == 0)
		r = err_errno("%s", tmp);
	if (r == 0 && rename(tmp, path) < 0)
		r = err_errno("cannot rename %s to %s", tmp, path);
	if (r < 0) {
		/* Keep the reason: unlink must not overwrite err_msg. */
		unlink(tmp);
		return err_set("%s: %s", path, err_msg());
	}
	return 0;
}

static int fill_memory(int fd, void *mem)
{
	return mem_save_fd(mem, fd);
}

struct state_out {
	const uint8_t *buf;
	size_t len;
};

static int fill_state(int fd, void *arg)
{
	struct state_out *o = arg;
	size_t done = 0;

	while (done < o->len) {
		ssize_t n = write(fd, o->buf + done, o->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_errno("write");
		done += (size_t)n;
	}
	return 0;
}

int snapshot_create(struct vm *vm, const char *state_path,
		    const char *mem_path)
{
	const struct vm_config *cfg = vm->cfg;
	struct state_writer w, devs;
	uint8_t header[SNAPSHOT_HEADER_SIZE];
	struct state_out out;
	int r = -1;

	if (atomic_load(&vm->state) != VM_PAUSED)
		return err_set("the VM is not paused");
	if (!cfg->argv || cfg->argc < 2)
		return err_set("this VM was not built from a command line");
	for (size_t i = 0; i < vm->mem.nr_backends; i++)
		if (vm->mem.backends[i].shared)
			return err_set("%s is shared memory (--mem-path or share=on): a snapshot needs private RAM",
				       vm->mem.backends[i].name);

	state_writer_init(&w);
	state_writer_init(&devs);
	/*
	 * The devices first: their save waits for requests in flight, which
	 * still write guest memory and raise interrupts.
	 */
	if (save_devices_part(vm, &devs) < 0)
		goto out;

	memset(header, 0, sizeof(header));
	state_put_bytes(&w, header, sizeof(header)); /* filled in at the end */
	state_put_u32(&w, (uint32_t)cfg->argc);
	for (int i = 0; i < cfg->argc; i++)
		state_put_str(&w, cfg->argv[i]);
	state_put_u32(&w, (uint32_t)vm->mem.nr_backends);
	for (size_t i = 0; i < vm->mem.nr_backends; i++) {
		state_put_str(&w, vm->mem.backends[i].name);
		state_put_u64(&w, vm->mem.backends[i].size);
	}
	if (put_part(&w, save_vm_part, vm) < 0)
		goto out;
	state_put_u32(&w, vm->nr_vcpus);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (put_part(&w, save_vcpu_part, &vm->vcpus[i]) < 0)
			goto out;
	state_put_u32(&w, (uint32_t)devs.len);
	state_put_bytes(&w, devs.buf, devs.len);
	if (state_writer_error(&w) < 0)
		goto out;

	snapshot_header_fill(w.buf, w.len);

	/* Memory first: a state file never names memory that is not there. */
	if (write_file(mem_path, fill_memory, &vm->mem) < 0)
		goto out;
	out.buf = w.buf;
	out.len = w.len;
	if (write_file(state_path, fill_state, &out) < 0)
		goto out;
	vm->nr_snapshots++; /* the API's snapshots_created */
	r = 0;
out:
	state_writer_free(&w);
	state_writer_free(&devs);
	return r;
}

void snapshot_close(struct snapshot *s)
{
	free(s->payload);
	free(s->argv);
	free(s->strings);
	memset(s, 0, sizeof(*s));
}

/* The command line and the memory layout's total, into s. */
static int parse_head(struct snapshot *s)
{
	struct state_reader *r = &s->r;
	uint32_t argc = state_get_u32(r), nr;
	size_t used = 0;

	if (argc < 2 || argc > SNAPSHOT_MAX_ARGS)
		return state_reader_fail(r, "a command line of %u words", argc);
	s->argv = calloc(argc + 1, sizeof(char *));
	/* Each word is at most 65535 bytes and no longer than the file. */
	s->strings = malloc(s->len + argc);
	if (!s->argv || !s->strings)
		return err_set("out of memory");
	for (uint32_t i = 0; i < argc; i++) {
		/* A word fits in what is left of the payload, NUL added. */
		size_t room = s->len + argc - used;

		state_get_str(r, s->strings + used, room < 65536 ? room : 65536);
		if (r->failed)
			return state_reader_error(r, "snapshot command line");
		s->argv[i] = s->strings + used;
		used += strlen(s->strings + used) + 1;
	}
	s->argc = (int)argc;
	nr = state_get_u32(r);
	if (nr == 0 || nr > MEM_MAX_BACKENDS)
		return state_reader_fail(r, "%u memory backends", nr);
	s->mem_size = 0;
	for (uint32_t i = 0; i < nr; i++) {
		char name[32];
		uint64_t size;

		state_get_str(r, name, sizeof(name));
		size = state_get_u64(r);
		if (size == 0 || size % 4096 || size > (1ull << 46))
			return state_reader_fail(r, "memory %s: size %llu", name,
						 (unsigned long long)size);
		s->mem_size += size;
	}
	return state_reader_error(r, "snapshot");
}

int snapshot_parse(struct snapshot *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t plen;
	uint32_t version, machine;

	memset(s, 0, sizeof(*s));
	if (len < SNAPSHOT_HEADER_SIZE || memcmp(p, SNAPSHOT_MAGIC, 8) != 0)
		return err_set("not a minivmm snapshot");
	version = get_le32(p + 8);
	machine = get_le32(p + 12);
	if (version != SNAPSHOT_VERSION)
		return err_set("snapshot format version %u; this minivmm reads version %u",
			       version, SNAPSHOT_VERSION);
	if (machine != arch_snapshot_machine())
		return err_set("a snapshot of an %s VM; this minivmm runs %s VMs",
			       machine_name(machine),
			       machine_name(arch_snapshot_machine()));
	plen = get_le32(p + 16) | (uint64_t)get_le32(p + 20) << 32;
	if (plen != len - SNAPSHOT_HEADER_SIZE)
		return err_set("snapshot truncated or extended: %llu bytes of state, the header says %llu",
			       (unsigned long long)(len - SNAPSHOT_HEADER_SIZE),
			       (unsigned long long)plen);
	if (snapshot_crc32(p + SNAPSHOT_HEADER_SIZE, (size_t)plen) != get_le32(p + 24))
		return err_set("snapshot damaged: checksum mismatch");
	s->len = (size_t)plen;
	s->payload = malloc(s->len ? s->len : 1);
	if (!s->payload)
		return err_set("out of memory");
	memcpy(s->payload, p + SNAPSHOT_HEADER_SIZE, s->len);
	state_reader_init(&s->r, s->payload, s->len);
	if (parse_head(s) < 0) {
		char why[256];

		/* A value refused by state_reader_fail: its reason. */
		if (s->r.failed)
			state_reader_error(&s->r, "snapshot");
		snprintf(why, sizeof(why), "%s", err_msg());
		snapshot_close(s);
		return err_set("%s", why);
	}
	return 0;
}

int snapshot_open(struct snapshot *s, const char *state_path)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int fd, r;

	memset(s, 0, sizeof(*s));
	fd = open(state_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno("%s", state_path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > SNAPSHOT_MAX_STATE) {
		close(fd);
		return err_set("%s: not a snapshot state file (not a regular file or over %u MiB)",
			       state_path, SNAPSHOT_MAX_STATE >> 20);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return err_set("out of memory");
	}
	n = pread(fd, buf, (size_t)st.st_size, 0);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return err_errno("%s: cannot read", state_path);
	}
	r = snapshot_parse(s, buf, (size_t)n);
	free(buf);
	if (r < 0)
		return err_set("%s: %s", state_path, err_msg());
	return 0;
}

/*
 * A load failed: when the reader marked the stream wrong
 * (state_reader_fail), its reason becomes err_msg(); otherwise err_msg()
 * already says what failed.
 */
static int reader_failure(struct state_reader *r, const char *what)
{
	if (r->failed)
		state_reader_error(r, what);
	return -1;
}

/* The next length-prefixed part as a reader of its own. */
static int get_part(struct state_reader *r, struct state_reader *part,
		    const char *what)
{
	uint32_t n = state_get_u32(r);

	if (n > state_remaining(r)) {
		state_reader_fail(r, "%s: %u bytes, %zu left", what, n,
				  state_remaining(r));
		return state_reader_error(r, "snapshot");
	}
	state_reader_init(part, r->buf + r->pos, n);
	r->pos += n;
	return state_reader_error(r, what);
}

int snapshot_restore(struct vm *vm, struct snapshot *s, const char *mem_path)
{
	struct state_reader *r = &s->r, part;
	struct stat st;
	uint32_t nr_vcpus;
	int fd, ret;

	if (mem_file_size(&vm->mem) != s->mem_size)
		return err_set("the snapshot's memory is %llu bytes, the machine's %llu",
			       (unsigned long long)s->mem_size,
			       (unsigned long long)mem_file_size(&vm->mem));
	fd = open(mem_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno("memory file %s", mem_path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != s->mem_size) {
		close(fd);
		return err_set("memory file %s: %llu bytes, the snapshot needs %llu",
			       mem_path, (unsigned long long)st.st_size,
			       (unsigned long long)s->mem_size);
	}
	ret = mem_map_file_private(&vm->mem, fd);
	close(fd); /* the mappings keep the file */
	if (ret < 0)
		return -1;

	if (get_part(r, &part, "machine state") < 0)
		return -1;
	if (arch_snapshot_load_vm(vm, &part) < 0 ||
	    state_reader_done(&part, "machine state") < 0)
		return reader_failure(&part, "machine state");
	nr_vcpus = state_get_u32(r);
	if (state_reader_error(r, "snapshot") < 0)
		return -1;
	if (nr_vcpus != vm->nr_vcpus)
		return err_set("the snapshot has %u vCPUs, the machine %u", nr_vcpus,
			       vm->nr_vcpus);
	for (unsigned i = 0; i < nr_vcpus; i++) {
		if (get_part(r, &part, "vCPU state") < 0)
			return -1;
		if (arch_snapshot_load_vcpu(&vm->vcpus[i], &part) < 0 ||
		    state_reader_done(&part, "vCPU state") < 0) {
			reader_failure(&part, "vCPU state");
			return err_set("vcpu%u: %s", i, err_msg());
		}
	}
	if (get_part(r, &part, "devices") < 0)
		return -1;
	if (device_list_load(&vm->devices, &part) < 0 ||
	    state_reader_done(&part, "devices") < 0)
		return reader_failure(&part, "devices");
	return state_reader_done(r, "snapshot");
}
