// SPDX-License-Identifier: MIT
/*
 * The control API without a socket or a VM (api.h, http.h): the router and
 * every endpoint's checks (good bodies, unknown, missing and mistyped
 * fields, the pre-/post-boot rules, unsupported features), the command line
 * InstanceStart builds, and the HTTP session (keep-alive, pipelined
 * requests, oversized and malformed input).  A fake backend records what
 * the VMM was asked.  Skipped in a build without the API's libraries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/http.h"
#include "log.h"
#include "unit.h"
#include "vm_config.h"

struct fake {
	int starts, pauses, resumes, snapshots, restores;
	char argv[2048];
	bool fail_start;
	struct api_restore last_restore;
};

static int f_start(void *o, int argc, char **argv)
{
	struct fake *f = o;
	size_t len = 0;

	if (f->fail_start)
		return err_set("no KVM here");
	for (int i = 0; i < argc; i++)
		len += (size_t)snprintf(f->argv + len, sizeof(f->argv) - len,
					"%s%s", i ? " " : "", argv[i]);
	f->starts++;
	return 0;
}

static int f_pause(void *o)
{
	((struct fake *)o)->pauses++;
	return 0;
}

static int f_resume(void *o)
{
	((struct fake *)o)->resumes++;
	return 0;
}

static int f_snapshot(void *o, const char *s, const char *m)
{
	(void)s;
	(void)m;
	((struct fake *)o)->snapshots++;
	return 0;
}

static int f_restore(void *o, const struct api_restore *r)
{
	struct fake *f = o;

	f->restores++;
	f->last_restore = *r;
	return 0;
}

static struct fake fk;
static char kernel[] = "/tmp/test_api_kernelXXXXXX";
static char disk[] = "/tmp/test_api_diskXXXXXX";

static struct api *new_api(void)
{
	struct api_backend be = {
		.opaque = &fk, .start = f_start, .pause = f_pause,
		.resume = f_resume, .snapshot = f_snapshot, .restore = f_restore,
	};

	memset(&fk, 0, sizeof(fk));
	return api_create("t1", &be);
}

/* One request: its status, and whether its body contains `want`. */
static int req(struct api *a, const char *method, const char *path,
	       const char *body, const char *want)
{
	struct api_response r;
	int status;

	api_handle(a, method, path, body, body ? strlen(body) : 0, &r);
	status = r.status;
	if (want) {
		if (!r.body || !strstr(r.body, want))
			fail_msg("%s %s: body %s lacks %s", method, path,
				 r.body ? r.body : "(none)", want);
	}
	free(r.body);
	return status;
}

static char body_buf[8192];

static const char *fmt(const char *f, const char *a1, const char *a2)
{
	snprintf(body_buf, sizeof(body_buf), f, a1, a2);
	return body_buf;
}

static void configure(struct api *a)
{
	assert_int_equal(req(a, "PUT", "/machine-config",
			     "{\"vcpu_count\":2,\"mem_size_mib\":256}", NULL), 204);
	assert_int_equal(req(a, "PUT", "/boot-source",
			     fmt("{\"kernel_image_path\":\"%s\",\"boot_args\":\"console=ttyS0\"}",
				 kernel, NULL), NULL), 204);
	assert_int_equal(req(a, "PUT", "/drives/rootfs",
			     fmt("{\"drive_id\":\"rootfs\",\"path_on_host\":\"%s\",\"is_root_device\":true,\"is_read_only\":false}",
				 disk, NULL), NULL), 204);
}

static void test_info_and_defaults(void **state)
{
	struct api *a = new_api();

	(void)state;
	assert_int_equal(req(a, "GET", "/", NULL, "\"state\":\"Not started\""), 200);
	assert_int_equal(req(a, "GET", "/", NULL, "\"id\":\"t1\""), 200);
	assert_int_equal(req(a, "GET", "/version", NULL, "firecracker_version"), 200);
	assert_int_equal(req(a, "GET", "/machine-config", NULL,
			     "\"vcpu_count\":1,\"mem_size_mib\":128"), 200);
	assert_int_equal(req(a, "GET", "/nowhere", NULL, "Invalid request"), 400);
	assert_int_equal(req(a, "DELETE", "/", NULL, "Invalid request"), 400);
	api_destroy(a);
}

static void test_machine_config_checks(void **state)
{
	struct api *a = new_api();

	(void)state;
	assert_int_equal(req(a, "PUT", "/machine-config", "{\"vcpu_count\":2}",
			     "missing field `mem_size_mib`"), 400);
	assert_int_equal(req(a, "PUT", "/machine-config",
			     "{\"vcpu_count\":\"2\",\"mem_size_mib\":1}",
			     "must be an unsigned integer"), 400);
	assert_int_equal(req(a, "PUT", "/machine-config",
			     "{\"vcpu_count\":33,\"mem_size_mib\":1}", "1 to 32"), 400);
	assert_int_equal(req(a, "PUT", "/machine-config",
			     "{\"vcpu_count\":1,\"mem_size_mib\":1,\"x\":1}",
			     "unknown field `x`"), 400);
	assert_int_equal(req(a, "PUT", "/machine-config",
			     "{\"vcpu_count\":1,\"mem_size_mib\":64,\"cpu_template\":\"T2\"}",
			     "not supported"), 400);
	assert_int_equal(req(a, "PUT", "/machine-config",
			     "{\"vcpu_count\":1,\"mem_size_mib\":64,\"smt\":true}",
			     "not supported"), 400);
	assert_int_equal(req(a, "PUT", "/machine-config", "{\"vcpu_count\":1,",
			     "deserializing"), 400);
	assert_int_equal(req(a, "PUT", "/machine-config", "[1]",
			     "must be a JSON object"), 400);
	assert_int_equal(req(a, "PUT", "/machine-config", NULL, "needs a JSON body"), 400);
	/* A failed update changes nothing; PATCH changes one field. */
	assert_int_equal(req(a, "GET", "/machine-config", NULL, "\"vcpu_count\":1,"), 200);
	assert_int_equal(req(a, "PATCH", "/machine-config", "{\"mem_size_mib\":300}", NULL), 204);
	assert_int_equal(req(a, "GET", "/machine-config", NULL,
			     "\"vcpu_count\":1,\"mem_size_mib\":300"), 200);
	api_destroy(a);
}

static void test_drives_and_boot_source(void **state)
{
	struct api *a = new_api();

	(void)state;
	assert_int_equal(req(a, "PUT", "/boot-source",
			     "{\"kernel_image_path\":\"/nonexistent/vmlinux\"}",
			     "No such file"), 400);
	assert_int_equal(req(a, "PUT", "/boot-source", "{}",
			     "missing field `kernel_image_path`"), 400);
	assert_int_equal(req(a, "PUT", "/drives/a",
			     fmt("{\"drive_id\":\"b\",\"path_on_host\":\"%s\",\"is_root_device\":false}",
				 disk, NULL), "does not match"), 400);
	assert_int_equal(req(a, "PUT", "/drives/a",
			     fmt("{\"drive_id\":\"a\",\"path_on_host\":\"%s\",\"is_root_device\":false,\"rate_limiter\":{}}",
				 disk, NULL), "rate limiters"), 400);
	assert_int_equal(req(a, "PUT", "/drives/a,b",
			     fmt("{\"drive_id\":\"a,b\",\"path_on_host\":\"%s\",\"is_root_device\":false}",
				 disk, NULL), "an id is"), 400);
	configure(a);
	assert_int_equal(req(a, "PUT", "/drives/second",
			     fmt("{\"drive_id\":\"second\",\"path_on_host\":\"%s\",\"is_root_device\":true}",
				 disk, NULL), "root block device already exists"), 400);
	assert_int_equal(req(a, "PUT", "/balloon", "{\"amount_mib\":1}", "not supported"), 400);
	assert_int_equal(req(a, "PUT", "/entropy", "{}", NULL), 204);
	assert_int_equal(req(a, "GET", "/vm/config", NULL, "\"drive_id\":\"rootfs\""), 200);
	assert_int_equal(req(a, "GET", "/vm/config", NULL, "\"entropy\":{}"), 200);
	api_destroy(a);
}

