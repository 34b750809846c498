build-tsan/src/virtio/virtqueue.o: src/virtio/virtqueue.c \
 src/virtio/virtqueue.h src/byteorder.h src/log.h src/mem.h src/state.h
src/virtio/virtqueue.h:
src/byteorder.h:
src/log.h:
src/mem.h:
src/state.h:
