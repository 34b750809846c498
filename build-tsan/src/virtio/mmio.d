build-tsan/src/virtio/mmio.o: src/virtio/mmio.c src/virtio/mmio.h \
 src/virtio/virtio.h src/virtio/virtqueue.h src/bus.h src/byteorder.h \
 src/device.h src/event_loop.h src/irq.h src/log.h src/state.h src/vm.h \
 src/bus.h src/vm_config.h src/console.h src/device.h src/irq.h src/mem.h \
 src/vcpu.h
src/virtio/mmio.h:
src/virtio/virtio.h:
src/virtio/virtqueue.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/event_loop.h:
src/irq.h:
src/log.h:
src/state.h:
src/vm.h:
src/bus.h:
src/vm_config.h:
src/console.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