static void test_instance_start_and_state_rules(void **state)
{
	struct api *a = new_api();
	char want[4096];

	(void)state;
	assert_int_equal(req(a, "PUT", "/actions", "{\"action_type\":\"InstanceStart\"}",
			     "no boot source"), 400);
	assert_int_equal(req(a, "PATCH", "/vm", "{\"state\":\"Paused\"}",
			     "before starting"), 400);
	configure(a);
	fk.fail_start = true;
	assert_int_equal(req(a, "PUT", "/actions", "{\"action_type\":\"InstanceStart\"}",
			     "no KVM here"), 400);
	assert_int_equal(req(a, "GET", "/", NULL, "Not started"), 200);
	fk.fail_start = false;
	assert_int_equal(req(a, "PUT", "/actions", "{\"action_type\":\"InstanceStart\"}", NULL), 204);
	assert_int_equal(fk.starts, 1);
	snprintf(want, sizeof(want),
		 "minivmm run -M pc -smp 2 -m 256M -kernel %s -append console=ttyS0 root=/dev/vda rw -drive file=%s,if=none,id=rootfs,format=raw,cache=unsafe -device virtio-blk-device,drive=rootfs",
		 kernel, disk);
#if defined(__x86_64__)
	assert_string_equal(fk.argv, want);
#endif
	assert_int_equal(req(a, "GET", "/", NULL, "\"state\":\"Running\""), 200);
	/* Pre-boot only, now refused. */
	assert_int_equal(req(a, "PUT", "/machine-config",
			     "{\"vcpu_count\":1,\"mem_size_mib\":64}", "after starting"), 400);
	assert_int_equal(req(a, "PUT", "/actions", "{\"action_type\":\"InstanceStart\"}",
			     "after starting"), 400);
	assert_int_equal(req(a, "PUT", "/snapshot/create",
			     "{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\"}", "paused first"), 400);
	assert_int_equal(req(a, "PATCH", "/vm", "{\"state\":\"Frozen\"}", "expected Paused"), 400);
	assert_int_equal(req(a, "PATCH", "/vm", "{\"state\":\"Paused\"}", NULL), 204);
	assert_int_equal(req(a, "GET", "/", NULL, "\"state\":\"Paused\""), 200);
	assert_int_equal(req(a, "PUT", "/snapshot/create",
			     "{\"snapshot_type\":\"Diff\",\"snapshot_path\":\"s\",\"mem_file_path\":\"m\"}",
			     "only Full"), 400);
	assert_int_equal(req(a, "PUT", "/snapshot/create",
			     "{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\"}", NULL), 204);
	assert_int_equal(req(a, "PATCH", "/vm", "{\"state\":\"Resumed\"}", NULL), 204);
	assert_int_equal(fk.pauses, 1);
	assert_int_equal(fk.resumes, 1);
	assert_int_equal(fk.snapshots, 1);
	api_destroy(a);
}

static void test_snapshot_load_rules(void **state)
{
	struct api *a = new_api();

	(void)state;
	assert_int_equal(req(a, "PUT", "/snapshot/load", "{\"snapshot_path\":\"s\"}",
			     "exactly one of mem_backend"), 400);
	assert_int_equal(req(a, "PUT", "/snapshot/load",
			     "{\"snapshot_path\":\"s\",\"mem_backend\":{\"backend_type\":\"Uffd\",\"backend_path\":\"u\"}}",
			     "only File"), 400);
	assert_int_equal(req(a, "PUT", "/snapshot/load",
			     "{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\",\"network_overrides\":[{\"iface_id\":1}]}",
			     "must be a string"), 400);
	assert_int_equal(req(a, "PUT", "/snapshot/load",
			     "{\"snapshot_path\":\"s\",\"mem_backend\":{\"backend_type\":\"File\",\"backend_path\":\"m\"},\"resume_vm\":true,\"vsock_override\":{\"uds_path\":\"v\"}}",
			     NULL), 204);
	assert_int_equal(fk.restores, 1);
	assert_true(fk.last_restore.resume);
	assert_int_equal(req(a, "GET", "/", NULL, "Running"), 200);
	api_destroy(a);
	/* Not after a boot resource was configured. */
	a = new_api();
	configure(a);
	assert_int_equal(req(a, "PUT", "/snapshot/load",
			     "{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\"}",
			     "not allowed after configuring"), 400);
	api_destroy(a);
}

/* PUT /vsock: its checks, GET /vm/config, and the device InstanceStart adds. */
/* PUT /network-interfaces: checks, the command line, GET /vm/config. */
static void test_network_interfaces(void **state)
{
	struct api *a = new_api();
	const char *good = "{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\",\"guest_mac\":\"06:00:ac:10:00:02\"}";

	(void)state;
	assert_int_equal(req(a, "PUT", "/network-interfaces/eth1", good,
			     "does not match the id from the body"), 400);
	assert_int_equal(req(a, "PUT", "/network-interfaces/eth0",
			     "{\"iface_id\":\"eth0\"}", "host_dev_name"), 400);
	assert_int_equal(req(a, "PUT", "/network-interfaces/eth0",
			     "{\"iface_id\":\"eth0\",\"host_dev_name\":\"a-name-too-long-for-a-tap\"}",
			     "1 to 15 characters"), 400);
	assert_int_equal(req(a, "PUT", "/network-interfaces/eth0",
			     "{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\",\"guest_mac\":\"07:00:ac:10:00:02\"}",
			     "not a multicast"), 400);
	assert_int_equal(req(a, "PUT", "/network-interfaces/eth0",
			     "{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\",\"guest_mac\":\"06:00:ac:10:00\"}",
			     "six hex pairs"), 400);
	assert_int_equal(req(a, "PUT", "/network-interfaces/eth0",
			     "{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\",\"rx_rate_limiter\":{}}",
			     "rate limiters are not supported"), 400);
	assert_int_equal(req(a, "PUT", "/network-interfaces/eth0",
			     "{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\",\"mac\":\"x\"}",
			     "mac"), 400);
	assert_int_equal(req(a, "PUT", "/network-interfaces/eth0",
			     "{\"iface_id\":\"eth0\",\"host_dev_name\":\"old\"}", NULL), 204);
	assert_int_equal(req(a, "PUT", "/network-interfaces/eth0", good, NULL), 204);
	assert_int_equal(req(a, "PUT", "/network-interfaces/eth1",
			     "{\"iface_id\":\"eth1\",\"host_dev_name\":\"tap1\"}", NULL), 204);
	assert_int_equal(req(a, "GET", "/vm/config", NULL,
			     "\"network-interfaces\":[{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\",\"guest_mac\":\"06:00:ac:10:00:02\"},{\"iface_id\":\"eth1\""), 200);
	assert_int_equal(req(a, "PATCH", "/network-interfaces/eth0",
			     "{\"iface_id\":\"eth0\"}", "not supported before starting"), 400);
	configure(a);
	assert_int_equal(req(a, "PUT", "/actions", "{\"action_type\":\"InstanceStart\"}", NULL), 204);
	assert_str_contains(fk.argv, " -netdev tap,id=eth0,ifname=tap0,script=no,downscript=no -device virtio-net-device,netdev=eth0,mac=06:00:ac:10:00:02");
	assert_str_contains(fk.argv, " -netdev tap,id=eth1,ifname=tap1,script=no,downscript=no -device virtio-net-device,netdev=eth1");
	assert_true(strstr(fk.argv, "netdev=eth1,") == NULL); /* no MAC: QEMU's default */
	assert_true(strstr(fk.argv, "ifname=old") == NULL);
	assert_int_equal(req(a, "PUT", "/network-interfaces/eth2", "{\"iface_id\":\"eth2\",\"host_dev_name\":\"tap2\"}",
			     "after starting"), 400);
	assert_int_equal(req(a, "PATCH", "/network-interfaces/eth0", "{\"iface_id\":\"eth0\"}", NULL), 204);
	assert_int_equal(req(a, "PATCH", "/network-interfaces/eth9", "{\"iface_id\":\"eth9\"}",
			     "no such interface"), 400);
	api_destroy(a);

	/* A config file's network-interfaces list: a PUT per element. */
	{
		char path[] = "/tmp/test_api_netcfgXXXXXX";
		int fd = mkstemp(path);
		const char *cfg =
			fmt("{\"boot-source\":{\"kernel_image_path\":\"%s\"},\"network-interfaces\":[{\"iface_id\":\"n1\",\"host_dev_name\":\"tapa\"},{\"iface_id\":\"n2\",\"host_dev_name\":\"tapb\",\"guest_mac\":\"52:54:00:00:00:09\"}]}",
			    kernel, NULL);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, cfg, strlen(cfg)), (ssize_t)strlen(cfg));
		close(fd);
		a = new_api();
		assert_int_equal(api_config_file(a, path), 0);
		assert_str_contains(fk.argv, "-netdev tap,id=n1,ifname=tapa,");
		assert_str_contains(fk.argv, "virtio-net-device,netdev=n2,mac=52:54:00:00:00:09");
		api_destroy(a);
		unlink(path);
	}
}

