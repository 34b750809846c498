// SPDX-License-Identifier: MIT
/*
 * Firecracker's API: the endpoints, their JSON bodies and the rules of
 * when each may be called (api.h).  Bodies are read with jansson, strictly
 * as Firecracker reads them: an unknown field, a wrong type or a missing
 * required field is a 400 with a fault_message, and so is every field whose
 * feature minivmm does not have (rate limiters, CPU templates, MMDS, ...),
 * never a silent success.
 */
#include "api/api.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "vm_config.h"

#define API_MAX_DRIVES 8
#define API_MAX_VCPUS 32
/* A path or an id in a body, at most (the kernel's PATH_MAX). */
#define API_MAX_STR 4096

/* Firecracker's kernel command line when boot_args is not given. */
#define API_DEFAULT_BOOT_ARGS                                          \
	"reboot=k panic=1 pci=off nomodule 8250.nr_uarts=0 i8042.noaux " \
	"i8042.nomux i8042.nopnp i8042.dumbkbd"

/* Firecracker's own words for the state rules (its clients match them). */
#define MSG_AFTER_START \
	"The requested operation is not supported after starting the microVM."
#define MSG_BEFORE_START \
	"The requested operation is not supported before starting the microVM."
#define MSG_LOAD_AFTER_CONFIG \
	"Loading a microVM snapshot not allowed after configuring boot-specific resources."

struct api_drive {
	char *id, *path, *partuuid;
	bool root, readonly;
	bool writeback; /* cache_type Writeback (default Unsafe) */
};

#define API_MAX_NETS CONFIG_MAX_NETDEVS

/* PUT /network-interfaces/{id}: a tap and the card on it. */
struct api_net {
	char *id, *host_dev; /* iface_id (also the -netdev id), host_dev_name */
	char mac[18]; /* guest_mac, "" for QEMU's default */
};

struct api {
	char *id;
	struct api_backend be;
	enum api_vm_state state;
	bool configured; /* a boot resource was set: no snapshot/load */

	unsigned vcpus;
	unsigned mem_mib;
	char *kernel, *boot_args, *initrd; /* boot_args NULL: the default */
	struct api_drive drives[API_MAX_DRIVES];
	size_t nr_drives;
	bool entropy;
	struct api_net nets[API_MAX_NETS];
	size_t nr_nets;
	char *vsock_uds; /* PUT /vsock: NULL when there is none */
	uint64_t vsock_cid;
	char *log_path, *metrics_path;
	int log_level; /* -1: not set */
	FILE *metrics;
	bool metrics_failing; /* the last periodic write failed (logged) */
	struct timespec start;
};

/* ---- Answers ---- */

static void answer(struct api_response *resp, int status, json_t *body)
{
	resp->status = status;
	resp->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
}

static void fault(struct api_response *resp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fault(struct api_response *resp, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	answer(resp, 400, json_pack("{s:s}", "fault_message", msg));
}

/* ---- Reading bodies ---- */

/*
 * A body's fields: each one known (with its type), or known and refused
 * because minivmm lacks the feature.  The first problem is the answer.
 */
enum field_type { F_STRING, F_BOOL, F_UINT, F_OBJECT, F_ARRAY };

struct field {
	const char *name;
	enum field_type type;
	bool required;
	const char *unsupported; /* non-NULL: refused with these words */
};

static const char *type_name(enum field_type t)
{
	static const char *const names[] = { "a string", "a boolean",
					     "an unsigned integer", "an object",
					     "an array" };
	return names[t];
}

static bool type_ok(enum field_type t, json_t *v)
{
	switch (t) {
	case F_STRING:
		return json_is_string(v) &&
		       json_string_length(v) <= API_MAX_STR &&
		       strlen(json_string_value(v)) == json_string_length(v);
	case F_BOOL:
		return json_is_boolean(v);
	case F_UINT:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case F_OBJECT:
		return json_is_object(v);
	case F_ARRAY:
		return json_is_array(v);
	}
	return false;
}

/*
 * Check obj's fields against the table: 0, or -1 with the 400 written.
 * A null value counts as absent (serde's Option), except for required
 * fields.
 */
static int check_fields(json_t *obj, const char *what, const struct field *f,
			size_t n, struct api_response *resp)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj)) {
		fault(resp, "%s: the body must be a JSON object", what);
		return -1;
	}
	json_object_foreach(obj, key, v) {
		size_t i;

		for (i = 0; i < n && strcmp(f[i].name, key); i++)
			;
		if (i == n) {
			char known[512];
			size_t len = 0;

			known[0] = 0;
			for (size_t k = 0; k < n; k++)
				len += (size_t)snprintf(known + len,
							len < sizeof(known) ? sizeof(known) - len : 0,
							"%s`%s`", k ? ", " : "", f[k].name);
			fault(resp, "%s: unknown field `%s`, expected one of %s",
			      what, key, known);
			return -1;
		}
		if (json_is_null(v) && !f[i].required)
			continue;
		if (!type_ok(f[i].type, v)) {
			fault(resp, "%s: `%s` must be %s", what, key,
			      type_name(f[i].type));
			return -1;
		}
		if (f[i].unsupported) {
			fault(resp, "%s: `%s`: %s", what, key, f[i].unsupported);
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (f[i].required && !json_object_get(obj, f[i].name)) {
			fault(resp, "%s: missing field `%s`", what, f[i].name);
			return -1;
		}
	}
	return 0;
}

static const char *get_str(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool get_bool(json_t *obj, const char *name, bool dflt)
{
	json_t *v = json_object_get(obj, name);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static bool has(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	return v && !json_is_null(v);
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? strdup(src) : NULL;
}

/* A file the VM will open must exist and be readable now, as Firecracker
 * opens it at the PUT. */
static int check_file(const char *what, const char *path, bool write,
		      struct api_response *resp)
{
	struct stat st;

	if (!*path) {
		fault(resp, "%s: the path is empty", what);
		return -1;
	}
	if (access(path, write ? R_OK | W_OK : R_OK) < 0 ||
	    stat(path, &st) < 0) {
		fault(resp, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		fault(resp, "%s %s: is a directory", what, path);
		return -1;
	}
	return 0;
}

/* ---- Pre-boot resources ---- */

static bool pre_boot(struct api *a, struct api_response *resp)
{
	if (a->state != API_VM_NOT_STARTED) {
		fault(resp, MSG_AFTER_START);
		return false;
	}
	return true;
}

static json_t *machine_json(const struct api *a)
{
	return json_pack("{s:i,s:i,s:b,s:b,s:s}", "vcpu_count", (int)a->vcpus,
			 "mem_size_mib", (int)a->mem_mib, "smt", 0,
			 "track_dirty_pages", 0, "huge_pages", "None");
}

static void put_machine(struct api *a, json_t *b, bool patch,
			struct api_response *resp)
{
	static const struct field f[] = {
		{ "vcpu_count", F_UINT, true, NULL },
		{ "mem_size_mib", F_UINT, true, NULL },
		{ "smt", F_BOOL, false, NULL },
		{ "track_dirty_pages", F_BOOL, false, NULL },
		{ "huge_pages", F_STRING, false, NULL },
		{ "cpu_template", F_STRING, false, NULL },
	};
	struct field pf[sizeof(f) / sizeof(f[0])];
	json_int_t vcpus = a->vcpus, mem = a->mem_mib;
	const char *s;

	memcpy(pf, f, sizeof(f));
	for (size_t i = 0; patch && i < sizeof(f) / sizeof(f[0]); i++)
		pf[i].required = false;
	if (!pre_boot(a, resp) ||
	    check_fields(b, "machine-config", pf, sizeof(f) / sizeof(f[0]),
			 resp) < 0)
		return;
	if (has(b, "vcpu_count"))
		vcpus = json_integer_value(json_object_get(b, "vcpu_count"));
	if (has(b, "mem_size_mib"))
		mem = json_integer_value(json_object_get(b, "mem_size_mib"));
	if (vcpus < 1 || vcpus > API_MAX_VCPUS) {
		fault(resp, "machine-config: vcpu_count %lld: must be 1 to %d",
		      (long long)vcpus, API_MAX_VCPUS);
		return;
	}
	if (mem < 1 || mem > (1 << 20)) {
		fault(resp, "machine-config: mem_size_mib %lld: must be 1 to %d",
		      (long long)mem, 1 << 20);
		return;
	}
	if (get_bool(b, "smt", false)) {
		fault(resp, "machine-config: `smt`: simultaneous multithreading is not supported by minivmm (vCPUs are one thread per core)");
		return;
	}
	if (get_bool(b, "track_dirty_pages", false)) {
		fault(resp, "machine-config: `track_dirty_pages`: dirty page tracking (diff snapshots) is not supported by minivmm");
		return;
	}
	s = get_str(b, "huge_pages");
	if (s && strcmp(s, "None")) {
		fault(resp, "machine-config: huge_pages \"%s\": only \"None\" is supported (minivmm's -mem-path gives hugetlbfs on its command line)",
		      s);
		return;
	}
	s = get_str(b, "cpu_template");
	if (s && strcmp(s, "None")) {
		fault(resp, "machine-config: cpu_template \"%s\": CPU templates are not supported by minivmm (the guest sees the host's CPU)",
		      s);
		return;
	}
	a->vcpus = (unsigned)vcpus;
	a->mem_mib = (unsigned)mem;
	a->configured = true;
	answer(resp, 204, NULL);
}

static void put_boot_source(struct api *a, json_t *b, struct api_response *resp)
{
	static const struct field f[] = {
		{ "kernel_image_path", F_STRING, true, NULL },
		{ "boot_args", F_STRING, false, NULL },
		{ "initrd_path", F_STRING, false, NULL },
	};
	const char *kernel, *initrd;

	if (!pre_boot(a, resp) ||
	    check_fields(b, "boot-source", f, sizeof(f) / sizeof(f[0]), resp) < 0)
		return;
	kernel = get_str(b, "kernel_image_path");
	initrd = get_str(b, "initrd_path");
	if (check_file("boot-source: kernel image", kernel, false, resp) < 0 ||
	    (initrd && check_file("boot-source: initrd", initrd, false, resp) < 0))
		return;
	set_str(&a->kernel, kernel);
	set_str(&a->initrd, initrd);
	set_str(&a->boot_args, get_str(b, "boot_args"));
	a->configured = true;
	answer(resp, 204, NULL);
}

/* The body's KEY (a required string field) is the id in the path, as Firecracker checks. */
static bool body_id_matches(json_t *b, const char *key, const char *id,
			    struct api_response *resp)
{
	if (!strcmp(get_str(b, key), id))
		return true;
	fault(resp, "The id from the path [%s] does not match the id from the body [%s]!",
	      id, get_str(b, key));
	return false;
}

static struct api_drive *drive_find(struct api *a, const char *id)
{
	for (size_t i = 0; i < a->nr_drives; i++)
		if (!strcmp(a->drives[i].id, id))
			return &a->drives[i];
	return NULL;
}

/* Drive ids become -drive id=...: QEMU's id rule keeps them safe there. */
static bool id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 31)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return false;
	}
	return true;
}

static void put_drive(struct api *a, const char *id, json_t *b,
		      struct api_response *resp)
{
	static const struct field f[] = {
		{ "drive_id", F_STRING, true, NULL },
		{ "path_on_host", F_STRING, false, NULL },
		{ "is_root_device", F_BOOL, true, NULL },
		{ "is_read_only", F_BOOL, false, NULL },
		{ "partuuid", F_STRING, false, NULL },
		{ "cache_type", F_STRING, false, NULL },
		{ "io_engine", F_STRING, false, NULL },
		{ "rate_limiter", F_OBJECT, false,
		  "rate limiters are not supported by minivmm" },
		{ "socket", F_STRING, false,
		  "vhost-user block devices are not supported by minivmm" },
	};
	struct api_drive *d, nd = { 0 };
	const char *path, *cache, *engine, *partuuid;

	if (!pre_boot(a, resp) ||
	    check_fields(b, "drive", f, sizeof(f) / sizeof(f[0]), resp) < 0)
		return;
	if (!body_id_matches(b, "drive_id", id, resp))
		return;
	if (!id_ok(id)) {
		fault(resp, "drive \"%s\": an id is 1 to 31 letters, digits, '_', '-' or '.'",
		      id);
		return;
	}
	path = get_str(b, "path_on_host");
	if (!path) {
		fault(resp, "drive %s: missing field `path_on_host`", id);
		return;
	}
	nd.readonly = get_bool(b, "is_read_only", false);
	nd.root = get_bool(b, "is_root_device", false);
	if (check_file("drive: image", path, !nd.readonly, resp) < 0)
		return;
	cache = get_str(b, "cache_type");
	if (cache && strcmp(cache, "Unsafe") && strcmp(cache, "Writeback")) {
		fault(resp, "drive %s: cache_type \"%s\": expected Unsafe or Writeback",
		      id, cache);
		return;
	}
	nd.writeback = cache && !strcmp(cache, "Writeback");
	/* Both engines are minivmm's I/O threads (aio=threads). */
	engine = get_str(b, "io_engine");
	if (engine && strcmp(engine, "Sync") && strcmp(engine, "Async")) {
		fault(resp, "drive %s: io_engine \"%s\": expected Sync or Async",
		      id, engine);
		return;
	}
	partuuid = get_str(b, "partuuid");
	if (partuuid && !id_ok(partuuid)) {
		fault(resp, "drive %s: partuuid \"%s\" is not a partition UUID",
		      id, partuuid);
		return;
	}
	for (size_t i = 0; i < a->nr_drives; i++) {
		if (nd.root && a->drives[i].root && strcmp(a->drives[i].id, id)) {
			fault(resp, "A root block device already exists!");
			return;
		}
	}
	d = drive_find(a, id);
	if (!d) {
		if (a->nr_drives == API_MAX_DRIVES) {
			fault(resp, "drive %s: at most %d drives", id,
			      API_MAX_DRIVES);
			return;
		}
		d = &a->drives[a->nr_drives++];
	} else {
		free(d->id);
		free(d->path);
		free(d->partuuid);
	}
	nd.id = strdup(id);
	nd.path = strdup(path);
	nd.partuuid = partuuid ? strdup(partuuid) : NULL;
	*d = nd;
	a->configured = true;
	answer(resp, 204, NULL);
}

static void patch_drive(struct api *a, const char *id, json_t *b,
			struct api_response *resp)
{
	static const struct field f[] = {
		{ "drive_id", F_STRING, true, NULL },
		{ "path_on_host", F_STRING, false,
		  "changing a drive's image after boot is not supported by minivmm" },
		{ "rate_limiter", F_OBJECT, false,
		  "rate limiters are not supported by minivmm" },
	};

	if (a->state == API_VM_NOT_STARTED) {
		fault(resp, MSG_BEFORE_START);
		return;
	}
	if (check_fields(b, "drive", f, sizeof(f) / sizeof(f[0]), resp) < 0)
		return;
	if (!body_id_matches(b, "drive_id", id, resp))
		return;
	if (!drive_find(a, id)) {
		fault(resp, "drive %s: no such drive", id);
		return;
	}
	answer(resp, 204, NULL); /* nothing to change */
}

static void put_entropy(struct api *a, json_t *b, struct api_response *resp)
{
	static const struct field f[] = {
		{ "rate_limiter", F_OBJECT, false,
		  "rate limiters are not supported by minivmm" },
	};

	if (!pre_boot(a, resp) ||
	    check_fields(b, "entropy", f, sizeof(f) / sizeof(f[0]), resp) < 0)
		return;
	a->entropy = true;
	a->configured = true;
	answer(resp, 204, NULL);
}

static struct api_net *net_find(struct api *a, const char *id)
{
	for (size_t i = 0; i < a->nr_nets; i++)
		if (!strcmp(a->nets[i].id, id))
			return &a->nets[i];
	return NULL;
}

/* "06:00:ac:10:00:02": six hex pairs; not multicast, not all zero. */
static bool mac_ok(const char *mac)
{
	unsigned b[6];
	char end;

	if (strlen(mac) != 17 ||
	    sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return false;
	for (int i = 0; i < 17; i++)
		if ((i % 3 == 2) != (mac[i] == ':') ||
		    (i % 3 != 2 && !isxdigit((unsigned char)mac[i])))
			return false;
	return !(b[0] & 1) && (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]);
}

/*
 * PUT /network-interfaces/{id}: InstanceStart adds -netdev tap,ifname=
 * host_dev_name and -device virtio-net-device on it; the same id again
 * replaces the interface.
 */
static void put_net(struct api *a, const char *id, json_t *b,
		    struct api_response *resp)
{
	static const struct field f[] = {
		{ "iface_id", F_STRING, true, NULL },
		{ "host_dev_name", F_STRING, true, NULL },
		{ "guest_mac", F_STRING, false, NULL },
		{ "rx_rate_limiter", F_OBJECT, false,
		  "rate limiters are not supported by minivmm" },
		{ "tx_rate_limiter", F_OBJECT, false,
		  "rate limiters are not supported by minivmm" },
	};
	const char *dev, *mac;
	struct api_net n = { 0 }, *old;

	if (!pre_boot(a, resp) ||
	    check_fields(b, "network interface", f, sizeof(f) / sizeof(f[0]), resp) < 0)
		return;
	if (!body_id_matches(b, "iface_id", id, resp))
		return;
	if (!id_ok(id)) {
		fault(resp, "network interface %s: an iface_id is 1 to 31 letters, digits, '_', '-' or '.'",
		      id);
		return;
	}
	dev = get_str(b, "host_dev_name");
	if (!*dev || strlen(dev) >= 16 || strchr(dev, '/') || strchr(dev, ',')) {
		fault(resp, "network interface %s: host_dev_name \"%s\": a tap's name is 1 to 15 characters, without '/' or ','",
		      id, dev);
		return;
	}
	mac = get_str(b, "guest_mac");
	if (mac && !mac_ok(mac)) {
		fault(resp, "network interface %s: guest_mac \"%s\": six hex pairs (06:00:ac:10:00:02), not a multicast or all-zero address",
		      id, mac);
		return;
	}
	old = net_find(a, id);
	if (!old && a->nr_nets == API_MAX_NETS) {
		fault(resp, "network interface %s: at most %d interfaces", id,
		      API_MAX_NETS);
		return;
	}
	n.id = strdup(id);
	n.host_dev = strdup(dev);
	if (!n.id || !n.host_dev) {
		free(n.id);
		free(n.host_dev);
		fault(resp, "network interface: out of memory");
		return;
	}
	if (mac)
		snprintf(n.mac, sizeof(n.mac), "%s", mac);
	if (old) {
		free(old->id);
		free(old->host_dev);
		*old = n;
	} else {
		a->nets[a->nr_nets++] = n;
	}
	a->configured = true;
	answer(resp, 204, NULL);
}

/* PATCH /network-interfaces/{id} after the start: rate limiters only. */
static void patch_net(struct api *a, const char *id, json_t *b,
		      struct api_response *resp)
{
	static const struct field f[] = {
		{ "iface_id", F_STRING, true, NULL },
		{ "rx_rate_limiter", F_OBJECT, false,
		  "rate limiters are not supported by minivmm" },
		{ "tx_rate_limiter", F_OBJECT, false,
		  "rate limiters are not supported by minivmm" },
	};

	if (a->state == API_VM_NOT_STARTED) {
		fault(resp, MSG_BEFORE_START);
		return;
	}
	if (check_fields(b, "network interface", f, sizeof(f) / sizeof(f[0]), resp) < 0)
		return;
	if (!body_id_matches(b, "iface_id", id, resp))
		return;
	if (!net_find(a, id)) {
		fault(resp, "network interface %s: no such interface", id);
		return;
	}
	answer(resp, 204, NULL); /* nothing to change */
}

/* PUT /vsock: the -device vsock-device InstanceStart adds. */
static void put_vsock(struct api *a, json_t *b, struct api_response *resp)
{
	static const struct field f[] = {
		{ "guest_cid", F_UINT, true, NULL },
		{ "uds_path", F_STRING, true, NULL },
		{ "vsock_id", F_STRING, false, NULL }, /* deprecated, ignored */
	};
	const char *path;
	json_int_t cid;
	struct stat st;
	char *copy;

	if (!pre_boot(a, resp) ||
	    check_fields(b, "vsock", f, sizeof(f) / sizeof(f[0]), resp) < 0)
		return;
	cid = json_integer_value(json_object_get(b, "guest_cid"));
	if (cid < 3 || cid > 0xfffffffe) {
		fault(resp, "vsock: guest_cid %lld: a guest's CID is 3 to 4294967294",
		      (long long)cid);
		return;
	}
	path = get_str(b, "uds_path");
	if (!*path || strlen(path) > CONFIG_VSOCK_UDS_MAX) {
		fault(resp, "vsock: uds_path \"%s\": a path of 1 to %d bytes", path,
		      CONFIG_VSOCK_UDS_MAX);
		return;
	}
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		fault(resp, "vsock: uds_path %s exists and is not a socket", path);
		return;
	}
	copy = strdup(path);
	if (!copy) {
		fault(resp, "vsock: out of memory");
		return;
	}
	free(a->vsock_uds);
	a->vsock_uds = copy;
	a->vsock_cid = (uint64_t)cid;
	a->configured = true;
	answer(resp, 204, NULL);
}

static const char *const level_names[] = { "Error", "Warning", "Info",
					   "Debug", "Trace", "Off" };

static int level_parse(const char *s)
{
	for (int i = 0; i < 6; i++)
		if (!strcasecmp(s, level_names[i]))
			return i;
	return -1;
}

