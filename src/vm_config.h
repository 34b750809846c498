/* SPDX-License-Identifier: MIT */
/*
 * The machine description: what to build and how to run it, as plain data.
 *
 * The command line fills it (cli.c, then config_finish() in config.c for
 * the defaults and the checks); later a config file or the control API can
 * fill the same structure.  The core (vm, machines, loaders, devices) reads
 * it and never parses anything: no strings to split here, no functions.
 */
#ifndef MINIVMM_VM_CONFIG_H
#define MINIVMM_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "console.h" /* struct console_spec (-serial) */

enum machine_kind {
	MACHINE_NONE = 0, /* not chosen yet: config_finish() picks one */
	MACHINE_BARE,
	MACHINE_PC, /* x86 */
	MACHINE_VIRT, /* arm64 */
};

enum cpu_mode { CPU_MODE_REAL, CPU_MODE_PROTECTED, CPU_MODE_LONG };

enum command {
	CMD_RUN,
	CMD_CAPS,
	CMD_MEMMAP,
	CMD_DTB,
	CMD_HELP,
	CMD_VERSION,
	CMD_DEVICE_HELP, /* -device help: the -device names we know */
};

#define TRACE_IO 0x1u
#define TRACE_MMIO 0x2u
#define TRACE_EXITS 0x4u

#define CONFIG_MAX_REGS 32
#define CONFIG_MAX_DEBUGCON 16
#define CONFIG_MAX_OBJECTS 16
#define CONFIG_MAX_NUMA 16
#define CONFIG_MAX_E820 32
#define CONFIG_MAX_CPUS 64
#define CONFIG_MAX_DRIVES 16
#define CONFIG_MAX_VDEVS 32
#define CONFIG_MAX_NETDEVS 8
#define CONFIG_SERIAL_MAX 20 /* virtio-blk serial: 20 bytes (VIRTIO_BLK_ID_BYTES) */
/* vsock uds=: sun_path (108) less "_4294967295" and the NUL (VSOCK_UDS_MAX). */
#define CONFIG_VSOCK_UDS_MAX 96

/* Default RAM when -m is not given: 128 MiB, as QEMU. */
#define CONFIG_DEFAULT_RAM (128ull << 20)
#define CONFIG_DEFAULT_DEBUGCON 0xe9

struct reg_override {
	char name[8];
	uint64_t value;
};

/* -object memory-backend-ram|memory-backend-file,id=ID,size=SIZE,... */
struct mem_object {
	char id[32];
	bool is_file;
	uint64_t size;
	char mem_path[256];
	bool share;
	bool prealloc;
};

/* -numa node,memdev=ID[,cpus=A-B[:C-D]][,nodeid=N] */
struct numa_node {
	unsigned nodeid;
	char memdev_id[32]; /* as given; resolved by config_finish() */
	int memdev; /* index into objects[], -1 when not given */
	uint64_t cpus[(CONFIG_MAX_CPUS + 63) / 64]; /* bitmap */
	bool has_cpus;
};

/* --e820 TYPE,ADDR,SIZE */
struct e820_user {
	uint32_t type;
	uint64_t addr;
	uint64_t size;
};

/*
 * -drive file=PATH,...: a disk image (src/block/image.h opens it).
 * if=virtio (our default; QEMU's is ide) also adds a virtio-blk device,
 * if=none leaves the drive to a -device virtio-blk-*,drive=ID.
 */
enum drive_if { DRIVE_IF_NONE, DRIVE_IF_VIRTIO };
/*
 * cache=writeback: the host page cache, guest flushes reach the disk;
 * none: O_DIRECT, flushes too; unsafe: the page cache, flushes ignored.
 */
enum drive_cache { DRIVE_CACHE_WRITEBACK, DRIVE_CACHE_NONE, DRIVE_CACHE_UNSAFE };
struct drive_cfg {
	char id[32]; /* as given, or "virtioN" for an if=virtio drive without one */
	char file[256];
	enum drive_if iface;
	bool readonly;
	enum drive_cache cache;
	bool discard; /* discard=unmap|on: guest discards punch holes */
};

/* -device NAME,...: the virtio devices (and the ones -drive if=virtio adds). */
enum vdev_kind {
	VDEV_BLK,
	VDEV_RNG,
	VDEV_CONSOLE,
	VDEV_NET,
	VDEV_VSOCK, /* user-space back end: Unix sockets at uds */
	VDEV_VHOST_VSOCK, /* the kernel's (/dev/vhost-vsock) */
};
#define VDEV_KIND_LAST VDEV_VHOST_VSOCK
/*
 * -pci names are PCI, -device names virtio-mmio; DEFAULT (virtconsole,
 * -drive if=virtio) is the machine's own, and config_finish() replaces it:
 * PCI on pc, MMIO on arm64 virt.  After config_finish() it is never DEFAULT.
 */
enum vdev_transport {
	VDEV_TRANSPORT_DEFAULT,
	VDEV_TRANSPORT_PCI,
	VDEV_TRANSPORT_MMIO
};
struct vdev_cfg {
	enum vdev_kind kind;
	enum vdev_transport transport;
	int drive; /* index into drives[], -1 */
	char serial[CONFIG_SERIAL_MAX + 1]; /* VDEV_BLK: the disk's serial, "" = none */
	char id[32]; /* "" when not given */
	/* VDEV_CONSOLE from -device virtio-serial-*: its virtconsole port came. */
	bool console_port;
	/* VDEV_NET: its -netdev (index into netdevs[]) and MAC address. */
	int netdev;
	uint8_t mac[6];
	bool mac_set; /* mac= given; else config_finish() picks QEMU's next */
	/* VDEV_*VSOCK: guest-cid= (3 .. 0xfffffffe); VDEV_VSOCK: uds= (the host's socket). */
	uint64_t guest_cid;
	char uds[CONFIG_VSOCK_UDS_MAX + 1];
};

/*
 * -netdev tap,id=ID,ifname=NAME|fd=N[,vhost=on|off][,vhostforce=on|off]
 * (and the back end a -nic makes): a tap, opened by name or inherited.
 */
struct netdev_cfg {
	char id[32];
	char ifname[16]; /* IFNAMSIZ; "" with fd */
	int fd; /* an inherited tap; -1: open ifname */
	bool vhost; /* vhost=on: the kernel's vhost-net moves the frames */
	bool vhostforce; /* vhostforce=on: no vhost-net is an error */
};

/*
 * -gdb tcp:[HOST]:PORT | unix:PATH | /dev/TTY (-s: tcp::1234): where the
 * gdb stub waits for the debugger.  HOST "" is localhost.
 */
enum gdb_transport { GDB_NONE = 0, GDB_TCP, GDB_UNIX, GDB_TTY };
struct gdb_cfg {
	enum gdb_transport transport;
	char host[64];
	uint16_t port;
	char path[108]; /* unix: sun_path's size; tty: the device */
};

/* -chardev stdio,id=ID: the only back end; a virtconsole may name it. */
#define CONFIG_MAX_CHARDEVS 4

struct vm_config {
	enum command command;

	/* Machine. */
	enum machine_kind machine;
	char machine_name[32]; /* as typed: "bare", "pc", "pc-i440fx-1.7" */
	char machine_why[96]; /* for -v: why this machine was chosen */
	bool machine_legacy_split; /* pc-i440fx <= 1.7: 3.5 GiB low RAM */
	uint64_t ram_base; /* bare machine only */
	bool ram_base_set;
	uint64_t max_ram_below_4g; /* pc only; 0 = the machine's default */
	bool max_ram_below_4g_set;
	bool no_pit; /* pc only: -M pc,pit=off (no in-kernel i8254) */
	/*
	 * -cpu MODEL[,FEATURES]: the model (arch_cpu_model(): "host", "max",
	 * "qemu64", ...; NULL without -cpu, which is host), and the FEATURES
	 * part or NULL.
	 */
	const char *cpu_model;
	const char *cpu_features;
	unsigned gic_version; /* virt only: 2, 3, or 0 = 3 where the host has it */

	/* Memory. */
	uint64_t ram_size;
	bool ram_size_set;
	const char *mem_path;
	bool mem_prealloc;
	struct mem_object objects[CONFIG_MAX_OBJECTS];
	size_t nr_objects;
	struct numa_node numa[CONFIG_MAX_NUMA];
	size_t nr_numa;
	struct e820_user e820[CONFIG_MAX_E820];
	size_t nr_e820;

	unsigned smp;

	/* -boot reboot-timeout=MS,menu=on|off (firmware behaviour, via fw_cfg). */
	int32_t reboot_timeout; /* -1: wait forever after a failed boot */
	bool boot_menu;
	bool reboot_restart; /* --reboot=restart: a guest reset starts it again */

	/* Image and entry state. */
	const char *image; /* NULL: the built-in image below */
	const void *builtin_image; /* the demo guest, set by main() */
	uint64_t builtin_image_size;
	const char *bios;
	const char *kernel;
	const char *initrd;
	const char *append;
	bool decompress_guest; /* --decompress=guest: leave it to the bzImage */
	const char *kernel_cache; /* --kernel-cache; NULL: the default place */
	uint64_t load_addr;
	bool load_set;
	uint64_t entry;
	bool entry_set;
	enum cpu_mode mode;
	bool mode_set;
	struct reg_override regs[CONFIG_MAX_REGS];
	size_t nr_regs;

	/* Devices. */
	struct console_spec serial; /* -serial: COM1 on the pc machine */
	bool serial_set;
	uint16_t debugcon[CONFIG_MAX_DEBUGCON];
	size_t nr_debugcon;
	uint64_t debugcon_mmio[CONFIG_MAX_DEBUGCON]; /* --debugcon-mmio ADDR */
	size_t nr_debugcon_mmio;
	struct drive_cfg drives[CONFIG_MAX_DRIVES]; /* -drive */
	size_t nr_drives;
	struct vdev_cfg vdevs[CONFIG_MAX_VDEVS]; /* -device, -drive if=virtio */
	size_t nr_vdevs;
	struct netdev_cfg netdevs[CONFIG_MAX_NETDEVS]; /* -netdev, -nic */
	size_t nr_netdevs;
	char chardevs[CONFIG_MAX_CHARDEVS][32]; /* -chardev ids */
	size_t nr_chardevs;

	/* -device isa-debug-exit[,iobase=PORT][,iosize=1|2|4] (x86 ports). */
	bool debug_exit;
	uint16_t debug_exit_iobase, debug_exit_iosize;

	/* -device pc-testdev (the pc machine). */
	bool pc_testdev;

	/* Debugging. */
	struct gdb_cfg gdb; /* -gdb, -s */
	bool start_stopped; /* -S: the vCPUs wait for the debugger */

	/* `minivmm dtb -o PATH` ("-" is stdout). */
	const char *output;

	/* Observability and limits. */
	unsigned trace; /* TRACE_* */
	bool stats;
	uint64_t max_exits; /* 0: no limit */
	double timeout; /* seconds; 0: none */
	int verbose;

	/*
	 * minivmm qemu / qemu-system-*: the run ends as QEMU's does (exit
	 * statuses, nothing on stderr but errors, which carry qemu_prog).
	 */
	bool qemu_mode;
	const char *qemu_prog;

	/*
	 * The `minivmm run` command line this description came from (main,
	 * the QEMU front end or the API sets it): a snapshot keeps it and a
	 * restore builds the same machine from it.
	 */
	int argc;
	char **argv;

	/* Control plane (src/api, src/snapshot). */
	const char *api_sock; /* --api-sock PATH beside a command line */
	const char *restore; /* --restore DIR: the machine comes from DIR */
	bool start_paused; /* the vCPUs wait for a resume (a restore not resumed) */
	/* The first option that shapes the machine (--restore refuses them). */
	const char *shaping_opt;
};

#endif
