# The `make bench` helpers, included by the top Makefile with
#   -include bench/bench.mk
# placed after the `all:` rule (so it does not become the default goal).
# bench/run.sh builds the same targets with `make -f Makefile -f
# bench/bench.mk bench-tools` when the include is missing.
#
#   raw_kvm     the smallest honest KVM program: the floor minivmm is
#               measured against (bench/raw_kvm.c)
#   spawn_time  runs contenders interleaved, reports median wall time from
#               fork to exit and peak RSS (bench/spawn_time.c)
#   api_client  times API requests with its own clock (bench/api.sh;
#               bench/api_client.c)
#
# The benchmark guests (guests/bench_*.S) are ordinary guests: `make all`
# builds them.

BUILD ?= build
CC ?= gcc
OPT ?= -O2 -g
WARN ?= -Wall -Wextra -Wshadow

BENCH_TOOLS := $(BUILD)/bench/raw_kvm $(BUILD)/bench/spawn_time $(BUILD)/bench/api_client
BENCH_GUESTS := $(patsubst guests/%.S,$(BUILD)/guests/%.bin,\
	$(wildcard guests/bench_*.S))

.PHONY: bench-tools
bench-tools: $(BENCH_TOOLS) $(BENCH_GUESTS)

$(BUILD)/bench/%: bench/%.c bench/bench.mk
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -o $@ $< -lpthread

# bench_qemu_out.S includes bench_qemu_bios.S.
$(BUILD)/guests/bench_qemu_out.o: guests/bench_qemu_bios.S

bench: bench-tools
