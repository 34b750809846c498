build-tsan/src/arch/x86/arch_info.o: src/arch/x86/arch_info.c \
 src/arch/arch.h src/config.h src/vm_config.h src/console.h \
 src/arch/x86/layout.h src/log.h src/vm.h src/bus.h src/byteorder.h \
 src/device.h src/irq.h src/mem.h src/vcpu.h src/arch/x86/x86.h
src/arch/arch.h:
src/config.h:
src/vm_config.h:
src/console.h:
src/arch/x86/layout.h:
src/log.h:
src/vm.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
src/arch/x86/x86.h:
