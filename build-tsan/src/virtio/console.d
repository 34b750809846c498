build-tsan/src/virtio/console.o: src/virtio/console.c \
 src/virtio/console.h src/byteorder.h src/chardev.h src/log.h \
 src/virtio/virtio.h src/virtio/virtqueue.h
src/virtio/console.h:
src/byteorder.h:
src/chardev.h:
src/log.h:
src/virtio/virtio.h:
src/virtio/virtqueue.h:
