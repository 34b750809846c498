build-tsan/src/vcpu.o: src/vcpu.c src/vcpu.h src/arch/arch.h src/log.h \
 src/vm.h src/bus.h src/byteorder.h src/vm_config.h src/console.h \
 src/device.h src/irq.h src/mem.h
src/vcpu.h:
src/arch/arch.h:
src/log.h:
src/vm.h:
src/bus.h:
src/byteorder.h:
src/vm_config.h:
src/console.h:
src/device.h:
src/irq.h:
src/mem.h:
