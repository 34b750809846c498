build-tsan/src/dev/cmos.o: src/dev/cmos.c src/dev/cmos.h src/bus.h \
 src/byteorder.h src/device.h src/irq.h src/log.h src/state.h
src/dev/cmos.h:
src/bus.h:
src/byteorder.h:
src/device.h:
src/irq.h:
src/log.h:
src/state.h:
