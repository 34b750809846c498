# minivmm — build, test and benchmark.
#
#   make            build ./minivmm (and the test guests)
#   make run        build and boot the built-in demo guest
#   make check      build and run every test tier that can run here
#   make bench      side-by-side benchmarks (bench/run.sh)
#   make arm64      cross-build the arm64 monitor (static) and its test
#                   guests into build-arm64/ (needs gcc-aarch64-linux-gnu
#                   and libfdt-dev:arm64)
#
# ARCH selects src/arch/$(ARCH) (x86_64 or arm64); WERROR=1 turns warnings
# into errors (CI).  `make ARCH=arm64` builds natively on an arm64 host;
# add CROSS_COMPILE=aarch64-linux-gnu- from x86.

# `make` alone builds ./minivmm and the guests, whatever rules the included
# makefiles below define first.
.DEFAULT_GOAL := all

# The host's architecture unless told (x86_64, or aarch64/arm64).
ARCH ?= $(shell uname -m)
CROSS_COMPILE ?=
CC := $(CROSS_COMPILE)gcc
AS := $(CROSS_COMPILE)as
LD := $(CROSS_COMPILE)ld
OBJCOPY := $(CROSS_COMPILE)objcopy
AR := $(CROSS_COMPILE)ar

WARN := -Wall -Wextra -Wshadow
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
SANITIZE ?=
CFLAGS ?=
# The arch directory only for #include "...": its fdt.h must not hide
# libfdt's <fdt.h>.
CPPFLAGS += -Isrc -iquote src/arch/$(ARCH_DIR) -D_GNU_SOURCE
ALL_CFLAGS := -std=gnu11 $(OPT) $(WARN) $(SANITIZE) -MMD -MP $(CFLAGS)
LDLIBS := -lpthread
LDFLAGS ?=

ARCH_DIR := $(patsubst aarch64,arm64,$(patsubst x86_64,x86,$(ARCH)))
# A native build makes ./minivmm; a cross build keeps to build-$(ARCH_DIR)/.
ifneq ($(CROSS_COMPILE),)
BUILD ?= build-$(ARCH_DIR)
BIN ?= $(BUILD)/minivmm
else
BUILD ?= build
BIN ?= minivmm
endif
GUEST_DIR := $(if $(filter x86,$(ARCH_DIR)),guests,guests/$(ARCH_DIR))
# arm64 builds its device trees with libfdt; cross builds link statically
# so the binary runs in a bare test VM (tests/arm64).
ifeq ($(ARCH_DIR),arm64)
LDLIBS := -lfdt $(LDLIBS)
ifneq ($(CROSS_COMPILE),)
STATIC ?= 1
endif
endif
ifeq ($(STATIC),1)
LDFLAGS += -static
endif
SRCS := $(wildcard src/*.c src/loader/*.c src/dev/*.c src/virtio/*.c src/net/*.c src/block/*.c src/gdb/*.c src/snapshot/*.c \
	src/arch/$(ARCH_DIR)/*.c)
# Host-side bzImage unpacking compiles against the liblzma, zlib and
# libzstd headers (the libraries themselves are opened at run time); a
# machine without them builds decompress_nolibs.c, and bzImages then
# decompress in the guest.
# (`#` is spelled through a variable: GNU make before 4.3 needs `\#` inside a
# function call and 4.3 keeps the backslash, so neither spelling works in both.)
HASH := \#
ifeq ($(ARCH_DIR),x86)
ifeq ($(origin HAVE_UNPACK_HEADERS),undefined)
HAVE_UNPACK_HEADERS := $(shell printf '$(HASH)include <lzma.h>\n$(HASH)include <zlib.h>\n$(HASH)include <zstd.h>\n' | \
	$(CC) -E -x c - >/dev/null 2>&1 && echo 1)
endif
SRCS := $(filter-out src/arch/x86/decompress_$(if $(HAVE_UNPACK_HEADERS),no,)libs.c,$(SRCS))
endif
# The control API (src/api) needs libjansson and libhttp-parser; without
# them api_none.c answers every entry point with the reason.
SRCS += $(wildcard src/api/*.c)
ifeq ($(origin HAVE_API_LIBS),undefined)
HAVE_API_LIBS := $(shell printf '$(HASH)include <jansson.h>\n$(HASH)include <http_parser.h>\nint main(void) { json_decref(json_object()); return http_parser_version() == 0; }\n' | \
	$(CC) $(LDFLAGS) -x c - -o /dev/null -ljansson -lhttp_parser >/dev/null 2>&1 && echo 1)
endif
API_LIB_SRCS := $(addprefix src/api/,api.c http.c server.c vmm.c ctl.c)
ifeq ($(HAVE_API_LIBS),1)
SRCS := $(filter-out src/api/api_none.c,$(SRCS))
LDLIBS := -ljansson -lhttp_parser $(LDLIBS)
else
SRCS := $(filter-out $(API_LIB_SRCS),$(SRCS))
endif
CORE_SRCS := $(filter-out src/main.c,$(SRCS))
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJS := $(BUILD)/src/main.o $(BUILD)/src/demo_image.o

# Test and demo guests: $(GUEST_DIR)/NAME.S -> $(BUILD)/guests/NAME.bin,
# linked at GUEST_LOAD_NAME by $(GUEST_DIR)/flat.ld (default 0 on x86, the
# RAM base 0x40000000 on arm64).  $(GUEST_DIR)/guests.mk sets those.
GUEST_SRCS := $(wildcard $(GUEST_DIR)/*.S)
GUEST_BINS := $(GUEST_SRCS:$(GUEST_DIR)/%.S=$(BUILD)/guests/%.bin)
GUEST_LOAD_DEFAULT := $(if $(filter arm64,$(ARCH_DIR)),0x40000000,0)
-include $(GUEST_DIR)/guests.mk

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run check check-unit check-guest check-asan check-nested bench bench-api \
	guests clean format bench-nested bench-net arm64 check-arm64 bench-arm64 \
	fuzz fuzz-link check-fuzz check-kut
# The same binary under QEMU's name takes QEMU's command line (src/qemu_cli.h).
QEMU_LINK := $(BUILD)/bin/qemu-system-$(patsubst arm64,aarch64,$(ARCH))

all: $(BIN) guests $(QEMU_LINK)

$(QEMU_LINK): $(BIN)
	@mkdir -p $(dir $@)
	ln -sf "$$(realpath --relative-to=$(dir $@) $(BIN))" $@

$(BIN): $(MAIN_OBJS) $(BUILD)/libminivmm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libminivmm.a: $(CORE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The demo guest is embedded in the binary (`minivmm run` with no image).
$(BUILD)/src/demo_image.o: src/demo_image.S $(BUILD)/guests/demo.bin
	@mkdir -p $(dir $@)
	$(CC) -c -DDEMO_BIN='"$(BUILD)/guests/demo.bin"' -o $@ $<

guests: $(GUEST_BINS)

$(BUILD)/guests/%.o: $(GUEST_DIR)/%.S
	@mkdir -p $(dir $@)
	$(CC) -c -Isrc/arch/$(ARCH_DIR) -I$(GUEST_DIR) -o $@ $<

$(BUILD)/guests/%.elf: $(BUILD)/guests/%.o $(GUEST_DIR)/flat.ld
	$(LD) -T $(GUEST_DIR)/flat.ld \
		--defsym=LOAD_ADDR=$(or $(GUEST_LOAD_$*),$(GUEST_LOAD_DEFAULT)) \
		-o $@ $<

$(BUILD)/guests/%.bin: $(BUILD)/guests/%.elf
	$(OBJCOPY) -O binary $< $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libminivmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Itests/unit -o $@ $< \
		$(BUILD)/libminivmm.a -lcmocka $(LDLIBS)

# Host-tier programs that drive the VM through its C API (tests/guest/*.c).
HOST_TEST_SRCS := $(wildcard tests/guest/*.c)
HOST_TEST_BINS := $(HOST_TEST_SRCS:tests/guest/%.c=$(BUILD)/tests/guest-%)

$(BUILD)/tests/guest-%: tests/guest/%.c $(BUILD)/libminivmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libminivmm.a $(LDLIBS)

# The same for the arm64 tier (tests/arm64/*.c, run in its L1; `make arm64`).
ARM64_TEST_BINS := $(patsubst tests/arm64/%.c,build-arm64/tests/arm64-%,$(wildcard tests/arm64/*.c))

$(BUILD)/tests/arm64-%: tests/arm64/%.c $(BUILD)/libminivmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libminivmm.a $(LDLIBS)

# libFuzzer harnesses (tests/fuzz/*.c) against the core built by clang with
# the fuzzer's coverage and ASan/UBSan, in build-fuzz/.  `make check` runs
# each briefly when clang is present (tests/fuzz/run.sh).
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer
# The kernel's variable-sized structs inside our own (a GNU C extension).
FUZZ_OPT := -O1 -g -Wno-gnu-variable-sized-type-not-at-end

fuzz:
	$(MAKE) CC=clang BUILD=build-fuzz OPT="$(FUZZ_OPT)" \
		SANITIZE="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" build-fuzz/libminivmm.a
	$(MAKE) CC=clang BUILD=build-fuzz OPT="$(FUZZ_OPT)" fuzz-link

fuzz-link: $(FUZZ_BINS)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/libminivmm.a
	$(CC) $(CPPFLAGS) -std=gnu11 -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< \
		build-fuzz/libminivmm.a $(LDLIBS)

run: $(BIN)
	./$(BIN) run

check: all arm64 $(UNIT_BINS) $(HOST_TEST_BINS)
	tests/run.sh --unit $(BUILD)/tests --fuzz --guest --nested --arm64

check-unit: $(UNIT_BINS)
	tests/run.sh --unit $(BUILD)/tests

check-guest: all $(HOST_TEST_BINS)
	tests/run.sh --guest

# Unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
check-asan:
	$(MAKE) BUILD=build-asan SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" OPT="-O1 -g" check-unit

check-fuzz:
	tests/run.sh --fuzz

# kvm-unit-tests, unchanged, under minivmm and QEMU (tests/kut/run.sh): on
# this host, in the nested tier's L1 (the same x86 tree), and an arm64 build
# of the suite (KUT_ARM64_DIR) in the arm64 tier's L1; each part SKIPs
# when it has no tree or cannot run here.
check-kut: all $(if $(KUT_ARM64_DIR),arm64)
	@rc=0; tests/kut/run.sh $(KUT_DIR) || rc=1; \
	tests/kut/run.sh --nested $(KUT_DIR) || rc=1; \
	tests/kut/run.sh --arm64 $(KUT_ARM64_DIR) || rc=1; exit $$rc

check-nested: all $(HOST_TEST_BINS)
	tests/run.sh --nested

bench: all
	bench/run.sh

# Linux boot to init under nested KVM: minivmm vs QEMU -M pc vs -M microvm.
bench-nested: all
	bench/nested.sh

# The control API: round trip, InstanceStart to init, snapshot creation and
# restore latency at 128 MiB and 1 GiB (bench/api.sh; nested for the VM rows).
bench-api: all
	bench/api.sh

# virtio-net and vsock under nested KVM: minivmm vs QEMU, vhost off and on
# (also the last part of bench-nested).
bench-net: all
	bench/net.sh

# The arm64 monitor and guests, cross-built from here (the nested arm64
# tier in tests/arm64 and bench/arm64.sh run them under arm64 KVM).
# On an arm64 host the same target builds natively (still static).
ARM64_CROSS := $(if $(filter aarch64 arm64,$(shell uname -m)),,aarch64-linux-gnu-)
ARM64_MAKE := $(MAKE) ARCH=arm64 CROSS_COMPILE=$(ARM64_CROSS) STATIC=1 \
	BUILD=build-arm64 BIN=build-arm64/minivmm

arm64:
	$(ARM64_MAKE) all $(ARM64_TEST_BINS)

check-arm64: arm64
	tests/run.sh --arm64

bench-arm64: arm64
	bench/arm64.sh

format:
	clang-format -i $(SRCS) src/*.h src/*/*.h src/arch/*/*.h tests/unit/*.c

clean:
	rm -rf build build-asan build-arm64 build-fuzz minivmm

-include bench/bench.mk
-include $(CORE_OBJS:.o=.d) $(MAIN_OBJS:.o=.d) $(UNIT_BINS:=.d) $(HOST_TEST_BINS:=.d)
