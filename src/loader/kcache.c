// SPDX-License-Identifier: MIT
#include "kcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byteorder.h"
#include "log.h"

bool kcache_dir(const char *opt, char *buf, size_t size)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (opt && !strcmp(opt, "off"))
		return false;
	if (opt)
		n = snprintf(buf, size, "%s", opt);
	else if (xdg && xdg[0] == '/')
		n = snprintf(buf, size, "%s/minivmm", xdg);
	else if (home && home[0] == '/')
		n = snprintf(buf, size, "%s/.cache/minivmm", home);
	else
		return false;
	return n > 0 && (size_t)n < size;
}

/* FNV-1a, eight bytes at a time (then the tail byte by byte). */
uint64_t kcache_hash(const void *buf, size_t len)
{
	const uint64_t prime = 0x100000001b3ull;
	const uint8_t *p = buf;
	uint64_t h = 0xcbf29ce484222325ull ^ len;
	size_t i = 0;

	for (; i + 8 <= len; i += 8)
		h = (h ^ le_get(p + i, 8)) * prime;
	for (; i < len; i++)
		h = (h ^ p[i]) * prime;
	return h;
}

static int entry_path(char *buf, size_t size, const char *dir,
		      const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n > 0 && (size_t)n < size ? 0 : -1;
}

const uint8_t *kcache_map(const char *dir, const char *name, size_t len)
{
	char path[KCACHE_PATH_MAX];
	struct stat st;
	void *p;
	int fd;

	if (len == 0 || entry_path(path, sizeof(path), dir, name) < 0)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != len) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* mkdir -p for the cache directory (0700: kernels are the user's). */
static int make_dirs(const char *dir)
{
	char path[KCACHE_PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return err_set("cache directory name too long");
	memcpy(path, dir, n + 1);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return err_errno("%s", path);
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

int kcache_store(const char *dir, const char *name, const void *data,
		 size_t len)
{
	char path[KCACHE_PATH_MAX], tmp[KCACHE_PATH_MAX];
	const uint8_t *p = data;
	size_t done = 0;
	int fd, n;

	if (make_dirs(dir) < 0)
		return -1;
	if (entry_path(path, sizeof(path), dir, name) < 0)
		return err_set("%s/%s: name too long", dir, name);
	n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return err_set("%s: name too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_errno("%s", tmp);
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err_errno("%s", tmp);
			close(fd);
			unlink(tmp);
			return -1;
		}
		done += (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		err_errno("%s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}
