build-tsan/src/vm_run.o: src/vm_run.c src/arch/arch.h src/console.h \
 src/event_loop.h src/log.h src/machine.h src/vm.h src/bus.h \
 src/byteorder.h src/vm_config.h src/device.h src/irq.h src/mem.h \
 src/vcpu.h src/vm_report.h
src/arch/arch.h:
src/console.h:
src/event_loop.h:
src/log.h:
src/machine.h:
src/vm.h:
src/bus.h:
src/byteorder.h:
src/vm_config.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
src/vm_report.h:
