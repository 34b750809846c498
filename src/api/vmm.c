// SPDX-License-Identifier: MIT
/*
 * The VMM behind the API (api.h): Firecracker's process (its flags, the
 * pre-boot API, InstanceStart building a VM from the command line the
 * description makes, snapshot/load restoring one) and the same API beside
 * a `minivmm run --api-sock`.
 *
 * One event loop serves the whole process: the API's socket is on it
 * before the VM exists, vm_create_in() puts the VM's sources on the same
 * loop, and vm_run() then serves both until the run ends.
 */
#include "api/api.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "arch/arch.h"
#include "cli.h"
#include "config.h"
#include "event_loop.h"
#include "log.h"
#include "snapshot/snapshot.h"
#include "vm.h"

#define MINIVMM_VERSION "0.1.0"

struct vmm {
	struct event_loop *loop;
	struct api *api;
	struct vm *vm; /* &own_vm once built, or a `run`'s VM */
	struct vm own_vm;
	struct vm_config cfg;
	char **argv; /* the command line cfg was parsed from (cfg.argv) */
	struct snapshot snap;
	bool have_snap;
	bool started, stop_asked;
	int signal_fd;
	int signo;
	struct event_source *metrics_src; /* the periodic metrics line */
};

/* ---- Backend calls ---- */

static char **argv_copy(int argc, char **argv)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));

	for (int i = 0; v && i < argc; i++) {
		v[i] = strdup(argv[i]);
		if (!v[i]) {
			api_argv_free(v);
			return NULL;
		}
	}
	return v;
}

static int build_vm(struct vmm *m)
{
	if (vm_create_in(&m->own_vm, &m->cfg, m->loop) < 0) {
		vm_destroy(&m->own_vm);
		return -1;
	}
	m->vm = &m->own_vm;
	return 0;
}

static int be_start(void *opaque, int argc, char **argv)
{
	struct vmm *m = opaque;

	if (m->vm)
		return err_set("the microVM was started already");
	m->argv = argv_copy(argc, argv);
	if (!m->argv)
		return err_set("out of memory");
	config_init(&m->cfg);
	if (config_parse(&m->cfg, argc, m->argv) < 0 ||
	    config_finish(&m->cfg) < 0)
		goto fail;
	m->cfg.argc = argc;
	m->cfg.argv = m->argv;
	if (build_vm(m) < 0)
		goto fail;
	m->started = true;
	event_loop_quit(m->loop); /* on to vm_run */
	return 0;
fail:
	api_argv_free(m->argv);
	m->argv = NULL;
	return -1;
}

/*
 * vsock_override: the restored vsock device listens at another path (its
 * connections are gone anyway; the guest hears of it by the
 * TRANSPORT_RESET event).
 */
static int override_vsock(struct vm_config *cfg, const char *uds)
{
	for (size_t i = 0; i < cfg->nr_vdevs; i++) {
		if (cfg->vdevs[i].kind != VDEV_VSOCK)
			continue;
		if (!*uds || strlen(uds) > CONFIG_VSOCK_UDS_MAX)
			return err_set("vsock_override: uds_path \"%s\": a path of 1 to %d bytes",
				       uds, CONFIG_VSOCK_UDS_MAX);
		memcpy(cfg->vdevs[i].uds, uds, strlen(uds) + 1);
		return 0;
	}
	return err_set("vsock_override: the snapshot has no vsock device");
}

/*
 * network_overrides: a restored card's tap is another one (host_dev_name
 * for the -netdev whose id is iface_id), as Firecracker's.
 */
static int override_nets(struct vm_config *cfg, const struct api_restore *req)
{
	for (size_t k = 0; k < req->nr_net; k++) {
		const char *id = req->net[k].iface_id, *dev = req->net[k].host_dev_name;
		size_t i;

		for (i = 0; i < cfg->nr_netdevs && strcmp(cfg->netdevs[i].id, id); i++)
			;
		if (i == cfg->nr_netdevs)
			return err_set("network_overrides: the snapshot has no network interface \"%s\"",
				       id);
		if (!*dev || strlen(dev) >= sizeof(cfg->netdevs[i].ifname))
			return err_set("network_overrides: %s: host_dev_name \"%s\": a tap's name is 1 to %zu characters",
				       id, dev, sizeof(cfg->netdevs[i].ifname) - 1);
		snprintf(cfg->netdevs[i].ifname, sizeof(cfg->netdevs[i].ifname), "%s", dev);
		cfg->netdevs[i].fd = -1;
	}
	return 0;
}

static int be_restore(void *opaque, const struct api_restore *req)
{
	struct vmm *m = opaque;

	if (m->vm)
		return err_set("the microVM was started already");
	if (snapshot_open(&m->snap, req->state_path) < 0)
		return -1;
	m->have_snap = true;
	config_init(&m->cfg);
	if (config_parse(&m->cfg, m->snap.argc, m->snap.argv) < 0) {
		err_set("the snapshot's command line: %s", err_msg());
		goto fail;
	}
	if ((req->vsock_uds && override_vsock(&m->cfg, req->vsock_uds) < 0) ||
	    override_nets(&m->cfg, req) < 0)
		goto fail;
	m->cfg.api_sock = NULL;
	m->cfg.restore = req->state_path;
	m->cfg.start_paused = !req->resume;
	if (config_finish(&m->cfg) < 0)
		goto fail;
	m->cfg.argc = m->snap.argc;
	m->cfg.argv = m->snap.argv;
	if (build_vm(m) < 0)
		goto fail;
	if (snapshot_restore(m->vm, &m->snap, req->mem_path) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err_msg());
		vm_destroy(m->vm);
		m->vm = NULL;
		err_set("%s", why);
		goto fail;
	}
	m->started = true;
	event_loop_quit(m->loop);
	return 0;
fail:
	snapshot_close(&m->snap);
	m->have_snap = false;
	return -1;
}

static int be_pause(void *opaque)
{
	struct vmm *m = opaque;

	return vm_pause(m->vm);
}

static int be_resume(void *opaque)
{
	struct vmm *m = opaque;

	return vm_resume(m->vm);
}

static int be_snapshot(void *opaque, const char *state, const char *mem)
{
	struct vmm *m = opaque;

	return snapshot_create(m->vm, state, mem);
}

static int be_ctrl_alt_del(void *opaque)
{
	struct vmm *m = opaque;

	return arch_ctrl_alt_del(m->vm);
}

static int be_stop(void *opaque)
{
	struct vmm *m = opaque;

	if (!m->vm) {
		m->stop_asked = true;
		event_loop_quit(m->loop);
		return 0;
	}
	vm_request_stop(m->vm, VM_STOP_SIGNAL, "stopped through the API");
	return 0;
}

static void be_metrics(void *opaque, struct api_metrics *out)
{
	struct vmm *m = opaque;
	struct vm *vm = m->vm;
	uint64_t start;

	if (!vm)
		return;
	start = (uint64_t)vm->start_time.tv_sec * 1000000000ull +
		(uint64_t)vm->start_time.tv_nsec;
	out->uptime_ms = (vm_now_ns() - start) / 1000000;
	out->vcpu_exits = atomic_load(&vm->nr_exits);
	out->resets = vm->nr_resets;
	out->pauses = vm->nr_pauses;
	out->resumes = vm->nr_resumes;
	out->snapshots_created = vm->nr_snapshots;
}

static void backend_init(struct api_backend *be, struct vmm *m)
{
	*be = (struct api_backend){
		.opaque = m,
		.start = be_start,
		.restore = be_restore,
		.pause = be_pause,
		.resume = be_resume,
		.snapshot = be_snapshot,
		.ctrl_alt_del = be_ctrl_alt_del,
		.stop = be_stop,
		.metrics = be_metrics,
	};
}

/* ---- Firecracker's process ---- */

/* A body for an endpoint, built from flags: answered like a request. */
/*
 * A body for an endpoint, built from flags (jansson: its strings are
 * escaped there), answered like a request.  Takes the reference to body.
 */
