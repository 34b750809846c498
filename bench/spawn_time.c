/* SPDX-License-Identifier: MIT */
/*
 * spawn_time: time several commands side by side, interleaved.
 *
 * usage: spawn_time [-n RUNS] [-w WARMUP] [-t TIMEOUT_S] [-l LOGDIR] [-r]
 *                   NAME STATUS CMD [ARG...] [:: NAME STATUS CMD [ARG...]]...
 *
 * Each round runs every contender once, in a freshly shuffled order (a
 * fixed-seed generator, so a run is reproducible), so slow drift of a noisy
 * machine hits all of them alike and none always runs right after the
 * same neighbour: a plain rotation would, e.g., always put the same
 * program right after QEMU, whose exit leaves the machine busy for a while.  WARMUP rounds come first and are thrown away.  For each run the
 * wall time is taken from just before fork() to the return of
 * wait4() (process start to process exit, as a user sees it), and the
 * child's own peak RSS comes from wait4()'s rusage.  A run counts only if
 * the exit status equals STATUS (e.g. 3 for QEMU's isa-debug-exit with
 * value 1); runs over TIMEOUT_S seconds are killed and count as failures.
 *
 * The children's stdout goes to /dev/null, and so does the stderr of every
 * timed run.  With -l, the warm-up runs write their stderr to
 * LOGDIR/NAME.err for diagnosis; timed runs never do, because creating and
 * truncating a log file costs ~0.5 ms on this machine's disk, and only for
 * the programs that print something, which would skew the comparison.
 *
 * Output, one line per contender, for bench/run.sh (with -r, each is
 * preceded by "NAME seq_us=T1,T2,..." listing every run in round order,
 * -1 for a failed one, so runs of the same round can be paired):
 *   NAME ok=K fail=F median_us=.. min_us=.. p25_us=.. p75_us=.. max_us=..
 *        rss_kib_median=.. rss_kib_max=..
 * (all on one line).  Exit status 1 if any run of any contender failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONTENDERS 16
#define MAX_RUNS 10000

struct contender {
	const char *name;
	int want_status;
	char **argv;
	int ok, fail;
	long long *us; /* [runs], allocated once the count is known */
	long *rss_kib;
	long long *seq_us; /* [runs] in round order, -1 for a failed run */
	char last_error[160];
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* Wait for pid up to timeout_ms (pidfd + poll); SIGKILL it past that. */
static int wait_child(pid_t pid, int timeout_ms, int *status,
		      struct rusage *ru, int *timed_out)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	*timed_out = 0;
	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int r;

		do
			r = poll(&p, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			kill(pid, SIGKILL);
			*timed_out = 1;
		}
		close(pidfd);
	}
	while (wait4(pid, status, 0, ru) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/*
 * In the child: stdout to /dev/null, stderr to the log or /dev/null, exec.
 * Only async-signal-safe calls between fork() and exec.
 */
static void child_exec(struct contender *c, const char *errpath)
{
	int out = open("/dev/null", O_WRONLY);
	int err = errpath ? open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644)
			  : open("/dev/null", O_WRONLY);

	if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	close(out);
	close(err);
	execv(c->argv[0], c->argv);
	_exit(127);
}

/* One run; returns its wall time in microseconds, or -1 if it failed. */
static long long run_once(struct contender *c, int record, int timeout_ms,
			  const char *logdir)
{
	char errpath[PATH_MAX];
	struct rusage ru;
	int status, timed_out;
	pid_t pid;

	if (logdir && !record)
		snprintf(errpath, sizeof(errpath), "%s/%s.err", logdir, c->name);

	/*
	 * fork(), not posix_spawn(): a vfork-style spawn shares this process's
	 * memory until exec, and the kernel folds that memory's high-water
	 * mark into the child's ru_maxrss.  A forked child starts with only
	 * our few anonymous pages, far below any real program's RSS, so its
	 * ru_maxrss is the program's own peak.
	 */
	long long t0 = now_ns();

	pid = fork();
	if (pid == 0)
		child_exec(c, logdir && !record ? errpath : NULL);
	if (pid < 0) {
		snprintf(c->last_error, sizeof(c->last_error), "fork: %s",
			 strerror(errno));
		c->fail++;
		return -1;
	}
	if (wait_child(pid, timeout_ms, &status, &ru, &timed_out) < 0) {
		snprintf(c->last_error, sizeof(c->last_error), "wait4: %s",
			 strerror(errno));
		c->fail++;
		return -1;
	}
	long long t1 = now_ns();

	if (timed_out) {
		snprintf(c->last_error, sizeof(c->last_error),
			 "killed after %d ms", timeout_ms);
		c->fail++;
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(c->last_error, sizeof(c->last_error),
			 "exit status 127 (could not exec %s?)", c->argv[0]);
		c->fail++;
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != c->want_status) {
		if (WIFEXITED(status))
			snprintf(c->last_error, sizeof(c->last_error),
				 "exit status %d, want %d", WEXITSTATUS(status),
				 c->want_status);
		else
			snprintf(c->last_error, sizeof(c->last_error),
				 "killed by signal %d", WTERMSIG(status));
		c->fail++;
		return -1;
	}
	if (!record)
		return (t1 - t0) / 1000;
	c->us[c->ok] = (t1 - t0) / 1000;
	c->rss_kib[c->ok] = ru.ru_maxrss; /* KiB on Linux */
	c->ok++;
	return (t1 - t0) / 1000;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: spawn_time [-n RUNS] [-w WARMUP] [-t TIMEOUT_S] [-l LOGDIR] [-r]\n"
		"                  NAME STATUS CMD [ARG...] [:: NAME STATUS CMD...]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct contender cs[MAX_CONTENDERS];
	int runs = 30, warmup = 2, timeout_ms = 60000, nc = 0, opt, print_seq = 0;
	const char *logdir = NULL;

	while ((opt = getopt(argc, argv, "+n:w:t:l:r")) != -1) {
		switch (opt) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 't':
			timeout_ms = (int)(atof(optarg) * 1000);
			break;
		case 'l':
			logdir = optarg;
			break;
		case 'r':
			print_seq = 1;
			break;
		default:
			usage();
		}
	}
	if (runs < 1 || runs > MAX_RUNS || warmup < 0 || timeout_ms <= 0)
		usage();

	/* Split the rest at "::" into contenders; argv is NULL-terminated in
	 * place by replacing each separator with NULL. */
	for (int i = optind; i < argc;) {
		if (nc == MAX_CONTENDERS || argc - i < 3)
			usage();
		struct contender *c = &cs[nc++];
		char *end;

		c->name = argv[i];
		c->want_status = (int)strtol(argv[i + 1], &end, 10);
		if (*end)
			usage();
		c->argv = &argv[i + 2];
		i += 2;
		while (i < argc && strcmp(argv[i], "::"))
			i++;
		if (i < argc)
			argv[i++] = NULL;
	}
	if (nc == 0)
		usage();
	for (int k = 0; k < nc; k++) {
		cs[k].us = calloc((size_t)runs, sizeof(*cs[k].us));
		cs[k].rss_kib = calloc((size_t)runs, sizeof(*cs[k].rss_kib));
		cs[k].seq_us = calloc((size_t)runs, sizeof(*cs[k].seq_us));
		if (!cs[k].us || !cs[k].rss_kib || !cs[k].seq_us) {
			fprintf(stderr, "spawn_time: out of memory\n");
			return 2;
		}
	}

	int order[MAX_CONTENDERS];
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	for (int k = 0; k < nc; k++)
		order[k] = k;
	for (int r = 0; r < warmup + runs; r++) {
		/* Fisher-Yates with xorshift64. */
		for (int k = nc - 1; k > 0; k--) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			int j = (int)(rng % (uint64_t)(k + 1)), t = order[k];

			order[k] = order[j];
			order[j] = t;
		}
		for (int k = 0; k < nc; k++) {
			struct contender *c = &cs[order[k]];
			long long us = run_once(c, r >= warmup, timeout_ms, logdir);

			if (r >= warmup)
				c->seq_us[r - warmup] = us;
		}
	}

	int any_fail = 0;

	for (int k = 0; k < nc; k++) {
		struct contender *c = &cs[k];

		if (c->fail) {
			any_fail = 1;
			fprintf(stderr, "spawn_time: %s: %d failed run(s), last: %s\n",
				c->name, c->fail, c->last_error);
		}
		if (print_seq) {
			printf("%s seq_us=", c->name);
			for (int r = 0; r < runs; r++)
				printf("%s%lld", r ? "," : "", c->seq_us[r]);
			printf("\n");
		}
		if (c->ok == 0) {
			printf("%s ok=0 fail=%d\n", c->name, c->fail);
			continue;
		}
		qsort(c->us, (size_t)c->ok, sizeof(c->us[0]), cmp_ll);
		qsort(c->rss_kib, (size_t)c->ok, sizeof(c->rss_kib[0]), cmp_long);
		int n = c->ok;
		/* Median of an even count: mean of the two middle values. */
		long long med = (c->us[(n - 1) / 2] + c->us[n / 2]) / 2;
		long rss_med = (c->rss_kib[(n - 1) / 2] + c->rss_kib[n / 2]) / 2;

		printf("%s ok=%d fail=%d median_us=%lld min_us=%lld p25_us=%lld "
		       "p75_us=%lld max_us=%lld rss_kib_median=%ld rss_kib_max=%ld\n",
		       c->name, c->ok, c->fail, med, c->us[0], c->us[n / 4],
		       c->us[(3 * n) / 4 < n ? (3 * n) / 4 : n - 1],
		       c->us[n - 1], rss_med, c->rss_kib[n - 1]);
	}
	return any_fail;
}
