# minivmm — build, test and benchmark.
#
#   make            build ./minivmm (and the test guests)
#   make run        build and boot the built-in demo guest
#   make check      build and run every test tier that can run here
#   make bench      side-by-side benchmarks (bench/run.sh)
#
# ARCH selects src/arch/$(ARCH); WERROR=1 turns warnings into errors (CI).

ARCH ?= x86_64
CROSS_COMPILE ?=
CC := $(CROSS_COMPILE)gcc
AS := $(CROSS_COMPILE)as
LD := $(CROSS_COMPILE)ld
OBJCOPY := $(CROSS_COMPILE)objcopy
AR := $(CROSS_COMPILE)ar

BUILD ?= build
WARN := -Wall -Wextra -Wshadow
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
SANITIZE ?=
CFLAGS ?=
CPPFLAGS += -Isrc -Isrc/arch/$(ARCH_DIR) -D_GNU_SOURCE
ALL_CFLAGS := -std=gnu11 $(OPT) $(WARN) $(SANITIZE) -MMD -MP $(CFLAGS)
LDLIBS := -lpthread

ARCH_DIR := $(patsubst x86_64,x86,$(ARCH))
SRCS := $(wildcard src/*.c src/loader/*.c src/dev/*.c src/virtio/*.c \
	src/arch/$(ARCH_DIR)/*.c)
CORE_SRCS := $(filter-out src/main.c,$(SRCS))
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJS := $(BUILD)/src/main.o $(BUILD)/src/demo_image.o

# Test and demo guests: guests/NAME.S -> $(BUILD)/guests/NAME.bin, linked at
# GUEST_LOAD_NAME (default 0) by guests/flat.ld.  guests/guests.mk sets those.
GUEST_SRCS := $(wildcard guests/*.S)
GUEST_BINS := $(GUEST_SRCS:guests/%.S=$(BUILD)/guests/%.bin)
-include guests/guests.mk

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run check check-unit check-guest check-asan check-nested bench \
	guests clean format bench-nested
all: minivmm guests

minivmm: $(MAIN_OBJS) $(BUILD)/libminivmm.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

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

$(BUILD)/guests/%.o: guests/%.S
	@mkdir -p $(dir $@)
	$(CC) -c -Isrc/arch/$(ARCH_DIR) -o $@ $<

$(BUILD)/guests/%.elf: $(BUILD)/guests/%.o guests/flat.ld
	$(LD) -T guests/flat.ld --defsym=LOAD_ADDR=$(or $(GUEST_LOAD_$*),0) \
		-o $@ $<

$(BUILD)/guests/%.bin: $(BUILD)/guests/%.elf
	$(OBJCOPY) -O binary $< $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libminivmm.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Itests/unit -o $@ $< \
		$(BUILD)/libminivmm.a -lcmocka $(LDLIBS)

run: minivmm
	./minivmm run

check: all $(UNIT_BINS)
	tests/run.sh --unit $(BUILD)/tests --guest --nested

check-unit: $(UNIT_BINS)
	tests/run.sh --unit $(BUILD)/tests

check-guest: all
	tests/run.sh --guest

# Unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
check-asan:
	$(MAKE) BUILD=build-asan SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" OPT="-O1 -g" check-unit

check-nested: all
	tests/nested/run.sh

bench: all
	bench/run.sh

# Linux boot to init under nested KVM: minivmm vs QEMU -M pc vs -M microvm.
bench-nested: all
	bench/nested.sh

format:
	clang-format -i $(SRCS) src/*.h src/*/*.h src/arch/*/*.h tests/unit/*.c

clean:
	rm -rf build build-asan minivmm

-include bench/bench.mk
-include $(CORE_OBJS:.o=.d) $(MAIN_OBJS:.o=.d) $(UNIT_BINS:=.d)
