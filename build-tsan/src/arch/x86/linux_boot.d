build-tsan/src/arch/x86/linux_boot.o: src/arch/x86/linux_boot.c \
 src/arch/x86/linux_boot.h src/arch/x86/pc_memory.h src/config.h \
 src/vm_config.h src/console.h src/dev/cmos.h src/bus.h src/byteorder.h \
 src/device.h src/irq.h src/arch/x86/e820.h src/byteorder.h \
 src/arch/x86/kernel_boot.h src/arch/x86/kernel_unpack.h \
 src/arch/x86/decompress.h src/loader/bzimage.h src/loader/elf.h \
 src/arch/x86/layout.h src/log.h src/vm.h src/bus.h src/device.h \
 src/irq.h src/mem.h src/vcpu.h src/arch/x86/x86.h
src/arch/x86/linux_boot.h:
src/arch/x86/pc_memory.h:
src/config.h:
src/vm_config.h:
src/console.h:
src/dev/cmos.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/irq.h:
src/arch/x86/e820.h:
src/byteorder.h:
src/arch/x86/kernel_boot.h:
src/arch/x86/kernel_unpack.h:
src/arch/x86/decompress.h:
src/loader/bzimage.h:
src/loader/elf.h:
src/arch/x86/layout.h:
src/log.h:
src/vm.h:
src/bus.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
src/arch/x86/x86.h:
