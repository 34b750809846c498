build-tsan/src/virtio/virtio.o: src/virtio/virtio.c src/virtio/virtio.h \
 src/virtio/virtqueue.h src/log.h src/state.h
src/virtio/virtio.h:
src/virtio/virtqueue.h:
src/log.h:
src/state.h:
