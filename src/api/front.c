// SPDX-License-Identifier: MIT
/*
 * Which front end a command line is for (api.h): built with or without the
 * API's libraries, so that Firecracker's command line is recognised, and
 * refused with the reason, in a build that lacks them.
 */
#include "api/api.h"

#include <string.h>

bool firecracker_wanted(int argc, char **argv)
{
	static const char *const flags[] = {
		"--api-sock",	 "--id",	 "--config-file",
		"--no-api",	 "--boot-timer", "--no-seccomp",
		"--seccomp-filter", "--level",	 "--log-path",
		"--metrics-path", "--start-time-us", "--start-time-cpu-us",
		"--parent-cpu-time-us", "--show-level", "--show-log-origin",
		"--http-api-max-payload-size", "--mmds-size-limit",
		"--snapshot-version", "--describe-snapshot", "--module",
		"--enable-pci",
	};
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	if (!strcmp(base, "firecracker"))
		return true;
	if (argc < 2)
		return false;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (!strcmp(argv[1], flags[i]) ||
		    (!strncmp(argv[1], flags[i], strlen(flags[i])) &&
		     argv[1][strlen(flags[i])] == '='))
			return true;
	return false;
}
