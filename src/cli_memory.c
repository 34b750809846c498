// SPDX-License-Identifier: MIT
/*
 * The command line's memory options: -object memory-backend-ram|file and
 * -numa node in QEMU's syntax, and --e820 TYPE,ADDR,SIZE.  -numa memdev=
 * names are resolved later, in config_finish() (the -object may follow).
 */
#include "cli_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

int cli_parse_object(struct vm_config *cfg, const char *arg)
{
	char buf[512], *cursor = buf, *key, *value;
	struct mem_object *o;
	bool has_size = false;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-object %s: too long", arg);
	if (cfg->nr_objects == CONFIG_MAX_OBJECTS)
		return err_set("-object %s: too many objects (at most %d)", arg,
			       CONFIG_MAX_OBJECTS);
	o = &cfg->objects[cfg->nr_objects];
	memset(o, 0, sizeof(*o));
	key = cli_next_kv(&cursor, &value);
	if (!key || value)
		return err_set("-object %s: expected a type first (memory-backend-ram, memory-backend-file)",
			       arg);
	if (!strcmp(key, "memory-backend-ram"))
		o->is_file = false;
	else if (!strcmp(key, "memory-backend-file"))
		o->is_file = true;
	else
		return err_set("-object %s: unsupported object type '%s' (memory-backend-ram, memory-backend-file)",
			       arg, key);
	while ((key = cli_next_kv(&cursor, &value))) {
		if (!value)
			return err_set("-object %s: '%s' needs a value", arg,
				       key);
		if (!strcmp(key, "id")) {
			if (!*value || strlen(value) >= sizeof(o->id))
				return err_set("-object %s: bad id '%s'", arg,
					       value);
			for (size_t i = 0; i < cfg->nr_objects; i++)
				if (!strcmp(cfg->objects[i].id, value))
					return err_set("-object %s: duplicate id '%s'",
						       arg, value);
			snprintf(o->id, sizeof(o->id), "%s", value);
		} else if (!strcmp(key, "size")) {
			if (config_parse_size(value, 1, &o->size) < 0)
				return err_set("-object %s: size: %s", arg,
					       err_msg());
			if (o->size == 0)
				return err_set("-object %s: size must be positive",
					       arg);
			has_size = true;
		} else if (!strcmp(key, "mem-path") && o->is_file) {
			if (!*value || strlen(value) >= sizeof(o->mem_path))
				return err_set("-object %s: bad mem-path", arg);
			snprintf(o->mem_path, sizeof(o->mem_path), "%s", value);
		} else if (!strcmp(key, "share") || !strcmp(key, "prealloc")) {
			bool on;

			if (!strcmp(value, "on") || !strcmp(value, "yes") ||
			    !strcmp(value, "true"))
				on = true;
			else if (!strcmp(value, "off") || !strcmp(value, "no") ||
				 !strcmp(value, "false"))
				on = false;
			else
				return err_set("-object %s: %s=%s: expected on or off",
					       arg, key, value);
			if (key[0] == 's')
				o->share = on;
			else
				o->prealloc = on;
		} else {
			return err_set("-object %s: property '%s' not found", arg,
				       key);
		}
	}
	if (!o->id[0])
		return err_set("-object %s: parameter 'id' is missing", arg);
	if (!has_size)
		return err_set("-object %s: parameter 'size' is missing", arg);
	if (o->is_file && !o->mem_path[0])
		return err_set("-object %s: parameter 'mem-path' is missing",
			       arg);
	cfg->nr_objects++;
	return 0;
}


