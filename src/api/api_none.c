// SPDX-License-Identifier: MIT
/*
 * The API's entry points in a build without libjansson and libhttp-parser
 * (the Makefile picks this file instead of the others in src/api/): each
 * says so in one line and fails.
 */
#include "api/api.h"

#include <stdio.h>

#include "log.h"

#define WHY "minivmm was built without the API (install libjansson-dev and libhttp-parser-dev, then rebuild)"

bool api_available(void)
{
	return false;
}

int firecracker_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "minivmm: %s\n", WHY);
	return 2;
}

struct api_server *api_attach(struct vm *vm, const char *path)
{
	(void)vm;
	(void)path;
	err_set("--api-sock: " WHY);
	return NULL;
}

void api_detach(struct api_server *s)
{
	(void)s;
}

int ctl_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "minivmm ctl: %s\n", WHY);
	return 2;
}