static void test_vsock(void **state)
{
	struct api *a = new_api();
	char longpath[CONFIG_VSOCK_UDS_MAX + 2];

	(void)state;
	assert_int_equal(req(a, "PUT", "/vsock", "{\"guest_cid\":2,\"uds_path\":\"/tmp/v\"}",
			     "guest_cid 2: a guest's CID is 3 to 4294967294"), 400);
	assert_int_equal(req(a, "PUT", "/vsock",
			     "{\"guest_cid\":4294967295,\"uds_path\":\"/tmp/v\"}",
			     "a guest's CID"), 400);
	assert_int_equal(req(a, "PUT", "/vsock", "{\"guest_cid\":3}", "uds_path"), 400);
	assert_int_equal(req(a, "PUT", "/vsock", "{\"uds_path\":\"/tmp/v\"}", "guest_cid"), 400);
	assert_int_equal(req(a, "PUT", "/vsock", "{\"guest_cid\":3,\"uds_path\":\"\"}",
			     "a path of 1 to 96 bytes"), 400);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(req(a, "PUT", "/vsock",
			     fmt("{\"guest_cid\":3,\"uds_path\":\"%s\"}", longpath, NULL),
			     "a path of 1 to 96 bytes"), 400);
	assert_int_equal(req(a, "PUT", "/vsock",
			     fmt("{\"guest_cid\":3,\"uds_path\":\"%s\"}", disk, NULL),
			     "exists and is not a socket"), 400);
	assert_int_equal(req(a, "GET", "/vm/config", NULL, "\"vsock\":null"), 200);
	/* Accepted; a second PUT replaces the first. */
	assert_int_equal(req(a, "PUT", "/vsock",
			     "{\"vsock_id\":\"v\",\"guest_cid\":9,\"uds_path\":\"/tmp/old\"}",
			     NULL), 204);
	assert_int_equal(req(a, "PUT", "/vsock",
			     "{\"guest_cid\":3,\"uds_path\":\"/tmp/v,1.sock\"}", NULL), 204);
	assert_int_equal(req(a, "GET", "/vm/config", NULL, "\"guest_cid\":3"), 200);
	assert_int_equal(req(a, "GET", "/vm/config", NULL, "\"uds_path\":\"/tmp/v,1.sock\""), 200);
	configure(a);
	assert_int_equal(req(a, "PUT", "/actions", "{\"action_type\":\"InstanceStart\"}", NULL), 204);
	assert_str_contains(fk.argv, " -device vsock-device,guest-cid=3,uds=/tmp/v,,1.sock");
	assert_true(strstr(fk.argv, "/tmp/old") == NULL);
	assert_int_equal(req(a, "PUT", "/vsock", "{\"guest_cid\":3,\"uds_path\":\"/tmp/v\"}",
			     "after starting"), 400);
	api_destroy(a);

	/* A config file's vsock section is the same PUT. */
	{
		char path[] = "/tmp/test_api_configXXXXXX";
		int fd = mkstemp(path);
		const char *bad = "{\"vsock\":{\"guest_cid\":1,\"uds_path\":\"/tmp/v\"}}";
		const char *good =
			fmt("{\"boot-source\":{\"kernel_image_path\":\"%s\"},\"vsock\":{\"guest_cid\":4,\"uds_path\":\"/tmp/cfg.sock\"}}",
			    kernel, NULL);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
		close(fd);
		a = new_api();
		/* The file's last step is InstanceStart: the fake backend's argv. */
		assert_int_equal(api_config_file(a, path), 0);
		assert_str_contains(fk.argv, " -device vsock-device,guest-cid=4,uds=/tmp/cfg.sock");
		api_destroy(a);
		fd = open(path, O_WRONLY | O_TRUNC);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
		close(fd);
		a = new_api();
		assert_int_equal(api_config_file(a, path), -1);
		assert_err_contains("guest_cid 1: a guest's CID");
		api_destroy(a);
		unlink(path);
	}
}

/* The HTTP session: whole exchanges as bytes. */
static char *feed(struct api_session *s, const char *in, bool *keep)
{
	char *out;
	size_t len;

	*keep = api_session_feed(s, in, strlen(in), &out, &len);
	out = realloc(out, len + 1);
	out[len] = 0;
	return out;
}

/* The periodic line: nothing without metrics, one JSON line each call with. */
static void test_metrics_periodic(void **state)
{
	char path[] = "/tmp/test_api_metricsXXXXXX", buf[4096];
	struct api *a = new_api();
	int fd = mkstemp(path);
	ssize_t n;
	int lines = 0;

	(void)state;
	assert_true(fd >= 0);
	api_metrics_periodic(a); /* not configured: no effect */
	assert_int_equal(req(a, "PUT", "/metrics",
			     fmt("{\"metrics_path\":\"%s\"}", path, NULL), NULL), 204);
	api_metrics_periodic(a);
	api_metrics_periodic(a);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	for (char *p = buf; (p = strstr(p, "{\"utc_timestamp_ms\":")); p++)
		lines++;
	assert_int_equal(lines, 2);
	assert_non_null(strstr(buf, "\"snapshots_created\":0}}\n"));
	api_destroy(a);
	close(fd);
	unlink(path);
}

