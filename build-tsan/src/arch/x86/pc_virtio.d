build-tsan/src/arch/x86/pc_virtio.o: src/arch/x86/pc_virtio.c \
 src/arch/arch.h src/arch/x86/layout.h src/log.h src/virtio/virtio.h \
 src/virtio/virtqueue.h src/vm.h src/bus.h src/byteorder.h \
 src/vm_config.h src/console.h src/device.h src/irq.h src/mem.h \
 src/vcpu.h
src/arch/arch.h:
src/arch/x86/layout.h:
src/log.h:
src/virtio/virtio.h:
src/virtio/virtqueue.h:
src/vm.h:
src/bus.h:
src/byteorder.h:
src/vm_config.h:
src/console.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
