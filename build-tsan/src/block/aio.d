build-tsan/src/block/aio.o: src/block/aio.c src/block/aio.h \
 src/block/internal.h src/vm_config.h src/console.h src/log.h
src/block/aio.h:
src/block/internal.h:
src/vm_config.h:
src/console.h:
src/log.h:
