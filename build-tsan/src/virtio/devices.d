build-tsan/src/virtio/devices.o: src/virtio/devices.c \
 src/virtio/devices.h src/arch/arch.h src/block/image.h src/device.h \
 src/vm_config.h src/console.h src/chardev.h src/virtio/console.h \
 src/log.h src/machine.h src/virtio/blk.h src/virtio/console.h \
 src/virtio/mmio.h src/virtio/virtio.h src/virtio/virtqueue.h \
 src/virtio/rng.h src/vm.h src/bus.h src/byteorder.h src/vm_config.h \
 src/device.h src/irq.h src/mem.h src/vcpu.h
src/virtio/devices.h:
src/arch/arch.h:
src/block/image.h:
src/device.h:
src/vm_config.h:
src/console.h:
src/chardev.h:
src/virtio/console.h:
src/log.h:
src/machine.h:
src/virtio/blk.h:
src/virtio/console.h:
src/virtio/mmio.h:
src/virtio/virtio.h:
src/virtio/virtqueue.h:
src/virtio/rng.h:
src/vm.h:
src/bus.h:
src/byteorder.h:
src/vm_config.h:
src/device.h:
src/irq.h:
src/mem.h:
src/vcpu.h:
