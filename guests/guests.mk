# Load addresses of the test guests that are not linked at 0 (the Makefile
# passes GUEST_LOAD_NAME to guests/flat.ld as LOAD_ADDR).  The matching
# --load/--entry options are in tests/guest/run.sh.

# Scenario 2: linked for 0x10000 but position-independent.
GUEST_LOAD_loop := 0x10000
# Scenario 3: RAM and image at 0x1000, the string at 0x1040.
GUEST_LOAD_scenario3 := 0x1000
# Long mode: above the real-mode megabyte, like a kernel.
GUEST_LOAD_longmode := 0x100000
# Firmware probe: a 64 KiB -bios image, its last 64 KiB aliased at 0xf0000.
GUEST_LOAD_fwprobe := 0xf0000
# pc-testdev checks: a 64 KiB -bios image like fwprobe.
GUEST_LOAD_testdev := 0xf0000
# Linux boot protocol: a 1024-byte setup, then the kernel part at 0x100000.
GUEST_LOAD_tinykernel := 0xffc00

# Host-side decompression (tests/guest/linuxboot.sh): tinyvmlinux's ELF,
# compressed as the kernel build does, becomes the payload of a tinykernel
# bzImage: tinykernel-xz.bin, tinykernel-gzip.bin, tinykernel-zstd.bin.
GUEST_LOAD_tinyvmlinux := 0x200000
TINY_PAYLOAD_FORMATS := xz gzip zstd
$(foreach f,$(TINY_PAYLOAD_FORMATS),$(eval GUEST_LOAD_tinykernel-$(f) := 0xffc00))
guests: $(TINY_PAYLOAD_FORMATS:%=$(BUILD)/guests/tinykernel-%.bin)
.SECONDARY: $(BUILD)/guests/tinyvmlinux.elf

$(BUILD)/guests/tinyvmlinux-%.payload: $(BUILD)/guests/tinyvmlinux.elf \
		guests/compress-payload.sh
	guests/compress-payload.sh $* $< $@

$(BUILD)/guests/tinykernel-%.o: guests/tinykernel.S $(BUILD)/guests/tinyvmlinux-%.payload
	$(CC) -c -Iguests -DPAYLOAD='"$(BUILD)/guests/tinyvmlinux-$*.payload"' -o $@ $<

# virtio-mmio block guests (tests/guest/virtio.sh): 64-bit, like longmode.
GUEST_LOAD_virtio_blk := 0x100000
GUEST_LOAD_virtio_evil := 0x100000
$(BUILD)/guests/virtio_evil.o: guests/virtio_blk.S
# A boot sector SeaBIOS loads at 0x7c00 (tests/guest/seabios.sh).
GUEST_LOAD_bootsector := 0x7c00