static int apply(struct api *a, const char *path, json_t *body,
		 const char *flag)
{
	struct api_response resp;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int r = 0;

	json_decref(body);
	if (!text)
		return err_set("out of memory");
	api_handle(a, "PUT", path, text, strlen(text), &resp);
	if (resp.status >= 300)
		r = err_set("%s: %s", flag, resp.body ? resp.body : "refused");
	free(resp.body);
	free(text);
	return r;
}

static bool id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(id[i] == '-' || (id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z')))
			return false;
	return true;
}

static void on_metrics_timer(void *opaque, uint32_t events)
{
	struct vmm *m = opaque;

	(void)events;
	api_metrics_periodic(m->api);
}

/* The periodic metrics line on m->loop (it serves the VM too, once built). */
static int metrics_timer_start(struct vmm *m)
{
	m->metrics_src = event_loop_add_timer(m->loop,
					      API_METRICS_PERIOD_S * 1000000000ull,
					      true, on_metrics_timer, m);
	return m->metrics_src ? 0 : -1;
}

static void on_signal(void *opaque, uint32_t events)
{
	struct vmm *m = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(m->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		m->signo = (int)si.ssi_signo;
		event_loop_quit(m->loop);
	}
}

static void firecracker_usage(FILE *out)
{
	fprintf(out,
		"Firecracker v%s (minivmm %s): Firecracker's process interface\n"
		"usage: firecracker [--api-sock PATH] [--id ID] [--config-file FILE] [--no-api]\n"
		"                   [--level LEVEL] [--log-path PATH] [--metrics-path PATH]\n"
		"                   [--boot-timer] [--no-seccomp | --seccomp-filter FILE]\n"
		"                   [--http-api-max-payload-size BYTES] [--version]\n"
		"  --api-sock PATH   the API socket (default /run/firecracker.socket)\n"
		"  --config-file F   configure from Firecracker's JSON file and start at once\n"
		"  --no-api          no API socket (needs --config-file)\n"
		"The API and these flags are described in minivmm's README (\"The API\").\n",
		API_FIRECRACKER_VERSION, MINIVMM_VERSION);
}

enum {
	FC_API_SOCK = 256, FC_ID, FC_CONFIG, FC_NO_API, FC_BOOT_TIMER,
	FC_NO_SECCOMP, FC_SECCOMP, FC_LEVEL, FC_LOG_PATH, FC_METRICS,
	FC_IGNORED_VALUE, FC_MAX_PAYLOAD, FC_VERSION,
	FC_SNAP_VERSION, FC_DESCRIBE, FC_HELP, FC_REFUSED, FC_SHOW_LEVEL,
	FC_SHOW_ORIGIN,
};

int firecracker_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "api-sock", required_argument, NULL, FC_API_SOCK },
		{ "id", required_argument, NULL, FC_ID },
		{ "config-file", required_argument, NULL, FC_CONFIG },
		{ "no-api", no_argument, NULL, FC_NO_API },
		{ "boot-timer", no_argument, NULL, FC_BOOT_TIMER },
		{ "no-seccomp", no_argument, NULL, FC_NO_SECCOMP },
		{ "seccomp-filter", required_argument, NULL, FC_SECCOMP },
		{ "level", required_argument, NULL, FC_LEVEL },
		{ "log-path", required_argument, NULL, FC_LOG_PATH },
		{ "metrics-path", required_argument, NULL, FC_METRICS },
		{ "show-level", no_argument, NULL, FC_SHOW_LEVEL },
		{ "show-log-origin", no_argument, NULL, FC_SHOW_ORIGIN },
		{ "start-time-us", required_argument, NULL, FC_IGNORED_VALUE },
		{ "start-time-cpu-us", required_argument, NULL, FC_IGNORED_VALUE },
		{ "parent-cpu-time-us", required_argument, NULL, FC_IGNORED_VALUE },
		{ "mmds-size-limit", required_argument, NULL, FC_IGNORED_VALUE },
		{ "http-api-max-payload-size", required_argument, NULL, FC_MAX_PAYLOAD },
		{ "module", required_argument, NULL, FC_REFUSED },
		{ "enable-pci", no_argument, NULL, FC_REFUSED },
		{ "version", no_argument, NULL, FC_VERSION },
		{ "snapshot-version", no_argument, NULL, FC_SNAP_VERSION },
		{ "describe-snapshot", required_argument, NULL, FC_DESCRIBE },
		{ "help", no_argument, NULL, FC_HELP },
		{ 0 },
	};
	static struct vmm m;
	const char *sock = "/run/firecracker.socket", *id = NULL,
		   *config = NULL, *log_path = NULL, *level = NULL,
		   *metrics = NULL;
	size_t max_payload = API_DEFAULT_MAX_PAYLOAD;
	bool no_api = false, show_level = false, show_origin = false;
	struct api_server *srv = NULL;
	struct api_backend be;
	sigset_t sigs, old;
	int c, code = EXIT_USAGE;

	log_set_prefix("minivmm (firecracker)");
	opterr = 0;
	optind = 1;
	while ((c = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case FC_API_SOCK:
			sock = optarg;
			break;
		case FC_ID:
			if (!id_valid(optarg)) {
				log_error("--id %s: an id is 1 to 64 letters, digits or '-'",
					  optarg);
				return EXIT_USAGE;
			}
			id = optarg;
			break;
		case FC_CONFIG:
			config = optarg;
			break;
		case FC_NO_API:
			no_api = true;
			break;
		case FC_BOOT_TIMER: /* the pc machine's boot marker is always on */
		case FC_NO_SECCOMP:
		case FC_IGNORED_VALUE:
			break;
		case FC_SECCOMP:
			/* Accepted and checked; minivmm applies no seccomp filter yet. */
			if (access(optarg, R_OK) < 0) {
				log_error("--seccomp-filter %s: %s", optarg,
					  strerror(errno));
				return EXIT_USAGE;
			}
			break;
		case FC_LEVEL:
			level = optarg;
			break;
		case FC_SHOW_LEVEL:
			show_level = true;
			break;
		case FC_SHOW_ORIGIN:
			show_origin = true;
			break;
		case FC_LOG_PATH:
			log_path = optarg;
			break;
		case FC_METRICS:
			metrics = optarg;
			break;
		case FC_MAX_PAYLOAD:
			errno = 0;
			max_payload = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || max_payload == 0 ||
			    max_payload > (64u << 20)) {
				log_error("--http-api-max-payload-size %s: expected 1 to %u bytes",
					  optarg, 64u << 20);
				return EXIT_USAGE;
			}
			break;
		case FC_REFUSED:
			log_error("%s is not supported by minivmm", argv[optind - 1]);
			return EXIT_USAGE;
		case FC_VERSION:
			printf("Firecracker v%s (minivmm %s)\n\n",
			       API_FIRECRACKER_VERSION, MINIVMM_VERSION);
			return 0;
		case FC_SNAP_VERSION:
			printf("v%u.0.0\n", SNAPSHOT_VERSION);
			return 0;
		case FC_DESCRIBE:
			if (snapshot_open(&m.snap, optarg) < 0) {
				log_error("--describe-snapshot: %s", err_msg());
				return EXIT_USAGE;
			}
			snapshot_close(&m.snap);
			printf("v%u.0.0\n", SNAPSHOT_VERSION);
			return 0;
		case FC_HELP:
			firecracker_usage(stdout);
			return 0;
		default:
			log_error("%s: unknown or incomplete option (see --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("%s: unexpected argument", argv[optind]);
		return EXIT_USAGE;
	}
	if (no_api && !config) {
		log_error("--no-api needs --config-file (nothing else could start the microVM)");
		return EXIT_USAGE;
	}

	backend_init(&be, &m);
	m.signal_fd = -1;
	m.loop = event_loop_create();
	m.api = m.loop ? api_create(id, &be) : NULL;
	if (!m.api || metrics_timer_start(&m) < 0) {
		log_error("%s", err_msg());
		goto out;
	}
	if (log_path || level || show_level || show_origin) {
		json_t *body = json_object();

		if (log_path)
			json_object_set_new(body, "log_path", json_string(log_path));
		if (level)
			json_object_set_new(body, "level", json_string(level));
		if (show_level)
			json_object_set_new(body, "show_level", json_true());
		if (show_origin)
			json_object_set_new(body, "show_log_origin", json_true());
		if (apply(m.api, "/logger", body,
			  log_path ? "--log-path" : "--level") < 0) {
			log_error("%s", err_msg());
			goto out;
		}
	}
	if (metrics &&
	    apply(m.api, "/metrics", json_pack("{s:s}", "metrics_path", metrics),
		  "--metrics-path") < 0) {
		log_error("%s", err_msg());
		goto out;
	}

	/* Until the VM runs, a signal ends the process cleanly (socket removed). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	m.signal_fd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	struct event_source *sig_src =
		m.signal_fd >= 0 ? event_loop_add_fd(m.loop, m.signal_fd,
						     EPOLLIN, on_signal, &m) :
				   NULL;
	if (!sig_src) {
		log_error("signalfd: %s", strerror(errno));
		goto out_sig;
	}
	if (!no_api) {
		srv = api_server_create(m.loop, sock, m.api, max_payload);
		if (!srv) {
			log_error("%s", err_msg());
			goto out_sig;
		}
	}
	if (config && api_config_file(m.api, config) < 0) {
		log_error("%s", err_msg());
		goto out_sig;
	}
	while (!m.started && !m.signo && !m.stop_asked)
		if (event_loop_run(m.loop) < 0) {
			log_error("%s", err_msg());
			goto out_sig;
		}
	event_loop_remove(m.loop, sig_src);
	sig_src = NULL;
	close(m.signal_fd);
	m.signal_fd = -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!m.started) {
		code = m.signo ? EXIT_STOPPED : 0;
		goto out;
	}
	code = vm_run(m.vm);
	/* Firecracker ends with 0 when the guest reboots (reboot=k). */
	if (code == EXIT_GUEST_RESET)
		code = 0;
	{
		struct api_response resp;
		static const char flush[] = "{\"action_type\":\"FlushMetrics\"}";

		if (metrics) {
			api_handle(m.api, "PUT", "/actions", flush,
				   sizeof(flush) - 1, &resp);
			free(resp.body);
		}
	}
	goto out;
out_sig:
	event_loop_remove(m.loop, sig_src);
	if (m.signal_fd >= 0)
		close(m.signal_fd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
	api_server_destroy(srv);
	if (m.vm)
		vm_destroy(m.vm);
	if (m.have_snap)
		snapshot_close(&m.snap);
	api_argv_free(m.argv);
	if (m.loop)
		event_loop_remove(m.loop, m.metrics_src);
	api_destroy(m.api);
	if (m.loop)
		event_loop_destroy(m.loop);
	return code;
}

/* ---- The API beside a `minivmm run` ---- */

struct attached {
	struct vmm m;
	struct api_server *srv;
};

struct api_server *api_attach(struct vm *vm, const char *path)
{
	struct attached *at = calloc(1, sizeof(*at));
	struct api_backend be;

	if (!at) {
		err_set("out of memory");
		return NULL;
	}
	at->m.vm = vm;
	at->m.loop = vm->loop;
	at->m.started = true;
	backend_init(&be, &at->m);
	at->m.api = api_create(NULL, &be);
	if (!at->m.api || metrics_timer_start(&at->m) < 0) {
		api_destroy(at->m.api);
		free(at);
		return NULL;
	}
	api_set_state(at->m.api, vm->cfg->start_paused ? API_VM_PAUSED :
							 API_VM_RUNNING);
	at->srv = api_server_create(vm->loop, path, at->m.api,
				    API_DEFAULT_MAX_PAYLOAD);
	if (!at->srv) {
		event_loop_remove(at->m.loop, at->m.metrics_src);
		api_destroy(at->m.api);
		free(at);
		return NULL;
	}
	api_server_set_owner(at->srv, at);
	return at->srv;
}

void api_detach(struct api_server *srv)
{
	struct attached *at;

	if (!srv)
		return;
	at = api_server_owner(srv);
	api_server_destroy(srv);
	event_loop_remove(at->m.loop, at->m.metrics_src);
	api_destroy(at->m.api);
	free(at);
}