/* PUT /logger's show_level and show_log_origin shape every line after. */
static void test_logger_show(void **state)
{
	char path[] = "/tmp/test_api_logXXXXXX", buf[1024];
	struct api *a = new_api();
	int fd = mkstemp(path);
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(req(a, "PUT", "/logger",
			     fmt("{\"log_path\":\"%s\",\"level\":\"Warning\",\"show_level\":true,\"show_log_origin\":true}",
				 path, NULL), NULL), 204);
	log_warn("shown with level and origin");
	assert_int_equal(req(a, "PUT", "/logger", "{\"show_level\":false,\"show_log_origin\":false}", NULL), 204);
	log_warn("plain");
	log_set_output(NULL);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr(buf, ": [Warn] [tests/unit/test_api.c:"));
	assert_non_null(strstr(buf, "] shown with level and origin\n"));
	assert_non_null(strstr(buf, ": plain\n"));
	api_destroy(a);
	close(fd);
	unlink(path);
}

static void test_http_session(void **state)
{
	struct api *a = new_api();
	struct api_session *s = api_session_create(a, 100);
	char big[512], *out;
	bool keep;

	(void)state;
	/* Two pipelined requests, then one split across two reads. */
	out = feed(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /version HTTP/1.1\r\n\r\n", &keep);
	assert_true(keep);
	assert_non_null(strstr(out, "HTTP/1.1 200 OK"));
	assert_non_null(strstr(out, "firecracker_version"));
	assert_non_null(strstr(strstr(out, "Not started"), "HTTP/1.1 200"));
	free(out);
	out = feed(s, "PUT /machine-config HTTP/1.1\r\nContent-Length: 34\r\n\r\n{\"vcpu_count\":2,", &keep);
	assert_true(keep);
	assert_string_equal(out, "");
	free(out);
	out = feed(s, "\"mem_size_mib\":64}", &keep);
	assert_non_null(strstr(out, "HTTP/1.1 204 No Content\r\n"));
	free(out);
	/* A body over the limit: one 400, then the connection ends. */
	snprintf(big, sizeof(big), "PUT /vm HTTP/1.1\r\nContent-Length: 101\r\n\r\n");
	out = feed(s, big, &keep);
	assert_false(keep);
	assert_non_null(strstr(out, "HTTP/1.1 400"));
	assert_non_null(strstr(out, "larger than the limit of 100"));
	free(out);
	api_session_destroy(s);
	/* Not HTTP. */
	s = api_session_create(a, 100);
	out = feed(s, "\x01\x02garbage\r\n\r\n", &keep);
	assert_false(keep);
	assert_non_null(strstr(out, "malformed HTTP request"));
	free(out);
	api_session_destroy(s);
	/* Headers over API_MAX_HEAD. */
	s = api_session_create(a, 100);
	{
		size_t n = API_MAX_HEAD + 64;
		char *h = malloc(n + 64);

		strcpy(h, "GET / HTTP/1.1\r\nX: ");
		memset(h + strlen(h), 'a', n);
		h[19 + n] = 0;
		out = feed(s, h, &keep);
		free(h);
	}
	assert_false(keep);
	assert_non_null(strstr(out, "headers are too long"));
	free(out);
	api_session_destroy(s);
	api_destroy(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_and_defaults),
		cmocka_unit_test(test_machine_config_checks),
		cmocka_unit_test(test_drives_and_boot_source),
		cmocka_unit_test(test_instance_start_and_state_rules),
		cmocka_unit_test(test_snapshot_load_rules),
		cmocka_unit_test(test_metrics_periodic),
		cmocka_unit_test(test_logger_show),
		cmocka_unit_test(test_network_interfaces),
		cmocka_unit_test(test_vsock),
		cmocka_unit_test(test_http_session),
	};
	int fd, r;

	if (!api_available()) {
		printf("SKIP test_api: minivmm was built without the API's libraries\n");
		return 0;
	}
	fd = mkstemp(kernel);
	close(fd);
	fd = mkstemp(disk);
	close(fd);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(kernel);
	unlink(disk);
	return r;
}