/* Open for appending: a file, or a named pipe a reader holds open. */
static FILE *open_append(const char *what, const char *path,
			 struct api_response *resp)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC,
		      0644);
	FILE *f;

	if (fd < 0) {
		fault(resp, "%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	fcntl(fd, F_SETFL, O_WRONLY | O_APPEND);
	f = fdopen(fd, "a");
	if (!f) {
		close(fd);
		fault(resp, "%s %s: %s", what, path, strerror(errno));
	}
	return f;
}

static void put_logger(struct api *a, json_t *b, struct api_response *resp)
{
	static const struct field f[] = {
		{ "log_path", F_STRING, false, NULL },
		{ "level", F_STRING, false, NULL },
		{ "show_level", F_BOOL, false, NULL },
		{ "show_log_origin", F_BOOL, false, NULL },
		{ "module", F_STRING, false,
		  "filtering by module is not supported by minivmm" },
	};
	const char *path, *level;
	int lv = a->log_level;
	FILE *out = NULL;

	if (!pre_boot(a, resp) ||
	    check_fields(b, "logger", f, sizeof(f) / sizeof(f[0]), resp) < 0)
		return;
	level = get_str(b, "level");
	if (level) {
		lv = level_parse(level);
		if (lv < 0) {
			fault(resp, "logger: level \"%s\": expected Error, Warning, Info, Debug, Trace or Off",
			      level);
			return;
		}
	}
	path = get_str(b, "log_path");
	if (path) {
		out = open_append("logger: log_path", path, resp);
		if (!out)
			return;
		log_set_output(out);
		set_str(&a->log_path, path);
	}
	if (lv >= 0) {
		static const enum log_level map[] = { LOG_ERROR, LOG_WARN,
						      LOG_INFO,	 LOG_DEBUG,
						      LOG_DEBUG, LOG_ERROR };
		log_set_level(map[lv]);
		log_set_quiet(lv == 5);
		a->log_level = lv;
	}
	if (json_object_get(b, "show_level") || json_object_get(b, "show_log_origin"))
		log_set_show(get_bool(b, "show_level", false),
			     get_bool(b, "show_log_origin", false));
	answer(resp, 204, NULL);
}

static void put_metrics(struct api *a, json_t *b, struct api_response *resp)
{
	static const struct field f[] = {
		{ "metrics_path", F_STRING, true, NULL },
	};
	FILE *out;

	if (!pre_boot(a, resp) ||
	    check_fields(b, "metrics", f, sizeof(f) / sizeof(f[0]), resp) < 0)
		return;
	if (a->metrics) {
		fault(resp, "Reinitialization of metrics not allowed.");
		return;
	}
	out = open_append("metrics: metrics_path", get_str(b, "metrics_path"),
			  resp);
	if (!out)
		return;
	a->metrics = out;
	set_str(&a->metrics_path, get_str(b, "metrics_path"));
	answer(resp, 204, NULL);
}

/* ---- Actions, pause, snapshots ---- */

static int call_failed(struct api_response *resp, const char *what)
{
	fault(resp, "%s: %s", what, err_msg());
	return -1;
}

static void instance_start(struct api *a, struct api_response *resp)
{
	char **argv;
	int argc, r;

	if (!pre_boot(a, resp))
		return;
	if (api_build_argv(a, &argc, &argv) < 0) {
		fault(resp, "InstanceStart: %s", err_msg());
		return;
	}
	r = a->be.start ? a->be.start(a->be.opaque, argc, argv)
			: err_set("this API has no VMM behind it");
	api_argv_free(argv);
	if (r < 0) {
		call_failed(resp, "InstanceStart");
		return;
	}
	a->state = API_VM_RUNNING;
	clock_gettime(CLOCK_MONOTONIC, &a->start);
	answer(resp, 204, NULL);
}

char *api_metrics_line(struct api *a)
{
	struct api_metrics m = { 0 };
	struct timespec now;
	json_t *j;
	char *s;

	if (a->be.metrics && a->state != API_VM_NOT_STARTED)
		a->be.metrics(a->be.opaque, &m);
	clock_gettime(CLOCK_REALTIME, &now);
	j = json_pack("{s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I}}", "utc_timestamp_ms",
		      (json_int_t)now.tv_sec * 1000 + now.tv_nsec / 1000000,
		      "vmm", "uptime_ms", (json_int_t)m.uptime_ms,
		      "vcpu_exits", (json_int_t)m.vcpu_exits, "resets",
		      (json_int_t)m.resets, "pauses", (json_int_t)m.pauses,
		      "resumes", (json_int_t)m.resumes, "snapshots_created",
		      (json_int_t)m.snapshots_created);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static void flush_metrics(struct api *a, struct api_response *resp)
{
	char *line;

	if (!a->metrics) {
		fault(resp, "FlushMetrics: the metrics were not configured (PUT /metrics or --metrics-path)");
		return;
	}
	line = api_metrics_line(a);
	if (!line || fprintf(a->metrics, "%s\n", line) < 0 ||
	    fflush(a->metrics) != 0) {
		free(line);
		fault(resp, "FlushMetrics: %s: %s", a->metrics_path,
		      strerror(errno));
		return;
	}
	free(line);
	answer(resp, 204, NULL);
}

void api_metrics_periodic(struct api *a)
{
	struct api_response resp = { 0 };

	if (!a->metrics)
		return;
	flush_metrics(a, &resp);
	if (resp.status != 204 && !a->metrics_failing)
		log_warn("metrics: %s", resp.body ? resp.body : "write failed");
	a->metrics_failing = resp.status != 204;
	free(resp.body);
}

static void put_actions(struct api *a, json_t *b, struct api_response *resp)
{
	static const struct field f[] = {
		{ "action_type", F_STRING, true, NULL },
	};
	const char *t;

	if (check_fields(b, "actions", f, 1, resp) < 0)
		return;
	t = get_str(b, "action_type");
	if (!strcmp(t, "InstanceStart")) {
		instance_start(a, resp);
	} else if (!strcmp(t, "FlushMetrics")) {
		flush_metrics(a, resp);
	} else if (!strcmp(t, "SendCtrlAltDel")) {
		if (a->state == API_VM_NOT_STARTED)
			fault(resp, MSG_BEFORE_START);
		else if (!a->be.ctrl_alt_del ||
			 a->be.ctrl_alt_del(a->be.opaque) < 0)
			call_failed(resp, "SendCtrlAltDel");
		else
			answer(resp, 204, NULL);
	} else if (!strcmp(t, "Stop")) {
		if (!a->be.stop || a->be.stop(a->be.opaque) < 0)
			call_failed(resp, "Stop");
		else
			answer(resp, 204, NULL);
	} else {
		fault(resp, "actions: action_type \"%s\": expected InstanceStart, SendCtrlAltDel, FlushMetrics or Stop",
		      t);
	}
}

static void patch_vm(struct api *a, json_t *b, struct api_response *resp)
{
	static const struct field f[] = {
		{ "state", F_STRING, true, NULL },
	};
	const char *s;
	int r;

	if (check_fields(b, "vm", f, 1, resp) < 0)
		return;
	s = get_str(b, "state");
	if (strcmp(s, "Paused") && strcmp(s, "Resumed")) {
		fault(resp, "vm: state \"%s\": expected Paused or Resumed", s);
		return;
	}
	if (a->state == API_VM_NOT_STARTED) {
		fault(resp, MSG_BEFORE_START);
		return;
	}
	if (!strcmp(s, "Paused")) {
		r = a->be.pause ? a->be.pause(a->be.opaque) : err_set("no VMM");
		if (r == 0)
			a->state = API_VM_PAUSED;
	} else {
		r = a->be.resume ? a->be.resume(a->be.opaque) : err_set("no VMM");
		if (r == 0)
			a->state = API_VM_RUNNING;
	}
	if (r < 0)
		call_failed(resp, s);
	else
		answer(resp, 204, NULL);
}

static void snapshot_create_req(struct api *a, json_t *b,
				struct api_response *resp)
{
	static const struct field f[] = {
		{ "snapshot_path", F_STRING, true, NULL },
		{ "mem_file_path", F_STRING, true, NULL },
		{ "snapshot_type", F_STRING, false, NULL },
		{ "version", F_STRING, false, NULL },
	};
	const char *type;

	if (check_fields(b, "snapshot/create", f, sizeof(f) / sizeof(f[0]),
			 resp) < 0)
		return;
	type = get_str(b, "snapshot_type");
	if (type && strcmp(type, "Full")) {
		fault(resp, "snapshot/create: snapshot_type \"%s\": only Full snapshots are supported by minivmm",
		      type);
		return;
	}
	if (a->state != API_VM_PAUSED) {
		fault(resp, a->state == API_VM_NOT_STARTED ?
				    MSG_BEFORE_START :
				    "snapshot/create: the microVM must be paused first (PATCH /vm {\"state\":\"Paused\"})");
		return;
	}
	if (!*get_str(b, "snapshot_path") || !*get_str(b, "mem_file_path")) {
		fault(resp, "snapshot/create: empty path");
		return;
	}
	if (!a->be.snapshot ||
	    a->be.snapshot(a->be.opaque, get_str(b, "snapshot_path"),
			   get_str(b, "mem_file_path")) < 0) {
		call_failed(resp, "snapshot/create");
		return;
	}
	answer(resp, 204, NULL);
}

static void snapshot_load_req(struct api *a, json_t *b,
			      struct api_response *resp)
{
	static const struct field f[] = {
		{ "snapshot_path", F_STRING, true, NULL },
		{ "mem_file_path", F_STRING, false, NULL },
		{ "mem_backend", F_OBJECT, false, NULL },
		{ "enable_diff_snapshots", F_BOOL, false, NULL },
		{ "track_dirty_pages", F_BOOL, false, NULL },
		{ "resume_vm", F_BOOL, false, NULL },
		{ "network_overrides", F_ARRAY, false, NULL },
		{ "vsock_override", F_OBJECT, false, NULL },
		{ "clock_realtime", F_BOOL, false, NULL },
		{ "huge_pages", F_STRING, false, NULL },
	};
	static const struct field mf[] = {
		{ "backend_type", F_STRING, true, NULL },
		{ "backend_path", F_STRING, true, NULL },
	};
	static const struct field nf[] = {
		{ "iface_id", F_STRING, true, NULL },
		{ "host_dev_name", F_STRING, true, NULL },
	};
	static const struct field vf[] = {
		{ "uds_path", F_STRING, true, NULL },
	};
	struct api_restore req = { 0 };
	json_t *mb, *v;
	const char *s;
	size_t i;

	if (!pre_boot(a, resp))
		return;
	if (a->configured) {
		fault(resp, MSG_LOAD_AFTER_CONFIG);
		return;
	}
	if (check_fields(b, "snapshot/load", f, sizeof(f) / sizeof(f[0]),
			 resp) < 0)
		return;
	mb = json_object_get(b, "mem_backend");
	if (has(b, "mem_file_path") == (mb && !json_is_null(mb))) {
		fault(resp, "snapshot/load: give exactly one of mem_backend and mem_file_path");
		return;
	}
	if (mb && !json_is_null(mb)) {
		if (check_fields(mb, "snapshot/load: mem_backend", mf, 2, resp) < 0)
			return;
		s = get_str(mb, "backend_type");
		if (strcmp(s, "File")) {
			fault(resp, "snapshot/load: backend_type \"%s\": only File is supported by minivmm",
			      s);
			return;
		}
		req.mem_path = get_str(mb, "backend_path");
	} else {
		req.mem_path = get_str(b, "mem_file_path");
	}
	if (get_bool(b, "enable_diff_snapshots", false) ||
	    get_bool(b, "track_dirty_pages", false)) {
		fault(resp, "snapshot/load: dirty page tracking (diff snapshots) is not supported by minivmm");
		return;
	}
	if (get_bool(b, "clock_realtime", false)) {
		fault(resp, "snapshot/load: clock_realtime: minivmm resumes kvmclock where it was paused");
		return;
	}
	s = get_str(b, "huge_pages");
	if (s && strcmp(s, "None")) {
		fault(resp, "snapshot/load: huge_pages \"%s\": only \"None\" is supported",
		      s);
		return;
	}
	v = json_object_get(b, "network_overrides");
	if (v && !json_is_null(v)) {
		if (json_array_size(v) > API_MAX_NET_OVERRIDES) {
			fault(resp, "snapshot/load: at most %d network_overrides",
			      API_MAX_NET_OVERRIDES);
			return;
		}
		for (i = 0; i < json_array_size(v); i++) {
			json_t *o = json_array_get(v, i);

			if (check_fields(o, "snapshot/load: network_overrides",
					 nf, 2, resp) < 0)
				return;
			req.net[i].iface_id = get_str(o, "iface_id");
			req.net[i].host_dev_name = get_str(o, "host_dev_name");
		}
		req.nr_net = i;
	}
	v = json_object_get(b, "vsock_override");
	if (v && !json_is_null(v)) {
		if (check_fields(v, "snapshot/load: vsock_override", vf, 1,
				 resp) < 0)
			return;
		req.vsock_uds = get_str(v, "uds_path");
	}
	req.state_path = get_str(b, "snapshot_path");
	req.resume = get_bool(b, "resume_vm", false);
	if (!a->be.restore || a->be.restore(a->be.opaque, &req) < 0) {
		call_failed(resp, "snapshot/load");
		return;
	}
	a->state = req.resume ? API_VM_RUNNING : API_VM_PAUSED;
	clock_gettime(CLOCK_MONOTONIC, &a->start);
	answer(resp, 204, NULL);
}

/* ---- Reports ---- */

static json_t *drives_json(const struct api *a)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < a->nr_drives; i++) {
		const struct api_drive *d = &a->drives[i];

		json_array_append_new(
			arr, json_pack("{s:s,s:s?,s:b,s:b,s:s,s:s,s:s}",
				       "drive_id", d->id, "partuuid",
				       d->partuuid, "is_root_device", d->root,
				       "is_read_only", d->readonly,
				       "cache_type",
				       d->writeback ? "Writeback" : "Unsafe",
				       "io_engine", "Sync", "path_on_host",
				       d->path));
	}
	return arr;
}

static json_t *vm_config_json(const struct api *a)
{
	json_t *j = json_object();

	json_object_set_new(j, "balloon", json_null());
	json_object_set_new(j, "drives", drives_json(a));
	json_object_set_new(
		j, "boot-source",
		a->kernel ? json_pack("{s:s,s:s?,s:s?}", "kernel_image_path",
				      a->kernel, "initrd_path", a->initrd,
				      "boot_args", a->boot_args) :
			    json_null());
	json_object_set_new(j, "cpu-config", json_null());
	json_object_set_new(
		j, "logger",
		a->log_path || a->log_level >= 0 ?
			json_pack("{s:s?,s:s}", "log_path", a->log_path,
				  "level",
				  level_names[a->log_level < 0 ? 1 : a->log_level]) :
			json_null());
	json_object_set_new(j, "machine-config", machine_json(a));
	json_object_set_new(j, "metrics",
			    a->metrics_path ?
				    json_pack("{s:s}", "metrics_path",
					      a->metrics_path) :
				    json_null());
	json_object_set_new(j, "mmds-config", json_null());
	{
		json_t *nets = json_array();

		for (size_t i = 0; i < a->nr_nets; i++) {
			const struct api_net *n = &a->nets[i];
			json_t *o = json_pack("{s:s,s:s}", "iface_id", n->id,
					      "host_dev_name", n->host_dev);

			if (n->mac[0])
				json_object_set_new(o, "guest_mac",
						    json_string(n->mac));
			json_array_append_new(nets, o);
		}
		json_object_set_new(j, "network-interfaces", nets);
	}
	json_object_set_new(j, "vsock",
			    a->vsock_uds ?
				    json_pack("{s:I,s:s}", "guest_cid",
					      (json_int_t)a->vsock_cid, "uds_path",
					      a->vsock_uds) :
				    json_null());
	json_object_set_new(j, "entropy",
			    a->entropy ? json_object() : json_null());
	return j;
}

static const char *state_name(enum api_vm_state s)
{
	return s == API_VM_RUNNING ? "Running" :
	       s == API_VM_PAUSED  ? "Paused" :
				     "Not started";
}

/* ---- The router ---- */

static const char *const unsupported_paths[][2] = {
	{ "/balloon", "the balloon device" },
	{ "/mmds", "MMDS (the microVM metadata service)" },
	{ "/cpu-config", "custom CPU configuration" },
	{ "/hotplug", "memory hotplug" },
	{ "/pmem", "virtio-pmem" },
	{ "/serial", "configuring the serial device" },
};

static bool path_is(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(path, prefix, n) && (path[n] == 0 || path[n] == '/');
}

void api_handle(struct api *a, const char *method, const char *path,
		const char *body, size_t len, struct api_response *resp)
{
	bool get = !strcmp(method, "GET"), put = !strcmp(method, "PUT"),
	     patch = !strcmp(method, "PATCH");
	json_error_t jerr;
	json_t *b = NULL;

	resp->status = 400;
	resp->body = NULL;
	if (!strcmp(path, "/") && get) {
		answer(resp, 200,
		       json_pack("{s:s,s:s,s:s,s:s}", "id", a->id, "state",
				 state_name(a->state), "vmm_version",
				 API_FIRECRACKER_VERSION, "app_name",
				 "Firecracker"));
		return;
	}
	if (!strcmp(path, "/version") && get) {
		answer(resp, 200, json_pack("{s:s}", "firecracker_version",
					    API_FIRECRACKER_VERSION));
		return;
	}
	if (!strcmp(path, "/machine-config") && get) {
		answer(resp, 200, machine_json(a));
		return;
	}
	if (!strcmp(path, "/vm/config") && get) {
		answer(resp, 200, vm_config_json(a));
		return;
	}
	for (size_t i = 0;
	     i < sizeof(unsupported_paths) / sizeof(unsupported_paths[0]); i++) {
		if (path_is(path, unsupported_paths[i][0])) {
			fault(resp, "%s is not supported by minivmm",
			      unsupported_paths[i][1]);
			return;
		}
	}
	if (!put && !patch) {
		fault(resp, "Invalid request method and/or path: %s %s.", method,
		      path);
		return;
	}
	if (len == 0) {
		fault(resp, "%s %s: the request needs a JSON body", method, path);
		return;
	}
	b = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!b) {
		fault(resp, "An error occurred when deserializing the json body of a request: %s at line %d column %d.",
		      jerr.text, jerr.line, jerr.column);
		return;
	}
	if (!strcmp(path, "/machine-config"))
		put_machine(a, b, patch, resp);
	else if (!strcmp(path, "/boot-source") && put)
		put_boot_source(a, b, resp);
	else if (!strncmp(path, "/drives/", 8) && path[8] && !strchr(path + 8, '/'))
		put ? put_drive(a, path + 8, b, resp) :
		      patch_drive(a, path + 8, b, resp);
	else if (!strncmp(path, "/network-interfaces/", 20) && path[20] &&
		 !strchr(path + 20, '/'))
		put ? put_net(a, path + 20, b, resp) :
		      patch_net(a, path + 20, b, resp);
	else if (!strcmp(path, "/vsock") && put)
		put_vsock(a, b, resp);
	else if (!strcmp(path, "/entropy") && put)
		put_entropy(a, b, resp);
	else if (!strcmp(path, "/logger") && put)
		put_logger(a, b, resp);
	else if (!strcmp(path, "/metrics") && put)
		put_metrics(a, b, resp);
	else if (!strcmp(path, "/actions") && put)
		put_actions(a, b, resp);
	else if (!strcmp(path, "/vm") && patch)
		patch_vm(a, b, resp);
	else if (!strcmp(path, "/snapshot/create") && put)
		snapshot_create_req(a, b, resp);
	else if (!strcmp(path, "/snapshot/load") && put)
		snapshot_load_req(a, b, resp);
	else
		fault(resp, "Invalid request method and/or path: %s %s.", method,
		      path);
	json_decref(b);
}

/* ---- The command line InstanceStart builds ---- */

struct argv_builder {
	char **v;
	int n, cap;
	bool failed;
};

