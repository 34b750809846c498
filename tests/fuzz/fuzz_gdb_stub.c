// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the gdb stub's command layer (src/gdb/gdb.c):
 * whatever a debugger sends, end to end through the real connection.
 *
 * The stub listens on a Unix socket of a VM that has two vCPUs but no KVM
 * behind them (their fds are -1): every register, translation and debug
 * ioctl fails and must come back to the client as an error reply, while
 * the packet parsing, thread ids, vCont, Z/z bookkeeping, qXfer and the
 * stop/resume state machine run for real.  Each input is written to the
 * connection and the event loop runs until it is idle; a thread drains
 * the replies.  An input whose first byte is even is a list of packet
 * bodies, one per line, that the harness frames with their checksums (so
 * the fuzzer reaches the commands at once); otherwise it is sent as raw
 * bytes (framing, acks, interrupts, noise).  The stub's state carries over between inputs (as with one
 * long debugging session); a detach or kill is followed by a new
 * connection.
 *
 *   make fuzz && build-fuzz/fuzz_gdb_stub -max_total_time=60
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "event_loop.h"
#include "gdb/gdb.h"
#include "gdb/rsp.h"
#include "log.h"
#include "vm.h"

static struct vm vm;
static struct vm_config cfg;
static int client = -1;
static _Atomic bool client_gone;

/* Reads (and drops) the stub's replies, so its writes never block. */
static void *drain(void *arg)
{
	char buf[65536];

	for (;;) {
		int fd = *(volatile int *)arg;
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

		if (n <= 0) {
			atomic_store(&client_gone, true);
			usleep(1000);
		}
	}
	return NULL;
}

static void run_loop(void)
{
	for (int i = 0; i < 1000 && event_loop_run_once(vm.loop, 0) > 0; i++)
		;
}

static void connect_client(void)
{
	struct sockaddr_un sa;

	if (client >= 0)
		close(client);
	client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, cfg.gdb.path);
	if (client < 0 || connect(client, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	atomic_store(&client_gone, false);
	run_loop(); /* accept: the guest stops for the new debugger */
}

static void init_once(void)
{
	static bool done;
	static pthread_t thread;

	if (done)
		return;
	done = true;
	log_set_level(LOG_ERROR);
	cfg.smp = 2;
	cfg.gdb.transport = GDB_UNIX;
	snprintf(cfg.gdb.path, sizeof(cfg.gdb.path), "/tmp/minivmm-fuzz-gdb-%d.sock",
		 (int)getpid());
	vm.cfg = &cfg;
	vm.kvm_fd = vm.vm_fd = -1;
	pthread_mutex_init(&vm.park_lock, NULL);
	pthread_mutex_init(&vm.stop_lock, NULL);
	pthread_cond_init(&vm.park_cond, NULL);
	pthread_cond_init(&vm.parked_cond, NULL);
	mem_init(&vm.mem);
	vm.event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm.loop = event_loop_create();
	vm.nr_vcpus = cfg.smp;
	vm.vcpus = calloc(vm.nr_vcpus, sizeof(*vm.vcpus));
	if (vm.event_fd < 0 || !vm.loop || !vm.vcpus)
		abort();
	for (unsigned i = 0; i < vm.nr_vcpus; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vm.vcpus[i].fd = -1;
	}
	if (gdb_stub_create(&vm) < 0) {
		fprintf(stderr, "gdb_stub_create: %s\n", err_msg());
		abort();
	}
	connect_client();
	if (pthread_create(&thread, NULL, drain, &client))
		abort();
}

static void send_all(const void *buf, size_t size)
{
	const uint8_t *data = buf;

	for (size_t off = 0; off < size;) {
		ssize_t n = send(client, data + off, size - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
		run_loop();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	/* More than the socket holds could block the write before the loop runs. */
	if (size > 65536)
		return 0;
	if (atomic_load(&client_gone) || atomic_load(&vm.stopping))
		connect_client();
	/* A kill ends the run: take it back so the session goes on. */
	atomic_store(&vm.stopping, false);
	vm.stop_reason = VM_STOP_NONE;
	if (size && !(data[0] & 1)) {
		static char frame[2 * RSP_MAX_PACKET + 8];
		const uint8_t *p = data + 1, *end = data + size;

		while (p < end) {
			const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = (size_t)((nl ? nl : end) - p);
			size_t n = rsp_frame(frame, sizeof(frame), p, len, false);

			send_all(frame, n);
			p += len + 1;
		}
	} else {
		send_all(data, size);
	}
	run_loop();
	return 0;
}
