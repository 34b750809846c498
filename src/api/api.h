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
	/* PUT /actions Stop (minivmm's own action): end the run, or the
	 * process before a start. */
	int (*stop)(void *opaque);
	void (*metrics)(void *opaque, struct api_metrics *m);
};

/* Whether this build has the API (its libraries were present). */
bool api_available(void);

/*
 * The instance (api.c): the pre-boot description and the state rules, with
 * no I/O of its own but the backend calls and the files the endpoints
 * check.  `id` is --id (copied).  NULL with err_msg().
 */
struct api;
struct api *api_create(const char *id, const struct api_backend *be);
void api_destroy(struct api *a);
/* The VM was started (or restored) by someone else: a `run --api-sock`. */
void api_set_state(struct api *a, enum api_vm_state state);
enum api_vm_state api_state(const struct api *a);

/* What a request gets: an HTTP status and a JSON body (malloc'd) or NULL. */
struct api_response {
	int status;
	char *body;
};

/*
 * One request: method "GET", "PUT", "PATCH", ...; path without the query;
 * body of len bytes (not NUL-terminated, NULL when there is none).  Always
 * fills resp (free resp->body after).
 */
void api_handle(struct api *a, const char *method, const char *path,
		const char *body, size_t len, struct api_response *resp);

/*
 * --config-file: Firecracker's JSON file (the sections GET /vm/config
 * reports), applied through the same checks as the endpoints, then the VM
 * started.  -1 with err_msg().
 */
int api_config_file(struct api *a, const char *path);

/*
 * The `minivmm run` command line InstanceStart builds from the
 * description (NULL-terminated; free with api_argv_free).  -1 with err_msg()
 * when it is incomplete (no boot source).
 */
int api_build_argv(const struct api *a, int *argc, char ***argv);
void api_argv_free(char **argv);

/*
 * The periodic metrics line: written (and flushed) when metrics were
 * configured, nothing otherwise.  The VMM calls it every
 * API_METRICS_PERIOD_S seconds, as Firecracker writes its metrics once a
 * minute; a write that fails is logged (once until one succeeds again).
 */
#define API_METRICS_PERIOD_S 60
void api_metrics_periodic(struct api *a);
/* The metrics line (one JSON object, no newline; malloc'd). */
char *api_metrics_line(struct api *a);

/*
 * The server (server.c): Firecracker's HTTP/1.1 over a Unix socket on the
 * event loop.  The socket file appears only once it is listening, and a
 * path that already exists is refused.  NULL with err_msg().
 */
struct api_server *api_server_create(struct event_loop *loop, const char *path,
				     struct api *a, size_t max_payload);
/* Closes every connection and removes the socket file. */
void api_server_destroy(struct api_server *s);
/* Whoever made the server keeps its own state here (vmm.c). */
void api_server_set_owner(struct api_server *s, void *owner);
void *api_server_owner(const struct api_server *s);

/* Firecracker's default limit on a request body (--http-api-max-payload-size). */
#define API_DEFAULT_MAX_PAYLOAD 51200u
/* The request line and headers together, at most. */
#define API_MAX_HEAD 8192u
/* Connections served at once; more wait in the listen backlog. */
#define API_MAX_CONNECTIONS 16

/*
 * The front ends (vmm.c, ctl.c), called from main():
 *   firecracker_main   Firecracker's process: its flags, the API socket and
 *                      config file; also when started as `firecracker`
 *   api_attach         a `minivmm run --api-sock PATH`: the same API beside
 *                      a VM built from a command line
 *   ctl_main           `minivmm ctl SOCKET COMMAND`: the small client
 * Each returns the process exit code.
 */
struct vm;
int firecracker_main(int argc, char **argv);
bool firecracker_wanted(int argc, char **argv);
struct api_server *api_attach(struct vm *vm, const char *path);
/* After the run: the server and its instance go (NULL is fine). */
void api_detach(struct api_server *s);
int ctl_main(int argc, char **argv);

/* The Firecracker release whose API and flags minivmm follows. */
#define API_FIRECRACKER_VERSION "1.10.1"

#endif