/* -numa node,...: memdev is resolved in config_finish (objects may follow). */
int cli_parse_numa(struct vm_config *cfg, const char *arg)
{
	char buf[512], *cursor = buf, *key, *value;
	struct numa_node *n;
	bool has_nodeid = false;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("-numa %s: too long", arg);
	if (cfg->nr_numa == CONFIG_MAX_NUMA)
		return err_set("-numa %s: too many nodes (at most %d)", arg,
			       CONFIG_MAX_NUMA);
	n = &cfg->numa[cfg->nr_numa];
	memset(n, 0, sizeof(*n));
	n->memdev = -1;
	key = cli_next_kv(&cursor, &value);
	if (!key || value || strcmp(key, "node"))
		return err_set("-numa %s: only '-numa node,...' is supported",
			       arg);
	while ((key = cli_next_kv(&cursor, &value))) {
		if (!value)
			return err_set("-numa %s: '%s' needs a value", arg, key);
		if (!strcmp(key, "memdev")) {
			if (!*value || strlen(value) >= sizeof(n->memdev_id))
				return err_set("-numa %s: bad memdev '%s'", arg,
					       value);
			snprintf(n->memdev_id, sizeof(n->memdev_id), "%s",
				 value);
		} else if (!strcmp(key, "cpus")) {
			/* QEMU's list syntax: A, A-B, joined by ':'. */
			if (config_parse_cpus(value, n->cpus, CONFIG_MAX_CPUS) < 0)
				return err_set("-numa %s: %s", arg, err_msg());
			n->has_cpus = true;
		} else if (!strcmp(key, "nodeid")) {
			uint64_t id;

			if (config_parse_size(value, 1, &id) < 0 ||
			    id >= CONFIG_MAX_NUMA)
				return err_set("-numa %s: nodeid=%s: expected 0-%d",
					       arg, value, CONFIG_MAX_NUMA - 1);
			n->nodeid = (unsigned)id;
			has_nodeid = true;
		} else if (!strcmp(key, "mem")) {
			return err_set("-numa %s: 'mem' is not supported, use memdev= with -object memory-backend-ram",
				       arg);
		} else {
			return err_set("-numa %s: invalid parameter '%s'", arg,
				       key);
		}
	}
	if (!n->memdev_id[0])
		return err_set("-numa %s: memdev= is required", arg);
	if (!has_nodeid)
		n->nodeid = (unsigned)cfg->nr_numa;
	cfg->nr_numa++;
	return 0;
}


int cli_parse_e820(struct vm_config *cfg, const char *arg)
{
	char buf[128], *cursor = buf, *type, *addr, *size, *dummy;
	struct e820_user *e;

	if (cfg->nr_e820 == CONFIG_MAX_E820)
		return err_set("--e820 %s: too many entries", arg);
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return err_set("--e820 %s: too long", arg);
	e = &cfg->e820[cfg->nr_e820];
	type = cli_next_kv(&cursor, &dummy);
	if (dummy)
		return err_set("--e820 %s: expected TYPE,ADDR,SIZE", arg);
	addr = cli_next_kv(&cursor, &dummy);
	if (dummy)
		return err_set("--e820 %s: expected TYPE,ADDR,SIZE", arg);
	size = cli_next_kv(&cursor, &dummy);
	if (!type || !addr || !size || dummy || *cursor)
		return err_set("--e820 %s: expected TYPE,ADDR,SIZE", arg);
	if (!strcasecmp(type, "ram"))
		e->type = 1;
	else if (!strcasecmp(type, "reserved"))
		e->type = 2;
	else if (!strcasecmp(type, "acpi"))
		e->type = 3;
	else if (!strcasecmp(type, "nvs"))
		e->type = 4;
	else if (!strcasecmp(type, "unusable"))
		e->type = 5;
	else
		return err_set("--e820 %s: unknown type '%s' (ram, reserved, acpi, nvs, unusable)",
			       arg, type);
	if (config_parse_size(addr, 1, &e->addr) < 0 ||
	    config_parse_size(size, 1, &e->size) < 0)
		return err_set("--e820 %s: %s", arg, err_msg());
	if (e->size == 0 || e->addr + e->size < e->addr)
		return err_set("--e820 %s: empty or wrapping range", arg);
	cfg->nr_e820++;
	return 0;
}