static void arg(struct argv_builder *ab, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void arg(struct argv_builder *ab, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (ab->failed)
		return;
	if (ab->n + 2 > ab->cap) {
		int cap = ab->cap ? ab->cap * 2 : 32;
		char **v = realloc(ab->v, (size_t)cap * sizeof(*v));

		if (!v) {
			ab->failed = true;
			return;
		}
		ab->v = v;
		ab->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		ab->failed = true;
	else
		ab->v[ab->n++] = s;
	va_end(ap);
	if (!ab->failed)
		ab->v[ab->n] = NULL;
}

/* A path inside -drive file=...: QEMU's option syntax doubles commas. */
static char *comma_escaped(const char *s)
{
	size_t n = strlen(s), extra = 0;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		extra += s[i] == ',';
	out = malloc(n + extra + 1);
	if (!out)
		return NULL;
	p = out;
	for (size_t i = 0; i < n; i++) {
		*p++ = s[i];
		if (s[i] == ',')
			*p++ = ',';
	}
	*p = 0;
	return out;
}

int api_build_argv(const struct api *a, int *argc, char ***argv)
{
	struct argv_builder ab = { 0 };
	const struct api_drive *root = NULL;
	char *append = NULL;
	size_t order[API_MAX_DRIVES], n = 0;

	if (!a->kernel)
		return err_set("no boot source: PUT /boot-source first");
	arg(&ab, "minivmm");
	arg(&ab, "run");
#if defined(__aarch64__)
	arg(&ab, "-M");
	arg(&ab, "virt");
#else
	arg(&ab, "-M");
	arg(&ab, "pc");
#endif
	arg(&ab, "-smp");
	arg(&ab, "%u", a->vcpus);
	arg(&ab, "-m");
	arg(&ab, "%uM", a->mem_mib);
	arg(&ab, "-kernel");
	arg(&ab, "%s", a->kernel);
	if (a->initrd) {
		arg(&ab, "-initrd");
		arg(&ab, "%s", a->initrd);
	}
	/* The root device first, so it is /dev/vda as under Firecracker. */
	for (size_t i = 0; i < a->nr_drives; i++)
		if (a->drives[i].root)
			root = &a->drives[i], order[n++] = i;
	for (size_t i = 0; i < a->nr_drives; i++)
		if (!a->drives[i].root)
			order[n++] = i;
	if (root) {
		if (root->partuuid)
			ab.failed |= asprintf(&append, "%s root=PARTUUID=%s %s",
					      a->boot_args ? a->boot_args :
							     API_DEFAULT_BOOT_ARGS,
					      root->partuuid,
					      root->readonly ? "ro" : "rw") < 0;
		else
			ab.failed |= asprintf(&append, "%s root=/dev/vda %s",
					      a->boot_args ? a->boot_args :
							     API_DEFAULT_BOOT_ARGS,
					      root->readonly ? "ro" : "rw") < 0;
		if (ab.failed)
			append = NULL;
	}
	arg(&ab, "-append");
	arg(&ab, "%s", append ? append :
			 a->boot_args ? a->boot_args : API_DEFAULT_BOOT_ARGS);
	free(append);
	for (size_t k = 0; k < n; k++) {
		const struct api_drive *d = &a->drives[order[k]];
		char *file = comma_escaped(d->path);

		if (!file) {
			ab.failed = true;
			break;
		}
		arg(&ab, "-drive");
		arg(&ab, "file=%s,if=none,id=%s,format=raw,cache=%s%s", file,
		    d->id, d->writeback ? "writeback" : "unsafe",
		    d->readonly ? ",readonly=on" : "");
		arg(&ab, "-device");
		arg(&ab, "virtio-blk-device,drive=%s", d->id);
		free(file);
	}
	if (a->entropy) {
		arg(&ab, "-device");
		arg(&ab, "virtio-rng-device");
	}
	for (size_t i = 0; i < a->nr_nets; i++) {
		const struct api_net *nic = &a->nets[i];

		arg(&ab, "-netdev");
		arg(&ab, "tap,id=%s,ifname=%s,script=no,downscript=no", nic->id,
		    nic->host_dev);
		arg(&ab, "-device");
		arg(&ab, "virtio-net-device,netdev=%s%s%s", nic->id,
		    nic->mac[0] ? ",mac=" : "", nic->mac);
	}
	if (a->vsock_uds) {
		char *uds = comma_escaped(a->vsock_uds);

		if (!uds) {
			ab.failed = true;
		} else {
			arg(&ab, "-device");
			arg(&ab, "vsock-device,guest-cid=%llu,uds=%s",
			    (unsigned long long)a->vsock_cid, uds);
			free(uds);
		}
	}
	if (ab.failed) {
		api_argv_free(ab.v);
		return err_set("out of memory");
	}
	*argc = ab.n;
	*argv = ab.v;
	return 0;
}

void api_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* ---- The config file ---- */

/* Apply one section through its endpoint; -1 with err_msg(). */
static int config_section(struct api *a, const char *method, const char *path,
			  json_t *v)
{
	struct api_response resp;
	char *body = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	int r = 0;

	if (!body)
		return err_set("out of memory");
	api_handle(a, method, path, body, strlen(body), &resp);
	free(body);
	if (resp.status >= 300) {
		json_t *j = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
		const char *m = j ? get_str(j, "fault_message") : NULL;

		r = err_set("%s", m ? m : "refused");
		json_decref(j);
	}
	free(resp.body);
	return r;
}

/* A config file's list section: each element PUT at PREFIX + its ID_KEY. */
static int config_list(struct api *a, const char *path, json_t *j,
		       const char *section, const char *id_key,
		       const char *prefix)
{
	json_t *v = json_object_get(j, section);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return err_set("--config-file %s: %s: must be an array", path,
			       section);
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *d = json_array_get(v, i);
		const char *id = json_is_object(d) ? get_str(d, id_key) : NULL;
		char p[64];

		if (!id || !id_ok(id))
			return err_set("--config-file %s: %s[%zu]: a %s of 1 to 31 letters, digits, '_', '-' or '.' is needed",
				       path, section, i, id_key);
		snprintf(p, sizeof(p), "%s%s", prefix, id);
		if (config_section(a, "PUT", p, d) < 0)
			return err_set("--config-file %s: %s[%zu]: %s", path,
				       section, i, err_msg());
	}
	return 0;
}

int api_config_file(struct api *a, const char *path)
{
	static const char *const simple[][2] = {
		{ "logger", "/logger" },	 { "metrics", "/metrics" },
		{ "machine-config", "/machine-config" },
		{ "boot-source", "/boot-source" }, { "entropy", "/entropy" },
	};
	static const char *const known[] = {
		"logger",	   "metrics", "machine-config", "boot-source",
		"entropy",	   "drives",  "network-interfaces", "vsock",
		"balloon",	   "mmds-config", "cpu-config", "pmem",
		"memory-hotplug", "serial",
	};
	json_error_t jerr;
	const char *key;
	json_t *j, *v;
	int r = -1;

	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j && jerr.line < 0) /* not read at all: jansson's text says why */
		return err_set("--config-file %s: %s", path, jerr.text);
	if (!j)
		return err_set("--config-file %s: %s at line %d column %d", path,
			       jerr.text, jerr.line, jerr.column);
	if (!json_is_object(j)) {
		err_set("--config-file %s: not a JSON object", path);
		goto out;
	}
	json_object_foreach(j, key, v) {
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]) &&
			    strcmp(known[i], key);
		     i++)
			;
		if (i == sizeof(known) / sizeof(known[0])) {
			err_set("--config-file %s: unknown section \"%s\"", path,
				key);
			goto out;
		}
	}
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		v = json_object_get(j, simple[i][0]);
		if (v && !json_is_null(v) &&
		    config_section(a, "PUT", simple[i][1], v) < 0) {
			err_set("--config-file %s: %s: %s", path, simple[i][0],
				err_msg());
			goto out;
		}
	}
	if (config_list(a, path, j, "drives", "drive_id", "/drives/") < 0 ||
	    config_list(a, path, j, "network-interfaces", "iface_id",
			"/network-interfaces/") < 0)
		goto out;
	{
		static const char *const later[][2] = {
			{ "vsock", "/vsock" }, { "balloon", "/balloon" },
			{ "mmds-config", "/mmds/config" },
			{ "cpu-config", "/cpu-config" }, { "pmem", "/pmem/x" },
			{ "memory-hotplug", "/hotplug/memory" },
			{ "serial", "/serial" },
		};

		for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
			v = json_object_get(j, later[i][0]);
			if (!v || json_is_null(v) ||
			    (json_is_array(v) && json_array_size(v) == 0))
				continue;
			if (json_is_array(v))
				v = json_array_get(v, 0);
			if (config_section(a, "PUT", later[i][1], v) < 0) {
				err_set("--config-file %s: %s: %s", path,
					later[i][0], err_msg());
				goto out;
			}
		}
	}
	v = json_pack("{s:s}", "action_type", "InstanceStart");
	r = config_section(a, "PUT", "/actions", v);
	json_decref(v);
	if (r < 0) {
		err_set("--config-file %s: %s", path, err_msg());
		goto out;
	}
	r = 0;
out:
	json_decref(j);
	return r;
}

/* ---- The instance ---- */

bool api_available(void)
{
	return true;
}

struct api *api_create(const char *id, const struct api_backend *be)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a) {
		err_set("out of memory");
		return NULL;
	}
	a->id = strdup(id ? id : "anonymous-instance");
	if (be)
		a->be = *be;
	a->vcpus = 1;
	a->mem_mib = 128;
	a->log_level = -1;
	return a;
}

void api_set_state(struct api *a, enum api_vm_state state)
{
	a->state = state;
	if (state != API_VM_NOT_STARTED)
		a->configured = true;
}

enum api_vm_state api_state(const struct api *a)
{
	return a->state;
}

void api_destroy(struct api *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nr_drives; i++) {
		free(a->drives[i].id);
		free(a->drives[i].path);
		free(a->drives[i].partuuid);
	}
	if (a->metrics)
		fclose(a->metrics);
	free(a->kernel);
	free(a->boot_args);
	free(a->initrd);
	free(a->log_path);
	free(a->metrics_path);
	for (size_t i = 0; i < a->nr_nets; i++) {
		free(a->nets[i].id);
		free(a->nets[i].host_dev);
	}
	free(a->vsock_uds);
	free(a->id);
	free(a);
}
