build-tsan/src/vm.o: src/vm.c src/vm.h src/bus.h src/byteorder.h \
 src/vm_config.h src/console.h src/device.h src/irq.h src/mem.h \
 src/vcpu.h src/arch/arch.h src/event_loop.h src/log.h src/machine.h
src/vm.h:
src/bus.h:
src/byteorder.h:
src/vm_config.h:
src/console.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
src/arch/arch.h:
src/event_loop.h:
src/log.h:
src/machine.h:
