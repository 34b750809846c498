build-tsan/tests/test_virtio_blk: tests/unit/test_virtio_blk.c \
 src/block/image.h src/device.h src/vm_config.h src/console.h src/bus.h \
 src/byteorder.h src/byteorder.h src/irq.h src/log.h src/mem.h \
 tests/unit/unit.h src/state.h tests/unit/vdriver.h \
 src/virtio/virtqueue.h src/virtio/blk.h src/virtio/mmio.h \
 src/virtio/virtio.h
src/block/image.h:
src/device.h:
src/vm_config.h:
src/console.h:
src/bus.h:
src/byteorder.h:
src/byteorder.h:
src/irq.h:
src/log.h:
src/mem.h:
tests/unit/unit.h:
src/state.h:
tests/unit/vdriver.h:
src/virtio/virtqueue.h:
src/virtio/blk.h:
src/virtio/mmio.h:
src/virtio/virtio.h:
