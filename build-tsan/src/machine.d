build-tsan/src/machine.o: src/machine.c src/machine.h src/arch/arch.h \
 src/block/image.h src/device.h src/vm_config.h src/console.h \
 src/chardev.h src/dev/debugcon.h src/bus.h src/byteorder.h \
 src/loader/flat.h src/mem.h src/log.h src/virtio/devices.h src/vm.h \
 src/bus.h src/vm_config.h src/device.h src/irq.h src/mem.h src/vcpu.h
src/machine.h:
src/arch/arch.h:
src/block/image.h:
src/device.h:
src/vm_config.h:
src/console.h:
src/chardev.h:
src/dev/debugcon.h:
src/bus.h:
src/byteorder.h:
src/loader/flat.h:
src/mem.h:
src/log.h:
src/virtio/devices.h:
src/vm.h:
src/bus.h:
src/vm_config.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
