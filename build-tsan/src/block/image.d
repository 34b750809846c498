build-tsan/src/block/image.o: src/block/image.c src/block/image.h \
 src/device.h src/vm_config.h src/console.h src/block/aio.h \
 src/block/internal.h src/log.h
src/block/image.h:
src/device.h:
src/vm_config.h:
src/console.h:
src/block/aio.h:
src/block/internal.h:
src/log.h:
