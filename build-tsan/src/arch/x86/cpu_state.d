build-tsan/src/arch/x86/cpu_state.o: src/arch/x86/cpu_state.c src/log.h \
 src/vm.h src/bus.h src/byteorder.h src/vm_config.h src/console.h \
 src/device.h src/irq.h src/mem.h src/vcpu.h src/arch/x86/x86.h
src/log.h:
src/vm.h:
src/bus.h:
src/byteorder.h:
src/vm_config.h:
src/console.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
src/arch/x86/x86.h:
