build-tsan/src/vcpu_exits.o: src/vcpu_exits.c src/arch/arch.h src/log.h \
 src/vcpu.h src/vm.h src/bus.h src/byteorder.h src/vm_config.h \
 src/console.h src/device.h src/irq.h src/mem.h
src/arch/arch.h:
src/log.h:
src/vcpu.h:
src/vm.h:
src/bus.h:
src/byteorder.h:
src/vm_config.h:
src/console.h:
src/device.h:
src/irq.h:
src/mem.h:
