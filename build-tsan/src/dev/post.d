build-tsan/src/dev/post.o: src/dev/post.c src/dev/post.h src/bus.h \
 src/byteorder.h src/device.h src/log.h src/state.h
src/dev/post.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/log.h:
src/state.h:
