build-tsan/src/dev/debugcon.o: src/dev/debugcon.c src/dev/debugcon.h \
 src/bus.h src/byteorder.h src/device.h src/log.h
src/dev/debugcon.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/log.h:
