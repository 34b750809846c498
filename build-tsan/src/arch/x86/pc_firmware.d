build-tsan/src/arch/x86/pc_firmware.o: src/arch/x86/pc_firmware.c \
 src/arch/x86/pc_firmware.h src/config.h src/vm_config.h src/console.h \
 src/dev/cmos.h src/bus.h src/byteorder.h src/device.h src/irq.h \
 src/dev/fw_cfg.h src/arch/x86/pc_memory.h src/arch/x86/e820.h \
 src/arch/x86/acpi.h src/arch/arch.h src/arch/x86/layout.h \
 src/arch/x86/kernel_boot.h src/log.h
src/arch/x86/pc_firmware.h:
src/config.h:
src/vm_config.h:
src/console.h:
src/dev/cmos.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/irq.h:
src/dev/fw_cfg.h:
src/arch/x86/pc_memory.h:
src/arch/x86/e820.h:
src/arch/x86/acpi.h:
src/arch/arch.h:
src/arch/x86/layout.h:
src/arch/x86/kernel_boot.h:
src/log.h:
