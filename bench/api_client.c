// SPDX-License-Identifier: MIT
/*
 * The API benchmark's client (bench/api.sh): times requests to a
 * Firecracker-style API socket with a clock of its own, so a measurement
 * holds no process start-up of a client (curl, minivmm ctl).
 *
 *   api_client SOCK rtt N
 *       N x GET / on one connection; prints "rtt N MEDIAN_US MIN_US P90_US"
 *   api_client - floor N
 *       the same exchange against a thread that answers the same bytes over
 *       a socketpair (the kernel's round trip: the floor); same line
 *   api_client SOCK req METHOD PATH [BODY]
 *       one request on a new connection; prints "req STATUS US" (connect to
 *       the end of the answer)
 *   api_client SOCK until METHOD PATH BODY FILE PATTERN
 *       one request, then FILE polled every millisecond for PATTERN (a fixed
 *       string, e.g. the guest's marker in the VMM's output); prints
 *       "until STATUS ANSWER_US PATTERN_US", both from sending the request
 *   api_client - run-until FILE PATTERN -- CMD [ARG...]
 *       CMD started with stdout on FILE, then FILE polled as above; waits
 *       for CMD to end; prints "run-until PATTERN_US EXIT"
 *
 * Exit status 0, or 1 with one line on stderr (no answer, pattern not seen
 * within 120 s).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PATTERN_WAIT_MS 120000

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int die(const char *what)
{
	fprintf(stderr, "api_client: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int dial(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "api_client: socket path too long\n");
		exit(1);
	}
	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die(path);
	return fd;
}

static void send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write");
		p += n;
		len -= (size_t)n;
	}
}

static void send_request(int fd, const char *method, const char *path,
			 const char *body)
{
	char head[512];
	size_t blen = body ? strlen(body) : 0;
	int n = snprintf(head, sizeof(head),
			 "%s %s HTTP/1.1\r\nHost: localhost\r\n"
			 "Accept: application/json\r\n"
			 "Content-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 method, path, blen);

	if (n < 0 || (size_t)n >= sizeof(head)) {
		fprintf(stderr, "api_client: request too long\n");
		exit(1);
	}
	send_all(fd, head, (size_t)n);
	if (blen)
		send_all(fd, body, blen);
}

/* One answer: its status; the head and Content-Length bytes of body read. */
static int read_answer(int fd)
{
	char buf[16384];
	size_t have = 0, need = 0;
	char *end = NULL;
	int status = 0;

	for (;;) {
		ssize_t n;

		if (end && have >= need)
			break;
		if (have == sizeof(buf)) {
			fprintf(stderr, "api_client: answer too long\n");
			exit(1);
		}
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		if (n == 0) {
			fprintf(stderr, "api_client: connection closed\n");
			exit(1);
		}
		have += (size_t)n;
		if (!end) {
			const char *cl;

			end = memmem(buf, have, "\r\n\r\n", 4);
			if (!end)
				continue;
			*end = 0;
			if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
				fprintf(stderr, "api_client: not HTTP\n");
				exit(1);
			}
			cl = strcasestr(buf, "content-length:");
			need = (size_t)(end - buf) + 4 +
			       (cl ? strtoul(cl + 15, NULL, 10) : 0);
		}
	}
	return status;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report_rtt(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
	printf("rtt %d %.1f %.1f %.1f\n", n, t[n / 2], t[0], t[n * 9 / 10]);
}

static int rtt(int fd, int n)
{
	double *t = calloc((size_t)n, sizeof(double));

	if (!t)
		die("calloc");
	for (int i = 0; i < n; i++) {
		double t0 = now_us();

		send_request(fd, "GET", "/", NULL);
		if (read_answer(fd) != 200) {
			fprintf(stderr, "api_client: GET / did not answer 200\n");
			return 1;
		}
		t[i] = now_us() - t0;
	}
	report_rtt(t, n);
	free(t);
	return 0;
}

/* The floor's server: reads a request head, answers GET /'s bytes. */
static void *floor_server(void *arg)
{
	static const char body[] =
		"{\"id\":\"anonymous-instance\",\"state\":\"Not started\","
		"\"vmm_version\":\"1.10.1\",\"app_name\":\"Firecracker\"}";
	char answer[512];
	int alen = snprintf(answer, sizeof(answer),
			    "HTTP/1.1 200 \r\nServer: Firecracker API\r\n"
			    "Connection: keep-alive\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: %zu\r\n\r\n%s",
			    sizeof(body) - 1, body);
	int fd = *(int *)arg;
	char buf[4096];
	size_t have = 0;

	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		char *end;

		if (n <= 0)
			return NULL;
		have += (size_t)n;
		end = memmem(buf, have, "\r\n\r\n", 4);
		if (!end) {
			if (have == sizeof(buf))
				return NULL;
			continue;
		}
		have -= (size_t)(end + 4 - buf);
		memmove(buf, end + 4, have);
		send_all(fd, answer, (size_t)alen);
	}
}

static int wait_pattern(const char *file, const char *pattern, double t0,
			double *at)
{
	char *buf = NULL;
	size_t cap = 0;

	for (int ms = 0; ms < PATTERN_WAIT_MS; ms++) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		size_t len = 0;

		if (fd >= 0) {
			for (;;) {
				ssize_t n;

				if (len + 4096 > cap) {
					cap = cap ? cap * 2 : 65536;
					buf = realloc(buf, cap + 1);
					if (!buf)
						die("realloc");
				}
				n = read(fd, buf + len, cap - len);
				if (n <= 0)
					break;
				len += (size_t)n;
			}
			close(fd);
			if (memmem(buf, len, pattern, strlen(pattern))) {
				*at = now_us() - t0;
				free(buf);
				return 0;
			}
		}
		usleep(1000);
	}
	free(buf);
	fprintf(stderr, "api_client: '%s' not in %s within %d s\n", pattern,
		file, PATTERN_WAIT_MS / 1000);
	return 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[2] : "";
	double t0, answer_us, pattern_us;
	int status;

	if (!strcmp(mode, "rtt") && argc == 4)
		return rtt(dial(argv[1]), atoi(argv[3]) > 0 ? atoi(argv[3]) : 1);
	if (!strcmp(mode, "floor") && argc == 4) {
		int sv[2];
		pthread_t th;

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			die("socketpair");
		pthread_create(&th, NULL, floor_server, &sv[1]);
		return rtt(sv[0], atoi(argv[3]) > 0 ? atoi(argv[3]) : 1);
	}
	if (!strcmp(mode, "req") && (argc == 5 || argc == 6)) {
		int fd;

		t0 = now_us();
		fd = dial(argv[1]);
		send_request(fd, argv[3], argv[4], argc == 6 ? argv[5] : NULL);
		status = read_answer(fd);
		printf("req %d %.0f\n", status, now_us() - t0);
		return 0;
	}
	if (!strcmp(mode, "until") && argc == 8) {
		int fd = dial(argv[1]);

		t0 = now_us();
		send_request(fd, argv[3], argv[4], argv[5]);
		status = read_answer(fd);
		answer_us = now_us() - t0;
		if (wait_pattern(argv[6], argv[7], t0, &pattern_us))
			return 1;
		printf("until %d %.0f %.0f\n", status, answer_us, pattern_us);
		return 0;
	}
	if (!strcmp(mode, "run-until") && argc >= 7 && !strcmp(argv[5], "--")) {
		pid_t pid;
		int wst, out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (out < 0)
			die(argv[3]);
		t0 = now_us();
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			dup2(out, STDOUT_FILENO);
			execvp(argv[6], &argv[6]);
			_exit(127);
		}
		close(out);
		if (wait_pattern(argv[3], argv[4], t0, &pattern_us)) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 1;
		}
		waitpid(pid, &wst, 0);
		printf("run-until %.0f %d\n", pattern_us,
		       WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst));
		return 0;
	}
	fprintf(stderr, "usage: api_client SOCK rtt N | - floor N | SOCK req METHOD PATH [BODY]\n"
			"       | SOCK until METHOD PATH BODY FILE PATTERN\n"
			"       | - run-until FILE PATTERN -- CMD [ARG...]\n");
	return 2;
}
