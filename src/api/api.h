/* SPDX-License-Identifier: MIT */
/*
 * The control API: Firecracker's REST API over a Unix socket (HTTP/1.1,
 * JSON bodies), its process flags and config file, and `minivmm ctl`.
 *
 * The API never touches the VM itself.  It keeps the pre-boot description
 * Firecracker's endpoints build (machine-config, boot-source, drives, ...),
 * turns it into a `minivmm run` command line at InstanceStart, and asks the
 * VMM for everything else through a struct api_backend, whose calls run on
 * the event loop's thread (the main thread), one at a time.  A backend call
 * returns 0, or -1 with err_msg(), which becomes the 400 answer's
 * fault_message.
 *
 * Built only when libjansson and libhttp-parser are present (api_none.c
 * otherwise: api_available() is false and every entry point refuses).
 */
#ifndef MINIVMM_API_API_H
#define MINIVMM_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_loop;
struct api_server;

/* What GET / reports as "state". */
enum api_vm_state { API_VM_NOT_STARTED, API_VM_RUNNING, API_VM_PAUSED };

/* The counters minivmm keeps, for PUT /actions FlushMetrics and --metrics-path. */
struct api_metrics {
	uint64_t uptime_ms;
	uint64_t vcpu_exits;
	uint64_t resets;
	uint64_t pauses;
	uint64_t resumes;
	uint64_t snapshots_created;
};

#define API_MAX_NET_OVERRIDES 8

/* PUT /snapshot/load. */
struct api_restore {
	const char *state_path; /* snapshot_path */
	const char *mem_path; /* mem_backend.backend_path or mem_file_path */
	bool resume; /* resume_vm */
	struct {
		const char *iface_id, *host_dev_name;
	} net[API_MAX_NET_OVERRIDES]; /* network_overrides */
	size_t nr_net;
	const char *vsock_uds; /* vsock_override.uds_path, or NULL */
};

struct api_backend {
	void *opaque;
	/*
	 * InstanceStart: create and start the VM the command line describes
	 * (argv[0] "minivmm", argv[1] "run", NULL-terminated; valid only during
	 * the call).
	 */
	int (*start)(void *opaque, int argc, char **argv);
	/* PUT /snapshot/load, before any start. */
	int (*restore)(void *opaque, const struct api_restore *req);
	int (*pause)(void *opaque); /* PATCH /vm Paused */
	int (*resume)(void *opaque); /* PATCH /vm Resumed */
	/* PUT /snapshot/create of a paused VM (Full snapshots only). */
	int (*snapshot)(void *opaque, const char *state_path,
			const char *mem_path);
	int (*ctrl_alt_del)(void *opaque); /* PUT /actions SendCtrlAltDel (x86) */
	void (*metrics)(void *opaque, struct api_metrics *m);
};

/* Whether this build has the API (its libraries were present). */
bool api_available(void);

#endif
