build-tsan/src/arch/x86/pc.o: src/arch/x86/pc.c src/dev/acpi_pm.h \
 src/bus.h src/byteorder.h src/device.h src/irq.h src/dev/boot_marker.h \
 src/chardev.h src/console.h src/dev/cmos.h src/dev/serial8250.h \
 src/dev/uart.h src/dev/fw_cfg.h src/dev/i8042.h src/dev/pci_host.h \
 src/dev/post.h src/arch/x86/layout.h src/arch/x86/kernel_boot.h \
 src/arch/x86/e820.h src/arch/x86/pc_memory.h src/config.h \
 src/vm_config.h src/console.h src/log.h src/machine.h \
 src/arch/x86/pc_firmware.h src/vm.h src/bus.h src/device.h src/irq.h \
 src/mem.h src/vcpu.h src/arch/x86/x86.h
src/dev/acpi_pm.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/irq.h:
src/dev/boot_marker.h:
src/chardev.h:
src/console.h:
src/dev/cmos.h:
src/dev/serial8250.h:
src/dev/uart.h:
src/dev/fw_cfg.h:
src/dev/i8042.h:
src/dev/pci_host.h:
src/dev/post.h:
src/arch/x86/layout.h:
src/arch/x86/kernel_boot.h:
src/arch/x86/e820.h:
src/arch/x86/pc_memory.h:
src/config.h:
src/vm_config.h:
src/console.h:
src/log.h:
src/machine.h:
src/arch/x86/pc_firmware.h:
src/vm.h:
src/bus.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
src/arch/x86/x86.h:
