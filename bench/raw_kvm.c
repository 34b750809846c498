/* SPDX-License-Identifier: MIT */
/*
 * raw_kvm: the smallest honest KVM program, as the floor minivmm is
 * measured against in `make bench`.
 *
 * It does what the bare machine of minivmm does for a flat real-mode image
 * and nothing more: one VM, one memslot of anonymous RAM at guest-physical
 * 0, the image copied to its start, one vCPU entered at 0000:0000 in real
 * mode with RFLAGS 0x2, and a KVM_RUN loop that drops every port write and
 * stops at HLT.  No threads, no devices, no output unless asked.
 *
 * By default it also gives the vCPU the host's supported CPUID table
 * (KVM_GET_SUPPORTED_CPUID -> KVM_SET_CPUID2), because minivmm does so on
 * every vCPU: a monitor that can run long-mode guests has to, so it is part
 * of the platform limit.  --no-cpuid leaves it out, --tss adds the
 * SET_TSS_ADDR / SET_IDENTITY_MAP_ADDR pair QEMU issues for real-mode
 * emulation on CPUs without unrestricted guest, so either cost can be
 * measured on its own.  --thread runs the KVM_RUN loop on a thread of its
 * own while the main thread sleeps in poll() on an eventfd the vCPU thread
 * signals at HLT, then joins it: the floor of the one-thread-per-vCPU
 * model minivmm follows (bench/README.md, "Profiling a miss").
 *
 * Every ioctl is checked; any failure prints one line and exits 1.
 *
 * usage: raw_kvm [-m MIB] [--no-cpuid] [--tss] [--thread] [-v] IMAGE
 *   -v  print the number of exits and the guest pages resident at HLT
 *       (mincore of the RAM mapping) on stderr; bench/run.sh uses the
 *       latter as "guest RAM touched".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where QEMU places KVM's real-mode helper pages (see arch/x86/layout.h). */
#define RAW_IDENTITY_MAP_ADDR 0xfeffc000ull
#define RAW_TSS_ADDR 0xfeffd000ull

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("raw_kvm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ioctl that must succeed; returns its (non-negative) result. */
static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		die("%s: %s", what, strerror(errno));
	return r;
}

static void usage(void)
{
	fprintf(stderr, "usage: raw_kvm [-m MIB] [--no-cpuid] [--tss] [--thread] [-v] IMAGE\n");
	exit(2);
}

static void load_image(const char *path, uint8_t *ram, size_t ram_size)
{
	struct stat st;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		die("%s: not a non-empty regular file", path);
	if ((uint64_t)st.st_size > ram_size)
		die("%s: %lld bytes do not fit in %zu bytes of RAM", path,
		    (long long)st.st_size, ram_size);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, ram + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("%s: read: %s", path, strerror(errno));
		if (n == 0)
			die("%s: file shrank while reading", path);
		done += (size_t)n;
	}
	close(fd);
}

/*
 * The host's supported CPUID leaves, handed to the vCPU unchanged.  The
 * first buffer holds 256 entries (hosts report ~40-100) because each
 * KVM_GET_SUPPORTED_CPUID costs ~0.4 ms on kvm-pvm and an E2BIG retry
 * would pay it twice.
 */
static void set_cpuid(int kvm_fd, int vcpu_fd)
{
	unsigned nent = 256;
	struct kvm_cpuid2 *cpuid;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) +
					  nent * sizeof(struct kvm_cpuid_entry2));
		if (!cpuid)
			die("out of memory");
		cpuid->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;
		if (errno != E2BIG || nent >= 4096)
			die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(cpuid);
		nent *= 2;
	}
	xioctl(vcpu_fd, KVM_SET_CPUID2, cpuid, "KVM_SET_CPUID2");
	free(cpuid);
}

static void set_real_mode(int vcpu_fd)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_segment *segs[] = { &sregs.cs, &sregs.ds, &sregs.es,
				       &sregs.fs, &sregs.gs, &sregs.ss };

	xioctl(vcpu_fd, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		segs[i]->base = 0;
		segs[i]->selector = 0;
	}
	xioctl(vcpu_fd, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rip = 0;
	regs.rflags = 0x2; /* bit 1 is reserved and reads as 1 */
	xioctl(vcpu_fd, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

struct vcpu_loop {
	int vcpu_fd;
	struct kvm_run *run;
	int done_fd; /* eventfd written at HLT, -1 when running in main */
	unsigned long long exits;
};

/* KVM_RUN until HLT; any other end is fatal. */
static void vcpu_loop(struct vcpu_loop *lp)
{
	struct kvm_run *run = lp->run;

	for (;;) {
		if (ioctl(lp->vcpu_fd, KVM_RUN, NULL) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN: %s", strerror(errno));
		}
		lp->exits++;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			/* Port writes are dropped and reads see whatever the
			 * data area holds: the benchmark guests only write. */
			continue;
		case KVM_EXIT_HLT:
			break;
		case KVM_EXIT_FAIL_ENTRY:
			die("entry failed, hardware reason 0x%llx",
			    (unsigned long long)run->fail_entry
				    .hardware_entry_failure_reason);
		case KVM_EXIT_INTERNAL_ERROR:
			die("internal error, suberror %u",
			    run->internal.suberror);
		default:
			die("unexpected exit reason %u", run->exit_reason);
		}
		break;
	}
	if (lp->done_fd >= 0) {
		uint64_t one = 1;

		if (write(lp->done_fd, &one, sizeof(one)) != sizeof(one))
			die("eventfd write: %s", strerror(errno));
	}
}

static void *vcpu_thread(void *arg)
{
	vcpu_loop(arg);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t ram_size = 1u << 20;
	bool cpuid = true, tss = false, thread = false, verbose = false;
	const char *image = NULL;
	unsigned long long exits = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-m") && i + 1 < argc) {
			char *end;
			unsigned long mib = strtoul(argv[++i], &end, 0);

			if (*end == 'M' || *end == 'm')
				end++;
			if (*end || mib == 0 || mib > 4096)
				usage();
			ram_size = (size_t)mib << 20;
		} else if (!strcmp(argv[i], "--no-cpuid")) {
			cpuid = false;
		} else if (!strcmp(argv[i], "--tss")) {
			tss = true;
		} else if (!strcmp(argv[i], "--thread")) {
			thread = true;
		} else if (!strcmp(argv[i], "-v")) {
			verbose = true;
		} else if (argv[i][0] == '-' || image) {
			usage();
		} else {
			image = argv[i];
		}
	}
	if (!image)
		usage();

	int kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm_fd < 0)
		die("/dev/kvm: %s", strerror(errno));
	int api = xioctl(kvm_fd, KVM_GET_API_VERSION, NULL, "KVM_GET_API_VERSION");

	if (api != KVM_API_VERSION)
		die("KVM API version %d, expected %d", api, KVM_API_VERSION);

	int vm_fd = xioctl(kvm_fd, KVM_CREATE_VM, (void *)0, "KVM_CREATE_VM");

	if (tss) {
		uint64_t idmap = RAW_IDENTITY_MAP_ADDR;

		xioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap,
		       "KVM_SET_IDENTITY_MAP_ADDR");
		if (ioctl(vm_fd, KVM_SET_TSS_ADDR, (unsigned long)RAW_TSS_ADDR) < 0)
			die("KVM_SET_TSS_ADDR: %s", strerror(errno));
	}

	uint8_t *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (ram == MAP_FAILED)
		die("mmap guest RAM: %s", strerror(errno));
	struct kvm_userspace_memory_region slot = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = ram_size,
		.userspace_addr = (uintptr_t)ram,
	};

	xioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &slot,
	       "KVM_SET_USER_MEMORY_REGION");
	load_image(image, ram, ram_size);

	int vcpu_fd = xioctl(vm_fd, KVM_CREATE_VCPU, (void *)0, "KVM_CREATE_VCPU");
	int run_size = xioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL,
			      "KVM_GET_VCPU_MMAP_SIZE");

	if ((size_t)run_size < sizeof(struct kvm_run))
		die("kvm_run mapping of %d bytes is too small", run_size);
	struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, vcpu_fd, 0);

	if (run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	if (cpuid)
		set_cpuid(kvm_fd, vcpu_fd);
	set_real_mode(vcpu_fd);

	struct vcpu_loop lp = { .vcpu_fd = vcpu_fd, .run = run, .done_fd = -1 };

	if (thread) {
		pthread_t th;
		uint64_t one;
		struct pollfd pfd;
		int err;

		lp.done_fd = eventfd(0, EFD_CLOEXEC);
		if (lp.done_fd < 0)
			die("eventfd: %s", strerror(errno));
		err = pthread_create(&th, NULL, vcpu_thread, &lp);
		if (err)
			die("pthread_create: %s", strerror(err));
		pfd = (struct pollfd){ .fd = lp.done_fd, .events = POLLIN };
		while (poll(&pfd, 1, -1) < 0)
			if (errno != EINTR)
				die("poll: %s", strerror(errno));
		if (read(lp.done_fd, &one, sizeof(one)) != sizeof(one))
			die("eventfd read: %s", strerror(errno));
		err = pthread_join(th, NULL);
		if (err)
			die("pthread_join: %s", strerror(err));
	} else {
		vcpu_loop(&lp);
	}
	exits = lp.exits;

	if (verbose) {
		long page = sysconf(_SC_PAGESIZE);
		size_t pages = (ram_size + (size_t)page - 1) / (size_t)page;
		unsigned char *vec = malloc(pages);
		size_t resident = 0;

		if (!vec)
			die("out of memory");
		if (mincore(ram, ram_size, vec) < 0)
			die("mincore: %s", strerror(errno));
		for (size_t i = 0; i < pages; i++)
			resident += vec[i] & 1;
		fprintf(stderr, "exits %llu\nguest_pages_resident %zu\npage_size %ld\n",
			exits, resident, page);
		free(vec);
	}
	return 0;
}
