build-tsan/src/dev/i8042.o: src/dev/i8042.c src/dev/i8042.h src/bus.h \
 src/byteorder.h src/device.h src/log.h src/state.h
src/dev/i8042.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/log.h:
src/state.h:
