build-tsan/src/virtio/rng.o: src/virtio/rng.c src/virtio/rng.h src/log.h \
 src/virtio/virtio.h src/virtio/virtqueue.h
src/virtio/rng.h:
src/log.h:
src/virtio/virtio.h:
src/virtio/virtqueue.h:
