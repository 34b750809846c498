/* SPDX-License-Identifier: MIT */
/*
 * What the command-line files share among themselves (cli.c,
 * cli_memory.c, cli_devices.c and qemu_cli.c); nothing outside them
 * includes this.
 */
#ifndef MINIVMM_CLI_INTERNAL_H
#define MINIVMM_CLI_INTERNAL_H

#include "config.h"

/*
 * Split the next "key[=value]" off the comma list at *cursor (modifying
 * the string): returns the key, or NULL at the end; *value is NULL when
 * the item has no '='.
 */
char *cli_next_kv(char **cursor, char **value);

/* -object memory-backend-ram|memory-backend-file,id=ID,size=SIZE,... */
int cli_parse_object(struct vm_config *cfg, const char *arg);
/* -numa node,memdev=ID[,cpus=...][,nodeid=N] */
int cli_parse_numa(struct vm_config *cfg, const char *arg);
/* --e820 TYPE,ADDR,SIZE */
int cli_parse_e820(struct vm_config *cfg, const char *arg);

/*
 * -drive and -device (cli_devices.c).  A -device's drive= name is kept in
 * drive_ids[its index in cfg->vdevs] (config_parse clears the table) and
 * turned into the drive's index by cli_resolve_devices() once every
 * option is read, since the -drive may come later.
 */
#define CLI_ID_MAX 32
int cli_parse_drive(struct vm_config *cfg, const char *arg);
int cli_parse_device(struct vm_config *cfg, const char *arg,
		     char drive_ids[][CLI_ID_MAX]);
/* -chardev stdio,id=ID[,signal=on|off]: an id a virtconsole may name. */
int cli_parse_chardev(struct vm_config *cfg, const char *arg);
/* -netdev tap,... and -nic tap,...|none (a netdev, and its card). */
int cli_parse_netdev(struct vm_config *cfg, const char *arg);
int cli_parse_nic(struct vm_config *cfg, const char *arg);
int cli_resolve_devices(struct vm_config *cfg, char drive_ids[][CLI_ID_MAX]);

#endif
