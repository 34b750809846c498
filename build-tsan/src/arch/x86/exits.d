build-tsan/src/arch/x86/exits.o: src/arch/x86/exits.c src/arch/arch.h \
 src/vcpu.h src/vm.h src/bus.h src/byteorder.h src/vm_config.h \
 src/console.h src/device.h src/irq.h src/mem.h src/vcpu.h
src/arch/arch.h:
src/vcpu.h:
src/vm.h:
src/bus.h:
src/byteorder.h:
src/vm_config.h:
src/console.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
