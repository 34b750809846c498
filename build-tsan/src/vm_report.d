build-tsan/src/vm_report.o: src/vm_report.c src/vm_report.h \
 src/arch/arch.h src/config.h src/vm_config.h src/console.h src/vm.h \
 src/bus.h src/byteorder.h src/device.h src/irq.h src/mem.h src/vcpu.h
src/vm_report.h:
src/arch/arch.h:
src/config.h:
src/vm_config.h:
src/console.h:
src/vm.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
