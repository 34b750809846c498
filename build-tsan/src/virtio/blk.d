build-tsan/src/virtio/blk.o: src/virtio/blk.c src/virtio/blk.h \
 src/block/aio.h src/block/image.h src/device.h src/vm_config.h \
 src/console.h src/byteorder.h src/log.h src/virtio/virtio.h \
 src/virtio/virtqueue.h
src/virtio/blk.h:
src/block/aio.h:
src/block/image.h:
src/device.h:
src/vm_config.h:
src/console.h:
src/byteorder.h:
src/log.h:
src/virtio/virtio.h:
src/virtio/virtqueue.h:
