/*
 * The QEMU counterpart of bench_out: the benchmark BIOS image doing
 * 200 000 OUTs to port 0x80 before leaving through isa-debug-exit.
 */
#define BENCH_OUTS 1
#include "bench_qemu_bios.S"
